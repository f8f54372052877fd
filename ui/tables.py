"""Summary tables that fit the page: wrapped text instead of a horizontal scroll bar.

``st.dataframe`` draws on a canvas whose columns are as wide as their longest
cell and never wrap, so Table 1 or the symptoms table ran off screen at
1280 px and on a projector. Small summary tables (a paper's tables, a few
dozen rows) are shown with ``st.table`` instead, which wraps cells to the
page width and prints on a projector as it reads in the paper. ``st.table``
renders its cells as Markdown, so every text cell and header is escaped
first: a value is shown exactly as written ("***", "- 1", "ISM_2").
Long listings (the data preview, patient lists) stay in ``st.dataframe``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from .text import plain

_LONGEST_CELL = 10_000  # characters; the readers refuse longer text cells (data/reading/budgets.py)


def escape_markdown(value):
    """``value`` made inert and shown as written in ``st.table`` (ui.text.plain, the one escaping); non-text unchanged.

    plain() also breaks bare web addresses, which Markdown would otherwise turn into links.
    """
    if not isinstance(value, str):
        return value
    return plain(value, limit=_LONGEST_CELL)


def summary_table(frame: pd.DataFrame, *, hide_index: bool = True) -> None:
    """Show a small summary table wrapped to the page width, its text exactly as in ``frame``."""
    shown = frame.copy()
    for column in shown.columns:
        if shown[column].dtype == object or pd.api.types.is_string_dtype(shown[column]):
            shown[column] = shown[column].map(escape_markdown)
    shown.columns = [escape_markdown(str(c)) for c in shown.columns]
    if not hide_index:
        # Each level of a MultiIndex (Table 1's section and row) escaped on its own: the levels stay levels.
        shown.index = shown.index.map(lambda i: tuple(escape_markdown(str(part)) for part in i) if isinstance(i, tuple) else escape_markdown(str(i)))
    st.table(shown, hide_index=hide_index)
