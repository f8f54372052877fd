"""Download buttons for tables: CSV and Excel, formula-safe (see omalizumab_core.outputs.exports)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from omalizumab_core.outputs.exports import csv_bytes, excel_bytes


def table_downloads(frame: pd.DataFrame, name: str) -> None:
    """Two buttons under a table: "Download CSV" and "Download Excel".

    The files are built only when a button is clicked (a callable ``data``):
    writing a 100,000-row workbook on every rerun would cost tens of seconds.
    """
    left, right = st.columns(2)
    left.download_button("Download CSV", lambda: csv_bytes(frame), f"{name}.csv", "text/csv", key=f"csv_{name}", icon=":material/download:")
    right.download_button(
        "Download Excel",
        lambda: excel_bytes(frame),
        f"{name}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"xlsx_{name}",
        icon=":material/download:",
    )
