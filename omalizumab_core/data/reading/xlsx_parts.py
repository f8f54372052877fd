"""What a workbook's XML holds that the fast reader cannot tell, found before it reads.

python-calamine reads a sheet fast but (1) allocates the whole rectangle from
A1 to the last cell before returning anything, so one cell at XFD1048576 in a
0.01 MB file would exhaust memory and abort the process; (2) reads a formula
without a stored result, and an error value such as ``#DIV/0!``, as an empty
cell; (3) does not report hidden rows and columns. This module streams each
member of the workbook's zip once, never holding a whole sheet, and:

* checks the uncompressed size of each member and of all of them against the
  budgets, counting the bytes really decompressed (declared sizes can lie);
* refuses any DTD or entity declaration in the XML (none is ever needed in a
  workbook; calamine does not expand them, and neither does anything here:
  the only XML parser used is defusedxml's, which forbids them);
* bounds the rectangle of each table sheet from its cell references: a cheap
  search proves most sheets narrower than 17 columns and shorter than Excel's
  1,048,576 rows, and only other sheets have every reference read;
* finds, only in sheets that contain any, the formulas without a stored
  result, the error values and the hidden rows and columns, with their places.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from defusedxml import ElementTree as SafeTree
from defusedxml.common import DefusedXmlException

from omalizumab_core.data.reading import budgets
from omalizumab_core.data.reading.budgets import MAX_SHEET_CELLS, budget_error, check_shape, too_large_total
from omalizumab_core.data.reading.common import cohort_error, megabytes, table_named

_CHUNK = 4 * 1024 * 1024
_OVERLAP = 64  # bytes kept from the previous chunk so that no pattern is cut in two
_SAFE_COLUMNS = 16  # A..P: 1,048,576 rows x 16 columns is within MAX_SHEET_CELLS
# A cell reference beyond column P, or beyond Excel's last row 1,048,576 (7 digits from 1048577, or 8+).
_WIDE_OR_DEEP = re.compile(
    rb' r="(?:[A-Z]{2}|[Q-Z]|[A-P](?:\d{8}|[2-9]\d{6}"|1[1-9]\d{5}"|10[5-9]\d{4}"|1049\d{3}"|1048[6-9]\d\d"'
    rb'|10485[89]\d"|104857[7-9]"))'
)
_REFERENCE = re.compile(rb' r="([A-Z]{1,3})(\d{1,9})"')
_ROOT = re.compile(rb"<(?![?!])(\w+:)?\w")  # the root element's start, and its namespace prefix
# A cheap first pass (one search per chunk): beyond column P, or a 7-digit row or more; the exact pattern decides.
_WIDE_OR_SEVEN_DIGITS = re.compile(rb' r="(?:[A-Z]{2}|[Q-Z]|[A-P]\d{7})')
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


@dataclass
class SheetFacts:
    """What the scan found in one table sheet; cells are (Excel row, 0-based column)."""

    path: str
    uncomputed: dict = field(default_factory=dict)  # (row, column) -> formula text
    errors: dict = field(default_factory=dict)  # (row, column) -> "#DIV/0!"...
    hidden_rows: list = field(default_factory=list)
    hidden_columns: list = field(default_factory=list)  # 0-based column positions


def column_letter(position: int) -> str:
    """Excel's letters for a 0-based column position: 0 -> A, 27 -> AB."""
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def scan_workbook(content: bytes, name: str, wanted: Callable[[str], bool]) -> dict[str, SheetFacts]:
    """Check every member of the workbook; facts of the sheets whose titles ``wanted`` accepts.

    Raises
    ------
    CohortError
        A budget is exceeded (sizes, rectangle), or the XML declares a DTD or
        entities. A file that is not a readable zip is left to the reader,
        which explains it.
    """
    where = f"file {name}"
    budgets.check_zip_entries(content, where)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except Exception:
        return {}
    with archive:
        members = archive.infolist()
        declared = sum(info.file_size for info in members)
        if declared > budgets.MAX_TOTAL_BYTES:
            raise cohort_error(too_large_total(declared).replace("in this zip", "in this workbook"), where)
        paths = _sheet_paths(archive, where)
        sheets = {path: title for title, path in paths.items() if wanted(title)}
        facts: dict[str, SheetFacts] = {}
        total = 0
        for info in members:
            if info.is_dir():
                continue
            title = sheets.get(info.filename)
            size, flagged = _stream_member(archive, info, where, total, title)
            total += size
            if title is not None:
                facts[title] = SheetFacts(info.filename)
                if flagged:
                    _read_details(archive, info, facts[title], where)
        return facts


def _stream_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, total: int, title: str | None):
    """(bytes decompressed, whether the sheet needs a detailed reading); budgets checked on the way.

    Each chunk gets one regular-expression search (a cell reference beyond
    column P or with a 7-digit row; only then the exact pattern) and a few
    ``in`` tests for literals (C speed): a false alarm costs a slower exact
    pass, never a wrong answer.
    """
    size, needs_details, wide, tail = 0, False, False, b""
    xml = info.filename.endswith((".xml", ".rels", ".vml"))
    triggers = (b"</f>", b"hidden", b'"e"')
    for chunk in _chunks(archive, info, where):
        first = size == 0
        size += len(chunk)
        if size > budgets.MAX_MEMBER_BYTES:
            raise budget_error(
                f"The part '{info.filename}' of this workbook is more than {megabytes(budgets.MAX_MEMBER_BYTES)} once "
                "uncompressed (limit: uncompressed size per sheet).",
                where,
            )
        if total + size > budgets.MAX_TOTAL_BYTES:
            raise cohort_error(too_large_total(total + size).replace("in this zip", "in this workbook"), where)
        if first and xml:
            triggers = _check_prolog(chunk, info.filename, where)
        if title is None:
            continue
        window = tail + chunk
        if not wide and _WIDE_OR_SEVEN_DIGITS.search(window) is not None:
            wide = _WIDE_OR_DEEP.search(window) is not None
        needs_details = needs_details or any(trigger in window for trigger in triggers)
        tail = window[-_OVERLAP:]
    if title is not None and wide:
        _check_rectangle(archive, info, title, where)
    return size, needs_details


def _check_prolog(chunk: bytes, path: str, where: str) -> tuple[bytes, ...]:
    """Refuse a DTD or entity declaration (only ever in the prolog, before the root element).

    Returns the literals that announce a formula, a hidden row or column and
    an error value in this part (with its namespace prefix and quote mark).
    """
    root = _ROOT.search(chunk)
    prolog = chunk[: root.start()] if root else chunk
    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog or root is None:
        raise cohort_error(
            f"The part '{path}' of this workbook declares a DTD or entities, or does not start like the XML Excel "
            "writes; for safety it was not read. Open the file in Excel and save it again as .xlsx.",
            where,
        )
    triggers = (b"</" + (root.group(1) or b"") + b"f>", b"hidden", b'"e"')
    return triggers + (b"'e'",) if b"='" in chunk[:65_536] else triggers


def _chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> Iterator[bytes]:
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(_CHUNK):
                yield chunk
    except Exception:
        raise cohort_error(
            "This file could not be read as an Excel workbook: it may be damaged or another kind of file renamed "
            ".xlsx. Save it again from Excel as .xlsx.",
            where,
        ) from None


def _check_rectangle(archive: zipfile.ZipFile, info: zipfile.ZipInfo, title: str, where: str) -> None:
    """Refuse a sheet whose used rectangle (A1 to its last row and column) exceeds the cell budget."""
    last_row, last_column, tail = 0, 0, b""
    for chunk in _chunks(archive, info, where):
        window = tail + chunk
        for letters, digits in _REFERENCE.findall(window):
            last_row = max(last_row, int(digits))
            last_column = max(last_column, _column_number(letters.decode()))
        tail = window[-_OVERLAP:]
        if last_row > 1_048_576 or last_column > 16_384:
            break  # refused below, without reading further
    if last_row > 1_048_576 or last_column > 16_384:
        raise cohort_error(
            f"Sheet '{title}' refers to a cell beyond Excel's last row (1,048,576) or column (XFD): the file was not "
            "written by Excel or is damaged. Open it in Excel and save it again as .xlsx.",
            where,
        )
    check_shape(last_row, last_column, MAX_SHEET_CELLS, f"sheet '{title}'", table_named(title))


def _sheet_paths(archive: zipfile.ZipFile, where: str) -> dict[str, str]:
    """Sheet title -> path of its XML in the zip, from workbook.xml and its relationships."""
    try:
        book = _parse(archive, "xl/workbook.xml", where)
        relations = _parse(archive, "xl/_rels/workbook.xml.rels", where)
    except KeyError:
        return {}
    targets = {}
    for relation in relations.iter():
        if relation.tag.endswith("Relationship") and relation.get("Id"):
            target = relation.get("Target", "")
            targets[relation.get("Id")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    paths = {}
    for sheet in book.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(_RELATIONSHIP))
        if target:
            paths[sheet.get("name")] = target
    return paths


def _parse(archive: zipfile.ZipFile, path: str, where: str):
    info = archive.getinfo(path)
    if info.file_size > budgets.MAX_MEMBER_BYTES:
        raise budget_error(f"The part '{path}' of this workbook is too large (limit: uncompressed size).", where)
    try:
        return SafeTree.fromstring(archive.read(info))
    except DefusedXmlException:
        raise cohort_error(
            f"The part '{path}' of this workbook declares a DTD or entities, which Excel never writes; for safety "
            "it was not read. Open the file in Excel and save it again as .xlsx.",
            where,
        ) from None
    except Exception:
        raise KeyError(path) from None


_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_COL_TAG = re.compile(rb"<(?:\w+:)?col\b([^>]*)>")
_ATTRIBUTE = re.compile(rb"""\b(r|t|hidden|min|max)=["']([^"']*)["']""")
_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.DOTALL)
_VALUE = re.compile(rb"<(?:\w+:)?v\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?v>)", re.DOTALL)
_TRUE = (b"1", b"true")


def _read_details(archive: zipfile.ZipFile, info: zipfile.ZipInfo, facts: SheetFacts, where: str) -> None:
    """Formulas without a result, error values, hidden rows and columns, with their places.

    Streamed by chunks cut after a complete row; only the cells holding a
    formula or an error value are looked at closely (found with ``find``), so
    a sheet with one formula costs about as much as one without.
    """
    tail = b""
    for chunk in _chunks(archive, info, where):
        window = tail + chunk
        cut = window.rfind(b"row>")
        if cut < 0:
            tail = window
            continue
        cut += 4
        _details_of(window[:cut], facts)
        tail = window[cut:]
    if tail:
        _details_of(tail, facts)


def _attributes(tag: bytes) -> dict:
    return {name.decode(): value for name, value in _ATTRIBUTE.findall(tag)}


def _details_of(text: bytes, facts: SheetFacts) -> None:
    if b"hidden" in text:
        for tag in _ROW_TAG.findall(text):
            attributes = _attributes(tag)
            if attributes.get("hidden") in _TRUE and attributes.get("r", b"").isdigit():
                facts.hidden_rows.append(int(attributes["r"]))
        for tag in _COL_TAG.findall(text):
            attributes = _attributes(tag)
            if attributes.get("hidden") in _TRUE and attributes.get("min", b"").isdigit():
                first = int(attributes["min"])
                last = int(attributes["max"]) if attributes.get("max", b"").isdigit() else first
                facts.hidden_columns.extend(range(first - 1, min(last, 16_384)))
    seen = set()
    for marker in (b"<f", b":f", b'"e"', b"'e'"):
        position = text.find(marker)
        while position >= 0:
            start = max(text.rfind(b"<c ", 0, position), text.rfind(b":c ", 0, position))
            end = text.find(b"c>", position)
            if start >= 0 and end >= 0 and start not in seen:
                seen.add(start)
                _cell_details(text[start : end + 2], facts)
            position = text.find(marker, position + 1)


def _cell_details(cell: bytes, facts: SheetFacts) -> None:
    """One ``<c ...>...</c>`` element: an error value, or a formula whose result was never stored."""
    tag_end = cell.find(b">")
    attributes = _attributes(cell[: tag_end + 1])
    match = re.fullmatch(rb"([A-Z]{1,3})(\d+)", attributes.get("r", b""))
    if match is None:
        return
    place = (int(match.group(2)), _column_number(match.group(1).decode()) - 1)
    body = cell[tag_end + 1 :]
    value = _VALUE.search(body)
    stored = value.group(1) if value and value.group(1) else None
    kind = attributes.get("t")
    if kind == b"e" and stored:
        facts.errors[place] = html.unescape(stored.decode("utf-8", "replace"))
        return
    formula = _FORMULA.search(body)
    if formula is not None and not stored and kind != b"str":
        text = formula.group(1)
        facts.uncomputed[place] = (
            "=" + html.unescape(text.decode("utf-8", "replace")) if text else "(a formula shared with the cell above)"
        )
