"""The response rules of Lemal et al. 2019 ("Efficacy assessment"), one test per rule.

Every expected value is worked out by hand in the test's comment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omalizumab_core.engine.scoring import classify_quarters, diagnosis_subgroup, score_cohort
from tests.handmade import cohort_of, course, patient, single


def categories(cohort, **kwargs) -> dict:
    a = score_cohort(cohort, **kwargs).assessments
    return dict(zip(a["month"], a["category"]))


def outcome(cohort, **kwargs) -> pd.Series:
    return score_cohort(cohort, **kwargs).outcomes.iloc[0]


def ten_symptoms(at_month: dict) -> dict:
    """Ten baseline symptoms; ``at_month`` gives the later scores of the first ones."""
    histories = {f"s{i}": {0: 1} for i in range(10)}
    for month, scores in at_month.items():
        for i, score in enumerate(scores):
            histories[f"s{i}"][month] = score
    return histories


# --- symptom score -----------------------------------------------------------------


def test_symptom_score_sums_baseline_symptoms_with_last_value_carried_forward():
    # Month 1: a=0.5, b unchanged (1) -> S=1.5; month 3: only b rescored 0.25,
    # a carried forward at 0.5 -> S=0.75.
    cohort = single({"a": {0: 1, 1: 0.5}, "b": {0: 1, 3: 0.25}})
    a = score_cohort(cohort).assessments
    assert a["month"].tolist() == [1.0, 3.0]
    assert a["score"].tolist() == [1.5, 0.75]
    assert a["baseline_score"].tolist() == [2, 2]


def test_baseline_score_is_the_number_of_baseline_symptoms():
    cohort = single({f"s{i}": {0: 1, 2: 1} for i in range(11)})
    assert outcome(cohort)["baseline_symptoms"] == 11


# --- depth of response thresholds ---------------------------------------------------


def test_complete_response_is_resolution_of_all_preexisting_symptoms():
    assert categories(single({"a": {0: 1, 2: 0}, "b": {0: 1, 2: 0}})) == {2.0: "CR"}


def test_decrease_above_50_percent_is_major_response():
    # 2 symptoms, S = 0.75 -> decrease 62.5 % -> MR.
    assert categories(single({"a": {0: 1, 1: 0.25}, "b": {0: 1, 1: 0.5}})) == {1.0: "MR"}


def test_decrease_of_exactly_50_percent_is_partial_not_major():
    # 2 symptoms, S = 1 -> decrease exactly 50 %: "a decrease of 10% to 50%" is PR.
    assert categories(single({"a": {0: 1, 1: 0}, "b": {0: 1, 1: 1}})) == {1.0: "PR"}


def test_decrease_of_exactly_10_percent_is_partial_response():
    # 10 symptoms, 4 improved to 0.75 -> S = 9 -> decrease exactly 10 %.
    assert categories(single(ten_symptoms({1: [0.75] * 4}))) == {1.0: "PR"}


def test_exact_10_percent_float_trap_is_still_partial_response():
    # In floating point 1 - 9/10 = 0.09999999999999998 < 0.1; the engine counts
    # quarters (36 of 40), so this patient must not become NR.
    assert 1 - 9 / 10 < 0.1
    assert outcome(single(ten_symptoms({1: [0.75] * 4})))["best_response"] == "PR"


def test_decrease_just_below_10_percent_is_no_response():
    # 10 symptoms, 3 at 0.75 -> S = 9.25 -> 7.5 % decrease.
    assert categories(single(ten_symptoms({1: [0.75] * 3}))) == {1.0: "NR"}


def test_exact_50_percent_with_odd_quarter_counts_is_partial():
    # 5 symptoms (20 quarters): S = 2.5 (10 quarters) is exactly 50 % -> PR;
    # S = 2.25 is 55 % -> MR.
    half = {f"s{i}": {0: 1, 1: s} for i, s in enumerate([0.5] * 5)}
    more = {f"s{i}": {0: 1, 1: s} for i, s in enumerate([0.5, 0.5, 0.5, 0.5, 0.25])}
    assert categories(single(half)) == {1.0: "PR"}
    assert categories(single(more)) == {1.0: "MR"}


def test_classify_quarters_thresholds_are_monotone_in_the_score():
    # For B = 7 symptoms (28 quarters) walk S from 28 down to 0.
    ranks = classify_quarters(np.arange(28, -1, -1), np.full(29, 28), np.zeros(29), np.zeros(29))
    assert (np.diff(ranks) >= 0).all()
    assert ranks[0] == 0 and ranks[-1] == 3


# --- worsening and new symptoms -----------------------------------------------------


def test_worsened_symptom_means_no_response_under_the_papers_rule():
    # a worse (1.5), b and c disappeared: S = 1.5 of 3 -> 50 % decrease, but
    # "worsening of preexisting symptoms" is absence of response.
    cohort = single({"a": {0: 1, 1: 1.5}, "b": {0: 1, 1: 0}, "c": {0: 1, 1: 0}})
    assert categories(cohort) == {1.0: "NR"}


def test_total_score_rule_ignores_a_single_worsened_symptom():
    cohort = single({"a": {0: 1, 1: 1.5}, "b": {0: 1, 1: 0}, "c": {0: 1, 1: 0}})
    assert categories(cohort, worsening_rule="total_score") == {1.0: "PR"}


def test_worsening_is_carried_forward_until_the_symptom_is_rescored():
    cohort = single({"a": {0: 1, 1: 1.5, 4: 0}, "b": {0: 1, 2: 0}})
    # m1 a worse; m2 a still 1.5 (carried) -> NR; m4 a=0, b=0 -> CR.
    assert categories(cohort) == {1.0: "NR", 2.0: "NR", 4.0: "CR"}


def test_new_symptom_present_means_no_response_until_it_disappears():
    # Baseline a; at m2 a disappears but new symptom n appears (0.5);
    # at m3 n scores 0 -> gone -> CR.
    cohort = single({"a": {0: 1, 2: 0}, "n": {2: 0.5, 3: 0}})
    assert categories(cohort) == {2.0: "NR", 3.0: "CR"}
    assert score_cohort(cohort).assessments["new_symptoms"].tolist() == [1, 0]


def test_new_symptom_blocks_response_under_total_score_rule_too():
    cohort = single({"a": {0: 1, 2: 0}, "n": {2: 1}})
    assert categories(cohort, worsening_rule="total_score") == {2.0: "NR"}


def test_new_symptom_does_not_count_in_the_symptom_score():
    cohort = single({"a": {0: 1, 2: 0.5}, "n": {2: 1.5}})
    assert score_cohort(cohort).assessments["score"].tolist() == [0.5]


def test_unknown_worsening_rule_is_rejected():
    with pytest.raises(ValueError, match="worsening_rule"):
        score_cohort(single({"a": {0: 1, 1: 0}}), worsening_rule="sometimes")


# --- end of treatment ---------------------------------------------------------------


def test_assessments_after_end_of_treatment_are_ignored():
    cohort = single({"a": {0: 1, 2: 0.5, 6: 0}}, treatment_end_month=4.0, end_reason="intolerance")
    assert categories(cohort) == {2.0: "PR"}


def test_assessment_at_the_end_month_counts():
    cohort = single({"a": {0: 1, 4: 0}}, treatment_end_month=4.0, end_reason="intolerance")
    assert categories(cohort) == {4.0: "CR"}


# --- per patient ----------------------------------------------------------------------


def test_best_response_is_the_best_category_over_all_assessments():
    # m1 PR (S=1.5 of 2 -> 25 %), m3 MR (S=0.75), m6 back to PR.
    cohort = single({"a": {0: 1, 1: 0.75, 3: 0.25, 6: 0.75}, "b": {0: 1, 1: 0.75, 3: 0.5, 6: 0.75}})
    o = outcome(cohort)
    assert o["best_response"] == "MR"
    assert o["months_to_first_response"] == 1.0
    assert o["months_to_best_response"] == 3.0


def test_months_to_best_response_is_the_first_month_at_the_best_category():
    cohort = single({"a": {0: 1, 2: 0.5, 5: 0.25, 8: 0.25}})
    # m2 PR (50 %), m5 MR, m8 MR -> first month at MR is 5.
    assert outcome(cohort)["months_to_best_response"] == 5.0


def test_non_responder_has_no_time_to_response():
    o = outcome(single({"a": {0: 1, 1: 1, 2: 1}}, treatment_end_month=2.0, end_reason="lack_of_efficacy"))
    assert o["best_response"] == "NR"
    assert pd.isna(o["months_to_first_response"]) and pd.isna(o["months_to_best_response"])


def test_patient_without_assessment_under_treatment_has_no_response():
    o = outcome(single({"a": {0: 1}}))
    assert o["best_response"] == "NR" and o["n_assessments"] == 0
    assert o["baseline_symptoms"] == 1


def test_sustained_response_needs_a_responding_run_spanning_3_months():
    # Responding at 1, 2, 4 (span 3) -> sustained.
    yes = single({"a": {0: 1, 1: 0.5, 2: 0.5, 4: 0.5}})
    # Responding at 1 and 2, NR at 3, responding at 4 and 5: runs span 1 and 1.
    no = single({"a": {0: 1, 1: 0.5, 2: 0.5, 3: 1, 4: 0.5, 5: 0.5}})
    assert bool(outcome(yes)["sustained_3_months"]) is True
    assert bool(outcome(no)["sustained_3_months"]) is False


def test_single_responding_assessment_is_not_sustained():
    assert bool(outcome(single({"a": {0: 1, 6: 0}}))["sustained_3_months"]) is False


# --- status at last follow-up ---------------------------------------------------------


@pytest.mark.parametrize(
    ("end_reason", "status"),
    [
        ("loss_of_response", "loss_of_response"),
        ("lack_of_efficacy", "loss_of_response"),
        ("intolerance", "intolerance"),
        ("lost_to_follow_up", "lost_or_other"),
        ("pregnancy_intent", "lost_or_other"),
        ("other", "lost_or_other"),
    ],
)
def test_responder_who_stopped_is_classed_by_stop_reason(end_reason, status):
    cohort = single({"a": {0: 1, 1: 0.25, 3: 0.25}}, treatment_end_month=5.0, end_reason=end_reason)
    assert outcome(cohort)["status_at_last_follow_up"] == status


@pytest.mark.parametrize("end_reason", ["intolerance", "lack_of_efficacy", "lost_to_follow_up"])
def test_non_responder_is_no_response_whatever_the_stop_reason(end_reason):
    cohort = single({"a": {0: 1, 1: 1}}, treatment_end_month=2.0, end_reason=end_reason)
    assert outcome(cohort)["status_at_last_follow_up"] == "no_response"


def test_responder_still_treated_keeps_category_at_last_assessment():
    cohort = single({"a": {0: 1, 2: 0, 6: 0.5}, "b": {0: 1, 2: 0}})
    # m2 CR, m6 S=0.5 of 2 -> 75 % -> MR: persistent MR, best CR.
    o = outcome(cohort)
    assert (o["best_response"], o["status_at_last_follow_up"]) == ("CR", "MR")


def test_responder_still_treated_whose_last_assessment_is_nr_lost_response():
    cohort = single({"a": {0: 1, 2: 0, 6: 1}})
    assert outcome(cohort)["status_at_last_follow_up"] == "loss_of_response"


# --- diagnosis groups --------------------------------------------------------------


def test_mcas_with_kit_positive_is_mmas_in_the_primary_group():
    cohort = cohort_of(
        [
            patient("A", diagnosis="MCAS", kit_d816v="positive"),
            patient("B", diagnosis="MCAS", kit_d816v="negative"),
            patient("C", diagnosis="MCAS", kit_d816v="not_evaluated"),
            patient("D", diagnosis="CM", kit_d816v="negative"),
        ],
        sum((course(p, {"a": {0: 1, 1: 0}}) for p in "ABCD"), []),
    )
    o = score_cohort(cohort).outcomes.set_index("patient_id")
    assert o["subgroup"].to_dict() == {"A": "MMAS", "B": "idiopathic", "C": "idiopathic", "D": "CM"}
    assert o["group"].to_dict() == {"A": "primary", "B": "idiopathic", "C": "idiopathic", "D": "primary"}


def test_diagnosis_subgroup_keeps_non_mcas_diagnoses():
    s = diagnosis_subgroup(pd.Series(["ISM", "SSM", "other"]), pd.Series(["positive", "negative", "not_evaluated"]))
    assert s.tolist() == ["ISM", "SSM", "other"]


# --- several patients at once --------------------------------------------------------


def test_patients_are_scored_independently_and_in_patients_table_order():
    cohort = cohort_of(
        [patient("Z"), patient("A")],
        course("A", {"a": {0: 1, 1: 0}}) + course("Z", {"x": {0: 1, 1: 1}, "y": {0: 1, 1: 1.5}}),
    )
    o = score_cohort(cohort).outcomes
    assert o["patient_id"].tolist() == ["Z", "A"]
    assert o["best_response"].tolist() == ["NR", "CR"]


def test_scoring_does_not_mutate_the_cohort():
    cohort = single({"a": {0: 1, 2: 0.5}}, treatment_end_month=1.0, end_reason="intolerance")
    before = (cohort.patients.copy(), cohort.symptoms.copy())
    score_cohort(cohort)
    pd.testing.assert_frame_equal(cohort.patients, before[0])
    pd.testing.assert_frame_equal(cohort.symptoms, before[1])
