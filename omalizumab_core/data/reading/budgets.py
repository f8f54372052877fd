"""Budgets every input must fit before its expensive step, and their messages.

A small file can describe a huge table: a zip member of blank lines, a
workbook cell at the bottom-right corner of the sheet, a Parquet column of a
million copies of one long text. Each reader checks the sizes the file
declares or that a cheap scan finds (uncompressed bytes, rows, columns, cells,
text length) against these budgets *before* parsing, and refuses a file over
budget with a located error saying which limit it exceeds and how to split
the file. A budget is never a truncation: nothing is read past it.

The budgets are set so that a file within the upload limit is accepted or
refused within a minute and 1.5 GB of memory on a small server
(``python -m benchmarks.reading``, rows "hostile"), while a real cohort of 100,000
patients in Parquet still loads.

Raising the row budget
----------------------
Whoever runs the dashboard or the command line on a server with the memory
for it (about 12 KB per patient, 130 symptom rows each) can raise the rows
per table: the environment variable ``OMALIZUMAB_MAX_TABLE_ROWS`` (a whole
number of rows), or the command line's ``--max-table-rows``. The budgets
that grow with a table's rows (cells of a CSV or Parquet table, a Parquet
table's uncompressed and decoded sizes) grow in the same proportion; the
upload, zip, workbook, column and text budgets, which guard the web
uploader, do not. A lower value than the default lowers the rows only.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from omalizumab_core.data.contract import TABLE_COLUMNS
from omalizumab_core.data.problems import ERROR, CohortError, Problem
from omalizumab_core.data.raw import RawTable
from omalizumab_core.data.reading.common import megabytes

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
"""Largest uploaded file, as sent (the same 50 MB as ``server.maxUploadSize``)."""
MAX_MEMBER_BYTES = 400 * 1024 * 1024
"""Largest uncompressed size of one file inside a zip or a workbook (a full
1,048,576-row symptoms sheet is about 300 MB of XML)."""
MAX_TOTAL_BYTES = 500 * 1024 * 1024
"""Largest uncompressed size of all the files read from one zip or workbook (10 x the upload limit)."""
MAX_ROWS = 20_000_000
"""Most rows (or CSV lines) in one table by default: a 100,000-patient cohort has about 13 million symptom rows.
The budget in force is :func:`max_rows` (raised by ``OMALIZUMAB_MAX_TABLE_ROWS``)."""
ROWS_SETTING = "OMALIZUMAB_MAX_TABLE_ROWS"
"""Environment variable raising (or lowering) the rows per table; see the module's docstring."""
MAX_COLUMNS = 1_000
"""Most columns in one table (the data contract has fewer than 30)."""
MAX_SHEET_CELLS = 16 * 1_048_576
"""Most cells of one sheet's used rectangle (rows x columns): a full Excel sheet of 16 columns."""
MAX_CSV_CELLS = 40_000_000
"""Most cells (lines x columns) of one CSV table."""
MAX_PARQUET_CELLS = 150_000_000
"""Most cells (rows x columns) of one Parquet table."""
MAX_DECODED_BYTES = 1024 * 1024 * 1024
"""Largest size of one Parquet table once decoded in memory (from its metadata and dictionaries)."""
MAX_NAME_CHARS = 300
"""Longest text in a column of the data contract (identifiers, symptom, centre, analyte names) and in a header."""
MAX_TEXT_CHARS = 5_000
"""Longest text in any other column (free-text notes kept as written)."""

SPLIT_ADVICE = (
    "Split the file: one table per file (patients.csv, symptoms.csv, ...) in a .zip, "
    "or the cohort in several parts by centre or by period, each loaded on its own."
)


def max_rows() -> int:
    """Rows per table in force: ``OMALIZUMAB_MAX_TABLE_ROWS`` when set, else :data:`MAX_ROWS`.

    Raises
    ------
    CohortError
        When the setting is not a positive whole number (a setting of the
        server, said as such: the file is not at fault).
    """
    text = os.environ.get(ROWS_SETTING, "").strip()
    if not text:
        return MAX_ROWS
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise CohortError(problems=[Problem(
            ERROR, None,
            f"The setting {ROWS_SETTING} is '{text[:40]}': it must be a whole number of rows per table "
            f"(e.g. {ROWS_SETTING}=60000000). Correct it in the environment the dashboard or the command runs in, or remove it "
            f"(default {MAX_ROWS:,}).",
            where=f"setting {ROWS_SETTING}",
        )])
    return value


def scaled(limit: int) -> int:
    """A per-table size budget grown in proportion to a raised row budget (never lowered)."""
    rows = max_rows()
    return limit if rows <= MAX_ROWS else int(limit * (rows / MAX_ROWS))


RAISE_ADVICE = (
    f"Whoever runs the dashboard or the command line can raise this limit: environment variable {ROWS_SETTING} "
    "(rows per table, e.g. 60000000) or the command line's --max-table-rows; the size limits of a table grow with it."
)


def budget_error(message: str, where: str, table: str | None = None, column: str | None = None) -> CohortError:
    """A CohortError for a budget exceeded: what, where, and how to split."""
    return CohortError(problems=[Problem(ERROR, table, f"{message} {SPLIT_ADVICE}", where=where, column=column)])


def too_large_upload(name: str, size: int) -> Problem:
    return Problem(
        ERROR,
        None,
        f"This file is {megabytes(size)}, more than the {megabytes(MAX_UPLOAD_BYTES)} the dashboard accepts for "
        "one uploaded file. It was not read. Upload the tables as Parquet files, or compress them into a .zip "
        "(CSV tables shrink about tenfold).",
        where=f"file {name}",
    )


def too_large_member(filename: str, size: int) -> str:
    return (
        f"The file '{filename}' in the zip is {megabytes(size)} once uncompressed, more than the "
        f"{megabytes(MAX_MEMBER_BYTES)} the dashboard accepts for one table (limit: uncompressed size per file). "
        + SPLIT_ADVICE
    )


def too_large_total(size: int) -> str:
    return (
        f"The files in this zip come to {megabytes(size)} or more once uncompressed, more than the "
        f"{megabytes(MAX_TOTAL_BYTES)} the dashboard accepts (limit: total uncompressed size). " + SPLIT_ADVICE
    )


MAX_ZIP_ENTRIES = 10_000
"""Most files listed in one zip or workbook (a workbook of five sheets lists about fifteen)."""


def check_zip_entries(content: bytes, where: str) -> None:
    """Refuse a zip (or workbook) listing more files than the budget, from its end record, before opening it.

    Opening a zip reads its whole directory into memory, about 500 bytes per
    file: a 50 MB zip of empty files would cost gigabytes before any check.
    """
    tail = content[-(65_536 + 22):]
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or end + 22 > len(tail):
        return  # not a zip: the opening explains it
    entries = int.from_bytes(tail[end + 10 : end + 12], "little")
    declared = int.from_bytes(tail[end + 12 : end + 16], "little")
    if entries == 0xFFFF or declared == 0xFFFFFFFF:  # Zip64: count from the directory's size instead
        entries = max(entries, declared // 46)
    if entries > MAX_ZIP_ENTRIES:
        raise budget_error(
            f"This file lists {entries:,} files inside it, more than the {MAX_ZIP_ENTRIES:,} the dashboard opens "
            "(limit: files per zip).",
            where,
        )


def check_shape(rows: int, columns: int, cells_limit: int, where: str, table: str | None, row_word: str = "rows") -> None:
    """Refuse a table whose declared or counted size exceeds the row, column or cell budget."""
    limit = max_rows()
    if rows > limit:
        raise budget_error(
            f"This table has {rows:,} {row_word}, more than the {limit:,} the dashboard reads in one table "
            f"(limit: rows per table). {RAISE_ADVICE}",
            where,
            table,
        )
    if columns > MAX_COLUMNS:
        raise budget_error(
            f"This table has {columns:,} columns, more than the {MAX_COLUMNS:,} the dashboard reads in one table "
            "(limit: columns per table). Delete the columns the dashboard does not use.",
            where,
            table,
        )
    if rows * columns > cells_limit:
        raise budget_error(
            f"This table spans {rows:,} {row_word} by {columns:,} columns, {rows * columns:,} cells, more than the "
            f"{cells_limit:,} the dashboard reads in one table of this kind (limit: cells per table).",
            where,
            table,
        )


def text_limit(column: str, table: str) -> int:
    """Longest text allowed in a cell of this (normalised) column."""
    return MAX_NAME_CHARS if column in _CONTRACT_COLUMNS.get(table, ()) else MAX_TEXT_CHARS


_FREE_TEXT = {"prior_therapies"}  # a list of treatments may run longer than a name
_CONTRACT_COLUMNS = {
    table: {column.name for column in columns if column.name not in _FREE_TEXT} for table, columns in TABLE_COLUMNS.items()
}


def check_text_lengths(raw: RawTable, *, cells: bool = True) -> RawTable:
    """Refuse any header or text cell longer than its budget, naming the first such cell of each column.

    Run on every table read, whatever its form (``cells=False``: headers only,
    for Parquet, whose cells are checked before decoding); the checks are
    vectorised and cost little next to the reading itself.
    """
    problems = []
    for name, written in raw.original_columns.items():
        if len(str(written)) > MAX_NAME_CHARS:
            problems.append(Problem(
                ERROR, raw.name,
                f"A column header is {len(str(written)):,} characters long, more than the {MAX_NAME_CHARS} allowed "
                "(limit: text per cell). Give the column a short name.",
                where=raw.origin, column=str(written)[:40] + "…",
            ))
    for name, column in raw.frame.items() if cells else ():
        limit = text_limit(name, raw.name)
        lengths = _text_lengths(column)
        if lengths is None:
            continue
        over = np.flatnonzero(lengths > limit)
        if over.size:
            first = int(over[0])
            problems.append(Problem(
                ERROR, raw.name,
                f"This cell holds {int(lengths[first]):,} characters, more than the {limit:,} allowed in this column "
                f"(limit: text per cell; {over.size:,} cell(s) of this column are too long). "
                "It was probably pasted by mistake: shorten it, or move long notes out of the cohort file.",
                where=raw.where(first), column=raw.column_label(name),
            ))
    if problems:
        raise CohortError(problems=problems)
    return raw


def _text_lengths(column: pd.Series) -> np.ndarray | None:
    """Characters in each text cell (0 for anything else), or None for a column without text."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = column.cat.categories
        if not len(categories):
            return None
        lengths = pd.Series(categories).map(lambda v: len(v) if isinstance(v, str) else 0).to_numpy(dtype=np.int64)
        codes = column.array.codes  # a view: .cat.codes copies into a new Series
        return np.where(codes >= 0, np.append(lengths, 0)[codes], 0)
    if pd.api.types.is_string_dtype(column.dtype) and column.dtype != object:
        return column.str.len().fillna(0).to_numpy(dtype=np.int64)
    if column.dtype != object:
        return None
    # Object columns (workbooks): only strings have a length; numbers, dates count 0.
    # Measured once per distinct value (a column holds few: ids, symptom names, scores).
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    lengths = np.fromiter((len(v) if type(v) is str else 0 for v in uniques), dtype=np.int64, count=len(uniques))
    if not lengths.any():
        return None
    return np.append(lengths, 0)[codes]
