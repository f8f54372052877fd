"""Time to first and best response, and time to first improvement per symptom category.

Results, "Time to first response and duration of response" (Lemal et al. 2019):
    "Median time to response was 2 months and median time to best response was
    6 months. Regarding specific symptoms improvement, median time to first
    symptom improvement was 1 month [1 – 3 months] for general vasomotor
    symptoms (anaphylaxis, malaise, palpitations) and improvement required 2 to
    3 months for all the others symptoms [1 – 10 months]."

The paper's medians are among responders. This module gives those, and also
the cumulative incidence of response among all treated patients. By default it
is the Aalen–Johansen estimate with stopping treatment without a response as a
competing event (such a patient will never respond on treatment); patients
still treated without a response, or lost to follow-up, are censored. The
complement of a Kaplan–Meier curve that censors every non-responder (1 - KM)
is kept as a labelled sensitivity analysis: it estimates the incidence if
nobody stopped, and overstates the share of patients who respond.

Why one module of more than 600 lines: it is the one question of the Time to
response page (the paper's "time to first response" paragraph), from each
patient's time and status to the curves, their summaries, the tests between
groups and the first improvement per category; the statistics themselves live
in ``stats.competing_risks`` and ``stats.kaplan_meier``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from omalizumab_core.data.cohort import memory_of
from omalizumab_core.data.codes import CATEGORIES, CATEGORY_LABELS, GROUP_LABELS, GROUPS, KIT_LABELS, KIT_STATUSES, QUARTERS_PER_POINT, SEX_LABELS, SEXES, SUBGROUP_LABELS, SUBGROUPS
from omalizumab_core.engine.scoring import ScoredCohort, patient_positions
from omalizumab_core.formatting import median_iqr, months, n_pct, number, p_value, span
from omalizumab_core.stats.competing_risks import COMPETING, CENSORED, EVENT, aalen_johansen, gray_test, incidence_quantiles, logrank_test
from omalizumab_core.stats.kaplan_meier import kaplan_meier
from omalizumab_core.data.problems import TooFewPatients

MILESTONES = ("first", "best")
MILESTONE_LABELS = {"first": "First response", "best": "Best response"}
_MILESTONE_COLUMN = {"first": "months_to_first_response", "best": "months_to_best_response"}
METHODS = ("aalen_johansen", "kaplan_meier")
METHOD_LABELS = {
    "aalen_johansen": "Aalen–Johansen (stopping without response is a competing event)",
    "kaplan_meier": "1 − Kaplan–Meier (sensitivity: non-responders censored when they stop)",
}
METHOD_SHORT = {"aalen_johansen": "Aalen–Johansen", "kaplan_meier": "1 − Kaplan–Meier"}
LANDMARK_MONTHS = (3, 6, 12, 18, 24)

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

DATA_COLUMNS = ["patient_id", "milestone", "time", "event", "status", *SPLITS]
CURVE_COLUMNS = ["method", "milestone", "group", "time", "n_at_risk", "n_events", "n_competing", "n_censored", "cumulative_incidence", "ci_low", "ci_high"]
SUMMARY_COLUMNS = [
    "method", "milestone", "group", "n_patients", "n_without_time", "n_responders", "n_stopped",
    "median_months", "q1_months", "q3_months", "min_months", "max_months",
    "curve_q1", "curve_q1_low", "curve_q1_high",
    "curve_median", "curve_median_low", "curve_median_high",
    "curve_q3", "curve_q3_low", "curve_q3_high",
]
LANDMARK_COLUMNS = ["method", "milestone", "group", "month", "cumulative_incidence", "ci_low", "ci_high", "n_at_risk"]
TEST_COLUMNS = ["method", "milestone", "by", "test", "statistic", "df", "p_value"]
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
        not), status (1 responded, 2 stopped treatment without a response,
        0 censored: still treated without a response, or lost to follow-up),
        and the split columns group, subgroup, sex, kit_d816v.
        Patients with no time at all are left out: ``len(scored.outcomes) -
        len(result)`` counts them.

    Notes
    -----
    - A responder (best response CR, MR or PR) has the event at the month of
      first (best) response, as the paper's "time to first response and time
      to best response".
    - A non-responder's time is the end of treatment: the month of the
      last injection for a patient who stopped, the last follow-up for a
      patient still treated (``months_on_treatment``), or failing both the
      month of the last assessment. A patient with none of these has no time
      and is excluded.
    - A non-responder who stopped omalizumab (any end reason but lost to
      follow-up) has the competing event then (status 2); one still treated
      or lost to follow-up is censored (status 0).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> data = response_time_data(demo_scored())
    >>> int(data["event"].sum()), len(data)
    (43, 55)
    """
    if milestone not in MILESTONES:
        raise ValueError(f"milestone must be one of {MILESTONES}, not {milestone!r}")
    data = response_times(scored)
    return data[(data["milestone"] == milestone).to_numpy()].reset_index(drop=True)


def _all_response_time_data(scored: ScoredCohort, milestone: str) -> pd.DataFrame:
    o = scored.outcomes
    responder = (o["best_response"] != "NR").to_numpy()
    response_month = o[_MILESTONE_COLUMN[milestone]].to_numpy(dtype="float64")
    censor_month = o["months_on_treatment"].to_numpy(dtype="float64")
    censor_month = np.where(np.isnan(censor_month), o["last_assessment_month"].to_numpy(dtype="float64"), censor_month)
    time = np.where(responder, response_month, censor_month)
    patients = scored.cohort.patients
    reason = pd.Series(patients["end_reason"].array, index=patients["patient_id"]).reindex(o["patient_id"]).to_numpy(dtype=object)
    stopped = ~o["still_treated"].to_numpy(dtype=bool) & (reason != "lost_to_follow_up")
    status = np.where(responder, EVENT, np.where(stopped, COMPETING, CENSORED)).astype(np.int64)

    data = pd.DataFrame(
        {"code": np.arange(len(o)), "patient_id": o["patient_id"], "milestone": milestone, "time": time, "event": responder, "status": status},
        index=o.index,
    )
    for column in SPLITS:
        data[column] = split_values(scored, column)
    return data.loc[~np.isnan(time), ["code", *DATA_COLUMNS]].reset_index(drop=True)


def split_values(scored: ScoredCohort, by: str) -> pd.Series:
    """Each patient's group code for a split, aligned with ``scored.outcomes`` (missing -> "not_recorded")."""
    _check_by(by)
    o = scored.outcomes
    if by in o:
        values = o[by]
    else:
        patients = scored.cohort.patients
        source = patients[by] if by in patients else pd.Series(pd.NA, index=patients.index, dtype=object)
        values = pd.Series(source.array, index=patients["patient_id"]).reindex(o["patient_id"])
    # Vectorised on pandas' string arrays (no Python loop over 100,000 values).
    return pd.Series(values.array, index=o.index).fillna(NOT_RECORDED)


def _check_by(by) -> None:
    if by not in SPLITS:
        raise ValueError(f"by must be None or one of {tuple(SPLITS)}, not {by!r}")


def _milestone_rows(data: pd.DataFrame, milestone: str, by: str | None = None) -> pd.DataFrame:
    """One milestone's rows of :func:`response_times`, with only the columns a curve, summary or test reads.

    Time, event, status and the split column: the patient ids and the other
    text splits are not copied for every milestone at every rerun.
    """
    if by is not None:
        _check_by(by)
    columns = ["time", "event", "status"] + ([by] if by is not None else [])
    return data.loc[(data["milestone"] == milestone).to_numpy(), columns]


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
    _check_by(by)
    members = dict(tuple(data.groupby(data[by].astype(str), sort=False)))
    for code in _group_order(by, members):
        yield code, members[code]


def response_times(scored: ScoredCohort) -> pd.DataFrame:
    """:func:`response_time_data` for first and best response, stacked (for the histograms).

    Each patient's rows depend on that patient alone: both milestones are built
    once per scored cohort, and restricted once per selection (the page's
    summary, curves, tests and histogram all read this table).
    """
    return scored.per_selection("time_to_response.response_times", _selected_response_times)


def _selected_response_times(scored: ScoredCohort) -> pd.DataFrame:
    data = scored.per_patient("time_to_response.data",
                              lambda root: pd.concat([_all_response_time_data(root, m) for m in MILESTONES], ignore_index=True))
    return data.drop(columns="code").reset_index(drop=True)


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")


def _curve(members: pd.DataFrame, method: str) -> pd.DataFrame:
    """One group's cumulative incidence curve (columns of ``aalen_johansen``, std_error aside)."""
    status = members["status"].to_numpy(dtype=np.int64)
    if method == "aalen_johansen":
        return aalen_johansen(members["time"], status)
    curve = kaplan_meier(members["time"], status == EVENT)
    competing = aalen_johansen(members["time"], status)["n_competing"].to_numpy()
    return pd.DataFrame(
        {
            "time": curve["time"],
            "n_at_risk": curve["n_at_risk"],
            "n_events": curve["n_events"],
            "n_competing": competing,
            "n_censored": curve["n_censored"],
            "cumulative_incidence": curve["cumulative_incidence"],
            # S in [low, high] <=> 1 - S in [1 - high, 1 - low].
            "ci_low": 1.0 - curve["ci_high"],
            "ci_high": 1.0 - curve["ci_low"],
        }
    )


def time_to_response_curves(scored: ScoredCohort, *, by: str | None = None, method: str = "aalen_johansen") -> pd.DataFrame:
    """Cumulative incidence of first and of best response, by month.

    Parameters
    ----------
    scored : ScoredCohort
    by : {None, "group", "subgroup", "sex", "kit_d816v"}
        Split the curves by this patient characteristic.
    method : {"aalen_johansen", "kaplan_meier"}
        Aalen–Johansen with stopping treatment without response as a
        competing event (default), or 1 - Kaplan–Meier with every
        non-responder censored when treatment ends (sensitivity analysis).

    Returns
    -------
    DataFrame
        Columns ``CURVE_COLUMNS``: method, milestone, group ("all" without a
        split, else the group's code), time (months), n_at_risk, n_events
        (responding at that month), n_competing (stopping without response),
        n_censored, cumulative_incidence (share of patients responding by that
        month, 0 to 1) and its pointwise 95 % interval ci_low, ci_high.

    Notes
    -----
    - Aalen–Johansen: estimate, infinitesimal-jackknife standard error and
      log-transformed interval as R survival's ``survfit`` on a multi-state
      status (:func:`~omalizumab_core.stats.competing_risks.aalen_johansen`).
      Competing event: stopped omalizumab without a response; censored:
      still treated without a response, or lost to follow-up (see
      :func:`response_time_data`).
    - Kaplan–Meier: Greenwood's log-log interval
      (:func:`~omalizumab_core.stats.kaplan_meier.kaplan_meier`), turned into
      1 - S(t); stops count as censoring (n_competing is shown for
      information, those patients are in n_censored).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> curves = time_to_response_curves(demo_scored())
    >>> best = curves[curves["milestone"] == "best"]
    >>> round(float(best["cumulative_incidence"].iloc[-1]), 3)
    0.782
    """
    _check_method(method)
    data = response_times(scored)
    if data.empty:
        raise TooFewPatients("No patient in the selection has a time on treatment, so no time-to-response curve can be drawn.")
    frames = []
    for milestone in MILESTONES:
        rows = _milestone_rows(data, milestone, by)
        for code, members in _groups(rows, by):
            curve = _curve(members, method)
            curve.insert(0, "group", code)
            curve.insert(0, "milestone", milestone)
            curve.insert(0, "method", method)
            frames.append(curve)
    return pd.concat(frames, ignore_index=True)[CURVE_COLUMNS]


def incidence_at(curves: pd.DataFrame, months=LANDMARK_MONTHS) -> pd.DataFrame:
    """Cumulative incidence of response at landmark months, read off the curves.

    Parameters
    ----------
    curves : DataFrame
        Output of :func:`time_to_response_curves`.
    months : sequence of float
        Months at which to read the curves; a month after a curve's last
        observed time is left out for that curve (the estimate is not defined
        there).

    Returns
    -------
    DataFrame
        Columns ``LANDMARK_COLUMNS``: method, milestone, group, month, the
        cumulative incidence and its 95 % interval at that month (the curve is
        a right-continuous step function) and n_at_risk (patients still
        without response, stop or censoring at that month, as R
        ``summary(fit, times)``).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> table = incidence_at(time_to_response_curves(demo_scored()), months=[12, 18])
    >>> table.query("milestone == 'best'")["cumulative_incidence"].round(3).tolist()
    [0.709, 0.782]
    """
    rows = []
    keys = curves[["method", "milestone", "group"]].drop_duplicates().itertuples(index=False)
    for method, milestone, group in keys:
        curve = curves[(curves["method"] == method) & (curves["milestone"] == milestone) & (curves["group"] == group)]
        times = curve["time"].to_numpy(dtype="float64")
        for month in months:
            if not len(times) or month > times[-1]:
                continue
            i = int(np.searchsorted(times, month, side="right")) - 1
            after = int(np.searchsorted(times, month, side="left"))
            rows.append(
                {
                    "method": method,
                    "milestone": milestone,
                    "group": group,
                    "month": month,
                    "cumulative_incidence": float(curve["cumulative_incidence"].iloc[i]),
                    "ci_low": float(curve["ci_low"].iloc[i]),
                    "ci_high": float(curve["ci_high"].iloc[i]),
                    "n_at_risk": int(curve["n_at_risk"].iloc[after]) if after < len(curve) else 0,
                }
            )
    return pd.DataFrame(rows, columns=LANDMARK_COLUMNS)


def time_to_response_tests(scored: ScoredCohort, *, by: str, method: str = "aalen_johansen") -> pd.DataFrame:
    """Test of equal cumulative incidence of first and of best response between the groups of a split.

    Parameters
    ----------
    scored : ScoredCohort
    by : {"group", "subgroup", "sex", "kit_d816v"}
    method : {"aalen_johansen", "kaplan_meier"}
        Gray's test for the Aalen–Johansen curves, the log-rank test for the
        1 - Kaplan–Meier curves.

    Returns
    -------
    DataFrame
        Columns ``TEST_COLUMNS``, one row per milestone: method, milestone,
        by, test ("Gray" or "log-rank"), chi-square statistic, degrees of
        freedom (groups with patients - 1) and p-value (NaN with one group).
        Patients whose value of the split is not recorded form their own
        group, as on the curves.

    Notes
    -----
    Gray's test as R ``cmprsk::cuminc(ftime, fstatus, group)$Tests`` (rho =
    0); the log-rank test as R ``survdiff``
    (:mod:`omalizumab_core.stats.competing_risks`).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> time_to_response_tests(demo_scored(), by="group")["test"].tolist()
    ['Gray', 'Gray']
    """
    _check_method(method)
    if by not in SPLITS:
        raise ValueError(f"by must be one of {tuple(SPLITS)}, not {by!r}")
    data = response_times(scored)
    rows = []
    for milestone in MILESTONES:
        members = _milestone_rows(data, milestone, by)
        groups = members[by].astype(str).to_numpy(dtype=object)
        if method == "aalen_johansen":
            result = gray_test(members["time"], members["status"], groups) if len(members) else None
        else:
            result = logrank_test(members["time"], members["status"] == EVENT, groups) if len(members) else None
        test = result.iloc[0].to_dict() if result is not None else {"test": "Gray" if method == "aalen_johansen" else "log-rank", "statistic": np.nan, "df": 0, "p_value": np.nan}
        rows.append({"method": method, "milestone": milestone, "by": by, **test})
    return pd.DataFrame(rows, columns=TEST_COLUMNS)


def time_to_response_summary(scored: ScoredCohort, *, by: str | None = None, method: str = "aalen_johansen") -> pd.DataFrame:
    """Median time to first and best response, among responders and from the cumulative incidence curve.

    Parameters
    ----------
    scored : ScoredCohort
    by : {None, "group", "subgroup", "sex", "kit_d816v"}
        Also summarise each group of this characteristic (after the "all"
        rows).
    method : {"aalen_johansen", "kaplan_meier"}
        The curve the curve_* quartiles are read from (see
        :func:`time_to_response_curves`).

    Returns
    -------
    DataFrame
        Columns ``SUMMARY_COLUMNS``, one row per milestone and group: the
        method, number of patients with a time (n_patients) and without
        (n_without_time), of responders, of non-responders who stopped
        treatment (n_stopped, the competing event), the median, quartiles and
        range of months to response among responders, and the months by which
        the curve reaches 25 %, 50 % and 75 % (curve_q1, curve_median,
        curve_q3; NaN when the curve never reaches them: "not reached") with
        their 95 % intervals (*_low, *_high).

    Raises
    ------
    TooFewPatients
        When no patient of the selection responded.

    Notes
    -----
    - "Median time to response was 2 months and median time to best response
      was 6 months": the paper's medians are among responders (at least a
      PR); quartiles use linear interpolation (pandas' default).
    - The curve's quartiles count every patient: the first month by which a
      quarter (half, three quarters) of all patients are estimated to have
      responded; intervals by inverting the pointwise band (Brookmeyer and
      Crowley, :func:`~omalizumab_core.stats.competing_risks.incidence_quantiles`).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> summary = time_to_response_summary(demo_scored())
    >>> summary.set_index("milestone")["median_months"].to_dict()
    {'first': 2.0, 'best': 6.0}
    >>> summary.set_index("milestone")["curve_q3"].to_dict()
    {'first': 4.0, 'best': 16.0}
    """
    _check_method(method)
    data = response_times(scored)
    if not data["event"].any():
        raise TooFewPatients("No patient in the selection reached at least a partial response, so there is no time to response to summarise.")
    n_total = len(scored.outcomes)
    sizes = split_values(scored, by).astype(str).value_counts() if by is not None else None
    rows = []
    for milestone in MILESTONES:
        members_all = _milestone_rows(data, milestone, by)
        splits = [(ALL, members_all)] + (list(_groups(members_all, by)) if by is not None else [])
        for code, members in splits:
            times = members.loc[members["event"], "time"]
            quartiles = {}
            if len(members):
                q = incidence_quantiles(_curve(members, method)).set_index("quantile")
                for name in ("q1", "median", "q3"):
                    quartiles[f"curve_{name}"] = q.loc[name, "months"]
                    quartiles[f"curve_{name}_low"] = q.loc[name, "ci_low"]
                    quartiles[f"curve_{name}_high"] = q.loc[name, "ci_high"]
            in_group = n_total if code == ALL else int(sizes.get(code, 0))
            rows.append(
                {
                    "method": method,
                    "milestone": milestone,
                    "group": code,
                    "n_patients": len(members),
                    "n_without_time": in_group - len(members),
                    "n_responders": len(times),
                    "n_stopped": int((members["status"] == COMPETING).sum()),
                    "median_months": times.median() if len(times) else np.nan,
                    "q1_months": times.quantile(0.25) if len(times) else np.nan,
                    "q3_months": times.quantile(0.75) if len(times) else np.nan,
                    "min_months": times.min() if len(times) else np.nan,
                    "max_months": times.max() if len(times) else np.nan,
                    **quartiles,
                }
            )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _months_iqr(median, q1, q3) -> str:
    """"2 [1–3]"; "–" without a median."""
    return median_iqr(median, q1, q3)


def _months_range(low, high) -> str:
    return span(low, high)


def _curve_months(value, low, high) -> str:
    """A quartile of the curve with its interval: "6 (95 % CI 4–8)"; "not reached" when the curve never gets there."""
    if pd.isna(value):
        return "not reached"
    upper = "not reached" if pd.isna(high) else number(high)
    return f"{number(value)} (95 % CI {number(low)}–{upper})"


def _method_short(summary: pd.DataFrame) -> str:
    return METHOD_SHORT[summary["method"].iloc[0]] if len(summary) else METHOD_SHORT["aalen_johansen"]


def format_incidence_at(table: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Landmark incidences as a clinician reads them: "78.2 % (95 % CI 68.0–90.0)" per month."""
    out = pd.DataFrame(
        {
            "Milestone": table["milestone"].map(MILESTONE_LABELS),
            split_label(by): [group_label(by, g) for g in table["group"]],
            "Month": table["month"],
            "Patients responding (95 % CI)": [
                f"{100 * v:.1f} %" + ("" if pd.isna(lo) or pd.isna(hi) else f" ({100 * lo:.1f}–{100 * hi:.1f})")
                for v, lo, hi in zip(table["cumulative_incidence"], table["ci_low"], table["ci_high"])
            ],
            "Patients at risk": table["n_at_risk"],
        }
    )
    return out.drop(columns=[split_label(by)]) if by is None else out


def format_time_to_response_tests(tests: pd.DataFrame) -> pd.DataFrame:
    """The tests between groups with clinical labels."""
    return pd.DataFrame(
        {
            "Milestone": tests["milestone"].map(MILESTONE_LABELS),
            "Test": [f"{t} test" for t in tests["test"]],
            "Chi-square (df)": [("–" if pd.isna(x) else f"{x:.2f} ({d})") for x, d in zip(tests["statistic"], tests["df"])],
            "p": [("–" if pd.isna(p) else p_value(p)) for p in tests["p_value"]],
        }
    )


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
            "Stopped without response": [n_pct(r, n) for r, n in zip(summary["n_stopped"], summary["n_patients"])],
            "Responders: median months [IQR]": [
                _months_iqr(*v) for v in zip(summary["median_months"], summary["q1_months"], summary["q3_months"])
            ],
            "Responders: range (months)": [_months_range(*v) for v in zip(summary["min_months"], summary["max_months"])],
            **{
                f"{_method_short(summary)}: months to {label}": [
                    _curve_months(*v) for v in zip(summary[f"curve_{q}"], summary[f"curve_{q}_low"], summary[f"curve_{q}_high"])
                ]
                for q, label in (("q1", "25 %"), ("median", "50 % (median)"), ("q3", "75 %"))
            },
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
        value = months(row.median_months)
        out[row.milestone] = (value, f"Among {row.n_responders} responders; IQR {_months_range(row.q1_months, row.q3_months)} months")
    return out


def curve_headline(curves: pd.DataFrame) -> list[tuple[str, str, str]]:
    """Share of all patients responding by the last month of each curve, for metrics.

    Returns one (label, value, detail) per milestone of the "all" (or first)
    group, e.g. ("Best response by month 18", "78.2 %", "95 % CI 68.0–90.0 %;
    Aalen–Johansen").

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> curve_headline(time_to_response_curves(demo_scored()))[1][:2]
    ('Best response by month 18', '78.2 %')
    """
    out = []
    for milestone in MILESTONES:
        rows = curves[curves["milestone"] == milestone]
        if rows.empty:
            continue
        rows = rows[rows["group"] == rows["group"].iloc[0]]
        last = rows.iloc[-1]
        band = "" if pd.isna(last["ci_low"]) or pd.isna(last["ci_high"]) else f"95 % CI {100 * last['ci_low']:.1f}–{100 * last['ci_high']:.1f} %; "
        out.append(
            (
                f"{MILESTONE_LABELS[milestone]} by month {number(last['time'])}",
                f"{100 * last['cumulative_incidence']:.1f} %",
                band + METHOD_SHORT[last["method"]],
            )
        )
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
    has_category = scored.per_patient_values("time_to_response.baseline_categories", _baseline_categories)
    return rows, has_category.sum(axis=0)


def _baseline_categories(scored: ScoredCohort) -> np.ndarray:
    """Patients x categories of their baseline symptoms; kept from the pass of :func:`_all_first_improvements` when it ran."""
    found = memory_of(scored.cohort.symptoms).get(_BASELINE_CATEGORIES)
    if found is not None and found[0] is scored.cohort.patients:
        return found[1]
    return _symptom_codes(scored)[1]


_BASELINE_CATEGORIES = "time_to_response.baseline_categories"


def _symptom_codes(scored: ScoredCohort) -> tuple[dict, np.ndarray]:
    """Symptom rows as codes, and for each patient the categories of their baseline symptoms (patients x categories)."""
    symptoms = scored.cohort.symptoms
    patients = scored.cohort.patients
    p = patient_positions(symptoms["patient_id"], patients)
    # Codes in their native small integer types; only the selected rows are widened.
    symptom = symptoms["symptom"]
    s = symptom.array.codes if isinstance(symptom.dtype, pd.CategoricalDtype) else pd.factorize(symptom)[0]
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
    rows, has_category = _symptom_codes(scored)
    # One pass over 13 million symptom rows serves both tables of _first_improvement.
    memory_of(scored.cohort.symptoms)[_BASELINE_CATEGORIES] = (scored.cohort.patients, has_category)
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
    # Each category's months (a mask per category: a handful of categories, cheaper than sorting the
    # rows); quartiles by linear interpolation, as pandas' groupby quantile and R's type 7.
    code = rows["category_code"].to_numpy()
    month = rows["month"].to_numpy(dtype="float64")
    present = [c for c in CATEGORIES if with_symptom.get(c, 0) > 0]
    records = []
    for category in present:
        values = month[code == CATEGORIES.index(category)]
        if len(values):
            q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
            summary = (len(values), median, q1, q3, values.min(), values.max())
        else:
            summary = (0, np.nan, np.nan, np.nan, np.nan, np.nan)
        records.append((category, int(with_symptom[category]), *summary))
    table = pd.DataFrame.from_records(records, columns=IMPROVEMENT_COLUMNS)
    return table.astype({column: "float64" for column in IMPROVEMENT_COLUMNS[3:]})  # months: NaN for a category none improved


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
