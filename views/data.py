"""Data: upload a cohort, read the validation report, preview the tables, get the template."""

import streamlit as st

import omalizumab_core as oc

from ui import session
from ui.data_tables import preview_tables, template_download
from ui.mapping_step import mapping_step
from ui.text import plain
from ui.upload import cohort_uploader

st.title("Data")
st.caption("Load your centre's cohort. Files stay in this browser session's memory only: nothing is saved on the server.")
st.caption("Filters: not applied on this page (the tables below list every loaded patient).")


cohort_uploader(
    "Cohort file(s): an Excel workbook (.xlsx), a .zip of CSV or Parquet files, the CSV/Parquet files themselves, "
    "a REDCap export, or ADaM datasets; with any instrument definitions (.toml, see docs/instruments.md)",
    ["xlsx", "zip", "csv", "parquet", "xpt", "sas7bdat", "toml"],
)
problems = st.session_state.get(session.LOAD_PROBLEMS)
if problems:
    st.error(oc.problem_summary(problems), icon=":material/error:")
    st.dataframe(oc.problems_frame(problems), width="stretch", hide_index=True)
    mapping_step()

cohort = session.cohort()
st.subheader(f"Loaded: {plain(cohort.source)}")
if cohort.warnings:
    st.warning(f"{len(cohort.warnings)} warning(s): the data loaded, but please check these.")
    st.dataframe(oc.problems_frame(cohort.warnings), width="stretch", hide_index=True)
if not cohort.synthetic:
    st.button("Go back to the demo cohort", on_click=session.use_demo)
preview_tables(cohort)
template_download()
