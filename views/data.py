"""Data: upload a cohort, read the validation report, preview the tables, get the template."""

import streamlit as st

from omalizumab_core.data.problems import problem_summary, problems_frame
from ui import session
from ui.data_tables import preview_tables, template_download

st.title("Data")
st.caption("Load your centre's cohort. Files stay in this browser session's memory only: nothing is saved on the server.")
st.caption("Filters: not applied on this page (the tables below list every loaded patient).")


# A successful load empties the uploader (a new key), so the next upload is a
# new cohort rather than more files added to the one already loaded.
uploader_key = f"uploaded_files_{st.session_state.get('uploads_loaded', 0)}"


def _on_upload() -> None:
    files = st.session_state.get(uploader_key) or []
    if files and not session.load_files([(f.name, f.getvalue()) for f in files]):
        st.session_state["uploads_loaded"] = st.session_state.get("uploads_loaded", 0) + 1


st.file_uploader(
    "Cohort file(s): an Excel workbook (.xlsx), a .zip of CSV or Parquet files, or the CSV/Parquet files themselves",
    type=["xlsx", "zip", "csv", "parquet"],
    accept_multiple_files=True,
    key=uploader_key,
    on_change=_on_upload,
)
problems = st.session_state.get(session.LOAD_PROBLEMS)
if problems:
    st.error(problem_summary(problems), icon=":material/error:")
    st.dataframe(problems_frame(problems), width="stretch", hide_index=True)

cohort = session.cohort()
st.subheader(f"Loaded: {cohort.source}")
if cohort.warnings:
    st.warning(f"{len(cohort.warnings)} warning(s): the data loaded, but please check these.")
    st.dataframe(problems_frame(cohort.warnings), width="stretch", hide_index=True)
if not cohort.synthetic:
    st.button("Go back to the demo cohort", on_click=session.use_demo)
preview_tables(cohort)
template_download()
