"""Read a cohort file into raw tables, in memory, without judging its content.

The reader accepts the forms a clinician is likely to have, one module each:

* an Excel workbook (``.xlsx``/``.xlsm``) with one sheet per table
  (:mod:`~omalizumab_core.data.reading.workbook`, python-calamine);
* a ``.zip`` file holding ``<table>.csv`` and/or ``<table>.parquet`` files,
  at its top level or inside one folder, or a folder of such files
  (:func:`read_path` only) (:mod:`~omalizumab_core.data.reading.archive`);
* CSV text (:mod:`~omalizumab_core.data.reading.csv_text`) and Parquet
  (:mod:`~omalizumab_core.data.reading.parquet`) tables, alone or uploaded
  together (:func:`read_upload`).

It returns a :class:`~omalizumab_core.data.raw.RawCohort`: the tables as written,
with normalised column names and the row numbers the user sees. Checking the
content (missing tables, types, codes) is the validator's job. When a file
cannot be read at all, the reader raises one :class:`CohortError` listing every
located, plain-English problem it found, and never any other exception for any
file content.

Privacy
-------
Uploaded files are health data. They are parsed from memory only: nothing is
written to disk, nothing is logged, and exceptions raised by the parsers are
dropped (``raise ... from None``) so that their text, which can quote cell
values, never reaches a log through an exception chain.

Limits
------
An uploaded file larger than :data:`MAX_UPLOAD_BYTES` is refused before any
parsing (the web uploader's own limit, ``server.maxUploadSize``, should stop it
first; this one also holds when the loader is called directly). Every other
size (uncompressed bytes, rows, columns, cells, text per cell, decoded
Parquet size) has a budget checked before the expensive step
(:mod:`~omalizumab_core.data.reading.budgets`); exceeding one is a located
error, never a truncation.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from omalizumab_core.data.cohort import TABLES
from omalizumab_core.data.problems import ERROR, CohortError, Problem
from omalizumab_core.data.raw import RawCohort
from omalizumab_core.data.reading import budgets
from omalizumab_core.data.reading.archive import tables_from_folder, tables_from_zip
from omalizumab_core.data.reading.budgets import (
    MAX_MEMBER_BYTES,
    MAX_TOTAL_BYTES,
    MAX_UPLOAD_BYTES,
    too_large_upload,
)
from omalizumab_core.data.reading.common import (
    CSV,
    EXCEL,
    FORMS,
    PARQUET,
    ZIP,
    Found,
    base_name,
    cohort_error,
    extension,
    file_names,
    table_of_file,
)
from omalizumab_core.data.reading.tables import read_table_file
from omalizumab_core.data.reading.workbook import tables_from_workbook

__all__ = ["read_path", "read_upload", "MAX_UPLOAD_BYTES", "MAX_MEMBER_BYTES", "MAX_TOTAL_BYTES"]


def read_path(path: str | os.PathLike) -> RawCohort:
    """Read a cohort from a workbook, zip, CSV/parquet file or folder on disk.

    Parameters
    ----------
    path : str or PathLike
        An ``.xlsx`` workbook, a ``.zip`` file, a single ``<table>.csv`` or
        ``<table>.parquet`` file, or a folder of such files.

    Returns
    -------
    RawCohort
        Every table found, keyed by data-contract name; ``source`` is the file
        name or "folder <name>".

    Raises
    ------
    CohortError
        When nothing can be read or the input is malformed (damaged file,
        duplicate table or column, unsafe zip, no table at all).
    """
    location = Path(os.fspath(path))
    name = location.name or str(location)
    budgets.max_rows()  # a wrong OMALIZUMAB_MAX_TABLE_ROWS is said once, before any file
    try:
        if location.is_dir():
            return _assemble(tables_from_folder(location), f"folder {name}")
        if not location.is_file():
            raise cohort_error(f"No file or folder was found at '{location}'. Check the path.", where=f"file {name}")
        content = location.read_bytes()
    except CohortError:
        raise
    except OSError:
        raise cohort_error(
            "This file or folder could not be opened. Check that it exists and that you are allowed to read it.",
            where=f"file {name}",
        ) from None
    return _assemble(_read_file_safely(name, content), name)


def read_upload(files: Sequence[tuple[str, bytes]]) -> RawCohort:
    """Read a cohort from files sent by a web uploader, in memory only.

    Parameters
    ----------
    files : sequence of (str, bytes)
        ``(filename, content)`` pairs: one workbook, one zip, or several
        ``<table>.csv``/``<table>.parquet`` files.

    Returns
    -------
    RawCohort
        Every table found; ``source`` is the file name for one file, otherwise
        "<n> uploaded files".

    Raises
    ------
    CohortError
        When a file cannot be read, has an unexpected type or name, is larger
        than :data:`MAX_UPLOAD_BYTES`, or when no table is found. Problems of every file are reported together.
    TypeError
        When ``content`` is not bytes: a programming error, not a user's one.
    """
    files = list(files)
    if not files:
        raise cohort_error("No file was uploaded. " + FORMS)
    budgets.max_rows()  # a wrong OMALIZUMAB_MAX_TABLE_ROWS is said once, before any file
    found: list[Found] = []
    problems: list[Problem] = []
    for raw_name, content in files:
        if not isinstance(content, (bytes, bytearray, memoryview)):
            raise TypeError(f"uploaded content must be bytes, not {type(content).__name__}")
        name = base_name(raw_name)
        if len(content) > budgets.MAX_UPLOAD_BYTES:
            problems.append(too_large_upload(name, len(content)))
            continue
        try:
            found.extend(_read_file_safely(name, bytes(content)))
        except CohortError as error:
            problems.extend(error.problems)
    if problems:
        raise CohortError(problems=problems)
    source = base_name(files[0][0]) if len(files) == 1 else f"{len(files)} uploaded files"
    return _assemble(found, source)


# --- dispatch by kind of file ------------------------------------------------------


def _read_file_safely(name: str, content: bytes) -> list[Found]:
    """Tables of one file; any unexpected parser failure becomes a CohortError."""
    try:
        return _tables_from_file(name, content)
    except CohortError:
        raise
    except MemoryError:
        raise cohort_error("This file is too large to be read in memory.", where=f"file {name}") from None
    except Exception:
        raise cohort_error(
            "This file could not be read: it may be damaged, or another kind of file renamed. "
            "Save it again from the program that made it.",
            where=f"file {name}",
        ) from None


def _tables_from_file(name: str, content: bytes) -> list[Found]:
    """Tables of one named file (workbook, zip, or a CSV/parquet named after a table)."""
    kind_of_file = extension(name)
    if kind_of_file in EXCEL:
        return tables_from_workbook(name, content)
    if kind_of_file in ZIP:
        return tables_from_zip(name, content)
    if kind_of_file in CSV + PARQUET:
        table = table_of_file(name)
        if table is None:
            raise cohort_error(
                f"The file '{name}' is not named after a table, so the dashboard cannot tell what it holds. "
                f"Name each file after its table: {file_names('.csv')} (or .parquet).",
                where=f"file {name}",
            )
        return [Found(read_table_file(content, name, table))]
    if kind_of_file == ".xls":
        raise cohort_error(
            "This is an old-format Excel workbook (.xls), which the dashboard cannot read. "
            "Open it in Excel and save it as 'Excel Workbook (.xlsx)'.",
            where=f"file {name}",
        )
    kind = f"'{kind_of_file}' files" if kind_of_file else "files without an extension"
    raise cohort_error(f"The dashboard cannot read {kind}. " + FORMS, where=f"file {name}")


def _assemble(found: Iterable[Found], source: str) -> RawCohort:
    """Gather tables into a RawCohort, refusing a table given twice."""
    first: dict[str, Found] = {}
    problems = []
    for item in found:
        name = item.table.name
        if name in first:
            problems.append(
                Problem(
                    ERROR,
                    name,
                    f"The table '{name}' was found twice: {first[name].label} and {item.label}. "
                    "Keep only one of them.",
                    where=f"{first[name].label} and {item.label}",
                )
            )
        else:
            first[name] = item
    if problems:
        raise CohortError(problems=problems)
    if not first:
        raise cohort_error("No table was found. " + FORMS)
    warnings = tuple(warning for name in TABLES if name in first for warning in first[name].warnings)
    return RawCohort(tables={name: first[name].table for name in TABLES if name in first}, source=source, warnings=warnings)
