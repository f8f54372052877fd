"""Numbers exactly as written (issue 13): thousands separators and decimal marks, decided per column.

Each case is a tiny cohort whose right value is known by hand; an ambiguous
value is rejected with its place, never read as the other number.
"""

from __future__ import annotations

import pytest

from omalizumab_core.data.decimal_marks import decide_mark, read_number
from omalizumab_core.data.loading import load_upload
from omalizumab_core.data.problems import CohortError
from tests.file_builders import xlsx_bytes

SYMPTOMS_SEMI = "patient_id;symptom;month;score\nP001;flushing;0;1\nP001;flushing;6;0\n"
SYMPTOMS_COMMA = "patient_id,symptom,month,score\nP001,flushing,0,1\nP001,flushing,6,0\n"


def load(patients: str, symptoms: str = SYMPTOMS_SEMI, **others: str):
    files = [("patients.csv", patients.encode()), ("symptoms.csv", symptoms.encode())]
    files += [(f"{name}.csv", text.encode()) for name, text in others.items()]
    return load_upload(files)


def errors_of(*args, **kwargs):
    with pytest.raises(CohortError) as raised:
        load(*args, **kwargs)
    return raised.value.errors


# --- one value, by itself ----------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("1250", 1250.0),
        ("1.250,5", 1250.5),
        ("1,250.5", 1250.5),
        ("1.250.000", 1_250_000.0),
        ("1,250,000", 1_250_000.0),
        ("1 250", 1250.0),
        ("1\u00a0250,5", 1250.5),  # no-break space
        ("1\u202f250", 1250.0),  # narrow no-break space (French typography)
        ("1'250", 1250.0),  # Swiss
        ("1'250.5", 1250.5),
        ("0,5", 0.5),
        ("12.25", 12.25),
        ("0.250", 0.25),  # a leading 0 is never a thousands group
        ("-1 250,5", -1250.5),
    ],
)
def test_a_number_that_shows_its_convention_reads_the_same_in_any_file(text, value):
    reading = read_number(text)
    assert reading is not None and not reading.ambiguous
    assert reading.point == value == reading.comma


@pytest.mark.parametrize("text", ["12 5", "1.25.0", "1_000", "1,2,3", "1.250,5,5", "1 25"])
def test_misgrouped_digits_are_not_a_number(text):
    assert read_number(text) is None


def test_one_dot_and_three_digits_is_ambiguous_and_both_readings_are_known():
    reading = read_number("1.250")
    assert reading.ambiguous and reading.value(".") == 1.25 and reading.value(",") == 1250.0
    assert reading.value(None) is None


def test_the_column_decides_before_the_file_and_the_table():
    assert decide_mark({","}, None, set()) == ","
    assert decide_mark(set(), ",", {"."}) == ","  # the file's form before other columns
    assert decide_mark(set(), None, {","}) == ","
    assert decide_mark({",", "."}, None, set()) is None  # the column mixes both marks
    assert decide_mark({"."}, ",", set()) is None  # the column contradicts the file's form
    assert decide_mark(set(), None, set()) is None


# --- the cases of issue 13, through the loader -------------------------------------


def test_semicolon_csv_thousands_dot_in_baseline_total_ige_reads_1250_not_1_25():
    cohort = load("patient_id;sex;diagnosis;baseline_total_ige\nP001;F;ISM;1.250\n")
    assert cohort.patients["baseline_total_ige"].tolist() == [1250.0]


def test_semicolon_csv_thousands_dot_in_labs_values_reads_1250():
    labs = "patient_id;month;analyte;value\nP001;0;total_ige;1.250\nP001;6;total_ige;980\n"
    cohort = load("patient_id;sex;diagnosis\nP001;F;ISM\n", labs=labs)
    assert cohort.labs["value"].tolist() == [1250.0, 980.0]


def test_comma_csv_with_quoted_thousands_comma_reads_1250():
    cohort = load('patient_id,sex,diagnosis,baseline_total_ige\nP001,F,ISM,"1,250"\n', SYMPTOMS_COMMA)
    assert cohort.patients["baseline_total_ige"].tolist() == [1250.0]


def test_decimal_commas_elsewhere_in_the_column_make_1_250_one_and_a_quarter():
    patients = "patient_id;sex;diagnosis;baseline_tryptase\nP001;F;ISM;1,250\nP002;M;ISM;12,5\n"
    symptoms = SYMPTOMS_SEMI + "P002;flushing;0;1\n"
    cohort = load(patients, symptoms)
    assert cohort.patients["baseline_tryptase"].tolist() == [1.25, 12.5]


def test_thousands_with_spaces_and_decimal_comma_in_a_semicolon_csv():
    patients = "patient_id;sex;diagnosis;baseline_total_ige\nP001;F;ISM;1\u202f250,5\n"
    assert load(patients).patients["baseline_total_ige"].tolist() == [1250.5]


def test_a_column_showing_a_decimal_point_in_a_semicolon_csv_leaves_1_250_ambiguous_and_rejected():
    patients = "patient_id;sex;diagnosis;baseline_total_ige\nP001;F;ISM;1.250\nP002;M;ISM;45.2\n"
    errors = errors_of(patients, SYMPTOMS_SEMI + "P002;flushing;0;1\n")
    (error,) = [e for e in errors if e.column == "baseline_total_ige"]
    assert error.where == "patients.csv, line 2" and error.value == "1.250"
    assert "could be read two ways" in error.message and "1250" in error.message


def test_excel_text_cell_1_250_with_nothing_to_decide_is_rejected_with_its_place():
    content = xlsx_bytes({
        "patients": [["patient_id", "sex", "diagnosis", "baseline_total_ige"], ["P001", "F", "ISM", "1.250"]],
        "symptoms": [["patient_id", "symptom", "month", "score"], ["P001", "flushing", 0, 1], ["P001", "flushing", 6, 0]],
    })
    with pytest.raises(CohortError) as raised:
        load_upload([("cohort.xlsx", content)])
    (error,) = raised.value.errors
    assert (error.where, error.column, error.value) == ("sheet 'patients', row 2", "baseline_total_ige", "1.250")


def test_excel_text_cells_follow_the_decimal_commas_of_the_table():
    content = xlsx_bytes({
        "patients": [["patient_id", "sex", "diagnosis", "baseline_total_ige", "baseline_tryptase"],
                     ["P001", "F", "ISM", "1.250", "12,5"]],
        "symptoms": [["patient_id", "symptom", "month", "score"], ["P001", "flushing", 0, 1], ["P001", "flushing", 6, 0]],
    })
    cohort = load_upload([("cohort.xlsx", content)])
    assert cohort.patients["baseline_total_ige"].tolist() == [1250.0]
    assert cohort.patients["baseline_tryptase"].tolist() == [12.5]


def test_numbers_stored_as_numbers_in_excel_are_never_reinterpreted():
    content = xlsx_bytes({
        "patients": [["patient_id", "sex", "diagnosis", "baseline_total_ige"], ["P001", "F", "ISM", 1.25]],
        "symptoms": [["patient_id", "symptom", "month", "score"], ["P001", "flushing", 0, 1], ["P001", "flushing", 6, 0]],
    })
    assert load_upload([("cohort.xlsx", content)]).patients["baseline_total_ige"].tolist() == [1.25]


def test_a_space_inside_digits_that_is_not_a_thousands_group_is_not_a_number():
    errors = errors_of("patient_id;sex;diagnosis;baseline_total_ige\nP001;F;ISM;12 50\n")
    assert [(e.where, e.column, e.value) for e in errors] == [("patients.csv, line 2", "baseline_total_ige", "12 50")]
