"""Importers: cohorts kept in other shapes, read into the dashboard's tables.

Each source has its own module and returns a
:class:`~omalizumab_core.data.raw.RawCohort` whose rows are located in the
source's own coordinates (:mod:`.located`); the usual validator then turns it
into the same :class:`~omalizumab_core.data.cohort.Cohort` as the long-format
loader.

* :mod:`.redcap` - REDCap CSV exports (raw or labels, classic or
  longitudinal, repeating instruments, checkboxes);
* :mod:`.wide` - one row per patient, symptom columns by visit, or one sheet
  per visit;
* :mod:`.adam` - CDISC ADaM datasets (ADSL, ADQS, ADAE, ADLB) in SAS
  transport, sas7bdat or CSV.

:func:`read_foreign_path` and :func:`read_foreign_upload` detect the source
from the files; they return None for the dashboard's own long format, which
the standard reader handles. The loader calls them once, before it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from omalizumab_core.data.raw import RawCohort


def read_foreign_upload(files: Sequence[tuple[str, bytes]]) -> RawCohort | None:
    """The cohort of uploaded files in a foreign shape, or None when they are in the dashboard's own form."""
    from omalizumab_core.data.importers.detect import detect

    if not all(isinstance(content, (bytes, bytearray, memoryview)) for _, content in files):
        return None  # the standard reader refuses it
    files = [(os.path.basename(str(name).replace("\\", "/")), bytes(content)) for name, content in files]
    return detect(files)


def read_foreign_path(path: str | os.PathLike) -> RawCohort | None:
    """The same for a file or folder on disk (a folder of ADaM datasets, a REDCap export, a wide workbook).

    Only files an importer may want are read: a folder of ``<table>.csv``
    files, or a long-format workbook, is left to the standard reader without
    being read twice.
    """
    from omalizumab_core.data.importers.detect import adam_dataset, detect, interesting, named_after_table, wide_candidate_path

    location = Path(os.fspath(path))
    try:
        if location.is_dir():
            members = sorted(p for p in location.iterdir() if p.is_file() and interesting(p.name))
            adam = [p for p in members if adam_dataset(p.name) or p.suffix.lower() in (".xpt", ".sas7bdat")]
            if adam:
                members = adam
            elif len(members) != 1 or named_after_table(members[0].name) or members[0].suffix.lower() in (".xlsx", ".xlsm"):
                return None
            return detect([(p.name, p.read_bytes()) for p in members])
        if not location.is_file() or not interesting(location.name):
            return None
        if location.suffix.lower() in (".xlsx", ".xlsm") and not wide_candidate_path(location):
            return None
        if location.suffix.lower() in (".csv", ".tsv", ".txt") and named_after_table(location.name) and not adam_dataset(location.name):
            return None
        return detect([(location.name, location.read_bytes())])
    except OSError:
        return None  # the standard reader reports it
