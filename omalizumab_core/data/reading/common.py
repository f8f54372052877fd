"""What every reader of the package shares: table names, blank cells, column names, errors.

The modules of :mod:`omalizumab_core.data.reading` each read one form of file
(workbook, CSV text, Parquet, zip or folder); this one holds the rules they
apply alike, so that a table reads the same whatever form it came in.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from omalizumab_core.data.cohort import TABLES
from omalizumab_core.data.problems import ERROR, CohortError, Problem
from omalizumab_core.data.raw import RawTable

HEADER_SEARCH_ROWS = 20
"""The header row is looked for among this many first rows (or CSV records)."""

_NORMALISE = re.compile(r"[\s\-]+")

_SYNONYMS = {
    "patient": "patients",
    "symptom": "symptoms",
    "dose": "doses",
    "dosing": "doses",
    "ae": "adverse_events",
    "aes": "adverse_events",
    "adverse_event": "adverse_events",
    "safety": "adverse_events",
    "lab": "labs",
    "laboratory": "labs",
    "biology": "labs",
}
_TABLE_OF = {**{name: name for name in TABLES}, **_SYNONYMS}

EXCEL = (".xlsx", ".xlsm")
ZIP = (".zip",)
CSV = (".csv", ".tsv")
PARQUET = (".parquet",)

TABLE_LIST = ", ".join(TABLES[:-1]) + " and " + TABLES[-1]
FORMS = (
    "The dashboard reads an Excel workbook (.xlsx) with one sheet per table, "
    "a .zip file or a folder holding one .csv or .parquet file per table, "
    "or several .csv or .parquet files uploaded together. "
    f"The tables are named {TABLE_LIST}; patients and symptoms are required."
)


@dataclass(frozen=True)
class Found:
    """A table read from the input, and the file that held it (for messages)."""

    table: RawTable
    container: str | None = None
    warnings: tuple = ()

    @property
    def label(self) -> str:
        if self.container is None:
            return self.table.origin
        return f"{self.table.origin} in {self.container}"


def names_patient_id(cells: Sequence) -> bool:
    return any(isinstance(cell, str) and normalise(cell) == "patient_id" for cell in cells)



def normalise(name: object) -> str:
    """Column or table name as the data contract spells it: "Adverse events" -> "adverse_events"."""
    text = str(name).replace("\ufeff", "").strip().lower()
    return _NORMALISE.sub("_", text)


def table_named(name: str) -> str | None:
    """Data-contract table for a sheet name or file stem, or None."""
    return _TABLE_OF.get(normalise(name))


def table_of_file(filename: str) -> str | None:
    return table_named(filename[: -len(extension(filename))] if extension(filename) else filename)


def extension(filename: str) -> str:
    return os.path.splitext(filename)[1].lower()


def base_name(name: object) -> str:
    """File name without any folder a browser may have sent with it."""
    return re.split(r"[\\/]", str(name))[-1].strip() or "uploaded file"


def file_names(extension: str) -> str:
    names = [f"{table}{extension}" for table in TABLES]
    return ", ".join(names[:-1]) + " or " + names[-1]


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB"


def content_kind(content: bytes) -> str | None:
    """What the first bytes say the file really is, for messages."""
    signatures = (
        (b"%PDF", "a PDF document"),
        (b"PK\x03\x04", "a zip file or Excel workbook"),
        (b"\xd0\xcf\x11\xe0", "an old-format Excel (.xls) or password-protected Office file"),
        (b"PAR1", "a Parquet file"),
        (b"{\\rtf", "a Word (RTF) document"),
    )
    for signature, kind in signatures:
        if content.startswith(signature):
            return kind
    return None


def renamed_csv(content: bytes, extension: str) -> str | None:
    """Why a file named ``.xlsx`` or ``.zip`` could not be opened, when it is really a CSV (renamed by hand), else None."""
    head = content[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="replace")
    elif not head.strip() or b"\x00" in head or content_kind(content):
        return None
    else:
        text = head.decode("utf-8", errors="replace")
    control = sum(1 for c in text if (c < " " and c not in "\t\r\n") or c == "\ufffd")
    first_line = text.split("\n", 1)[0]
    if control > len(text) // 100 or "\n" not in text or not any(mark in first_line for mark in ",;\t"):  # a header line, then rows
        return None
    return (
        f"it is a CSV text file renamed {extension}. Name it after its table with the .csv extension "
        f"(patients.csv, symptoms.csv...) and upload it as it is, or open it in Excel and save it as an Excel workbook (.xlsx)"
    )


def blank_value(value: object) -> bool:
    """True for None, NaN and empty or whitespace-only text."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return value != value  # NaN
    return False


def blank_cells(column: pd.Series) -> np.ndarray:
    """Vectorised ``blank_value`` for a column."""
    blank = column.isna().to_numpy(dtype=bool, copy=True)
    if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
        try:
            text = column.str
        except AttributeError:  # an object column without any text
            return blank
        empty = (column == "") | text.isspace()
        blank |= empty.fillna(False).to_numpy(dtype=bool)
    return blank


def without_blank_rows(table: RawTable) -> RawTable:
    """The same table without its fully blank rows; row numbers follow the rows kept."""
    frame = table.frame
    if frame.shape[1] == 0:
        return table
    blank = np.ones(len(frame), dtype=bool)
    for _, column in frame.items():
        blank &= blank_cells(column)
        if not blank.any():
            return table  # a column filled on every row (patient_id, usually the first): no row is blank
    keep = ~blank
    return RawTable(
        table.name,
        frame.loc[keep].reset_index(drop=True),
        table.origin,
        table.row_word,
        table.row_numbers[keep],
        table.original_columns,
        table.decimal_mark,
    )


def column_names(
    headers: Sequence[str | None],
    has_data: Callable[[int], bool],
    origin: str,
    table: str,
    column_label: Callable[[int], str],
) -> tuple[list[int], list[str], dict]:
    """Positions kept, their normalised names and the names as written.

    A column without a header is dropped when it is empty (Excel's trailing
    separators) and named ``column_<label>`` otherwise, so no data is lost.
    Two columns with the same normalised name are an error: which one is meant
    cannot be guessed.
    """
    keep, names, originals = [], [], {}
    problems = []
    for position, header in enumerate(headers):
        written = "" if blank_value(header) else str(header).replace("\ufeff", "")
        if written.strip():
            name = normalise(written)
        elif has_data(position):
            label = column_label(position)
            name, written = f"column_{label.lower()}", f"(no header, column {label})"
        else:
            continue
        if name in originals:
            problems.append(
                Problem(
                    ERROR,
                    table,
                    f"This table has two columns named '{name}' ('{originals[name]}' and '{written}'). "
                    "Rename or delete one of them.",
                    where=origin,
                    column=written,
                )
            )
            continue
        keep.append(position)
        names.append(name)
        originals[name] = written
    if problems:
        raise CohortError(problems=problems)
    return keep, names, originals


def header_position(rows: Sequence[Sequence], numbers: Sequence[int]) -> int:
    """Index of the header among the non-blank sheet rows.

    The header is the first row naming ``patient_id`` among the first
    ``HEADER_SEARCH_ROWS`` sheet rows (titles may stand above the table),
    otherwise the first non-blank row.
    """
    for index, (cells, number) in enumerate(zip(rows, numbers)):
        if number > HEADER_SEARCH_ROWS:
            break
        if names_patient_id(cells):
            return index
    return 0


def empty_table(table: str, origin: str, row_word: str) -> RawTable:
    """A table with no column and no row (a blank sheet or an empty file)."""
    return RawTable(table, pd.DataFrame(), origin, row_word, np.zeros(0, dtype=np.int64), {})


def cohort_error(message: str, where: str | None = None, table: str | None = None) -> CohortError:
    """A CohortError carrying one blocking problem."""
    return CohortError(problems=[Problem(ERROR, table, message, where=where)])


def filled_width(cells: Sequence) -> int:
    """Position after the last non-blank cell (0 for a blank row)."""
    for position in range(len(cells) - 1, -1, -1):  # usually stops at once
        if not blank_value(cells[position]):
            return position + 1
    return 0


def pad(cells: Sequence, width: int) -> tuple:
    cells = tuple(cells[:width])
    return cells + (None,) * (width - len(cells))
