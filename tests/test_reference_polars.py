"""The engine agrees with a polars implementation of the same rules, patient by patient.

``benchmarks/reference_polars.py`` is the columnar yardstick of the CLI's end
to end (issue 21). It re-implements the rules of Lemal et al. (2019) without
importing the engine; these tests check that both give every patient the
same best response, months to first and best response, sustained response
and status at last follow-up, on a synthetic registry cohort, on hand-made
edge cases (exactly 10 % and 50 %, new symptoms, rows after the stop) and
on random small cohorts.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from benchmarks.reference_polars import reference_outcomes, response_counts, summary
from omalizumab_core.engine.response_table import response_counts as engine_response_counts
from omalizumab_core.engine.scoring import score_cohort
from omalizumab_core.synthetic.synth import synthetic_cohort
from tests.test_reference_loop import (
    RULES,
    _edge_cohort,
    field_mismatches,
    small_cohorts,
)

COMPARED = (
    "best_response",
    "months_to_first_response",
    "months_to_best_response",
    "sustained_3_months",
    "status_at_last_follow_up",
    "baseline_symptoms",
    "n_assessments",
    "last_assessment_month",
    "last_category",
    "still_treated",
)


def mismatches(cohort, rule: str) -> dict:
    """{field: [(patient_id, polars value, engine value), ...]} where the two disagree."""
    ours = reference_outcomes(cohort.patients, cohort.symptoms, rule)
    engine = score_cohort(cohort, worsening_rule=rule).outcomes
    assert ours["patient_id"].to_list() == engine["patient_id"].astype(str).tolist()
    return field_mismatches(ours["patient_id"].to_list(), ours, engine, COMPARED)


@pytest.fixture(scope="module")
def registry_cohort():
    return synthetic_cohort(300, seed=11, post_treatment_share=0.2)


@pytest.mark.parametrize("rule", RULES)
def test_polars_reference_and_engine_agree_on_every_patient_of_a_synthetic_cohort(registry_cohort, rule):
    assert mismatches(registry_cohort, rule) == {}


@pytest.mark.parametrize("rule", RULES)
def test_polars_reference_and_engine_agree_on_edge_cases(rule):
    assert mismatches(_edge_cohort(), rule) == {}


def test_polars_reference_reads_the_edge_cases_as_worked_out_by_hand():
    edge = _edge_cohort()
    out = {row["patient_id"]: row for row in reference_outcomes(edge.patients, edge.symptoms).iter_rows(named=True)}
    assert out["P10"]["best_response"] == "PR"  # exactly 10 %: PR, exact integer arithmetic
    assert out["P50"]["best_response"] == "PR"  # exactly 50 %, not MR
    assert out["HALF"]["sustained_3_months"]
    assert out["NEW"]["best_response"] == "CR" and out["NEW"]["months_to_first_response"] == 1.0
    assert out["ONLYNEW"]["best_response"] == "NR"
    assert out["NONE"]["n_assessments"] == 0 and out["NONE"]["status_at_last_follow_up"] == "no_response"
    assert out["AFTER"]["last_assessment_month"] == 3.0 and out["AFTER"]["status_at_last_follow_up"] == "lost_or_other"
    assert out["LOST"]["status_at_last_follow_up"] == "loss_of_response"


def test_polars_reference_counts_table_2_as_the_engine_does(registry_cohort):
    ours = reference_outcomes(registry_cohort.patients, registry_cohort.symptoms)
    assert response_counts(ours) == engine_response_counts(score_cohort(registry_cohort).outcomes)


def test_polars_end_to_end_reads_validates_and_scores_a_written_cohort(tmp_path):
    from omalizumab_core.data.loading import load_cohort
    from omalizumab_core.synthetic.synth import synthesize, write_cohort

    write_cohort(synthesize(200, seed=12), tmp_path, fmt="parquet")
    ours = summary(tmp_path)
    engine = score_cohort(load_cohort(tmp_path)).outcomes
    for field in ("best_response", "status_at_last_follow_up", "sustained_3_months"):
        assert ours[field].to_list() == engine[field].tolist()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohort=small_cohorts(), rule=__import__("hypothesis").strategies.sampled_from(RULES))
def test_polars_reference_and_engine_agree_on_random_small_cohorts(cohort, rule):
    assert mismatches(cohort, rule) == {}


def test_polars_end_to_end_refuses_what_the_loader_refuses():
    import polars as pl

    from benchmarks.reference_polars import InvalidCohort, validate

    patients = pl.DataFrame({"patient_id": ["A", "B"], "diagnosis": ["ISM", "CM"], "kit_d816v": ["positive"] * 2,
                             "treatment_end_month": [None, 3.0], "end_reason": ["ongoing", "intolerance"]})

    def symptoms(**change):
        rows = {"patient_id": ["A", "A", "B"], "symptom": ["Flushing", "Flushing", "Pruritus"], "month": [0.0, 3.0, 0.0], "score": [1.0, 0.5, 1.0]}
        rows.update(change)
        return pl.DataFrame(rows)

    validate(patients, symptoms())
    for change, words in (
        ({"symptom": ["Flushing", "flushing ", "Pruritus"], "month": [0.0, 0.0, 0.0], "score": [1.0, 1.0, 1.0]}, "twice"),
        ({"patient_id": ["A", "A", "C"]}, "not in the patients table"),
        ({"score": [1.0, 0.4, 1.0]}, "score"),
        ({"score": [0.5, 0.5, 1.0]}, "baseline"),
        ({"month": [0.0, None, 0.0]}, "month"),
    ):
        with pytest.raises(InvalidCohort, match=words):
            validate(patients, symptoms(**change))
