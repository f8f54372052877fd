"""One CSV or Parquet table, whatever holds it (an upload, a zip member, a file in a folder)."""

from __future__ import annotations

from omalizumab_core.data.problems import CohortError
from omalizumab_core.data.raw import RawTable
from omalizumab_core.data.reading.budgets import check_text_lengths
from omalizumab_core.data.reading.common import PARQUET, cohort_error, extension
from omalizumab_core.data.reading.csv_text import read_csv
from omalizumab_core.data.reading.parquet import read_parquet


def read_table_file(content: bytes, origin: str, table: str) -> RawTable:
    """One CSV or parquet table; unexpected parser failures become a CohortError."""
    try:
        if extension(origin) in PARQUET:
            # Text lengths were checked on the dictionaries, before decoding.
            return check_text_lengths(read_parquet(content, origin, table), cells=False)
        return check_text_lengths(read_csv(content, origin, table))
    except CohortError:
        raise
    except MemoryError:
        raise cohort_error("This file is too large to be read in memory.", where=origin, table=table) from None
    except Exception:
        raise cohort_error(
            "This file could not be read: it may be damaged or another kind of file renamed. "
            "Save it again from the program that made it.",
            where=origin,
            table=table,
        ) from None
