"""One patient's course under omalizumab, for the Patient page.

Pure functions of a :class:`~omalizumab_core.engine.scoring.ScoredCohort` (usually the
filtered one) and a patient id. They read the engine's results and never
re-derive a response category: the category at each assessment, the first and
the best response are the engine's, so this page and every cohort table agree.

An id that is not in the selection raises
:class:`~omalizumab_core.data.problems.TooFewPatients` ("Patient X is not in the
current selection" when filters left it out, "... is not in the cohort" when
no loaded patient has it), which the page shows in place of the course.

Why one module of more than 600 lines: every function answers the Patient
page's one question (this patient's course) and shares its look-ups; the
figures are already apart in outputs/figures/patient.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from omalizumab_core.data.codes import (
    ANALYTE_LABELS,
    CATEGORIES,
    CATEGORY_LABELS,
    DIAGNOSIS_LABELS,
    END_REASON_LABELS,
    GROUP_LABELS,
    KIT_LABELS,
    RESPONSE_LABELS,
    RESPONSES,
    SEX_LABELS,
    STATUS_LABELS,
    SUBGROUP_LABELS,
)
from omalizumab_core.engine.scoring import ScoredCohort
from omalizumab_core.formatting import median_range, months, number, percent, regimen
from omalizumab_core.data.problems import TooFewPatients

GAP_MONTHS = 3
TRAJECTORY_COLUMNS = [
    "month",
    "score",
    "baseline",
    "decrease_pct",
    "category",
    "is_first_response",
    "is_best_response",
    "worsened_symptoms",
    "new_symptoms",
]
GRID_COLUMNS = ["symptom", "category", "month", "value", "recorded", "new_symptom"]
GAP_COLUMNS = ["from_month", "to_month", "months", "ends_at"]
DOSE_COLUMNS = ["month", "dose_mg", "interval_days", "change", "regimen"]
# Months are data (possibly converted from dates to one decimal): a tolerance
# far below that resolution keeps "exactly 3 months" from counting as > 3.
_MONTH_TOLERANCE = 1e-9


def _outcome(scored: ScoredCohort, patient_id) -> pd.Series:
    rows = _rows(scored.outcomes, patient_id)
    if rows.empty:
        whole = scored.whole_cohort
        if whole is not scored and not _rows(whole.outcomes, patient_id).empty:
            raise TooFewPatients(f"Patient {patient_id} is not in the current selection. Pick another patient, or widen the filters.")
        raise TooFewPatients(f"Patient {patient_id} is not in the cohort ({scored.cohort.source}). Check the identifier, or pick a patient from the list.")
    return rows.iloc[0]


def _rows(frame: pd.DataFrame | None, patient_id) -> pd.DataFrame | None:
    """One patient's rows of a table (``built_table``: a selection's patient has the same rows in it).

    Compared as text, without converting every id to text (100,000 of them
    at registry scale): a categorical's codes are compared with the one code
    of ``patient_id``.
    """
    if frame is None:
        return None
    ids, key = frame["patient_id"], str(patient_id)
    if isinstance(ids.dtype, pd.CategoricalDtype):
        categories = ids.cat.categories
        text = categories if pd.api.types.is_string_dtype(categories.dtype) else categories.astype(str)
        found = np.flatnonzero((text == key))
        return frame.iloc[:0] if not len(found) else frame[np.isin(ids.array.codes, found)]
    if not pd.api.types.is_string_dtype(ids):  # ids built in code as numbers (an object column is looked into)
        ids = ids.astype(str)
    return frame[(ids == key).to_numpy(dtype=bool, na_value=False)]


def _patient_row(scored: ScoredCohort, patient_id) -> pd.Series:
    return _rows(scored.cohort.patients, patient_id).iloc[0]


def _missing(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x))


# --- header ---------------------------------------------------------------


def patient_header(scored: ScoredCohort, patient_id) -> dict:
    """Who the patient is and where they stand, as raw values and codes.

    Parameters
    ----------
    scored : ScoredCohort
        The (filtered) scored cohort.
    patient_id : str

    Returns
    -------
    dict
        patient_id, diagnosis, subgroup, group, kit_d816v, sex (codes or NA),
        age_at_treatment (years), center, months_on_treatment,
        still_treated (bool), end_reason (code), treatment_end_month,
        regimen (current or last regimen as text, None without a doses
        table or dose row), regimen_since_month, regimen_dose_mg,
        regimen_interval_days, best_response, best_response_decrease_pct
        (decrease of the symptom score at the best response; NaN for a
        non-responder),
        status_at_last_follow_up, baseline_symptoms, n_assessments.

    Raises
    ------
    TooFewPatients
        If the patient is not in ``scored``.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> header = patient_header(demo_scored(), "DEMO-003")
    >>> header["diagnosis"], header["best_response"], header["regimen"]
    ('ISM', 'MR', '150 mg every 2 weeks')
    """
    outcome = _outcome(scored, patient_id)
    patient = _patient_row(scored, patient_id)
    doses = dose_timeline(scored, patient_id)
    on_treatment = doses[doses["month"] <= outcome["months_on_treatment"] + _MONTH_TOLERANCE] if doses is not None else None
    if on_treatment is not None and on_treatment.empty:
        on_treatment = doses
    current = on_treatment.iloc[-1] if on_treatment is not None and len(on_treatment) else None
    return {
        "patient_id": str(patient_id),
        "diagnosis": patient["diagnosis"],
        "subgroup": outcome["subgroup"],
        "group": outcome["group"],
        "kit_d816v": patient["kit_d816v"],
        "sex": patient.get("sex"),
        "age_at_treatment": patient.get("age_at_treatment"),
        "center": patient.get("center"),
        "months_on_treatment": outcome["months_on_treatment"],
        "still_treated": bool(outcome["still_treated"]),
        "end_reason": patient["end_reason"],
        "treatment_end_month": patient["treatment_end_month"],
        "regimen": None if current is None else current["regimen"],
        "regimen_since_month": None if current is None else float(current["month"]),
        "regimen_dose_mg": None if current is None else float(current["dose_mg"]),
        "regimen_interval_days": None if current is None else float(current["interval_days"]),
        "best_response": outcome["best_response"],
        "best_response_decrease_pct": _decrease_at(scored, patient_id, outcome["months_to_best_response"]),
        "status_at_last_follow_up": outcome["status_at_last_follow_up"],
        "baseline_symptoms": int(outcome["baseline_symptoms"]),
        "n_assessments": int(outcome["n_assessments"]),
    }


_SHORT_STATUS = {
    "CR": "Persistent CR",
    "MR": "Persistent MR",
    "PR": "Persistent PR",
    "no_response": "No response",
    "loss_of_response": "Lost response",
    "intolerance": "Intolerance",
    "lost_or_other": "Lost or other",
}
_SHORT_END = {
    "lack_of_efficacy": "No efficacy",
    "loss_of_response": "Lost response",
    "intolerance": "Intolerance",
    "lost_to_follow_up": "Lost to follow-up",
    "pregnancy_intent": "Pregnancy",
    "other": "Other reason",
}
_SHORT_KIT = {"positive": "Positive", "negative": "Negative", "not_evaluated": "Not evaluated"}
_SHORT_INTERVAL = {7: "weekly", 14: "q2w", 21: "q3w", 28: "q4w"}


def _decrease_at(scored: ScoredCohort, patient_id, month) -> float:
    rows = _rows(scored.built_table("assessments"), patient_id)
    at = rows[rows["month"] == month]
    return float(at["decrease_pct"].iloc[0]) if len(at) else float("nan")


def format_header(header: dict) -> pd.DataFrame:
    """The header in words, short enough for a metric, with the full wording beside it.

    Returns
    -------
    DataFrame
        Columns ``Item`` (the label, e.g. "Diagnosis" or "Stopped at month
        3"), ``Value`` (short: "ISM", "MR (75 %)", "300 mg q2w") and
        ``Detail`` (in full: "Indolent systemic mastocytosis (ISM)"), in the
        order the page shows them.
    """
    def text(x, labels=None, fallback="Not recorded"):
        if _missing(x) or x == "":
            return fallback
        return labels.get(x, str(x)) if labels else str(x)

    diagnosis, subgroup, group = header["diagnosis"], header["subgroup"], header["group"]
    group_short = "Idiopathic" if group == "idiopathic" else "Primary" + (f" ({SUBGROUP_LABELS.get(subgroup, subgroup)})" if subgroup != diagnosis else "")
    if header["still_treated"]:
        status = ("Status", "Still treated", "Still treated")
    else:
        status = (f"Stopped at month {number(header['treatment_end_month'])}", text(header["end_reason"], _SHORT_END), text(header["end_reason"], END_REASON_LABELS))
    regimen_item = "Current regimen" if header["still_treated"] else "Last regimen"
    if header["regimen"] is None:
        regimen = (regimen_item, "None recorded", "No dose recorded")
    else:
        interval = header["regimen_interval_days"]
        short = f"{number(header['regimen_dose_mg'])} mg" + ("" if _missing(interval) else f" {_SHORT_INTERVAL.get(interval, f'every {number(interval)} d')}")
        since = f" since month {number(header['regimen_since_month'])}" if header["regimen_since_month"] else " from the first injection"
        regimen = (regimen_item, short, header["regimen"] + since)
    best = header["best_response"]
    decrease = header["best_response_decrease_pct"]
    best_value = best if _missing(decrease) else f"{best} ({number(decrease, decimals=0)} %)"
    best_detail = RESPONSE_LABELS[best] + ("" if _missing(decrease) else f": symptom score decreased by {number(decrease)} %")
    age = header["age_at_treatment"]
    age_text = "Not recorded" if _missing(age) else f"{number(age)} years"
    rows = [
        ("Diagnosis", text(diagnosis), text(diagnosis, DIAGNOSIS_LABELS)),
        ("Group", group_short, f"{GROUP_LABELS[group]}, subgroup {SUBGROUP_LABELS.get(subgroup, subgroup)}"),
        ("KIT D816V", text(header["kit_d816v"], _SHORT_KIT), text(header["kit_d816v"], KIT_LABELS)),
        ("Sex", text(header["sex"], SEX_LABELS), text(header["sex"], SEX_LABELS)),
        ("Age at treatment", age_text, age_text),
        ("Centre", text(header["center"]), text(header["center"])),
        ("Months on treatment", number(header["months_on_treatment"]), months(header['months_on_treatment'])),
        regimen,
        status,
        ("Best response", best_value, best_detail),
        ("At last follow-up", _SHORT_STATUS.get(header["status_at_last_follow_up"], "–"), STATUS_LABELS.get(header["status_at_last_follow_up"], "–")),
        ("Baseline symptoms", str(header["baseline_symptoms"]), f"{header['baseline_symptoms']} symptoms at baseline (baseline score)"),
    ]
    return pd.DataFrame(rows, columns=["Item", "Value", "Detail"])


# --- symptom score --------------------------------------------------------


def score_trajectory(scored: ScoredCohort, patient_id) -> pd.DataFrame:
    """The symptom score and response category at each on-treatment assessment.

    Returns
    -------
    DataFrame
        One row per assessment (month > 0), by month, with columns
        ``TRAJECTORY_COLUMNS``: score (points), baseline (B, number of
        baseline symptoms, the baseline score), decrease_pct, category
        (CR/MR/PR/NR, from the engine), is_first_response,
        is_best_response, worsened_symptoms, new_symptoms.

    Notes
    -----
    "Responses were assigned at time of best response": the first response is
    the first assessment with at least a PR, the best response the first
    assessment at the patient's best category (the engine's
    months_to_first_response and months_to_best_response); a patient who never
    responded has neither. An assessment can be NR with a score inside the PR
    or MR range when a baseline symptom is worse or a new symptom is present
    ("worsening of preexisting symptoms or apparition of new symptoms").

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> t = score_trajectory(demo_scored(), "DEMO-001")
    >>> t.loc[t["is_best_response"], ["month", "category"]].values.tolist()
    [[9.0, 'CR']]
    """
    outcome = _outcome(scored, patient_id)
    rows = _rows(scored.built_table("assessments"), patient_id).sort_values("month")
    month = rows["month"].to_numpy(dtype="float64")
    return pd.DataFrame(
        {
            "month": month,
            "score": rows["score"].to_numpy(dtype="float64"),
            "baseline": rows["baseline_score"].to_numpy(dtype="int64"),
            "decrease_pct": rows["decrease_pct"].to_numpy(dtype="float64"),
            "category": rows["category"].astype(str).to_numpy(dtype=object),
            "is_first_response": month == outcome["months_to_first_response"],
            "is_best_response": month == outcome["months_to_best_response"],
            "worsened_symptoms": rows["worsened_symptoms"].to_numpy(dtype="int64"),
            "new_symptoms": rows["new_symptoms"].to_numpy(dtype="int64"),
        },
        columns=TRAJECTORY_COLUMNS,
    )


def format_trajectory(trajectory: pd.DataFrame) -> pd.DataFrame:
    """The trajectory as a display table (labels in words)."""
    def mark(row):
        marks = [name for name, flag in (("first response", row.is_first_response), ("best response", row.is_best_response)) if flag]
        return ", ".join(marks)

    return pd.DataFrame(
        {
            "Month": [number(m) for m in trajectory["month"]],
            "Symptom score": [f"{number(s, decimals=2)} / {b}" for s, b in zip(trajectory["score"], trajectory["baseline"])],
            "Decrease from baseline": [percent(d) for d in trajectory["decrease_pct"]],
            "Response": [RESPONSE_LABELS[c] for c in trajectory["category"]],
            "Worsened symptoms": trajectory["worsened_symptoms"].to_numpy(),
            "New symptoms": trajectory["new_symptoms"].to_numpy(),
            "Marked": [mark(row) for row in trajectory.itertuples()],
        }
    )


def symptom_grid(scored: ScoredCohort, patient_id) -> pd.DataFrame:
    """Each symptom's value at baseline and at each on-treatment assessment.

    Returns
    -------
    DataFrame
        Long table with columns ``GRID_COLUMNS``: symptom, category (code of
        ``codes.CATEGORIES``), month, value (the symptom's score, 1.5 worse
        ... 0 disappeared), recorded (True if a row was recorded at that
        month, False if carried forward), new_symptom (True for a symptom
        absent at baseline). Baseline symptoms come first, by category and
        name, then new symptoms.

    Notes
    -----
    The months are month 0 and the engine's on-treatment assessments, so the
    sum of the baseline symptoms' values at a month is the symptom score of
    :func:`score_trajectory`. "Attributed the number 1 for all existing
    symptoms at baseline"; each symptom keeps its latest recorded value until
    the next record (carried forward). A new symptom appears from its first
    record on; before it, it has no row.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> grid = symptom_grid(demo_scored(), "DEMO-003")
    >>> int(grid["month"].nunique()), bool(grid["recorded"].all())
    (7, True)
    """
    _outcome(scored, patient_id)
    rows = _rows(scored.cohort.built_table("symptoms"), patient_id)
    assessed = _rows(scored.built_table("assessments"), patient_id)["month"].to_numpy(dtype="float64")
    months = np.unique(np.r_[0.0, assessed])
    rows = rows[rows["month"].isin(months)]
    if rows.empty:
        return pd.DataFrame(columns=GRID_COLUMNS)
    symptom = rows["symptom"].astype(str)
    category = rows["category"].astype(object) if "category" in rows else pd.Series("other", index=rows.index)
    recorded = (
        pd.DataFrame({"symptom": symptom, "month": rows["month"].to_numpy(dtype="float64"), "score": rows["score"].to_numpy(dtype="float64")})
        .drop_duplicates(["symptom", "month"], keep="last")
        .pivot(index="symptom", columns="month", values="score")
        .reindex(columns=months)
    )
    values = recorded.ffill(axis=1)
    categories = category.where(category.notna(), "other").groupby(symptom.to_numpy()).first()
    new = pd.Series(recorded[0.0].isna() if 0.0 in recorded else True, index=recorded.index)
    order = sorted(recorded.index, key=lambda s: (bool(new[s]), _category_rank(categories[s]), s))
    long = pd.DataFrame(
        {
            "symptom": np.repeat(order, len(months)),
            "month": np.tile(months, len(order)),
            "value": values.loc[order].to_numpy().ravel(),
            "recorded": recorded.loc[order].notna().to_numpy().ravel(),
        }
    )
    long["category"] = long["symptom"].map(categories).astype(object)
    long["new_symptom"] = long["symptom"].map(new).astype(bool)
    return long[long["value"].notna()][GRID_COLUMNS].reset_index(drop=True)


def _category_rank(code) -> int:
    return CATEGORIES.index(code) if code in CATEGORIES else len(CATEGORIES)


def format_symptom_grid(grid: pd.DataFrame) -> pd.DataFrame:
    """The grid as a wide display table: one row per symptom, one column per month.

    Carried-forward values are shown in brackets, e.g. "(0.5)".
    """
    if grid.empty:
        return pd.DataFrame(columns=["Symptom", "Category"])
    cell = [number(v, decimals=2) if r else f"({number(v, decimals=2)})" for v, r in zip(grid["value"], grid["recorded"])]
    frame = grid.assign(cell=cell, label=[f"{s} (new)" if n else s for s, n in zip(grid["symptom"], grid["new_symptom"])])
    order = list(dict.fromkeys(frame["label"]))
    wide = frame.pivot(index="label", columns="month", values="cell").reindex(order)
    wide.columns = [f"Month {number(m)}" for m in wide.columns]
    categories = frame.drop_duplicates("label").set_index("label")["category"].map(lambda c: CATEGORY_LABELS.get(c, str(c)))
    wide.insert(0, "Category", categories.reindex(order).to_numpy())
    return wide.fillna("").rename_axis("Symptom").reset_index()


# --- gaps -----------------------------------------------------------------


def assessment_gaps(scored: ScoredCohort, patient_id, *, longer_than: float = GAP_MONTHS) -> pd.DataFrame:
    """Intervals of more than ``longer_than`` months without a symptom assessment.

    Returns
    -------
    DataFrame
        Columns ``GAP_COLUMNS``: from_month, to_month, months (length),
        ends_at ("assessment", or "end_of_treatment" / "last_follow_up" for
        the interval after the last assessment).

    Notes
    -----
    A gap is an interval strictly longer than ``longer_than`` months between
    two consecutive assessments, counting baseline (month 0) and, after the
    last assessment, the end of treatment or the last follow-up while still
    treated. Exactly 3 months is not a gap. The 3-month default is this
    dashboard's choice, not the paper's: its visits were "every four to six
    weeks during the first three months then every three to six months".

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> assessment_gaps(demo_scored(), "DEMO-001").empty
    True
    """
    outcome = _outcome(scored, patient_id)
    months = np.unique(np.r_[0.0, _rows(scored.built_table("assessments"), patient_id)["month"].to_numpy(dtype="float64")])
    ends = ["assessment"] * (len(months) - 1)
    end = float(outcome["months_on_treatment"])
    if not np.isnan(end) and end > months[-1]:
        months = np.r_[months, end]
        ends.append("last_follow_up" if outcome["still_treated"] else "end_of_treatment")
    length = np.diff(months)
    keep = length > longer_than + _MONTH_TOLERANCE
    return pd.DataFrame(
        {"from_month": months[:-1][keep], "to_month": months[1:][keep], "months": length[keep], "ends_at": np.array(ends, dtype=object)[keep]},
        columns=GAP_COLUMNS,
    )


def describe_gaps(gaps: pd.DataFrame, *, longer_than: float = GAP_MONTHS) -> list[str]:
    """Each gap as a sentence ("No assessment between month 3 and month 9 (6 months).")."""
    if gaps.empty:
        return [f"No interval longer than {number(longer_than)} months without an assessment."]
    sentences = []
    for gap in gaps.itertuples():
        end = {
            "assessment": f"month {number(gap.to_month)}",
            "end_of_treatment": f"the end of treatment at month {number(gap.to_month)}",
            "last_follow_up": f"the last follow-up at month {number(gap.to_month)}",
        }[gap.ends_at]
        sentences.append(f"No assessment between month {number(gap.from_month)} and {end} ({months(gap.months)}).")
    return sentences


# --- doses, adverse events, labs -----------------------------------------


def regimen_text(dose_mg: float, interval_days: float) -> str:
    """"300 mg every 2 weeks", "150 mg every week", "150 mg every 10 days" (:func:`formatting.regimen`)."""
    return regimen(dose_mg, interval_days)


def dose_timeline(scored: ScoredCohort, patient_id) -> pd.DataFrame | None:
    """The patient's dose rows with the kind of each change.

    Returns
    -------
    DataFrame or None
        None when the cohort has no doses table; otherwise columns
        ``DOSE_COLUMNS``: month, dose_mg, interval_days, change ("start",
        "dose escalation", "weekly dosing", "interval shortened",
        "dose reduction", "interval lengthened", "unchanged") and regimen.

    Notes
    -----
    "A dose escalation to a maximum of 300 mg every two weeks was allowed
    [...]. A weekly administration of omalizumab was permitted (150 mg/week)":
    a shorter interval than before is weekly dosing when it is 7 days or less;
    at the same interval a higher dose is an escalation.
    """
    _outcome(scored, patient_id)
    rows = _rows(scored.cohort.built_table("doses"), patient_id)
    if rows is None:
        return None
    rows = rows.sort_values("month", kind="stable")
    dose = rows["dose_mg"].to_numpy(dtype="float64")
    interval = rows["interval_days"].to_numpy(dtype="float64")
    change = []
    for i in range(len(rows)):
        if i == 0:
            change.append("start")
        elif interval[i] < interval[i - 1]:
            change.append("weekly dosing" if interval[i] <= 7 else "interval shortened")
        elif interval[i] > interval[i - 1]:
            change.append("interval lengthened")
        elif dose[i] > dose[i - 1]:
            change.append("dose escalation")
        elif dose[i] < dose[i - 1]:
            change.append("dose reduction")
        else:
            change.append("unchanged")
    return pd.DataFrame(
        {
            "month": rows["month"].to_numpy(dtype="float64"),
            "dose_mg": dose,
            "interval_days": interval,
            "change": np.array(change, dtype=object),
            "regimen": np.array([regimen_text(d, n) for d, n in zip(dose, interval)], dtype=object),
        },
        columns=DOSE_COLUMNS,
    )


def patient_adverse_events(scored: ScoredCohort, patient_id) -> pd.DataFrame | None:
    """The patient's adverse events by month (None without an adverse-events table)."""
    _outcome(scored, patient_id)
    rows = _rows(scored.cohort.built_table("adverse_events"), patient_id)
    if rows is None:
        return None
    out = rows.drop(columns="patient_id").sort_values("month", kind="stable").reset_index(drop=True)
    out["event"] = out["event"].astype(str)
    return out


def patient_labs(scored: ScoredCohort, patient_id) -> pd.DataFrame | None:
    """The patient's laboratory values (month, analyte, value; None without a labs table)."""
    _outcome(scored, patient_id)
    rows = _rows(scored.cohort.built_table("labs"), patient_id)
    if rows is None:
        return None
    out = rows[["month", "analyte", "value"]].sort_values(["analyte", "month"], kind="stable").reset_index(drop=True)
    out["analyte"] = out["analyte"].astype(str)
    return out


def format_events(doses, adverse_events, labs) -> pd.DataFrame:
    """Doses, adverse events and labs as one display table on the time axis."""
    rows = []
    for d in (doses.itertuples() if doses is not None else ()):
        rows.append((d.month, "Dose", d.regimen, d.change.capitalize()))
    for e in (adverse_events.itertuples() if adverse_events is not None else ()):
        notes = [label for label, flag in (("serious", "serious"), ("flare", "flare"), ("led to discontinuation", "led_to_discontinuation")) if getattr(e, flag, False) is True]
        severity = "" if _missing(getattr(e, "severity", None)) else f" ({e.severity})"
        rows.append((e.month, "Adverse event", f"{e.event}{severity}", ", ".join(notes)))
    for l in (labs.itertuples() if labs is not None else ()):
        rows.append((l.month, "Laboratory", ANALYTE_LABELS.get(l.analyte, l.analyte), number(l.value)))
    frame = pd.DataFrame(rows, columns=["month", "Kind", "What", "Detail"]).sort_values("month", kind="stable")
    frame.insert(0, "Month", [number(m) for m in frame.pop("month")])
    return frame.reset_index(drop=True)


# --- the patient in the subgroup -----------------------------------------


@dataclass(frozen=True)
class SubgroupComparison:
    """The patient against the patients of the same subgroup (current filters).

    Attributes
    ----------
    subgroup : str
        The patient's analysis subgroup (code of ``codes.SUBGROUPS``).
    counts : DataFrame
        Best response in the subgroup: category (CR/MR/PR/NR), n, total,
        is_patient (the patient's own best response).
    timing : DataFrame
        measure ("first_response", "best_response"), patient_months,
        subgroup_median, subgroup_min, subgroup_max, subgroup_responders
        (responders of the subgroup with a time; the patient included).
    """

    subgroup: str
    counts: pd.DataFrame
    timing: pd.DataFrame


def patient_vs_subgroup(scored: ScoredCohort, patient_id) -> SubgroupComparison:
    """Best response and times to response of the patient against their subgroup.

    Notes
    -----
    The subgroup is the patient's analysis subgroup (ISM, SSM, CM, MMAS,
    idiopathic MCAS, ...) among the patients of ``scored``, i.e. under the
    current filters. Times are in months from the first injection, over
    responders only (a non-responder has no time to response), summarised as
    median (range).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> c = patient_vs_subgroup(demo_scored(), "DEMO-003")
    >>> c.subgroup, c.counts.set_index("category")["n"].tolist()
    ('ISM', [1, 16, 6, 6])
    """
    outcome = _outcome(scored, patient_id)
    subgroup = outcome["subgroup"]
    members = scored.outcomes[scored.outcomes["subgroup"] == subgroup]
    best = members["best_response"].value_counts()
    counts = pd.DataFrame(
        {
            "category": list(RESPONSES),
            "n": [int(best.get(c, 0)) for c in RESPONSES],
            "total": len(members),
            "is_patient": [c == outcome["best_response"] for c in RESPONSES],
        }
    )
    timing = []
    for measure, column in (("first_response", "months_to_first_response"), ("best_response", "months_to_best_response")):
        times = members[column].dropna().to_numpy(dtype="float64")
        timing.append(
            (
                measure,
                float(outcome[column]),
                float(np.median(times)) if len(times) else np.nan,
                float(times.min()) if len(times) else np.nan,
                float(times.max()) if len(times) else np.nan,
                len(times),
            )
        )
    columns = ["measure", "patient_months", "subgroup_median", "subgroup_min", "subgroup_max", "subgroup_responders"]
    return SubgroupComparison(subgroup, counts, pd.DataFrame(timing, columns=columns))


def format_subgroup_timing(comparison: SubgroupComparison) -> pd.DataFrame:
    """Times to first and best response: this patient vs the subgroup's median (range)."""
    label = SUBGROUP_LABELS.get(comparison.subgroup, comparison.subgroup)
    rows = []
    for t in comparison.timing.itertuples():
        patient = "No response" if _missing(t.patient_months) else months(t.patient_months)
        rows.append(
            (
                "Time to first response" if t.measure == "first_response" else "Time to best response",
                patient,
                median_range(t.subgroup_median, t.subgroup_min, t.subgroup_max, unit="months"),
                t.subgroup_responders,
            )
        )
    return pd.DataFrame(rows, columns=["", "This patient", f"{label}: median (range)", f"{label}: responders"])


# --- everything for the page ---------------------------------------------


@dataclass(frozen=True)
class PatientCourse:
    """Everything the Patient page shows for one patient (see the functions above)."""

    header: dict
    trajectory: pd.DataFrame
    grid: pd.DataFrame
    gaps: pd.DataFrame
    doses: pd.DataFrame | None
    adverse_events: pd.DataFrame | None
    labs: pd.DataFrame | None
    comparison: SubgroupComparison


def patient_course(scored: ScoredCohort, patient_id, *, longer_than: float = GAP_MONTHS) -> PatientCourse:
    """The whole course of one patient in one call (raises TooFewPatients for an unknown id).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> patient_course(demo_scored(), "DEMO-003").header["subgroup"]
    'ISM'
    """
    return PatientCourse(
        header=patient_header(scored, patient_id),
        trajectory=score_trajectory(scored, patient_id),
        grid=symptom_grid(scored, patient_id),
        gaps=assessment_gaps(scored, patient_id, longer_than=longer_than),
        doses=dose_timeline(scored, patient_id),
        adverse_events=patient_adverse_events(scored, patient_id),
        labs=patient_labs(scored, patient_id),
        comparison=patient_vs_subgroup(scored, patient_id),
    )
