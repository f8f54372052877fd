"""Property-based tests of the engine's invariants on generated cohorts (hypothesis)."""

from __future__ import annotations

from fractions import Fraction

import hypothesis.strategies as st
from hypothesis import given, settings

from omalizumab_core.data.codes import ALLOWED_SCORES, RESPONSE_RANK
from omalizumab_core.engine.scoring import score_cohort
from tests.handmade import cohort_of, course, patient

LATER_SCORES = st.sampled_from(ALLOWED_SCORES)


@st.composite
def patient_courses(draw):
    n_patients = draw(st.integers(1, 4))
    patients, rows = [], []
    for i in range(n_patients):
        pid = f"P{i}"
        months = sorted(draw(st.sets(st.integers(1, 24), min_size=0, max_size=6)))
        histories = {}
        for s in range(draw(st.integers(1, 8))):
            later = {m: draw(LATER_SCORES) for m in months if draw(st.booleans())}
            histories[f"b{s}"] = {0: 1, **later}
        if months and draw(st.booleans()):
            histories["new"] = {m: draw(LATER_SCORES) for m in draw(st.sets(st.sampled_from(months), min_size=1))}
        end = draw(st.one_of(st.none(), st.integers(1, 24)))
        fields = {} if end is None else {"treatment_end_month": float(end), "end_reason": draw(st.sampled_from(["intolerance", "lost_to_follow_up", "lack_of_efficacy"]))}
        patients.append(patient(pid, **fields))
        rows += course(pid, histories)
    return cohort_of(patients, rows)


def _expected_category(row) -> str:
    """The paper's rule restated with Python fractions, independently of the engine."""
    if row.new_symptoms > 0 or row.worsened_symptoms > 0:
        return "NR"
    score, baseline = Fraction(row.score).limit_denominator(4), Fraction(int(row.baseline_score))
    if score == 0:
        return "CR"
    decrease = (baseline - score) / baseline
    if decrease > Fraction(1, 2):
        return "MR"
    if decrease >= Fraction(1, 10):
        return "PR"
    return "NR"


@settings(max_examples=150, deadline=None)
@given(patient_courses())
def test_category_follows_from_score_and_flags_at_every_assessment(cohort):
    assessments = score_cohort(cohort).assessments
    for row in assessments.itertuples():
        assert row.category == _expected_category(row)


@settings(max_examples=150, deadline=None)
@given(patient_courses())
def test_best_response_is_at_least_every_assessment_and_times_are_ordered(cohort):
    scored = score_cohort(cohort)
    best = scored.outcomes.set_index("patient_id")
    for row in scored.assessments.itertuples():
        assert RESPONSE_RANK[best.loc[row.patient_id, "best_response"]] >= RESPONSE_RANK[row.category]
    responders = best[best["best_response"] != "NR"]
    assert (responders["months_to_first_response"] <= responders["months_to_best_response"]).all()
    assert best.loc[best["best_response"] == "NR", "months_to_first_response"].isna().all()


@settings(max_examples=100, deadline=None)
@given(patient_courses())
def test_no_assessment_is_used_after_the_end_of_treatment(cohort):
    scored = score_cohort(cohort)
    end = cohort.patients.set_index("patient_id")["treatment_end_month"]
    months = scored.assessments.groupby("patient_id", observed=True)["month"].max()
    for pid, last in months.items():
        assert not (last > end[pid])
