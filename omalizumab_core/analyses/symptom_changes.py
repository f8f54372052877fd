"""Symptom by symptom: the score before and under omalizumab (Figure 1 of Lemal et al. 2019).

Results, "Symptoms improvement": "Omalizumab was dramatically effective on all
general and superficial vasomotor symptoms, and on most gastrointestinal or
urinary symptoms [...] Clinical efficacy data are presented in Figure 1."
Figure 1's legend: "Comparison of the symptom score before and under
omalizumab therapy: p-value: ns: > 0.05; *: p < 0.05; **: p < 0.01; ***:
p < 0.001". Statistical analyses: "Differences in the symptom score between
baseline and follow-up under omalizumab therapy were calculated using
Wilcoxon signed rank test. Tests were performed two-tailed."

Every baseline symptom scores 1 (the paper "attributed the number 1 for all
existing symptoms at baseline"); under treatment it scores 1.5 (worse), 1, 0.75,
0.5, 0.25 or 0 (disappeared). This module pairs each patient's baseline score
of each symptom with its score at one time under treatment and tests the
difference, one test per symptom (or per category of symptoms).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from omalizumab_core.data.codes import CATEGORIES, CATEGORY_LABELS, QUARTERS_PER_POINT
from omalizumab_core.data.cohort import patient_positions
from omalizumab_core.engine.scoring import ScoredCohort
from omalizumab_core.stats.multiple_testing import ADJUSTMENT_LABELS, ADJUSTMENTS, adjust_pvalues, significance_stars
from omalizumab_core.stats.signed_rank import EFFECT_COLUMNS, ZERO_METHODS, paired_effect_sizes, signed_rank_test
from omalizumab_core.data.problems import TooFewPatients
from omalizumab_core.data.vocabulary import canonical_name

LEVELS = ("symptom", "category")
OUTCOMES = ("improved", "unchanged", "worse")
OUTCOME_LABELS = {"improved": "Improved", "unchanged": "Unchanged", "worse": "Worse"}
SCORE_COLUMNS = ["patient_id", "symptom", "symptom_as_written", "category", "month", "baseline_score", "score"]
CHANGE_COLUMNS = [
    "n_patients",
    "n_assessed",
    "mean_baseline",
    "mean_on_treatment",
    "n_improved",
    "n_unchanged",
    "n_worse",
    "n_disappeared",
    "p_value",
    "p_adjusted",
    "stars",
    "test_method",
    *EFFECT_COLUMNS,
]
# The paper's score labels, used as classes of a per-symptom distribution.
SCORE_CLASSES = (
    "Complete disappearance",
    "Dramatic improvement",
    "Substantial improvement",
    "Slight improvement",
    "No change",
    "Worsening",
)
def describe_time(at) -> str:
    """The time of the on-treatment score in words ("at best response", "at month 6")."""
    if at == "best":
        return "at best response"
    if at == "last":
        return "at the last assessment"
    return f"at month {float(at):g}"


def _check_time(at) -> None:
    if at in ("best", "last"):
        return
    if isinstance(at, bool) or not isinstance(at, (int, float, np.integer, np.floating)) or not np.isfinite(at) or at <= 0:
        raise ValueError(f"at must be 'best', 'last' or a month after the first injection (> 0), not {at!r}")


def _codes(ids: pd.Series, patients: pd.DataFrame) -> np.ndarray:
    """Position of each row's patient in ``patients`` (-1 if absent): the engine's shared look-up.

    The validated long tables code ``patient_id`` on the patients table's ids,
    so this is usually the categorical's codes, with no id looked up (12.7
    million symptom rows at 100,000 patients).
    """
    return np.asarray(patient_positions(ids, patients), dtype=np.int64)


def _timepoints(scored: ScoredCohort, at) -> np.ndarray:
    """Month of the on-treatment score for each patient (patients-table order); NaN if none."""
    patients = scored.cohort.patients
    n = len(patients)
    outcomes = scored.outcomes
    where = _codes(outcomes["patient_id"], patients)
    ok = where >= 0

    def per_patient(column: str) -> np.ndarray:
        out = np.full(n, np.nan)
        out[where[ok]] = outcomes[column].to_numpy(dtype="float64")[ok]
        return out

    assessments = scored.assessments
    code = _codes(assessments["patient_id"], patients)
    month = assessments["month"].to_numpy(dtype="float64")
    first = np.full(n, np.inf)
    keep = code >= 0
    np.minimum.at(first, code[keep], month[keep])
    first[np.isinf(first)] = np.nan

    if at == "last":
        return per_patient("last_assessment_month")
    if at == "best":
        responder = np.zeros(n, dtype=bool)
        responder[where[ok]] = outcomes["best_response"].to_numpy(dtype=object)[ok] != "NR"
        # A non-responder's best category (NR) is first reached at the first assessment.
        return np.where(responder, per_patient("months_to_best_response"), first)
    month_at = float(at)
    on_treatment = per_patient("months_on_treatment") >= month_at
    assessed = first <= month_at
    return np.where(on_treatment & assessed, month_at, np.nan)


def symptom_scores(scored: ScoredCohort, *, at="best") -> pd.DataFrame:
    """Each patient's baseline symptoms, scored at baseline and at one time under treatment.

    Parameters
    ----------
    scored : ScoredCohort
        The (filtered) scored cohort.
    at : "best", "last" or float
        When to read the on-treatment score: "best" (default) at the patient's
        best-response assessment, "last" at the last on-treatment assessment,
        or a month number (> 0).

    Returns
    -------
    DataFrame
        One row per patient and baseline symptom, with columns patient_id,
        symptom (the vocabulary's canonical name, or the name as written
        when the vocabulary does not know it), symptom_as_written, category
        (code of ``codes.CATEGORIES``, from the symptoms table), month (the
        month read; NaN when the patient has no on-treatment score at that
        time), baseline_score (1) and score (NaN likewise).

    Notes
    -----
    - Baseline symptoms are the patient's month-0 rows ("attributed the
      number 1 for all existing symptoms at baseline"); symptoms appearing
      later are not in Figure 1 (they count as new symptoms in the response).
    - A symptom's score at month m is its latest recorded score at or before
      m, carried forward from the baseline 1, exactly as the engine scores an
      assessment; rows after the end of treatment are ignored.
    - "best": "Responses were assigned at time of best response"; the month
      is the first assessment at the patient's best category
      (``months_to_best_response``). A patient who never responded has no
      response (NR) at every assessment, so this is the first assessment.
    - "last": the patient's last on-treatment assessment.
    - a month m: only patients still on treatment at m (months on treatment
      >= m) and with at least one assessment at or before m are scored;
      the others have no score at m.
    - A patient with no on-treatment assessment has no score.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> scores = symptom_scores(demo_scored())
    >>> len(scores) == int(demo_scored().outcomes["baseline_symptoms"].sum())
    True
    """
    _check_time(at)
    # Each patient's rows depend only on that patient: computed once on the whole
    # scored cohort (kept in the session), then restricted to the selection.
    table = scored.per_patient(f"symptom_changes.scores.{at!r}", lambda whole: _scores_with_codes(whole, at))
    table["patient_id"] = pd.Categorical.from_codes(table["code"].to_numpy(), categories=pd.Index(scored.cohort.patients["patient_id"]))
    return table[SCORE_COLUMNS].reset_index(drop=True)


def _scores_with_codes(scored: ScoredCohort, at) -> pd.DataFrame:
    frame = _symptom_scores(scored, at)
    return frame.assign(code=frame["patient_id"].cat.codes.to_numpy(dtype=np.int64))


def _symptom_scores(scored: ScoredCohort, at) -> pd.DataFrame:
    symptoms = scored.cohort.symptoms
    patients = scored.cohort.patients
    when = _timepoints(scored, at)

    p = _codes(symptoms["patient_id"], patients)
    s, names = _category_codes(symptoms["symptom"])
    c_codes, _ = _category_codes(symptoms["category"], list(CATEGORIES))
    month = symptoms["month"].to_numpy(dtype="float64")
    score = symptoms["score"].to_numpy(dtype="float64")
    end = patients["treatment_end_month"].to_numpy(dtype="float64")

    safe_p = np.maximum(p, 0)
    with np.errstate(invalid="ignore"):
        # Rows on treatment (as in the engine), at baseline or up to the chosen month:
        # month 0 unless treatment ended before it, a later month up to both the end
        # of treatment and the chosen month. One bound per patient, one look-up per row.
        bound = np.where(np.isnan(when), np.where(end < 0, -1.0, 0.0), np.fmin(end, when))
        keep = (p >= 0) & (s >= 0) & (month >= 0) & (month <= bound[safe_p])
    p, s, month, score, c_codes = p[keep], s[keep], month[keep], score[keep], c_codes[keep]

    # Each (patient, symptom) history in month order; files usually come sorted.
    pair = p * max(len(names), 1) + s
    in_order = (pair[1:] > pair[:-1]) | ((pair[1:] == pair[:-1]) & (month[1:] > month[:-1]))
    if not bool(np.all(in_order)):
        order = np.lexsort((month, pair))
        p, s, month, score, c_codes, pair = p[order], s[order], month[order], score[order], c_codes[order], pair[order]
    new_pair = np.empty(len(pair), dtype=bool)
    new_pair[:1] = True
    np.not_equal(pair[1:], pair[:-1], out=new_pair[1:])
    starts = np.flatnonzero(new_pair)
    ends = np.r_[starts[1:], len(pair)].astype(np.int64) - 1
    baseline = month[starts] == 0
    starts, ends = starts[baseline], ends[baseline]

    who = p[starts]
    read_at = when[who]
    canonical = pd.Index([canonical_name(n) for n in names], dtype=object)
    canonical_categories = pd.Index(sorted(set(canonical)), dtype=object)
    canonical_code = canonical_categories.get_indexer(canonical)
    category_codes = c_codes[starts]
    out = pd.DataFrame(
        {
            "patient_id": pd.Categorical.from_codes(who, categories=pd.Index(patients["patient_id"])),
            "symptom": pd.Categorical.from_codes(canonical_code[s[starts]] if len(starts) else [], categories=canonical_categories),
            "symptom_as_written": pd.Categorical.from_codes(s[starts], categories=pd.Index(names, dtype=object)),
            "category": pd.Categorical.from_codes(
                np.where(category_codes >= 0, category_codes, CATEGORIES.index("other")), categories=list(CATEGORIES)
            ),
            "month": read_at,
            "baseline_score": np.ones(len(starts)),
            "score": np.where(np.isnan(read_at), np.nan, score[ends]),
        }
    )
    return out[SCORE_COLUMNS]


def _category_codes(values: pd.Series, categories: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of a column and the values they stand for (free for a categorical).

    A categorical's codes keep their small integer type (13 million rows at
    registry scale: widening them all would cost more than the rows kept).
    """
    if isinstance(values.dtype, pd.CategoricalDtype) and (categories is None or list(values.cat.categories) == categories):
        return values.cat.codes.to_numpy(), values.cat.categories.to_numpy(dtype=object)
    if categories is not None:
        return pd.Categorical(values, categories=categories).codes.astype(np.int64), np.asarray(categories, dtype=object)
    codes, uniques = pd.factorize(values.astype("object"))
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _per_patient(scores: pd.DataFrame, level: str, *, assessed_only: bool = True) -> dict:
    """One entry per patient and symptom (or category), in quarter units for exact comparisons.

    A patient's score for a group of baseline symptoms (a category, or two
    names the vocabulary maps to the same symptom) is the mean of their
    scores: quarters / (4 k) with k symptoms and ``quarters`` their sum;
    ``baseline`` is the same sum at baseline (4 k, each symptom scoring 1).

    Returns a dict of equal-length arrays: label (code into ``labels``),
    patient (position in the patients table), category (code into
    CATEGORIES), quarters, baseline, k; plus ``labels``.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    rows = scores[scores["score"].notna()] if assessed_only else scores
    label = rows[level].cat.codes.to_numpy(dtype=np.int64)
    patient = rows["patient_id"].cat.codes.to_numpy(dtype=np.int64)
    n_patients = max(len(scores["patient_id"].cat.categories), 1)
    keys, first, inverse = np.unique(label * n_patients + patient, return_index=True, return_inverse=True)
    n = len(keys)
    score = rows["score"].to_numpy(dtype="float64")
    baseline = rows["baseline_score"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        quarters = np.rint(np.nan_to_num(score) * QUARTERS_PER_POINT).astype(np.int64)
    return {
        "label": keys // n_patients,
        "patient": keys % n_patients,
        "category": rows["category"].cat.codes.to_numpy(dtype=np.int64)[first],
        "quarters": np.bincount(inverse, weights=quarters, minlength=n).astype(np.int64),
        "baseline": np.bincount(inverse, weights=np.rint(baseline * QUARTERS_PER_POINT), minlength=n).astype(np.int64),
        "k": np.bincount(inverse, minlength=n).astype(np.int64),
        "labels": rows[level].cat.categories.to_numpy(dtype=object),
    }


def _patient_rows(scored: ScoredCohort, scores: pd.DataFrame, at, level: str, *, assessed_only: bool = True, columns: tuple | None = None) -> dict:
    """:func:`_per_patient` of ``scores`` (``symptom_scores(scored, at=at)``), computed once per scored cohort.

    Each entry depends on one patient only, so the whole cohort's entries are
    kept with the scored cohort (in the session) and each selection takes its
    patients' rows: a filter change no longer recomputes them (issue 21).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")

    def compute(whole: ScoredCohort) -> pd.DataFrame:
        entries = _per_patient(symptom_scores(whole, at=at), level, assessed_only=assessed_only)
        # int32 (counts and codes of one patient, positions of at most a few million patients): half the
        # bytes each selection takes of this table (a million rows at 100,000 patients) than int64.
        return pd.DataFrame({name: np.asarray(entries[name]).astype(np.int32) for name in ("label", "patient", "category", "quarters", "baseline", "k")}, copy=False)

    key = f"symptom_changes.per_patient.{at!r}.{level}.{assessed_only}"
    if columns is None or "patient" in columns:  # patients renumbered to the selection's positions
        table = scored.per_patient(key, compute, code="patient")
        entries = {name: table[name].to_numpy(dtype=np.int64) for name in table.columns}
    else:  # the selected rows of the columns asked for, not a copy of the whole table
        table, rows = scored.per_patient_rows(key, compute, code="patient")
        entries = {name: table[name].to_numpy(dtype=np.int64) if rows is None else table[name].to_numpy()[rows].astype(np.int64)
                   for name in columns}
    entries["labels"] = scores[level].cat.categories.to_numpy(dtype=object)
    return entries


def symptom_changes(
    scored: ScoredCohort, *, at="best", level: str = "symptom", adjust: str = "holm", zero_method: str = "wilcox"
) -> pd.DataFrame:
    """Figure 1: mean score before and under omalizumab, outcome counts and a Wilcoxon test per symptom.

    Parameters
    ----------
    scored : ScoredCohort
    at : "best", "last" or float
        When the on-treatment score is read (see :func:`symptom_scores`).
    level : {"symptom", "category"}
        One row per symptom, or per category of symptoms.
    adjust : {"holm", "bh", "none"}
        Multiple-testing adjustment over the rows of the table
        (:func:`~omalizumab_core.stats.multiple_testing.adjust_pvalues`); "none"
        reproduces the paper, which did not adjust.
    zero_method : {"wilcox", "pratt"}
        Unchanged patients left out of the test (Wilcoxon, default) or ranked
        then left out of the statistic (Pratt); see
        :func:`~omalizumab_core.stats.signed_rank.signed_rank_test`.

    Returns
    -------
    DataFrame
        One row per symptom (column ``symptom``, with its ``category``) or per
        category (column ``category``), ordered by category as in Figure 1
        then by number of patients, with columns:
        n_patients (patients with it at baseline), n_assessed (of them, with
        an on-treatment score at that time: the paired sample), mean_baseline
        and mean_on_treatment (over the assessed), n_improved (score < 1),
        n_unchanged (= 1), n_worse (> 1), n_disappeared (= 0, among the
        improved), p_value (two-sided Wilcoxon signed-rank test), p_adjusted
        and stars (the paper's notation, of the adjusted p-value),
        test_method ("exact" or "normal"), then the effect sizes of the
        change (score under omalizumab minus baseline, over the assessed
        patients, unchanged ones included): median_difference,
        hodges_lehmann with its 95 % CI hl_lower, hl_upper, and
        mean_difference with its t CI mean_lower, mean_upper
        (:func:`~omalizumab_core.stats.signed_rank.paired_effect_sizes`).
        ``attrs`` holds ``at``, ``level``, ``adjust`` and ``zero_method``.

    Raises
    ------
    TooFewPatients
        When no patient has a baseline symptom scored at that time.

    Notes
    -----
    - Test: for each patient, the difference on-treatment minus baseline
      score; the product's one signed-rank test
      (:func:`~omalizumab_core.stats.signed_rank.signed_rank_test`), two-sided:
      patients whose score did not change are left out, Wilcoxon's own rule,
      which GraphPad Prism (the paper's software) and R's ``wilcox.test``
      also apply. Scores are on a six-step scale, so the remaining
      differences are heavily tied; the p-value is exact, ties included
      (the conditional distribution given the mid-ranks, as R's
      ``exactRankTests::wilcox.exact``), up to 500 changed patients, and the
      normal approximation with tie and continuity correction above.
    - No p-value (NaN, not counted among the adjusted tests) with fewer than
      2 changed patients: with none the statistic is undefined, with one the
      only possible two-sided p-value is 1.
    - Category level: a patient's category score is the mean of the scores
      of that category's baseline symptoms. The mean keeps the paper's
      per-symptom scale (baseline 1, disappeared 0, worse > 1), so each
      patient counts once per category whatever the number of symptoms they
      have in it, and improved / unchanged / worse mean a mean below, at or
      above 1. (A sum would mix the number of symptoms with their change.)
      The same mean joins two names the vocabulary maps to one symptom.
    - Comparisons with 1 and 0 are made on integer quarter sums, exactly.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> changes = symptom_changes(demo_scored())
    >>> row = changes.set_index("symptom").loc["flushing"]
    >>> int(row["n_assessed"]) == int(row["n_improved"] + row["n_unchanged"] + row["n_worse"])
    True
    >>> row["stars"], row["test_method"]  # exact Holm-adjusted p < 0.001 on the demo cohort
    ('***', 'exact')
    """
    if adjust not in ADJUSTMENTS:
        raise ValueError(f"adjust must be one of {ADJUSTMENTS}, not {adjust!r}")
    if zero_method not in ZERO_METHODS:
        raise ValueError(f"zero_method must be one of {ZERO_METHODS}, not {zero_method!r}")
    scores = symptom_scores(scored, at=at)
    if scores.empty:
        raise TooFewPatients("No patient of the selection has a symptom recorded at baseline (month 0).")
    assessed = _patient_rows(scored, scores, at, level, columns=("label", "quarters", "baseline", "k"))
    if len(assessed["label"]) == 0:
        raise TooFewPatients(f"No patient of the selection has a symptom score under omalizumab {describe_time(at)}.")
    everyone = _patient_rows(scored, scores, at, level, assessed_only=False, columns=("label", "category"))
    labels = everyone["labels"]
    n_patients = np.bincount(everyone["label"], minlength=len(labels))
    category = np.full(len(labels), -1, dtype=np.int64)
    category[everyone["label"]] = everyone["category"]  # a symptom's category: that of one of its patients

    rows = []
    order = np.argsort(assessed["label"], kind="stable")
    bounds = np.flatnonzero(np.r_[True, np.diff(assessed["label"][order]) != 0, True])
    for start, stop in zip(bounds[:-1], bounds[1:]):
        idx = order[start:stop]
        q, b = assessed["quarters"][idx], assessed["baseline"][idx]
        four_k = QUARTERS_PER_POINT * assessed["k"][idx]
        differences = (q - b) / four_k
        test = signed_rank_test(differences, zero_method=zero_method)
        rows.append(
            {
                "code": int(assessed["label"][idx[0]]),
                "n_assessed": len(idx),
                "mean_baseline": float(np.mean(b / four_k)),
                "mean_on_treatment": float(np.mean(q / four_k)),
                "n_improved": int(np.sum(q < b)),
                "n_unchanged": int(np.sum(q == b)),
                "n_worse": int(np.sum(q > b)),
                "n_disappeared": int(np.sum(q == 0)),
                "p_value": test["p_value"],
                "test_method": test["method"],
                **paired_effect_sizes(differences),
            }
        )
    present = np.flatnonzero(n_patients > 0)
    table = pd.DataFrame({"code": present, "n_patients": n_patients[present], "_order": category[present]})
    table = table.merge(pd.DataFrame(rows), on="code", how="left")
    for column in ("n_assessed", "n_improved", "n_unchanged", "n_worse", "n_disappeared"):
        table[column] = table[column].fillna(0).astype(int)
    table[level] = labels[table["code"].to_numpy()]
    table["category"] = np.asarray(CATEGORIES, dtype=object)[table["_order"].to_numpy()]
    table = table.sort_values(["_order", "n_patients", level], ascending=[True, False, True])
    table["p_adjusted"] = adjust_pvalues(table["p_value"].to_numpy(dtype="float64"), adjust)
    table["stars"] = significance_stars(table["p_adjusted"].to_numpy(dtype="float64"))
    columns = [level, *(["category"] if level == "symptom" else []), *CHANGE_COLUMNS]
    out = table[columns].reset_index(drop=True)
    out.attrs.update({"at": at, "level": level, "adjust": adjust, "zero_method": zero_method})
    return out


def format_symptom_table(changes: pd.DataFrame) -> pd.DataFrame:
    """The symptom table as a paper prints it: labels in words, "12 (85.7 %)", "p = 0.003 **".

    The adjusted p-value carries the stars; with ``adjust="none"`` the raw
    p-value does, as in the paper.
    """
    from omalizumab_core.formatting import estimate_ci, n_pct, p_value

    level = changes.attrs.get("level", "symptom" if "symptom" in changes.columns else "category")
    adjust = changes.attrs.get("adjust", "holm")
    out = pd.DataFrame()
    if level == "symptom":
        out["Symptom"] = changes["symptom"].astype(str).str.capitalize()
    out["Category"] = changes["category"].map(CATEGORY_LABELS).fillna(changes["category"])
    out["Patients with it at baseline"] = changes["n_patients"].astype(int)
    out["Patients assessed"] = changes["n_assessed"].astype(int)
    out["Mean score at baseline"] = [f"{x:.2f}" if pd.notna(x) else "–" for x in changes["mean_baseline"]]
    out["Mean score under omalizumab"] = [f"{x:.2f}" if pd.notna(x) else "–" for x in changes["mean_on_treatment"]]
    for column, label in (("n_improved", "Improved"), ("n_unchanged", "Unchanged"), ("n_worse", "Worse"), ("n_disappeared", "Disappeared")):
        out[label] = [n_pct(int(k), int(n)) for k, n in zip(changes[column], changes["n_assessed"])]

    def with_stars(p, stars):
        text = p_value(p)
        return text if text == "–" else f"{text} {stars}"

    if adjust == "none":
        out["p (Wilcoxon)"] = [with_stars(p, s) for p, s in zip(changes["p_value"], changes["stars"])]
    else:
        short = {"holm": "Holm", "bh": "Benjamini–Hochberg"}[adjust]
        out["p (Wilcoxon)"] = [p_value(p) for p in changes["p_value"]]
        out[f"Adjusted p ({short})"] = [with_stars(p, s) for p, s in zip(changes["p_adjusted"], changes["stars"])]
    if "hodges_lehmann" in changes:
        out["Median change"] = [f"{x:.2f}" if pd.notna(x) else "–" for x in changes["median_difference"]]
        out["Hodges–Lehmann change (95 % CI)"] = [
            estimate_ci(*v) for v in zip(changes["hodges_lehmann"], changes["hl_lower"], changes["hl_upper"])
        ]
        out["Mean change (95 % CI)"] = [
            estimate_ci(*v) for v in zip(changes["mean_difference"], changes["mean_lower"], changes["mean_upper"])
        ]
    return out


def symptom_heatmap_data(scored: ScoredCohort, *, at="best", level: str = "symptom") -> pd.DataFrame:
    """Patient x symptom matrix of on-treatment scores.

    Returns
    -------
    DataFrame
        Index patient_id (patients with at least one baseline symptom scored
        at that time, in the patients table's order), one column per symptom
        (or category) grouped by category, the most frequent first; the score under
        treatment, NaN where the patient did not have the symptom at
        baseline. ``attrs["category"]`` maps each column to its category.
    """
    scores = symptom_scores(scored, at=at)
    assessed = _patient_rows(scored, scores, at, level)
    labels = assessed["labels"]
    value = assessed["quarters"] / (QUARTERS_PER_POINT * assessed["k"])
    present_labels = np.flatnonzero(np.bincount(assessed["label"], minlength=len(labels)))
    frequency = np.bincount(assessed["label"], minlength=len(labels))
    category = np.full(len(labels), -1, dtype=np.int64)
    category[assessed["label"]] = assessed["category"]
    column_codes = sorted(present_labels, key=lambda c: (category[c], -frequency[c], str(labels[c])))
    column_of = np.full(len(labels), -1, dtype=np.int64)
    column_of[column_codes] = np.arange(len(column_codes))
    ids = pd.Index(scored.cohort.patients["patient_id"])
    rows_present = np.flatnonzero(np.bincount(assessed["patient"], minlength=len(ids)))
    row_of = np.full(len(ids), -1, dtype=np.int64)
    row_of[rows_present] = np.arange(len(rows_present))
    matrix = np.full((len(rows_present), len(column_codes)), np.nan)
    matrix[row_of[assessed["patient"]], column_of[assessed["label"]]] = value
    columns = [labels[c] for c in column_codes]
    out = pd.DataFrame(matrix, index=pd.Index(ids[rows_present], name="patient_id"), columns=pd.Index(columns, dtype=object, name=level))
    out.attrs.update({"at": at, "level": level, "category": {labels[c]: CATEGORIES[category[c]] for c in column_codes}})
    return out


def score_distribution(matrix: pd.DataFrame) -> pd.DataFrame:
    """Per symptom, how many patients are in each score class of the paper (for large cohorts).

    Returns
    -------
    DataFrame
        Long table with columns ``matrix.columns.name`` (symptom or
        category), score_class (``SCORE_CLASSES``), n and share (of the
        patients with that symptom at baseline and a score).

    Notes
    -----
    The classes are the paper's score labels: 0 complete disappearance,
    up to 0.25 dramatic, up to 0.5 substantial, below 1 slight improvement,
    1 no change, above 1 worsening. For single symptoms each class is exactly
    one score; a category mean falls in the class of the interval it lies in.
    Means are quarters / (4 k), and every threshold is a dyadic number that
    such a quotient only equals when it is exactly equal, so the comparisons
    are exact.
    """
    name = matrix.columns.name or "symptom"
    rows = []
    for column in matrix.columns:
        values = matrix[column].to_numpy(dtype="float64")
        values = values[~np.isnan(values)]
        counts = [
            np.sum(values == 0),
            np.sum((values > 0) & (values <= 0.25)),
            np.sum((values > 0.25) & (values <= 0.5)),
            np.sum((values > 0.5) & (values < 1)),
            np.sum(values == 1),
            np.sum(values > 1),
        ]
        for score_class, n in zip(SCORE_CLASSES, counts):
            rows.append((column, score_class, int(n), n / len(values) if len(values) else np.nan))
    return pd.DataFrame(rows, columns=[name, "score_class", "n", "share"])


def improvement_shares(changes: pd.DataFrame) -> pd.DataFrame:
    """Improved / unchanged / worse as a long table, for stacked bars.

    Returns
    -------
    DataFrame
        Columns: the label column of ``changes`` (symptom or category),
        outcome ("improved", "unchanged", "worse"), n and share (of the
        patients assessed; NaN when none was).
    """
    level = "symptom" if "symptom" in changes.columns else "category"
    rows = []
    for _, row in changes.iterrows():
        total = int(row["n_assessed"])
        for outcome in OUTCOMES:
            n = int(row[f"n_{outcome}"])
            rows.append((row[level], outcome, n, n / total if total else np.nan))
    out = pd.DataFrame(rows, columns=[level, "outcome", "n", "share"])
    out.attrs.update(changes.attrs)
    return out


__all__ = [
    "ADJUSTMENT_LABELS",
    "describe_time",
    "symptom_scores",
    "symptom_changes",
    "format_symptom_table",
    "symptom_heatmap_data",
    "score_distribution",
    "improvement_shares",
]
