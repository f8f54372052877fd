"""Adverse events: patients counted once, worst severity, timing, headline counts, the page."""

from __future__ import annotations

import pandas as pd
import pytest

from omalizumab_core.synthetic.demo import demo_scored
from omalizumab_core.engine.scoring import score_cohort
from omalizumab_core.analyses.safety import ANY_EVENT, adverse_event_table, adverse_event_timing, safety_summary
from tests.apptest_support import app_on, shown_text
from tests.handmade import cohort_of, course, patient

EVENT_COLUMNS = ["patient_id", "month", "event", "severity", "serious", "flare", "led_to_discontinuation"]


def _cohort(events):
    ids = ("P1", "P2", "P3", "P4")
    rows = sum((course(p, {"a": {0: 1, 1: 0.5}}) for p in ids), [])
    frame = pd.DataFrame(events, columns=EVENT_COLUMNS)
    for flag in ("serious", "flare", "led_to_discontinuation"):
        frame[flag] = frame[flag].astype("boolean")
    return score_cohort(cohort_of([patient(p) for p in ids], rows, adverse_events=frame))


EVENTS = [
    ("P1", 1, "fatigue", "mild", False, False, False),
    ("P1", 3, "Fatigue ", "severe", True, False, True),  # same event, other spelling, worse
    ("P2", 2, "fatigue", "mild", False, False, False),
    ("P2", 0, "laryngeal edema", "severe", True, False, True),
    ("P3", 4, "flare of symptoms", "moderate", False, True, True),
    ("P3", 5, "nausea", None, None, None, None),  # severity and flags not recorded
]  # P4 has no event


def _row(table, event, severity="any"):
    rows = table[(table["event"] == event) & (table["severity"] == severity)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_a_patient_with_two_reports_of_an_event_counts_once():
    table = adverse_event_table(_cohort(EVENTS))
    fatigue = _row(table, "fatigue")  # "Fatigue " is the same event
    assert (fatigue["patients"], fatigue["events"], fatigue["total"]) == (2, 3, 4)
    overall = table.iloc[0]
    assert overall["event"] == ANY_EVENT
    assert (overall["patients"], overall["events"], overall["serious"], overall["flare"], overall["led_to_discontinuation"]) == (3, 6, 2, 1, 3)


def test_events_are_listed_most_frequent_first():
    table = adverse_event_table(_cohort(EVENTS))
    assert table["event"].tolist() == [ANY_EVENT, "fatigue", "flare of symptoms", "laryngeal edema", "nausea"]


def test_by_severity_a_patient_counts_at_the_worst_severity_of_the_event():
    table = adverse_event_table(_cohort(EVENTS), by_severity=True)
    # P1: mild then severe fatigue -> severe; P2: mild fatigue -> mild.
    assert _row(table, "fatigue", "severe")["patients"] == 1
    mild = _row(table, "fatigue", "mild")
    assert (mild["patients"], mild["events"]) == (1, 2)  # two mild reports (P1, P2), one patient whose worst is mild
    assert _row(table, "nausea", "not_recorded")["patients"] == 1
    # Over all events: P1 severe, P2 severe, P3 moderate (the unrecorded nausea does not lower it).
    assert _row(table, ANY_EVENT, "severe")["patients"] == 2
    assert _row(table, ANY_EVENT, "moderate")["patients"] == 1
    graded = table[(table["event"] == ANY_EVENT) & (table["severity"] != "any")]
    assert graded["patients"].sum() == _row(table, ANY_EVENT)["patients"]


def test_timing_separates_the_first_injection_and_counts_a_patient_in_both():
    timing = adverse_event_timing(_cohort(EVENTS)).set_index(["timing", "severity"])
    assert timing.loc[("first_injection", "any"), "patients"] == 1  # P2's laryngeal edema at month 0
    assert timing.loc[("first_injection", "severe"), "patients"] == 1
    assert timing.loc[("later", "any"), "patients"] == 3  # P1, P2 (fatigue at month 2), P3
    assert timing.loc[("later", "any"), "events"] == 5


def test_summary_counts_patients_with_serious_flare_discontinuation_and_severe_first_injection():
    summary = safety_summary(_cohort(EVENTS)).set_index("measure")
    assert summary["n"].to_dict() == {
        "patients_with_event": 3,
        "events": 6,
        "patients_serious": 2,
        "patients_severe": 2,
        "patients_severe_first_injection": 1,
        "patients_flare": 1,
        "patients_discontinued": 3,
    }
    assert set(summary["total"]) == {4}


def test_percentages_are_of_the_filtered_patients():
    subset = _cohort(EVENTS).subset(["P1", "P4"])
    overall = adverse_event_table(subset).iloc[0]
    assert (overall["patients"], overall["total"]) == (1, 2)


def test_a_cohort_without_adverse_events_table_raises():
    scored = score_cohort(cohort_of([patient("A")], course("A", {"a": {0: 1, 1: 1}})))
    with pytest.raises(ValueError, match="no adverse_events table"):
        safety_summary(scored)


def test_demo_reproduces_the_published_safety_figures():
    summary = safety_summary(demo_scored()).set_index("measure")["n"]
    # "Sixteen patients (29%) presented side effects, among whom 6 patients interrupted omalizumab";
    # one severe laryngeal edema after the first injection; three flares.
    assert (summary["patients_with_event"], summary["patients_discontinued"], summary["patients_severe_first_injection"], summary["patients_flare"]) == (16, 6, 1, 3)
    table = adverse_event_table(demo_scored()).set_index("event")["patients"]
    assert (table["fatigue"], table["fever"], table["headache"], table["pruritus"]) == (3, 3, 2, 1)


def test_page_shows_16_patients_with_adverse_events_on_the_demo():
    at = app_on(page="views/safety.py")
    assert not at.exception
    assert "Patients with an adverse event 16 (29.1 %)" in shown_text(at)


def test_page_says_no_data_without_an_adverse_events_table():
    at = app_on(cohort_of([patient("A")], course("A", {"a": {0: 1, 1: 0.5}})), page="views/safety.py")
    assert not at.exception
    assert "No data: the loaded cohort has no adverse events table" in shown_text(at)


@pytest.mark.parametrize("by_severity", [False, True])
def test_a_selection_without_any_adverse_event_has_one_row_saying_none(by_severity):
    # A cohort with an adverse_events table whose selected patients had none (the demo's MMAS patient) crashed the
    # Safety and Publication pages ("unary '-' not supported for dtype 'str'").
    table = adverse_event_table(_cohort([("P1", 1, "fatigue", "mild", False, False, False)]).subset(["P2", "P3"]), by_severity=by_severity)
    assert table[["event", "severity", "patients", "events", "serious", "flare", "led_to_discontinuation", "total"]].values.tolist() == [
        [ANY_EVENT, "any", 0, 0, 0, 0, 0, 2]
    ]


@pytest.mark.parametrize("page", ["views/safety.py", "views/publication.py"])
def test_safety_and_publication_open_on_a_selection_without_adverse_events(page):
    at = app_on(page=page, query={"diagnosis": "MMAS"})  # the demo's one MMAS patient had no adverse event
    assert not at.exception, [e.value for e in at.exception]
    assert "1 of 55 patients" in shown_text(at)
