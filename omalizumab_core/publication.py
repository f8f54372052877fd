"""The loaded cohort side by side with the published one (Lemal et al. 2019).

On the demo cohort every figure agrees except the paper's own
inconsistencies, which are flagged; on an uploaded cohort the same table
compares another centre's results with the reference study.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd

from .codes import SUBGROUP_LABELS
from .engine import ScoredCohort
from .formatting import n_pct, number
from .response_table import response_counts

PUBLISHED = Path(__file__).resolve().parent / "published.toml"
NOT_AVAILABLE = "not available"
COLUMNS = ["section", "quantity", "published", "derived", "agrees", "note"]
_COLUMN_NAMES = {"all": "all patients", "primary": "primary MCAS", **{k: v for k, v in SUBGROUP_LABELS.items()}}
_TABLE2_ROWS = {
    "best_ORR": "best: overall response", "best_CR": "best: CR", "best_MR": "best: MR", "best_PR": "best: PR", "best_NR": "best: no response",
    "last_persistent": "last: persistent overall response", "last_CR": "last: CR", "last_MR": "last: MR", "last_PR": "last: PR",
    "last_no_persistent": "last: no persistent response", "last_no_response": "last: no response",
    "last_loss_of_response": "last: loss of response", "last_intolerance": "last: intolerance", "last_lost_or_other": "last: lost from follow-up",
}


def published_values() -> dict:
    with open(PUBLISHED, "rb") as handle:
        return tomllib.load(handle)


def publication_comparison(scored: ScoredCohort) -> pd.DataFrame:
    """Every published figure, its value in the loaded cohort, and whether they agree.

    Returns
    -------
    DataFrame
        Columns section, quantity, published, derived (formatted as the paper
        prints it), agrees (bool) and note (the paper's own inconsistencies).
    """
    published = published_values()
    rows = _table2_rows(scored, published["table2"])
    for derive in (_table1_rows, _time_rows, _duration_rows, _dosing_rows, _safety_rows, _biology_rows):
        rows += derive(scored)
    rows += [
        ("Inconsistencies of the paper", item["quantity"], item["printed"], item["consistent"], False, "The paper contradicts itself; the dashboard follows the tables.")
        for item in published["inconsistency"]
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["agrees"] = frame["agrees"].astype(bool)
    return frame


def _row(section, quantity, published, derived, note=""):
    """A comparison row; derived None means the cohort lacks the data."""
    if derived is None:
        return (section, quantity, str(published), NOT_AVAILABLE, False, note)
    return (section, quantity, str(published), str(derived), str(published) == str(derived), note)


def _table2_rows(scored, table2) -> list:
    counts = response_counts(scored.outcomes)
    rows = []
    for j, column in enumerate(table2["columns"]):
        c = counts[column]
        best, last = c["best"], c["last"]
        persistent = last["CR"] + last["MR"] + last["PR"]
        derived = {
            "best_ORR": best["CR"] + best["MR"] + best["PR"], "best_CR": best["CR"], "best_MR": best["MR"], "best_PR": best["PR"], "best_NR": best["NR"],
            "last_persistent": persistent, "last_CR": last["CR"], "last_MR": last["MR"], "last_PR": last["PR"],
            "last_no_persistent": c["n"] - persistent, "last_no_response": last["no_response"],
            "last_loss_of_response": last["loss_of_response"], "last_intolerance": last["intolerance"], "last_lost_or_other": last["lost_or_other"],
        }
        n_pub = table2["n"][j]
        rows.append(_row("Table 2", f"{_COLUMN_NAMES[column]}: patients", n_pub, c["n"]))
        for key, label in _TABLE2_ROWS.items():
            note = "The paper counts 2 stops for pregnancy intent under lost from follow-up." if key == "last_lost_or_other" and column == "all" else ""
            rows.append(_row("Table 2", f"{_COLUMN_NAMES[column]}: {label}", n_pct(table2[key][j], n_pub), n_pct(derived[key], c["n"]), note))
    return rows


def _count(frame: pd.DataFrame, column: str, value=True):
    if column not in frame or frame[column].isna().all():
        return None
    return int((frame[column] == value).sum())


def _yes_of_evaluated(frame, column):
    if column not in frame or frame[column].isna().all():
        return None
    return f"{int((frame[column] == True).sum())}/{int(frame[column].notna().sum())}"  # noqa: E712 (nullable boolean)


def _median_range(values: pd.Series, decimals=0):
    values = values.dropna()
    if values.empty:
        return None
    return f"{number(round(values.median(), decimals))} ({number(round(values.min(), decimals))}–{number(round(values.max(), decimals))})"


def _table1_rows(scored) -> list:
    from .contract import TABLE_COLUMNS

    # A cohort built in code may lack optional columns the loader would add.
    p = scored.cohort.patients.reindex(columns=list(dict.fromkeys([*scored.cohort.patients.columns, *(c.name for c in TABLE_COLUMNS["patients"])])))
    o = scored.outcomes
    rows = [
        _row("Table 1", "Sex, male/female", "17/38", f"{_count(p, 'sex', 'M')}/{_count(p, 'sex', 'F')}"),
        _row("Table 1", "Age at diagnosis, median (range), years", "41 (2–87)", _median_range(p["age_at_diagnosis"])),
        _row("Table 1", "Age at omalizumab treatment, median (range), years", "48 (17–93)", _median_range(p["age_at_treatment"])),
        _row(
            "Table 1", "Time from diagnosis to treatment, median (range), years", "3 (0.2–37)",
            _median_range(p["age_at_treatment"] - p["age_at_diagnosis"]),
            "Derived from ages at diagnosis and treatment; the demo pairs the two published age distributions and does not reproduce this interval.",
        ),
    ]
    for dx, published in (("ISM", "23/5/1"), ("CM", "3/6/2"), ("MCAS", "1/11/3")):
        sub = p[p["diagnosis"] == dx]
        derived = "/".join(str(int((sub["kit_d816v"] == k).sum())) for k in ("positive", "negative", "not_evaluated"))
        rows.append(_row("Table 1", f"{dx}: KIT D816V positive/negative/not evaluated", published, derived))
    tryptase = p["baseline_tryptase"]
    rows.append(_row("Table 1", "Baseline serum tryptase > 20 ng/mL", "21/55", None if tryptase.isna().all() else f"{int((tryptase > 20).sum())}/{int(tryptase.notna().sum())}"))
    for column, label, published, note in (
        ("who_dense_infiltrates", "WHO: multifocal dense mast cell infiltrates", "13/23", ""),
        ("who_atypical_morphology", "WHO: > 25 % atypical mast cells", "17/39", "Printed as 39 (44 %) of 39; 44 % of 39 is 17."),
        ("who_kit_816", "WHO: KIT codon 816 mutation", "27/49", ""),
        ("who_cd2_cd25", "WHO: CD2 and/or CD25 expression", "18/34", ""),
        ("bone_marrow_involvement", "Involved bone marrow", "28/49", ""),
    ):
        rows.append(_row("Table 1", label, published, _yes_of_evaluated(p, column), note))
    for column, label, published in (("skin_involvement", "Involved skin", 35), ("maculopapular_cm", "Maculopapular cutaneous mastocytosis", 31), ("decreased_bone_density", "Decreased bone density", 17)):
        rows.append(_row("Table 1", label, published, _count(p, column)))
    therapies = p["prior_therapies"].fillna("").str.lower() if "prior_therapies" in p else None
    for therapy, published in (("h2 antihistamine", 50), ("h1 antihistamine", 49), ("montelukast", 39), ("sodium cromoglycate", 27), ("cladribine", 11), ("masitinib", 8), ("imatinib", 5), ("rapamycin", 3), ("interferon", 2)):
        derived = None if therapies is None else int(therapies.str.contains(therapy, regex=False).sum())
        rows.append(_row("Table 1", f"Previous therapy: {therapy}", published, derived))
    symptoms = scored.cohort.symptoms
    baseline = symptoms[symptoms["month"] == 0]
    rows.append(_row("Symptoms", "Mean number of baseline symptoms per patient", 11, number(round(len(baseline) / max(len(o), 1), 1))))
    rows.append(_row("Symptoms", "Patients with anaphylaxis", 14, int(baseline["symptom"].astype(str).str.lower().eq("anaphylaxis").sum())))
    return rows


def _time_rows(scored) -> list:
    o = scored.outcomes
    r = o[o["best_response"] != "NR"]
    med = lambda s: None if s.dropna().empty else number(s.median())  # noqa: E731
    losses = o[o["status_at_last_follow_up"] == "loss_of_response"]
    reasons = scored.cohort.patients["end_reason"].to_numpy()
    stops = pd.Series(reasons[(o["best_response"] == "NR").to_numpy()]).value_counts()
    return [
        _row("Time to response", "Median months to first response", 2, med(r["months_to_first_response"])),
        _row("Time to response", "Median months to best response", 6, med(r["months_to_best_response"])),
        _row("Time to response", "Sustained response ≥ 3 months among responders", "33/43", f"{int(r['sustained_3_months'].sum())}/{len(r)}"),
        _row("Time to response", "Losses of response", 4, len(losses)),
        _row("Time to response", "Non-responders stopping for lack of efficacy / intolerance", "9/3", f"{stops.get('lack_of_efficacy', 0)}/{stops.get('intolerance', 0)}"),
        _row("Time to response", "Patients still treated at last follow-up", 32, int(o["still_treated"].sum())),
    ]


def _duration_rows(scored) -> list:
    o = scored.outcomes
    d = o["months_on_treatment"]
    med = lambda s: None if s.dropna().empty else number(s.median())  # noqa: E731
    r = o["best_response"] != "NR"
    rows = [
        _row("Duration", "Median months of therapy, whole cohort", 9, med(d)),
        _row("Duration", "Median months of therapy, responders (range)", "11 (2–36)", _median_range(d[r])),
    ]
    for category, published in (("NR", 2), ("PR", 10), ("MR", 11), ("CR", 17)):
        rows.append(_row("Duration", f"Median months of therapy, best response {category}", published, med(d[o["best_response"] == category])))
    return rows


def _dosing_rows(scored) -> list:
    doses = scored.cohort.doses
    if doses is None:
        return [_row("Dosing", "Dose escalations", 15, None), _row("Dosing", "Moved to weekly dosing", 3, None)]
    escalated = doses.loc[doses["dose_mg"] > 150, "patient_id"].nunique()
    weekly = doses.loc[doses["interval_days"] <= 7, "patient_id"].nunique()
    to_600 = doses.loc[doses["dose_mg"] >= 600, "patient_id"].nunique()
    return [
        _row("Dosing", "Dose escalations", 15, escalated),
        _row("Dosing", "Escalations up to 600 mg every 2 weeks", 1, to_600),
        _row("Dosing", "Moved to weekly dosing", 3, weekly),
    ]


def _safety_rows(scored) -> list:
    events = scored.cohort.adverse_events
    if events is None:
        return [_row("Safety", "Patients with side effects", "16 (29.1 %)", None)]
    n = scored.cohort.n_patients
    with_events = events["patient_id"].nunique()
    stopped = events.loc[events["led_to_discontinuation"] == True, "patient_id"].nunique()  # noqa: E712
    flares = events.loc[events["flare"] == True, "patient_id"].nunique()  # noqa: E712
    severe_first = events.loc[(events["severity"] == "severe") & (events["month"] == 0), "patient_id"].nunique()
    return [
        _row("Safety", "Patients with side effects", "16 (29.1 %)", n_pct(with_events, n), "The abstract prints 28.6 % (16/56)."),
        _row("Safety", "Discontinuations for side effects", "6 (10.9 %)", n_pct(stopped, n), "The abstract prints 10.7 %."),
        _row("Safety", "Patients with a flare", 3, flares),
        _row("Safety", "Severe reaction at the first injection", 1, severe_first),
    ]


def _biology_rows(scored) -> list:
    labs = scored.cohort.labs
    rows = []
    for analyte, label, n_pub, before_pub, on_pub in (("tryptase", "Tryptase (ng/mL)", 15, "30.3", "32"), ("total_ige", "Total IgE (IU/mL)", 15, "235.1 (3.5–1616)", "772.8 (6.6–4356)")):
        pairs = None if labs is None else _lab_pairs(labs, analyte)
        if pairs is None or pairs.empty:
            rows += [_row("Biology", f"{label}: patients tested before and on therapy", n_pub, None)]
            continue
        fmt = (lambda s: number(round(s.mean(), 1))) if analyte == "tryptase" else (lambda s: f"{number(round(s.mean(), 1))} ({number(s.min())}–{number(s.max())})")
        rows += [
            _row("Biology", f"{label}: patients tested before and on therapy", n_pub, len(pairs)),
            _row("Biology", f"{label}: mean before therapy", before_pub, fmt(pairs["before"])),
            _row("Biology", f"{label}: mean on therapy", on_pub, fmt(pairs["on"])),
        ]
        if analyte == "total_ige":
            rows.append(_row("Biology", "Total IgE increased on therapy (> 20 %)", 11, int((pairs["on"] > 1.2 * pairs["before"]).sum())))
    return rows


def _lab_pairs(labs: pd.DataFrame, analyte: str) -> pd.DataFrame:
    """Latest value at month 0 or before, and first value after at least 3 months of treatment."""
    rows = labs[labs["analyte"] == analyte]
    before = rows[rows["month"] <= 0].sort_values("month").groupby("patient_id", observed=True)["value"].last()
    on = rows[rows["month"] >= 3].sort_values("month").groupby("patient_id", observed=True)["value"].first()
    pairs = pd.DataFrame({"before": before, "on": on}).dropna()
    return pairs if len(pairs) else pairs.iloc[0:0]


def agreement_summary(comparison: pd.DataFrame) -> tuple[int, int]:
    """(figures that agree, figures compared), inconsistencies of the paper excluded."""
    compared = comparison[comparison["section"] != "Inconsistencies of the paper"]
    return int(compared["agrees"].sum()), int(len(compared))
