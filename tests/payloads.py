"""A catalogue of hostile texts, and a cohort that carries them in every free-text place.

Each payload is a text a file or a link may hold that markdown, HTML,
Streamlit or a browser could act on: an image the browser would fetch (telling
an outside server who opened the page), a link, an HTML tag, a Streamlit
colour/icon/emoji directive, a formula, a heading, an RTL override that
reverses how text reads, a NUL byte, a 1 MB string. ``BEACON`` is the
outside address every payload points at, so a browser test can record
whether anything asked for it.
"""

from __future__ import annotations

import io
import zipfile

import pandas as pd

BEACON = "http://127.0.0.1:8999"

PAYLOADS = {
    "markdown image": f"![b]({BEACON}/image)",
    "markdown link": f"[open]({BEACON}/link)",
    "reference image": f"![x][r]\n\n[r]: {BEACON}/reference",
    "autolink": f"<{BEACON}/autolink>",
    "bare url": f"{BEACON}/bare",
    "html image": f'<img src="{BEACON}/html">',
    "html script": f"<script>fetch('{BEACON}/script')</script>",
    "streamlit directives": ":red[alarm] :material/warning: :smile: :rainbow-background[x]",
    "formula": f"$\\href{{{BEACON}/katex}}{{x}}$",
    "heading and list": "# Heading\n- item\n> quote",
    "rtl override": "report\u202egpj.exe",
    "nul byte": "a\x00b",
    "one megabyte": "M" * 1_000_000,
}
"""Name -> hostile text."""

SHORT = {name: text for name, text in PAYLOADS.items() if len(text) < 1000}


def payload_cohort():
    """A validated demo-like cohort whose ids, centres, symptoms, events, triggers and extra columns are payloads.

    The payloads are put in after validation, so the cohort tests the display
    even of values the validator would refuse.
    """
    from omalizumab_core.data.cohort import Cohort
    from omalizumab_core.data.loading import load_upload
    from omalizumab_core.synthetic.synth import synthesize

    tables = synthesize(40, seed=3)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, frame in tables.items():
            archive.writestr(f"{name}.csv", frame.to_csv(index=False))
    clean = load_upload([("cohort.zip", buffer.getvalue())])

    texts = list(SHORT.values())
    patients = clean.patients.copy()
    old_ids = patients["patient_id"].astype(str).tolist()
    new_ids = {old: texts[i] for i, old in enumerate(old_ids[: len(texts)])}
    patients["patient_id"] = patients["patient_id"].astype(str).map(lambda v: new_ids.get(v, v)).astype(patients["patient_id"].dtype)
    patients["center"] = [list(PAYLOADS.values())[i % len(PAYLOADS)] for i in range(len(patients))]
    patients[f"![c]({BEACON}/column)"] = [texts[i % 3] for i in range(len(patients))]
    patients[":red[score]"] = [float(i) for i in range(len(patients))]

    def rename(frame: pd.DataFrame | None, text_column: str | None = None) -> pd.DataFrame | None:
        if frame is None:
            return None
        frame = frame.copy()
        dtype = frame["patient_id"].dtype
        ids = frame["patient_id"].astype(str).map(lambda v: new_ids.get(v, v))
        frame["patient_id"] = ids.astype("category") if isinstance(dtype, pd.CategoricalDtype) else ids.astype(dtype)
        if text_column is not None and text_column in frame:
            values = frame[text_column].astype(str)
            levels = sorted(values.unique())
            swap = {level: texts[i % len(texts)] for i, level in enumerate(levels[:4])}
            replaced = values.map(lambda v: swap.get(v, v))
            frame[text_column] = replaced.astype("category") if isinstance(frame[text_column].dtype, pd.CategoricalDtype) else replaced
        return frame

    anaphylaxis = pd.DataFrame({
        "patient_id": [texts[0], texts[1]], "month": [-3.0, 2.0], "grade": ["II", "I"],
        "epinephrine": pd.array([True, False], dtype="boolean"), "trigger": [texts[2], PAYLOADS["one megabyte"]],
    })
    return Cohort(
        patients=patients,
        symptoms=rename(clean.symptoms, "symptom"),
        doses=rename(clean.doses),
        adverse_events=rename(clean.adverse_events, "event"),
        labs=rename(clean.labs),
        anaphylaxis=anaphylaxis,
        source=f"Upload: ![f]({BEACON}/file).zip {PAYLOADS['one megabyte']}",
    )
