"""Time to response: cumulative incidence of first and best response, and first improvement per symptom category."""

import streamlit as st

import omalizumab_core as oc
from omalizumab_core.analyses import time_to_response as ttr
from ui.code import show_code
from ui.cohorts import compare_cohorts
from ui.charts import figure_section, show_figure
from ui.downloads import table_downloads
from ui.page import filtered_cohort, metric_row, statistic
from ui.tables import summary_table

scored = filtered_cohort(
    "Time to response",
    "Months from the first injection to the first response (at least partial) and to the best response "
    "(Lemal et al. 2019: median 2 and 6 months among responders).",
)

by = st.selectbox("Split curves by", [None, *ttr.SPLITS], format_func=ttr.split_label, key="time_to_response_by")
sensitivity = st.toggle(
    "Sensitivity analysis: 1 − Kaplan–Meier (patients who stopped without response censored)", value=False, key="time_to_response_sensitivity",
    help="Default: Aalen–Johansen, where stopping omalizumab without a response is a competing event, because such a patient "
    "will not respond later. 1 − Kaplan–Meier treats them as if they could still respond, and overstates response.",
)
method = "kaplan_meier" if sensitivity else "aalen_johansen"
compare_cohorts("curves", scored, method=method)  # only when comparing cohorts: a curve per cohort and Gray's test
summary = statistic(oc.time_to_response_summary, scored, by=by, method=method)
curves = statistic(oc.time_to_response_curves, scored, by=by, method=method)
if summary is not None:
    metric_row((f"Median time to {ttr.MILESTONE_LABELS[m].lower()}", value, detail) for m, (value, detail) in ttr.headline(summary).items())
if curves is not None and by is None:
    metric_row(ttr.curve_headline(curves))

if curves is not None:
    show_ci = st.toggle("Show 95 % confidence bands", value=by is None, key=f"time_to_response_ci_{by}")
    show_figure(oc.cumulative_incidence_plot(curves, by=by, show_ci=show_ci), "time_to_response_curves")
    show_code("time_to_response_curves", by=by, method=method, show_ci=show_ci)
    st.caption(
        "Share of all treated patients who have responded by each month (" + ttr.METHOD_LABELS[method] + "). "
        "Patients still treated without a response, or lost to follow-up, are censored at their last follow-up. "
        "95 % pointwise confidence intervals as R survival computes them."
    )
    if by is not None:
        tests = statistic(oc.time_to_response_tests, scored, by=by, method=method)
        if tests is not None:
            summary_table(oc.format_time_to_response_tests(tests))
            show_code("time_to_response_tests", by=by, method=method)
            st.caption("Gray's test compares Aalen–Johansen curves; the log-rank test compares Kaplan–Meier curves.")
    st.subheader("Patients responding at landmark months")
    landmarks = oc.format_incidence_at(oc.incidence_at(curves), by=by)
    summary_table(landmarks)
    table_downloads(landmarks, "time_to_response_landmarks")
    show_code("time_to_response_landmarks", by=by, method=method)

if summary is not None:
    st.subheader("Summary")
    table = oc.format_time_to_response_summary(summary, by=by)
    summary_table(table)
    st.caption(
        "Medians among responders are the paper's measure. Months to 25, 50 and 75 % are read off the curve, so they count every "
        "patient; their 95 % CIs invert the curve's band (Brookmeyer–Crowley). \"Not reached\": the curve never gets there."
    )
    table_downloads(table, "time_to_response_summary")
    show_code("time_to_response_summary", by=by, method=method)
    if (box := figure_section("Months to first and best response of each responder (histogram)", "time_to_response_histogram")) is not None:
        with box:  # drawn on request (issue 18, item 6)
            show_figure(oc.response_time_histogram(oc.response_times(scored)), "time_to_response_histogram")
            show_code("time_to_response_histogram")

st.subheader("First improvement by symptom category")
improvement = statistic(oc.first_improvement_by_category, scored)
if improvement is not None:
    improvement_table = oc.format_first_improvement(improvement)
    summary_table(improvement_table)
    st.caption("First improvement: the first assessment at which a baseline symptom of the category scored below 1 (slight improvement or better).")
    table_downloads(improvement_table, "first_improvement_by_category")
    show_code("first_improvement")
    if (box := figure_section("First improvement by symptom category (chart)", "first_improvement_by_category")) is not None:
        with box:
            show_figure(oc.first_improvement_plot(improvement), "first_improvement_by_category")
            show_code("first_improvement_figure")
