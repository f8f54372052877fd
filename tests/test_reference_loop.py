"""The vectorised engine agrees with a plain per-patient loop of the same rules.

``benchmarks/reference_loop.py`` re-implements the rules of Lemal et al. (2019)
independently, one patient at a time with exact fractions. Agreement on every
patient and every field of a synthetic registry cohort, of hand-made edge
cases and of random small cohorts cross-checks the engine's cumulative-sum
arithmetic.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.reference_loop import FIELDS, classify, reference_outcomes
from omalizumab_core.data import loading
from omalizumab_core.engine.scoring import score_cohort
from omalizumab_core.synthetic.synth import synthetic_cohort
from tests.handmade import cohort_of, course, patient

RULES = ("any_symptom", "total_score")


def _same(a, b) -> bool:
    a_missing = a is None or a is pd.NA or (isinstance(a, float) and math.isnan(a))
    b_missing = b is None or b is pd.NA or (isinstance(b, float) and math.isnan(b))
    if a_missing or b_missing:
        return a_missing and b_missing
    if isinstance(a, (float, np.floating)) or isinstance(b, (float, np.floating)):
        return abs(float(a) - float(b)) <= 1e-9
    return a == b


def mismatches(cohort, rule: str) -> dict:
    """{field: [(patient_id, loop value, engine value), ...]} where the two disagree."""
    loop = reference_outcomes(cohort.patients, cohort.symptoms, rule)
    engine = score_cohort(cohort, worsening_rule=rule).outcomes
    assert len(loop) == len(engine)
    return field_mismatches(loop["patient_id"].tolist(), loop, engine, FIELDS)


def field_mismatches(ids: list, reference, engine: pd.DataFrame, fields) -> dict:
    """{field: first five (patient_id, reference value, engine value)} where a reference and the engine disagree."""
    found = {}
    for field in fields:
        a = list(reference[field])
        b = engine[field].to_numpy(dtype=object)
        bad = [(ids[i], a[i], b[i]) for i in range(len(a)) if not _same(a[i], b[i])]
        if bad:
            found[field] = bad[:5]
    return found


@pytest.fixture(scope="module")
def registry_cohort():
    # 300 patients, and some assessments after the end of treatment (which
    # both implementations must ignore).
    return synthetic_cohort(300, seed=11, post_treatment_share=0.2)


@pytest.mark.parametrize("rule", RULES)
def test_engine_and_loop_agree_on_every_patient_of_a_synthetic_cohort(registry_cohort, rule):
    assert mismatches(registry_cohort, rule) == {}


def test_the_synthetic_cohort_exercises_every_branch(registry_cohort):
    # Agreement means little unless the cohort reaches each rule.
    loop = reference_outcomes(registry_cohort.patients, registry_cohort.symptoms)
    assert set(loop["best_response"]) == {"CR", "MR", "PR", "NR"}
    assert {"CR", "MR", "PR", "no_response", "loss_of_response", "intolerance", "lost_or_other"} <= set(
        loop["status_at_last_follow_up"]
    )
    assert loop["sustained_3_months"].any() and not loop["sustained_3_months"].all()
    s = registry_cohort.symptoms
    end = registry_cohort.patients.set_index("patient_id")["treatment_end_month"]
    assert (s["score"] == 1.5).any()
    assert (s["month"].to_numpy() > end.reindex(s["patient_id"].astype(str)).to_numpy()).any()


def test_engine_and_loop_agree_through_the_loader(tmp_path):
    from omalizumab_core.synthetic.synth import synthesize, write_cohort

    write_cohort(synthesize(300, seed=12), tmp_path, fmt="parquet")
    cohort = loading.load_cohort(tmp_path)
    for rule in RULES:
        assert mismatches(cohort, rule) == {}


# --- hand-made edge cases -------------------------------------------------------------


def _edge_cohort():
    ten = {f"s{i}": {0: 1} for i in range(10)}
    exactly_10 = {**ten, "s0": {0: 1, 2: 0}}  # decrease 10 % -> PR
    exactly_50 = {f"s{i}": {0: 1, 1: (0 if i < 5 else 1)} for i in range(10)}  # 50 % -> PR
    return cohort_of(
        [
            patient("P10", treatment_end_month=2.0, end_reason="lack_of_efficacy"),
            patient("P50"),
            patient("HALF", last_follow_up_month=9.0),
            patient("NEW"),
            patient("ONLYNEW", treatment_end_month=4.0, end_reason="intolerance"),
            patient("NONE"),
            patient("AFTER", treatment_end_month=3.0, end_reason="pregnancy_intent"),
            patient("LOST", diagnosis="MCAS", kit_d816v="not_evaluated"),
        ],
        course("P10", exactly_10)
        + course("P50", exactly_50)
        + course("HALF", {"a": {0: 1, 0.5: 0.5, 2.5: 0.25, 3.5: 0.25}, "b": {0: 1, 3.5: 0.75}})
        + course("NEW", {"a": {0: 1, 1: 0.25, 4: 0}, "x": {2: 1, 3: 0}})
        + course("ONLYNEW", {"x": {1: 1, 2: 0.5}})
        + course("AFTER", {"a": {0: 1, 1: 0.5, 3: 0.5, 5: 0}, "b": {0: 1, 6: 1.5}})
        + course("LOST", {"a": {0: 1, 1: 0.25, 2: 0.25, 5: 1.5, 8: 1}, "b": {0: 1, 5: 0.5, 8: 1}}),
    )


@pytest.mark.parametrize("rule", RULES)
def test_engine_and_loop_agree_on_edge_cases(rule):
    assert mismatches(_edge_cohort(), rule) == {}


def test_loop_reads_the_edge_cases_as_worked_out_by_hand():
    loop = reference_outcomes(_edge_cohort().patients, _edge_cohort().symptoms).set_index("patient_id")
    assert loop.loc["P10", "best_response"] == "PR"  # exactly 10 %
    assert loop.loc["P50", "best_response"] == "PR"  # exactly 50 %, not MR
    assert loop.loc["HALF", "sustained_3_months"]  # 0.5 .. 3.5 responding
    assert loop.loc["NEW", "best_response"] == "CR"  # month 4: a = 0, new x back to 0
    assert loop.loc["NEW", "months_to_first_response"] == 1.0
    assert loop.loc["ONLYNEW", "best_response"] == "NR"  # no baseline symptom
    assert loop.loc["NONE", "n_assessments"] == 0
    assert loop.loc["AFTER", "last_assessment_month"] == 3.0  # months 5 and 6 are after the stop
    assert loop.loc["AFTER", "status_at_last_follow_up"] == "lost_or_other"
    assert loop.loc["LOST", "status_at_last_follow_up"] == "loss_of_response"  # still treated, last NR


def test_classify_uses_exact_thresholds():
    assert classify(Fraction(9), 10, 0, 0) == "PR"  # 10 %
    assert classify(Fraction(5), 10, 0, 0) == "PR"  # 50 %
    assert classify(Fraction(19, 4), 10, 0, 0) == "MR"  # 52.5 %
    assert classify(Fraction(37, 4), 10, 0, 0) == "NR"  # 7.5 %
    assert classify(Fraction(0), 3, 0, 0) == "CR"
    assert classify(Fraction(0), 3, 0, 1) == "NR"
    assert classify(Fraction(1, 2), 3, 1, 0) == "NR"
    assert classify(Fraction(1, 2), 3, 1, 0, "total_score") == "MR"


# --- random small cohorts --------------------------------------------------------------

SCORES = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)


@st.composite
def small_cohorts(draw):
    """1-4 patients, 0-10 symptoms each (some new), a few assessments on a half-month grid."""
    n_patients = draw(st.integers(1, 4))
    patients, rows = [], []
    for i in range(n_patients):
        pid = f"R{i}"
        stopped = draw(st.booleans())
        end = draw(st.sampled_from([1.0, 2.5, 3.0, 4.0, 6.0])) if stopped else np.nan
        reason = draw(st.sampled_from(["lack_of_efficacy", "loss_of_response", "intolerance", "lost_to_follow_up", "other"])) if stopped else "ongoing"
        patients.append(patient(pid, treatment_end_month=end, end_reason=reason))
        months = sorted(draw(st.sets(st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 3.3, 3.5, 4.0, 5.0, 6.3, 7.0]), max_size=6)))
        for s in range(draw(st.integers(0, 10))):
            baseline = s == 0 or draw(st.integers(0, 5)) > 0
            history = {0.0: 1.0} if baseline else {}
            for m in months:
                if draw(st.integers(0, 3)) > 0:
                    history[m] = draw(st.sampled_from(SCORES))
            rows.extend(course(pid, {f"sym{s}": history}))
    return cohort_of(patients, rows)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohort=small_cohorts(), rule=st.sampled_from(RULES))
def test_engine_and_loop_agree_on_random_small_cohorts(cohort, rule):
    assert mismatches(cohort, rule) == {}
