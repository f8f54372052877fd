"""A candidate discussed at a multidisciplinary team (MDT) meeting, set against the cohort.

The MDT page describes a patient for whom omalizumab is being considered and
shows what happened to comparable patients of the loaded cohort: observed
frequencies in a small observational cohort, never a prediction. The
candidate is a plain value (:class:`Candidate`) kept by the page in its
session only; nothing here adds it to a cohort or writes it anywhere.

Rules
-----
Group
    As in the engine (:func:`engine.diagnosis_subgroup`): MCAS with KIT D816V
    positive is MMAS, in the primary (clonal) group with the mastocytoses;
    MCAS with KIT D816V negative or not evaluated is idiopathic MCAS.
Symptom names
    A name is compared through its canonical vocabulary name
    (:data:`vocabulary.VOCABULARY`: "diarrhoea" and "diarrhee" are
    "diarrhea"); a name outside the vocabulary is compared as written.
Comparable patients
    Patients of the same group as the candidate. Closeness is the Jaccard
    similarity of the baseline symptom sets, |candidate ∩ patient| /
    |candidate ∪ patient| (0 when both sets are empty). Optionally only
    patients sharing at least k baseline symptoms are kept. Age and sex are
    shown, not used for matching.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from omalizumab_core.data.codes import CATEGORIES, CATEGORY_LABELS, DIAGNOSES, KIT_STATUSES, QUARTERS_PER_POINT, RESPONSES, SEXES, WORSE_QUARTERS
from omalizumab_core.engine.scoring import ScoredCohort, diagnosis_subgroup
from omalizumab_core.data.problems import TooFewPatients
from omalizumab_core.stats.exact import proportion_ci
from omalizumab_core.data.vocabulary import VOCABULARY, canonical_name, category_of

# --- the candidate -----------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """The patient discussed at the MDT meeting (not a cohort patient).

    Attributes
    ----------
    diagnosis : str
        Code of ``codes.DIAGNOSES``.
    kit_d816v : str
        Code of ``codes.KIT_STATUSES``.
    age : float or None
        Age in years, shown beside the comparable patients' ages.
    sex : {"M", "F"} or None
    symptoms : tuple of str
        Symptom names, canonicalised and without duplicates on creation.
    """

    diagnosis: str
    kit_d816v: str = "not_evaluated"
    age: float | None = None
    sex: str | None = None
    symptoms: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.diagnosis not in DIAGNOSES:
            raise ValueError(f"diagnosis must be one of {', '.join(DIAGNOSES)}, not {self.diagnosis!r}")
        if self.kit_d816v not in KIT_STATUSES:
            raise ValueError(f"KIT D816V status must be one of {', '.join(KIT_STATUSES)}, not {self.kit_d816v!r}")
        if self.sex is not None and self.sex not in SEXES:
            raise ValueError(f"sex must be one of {', '.join(SEXES)} or empty, not {self.sex!r}")
        names = tuple(dict.fromkeys(canonical_name(s) for s in self.symptoms if str(s).strip()))
        object.__setattr__(self, "symptoms", names)


def candidate_subgroup(candidate: Candidate) -> str:
    """The candidate's analysis subgroup (ISM, CM, MMAS, idiopathic, ...), by the engine's rule."""
    return str(diagnosis_subgroup(pd.Series([candidate.diagnosis]), pd.Series([candidate.kit_d816v])).iloc[0])


def candidate_group(candidate: Candidate) -> str:
    """"primary" or "idiopathic", by the engine's rule.

    Notes
    -----
    "MCAS [...] can be clonal (if KIT mutation [...] is proven) (MMAS) or non
    clonal": MCAS with KIT D816V positive is MMAS (primary, with the
    mastocytoses); MCAS otherwise is idiopathic.

    Examples
    --------
    >>> candidate_group(Candidate("MCAS", "positive")), candidate_group(Candidate("MCAS", "negative"))
    ('primary', 'idiopathic')
    """
    return "idiopathic" if candidate_subgroup(candidate) == "idiopathic" else "primary"


# --- symptom names -----------------------------------------------------------

def _names_and_codes(symptom: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Distinct symptom names and each row's position among them (one look-up per name)."""
    if isinstance(symptom.dtype, pd.CategoricalDtype):
        return symptom.cat.categories.to_numpy(dtype=object), symptom.cat.codes.to_numpy(dtype=np.int64)
    codes, names = pd.factorize(symptom.astype("object"))
    return np.asarray(names, dtype=object), codes.astype(np.int64)


def _row_symptoms(symptom: pd.Series, wanted: list[str]) -> np.ndarray:
    """Each row's position in ``wanted`` (canonical names), -1 for any other symptom.

    Names are canonicalised once per distinct name, so this costs one pass
    over integer codes even for millions of rows.
    """
    names, codes = _names_and_codes(symptom)
    where = {name: i for i, name in enumerate(wanted)}
    per_name = np.array([where.get(canonical_name(n), -1) for n in names] + [-1], dtype=np.int64)
    return per_name[np.where(codes >= 0, codes, len(names))]


def _row_positions(ids: pd.Series, index: pd.Index) -> np.ndarray:
    """Each row's position in ``index`` (patient ids), -1 for patients not in it."""
    if isinstance(ids.dtype, pd.CategoricalDtype):
        per_category = np.append(index.get_indexer(ids.cat.categories.astype("object")), -1)
        codes = ids.cat.codes.to_numpy(dtype=np.int64)
        return per_category[np.where(codes >= 0, codes, len(per_category) - 1)]
    return index.get_indexer(ids.astype("object"))


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct integers (a sort and a comparison: much faster than np.unique's hashing here)."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def _rows_of(patient_ids: pd.Series, ids) -> np.ndarray:
    """Mask of the rows of a table with one row per patient whose id is in ``ids``."""
    index = pd.Index(patient_ids.astype("object"))
    mask = np.zeros(len(index) + 1, dtype=bool)
    mask[index.get_indexer(pd.Index(ids).astype("object"))] = True
    return mask[:-1]


def symptom_checklist(symptoms: pd.DataFrame | None = None) -> dict[str, list[str]]:
    """Symptoms to choose from, grouped by category code (in ``codes.CATEGORIES`` order).

    Every canonical symptom of the vocabulary, plus the baseline symptoms of
    ``symptoms`` (a cohort's symptoms table) under their canonical name; a
    name outside the vocabulary takes the category the cohort gives it.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_cohort
    >>> symptom_checklist(demo_cohort().symptoms)["headache"]
    ['headache', 'migraine']
    """
    by_category: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    for name, (category, _) in VOCABULARY.items():
        by_category[category].append(name)
    if symptoms is not None and len(symptoms):
        names, codes = _names_and_codes(symptoms["symptom"])
        unknown = [i for i, n in enumerate(names) if category_of(n) is None]
        if unknown:
            rows = symptoms[np.isin(codes, unknown)]
            first = rows.drop_duplicates("symptom")
            for name, category in zip(first["symptom"].astype(str), first["category"].astype(str)):
                name = name.strip()
                target = by_category.setdefault(category if category in by_category else "other", [])
                if name and name not in target:
                    target.append(name)
    return {c: names for c, names in by_category.items() if names}


# --- comparable patients -----------------------------------------------------

COMPARABLE_COLUMNS = [
    "patient_id",
    "subgroup",
    "sex",
    "age_at_treatment",
    "n_baseline_symptoms",
    "n_shared",
    "shared_symptoms",
    "similarity",
    "best_response",
]


def _shared_names(who: np.ndarray, what: np.ndarray, wanted: list[str], n: int) -> np.ndarray:
    """"; "-joined shared symptom names per patient, built once per distinct combination."""
    sets = np.zeros((n, len(wanted)), dtype=bool)
    sets[who, what] = True
    if len(wanted) <= 62:  # one integer per combination
        combination = sets.astype(np.int64) @ (np.int64(1) << np.arange(len(wanted), dtype=np.int64))
        distinct = _distinct(combination)
        text = np.array(["; ".join(sorted(w for j, w in enumerate(wanted) if (v >> j) & 1)) for v in distinct.tolist()], dtype=object)
        return text[np.searchsorted(distinct, combination)] if n else np.array([], dtype=object)
    return np.array(["; ".join(sorted(w for w, h in zip(wanted, row) if h)) for row in sets], dtype=object)


def comparable_patients(scored: ScoredCohort, candidate: Candidate, *, min_shared: int = 0) -> pd.DataFrame:
    """Patients of the candidate's group, closest baseline symptoms first.

    Parameters
    ----------
    scored : ScoredCohort
        The (filtered) cohort.
    candidate : Candidate
    min_shared : int
        0 keeps every patient of the candidate's group; k > 0 keeps only
        patients sharing at least k baseline symptoms with the candidate.

    Returns
    -------
    DataFrame
        Columns ``COMPARABLE_COLUMNS``: patient_id, subgroup, sex,
        age_at_treatment, n_baseline_symptoms (distinct canonical baseline
        symptoms), n_shared, shared_symptoms (names, "; "-joined,
        alphabetical), similarity (Jaccard, in [0, 1]) and best_response.
        Sorted by similarity, then shared symptoms (both descending), then
        patient id.

    Notes
    -----
    Same group as the candidate (primary: mastocytoses and MMAS; idiopathic
    MCAS), by the rule of :func:`candidate_group`. Jaccard similarity of the
    baseline (month 0) symptom sets after canonical naming:
    shared / (candidate's + patient's - shared); 0 when both are empty.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> c = Candidate("MCAS", "negative", symptoms=("flushing", "diarrhea"))
    >>> len(comparable_patients(demo_scored(), c))  # the 14 idiopathic MCAS patients
    14
    """
    outcomes = scored.outcomes
    same = outcomes[outcomes["group"].to_numpy() == candidate_group(candidate)]
    ids = pd.Index(same["patient_id"].astype("object"))
    wanted = list(candidate.symptoms)
    symptoms = scored.cohort.symptoms
    at_baseline = symptoms["month"].to_numpy(dtype="float64") == 0
    who = _row_positions(symptoms["patient_id"], ids)[at_baseline]
    # Canonical names of every baseline row, as codes: the candidate's symptoms
    # first (0..k-1), then any other name.
    names, codes = _names_and_codes(symptoms["symptom"])
    canonical = pd.Index(wanted + [n for n in dict.fromkeys(canonical_name(x) for x in names) if n not in set(wanted)])
    per_name = np.append(canonical.get_indexer([canonical_name(x) for x in names]), -1)
    what = per_name[np.where(codes >= 0, codes, len(names))][at_baseline]
    keep = (who >= 0) & (what >= 0)
    pairs = _distinct(who[keep] * max(len(canonical), 1) + what[keep])  # distinct (patient, symptom)
    who_u, what_u = pairs // max(len(canonical), 1), pairs % max(len(canonical), 1)
    n_baseline = np.bincount(who_u, minlength=len(ids))
    shared = what_u < len(wanted)
    n_shared = np.bincount(who_u[shared], minlength=len(ids))
    shared_names = _shared_names(who_u[shared], what_u[shared], wanted, len(ids))
    union = len(wanted) + n_baseline - n_shared
    similarity = np.divide(n_shared, union, out=np.zeros(len(ids), dtype="float64"), where=union > 0)
    patients = scored.cohort.patients
    at = pd.Index(patients["patient_id"].astype("object")).get_indexer(ids)
    out = pd.DataFrame(
        {
            "patient_id": ids.to_numpy(),
            "subgroup": same["subgroup"].to_numpy(),
            "sex": patients["sex"].to_numpy(dtype=object)[at] if "sex" in patients else pd.NA,
            "age_at_treatment": patients["age_at_treatment"].to_numpy(dtype="float64")[at] if "age_at_treatment" in patients else np.nan,
            "n_baseline_symptoms": n_baseline,
            "n_shared": n_shared,
            "shared_symptoms": shared_names,
            "similarity": similarity,
            "best_response": same["best_response"].to_numpy(),
        }
    )
    out = out[out["n_shared"] >= int(min_shared)]
    out = out.sort_values(["similarity", "n_shared", "patient_id"], ascending=[False, False, True], kind="stable")
    return out[COMPARABLE_COLUMNS].reset_index(drop=True)


def format_comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """The comparable patients as displayed: clinical headers, similarity to 2 decimals."""
    from omalizumab_core.data.codes import RESPONSE_LABELS, SEX_LABELS, SUBGROUP_LABELS
    from omalizumab_core.formatting import number

    return pd.DataFrame(
        {
            "Patient": frame["patient_id"].astype(str),
            "Subgroup": frame["subgroup"].map(SUBGROUP_LABELS).fillna(frame["subgroup"]),
            "Sex": frame["sex"].map(SEX_LABELS).fillna("–"),
            "Age at treatment (years)": [number(a, decimals=0) for a in frame["age_at_treatment"]],
            "Baseline symptoms": frame["n_baseline_symptoms"].astype(int),
            "Shared symptoms": frame["n_shared"].astype(int),
            "Shared with the candidate": frame["shared_symptoms"],
            "Similarity (Jaccard)": [f"{s:.2f}" for s in frame["similarity"]],
            "Best response": frame["best_response"].map(RESPONSE_LABELS),
        }
    )


# --- outcomes of comparable patients ------------------------------------------

_RATE_LABELS = {
    "overall": "Overall response (CR + MR + PR)",
    "CR": "Complete response",
    "MR": "Major response",
    "PR": "Partial response",
    "sustained": "Sustained response ≥ 3 months (among responders)",
}
_TIME_LABELS = {
    "months_to_first_response": "Months to first response (responders)",
    "months_to_best_response": "Months to best response (responders)",
}


@dataclass(frozen=True)
class CandidateOutcomes:
    """What happened to the comparable patients.

    Attributes
    ----------
    n : int
        Number of comparable patients.
    rates : DataFrame
        One row per measure ("overall", "CR", "MR", "PR", "sustained"):
        measure, patients, total, proportion, ci_low, ci_high (exact 95 %).
    times : DataFrame
        One row per measure (months_to_first_response,
        months_to_best_response): measure, patients (responders with a
        time), median, minimum, maximum.
    """

    n: int
    rates: pd.DataFrame
    times: pd.DataFrame


def candidate_outcomes(scored: ScoredCohort, comparable_ids) -> CandidateOutcomes:
    """Best response rates, times to response and sustained response of comparable patients.

    Parameters
    ----------
    scored : ScoredCohort
    comparable_ids : sequence of str
        Patient ids, usually ``comparable_patients(...)["patient_id"]``.

    Returns
    -------
    CandidateOutcomes

    Raises
    ------
    TooFewPatients
        When no patient is comparable.

    Notes
    -----
    Best response as in the engine ("Responses were assigned at time of best
    response"); overall response is CR + MR + PR over all comparable
    patients, with an exact Clopper–Pearson 95 % interval. Times to first and
    best response are summarised among responders (the paper's medians of 2
    and 6 months). Sustained response (at least 3 months) is counted among
    responders, as the paper's "33/43 patients".

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> scored = demo_scored()
    >>> result = candidate_outcomes(scored, scored.outcomes["patient_id"])
    >>> result.rates.set_index("measure").loc["overall", ["patients", "total"]].tolist()
    [43, 55]
    """
    outcomes = scored.outcomes
    rows = outcomes[_rows_of(outcomes["patient_id"], comparable_ids)]
    n = len(rows)
    if n == 0:
        raise TooFewPatients("No comparable patient in the current selection: widen the filters, or lower the number of shared symptoms required.")
    best = rows["best_response"].value_counts()
    counts = {c: int(best.get(c, 0)) for c in RESPONSES}
    responders = rows[rows["best_response"].isin(["CR", "MR", "PR"]).to_numpy()]
    sustained = int(responders["sustained_3_months"].astype(bool).sum())
    rate_rows = [("overall", counts["CR"] + counts["MR"] + counts["PR"], n)]
    rate_rows += [(c, counts[c], n) for c in ("CR", "MR", "PR")]
    rate_rows.append(("sustained", sustained, len(responders)))
    rates = pd.DataFrame(
        [(m, k, total, k / total if total else np.nan, *proportion_ci(k, total)) for m, k, total in rate_rows],
        columns=["measure", "patients", "total", "proportion", "ci_low", "ci_high"],
    )
    time_rows = []
    for column in _TIME_LABELS:
        months = responders[column].dropna().to_numpy(dtype="float64")
        if len(months):
            time_rows.append((column, len(months), float(np.median(months)), float(months.min()), float(months.max())))
        else:
            time_rows.append((column, 0, np.nan, np.nan, np.nan))
    times = pd.DataFrame(time_rows, columns=["measure", "patients", "median", "minimum", "maximum"])
    return CandidateOutcomes(n=n, rates=rates, times=times)


def headline(n_comparable: int, result: CandidateOutcomes | None) -> list[tuple[str, str, str]]:
    """The MDT page's headline metrics: (label, value, detail) for the comparable patients.

    Examples
    --------
    >>> headline(0, None)
    [('Comparable patients', '0', '')]
    """
    from omalizumab_core.formatting import ci, pct

    items = [("Comparable patients", str(n_comparable), "")]
    if result is None:
        return items
    rates = result.rates.set_index("measure")
    for measure, label in (("overall", "Overall response"), ("sustained", "Sustained ≥ 3 months (responders)")):
        row = rates.loc[measure]
        detail = f"{int(row['patients'])} of {int(row['total'])} · 95 % CI {ci(row['ci_low'], row['ci_high'])}"
        items.append((label, pct(row["proportion"]), detail))
    return items


def format_candidate_outcomes(result: CandidateOutcomes) -> pd.DataFrame:
    """Rates, times and sustained response as one display table."""
    from omalizumab_core.formatting import ci, median_range, n_pct

    rows = []
    for r in result.rates.itertuples(index=False):
        of = f" of {r.total} responders" if r.measure == "sustained" else ""
        rows.append((_RATE_LABELS[r.measure], n_pct(r.patients, r.total) + of if r.total else "–", ci(r.ci_low, r.ci_high)))
    for t in result.times.itertuples(index=False):
        value = median_range(t.median, t.minimum, t.maximum)
        rows.append((_TIME_LABELS[t.measure], f"{value}, n = {t.patients}" if t.patients else "no responder", "median (range)"))
    return pd.DataFrame(rows, columns=["Outcome", "Comparable patients", "95 % CI or summary"])


# --- per-symptom frequencies ---------------------------------------------------

SYMPTOM_OUTCOME_COLUMNS = ["symptom", "category", "patients", "improved", "disappeared", "worsened"]


def symptom_outcome_frequencies(scored: ScoredCohort, symptoms, *, patient_ids=None) -> pd.DataFrame:
    """For each symptom, how it evolved in the patients who had it at baseline.

    Parameters
    ----------
    scored : ScoredCohort
        The (filtered) cohort.
    symptoms : sequence of str
        Symptom names (the candidate's); compared through canonical names.
    patient_ids : sequence of str, optional
        Restrict to these patients (default: every patient of ``scored``).

    Returns
    -------
    DataFrame
        One row per symptom, in the given order: symptom, category,
        patients (with the symptom at baseline), improved, disappeared,
        worsened (numbers of those patients).

    Notes
    -----
    Time points: the symptom's recorded on-treatment scores, months > 0 and
    not after ``treatment_end_month`` (the engine's rule: "Treatment was given
    as long as it was effective"). Improved: lowest on-treatment score below
    1 (at least a slight improvement); disappeared: a score of 0 ("complete
    disappearance of the symptom"); worsened: a score of 1.5 at any
    assessment. A patient may count as both improved and worsened (at
    different times); a patient without any on-treatment score for the
    symptom counts only in ``patients``. Scores are compared in integer
    quarters.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> symptom_outcome_frequencies(demo_scored(), ["anaphylaxis"])["patients"].iloc[0] > 0
    np.True_
    """
    from omalizumab_core.data.vocabulary import category_of

    names = list(dict.fromkeys(canonical_name(s) for s in symptoms))
    k = max(len(names), 1)
    table = scored.cohort.symptoms
    patients = scored.cohort.patients
    ids = pd.Index(patients["patient_id"].astype("object"))
    who = _row_positions(table["patient_id"], ids)
    if patient_ids is not None:
        allowed = np.zeros(len(ids) + 1, dtype=bool)
        allowed[ids.get_indexer(pd.Index(patient_ids).astype("object"))] = True
        allowed[-1] = False
        who = np.where(allowed[who], who, -1)
    what = _row_symptoms(table["symptom"], names)
    chosen = (who >= 0) & (what >= 0)
    who, what = who[chosen], what[chosen]
    month = table["month"].to_numpy(dtype="float64")[chosen]
    q = np.rint(table["score"].to_numpy(dtype="float64")[chosen] * QUARTERS_PER_POINT).astype(np.int64)
    end = patients["treatment_end_month"].to_numpy(dtype="float64")[who]
    key = who * k + what  # one (patient, symptom) pair
    baseline = _distinct(key[month == 0])
    later = (month > 0) & ~(end < month)
    later[later] = np.isin(key[later], baseline, kind="sort")  # baseline symptoms only
    per_pair = pd.DataFrame({"key": key[later], "q": q[later]}).groupby("key")["q"].agg(["min", "max"])
    pair_symptom = per_pair.index.to_numpy(dtype=np.int64) % k

    def count(mask) -> np.ndarray:
        return np.bincount(pair_symptom[np.asarray(mask)], minlength=k)

    with_it = np.bincount(baseline % k, minlength=k)
    improved = count(per_pair["min"].to_numpy() < QUARTERS_PER_POINT)
    disappeared = count(per_pair["min"].to_numpy() == 0)
    worsened = count(per_pair["max"].to_numpy() >= WORSE_QUARTERS)
    # A name outside the vocabulary takes the category of its first row.
    present = _distinct(what)
    first = np.array([int(np.argmax(what == p)) for p in present], dtype=np.int64)
    given = dict(zip(present.tolist(), table["category"].iloc[np.flatnonzero(chosen)[first]].astype("object").tolist()))
    out = pd.DataFrame(
        {
            "symptom": names,
            "category": [category_of(n) or str(given.get(i, "other")) for i, n in enumerate(names)],
            "patients": with_it[: len(names)].astype(int),
            "improved": improved[: len(names)].astype(int),
            "disappeared": disappeared[: len(names)].astype(int),
            "worsened": worsened[: len(names)].astype(int),
        }
    )
    return out[SYMPTOM_OUTCOME_COLUMNS]


def format_symptom_outcomes(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-symptom frequencies as displayed: "n (x %)" of the patients with the symptom."""
    from omalizumab_core.formatting import n_pct

    def share(column):
        return [n_pct(int(k), int(n)) if n else "–" for k, n in zip(frame[column], frame["patients"])]

    return pd.DataFrame(
        {
            "Symptom": frame["symptom"],
            "Category": frame["category"].map(CATEGORY_LABELS).fillna(frame["category"]),
            "Patients with it at baseline": frame["patients"].astype(int),
            "Improved (score < 1)": share("improved"),
            "Disappeared (score 0)": share("disappeared"),
            "Worsened (score 1.5)": share("worsened"),
        }
    )


# --- safety ---------------------------------------------------------------

SAFETY_COLUMNS = ["signal", "events", "patients", "total", "recorded", "source"]
_SAFETY_LABELS = {
    "flare": "Flare of mast cell symptoms",
    "severe_first_injection": "Severe or serious reaction at the first injection",
    "stopped_intolerance": "Treatment stopped for intolerance",
}


def safety_signals(scored: ScoredCohort, ids) -> pd.DataFrame:
    """Flares, severe reactions at the first injection and stops for intolerance.

    Parameters
    ----------
    scored : ScoredCohort
    ids : sequence of str
        Patients to count (usually the comparable patients).

    Returns
    -------
    DataFrame
        Columns ``SAFETY_COLUMNS``: signal ("flare", "severe_first_injection",
        "stopped_intolerance"), events (adverse-event rows, NA when not
        counted), patients (distinct patients), total (patients looked at),
        recorded (False when the cohort has no adverse_events table) and
        source (the table counted).

    Notes
    -----
    - Flare: adverse events marked ``flare`` (the paper's "flare effect with
      accentuation of their symptoms on therapy").
    - Severe reaction at the first injection: adverse events at month 0 (the
      first injection) of severity "severe" or marked serious (the paper's
      "edema of the larynx and dyspnea 30 minutes after the first
      injection").
    - Stopped for intolerance: patients whose ``end_reason`` is
      "intolerance" (patients table, always recorded).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> scored = demo_scored()
    >>> safety_signals(scored, scored.outcomes["patient_id"]).set_index("signal")["patients"].tolist()
    [3, 1, 6]
    """
    patients = scored.cohort.patients
    index = pd.Index(patients["patient_id"].astype("object"))
    kept = np.zeros(len(index) + 1, dtype=bool)  # last slot: rows of unknown patients
    kept[index.get_indexer(pd.Index(ids).astype("object"))] = True
    kept[-1] = False
    total = int(kept[:-1].sum())
    events = scored.cohort.adverse_events
    rows = []
    if events is None:
        for signal in ("flare", "severe_first_injection"):
            rows.append((signal, pd.NA, pd.NA, total, False, "adverse events: not recorded"))
    else:
        ae = events[kept[_row_positions(events["patient_id"], index)]]
        flare = ae["flare"].fillna(False).astype(bool).to_numpy()
        severe = (ae["severity"].astype("object").to_numpy() == "severe") | ae["serious"].fillna(False).astype(bool).to_numpy()
        first = ae["month"].to_numpy(dtype="float64") == 0
        for signal, mask in (("flare", flare), ("severe_first_injection", severe & first)):
            who = ae.loc[mask, "patient_id"].astype("object")
            rows.append((signal, int(mask.sum()), int(who.nunique()), total, True, "adverse events"))
    stopped = kept[:-1] & (patients["end_reason"].astype("object").to_numpy() == "intolerance")
    rows.append(("stopped_intolerance", pd.NA, int(stopped.sum()), total, True, "end reason"))
    return pd.DataFrame(rows, columns=SAFETY_COLUMNS)


def format_safety(frame: pd.DataFrame) -> pd.DataFrame:
    """Safety signals as displayed; "not recorded" when the cohort has no adverse events."""
    from omalizumab_core.formatting import n_pct

    events, patients = [], []
    for r in frame.itertuples(index=False):
        if not r.recorded:
            events.append("not recorded")
            patients.append("not recorded")
            continue
        events.append("–" if pd.isna(r.events) else str(int(r.events)))
        patients.append(n_pct(int(r.patients), int(r.total)))
    return pd.DataFrame(
        {
            "Signal": frame["signal"].map(_SAFETY_LABELS),
            "Events": events,
            "Patients": patients,
            "Counted from": frame["source"],
        }
    )


# --- the study's scheme ---------------------------------------------------------

STUDY_SCHEME = (
    "The recommended starting dose of omalizumab was 150 mg every 2 weeks subcutaneously, without taking into "
    "account patient weight nor total IgE level. [...] First injection was always performed at the hospital, and "
    "the following doses could be injected at home. [...] A dose escalation to a maximum of 300 mg every two weeks "
    "was allowed in order to improve a partial efficacy. [...] It should be noted that there is no proof of the "
    "efficacy of these regimens (dose escalation or weekly dosing) and that they are not recommended outside of a "
    "clinical trial."
)
STUDY_SCHEME_SOURCE = (
    "What the reference study did (Lemal et al., J Allergy Clin Immunol Pract 2019, Methods, "
    "\"Omalizumab therapy\"), quoted as a description of the study, not as advice."
)


def observed_statement(n: int) -> str:
    """The sentence every candidate result carries."""
    return f"These are observed frequencies in a small observational cohort (n = {n}), not a prediction."


def describe_candidate(candidate: Candidate) -> pd.DataFrame:
    """The candidate as a two-column display table."""
    from omalizumab_core.data.codes import DIAGNOSIS_LABELS, GROUP_LABELS, KIT_LABELS, SEX_LABELS, SUBGROUP_LABELS
    from omalizumab_core.formatting import number

    rows = [
        ("Diagnosis", DIAGNOSIS_LABELS[candidate.diagnosis]),
        ("KIT D816V", KIT_LABELS[candidate.kit_d816v]),
        ("Subgroup", SUBGROUP_LABELS[candidate_subgroup(candidate)]),
        ("Group", GROUP_LABELS[candidate_group(candidate)]),
        ("Age (years)", number(candidate.age, decimals=0)),
        ("Sex", SEX_LABELS.get(candidate.sex, "–") if candidate.sex else "–"),
        ("Symptoms", f"{len(candidate.symptoms)}: " + ", ".join(candidate.symptoms) if candidate.symptoms else "none entered"),
    ]
    return pd.DataFrame(rows, columns=["Candidate", "Value"])


@dataclass(frozen=True)
class CandidateAssessment:
    """Everything the MDT page and report show for one candidate.

    ``outcomes`` is None when no patient is comparable; ``reason`` then says
    why in clinical words.
    """

    candidate: Candidate
    min_shared: int
    cohort_n: int
    comparable: pd.DataFrame
    outcomes: CandidateOutcomes | None
    reason: str | None
    symptoms: pd.DataFrame
    safety: pd.DataFrame

    @property
    def statement(self) -> str:
        return observed_statement(self.cohort_n)


def assess_candidate(scored: ScoredCohort, candidate: Candidate, *, min_shared: int = 0) -> CandidateAssessment:
    """Comparable patients, their outcomes, per-symptom frequencies and safety signals.

    Per-symptom frequencies are counted over the whole (filtered) cohort;
    rates, times and safety over the comparable patients.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> a = assess_candidate(demo_scored(), Candidate("ISM", "positive", symptoms=("flushing",)), min_shared=1)
    >>> a.outcomes.n == len(a.comparable)
    True
    """
    comparable = comparable_patients(scored, candidate, min_shared=min_shared)
    ids = comparable["patient_id"]
    try:
        outcomes, reason = candidate_outcomes(scored, ids), None
    except TooFewPatients as why:
        outcomes, reason = None, str(why)
    return CandidateAssessment(
        candidate=candidate,
        min_shared=int(min_shared),
        cohort_n=int(len(scored.outcomes)),
        comparable=comparable,
        outcomes=outcomes,
        reason=reason,
        symptoms=symptom_outcome_frequencies(scored, candidate.symptoms),
        safety=safety_signals(scored, ids),
    )


def comparable_rule(min_shared: int) -> str:
    """The comparable-patient rule in words, for the page and the report."""
    keep = "every patient of the same group" if int(min_shared) <= 0 else f"patients of the same group sharing at least {int(min_shared)} baseline symptom{'s' if int(min_shared) != 1 else ''}"
    return (
        f"Comparable patients: {keep} (primary: mastocytoses and MMAS; or idiopathic MCAS). "
        "Closeness is the Jaccard similarity of baseline symptoms: shared symptoms divided by the symptoms of either. "
        "Age and sex are shown, not used for matching."
    )
