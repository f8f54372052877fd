"""Workbooks as clinicians keep them (issue 13): nothing silently lost or invented.

Workbooks are built in code (openpyxl), then their sheet XML edited where
openpyxl cannot write what Excel does (stored formula results, big gaps).
"""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest

from omalizumab_core.data.loading import load_upload
from omalizumab_core.data.problems import CohortError
from omalizumab_core.engine.scoring import score_cohort
from tests.file_builders import xlsx_bytes

PATIENTS = [
    ["patient_id", "sex", "diagnosis", "age_at_diagnosis", "age_at_treatment"],
    ["P001", "F", "ISM", 38, "=D2+2"],
    ["P002", "M", "ISM", 50, "=D3+2"],
    ["P003", "F", "CM", 20, "=D4+2"],
]
SYMPTOMS = [
    ["patient_id", "symptom", "month", "score"],
    ["P001", "flushing", 0, 1],
    ["P002", "fatigue", 0, 1],
    ["P002", "fatigue", 6, 0.5],
    ["P003", "pruritus", 0, 1],
    ["P003", "pruritus", 6, 0],
]


def rewrite(xlsx: bytes, sheet: str, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == sheet:
                data = change(data.decode()).encode()
            target.writestr(item.filename, data)
    return buffer.getvalue()


def upload(content: bytes):
    return load_upload([("cohort.xlsx", content)])


def test_formulas_without_stored_results_are_located_errors_never_blank_ages():
    with pytest.raises(CohortError) as raised:
        upload(xlsx_bytes({"patients": PATIENTS, "symptoms": SYMPTOMS}))
    errors = raised.value.errors
    assert [(e.where, e.column, e.value) for e in errors] == [
        ("sheet 'patients', row 2", "age_at_treatment", "=D2+2"),
        ("sheet 'patients', row 3", "age_at_treatment", "=D3+2"),
        ("sheet 'patients', row 4", "age_at_treatment", "=D4+2"),
    ]
    assert all("formula whose result was never computed: open and save the file in Excel" in e.message for e in errors)


def test_the_same_workbook_saved_by_excel_with_results_stored_loads_40_52_22():
    content = xlsx_bytes({"patients": PATIENTS, "symptoms": SYMPTOMS})
    results = iter(["40", "52", "22"])
    saved = rewrite(content, "xl/worksheets/sheet1.xml", lambda xml: re.sub(r"<v ?/>|<v></v>", lambda _: f"<v>{next(results)}</v>", xml))
    assert upload(saved).patients["age_at_treatment"].tolist() == [40.0, 52.0, 22.0]


def with_gap(rows_before_gap: list, gap: int, last_row: list) -> bytes:
    """A symptoms sheet whose last row sits after ``gap`` blank rows (rows deleted by hand)."""
    patients = [row[:4] for row in PATIENTS]
    content = xlsx_bytes({"patients": patients, "symptoms": rows_before_gap})
    at = len(rows_before_gap) + gap + 1
    cells = "".join(
        f'<c r="{letter}{at}" t="inlineStr"><is><t>{value}</t></is></c>' if isinstance(value, str) else f'<c r="{letter}{at}"><v>{value}</v></c>'
        for letter, value in zip("ABCD", last_row)
    )
    return rewrite(content, "xl/worksheets/sheet2.xml", lambda xml: xml.replace("</sheetData>", f'<row r="{at}">{cells}</row></sheetData>'))


@pytest.mark.parametrize("gap", [1_200, 50_000])
def test_a_row_after_a_long_blank_gap_is_read_so_p001_is_a_complete_response(gap):
    cohort = upload(with_gap(SYMPTOMS, gap, ["P001", "flushing", 6, 0]))
    assert cohort.symptoms["month"].tolist().count(6) == 3
    outcomes = score_cohort(cohort).outcomes.set_index("patient_id")
    assert outcomes.loc["P001", "best_response"] == "CR"


def test_excel_error_values_are_read_as_their_text_and_located_where_a_number_is_needed():
    rows = [row[:] for row in SYMPTOMS]
    rows[3][3] = "#DIV/0!"  # sheet row 4
    patients = [row[:4] for row in PATIENTS]
    with pytest.raises(CohortError) as raised:
        upload(xlsx_bytes({"patients": patients, "symptoms": rows}))
    (error,) = raised.value.errors
    assert (error.where, error.column, error.value) == ("sheet 'symptoms', row 4", "score", "#DIV/0!")
    assert "must be a number" in error.message


def hidden_workbook(*, sheet: bool = False, rows: tuple = (), columns: tuple = ()) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, data in (("patients", [row[:4] for row in PATIENTS]), ("symptoms", SYMPTOMS)):
        ws = book.create_sheet(title)
        for row in data:
            ws.append(row)
    symptoms = book["symptoms"]
    if sheet:
        symptoms.sheet_state = "hidden"
    for row in rows:
        symptoms.row_dimensions[row].hidden = True
    for column in columns:
        symptoms.column_dimensions[column].hidden = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_hidden_table_sheet_is_read_with_a_warning_naming_it():
    cohort = upload(hidden_workbook(sheet=True))
    assert cohort.n_patients == 3 and len(cohort.symptoms) == 5
    (warning,) = [w for w in cohort.warnings if "hidden" in w.message]
    assert warning.where == "sheet 'symptoms'" and "'symptoms' is hidden" in warning.message


def test_hidden_rows_are_read_with_a_warning_naming_their_excel_row_numbers():
    cohort = upload(hidden_workbook(rows=(4, 6)))
    assert len(cohort.symptoms) == 5  # nothing left out
    (warning,) = [w for w in cohort.warnings if "hidden" in w.message]
    assert "rows 4, 6" in warning.message and warning.where == "sheet 'symptoms'"


def test_hidden_columns_are_read_with_a_warning_naming_them():
    cohort = upload(hidden_workbook(columns=("D",)))
    assert cohort.symptoms["score"].tolist() == [1.0, 1.0, 0.5, 1.0, 0.0]
    (warning,) = [w for w in cohort.warnings if "hidden" in w.message]
    assert "'score'" in warning.message


def test_a_visible_workbook_has_no_hidden_warning():
    assert not [w for w in upload(hidden_workbook()).warnings if "hidden" in w.message]


def test_a_shared_formula_copied_down_without_stored_results_is_located_on_every_cell():
    content = xlsx_bytes({"patients": PATIENTS, "symptoms": SYMPTOMS})

    def share(xml: str) -> str:
        xml = xml.replace("<f>D2+2</f>", '<f t="shared" ref="E2:E4" si="0">D2+2</f>')
        return re.sub(r"<c r=\"(E[34])\"><f>D[34]\+2</f><v ?/?>(</v>)?</c>", r'<c r="\1"><f t="shared" si="0"/></c>', xml)

    with pytest.raises(CohortError) as raised:
        upload(rewrite(content, "xl/worksheets/sheet1.xml", share))
    assert [e.where for e in raised.value.errors] == [f"sheet 'patients', row {r}" for r in (2, 3, 4)]


def test_a_formula_with_a_stored_empty_text_result_is_not_an_error():
    # Excel stores t="str" and an empty value for a formula whose result is "".
    content = xlsx_bytes({"patients": [row[:4] + [None] for row in PATIENTS[:1]] + [r[:4] + [None] for r in PATIENTS[1:]], "symptoms": SYMPTOMS})
    content = rewrite(content, "xl/worksheets/sheet1.xml",
                      lambda xml: xml.replace("</row></sheetData>", '<c r="F4" t="str"><f>""</f><v></v></c></row></sheetData>'))
    assert upload(content).n_patients == 3


def test_an_excel_true_in_a_score_cell_stays_true_and_is_refused_not_read_as_1():
    rows = [row[:] for row in SYMPTOMS]
    rows[3][3] = True  # sheet row 4, next to scores 1 and 0.5
    with pytest.raises(CohortError) as raised:
        upload(xlsx_bytes({"patients": [row[:4] for row in PATIENTS], "symptoms": rows}))
    assert [(e.where, e.column) for e in raised.value.errors] == [("sheet 'symptoms', row 4", "score")]


def test_a_missing_required_sheet_names_the_sheets_that_were_not_read():
    # A French workbook with a 'Symptômes' sheet was told only "add a sheet named 'symptoms'", without a word about
    # the sheet it had, which the reader had skipped as a note.
    content = xlsx_bytes({"patients": [["patient_id", "diagnosis"], ["P1", "ISM"]], "Symptômes": [["patient_id", "symptom", "month", "score"], ["P1", "flushing", 0, 1]],
                          "Notes": [["free text"]]})
    with pytest.raises(CohortError) as error:
        load_upload([("cohort.xlsx", content)])
    hints = [p for p in error.value.problems if "not read" in p.message]
    assert len(hints) == 1, "\n".join(map(str, error.value.problems))
    assert "'Symptômes', 'Notes'" in hints[0].message and "rename it 'symptoms'" in hints[0].message
    assert hints[0].where == "file cohort.xlsx"
