"""Patient: one patient's course under omalizumab, and how it compares with their subgroup."""

import streamlit as st

import omalizumab_core as oc
from omalizumab_core.analyses import patient_course as pc

from ui import session
from ui.beyond_score import beyond_score
from ui.code import show_code
from ui.charts import figure_section, show_figure
from ui.downloads import table_downloads
from ui.filters import current_description
from ui.links import PATIENT_PARAM
from ui.page import filtered_cohort, fitting_per_row, statistic
from ui.report import report_download
from ui.text import plain

scored = filtered_cohort("Patient", "One patient's symptom score, symptoms, doses, adverse events and labs on one time axis.")
ids = scored.outcomes["patient_id"].astype(str).tolist()
asked = (st.query_params.get(PATIENT_PARAM) or "").strip() or None  # a pasted link may carry spaces around the id


def _remember():
    st.query_params[PATIENT_PARAM] = st.session_state["patient_picker"]


chosen = st.selectbox("Patient", ids, index=ids.index(asked) if asked in ids else (None if asked else 0),
                      key="patient_picker", on_change=_remember, placeholder="Type a patient id", help="Type to search by id.")
course = statistic(oc.patient_course, scored, chosen or asked) if (chosen or asked) else None
if course is None:
    st.stop()

header = oc.format_header(course.header)
per_row = fitting_per_row(header["Value"], 4)
for start in range(0, len(header), per_row):
    for column, row in zip(st.columns(per_row), header.iloc[start:start + per_row].itertuples()):
        column.metric(row.Item, plain(row.Value), help=plain(row.Detail, limit=600))
st.caption(" · ".join(plain(detail, limit=600) for detail in header["Detail"].iloc[:6]))

st.subheader("Course under omalizumab")
end = None if course.header["still_treated"] else course.header["treatment_end_month"]
last = course.header["months_on_treatment"]
# One figure, one month axis: score, doses, adverse events (by severity) and labs line up.
# The patient's own rows only: kept across filter changes (ui.session.kept).
show_figure(session.kept("patient_course", scored.whole_cohort, course.header["patient_id"], lambda: oc.patient_course_figure(
    course.trajectory, course.header["baseline_symptoms"], course.doses, course.adverse_events, course.labs, end_month=end, last_month=last)),
    "patient_course")
show_code("patient_course_figure", patient_id=course.header["patient_id"])
st.markdown(f"**Data gaps**: more than {pc.GAP_MONTHS} months between consecutive assessments (baseline, each assessment, end of treatment or last follow-up).")
st.markdown("\n".join(f"- {sentence}" for sentence in oc.describe_gaps(course.gaps)))

st.subheader("Symptoms")
if (box := figure_section("Each symptom at each assessment (heat map; also in the Symptoms table below)", "patient_symptoms")) is not None:
    with box:  # drawn on request (issue 18, item 6)
        show_figure(oc.symptom_heatmap_figure(course.grid), "patient_symptoms")
        show_code("patient_symptoms_figure", patient_id=course.header["patient_id"])

st.subheader("Compared with the subgroup")
if (box := figure_section("Best response in the patient's subgroup (bar chart)", "patient_subgroup")) is not None:
    with box:
        show_figure(oc.subgroup_response_figure(course.comparison.counts, course.comparison.subgroup), "patient_subgroup")
        show_code("patient_subgroup_figure", patient_id=course.header["patient_id"])
timing = oc.format_subgroup_timing(course.comparison)
st.dataframe(timing, width="stretch", hide_index=True)
show_code("patient_subgroup_timing", patient_id=course.header["patient_id"])

beyond_score("Anaphylaxis and questionnaires", oc.patient_beyond_score_lines(scored, course.header["patient_id"]))

st.subheader("Tables")
tables = [
    ("Score", "score", oc.format_trajectory(course.trajectory)),
    ("Symptoms", "symptoms", oc.format_symptom_grid(course.grid)),
    ("Doses, events, labs", "events", oc.format_events(course.doses, course.adverse_events, course.labs)),
    ("Subgroup timing", "subgroup_timing", timing),
]
# Only the open tab is drawn (Streamlit's lazy tabs): four tables at once delayed the page's first display (issue 18).
for tab, (_, stem, table) in zip(st.tabs([label for label, _, _ in tables], key="patient_tables", on_change="rerun"), tables):
    if tab.open:
        with tab:
            st.dataframe(table, width="stretch", hide_index=True)
            table_downloads(table, f"patient_{course.header['patient_id']}_{stem}")
            show_code(f"patient_{stem}", place="tables", patient_id=course.header["patient_id"])

filters = current_description()
report_download(lambda: oc.patient_report(scored, course.header["patient_id"], filters=filters, source=scored.cohort.source, course=course),
                f"patient_{course.header['patient_id']}_report")
