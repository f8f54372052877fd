"""One patient's course: carried-forward values, categories, gaps, doses and the subgroup comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omalizumab_core.analyses import patient_course as pc
from omalizumab_core.synthetic.demo import demo_scored
from omalizumab_core.engine.scoring import score_cohort
from omalizumab_core.outputs.figures import patient as figures
from omalizumab_core.data.problems import TooFewPatients
from tests.apptest_support import app_on, shown_text
from tests.handmade import cohort_of, course, patient


def _doses(rows):
    return pd.DataFrame(rows, columns=["patient_id", "month", "dose_mg", "interval_days"])


def _course_cohort(**tables):
    # P1: flushing recorded at 0, 1, 4; diarrhea missing at month 1 (carried
    # forward from baseline); headache absent at baseline (new at month 4).
    return cohort_of(
        [patient("P1"), patient("P2")],
        course("P1", {"flushing": {0: 1, 1: 0.5, 4: 0.25}, "diarrhea": {0: 1, 4: 0.5}, "headache": {4: 0.5}})
        + course("P2", {"fatigue": {0: 1, 2: 0.5}}),
        **tables,
    )


# --- symptom grid ---------------------------------------------------------


def test_a_symptom_missing_at_an_assessment_is_carried_forward_and_flagged():
    grid = pc.symptom_grid(score_cohort(_course_cohort()), "P1").set_index(["symptom", "month"])
    assert grid.loc[("diarrhea", 1.0), "value"] == 1.0
    assert not grid.loc[("diarrhea", 1.0), "recorded"]
    assert grid.loc[("diarrhea", 4.0), "recorded"] and grid.loc[("diarrhea", 4.0), "value"] == 0.5
    assert grid.loc[("flushing", 1.0), "recorded"] and grid.loc[("flushing", 1.0), "value"] == 0.5


def test_a_symptom_absent_at_baseline_is_flagged_new_from_its_first_record():
    grid = pc.symptom_grid(score_cohort(_course_cohort()), "P1")
    headache = grid[grid["symptom"] == "headache"]
    assert headache["month"].tolist() == [4.0]
    assert headache["new_symptom"].all()
    assert not grid.loc[grid["symptom"] != "headache", "new_symptom"].any()
    assert grid["symptom"].iloc[-1] == "headache"  # new symptoms listed last


def test_grid_months_are_baseline_and_the_engines_assessments():
    grid = pc.symptom_grid(score_cohort(_course_cohort()), "P1")
    assert sorted(grid["month"].unique()) == [0.0, 1.0, 4.0]


def test_baseline_symptoms_in_the_grid_sum_to_the_engines_score_for_every_demo_patient():
    scored = demo_scored()
    for patient_id in scored.outcomes["patient_id"]:
        grid = pc.symptom_grid(scored, patient_id)
        summed = grid[~grid["new_symptom"] & (grid["month"] > 0)].groupby("month")["value"].sum()
        trajectory = pc.score_trajectory(scored, patient_id).set_index("month")["score"]
        assert summed.to_dict() == trajectory.to_dict(), patient_id


def test_assessments_after_the_end_of_treatment_are_not_in_the_grid():
    cohort = cohort_of([patient("S", treatment_end_month=2.0)], course("S", {"flushing": {0: 1, 1: 0.5, 5: 1}}))
    grid = pc.symptom_grid(score_cohort(cohort), "S")
    assert grid["month"].tolist() == [0.0, 1.0]


# --- trajectory -----------------------------------------------------------


def test_trajectory_categories_match_the_engine_and_the_hand_computation():
    # P1, B = 2. Month 1: S = 0.5 + 1 (carried) = 1.5, decrease 25 % -> PR.
    # Month 4: S = 0.25 + 0.5 = 0.75, decrease 62.5 %, but headache is new -> NR.
    scored = score_cohort(_course_cohort())
    trajectory = pc.score_trajectory(scored, "P1")
    assert trajectory["category"].tolist() == ["PR", "NR"]
    assert trajectory["score"].tolist() == [1.5, 0.75]
    assert trajectory["new_symptoms"].tolist() == [0, 1]
    engine = scored.assessments[scored.assessments["patient_id"] == "P1"]
    assert trajectory["category"].tolist() == engine["category"].astype(str).tolist()


def test_decreases_of_exactly_10_and_50_percent_are_partial_responses():
    # B = 10: S = 9 is a 10 % decrease (PR), S = 5 a 50 % decrease (PR, not MR).
    histories = {f"s{i}": {0: 1, 1: 1 if i < 9 else 0, 2: 1 if i < 5 else 0} for i in range(10)}
    trajectory = pc.score_trajectory(score_cohort(cohort_of([patient("E")], course("E", histories))), "E")
    assert trajectory["score"].tolist() == [9.0, 5.0]
    assert trajectory["category"].tolist() == ["PR", "PR"]


def test_first_and_best_response_are_marked_at_the_engines_months():
    histories = {"a": {0: 1, 1: 0.75, 3: 0, 6: 0.5}, "b": {0: 1, 1: 1, 3: 0.5, 6: 0.5}}
    # Month 1: S = 1.75 of 2 (12.5 %, PR); month 3: 0.5 (75 %, MR); month 6: 1 (50 %, PR).
    trajectory = pc.score_trajectory(score_cohort(cohort_of([patient("F")], course("F", histories))), "F")
    assert trajectory["category"].tolist() == ["PR", "MR", "PR"]
    assert trajectory.loc[trajectory["is_first_response"], "month"].tolist() == [1.0]
    assert trajectory.loc[trajectory["is_best_response"], "month"].tolist() == [3.0]


def test_a_non_responder_has_no_first_or_best_response_mark():
    trajectory = pc.score_trajectory(score_cohort(cohort_of([patient("N")], course("N", {"a": {0: 1, 2: 1}}))), "N")
    assert trajectory["category"].tolist() == ["NR"]
    assert not trajectory["is_first_response"].any() and not trajectory["is_best_response"].any()


# --- gaps -----------------------------------------------------------------


def test_more_than_3_months_without_assessment_is_a_stated_gap():
    cohort = cohort_of([patient("G", last_follow_up_month=15.0)], course("G", {"a": {0: 1, 1: 0.5, 4: 0.5, 9: 0.25}}))
    gaps = pc.assessment_gaps(score_cohort(cohort), "G")
    # 0 -> 1 -> 4 (3 months: not a gap) -> 9 (5 months) -> follow-up at 15 (6 months).
    assert gaps[["from_month", "to_month"]].values.tolist() == [[4.0, 9.0], [9.0, 15.0]]
    assert pc.describe_gaps(gaps) == [
        "No assessment between month 4 and month 9 (5 months).",
        "No assessment between month 9 and the last follow-up at month 15 (6 months).",
    ]


def test_exactly_3_months_between_assessments_is_not_a_gap():
    cohort = cohort_of([patient("T")], course("T", {"a": {0: 1, 3: 0.5, 6: 0.5}}))
    gaps = pc.assessment_gaps(score_cohort(cohort), "T")
    assert gaps.empty
    assert pc.describe_gaps(gaps) == ["No interval longer than 3 months without an assessment."]


def test_gap_threshold_can_be_changed_and_reaches_the_end_of_treatment():
    cohort = cohort_of([patient("U", treatment_end_month=6.0)], course("U", {"a": {0: 1, 2: 0.5}}))
    gaps = pc.assessment_gaps(score_cohort(cohort), "U", longer_than=1)
    assert gaps.values.tolist() == [[0.0, 2.0, 2.0, "assessment"], [2.0, 6.0, 4.0, "end_of_treatment"]]
    assert pc.describe_gaps(gaps, longer_than=1)[1] == "No assessment between month 2 and the end of treatment at month 6 (4 months)."


# --- unknown patient ------------------------------------------------------


@pytest.mark.parametrize(
    "function",
    [pc.patient_header, pc.score_trajectory, pc.symptom_grid, pc.assessment_gaps, pc.patient_vs_subgroup, pc.dose_timeline, pc.patient_course],
)
def test_an_unknown_patient_is_a_domain_error_that_says_it_is_not_in_the_cohort(function):
    with pytest.raises(TooFewPatients, match=r"Patient NOPE is not in the cohort \(hand-made test cohort\)\. Check the identifier"):
        function(score_cohort(_course_cohort()), "NOPE")


def test_a_patient_filtered_out_is_not_in_the_selection():
    scored = score_cohort(_course_cohort()).subset(["P2"])
    with pytest.raises(TooFewPatients, match="Patient P1 is not in the current selection"):
        pc.patient_course(scored, "P1")


# --- header and doses -----------------------------------------------------


def test_dose_changes_are_named_and_the_current_regimen_is_the_last_one():
    doses = _doses([("P1", 0, 150, 14), ("P1", 2, 300, 14), ("P1", 4, 150, 7), ("P2", 0, 150, 14)])
    scored = score_cohort(_course_cohort(doses=doses))
    timeline = pc.dose_timeline(scored, "P1")
    assert timeline["change"].tolist() == ["start", "dose escalation", "weekly dosing"]
    header = pc.patient_header(scored, "P1")
    assert header["regimen"] == "150 mg every week" and header["regimen_since_month"] == 4.0
    shown = pc.format_header(header).set_index("Item")["Value"]
    assert shown["Current regimen"] == "150 mg weekly"


def test_header_of_a_stopped_patient_states_why_and_when():
    cohort = cohort_of(
        [patient("S", diagnosis="MCAS", kit_d816v="negative", treatment_end_month=3.0, end_reason="intolerance")],
        course("S", {"a": {0: 1, 1: 0.5, 3: 0.5}}),
    )
    header = pc.patient_header(score_cohort(cohort), "S")
    assert not header["still_treated"] and header["regimen"] is None  # no doses table
    shown = pc.format_header(header).set_index("Item")
    assert shown.loc["Stopped at month 3", "Value"] == "Intolerance"
    assert shown.loc["Diagnosis", "Detail"] == "Mast cell activation syndrome (MCAS)"
    assert shown.loc["Group", "Value"] == "Idiopathic"
    assert shown.loc["Best response", "Value"] == "PR (50 %)"  # B = 1, best S = 0.5: a 50 % decrease is PR
    assert pc.dose_timeline(score_cohort(cohort), "S") is None


def test_header_of_a_still_treated_patient():
    header = pc.patient_header(demo_scored(), "DEMO-003")
    assert header["still_treated"]
    assert (header["diagnosis"], header["subgroup"], header["kit_d816v"]) == ("ISM", "ISM", "positive")
    assert pc.format_header(header).set_index("Item").loc["Status", "Value"] == "Still treated"


# --- patient vs subgroup --------------------------------------------------


def _subgroup_cohort():
    return cohort_of(
        [patient("A"), patient("B"), patient("C"), patient("D", diagnosis="CM")],
        course("A", {"x": {0: 1, 2: 0}})  # CR at 2
        + course("B", {"x": {0: 1, 1: 0.75, 4: 0.25}})  # PR at 1, MR at 4
        + course("C", {"x": {0: 1, 3: 1}})  # NR
        + course("D", {"x": {0: 1, 1: 0}}),  # CR, other subgroup
    )


def test_patient_vs_subgroup_counts_best_responses_in_the_patients_subgroup():
    comparison = pc.patient_vs_subgroup(score_cohort(_subgroup_cohort()), "B")
    assert comparison.subgroup == "ISM"
    counts = comparison.counts.set_index("category")
    assert counts["n"].to_dict() == {"CR": 1, "MR": 1, "PR": 0, "NR": 1}
    assert set(counts["total"]) == {3}
    assert counts.index[counts["is_patient"]].tolist() == ["MR"]


def test_patient_vs_subgroup_times_are_medians_over_responders():
    timing = pc.patient_vs_subgroup(score_cohort(_subgroup_cohort()), "B").timing.set_index("measure")
    # Responders A (first 2, best 2) and B (first 1, best 4); C never responded.
    assert timing.loc["first_response", ["patient_months", "subgroup_median", "subgroup_min", "subgroup_max"]].tolist() == [1.0, 1.5, 1.0, 2.0]
    assert timing.loc["best_response", ["patient_months", "subgroup_median"]].tolist() == [4.0, 3.0]
    assert timing["subgroup_responders"].tolist() == [2, 2]


def test_patient_vs_subgroup_follows_the_current_filters():
    scored = score_cohort(_subgroup_cohort()).subset(["B", "C"])
    counts = pc.patient_vs_subgroup(scored, "B").counts.set_index("category")["n"]
    assert counts.to_dict() == {"CR": 0, "MR": 1, "PR": 0, "NR": 1}


# --- figures --------------------------------------------------------------


def test_heatmap_draws_carried_forward_values_apart_from_recorded_ones():
    figure = figures.symptom_heatmap_figure(pc.symptom_grid(score_cohort(_course_cohort()), "P1"))
    carried, recorded = figure.data
    assert carried.opacity < 1 and (recorded.opacity is None or recorded.opacity == 1)
    assert "(1)" in np.asarray(carried.text).ravel().tolist()
    assert "headache (new)" in list(recorded.y)


def test_figures_build_for_a_patient_without_optional_tables():
    course_ = pc.patient_course(score_cohort(_course_cohort()), "P2")
    figures.score_trajectory_figure(course_.trajectory, course_.header["baseline_symptoms"])
    timeline = figures.course_timeline_figure(course_.doses, course_.adverse_events, course_.labs)
    assert "No doses table in this cohort" in [t.text[0] for t in timeline.data if t.mode == "text"]


# --- the page -------------------------------------------------------------


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_page_opens_the_patient_of_the_url_and_follows_the_selectbox():
    at = app_on(query={"patient": "DEMO-003"}, page="views/patient.py")
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="patient_picker").value == "DEMO-003"
    assert _metric(at, "Diagnosis") == "ISM"
    assert "Indolent systemic mastocytosis (ISM)" in shown_text(at)
    at.selectbox(key="patient_picker").select("DEMO-030").run()  # a CM patient in the demo
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, "Diagnosis") == "CM"
    assert at.query_params["patient"] == "DEMO-030"
    at.run()  # the next rerun reads the URL it wrote and stays on the chosen patient
    assert at.selectbox(key="patient_picker").value == "DEMO-030" and _metric(at, "Diagnosis") == "CM"


def test_page_says_the_patient_of_the_url_is_not_in_the_cohort_when_no_filter_is_set():
    at = app_on(query={"patient": "NOPE"}, page="views/patient.py")
    assert not at.exception, [e.value for e in at.exception]
    assert "Patient NOPE is not in the cohort" in shown_text(at) and "NOPE is not in the current selection" not in shown_text(at)
    assert at.selectbox(key="patient_picker").value is None
    at.selectbox(key="patient_picker").select("DEMO-001").run()
    assert _metric(at, "Diagnosis") == "ISM"


def test_a_patient_link_with_spaces_around_the_identifier_opens_that_patient():
    # A link pasted from an e-mail often carries "%20" around the id: "DEMO-003 " is DEMO-003, not "not in the cohort".
    at = app_on(query={"patient": " DEMO-003 "}, page="views/patient.py")
    assert not at.exception, [e.value for e in at.exception]
    assert "not in the cohort" not in shown_text(at)
    assert at.selectbox(key="patient_picker").value == "DEMO-003"


def test_one_course_figure_shares_its_month_axis_and_colours_events_by_severity():
    from omalizumab_core.outputs.figures import patient as figures

    trajectory = pd.DataFrame({"month": [3.0, 9.0], "score": [2.0, 1.0], "category": ["MR", "MR"], "decrease_pct": [50.0, 75.0],
                               "worsened_symptoms": [0, 0], "new_symptoms": [0, 0], "is_first_response": [True, False], "is_best_response": [False, True]})
    events = pd.DataFrame({"month": [9.0, 2.0], "event": ["urticaria", "fever"], "severity": ["severe", "mild"]})  # no led_to_discontinuation column
    fig = figures.patient_course_figure(trajectory, 4, None, events, None, last_month=12.0)
    axes = [fig.layout[f"xaxis{'' if r == 1 else r}"] for r in range(1, 6)]
    assert all(a.matches == "x5" for a in axes[:4]) and {tuple(a.range) for a in axes} == {(-0.3, 12.5)}  # month 9 at one x in every panel
    marks = next(t for t in fig.data if t.y is not None and "urticaria" in list(t.y))
    assert list(marks.marker.color) == [figures.SEVERITY_COLORS["severe"], figures.SEVERITY_COLORS["mild"]]
    assert {t.name for t in fig.data if t.name and t.name.startswith("Adverse event")} == {"Adverse event: mild", "Adverse event: severe"}


def test_page_says_a_patient_left_out_by_the_filters_is_not_in_the_selection():
    at = app_on(query={"patient": "DEMO-030", "diagnosis": "ISM"}, page="views/patient.py")  # DEMO-030 has CM
    assert "Patient DEMO-030 is not in the current selection" in shown_text(at)


def test_the_patient_tables_draw_only_the_open_tab_first_the_score():
    # Lazy tabs (issue 18, item 6): the four tables were all sent and drawn on every visit.
    at = app_on(query={"patient": "DEMO-003"}, page="views/patient.py")
    names = {str(b.key) for b in at.get("download_button")}
    assert "csv_patient_DEMO-003_score" in names
    assert not {"csv_patient_DEMO-003_symptoms", "csv_patient_DEMO-003_events"} & names
