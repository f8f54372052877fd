"""Raw tables whose rows are located in the source's own coordinates.

The validator locates a problem with ``RawTable.where(position)``. For a long
table built from another layout (a REDCap export, a one-row-per-patient sheet,
an ADaM dataset) each row comes from a different place of the user's file, so
:class:`LocatedTable` keeps one location text per row: "REDCap export x.csv,
line 5: record P1, event 'month_3_arm_1', instrument 'assessment', instance 2,
field 'sx_flushing'", "sheet 'cohort', row 4, column F (flushing_m3)", "ADaM
dataset ADQS, record 12 (USUBJID P1)".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from omalizumab_core.data.problems import ERROR, CohortError, Problem
from omalizumab_core.data.raw import RawTable

_NORMALISE = re.compile(r"[\s\-]+")


@dataclass(frozen=True, eq=False)
class LocatedTable(RawTable):
    """A RawTable with one location text per row (``locations``)."""

    locations: tuple = ()

    def where(self, position: int) -> str:
        return self.locations[int(position)]


def located_table(name: str, rows, locations: list[str], *, origin: str, columns: list[str], labels: dict | None = None) -> LocatedTable:
    """A LocatedTable from row dicts (missing keys are blank), or a DataFrame, and their locations."""
    if isinstance(rows, pd.DataFrame):
        frame = rows.reindex(columns=columns).astype("object")
    else:
        frame = pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=columns, dtype="object")
    frame = frame.reset_index(drop=True)
    return LocatedTable(
        name=name,
        frame=frame,
        origin=origin,
        row_word="row",
        row_numbers=np.arange(1, len(frame) + 1),
        original_columns={c: (labels or {}).get(c, c) for c in columns},
        locations=tuple(locations),
    )


def normalise(name: object) -> str:
    """A header as the loader compares it: trimmed, lower case, spaces and hyphens as underscores."""
    return _NORMALISE.sub("_", str(name).strip().lower())


def blank(value: object) -> bool:
    """True for an empty cell (None, NaN, or only spaces)."""
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    if value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, str) and not value.strip()


def fail(message: str, where: str | None, table: str | None = None, column: str | None = None, value: str | None = None) -> CohortError:
    return CohortError([Problem(ERROR, table, message, where=where, column=column, value=value)])
