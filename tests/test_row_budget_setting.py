"""The rows-per-table budget: a guard for uploads that a server or the command line can raise.

A deployment (environment variable ``OMALIZUMAB_MAX_TABLE_ROWS``) or one
command (``--max-table-rows``) raises the rows per table; the size budgets
that grow with a table's rows grow in proportion. The refusal says how.
Tiny tables and a budget of a few rows stand for the 20 million rows.
"""

from __future__ import annotations

import pandas as pd
import pytest

from omalizumab_core.cli.main import main
from omalizumab_core.data.problems import CohortError
from omalizumab_core.data.reading import budgets, read_path, read_upload
from tests.file_builders import parquet_bytes

SETTING = budgets.ROWS_SETTING


@pytest.fixture
def five_lab_rows(monkeypatch):
    """A labs table of 5 rows against a default budget of 3 rows per table; no setting in the environment."""
    monkeypatch.setattr(budgets, "MAX_ROWS", 3)
    monkeypatch.delenv(SETTING, raising=False)
    frame = pd.DataFrame({"patient_id": ["P1"] * 5, "month": [0.0, 1, 2, 3, 4], "analyte": ["tryptase"] * 5, "value": [20.0] * 5})
    return [("labs.parquet", parquet_bytes(frame))]


def _problems(files):
    with pytest.raises(CohortError) as caught:
        read_upload(files)
    return caught.value.problems


def test_a_table_over_the_row_budget_is_refused_with_how_to_raise_the_budget(five_lab_rows):
    (problem,) = _problems(five_lab_rows)
    assert problem.where == "labs.parquet" and problem.table == "labs"
    assert "This table has 5 rows, more than the 3 the dashboard reads in one table (limit: rows per table)." in problem.message
    assert f"environment variable {SETTING}" in problem.message and "--max-table-rows" in problem.message
    assert "Split the file" in problem.message


def test_the_environment_setting_raises_the_rows_per_table(five_lab_rows, monkeypatch):
    monkeypatch.setenv(SETTING, "5")
    table = read_upload(five_lab_rows).tables["labs"]
    assert len(table.frame) == 5


def test_a_raised_row_budget_grows_the_size_budgets_of_a_table_in_proportion(monkeypatch):
    monkeypatch.setenv(SETTING, str(3 * budgets.MAX_ROWS))
    assert budgets.max_rows() == 3 * budgets.MAX_ROWS
    assert budgets.scaled(budgets.MAX_PARQUET_CELLS) == 3 * budgets.MAX_PARQUET_CELLS
    assert budgets.scaled(budgets.MAX_DECODED_BYTES) == 3 * budgets.MAX_DECODED_BYTES


def test_a_lower_row_budget_lowers_the_rows_only(monkeypatch):
    monkeypatch.setenv(SETTING, "1_000")
    assert budgets.max_rows() == 1_000
    assert budgets.scaled(budgets.MAX_PARQUET_CELLS) == budgets.MAX_PARQUET_CELLS


@pytest.mark.parametrize("written", ["many", "-5", "0", "1.5e7"])
def test_a_wrong_setting_is_one_problem_naming_the_setting(five_lab_rows, monkeypatch, written):
    monkeypatch.setenv(SETTING, written)
    (problem,) = _problems(five_lab_rows)
    assert problem.where == f"setting {SETTING}"
    assert f"The setting {SETTING} is '{written}': it must be a whole number of rows per table" in problem.message


def test_the_command_line_option_raises_the_rows_per_table(five_lab_rows, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(SETTING, "3")  # recorded, so that what the option writes is undone after the test
    folder = tmp_path / "cohort"
    folder.mkdir()
    (folder / "labs.parquet").write_bytes(five_lab_rows[0][1])
    with pytest.raises(CohortError):
        read_path(folder)  # the default budget of 3 rows
    main(["validate", "--max-table-rows", "5", str(folder)])  # fails later: no patients table, not the labs' rows
    err = capsys.readouterr().err
    assert "patients table is missing" in err and "limit: rows per table" not in err
