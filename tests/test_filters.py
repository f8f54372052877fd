"""Filters: each keeps exactly the patients its rule names, the URL round-trips, nothing is rescored."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omalizumab_core.engine.scoring import score_cohort
from omalizumab_core.analyses.filters import (
    FilterSpec,
    apply_filters,
    describe,
    filter_index,
    filter_options,
    spec_from_query,
    spec_to_query,
)
from tests.handmade import cohort_of, course, patient


def _cohort():
    patients = [
        patient("A", sex="F", diagnosis="ISM", kit_d816v="positive", age_at_treatment=30.0, center="Paris", ward="north"),
        patient("B", sex="M", diagnosis="CM", kit_d816v="negative", age_at_treatment=50.0, center="Lyon", ward="south"),
        patient("C", sex="F", diagnosis="MCAS", kit_d816v="positive", age_at_treatment=70.0, center="Paris", ward="north"),
        patient("D", sex="M", diagnosis="MCAS", kit_d816v="not_evaluated", age_at_treatment=np.nan, center="Lyon", ward=None),
    ]
    rows = (
        course("A", {"flushing": {0: 1, 2: 0.5}})
        + course("B", {"diarrhea": {0: 1, 2: 1}})
        + course("C", {"flushing": {0: 1, 2: 0}, "diarrhea": {0: 1, 2: 0}})
        + course("D", {"headache": {0: 1, 2: 0.25}})
    )
    categories = {"flushing": "general_vasomotor", "diarrhea": "gastrointestinal", "headache": "headache"}
    for row in rows:
        row["category"] = categories[row["symptom"]]
    doses = pd.DataFrame(
        {
            "patient_id": ["A", "A", "B", "C", "C"],
            "month": [0.0, 3.0, 0.0, 0.0, 4.0],
            "dose_mg": [150.0, 300.0, 150.0, 150.0, 150.0],
            # C moves from every 2 weeks to weekly: same dose, more often, so escalated.
            "interval_days": [14.0, 14.0, 14.0, 14.0, 7.0],
        }
    )
    return cohort_of(patients, rows, doses=doses)


@pytest.fixture(scope="module")
def scored():
    return score_cohort(_cohort())


def _kept(scored, **spec):
    return list(apply_filters(scored, FilterSpec(**spec)).outcomes["patient_id"])


def test_no_filter_returns_the_same_scored_cohort(scored):
    assert apply_filters(scored, FilterSpec()) is scored


def test_diagnosis_filter_uses_the_analysis_subgroup_mmas_and_idiopathic(scored):
    # MCAS with KIT D816V positive is MMAS (C); MCAS not evaluated is idiopathic (D).
    assert _kept(scored, diagnosis=("MMAS",)) == ["C"]
    assert _kept(scored, diagnosis=("idiopathic",)) == ["D"]
    assert _kept(scored, diagnosis=("ISM", "CM")) == ["A", "B"]


def test_group_kit_sex_and_centre_filters_combine_with_and(scored):
    assert _kept(scored, group=("primary",)) == ["A", "B", "C"]
    assert _kept(scored, sex=("F",), center=("Paris",)) == ["A", "C"]
    assert _kept(scored, kit_d816v=("negative",)) == ["B"]


def test_age_range_is_inclusive_and_drops_patients_without_an_age(scored):
    assert _kept(scored, age_at_treatment=(30.0, 50.0)) == ["A", "B"]


def test_baseline_category_filter_requires_every_selected_category(scored):
    assert _kept(scored, baseline_categories=("general_vasomotor",)) == ["A", "C"]
    assert _kept(scored, baseline_categories=("general_vasomotor", "gastrointestinal")) == ["C"]


def test_dose_escalation_counts_a_higher_dose_or_more_frequent_injections(scored):
    # A: 150 -> 300 mg every 2 weeks; C: 150 mg every 2 weeks -> weekly. D has no dose rows.
    assert _kept(scored, dose_escalation="yes") == ["A", "C"]
    assert _kept(scored, dose_escalation="no") == ["B"]


def test_extra_columns_of_the_patients_table_are_offered_and_filter(scored):
    options = filter_options(filter_index(scored))
    assert options["extra"] == {"ward": ["north", "south"]}
    assert _kept(scored, extra=(("ward", ("south",)),)) == ["B"]


def test_filtering_subsets_assessments_without_rescoring(scored):
    kept = apply_filters(scored, FilterSpec(sex=("F",)))
    expected = scored.assessments[scored.assessments["patient_id"].isin(["A", "C"])]
    pd.testing.assert_frame_equal(kept.assessments, expected)
    assert kept.cohort.n_patients == 2


def test_options_list_only_levels_present_in_the_cohort(scored):
    options = filter_options(filter_index(scored))
    assert options["diagnosis"] == ["ISM", "CM", "MMAS", "idiopathic"]
    assert options["age_at_treatment"] == (30.0, 70.0)
    assert options["baseline_categories"] == ["general_vasomotor", "gastrointestinal", "headache"]


def test_url_round_trips_every_kind_of_filter(scored):
    options = filter_options(filter_index(scored))
    spec = FilterSpec(
        diagnosis=("ISM", "MMAS"),
        sex=("F",),
        age_at_treatment=(35.0, 60.5),
        baseline_categories=("gastrointestinal",),
        dose_escalation="no",
        extra=(("ward", ("north",)),),
    )
    query = spec_to_query(spec)
    assert query["diagnosis"] == "ISM,MMAS" and query["age"] == "35-60.5"
    again, problems = spec_from_query(query, options)
    assert again == spec and problems == []


def test_a_link_range_beyond_the_cohort_is_narrowed_and_one_outside_it_dropped_each_saying_so(scored):
    options = filter_options(filter_index(scored))  # ages 30 to 70
    spec, problems = spec_from_query({"age": "25-60"}, options)
    assert spec.age_at_treatment == (30.0, 60.0)
    assert [p.message for p in problems] == ["The link's age range 25–60 years was narrowed to this cohort's values: 30–60 years."]
    spec, problems = spec_from_query({"age": "200-300"}, options)
    assert spec.age_at_treatment is None
    assert [p.message for p in problems] == [
        "The link's age range 200–300 years lies outside this cohort's (30–70 years); the age filter was not applied."
    ]


def test_a_link_made_on_another_cohort_drops_unknown_levels_with_a_warning(scored):
    options = filter_options(filter_index(scored))
    spec, problems = spec_from_query({"diagnosis": "ISM,SSM", "x.bed": "3", "age": "young"}, options)
    assert spec.diagnosis == ("ISM",)
    messages = " ".join(p.message for p in problems)
    assert "SSM" in messages and "bed" in messages and "young" in messages


def test_description_uses_clinical_words():
    text = describe(FilterSpec(diagnosis=("idiopathic",), baseline_categories=("general_vasomotor",)))
    assert text == {"Diagnosis": "Idiopathic MCAS", "Baseline symptoms include": "General vasomotor"}
    assert describe(FilterSpec()) == {"Filters": "none (all patients)"}


def test_filters_do_not_mutate_the_cohort(scored):
    before = scored.cohort.patients.copy()
    apply_filters(scored, FilterSpec(sex=("M",), extra=(("ward", ("south",)),)))
    pd.testing.assert_frame_equal(scored.cohort.patients, before)


def test_demo_cohort_subgroups_have_the_published_sizes():
    from omalizumab_core.synthetic.demo import demo_cohort

    scored = score_cohort(demo_cohort())
    index = filter_index(scored)
    sizes = {g: apply_filters(scored, FilterSpec(diagnosis=(g,)), index=index).cohort.n_patients for g in ("ISM", "CM", "MMAS", "idiopathic")}
    assert sizes == {"ISM": 29, "CM": 11, "MMAS": 1, "idiopathic": 14}  # Table 2 column headers


def _link_options():
    options = filter_options(filter_index(_scored_for_links()))
    options["extra"]["weight_kg"] = (60.0, 90.0)  # a numeric column with many values is filtered by a range
    return options


def _scored_for_links():
    patients = [patient("A", diagnosis="ISM", age_at_treatment=30.0, weight_kg=60.0), patient("B", diagnosis="CM", age_at_treatment=70.0, weight_kg=90.0)]
    rows = course("A", {"flushing": {0: 1, 2: 0.5}}) + course("B", {"fatigue": {0: 1, 3: 1}})
    doses = pd.DataFrame({"patient_id": ["A", "B", "B"], "month": [0.0, 0.0, 3.0], "dose_mg": [300.0] * 3, "interval_days": [28.0, 28.0, 14.0]})
    return score_cohort(cohort_of(patients, rows, doses=doses))


@pytest.mark.parametrize("query, said", [
    ({"age": "nan-nan"}, "age range 'nan-nan' is not of the form 18-60"),
    ({"age": "nan-60"}, "age range 'nan-60' is not of the form 18-60"),
    ({"escalated": "maybe"}, "'maybe'"),
    ({"x.weight_kg": "heavy"}, "'heavy'"),
])
def test_a_malformed_link_value_is_never_dropped_silently(query, said):
    # Each of these left the selection unfiltered without a word (nan-nan even became a (nan, nan) age range).
    spec, problems = spec_from_query(query, _link_options())
    assert spec == FilterSpec()
    assert any(said in p.message for p in problems), [p.message for p in problems]


def test_a_level_named_twice_in_a_link_is_kept_once():
    spec, problems = spec_from_query({"diagnosis": "ISM,ISM"}, _link_options())
    assert spec.diagnosis == ("ISM",) and problems == []


def test_a_saved_analysis_s_filters_are_named_as_the_saved_analysis_in_warnings():
    # The CLI's --analysis and the dashboard's saved analyses said "The link's ..." of a file.
    import omalizumab_core as oc

    scored = oc.score_cohort(oc.load_cohort("demo"))
    saved = oc.read_analysis(oc.analysis_json(scored.cohort, filters=oc.FilterSpec(age_at_treatment=(200.0, 300.0))))
    spec, problems = oc.analysis_filters(saved, scored)
    assert spec.age_at_treatment is None
    [problem] = problems
    assert problem.message.startswith("The saved analysis's age range 200–300 years lies outside this cohort's (")
    assert "link" not in problem.message
