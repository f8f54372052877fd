"""Preview of the loaded tables and the template download, for the Data page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from omalizumab_core.data.cohort import TABLES, Cohort

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
            shown = frame.head(PREVIEW_ROWS)
            # Dates as dates (not "2015-01-10 00:00:00"); an empty cell stays empty (not "None").
            dates = {c: st.column_config.DateColumn(format="YYYY-MM-DD") for c in shown.columns if pd.api.types.is_datetime64_any_dtype(shown[c])}
            texts = [c for c in shown.columns if shown[c].dtype == object]
            st.dataframe(shown.astype({c: "string" for c in texts}), width="stretch", hide_index=True, column_config=dates)


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
    first.download_button("Template workbook", template_workbook(), "omalizumab_cohort_template.xlsx", XLSX, icon=":material/download:")
    # Built only when clicked (a callable): the page stays fast.
    second.download_button("One row per patient", wide_template_workbook, "omalizumab_one_row_per_patient.xlsx", XLSX, icon=":material/download:")
    third.download_button("REDCap data dictionary", redcap_dictionary_csv, "omalizumab_redcap_dictionary.csv", "text/csv", icon=":material/download:")
