"""Figure 2 of Lemal et al. (2019): follow-up of responses, courses, duration of therapy.

Builders take the DataFrames of :mod:`omalizumab_core.analyses.follow_up` and return
plotly Figures with clinical labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from omalizumab_core.data.codes import RESPONSE_LABELS, RESPONSES, STATUS_LABELS, STATUSES
from omalizumab_core.analyses.follow_up import EVENT_KINDS
from omalizumab_core.outputs.figures import RESPONSE_COLORS, STATUS_COLORS, rgba

EVENT_MARKERS = {
    "first response": {"symbol": "circle-open", "color": "#2166ac", "size": 9, "line": {"width": 2}},
    "best response": {"symbol": "star", "color": "#2166ac", "size": 11},
    "loss of response": {"symbol": "x", "color": "#8c510a", "size": 10},
    "dose change": {"symbol": "diamond", "color": "#4d4d4d", "size": 8},
    "adverse event": {"symbol": "triangle-up", "color": "#c51b7d", "size": 9},
    "stop": {"symbol": "line-ns", "color": "black", "size": 12, "line": {"width": 3}},
}
EVENT_NAMES = {
    "first response": "First response",
    "best response": "Best response",
    "loss of response": "Loss of response",
    "dose change": "Dose change",
    "adverse event": "Adverse event",
    "stop": "Treatment stopped",
}
# Right column of the Sankey: persistent responses, then stops, no response last
# (across from best "no response", so the flows do not cross).
_TARGET_ORDER = ("CR", "MR", "PR", "loss_of_response", "intolerance", "lost_or_other", "no_response")
assert set(_TARGET_ORDER) == set(STATUSES)
SWIMMER_MAX_PATIENTS = 300
BOX_POINTS_MAX_PATIENTS = 2000


def sankey(flows: pd.DataFrame) -> go.Figure:
    """Sankey diagram from best response (left) to response at last follow-up (right).

    Parameters
    ----------
    flows : DataFrame
        Output of :func:`omalizumab_core.analyses.follow_up.response_flows`.
    """
    total = int(flows["n"].sum())
    sources = [c for c in RESPONSES if c in set(flows["source"])]
    targets = [s for s in _TARGET_ORDER if s in set(flows["target"])]
    out_n = flows.groupby("source")["n"].sum()
    in_n = flows.groupby("target")["n"].sum()
    labels = [f"Best: {RESPONSE_LABELS[c].lower()} ({int(out_n[c])})" for c in sources]
    labels += [f"Last follow-up: {_status_words(s)} ({int(in_n[s])})" for s in targets]
    colors = [RESPONSE_COLORS[c] for c in sources] + [STATUS_COLORS[s] for s in targets]
    index = {("s", c): i for i, c in enumerate(sources)} | {("t", s): len(sources) + i for i, s in enumerate(targets)}
    # Fixed positions keep the clinical order (best response first) top to bottom.
    y = _node_centres([int(out_n[c]) for c in sources]) + _node_centres([int(in_n[s]) for s in targets])
    x = [0.001] * len(sources) + [0.999] * len(targets)
    figure = go.Figure(
        go.Sankey(
            arrangement="fixed",
            # Dark, unshadowed labels: the default white halo made them pale on the coloured bands (issue 18).
            textfont={"size": 14, "color": "#111", "shadow": "none"},
            node={"label": labels, "color": colors, "x": x, "y": y, "pad": 18, "thickness": 18, "line": {"width": 0},
                  "hovertemplate": "%{label}<extra></extra>"},
            link={
                "source": [index[("s", c)] for c in flows["source"]],
                "target": [index[("t", s)] for s in flows["target"]],
                "value": flows["n"].astype(int).tolist(),
                "color": [rgba(RESPONSE_COLORS[c], 0.35) for c in flows["source"]],
                "hovertemplate": "%{source.label} → %{target.label}: %{value} patients<extra></extra>",
            },
        )
    )
    figure.update_layout(
        title=f"Follow-up of responses: best response to response at last follow-up (N={total})",
        height=max(360, 60 * max(len(sources), len(targets)) + 120),
        margin={"l": 20, "r": 20, "t": 60, "b": 20},
    )
    return figure


def _box_summary(values: pd.Series) -> dict:
    """Precomputed box (quartiles, whiskers at the last values within 1.5 IQR, as plotly draws them)."""
    q1, median, q3 = (float(values.quantile(q)) for q in (0.25, 0.5, 0.75))
    iqr = q3 - q1
    inside = values[(values >= q1 - 1.5 * iqr) & (values <= q3 + 1.5 * iqr)]
    return {"q1": [q1], "median": [median], "q3": [q3], "lowerfence": [float(inside.min())], "upperfence": [float(inside.max())]}


def _node_centres(sizes: list[int], gap: float = 0.04) -> list[float]:
    """Vertical centres (0 top, 1 bottom) of stacked nodes proportional to their sizes."""
    total = sum(sizes) or 1
    free = max(1.0 - gap * (len(sizes) - 1), 0.5)
    centres, top = [], 0.0
    for size in sizes:
        height = free * size / total
        centres.append(min(max(top + height / 2, 0.001), 0.999))
        top += height + gap
    return centres


def _status_words(status: str) -> str:
    label = STATUS_LABELS[status]
    return label[0].lower() + label[1:]


def swimmer_plot(bars: pd.DataFrame, events: pd.DataFrame, *, max_patients: int = SWIMMER_MAX_PATIENTS, seed: int = 0) -> go.Figure:
    """One horizontal bar per patient (months on omalizumab) with the events along it.

    Parameters
    ----------
    bars, events : DataFrame
        Output of :func:`omalizumab_core.analyses.follow_up.swimmer_data`.
    max_patients : int
        Above this many patients a random sample (seeded) is drawn and the
        title says so.
    seed : int
        Seed of the sample.

    Notes
    -----
    Bars are coloured by best response; a triangle at the end of a bar marks
    a patient still treated at last follow-up. Every bar and marker carries
    the patient id in ``customdata[0]`` so a click opens that patient.
    """
    n_all = len(bars)
    shown = bars
    if n_all > max_patients:
        keep = bars["patient_id"].sample(n=max_patients, random_state=seed)
        shown = bars[bars["patient_id"].isin(keep)]
    order = shown["patient_id"].tolist()
    in_shown = events["patient_id"].isin(set(order))
    events = events[in_shown]
    months = shown["months_on_treatment"].fillna(0.0)

    figure = go.Figure()
    for code in RESPONSES:
        rows = shown["best_response"] == code
        if not rows.any():
            continue
        part = shown[rows]
        figure.add_trace(
            go.Bar(
                orientation="h",
                y=part["patient_id"],
                x=months[rows],
                name=f"Best: {RESPONSE_LABELS[code].lower()}",
                legendgroup="bars",
                legendgrouptitle_text="Best response",
                marker={"color": RESPONSE_COLORS[code]},
                customdata=np.column_stack([part["patient_id"], part["end_reason_label"]]),
                hovertemplate="%{customdata[0]}: %{x} months on omalizumab<br>%{customdata[1]}<extra></extra>",
            )
        )
    still = shown[shown["still_treated"]]
    if len(still):
        figure.add_trace(
            go.Scatter(
                x=still["months_on_treatment"].fillna(0.0),
                y=still["patient_id"],
                mode="markers",
                name="Still treated at last follow-up",
                legendgroup="events",
                legendgrouptitle_text="Events",
                marker={"symbol": "triangle-right", "color": "black", "size": 10},
                customdata=np.column_stack([still["patient_id"]]),
                hovertemplate="%{customdata[0]}: still treated at %{x} months<extra></extra>",
            )
        )
    for kind in EVENT_KINDS:
        rows = events[events["kind"] == kind]
        if not len(rows):
            continue
        marker = dict(EVENT_MARKERS[kind])
        if "line" in marker:
            marker["line"] = {**marker["line"], "color": marker["color"]}
        figure.add_trace(
            go.Scatter(
                x=rows["month"],
                y=rows["patient_id"],
                mode="markers",
                name=EVENT_NAMES[kind],
                legendgroup="events",
                legendgrouptitle_text="Events",
                marker=marker,
                customdata=np.column_stack([rows["patient_id"], rows["label"]]),
                hovertemplate="%{customdata[0]}, month %{x}: %{customdata[1]}<extra></extra>",
            )
        )
    title = "Course of each patient on omalizumab"
    if n_all > max_patients:
        title += f" (random sample of {max_patients} of {n_all} patients)"
    else:
        title += f" (N={n_all})"
    x_max = float(np.nanmax([months.max() if len(months) else 0.0, events["month"].max() if len(events) else 0.0, 1.0]))
    per_bar = 16 if len(order) <= 100 else 11
    figure.update_layout(
        title=title,
        barmode="overlay",
        bargap=0.35,
        height=max(320, per_bar * len(order) + 160),
        # A little room left of 0 so markers at the first injection are not cut.
        xaxis={"title": "Months since first injection", "range": [-0.6, 1.05 * x_max + 0.6], "showgrid": True},
        yaxis={
            "title": "Patient (longest treatment on top)",
            "type": "category",
            "categoryorder": "array",
            "categoryarray": order,
            # Explicit range: autorange pads a long category axis with empty rows.
            "range": [-0.7, len(order) - 0.3],
            "showticklabels": len(order) <= 100,
        },
        legend={"orientation": "v", "groupclick": "toggleitem"},
        margin={"l": 20, "r": 20, "t": 60, "b": 40},
        clickmode="event+select",
    )
    return figure


def duration_box(bars: pd.DataFrame) -> go.Figure:
    """Duration of omalizumab therapy by best response: box plot with every patient shown.

    Parameters
    ----------
    bars : DataFrame
        Output of :func:`omalizumab_core.analyses.follow_up.swimmer_data` (bars).

    Notes
    -----
    Above ``BOX_POINTS_MAX_PATIENTS`` patients the individual points are
    left out (only the boxes) and the title says so.
    """
    many = len(bars) > BOX_POINTS_MAX_PATIENTS
    figure = go.Figure()
    for code in RESPONSES:
        part = bars[(bars["best_response"] == code) & bars["months_on_treatment"].notna()]
        if not len(part):
            continue
        name = f"{RESPONSE_LABELS[code]} (n={len(part)})"
        style = {"name": name, "marker": {"color": RESPONSE_COLORS[code], "size": 6}, "showlegend": False}
        if many:
            figure.add_trace(go.Box(x=[name], **_box_summary(part["months_on_treatment"]), **style))
        else:
            figure.add_trace(
                go.Box(
                    y=part["months_on_treatment"],
                    boxpoints="all",
                    jitter=0.4,
                    pointpos=0,
                    customdata=np.column_stack([part["patient_id"]]),
                    hovertemplate="%{customdata[0]}: %{y} months<extra></extra>",
                    **style,
                )
            )
    title = "Duration of omalizumab therapy by best response"
    if many:
        title += f" ({len(bars)} patients: boxes only, individual patients not drawn)"
    figure.update_layout(
        title=title,
        yaxis={"title": "Duration of therapy (months)", "rangemode": "tozero"},
        xaxis={"title": "Best response"},
        height=420,
        margin={"l": 20, "r": 20, "t": 60, "b": 40},
    )
    return figure
