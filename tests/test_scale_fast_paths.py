"""The fast paths taken at registry scale give the same answers as the plain rules.

Each test builds a small case where the fast path and the general path can
both be checked by hand: files in any row order, parquet columns that arrive
already coded, the dense visit table and its fallback.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from omalizumab_core.engine import scoring as engine
from omalizumab_core.analyses.dosing import format_dose_changes, regimen_label, regimen_labels
from omalizumab_core.data.cohort import month_ranks
from omalizumab_core.engine.scoring import score_cohort
from omalizumab_core.analyses.filters import filter_index
from omalizumab_core.data.loading import load_upload
from omalizumab_core.analyses.overview import _therapy_matrix
from omalizumab_core.data.problems import CohortError
from omalizumab_core.data.validation import _duplicated_rows, categorical_text
from tests.handmade import cohort_of, course, patient

PATIENTS = (
    "patient_id,sex,diagnosis,kit_d816v,age_at_treatment,treatment_end_month,end_reason,last_follow_up_month\n"
    "A,F,ISM,positive,40,,,12\n"
    "B,M,MCAS,negative,50,3,intolerance,4\n"
)


def _csv_upload(symptom_lines: list[str]):
    symptoms = "patient_id,symptom,month,score\n" + "\n".join(symptom_lines) + "\n"
    return load_upload([("patients.csv", PATIENTS.encode()), ("symptoms.csv", symptoms.encode())])


# --- engine -------------------------------------------------------------------------


def _mixed_cohort():
    patients = [patient("P1"), patient("P2", treatment_end_month=4.0, end_reason="intolerance"), patient("P3")]
    rows = (
        course("P1", {"flushing": {0: 1, 1: 0.75, 3: 0.25, 6: 0}, "diarrhea": {0: 1, 2: 0.5, 6: 0}})
        + course("P2", {"fatigue": {0: 1, 1: 1.5, 2: 0.5, 5: 0}, "nausea": {2: 0.5, 3: 0}})
        + course("P3", {"headache": {0: 1, 0.5: 0.75, 1.5: 0.5}, "pruritus": {0: 1, 1.5: 1}})
    )
    return patients, rows


def test_scoring_does_not_depend_on_the_row_order_of_the_symptoms_table():
    patients, rows = _mixed_cohort()
    in_order = score_cohort(cohort_of(patients, rows))
    shuffled = [rows[i] for i in np.random.default_rng(7).permutation(len(rows))]
    pd.testing.assert_frame_equal(score_cohort(cohort_of(patients, shuffled)).outcomes, in_order.outcomes)
    pd.testing.assert_frame_equal(score_cohort(cohort_of(patients, shuffled)).assessments, in_order.assessments)


def test_visits_without_the_dense_patient_month_table_are_the_same(monkeypatch):
    patients, rows = _mixed_cohort()
    dense = score_cohort(cohort_of(patients, rows))
    monkeypatch.setattr(engine, "_VISIT_GRID_MAX", 0)  # force the factorised visits
    sparse = score_cohort(cohort_of(patients, rows))
    pd.testing.assert_frame_equal(sparse.assessments, dense.assessments)
    # P1: assessments at months 1, 2, 3, 6 (any symptom recorded); P2's month 5 is after its last injection.
    p1 = dense.assessments[dense.assessments["patient_id"] == "P1"]
    assert p1["month"].tolist() == [1.0, 2.0, 3.0, 6.0]
    assert p1["score"].tolist() == [1.75, 1.25, 0.75, 0.0]
    assert dense.assessments.loc[dense.assessments["patient_id"] == "P2", "month"].tolist() == [1.0, 2.0, 3.0]


def test_month_ranks_follow_the_months_order():
    ranks, months = month_ranks(np.array([6.0, 0.0, 1.5, 6.0, 0.5, 0.0]))
    assert months.tolist() == [0.0, 0.5, 1.5, 6.0]
    assert ranks.tolist() == [3, 0, 2, 3, 1, 0]


# --- validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "patient_code, symptom_code, month",
    [
        ([0, 0, 0, 0, 1], [0, 0, 1, 1, 0], [0.0, 1.0, 0.0, 1.0, 0.0]),  # patient, symptom, month order
        ([0, 0, 0, 0, 1], [0, 1, 0, 1, 0], [0.0, 0.0, 1.0, 1.0, 0.0]),  # patient, month, symptom order
        ([1, 0, 0, 0, 0], [0, 1, 0, 1, 0], [0.0, 1.0, 1.0, 0.0, 0.0]),  # no order
    ],
)
def test_no_row_is_a_duplicate_when_every_patient_symptom_month_is_distinct(patient_code, symptom_code, month):
    assert not _duplicated_rows(np.array(patient_code), np.array(symptom_code), np.array(month)).any()


def test_duplicated_rows_are_found_in_any_row_order_and_rows_without_a_month_never_count():
    patient_code = np.array([0, 1, 0, 0, 1, 0, 0])
    symptom_code = np.array([0, 0, 1, 0, 0, 1, 1])
    month = np.array([1.0, 0.0, 0.0, 1.0, 2.0, np.nan, np.nan])
    assert _duplicated_rows(patient_code, symptom_code, month).tolist() == [True, False, False, True, False, False, False]


def test_a_symptom_scored_twice_the_same_month_is_an_error_whatever_the_case_and_row_order():
    with pytest.raises(CohortError) as info:
        _csv_upload(["A,flushing,1,0.5", "A,flushing,0,1", "B,fatigue,0,1", "A,Flushing,1,0.75"])
    duplicated = [p for p in info.value.problems if "scored twice" in p.message]
    assert [p.where for p in duplicated] == ["symptoms.csv, line 2", "symptoms.csv, line 5"]


def test_coded_text_keeps_only_the_values_used_and_trims_them():
    column = pd.Series(pd.Categorical(["ISM ", "CM", None, "ISM"], categories=["CM", "ISM", "ISM ", "unused"]))
    values, blank = categorical_text(column)
    assert list(values.categories) == ["CM", "ISM"]
    assert [None if pd.isna(v) else v for v in values] == ["ISM", "CM", None, "ISM"]
    assert blank.tolist() == [False, False, True, False]


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def test_a_parquet_cohort_with_coded_columns_loads_like_its_csv():
    patients = pd.read_csv(io.StringIO(PATIENTS))
    symptoms = pd.DataFrame({
        "patient_id": pd.Categorical(["A", "A", "A", "A", "B", "B"], categories=["B", "A", "Z"]),
        "symptom": pd.Categorical(["flushing", "flushing", "diarrhea", "diarrhea", "fatigue", "fatigue"], categories=["flushing", "fatigue", "diarrhea", "rash"]),
        "month": [0.0, 1.0, 0.0, 1.0, 0.0, 2.0],
        "score": [1.0, 0.5, 1.0, 0.25, 1.0, 1.0],
    })
    from_parquet = load_upload([("patients.parquet", _parquet(patients)), ("symptoms.parquet", _parquet(symptoms))])
    from_csv = _csv_upload(["A,flushing,0,1", "A,flushing,1,0.5", "A,diarrhea,0,1", "A,diarrhea,1,0.25", "B,fatigue,0,1", "B,fatigue,2,1"])
    # Unused categories (patient Z, symptom rash) are dropped; symptoms are listed alphabetically.
    assert list(from_parquet.symptoms["symptom"].cat.categories) == ["diarrhea", "fatigue", "flushing"]
    assert list(from_parquet.symptoms["patient_id"].cat.categories) == ["A", "B"]
    pd.testing.assert_frame_equal(
        score_cohort(from_parquet).outcomes, score_cohort(from_csv).outcomes
    )


def test_an_out_of_range_month_is_still_reported_with_its_row():
    with pytest.raises(CohortError) as info:
        _csv_upload(["A,flushing,0,1", "A,flushing,-1,0.5", "B,fatigue,0,1"])
    negative = [p for p in info.value.problems if "cannot be negative" in p.message]
    assert [p.where for p in negative] == ["symptoms.csv, line 3"]


# --- tables built per distinct value --------------------------------------------------


def test_previous_therapies_are_counted_once_per_patient_and_shown_as_first_written():
    patients = pd.DataFrame({"prior_therapies": ["H1 antihistamine; Cromolyn", "cromolyn;cromolyn", None, "Montelukast; h1 antihistamine", "H1 antihistamine; Cromolyn"]})
    matrix = _therapy_matrix(patients)
    # Cromolyn: patients 1, 2, 5; H1 antihistamine: 1, 4, 5; Montelukast: 4. Ties keep alphabetical order.
    assert list(matrix.columns) == ["Cromolyn", "H1 antihistamine", "Montelukast"]
    assert matrix.sum().tolist() == [3, 3, 1]
    assert matrix["Montelukast"].tolist() == [False, False, False, True, False]


def test_regimen_labels_equal_the_label_of_each_regimen():
    dose = [150.0, 300.0, 150.0, np.nan, 600.0]
    interval = [14.0, 14.0, 7.0, 14.0, 14.0]
    assert regimen_labels(dose, interval).tolist() == [regimen_label(d, i) for d, i in zip(dose, interval)]


def test_dose_change_table_words_each_change():
    changes = pd.DataFrame({
        "patient_id": ["P1", "P2"], "month": [2.0, 3.5], "kind": ["escalation", "weekly"],
        "from_dose_mg": [150.0, 300.0], "from_interval_days": [14.0, 14.0], "to_dose_mg": [300.0, 150.0], "to_interval_days": [14.0, 7.0],
        "category_before": ["PR", "NR"], "assessed_before_month": [2.0, np.nan], "decrease_before_pct": [25.0, 0.0],
        "best_category_after": ["MR", None], "best_decrease_after_pct": [62.5, np.nan], "improvement": ["better_category", "no_assessment_after"],
    })
    table = format_dose_changes(changes)
    assert table.iloc[0].tolist() == [
        "P1", "2", "Dose escalation", "150 mg every 2 weeks", "300 mg every 2 weeks", "Partial response", "25.0 %", "Major response", "62.5 %",
        "Improved: better response category",
    ]
    assert table.iloc[1][["Month", "To", "Response before", "Best response after", "Best decrease after"]].tolist() == [
        "3.5", "150 mg every week", "Baseline (no assessment yet)", "–", "–",
    ]


def test_dose_escalation_filter_uses_each_patients_first_regimen_whatever_the_row_order():
    patients = [patient("A"), patient("B"), patient("C")]
    rows = course("A", {"flushing": {0: 1}}) + course("B", {"flushing": {0: 1}}) + course("C", {"flushing": {0: 1}})
    doses = pd.DataFrame({
        # A: 150 q2w then 300 q2w (escalated); B: 300 q2w then 150 q2w (reduced), rows given out of order.
        "patient_id": ["B", "A", "B", "A"], "month": [4.0, 6.0, 0.0, 0.0],
        "dose_mg": [150.0, 300.0, 300.0, 150.0], "interval_days": [14.0, 14.0, 14.0, 14.0],
    })
    index = filter_index(score_cohort(cohort_of(patients, rows, doses=doses)))
    assert index["escalated"].tolist() == [True, False, pd.NA]
