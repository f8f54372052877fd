"""The patient-course events are built in patient positions and sorted on integer keys (issue 21, Follow-up
page switch at 100,000 patients): the result is the simple definition, the events sorted by patient id as
text, month and kind, ties kept in the order the tables give them, whatever the order of the patients table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from omalizumab_core.analyses.follow_up import EVENT_KINDS, swimmer_data
from omalizumab_core.engine.scoring import score_cohort
from tests.handmade import cohort_of, course, patient

# Patients table deliberately not in text order ("B10" < "B9" < "a1" as text).
IDS = ["B9", "a1", "B10", "Z"]


def _cohort(*, orphan: bool = False):
    patients = [
        patient("B9", last_follow_up_month=8.0),
        patient("a1", treatment_end_month=4.0, end_reason="intolerance"),
        patient("B10", last_follow_up_month=10.0),
        patient("Z", treatment_end_month=2.0, end_reason="lack_of_efficacy"),
    ]
    rows = (
        course("B9", {"x": {0: 1, 2: 0.25, 5: 1}})
        + course("a1", {"x": {0: 1, 2: 0.75}})
        + course("B10", {"x": {0: 1, 1: 0.5, 2: 0.25}})
        + course("Z", {"x": {0: 1, 1: 1}})
    )
    doses = [
        ("B10", 3.0, 300.0, 14.0),  # rows not in patient or month order
        ("B9", 3.0, 300.0, 14.0),
        ("B9", 0.0, 150.0, 14.0),
        ("B10", 0.0, 150.0, 14.0),
        ("B9", 3.0, 300.0, 7.0),  # a second change at the same month: after the first, as in the table
        ("a1", 1.0, 150.0, 28.0),
    ]
    events = {"patient_id": ["a1", "B9", "B9", "B10"], "month": [3.0, 2.0, np.nan, 2.0], "event": ["urticaria", "fatigue", "nausea", "rash"]}
    if orphan:  # rows of a patient missing from the patients table stay, with code -1
        doses.append(("AA", 2.0, 150.0, 14.0))
        events["patient_id"].append("AA")
        events["month"].append(1.0)
        events["event"].append("fatigue")
    return cohort_of(
        patients,
        rows,
        doses=pd.DataFrame(doses, columns=["patient_id", "month", "dose_mg", "interval_days"]),
        adverse_events=pd.DataFrame(events),
    )


def _simply_sorted(events: pd.DataFrame) -> pd.DataFrame:
    """The simple definition of the order: text id, month (missing last), kind; stable."""
    kind = events["kind"].map({k: i for i, k in enumerate(EVENT_KINDS)})
    return events.assign(_kind=kind).sort_values(["patient_id", "month", "_kind"], kind="stable").drop(columns="_kind")


def test_events_are_in_text_id_month_and_kind_order():
    for orphan in (False, True):
        _, events = swimmer_data(score_cohort(_cohort(orphan=orphan)))
        pd.testing.assert_frame_equal(events, _simply_sorted(events).reset_index(drop=True))
        assert list(dict.fromkeys(events["patient_id"])) == (["AA"] if orphan else []) + ["B10", "B9", "Z", "a1"]


def test_events_by_hand():
    _, events = swimmer_data(score_cohort(_cohort()))
    b9 = events[events["patient_id"] == "B9"]
    assert list(zip(b9["kind"], b9["month"].fillna(-1))) == [
        ("first response", 2.0), ("best response", 2.0), ("adverse event", 2.0), ("dose change", 3.0), ("dose change", 3.0),
        ("loss of response", 5.0), ("adverse event", -1),
    ]
    assert b9.loc[b9["kind"] == "dose change", "label"].tolist() == [
        "Dose change: 150 mg every 2 weeks → 300 mg every 2 weeks",
        "Dose change: 300 mg every 2 weeks → 300 mg every week",
    ]
    a1 = events[events["patient_id"] == "a1"]
    assert list(zip(a1["kind"], a1["month"])) == [("dose change", 1.0), ("first response", 2.0), ("best response", 2.0), ("adverse event", 3.0), ("stop", 4.0)]
    assert a1.loc[a1["kind"] == "dose change", "label"].item() == "Dose change: 150 mg every 4 weeks"


def test_a_selection_keeps_its_patients_events_in_the_same_order():
    scored = score_cohort(_cohort(orphan=True))
    _, everyone = swimmer_data(scored)
    keep = np.array([True, False, True, False])  # B9 and B10
    _, selected = swimmer_data(scored.restrict(keep))
    expected = everyone[everyone["patient_id"].isin(["B9", "B10"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(selected, expected)
