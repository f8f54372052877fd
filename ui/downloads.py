"""Download buttons for tables: CSV and Excel, formula-safe (see omalizumab_core.outputs.exports)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from omalizumab_core.formatting import selection_line
from omalizumab_core.outputs.exports import csv_bytes, excel_bytes

from . import session
from .filters import current_description


def table_downloads(frame: pd.DataFrame, name: str) -> None:
    """Two buttons under a table: "Download CSV" and "Download Excel".

    The files are built only when a button is clicked (a callable ``data``):
    writing a 100,000-row workbook on every rerun would cost tens of seconds.
    Each file ends with the filters and the data source, under the table.
    """
    footer = (selection_line(current_description()), f"Data source: {session.cohort().source}")
    left, right = st.columns(2)
    left.download_button("Download CSV", lambda: csv_bytes(frame, footer=footer), f"{name}.csv", "text/csv", key=f"csv_{name}", icon=":material/download:")
    right.download_button(
        "Download Excel",
        lambda: excel_bytes(frame, footer=footer),
        f"{name}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"xlsx_{name}",
        icon=":material/download:",
    )
