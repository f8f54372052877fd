"""Tables as read from the user's file, before validation.

The reader (the ``reading`` package) turns an upload or a path into ``RawTable`` objects;
the validator (``validation.py``) turns them into a typed :class:`Cohort` or a
list of located problems. Keeping the row numbers the user sees here is what
lets every problem say "sheet 'symptoms', row 14" rather than an index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True, eq=False)
class RawTable:
    """One table of the user's file.

    Attributes
    ----------
    name : str
        Data-contract table name ("patients", "symptoms", ...).
    frame : DataFrame
        The data with column names normalised (trimmed, lower case, spaces and
        hyphens turned into underscores), a default RangeIndex, fully blank rows
        already removed. Values are as read: text for CSV and Excel cells that
        are text, native types for parquet and numeric Excel cells.
    origin : str
        How the user names this table's place: "sheet 'symptoms'",
        "symptoms.csv", "symptoms.parquet".
    row_word : str
        "row" for sheets and parquet, "line" for CSV.
    row_numbers : ndarray of int
        For each row of ``frame``, the number the user sees in their file
        (the sheet row, the CSV line, or the 1-based parquet row).
    original_columns : dict
        Normalised column name -> column header as written in the file.
    decimal_mark : {".", ",", None}
        The decimal mark the file's form suggests for numbers written as text
        (a ";"-separated CSV: ","; a ","-separated one: "."), or None when the
        form says nothing. The validator weighs it with the numbers written in
        each column (:mod:`omalizumab_core.data.decimal_marks`).
    """

    name: str
    frame: pd.DataFrame
    origin: str
    row_word: str
    row_numbers: np.ndarray
    original_columns: dict
    decimal_mark: str | None = None

    def where(self, position: int) -> str:
        """Location of the row at ``position`` (0-based, in ``frame``)."""
        return f"{self.origin}, {self.row_word} {int(self.row_numbers[position])}"

    def column_label(self, column: str) -> str:
        return self.original_columns.get(column, column)


@dataclass(frozen=True, eq=False)
class RawCohort:
    """Every table found in one upload or path, plus where it came from.

    ``warnings`` are the reader's located warnings (hidden sheets, rows or
    columns of a workbook that were read); they join the cohort's warnings.
    """

    tables: dict
    source: str
    warnings: tuple = ()
