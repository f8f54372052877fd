"""The response rules written as a plain per-patient loop, the way a researcher would.

This is an independent second implementation of the rules of
``omalizumab_core/engine/scoring.py`` (Lemal et al. 2019, "Efficacy assessment"),
written for clarity, not speed: a dict of each symptom's last value, a loop
over the assessment months, and exact arithmetic with ``fractions.Fraction``.
It serves two purposes:

* ``tests/test_reference_loop.py`` checks that the vectorised engine and this
  loop agree for every patient of a synthetic cohort on every field;
* ``benchmarks/run.py`` times it to report the engine's speed-up.

It shares nothing with the engine except the cohort tables: no import from
``omalizumab_core.engine.scoring``.

Rules, as this loop applies them
--------------------------------
* Rows after the patient's ``treatment_end_month`` are dropped.
* Baseline symptoms are those with a month-0 row; each starts at 1. B is
  their number.
* At each month m > 0 with at least one row (an assessment), every row at m
  updates its symptom's current value (last value carried forward). A
  symptom first seen after month 0 is new; it counts while its current value
  is above 0.
* S(m) is the sum of the baseline symptoms' current values. Category: NR if
  a new symptom is present, or (rule "any_symptom") if a baseline symptom is
  at 1.5, or if B = 0; otherwise CR if S = 0, MR if (B - S)/B > 1/2, PR if
  (B - S)/B >= 1/10, else NR.
* Per patient: best category (CR > MR > PR > NR, NR without assessments);
  first month with at least PR; first month at the best category; sustained
  if some run of consecutive responding assessments spans at least 3 months;
  status at last follow-up from the responder flag, still-treated flag, last
  category and end reason.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pandas as pd

ORDER = {"NR": 0, "PR": 1, "MR": 2, "CR": 3}
STOP_STATUS = {
    "loss_of_response": "loss_of_response",
    "lack_of_efficacy": "loss_of_response",
    "intolerance": "intolerance",
    "lost_to_follow_up": "lost_or_other",
    "pregnancy_intent": "lost_or_other",
    "other": "lost_or_other",
}
FIELDS = (
    "patient_id",
    "baseline_symptoms",
    "n_assessments",
    "best_response",
    "best_decrease_pct",
    "months_to_first_response",
    "months_to_best_response",
    "sustained_3_months",
    "last_assessment_month",
    "last_category",
    "still_treated",
    "status_at_last_follow_up",
)


def classify(score: Fraction, baseline: int, worsened: int, new: int, rule: str = "any_symptom") -> str:
    """Category of one assessment, with exact fractions."""
    if new > 0 or baseline == 0:
        return "NR"
    if rule == "any_symptom" and worsened > 0:
        return "NR"
    if score == 0:
        return "CR"
    decrease = (baseline - score) / baseline
    if decrease > Fraction(1, 2):
        return "MR"
    if decrease >= Fraction(1, 10):
        return "PR"
    return "NR"


def score_patient(rows, treatment_end_month, end_reason, rule: str = "any_symptom") -> dict:
    """Outcome of one patient from a list of (symptom, month, score) rows."""
    if not _missing(treatment_end_month):
        rows = [r for r in rows if not r[1] > treatment_end_month]
    baseline = sorted({symptom for symptom, month, _ in rows if month == 0})
    by_month: dict[float, list] = {}
    for symptom, month, score in rows:
        if month > 0:
            by_month.setdefault(month, []).append((symptom, score))

    current = {symptom: Fraction(1) for symptom in baseline}
    new_symptoms: dict[str, Fraction] = {}
    assessments = []  # (month, category, decrease_pct)
    for month in sorted(by_month):
        for symptom, score in by_month[month]:
            value = Fraction(score)  # exact: quarters are exact binary floats
            if symptom in current:
                current[symptom] = value
            else:
                new_symptoms[symptom] = value
        total = sum(current.values(), Fraction(0))
        worsened = sum(1 for v in current.values() if v == Fraction(3, 2))
        new = sum(1 for v in new_symptoms.values() if v > 0)
        category = classify(total, len(baseline), worsened, new, rule)
        decrease = float(100 * (len(baseline) - total) / len(baseline)) if baseline else math.nan
        assessments.append((month, category, decrease))

    best = max((c for _, c, _ in assessments), key=ORDER.get, default="NR")
    responder = ORDER[best] >= ORDER["PR"]
    first = next((m for m, c, _ in assessments if ORDER[c] >= ORDER["PR"]), None)
    first_best = next((m for m, c, _ in assessments if c == best), None)

    # Sustained: a run of consecutive responding assessments spanning >= 3 months
    # (months are data such as 2.5 or dates converted to one decimal: rounding
    # the difference guards against float noise like 5.3 - 2.3 = 2.9999999999999996).
    sustained = False
    run_start = None
    for month, category, _ in assessments:
        if ORDER[category] >= ORDER["PR"]:
            if run_start is None:
                run_start = month
            if round(month - run_start, 6) >= 3:
                sustained = True
        else:
            run_start = None

    still = _missing(treatment_end_month)
    last_category = assessments[-1][1] if assessments else None
    if not responder:
        status = "no_response"
    elif still:
        status = "loss_of_response" if last_category == "NR" else last_category
    else:
        status = STOP_STATUS.get(end_reason, "lost_or_other")
    decreases = [d for _, _, d in assessments if not math.isnan(d)]
    return {
        "baseline_symptoms": len(baseline),
        "n_assessments": len(assessments),
        "best_response": best,
        "best_decrease_pct": max(decreases) if decreases else math.nan,
        "months_to_first_response": first if responder else math.nan,
        "months_to_best_response": first_best if responder else math.nan,
        "sustained_3_months": sustained,
        "last_assessment_month": assessments[-1][0] if assessments else math.nan,
        "last_category": last_category,
        "still_treated": still,
        "status_at_last_follow_up": status,
    }


def reference_outcomes(patients: pd.DataFrame, symptoms: pd.DataFrame, rule: str = "any_symptom") -> pd.DataFrame:
    """Per-patient outcomes of a cohort, one patient at a time.

    Parameters
    ----------
    patients, symptoms : DataFrame
        The cohort's tables (``Cohort.patients``, ``Cohort.symptoms``).
    rule : {"any_symptom", "total_score"}

    Returns
    -------
    DataFrame
        One row per patient in the patients table's order, columns ``FIELDS``.
    """
    rows_of: dict[str, list] = {}
    for pid, symptom, month, score in zip(
        symptoms["patient_id"].astype(str).tolist(),
        symptoms["symptom"].astype(str).tolist(),
        symptoms["month"].tolist(),
        symptoms["score"].tolist(),
    ):
        rows_of.setdefault(pid, []).append((symptom, float(month), float(score)))

    results = []
    for pid, end, reason in zip(
        patients["patient_id"].astype(str).tolist(), patients["treatment_end_month"].tolist(), patients["end_reason"].tolist()
    ):
        outcome = score_patient(rows_of.get(pid, []), end, reason, rule)
        results.append({"patient_id": pid, **outcome})
    return pd.DataFrame(results, columns=list(FIELDS))


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
