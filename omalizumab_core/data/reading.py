"""Read a cohort file into raw tables, in memory, without judging its content.

The reader accepts the forms a clinician is likely to have:

* an Excel workbook (``.xlsx``/``.xlsm``) with one sheet per table;
* a ``.zip`` file holding ``<table>.csv`` and/or ``<table>.parquet`` files,
  at its top level or inside one folder;
* a folder of ``<table>.csv``/``<table>.parquet`` files (:func:`read_path` only);
* several loose ``.csv``/``.parquet`` files uploaded together
  (:func:`read_upload` only), or a single workbook or zip.

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
first; this one also holds when the loader is called directly). Inside a zip,
a member larger than :data:`MAX_MEMBER_BYTES` once uncompressed, or members
totalling more than :data:`MAX_TOTAL_BYTES`, are refused (zip bombs). Excel
sheets are read until :data:`MAX_BLANK_RUN` consecutive blank rows: formatting
applied down to row 1,048,576 must not cost minutes, so any value far below
such a gap is not read.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.utils import get_column_letter

from omalizumab_core.data.cohort import TABLES
from omalizumab_core.data.problems import ERROR, CohortError, Problem
from omalizumab_core.data.raw import RawCohort, RawTable

__all__ = ["read_path", "read_upload", "MAX_UPLOAD_BYTES", "MAX_MEMBER_BYTES", "MAX_TOTAL_BYTES", "MAX_BLANK_RUN"]

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
"""Largest uploaded file, as sent (the same 50 MB as ``server.maxUploadSize``)."""
MAX_MEMBER_BYTES = 200 * 1024 * 1024
"""Largest uncompressed size of one file inside a zip."""
MAX_TOTAL_BYTES = 500 * 1024 * 1024
"""Largest uncompressed size of all the tables read from one zip."""
MAX_BLANK_RUN = 1_000
"""Consecutive blank sheet rows after which the rest of a sheet is not read."""
HEADER_SEARCH_ROWS = 20
"""The header row is looked for among this many first rows (or CSV records)."""

_SAMPLE_BYTES = 64 * 1024  # enough lines to detect a CSV separator and header
_UTF8_CHUNK = 16 * 1024 * 1024  # validate UTF-8 by chunks to bound memory
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

_EXCEL = (".xlsx", ".xlsm")
_ZIP = (".zip",)
_CSV = (".csv", ".tsv")
_PARQUET = (".parquet",)

_TABLE_LIST = ", ".join(TABLES[:-1]) + " and " + TABLES[-1]
_FORMS = (
    "The dashboard reads an Excel workbook (.xlsx) with one sheet per table, "
    "a .zip file or a folder holding one .csv or .parquet file per table, "
    "or several .csv or .parquet files uploaded together. "
    f"The tables are named {_TABLE_LIST}; patients and symptoms are required."
)
_RESAVE_CSV = "Export the table again from your spreadsheet with 'Save as' and the type 'CSV UTF-8'."


@dataclass(frozen=True)
class _Found:
    """A table read from the input, and the file that held it (for messages)."""

    table: RawTable
    container: str | None = None

    @property
    def label(self) -> str:
        if self.container is None:
            return self.table.origin
        return f"{self.table.origin} in {self.container}"


# --- public API --------------------------------------------------------------------


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
    try:
        if location.is_dir():
            return _assemble(_tables_from_folder(location), f"folder {name}")
        if not location.is_file():
            raise _error(f"No file or folder was found at '{location}'. Check the path.", where=f"file {name}")
        content = location.read_bytes()
    except CohortError:
        raise
    except OSError:
        raise _error(
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
        raise _error("No file was uploaded. " + _FORMS)
    found: list[_Found] = []
    problems: list[Problem] = []
    for raw_name, content in files:
        if not isinstance(content, (bytes, bytearray, memoryview)):
            raise TypeError(f"uploaded content must be bytes, not {type(content).__name__}")
        name = _base_name(raw_name)
        if len(content) > MAX_UPLOAD_BYTES:
            problems.append(_too_large_upload(name, len(content)))
            continue
        try:
            found.extend(_read_file_safely(name, bytes(content)))
        except CohortError as error:
            problems.extend(error.problems)
    if problems:
        raise CohortError(problems=problems)
    source = _base_name(files[0][0]) if len(files) == 1 else f"{len(files)} uploaded files"
    return _assemble(found, source)


# --- dispatch by kind of file ------------------------------------------------------


def _read_file_safely(name: str, content: bytes) -> list[_Found]:
    """Tables of one file; any unexpected parser failure becomes a CohortError."""
    try:
        return _tables_from_file(name, content)
    except CohortError:
        raise
    except MemoryError:
        raise _error("This file is too large to be read in memory.", where=f"file {name}") from None
    except Exception:
        raise _error(
            "This file could not be read: it may be damaged, or another kind of file renamed. "
            "Save it again from the program that made it.",
            where=f"file {name}",
        ) from None


def _tables_from_file(name: str, content: bytes) -> list[_Found]:
    """Tables of one named file (workbook, zip, or a CSV/parquet named after a table)."""
    extension = _extension(name)
    if extension in _EXCEL:
        return _tables_from_workbook(name, content)
    if extension in _ZIP:
        return _tables_from_zip(name, content)
    if extension in _CSV + _PARQUET:
        table = _table_of_file(name)
        if table is None:
            raise _error(
                f"The file '{name}' is not named after a table, so the dashboard cannot tell what it holds. "
                f"Name each file after its table: {_file_names('.csv')} (or .parquet).",
                where=f"file {name}",
            )
        return [_Found(_read_table_file(content, name, table))]
    if extension == ".xls":
        raise _error(
            "This is an old-format Excel workbook (.xls), which the dashboard cannot read. "
            "Open it in Excel and save it as 'Excel Workbook (.xlsx)'.",
            where=f"file {name}",
        )
    kind = f"'{extension}' files" if extension else "files without an extension"
    raise _error(f"The dashboard cannot read {kind}. " + _FORMS, where=f"file {name}")


def _read_table_file(content: bytes, origin: str, table: str) -> RawTable:
    """One CSV or parquet table; unexpected parser failures become a CohortError."""
    try:
        if _extension(origin) in _PARQUET:
            return _read_parquet(content, origin, table)
        return _read_csv(content, origin, table)
    except CohortError:
        raise
    except MemoryError:
        raise _error("This file is too large to be read in memory.", where=origin, table=table) from None
    except Exception:
        raise _error(
            "This file could not be read: it may be damaged or another kind of file renamed. "
            "Save it again from the program that made it.",
            where=origin,
            table=table,
        ) from None


def _assemble(found: Iterable[_Found], source: str) -> RawCohort:
    """Gather tables into a RawCohort, refusing a table given twice."""
    first: dict[str, _Found] = {}
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
        raise _error("No table was found. " + _FORMS)
    return RawCohort(tables={name: first[name].table for name in TABLES if name in first}, source=source)


# --- Excel -------------------------------------------------------------------------


def _tables_from_workbook(name: str, content: bytes) -> list[_Found]:
    """Tables of a workbook: one per sheet named after a table; other sheets ignored."""
    workbook = _open_workbook(name, content)
    found, problems, titles = [], [], []
    try:
        for sheet in workbook.worksheets:
            titles.append(sheet.title)
            table = _table_named(sheet.title)
            if table is None:
                continue  # README, data_dictionary, notes...
            try:
                found.append(_Found(_read_sheet_safely(sheet, table), name))
            except CohortError as error:
                problems.extend(error.problems)
    finally:
        workbook.close()
    if problems:
        raise CohortError(problems=problems)
    if not found:
        sheets = ", ".join(f"'{title}'" for title in titles) or "none"
        raise _error(
            f"No sheet of this workbook is named after a table (its sheets: {sheets}). "
            f"Name the sheets {_TABLE_LIST}; patients and symptoms are required.",
            where=f"file {name}",
        )
    return found


def _open_workbook(name: str, content: bytes):
    """Open a workbook read-only with cached formula values, or explain why not."""
    try:
        # read_only streams the sheets (fast, bounded memory); data_only gives the
        # values Excel cached for formulas instead of the formula text.
        return openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
    except Exception:
        kind = _content_kind(content)
        if not content:
            reason = "the file is empty"
        elif kind and not content.startswith(b"PK"):
            reason = f"it is {kind}, not a workbook"
        else:
            reason = "it may be damaged or another kind of file renamed .xlsx"
        raise _error(
            f"This file could not be read as an Excel workbook: {reason}. Save it again from Excel as .xlsx.",
            where=f"file {name}",
        ) from None


def _read_sheet_safely(sheet, table: str) -> RawTable:
    try:
        return _read_sheet(sheet, table)
    except CohortError:
        raise
    except Exception:
        raise _error(
            "This sheet could not be read: the workbook may be damaged. Save it again from Excel as .xlsx.",
            where=f"sheet '{sheet.title}'",
            table=table,
        ) from None


def _read_sheet(sheet, table: str) -> RawTable:
    """Read one sheet as a table, finding its header row.

    Cells keep their Python type (str, int, float, bool, datetime). A formula
    whose value Excel did not cache (e.g. a workbook written by a program
    rather than saved by Excel) is read as blank.
    """
    origin = f"sheet '{sheet.title}'"
    if hasattr(sheet, "reset_dimensions"):
        # The stored dimension can claim 16,384 columns or a million rows; without
        # it openpyxl yields each row only as wide as its last written cell.
        sheet.reset_dimensions()
    rows = list(_filled_rows(sheet.iter_rows(values_only=True)))
    if not rows:
        return _empty_table(table, origin, "row")
    start = _header_position([cells for _, cells in rows], [number for number, _ in rows])
    header = rows[start][1]
    data = rows[start + 1 :]
    width = max([_filled_width(header)] + [len(cells) for _, cells in data])
    matrix = [_pad(cells, width) for _, cells in data]
    frame = pd.DataFrame(matrix, columns=range(width), dtype=object)

    def has_data(position: int) -> bool:
        return any(not _blank_value(cells[position]) for cells in matrix)

    keep, names, originals = _column_names(
        _pad(header, width), has_data, origin, table, lambda position: get_column_letter(position + 1)
    )
    frame = frame.iloc[:, keep].set_axis(names, axis=1)
    numbers = np.array([number for number, _ in data], dtype=np.int64)
    return RawTable(table, frame, origin, "row", numbers, originals)


def _filled_rows(rows: Iterable[tuple]) -> Iterator[tuple[int, tuple]]:
    """(sheet row number, cells trimmed of trailing blanks) of each non-blank row.

    Stops after ``MAX_BLANK_RUN`` consecutive blank rows: a sheet formatted down
    to its last row would otherwise be parsed row by row for minutes.
    """
    blank_run = 0
    for number, cells in enumerate(rows, start=1):
        width = _filled_width(cells)
        if width == 0:
            blank_run += 1
            if blank_run >= MAX_BLANK_RUN:
                return
            continue
        blank_run = 0
        yield number, cells[:width]


def _filled_width(cells: Sequence) -> int:
    """Position after the last non-blank cell (0 for a blank row)."""
    for position in range(len(cells) - 1, -1, -1):  # usually stops at once
        if not _blank_value(cells[position]):
            return position + 1
    return 0


def _pad(cells: Sequence, width: int) -> tuple:
    cells = tuple(cells[:width])
    return cells + (None,) * (width - len(cells))


# --- zip and folder ----------------------------------------------------------------


def _tables_from_zip(name: str, content: bytes) -> list[_Found]:
    """Tables of a zip file, read into memory member by member."""
    where = f"file {name}"
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except Exception:
        kind = _content_kind(content)
        if kind and not content.startswith(b"PK"):
            reason = f"it is {kind}"
        else:
            reason = "it may be incomplete (an interrupted download or copy) or damaged"
        raise _error(f"This file could not be opened as a zip file: {reason}. Create the zip again.", where) from None
    with archive:
        members = archive.infolist()
        unsafe = [info.filename for info in members if _unsafe_member(info.filename)]
        if unsafe:
            raise _error(
                f"The zip file holds a file whose name points outside the zip ('{unsafe[0]}'). "
                "For safety it was not read. Create the zip again from the folder holding your tables.",
                where,
            )
        chosen = [(info, table) for info in members if (table := _zip_member_table(info)) is not None]
        if not chosen:
            raise _error(_empty_zip_message(members), where)
        _check_declared_sizes([info for info, _ in chosen], where)
        found, problems, total = [], [], 0
        for info, table in chosen:
            data = _read_member(archive, info, where)
            total += len(data)
            if total > MAX_TOTAL_BYTES:
                raise _error(_too_large_total(total), where)
            try:
                found.append(_Found(_read_table_file(data, _member_path(info.filename), table), name))
            except CohortError as error:
                problems.extend(error.problems)
    if problems:
        raise CohortError(problems=problems)
    return found


def _member_path(filename: str) -> str:
    """Member name with '/' separators (some Windows tools write backslashes)."""
    return filename.replace("\\", "/")


def _unsafe_member(filename: str) -> bool:
    """True for absolute names and names climbing out of the zip ("../x.csv")."""
    path = _member_path(filename)
    return path.startswith("/") or re.match(r"^[A-Za-z]:", path) is not None or ".." in path.split("/")


def _zip_member_table(info: zipfile.ZipInfo) -> str | None:
    """Table held by a zip member, or None for anything else (folders, __MACOSX, dotfiles)."""
    if info.is_dir():
        return None
    parts = [part for part in _member_path(info.filename).split("/") if part]
    if not parts or len(parts) > 2 or parts[0] == "__MACOSX" or any(part.startswith(".") for part in parts):
        return None
    if _extension(parts[-1]) not in _CSV + _PARQUET:
        return None
    return _table_of_file(parts[-1])


def _check_declared_sizes(members: list[zipfile.ZipInfo], where: str) -> None:
    """Refuse oversized members before decompressing anything."""
    for info in members:
        if info.file_size > MAX_MEMBER_BYTES:
            raise _error(_too_large_member(info.filename, info.file_size), where)
    total = sum(info.file_size for info in members)
    if total > MAX_TOTAL_BYTES:
        raise _error(_too_large_total(total), where)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> bytes:
    """Decompress one member into memory, never past the size limit."""
    try:
        with archive.open(info) as handle:
            # The declared size can lie; reading one byte past the limit is the
            # only check that does not trust the archive.
            data = handle.read(MAX_MEMBER_BYTES + 1)
    except Exception:
        raise _error(
            f"The file '{_member_path(info.filename)}' could not be read from the zip: the zip may be damaged "
            "or protected by a password. Create the zip again, without a password.",
            where,
        ) from None
    if len(data) > MAX_MEMBER_BYTES:
        raise _error(_too_large_member(info.filename, len(data)), where)
    return data


def _too_large_upload(name: str, size: int) -> Problem:
    return Problem(
        ERROR,
        None,
        f"This file is {_megabytes(size)}, more than the {_megabytes(MAX_UPLOAD_BYTES)} the dashboard accepts for "
        "one uploaded file. It was not read. Upload the tables as Parquet files, or compress them into a .zip "
        "(CSV tables shrink about tenfold).",
        where=f"file {name}",
    )


def _too_large_member(filename: str, size: int) -> str:
    return (
        f"The file '{_member_path(filename)}' in the zip is {_megabytes(size)} once uncompressed, more than the "
        f"{_megabytes(MAX_MEMBER_BYTES)} the dashboard accepts for one table."
    )


def _too_large_total(size: int) -> str:
    return (
        f"The tables in this zip come to {_megabytes(size)} or more once uncompressed, more than the "
        f"{_megabytes(MAX_TOTAL_BYTES)} the dashboard accepts."
    )


def _empty_zip_message(members: list[zipfile.ZipInfo]) -> str:
    names = {_member_path(info.filename) for info in members}
    if "[Content_Types].xml" in names:
        return "This file is an Excel workbook renamed .zip. Rename it back to .xlsx."
    return (
        f"This zip file holds no table. Put in it files named {_file_names('.csv')} (or .parquet), "
        "at the top of the zip or inside one folder."
    )


def _tables_from_folder(folder: Path) -> list[_Found]:
    """Tables of a folder: its ``<table>.csv``/``<table>.parquet`` files; others ignored."""
    found, problems = [], []
    for entry in sorted(folder.iterdir()):
        # Dotfiles and Office lock files ("~$...") are never tables.
        if entry.name.startswith((".", "~$")) or _extension(entry.name) not in _CSV + _PARQUET:
            continue
        table = _table_of_file(entry.name)
        if table is None or not entry.is_file():
            continue
        try:
            found.append(_Found(_read_table_file(entry.read_bytes(), entry.name, table)))
        except CohortError as error:
            problems.extend(error.problems)
    if problems:
        raise CohortError(problems=problems)
    if not found:
        raise _error(
            f"This folder holds no table. Put in it files named {_file_names('.csv')} (or .parquet).",
            where=f"folder {folder.name}",
        )
    return found


# --- CSV ---------------------------------------------------------------------------


def _read_csv(content: bytes, origin: str, table: str) -> RawTable:
    """Read a CSV table as text, exactly as written.

    The separator (",", ";" or tab) and the header record (the first of the
    first 20 records naming ``patient_id``, otherwise the first non-blank one)
    are detected on a sample. ``row_numbers`` are physical line numbers (the
    header on line 1 puts the first record on line 2), counting the line breaks
    inside quoted values.
    """
    data = _utf8(content, origin, table)
    sample = _sample_text(data)
    if not sample.strip():
        return _empty_table(table, origin, "line")
    separator = _detect_separator(sample)
    header_index, header_end_line = _csv_header(sample, separator)
    try:
        # header=None so that a data record longer than the header is an error,
        # not silently shifted or truncated; every value stays text.
        frame = pd.read_csv(
            io.BytesIO(data),
            sep=separator,
            header=None,
            skiprows=header_index,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError:
        return _empty_table(table, origin, "line")
    except pd.errors.ParserError as error:
        raise _csv_parse_error(str(error), separator, origin, table, header_end_line - header_index - 1) from None
    if frame.empty:
        return _empty_table(table, origin, "line")
    header = ["" if pd.isna(value) else str(value) for value in frame.iloc[0]]
    frame = frame.iloc[1:].reset_index(drop=True)
    # A line break inside a value needs quotes: without any, records are lines.
    numbers = _csv_line_numbers(frame, header_end_line + 1, quoted=b'"' in data)

    def has_data(position: int) -> bool:
        return not _blank_cells(frame.iloc[:, position]).all()

    keep, names, originals = _column_names(header, has_data, origin, table, lambda position: str(position + 1))
    frame = frame.iloc[:, keep].set_axis(names, axis=1)
    return _without_blank_rows(RawTable(table, frame, origin, "line", numbers, originals))


def _utf8(content: bytes, origin: str, table: str) -> bytes:
    """The content as UTF-8 bytes (BOM kept), whatever its encoding.

    UTF-8 is tried first; otherwise bytes that are not valid UTF-8 are read as
    Windows-1252 (the French/European Excel default), so a file mixing both
    encodings is still read without error.
    """
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export.
        return content.decode("utf-16", errors="replace").encode("utf-8")
    _refuse_binary(content[:_SAMPLE_BYTES], origin, table)
    if content.isascii() or _is_utf8(content):
        return content
    if _UTF8_SEQUENCE.search(content) is None:
        # Pure Windows-1252, by far the commonest case: decode in one C call
        # rather than through the error handler byte by byte.
        return content.decode("cp1252", errors=_CP1252_FALLBACK).encode("utf-8")
    return content.decode("utf-8", errors=_CP1252_FALLBACK).encode("utf-8")


def _is_utf8(content: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(content)
    try:
        for start in range(0, len(view), _UTF8_CHUNK):
            decoder.decode(view[start : start + _UTF8_CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _cp1252_characters() -> list[str]:
    """Windows-1252 reading of each byte; its 5 undefined bytes read as Latin-1."""
    characters = []
    for byte in range(256):
        try:
            characters.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            characters.append(chr(byte))
    return characters


_CP1252 = _cp1252_characters()
# A UTF-8 lead byte followed by a continuation byte: text that is partly UTF-8.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")
_CP1252_FALLBACK = "omalizumab-cp1252-fallback"


def _decode_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read undecodable bytes as Windows-1252 (else Latin-1).

    Used for the bytes that are not UTF-8 in a mixed file, and for the five
    bytes Windows-1252 leaves undefined.
    """
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(_CP1252[byte] for byte in bad), error.end


codecs.register_error(_CP1252_FALLBACK, _decode_as_cp1252)

# Control characters never found in a text table (tab, CR, LF, FF, VT excluded).
_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32)])


def _refuse_binary(sample: bytes, origin: str, table: str) -> None:
    """Raise when the bytes are clearly not text (a workbook, a PDF, random data)."""
    kind = _content_kind(sample)
    if kind is None:
        controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
        if b"\x00" not in sample and controls <= len(sample) // 100:
            return
    found = f"it is {kind}" if kind else "it contains binary data, so it is probably another kind of file renamed .csv"
    raise _error(f"This file could not be read as a CSV text file: {found}. {_RESAVE_CSV}", where=origin, table=table)


def _sample_text(data: bytes) -> str:
    """The first complete lines of the file, as text."""
    sample = data[:_SAMPLE_BYTES]
    if len(data) > _SAMPLE_BYTES:
        cut = max(sample.rfind(b"\n"), sample.rfind(b"\r"))
        if cut > 0:
            sample = sample[:cut]
    return sample.decode("utf-8-sig", errors="replace")


def _sample_records(sample: str, separator: str, limit: int) -> list[list[str]]:
    """Up to ``limit`` records of the sample, parsed with ``separator``."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=separator)
    records = []
    try:
        for cells in reader:
            records.append(cells)
            if len(records) >= limit:
                break
    except csv.Error:
        pass  # a sample cut inside a quoted value: the records so far are enough
    return records


def _detect_separator(sample: str) -> str:
    """The separator that best splits the header and the records like it.

    The header record (the first naming ``patient_id``, otherwise the first
    non-blank one) decides: a separator that splits it into several columns, of
    which most records have as many, wins. More robust than ``csv.Sniffer`` for
    European files, where a decimal comma in every data record would otherwise
    pass for a second separator: the header has no decimal comma.
    """
    best, best_score = ",", None
    for separator in (",", ";", "\t"):
        records = [cells for cells in _sample_records(sample, separator, 50) if any(c.strip() for c in cells)]
        if not records:
            continue
        header = next((cells for cells in records[:HEADER_SEARCH_ROWS] if _names_patient_id(cells)), None)
        named = header is not None
        width = len(header if named else records[0])
        support = sum(len(cells) == width for cells in records)
        score = (named, width > 1, support, width)
        if best_score is None or score > best_score:
            best, best_score = separator, score
    return best


def _names_patient_id(cells: Sequence) -> bool:
    return any(isinstance(cell, str) and _normalise(cell) == "patient_id" for cell in cells)


def _csv_header(sample: str, separator: str) -> tuple[int, int]:
    """(records before the header, physical line on which the header ends)."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=separator)
    first_filled = None
    try:
        for index in range(HEADER_SEARCH_ROWS):
            cells = next(reader, None)
            if cells is None:
                break
            if _names_patient_id(cells):
                return index, reader.line_num
            if first_filled is None and any(cell.strip() for cell in cells):
                first_filled = (index, reader.line_num)
    except csv.Error:
        pass
    return first_filled or (0, 1)


def _csv_line_numbers(frame: pd.DataFrame, first_line: int, quoted: bool) -> np.ndarray:
    """Physical line of each record, adding the line breaks inside quoted values."""
    numbers = np.arange(first_line, first_line + len(frame), dtype=np.int64)
    if not quoted:
        return numbers
    extra = np.zeros(len(frame), dtype=np.int64)
    for _, column in frame.items():
        if column.str.contains("\n", regex=False).any():  # rare: skip the count otherwise
            extra += column.str.count("\n").to_numpy(dtype=np.int64)
    if extra.any():
        numbers[1:] += np.cumsum(extra)[:-1]
    return numbers


def _csv_parse_error(message: str, separator: str, origin: str, table: str, offset: int) -> CohortError:
    """Explain a pandas tokenizing error with the line it names.

    pandas counts records, not lines; ``offset`` adds the extra lines of the
    records up to the header (line breaks in later quoted values are not known).
    """
    shown = {",": "comma (,)", ";": "semicolon (;)", "\t": "tab"}[separator]
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if fields:
        expected, line, saw = (int(group) for group in fields.groups())
        line += offset
        return _error(
            f"Line {line} has {saw} values but the header has {expected} columns. A value probably contains "
            f"the separator, a {shown}: put that value in quotes, or {_RESAVE_CSV[0].lower()}{_RESAVE_CSV[1:]}",
            where=f"{origin}, line {line}",
            table=table,
        )
    quote = re.search(r"EOF inside string starting at row (\d+)", message)
    if quote:
        line = int(quote.group(1)) + 1 + offset
        return _error(
            f'A quote mark (") opened on line {line} is never closed, so the rest of the file would be read '
            "as one value. Remove that quote mark or close it.",
            where=f"{origin}, line {line}",
            table=table,
        )
    return _error(f"This file could not be read as a CSV table. {_RESAVE_CSV}", where=origin, table=table)


# --- parquet -----------------------------------------------------------------------


def _read_parquet(content: bytes, origin: str, table: str) -> RawTable:
    """Read a parquet table with its native column types; rows numbered from 1.

    Native types are kept, except where the validator could not use them:
    date-times with a time zone become the local date-time they show, and
    binary (bytes) values are decoded as text. A column holding lists or nested
    records is an error: a table has one plain value per cell.
    """
    try:
        frame = pd.read_parquet(io.BytesIO(content))
    except Exception:
        duplicate = _parquet_duplicate_column(content)
        if duplicate is not None:
            raise CohortError(problems=[Problem(
                ERROR,
                table,
                f"This table has two columns named '{duplicate}'. Rename or delete one of them.",
                where=origin,
                column=duplicate,
            )]) from None
        kind = _content_kind(content)
        if kind and not content.startswith(b"PAR1"):
            reason = f"it is {kind}"
        else:
            reason = "it may be damaged or another kind of file renamed .parquet"
        raise _error(
            f"This file could not be read as a Parquet file: {reason}. Export it again.", where=origin, table=table
        ) from None
    # A named index (e.g. written from frame.set_index("patient_id")) is data;
    # an unnamed one is only pandas' row labels.
    named_index = any(name is not None for name in frame.index.names)
    frame = _plain_values(frame.reset_index(drop=not named_index), origin, table)
    numbers = np.arange(1, len(frame) + 1, dtype=np.int64)

    def has_data(position: int) -> bool:
        return not _blank_cells(frame.iloc[:, position]).all()

    header = [str(column) for column in frame.columns]
    keep, names, originals = _column_names(header, has_data, origin, table, lambda position: str(position + 1))
    frame = frame.iloc[:, keep].set_axis(names, axis=1)
    return _without_blank_rows(RawTable(table, frame, origin, "row", numbers, originals))


def _parquet_duplicate_column(content: bytes) -> str | None:
    """A column name the parquet schema holds twice (pandas refuses such files), or None."""
    try:
        import pyarrow.parquet as pq

        names = pq.read_schema(io.BytesIO(content)).names
    except Exception:
        return None
    seen = set()
    for name in names:
        if name in seen:
            return str(name)
        seen.add(name)
    return None


_NESTED = (list, tuple, dict, set, np.ndarray)


def _plain_values(frame: pd.DataFrame, origin: str, table: str) -> pd.DataFrame:
    """Parquet columns as plain values: local date-times, text for bytes; nested values refused."""
    columns = {}
    for position, (name, column) in enumerate(frame.items()):
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            # The clock time the clinician saw, in the zone it was recorded in.
            columns[position] = column.dt.tz_localize(None)
        elif column.dtype == object:
            inferred = pd.api.types.infer_dtype(column, skipna=True)
            if inferred == "mixed":
                nested = column.map(lambda value: isinstance(value, _NESTED)).to_numpy(dtype=bool)
                if nested.any():
                    row = int(np.flatnonzero(nested)[0]) + 1
                    raise CohortError(problems=[Problem(
                        ERROR,
                        table,
                        "This column holds lists or nested records, not one plain value per cell. "
                        "Export the table again with one value per cell.",
                        where=f"{origin}, row {row}",
                        column=str(name),
                    )])
            if inferred in ("bytes", "mixed"):
                columns[position] = column.map(_bytes_as_text)
    if not columns:
        return frame
    frame = frame.copy()
    for position, values in columns.items():
        frame.isetitem(position, values)
    return frame


def _bytes_as_text(value: object) -> object:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors=_CP1252_FALLBACK)
    return value


# --- shared ------------------------------------------------------------------------


def _normalise(name: object) -> str:
    """Column or table name as the data contract spells it: "Adverse events" -> "adverse_events"."""
    text = str(name).replace("\ufeff", "").strip().lower()
    return _NORMALISE.sub("_", text)


def _table_named(name: str) -> str | None:
    """Data-contract table for a sheet name or file stem, or None."""
    return _TABLE_OF.get(_normalise(name))


def _table_of_file(filename: str) -> str | None:
    return _table_named(filename[: -len(_extension(filename))] if _extension(filename) else filename)


def _extension(filename: str) -> str:
    return os.path.splitext(filename)[1].lower()


def _base_name(name: object) -> str:
    """File name without any folder a browser may have sent with it."""
    return re.split(r"[\\/]", str(name))[-1].strip() or "uploaded file"


def _file_names(extension: str) -> str:
    names = [f"{table}{extension}" for table in TABLES]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB"


def _content_kind(content: bytes) -> str | None:
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


def _blank_value(value: object) -> bool:
    """True for None, NaN and empty or whitespace-only text."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return value != value  # NaN
    return False


def _blank_cells(column: pd.Series) -> np.ndarray:
    """Vectorised ``_blank_value`` for a column."""
    blank = column.isna().to_numpy(dtype=bool, copy=True)
    if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
        try:
            text = column.str
        except AttributeError:  # an object column without any text
            return blank
        empty = (column == "") | text.isspace()
        blank |= empty.fillna(False).to_numpy(dtype=bool)
    return blank


def _without_blank_rows(table: RawTable) -> RawTable:
    """The same table without its fully blank rows; row numbers follow the rows kept."""
    frame = table.frame
    if frame.shape[1] == 0:
        return table
    blank = np.ones(len(frame), dtype=bool)
    for _, column in frame.items():
        blank &= _blank_cells(column)
    if not blank.any():
        return table
    keep = ~blank
    return RawTable(
        table.name,
        frame.loc[keep].reset_index(drop=True),
        table.origin,
        table.row_word,
        table.row_numbers[keep],
        table.original_columns,
    )


def _column_names(
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
        written = "" if _blank_value(header) else str(header).replace("\ufeff", "")
        if written.strip():
            name = _normalise(written)
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


def _header_position(rows: Sequence[Sequence], numbers: Sequence[int]) -> int:
    """Index of the header among the non-blank sheet rows.

    The header is the first row naming ``patient_id`` among the first
    ``HEADER_SEARCH_ROWS`` sheet rows (titles may stand above the table),
    otherwise the first non-blank row.
    """
    for index, (cells, number) in enumerate(zip(rows, numbers)):
        if number > HEADER_SEARCH_ROWS:
            break
        if _names_patient_id(cells):
            return index
    return 0


def _empty_table(table: str, origin: str, row_word: str) -> RawTable:
    """A table with no column and no row (a blank sheet or an empty file)."""
    return RawTable(table, pd.DataFrame(), origin, row_word, np.zeros(0, dtype=np.int64), {})


def _error(message: str, where: str | None = None, table: str | None = None) -> CohortError:
    """A CohortError carrying one blocking problem."""
    return CohortError(problems=[Problem(ERROR, table, message, where=where)])
