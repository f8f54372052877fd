"""Preview of the loaded tables and the template download, for the Data page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from omalizumab_core.data.cohort import TABLES, Cohort
from omalizumab_core.data.labels import column_help, column_label, readable_table

from . import session
from .text import plain

TABLE_LABELS = {
    "patients": "Patients",
    "symptoms": "Symptoms (one row per patient, symptom and month)",
    "doses": "Doses",
    "adverse_events": "Adverse events",
    "labs": "Laboratory results",
    "anaphylaxis": "Anaphylaxis episodes",
    "instrument_scores": "Instrument scores (questionnaires)",
}
PREVIEW_ROWS = 500


def preview_tables(cohort: Cohort) -> None:
    tabs = st.tabs([TABLE_LABELS[t].split(" (")[0] for t in TABLES])
    # Filters do not apply on this page: the previews are built once per loaded cohort, not at every rerun.
    previews = session.kept("data_previews", cohort, None, lambda: {name: _preview(name, cohort.table(name)) for name in TABLES})
    for tab, name in zip(tabs, TABLES):
        frame = cohort.table(name)
        with tab:
            if frame is None:
                st.info(f"No {TABLE_LABELS[name].lower()} table in this cohort (optional).")
                continue
            shown = f"first {PREVIEW_ROWS} of {len(frame):,}" if len(frame) > PREVIEW_ROWS else f"{len(frame):,}"
            st.caption(f"{TABLE_LABELS[name]}: {shown} rows")
            if name == "instrument_scores":
                _instrument_definitions(cohort)
            shown, config = previews[name]
            st.dataframe(shown, width="stretch", hide_index=True, column_config=config)


def _preview(name: str, frame: pd.DataFrame | None) -> tuple[pd.DataFrame, dict] | None:
    """The first rows of one table as shown, with a clinical header (and its help) per column."""
    if frame is None:
        return None
    # Clinical headers (the template name in each header's help), dates as dates, yes/no, and an empty
    # cell for a missing value: st.dataframe prints a missing number as "None", so a number column with
    # blanks is shown as text, each value as typed (a full column stays a number column and sorts as numbers).
    shown = readable_table(name, frame.head(PREVIEW_ROWS))
    for c in shown.columns:
        if pd.api.types.is_float_dtype(shown[c]) and shown[c].isna().any():
            shown[c] = pd.array([_as_entered(x) for x in shown[c]], dtype="string").fillna("")
        elif isinstance(shown[c].dtype, pd.StringDtype) or shown[c].dtype == object:
            shown[c] = shown[c].astype("string").fillna("")
    # A header is drawn as plain text; its help tooltip as Markdown, so a column name from the file is escaped there.
    config = {c: st.column_config.Column(column_label(name, c), help=plain(column_help(name, c), limit=600)) for c in shown.columns}
    return shown, config


def _as_entered(x: float):
    """A number as typed: 40 not 40.0, 41.8, 0.25 (up to 4 decimals); None when missing."""
    return None if x != x else f"{x:.4f}".rstrip("0").rstrip(".")


def _instrument_definitions(cohort: Cohort) -> None:
    """The definitions the instrument scores were checked against: name, source, recall period."""
    for definition in cohort.instruments.values():
        flag = " (example, not a validated instrument)" if definition.example else ""
        st.caption(f"Definition of {definition.id}{flag}: {definition.name}. Source: {definition.source} Recall period: {definition.recall_period}.")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_download() -> None:
    from omalizumab_core.data.importers.redcap_dictionary import redcap_dictionary_csv
    from omalizumab_core.data.importers.wide_template import wide_template_workbook
    from omalizumab_core.data.template import template_workbook

    st.subheader("Templates")
    st.caption(
        "An empty workbook with one sheet per table and a data dictionary explaining every column; "
        "or one row per patient with a column per symptom and visit; or a REDCap data dictionary that sets up a registry "
        "whose exports load as they are (see docs/redcap.md). REDCap exports, one-row-per-patient sheets and "
        "CDISC ADaM datasets (adsl, adqs, adae, adlb as .xpt, .sas7bdat or .csv) are recognised when uploaded."
    )
    first, second, third = st.columns(3)
    # Each workbook is built only when its button is clicked (a callable): reruns of the page stay fast.
    first.download_button("Template workbook", template_workbook, "omalizumab_cohort_template.xlsx", XLSX, icon=":material/download:")
    second.download_button("One row per patient", wide_template_workbook, "omalizumab_one_row_per_patient.xlsx", XLSX, icon=":material/download:")
    third.download_button("REDCap data dictionary", redcap_dictionary_csv, "omalizumab_redcap_dictionary.csv", "text/csv", icon=":material/download:")
