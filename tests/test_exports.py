"""Exports neutralise spreadsheet formula injection (OWASP CSV injection)."""

import io

import openpyxl
import pandas as pd
import pytest

from omalizumab_core.outputs.exports import csv_bytes, excel_bytes, neutralise_formulas


@pytest.mark.parametrize("cell", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "\n=1+1", "\nx", "  =1+1", " +SUM(A1)",
                                  "   -2+3", " @cmd", "\u00a0=1", " \t =1", "\u200b=1", "\uff1dSUM(A1)", " \uff20cmd"])
def test_text_cells_starting_like_a_formula_are_prefixed_with_a_quote(cell):
    out = neutralise_formulas(pd.DataFrame({"event": [cell]}))
    assert out["event"].iloc[0] == "'" + cell


def test_numbers_and_plain_text_are_unchanged_and_input_not_mutated():
    frame = pd.DataFrame({"value": [-2.5, 3.0], "event": ["fever", "=HYPERLINK()"]})
    out = neutralise_formulas(frame)
    assert out["value"].tolist() == [-2.5, 3.0]
    assert out["event"].tolist() == ["fever", "'=HYPERLINK()"]
    assert frame["event"].iloc[1] == "=HYPERLINK()"


def test_csv_and_excel_exports_hold_no_live_formula():
    frame = pd.DataFrame({"event": ["=cmd|' /C calc'!A0"]})
    assert b"'=cmd" in csv_bytes(frame)
    sheet = openpyxl.load_workbook(io.BytesIO(excel_bytes(frame))).active
    assert sheet["A2"].value.startswith("'=")
    assert sheet["A2"].data_type == "s"


@pytest.mark.parametrize("cell", ["fever", " fever", "a=b", "2 - 3", "", " "])
def test_text_not_starting_like_a_formula_is_unchanged(cell):
    assert neutralise_formulas(pd.DataFrame({"event": [cell]}))["event"].iloc[0] == cell


def test_column_names_starting_with_spaces_then_a_sign_are_neutralised():
    out = neutralise_formulas(pd.DataFrame({" =cmd": ["x"]}))
    assert list(out.columns) == ["' =cmd"]


def test_downloaded_files_end_with_the_filters_under_the_table():
    import io

    import openpyxl
    import pandas as pd

    from omalizumab_core.outputs.exports import csv_bytes, excel_bytes

    frame = pd.DataFrame({"Group": ["ISM", "CM"], "n": [29, 12]})
    footer = ["Filters: Diagnosis: ISM", "=cmd|' /C calc'!A0"]
    lines = csv_bytes(frame, footer=footer).decode("utf-8-sig").splitlines()
    assert lines[-4:] == ["CM,12", "", "Filters: Diagnosis: ISM", "'=cmd|' /C calc'!A0"]  # a footer cannot run as a formula either
    sheet = openpyxl.load_workbook(io.BytesIO(excel_bytes(frame, footer=footer))).active
    assert [c.value for c in sheet["A"]] == ["Group", "ISM", "CM", None, "Filters: Diagnosis: ISM", "'=cmd|' /C calc'!A0"]
