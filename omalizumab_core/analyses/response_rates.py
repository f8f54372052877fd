"""Response rates with confidence intervals, subgroup comparisons, forest and waterfall data.

Table 2 of Lemal et al. (2019) gives counts and percentages only; this module
adds the uncertainty a reader needs with 55 patients: an exact (Clopper–
Pearson) 95 % confidence interval for every rate, and for two subgroups the
difference of their rates with the Newcombe hybrid score interval and a
Fisher exact test. Counts are built on :mod:`omalizumab_core.engine.response_table`
so the columns and numbers are those of Table 2.

Every analysis returns raw numbers in a tidy DataFrame; the ``format_``
functions turn them into the paper-like display tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from omalizumab_core.data.codes import (
    DIAGNOSES,
    DIAGNOSIS_LABELS,
    GROUP_LABELS,
    GROUPS,
    KIT_LABELS,
    KIT_STATUSES,
    RESPONSE_RANK,
    SEX_LABELS,
    SEXES,
    SUBGROUP_LABELS,
    SUBGROUPS,
)
from omalizumab_core.data.contract import TABLE_COLUMNS, YES_NO_COLUMNS
from omalizumab_core.engine.scoring import ScoredCohort
from omalizumab_core.formatting import ci, n_pct, p_value
from omalizumab_core.data.problems import TooFewPatients
from omalizumab_core.engine.response_table import response_columns
from omalizumab_core.stats.exact import difference_ci, fisher_exact_test, proportion_ci_array

BEST, LAST = "Best response", "Response at last follow-up"
_PERSISTENT = ("CR", "MR", "PR")
# Measure code -> (Table 2 section, row label, rule on the outcomes row).
MEASURES = {
    "best_overall": (BEST, "Overall response (CR + MR + PR)"),
    "best_CR": (BEST, "Complete response"),
    "best_MR": (BEST, "Major response"),
    "best_PR": (BEST, "Partial response"),
    "best_NR": (BEST, "No response"),
    "persistent_overall": (LAST, "Persistent overall response"),
    "persistent_CR": (LAST, "Complete response"),
    "persistent_MR": (LAST, "Major response"),
    "persistent_PR": (LAST, "Partial response"),
    "no_persistent": (LAST, "No persistent response"),
    "last_no_response": (LAST, "No response"),
    "last_loss_of_response": (LAST, "Loss of response"),
    "last_intolerance": (LAST, "Intolerance (responders who stopped)"),  # the paper's definition
    "last_lost_or_other": (LAST, "Lost from follow-up or other stop"),
}
MEASURE_LABELS = {
    "best_overall": "Overall response (best response CR, MR or PR)",
    "best_CR": "Complete response (best response)",
    "best_MR": "Major response (best response)",
    "best_PR": "Partial response (best response)",
    "best_NR": "No response",
    "persistent_overall": "Persistent overall response at last follow-up",
    "persistent_CR": "Persistent complete response",
    "persistent_MR": "Persistent major response",
    "persistent_PR": "Persistent partial response",
    "no_persistent": "No persistent response at last follow-up",
    "last_no_response": "No response (at last follow-up)",
    "last_loss_of_response": "Loss of response",
    "last_intolerance": "Intolerance (responders who stopped)",
    "last_lost_or_other": "Lost from follow-up or other stop",
}
RATE_COLUMNS = ["group", "measure", "n", "total", "proportion", "ci_low", "ci_high"]

ALL = "all"
NOT_RECORDED = "not_recorded"
TABLE2_GROUP_LABELS = {ALL: "All patients", "primary": "Primary MCAS", **SUBGROUP_LABELS}
VARIABLE_LABELS = {
    "subgroup": "Diagnosis subgroup",
    "group": "Primary or idiopathic MCAS",
    "sex": "Sex",
    "kit_d816v": "KIT D816V",
    "center": "Centre",
    "diagnosis": "Diagnosis",
    **dict(YES_NO_COLUMNS),
}
_LEVEL_ORDER = {"subgroup": SUBGROUPS, "group": GROUPS, "sex": SEXES, "kit_d816v": KIT_STATUSES, "diagnosis": DIAGNOSES}
_LEVEL_LABELS = {
    "subgroup": SUBGROUP_LABELS,
    "group": GROUP_LABELS,
    "sex": SEX_LABELS,
    "kit_d816v": KIT_LABELS,
    "diagnosis": DIAGNOSIS_LABELS,
}
_STANDARD_VARIABLES = ("subgroup", "group", "sex", "kit_d816v", "center")
# Patients columns that describe treatment or its outcome (comparing response by
# them would be circular) or are not categories.
_NOT_SUBGROUPS = {
    "patient_id", "diagnosis", "age_at_diagnosis", "age_at_treatment", "treatment_start", "treatment_end_month",
    "end_reason", "last_follow_up_month", "baseline_tryptase", "baseline_total_ige", "prior_therapies",
}
_CONTRACT_COLUMNS = {c.name for c in TABLE_COLUMNS["patients"]}


# --- groups ---------------------------------------------------------------


def group_values(scored: ScoredCohort, by: str) -> pd.Series:
    """The level of ``by`` for every patient, as text, aligned with ``scored.outcomes``.

    ``by`` is a column of the outcomes (subgroup, group, ...) or of the
    patients table (sex, kit_d816v, center, a yes/no characteristic, an extra
    column). Yes/no values become "yes"/"no", whole numbers lose their ".0",
    and a missing value is the level "not_recorded".

    Raises
    ------
    KeyError
        When neither table has the column.
    """
    if by not in scored.outcomes.columns and by not in scored.cohort.patients.columns:
        raise KeyError(f"No column {by!r} in the patients table or the outcomes.")
    # A patient's level depends on that patient alone: labelled once per scored cohort.
    texts = scored.per_patient_values(f"response_rates.levels.{by}", lambda root: _levels_of(root, by))
    return pd.Series(texts, index=scored.outcomes.index, name=by, dtype=object)


def _levels_of(scored: ScoredCohort, by: str) -> np.ndarray:
    """:func:`group_values` as an object array in the patients table's order."""
    outcomes = scored.outcomes
    if by in outcomes.columns:
        values = outcomes[by]
    else:
        patients = scored.cohort.patients
        where = pd.Index(patients["patient_id"]).get_indexer(outcomes["patient_id"])
        values = patients[by].iloc[where]
    # Label the distinct values only: 100,000 patients have a handful of levels.
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    texts = np.array([_level_text(v) for v in uniques] + [NOT_RECORDED], dtype=object)
    return texts[codes]


def _level_text(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return NOT_RECORDED
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip() or NOT_RECORDED


def group_levels(scored: ScoredCohort, by: str) -> list[str]:
    """Levels of ``by`` present among the patients, in clinical order ("not_recorded" last)."""
    return _ordered_levels(by, set(pd.unique(group_values(scored, by).to_numpy(dtype=object))))


def _ordered_levels(by: str, present: set) -> list[str]:
    known = _LEVEL_ORDER.get(by)
    if known is None and present - {NOT_RECORDED} <= {"yes", "no"}:
        known = ("yes", "no")
    if known is not None:
        ordered = [level for level in known if level in present]
        rest = sorted(present - set(ordered) - {NOT_RECORDED}, key=_natural)
    else:
        ordered, rest = [], sorted(present - {NOT_RECORDED}, key=_natural)
    return ordered + rest + ([NOT_RECORDED] if NOT_RECORDED in present else [])


def _natural(text: str):
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text.casefold())


def level_label(by: str | None, level: str) -> str:
    """A level in clinical words ("F" -> "Female", "idiopathic" -> "Idiopathic MCAS")."""
    if by is None:
        return TABLE2_GROUP_LABELS.get(level, level)
    if level == ALL:
        return "All patients"
    if level == NOT_RECORDED:
        return "Not recorded"
    if level in ("yes", "no") and by not in _LEVEL_LABELS:
        return level.capitalize()
    return _LEVEL_LABELS.get(by, {}).get(level, level)


def variable_label(by: str) -> str:
    """A grouping column in clinical words ("kit_d816v" -> "KIT D816V")."""
    return VARIABLE_LABELS.get(by, by.replace("_", " ").strip().capitalize())


def response_variables(scored: ScoredCohort, *, max_levels: int = 12) -> dict[str, str]:
    """Columns by which response can be compared, with their labels.

    Diagnosis subgroup and primary/idiopathic MCAS always; sex, KIT D816V and
    centre when recorded; then the yes/no characteristics and any extra
    patients column with 2 to ``max_levels`` recorded levels. Columns that
    describe treatment or its outcome (end reason, dates, ages, laboratory
    values) are not offered.
    """
    patients = scored.cohort.patients
    choices = {"subgroup": variable_label("subgroup"), "group": variable_label("group")}
    for column in patients.columns:
        if column in choices or column in _NOT_SUBGROUPS:
            continue
        n_levels = patients[column].nunique(dropna=True)
        standard = column in _STANDARD_VARIABLES
        if (standard and 1 <= n_levels <= max_levels) or (not standard and 2 <= n_levels <= max_levels):
            choices[column] = variable_label(column)
    order = {name: i for i, name in enumerate(_STANDARD_VARIABLES)}
    # Standard variables first, then contract characteristics, then extra columns, each in file order.
    ranked = sorted(choices, key=lambda c: (0, order[c]) if c in order else (1 if c in _CONTRACT_COLUMNS else 2, 0))
    return {name: choices[name] for name in ranked}


def _group_masks(scored: ScoredCohort, by: str | None) -> dict[str, np.ndarray]:
    outcomes = scored.outcomes
    if by is None:
        return {name: mask.to_numpy(dtype=bool) for name, mask in response_columns(outcomes).items()}
    values = group_values(scored, by).to_numpy(dtype=object)
    masks = {ALL: np.ones(len(values), dtype=bool)}
    for level in _ordered_levels(by, set(pd.unique(values))):
        masks[level] = values == level
    return masks


def _patient_indicators(scored: ScoredCohort) -> np.ndarray:
    """:func:`_indicators` of the selection's patients, computed once per scored cohort."""
    return scored.per_patient_values("response_rates.indicators", lambda root: _indicators(root.outcomes))


def _indicators(outcomes: pd.DataFrame) -> np.ndarray:
    """One boolean column per measure, in the order of MEASURES."""
    best = outcomes["best_response"].to_numpy(dtype=object)
    last = outcomes["status_at_last_follow_up"].to_numpy(dtype=object)
    persistent = np.isin(last, _PERSISTENT)
    columns = {
        "best_overall": np.isin(best, ("CR", "MR", "PR")),
        "best_CR": best == "CR",
        "best_MR": best == "MR",
        "best_PR": best == "PR",
        "best_NR": best == "NR",
        "persistent_overall": persistent,
        "persistent_CR": last == "CR",
        "persistent_MR": last == "MR",
        "persistent_PR": last == "PR",
        "no_persistent": ~persistent,
        "last_no_response": last == "no_response",
        "last_loss_of_response": last == "loss_of_response",
        "last_intolerance": last == "intolerance",
        "last_lost_or_other": last == "lost_or_other",
    }
    return np.column_stack([columns[m] for m in MEASURES]) if len(best) else np.zeros((0, len(MEASURES)), dtype=bool)


def _exact_ci(n: int, total: int) -> tuple[float, float]:
    low, high = proportion_ci_array([n], [total])
    return float(low[0]), float(high[0])


# --- analyses -------------------------------------------------------------


def response_rates(scored: ScoredCohort, *, by: str | None = None) -> pd.DataFrame:
    """Every Table 2 rate with its exact 95 % confidence interval, as a tidy table.

    Parameters
    ----------
    scored : ScoredCohort
        The (filtered) scored cohort.
    by : str, optional
        None for Table 2's columns (all, primary, ISM, CM, MMAS, idiopathic,
        then any other subgroup present). Otherwise any column of the
        outcomes or of the patients table ("subgroup", "group", "sex",
        "kit_d816v", "center", a yes/no characteristic, an extra column):
        the groups are "all" and each level of that column.

    Returns
    -------
    DataFrame
        One row per (group, measure) with columns ``RATE_COLUMNS``: group
        (column key or level, as text), measure (a key of ``MEASURES``), n
        (patients with the outcome), total (patients in the group),
        proportion (n / total, NaN for an empty group), ci_low, ci_high.

    Notes
    -----
    "Responses were assigned at time of best response": best_overall counts
    patients whose best response is CR, MR or PR. At last follow-up, the
    persistent overall response counts patients still treated in CR, MR or
    PR ("persistent overall response rate of 58.2 %"); everyone else has no
    persistent response. Intervals are exact Clopper–Pearson intervals
    (R ``binom.test``), which keep their coverage in small subgroups.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> rates = response_rates(demo_scored())
    >>> row = rates[(rates["group"] == "all") & (rates["measure"] == "best_overall")].iloc[0]
    >>> int(row["n"]), int(row["total"]), round(float(row["ci_low"]), 3), round(float(row["ci_high"]), 3)
    (43, 55, 0.65, 0.882)
    """
    masks = _group_masks(scored, by)
    # Float matrices use BLAS; counts below 2**53 are exact in float64.
    indicators = _patient_indicators(scored).astype(np.float64)
    groups = np.column_stack(list(masks.values())).astype(np.float64)
    counts = np.rint(groups.T @ indicators).astype(np.int64)  # groups x measures
    totals = np.repeat(groups.sum(axis=0)[:, None], len(MEASURES), axis=1)
    n, total = counts.ravel(), totals.ravel()
    low, high = proportion_ci_array(n, total)
    with np.errstate(invalid="ignore", divide="ignore"):
        proportion = np.where(total > 0, n / np.maximum(total, 1), np.nan)
    return pd.DataFrame(
        {
            "group": np.repeat(np.array(list(masks), dtype=object), len(MEASURES)),
            "measure": np.tile(np.array(list(MEASURES), dtype=object), len(masks)),
            "n": n.astype(int),
            "total": total.astype(int),
            "proportion": proportion,
            "ci_low": low,
            "ci_high": high,
        }
    )[RATE_COLUMNS]


CI_ROW = "95 % CI"


def format_table2_with_ci(rates: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Table 2 as printed, with the exact 95 % CI on the line under each rate.

    Parameters
    ----------
    rates : DataFrame
        Output of :func:`response_rates`.
    by : str, optional
        The grouping used for ``rates`` (for the column headings).

    Returns
    -------
    DataFrame
        Index "Response": a heading line per section ("Best response",
        "Response at last follow-up", empty cells), then for each Table 2
        row a line "43 (78.2 %)" and under it a line "95 % CI" holding
        "[65.0–88.2 %]". One column per group headed "ISM (N=29)"; "–" in an
        empty group.
    """
    groups = list(dict.fromkeys(rates["group"]))
    labels, keys = [], []
    for measure, (section, row) in MEASURES.items():
        if section not in labels:
            labels.append(section)
            keys.append((None, None))
        labels += [row, CI_ROW]
        keys += [(measure, "n"), (measure, "ci")]
    cells = {}
    for group in groups:
        part = rates[rates["group"] == group].set_index("measure")
        total = int(part["total"].iloc[0]) if len(part) else 0
        column = []
        for measure, kind in keys:
            if measure is None:
                column.append("")
            elif total == 0:
                column.append("–")
            elif kind == "n":
                column.append(n_pct(int(part.at[measure, "n"]), total))
            else:
                column.append(ci(part.at[measure, "ci_low"], part.at[measure, "ci_high"]))
        cells[f"{level_label(by, group)} (N={total})"] = column
    return pd.DataFrame(cells, index=pd.Index(labels, name="Response"))


def table2_with_ci(scored: ScoredCohort, *, by: str | None = None) -> pd.DataFrame:
    """Table 2 with a 95 % confidence interval under every rate (display table).

    ``by=None`` gives the paper's columns (all patients, primary MCAS, ISM,
    CM, MMAS, idiopathic MCAS, then other subgroups present); otherwise all
    patients and each level of ``by``. See :func:`response_rates`.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> table2_with_ci(demo_scored())["All patients (N=55)"].iloc[1:3].tolist()
    ['43 (78.2 %)', '[65.0–88.2 %]']
    """
    return format_table2_with_ci(response_rates(scored, by=by), by=by)


COMPARISON_COLUMNS = [
    "by", "measure",
    "level_a", "n_a", "total_a", "proportion_a", "ci_low_a", "ci_high_a",
    "level_b", "n_b", "total_b", "proportion_b", "ci_low_b", "ci_high_b",
    "difference", "difference_ci_low", "difference_ci_high", "p_value",
]


def compare_subgroups(scored: ScoredCohort, *, by: str, level_a, level_b, measure: str = "best_overall") -> pd.DataFrame:
    """Compare one response rate between two levels of a variable.

    Parameters
    ----------
    scored : ScoredCohort
    by : str
        The grouping column (see :func:`response_rates`).
    level_a, level_b
        Two levels of ``by`` (as in :func:`group_levels`; raw values such as
        True or 1.0 are accepted too).
    measure : str
        A key of ``MEASURES``; default the overall best response rate.

    Returns
    -------
    DataFrame
        One row with columns ``COMPARISON_COLUMNS``: patients with the
        outcome (n_a, n_b), patients (total_a, total_b), the rates with
        their exact 95 % CIs, the difference proportion_a - proportion_b
        with its Newcombe hybrid score 95 % interval (difference_ci_low,
        difference_ci_high) and the two-sided Fisher exact test p-value.

    Raises
    ------
    TooFewPatients
        When the two levels are the same or either has no patient.

    Notes
    -----
    The paper reports "82.9 % among the 41 patients with primary MCAS, and
    [64.3 %] among the 14 patients with idiopathic MCAS" without a test;
    with groups this small the difference needs its interval.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> row = compare_subgroups(demo_scored(), by="group", level_a="primary", level_b="idiopathic").iloc[0]
    >>> int(row["n_a"]), int(row["total_a"]), int(row["n_b"]), int(row["total_b"]), round(float(row["p_value"]), 3)
    (34, 41, 9, 14, 0.259)
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    a, b = _level_text(level_a), _level_text(level_b)
    name = variable_label(by).lower()
    if a == b:
        raise TooFewPatients(f"Choose two different groups of {name} to compare.")
    values = group_values(scored, by).to_numpy(dtype=object)
    outcome = _patient_indicators(scored)[:, list(MEASURES).index(measure)]
    counts = {}
    for level in (a, b):
        mask = values == level
        if not mask.any():
            raise TooFewPatients(f"No patient in the group '{level_label(by, level)}' ({name}) under the current filters.")
        counts[level] = (int(outcome[mask].sum()), int(mask.sum()))
    (k1, n1), (k2, n2) = counts[a], counts[b]
    low, high = difference_ci(k1, n1, k2, n2)
    row = (
        by, measure,
        a, k1, n1, k1 / n1, *_exact_ci(k1, n1),
        b, k2, n2, k2 / n2, *_exact_ci(k2, n2),
        k1 / n1 - k2 / n2, low, high, fisher_exact_test(k1, n1, k2, n2),
    )
    return pd.DataFrame([row], columns=COMPARISON_COLUMNS)


def format_comparison(comparison: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """A comparison as a two-row display table and one sentence.

    Returns
    -------
    (table, sentence)
        The table has one row per group: patients, patients with the outcome
        and the rate with its exact 95 % CI. The sentence gives the
        difference in percentage points with its Newcombe 95 % CI and the
        Fisher exact test p-value.
    """
    row = comparison.iloc[0]
    by, measure = row["by"], row["measure"]
    rows = []
    for side in ("a", "b"):
        n, total = int(row[f"n_{side}"]), int(row[f"total_{side}"])
        rows.append((level_label(by, row[f"level_{side}"]), total, n_pct(n, total), ci(row[f"ci_low_{side}"], row[f"ci_high_{side}"])))
    table = pd.DataFrame(rows, columns=[variable_label(by), "Patients", MEASURE_LABELS[measure], "95 % CI (exact)"])
    a, b = level_label(by, row["level_a"]), level_label(by, row["level_b"])
    sentence = (
        f"Difference {a} − {b}: {_points(row['difference'])} percentage points "
        f"(95 % CI {_points(row['difference_ci_low'])} to {_points(row['difference_ci_high'])}, Newcombe hybrid score); "
        f"Fisher's exact test {p_value(row['p_value'])}."
    )
    return table, sentence


def _points(proportion: float) -> str:
    value = round(100 * float(proportion), 1) + 0.0  # + 0.0 turns -0.0 into 0.0
    return f"{value:.1f}".replace("-", "−")


FOREST_COLUMNS = ["variable", "variable_label", "level", "level_label", "n", "total", "proportion", "ci_low", "ci_high"]


def forest_rows(scored: ScoredCohort, *, by_variables=("group", "subgroup", "sex", "kit_d816v"), measure: str = "best_overall") -> pd.DataFrame:
    """The overall best response rate and its exact 95 % CI for every level of some variables.

    Parameters
    ----------
    scored : ScoredCohort
    by_variables : sequence of str
        Grouping columns; those absent from the data are skipped.
    measure : str
        A key of ``MEASURES``.

    Returns
    -------
    DataFrame
        Columns ``FOREST_COLUMNS``; the first row is "All patients"
        (variable and level "all"), then every level present of each
        variable in turn. A level with the same label and exactly the same
        patients as a row above (idiopathic MCAS as a subgroup after
        idiopathic MCAS as a group) is not repeated.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> rows = forest_rows(demo_scored())
    >>> first = rows.iloc[0]
    >>> first["level_label"], int(first["n"]), int(first["total"])
    ('All patients', 43, 55)
    >>> rows["level"].tolist()
    ['all', 'primary', 'idiopathic', 'ISM', 'CM', 'MMAS', 'M', 'F', 'positive', 'negative', 'not_evaluated']
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}, not {measure!r}")
    outcome = _patient_indicators(scored)[:, list(MEASURES).index(measure)]
    everyone = np.ones(len(outcome), dtype=bool)
    candidates = [(ALL, ALL, everyone)]
    available = set(scored.outcomes.columns) | set(scored.cohort.patients.columns)
    for variable in dict.fromkeys(v for v in by_variables if v in available):
        values = group_values(scored, variable).to_numpy(dtype=object)
        candidates += [(variable, level, values == level) for level in _ordered_levels(variable, set(pd.unique(values)))]
    seen, out = set(), []
    for variable, level, mask in candidates:
        labels = ("All patients", "All patients") if variable == ALL else (variable_label(variable), level_label(variable, level))
        shown = (labels[1], np.packbits(mask).tobytes())
        if shown in seen:
            continue
        seen.add(shown)
        n, total = int(outcome[mask].sum()), int(mask.sum())
        low, high = _exact_ci(n, total)
        out.append((variable, labels[0], level, labels[1], n, total, n / total if total else np.nan, low, high))
    return pd.DataFrame(out, columns=FOREST_COLUMNS)


WATERFALL_COLUMNS = ["patient_id", "best_decrease_pct", "best_response", "subgroup"]


def waterfall_data(scored: ScoredCohort) -> pd.DataFrame:
    """One row per patient, the greatest improvement first, for a waterfall plot.

    Returns
    -------
    DataFrame
        Columns ``WATERFALL_COLUMNS``: patient id, best decrease in symptom
        score (% of the baseline score; negative = worse), best response
        (CR/MR/PR/NR) and subgroup; sorted by best decrease, descending
        (ties: better response first, then patient id). Patients without an
        on-treatment assessment (no decrease) come last.

    Notes
    -----
    The bar height is the largest decrease of the symptom score reached at
    any assessment; the colour is the best response, which can be "no
    response" despite a decrease when a new symptom appeared or a symptom
    worsened ("worsening of preexisting symptoms or apparition of new
    symptoms").
    """
    # Each patient's row depends on that patient alone, and a sorted table's
    # rows of some patients are those patients sorted: sorted once per scored cohort.
    rows = scored.per_patient("response_rates.waterfall", _all_waterfall_rows)
    return rows.drop(columns="code").reset_index(drop=True)


def _all_waterfall_rows(scored: ScoredCohort) -> pd.DataFrame:
    o = scored.outcomes
    frame = pd.DataFrame(
        {
            "code": np.arange(len(o)),
            "patient_id": o["patient_id"].astype(str).to_numpy(),
            "best_decrease_pct": o["best_decrease_pct"].to_numpy(dtype="float64"),
            "best_response": o["best_response"].astype(str).to_numpy(),
            "subgroup": o["subgroup"].astype(str).to_numpy(),
        }
    )
    frame["_rank"] = frame["best_response"].map(RESPONSE_RANK).fillna(-1)
    frame = frame.sort_values(
        ["best_decrease_pct", "_rank", "patient_id"], ascending=[False, False, True], na_position="last", kind="stable"
    )
    return frame.drop(columns="_rank").reset_index(drop=True)[["code", *WATERFALL_COLUMNS]]
