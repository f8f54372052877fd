"""Dosing: regimens, dose escalations and weekly dosing (Results, "Dose modifications")."""

import streamlit as st

import omalizumab_core as oc
from omalizumab_core.analyses import dosing
from ui.code import show_code
from ui.charts import figure_section, show_figure
from ui.downloads import table_downloads
from ui.links import open_patient, selected_point_ids
from ui.page import filtered_cohort, metric_row, no_data

scored = filtered_cohort(
    "Dose modifications",
    "Omalizumab regimens, dose escalations (in the paper up to 300 mg every 2 weeks; the table lists this cohort's) and weekly dosing, "
    "with the response before and after each change (Lemal et al. 2019: 15 escalations, 3 moved to weekly dosing).",
)
if scored.cohort.doses is None:
    no_data("doses")
    st.stop()

summary = oc.dosing_summary(scored)
metric_row(dosing.headline(summary).items())

st.subheader("Changes of regimen and response")
summary_table = oc.format_dosing_summary(summary)
st.dataframe(summary_table, width="stretch", height="content", hide_index=True)
st.caption(
    "Escalation: more omalizumab per day (e.g. 150 to 300 mg every 2 weeks). Weekly: the interval shortened to 7 days or less. "
    "Improved: a better response category after the change than at the last assessment before it, "
    "or the same partial or major response with a lower symptom score. Each patient counts once, on the first change of each kind."
)
table_downloads(summary_table, "dosing_summary")
show_code("dosing_summary")

changes = oc.dose_changes(scored)
if changes.empty:
    st.info("No patient of the selection changed regimen.")
else:
    if (box := figure_section("Response before and after each change (chart)", "dosing_response_around_changes")) is not None:
        with box:  # drawn on request (issue 18, item 6)
            show_figure(oc.response_around_changes(changes), "dosing_response_around_changes")
            show_code("dosing_response_around_changes")
    with st.expander(f"Each change of regimen ({len(changes)})"):
        change_table = oc.format_dose_changes(changes)
        st.dataframe(change_table, width="stretch", hide_index=True)
        table_downloads(change_table, "dose_changes")
        show_code("dose_changes")

st.subheader("Regimens over time")
st.caption("One row per patient (best response in brackets), one colour per regimen, darker for more omalizumab. Click a bar to open that patient.")
if (box := figure_section("Regimens of each patient (timeline)", "dosing_regimens")) is not None:  # drawn on request (issue 18, item 6)
    with box:
        event = show_figure(oc.regimen_timeline(oc.regimens(scored), scored.outcomes), "dosing_regimens", on_select="rerun", selection_mode="points")
        show_code("dosing_regimens")
        if clicked := selected_point_ids(event):
            open_patient(clicked[0])
