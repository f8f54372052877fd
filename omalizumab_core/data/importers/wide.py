"""One row per patient -> the dashboard's tables.

Two "wide" layouts are read:

* a patients sheet whose symptom columns carry a visit: ``flushing_m0``,
  ``flushing_m3``, ``Flushing M6``, ``flush (month 12)``, ``prurit_baseline``;
* one sheet per visit (``M0``, ``Month 3``, ``Baseline``...), each with a
  patient id column and one column per symptom; the patient's own columns
  then come from a ``patients`` sheet (or the first visit sheet).

A baseline cell holding 1, yes, oui, x or present means the symptom was
present (score 1); 0, no, non or blank means absent. A later cell is the
paper's score (1.5, 1, 0.75, 0.5, 0.25, 0); blank = not assessed. Other
sheets named after a table (doses, adverse_events, labs, anaphylaxis) are read
as long tables. Every problem is located in the original cell: sheet, row as
Excel shows it, column letter and header.
"""

from __future__ import annotations

import csv
import io

import pandas as pd

from omalizumab_core.data.contract import TABLE_COLUMNS
from omalizumab_core.data.importers.located import blank, fail, located_table, normalise
from omalizumab_core.data.reading.xlsx_parts import column_letter
from omalizumab_core.data.importers.visits import split_visit_column, visit_month
from omalizumab_core.data.raw import RawCohort
from omalizumab_core.data.vocabulary import canonical_name

PATIENT_ID_NAMES = {"patient_id", "patient", "id", "patient_number", "patient_no", "subject", "subject_id", "record_id", "usubjid",
                    "numero_patient", "n°_patient", "identifiant", "code_patient", "patient_code"}
_PATIENT_COLUMNS = {c.name for c in TABLE_COLUMNS["patients"]}
_TABLE_SHEETS = {"doses": "doses", "dose": "doses", "adverse_events": "adverse_events", "labs": "labs", "lab": "labs", "anaphylaxis": "anaphylaxis"}
_PRESENT = {"1", "1.0", "yes", "y", "oui", "o", "x", "present", "présent", "true", "vrai"}
_ABSENT = {"0", "0.0", "no", "n", "non", "absent", "false", "faux"}
HEADER_SEARCH_ROWS = 20


def looks_wide(header: list) -> bool:
    """A header with a patient id column and at least one symptom-by-visit column."""
    names = [normalise(h) for h in header]
    return any(n in PATIENT_ID_NAMES for n in names) and any(
        n not in _PATIENT_COLUMNS and split_visit_column(h) is not None for n, h in zip(names, header)
    )


def read_wide_workbook(content: bytes, name: str) -> RawCohort | None:
    """The tables of a one-row-per-patient workbook, or None when it is not one."""
    grids = pd.read_excel(io.BytesIO(content), sheet_name=None, header=None, dtype=object, engine=_engine())
    return _read(grids, name, sheet_word="sheet")


def read_wide_csv(content: bytes, name: str) -> RawCohort | None:
    """The tables of a one-row-per-patient CSV file (one sheet), or None."""
    text = None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        return None
    first = text.splitlines()[0] if text.strip() else ""
    separator = ";" if first.count(";") > first.count(",") else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
    except csv.Error:
        raise fail("This file could not be read as CSV: a quotation mark is never closed. Save it again as 'CSV UTF-8'.", f"file {name}") from None
    width = max((len(r) for r in records), default=0)
    grid = pd.DataFrame([r + [""] * (width - len(r)) for r in records], dtype="object")
    return _read({name: grid}, name, sheet_word="file")


def _engine() -> str:
    try:
        import python_calamine  # noqa: F401

        return "calamine"
    except ImportError:
        return "openpyxl"


def _header_row(grid: pd.DataFrame) -> int | None:
    for r in range(min(HEADER_SEARCH_ROWS, len(grid))):
        if any(not blank(v) and normalise(v) in PATIENT_ID_NAMES for v in grid.iloc[r]):
            return r
    return None


def _place(sheet_word: str, sheet: str) -> str:
    return f"sheet '{sheet}'" if sheet_word == "sheet" else sheet


def _joined_two_row_header(grid: pd.DataFrame) -> pd.DataFrame:
    """A header whose symptom names are merged over a row of visits ("Flushing" above "M0", "M3") as one row.

    Each visit cell below the header row takes the symptom name written above
    it or, under a merged cell, to its left ("Flushing M3"); that visit row is
    then blanked, so the patients' rows keep the numbers Excel shows.
    """
    header_at = _header_row(grid)
    if header_at is None or header_at + 1 >= len(grid):
        return grid
    header, visits = list(grid.iloc[header_at]), list(grid.iloc[header_at + 1])
    id_position = next(i for i, h in enumerate(header) if not blank(h) and normalise(h) in PATIENT_ID_NAMES)
    if not blank(visits[id_position]) or not any(not blank(v) and visit_month(v) is not None for v in visits):
        return grid
    joined, above = list(header), None
    for c, (name, visit) in enumerate(zip(header, visits)):
        above = name if not blank(name) else above
        if not blank(visit) and visit_month(visit) is not None and above is not None and normalise(above) not in _PATIENT_COLUMNS:
            joined[c] = f"{str(above).strip()} {str(visit).strip()}"
        elif not blank(visit):
            return grid  # something else than visits stands below the header: not this layout
    grid = grid.copy()
    grid.iloc[header_at] = joined
    grid.iloc[header_at + 1] = [None] * len(joined)
    return grid


def _read(grids: dict, name: str, *, sheet_word: str) -> RawCohort | None:
    grids = {sheet: _joined_two_row_header(grid) for sheet, grid in grids.items()}
    visit_sheets, table_sheets, candidates = [], {}, []
    for sheet, grid in grids.items():
        key = normalise(sheet)
        if key in ("patients", "patient"):
            candidates.insert(0, sheet)
        elif key in _TABLE_SHEETS:
            table_sheets[_TABLE_SHEETS[key]] = sheet
        elif visit_month(sheet) is not None:
            visit_sheets.append(sheet)
        else:
            candidates.append(sheet)
    patients_sheet = None
    for sheet in candidates:
        grid = grids[sheet]
        row = _header_row(grid)
        if row is not None and (looks_wide(list(grid.iloc[row])) or visit_sheets):
            patients_sheet = sheet
            break
    if patients_sheet is None and visit_sheets:
        patients_sheet = visit_sheets[0]
    if patients_sheet is None:
        return None
    patients, symptoms = _patients_sheet(grids[patients_sheet], patients_sheet, sheet_word, visit_sheet=patients_sheet in visit_sheets)
    for sheet in visit_sheets:
        if sheet != patients_sheet:
            symptoms += _symptom_cells(grids[sheet], sheet, sheet_word, visit_month(sheet), patient_columns=False)
    header_at = _header_row(grids[patients_sheet])
    written = [h for h in grids[patients_sheet].iloc[header_at] if not blank(h) and (normalise(h) in _PATIENT_COLUMNS or normalise(h) in PATIENT_ID_NAMES)]
    header = {("patient_id" if normalise(h) in PATIENT_ID_NAMES else normalise(h)): str(h).strip() for h in written}
    tables = {"patients": _table("patients", patients, _place(sheet_word, patients_sheet), header)}
    if symptoms:
        tables["symptoms"] = _table("symptoms", symptoms, f"the symptom columns of {name}")
    for table, sheet in table_sheets.items():
        rows = _long_sheet(grids[sheet], sheet, sheet_word, table)
        if rows:
            tables[table] = _table(table, rows, _place(sheet_word, sheet))
    return RawCohort(tables=tables, source=name)


def _table(name: str, rows: list[tuple[dict, str]], origin: str, header: dict | None = None):
    columns: list[str] = list(header or {})
    labels: dict = dict(header or {})
    for row, _ in rows:
        for c in row:
            if c.startswith("_label_"):
                continue
            if c not in columns:
                columns.append(c)
            labels.setdefault(c, row.get(f"_label_{c}", c))
    return located_table(name, [r for r, _ in rows], [w for _, w in rows], origin=origin, columns=columns, labels=labels)


def _patients_sheet(grid: pd.DataFrame, sheet: str, sheet_word: str, *, visit_sheet: bool):
    header_at = _header_row(grid)
    if header_at is None:
        raise fail("No column holds the patient identifier: name one column 'patient_id'.", _place(sheet_word, sheet), table="patients")
    header = list(grid.iloc[header_at])
    patients, symptoms = [], []
    id_position = next(i for i, h in enumerate(header) if not blank(h) and normalise(h) in PATIENT_ID_NAMES)
    month_of_sheet = visit_month(sheet) if visit_sheet else None
    for r in range(header_at + 1, len(grid)):
        cells = list(grid.iloc[r])
        if all(blank(v) for v in cells):
            continue
        row_place = f"{_place(sheet_word, sheet)}, {'row' if sheet_word == 'sheet' else 'line'} {r + 1}"
        patient: dict = {"patient_id": cells[id_position], "_label_patient_id": str(header[id_position])}
        for c, h in enumerate(header):
            if blank(h) or c == id_position:
                continue
            key = normalise(h)
            split = None if key in _PATIENT_COLUMNS else split_visit_column(h)
            if split is None and month_of_sheet is not None and key not in _PATIENT_COLUMNS:
                split = (str(h).strip(), month_of_sheet)
            if split is None:
                patient[key] = cells[c]
                patient[f"_label_{key}"] = str(h).strip()
                continue
            found = _symptom_row(cells[id_position], split, cells[c], f"{row_place}, column {column_letter(c)} ({str(h).strip()})")
            if found:
                symptoms.append(found)
        patients.append((patient, row_place))
    return patients, symptoms


def _symptom_row(patient_id, split: tuple[str, float], value, place: str):
    symptom, month = split
    if blank(value):
        return None
    text = str(value).strip().lower()
    if month == 0:
        if text in _ABSENT:
            return None
        score = 1 if text in _PRESENT else value
    else:
        score = value
    return ({"patient_id": patient_id, "symptom": canonical_name(symptom), "month": month, "score": score}, place)


def _symptom_cells(grid: pd.DataFrame, sheet: str, sheet_word: str, month: float, *, patient_columns: bool):
    header_at = _header_row(grid)
    if header_at is None:
        raise fail("No column holds the patient identifier: name one column 'patient_id'.", _place(sheet_word, sheet), table="symptoms")
    header = list(grid.iloc[header_at])
    id_position = next(i for i, h in enumerate(header) if not blank(h) and normalise(h) in PATIENT_ID_NAMES)
    rows = []
    for r in range(header_at + 1, len(grid)):
        cells = list(grid.iloc[r])
        if all(blank(v) for v in cells):
            continue
        for c, h in enumerate(header):
            if blank(h) or c == id_position or normalise(h) in _PATIENT_COLUMNS:
                continue
            place = f"{_place(sheet_word, sheet)}, row {r + 1}, column {column_letter(c)} ({str(h).strip()})"
            found = _symptom_row(cells[id_position], (str(h).strip(), month), cells[c], place)
            if found:
                rows.append(found)
    return rows


def _long_sheet(grid: pd.DataFrame, sheet: str, sheet_word: str, table: str):
    header_at = _header_row(grid)
    if header_at is None:
        return []
    header = list(grid.iloc[header_at])
    rows = []
    for r in range(header_at + 1, len(grid)):
        cells = list(grid.iloc[r])
        if all(blank(v) for v in cells):
            continue
        row = {}
        for c, h in enumerate(header):
            if blank(h):
                continue
            key = "patient_id" if normalise(h) in PATIENT_ID_NAMES else normalise(h)
            row[key] = cells[c]
            row[f"_label_{key}"] = str(h).strip()
        rows.append((row, f"{_place(sheet_word, sheet)}, row {r + 1}"))
    return rows
