"""Cohorts side by side: Table 1, Table 2, time to response and symptoms, with a test between cohorts (issue 20).

Every function takes a *pooled* scored cohort (the union built by
:func:`omalizumab_core.data.cohort_set.pool_cohorts`, scored and possibly
filtered), whose patients table has a ``cohort`` column. Each cohort is a
selection of it (no copy, no rescoring), and each analysis reuses the
single-cohort one (:mod:`overview`, :mod:`response_rates`,
:mod:`time_to_response`, :mod:`symptom_changes`), adding a between-cohort test:

- continuous characteristics: Mann–Whitney U (two cohorts) or Kruskal–Wallis
  (three or more), ``scipy.stats.mannwhitneyu`` / ``kruskal``;
- yes/no characteristics and response rates: Fisher's exact test
  (``scipy.stats.fisher_exact``, two cohorts) or Pearson's chi-square test of
  the cohorts x 2 table (three or more, ``scipy.stats.chi2_contingency``);
  for two cohorts, the difference in rates with Newcombe's hybrid score
  interval (method 10 of Newcombe, Stat Med 1998;17:873-90);
- cumulative incidence of response: Gray's K-sample test (Gray, Ann Stat
  1988;16:1141-54), as R ``cmprsk::cuminc``.

Tests compare different populations treated and assessed by different
teams: a difference is a prompt to look at the case mix (Table 1), not a
treatment effect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from omalizumab_core.analyses.overview import table1
from omalizumab_core.analyses.recorded import recorded_cohorts_only  # noqa: F401 (its home before; kept importable)
from omalizumab_core.analyses.response_rates import MEASURES, response_rates
from omalizumab_core.analyses.symptom_changes import symptom_changes, symptom_scores
from omalizumab_core.analyses.time_to_response import MILESTONES, response_times, time_to_response_curves
from omalizumab_core.data.cohort_set import COHORT_COLUMN
from omalizumab_core.data.problems import TooFewPatients
from omalizumab_core.engine.scoring import ScoredCohort
from omalizumab_core.formatting import ci, number, p_value
from omalizumab_core.stats.competing_risks import EVENT, gray_test, logrank_test
from omalizumab_core.stats.exact import _stats, difference_ci

TABLE1_COLUMNS = ["section", "characteristic", "cohort", "kind", "n", "total", "value", "low", "high", "test", "p_value"]
RATE_COLUMNS = ["measure", "cohort", "n", "total", "proportion", "ci_low", "ci_high", "difference", "difference_low", "difference_high", "test", "p_value"]
TEST_COLUMNS = ["method", "milestone", "test", "statistic", "df", "p_value"]
SYMPTOM_COLUMNS = ["row", "category", "cohort", "n_patients", "n_assessed", "mean_baseline", "mean_on_treatment", "n_improved", "test", "p_value"]

MANN_WHITNEY, KRUSKAL, FISHER, CHI_SQUARE = "Mann–Whitney U", "Kruskal–Wallis", "Fisher exact", "Chi-square"
_AGE_DX = "Age at diagnosis, years, median (range)"
_AGE_TX = "Age at omalizumab treatment, years, median (range)"
_DELAY = "Time from diagnosis to omalizumab, years, median (range)"
_SYMPTOMS = "Symptoms per patient, mean"


def cohort_names(scored: ScoredCohort) -> list[str]:
    """The cohorts of a pooled scored cohort, in the order they were pooled (a cohort filtered out is not listed).

    Raises ``ValueError`` when the patients table has no ``cohort`` column (a
    single cohort, not pooled).

    Examples
    --------
    >>> from omalizumab_core.synthetic.two_cohorts import two_demo_cohorts
    >>> cohort_names(two_demo_cohorts())
    ['Demo', 'Fewer responders']
    """
    patients = scored.cohort.patients
    if COHORT_COLUMN not in patients:
        raise ValueError("these patients come from one cohort: pool several cohorts first (pool_cohorts)")
    return [str(v) for v in pd.unique(patients[COHORT_COLUMN].to_numpy(dtype=object))]


def split_by_cohort(scored: ScoredCohort) -> dict[str, ScoredCohort]:
    """Each cohort of a pooled scored cohort, as a selection of it (nothing copied or rescored)."""
    values = scored.cohort.patients[COHORT_COLUMN].to_numpy(dtype=object) if COHORT_COLUMN in scored.cohort.patients else None
    names = cohort_names(scored)
    return {name: scored.restrict(values == name) for name in names}


def _need_two(names: list[str]) -> None:
    if len(names) < 2:
        raise TooFewPatients(
            "Only one cohort among the selected patients: load a second cohort on the Data page, "
            "or widen the Cohort filter, to compare cohorts."
        )


def _continuous_test(samples: list[np.ndarray]) -> tuple[str, float]:
    samples = [s[~np.isnan(s)] for s in samples]
    if sum(len(s) > 0 for s in samples) < 2:
        return ("", np.nan)
    samples = [s for s in samples if len(s)]
    if len(samples) == 2:
        return (MANN_WHITNEY, float(_stats().mannwhitneyu(samples[0], samples[1], alternative="two-sided").pvalue))
    if len(np.unique(np.concatenate(samples))) < 2:
        return (KRUSKAL, 1.0)
    return (KRUSKAL, float(_stats().kruskal(*samples).pvalue))


def _binary_test(n: list[int], total: list[int]) -> tuple[str, float]:
    pairs = [(int(k), int(t)) for k, t in zip(n, total) if t > 0]
    if len(pairs) < 2:
        return ("", np.nan)
    if len(pairs) == 2:
        (k1, n1), (k2, n2) = pairs
        return (FISHER, float(_stats().fisher_exact([[k1, n1 - k1], [k2, n2 - k2]], alternative="two-sided").pvalue))
    table = np.array([[k, t - k] for k, t in pairs])
    if (table.sum(axis=0) == 0).any():
        return (CHI_SQUARE, 1.0)
    return (CHI_SQUARE, float(_stats().chi2_contingency(table, correction=False).pvalue))


def cohort_table1(scored: ScoredCohort) -> pd.DataFrame:
    """Table 1 with one column per cohort and a test between cohorts on every characteristic.

    Parameters
    ----------
    scored : ScoredCohort
        A pooled scored cohort (patients table with a ``cohort`` column).

    Returns
    -------
    DataFrame
        Columns ``TABLE1_COLUMNS``: the rows of
        :func:`~omalizumab_core.analyses.overview.table1`'s "All patients"
        column for each cohort (section, characteristic, kind, n, total,
        value, low, high), with ``cohort`` the cohort's name, then the test
        between cohorts of that characteristic (the same on every cohort's
        row): test ("Mann–Whitney U", "Kruskal–Wallis", "Fisher exact",
        "Chi-square" or "" when none applies) and its two-sided p_value.

    Raises
    ------
    TooFewPatients
        When the selection holds fewer than two cohorts.

    Notes
    -----
    - Medians (ages, time from diagnosis) and the mean number of baseline
      symptoms: Mann–Whitney U for two cohorts (``scipy.stats.mannwhitneyu``
      with its default method: exact when a cohort has fewer than 8 patients
      and no value is tied, else the normal approximation with continuity
      correction and tie correction, which is R ``wilcox.test(exact =
      FALSE)``; R's default is exact up to 49 patients per group without
      ties), Kruskal–Wallis for three or more.
    - Counts: patients with the characteristic against the others of the
      cohort (or of those evaluated): Fisher's exact test for two cohorts
      (as R ``fisher.test``), Pearson's chi-square for three or more. A
      previous therapy named in one cohort only counts 0 in the others. The
      sex ratio has no test of its own (the "Male" row has it).

    Examples
    --------
    >>> from omalizumab_core.synthetic.two_cohorts import two_demo_cohorts
    >>> t = cohort_table1(two_demo_cohorts())
    >>> male = t[t["characteristic"] == "Male, n (%)"]
    >>> male[["cohort", "n", "total"]].values.tolist(), male["test"].iloc[0]
    ([['Demo', 17.0, 55.0], ['Fewer responders', 4.0, 6.0]], 'Fisher exact')
    """
    parts = split_by_cohort(scored)
    names = list(parts)
    _need_two(names)
    frames = []
    samples: dict[str, list[np.ndarray]] = {_AGE_DX: [], _AGE_TX: [], _DELAY: [], _SYMPTOMS: []}
    for name, part in parts.items():
        whole = table1(part)
        first = whole["column"].iloc[0]
        rows = whole[whole["column"] == first].drop(columns="column").assign(cohort=name)
        frames.append(rows)
        p = part.cohort.patients
        age_dx = pd.to_numeric(p.get("age_at_diagnosis", pd.Series(np.nan, index=p.index)), errors="coerce").to_numpy(dtype="float64")
        age_tx = pd.to_numeric(p.get("age_at_treatment", pd.Series(np.nan, index=p.index)), errors="coerce").to_numpy(dtype="float64")
        samples[_AGE_DX].append(age_dx)
        samples[_AGE_TX].append(age_tx)
        samples[_DELAY].append(age_tx - age_dx)
        samples[_SYMPTOMS].append(part.outcomes["baseline_symptoms"].to_numpy(dtype="float64"))
    long = pd.concat(frames, ignore_index=True)
    # Every characteristic in every cohort: a therapy nobody in a cohort named counts 0 there.
    keys = long[["section", "characteristic", "kind"]].drop_duplicates()
    grid = keys.merge(pd.DataFrame({"cohort": names}), how="cross")
    long = grid.merge(long, on=["section", "characteristic", "kind", "cohort"], how="left")
    sizes = {name: part.cohort.n_patients for name, part in parts.items()}
    count = (long["kind"] == "count") & long["n"].isna()
    long.loc[count, "n"] = 0.0
    long.loc[count, "total"] = long.loc[count, "cohort"].map(sizes).astype("float64")
    tests = {}
    for (section, characteristic, kind), rows in long.groupby(["section", "characteristic", "kind"], sort=False):
        rows = rows.set_index("cohort").reindex(names)
        if characteristic in samples:
            tests[(section, characteristic)] = _continuous_test(samples[characteristic])
        elif kind in ("count", "count_of_evaluated"):
            known = rows["total"].notna()
            tests[(section, characteristic)] = _binary_test(rows.loc[known, "n"].tolist(), rows.loc[known, "total"].tolist())
        else:
            tests[(section, characteristic)] = ("", np.nan)
    found = [tests[(s, c)] for s, c in zip(long["section"], long["characteristic"])]
    long["test"] = [f[0] for f in found]
    long["p_value"] = [f[1] for f in found]
    return long[TABLE1_COLUMNS]


def format_cohort_table1(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`cohort_table1` as printed: one column per cohort ("Name (N=55)"), then the test and its p.

    Examples
    --------
    >>> from omalizumab_core.synthetic.two_cohorts import two_demo_cohorts
    >>> shown = format_cohort_table1(cohort_table1(two_demo_cohorts()))
    >>> list(shown.columns)
    ['Demo (N=55)', 'Fewer responders (N=6)', 'Test between cohorts', 'p']
    """
    from omalizumab_core.analyses.overview import format_table1

    sizes = table.groupby("cohort", sort=False).apply(lambda rows: int(rows.loc[rows["kind"] == "count", "total"].max()) if (rows["kind"] == "count").any() else 0, include_groups=False)
    labelled = table.assign(column=[f"{name} (N={sizes[name]})" for name in table["cohort"]])
    wide = format_table1(labelled)
    first = table.drop_duplicates(["section", "characteristic"]).set_index(["section", "characteristic"])
    wide["Test between cohorts"] = [first.at[key, "test"] or "–" for key in wide.index]
    wide["p"] = [p_value(first.at[key, "p_value"]) if first.at[key, "test"] else "–" for key in wide.index]
    return wide


def cohort_response_rates(scored: ScoredCohort) -> pd.DataFrame:
    """Table 2 by cohort: every response rate with its exact CI, and the test between cohorts.

    Parameters
    ----------
    scored : ScoredCohort
        A pooled scored cohort (patients table with a ``cohort`` column).

    Returns
    -------
    DataFrame
        Columns ``RATE_COLUMNS``, one row per (measure, cohort) in Table 2's
        order: n, total, proportion and its exact (Clopper–Pearson) 95 % CI
        ci_low, ci_high (from
        :func:`~omalizumab_core.analyses.response_rates.response_rates`);
        then, the same on every cohort's row of a measure: with two cohorts
        the difference first cohort − second with Newcombe's hybrid score
        95 % CI (difference_low, difference_high) and Fisher's exact p; with
        three or more, no difference (NaN) and Pearson's chi-square p of the
        cohorts x (with, without) table. test names the test.

    Raises
    ------
    TooFewPatients
        When the selection holds fewer than two cohorts.

    Notes
    -----
    Newcombe RG. Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Stat Med 1998;17:873-90,
    method 10 (:func:`~omalizumab_core.stats.exact.difference_ci`, checked
    against the paper's Table II). Fisher's test as R ``fisher.test``
    (``scipy.stats.fisher_exact``).

    Examples
    --------
    >>> from omalizumab_core.synthetic.two_cohorts import two_demo_cohorts
    >>> rates = cohort_response_rates(two_demo_cohorts())
    >>> best = rates[rates["measure"] == "best_overall"]
    >>> best[["cohort", "n", "total"]].values.tolist()
    [['Demo', 43, 55], ['Fewer responders', 1, 6]]
    >>> round(float(best["p_value"].iloc[0]), 4)
    0.0051
    """
    names = cohort_names(scored)
    _need_two(names)
    rates = response_rates(scored, by=COHORT_COLUMN)
    rates = rates[rates["group"].isin(names)].rename(columns={"group": "cohort"})
    rows = []
    for measure in MEASURES:
        part = rates[rates["measure"] == measure].set_index("cohort").reindex(names)
        n, total = part["n"].astype(int).tolist(), part["total"].astype(int).tolist()
        test, p = _binary_test(n, total)
        low = high = difference = np.nan
        if len(names) == 2 and min(total) > 0:
            difference = n[0] / total[0] - n[1] / total[1]
            low, high = difference_ci(n[0], total[0], n[1], total[1])
        for name in names:
            rows.append({"measure": measure, "cohort": name, **part.loc[name, ["n", "total", "proportion", "ci_low", "ci_high"]].to_dict(),
                         "difference": difference, "difference_low": low, "difference_high": high, "test": test, "p_value": p})
    out = pd.DataFrame(rows, columns=RATE_COLUMNS)
    return out.astype({"n": "int64", "total": "int64"})


def format_cohort_response_rates(rates: pd.DataFrame) -> pd.DataFrame:
    """:func:`cohort_response_rates` as printed: Table 2 with a column per cohort, the difference and p.

    Examples
    --------
    >>> from omalizumab_core.synthetic.two_cohorts import two_demo_cohorts
    >>> shown = format_cohort_response_rates(cohort_response_rates(two_demo_cohorts()))
    >>> shown.loc["Overall response (CR + MR + PR)"].tolist()
    ['43 (78.2 %)', '1 (16.7 %)', '61.5 points [19.9 to 77.8]', 'p = 0.005']
    """
    from omalizumab_core.analyses.response_rates import format_table2_with_ci

    names = list(dict.fromkeys(rates["cohort"]))
    wide = format_table2_with_ci(rates.rename(columns={"cohort": "group"}), by="cohort")
    first = rates.drop_duplicates("measure").set_index("measure")
    # The table's rows: a heading per section, then per measure a rate line and its CI line (MEASURES order).
    difference, p, sections = [], [], set()
    for measure, (section, _) in MEASURES.items():
        if section not in sections:
            sections.add(section)
            difference.append("")
            p.append("")
        row = first.loc[measure]
        shown = not np.isnan(row["difference"])
        difference += [f"{_points(row['difference'])} points [{_points(row['difference_low'])} to {_points(row['difference_high'])}]" if shown else "–", ""]
        p += [p_value(row["p_value"]), ""]
    if len(names) == 2:
        wide[f"Difference {names[0]} − {names[1]} (95 % CI)"] = difference
    tests = [t for t in first["test"] if t]
    wide[f"p ({tests[0]})" if tests else "p"] = p
    return wide


def _points(proportion: float) -> str:
    value = round(100 * float(proportion), 1) + 0.0
    return f"{value:.1f}".replace("-", "−")


def cohort_time_to_response(scored: ScoredCohort, *, method: str = "aalen_johansen") -> pd.DataFrame:
    """Cumulative incidence of first and best response, one curve per cohort.

    Parameters
    ----------
    scored : ScoredCohort
        A pooled scored cohort.
    method : {"aalen_johansen", "kaplan_meier"}
        As :func:`~omalizumab_core.analyses.time_to_response.time_to_response_curves`.

    Returns
    -------
    DataFrame
        The columns of ``time_to_response_curves`` with ``group`` the cohort's
        name; draw with ``cumulative_incidence_plot(curves, by="cohort")``.

    Examples
    --------
    >>> from omalizumab_core.synthetic.two_cohorts import two_demo_cohorts
    >>> curves = cohort_time_to_response(two_demo_cohorts())
    >>> best = curves[curves["milestone"] == "best"].groupby("group", sort=False)["cumulative_incidence"].last()
    >>> best.round(3).to_dict()
    {'Demo': 0.782, 'Fewer responders': 0.2}
    """
    frames = []
    for name, part in split_by_cohort(scored).items():
        try:
            curves = time_to_response_curves(part, method=method)
        except TooFewPatients:
            continue
        frames.append(curves.assign(group=name))
    if not frames:
        raise TooFewPatients("No patient in the selection has a time on treatment, so no time-to-response curve can be drawn.")
    return pd.concat(frames, ignore_index=True)


def cohort_time_to_response_tests(scored: ScoredCohort, *, method: str = "aalen_johansen") -> pd.DataFrame:
    """Gray's test (or the log-rank test) of equal cumulative incidence of response between cohorts.

    Parameters
    ----------
    scored : ScoredCohort
        A pooled scored cohort.
    method : {"aalen_johansen", "kaplan_meier"}
        Gray's K-sample test for the Aalen–Johansen curves (default); the
        log-rank test for the 1 − Kaplan–Meier sensitivity curves.

    Returns
    -------
    DataFrame
        Columns ``TEST_COLUMNS``, one row per milestone (first, best
        response): method, milestone, test, chi-square statistic, degrees of
        freedom (cohorts − 1) and p_value.

    Raises
    ------
    TooFewPatients
        When the selection holds fewer than two cohorts.

    Notes
    -----
    Gray RJ. A class of K-sample tests for comparing the cumulative
    incidence of a competing risk. Ann Stat 1988;16:1141-54, with rho = 0,
    as R ``cmprsk::cuminc(ftime, fstatus, group)$Tests``
    (:func:`~omalizumab_core.stats.competing_risks.gray_test`, checked
    against cmprsk 2.2-11 in tests/test_cohort_comparison.py). Competing
    event: stopping omalizumab without a response.

    Examples
    --------
    >>> from omalizumab_core.synthetic.two_cohorts import two_demo_cohorts
    >>> tests = cohort_time_to_response_tests(two_demo_cohorts())
    >>> tests[["milestone", "test", "df"]].values.tolist()
    [['first', 'Gray', 1], ['best', 'Gray', 1]]
    """
    names = cohort_names(scored)
    _need_two(names)
    data = response_times(scored)
    cohort_of = pd.Series(scored.cohort.patients[COHORT_COLUMN].to_numpy(dtype=object), index=scored.cohort.patients["patient_id"].astype(str).to_numpy(dtype=object))
    rows = []
    for milestone in MILESTONES:
        members = data[data["milestone"] == milestone]
        groups = cohort_of.reindex(members["patient_id"].astype(str).to_numpy(dtype=object)).to_numpy(dtype=object)
        if method == "aalen_johansen":
            result = gray_test(members["time"], members["status"], groups)
        else:
            result = logrank_test(members["time"], members["status"] == EVENT, groups)
        rows.append({"method": method, "milestone": milestone, **result.iloc[0].to_dict()})
    return pd.DataFrame(rows, columns=TEST_COLUMNS)


def cohort_symptom_table(scored: ScoredCohort, *, at="best", level: str = "symptom") -> pd.DataFrame:
    """Figure 1's table by cohort: per symptom (or category), each cohort's score, and a test between cohorts.

    Parameters
    ----------
    scored : ScoredCohort
        A pooled scored cohort.
    at : "best", "last" or float
        When the on-treatment score is read (as
        :func:`~omalizumab_core.analyses.symptom_changes.symptom_changes`).
    level : {"symptom", "category"}

    Returns
    -------
    DataFrame
        Columns ``SYMPTOM_COLUMNS``, one row per (symptom or category,
        cohort): row (the symptom, or the category code), category,
        n_patients (with it at baseline), n_assessed, mean_baseline,
        mean_on_treatment, n_improved (from ``symptom_changes`` of that
        cohort; 0 patients when the cohort never had it), then the test
        between cohorts of the patients' scores under omalizumab (the same on
        every cohort's row): Mann–Whitney U for two cohorts, Kruskal–Wallis
        for more, and its p_value (unadjusted; NaN when fewer than two
        cohorts have an assessed patient).

    Raises
    ------
    TooFewPatients
        When the selection holds fewer than two cohorts.

    Notes
    -----
    Every baseline symptom scores 1, so comparing the scores under
    omalizumab compares the changes. A category's score is a patient's mean
    over its symptoms, as in ``symptom_changes``.

    Examples
    --------
    >>> from omalizumab_core.synthetic.two_cohorts import two_demo_cohorts
    >>> t = cohort_symptom_table(two_demo_cohorts(), level="category")
    >>> t[t["row"] == "general_vasomotor"][["cohort", "n_patients"]].values.tolist()
    [['Demo', 44], ['Fewer responders', 4]]
    """
    names = cohort_names(scored)
    _need_two(names)
    key = "symptom" if level == "symptom" else "category"
    frames, samples = [], {}
    for name, part in split_by_cohort(scored).items():
        try:
            changes = symptom_changes(part, at=at, level=level, adjust="none")
        except TooFewPatients:
            continue
        changes = changes.assign(row=changes[key], cohort=name)
        frames.append(changes)
        scores = symptom_scores(part, at=at)
        scores = scores[scores["score"].notna()]
        if key == "category":
            scores = scores.groupby(["patient_id", "category"], observed=True)["score"].mean().reset_index()
        for row, values in scores.groupby(key, observed=True)["score"]:
            samples.setdefault(str(row), {})[name] = values.to_numpy(dtype="float64")
    if not frames:
        raise TooFewPatients("No patient in the selection has a symptom scored at baseline and under omalizumab.")
    long = pd.concat(frames, ignore_index=True)
    if "category" not in long:
        long["category"] = long["row"]
    order = long.drop_duplicates("row")[["row", "category"]]
    grid = order.merge(pd.DataFrame({"cohort": names}), how="cross")
    long = grid.merge(long.drop(columns="category"), on=["row", "cohort"], how="left")
    for column in ("n_patients", "n_assessed", "n_improved"):
        long[column] = long[column].fillna(0).astype("int64")
    tests = {row: _continuous_test([by_cohort.get(name, np.array([])) for name in names]) for row, by_cohort in samples.items()}
    found = [tests.get(str(row), ("", np.nan)) for row in long["row"]]
    long["test"] = [f[0] for f in found]
    long["p_value"] = [f[1] for f in found]
    return long[SYMPTOM_COLUMNS]


def format_cohort_symptom_table(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`cohort_symptom_table` as printed: a column pair per cohort (patients assessed, mean score under omalizumab), then p.

    Examples
    --------
    >>> from omalizumab_core.synthetic.two_cohorts import two_demo_cohorts
    >>> shown = format_cohort_symptom_table(cohort_symptom_table(two_demo_cohorts(), level="category"))
    >>> list(shown.columns)[:3]
    ['Symptom category', 'Demo: patients assessed', 'Demo: mean score under omalizumab']
    """
    from omalizumab_core.data.codes import CATEGORY_LABELS

    names = list(dict.fromkeys(table["cohort"]))
    by_symptom = (table["row"] != table["category"]).any()
    rows = list(dict.fromkeys(table["row"]))
    indexed = table.set_index(["row", "cohort"])
    out = {"Symptom" if by_symptom else "Symptom category": [r if by_symptom else CATEGORY_LABELS.get(r, r) for r in rows]}
    if by_symptom:
        category = table.drop_duplicates("row").set_index("row")["category"]
        out["Category"] = [CATEGORY_LABELS.get(category[r], category[r]) for r in rows]
    for name in names:
        assessed = [int(indexed.at[(r, name), "n_assessed"]) for r in rows]
        out[f"{name}: patients assessed"] = [f"{a:,}" for a in assessed]
        out[f"{name}: mean score under omalizumab"] = [number(indexed.at[(r, name), "mean_on_treatment"], decimals=2) if a else "–" for r, a in zip(rows, assessed)]
    first = table.drop_duplicates("row").set_index("row")
    test = next((t for t in first["test"] if t), "test")
    out[f"p ({test})"] = [p_value(first.at[r, "p_value"]) for r in rows]
    return pd.DataFrame(out)
