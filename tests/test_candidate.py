"""MDT candidate: group rule, Jaccard closeness, outcomes, per-symptom frequencies, safety, and the page."""

from __future__ import annotations

import os
from itertools import product
from math import log
from pathlib import Path

import pandas as pd
import pytest

from omalizumab_core.analyses import candidate as mdt
from omalizumab_core.analyses import comparable as match
from omalizumab_core.analyses import candidate_signals as signals
from omalizumab_core.analyses.candidate import Candidate
from omalizumab_core.data.codes import DIAGNOSES, KIT_STATUSES
from omalizumab_core.engine.scoring import score_cohort
from omalizumab_core.formatting import pct
from omalizumab_core.data.problems import TooFewPatients
from tests.apptest_support import app_on, shown_text
from tests.handmade import cohort_of, course, patient

# P1 ISM: flushing disappears, diarrhea worse at 2 then slightly better at 4 -> PR at month 4.
# P2 CM: pruritus improves but a new symptom (diarrhea, absent at baseline) appears -> NR.
# P3 MMAS: "Diarrhoea" (= diarrhea) disappears, headache worse at 1, then better -> MR at 3 and 6, sustained.
# P4 idiopathic MCAS, worse fatigue at month 2 -> NR; P5 idiopathic MCAS (KIT not evaluated), CR.
# P6 ISM stopped at month 2 for intolerance: the month-3 disappearance is after treatment and ignored.
PATIENTS = [
    patient("P1", diagnosis="ISM", kit_d816v="positive", sex="F", age_at_treatment=40.0),
    patient("P2", diagnosis="CM", kit_d816v="negative", sex="M", age_at_treatment=30.0),
    patient("P3", diagnosis="MCAS", kit_d816v="positive"),
    patient("P4", diagnosis="MCAS", kit_d816v="negative", treatment_end_month=2.0, end_reason="intolerance"),
    patient("P5", diagnosis="MCAS", kit_d816v="not_evaluated"),
    patient("P6", diagnosis="ISM", kit_d816v="positive", treatment_end_month=2.0, end_reason="intolerance"),
]
ROWS = (
    course("P1", {"flushing": {0: 1, 2: 0.5, 4: 0}, "diarrhea": {0: 1, 2: 1.5, 4: 0.75}, "fatigue": {0: 1, 2: 1}})
    + course("P2", {"flushing": {0: 1, 3: 1}, "pruritus": {0: 1, 3: 0.25}, "diarrhea": {3: 1}})
    + course("P3", {"Diarrhoea": {0: 1, 1: 0}, "headache": {0: 1, 1: 1.5, 3: 0.5, 6: 0.5}})
    + course("P4", {"flushing": {0: 1, 2: 0.25}, "fatigue": {0: 1, 2: 1.5}})
    + course("P5", {"anaphylaxis": {0: 1, 1: 0}})
    + course("P6", {"flushing": {0: 1, 1: 1, 3: 0}})
)


def _events(rows):
    frame = pd.DataFrame(rows, columns=["patient_id", "month", "event", "severity", "serious", "flare"])
    frame["month"] = frame["month"].astype(float)
    for column in ("serious", "flare"):
        frame[column] = frame[column].astype("boolean")
    frame["led_to_discontinuation"] = pd.array([False] * len(frame), dtype="boolean")
    return frame


ADVERSE_EVENTS = _events(
    [
        ("P1", 0, "anaphylaxis", "severe", False, False),  # severe at the first injection
        ("P1", 2, "flare of symptoms", "moderate", False, True),
        ("P2", 0, "laryngeal edema", "mild", True, False),  # serious at the first injection
        ("P2", 0, "local rash", "mild", pd.NA, False),
        ("P3", 1, "dyspnea", "severe", False, False),  # severe, but not at the first injection
        ("P3", 1, "flare of symptoms", pd.NA, False, True),
        ("P3", 4, "flare of symptoms", "mild", False, True),
        ("P4", 0, "anaphylaxis", "severe", False, True),  # idiopathic: not among the primary ids
    ]
)


@pytest.fixture(scope="module")
def scored():
    return score_cohort(cohort_of(PATIENTS, ROWS, adverse_events=ADVERSE_EVENTS))


def test_hand_made_cohort_scores_as_reasoned_in_the_comments(scored):
    best = scored.outcomes.set_index("patient_id")["best_response"].to_dict()
    assert best == {"P1": "PR", "P2": "NR", "P3": "MR", "P4": "NR", "P5": "CR", "P6": "NR"}


# --- group rule ----------------------------------------------------------------


def test_mcas_with_kit_positive_is_mmas_in_the_primary_group_otherwise_idiopathic():
    assert (mdt.candidate_subgroup(Candidate("MCAS", "positive")), mdt.candidate_group(Candidate("MCAS", "positive"))) == ("MMAS", "primary")
    assert mdt.candidate_group(Candidate("MCAS", "negative")) == "idiopathic"
    assert mdt.candidate_group(Candidate("MCAS", "not_evaluated")) == "idiopathic"
    assert mdt.candidate_group(Candidate("ISM", "negative")) == "primary"


def test_candidate_group_is_the_engines_group_for_every_diagnosis_and_kit_status():
    combos = list(product(DIAGNOSES, KIT_STATUSES))
    patients = [patient(f"X{i}", diagnosis=d, kit_d816v=k) for i, (d, k) in enumerate(combos)]
    rows = [r for i in range(len(combos)) for r in course(f"X{i}", {"flushing": {0: 1, 1: 0.5}})]
    engine_groups = score_cohort(cohort_of(patients, rows)).outcomes["group"].tolist()
    assert [mdt.candidate_group(Candidate(d, k)) for d, k in combos] == engine_groups


def test_candidate_rejects_unknown_codes_and_canonicalises_symptoms():
    with pytest.raises(ValueError):
        Candidate("lymphoma")
    with pytest.raises(ValueError):
        Candidate("ISM", sex="X")
    assert Candidate("ISM", symptoms=("Diarrhoea", "diarrhea", " Flush ", "")).symptoms == ("diarrhea", "flushing")


# --- comparable patients -----------------------------------------------------------

# A second hand-made cohort, for matching. Nine patients, two symptoms at most:
#   A1 ISM KIT+ F 45 {flushing, anaphylaxis}: both 0 at month 2 -> CR
#   A2 ISM KIT+ F 50 {flushing, anaphylaxis}: unchanged -> NR
#   A3 ISM KIT- M 70 {flushing}: 0.75 -> 25 % decrease -> PR
#   A4 ISM KIT+ M 80 {pruritus}: 0.25 -> 75 % -> MR
#   A5 ISM KIT- F 45 {flushing, anaphylaxis}: 0.25 each -> MR (A1 with KIT negative)
#   C1 CM KIT+ M 80 {pruritus}: 0 -> CR
#   C2 CM KIT+ M 75 {pruritus, flushing}: 0.25 each -> MR
#   I1 idiopathic MCAS (KIT-) F 45 {flushing, anaphylaxis}: CR
#   M1 MMAS (MCAS KIT+) F 45 {flushing, anaphylaxis}: 0.5 + 0.75 -> 37.5 % -> PR
MATCH_PATIENTS = [
    patient("A1", diagnosis="ISM", kit_d816v="positive", sex="F", age_at_treatment=45.0),
    patient("A2", diagnosis="ISM", kit_d816v="positive", sex="F", age_at_treatment=50.0),
    patient("A3", diagnosis="ISM", kit_d816v="negative", sex="M", age_at_treatment=70.0),
    patient("A4", diagnosis="ISM", kit_d816v="positive", sex="M", age_at_treatment=80.0),
    patient("A5", diagnosis="ISM", kit_d816v="negative", sex="F", age_at_treatment=45.0),
    patient("C1", diagnosis="CM", kit_d816v="positive", sex="M", age_at_treatment=80.0),
    patient("C2", diagnosis="CM", kit_d816v="positive", sex="M", age_at_treatment=75.0),
    patient("I1", diagnosis="MCAS", kit_d816v="negative", sex="F", age_at_treatment=45.0),
    patient("M1", diagnosis="MCAS", kit_d816v="positive", sex="F", age_at_treatment=45.0),
]
MATCH_ROWS = (
    course("A1", {"flushing": {0: 1, 2: 0}, "anaphylaxis": {0: 1, 2: 0}})
    + course("A2", {"flushing": {0: 1, 2: 1}, "anaphylaxis": {0: 1, 2: 1}})
    + course("A3", {"flushing": {0: 1, 2: 0.75}})
    + course("A4", {"pruritus": {0: 1, 2: 0.25}})
    + course("A5", {"flushing": {0: 1, 2: 0.25}, "anaphylaxis": {0: 1, 2: 0.25}})
    + course("C1", {"pruritus": {0: 1, 2: 0}})
    + course("C2", {"pruritus": {0: 1, 2: 0.25}, "flushing": {0: 1, 2: 0.25}})
    + course("I1", {"flushing": {0: 1, 2: 0}, "anaphylaxis": {0: 1, 2: 0}})
    + course("M1", {"flushing": {0: 1, 2: 0.5}, "anaphylaxis": {0: 1, 2: 0.75}})
)
BOTH = ("flushing", "anaphylaxis")
# Weights 1 + ln((1 + N) / (1 + n_s)), N = 9: flushing in 7 patients, anaphylaxis in 5, pruritus in 3.
W_FLUSHING, W_ANAPHYLAXIS = 1 + log(10 / 8), 1 + log(10 / 6)


@pytest.fixture(scope="module")
def matching():
    return score_cohort(cohort_of(MATCH_PATIENTS, MATCH_ROWS))


def _ids(scored, candidate, k):
    return match.comparable_patients(scored, candidate, k=k)["patient_id"].tolist()


def _overall(scored, candidate, k):
    rates = mdt.candidate_outcomes(scored, _ids(scored, candidate, k)).rates.set_index("measure")
    return tuple(rates.loc["overall", ["patients", "total"]].astype(int))


def test_matching_cohort_scores_as_reasoned_in_the_comments(matching):
    best = matching.outcomes.set_index("patient_id")["best_response"].to_dict()
    assert best == {"A1": "CR", "A2": "NR", "A3": "PR", "A4": "MR", "A5": "MR", "C1": "CR", "C2": "MR", "I1": "CR", "M1": "PR"}


def test_symptom_weight_is_the_smoothed_inverse_prevalence_so_rarer_symptoms_weigh_more(matching):
    weights = match.symptom_weights(matching)
    assert weights["flushing"] == pytest.approx(W_FLUSHING) and weights["anaphylaxis"] == pytest.approx(W_ANAPHYLAXIS)
    assert weights["pruritus"] == pytest.approx(1 + log(10 / 4)) and weights["pruritus"] > weights["anaphylaxis"] > weights["flushing"]


def test_similarity_by_hand_symptoms_three_kit_age_sex_one_each(matching):
    c = Candidate("ISM", "positive", 45, "F", BOTH)
    found = match.comparable_patients(matching, c, k=5).set_index("patient_id")
    # A1 is the candidate's twin: 1. A2: age 50 -> 1 - 5/40 = 0.875, so (3 + 1 + 0.875 + 1) / 6.
    assert found.loc["A1", "similarity"] == pytest.approx(1.0)
    assert found.loc["A2", "similarity"] == pytest.approx((3 + 1 + 0.875 + 1) / 6)
    # A5: KIT differs -> (3 + 0 + 1 + 1) / 6.
    assert found.loc["A5", "similarity"] == pytest.approx(5 / 6)
    # A3: shares flushing only, weighted Jaccard W_F / (W_F + W_A); KIT differs; age 70 -> 1 - 25/40; sex differs.
    jaccard = W_FLUSHING / (W_FLUSHING + W_ANAPHYLAXIS)
    assert found.loc["A3", "symptom_similarity"] == pytest.approx(jaccard)
    assert found.loc["A3", "similarity"] == pytest.approx((3 * jaccard + 0 + 0.375 + 0) / 6)


def test_candidates_differing_in_subgroup_get_different_comparable_patients_and_rates(matching):
    ism = Candidate("ISM", "positive", 45, "F", BOTH)
    cm = Candidate("CM", "positive", 45, "F", BOTH)
    # ISM: A1 (1) then A2 (0.979), both sharing both symptoms; A1 CR, A2 NR -> 1 of 2.
    assert _ids(matching, ism, 2) == ["A1", "A2"] and _overall(matching, ism, 2) == (1, 2)
    # CM: C2 shares flushing (step 1, at least 1 shared), C1 shares nothing (step 2); MR and CR -> 2 of 2.
    assert _ids(matching, cm, 2) == ["C2", "C1"] and _overall(matching, cm, 2) == (2, 2)


def test_candidates_differing_in_kit_get_different_comparable_patients_and_rates(matching):
    # KIT+: A1 (1), A2 (0.979) before A5 (5/6); KIT-: A5 (1), then A1 (5/6) before A2 ((3 + 0.875 + 1) / 6).
    assert _ids(matching, Candidate("ISM", "positive", 45, "F", BOTH), 2) == ["A1", "A2"]
    assert _ids(matching, Candidate("ISM", "negative", 45, "F", BOTH), 2) == ["A5", "A1"]
    assert _overall(matching, Candidate("ISM", "negative", 45, "F", BOTH), 2) == (2, 2)  # MR, CR


def test_candidates_differing_in_age_get_different_comparable_patients_and_rates(matching):
    # 45 years: A1 (CR) is the closest; 50 years: A2 (NR), A1 then scores (3 + 1 + 0.875 + 1) / 6.
    assert _ids(matching, Candidate("ISM", "positive", 45, "F", BOTH), 1) == ["A1"]
    assert _ids(matching, Candidate("ISM", "positive", 50, "F", BOTH), 1) == ["A2"]
    assert _overall(matching, Candidate("ISM", "positive", 45, "F", BOTH), 1) == (1, 1)
    assert _overall(matching, Candidate("ISM", "positive", 50, "F", BOTH), 1) == (0, 1)


def test_candidates_differing_in_symptoms_get_different_comparable_patients_and_rates(matching):
    # {pruritus}, ISM KIT+ M 80: A4 is the twin (MR). With {flushing, anaphylaxis} A4 shares nothing (step 2);
    # among step 1: A2 (3 + 1 + (1 - 30/40) + 0) / 6 = 0.708 beats A1 (3 + 1 + 0.125 + 0) / 6 = 0.688.
    assert _ids(matching, Candidate("ISM", "positive", 80, "M", ("pruritus",)), 1) == ["A4"]
    assert _ids(matching, Candidate("ISM", "positive", 80, "M", BOTH), 1) == ["A2"]
    assert _overall(matching, Candidate("ISM", "positive", 80, "M", ("pruritus",)), 1) == (1, 1)
    assert _overall(matching, Candidate("ISM", "positive", 80, "M", BOTH), 1) == (0, 1)


def test_too_few_in_the_subgroup_relaxes_to_the_group_and_says_what_each_step_brought(matching):
    found = match.find_comparable(matching, Candidate("MCAS", "positive", 45, "F", BOTH), k=2)
    # MMAS has M1 only. Steps (2 symptoms -> start at 1 shared): 1 MMAS >= 1 shared, 2 MMAS any,
    # 3 rest of the primary group >= 1 shared: A1, A2, A3, A5, C2 eligible, A1 (the twin) taken.
    assert found.patients["patient_id"].tolist() == ["M1", "A1"]
    assert found.relaxation["step"].tolist() == [1, 2, 3]
    assert found.relaxation["eligible"].tolist() == [1, 0, 5]
    assert found.relaxation["added"].tolist() == [1, 0, 1]
    assert "rest of the primary group" in found.relaxation["rule"].iloc[2]
    assert "relaxed to step 3" in match.relaxation_summary(found)


def test_no_relaxation_when_the_first_step_has_enough(matching):
    found = match.find_comparable(matching, Candidate("ISM", "positive", 45, "F", BOTH), k=2)
    assert found.relaxation[["step", "eligible", "added"]].values.tolist() == [[1, 4, 2]]  # A1, A2, A3, A5 share >= 1
    assert "no relaxation was needed" in match.relaxation_summary(found)


def test_idiopathic_candidate_stays_in_idiopathic_mcas_and_says_so_when_fewer_than_k(matching):
    found = match.find_comparable(matching, Candidate("MCAS", "negative", 45, "F", BOTH), k=3)
    assert found.patients["patient_id"].tolist() == ["I1"]
    assert found.relaxation["step"].tolist() == [1, 2]  # no "rest of the group" step: the group is the subgroup
    assert "Only 1 patient of the group" in match.relaxation_summary(found)


def test_a_tie_at_the_kth_place_is_broken_by_patient_identifier_and_said(matching):
    # Age unknown: A1 and A2 both score (3 + 1 + 0.5 + 1) / 6, tied at the first place: k = 1 takes A1 (first id), says A2 was left out.
    found = match.find_comparable(matching, Candidate("ISM", "positive", None, "F", BOTH), k=1)
    assert found.patients["patient_id"].tolist() == ["A1"]
    assert found.patients["similarity"].tolist() == pytest.approx([5.5 / 6])
    assert found.tied_out == 1
    assert "1 more patient as similar as the 1st left out: ties broken by patient identifier" in match.relaxation_summary(found)
    assert match.find_comparable(matching, Candidate("ISM", "positive", None, "F", BOTH), k=2).tied_out == 0


def test_a_candidate_given_by_diagnosis_alone_gets_k_patients_not_the_whole_subgroup():
    from omalizumab_core.synthetic.demo import demo_scored

    found = match.find_comparable(demo_scored(), Candidate("ISM", "positive"), k=15)
    assert len(found.patients) == 15 and found.tied_out == 8  # 23 ISM KIT-positive patients tie; the demo has 29 ISM
    assert found.patients["patient_id"].is_monotonic_increasing


def test_a_ticked_extra_characteristic_counts_one_more_component():
    patients = [patient("S1", skin_involvement=True), patient("S2", skin_involvement=False)]
    rows = course("S1", {"flushing": {0: 1, 2: 0}}) + course("S2", {"flushing": {0: 1, 2: 1}})
    scored = score_cohort(cohort_of(patients, rows))
    plain = Candidate("ISM", "positive", 45, "F", ("flushing",))
    skin = Candidate("ISM", "positive", 45, "F", ("flushing",), (("skin_involvement", False),))
    assert _ids(scored, plain, 1) == ["S1"] and match.find_comparable(scored, plain, k=1).tied_out == 1  # tied without the extra
    found = match.comparable_patients(scored, skin, k=1)
    assert found["patient_id"].tolist() == ["S2"] and found["similarity"].iloc[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="Skin involvement"):
        Candidate("ISM", extras=(("skin_involvement", "maybe"),))


def test_k_below_one_is_refused_in_words(matching):
    with pytest.raises(ValueError, match="at least 1"):
        match.find_comparable(matching, Candidate("ISM"), k=0)


def test_demo_candidate_and_an_80_year_old_man_with_cm_get_different_answers():
    from omalizumab_core.synthetic.demo import demo_scored

    scored = demo_scored()
    symptoms = ("flushing", "pruritus", "diarrhoea", "anaphylaxis", "fatigue")
    woman = mdt.assess_candidate(scored, Candidate("ISM", "positive", 45, "F", symptoms))
    man = mdt.assess_candidate(scored, Candidate("CM", "negative", 80, "M", symptoms))
    assert len(woman.comparable) == len(man.comparable) == 15  # the default k
    assert set(woman.comparable["subgroup"]) == {"ISM"}
    assert set(man.comparable["subgroup"]) >= {"CM"} and (man.comparable["subgroup"] == "CM").sum() == 11  # every CM patient, then ISM
    assert set(woman.comparable["patient_id"]) != set(man.comparable["patient_id"])
    rate = lambda a: tuple(a.outcomes.rates.set_index("measure").loc["overall", ["patients", "total"]])  # noqa: E731
    assert rate(woman) != rate(man)
    # Neither is the primary group's base rate any more (the issue: 34 of 41 for every candidate).
    assert rate(woman) != (34, 41) and rate(man) != (34, 41)


def test_sensitivity_rows_give_the_same_figures_for_subgroup_and_cohort(matching):
    c = Candidate("ISM", "positive", 45, "F", BOTH)
    table = mdt.sensitivity_table(matching, c, _ids(matching, c, 2)).set_index("population")
    # Comparable A1 CR, A2 NR: 1/2; ISM subgroup A1..A5: all but A2 respond, 4/5; cohort: 8/9.
    assert table[["n", "overall"]].values.tolist() == [[2, 1], [5, 4], [9, 8]]
    # Exact CIs, R binom.test: 1/2 0.01257912-0.98742088; 4/5 0.28358206-0.99494924; 8/9 0.51750349-0.99719086.
    bounds = table[["overall_lower", "overall_upper"]].values.ravel().tolist()
    assert bounds == pytest.approx([0.01257912, 0.98742088, 0.28358206, 0.99494924, 0.51750349, 0.99719086], abs=1e-8)
    # Persistent (still responding at last follow-up, month 2 here): as the best response.
    assert table["persistent"].tolist() == [1, 4, 8]
    # First response at month 2 for every responder.
    assert table["median_months_to_first_response"].tolist() == [2.0, 2.0, 2.0]


# --- outcomes ------------------------------------------------------------------


def test_outcomes_of_comparable_patients_by_hand(scored):
    result = mdt.candidate_outcomes(scored, ["P1", "P2", "P3", "P6"])
    rates = result.rates.set_index("measure")
    assert result.n == 4
    # P1 PR, P3 MR, P2 and P6 NR: overall 2/4, CR 0/4, MR 1/4, PR 1/4.
    assert rates.loc[["overall", "CR", "MR", "PR"], "patients"].tolist() == [2, 0, 1, 1]
    assert set(rates.loc[["overall", "CR", "MR", "PR"], "total"]) == {4}
    # Exact 95 % CI of 2/4: R binom.test(2, 4) gives 0.06758599 - 0.93241401.
    assert rates.loc["overall", ["ci_low", "ci_high"]].tolist() == pytest.approx([0.06758599, 0.93241401], abs=1e-8)
    # Sustained >= 3 months: P3 responds at months 3 and 6 (6 - 3 = 3); P1 at month 4 only -> 1 of 2 responders.
    assert rates.loc["sustained", ["patients", "total"]].tolist() == [1, 2]
    times = result.times.set_index("measure")
    # First response: P1 month 4, P3 month 3 -> median 3.5, n = 2.
    assert times.loc["months_to_first_response", ["patients", "median", "minimum", "maximum"]].tolist() == [2, 3.5, 3.0, 4.0]
    assert times.loc["months_to_best_response", "median"] == 3.5


def test_no_comparable_patient_is_said_in_words(scored):
    with pytest.raises(TooFewPatients):
        mdt.candidate_outcomes(scored, [])
    empty = score_cohort(cohort_of([patient("X", diagnosis="MCAS", kit_d816v="negative")], course("X", {"flushing": {0: 1, 1: 0}})))
    a = mdt.assess_candidate(empty, Candidate("ISM", "positive", symptoms=("urticaria",)))  # nobody in the primary group
    assert a.outcomes is None and "No comparable patient" in a.reason
    assert "No patient of the candidate's group" in match.relaxation_summary(a.found)
    assert len(mdt.format_candidate_outcomes(mdt.candidate_outcomes(scored, ["P2"]))) == 8


def test_persistent_response_is_a_response_still_there_at_last_follow_up(scored):
    # P1 PR at month 4 (its last assessment), P3 MR at 6 (last): both persist; P2, P6 NR -> 2 of 4.
    rates = mdt.candidate_outcomes(scored, ["P1", "P2", "P3", "P6"]).rates.set_index("measure")
    assert rates.loc["persistent", ["patients", "total"]].tolist() == [2, 4]
    labels = [label for label, _, _ in mdt.headline(4, mdt.candidate_outcomes(scored, ["P1", "P2", "P3", "P6"]))]
    assert labels == ["Comparable patients", "Overall response", "Persistent response", "Median time to response"]


# --- per-symptom frequencies -------------------------------------------------------


def test_symptom_frequencies_by_hand(scored):
    result = signals.symptom_outcome_frequencies(scored, ["flushing", "diarrhea", "headache", "fatigue", "urticaria"]).set_index("symptom")
    # flushing at baseline: P1 (reaches 0), P2 (stays 1), P4 (0.25), P6 (1 at month 1; the 0 at month 3 is after the stop).
    assert result.loc["flushing", ["patients", "improved", "disappeared", "worsened"]].tolist() == [4, 2, 1, 0]
    # diarrhea at baseline: P1 (1.5 then 0.75: improved and worsened), P3 ("Diarrhoea" reaches 0). P2's is new, not counted.
    assert result.loc["diarrhea", ["patients", "improved", "disappeared", "worsened"]].tolist() == [2, 2, 1, 1]
    # headache: P3, 1.5 at month 1 then 0.5.
    assert result.loc["headache", ["patients", "improved", "disappeared", "worsened"]].tolist() == [1, 1, 0, 1]
    # fatigue: P1 unchanged, P4 worse.
    assert result.loc["fatigue", ["patients", "improved", "disappeared", "worsened"]].tolist() == [2, 0, 0, 1]
    assert result.loc["urticaria", ["patients", "improved", "disappeared", "worsened"]].tolist() == [0, 0, 0, 0]
    assert result.loc["flushing", "category"] == "superficial_vasomotor"
    # First month with a score below 1: flushing P1 month 2 (0.5), P4 month 2 (0.25) -> 2; diarrhea P1 month 4
    # (0.75; month 2 was 1.5), P3 month 1 -> 2.5; headache P3 month 3; fatigue never improves.
    months = result["median_month_first_improvement"]
    assert months[["flushing", "diarrhea", "headache"]].tolist() == [2.0, 2.5, 3.0] and pd.isna(months["fatigue"])


def test_symptom_frequencies_can_be_restricted_to_some_patients(scored):
    result = signals.symptom_outcome_frequencies(scored, ["flushing"], patient_ids=["P2", "P4"])
    assert result[["patients", "improved"]].iloc[0].tolist() == [2, 1]


# --- safety -------------------------------------------------------------------


def test_safety_signals_count_events_and_patients(scored):
    result = signals.safety_signals(scored, ["P1", "P2", "P3", "P6"]).set_index("signal")
    # Flares: P1 once, P3 twice (P4's is outside the ids) -> 3 events in 2 patients.
    assert result.loc["flare", ["events", "patients", "total"]].tolist() == [3, 2, 4]
    # Any event at month 0: P1's anaphylaxis, P2's laryngeal edema and rash -> 3 events in 2 patients.
    assert result.loc["first_injection", ["events", "patients"]].tolist() == [3, 2]
    # Month 0 and (severe or serious): P1 severe, P2 serious; P2's rash (serious NA) and P3's month-1 event are not.
    assert result.loc["severe_first_injection", ["events", "patients"]].tolist() == [2, 2]
    # Stopped for intolerance: P6 (P4 is not among the ids).
    assert result.loc["stopped_intolerance", "patients"] == 1


def test_safety_without_adverse_events_table_says_not_recorded():
    plain = score_cohort(cohort_of(PATIENTS, ROWS))
    result = signals.safety_signals(plain, ["P4", "P5"])
    assert result["recorded"].tolist() == [False, False, False, True]
    shown = signals.format_safety(result)
    assert shown["Events"].tolist()[:3] == ["not recorded"] * 3
    assert shown["Patients"].tolist()[3] == "1 (50.0 %)"
    assert shown["What is counted"].str.startswith("Patients ").all()  # each signal says what it counts


# --- checklist and scheme ----------------------------------------------------------


def test_checklist_groups_vocabulary_and_cohort_symptoms_by_category():
    rows = course("A", {"Diarrhoea": {0: 1}, "brain zaps": {0: 1}})
    rows[1]["category"] = "neuropsychiatric"
    checklist = mdt.symptom_checklist(cohort_of([patient("A")], rows).symptoms)
    assert "diarrhea" in checklist["gastrointestinal"] and "Diarrhoea" not in checklist["gastrointestinal"]
    assert checklist["neuropsychiatric"][-1] == "brain zaps"
    assert list(checklist)[:2] == ["general_vasomotor", "superficial_vasomotor"]


PAPER_NAME = "lemal-2019-omalizumab-mast-cell-disorders.txt"


def _paper() -> Path:
    """The paper's full text in ``shared/reference`` beside the repository (``../shared``), or one level up for a worktree.

    Missing locally: the test is skipped with that reason; under CI=true a
    missing text is a failure, so a moved file cannot silently hide the test.
    """
    root = Path(__file__).resolve().parents[1]
    for folder in root.parents:
        candidate = folder / "shared" / "reference" / PAPER_NAME
        if candidate.is_file():
            return candidate
    reason = f"reference text {PAPER_NAME} not found in shared/reference beside the repository ({root.parent / 'shared' / 'reference'})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def test_study_scheme_quotes_the_papers_methods_word_for_word():
    import re

    lines = _paper().read_text(encoding="utf-8").splitlines()
    text = " ".join(re.sub(r"^\d+ ", "", line) for line in lines)
    text = re.sub(r"\s+", " ", text)
    fragments = [f.strip() for f in mdt.STUDY_SCHEME.split("[...]")]
    assert len(fragments) == 4
    for fragment in fragments:
        assert fragment in text, fragment
    assert "150 mg every 2 weeks" in mdt.STUDY_SCHEME and "300 mg every two weeks" in mdt.STUDY_SCHEME
    assert "not as advice" in mdt.STUDY_SCHEME_SOURCE


def test_assessing_a_candidate_leaves_the_cohort_unchanged(scored):
    before = scored.cohort.patients.copy()
    mdt.assess_candidate(scored, Candidate("ISM", "positive", 50, "F", ("flushing",)))
    pd.testing.assert_frame_equal(scored.cohort.patients, before)
    assert len(scored.outcomes) == 6


# --- the page -------------------------------------------------------------------


def _submit(at, *, diagnosis, kit, symptoms: dict, k=15, age=None, sex=None):
    at.selectbox(key="mdt_diagnosis").set_value(diagnosis)
    at.selectbox(key="mdt_kit").set_value(kit)
    at.number_input(key="mdt_age").set_value(age)
    at.selectbox(key="mdt_sex").set_value(sex)
    for category, names in symptoms.items():
        at.multiselect(key=f"mdt_symptoms_{category}").set_value(names)
    at.number_input(key="mdt_k").set_value(k)
    next(b for b in at.button if b.label == "Find comparable patients").click()
    at.run()
    return at


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_page_shows_the_core_functions_numbers_for_an_entered_candidate():
    from omalizumab_core.synthetic.demo import demo_scored

    at = _submit(app_on(page="views/candidate.py"), diagnosis="ISM", kit="positive", age=45, sex="F", k=10,
                 symptoms={"superficial_vasomotor": ["flushing"], "gastrointestinal": ["diarrhea"]})
    assert not at.exception, [e.value for e in at.exception]
    candidate = Candidate("ISM", "positive", 45, "F", ("flushing", "diarrhea"))
    assert at.session_state["mdt_candidate"] == candidate
    a = mdt.assess_candidate(demo_scored(), candidate, k=10)
    assert _metric(at, "Comparable patients") == str(len(a.comparable))
    rates = a.outcomes.rates.set_index("measure")
    assert _metric(at, "Overall response") == pct(rates.loc["overall", "proportion"])
    assert _metric(at, "Persistent response") == pct(rates.loc["persistent", "proportion"])
    assert "Median time to response" in [m.label for m in at.metric]
    assert "not a prediction" in shown_text(at) and "(n = 55)" in shown_text(at)
    # The candidate never joins the session's cohort.
    assert at.session_state["cohort"].n_patients == 55
    assert not any(isinstance(v, Candidate) for v in at.session_state["cohort"].patients["patient_id"])


def test_form_collapses_to_one_line_after_the_search_and_reopens():
    at = _submit(app_on(page="views/candidate.py"), diagnosis="CM", kit="negative", age=80, sex="M",
                 symptoms={"superficial_vasomotor": ["pruritus"]})
    assert not at.exception, [e.value for e in at.exception]
    assert not [b for b in at.button if b.label == "Find comparable patients"]  # the form is collapsed
    assert "CM, KIT D816V negative, 80 years, male · 1 symptom: pruritus" in shown_text(at)
    next(b for b in at.button if b.label == "Change candidate").click()
    at.run()
    assert [b for b in at.button if b.label == "Find comparable patients"]
    assert at.selectbox(key="mdt_diagnosis").value == "CM" and at.number_input(key="mdt_age").value == 80
    assert _metric(at, "Comparable patients") == "15"  # the answer stays while the form is open


def test_page_says_so_when_no_patient_is_comparable_and_when_events_are_not_recorded():
    one = cohort_of([patient("ONLY", diagnosis="MCAS", kit_d816v="negative")], course("ONLY", {"pruritus": {0: 1, 2: 0}}))
    at = _submit(app_on(one, page="views/candidate.py"), diagnosis="ISM", kit="positive", symptoms={"superficial_vasomotor": ["pruritus"]})
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, "Comparable patients") == "0"
    assert "No comparable patient" in shown_text(at)
    safety = next(t.value for t in at.table if "Signal" in t.value.columns)
    assert safety["Events"].iloc[0] == "not recorded"
    assert at.session_state["cohort"].n_patients == 1


# --- the MDT report -------------------------------------------------------------------


def test_report_carries_the_answer_the_candidate_and_the_date_and_no_cohort_identifier():
    from datetime import datetime, timezone

    from omalizumab_core.outputs.report import candidate_report
    from omalizumab_core.synthetic.demo import demo_scored

    scored = demo_scored()
    candidate = Candidate("ISM", "positive", 45, "F", ("flushing", "pruritus", "diarrhoea", "anaphylaxis", "fatigue"))
    html = candidate_report(scored, candidate, filters={}, source="Demo", generated=datetime(2026, 3, 4, 9, 30, tzinfo=timezone.utc))
    ids = scored.cohort.patients["patient_id"].astype(str)
    assert not [i for i in ids if i in html]  # no other patient's identifier, not even in a figure's data
    assert "Prepared on 2026-03-04" in html
    assert "ISM, KIT D816V positive, 45 years, female · 5 symptoms: flushing, pruritus, diarrhea, anaphylaxis, fatigue" in html
    a = mdt.assess_candidate(scored, candidate)
    for label, value, _ in mdt.headline(len(a.comparable), a.outcomes):
        assert label in html and value in html
    assert "not a prediction" in html and "Whole subgroup (ISM)" in html and "Whole selection" in html
    assert "sharing at least 3 of the candidate&#x27;s 5 symptoms" in html  # the relaxation steps
    assert "Patients whose recorded reason for stopping omalizumab is intolerance" in html
    assert html.index("What happened to comparable patients") < html.index("How the comparable patients were chosen")


# --- command line ---------------------------------------------------------------------

DEMO_ARGS = ["candidate", "demo", "--diagnosis", "ISM", "--kit", "positive", "--age", "45", "--sex", "F",
             "--symptoms", "flushing", "pruritus", "diarrhoea", "anaphylaxis", "fatigue", "--json"]


def _cli_json(capsys, args):
    import json

    from omalizumab_core.cli.main import main

    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


def test_cli_candidate_json_is_the_documented_contract_and_matches_the_core(capsys):
    from omalizumab_core.synthetic.demo import demo_scored

    out = _cli_json(capsys, DEMO_ARGS)
    a = mdt.assess_candidate(demo_scored(), Candidate("ISM", "positive", 45, "F", ("flushing", "pruritus", "diarrhea", "anaphylaxis", "fatigue")))
    assert [c["patient_id"] for c in out["comparable"]] == a.comparable["patient_id"].tolist()
    assert [c["similarity"] for c in out["comparable"]] == pytest.approx(a.comparable["similarity"].tolist(), abs=1e-6)
    assert out["n"] == len(a.comparable) == 15 and out["k"] == 15
    assert [(r["step"], r["added"]) for r in out["relaxation"]] == [(int(r.step), int(r.added)) for r in a.relaxation.itertuples()]
    rates = a.outcomes.rates.set_index("measure")
    for key, measure in (("overall_response", "overall"), ("persistent_response", "persistent")):
        assert set(out[key]) == {"count", "n", "rate", "lower", "upper"}
        assert out[key]["count"] == rates.loc[measure, "patients"] and out[key]["n"] == 15
        assert [out[key]["rate"], out[key]["lower"], out[key]["upper"]] == pytest.approx(rates.loc[measure, ["proportion", "ci_low", "ci_high"]].tolist(), abs=1e-6)
    assert out["median_time_to_first_response"]["n"] == rates.loc["overall", "patients"]
    assert out["sensitivity"]["subgroup"]["n"] == 29 and out["sensitivity"]["cohort"]["n"] == 55
    assert "not a prediction" in out["statement"]


def test_cli_candidates_differ_and_k_is_honoured(capsys):
    woman = _cli_json(capsys, DEMO_ARGS)
    man = _cli_json(capsys, ["candidate", "demo", "--diagnosis", "CM", "--kit", "negative", "--age", "80", "--sex", "M",
                             "--symptoms", "flushing", "pruritus", "diarrhoea", "anaphylaxis", "fatigue", "--json", "--k", "11"])
    assert man["n"] == 11 and {c["subgroup"] for c in man["comparable"]} == {"CM"}
    assert {c["patient_id"] for c in woman["comparable"]}.isdisjoint({c["patient_id"] for c in man["comparable"]})
    mmas = _cli_json(capsys, ["candidate", "demo", "--diagnosis", "MMAS", "--json", "--k", "3"])
    assert mmas["candidate"]["diagnosis"] == "MCAS" and mmas["candidate"]["subgroup"] == "MMAS"


@pytest.mark.parametrize(
    "change, message",
    [
        (["--diagnosis", "lymphoma"], "--diagnosis: 'lymphoma' is not accepted; use one of ISM"),
        (["--kit", "pos"], "--kit: 'pos' is not accepted; use one of positive, negative, not_evaluated"),
        (["--sex", "X"], "--sex: 'X' is not accepted; use one of M, F"),
        (["--age", "450"], "--age: '450' is not a number between 0 and 120"),
        (["--k", "0"], "--k: '0' is not a number between 1"),
        (["--k", "2.5"], "--k: '2.5' is not a whole number"),
        (["--symptoms", "flushng"], "Did you mean 'flushing'?"),
        (["--diagnosis", "MMAS", "--kit", "negative"], "MMAS is MCAS with KIT D816V positive"),
        (["--extra", "skin_involvement=maybe"], "use one of yes, no"),
        # The page's tryptase box takes 0.1 to 10,000 ng/mL; the CLI said "between 1e-09 and 1e+06" and took 50,000.
        (["--extra", "baseline_tryptase=abc"], "'abc' is not a number between 0.1 and 10,000"),
        (["--extra", "baseline_tryptase=50000"], "'50000' is not a number between 0.1 and 10,000"),
    ],
)
def test_cli_bad_values_exit_1_naming_the_option_and_the_accepted_values(capsys, change, message):
    from omalizumab_core.cli.main import main

    args = ["candidate", "demo", "--diagnosis", "ISM", "--json"] + change
    assert main(args) == 1
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == "" and "Traceback" not in captured.err


def test_the_page_form_starts_with_kit_not_evaluated_as_the_cli_does():
    at = app_on(page="views/candidate.py")
    assert at.selectbox(key="mdt_kit").value == "not_evaluated"
    assert Candidate("ISM").kit_d816v == "not_evaluated"  # the CLI's --kit default, through the same Candidate
