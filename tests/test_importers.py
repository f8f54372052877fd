"""Cohorts kept as REDCap exports, one-row-per-patient sheets or ADaM datasets load to the
same per-patient results as the same cohort in the dashboard's long tables (issue 15)."""

from __future__ import annotations

import json

import pytest

from omalizumab_core.cli.main import main, summary_json
from omalizumab_core.data.loading import load_upload
from omalizumab_core.data.problems import CohortError
from tests.bad_inputs import csv_files
from tests import importer_files as files


@pytest.fixture(scope="module")
def long_summary():
    return summary_json(load_upload(csv_files()))


def summary_of(name: str, content: bytes) -> dict:
    try:
        return summary_json(load_upload([(name, content)]))
    except CohortError as error:
        raise AssertionError("\n".join(map(str, error.problems))) from None


def test_redcap_raw_export_of_a_classic_project_gives_the_long_cohorts_results(long_summary):
    assert summary_of("Registry_DATA_2026-01-01.csv", files.redcap_raw(files.redcap_classic_rows())) == long_summary


def test_redcap_labels_export_with_commas_inside_labels_gives_the_same_results(long_summary):
    content = files.redcap_labels(files.redcap_classic_rows())
    assert b'"Patient ID (pseudonymous, never a name)"' in content  # a label holding a comma, quoted
    assert summary_of("Registry_DATA_LABELS_2026-01-01.csv", content) == long_summary


@pytest.mark.parametrize("export", [files.redcap_raw, files.redcap_labels], ids=["raw", "labels"])
def test_redcap_longitudinal_export_reads_months_from_event_names_and_mixed_repeats(export, long_summary):
    assert summary_of("Registry_DATA.csv", export(files.redcap_longitudinal_rows(), longitudinal=True)) == long_summary


def test_redcap_checkboxes_become_the_prior_therapies_text():
    for export in (files.redcap_raw, files.redcap_labels):
        cohort = load_upload([("export.csv", export(files.redcap_classic_rows()))])
        assert list(cohort.patients["prior_therapies"].astype("object").fillna("")) == ["H1 antihistamine", "", "imatinib"]


def test_redcap_repeating_doses_are_read():
    cohort = load_upload([("export.csv", files.redcap_raw(files.redcap_classic_rows()))])
    assert cohort.doses["dose_mg"].tolist() == [300, 150, 300] and cohort.doses["interval_days"].tolist() == [28, 28, 14]


def test_redcap_batch_without_repeat_columns_is_read():
    rows = [{k: v for k, v in r.items() if not k.startswith("redcap_repeat")} for r in files.redcap_longitudinal_rows() if r.get("redcap_repeat_instrument") != "dose"]
    header = [h for h in files.redcap_header(rows, longitudinal=True) if not h.startswith("redcap_repeat")]
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    cohort = load_upload([("export.csv", buffer.getvalue().encode())])
    assert cohort.n_patients == 3 and cohort.doses is None


def test_redcap_problem_is_located_by_record_event_instrument_instance_and_field():
    rows = files.redcap_classic_rows()
    rows[2]["sx_flushing"] = "0.7"  # P1, second assessment
    with pytest.raises(CohortError) as error:
        load_upload([("export.csv", files.redcap_raw(rows))])
    [problem] = error.value.errors
    assert problem.where == "REDCap export export.csv, line 4: record P1, instrument 'assessment', instance 2, field 'sx_flushing'"
    assert problem.value == "0.7"


def test_wide_workbook_gives_the_long_cohorts_results(long_summary):
    assert summary_of("registry.xlsx", files.wide_workbook()) == long_summary


def test_one_sheet_per_visit_gives_the_long_cohorts_results(long_summary):
    assert summary_of("registry.xlsx", files.visit_sheets_workbook()) == long_summary


def test_wide_problem_is_located_in_the_original_cell():
    rows = files.wide_rows()
    rows[3][10] = 0.7  # P1, Flushing M3: sheet row 4, column K
    with pytest.raises(CohortError) as error:
        load_upload([("registry.xlsx", files.wide_workbook(rows))])
    [problem] = error.value.errors
    assert problem.where == "sheet 'registry', row 4, column K (Flushing M3)"


def _two_row_header_workbook(flushing_m3=0.5) -> bytes:
    """The wide cohort as clinicians often lay it out: each symptom's name merged over its visits, the visits below."""
    from tests.file_builders import xlsx_bytes

    patient_columns = files.WIDE_HEADER[:9]
    rows = [
        patient_columns + ["Flushing", None, "Diarrhea", None, "Fatigue", None, "Pruritus", None],
        [None] * 9 + ["M0", "M3", "M0", "M3", "M0", "M2", "M0", "M6"],
        ["P1", "F", "ISM", "positive", 38, 40, None, None, 12, 1, flushing_m3, "yes", 0.25, None, None, None, None],
        ["P2", "M", "MCAS", "negative", 50, 52, 3, "intolerance", 4, None, None, None, None, "x", 1, None, None],
        ["P3", "F", "CM", "not_evaluated", 20, 25, None, None, 24, None, None, None, None, None, None, "oui", 0],
    ]
    merged = [f"{c}1:{c}2" for c in "ABCDEFGHI"] + ["J1:K1", "L1:M1", "N1:O1", "P1:Q1"]
    return xlsx_bytes({"registry": rows}, merge={"registry": merged})


def test_wide_sheet_with_symptom_names_merged_over_a_row_of_visits_gives_the_long_cohorts_results(long_summary):
    # It was refused with "No sheet of this workbook is named after a table", advice that did not fit a one-row-per-patient sheet.
    assert summary_of("registry.xlsx", _two_row_header_workbook()) == long_summary


def test_two_row_header_problem_is_located_in_the_original_cell():
    with pytest.raises(CohortError) as error:
        load_upload([("registry.xlsx", _two_row_header_workbook(flushing_m3=0.7))])
    [problem] = error.value.errors
    assert problem.where == "sheet 'registry', row 3, column K (Flushing M3)"


# --- round trip ----------------------------------------------------------------------


@pytest.mark.parametrize("form", ["xlsx", "csv", "parquet", "redcap", "adam"])
def test_demo_exported_to_each_form_loads_back_to_identical_results(form, tmp_path, capsys):
    out = tmp_path / {"xlsx": "demo.xlsx", "redcap": "demo_redcap.csv"}.get(form, "demo")
    assert main(["export", "demo", "--to", form, "--out", str(out)]) == 0
    assert main(["summary", "demo", "--json", "--compact"]) == 0
    assert main(["summary", str(out), "--json", "--compact"]) == 0
    expected, actual = capsys.readouterr().out.splitlines()[-2:]
    assert json.loads(actual) == json.loads(expected)


@pytest.mark.parametrize(("form", "left_out"), [
    ("xlsx", None),
    ("redcap", "the questionnaire scores (676 rows)"),
    ("adam", "the doses (73 rows), the anaphylaxis episodes (52 rows), the questionnaire scores (676 rows)"),
])
def test_an_export_names_every_table_its_form_leaves_out(form, left_out, tmp_path, capsys):
    # The demo's table sizes: 73 doses, 52 anaphylaxis episodes, 676 questionnaire scores (its data/ folder).
    out = tmp_path / {"xlsx": "demo.xlsx", "redcap": "demo_redcap.csv"}.get(form, "demo")
    assert main(["export", "demo", "--to", form, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    if left_out is None:
        assert "not written" not in err
    else:
        assert f"has no place for {left_out}: they were not written" in err
        assert "Export --to xlsx, csv or parquet to keep every table." in err


def test_template_redcap_writes_the_data_dictionary(tmp_path):
    out = tmp_path / "dictionary.csv"
    assert main(["template", str(out), "--redcap"]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("Variable / Field Name,Form Name,")
    assert "sx_flushing,assessment,,radio,Flushing,\"1.5, Worse | 1, Present at baseline / no change" in text


def test_template_wide_loads_as_an_empty_cohort_with_a_located_message(tmp_path):
    out = tmp_path / "wide.xlsx"
    assert main(["template", str(out), "--wide"]) == 0
    with pytest.raises(CohortError) as error:
        load_upload([("wide.xlsx", out.read_bytes())])
    assert any("no rows" in p.message for p in error.value.errors)


# --- mapping -------------------------------------------------------------------------


def test_mapping_file_renames_headers_and_translates_codes(tmp_path, capsys, long_summary):
    from omalizumab_core.data.importers.mapping import mapping_json

    text = files_french_patients()
    folder = tmp_path / "cohort"
    folder.mkdir()
    for name, content in csv_files(patients=text):
        (folder / name).write_bytes(content)
    mapping = tmp_path / "mapping.json"
    mapping.write_bytes(mapping_json({"patients": {"patient_id": "N° patient", "diagnosis": "Diagnostic"}},
                                     {"patients": {"diagnosis": {"Mastocytose systémique indolente": "ISM", "Syndrome d'activation mastocytaire": "MCAS",
                                                                 "Mastocytose cutanée": "CM"}}}))
    assert main(["validate", str(folder)]) == 1
    capsys.readouterr()
    assert main(["summary", str(folder), "--json", "--compact", "--mapping", str(mapping)]) == 0
    assert json.loads(capsys.readouterr().out) == long_summary


def files_french_patients() -> str:
    from tests.bad_inputs import PATIENTS

    return (PATIENTS.replace("patient_id,", "N° patient,", 1).replace(",diagnosis,", ",Diagnostic,")
            .replace(",ISM,", ",Mastocytose systémique indolente,").replace(",MCAS,", ",Syndrome d'activation mastocytaire,").replace(",CM,", ",Mastocytose cutanée,"))


def test_suggested_mapping_prefills_french_headers_and_codes():
    from omalizumab_core.data.importers.mapping import suggest_codes, suggest_columns

    found = suggest_columns("patients", ["N° patient", "Sexe", "Diagnostic", "Statut KIT", "Centre"])
    assert (found["patient_id"], found["sex"], found["diagnosis"], found["kit_d816v"], found["center"]) == ("N° patient", "Sexe", "Diagnostic", "Statut KIT", "Centre")
    assert suggest_codes("patients", "diagnosis", ["Mastocytose systémique indolente", "Mastocytose cutanée"]) == {
        "Mastocytose systémique indolente": "ISM", "Mastocytose cutanée": "CM"}


# --- ADaM ----------------------------------------------------------------------------


def test_adam_xpt_datasets_give_the_long_cohorts_results(long_summary):
    cohort = load_upload(files.adam_xpt())
    assert summary_json(cohort) == long_summary
    assert cohort.symptoms.loc[cohort.symptoms["patient_id"] == "P2", "month"].tolist() == [0.0, 2.0]  # ADY 62 -> (62 - 1) / 30.4375
    assert cohort.adverse_events["led_to_discontinuation"].tolist() == [True]
    assert cohort.labs["analyte"].tolist() == ["tryptase", "tryptase", "total_ige"]


def test_adam_csv_datasets_give_the_same_results(long_summary):
    upload = [(f"{name.upper()}.csv", frame.to_csv(index=False).encode()) for name, frame in files.adam_frames().items()]
    assert summary_json(load_upload(upload)) == long_summary


def test_adam_problem_is_located_by_dataset_record_and_usubjid():
    frames = files.adam_frames()
    frames["adqs"].loc[2, "AVAL"] = 0.7
    with pytest.raises(CohortError) as error:
        load_upload(files.adam_xpt(frames))
    [problem] = error.value.errors
    assert (problem.where, problem.column) == ("ADaM dataset ADQS (adqs.xpt), record 3, USUBJID P1", "AVAL")


# --- the Data page's mapping step ------------------------------------------------------


def _mapping_page():
    import streamlit as st

    from ui import session
    from ui.mapping_step import mapping_step

    pending = st.session_state.pop("pending_upload", None)
    if pending:
        session.load_files(pending)
    mapping_step()
    st.markdown(f"Loaded {session.cohort().source}: {session.cohort().n_patients} patients")


def test_mapping_step_prefills_french_headers_and_codes_and_loads_the_cohort():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_mapping_page, default_timeout=60)
    at.session_state["pending_upload"] = csv_files(patients=files_french_patients())
    at.run()
    assert not at.exception
    boxes = {box.key: box.value for box in at.selectbox}
    assert boxes["map_patients_patient_id"] == "N° patient" and boxes["map_patients_diagnosis"] == "Diagnostic"
    assert boxes["code_patients_diagnosis_Mastocytose systémique indolente"] == "ISM"
    assert boxes["code_patients_diagnosis_Syndrome d'activation mastocytaire"] == "MCAS"
    next(b for b in at.button if b.label == "Load with this mapping").click()
    at.run()
    assert not at.exception
    assert at.session_state["cohort"].n_patients == 3 and at.session_state["cohort"].source == "Upload: 5 uploaded files"
    assert "failed_upload" not in at.session_state


def test_redcap_whole_repeating_event_is_read_with_its_instances(long_summary):
    """A repeating event: rows with an instance number and no repeat instrument, one per visit."""
    rows = []
    for row in files.redcap_longitudinal_rows():
        event = row.get("redcap_event_name", "")
        if event.startswith("month_"):
            month = event.split("_")[1]
            row = {**row, "redcap_event_name": "follow_up_arm_1", "redcap_repeat_instance": "1", "assessment_month": month}
        rows.append(row)
    assert summary_of("Registry_DATA.csv", files.redcap_raw(rows, longitudinal=True)) == long_summary
