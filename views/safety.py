"""Safety: adverse events under omalizumab (Results, "Safety")."""

import streamlit as st

import omalizumab_core as oc
from omalizumab_core.analyses import safety
from ui.code import show_code
from ui.cohorts import recorded_only
from ui.charts import figure_section, show_figure
from ui.downloads import table_downloads
from ui.page import filtered_cohort, metric_row, no_data
from ui.tables import summary_table

scored = filtered_cohort(
    "Safety",
    "Patients with adverse events, their severity, flares and discontinuations "
    "(Lemal et al. 2019: 16 patients with side effects, 6 stopped omalizumab, 1 severe laryngeal edema after the first injection).",
)
scored = recorded_only(scored, "adverse_events")  # pooled cohorts: only those that recorded adverse events
if scored.cohort.adverse_events is None or not len(scored.outcomes):
    no_data("adverse events")
    st.stop()

summary = oc.safety_summary(scored)
metric_row(safety.headline(summary).items())

st.subheader("Adverse events")
by_severity = st.toggle("Split by worst severity", key="safety_by_severity")
table = oc.adverse_event_table(scored, by_severity=True)
shown = oc.format_adverse_event_table(table, by_severity=by_severity)
summary_table(shown)
st.caption(
    "Patients with at least one report of each event, as a percentage of the selected patients: a patient with several "
    "reports counts once. By severity, each patient counts at their worst severity of that event."
)
table_downloads(shown, "adverse_events")
show_code("adverse_events", by_severity=by_severity)
if (box := figure_section("Adverse events (bar chart of the table)", "adverse_events")) is not None:  # drawn on request (issue 18, item 6)
    with box:
        show_figure(oc.adverse_event_bars(table), "adverse_events")
        show_code("adverse_events_figure")

st.subheader("When adverse events happened")
timing = oc.adverse_event_timing(scored)
timing_table = oc.format_adverse_event_timing(timing)
summary_table(timing_table)
st.caption("Month 0 is the first injection, always given at the hospital. A patient with events at both times counts in both.")
table_downloads(timing_table, "adverse_event_timing")
show_code("adverse_event_timing")
if (box := figure_section("When adverse events happened (bar chart)", "adverse_event_timing")) is not None:  # drawn on request (issue 18, item 6)
    with box:
        show_figure(oc.adverse_event_timing_bars(timing), "adverse_event_timing")
        show_code("adverse_event_timing_figure")

with st.expander("Summary"):
    summary_frame = oc.format_safety_summary(summary)
    summary_table(summary_frame)
    table_downloads(summary_frame, "safety_summary")
    show_code("safety_summary")
