"""The report download button shared by the pages that offer a printable report."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st


def report_download(html: str | Callable[[], str], name: str) -> None:
    """A "Download report" button for a self-contained HTML report saved as ``name``.html.

    ``html`` is the report, or a function returning it: then the report is
    built only when the button is clicked (a report with figures inlines
    plotly.js, a few megabytes). The file opens offline in any browser and
    prints to PDF from there. Clicking does not rerun the page.
    """
    data = (lambda: html().encode("utf-8")) if callable(html) else html.encode("utf-8")
    st.download_button(
        "Download report",
        data,
        f"{name}.html",
        "text/html",
        key=f"report_{name}",
        icon=":material/download:",
        on_click="ignore",
        help="One HTML file with every table and figure; open it in a browser and print it to PDF.",
    )


def word_report_download(docx: Callable[[], bytes], name: str) -> None:
    """A "Download report (Word)" button: the same report as a .docx built when clicked (tables and text; figures named)."""
    st.download_button(
        "Download report (Word)",
        docx,
        f"{name}.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        key=f"report_docx_{name}",
        icon=":material/download:",
        on_click="ignore",
        help="The report's tables and text in a Word document, to edit for a manuscript.",
    )
