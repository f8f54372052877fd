"""Download buttons for tables: CSV, Excel (formula-safe, see omalizumab_core.outputs.exports) and Word."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from omalizumab_core.formatting import selection_line
from omalizumab_core.outputs.exports import csv_bytes, excel_bytes

from . import session
from .filters import current_description

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def word_table(frame: pd.DataFrame, name: str) -> bytes:
    """The table as a journal-style .docx: its title and method notes, the n of the selection, the filters."""
    from omalizumab_core.outputs.word import table_docx, table_notes

    title, notes = table_notes(name)
    return table_docx(frame, title=title, notes=notes, n=session.filtered().cohort.n_patients, n_total=session.cohort().n_patients,
                      filters=current_description(), source=session.cohort().source)


def table_downloads(frame: pd.DataFrame, name: str) -> None:
    """Three buttons under a table: "Download CSV", "Download Excel" and "Download Word".

    The files are built only when a button is clicked (a callable ``data``):
    writing a 100,000-row workbook on every rerun would cost tens of seconds.
    Each file ends with the filters and the data source, under the table.
    """
    footer = (selection_line(current_description()), f"Data source: {session.cohort().source}")
    left, middle, right = st.columns(3)
    left.download_button("Download CSV", lambda: csv_bytes(frame, footer=footer), f"{name}.csv", "text/csv", key=f"csv_{name}", icon=":material/download:")
    middle.download_button(
        "Download Excel",
        lambda: excel_bytes(frame, footer=footer),
        f"{name}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"xlsx_{name}",
        icon=":material/download:",
    )
    right.download_button("Download Word", lambda: word_table(frame, name), f"{name}.docx", DOCX, key=f"docx_{name}", icon=":material/download:",
                          help="A journal-style table with its title, method notes and the number of selected patients.")
