"""A filtered selection's Publication figures are counted from per-patient values kept once per scored cohort
(issue 21): they equal the simple definitions read from the selection's own tables, and the selection's
13-million-row symptoms table is never built for them."""

import numpy as np
import pandas as pd

from omalizumab_core.analyses.publication import publication_comparison
from omalizumab_core.analyses.symptom_changes import symptom_scores
from omalizumab_core.engine.scoring import score_cohort
from tests.handmade import cohort_of, course, patient

SYMPTOM_QUANTITIES = (
    "Mean number of baseline symptoms per patient",
    "Patients with anaphylaxis",
    "Anaphylaxis at best response: improved / worsened",
)


def _cohort():
    # A: anaphylaxis improved (0.5) at best response, flushing unchanged. B: anaphylaxis worsened (1.5),
    # so no response, read at the first assessment. C: anaphylaxis never assessed on treatment (no score).
    # D: no anaphylaxis; a symptom first seen at month 2 is not a baseline symptom.
    # E: in no selection below; its rows must not count.
    patients = [
        patient("A", prior_therapies="H1 antihistamine; Montelukast"),
        patient("B", prior_therapies="montelukast"),
        patient("C", prior_therapies=None),
        patient("D", prior_therapies="Imatinib, H1 ANTIHISTAMINE"),
        patient("E", prior_therapies="cladribine"),
    ]
    rows = (
        course("A", {"anaphylaxis": {0: 1, 2: 0.5}, "flushing": {0: 1, 2: 1}})
        + course("B", {"anaphylaxis": {0: 1, 2: 1.5}})
        + course("C", {"anaphylaxis": {0: 1}, "pruritus": {0: 1}})
        + course("D", {"fatigue": {0: 1, 2: 0.5}, "headache": {2: 1}})
        + course("E", {"anaphylaxis": {0: 1, 2: 0}, "flushing": {0: 1}, "fatigue": {0: 1}})
    )
    return score_cohort(cohort_of(patients, rows))


def _simple(selection) -> dict:
    """The definitions as first written, on the selection's own (built) tables."""
    symptoms = selection.cohort.symptoms
    n = len(selection.outcomes)
    scores = symptom_scores(selection)
    anaphylaxis = scores[scores["symptom"].astype(str) == "anaphylaxis"]
    assessed = anaphylaxis.dropna(subset=["score"])
    therapies = selection.cohort.patients["prior_therapies"].fillna("").astype(str).str.lower()
    return {
        "Mean number of baseline symptoms per patient": f"{len(symptoms[symptoms['month'] == 0]) / n:.1f}".removesuffix(".0"),
        "Patients with anaphylaxis": str(len(anaphylaxis)),
        "Anaphylaxis at best response: improved / worsened": f"{int((assessed['score'] < 1).sum())}/{int((assessed['score'] > 1).sum())}",
        **{f"Previous therapy: {t}": str(int(therapies.str.contains(t, regex=False).sum())) for t in ("h1 antihistamine", "montelukast", "imatinib", "cladribine")},
    }


def _derived(table) -> dict:
    return dict(zip(table["quantity"], table["derived"]))


def test_selection_symptom_and_prior_therapy_figures_equal_the_simple_definitions():
    scored = _cohort()
    for keep in ([True, True, True, True, False], [True, False, True, False, False], [False, True, False, True, True]):
        selection = scored.restrict(np.array(keep))
        derived = _derived(publication_comparison(selection))
        expected = _simple(scored.restrict(np.array(keep)))
        assert {q: derived[q] for q in expected} == expected


def test_selection_figures_by_hand():
    # A, B, C, D: 2 + 1 + 2 + 1 baseline rows over 4 patients = 1.5; anaphylaxis in A, B, C;
    # improved in A, worsened in B, C not assessed. H1 antihistamine named by A and D (any case).
    derived = _derived(publication_comparison(_cohort().restrict(np.array([True, True, True, True, False]))))
    assert [derived[q] for q in SYMPTOM_QUANTITIES] == ["1.5", "3", "1/1"]
    assert (derived["Previous therapy: h1 antihistamine"], derived["Previous therapy: cladribine"]) == ("2", "0")


def test_whole_cohort_figures_equal_the_simple_definitions():
    scored = _cohort()
    derived = _derived(publication_comparison(scored))
    assert {q: derived[q] for q in _simple(scored)} == _simple(scored)


def test_selection_symptoms_table_is_not_built_for_the_comparison():
    selection = _cohort().restrict(np.array([True, True, False, True, False]))
    publication_comparison(selection)
    assert "symptoms" in selection.cohort.__dict__["_pending"]


def test_no_prior_therapy_recorded_in_the_selection_is_not_available():
    selection = _cohort().restrict(np.array([False, False, True, False, False]))  # C: none recorded
    assert _derived(publication_comparison(selection))["Previous therapy: montelukast"] == "not available"
    assert pd.isna(selection.cohort.patients["prior_therapies"]).all()
