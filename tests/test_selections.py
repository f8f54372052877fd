"""Selections (filters): subsets by mask, long tables built on first read, per-patient results computed once."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from omalizumab_core.data.cohort import patient_positions
from omalizumab_core.synthetic.demo import demo_cohort
from omalizumab_core.engine.scoring import score_cohort
from tests.handmade import cohort_of, course, patient


def _cohort():
    patients = [patient(p) for p in ("A", "B", "C", "D")]
    rows = (
        course("A", {"flushing": {0: 1, 2: 0.5}})
        + course("B", {"diarrhea": {0: 1, 2: 1}})
        + course("C", {"flushing": {0: 1, 2: 0}, "headache": {0: 1, 3: 0.25}})
        + course("D", {"headache": {0: 1, 2: 0.25}})
    )
    doses = pd.DataFrame({"patient_id": ["A", "C", "C", "D"], "month": [0.0, 0.0, 2.0, 0.0], "dose_mg": 150.0, "interval_days": 14.0})
    return cohort_of(patients, rows, doses=doses)


@pytest.fixture(scope="module")
def demo_scored():
    return score_cohort(demo_cohort())


def _isin(frame: pd.DataFrame, ids) -> pd.DataFrame:
    return frame[frame["patient_id"].astype(str).isin(ids)]


def test_a_selection_builds_its_long_tables_only_when_read():
    cohort = _cohort()
    selection = cohort.restrict(np.array([True, False, True, False]))
    assert set(selection.__dict__["_pending"]) == {"symptoms", "doses"}  # nothing copied yet
    assert selection.adverse_events is None and selection.labs is None  # absent tables stay absent
    pd.testing.assert_frame_equal(selection.symptoms, _isin(cohort.symptoms, ["A", "C"]))
    assert "symptoms" not in selection.__dict__["_pending"]  # built once, then kept
    assert selection.symptoms is selection.symptoms
    assert selection.doses["patient_id"].tolist() == ["A", "C", "C"]


def test_subset_by_ids_equals_the_rows_of_those_patients_in_every_table(demo_scored):
    ids = ["DEMO-003", "DEMO-010", "DEMO-047"]
    selection = demo_scored.subset(ids)
    cohort = demo_scored.cohort
    assert selection.cohort.patients["patient_id"].tolist() == ids
    for name in ("symptoms", "doses", "adverse_events", "labs"):
        pd.testing.assert_frame_equal(selection.cohort.table(name), _isin(cohort.table(name), ids))
    pd.testing.assert_frame_equal(selection.assessments, _isin(demo_scored.assessments, ids))
    pd.testing.assert_frame_equal(selection.outcomes, _isin(demo_scored.outcomes, ids))


def test_a_selection_keeps_the_whole_cohorts_patient_id_categories(demo_scored):
    # Codes stay comparable between the cohort and its selections; positions are still found.
    selection = demo_scored.subset(["DEMO-002", "DEMO-005"])
    symptoms = selection.cohort.symptoms
    assert symptoms["patient_id"].cat.categories.equals(demo_scored.cohort.symptoms["patient_id"].cat.categories)
    positions = patient_positions(symptoms["patient_id"], selection.cohort.patients)
    assert set(positions) == {0, 1}
    assert (symptoms["patient_id"].astype(str).to_numpy() == selection.cohort.patients["patient_id"].to_numpy()[positions]).all()


def test_patient_positions_marks_rows_of_patients_outside_the_table_with_minus_one():
    ids = pd.Series(pd.Categorical(["A", "B", "C", None], categories=["A", "B", "C"]))
    patients = pd.DataFrame({"patient_id": ["C", "A"]})
    assert patient_positions(ids, patients).tolist() == [1, -1, 0, -1]
    assert patient_positions(pd.Series(["A", "B", "C"]), patients).tolist() == [1, -1, 0]


def test_a_selection_of_a_selection_equals_the_direct_selection(demo_scored):
    first = demo_scored.subset([f"DEMO-{i:03d}" for i in range(1, 31)])
    second = first.subset(["DEMO-004", "DEMO-020", "DEMO-030"])
    direct = demo_scored.subset(["DEMO-004", "DEMO-020", "DEMO-030"])
    for name in ("symptoms", "doses", "adverse_events", "labs"):
        pd.testing.assert_frame_equal(second.cohort.table(name), direct.cohort.table(name))
    pd.testing.assert_frame_equal(second.assessments, direct.assessments)
    pd.testing.assert_frame_equal(second.outcomes, direct.outcomes)


def test_built_table_reads_the_parent_table_without_building_the_selections():
    cohort = _cohort()
    selection = cohort.restrict(np.array([False, True, True, False]))
    table = selection.built_table("symptoms")
    assert table is cohort.symptoms  # the parent's, as is: C's rows are the same in both
    assert "symptoms" in selection.__dict__["_pending"]
    assert selection.built_table("labs") is None


def test_pickling_a_selection_builds_its_tables():
    selection = _cohort().subset(["B", "D"])
    copy = pickle.loads(pickle.dumps(selection))
    assert copy.symptoms["patient_id"].tolist() == ["B", "B", "D", "D"]
    assert copy.doses["patient_id"].tolist() == ["D"]
    assert "_pending" not in copy.__dict__


def test_a_per_patient_table_is_computed_once_on_the_whole_cohort_and_restricted():
    scored = score_cohort(_cohort())
    calls = []

    def months_per_patient(root):
        calls.append(root)
        # One row per recorded month of each patient, with the patient's position as "code".
        positions = patient_positions(root.cohort.symptoms["patient_id"], root.cohort.patients)
        return pd.DataFrame({"code": positions, "month": root.cohort.symptoms["month"].to_numpy()}).drop_duplicates()

    selection = scored.subset(["C", "D"])
    rows = selection.per_patient("test.months", months_per_patient)
    again = scored.subset(["A", "C"]).per_patient("test.months", months_per_patient)
    assert calls == [scored]  # once, on the whole scored cohort
    # C is now position 0 and D position 1 of the selection's patients table.
    assert rows[["code", "month"]].values.tolist() == [[0, 0.0], [0, 2.0], [0, 3.0], [1, 0.0], [1, 2.0]]
    assert again[["code", "month"]].values.tolist() == [[0, 0.0], [0, 2.0], [1, 0.0], [1, 2.0], [1, 3.0]]


def test_a_per_patient_row_of_no_patient_is_never_in_a_selection():
    scored = score_cohort(_cohort())
    table = scored.subset(["A", "B", "C", "D"]).per_patient("test.orphan", lambda root: pd.DataFrame({"code": [-1, 0, 3], "x": [1, 2, 3]}))
    assert table["x"].tolist() == [2, 3]


def test_per_patient_values_are_restricted_to_the_selection():
    scored = score_cohort(_cohort())
    values = scored.subset(["B", "D"]).per_patient_values("test.letters", lambda root: root.cohort.patients["patient_id"].to_numpy())
    assert values.tolist() == ["B", "D"]
