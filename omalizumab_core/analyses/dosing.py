"""Dose modifications of omalizumab (Results, "Dose modifications").

The paper: "The recommended starting dose of omalizumab was 150 mg every 2
weeks [...]. A dose escalation to a maximum of 300 mg every two weeks was
allowed in order to improve a partial efficacy. A weekly administration of
omalizumab was permitted (150 mg/week), in case of reoccurrence of symptoms
prior to the following dose [...]." Results: "In 15/55 patients (27.3%), a dose
escalation was prescribed [...] (up to 300 mg every 15 days for 14 patients,
and up to 600 mg every 15 days for 1 patient) [...]. Among these 15 patients,
14 patients (93%) improved their response, with 6 patients (40%) reaching a MR
and 8 patients (53.3%) improving their PR." and "3 patients [...] modified to
a weekly schedule [...]. Among these 3 patients, 2 patients improved their
response, reaching 1 MR and 1 PR, and 1 patient was not improved [...] and
stopped omalizumab."

The doses table holds one row per prescribed regimen (the month it starts,
the dose per injection and the days between injections); these functions turn
it into regimens, changes of regimen and the response around each change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from omalizumab_core.data.codes import RESPONSE_LABELS
from omalizumab_core.engine.scoring import ScoredCohort, patient_positions
from omalizumab_core.formatting import n_of, n_pct, number, percent, regimen

DAYS_PER_4_WEEKS = 28
WEEKLY_DAYS = 7
CHANGE_KINDS = ("escalation", "weekly", "reduction", "other")
CHANGE_LABELS = {
    "escalation": "Dose escalation",
    "weekly": "Moved to weekly dosing",
    "reduction": "Dose reduction",
    "other": "Other change of regimen",
}
IMPROVEMENTS = ("better_category", "deeper_same_category", "not_improved", "no_assessment_after")
IMPROVEMENT_LABELS = {
    "better_category": "Improved: better response category",
    "deeper_same_category": "Improved: deeper response in the same category",
    "not_improved": "Not improved",
    "no_assessment_after": "No assessment after the change",
}
REGIMEN_COLUMNS = ["patient_id", "regimen", "start_month", "end_month", "dose_mg", "interval_days", "mg_per_4_weeks"]
CHANGE_COLUMNS = [
    "patient_id", "month", "kind", "from_dose_mg", "from_interval_days", "to_dose_mg", "to_interval_days", "to_mg_per_4_weeks",
    "category_before", "assessed_before_month", "decrease_before_pct", "best_category_after", "best_decrease_after_pct",
    "improvement", "improved", "from_regimen", "to_regimen",
]
SUMMARY_COLUMNS = ["kind", "measure", "category", "dose_mg", "interval_days", "n", "total", "regimen"]

_RANK = {"NR": 0, "PR": 1, "MR": 2, "CR": 3}
_CODE = np.array(["NR", "PR", "MR", "CR"], dtype=object)
_QUALITY_STEP = 2**32  # larger than any score in quarter points


def category_ranks(category: pd.Series) -> np.ndarray:
    """Ranks 0 NR .. 3 CR of an assessments category column."""
    if isinstance(category.dtype, pd.CategoricalDtype) and list(category.cat.categories) == list(_CODE):
        return category.cat.codes.to_numpy(dtype=np.int64)
    return category.astype(object).map(_RANK).to_numpy(dtype=np.int64)


def _doses(scored: ScoredCohort) -> pd.DataFrame:
    doses = scored.cohort.doses
    if doses is None:
        raise ValueError("The loaded cohort has no doses table.")
    return doses


def regimens(scored: ScoredCohort) -> pd.DataFrame:
    """Each patient's sequence of omalizumab regimens.

    Parameters
    ----------
    scored : ScoredCohort
        The (filtered) scored cohort; its cohort must have a doses table.

    Returns
    -------
    DataFrame
        One row per patient and regimen, columns ``REGIMEN_COLUMNS``:
        regimen (1 for the first), start_month, end_month (the next regimen's
        start, else the patient's months on treatment; NaN when unknown),
        dose_mg, interval_days and mg_per_4_weeks (the monthly-equivalent
        dose: dose × 28 / interval, so 150 mg every 2 weeks is 300 mg).

    Raises
    ------
    ValueError
        When the cohort has no doses table.

    Notes
    -----
    - A doses row starts a regimen; consecutive rows with the same dose and
      interval are one regimen. Rows of the same month: the last one given
      counts. Rows after the end of treatment are ignored.
    - The monthly equivalent is per 4 weeks (28 days), the unit of the
      omalizumab label's "every 4 weeks"; an interval of 0 days has none.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> r = regimens(demo_scored())
    >>> r[r["patient_id"] == "DEMO-047"][["start_month", "dose_mg", "interval_days", "mg_per_4_weeks"]].values.tolist()
    [[0.0, 150.0, 14.0, 300.0], [1.0, 600.0, 14.0, 1200.0]]
    """
    return _with_ids(_regimens(scored), scored)[REGIMEN_COLUMNS]


def _with_ids(frame: pd.DataFrame, scored: ScoredCohort) -> pd.DataFrame:
    """Patient ids from positions, added last: building text columns is the slow part at 100,000 patients."""
    return frame.assign(patient_id=scored.cohort.patients["patient_id"].to_numpy()[frame["code"].to_numpy()])


def _regimens(scored: ScoredCohort) -> pd.DataFrame:
    """:func:`regimens` with ``code``, the patient's position in the patients table.

    Each patient's regimens depend on that patient alone: they are computed
    once per scored cohort and each selection takes its patients' rows.
    """
    _doses(scored)
    return scored.per_patient("dosing.regimens", _all_regimens)


def _all_regimens(scored: ScoredCohort) -> pd.DataFrame:
    doses = _doses(scored)
    patients = scored.cohort.patients
    code = patient_positions(doses["patient_id"], patients)
    d = pd.DataFrame({
        "code": code,
        "month": doses["month"].to_numpy(dtype="float64"),
        "dose_mg": doses["dose_mg"].to_numpy(dtype="float64"),
        "interval_days": doses["interval_days"].to_numpy(dtype="float64"),
    })[code >= 0]
    end_of_row = patients["treatment_end_month"].to_numpy(dtype="float64")[d["code"].to_numpy()]
    d = d[np.isnan(end_of_row) | (d["month"].to_numpy() <= end_of_row)]
    d = d.iloc[np.lexsort((np.arange(len(d)), d["month"].to_numpy(), d["code"].to_numpy()))]
    # Same patient and month: keep the last row given.
    d = d[~d.duplicated(["code", "month"], keep="last")]
    code = d["code"].to_numpy()
    dose, interval = d["dose_mg"].to_numpy(), d["interval_days"].to_numpy()
    same_patient = np.r_[False, code[1:] == code[:-1]]
    same_regimen = same_patient & np.r_[False, (dose[1:] == dose[:-1]) & (interval[1:] == interval[:-1])]
    r = d[~same_regimen].reset_index(drop=True).rename(columns={"month": "start_month"})
    code, start = r["code"].to_numpy(), r["start_month"].to_numpy()
    first = np.r_[True, code[1:] != code[:-1]][: len(r)]
    r["regimen"] = (np.arange(len(r)) - np.maximum.accumulate(np.where(first, np.arange(len(r)), 0)) + 1).astype("int64")
    last = np.r_[code[1:] != code[:-1], True][: len(r)]
    on_treatment = scored.outcomes["months_on_treatment"].to_numpy(dtype="float64")[code]
    next_start = np.r_[start[1:], np.nan][: len(r)]
    # The last regimen runs to the end of treatment (or last follow-up), unknown if that is.
    r["end_month"] = np.where(last, np.where(np.isnan(on_treatment), np.nan, np.fmax(on_treatment, start)), next_start)
    with np.errstate(divide="ignore", invalid="ignore"):
        r["mg_per_4_weeks"] = np.where(r["interval_days"] > 0, r["dose_mg"] * DAYS_PER_4_WEEKS / r["interval_days"], np.nan)
    return r


def change_kind(from_dose, from_interval, to_dose, to_interval) -> np.ndarray:
    """Kind of each change of regimen (arrays in, codes of ``CHANGE_KINDS`` out).

    Notes
    -----
    In this order: "weekly" when the interval goes from more than 7 days to
    7 days or less (the paper's weekly schedule, whatever the dose);
    "escalation" for more omalizumab per day (a higher dose at the same or a
    shorter interval, the paper's escalation, but also the same dose more
    often, e.g. 300 mg every 4 weeks to every 2 weeks); "reduction" for less
    per day; "other" for the same amount per day on another schedule (e.g.
    150 mg every 2 weeks to 300 mg every 4 weeks). Amounts per day are
    compared as dose × the other regimen's interval, without division.
    """
    from_dose, from_interval = np.asarray(from_dose, float), np.asarray(from_interval, float)
    to_dose, to_interval = np.asarray(to_dose, float), np.asarray(to_interval, float)
    weekly = (to_interval <= WEEKLY_DAYS) & (from_interval > WEEKLY_DAYS)
    more = to_dose * from_interval > from_dose * to_interval
    less = to_dose * from_interval < from_dose * to_interval
    return np.select([weekly, more, less], ["weekly", "escalation", "reduction"], "other").astype(object)


def dose_changes(scored: ScoredCohort) -> pd.DataFrame:
    """Every change of regimen after the first, with the response around it.

    Returns
    -------
    DataFrame
        One row per change, columns ``CHANGE_COLUMNS``: the month of the
        change, its kind (see :func:`change_kind`), the regimen before and
        after, category_before (category at the last assessment at or before
        the change), assessed_before_month (NaN: no assessment yet, the
        patient is at baseline), best_category_after (best category at an
        assessment after the change, NA when there is none), the decreases of
        the symptom score at those assessments, improvement (code of
        ``IMPROVEMENTS``), improved (boolean, NA without assessment after),
        and from_regimen, to_regimen: the regimens as clinicians say them
        ("300 mg every 2 weeks"), beside the numbers they are made of.

    Notes
    -----
    - The assessment of the month of the change is the one that led to it:
      it counts as before. Before any assessment the patient is at baseline,
      a decrease of 0 %, which is no response.
    - The best assessment after the change is the best category, and within
      it the lowest symptom score.
    - "14 patients improved their response, with 6 patients reaching a MR and
      8 patients improving their PR": improved means a better category after
      than before, or the same PR or MR with a lower symptom score (a deeper
      decrease); scores are compared in whole quarter points, exactly.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> changes = dose_changes(demo_scored())
    >>> changes["kind"].value_counts().to_dict()
    {'escalation': 15, 'weekly': 3}
    """
    changes = _with_ids(_dose_changes(scored), scored)
    changes["from_regimen"] = regimen_labels(changes["from_dose_mg"], changes["from_interval_days"])
    changes["to_regimen"] = regimen_labels(changes["to_dose_mg"], changes["to_interval_days"])
    return changes[CHANGE_COLUMNS].reset_index(drop=True)


def _dose_changes(scored: ScoredCohort) -> pd.DataFrame:
    """:func:`dose_changes` with ``code``; computed once per scored cohort, like :func:`_regimens`."""
    _doses(scored)
    return scored.per_patient("dosing.changes", _all_dose_changes)


def _all_dose_changes(scored: ScoredCohort) -> pd.DataFrame:
    r = _regimens(scored)
    previous = r.shift(1)
    is_change = (r["regimen"] > 1).to_numpy()
    c = pd.DataFrame({
        "code": r["code"].to_numpy()[is_change],
        "month": r["start_month"].to_numpy()[is_change],
        "from_dose_mg": previous["dose_mg"].to_numpy(dtype="float64")[is_change],
        "from_interval_days": previous["interval_days"].to_numpy(dtype="float64")[is_change],
        "to_dose_mg": r["dose_mg"].to_numpy()[is_change],
        "to_interval_days": r["interval_days"].to_numpy()[is_change],
        "to_mg_per_4_weeks": r["mg_per_4_weeks"].to_numpy()[is_change],
    })
    c["kind"] = change_kind(c["from_dose_mg"], c["from_interval_days"], c["to_dose_mg"], c["to_interval_days"])
    return _response_around(c, scored.assessments, scored.cohort.patients).reset_index(drop=True)


def _response_around(changes: pd.DataFrame, assessments: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """Category before each change and best category after it (two as-of joins by patient position)."""
    a = pd.DataFrame({
        "code": patient_positions(assessments["patient_id"], patients),
        "month": assessments["month"].to_numpy(dtype="float64"),
        "rank": category_ranks(assessments["category"]),
        "score_q": np.rint(assessments["score"].to_numpy(dtype="float64") * 4).astype("int64"),
        "baseline_q": np.rint(assessments["baseline_score"].to_numpy(dtype="float64") * 4).astype("int64"),
        "decrease_pct": assessments["decrease_pct"].to_numpy(dtype="float64"),
    })
    changed = np.zeros(len(patients) + 1, dtype=bool)
    changed[changes["code"].to_numpy()] = True
    a = a[changed[a["code"].to_numpy()]]
    a = a.iloc[np.lexsort((a["month"].to_numpy(), a["code"].to_numpy()))]
    # Best assessment from each one to the patient's last: reverse running max of a quality key.
    a["quality"] = a["rank"] * _QUALITY_STEP - a["score_q"]
    a["best_quality_from_here"] = a.iloc[::-1].groupby("code", sort=False)["quality"].cummax().iloc[::-1]
    keys = changes.assign(order=np.arange(len(changes))).sort_values("month", kind="stable")
    by_month = a.sort_values("month", kind="stable")
    before = pd.merge_asof(
        keys, by_month[["code", "month", "rank", "score_q", "decrease_pct"]].rename(columns={"month": "assessed_before_month"}),
        left_on="month", right_on="assessed_before_month", by="code", direction="backward",
    )
    after = pd.merge_asof(
        keys[["month", "code", "order"]], by_month[["code", "month", "best_quality_from_here", "baseline_q"]].rename(columns={"month": "after_month"}),
        left_on="month", right_on="after_month", by="code", direction="forward", allow_exact_matches=False,
    )
    before = before.sort_values("order").reset_index(drop=True)
    after = after.sort_values("order").reset_index(drop=True)

    assessed = before["assessed_before_month"].notna().to_numpy()
    rank_before = np.where(assessed, before["rank"].fillna(0).to_numpy(), 0).astype("int64")
    score_before = before["score_q"].to_numpy(dtype="float64")
    has_after = after["after_month"].notna().to_numpy()
    quality = after["best_quality_from_here"].fillna(0).to_numpy().astype("int64")
    rank_after = -((-quality) // _QUALITY_STEP)  # ceiling: quality = rank * step - score
    score_after = rank_after * _QUALITY_STEP - quality
    baseline_q = after["baseline_q"].to_numpy(dtype="float64")

    better = has_after & (rank_after > rank_before)
    deeper = has_after & ~better & assessed & (rank_after == rank_before) & np.isin(rank_before, [_RANK["PR"], _RANK["MR"]]) & (score_after < score_before)
    improvement = np.select([~has_after, better, deeper], ["no_assessment_after", "better_category", "deeper_same_category"], "not_improved")

    out = before.drop(columns=["rank", "score_q", "order"])
    out["category_before"] = _CODE[rank_before]
    out["decrease_before_pct"] = np.where(assessed, before["decrease_pct"].to_numpy(dtype="float64"), 0.0)
    out["best_category_after"] = pd.array(np.where(has_after, _CODE[np.clip(rank_after, 0, 3)], None), dtype=object)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["best_decrease_after_pct"] = np.where(has_after, 100 * (baseline_q - score_after) / baseline_q, np.nan)
    out["improvement"] = improvement.astype(object)
    out["improved"] = pd.array(np.where(has_after, better | deeper, None), dtype="boolean")
    return out


def dosing_summary(scored: ScoredCohort) -> pd.DataFrame:
    """Patients whose regimen changed, to which regimen, and how they responded.

    Returns
    -------
    DataFrame
        Columns ``SUMMARY_COLUMNS``; one row per kind of change (escalation
        and weekly always, reduction and other when present) and measure:
        "patients" (with such a change; total = patients in the selection),
        "up_to" (escalations only: highest regimen reached by escalation, with
        dose_mg and interval_days), "improved", "reached" (a better category,
        one row per category CR/MR/PR reached), "deeper_same_category",
        "not_improved", "no_assessment_after" and "stopped" (omalizumab
        stopped later); totals are the patients with that kind of change;
        regimen: an "up_to" row's regimen as clinicians say it ("300 mg every
        2 weeks"), empty on the other rows.

    Notes
    -----
    A patient counts once per kind, on their first change of that kind: the
    response before it and the best response after it (see
    :func:`dose_changes`).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> s = dosing_summary(demo_scored())
    >>> s[s["measure"] == "up_to"][["dose_mg", "interval_days", "n", "total"]].to_dict("records")
    [{'dose_mg': 300.0, 'interval_days': 14.0, 'n': 14, 'total': 15}, {'dose_mg': 600.0, 'interval_days': 14.0, 'n': 1, 'total': 15}]
    """
    changes = _dose_changes(scored)
    n_patients = len(scored.outcomes)
    end = scored.cohort.patients["treatment_end_month"].to_numpy(dtype="float64")
    rows = []
    kinds = [k for k in CHANGE_KINDS if k in ("escalation", "weekly") or (changes["kind"] == k).any()]
    # Only the columns counted below: each kind's rows are copied, and sorted for "up_to".
    needed = ["code", "month", "to_dose_mg", "to_interval_days", "to_mg_per_4_weeks", "improvement", "best_category_after"]
    for kind in kinds:
        of_kind = changes.loc[(changes["kind"] == kind).to_numpy(), needed]
        first = of_kind.drop_duplicates("code", keep="first")
        k = len(first)
        rows.append((kind, "patients", None, np.nan, np.nan, k, n_patients))
        if kind == "escalation":
            highest = of_kind.sort_values(["to_mg_per_4_weeks", "month"], kind="stable").drop_duplicates("code", keep="last")
            for (dose, interval), group in highest.groupby(["to_dose_mg", "to_interval_days"], sort=True):
                rows.append((kind, "up_to", None, dose, interval, len(group), k))
        improvement = first["improvement"]
        rows.append((kind, "improved", None, np.nan, np.nan, int(improvement.isin(["better_category", "deeper_same_category"]).sum()), k))
        for category in ("CR", "MR", "PR"):
            reached = (improvement == "better_category") & (first["best_category_after"] == category)
            rows.append((kind, "reached", category, np.nan, np.nan, int(reached.sum()), k))
        for measure in ("deeper_same_category", "not_improved", "no_assessment_after"):
            rows.append((kind, measure, None, np.nan, np.nan, int((improvement == measure).sum()), k))
        stop = end[first["code"].to_numpy()]
        rows.append((kind, "stopped", None, np.nan, np.nan, int((stop >= first["month"].to_numpy()).sum()), k))
    frame = pd.DataFrame(rows, columns=SUMMARY_COLUMNS[:-1])
    frame[["n", "total"]] = frame[["n", "total"]].astype("int64")
    frame["regimen"] = [None if pd.isna(d) else regimen(d, i) for d, i in zip(frame["dose_mg"], frame["interval_days"])]
    return frame


def regimen_label(dose_mg, interval_days) -> str:
    """"300 mg every 2 weeks"; "150 mg every week" for 7 days (:func:`formatting.regimen`)."""
    return regimen(dose_mg, interval_days)


_MEASURE_LABELS = {
    "patients": "patients with this change",
    "improved": "improved their response",
    "deeper_same_category": "deeper response, same category",
    "not_improved": "not improved",
    "no_assessment_after": "no assessment after the change",
    "stopped": "stopped omalizumab afterwards",
}


def format_dosing_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary as printed: "Dose escalation", "up to 300 mg every 14 days", "14 (93.3 %)"."""
    rows = []
    for row in summary.itertuples(index=False):
        if row.measure == "up_to":
            label = f"up to {regimen_label(row.dose_mg, row.interval_days)}"
        elif row.measure == "reached":
            label = f"reaching {RESPONSE_LABELS[row.category].lower()}"
        else:
            label = _MEASURE_LABELS[row.measure]
        rows.append((CHANGE_LABELS[row.kind], label, n_pct(row.n, row.total), f"{row.total} patients"))
    return pd.DataFrame(rows, columns=["Change of regimen", "Measure", "n (%)", "Of"])


def format_dose_changes(changes: pd.DataFrame) -> pd.DataFrame:
    """One line per change, in words."""
    before = np.where(
        changes["assessed_before_month"].isna().to_numpy(),
        "Baseline (no assessment yet)",
        _each_distinct(changes["category_before"], lambda c: RESPONSE_LABELS.get(c, "–")),
    )
    return pd.DataFrame({
        "Patient": changes["patient_id"],
        "Month": _each_distinct(changes["month"], number),
        "Change": changes["kind"].map(CHANGE_LABELS),
        "From": regimen_labels(changes["from_dose_mg"], changes["from_interval_days"]),
        "To": regimen_labels(changes["to_dose_mg"], changes["to_interval_days"]),
        "Response before": before,
        "Decrease before": _each_distinct(changes["decrease_before_pct"], percent),
        "Best response after": _each_distinct(changes["best_category_after"], lambda c: RESPONSE_LABELS.get(c, "–") if isinstance(c, str) else "–"),
        "Best decrease after": _each_distinct(changes["best_decrease_after_pct"], percent),
        "Outcome": changes["improvement"].map(IMPROVEMENT_LABELS),
    })


def regimen_labels(dose_mg, interval_days) -> np.ndarray:
    """:func:`regimen_label` of each (dose, interval) pair, built once per distinct regimen."""
    dose = pd.Series(np.asarray(dose_mg, dtype="float64"))
    interval = pd.Series(np.asarray(interval_days, dtype="float64"))
    dose_code, doses = pd.factorize(dose, use_na_sentinel=False)
    interval_code, intervals = pd.factorize(interval, use_na_sentinel=False)
    pair_code, pairs = pd.factorize(dose_code.astype(np.int64) * max(len(intervals), 1) + interval_code)
    labels = [regimen_label(doses[c // max(len(intervals), 1)], intervals[c % max(len(intervals), 1)]) for c in pairs]
    return np.array(labels, dtype=object)[pair_code] if len(pair_code) else np.array([], dtype=object)


def _each_distinct(values, text) -> np.ndarray:
    """``text(value)`` for each value, computed once per distinct value (a 100,000-row table has a few hundred)."""
    codes, distinct = pd.factorize(pd.Series(values, dtype=object) if not isinstance(values, pd.Series) else values, use_na_sentinel=False)
    return np.array([text(v) for v in distinct] + [""], dtype=object)[codes] if len(codes) else np.array([], dtype=object)


def headline(summary: pd.DataFrame) -> dict[str, str]:
    """The page's key figures from :func:`dosing_summary`: label -> printed value."""
    def cell(kind, measure):
        row = summary[(summary["kind"] == kind) & (summary["measure"] == measure)]
        return (int(row["n"].iloc[0]), int(row["total"].iloc[0])) if len(row) else (0, 0)

    escalated, improved, weekly = cell("escalation", "patients"), cell("escalation", "improved"), cell("weekly", "patients")
    return {
        "Patients with a dose escalation": n_pct(*escalated),
        "Escalated patients who improved": n_of(*improved),
        "Patients moved to weekly dosing": n_pct(*weekly),
    }
