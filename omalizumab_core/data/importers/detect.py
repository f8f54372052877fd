"""Which source a set of files comes from: REDCap, wide sheets, ADaM, or the dashboard's own form (None)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePath

from omalizumab_core.data.cohort import TABLES
from omalizumab_core.data.importers.located import normalise
from omalizumab_core.data.raw import RawCohort

_TABLE_WORDS = {*TABLES, "patient", "symptom", "dose", "dosing", "ae", "aes", "adverse_event", "safety", "lab", "laboratory", "biology"}
_ADAM = ("adsl", "adqs", "adae", "adlb")
_EXCEL = (".xlsx", ".xlsm")
_SAS = (".xpt", ".sas7bdat")
_TEXT = (".csv", ".tsv", ".txt")


def interesting(name: str) -> bool:
    """Files an importer may read (others are left to the standard reader)."""
    return PurePath(name).suffix.lower() in _EXCEL + _SAS + _TEXT


def named_after_table(name: str) -> bool:
    return normalise(PurePath(name).stem) in _TABLE_WORDS


def adam_dataset(name: str) -> str | None:
    """"ADSL" for adsl.xpt, adsl.sas7bdat, ADSL.csv; None otherwise."""
    stem = PurePath(name).stem.lower()
    return stem.upper() if stem in _ADAM else None


def detect(files: list[tuple[str, bytes]]) -> RawCohort | None:
    """The cohort read by the importer the files call for, or None for the dashboard's own form."""
    if not files:
        return None
    names = [name for name, _ in files]
    if any(PurePath(n).suffix.lower() in _SAS for n in names) or any(adam_dataset(n) for n in names if PurePath(n).suffix.lower() in _TEXT + _SAS):
        from omalizumab_core.data.importers.adam import read_adam

        return read_adam(files)
    if len(files) == 1 and PurePath(names[0]).suffix.lower() in _TEXT and not named_after_table(names[0]):
        header = _csv_header(files[0][1])
        from omalizumab_core.data.importers.redcap import looks_like_redcap, read_redcap

        if header and looks_like_redcap(header):
            return read_redcap(files[0][1], names[0])
        from omalizumab_core.data.importers.wide import looks_wide, read_wide_csv

        if header and looks_wide(header):
            return read_wide_csv(files[0][1], names[0])
        return None
    if len(files) == 1 and PurePath(names[0]).suffix.lower() in _EXCEL and _wide_candidate(files[0][1]):
        from omalizumab_core.data.importers.wide import read_wide_workbook

        return read_wide_workbook(files[0][1], names[0])
    return None


def _csv_header(content: bytes) -> list[str] | None:
    import csv

    sample = content[:65536]
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = sample.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return None
    first = text.splitlines()[0] if text.strip() else ""
    separator = ";" if first.count(";") > first.count(",") else ","
    try:
        return next(csv.reader(io.StringIO(text), delimiter=separator))
    except (csv.Error, StopIteration):
        return None


_SHEET = re.compile(rb'<sheet[^>]*\bname="([^"]*)"')


def wide_candidate_path(path) -> bool:
    """:func:`_wide_candidate` for a workbook on disk, reading only its index."""
    return _wide_candidate(path)


def _wide_candidate(content) -> bool:
    """A workbook without a symptoms sheet (read cheaply from the workbook's index, not its cells)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content) if isinstance(content, bytes) else content) as archive:
            index = archive.read("xl/workbook.xml")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return False
    sheets = [normalise(n.decode("utf-8", "replace")) for n in _SHEET.findall(index)]
    if any(name in ("symptoms", "symptom") for name in sheets):
        return False
    from omalizumab_core.data.importers.visits import visit_month

    return any(name in ("patients", "patient") or visit_month(name) is not None for name in sheets) or len(sheets) == 1
