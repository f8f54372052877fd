"""Follow-up: Figure 2 (best response to response at last follow-up), duration of therapy, patient courses."""

import streamlit as st

import omalizumab_core as oc

from ui.code import show_code
from ui.charts import figure_section, show_figure
from ui.downloads import table_downloads
from ui.links import open_patient, selected_point_ids
from ui.page import filtered_cohort, statistic

scored = filtered_cohort(
    "Follow-up of responses",
    "From best response to response at last follow-up, duration of therapy and each patient's course (Figure 2 of Lemal et al. 2019).",
)

flows = oc.response_flows(scored)
show_figure(oc.sankey(flows), "follow_up_sankey")
show_code("follow_up_sankey")
sustained = statistic(oc.sustained_response, scored)
if sustained is not None:
    st.markdown(f"**Sustained response:** {oc.format_sustained(sustained)}")
with st.expander("Flows as a table"):
    flow_table = oc.format_flows(flows)
    st.dataframe(flow_table, width="stretch", hide_index=True)
    table_downloads(flow_table, "follow_up_flows")
    show_code("follow_up_flows")

st.subheader("Duration of omalizumab therapy")
bars, events = oc.swimmer_data(scored)
durations = statistic(oc.duration_by_best_response, scored)
if durations is not None:
    duration_table = oc.format_durations(durations)
    st.dataframe(duration_table, width="stretch", hide_index=True)
    st.caption("Months from the first injection to the stop, or to the last follow-up for patients still treated.")
    table_downloads(duration_table, "duration_of_therapy")
    show_code("duration_of_therapy")
    if (box := figure_section("Duration of therapy by best response (box plot)", "duration_of_therapy")) is not None:
        with box:
            show_figure(oc.duration_box(bars), "duration_of_therapy")
            show_code("duration_of_therapy_figure")

st.subheader("Course of each patient")
st.caption("Click a bar or a marker to open that patient.")
missing = [name for name, table in (("doses", scored.cohort.doses), ("adverse events", scored.cohort.adverse_events)) if table is None]
if missing:
    st.caption(f"No {' or '.join(missing)} table in the loaded cohort: those events are not shown.")
# Drawn on request: a figure drawn at once, below the fold, delays the page's first display (issue 18, item 6).
if (box := figure_section("Each patient's course (swimmer plot)", "follow_up_swimmer")) is not None:
    with box:
        event = show_figure(oc.swimmer_plot(bars, events), "follow_up_swimmer", on_select="rerun", selection_mode="points")
        show_code("follow_up_swimmer")
        if clicked := selected_point_ids(event):
            open_patient(clicked[0])
# Building the per-patient table costs seconds at registry scale: on request for large cohorts.
if st.toggle("Per-patient course table for download", value=len(bars) <= 2000):
    table_downloads(oc.format_swimmer(bars, events), "patient_courses")
