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
            shown = frame.head(PREVIEW_ROWS)
            # Dates as dates (not "2015-01-10 00:00:00"); an empty cell stays empty (not "None").
            dates = {c: st.column_config.DateColumn(format="YYYY-MM-DD") for c in shown.columns if pd.api.types.is_datetime64_any_dtype(shown[c])}
            texts = [c for c in shown.columns if shown[c].dtype == object]
            st.dataframe(shown.astype({c: "string" for c in texts}), width="stretch", hide_index=True, column_config=dates)


def template_download() -> None:
    from omalizumab_core.data.template import template_workbook

    st.subheader("Template")
    st.caption("An empty workbook with one sheet per table and a data dictionary explaining every column.")
    st.download_button(
        "Download the template workbook",
        template_workbook(),
        "omalizumab_cohort_template.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
    )
