"""Loading a cohort: read the file(s) in memory, then validate.

Both functions return a validated :class:`Cohort` or raise
:class:`CohortError` carrying every located problem, and never any other
exception for any file content. Columns that look like direct identifiers
(names, birth dates...) give a warning asking to pseudonymise the data
(:mod:`omalizumab_core.data.identifiers`), in ``Cohort.warnings`` when the cohort
loads and among the problems when it does not.
"""

from __future__ import annotations

import dataclasses
import io
import os
import zipfile
from collections.abc import Sequence

from omalizumab_core.data.cohort import Cohort
from omalizumab_core.data.instruments import MAX_DEFINITION_BYTES, parse_instrument_files
from omalizumab_core.data.identifiers import identifier_columns, identifier_warning
from omalizumab_core.data.importers import read_foreign_path, read_foreign_upload
from omalizumab_core.data.importers.mapping import apply_mapping
from omalizumab_core.data.contract import REQUIRED_TABLES
from omalizumab_core.data.problems import ERROR, WARNING, CohortError, Problem
from omalizumab_core.data.raw import RawCohort
from omalizumab_core.data.reading import read_path, read_upload
from omalizumab_core.data.validation import validate

UNEXPECTED = (
    "The file was read, but checking its content failed on something the dashboard does not handle yet. "
    "Nothing was loaded. Please report this to the dashboard's maintainers (without sending the file)."
)
"""Message of the last-resort problem: any failure of the validator other than CohortError."""

# The validator's own identifier warning, replaced by the more thorough one of identifiers.py.


def load_cohort(path: str | os.PathLike, *, synthetic: bool = False, mapping: dict | None = None, instruments: dict | None = None) -> Cohort:
    """Load an .xlsx or .zip file, or a folder of <table>.csv / <table>.parquet files.

    A REDCap export, a one-row-per-patient sheet or ADaM datasets are detected
    and read by their importer (:mod:`omalizumab_core.data.importers`).
    Instrument definitions (docs/instruments.md) are read from
    ``instruments/*.toml`` in the folder or the zip, and ``instruments``
    (definitions by id) is added to them.
    """
    found = {**instrument_definitions_at(path), **(instruments or {})}
    raw = _foreign(read_foreign_path, path) or read_path(path)
    return _validated(apply_mapping(raw, mapping), synthetic=synthetic, instruments=found)


def load_upload(files: Sequence[tuple[str, bytes]], *, synthetic: bool = False, mapping: dict | None = None, instruments: dict | None = None) -> Cohort:
    """Load files received by the web uploader, as (file name, content) pairs; ``mapping``: see importers.mapping.

    ``.toml`` files among them, and the ``.toml`` members of a zip (at its root or in a folder),
    are instrument definitions (docs/instruments.md).
    """
    files = list(files)
    tables = [(name, content) for name, content in files if not _is_definition(name)]
    found = {**_definitions_of_upload(files), **(instruments or {})}
    if not tables and len(files) > 0:
        raise CohortError([Problem(ERROR, None, "Only instrument definitions (.toml) were uploaded: upload them together with the cohort file(s), in one selection, so that the cohort's instrument scores are checked against them.")])
    raw = _foreign(read_foreign_upload, tables) or read_upload(tables)
    cohort = _validated(apply_mapping(raw, mapping), synthetic=synthetic, instruments=found)
    return dataclasses.replace(cohort, source=f"Upload: {raw.source}")


def _is_definition(name: str) -> bool:
    return str(name).lower().endswith(".toml")


def _definitions_of_upload(files) -> dict:
    """Definitions uploaded as .toml files or inside a zip; CohortError with every problem of every file."""
    chosen = [(os.path.basename(str(name)), bytes(content)) for name, content in files if _is_definition(name)]
    for name, content in files:
        if str(name).lower().endswith(".zip"):
            chosen += _zip_definitions(os.path.basename(str(name)), bytes(content))
    return parse_instrument_files(chosen) if chosen else {}


def _zip_definitions(name: str, content: bytes) -> list[tuple[str, bytes]]:
    """The ``.toml`` members of a zip, in an ``instruments`` folder or anywhere (unreadable zips are reported by the table reader)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = [info for info in archive.infolist() if not info.is_dir() and _definition_member(info.filename)]
        too_large = [info for info in members if info.file_size > MAX_DEFINITION_BYTES]
        if too_large:
            raise CohortError([Problem(ERROR, None, "This instrument definition is larger than 1 MB: it cannot be a definition file.", where=f"{name}: {too_large[0].filename}")])
        return [(f"{name}: {info.filename}", archive.read(info)) for info in members]
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return []


def _definition_member(member: str) -> bool:
    parts = [part for part in member.replace("\\", "/").split("/") if part]
    return bool(parts) and _is_definition(parts[-1]) and not parts[-1].startswith(".") and "__MACOSX" not in parts


def instrument_definitions_at(path: str | os.PathLike) -> dict:
    """Instrument definitions found at a cohort's path: ``instruments/*.toml`` of its folder or zip.

    For a single file (a workbook, a CSV), the ``instruments`` folder beside
    it, where :func:`omalizumab_core.outputs.cohort_files.export_cohort` puts them.

    Examples
    --------
    >>> instrument_definitions_at("demo")
    {}
    """
    path = os.fspath(path)
    if os.path.isfile(path) and not path.lower().endswith(".zip"):
        path = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        folder = os.path.join(path, "instruments")
        if not os.path.isdir(folder):
            return {}
        files = []
        for entry in sorted(os.listdir(folder)):
            if _is_definition(entry):
                with open(os.path.join(folder, entry), "rb") as handle:
                    files.append((f"instruments/{entry}", handle.read()))
        return parse_instrument_files(files)
    if path.lower().endswith(".zip") and os.path.isfile(path):
        with open(path, "rb") as handle:
            return parse_instrument_files(_zip_definitions(os.path.basename(path), handle.read()))
    return {}


def _foreign(importer, source) -> RawCohort | None:
    """The cohort of a foreign source (REDCap, wide, ADaM), or None; only ever raises CohortError."""
    try:
        return importer(source)
    except CohortError:
        raise
    except MemoryError:
        raise CohortError([Problem(ERROR, None, "This file is too large to be read in memory.")]) from None
    except Exception:
        raise CohortError([Problem(ERROR, None, "This file could not be read: it may be damaged, or another kind of file renamed. "
                                   "Save it again from the program that made it.", where="file")]) from None


def _validated(raw: RawCohort, *, synthetic: bool, instruments: dict | None = None) -> Cohort:
    """Validate, adding the identifier warnings; only ever raises CohortError."""
    raw, empty = _without_empty_optional_tables(raw)
    identifiers = empty + list(raw.warnings) + _identifier_warnings(raw)
    try:
        cohort = validate(raw, synthetic=synthetic, instruments=instruments)
    except CohortError as error:
        raise CohortError(problems=error.problems + identifiers) from None
    except MemoryError:
        raise CohortError([Problem(ERROR, None, "This cohort is too large to be checked in memory.", where=raw.source)]) from None
    except Exception:
        # A defect of the validator, not of the file: the user still gets a
        # message, never a traceback. Tests assert it never happens.
        raise CohortError([Problem(ERROR, None, UNEXPECTED, where=raw.source)]) from None
    warnings = cohort.warnings + identifiers
    return dataclasses.replace(cohort, warnings=warnings)


def _without_empty_optional_tables(raw: RawCohort) -> tuple[RawCohort, list[Problem]]:
    """An optional table with headers but no rows (the template's labs sheet left empty) counts as absent.

    Returns the cohort without those tables and one warning per table dropped,
    so the user knows the page of that table will say "no data". Empty
    required tables stay, for the validator to refuse with its message.
    """
    empty = [name for name, table in raw.tables.items() if name not in REQUIRED_TABLES and len(table.frame) == 0]
    if not empty:
        return raw, []
    def what(frame) -> str:
        return "is empty (no column headers, no rows)" if len(frame.columns) == 0 else "has column headers but no rows"

    warnings = [
        Problem(WARNING, name, f"The {name} table {what(raw.tables[name].frame)}; the cohort is loaded without it.", where=raw.tables[name].origin)
        for name in empty
    ]
    tables = {name: table for name, table in raw.tables.items() if name not in empty}
    return dataclasses.replace(raw, tables=tables), warnings


def _identifier_warnings(raw: RawCohort) -> list[Problem]:
    """One warning per table having columns named like direct identifiers."""
    found = []
    for name, table in raw.tables.items():
        written = [table.column_label(column) for column in table.frame.columns]
        warning = identifier_warning(identifier_columns(written), table=name, where=table.origin)
        if warning is not None:
            found.append(warning)
    return found


