"""CSV text tables: separator, header line, encoding and line numbers as the user sees them.

A CSV file is read as text, every value exactly as written: numbers stay
text here and the validator parses them with the file's decimal mark
(:mod:`omalizumab_core.data.decimal_marks`). The separator tells the decimal mark
the file most likely uses: ";" is what European spreadsheets write because
their decimal mark is a comma, "," rules a decimal comma out of unquoted
numbers. The number of lines is checked against the budgets before pandas
parses anything (a zip member of 200 MB of blank lines costs a second, not
minutes and gigabytes).
"""

from __future__ import annotations

import codecs
import csv
import io
import re

import numpy as np
import pandas as pd

from omalizumab_core.data.problems import CohortError
from omalizumab_core.data.raw import RawTable
from omalizumab_core.data.reading.budgets import MAX_CSV_CELLS, check_shape, scaled
from omalizumab_core.data.reading.common import (
    HEADER_SEARCH_ROWS,
    blank_cells,
    cohort_error,
    column_names,
    content_kind,
    empty_table,
    names_patient_id,
    without_blank_rows,
)

_SAMPLE_BYTES = 64 * 1024  # enough lines to detect a CSV separator and header
_UTF8_CHUNK = 16 * 1024 * 1024  # validate UTF-8 by chunks to bound memory
_RESAVE_CSV = "Export the table again from your spreadsheet with 'Save as' and the type 'CSV UTF-8'."
_DECIMAL_MARK = {";": ",", ",": "."}
"""Decimal mark suggested by the separator; a tab says nothing."""


def read_csv(content: bytes, origin: str, table: str) -> RawTable:
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
        return empty_table(table, origin, "line")
    separator = _detect_separator(sample)
    header_index, header_end_line = _csv_header(sample, separator)
    _check_size(data, sample, separator, header_index, origin, table)
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
        return empty_table(table, origin, "line")
    except pd.errors.ParserError as error:
        raise _csv_parse_error(str(error), separator, origin, table, header_end_line - header_index - 1) from None
    if frame.empty:
        return empty_table(table, origin, "line")
    header = ["" if pd.isna(value) else str(value) for value in frame.iloc[0]]
    frame = frame.iloc[1:].reset_index(drop=True)
    # A line break inside a value needs quotes: without any, records are lines.
    numbers = _csv_line_numbers(frame, header_end_line + 1, quoted=b'"' in data)

    def has_data(position: int) -> bool:
        return not blank_cells(frame.iloc[:, position]).all()

    keep, names, originals = column_names(header, has_data, origin, table, lambda position: str(position + 1))
    frame = frame.iloc[:, keep].set_axis(names, axis=1)
    raw = RawTable(table, frame, origin, "line", numbers, originals, decimal_mark=_DECIMAL_MARK.get(separator))
    return without_blank_rows(raw)


def _check_size(data: bytes, sample: str, separator: str, header_index: int, origin: str, table: str) -> None:
    """Refuse, before parsing, a file whose lines x header columns exceed the budgets.

    Counting line breaks costs a fraction of a second even for 400 MB; pandas
    would spend minutes and gigabytes on 40 million lines of separators.
    """
    lines = max(data.count(b"\n"), data.count(b"\r")) + 1
    records = _sample_records(sample, separator, header_index + 1)
    width = max((len(cells) for cells in records[header_index:]), default=1)
    check_shape(lines, width, scaled(MAX_CSV_CELLS), origin, table, row_word="lines")


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
        return content.decode("cp1252", errors=CP1252_FALLBACK).encode("utf-8")
    return content.decode("utf-8", errors=CP1252_FALLBACK).encode("utf-8")


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
CP1252_FALLBACK = "omalizumab-cp1252-fallback"


def _decode_as_cp1252(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read undecodable bytes as Windows-1252 (else Latin-1).

    Used for the bytes that are not UTF-8 in a mixed file, and for the five
    bytes Windows-1252 leaves undefined.
    """
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return "".join(_CP1252[byte] for byte in bad), error.end


codecs.register_error(CP1252_FALLBACK, _decode_as_cp1252)

# Control characters never found in a text table (tab, CR, LF, FF, VT excluded).
_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32)])


def _refuse_binary(sample: bytes, origin: str, table: str) -> None:
    """Raise when the bytes are clearly not text (a workbook, a PDF, random data)."""
    kind = content_kind(sample)
    if kind is None:
        controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
        if b"\x00" not in sample and controls <= len(sample) // 100:
            return
    found = f"it is {kind}" if kind else "it contains binary data, so it is probably another kind of file renamed .csv"
    raise cohort_error(f"This file could not be read as a CSV text file: {found}. {_RESAVE_CSV}", where=origin, table=table)


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
        header = next((cells for cells in records[:HEADER_SEARCH_ROWS] if names_patient_id(cells)), None)
        named = header is not None
        width = len(header if named else records[0])
        support = sum(len(cells) == width for cells in records)
        score = (named, width > 1, support, width)
        if best_score is None or score > best_score:
            best, best_score = separator, score
    return best


def _csv_header(sample: str, separator: str) -> tuple[int, int]:
    """(records before the header, physical line on which the header ends)."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=separator)
    first_filled = None
    try:
        for index in range(HEADER_SEARCH_ROWS):
            cells = next(reader, None)
            if cells is None:
                break
            if names_patient_id(cells):
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
        return cohort_error(
            f"Line {line} has {saw} values but the header has {expected} columns. A value probably contains "
            f"the separator, a {shown}: put that value in quotes, or {_RESAVE_CSV[0].lower()}{_RESAVE_CSV[1:]}",
            where=f"{origin}, line {line}",
            table=table,
        )
    quote = re.search(r"EOF inside string starting at row (\d+)", message)
    if quote:
        line = int(quote.group(1)) + 1 + offset
        return cohort_error(
            f'A quote mark (") opened on line {line} is never closed, so the rest of the file would be read '
            "as one value. Remove that quote mark or close it.",
            where=f"{origin}, line {line}",
            table=table,
        )
    return cohort_error(f"This file could not be read as a CSV table. {_RESAVE_CSV}", where=origin, table=table)
