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
import os
from collections.abc import Sequence

from omalizumab_core.data.cohort import Cohort
from omalizumab_core.data.identifiers import identifier_columns, identifier_warning
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


def load_cohort(path: str | os.PathLike, *, synthetic: bool = False) -> Cohort:
    """Load an .xlsx or .zip file, or a folder of <table>.csv / <table>.parquet files."""
    return _validated(read_path(path), synthetic=synthetic)


def load_upload(files: Sequence[tuple[str, bytes]], *, synthetic: bool = False) -> Cohort:
    """Load files received by the web uploader, as (file name, content) pairs."""
    raw = read_upload(files)
    cohort = _validated(raw, synthetic=synthetic)
    return dataclasses.replace(cohort, source=f"Upload: {raw.source}")


def _validated(raw: RawCohort, *, synthetic: bool) -> Cohort:
    """Validate, adding the identifier warnings; only ever raises CohortError."""
    raw, empty = _without_empty_optional_tables(raw)
    identifiers = empty + _identifier_warnings(raw)
    try:
        cohort = validate(raw, synthetic=synthetic)
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
    warnings = [
        Problem(WARNING, name, f"The {name} table has column headers but no rows; the cohort is loaded without it.", where=raw.tables[name].origin)
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


