"""Reading a cohort file into raw tables: one test per rule of ``reading.py``.

Every fixture is built in memory (openpyxl workbooks, zip files, parquet
buffers); ``tmp_path`` is used only for the path and folder forms.
"""

from __future__ import annotations

import builtins
import datetime as dt
import io
import os
import re
import tempfile
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omalizumab_core.data import reading
from omalizumab_core.data.problems import ERROR, CohortError
from omalizumab_core.data.raw import RawCohort
from omalizumab_core.data.reading import read_path, read_upload
from tests.file_builders import parquet_bytes, xlsx_bytes, zip_bytes

PATIENTS_CSV = b"patient_id,sex,diagnosis\nP1,F,ISM\nP2,M,SSM\n"
SYMPTOMS_CSV = b"patient_id,symptom,month,score,category\nP1,flush,0,1,skin\nP1,flush,3,0.5,skin\n"


# --- fixtures built in memory ------------------------------------------------------


def problems_of(call, *args):
    with pytest.raises(CohortError) as raised:
        call(*args)
    problems = raised.value.problems
    assert problems, "a CohortError must carry at least one problem"
    assert all(p.severity == ERROR for p in problems)
    return problems


def only_problem(call, *args):
    problems = problems_of(call, *args)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def with_blank_rows(xlsx: bytes, blank_rows: int, stray: str) -> bytes:
    """The workbook with ``blank_rows`` formatted-but-empty rows after its data,
    then ``stray`` in column A, and a dimension claiming the whole sheet.

    Writing a million rows through openpyxl takes minutes; editing the sheet XML
    takes a second and gives what Excel writes for rows formatted to the bottom.
    """
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    sheet_path = "xl/worksheets/sheet1.xml"
    xml = source.read(sheet_path).decode()
    last = max(int(r) for r in re.findall(r'<row r="(\d+)"', xml))
    rows = "".join(f'<row r="{r}"><c r="A{r}" s="0"/></row>' for r in range(last + 1, last + 1 + blank_rows))
    stray_row = last + 1 + blank_rows
    rows += f'<row r="{stray_row}"><c r="A{stray_row}" t="inlineStr"><is><t>{stray}</t></is></c></row>'
    xml = xml.replace("</sheetData>", rows + "</sheetData>")
    xml = re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', xml)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, xml if item.filename == sheet_path else source.read(item))
    return buffer.getvalue()


def with_stored_formula(xlsx: bytes, result: str) -> bytes:
    """The workbook with ``result`` stored for its formulas, as Excel writes it on saving."""
    return rewrite_sheet(xlsx, lambda xml: re.sub(r"<v ?/>|<v></v>", f"<v>{result}</v>", xml))


def rewrite_sheet(xlsx: bytes, change, sheet_path: str = "xl/worksheets/sheet1.xml") -> bytes:
    """The workbook with the XML of one sheet changed by ``change`` (str -> str)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item.filename, change(data.decode()) if item.filename == sheet_path else data)
    return buffer.getvalue()


# --- accepted forms ----------------------------------------------------------------


def test_xlsx_path_reads_one_table_per_sheet_and_ignores_other_sheets(tmp_path):
    path = tmp_path / "cohort.xlsx"
    path.write_bytes(
        xlsx_bytes(
            {
                "README": [["This workbook holds the cohort"]],
                "patients": [["patient_id", "sex", "age_at_treatment"], ["P1", "F", 45], ["P2", "M", 51.5]],
                "symptoms": [["patient_id", "symptom", "month", "score"], ["P1", "flush", 0, 1]],
                "data_dictionary": [["column", "meaning"], ["patient_id", "identifier"]],
            }
        )
    )
    cohort = read_path(path)
    assert isinstance(cohort, RawCohort)
    assert cohort.source == "cohort.xlsx"
    assert list(cohort.tables) == ["patients", "symptoms"]
    patients = cohort.tables["patients"]
    assert patients.origin == "sheet 'patients'" and patients.row_word == "row"
    assert patients.frame["patient_id"].tolist() == ["P1", "P2"]
    assert patients.frame["age_at_treatment"].tolist() == [45, 51.5]
    assert patients.row_numbers.tolist() == [2, 3]
    assert isinstance(patients.frame.index, pd.RangeIndex)


def test_xlsx_upload_matches_sheet_names_after_normalising_case_spaces_hyphens_and_synonyms():
    content = xlsx_bytes(
        {
            " Patients ": [["patient_id"], ["P1"]],
            "Symptom": [["patient_id"], ["P1"]],
            "Dosing": [["patient_id"], ["P1"]],
            "Adverse-events": [["patient_id"], ["P1"]],
            "Laboratory": [["patient_id"], ["P1"]],
        }
    )
    cohort = read_upload([("Cohort.xlsx", content)])
    assert cohort.source == "Cohort.xlsx"
    assert set(cohort.tables) == {"patients", "symptoms", "doses", "adverse_events", "labs"}
    assert cohort.tables["adverse_events"].origin == "sheet 'Adverse-events'"


@pytest.mark.parametrize("title", ["AE", "adverse events", "adverse_event", "Safety"])
def test_adverse_event_sheet_synonyms_are_recognised(title):
    content = xlsx_bytes({"patients": [["patient_id"], ["P1"]], title: [["patient_id"], ["P1"]]})
    cohort = read_upload([("c.xlsx", content)])
    assert set(cohort.tables) == {"patients", "adverse_events"}


def test_column_names_are_normalised_and_original_headers_kept():
    header = ["Patient ID", " Age-at-treatment ", "\ufeffSex", "Baseline\ntryptase"]
    content = xlsx_bytes({"patients": [header, ["P1", 45, "F", 20]]})
    table = read_upload([("c.xlsx", content)]).tables["patients"]
    assert list(table.frame.columns) == ["patient_id", "age_at_treatment", "sex", "baseline_tryptase"]
    assert table.original_columns["patient_id"] == "Patient ID"
    assert table.column_label("age_at_treatment") == " Age-at-treatment "
    assert table.original_columns["sex"] == "Sex"


def test_zip_of_csv_files_is_read_with_member_names_as_origins():
    content = zip_bytes({"patients.csv": PATIENTS_CSV, "symptoms.csv": SYMPTOMS_CSV, "README.txt": b"notes"})
    cohort = read_upload([("cohort.zip", content)])
    assert cohort.source == "cohort.zip"
    assert list(cohort.tables) == ["patients", "symptoms"]
    symptoms = cohort.tables["symptoms"]
    assert symptoms.origin == "symptoms.csv" and symptoms.row_word == "line"
    assert symptoms.frame["score"].tolist() == ["1", "0.5"]
    assert symptoms.row_numbers.tolist() == [2, 3]


def test_zip_of_parquet_files_keeps_native_types_and_numbers_rows_from_one():
    symptoms = pd.DataFrame({"patient_id": ["P1", "P1"], "month": [0.0, 3.0], "score": [1.0, 0.5]})
    patients = pd.DataFrame({"patient_id": ["P1"], "treatment_start": pd.to_datetime(["2020-01-15"])})
    content = zip_bytes({"patients.parquet": parquet_bytes(patients), "symptoms.parquet": parquet_bytes(symptoms)})
    cohort = read_upload([("cohort.zip", content)])
    table = cohort.tables["symptoms"]
    assert table.origin == "symptoms.parquet" and table.row_word == "row"
    assert table.frame["month"].dtype == np.float64
    assert table.frame["score"].tolist() == [1.0, 0.5]
    assert table.row_numbers.tolist() == [1, 2]
    assert pd.api.types.is_datetime64_any_dtype(cohort.tables["patients"].frame["treatment_start"])


def test_parquet_blank_rows_are_removed_and_row_numbers_kept():
    frame = pd.DataFrame({"patient_id": ["P1", None, "  ", "P2"], "score": [1.0, np.nan, np.nan, 0.5]})
    table = read_upload([("symptoms.parquet", parquet_bytes(frame))]).tables["symptoms"]
    assert table.frame["patient_id"].tolist() == ["P1", "P2"]
    assert table.row_numbers.tolist() == [1, 4]
    assert table.where(1) == "symptoms.parquet, row 4"


def test_parquet_named_index_is_kept_as_a_column():
    frame = pd.DataFrame({"patient_id": ["P1", "P2"], "sex": ["F", "M"]}).set_index("patient_id")
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    table = read_upload([("patients.parquet", buffer.getvalue())]).tables["patients"]
    assert table.frame.to_dict("list") == {"patient_id": ["P1", "P2"], "sex": ["F", "M"]}


def test_damaged_parquet_is_an_error_saying_it_may_be_damaged():
    content = parquet_bytes(pd.DataFrame({"patient_id": ["P1"]}))
    problem = only_problem(read_upload, [("patients.parquet", content[:-20])])
    assert problem.where == "patients.parquet"
    assert "could not be read as a Parquet file: it may be damaged" in problem.message


def test_zip_with_one_nested_folder_is_read_and_macosx_and_dotfiles_are_ignored():
    content = zip_bytes(
        {
            "export/patients.csv": PATIENTS_CSV,
            "export/symptoms.csv": SYMPTOMS_CSV,
            "__MACOSX/export/._patients.csv": b"\x00\x05\x16\x07 resource fork",
            "export/.hidden.csv": b"garbage",
            "export/deeper/labs.csv": b"patient_id\nP9\n",  # two folders deep: not a table
        }
    )
    cohort = read_upload([("cohort.zip", content)])
    assert list(cohort.tables) == ["patients", "symptoms"]
    assert cohort.tables["patients"].origin == "export/patients.csv"
    assert cohort.tables["patients"].frame["patient_id"].tolist() == ["P1", "P2"]


def test_folder_of_csv_files_is_read_from_a_path(tmp_path):
    folder = tmp_path / "my_cohort"
    folder.mkdir()
    (folder / "patients.csv").write_bytes(PATIENTS_CSV)
    (folder / "symptoms.csv").write_bytes(SYMPTOMS_CSV)
    (folder / "notes.docx").write_bytes(b"PK\x03\x04 not a table")
    (folder / ".DS_Store").write_bytes(b"\x00\x00")
    cohort = read_path(folder)
    assert cohort.source == "folder my_cohort"
    assert cohort.tables["patients"].frame["diagnosis"].tolist() == ["ISM", "SSM"]
    assert cohort.tables["symptoms"].origin == "symptoms.csv"


def test_folder_of_parquet_files_is_read_from_a_path(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    patients = pd.DataFrame({"patient_id": ["P1", "P2"], "age": [40, 50]})
    (folder / "patients.parquet").write_bytes(parquet_bytes(patients))
    (folder / "labs.parquet").write_bytes(parquet_bytes(pd.DataFrame({"patient_id": ["P1"], "value": [21.5]})))
    cohort = read_path(str(folder))
    assert list(cohort.tables) == ["patients", "labs"]
    assert cohort.tables["patients"].frame["age"].tolist() == [40, 50]
    assert cohort.tables["labs"].row_numbers.tolist() == [1]


def test_loose_uploaded_csv_and_parquet_files_are_read_together():
    doses = parquet_bytes(pd.DataFrame({"patient_id": ["P1"], "dose_mg": [300.0]}))
    cohort = read_upload([("patients.csv", PATIENTS_CSV), ("Symptoms.CSV", SYMPTOMS_CSV), ("doses.parquet", doses)])
    assert cohort.source == "3 uploaded files"
    assert list(cohort.tables) == ["patients", "symptoms", "doses"]
    assert cohort.tables["symptoms"].origin == "Symptoms.CSV"
    assert cohort.tables["doses"].frame["dose_mg"].tolist() == [300.0]


def test_uploaded_file_name_with_a_browser_folder_keeps_only_the_file_name():
    cohort = read_upload([("C:\\fakepath\\patients.csv", PATIENTS_CSV)])
    assert cohort.source == "patients.csv"
    assert cohort.tables["patients"].origin == "patients.csv"


def test_single_table_file_is_returned_alone_missing_tables_are_the_validators_concern(tmp_path):
    path = tmp_path / "symptoms.csv"
    path.write_bytes(SYMPTOMS_CSV)
    cohort = read_path(path)
    assert list(cohort.tables) == ["symptoms"]
    assert cohort.source == "symptoms.csv"


# --- CSV ---------------------------------------------------------------------------


def test_european_csv_semicolon_decimal_comma_latin1_is_read_as_text():
    content = "patient_id;symptom;month;score;category\nP1;céphalée;0;0,5;neuro\nP1;céphalée;1;0,25;neuro\n"
    table = read_upload([("symptoms.csv", content.encode("latin-1"))]).tables["symptoms"]
    assert list(table.frame.columns) == ["patient_id", "symptom", "month", "score", "category"]
    assert table.frame["symptom"].tolist() == ["céphalée", "céphalée"]
    assert table.frame["score"].tolist() == ["0,5", "0,25"]
    assert table.row_numbers.tolist() == [2, 3]


def test_cp1252_specific_characters_are_decoded():
    content = "patient_id;event\nP1;réaction – œdème\n".encode("cp1252")
    table = read_upload([("adverse_events.csv", content)]).tables["adverse_events"]
    assert table.frame["event"].tolist() == ["réaction – œdème"]


def test_utf8_bom_is_removed_from_the_first_column_name():
    content = "\ufeffpatient_id;sex\nP1;F\n".encode("utf-8")
    table = read_upload([("patients.csv", content)]).tables["patients"]
    assert list(table.frame.columns) == ["patient_id", "sex"]
    assert table.original_columns["patient_id"] == "patient_id"


def test_csv_mixing_utf8_and_cp1252_is_read_without_error():
    content = b"patient_id,symptom\nP1,c\xc3\xa9phal\xc3\xa9e\nP2,c\xe9phal\xe9e\n"
    table = read_upload([("symptoms.csv", content)]).tables["symptoms"]
    assert table.frame["symptom"].tolist() == ["céphalée", "céphalée"]


def test_excel_unicode_text_export_utf16_tab_separated_is_read():
    content = "patient_id\tsymptom\r\nP1\tprurit\r\n".encode("utf-16")
    table = read_upload([("symptoms.csv", content)]).tables["symptoms"]
    assert table.frame.to_dict("list") == {"patient_id": ["P1"], "symptom": ["prurit"]}


def test_tab_separated_csv_is_detected():
    content = b"patient_id\tsex\tdiagnosis\nP1\tF\tISM, with flushing\n"
    table = read_upload([("patients.tsv", content)]).tables["patients"]
    assert table.frame["diagnosis"].tolist() == ["ISM, with flushing"]


def test_csv_values_are_kept_exactly_as_written_as_text():
    content = b'patient_id,score,note\nP1, 0.5 ,NA\nP2,,"N/A"\n007,1e3,-\n'
    table = read_upload([("symptoms.csv", content)]).tables["symptoms"]
    assert table.frame.to_dict("list") == {
        "patient_id": ["P1", "P2", "007"],
        "score": [" 0.5 ", "", "1e3"],
        "note": ["NA", "N/A", "-"],
    }


def test_csv_row_numbers_are_file_lines_and_blank_lines_are_removed():
    content = b"patient_id,sex\nP1,F\n\n,\n  ,  \nP2,M\n"
    table = read_upload([("patients.csv", content)]).tables["patients"]
    assert table.frame["patient_id"].tolist() == ["P1", "P2"]
    assert table.row_numbers.tolist() == [2, 6]
    assert table.where(1) == "patients.csv, line 6"


def test_csv_quoted_values_with_line_breaks_keep_following_line_numbers():
    content = (
        b"patient_id,symptom,note\n"  # line 1
        b'P1,flush,"first line\nsecond line"\n'  # lines 2-3
        b'P2,"pruritus","a ""quoted"" word"\n'  # line 4
        b"P3,flush,x\n"  # line 5
    )
    table = read_upload([("symptoms.csv", content)]).tables["symptoms"]
    assert table.frame["note"].tolist() == ["first line\nsecond line", 'a "quoted" word', "x"]
    assert table.row_numbers.tolist() == [2, 4, 5]


def test_csv_title_lines_above_the_header_are_skipped_and_lines_still_counted():
    content = b"Cohort export 2024\n\npatient_id;sex\nP1;F\nP2;M\n"
    table = read_upload([("patients.csv", content)]).tables["patients"]
    assert list(table.frame.columns) == ["patient_id", "sex"]
    assert table.frame["patient_id"].tolist() == ["P1", "P2"]
    assert table.row_numbers.tolist() == [4, 5]


def test_csv_trailing_separators_without_header_or_data_are_dropped():
    content = b"patient_id;sex;;\nP1;F;;\n"
    table = read_upload([("patients.csv", content)]).tables["patients"]
    assert list(table.frame.columns) == ["patient_id", "sex"]


def test_csv_column_with_data_but_no_header_is_kept_under_a_made_up_name():
    table = read_upload([("patients.csv", b"patient_id,,sex\nP1,note,F\n")]).tables["patients"]
    assert table.frame["column_2"].tolist() == ["note"]
    assert table.original_columns["column_2"] == "(no header, column 2)"


def test_csv_record_with_more_values_than_the_header_is_an_error_naming_the_line():
    content = b"patient_id;score\nP1;0,5\nP2;0,5;1\n"
    problem = only_problem(read_upload, [("symptoms.csv", content)])
    assert problem.table == "symptoms"
    assert problem.where == "symptoms.csv, line 3"
    assert "3 values" in problem.message and "2 columns" in problem.message
    assert "semicolon" in problem.message


def test_csv_with_an_unclosed_quote_is_an_error_naming_its_line():
    problem = only_problem(read_upload, [("symptoms.csv", b'patient_id,note\nP1,ok\nP2,"never closed\nP3,x\n')])
    assert problem.where == "symptoms.csv, line 3"
    assert "quote" in problem.message


def test_empty_csv_file_is_a_table_without_columns():
    table = read_upload([("labs.csv", b"")]).tables["labs"]
    assert table.frame.shape == (0, 0) and table.row_numbers.size == 0


def test_csv_with_only_a_header_is_a_table_without_rows():
    table = read_upload([("labs.csv", b"patient_id,month,analyte,value\n")]).tables["labs"]
    assert list(table.frame.columns) == ["patient_id", "month", "analyte", "value"]
    assert len(table.frame) == 0


@pytest.mark.parametrize(
    "content, expected",
    [
        (bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8)), "binary data"),
        (xlsx_bytes({"patients": [["patient_id"], ["P1"]]}), "zip file or Excel workbook"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF document"),
    ],
    ids=["random bytes", "workbook renamed", "pdf renamed"],
)
def test_binary_file_uploaded_as_csv_is_an_error_saying_what_it_is(content, expected):
    problem = only_problem(read_upload, [("patients.csv", content)])
    assert problem.where == "patients.csv" and problem.table == "patients"
    assert expected in problem.message and "CSV" in problem.message


# --- Excel -------------------------------------------------------------------------


def test_excel_header_rows_above_the_table_are_skipped_and_sheet_rows_reported():
    content = xlsx_bytes(
        {
            "patients": [
                ["Omalizumab cohort, exported 2024-05-01"],
                [],
                ["Patient ID", "Sex", "Age at treatment"],
                ["P1", "F", 45],
                [],
                [None, "  ", None],
                ["P2", "M", 51.5],
            ]
        }
    )
    table = read_upload([("c.xlsx", content)]).tables["patients"]
    assert list(table.frame.columns) == ["patient_id", "sex", "age_at_treatment"]
    assert table.frame["patient_id"].tolist() == ["P1", "P2"]
    assert table.row_numbers.tolist() == [4, 7]
    assert table.where(1) == "sheet 'patients', row 7"


def test_excel_cells_keep_their_python_types_and_serial_dates_stay_numbers():
    start = dt.datetime(2020, 1, 15)
    header = ["patient_id", "treatment_start", "serial", "age", "flag"]
    content = xlsx_bytes({"patients": [header, ["P1", start, 43845, 45.5, True]]})
    row = read_upload([("c.xlsx", content)]).tables["patients"].frame.iloc[0]
    # calamine gives a date for a date-time at midnight: the same day.
    assert pd.Timestamp(row["treatment_start"]) == start and isinstance(row["treatment_start"], dt.date)
    assert row["serial"] == 43845 and isinstance(row["serial"], (int, float))
    assert row["age"] == 45.5 and row["flag"] is True


def test_excel_formula_without_stored_result_is_a_located_error_asking_to_save_in_excel():
    # openpyxl writes formulas without the value Excel would store on saving.
    content = xlsx_bytes({"patients": [["patient_id", "age"], ["P1", "=40+5"]]})
    problem = only_problem(read_upload, [("c.xlsx", content)])
    assert problem.where == "sheet 'patients', row 2" and problem.column == "age" and problem.value == "=40+5"
    assert "formula whose result was never computed: open and save the file in Excel" in problem.message


def test_excel_formula_with_its_stored_result_reads_the_result():
    content = with_stored_formula(xlsx_bytes({"patients": [["patient_id", "age"], ["P1", "=40+5"]]}), "45")
    frame = read_upload([("c.xlsx", content)]).tables["patients"].frame
    assert frame["age"].tolist() == [45]


def test_excel_merged_cells_give_the_value_to_the_top_left_cell_only():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "symptoms"
    for row in (["patient_id", "symptom"], ["P1", "flush"], ["P1", "pruritus"]):
        sheet.append(row)
    sheet.merge_cells("A2:A3")
    buffer = io.BytesIO()
    workbook.save(buffer)
    frame = read_upload([("c.xlsx", buffer.getvalue())]).tables["symptoms"].frame
    assert frame["patient_id"].tolist() == ["P1", None]
    assert frame["symptom"].tolist() == ["flush", "pruritus"]


def test_excel_sheet_with_only_headers_is_a_table_without_rows():
    content = xlsx_bytes({"patients": [["patient_id"], ["P1"]], "labs": [["patient_id", "value"]]})
    table = read_upload([("c.xlsx", content)]).tables["labs"]
    assert list(table.frame.columns) == ["patient_id", "value"]
    assert len(table.frame) == 0 and table.row_numbers.size == 0


def test_excel_completely_empty_table_sheet_is_a_table_without_columns():
    cohort = read_upload([("c.xlsx", xlsx_bytes({"patients": [["patient_id"], ["P1"]], "symptoms": []}))])
    assert cohort.tables["symptoms"].frame.shape == (0, 0)
    assert cohort.tables["symptoms"].origin == "sheet 'symptoms'"


def test_excel_column_without_header_is_dropped_when_empty_and_kept_when_filled():
    content = xlsx_bytes({"patients": [[None, "patient_id", None, "sex"], [None, "P1", "note", "F"]]})
    table = read_upload([("c.xlsx", content)]).tables["patients"]
    assert list(table.frame.columns) == ["patient_id", "column_c", "sex"]
    assert table.original_columns["column_c"] == "(no header, column C)"


def test_excel_value_below_a_million_formatted_blank_rows_is_read_with_its_row():
    content = with_blank_rows(
        xlsx_bytes({"symptoms": [["patient_id", "month"], ["P1", 0], ["P2", 3]]}), blank_rows=1_000_000, stray="P3"
    )
    table = read_upload([("c.xlsx", content)]).tables["symptoms"]
    assert table.frame["patient_id"].tolist() == ["P1", "P2", "P3"]
    assert table.row_numbers.tolist() == [2, 3, 1_000_004]


@pytest.mark.parametrize("gap", [999, 1_000, 1_200, 5_000])
def test_excel_values_after_a_blank_row_gap_of_any_length_are_read(gap):
    workbook = xlsx_bytes({"symptoms": [["patient_id", "month"], ["P1", 0]]})
    content = with_blank_rows(workbook, blank_rows=gap, stray="P2")
    table = read_upload([("c.xlsx", content)]).tables["symptoms"]
    assert table.frame["patient_id"].tolist() == ["P1", "P2"]
    assert table.row_numbers.tolist() == [2, 3 + gap]


def test_empty_workbook_is_an_error_naming_the_expected_sheets():
    workbook = openpyxl.Workbook()
    buffer = io.BytesIO()
    workbook.save(buffer)
    problem = only_problem(read_upload, [("cohort.xlsx", buffer.getvalue())])
    assert problem.where == "file cohort.xlsx"
    assert "'Sheet'" in problem.message
    assert "patients, symptoms, doses, adverse_events, labs, anaphylaxis and instrument_scores" in problem.message


def test_pdf_renamed_xlsx_is_an_error_asking_to_save_again_from_excel():
    problem = only_problem(read_upload, [("cohort.xlsx", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")])
    assert problem.where == "file cohort.xlsx" and problem.table is None
    assert "could not be read as an Excel workbook" in problem.message
    assert "PDF" in problem.message and "Save it again from Excel as .xlsx" in problem.message


def test_garbage_renamed_xlsx_is_an_error_saying_it_may_be_damaged(tmp_path):
    path = tmp_path / "cohort.xlsx"
    path.write_bytes(b"just some text, not a workbook")
    problem = only_problem(read_path, path)
    assert "damaged or another kind of file renamed .xlsx" in problem.message


def test_two_sheets_naming_the_same_table_are_an_error_naming_both():
    content = xlsx_bytes({"patients": [["patient_id"], ["P1"]], "Patient": [["patient_id"], ["P2"]]})
    problem = only_problem(read_upload, [("cohort.xlsx", content)])
    assert problem.table == "patients"
    assert "sheet 'patients'" in problem.message and "sheet 'Patient'" in problem.message


def test_two_columns_with_the_same_normalised_name_are_an_error():
    content = xlsx_bytes({"symptoms": [["patient_id", "Month", "month "], ["P1", 0, 1]]})
    problem = only_problem(read_upload, [("cohort.xlsx", content)])
    assert problem.table == "symptoms" and problem.where == "sheet 'symptoms'"
    assert "two columns named 'month'" in problem.message


def test_problems_of_several_sheets_are_reported_together():
    content = xlsx_bytes(
        {"patients": [["patient_id", "Sex", "sex"]], "symptoms": [["patient_id", "score", "Score"]]}
    )
    problems = problems_of(read_upload, [("cohort.xlsx", content)])
    assert {p.table for p in problems} == {"patients", "symptoms"}


# --- zip safety and damage ---------------------------------------------------------


def test_truncated_zip_is_an_error_saying_it_may_be_incomplete():
    content = zip_bytes({"patients.csv": PATIENTS_CSV * 50, "symptoms.csv": SYMPTOMS_CSV * 50})
    problem = only_problem(read_upload, [("cohort.zip", content[: len(content) // 2])])
    assert problem.where == "file cohort.zip"
    assert "could not be opened as a zip file" in problem.message and "incomplete" in problem.message


@pytest.mark.parametrize(
    "member", ["../evil.csv", "export/../../patients.csv", "/etc/passwd", "C:/Windows/patients.csv"]
)
def test_zip_member_named_outside_the_zip_is_refused(member):
    content = zip_bytes({"patients.csv": PATIENTS_CSV, member: b"patient_id\nX\n"})
    problem = only_problem(read_upload, [("cohort.zip", content)])
    assert problem.where == "file cohort.zip"
    assert member in problem.message and "not read" in problem.message


def test_zip_member_larger_than_the_limit_once_uncompressed_is_refused(monkeypatch):
    monkeypatch.setattr(reading.budgets, "MAX_MEMBER_BYTES", 1_000)
    content = zip_bytes({"patients.csv": PATIENTS_CSV, "symptoms.csv": SYMPTOMS_CSV + b"P1,flush,6,0,skin\n" * 200})
    problem = only_problem(read_upload, [("cohort.zip", content)])
    assert problem.where == "file cohort.zip"
    assert "'symptoms.csv'" in problem.message and "uncompressed" in problem.message


def test_zip_tables_larger_than_the_total_limit_are_refused(monkeypatch):
    # Each table alone is below the total limit; together they are above it.
    monkeypatch.setattr(reading.budgets, "MAX_TOTAL_BYTES", len(SYMPTOMS_CSV) + 10)
    content = zip_bytes({"patients.csv": PATIENTS_CSV, "symptoms.csv": SYMPTOMS_CSV})
    problem = only_problem(read_upload, [("cohort.zip", content)])
    assert "uncompressed" in problem.message and "more than" in problem.message


def test_zip_without_any_table_is_an_error_naming_the_expected_files():
    problem = only_problem(read_upload, [("cohort.zip", zip_bytes({"README.txt": b"hello", "data/x.csv": b"a\n1\n"}))])
    assert problem.where == "file cohort.zip"
    assert "patients.csv" in problem.message and "one folder" in problem.message


def test_errors_inside_a_zip_name_the_member():
    content = zip_bytes({"patients.csv": PATIENTS_CSV, "symptoms.parquet": b"not parquet at all"})
    problem = only_problem(read_upload, [("cohort.zip", content)])
    assert problem.where == "symptoms.parquet" and problem.table == "symptoms"
    assert "Parquet" in problem.message


# --- upload and path errors --------------------------------------------------------


def test_same_table_twice_in_an_upload_is_an_error_naming_both_files():
    parquet = parquet_bytes(pd.DataFrame({"patient_id": ["P1"]}))
    problem = only_problem(read_upload, [("patients.csv", PATIENTS_CSV), ("patients.parquet", parquet)])
    assert problem.table == "patients"
    assert "patients.csv" in problem.message and "patients.parquet" in problem.message


@pytest.mark.parametrize(
    "name, content", [("notes.pdf", b"%PDF-1.4"), ("cohort.docx", b"PK\x03\x04"), ("patients.txt", PATIENTS_CSV)]
)
def test_upload_with_an_unexpected_extension_is_an_error_listing_accepted_forms(name, content):
    problem = only_problem(read_upload, [("symptoms.csv", SYMPTOMS_CSV), (name, content)])
    assert problem.where == f"file {name}"
    assert ".xlsx" in problem.message and ".csv" in problem.message and ".zip" in problem.message


def test_old_excel_xls_is_an_error_asking_to_save_as_xlsx():
    problem = only_problem(read_upload, [("cohort.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")])
    assert ".xls" in problem.message and "Excel Workbook (.xlsx)" in problem.message


def test_csv_not_named_after_a_table_is_an_error_naming_the_expected_file_names():
    problem = only_problem(read_upload, [("export_2024.csv", PATIENTS_CSV)])
    assert problem.where == "file export_2024.csv"
    assert "patients.csv, symptoms.csv" in problem.message


def test_problems_of_every_uploaded_file_are_reported_together():
    problems = problems_of(read_upload, [("cohort.pdf", b"%PDF"), ("labs.csv", b"\x00\x01\x02" * 100)])
    assert [p.where for p in problems] == ["file cohort.pdf", "labs.csv"]


def test_empty_upload_is_an_error_describing_the_accepted_forms():
    problem = only_problem(read_upload, [])
    assert "No file was uploaded" in problem.message and "patients and symptoms are required" in problem.message


def test_folder_without_any_table_is_an_error_naming_the_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here")
    problem = only_problem(read_path, tmp_path)
    assert problem.where == f"folder {tmp_path.name}"
    assert "patients.csv" in problem.message


def test_missing_path_is_an_error_not_an_os_error(tmp_path):
    problem = only_problem(read_path, tmp_path / "absent.xlsx")
    assert problem.where == "file absent.xlsx" and "No file or folder" in problem.message


# --- privacy and robustness --------------------------------------------------------


def test_read_upload_never_writes_to_disk(monkeypatch):
    uploads = [
        ("cohort.xlsx", xlsx_bytes({"patients": [["patient_id"], ["P1"]]})),
        ("tables.zip", zip_bytes({"symptoms.parquet": parquet_bytes(pd.DataFrame({"patient_id": ["P1"]}))})),
        ("labs.csv", b"patient_id;value\nP1;12,5\n"),
    ]
    writes = []
    real_open, real_os_open = builtins.open, os.open

    def guarded_open(file, mode="r", *args, **kwargs):
        if any(flag in mode for flag in "wax+"):
            writes.append(file)
            raise PermissionError("writing is forbidden in this test")
        return real_open(file, mode, *args, **kwargs)

    def guarded_os_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            writes.append(path)
            raise PermissionError("writing is forbidden in this test")
        return real_os_open(path, flags, *args, **kwargs)

    def no_temporary_file(*args, **kwargs):
        writes.append("tempfile")
        raise PermissionError("temporary files are forbidden in this test")

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)
    monkeypatch.setattr(os, "open", guarded_os_open)
    for name in ("mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryFile", "SpooledTemporaryFile"):
        monkeypatch.setattr(tempfile, name, no_temporary_file)

    cohort = read_upload(uploads)

    assert writes == []
    assert list(cohort.tables) == ["patients", "symptoms", "labs"]
    assert cohort.tables["labs"].frame["value"].tolist() == ["12,5"]


def _valid_uploads() -> list[tuple[str, bytes]]:
    return [
        ("cohort.xlsx", xlsx_bytes({"patients": [["patient_id", "age"], ["P1", 40]], "symptoms": [["patient_id"]]})),
        ("cohort.zip", zip_bytes({"patients.csv": PATIENTS_CSV, "symptoms.csv": SYMPTOMS_CSV})),
        ("symptoms.parquet", parquet_bytes(pd.DataFrame({"patient_id": ["P1", "P2"], "score": [1.0, 0.5]}))),
        ("symptoms.csv", "patient_id;symptom\nP1;céphalée\n".encode("cp1252")),
    ]


VALID_UPLOADS = _valid_uploads()


def _assert_read_or_located_error(name: str, content: bytes) -> None:
    try:
        cohort = read_upload([(name, content)])
    except CohortError as error:
        for problem in error.problems:
            assert problem.severity == ERROR and problem.where
            assert "Traceback" not in problem.message and "Error:" not in problem.message
    else:
        assert isinstance(cohort, RawCohort)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(upload=st.sampled_from(VALID_UPLOADS), data=st.data())
def test_damaged_files_only_ever_raise_a_located_cohort_error(upload, data):
    name, content = upload
    position = data.draw(st.integers(0, len(content) - 1))
    damage = data.draw(st.sampled_from(["truncate", "flip", "zero"]))
    if damage == "truncate":
        damaged = content[:position]
    else:
        byte = content[position] ^ 0xFF if damage == "flip" else 0
        damaged = content[:position] + bytes([byte]) + content[position + 1 :]
    _assert_read_or_located_error(name, damaged)


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(["patients.csv", "cohort.xlsx", "cohort.zip", "labs.parquet", "symptoms.tsv"]),
    content=st.binary(max_size=3_000),
)
def test_arbitrary_bytes_only_ever_raise_a_located_cohort_error(name, content):
    _assert_read_or_located_error(name, content)
