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
from omalizumab_core.data.importers import read_foreign_path, read_foreign_upload
from omalizumab_core.data.importers.mapping import apply_mapping
from omalizumab_core.data.problems import ERROR, CohortError, Problem
from omalizumab_core.data.raw import RawCohort
from omalizumab_core.data.reading import read_path, read_upload
from omalizumab_core.data.validation import validate

UNEXPECTED = (
    "The file was read, but checking its content failed on something the dashboard does not handle yet. "
    "Nothing was loaded. Please report this to the dashboard's maintainers (without sending the file)."
)
"""Message of the last-resort problem: any failure of the validator other than CohortError."""

# The validator's own identifier warning, replaced by the more thorough one of identifiers.py.


def load_cohort(path: str | os.PathLike, *, synthetic: bool = False, mapping: dict | None = None) -> Cohort:
    """Load an .xlsx or .zip file, or a folder of <table>.csv / <table>.parquet files.

    A REDCap export, a one-row-per-patient sheet or ADaM datasets are detected
    and read by their importer (:mod:`omalizumab_core.data.importers`).
    """
    raw = _foreign(read_foreign_path, path) or read_path(path)
    return _validated(apply_mapping(raw, mapping), synthetic=synthetic)


def load_upload(files: Sequence[tuple[str, bytes]], *, synthetic: bool = False, mapping: dict | None = None) -> Cohort:
    """Load files received by the web uploader, as (file name, content) pairs; ``mapping``: see importers.mapping."""
    files = list(files)
    raw = _foreign(read_foreign_upload, files) or read_upload(files)
    cohort = _validated(apply_mapping(raw, mapping), synthetic=synthetic)
    return dataclasses.replace(cohort, source=f"Upload: {raw.source}")


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


def _validated(raw: RawCohort, *, synthetic: bool) -> Cohort:
    """Validate, adding the identifier warnings; only ever raises CohortError."""
    identifiers = list(raw.warnings) + _identifier_warnings(raw)
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


def _identifier_warnings(raw: RawCohort) -> list[Problem]:
    """One warning per table having columns named like direct identifiers."""
    found = []
    for name, table in raw.tables.items():
        written = [table.column_label(column) for column in table.frame.columns]
        warning = identifier_warning(identifier_columns(written), table=name, where=table.origin)
        if warning is not None:
            found.append(warning)
    return found


