"""Comparable patients for an MDT candidate: who in the cohort is like this patient?

Rules (stated here, on the page and in the report)
--------------------------------------------------
Diagnosis first
    Patients of the candidate's diagnosis subgroup (ISM, CM, MMAS, idiopathic
    MCAS, ...: :func:`candidate.candidate_subgroup`) come first; patients of
    the rest of the group (primary: mastocytoses and MMAS) are used only when
    the subgroup has too few (the relaxation ladder below).
Similarity (0 to 1)
    A weighted mean of components, each between 0 and 1:

    - baseline symptoms, weight 3 (half of the total when no extra
      characteristic is ticked): weighted Jaccard similarity of the baseline
      symptom sets, sum of the weights of the shared symptoms divided by the
      sum of the weights of the symptoms of either; 0 when both are empty.
      A symptom's weight is its smoothed inverse prevalence in the selected
      cohort, ``1 + ln((1 + N) / (1 + n_s))`` (N patients, n_s with the
      symptom at baseline; the "smooth idf" of scikit-learn's
      TfidfTransformer): a symptom every patient has weighs 1, one in 1 of
      10 patients about 3.2, so sharing a rare symptom (anaphylaxis) counts
      more than sharing a common one (pruritus). The weights are a stated
      rule, not fitted: with a few dozen patients, weights estimated from
      response (per symptom or per category) would be noise.
    - KIT D816V status, weight 1: 1 when equal, 0 when different, 0.5 when
      either is not evaluated.
    - age at treatment, weight 1: ``1 - |difference| / 40 years``, 0 beyond
      40 years; 0.5 when either age is unknown.
    - sex, weight 1: 1 when equal, 0 when different, 0.5 when unknown.
    - each extra characteristic the user ticks
      (:data:`candidate.EXTRA_CHARACTERISTICS`), weight 1: yes/no equal 1,
      different 0; tryptase ``1 - |log10(a) - log10(b)|`` (0 beyond a
      ten-fold difference); 0.5 when the patient's value is missing.

    The component weights are a stated choice (symptoms first, as the MDT
    question is about symptoms; the others together as much), not a fitted
    model.
How many
    The ``k`` closest patients (default :data:`DEFAULT_K` = 15: about half
    of the largest subgroup of the reference study, 29 ISM of 55 patients, so
    that the set stays specific, while an exact 95 % CI on 15 patients stays
    within about ±25 points). Exactly k are taken: patients whose similarity
    equals the k-th one's (to 6 decimals) at the same step are tied, and the
    tie is broken by patient identifier (alphabetical order), a stated rule
    that gives the same set on every run; the statement says how many tied
    patients were left out. Including every tied patient instead would, for
    a candidate described only by diagnosis and KIT status, bring in the
    whole subgroup (23 of 29 ISM for k = 15 on the demo) and make k
    meaningless; the whole subgroup is already shown as the sensitivity
    row.
Relaxation ladder
    Step 1 takes the subgroup's patients sharing at least ``t0`` of the
    candidate's symptoms (``t0`` = half of them, rounded up); each next step
    asks one shared symptom fewer, down to 0; then the same steps for the
    rest of the group (skipped when the group is the subgroup, as for
    idiopathic MCAS). Patients are taken step by step, the closest first
    within a step, until k are chosen; the report says which steps were
    taken and how many patients each brought.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

import numpy as np
import pandas as pd

from omalizumab_core.analyses.candidate_profile import (
    EXTRA_CHARACTERISTICS,
    Candidate,
    _distinct,
    _names_and_codes,
    _row_positions,
    candidate_group,
    candidate_subgroup,
)
from omalizumab_core.data.vocabulary import canonical_name
from omalizumab_core.engine.scoring import ScoredCohort
from omalizumab_core.formatting import ordinal

DEFAULT_K = 15
SYMPTOM_WEIGHT = 3
OTHER_WEIGHT = 1
AGE_SPAN_YEARS = 40.0
TIE_DECIMALS = 6

COMPARABLE_COLUMNS = [
    "patient_id",
    "subgroup",
    "kit_d816v",
    "sex",
    "age_at_treatment",
    "n_baseline_symptoms",
    "n_shared",
    "shared_symptoms",
    "symptom_similarity",
    "similarity",
    "step",
    "best_response",
]
RELAXATION_COLUMNS = ["step", "rule", "eligible", "added"]


@dataclass(frozen=True)
class ComparableSet:
    """The comparable patients of a candidate and how they were chosen.

    Attributes
    ----------
    patients : DataFrame
        Columns ``COMPARABLE_COLUMNS``, the chosen patients, in the order
        they were taken (step, then similarity descending, then patient id).
    relaxation : DataFrame
        Columns ``RELAXATION_COLUMNS``, one row per step taken: step (1, 2,
        ...), rule (in words), eligible (patients first eligible at this
        step), added (of them, chosen).
    k : int
        The number asked for.
    symptom_weights : DataFrame
        symptom, patients (with it at baseline), weight: the candidate's
        symptoms' weights.
    tied_out : int
        Patients as similar as the k-th one (same step) left out by the
        tie-break (patient identifier order).
    """

    patients: pd.DataFrame
    relaxation: pd.DataFrame
    k: int
    symptom_weights: pd.DataFrame
    tied_out: int = 0


def symptom_weights(scored: ScoredCohort) -> pd.Series:
    """Each baseline symptom's weight, ``1 + ln((1 + N) / (1 + n_s))``, by canonical name.

    N is the number of patients of ``scored``, n_s those with the symptom at
    baseline (month 0). A name absent from the cohort weighs
    ``1 + ln(1 + N)``.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> w = symptom_weights(demo_scored())
    >>> bool(w["anaphylaxis"] > w["pruritus"])
    True
    """
    symptoms = scored.cohort.symptoms
    baseline = symptoms[symptoms["month"].to_numpy(dtype="float64") == 0]
    names, codes = _names_and_codes(baseline["symptom"])
    canonical = np.array([canonical_name(n) for n in names] + [None], dtype=object)[np.where(codes >= 0, codes, len(names))]
    pairs = pd.DataFrame({"patient_id": baseline["patient_id"].astype("object").to_numpy(), "symptom": canonical}).dropna().drop_duplicates()
    n_s = pairs["symptom"].value_counts()
    n = len(scored.outcomes)
    weights = (1 + np.log((1 + n) / (1 + n_s))).rename("weight")
    weights.attrs["patients"] = n_s.to_dict()
    return weights


def _weight_of(weights: pd.Series, name: str, n: int) -> float:
    return float(weights.get(name, 1 + np.log(1 + n)))


def _closeness(candidate_value, values: np.ndarray, kind: str) -> np.ndarray:
    """Component in [0, 1] for one characteristic; 0.5 where a value is unknown."""
    out = np.full(len(values), 0.5)
    if candidate_value is None:
        return out
    if kind == "tryptase":
        v = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").to_numpy(dtype="float64")
        known = v > 0
        out[known] = np.clip(1 - np.abs(np.log10(v[known]) - np.log10(float(candidate_value))), 0, 1)
        return out
    if kind == "age":
        v = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").to_numpy(dtype="float64")
        known = ~np.isnan(v)
        out[known] = np.clip(1 - np.abs(v[known] - float(candidate_value)) / AGE_SPAN_YEARS, 0, 1)
        return out
    series = pd.Series(values, dtype="object")
    known = series.notna().to_numpy().copy()
    if kind == "kit":
        known &= series.to_numpy() != "not_evaluated"
        if candidate_value == "not_evaluated":
            return out
    if kind == "yes/no":
        equal = series[known].astype(bool).to_numpy() == bool(candidate_value)
    else:
        equal = series[known].to_numpy() == candidate_value
    out[known] = equal.astype("float64")
    return out


def _symptom_overlap(scored: ScoredCohort, candidate: Candidate, ids: pd.Index, weights: pd.Series):
    """Per patient of ``ids``: n baseline symptoms, n shared, shared names, weighted Jaccard."""
    wanted = list(candidate.symptoms)
    symptoms = scored.cohort.symptoms
    at_baseline = symptoms["month"].to_numpy(dtype="float64") == 0
    who = _row_positions(symptoms["patient_id"], ids)[at_baseline]
    names, codes = _names_and_codes(symptoms["symptom"])
    others = [n for n in dict.fromkeys(canonical_name(x) for x in names) if n not in set(wanted)]
    canonical = pd.Index(wanted + others)
    per_name = np.append(canonical.get_indexer([canonical_name(x) for x in names]), -1)
    what = per_name[np.where(codes >= 0, codes, len(names))][at_baseline]
    keep = (who >= 0) & (what >= 0)
    width = max(len(canonical), 1)
    pairs = _distinct(who[keep] * width + what[keep])
    who_u, what_u = pairs // width, pairs % width
    n = len(scored.outcomes)
    w = np.array([_weight_of(weights, name, n) for name in canonical], dtype="float64")
    n_baseline = np.bincount(who_u, minlength=len(ids))
    shared = what_u < len(wanted)
    n_shared = np.bincount(who_u[shared], minlength=len(ids))
    weight_all = np.bincount(who_u, weights=w[what_u], minlength=len(ids))
    weight_shared = np.bincount(who_u[shared], weights=w[what_u[shared]], minlength=len(ids))
    union = w[: len(wanted)].sum() + weight_all - weight_shared
    jaccard = np.divide(weight_shared, union, out=np.zeros(len(ids)), where=union > 0)
    text = pd.Series([""] * len(ids), dtype="object")
    if shared.any():
        joined = pd.DataFrame({"who": who_u[shared], "name": np.array(wanted, dtype=object)[what_u[shared]]})
        joined = joined.sort_values(["who", "name"]).groupby("who")["name"].agg("; ".join)
        text.iloc[joined.index.to_numpy()] = joined.to_numpy()
    return n_baseline, n_shared, text.to_numpy(), jaccard


def _ladder(candidate: Candidate) -> list[tuple[str, int]]:
    """The relaxation steps: (population, minimum shared symptoms)."""
    start = ceil(len(candidate.symptoms) / 2)
    steps = [("subgroup", t) for t in range(start, -1, -1)]
    if candidate_subgroup(candidate) != candidate_group(candidate):
        steps += [("group", t) for t in range(start, -1, -1)]
    return steps


def step_rule(candidate: Candidate, population: str, shared: int) -> str:
    """One relaxation step in words."""
    from omalizumab_core.data.codes import SUBGROUP_LABELS

    where = (
        f"same subgroup ({SUBGROUP_LABELS[candidate_subgroup(candidate)]})"
        if population == "subgroup"
        else "rest of the primary group (mastocytoses and MMAS)"
    )
    if not candidate.symptoms:
        return f"{where}, no symptom entered"
    if shared == 0:
        return f"{where}, any symptoms"
    n = len(candidate.symptoms)
    return f"{where}, sharing at least {shared} of the candidate's {n} symptom{'s' if n != 1 else ''}"


def find_comparable(scored: ScoredCohort, candidate: Candidate, *, k: int = DEFAULT_K) -> ComparableSet:
    """The k patients most like the candidate, subgroup first, with the relaxation steps taken.

    Parameters
    ----------
    scored : ScoredCohort
        The (filtered) cohort.
    candidate : Candidate
    k : int
        How many patients to choose (at least 1); a tie at the k-th place is
        broken by patient identifier (see the module docstring).

    Returns
    -------
    ComparableSet

    Raises
    ------
    ValueError
        When k is below 1.

    Notes
    -----
    The rules (similarity, weights, ladder, ties) are in the module
    docstring of :mod:`omalizumab_core.analyses.comparable`.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> c = Candidate("ISM", "positive", 45, "F", ("flushing", "pruritus", "diarrhoea", "anaphylaxis", "fatigue"))
    >>> found = find_comparable(demo_scored(), c)
    >>> len(found.patients), set(found.patients["subgroup"])
    (15, {'ISM'})
    """
    k = int(k)
    if k < 1:
        raise ValueError(f"the number of comparable patients must be at least 1, not {k}")
    outcomes = scored.outcomes
    group = candidate_group(candidate)
    same_group = outcomes[outcomes["group"].to_numpy() == group]
    ids = pd.Index(same_group["patient_id"].astype("object"))
    weights = symptom_weights(scored)
    n_baseline, n_shared, shared_names, jaccard = _symptom_overlap(scored, candidate, ids, weights)
    patients = scored.cohort.patients
    at = pd.Index(patients["patient_id"].astype("object")).get_indexer(ids)

    def column(name):
        return patients[name].to_numpy(dtype=object)[at] if name in patients else np.full(len(ids), None, dtype=object)

    parts = [(SYMPTOM_WEIGHT, jaccard)]
    parts.append((OTHER_WEIGHT, _closeness(candidate.kit_d816v, column("kit_d816v"), "kit")))
    parts.append((OTHER_WEIGHT, _closeness(candidate.age, column("age_at_treatment"), "age")))
    parts.append((OTHER_WEIGHT, _closeness(candidate.sex, column("sex"), "sex")))
    for key, value in candidate.extras:
        parts.append((OTHER_WEIGHT, _closeness(value, column(key), EXTRA_CHARACTERISTICS[key][1])))
    similarity = sum(w * v for w, v in parts) / sum(w for w, _ in parts)
    ladder = _ladder(candidate)
    start = ceil(len(candidate.symptoms) / 2)
    in_subgroup = same_group["subgroup"].to_numpy() == candidate_subgroup(candidate)
    step_in_block = start - np.minimum(n_shared, start)
    step = np.where(in_subgroup, step_in_block, (start + 1) + step_in_block) + 1  # 1-based
    age = pd.to_numeric(pd.Series(column("age_at_treatment"), dtype="object"), errors="coerce").to_numpy(dtype="float64")
    pool = pd.DataFrame(
        {
            "patient_id": ids.to_numpy(),
            "subgroup": same_group["subgroup"].to_numpy(),
            "kit_d816v": column("kit_d816v"),
            "sex": column("sex"),
            "age_at_treatment": age,
            "n_baseline_symptoms": n_baseline,
            "n_shared": n_shared,
            "shared_symptoms": shared_names,
            "symptom_similarity": jaccard,
            "similarity": similarity,
            "step": step,
            "best_response": same_group["best_response"].to_numpy(),
        }
    )
    pool["_tie"] = pool["similarity"].round(TIE_DECIMALS)
    pool = pool.sort_values(["step", "_tie", "patient_id"], ascending=[True, False, True], kind="stable").reset_index(drop=True)
    tied_out = 0
    if len(pool) > k:
        # The pool is sorted by step, similarity, then patient id: the first k break any tie by identifier.
        kth = pool.iloc[k - 1]
        tied = ((pool["step"] == kth["step"]) & (pool["_tie"] == kth["_tie"])).to_numpy()
        tied_out = int(tied[k:].sum())
        chosen = pool.iloc[:k]
    else:
        chosen = pool
    # Fewer than k in the whole group: every step was tried.
    last_step = int(chosen["step"].max()) if len(pool) > k else len(ladder)
    relaxation = pd.DataFrame(
        [
            (i, step_rule(candidate, population, shared), int((pool["step"] == i).sum()), int((chosen["step"] == i).sum()))
            for i, (population, shared) in enumerate(ladder, start=1)
            if i <= last_step
        ],
        columns=RELAXATION_COLUMNS,
    )
    weight_table = pd.DataFrame(
        {
            "symptom": list(candidate.symptoms),
            "patients": [int(weights.attrs["patients"].get(s, 0)) for s in candidate.symptoms],
            "weight": [_weight_of(weights, s, len(outcomes)) for s in candidate.symptoms],
        }
    )
    return ComparableSet(
        patients=chosen[COMPARABLE_COLUMNS].reset_index(drop=True),
        relaxation=relaxation,
        k=k,
        symptom_weights=weight_table,
        tied_out=tied_out,
    )


def comparable_patients(scored: ScoredCohort, candidate: Candidate, *, k: int = DEFAULT_K) -> pd.DataFrame:
    """The chosen comparable patients only (``find_comparable(...).patients``).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> len(comparable_patients(demo_scored(), Candidate("CM", "negative", 80, "M", ("pruritus",)), k=5))
    5
    """
    return find_comparable(scored, candidate, k=k).patients


def format_comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """The comparable patients as displayed: clinical headers, similarities to 2 decimals."""
    from omalizumab_core.data.codes import RESPONSE_LABELS, SEX_LABELS, SUBGROUP_LABELS
    from omalizumab_core.formatting import number

    kit = {"positive": "positive", "negative": "negative", "not_evaluated": "not evaluated"}
    return pd.DataFrame(
        {
            "Patient": frame["patient_id"].astype(str),
            "Similarity": [f"{s:.2f}" for s in frame["similarity"]],
            "Best response": frame["best_response"].map(RESPONSE_LABELS),
            "Step": frame["step"].astype(int),
            "Subgroup": frame["subgroup"].map(SUBGROUP_LABELS).fillna(frame["subgroup"]),
            "Shared with the candidate": [f"{int(n)}: {s}" if n else "0" for n, s in zip(frame["n_shared"], frame["shared_symptoms"])],
            "KIT D816V": frame["kit_d816v"].map(kit).fillna("–"),
            "Sex": frame["sex"].map(SEX_LABELS).fillna("–"),
            "Age at treatment (years)": [number(a, decimals=0) for a in frame["age_at_treatment"]],
            "Baseline symptoms": frame["n_baseline_symptoms"].astype(int),
            "Symptom similarity": [f"{s:.2f}" for s in frame["symptom_similarity"]],
        }
    )


def format_relaxation(frame: pd.DataFrame, k: int) -> pd.DataFrame:
    """The relaxation steps as displayed."""
    return pd.DataFrame(
        {
            "Step": frame["step"].astype(int),
            "Patients eligible": frame["rule"],
            "New at this step": frame["eligible"].astype(int),
            "Taken": frame["added"].astype(int),
        }
    )


def relaxation_summary(found: ComparableSet) -> str:
    """One sentence: how many were chosen, and whether the ladder had to be relaxed."""
    n = len(found.patients)
    steps = found.relaxation
    taken = steps[steps["added"] > 0]
    if n == 0:
        return "No patient of the candidate's group in the selection."
    brought = "; ".join(f"step {int(r.step)} ({r.rule}): {int(r.added)}" for r in taken.itertuples(index=False))
    left = found.tied_out
    extra = (f" ({left} more patient{'s' if left != 1 else ''} as similar as the {ordinal(found.k)} left out: ties broken by patient identifier)"
             if left else "")
    short = f" Only {n} patient{'s' if n != 1 else ''} of the group in the selection, fewer than the {found.k} asked for." if n < found.k else ""
    if len(steps) == 1:
        return f"The {n} closest patients{extra} all came from the first step, {steps['rule'].iloc[0]}; no relaxation was needed.{short}"
    return f"{n} patients{extra}, relaxed to step {len(steps)}: {brought}.{short}"


def matching_rule(k: int) -> str:
    """The matching rule in words, for the page and the report."""
    return (
        f"Comparable patients: the {k} closest patients (a tie at the {ordinal(k)} place broken by patient identifier), same diagnosis subgroup first. "
        "Similarity (0 to 1) weighs baseline symptoms 3 and KIT D816V, age and sex 1 each (plus 1 per extra characteristic ticked). "
        "Symptoms: weighted Jaccard similarity, each symptom weighted by its rarity in the selected cohort, 1 + ln((1 + N) / (1 + patients with it)), "
        "so sharing a rare symptom such as anaphylaxis counts more than sharing a common one; a stated rule, not fitted, as a cohort of a few dozen "
        "patients cannot support weights estimated from response. Age: 1 − difference / 40 years. Unknown values count 0.5. "
        "If too few patients match, the rule is relaxed step by step: fewer shared symptoms, then the rest of the group."
    )
