"""Time to first and best response, and time to first improvement per symptom category.

Results, "Time to first response and duration of response" (Lemal et al. 2019):
    "Median time to response was 2 months and median time to best response was
    6 months. Regarding specific symptoms improvement, median time to first
    symptom improvement was 1 month [1 – 3 months] for general vasomotor
    symptoms (anaphylaxis, malaise, palpitations) and improvement required 2 to
    3 months for all the others symptoms [1 – 10 months]."

The paper's medians are among responders. This module gives those, and also
the Kaplan–Meier view, where a patient who never responded counts as "not yet
responded" until treatment stopped (censored), so the curves show the share of
all treated patients responding by each month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from omalizumab_core.data.codes import CATEGORIES, CATEGORY_LABELS, GROUP_LABELS, GROUPS, KIT_LABELS, KIT_STATUSES, QUARTERS_PER_POINT, SEX_LABELS, SEXES, SUBGROUP_LABELS, SUBGROUPS
from omalizumab_core.engine.scoring import ScoredCohort, patient_positions
from omalizumab_core.formatting import n_pct, number
from omalizumab_core.stats.kaplan_meier import kaplan_meier, km_quantiles
from omalizumab_core.data.problems import TooFewPatients

MILESTONES = ("first", "best")
MILESTONE_LABELS = {"first": "First response", "best": "Best response"}
_MILESTONE_COLUMN = {"first": "months_to_first_response", "best": "months_to_best_response"}

# Ways to split the curves: column -> (label, codes in display order, labels).
SPLITS = {
    "group": ("Group", GROUPS, GROUP_LABELS),
    "subgroup": ("Diagnosis subgroup", SUBGROUPS, SUBGROUP_LABELS),
    "sex": ("Sex", SEXES, SEX_LABELS),
    "kit_d816v": ("KIT D816V", KIT_STATUSES, KIT_LABELS),
}
ALL = "all"
NOT_RECORDED = "not_recorded"
_DENSE_LOOKUP_MAX = 10_000_000  # cells of the dense (patient x symptom) table of first months: 80 MB of float64

DATA_COLUMNS = ["patient_id", "milestone", "time", "event", *SPLITS]
CURVE_COLUMNS = ["milestone", "group", "time", "n_at_risk", "n_events", "n_censored", "cumulative_incidence", "ci_low", "ci_high"]
SUMMARY_COLUMNS = [
    "milestone", "group", "n_patients", "n_without_time", "n_responders",
    "median_months", "q1_months", "q3_months", "min_months", "max_months",
    "km_median", "km_q1", "km_q3",
]
IMPROVEMENT_COLUMNS = ["category", "n_with_symptom", "n_improved", "median_months", "q1_months", "q3_months", "min_months", "max_months"]


def group_label(by: str | None, code) -> str:
    """Clinical label of a group code of a split ("all" -> "All patients")."""
    if code == ALL:
        return "All patients"
    if code == NOT_RECORDED:
        return "Not recorded"
    return SPLITS[by][2].get(code, str(code)) if by in SPLITS else str(code)


def split_label(by: str | None) -> str:
    """Clinical name of a split ("subgroup" -> "Diagnosis subgroup")."""
    return "No split" if by is None else SPLITS[by][0]


def response_time_data(scored: ScoredCohort, *, milestone: str = "first") -> pd.DataFrame:
    """One row per patient: time to first (or best) response, or censoring.

    Parameters
    ----------
    scored : ScoredCohort
    milestone : {"first", "best"}
        First response (first assessment with at least a PR) or best response
        (first assessment at the patient's best category).

    Returns
    -------
    DataFrame
        Columns ``DATA_COLUMNS``: patient_id, milestone, time (months since
        the first injection), event (True: responded at ``time``; False:
        censored), and the split columns group, subgroup, sex, kit_d816v.
        Patients with no time at all are left out: ``len(scored.outcomes) -
        len(result)`` counts them.

    Notes
    -----
    - A responder (best response CR, MR or PR) has the event at the month of
      first (best) response, as the paper's "time to first response and time
      to best response".
    - A non-responder is censored at the end of treatment: the month of the
      last injection for a patient who stopped, the last follow-up for a
      patient still treated (``months_on_treatment``), or failing both the
      month of the last assessment. A patient with none of these has no time
      and is excluded.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> data = response_time_data(demo_scored())
    >>> int(data["event"].sum()), len(data)
    (43, 55)
    """
    if milestone not in MILESTONES:
        raise ValueError(f"milestone must be one of {MILESTONES}, not {milestone!r}")
    # Each patient's row depends on that patient alone: built once per scored cohort.
    data = scored.per_patient(f"time_to_response.data.{milestone}", lambda root: _all_response_time_data(root, milestone))
    return data.drop(columns="code").reset_index(drop=True)


def _all_response_time_data(scored: ScoredCohort, milestone: str) -> pd.DataFrame:
    o = scored.outcomes
    responder = (o["best_response"] != "NR").to_numpy()
    response_month = o[_MILESTONE_COLUMN[milestone]].to_numpy(dtype="float64")
    censor_month = o["months_on_treatment"].to_numpy(dtype="float64")
    censor_month = np.where(np.isnan(censor_month), o["last_assessment_month"].to_numpy(dtype="float64"), censor_month)
    time = np.where(responder, response_month, censor_month)

    data = pd.DataFrame({"code": np.arange(len(o)), "patient_id": o["patient_id"], "milestone": milestone, "time": time, "event": responder}, index=o.index)
    for column in SPLITS:
        data[column] = split_values(scored, column)
    return data.loc[~np.isnan(time), ["code", *DATA_COLUMNS]].reset_index(drop=True)


def split_values(scored: ScoredCohort, by: str) -> pd.Series:
    """Each patient's group code for a split, aligned with ``scored.outcomes`` (missing -> "not_recorded")."""
    if by not in SPLITS:
        raise ValueError(f"by must be None or one of {tuple(SPLITS)}, not {by!r}")
    o = scored.outcomes
    if by in o:
        values = o[by]
    else:
        patients = scored.cohort.patients
        source = patients[by] if by in patients else pd.Series(pd.NA, index=patients.index, dtype=object)
        values = pd.Series(source.array, index=patients["patient_id"]).reindex(o["patient_id"])
    # Vectorised on pandas' string arrays (no Python loop over 100,000 values).
    return pd.Series(values.array, index=o.index).fillna(NOT_RECORDED)


def _group_order(by: str, present) -> list:
    """Group codes present, in the codes' order, then any other value, then "not recorded"."""
    present = [str(v) for v in present]
    known = [c for c in SPLITS[by][1] if c in present]
    others = sorted(v for v in present if v not in SPLITS[by][1] and v != NOT_RECORDED)
    return known + others + ([NOT_RECORDED] if NOT_RECORDED in present else [])


def _groups(data: pd.DataFrame, by: str | None):
    """(code, rows) for each group present, in the codes' order."""
    if by is None:
        yield ALL, data
        return
    if by not in SPLITS:
        raise ValueError(f"by must be None or one of {tuple(SPLITS)}, not {by!r}")
    members = dict(tuple(data.groupby(data[by].astype(str), sort=False)))
    for code in _group_order(by, members):
        yield code, members[code]


def response_times(scored: ScoredCohort) -> pd.DataFrame:
    """:func:`response_time_data` for first and best response, stacked (for the histograms)."""
    return pd.concat([response_time_data(scored, milestone=m) for m in MILESTONES], ignore_index=True)


def time_to_response_curves(scored: ScoredCohort, *, by: str | None = None) -> pd.DataFrame:
    """Kaplan–Meier cumulative incidence of first and of best response.

    Parameters
    ----------
    scored : ScoredCohort
    by : {None, "group", "subgroup", "sex", "kit_d816v"}
        Split the curves by this patient characteristic.

    Returns
    -------
    DataFrame
        Columns ``CURVE_COLUMNS``: milestone, group ("all" without a split,
        else the group's code), time (months), n_at_risk, n_events,
        n_censored, cumulative_incidence (share of patients responding by that
        month, 0 to 1) and its 95 % interval ci_low, ci_high.

    Notes
    -----
    Non-responders are censored at the end of treatment (see
    :func:`response_time_data`); the interval is Greenwood's log-log one
    (:func:`~omalizumab_core.stats.kaplan_meier.kaplan_meier`), turned into
    1 - S(t).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> curves = time_to_response_curves(demo_scored())
    >>> sorted(curves["milestone"].unique())
    ['best', 'first']
    """
    data = response_times(scored)
    if data.empty:
        raise TooFewPatients("No patient in the selection has a time on treatment, so no time-to-response curve can be drawn.")
    frames = []
    for milestone in MILESTONES:
        rows = data[data["milestone"] == milestone]
        for code, members in _groups(rows, by):
            curve = kaplan_meier(members["time"], members["event"])
            frames.append(
                pd.DataFrame(
                    {
                        "milestone": milestone,
                        "group": code,
                        "time": curve["time"],
                        "n_at_risk": curve["n_at_risk"],
                        "n_events": curve["n_events"],
                        "n_censored": curve["n_censored"],
                        "cumulative_incidence": curve["cumulative_incidence"],
                        # S in [low, high] <=> 1 - S in [1 - high, 1 - low].
                        "ci_low": 1.0 - curve["ci_high"],
                        "ci_high": 1.0 - curve["ci_low"],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)[CURVE_COLUMNS]


def time_to_response_summary(scored: ScoredCohort, *, by: str | None = None) -> pd.DataFrame:
    """Median time to first and best response, among responders and by Kaplan–Meier.

    Parameters
    ----------
    scored : ScoredCohort
    by : {None, "group", "subgroup", "sex", "kit_d816v"}
        Also summarise each group of this characteristic (after the "all"
        rows).

    Returns
    -------
    DataFrame
        Columns ``SUMMARY_COLUMNS``, one row per milestone and group: number
        of patients with a time (n_patients) and without (n_without_time),
        of responders, the median, quartiles and range of months to response
        among responders, and the Kaplan–Meier median and quartiles with
        non-responders censored (NaN when the curve never reaches them).

    Raises
    ------
    TooFewPatients
        When no patient of the selection responded.

    Notes
    -----
    - "Median time to response was 2 months and median time to best response
      was 6 months": the paper's medians are among responders (at least a
      PR); quartiles use linear interpolation (pandas' default).
    - The Kaplan–Meier median is the first month by which half of all
      patients, non-responders included, are estimated to have responded; it
      is NaN when fewer than half ever respond.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> summary = time_to_response_summary(demo_scored())
    >>> summary.set_index("milestone")["median_months"].to_dict()
    {'first': 2.0, 'best': 6.0}
    """
    data = response_times(scored)
    if not data["event"].any():
        raise TooFewPatients("No patient in the selection reached at least a partial response, so there is no time to response to summarise.")
    n_total = len(scored.outcomes)
    sizes = split_values(scored, by).astype(str).value_counts() if by is not None else None
    rows = []
    for milestone in MILESTONES:
        members_all = data[data["milestone"] == milestone]
        splits = [(ALL, members_all)] + (list(_groups(members_all, by)) if by is not None else [])
        for code, members in splits:
            times = members.loc[members["event"], "time"]
            km = km_quantiles(kaplan_meier(members["time"], members["event"])) if len(members) else dict.fromkeys(("q1", "median", "q3"), np.nan)
            in_group = n_total if code == ALL else int(sizes.get(code, 0))
            rows.append(
                {
                    "milestone": milestone,
                    "group": code,
                    "n_patients": len(members),
                    "n_without_time": in_group - len(members),
                    "n_responders": len(times),
                    "median_months": times.median() if len(times) else np.nan,
                    "q1_months": times.quantile(0.25) if len(times) else np.nan,
                    "q3_months": times.quantile(0.75) if len(times) else np.nan,
                    "min_months": times.min() if len(times) else np.nan,
                    "max_months": times.max() if len(times) else np.nan,
                    "km_median": km["median"],
                    "km_q1": km["q1"],
                    "km_q3": km["q3"],
                }
            )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _months_iqr(median, q1, q3) -> str:
    """"2 [1–3]"; "–" without a median."""
    return "–" if pd.isna(median) else f"{number(median)} [{number(q1)}–{number(q3)}]"


def _months_range(low, high) -> str:
    return "–" if pd.isna(low) else f"{number(low)}–{number(high)}"


def _km_months(median, q1, q3) -> str:
    """Kaplan–Meier median [IQR]; a quartile the curve never reaches is "not reached"."""
    if pd.isna(median):
        return "not reached"
    upper = "not reached" if pd.isna(q3) else number(q3)
    return f"{number(median)} [{number(q1)}–{upper}]"


def format_time_to_response_summary(summary: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """The summary as the paper would print it: clinical labels, months as text.

    The column of patients without any time on treatment appears only when
    some patient lacks one.
    """
    table = pd.DataFrame(
        {
            "Milestone": summary["milestone"].map(MILESTONE_LABELS),
            split_label(by): [group_label(by, g) for g in summary["group"]],
            "Patients": summary["n_patients"],
            "Responders": [n_pct(r, n) for r, n in zip(summary["n_responders"], summary["n_patients"])],
            "Responders: median months [IQR]": [
                _months_iqr(*v) for v in zip(summary["median_months"], summary["q1_months"], summary["q3_months"])
            ],
            "Responders: range (months)": [_months_range(*v) for v in zip(summary["min_months"], summary["max_months"])],
            "Kaplan–Meier median months [IQR]": [
                _km_months(*v) for v in zip(summary["km_median"], summary["km_q1"], summary["km_q3"])
            ],
            "Patients without any time on treatment (excluded)": summary["n_without_time"],
        }
    )
    if by is None:
        table = table.drop(columns=[split_label(by)])
    if not (summary["n_without_time"] > 0).any():
        table = table.drop(columns=["Patients without any time on treatment (excluded)"])
    return table


def headline(summary: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Median months to first and best response of all patients, for metrics.

    Returns ``{milestone: (value, help)}``, e.g. ``{"first": ("2 months",
    "Among 43 responders; IQR 1–3 months")}``.
    """
    out = {}
    for row in summary[summary["group"] == ALL].itertuples():
        median = number(row.median_months)
        value = "–" if pd.isna(row.median_months) else f"{median} month{'' if median == '1' else 's'}"
        out[row.milestone] = (value, f"Among {row.n_responders} responders; IQR {_months_range(row.q1_months, row.q3_months)} months")
    return out


def first_improvement_times(scored: ScoredCohort) -> pd.DataFrame:
    """Months to the first improvement of each symptom category, per patient.

    Returns
    -------
    DataFrame
        Columns patient_id, category (code of ``codes.CATEGORIES``) and month:
        one row per patient and category in which some baseline symptom
        improved on treatment.

    Notes
    -----
    - A patient "has" a category when one of their baseline (month 0)
      symptoms is in it (the category of the baseline row).
    - First improvement: the first on-treatment assessment (month > 0, not
      after the last injection, as in the response engine) at which a
      baseline symptom of that category scores below 1 (slight improvement or
      better), compared in whole quarters of a point.
    """
    rows = _first_improvement(scored)[0]
    return pd.DataFrame(
        {
            "patient_id": scored.cohort.patients["patient_id"].to_numpy(dtype=object)[rows["code"].to_numpy()],
            "category": np.asarray(CATEGORIES, dtype=object)[rows["category_code"].to_numpy()],
            "month": rows["month"].to_numpy(),
        }
    )


def _first_improvement(scored: ScoredCohort) -> tuple[pd.DataFrame, np.ndarray]:
    """First-improvement rows, and patients with each category at baseline (array by category).

    Both depend on each patient alone: they are computed once per scored
    cohort (13 million symptom rows at registry scale) and each selection
    takes its patients' rows.
    """
    rows = scored.per_patient("time_to_response.first_improvement", _all_first_improvements)
    has_category = scored.per_patient_values("time_to_response.baseline_categories", lambda root: _symptom_codes(root)[1])
    return rows, has_category.sum(axis=0)


def _symptom_codes(scored: ScoredCohort) -> tuple[dict, np.ndarray]:
    """Symptom rows as codes, and for each patient the categories of their baseline symptoms (patients x categories)."""
    symptoms = scored.cohort.symptoms
    patients = scored.cohort.patients
    p = patient_positions(symptoms["patient_id"], patients)
    # Codes in their native small integer types; only the selected rows are widened.
    symptom = symptoms["symptom"]
    s = symptom.cat.codes.to_numpy() if isinstance(symptom.dtype, pd.CategoricalDtype) else pd.factorize(symptom)[0]
    category = symptoms["category"]
    if isinstance(category.dtype, pd.CategoricalDtype):
        c = category.cat.set_categories(list(CATEGORIES)).cat.codes.to_numpy()
    else:
        c = pd.Categorical(category, categories=list(CATEGORIES)).codes
    month = symptoms["month"].to_numpy(dtype="float64")
    known = (p >= 0) & (s >= 0)
    baseline = np.flatnonzero(known & (month == 0) & (c >= 0))
    has_category = np.zeros((len(patients), len(CATEGORIES)), dtype=bool)
    has_category[p[baseline], c[baseline].astype(np.int64)] = True
    return {"p": p, "s": s, "c": c, "month": month, "known": known, "baseline": baseline}, has_category


def _all_first_improvements(scored: ScoredCohort) -> pd.DataFrame:
    """Code (patient position), category and month of each patient's first improvement in each category."""
    rows, _ = _symptom_codes(scored)
    p, s, c, month, known, baseline = rows["p"], rows["s"], rows["c"], rows["month"], rows["known"], rows["baseline"]
    patients = scored.cohort.patients
    score = scored.cohort.symptoms["score"].to_numpy(dtype="float64")
    n_categories = len(CATEGORIES)
    n_symptoms = int(s.max()) + 1 if len(s) else 1
    base_p, base_s, base_c = p[baseline], s[baseline].astype(np.int64), c[baseline].astype(np.int64)

    # Rows where a symptom scores below 1. Scores are whole quarters, so
    # "< 1" is "at most 0.75"; comparing with 0.875, halfway between the two,
    # is exact whatever the representation noise of the stored value.
    below = np.flatnonzero(known & (month > 0) & (score < 1 - 0.5 / QUARTERS_PER_POINT))
    end = patients["treatment_end_month"].to_numpy(dtype="float64")
    row_p, when = p[below], month[below]
    on_treatment = ~(end[row_p] < when)  # not after the last injection
    key = row_p[on_treatment] * n_symptoms + s[below[on_treatment]].astype(np.int64)
    when = when[on_treatment]
    base_key = base_p * n_symptoms + base_s

    if len(patients) * n_symptoms <= _DENSE_LOOKUP_MAX:
        # First month below 1 of every (patient, symptom), in a dense table
        # (no sort, no hash), then read at the baseline symptoms only.
        first_by_symptom = np.full(len(patients) * n_symptoms, np.inf)
        np.minimum.at(first_by_symptom, key, when)
        base_first = first_by_symptom[base_key]
    else:
        # Too many distinct symptoms for a dense table: sort the rows by key.
        order = np.lexsort((when, key))
        key, when = key[order], when[order]
        pos = np.minimum(np.searchsorted(key, base_key), max(len(key) - 1, 0))
        base_first = np.where((pos < len(key)) & (key[pos] == base_key), when[pos], np.inf) if len(key) else np.full(len(base_key), np.inf)
    improved = np.isfinite(base_first)
    who, cat, when = base_p[improved], base_c[improved], base_first[improved]

    # Earliest month per (patient, category), in a dense table too.
    first_month = np.full(len(patients) * n_categories, np.inf)
    np.minimum.at(first_month, who * n_categories + cat, when)
    cells = np.flatnonzero(np.isfinite(first_month))
    return pd.DataFrame({"code": cells // n_categories, "category_code": cells % n_categories, "month": first_month[cells]})


def first_improvement_by_category(scored: ScoredCohort) -> pd.DataFrame:
    """Months to first improvement per symptom category: n, median, IQR, range.

    Returns
    -------
    DataFrame
        Columns ``IMPROVEMENT_COLUMNS``, one row per category present at
        baseline in the codes' order: category, n_with_symptom (patients with
        a baseline symptom of the category), n_improved (of those, patients
        in whom one improved), and the median, quartiles (linear
        interpolation) and range of months to that first improvement.

    Raises
    ------
    TooFewPatients
        When no baseline symptom of any patient improved.

    Notes
    -----
    "Median time to first symptom improvement was 1 month [1 – 3 months] for
    general vasomotor symptoms [...] and improvement required 2 to 3 months
    for all the others symptoms [1 – 10 months]": per patient and category,
    the first assessment at which a baseline symptom of that category scores
    below 1 (see :func:`first_improvement_times`).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> table = first_improvement_by_category(demo_scored()).set_index("category")
    >>> float(table.loc["general_vasomotor", "median_months"])
    1.0
    """
    rows, counts = _first_improvement(scored)
    if rows.empty:
        raise TooFewPatients("No baseline symptom improved in the selection, so there is no time to first improvement.")
    with_symptom = dict(zip(CATEGORIES, counts.tolist()))
    category = pd.Categorical.from_codes(rows["category_code"].to_numpy(), categories=list(CATEGORIES))
    grouped = pd.Series(rows["month"].to_numpy(), name="month").groupby(category, observed=True)
    stats = pd.DataFrame(
        {
            "n_improved": grouped.size(),
            "median_months": grouped.median(),
            "q1_months": grouped.quantile(0.25),
            "q3_months": grouped.quantile(0.75),
            "min_months": grouped.min(),
            "max_months": grouped.max(),
        }
    )
    stats.index = pd.Index(stats.index.astype(object), dtype=object)
    present = [c for c in CATEGORIES if with_symptom.get(c, 0) > 0]
    table = stats.reindex(present)
    table.insert(0, "n_with_symptom", [int(with_symptom.get(c, 0)) for c in present])
    table["n_improved"] = table["n_improved"].fillna(0).astype(int)
    return table.rename_axis("category").reset_index()[IMPROVEMENT_COLUMNS]


def format_first_improvement(summary: pd.DataFrame) -> pd.DataFrame:
    """The per-category table with clinical labels."""
    return pd.DataFrame(
        {
            "Symptom category": summary["category"].map(CATEGORY_LABELS),
            "Patients with the symptom at baseline": summary["n_with_symptom"],
            "Patients improved": [n_pct(k, n) for k, n in zip(summary["n_improved"], summary["n_with_symptom"])],
            "Months to first improvement, median [IQR]": [
                _months_iqr(*v) for v in zip(summary["median_months"], summary["q1_months"], summary["q3_months"])
            ],
            "Range (months)": [_months_range(*v) for v in zip(summary["min_months"], summary["max_months"])],
        }
    )
