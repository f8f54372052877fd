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
    Chosen in :mod:`omalizumab_core.analyses.comparable` (subgroup first,
    then closeness on symptoms, KIT D816V, age, sex and ticked extras, k
    closest with a stated relaxation ladder).
Outcomes
    Best response, response persisting at last follow-up and time to first
    response of the comparable patients (:func:`candidate_outcomes`); the
    same figures for the whole subgroup and the whole selection
    (:func:`sensitivity_table`); each symptom's evolution in the patients who
    had it; safety signals among the comparable patients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from omalizumab_core.data.codes import RESPONSES
from omalizumab_core.engine.scoring import ScoredCohort
from omalizumab_core.data.problems import TooFewPatients
from omalizumab_core.stats.exact import proportion_ci

from omalizumab_core.analyses.candidate_profile import (  # noqa: F401  (the page's names, re-exported)
    EXTRA_CHARACTERISTICS,
    TRYPTASE_RANGE,
    Candidate,
    _rows_of,
    candidate_group,
    candidate_subgroup,
    symptom_checklist,
)

# --- outcomes of comparable patients ------------------------------------------

_RATE_LABELS = {
    "overall": "Overall response (CR + MR + PR)",
    "CR": "Complete response",
    "MR": "Major response",
    "PR": "Partial response",
    "persistent": "Response persisting at last follow-up (CR, MR or PR)",
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
        One row per measure ("overall", "CR", "MR", "PR", "persistent",
        "sustained"): measure, patients, total, proportion, ci_low, ci_high
        (exact Clopper–Pearson 95 %).
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
    and 6 months). Persistent response: status at last follow-up CR, MR or
    PR (Table 2's "response at last follow-up": still responding, neither
    lost nor stopped), over all comparable patients. Sustained response (at
    least 3 months) is counted among responders, as the paper's "33/43
    patients".

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
        raise TooFewPatients("No comparable patient in the current selection: widen the filters in the sidebar.")
    best = rows["best_response"].value_counts()
    counts = {c: int(best.get(c, 0)) for c in RESPONSES}
    responders = rows[rows["best_response"].isin(["CR", "MR", "PR"]).to_numpy()]
    sustained = int(responders["sustained_3_months"].astype(bool).sum())
    rate_rows = [("overall", counts["CR"] + counts["MR"] + counts["PR"], n)]
    rate_rows += [(c, counts[c], n) for c in ("CR", "MR", "PR")]
    rate_rows.append(("persistent", int(rows["status_at_last_follow_up"].isin(["CR", "MR", "PR"]).sum()), n))
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
    """The MDT page's headline: (label, value, detail) for the comparable patients.

    Number of comparable patients, overall response and response persisting
    at last follow-up (each with its exact 95 % CI), median months to first
    response among responders. Details are short enough for a metric
    card: "11/15 · CI [44.9–92.2 %]" (exact Clopper–Pearson 95 % CI).

    Examples
    --------
    >>> headline(0, None)
    [('Comparable patients', '0', '')]
    """
    from omalizumab_core.formatting import ci, months, number, pct

    items = [("Comparable patients", str(n_comparable), "")]
    if result is None:
        return items
    rates = result.rates.set_index("measure")
    for measure, label in (("overall", "Overall response"), ("persistent", "Persistent response")):
        row = rates.loc[measure]
        detail = f"{int(row['patients'])}/{int(row['total'])} · CI {ci(row['ci_low'], row['ci_high'])}"
        items.append((label, pct(row["proportion"]), detail))
    first = result.times.set_index("measure").loc["months_to_first_response"]
    if first["patients"]:
        items.append(("Median time to response", months(first['median']),
                      f"to first response, {int(first['patients'])} responders, range {number(first['minimum'])}–{number(first['maximum'])}"))
    else:
        items.append(("Median time to response", "–", "no responder"))
    return items


def format_candidate_outcomes(result: CandidateOutcomes) -> pd.DataFrame:
    """Rates, times and sustained response as one display table."""
    from omalizumab_core.formatting import ci, median_range, n_of, n_pct

    rows = []
    for r in result.rates.itertuples(index=False):
        # Sustained response counts among the responders, not all comparable patients: "15/18 (83.3 %)".
        shown = n_of(r.patients, r.total) if r.measure == "sustained" else n_pct(r.patients, r.total)
        rows.append((_RATE_LABELS[r.measure], shown, ci(r.ci_low, r.ci_high)))
    for t in result.times.itertuples(index=False):
        value = median_range(t.median, t.minimum, t.maximum)
        rows.append((_TIME_LABELS[t.measure], f"{value}, n = {t.patients}" if t.patients else "no responder", "median (range)"))
    return pd.DataFrame(rows, columns=["Outcome", "Comparable patients", "95 % CI or summary"])


SENSITIVITY_COLUMNS = [
    "population", "n", "overall", "overall_rate", "overall_lower", "overall_upper",
    "persistent", "persistent_rate", "persistent_lower", "persistent_upper",
    "median_months_to_first_response", "responders_with_time",
]


def sensitivity_table(scored: ScoredCohort, candidate: Candidate, comparable_ids) -> pd.DataFrame:
    """The headline figures for the comparable patients, the whole subgroup and the whole selection.

    Shows whether the comparable set differs from the base rate: if the three
    rows agree, matching added little beyond the subgroup.

    Parameters
    ----------
    scored : ScoredCohort
        The (filtered) cohort.
    candidate : Candidate
    comparable_ids : sequence of str

    Returns
    -------
    DataFrame
        Columns ``SENSITIVITY_COLUMNS``, one row per population
        ("comparable", "subgroup", "cohort"): n, overall and persistent
        response counts, rates and exact 95 % bounds, median months to first
        response among responders and their number. A population without
        patient has n = 0 and NaN rates.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> t = sensitivity_table(demo_scored(), Candidate("ISM", "positive"), [])
    >>> t[["population", "n"]].values.tolist()
    [['comparable', 0], ['subgroup', 29], ['cohort', 55]]
    """
    outcomes = scored.outcomes
    subgroup = outcomes.loc[outcomes["subgroup"].to_numpy() == candidate_subgroup(candidate), "patient_id"]
    rows = []
    for population, ids in (("comparable", comparable_ids), ("subgroup", subgroup), ("cohort", outcomes["patient_id"])):
        try:
            result = candidate_outcomes(scored, ids)
        except TooFewPatients:
            rows.append((population, 0, *([0, np.nan, np.nan, np.nan] * 2), np.nan, 0))
            continue
        rates = result.rates.set_index("measure")
        first = result.times.set_index("measure").loc["months_to_first_response"]
        row = [population, result.n]
        for measure in ("overall", "persistent"):
            r = rates.loc[measure]
            row += [int(r["patients"]), float(r["proportion"]), float(r["ci_low"]), float(r["ci_high"])]
        rows.append((*row, float(first["median"]), int(first["patients"])))
    return pd.DataFrame(rows, columns=SENSITIVITY_COLUMNS)


def format_sensitivity(frame: pd.DataFrame, candidate: Candidate) -> pd.DataFrame:
    """The sensitivity table as displayed: one line per population."""
    from omalizumab_core.data.codes import SUBGROUP_LABELS
    from omalizumab_core.formatting import ci, n_pct, number

    names = {
        "comparable": "Comparable patients",
        "subgroup": f"Whole subgroup ({SUBGROUP_LABELS[candidate_subgroup(candidate)]})",
        "cohort": "Whole selection (all subgroups)",
    }

    def rate(r, measure):
        if not r.n:
            return "–"
        return f"{n_pct(getattr(r, measure), r.n)} {ci(getattr(r, measure + '_lower'), getattr(r, measure + '_upper'))}"

    return pd.DataFrame(
        {
            "Patients": [names[p] for p in frame["population"]],
            "n": frame["n"].astype(int),
            "Overall response (exact 95 % CI)": [rate(r, "overall") for r in frame.itertuples(index=False)],
            "Persistent response (exact 95 % CI)": [rate(r, "persistent") for r in frame.itertuples(index=False)],
            "First response, median months": [
                f"{number(r.median_months_to_first_response)} (n = {r.responders_with_time})" if r.responders_with_time else "–"
                for r in frame.itertuples(index=False)
            ],
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
    for key, value in candidate.extras:
        label, _ = EXTRA_CHARACTERISTICS[key]
        rows.append((label, "yes" if value is True else "no" if value is False else number(value)))
    return pd.DataFrame(rows, columns=["Candidate", "Value"])


@dataclass(frozen=True)
class CandidateAssessment:
    """Everything the MDT page, the report and the CLI show for one candidate.

    ``outcomes`` is None when no patient is comparable; ``reason`` then says
    why in clinical words. ``found`` is the
    :class:`~omalizumab_core.analyses.comparable.ComparableSet` (patients,
    relaxation steps, k, symptom weights).
    """

    candidate: Candidate
    k: int
    cohort_n: int
    found: object
    outcomes: CandidateOutcomes | None
    reason: str | None
    symptoms: pd.DataFrame
    safety: pd.DataFrame
    sensitivity: pd.DataFrame

    @property
    def comparable(self) -> pd.DataFrame:
        return self.found.patients

    @property
    def relaxation(self) -> pd.DataFrame:
        return self.found.relaxation

    @property
    def statement(self) -> str:
        return observed_statement(self.cohort_n)


def assess_candidate(scored: ScoredCohort, candidate: Candidate, *, k: int | None = None) -> CandidateAssessment:
    """Comparable patients, their outcomes, the sensitivity rows, per-symptom frequencies and safety.

    Parameters
    ----------
    scored : ScoredCohort
        The (filtered) cohort.
    candidate : Candidate
    k : int, optional
        Number of comparable patients (default
        :data:`omalizumab_core.analyses.comparable.DEFAULT_K`, 15).

    Notes
    -----
    Per-symptom frequencies are counted over the whole (filtered) cohort, as
    the issue asks ("among cohort patients who had it"); rates, times and
    safety over the comparable patients; the sensitivity rows over the
    whole subgroup and the whole selection.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> a = assess_candidate(demo_scored(), Candidate("ISM", "positive", symptoms=("flushing",)), k=10)
    >>> a.outcomes.n == len(a.comparable) == 10
    True
    """
    from omalizumab_core.analyses.candidate_signals import safety_signals, symptom_outcome_frequencies
    from omalizumab_core.analyses.comparable import DEFAULT_K, find_comparable

    k = DEFAULT_K if k is None else int(k)
    found = find_comparable(scored, candidate, k=k)
    ids = found.patients["patient_id"]
    try:
        outcomes, reason = candidate_outcomes(scored, ids), None
    except TooFewPatients as why:
        outcomes, reason = None, str(why)
    return CandidateAssessment(
        candidate=candidate,
        k=k,
        cohort_n=int(len(scored.outcomes)),
        found=found,
        outcomes=outcomes,
        reason=reason,
        symptoms=symptom_outcome_frequencies(scored, candidate.symptoms),
        safety=safety_signals(scored, ids),
        sensitivity=sensitivity_table(scored, candidate, ids),
    )


def candidate_summary(candidate: Candidate) -> str:
    """The candidate in one line, for the collapsed form and the report.

    Examples
    --------
    >>> candidate_summary(Candidate("ISM", "positive", 45, "F", ("flushing", "pruritus")))
    'ISM, KIT D816V positive, 45 years, female · 2 symptoms: flushing, pruritus'
    """
    from omalizumab_core.data.codes import SUBGROUP_LABELS
    from omalizumab_core.formatting import number

    parts = [SUBGROUP_LABELS[candidate_subgroup(candidate)] if candidate.diagnosis == "MCAS" else candidate.diagnosis]
    parts.append({"positive": "KIT D816V positive", "negative": "KIT D816V negative", "not_evaluated": "KIT D816V not evaluated"}[candidate.kit_d816v])
    if candidate.age is not None:
        parts.append(f"{number(candidate.age, decimals=0)} years")
    if candidate.sex:
        parts.append({"F": "female", "M": "male"}[candidate.sex])
    for key, value in candidate.extras:
        label, kind = EXTRA_CHARACTERISTICS[key]
        parts.append(f"{label.lower()}: {'yes' if value is True else 'no' if value is False else number(value)}")
    n = len(candidate.symptoms)
    symptoms = f"{n} symptom{'s' if n != 1 else ''}: " + ", ".join(candidate.symptoms) if n else "no symptom entered"
    return ", ".join(parts) + " · " + symptoms
