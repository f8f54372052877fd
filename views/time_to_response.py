"""Time to response: cumulative incidence of first and best response, and first improvement per symptom category."""

import streamlit as st

from omalizumab_core.analyses import time_to_response as ttr
from omalizumab_core.outputs.figures.time_to_response import cumulative_incidence_plot, first_improvement_plot, response_time_histogram
from ui.charts import show_figure
from ui.downloads import table_downloads
from ui.page import filtered_cohort, metric_row, statistic

scored = filtered_cohort(
    "Time to response",
    "Months from the first injection to the first response (at least partial) and to the best response "
    "(Lemal et al. 2019: median 2 and 6 months among responders).",
)

by = st.selectbox("Split curves by", [None, *ttr.SPLITS], format_func=ttr.split_label)
summary = statistic(ttr.time_to_response_summary, scored, by=by)
if summary is not None:
    metric_row((f"Median time to {ttr.MILESTONE_LABELS[m].lower()}", value, detail) for m, (value, detail) in ttr.headline(summary).items())

curves = statistic(ttr.time_to_response_curves, scored, by=by)
if curves is not None:
    show_ci = st.toggle("Show 95 % confidence bands", value=by is None)
    show_figure(cumulative_incidence_plot(curves, by=by, show_ci=show_ci), "time_to_response_curves")
    st.caption(
        "Share of patients who have responded by each month. Non-responders count as not yet responded until their "
        "last injection (or last follow-up if still treated), then leave the at-risk set (censored). Because a patient who "
        "stopped without responding will not respond later, late values overstate the share of all patients who respond: "
        "read the response rates on the Response page for that."
    )

if summary is not None:
    st.subheader("Summary")
    table = ttr.format_time_to_response_summary(summary, by=by)
    st.dataframe(table, width="stretch", hide_index=True)
    st.caption(
        "Medians among responders are the paper's measure. The Kaplan–Meier median also counts non-responders "
        "(censored); \"not reached\" means fewer than half (or three quarters) of the patients ever responded."
    )
    table_downloads(table, "time_to_response_summary")
    show_figure(response_time_histogram(ttr.response_times(scored)), "time_to_response_histogram")

st.subheader("First improvement by symptom category")
improvement = statistic(ttr.first_improvement_by_category, scored)
if improvement is not None:
    improvement_table = ttr.format_first_improvement(improvement)
    st.dataframe(improvement_table, width="stretch", hide_index=True)
    st.caption("First improvement: the first assessment at which a baseline symptom of the category scored below 1 (slight improvement or better).")
    table_downloads(improvement_table, "first_improvement_by_category")
    show_figure(first_improvement_plot(improvement), "first_improvement_by_category")
