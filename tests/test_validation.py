"""Validation: every problem of the data contract is found, located and explained."""

from __future__ import annotations

import pandas as pd
import pytest

from omalizumab_core.data.loading import load_upload
from omalizumab_core.data.problems import CohortError

PATIENTS = (
    "patient_id,sex,diagnosis,kit_d816v,age_at_treatment,treatment_end_month,end_reason,last_follow_up_month\n"
    "A,F,ISM,positive,40,,,12\n"
    "B,M,MCAS,negative,50,3,intolerance,4\n"
)
SYMPTOMS = (
    "patient_id,symptom,month,score\n"
    "A,flushing,0,1\n"
    "A,diarrhea,0,1\n"
    "A,flushing,1,0.5\n"
    "A,diarrhea,1,0.25\n"
    "B,fatigue,0,1\n"
    "B,fatigue,2,1\n"
)


def load(patients=PATIENTS, symptoms=SYMPTOMS, **others):
    files = [("patients.csv", patients.encode()), ("symptoms.csv", symptoms.encode())]
    files += [(f"{name}.csv", text.encode()) for name, text in others.items()]
    return load_upload(files)


def problems(**kwargs):
    with pytest.raises(CohortError) as info:
        load(**kwargs)
    return info.value.problems


def find(found, *, where=None, column=None, text=None, severity="error"):
    hits = [
        p for p in found
        if p.severity == severity
        and (where is None or p.where == where)
        and (column is None or p.column == column)
        and (text is None or text in p.message)
    ]
    assert hits, "\n".join(map(str, found))
    return hits[0]


def test_valid_cohort_loads_with_contract_types():
    cohort = load()
    assert cohort.n_patients == 2
    assert cohort.patients["age_at_treatment"].dtype == "float64"
    assert cohort.patients["end_reason"].tolist() == ["ongoing", "intolerance"]
    assert cohort.symptoms["category"].astype(str).tolist()[:2] == ["superficial_vasomotor", "gastrointestinal"]
    assert isinstance(cohort.symptoms["patient_id"].dtype, pd.CategoricalDtype)


def test_missing_required_table_is_named():
    with pytest.raises(CohortError) as info:
        load_upload([("patients.csv", PATIENTS.encode())])
    find(info.value.problems, text="The symptoms table is missing")


def test_missing_required_column_lists_what_the_table_needs():
    found = problems(symptoms=SYMPTOMS.replace(",score", ",grade"))
    find(found, text="Missing column(s): score")


def test_non_numeric_value_is_located_at_the_csv_line():
    found = problems(symptoms=SYMPTOMS.replace("A,flushing,1,0.5", "A,flushing,1,half"))
    p = find(found, column="score", text="must be a number")
    assert (p.where, p.value) == ("symptoms.csv, line 4", "half")


def test_score_outside_the_allowed_set_is_an_error():
    p = find(problems(symptoms=SYMPTOMS.replace("A,flushing,1,0.5", "A,flushing,1,0.6")), column="score", text="must be 1.5 (worse)")
    assert p.where == "symptoms.csv, line 4"


def test_baseline_score_other_than_1_is_an_error_located_at_the_row():
    p = find(problems(symptoms=SYMPTOMS.replace("B,fatigue,0,1", "B,fatigue,0,0.5")), text="Baseline (month 0) symptoms must score 1")
    assert p.where == "symptoms.csv, line 6"


def test_negative_month_is_an_error():
    find(problems(symptoms=SYMPTOMS + "A,flushing,-1,1\n"), column="month", text="cannot be negative")


def test_out_of_range_age_is_an_error():
    find(problems(patients=PATIENTS.replace("A,F,ISM,positive,40", "A,F,ISM,positive,140")), column="age_at_treatment", text="at most 120")


def test_duplicate_patient_id_names_both_rows():
    found = problems(patients=PATIENTS + "A,F,CM,negative,30,,,5\n")
    wheres = {p.where for p in found if "more than once" in p.message}
    assert wheres == {"patients.csv, line 2", "patients.csv, line 4"}


def test_duplicate_patient_symptom_month_is_an_error_case_insensitive():
    found = problems(symptoms=SYMPTOMS + "A,Flushing,1,0\n")
    wheres = {p.where for p in found if "scored twice" in p.message}
    assert wheres == {"symptoms.csv, line 4", "symptoms.csv, line 8"}


def test_symptoms_of_an_unknown_patient_are_an_error():
    p = find(problems(symptoms=SYMPTOMS + "Z,flushing,0,1\n"), column="patient_id", text="not in the patients table")
    assert p.value == "Z"


def test_events_of_an_unknown_patient_are_an_error():
    events = "patient_id,month,event,severity,serious,flare,led_to_discontinuation\nQ,0,fever,mild,no,no,no\n"
    find(problems(adverse_events=events), where="adverse_events.csv, line 2", text="not in the patients table")


def test_patient_without_baseline_symptoms_is_an_error_at_the_patients_row():
    p = find(problems(patients=PATIENTS + "C,F,CM,negative,30,,,5\n"), text="no baseline symptom")
    assert p.where == "patients.csv, line 4"


@pytest.mark.parametrize(("column", "bad"), [("diagnosis", "XYZ"), ("kit_d816v", "maybe"), ("sex", "X")])
def test_unknown_codes_list_the_allowed_values(column, bad):
    replaced = {"diagnosis": "A,F,XYZ,positive", "kit_d816v": "A,F,ISM,maybe", "sex": "A,X,ISM,positive"}[column]
    p = find(problems(patients=PATIENTS.replace("A,F,ISM,positive", replaced)), column=column, text="use one of")
    assert p.value == bad


def test_unknown_end_reason_is_an_error():
    find(problems(patients=PATIENTS.replace(",3,intolerance,", ",3,boredom,")), column="end_reason", text="use one of")


def test_end_month_after_last_follow_up_is_an_error():
    find(problems(patients=PATIENTS.replace(",3,intolerance,4", ",3,intolerance,2")), text="last follow-up is before the end")


def test_stop_reason_without_end_month_is_an_error():
    find(problems(patients=PATIENTS.replace(",3,intolerance,", ",,intolerance,")), column="treatment_end_month", text="reason for stopping")


def test_assessments_after_end_of_treatment_are_a_warning_not_an_error():
    cohort = load(symptoms=SYMPTOMS + "B,fatigue,6,0\n")
    find(cohort.warnings, severity="warning", text="after the end of treatment (month 3) are ignored")


def test_unknown_symptom_gives_one_warning_and_category_other():
    cohort = load(symptoms=SYMPTOMS + "A,zorglub,0,1\nA,zorglub,1,1\n")
    warnings = [w for w in cohort.warnings if "zorglub" in w.message]
    assert len(warnings) == 1 and "(2 rows)" in warnings[0].message
    assert set(cohort.symptoms.loc[cohort.symptoms["symptom"] == "zorglub", "category"]) == {"other"}


def test_category_column_overrides_the_vocabulary():
    symptoms = SYMPTOMS.replace("month,score", "month,score,category").replace("\nA,flushing,0,1", "\nA,flushing,0,1,respiratory")
    cohort = load(symptoms=symptoms.replace("\n", ",\n").replace("category,", "category").replace("respiratory,", "respiratory"))
    assert cohort.symptoms["category"].iloc[0] == "respiratory"


def test_identifier_columns_give_a_pseudonymisation_warning():
    patients = PATIENTS.replace("last_follow_up_month\n", "last_follow_up_month,Surname\n").replace(",12\n", ",12,Dupont\n").replace(",3,intolerance,4\n", ",3,intolerance,4,Martin\n")
    find(load(patients=patients).warnings, severity="warning", text="look like direct identifiers")


def test_european_values_decimal_comma_and_na_tokens_are_read():
    symptoms = SYMPTOMS.replace("A,flushing,1,0.5", 'A,flushing,1,"0,5"')
    patients = PATIENTS.replace("A,F,ISM,positive,40", "A,female,ism,Positif,n/a")
    cohort = load(patients=patients, symptoms=symptoms)
    assert cohort.symptoms["score"].iloc[2] == 0.5
    assert cohort.patients.loc[0, ["sex", "diagnosis", "kit_d816v"]].tolist() == ["F", "ISM", "positive"]
    assert pd.isna(cohort.patients.loc[0, "age_at_treatment"])


def test_dates_are_converted_to_months_since_treatment_start():
    patients = PATIENTS.replace("last_follow_up_month\n", "last_follow_up_month,treatment_start\n").replace(",12\n", ",12,2016-01-01\n").replace(",4\n", ",4,14/03/2016\n")
    symptoms = "patient_id,symptom,date,score\nA,flushing,2015-12-20,1\nA,flushing,2016-03-01,0.5\nB,fatigue,42443,1\nB,fatigue,2016-05-14,1\n"
    cohort = load(patients=patients, symptoms=symptoms)
    # 2016-03-01 is 60 days after 2016-01-01: 60 / 30.4375 = 1.97 -> 2.0 months;
    # Excel serial 42443 is 2016-03-14, B's start: baseline.
    assert cohort.symptoms["month"].tolist() == [0.0, 2.0, 0.0, 2.0]


def test_date_without_treatment_start_is_an_error():
    symptoms = "patient_id,symptom,date,score\nA,flushing,2015-12-20,1\nB,fatigue,2016-01-01,1\n"
    find(problems(symptoms=symptoms), column="date", text="treatment_start in the patients table is blank")


def test_every_problem_is_reported_in_one_pass():
    found = problems(
        patients=PATIENTS.replace("A,F,ISM", "A,F,XYZ"),
        symptoms=SYMPTOMS.replace("A,flushing,1,0.5", "A,flushing,1,0.6") + "Z,fatigue,0,1\n",
    )
    assert {p.column for p in found} >= {"diagnosis", "score", "patient_id"}


def test_many_identical_problems_are_capped_with_a_summary():
    rows = "".join(f"A,s{i},0,7\n" for i in range(50))
    found = problems(symptoms=SYMPTOMS + rows)
    capped = [p for p in found if "must be 1.5" in p.message]
    assert len(capped) == 21 and "30 more rows" in capped[-1].message


def test_loading_does_not_mutate_inputs():
    from omalizumab_core.data.reading import read_upload
    from omalizumab_core.data.validation import validate

    raw = read_upload([("patients.csv", PATIENTS.encode()), ("symptoms.csv", SYMPTOMS.encode())])
    before = {n: t.frame.copy() for n, t in raw.tables.items()}
    validate(raw)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(raw.tables[name].frame, frame)


def test_dated_symptoms_of_a_patient_whose_treatment_start_is_not_a_date_name_that_cell_only():
    # A treatment_start written "14-Mar-2016" is one error at its cell; the dated symptom rows say the start
    # is not a date (not that it is missing), and the patient is not also told it has no baseline symptom.
    patients = PATIENTS.replace("last_follow_up_month\n", "last_follow_up_month,treatment_start\n").replace(",12\n", ",12,14-Mar-2016\n").replace(",4\n", ",4,2016-01-01\n")
    symptoms = "patient_id,symptom,date,score\nA,flushing,2016-03-01,1\nA,flushing,2016-06-01,0.5\nB,fatigue,2016-01-01,1\nB,fatigue,2016-03-01,1\n"
    found = problems(patients=patients, symptoms=symptoms)
    find(found, where="patients.csv, line 2", column="treatment_start", text="is not a date")
    dated = find(found, where="symptoms.csv, line 2", column="date")
    assert "blank or not a date" in dated.message
    assert not [p for p in found if "no baseline symptom" in p.message], "\n".join(map(str, found))


def test_a_month_that_is_not_a_number_is_one_error_at_its_cell():
    # "zero" is reported as not a number; the row is not also said to have no month, nor its patient no baseline.
    found = problems(symptoms=SYMPTOMS.replace("B,fatigue,0,1", "B,fatigue,zero,1"))
    assert [(p.where, p.column) for p in found] == [("symptoms.csv, line 6", "month")], "\n".join(map(str, found))
    assert "must be a number" in found[0].message
