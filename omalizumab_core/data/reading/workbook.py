"""Excel workbooks (.xlsx/.xlsm), read with python-calamine, every cell where Excel shows it.

One sheet per table, named after it (case, spaces, hyphens and synonyms
aside); other sheets (README, data dictionary, notes) are ignored. The header
is the first of the sheet's first 20 rows naming ``patient_id`` (titles may
stand above the table), otherwise its first non-blank row. Every row of the
sheet is read, however many blank rows stand between two filled ones: rows
deleted by hand leave such gaps, and a value below them counts as much as any.

Before calamine reads anything, :mod:`~omalizumab_core.data.reading.xlsx_parts`
checks the budgets and finds what calamine cannot tell from a blank cell:

* a formula whose result was never computed (a workbook written by a program,
  or by a tool that does not compute formulas) is a located error asking to
  open and save the file in Excel: it is not a blank cell, and reading it as
  one would silently drop the value the clinician sees;
* an Excel error value (``#DIV/0!``, ``#N/A``...) is read as its text, so the
  validator says where a number is expected;
* hidden sheets, rows and columns are read like visible ones, with a warning
  naming them: they hold the clinician's data, only out of sight, and leaving
  them out silently would change the results as surely as reading them
  unseen. The warning tells where to look.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import io

import numpy as np
import pandas as pd

from omalizumab_core.data.problems import ERROR, WARNING, CohortError, Problem
from omalizumab_core.data.raw import RawTable
from omalizumab_core.data.reading.budgets import check_text_lengths
from omalizumab_core.data.reading.common import (
    HEADER_SEARCH_ROWS,
    TABLE_LIST,
    Found,
    blank_value,
    cohort_error,
    column_names,
    content_kind,
    empty_table,
    names_patient_id,
    renamed_csv,
    table_named,
)
from omalizumab_core.data.reading.xlsx_parts import SheetFacts, column_letter, scan_workbook

MAX_LOCATED = 20
"""Cells listed one by one for one kind of problem in one sheet; the rest are counted."""


def tables_from_workbook(name: str, content: bytes) -> list[Found]:
    """Tables of a workbook: one per sheet named after a table; other sheets ignored."""
    facts = scan_workbook(content, name, lambda title: table_named(title) is not None)
    workbook = _open_workbook(name, content)
    found, problems, titles = [], [], []
    try:
        for sheet in workbook.sheets_metadata:
            titles.append(sheet.name)
            table = table_named(sheet.name)
            if table is None:
                continue  # README, data_dictionary, notes...
            try:
                found.append(_read_sheet_safely(workbook, sheet, table, facts.get(sheet.name), name))
            except CohortError as error:
                problems.extend(error.problems)
    finally:
        workbook.close()
    if problems:
        raise CohortError(problems=problems)
    missing = [t for t in ("patients", "symptoms") if t not in {f.table.name for f in found}]
    skipped = [title for title in titles if table_named(title) is None]
    if found and missing and skipped:  # the required table may be in a sheet named otherwise: say which sheets were skipped
        sheets = ", ".join(f"'{title}'" for title in skipped)
        hint = Problem(WARNING, missing[0], f"Sheets not read, as they are not named after a table: {sheets}. If one of them holds "
                       f"the {' or '.join(missing)} table, rename it {' or '.join(repr(t) for t in missing)}.", where=f"file {name}")
        found[0] = dataclasses.replace(found[0], warnings=(*found[0].warnings, hint))
    if not found:
        sheets = ", ".join(f"'{title}'" for title in titles) or "none"
        raise cohort_error(
            f"No sheet of this workbook is named after a table (its sheets: {sheets}). "
            f"Name the sheets {TABLE_LIST}; patients and symptoms are required.",
            where=f"file {name}",
        )
    return found


def _open_workbook(name: str, content: bytes):
    """Open a workbook with calamine (values Excel stored for formulas), or explain why not."""
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(content))
    except Exception:
        kind = content_kind(content)
        if not content:
            reason = "the file is empty"
        elif kind and not content.startswith(b"PK"):
            reason = f"it is {kind}, not a workbook"
        else:
            reason = "it may be damaged or another kind of file renamed .xlsx"
        advice = " Save it again from Excel as .xlsx."
        if text := renamed_csv(content, ".xlsx"):
            reason, advice = text, ""
        raise cohort_error(f"This file could not be read as an Excel workbook: {reason}.{advice}", where=f"file {name}") from None


@contextlib.contextmanager
def _without_cycle_collection():
    """Pause Python's cycle collector while a sheet becomes columns.

    calamine returns one list per row; every container allocated meanwhile
    (a million rows, their columns) triggers collections that walk all those
    lists again, which tripled the time of a 1,048,576-row sheet. Nothing
    built here holds a reference cycle, so pausing loses nothing; reference
    counting frees memory as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_sheet_safely(workbook, sheet, table: str, facts: SheetFacts | None, name: str) -> Found:
    origin = f"sheet '{sheet.name}'"
    with _without_cycle_collection():
        try:
            cells = workbook.get_sheet_by_name(sheet.name)
            rows = cells.to_python(skip_empty_area=True)
            start = cells.start or (0, 0)
        except MemoryError:
            raise cohort_error("This sheet is too large to be read in memory.", where=origin, table=table) from None
        except Exception:
            raise cohort_error(
                "This sheet could not be read: the workbook may be damaged. Save it again from Excel as .xlsx.",
                where=origin,
                table=table,
            ) from None
        raw, warnings = _read_sheet(rows, start, origin, table, facts or SheetFacts(""))
        del rows
    if "hidden" in str(sheet.visible).lower():
        warnings.insert(0, Problem(
            WARNING, table,
            f"The sheet '{sheet.name}' is hidden in Excel; it was read as the {table} table and enters the "
            "analysis. Unhide it (right-click a sheet tab, Unhide) to check it, or delete it if it should not count.",
            where=origin,
        ))
    return Found(check_text_lengths(raw), name, tuple(warnings))


def _read_sheet(rows: list[list], start: tuple[int, int], origin: str, table: str, facts: SheetFacts):
    """One sheet as a table (and the reader's warnings about it).

    ``rows`` is calamine's rectangle, whose top-left cell is ``start``
    (0-based row and column); empty cells are ``""``. Cells keep their Python
    type (str, float, bool, date or datetime).
    """
    first_row, first_column = start
    header_index = _header_index(rows, first_row)
    if header_index is None:
        _report_uncomputed(facts, {}, origin, table, first_column, 0)
        return empty_table(table, origin, "row"), []
    header = [None if cell == "" else cell for cell in rows[header_index]]
    width = len(header)
    frame, blank = _columns(rows, header_index + 1, width)
    header_row = first_row + header_index + 1  # as Excel numbers it
    for (row, column), text in facts.errors.items():
        position = row - header_row - 1
        if 0 <= position < len(frame) and 0 <= column - first_column < width:
            frame.iat[position, column - first_column] = text
            blank[column - first_column][position] = False

    def has_data(position: int) -> bool:
        return not blank[position].all()

    keep, names, originals = column_names(
        header, has_data, origin, table, lambda position: column_letter(first_column + position)
    )
    labels = {first_column + position: originals[name] for position, name in zip(keep, names)}
    _report_uncomputed(facts, labels, origin, table, first_column, header_row)
    frame = frame.iloc[:, keep].set_axis(names, axis=1)
    numbers = np.arange(header_row + 1, header_row + 1 + len(frame), dtype=np.int64)
    filled = ~np.logical_and.reduce([blank[position] for position in keep]) if keep else np.zeros(len(frame), dtype=bool)
    if not filled.all():
        frame, numbers = frame.loc[filled].reset_index(drop=True), numbers[filled]
    raw = RawTable(table, frame, origin, "row", numbers, originals)
    return raw, _hidden_warnings(facts, labels, raw, origin, table, header_row)


def _columns(rows: list[list], start: int, width: int) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """The rows from ``start`` as object columns (``""`` read as None), and each column's blank mask.

    Each column is factorised once: blankness and the None for empty cells are
    decided per distinct value (a column holds few), then spread back with
    the codes, which costs far less than a test per cell.
    """
    columns, blanks = {}, []
    data = rows[start:]
    for position, values in enumerate(zip(*data) if data else [() for _ in range(width)]):
        cells = np.asarray(values, dtype=object)
        # Factorising merges values equal in Python (True and 1.0): the codes only
        # decide blankness, and the cells themselves are kept as read.
        codes, uniques = pd.factorize(cells, use_na_sentinel=True)
        blank_unique = np.fromiter((blank_value(value) for value in uniques), dtype=bool, count=len(uniques))
        empty_unique = np.fromiter((type(value) is str and value == "" for value in uniques), dtype=bool, count=len(uniques))
        empty = np.append(empty_unique, False)[codes]
        if empty.any():
            cells[empty] = None
        columns[position] = cells
        blanks.append(np.append(blank_unique, True)[codes])
    return pd.DataFrame(columns, columns=range(width), dtype=object), blanks


def _header_index(rows: list[list], first_row: int) -> int | None:
    """Index in ``rows`` of the header: the first row naming patient_id near the top, else the first filled one."""
    first_filled = None
    for index, cells in enumerate(rows):
        if first_row + index + 1 > HEADER_SEARCH_ROWS:
            break
        if names_patient_id(cells):
            return index
        if first_filled is None and any(cell != "" and not (isinstance(cell, str) and not cell.strip()) for cell in cells):
            first_filled = index
    if first_filled is not None:
        return first_filled
    for index, cells in enumerate(rows):  # the table starts below row 20
        if any(cell != "" and not (isinstance(cell, str) and not cell.strip()) for cell in cells):
            return index
    return None


def _report_uncomputed(facts: SheetFacts, labels: dict, origin: str, table: str, first_column: int, header_row: int) -> None:
    """Raise one located error per formula cell (of the table) whose result Excel never stored."""
    places = sorted(place for place in facts.uncomputed if place[0] >= header_row)
    if not places:
        return
    message = (
        "This cell holds a formula whose result was never computed: open and save the file in Excel "
        "(Excel stores each formula's result on saving), then load it again."
    )
    problems = [
        Problem(
            ERROR, table, message,
            where=f"{origin}, row {row}",
            column=labels.get(column, column_letter(column)),
            value=facts.uncomputed[(row, column)],
        )
        for row, column in places[:MAX_LOCATED]
    ]
    if len(places) > MAX_LOCATED:
        problems.append(Problem(ERROR, table, f"… and {len(places) - MAX_LOCATED:,} more cells: {message}", where=origin))
    raise CohortError(problems=problems)


def _hidden_warnings(facts: SheetFacts, labels: dict, raw: RawTable, origin: str, table: str, header_row: int) -> list[Problem]:
    """Warnings naming the hidden rows holding data and the hidden columns of the table."""
    warnings = []
    rows = facts.hidden_rows and raw.row_numbers[np.isin(raw.row_numbers, facts.hidden_rows)].tolist()
    if rows:
        shown = ", ".join(str(row) for row in rows[:MAX_LOCATED]) + (f" and {len(rows) - MAX_LOCATED:,} more" if len(rows) > MAX_LOCATED else "")
        warnings.append(Problem(
            WARNING, table,
            f"{len(rows):,} row(s) of this sheet are hidden in Excel but were read and enter the analysis: rows {shown}. "
            "Unhide them (select the rows around them, right-click, Unhide) to check them, or delete them if they "
            "should not count.",
            where=origin,
        ))
    columns = [labels[column] for column in facts.hidden_columns if column in labels]
    if columns:
        warnings.append(Problem(
            WARNING, table,
            "These columns are hidden in Excel but were read: " + ", ".join(f"'{c}'" for c in columns) + ". "
            "Unhide them (select the columns around them, right-click, Unhide) to check them.",
            where=origin,
        ))
    return warnings
