"""Response: Table 2 with 95 % confidence intervals, two-group comparison, forest and waterfall plots."""

import streamlit as st

import omalizumab_core as oc
from omalizumab_core.analyses import predictors
from omalizumab_core.analyses.response_rates import MEASURE_LABELS, level_label
from ui.code import show_code
from ui.cohorts import compare_cohorts
from ui.charts import figure_section, show_figure
from ui.downloads import table_downloads
from ui.links import open_patient, selected_point_ids
from ui.page import filtered_cohort, statistic
from ui.tables import summary_table

scored = filtered_cohort(
    "Response to omalizumab",
    "Best response and response at last follow-up (Table 2 of Lemal et al. 2019), with exact 95 % confidence intervals.",
)
compare_cohorts("table2", scored)  # only when comparing cohorts: Table 2 side by side
variables = oc.response_variables(scored)
by = st.selectbox("Compare response by", list(variables), format_func=variables.get, key="response_by")

table = oc.table2_with_ci(scored, by=None if by == "subgroup" else by)
summary_table(table, hide_index=False)
st.caption(
    "Patients (%), with the exact 95 % confidence interval of the rate on the line below. CR: complete response (all symptoms resolved); "
    "MR: major response (decrease > 50 %); PR: partial response (decrease 10–50 %); "
    "persistent response: still treated and in response at last follow-up. Intolerance: responders who stopped for intolerance "
    "(the paper's definition); the Safety page counts every patient who stopped for an adverse event, whatever the response."
)
table_downloads(table.reset_index(), f"table2_response_by_{by}")
show_code("table2", by=by)

st.subheader("Compare two groups")
levels = oc.group_levels(scored, by)
left, middle, right = st.columns([1, 1, 1.5])  # the outcome's label is the longest (not cut at 1280 px)
label = lambda level: level_label(by, level)  # noqa: E731
level_a = left.selectbox("First group", levels, format_func=label, key=f"response_a_{by}")
level_b = middle.selectbox("Second group", levels, index=min(1, len(levels) - 1), format_func=label, key=f"response_b_{by}")
measure = right.selectbox("Outcome", ["best_overall", "persistent_overall"], format_func=MEASURE_LABELS.get, key="response_measure")
comparison = None if level_a == level_b else statistic(oc.compare_subgroups, scored, by=by, level_a=level_a, level_b=level_b, measure=measure)
if level_a == level_b:
    st.info("Choose two different groups to compare." if len(levels) > 1 else "Only one group among the selected patients; two different groups are needed to compare (widen the filters).")
elif comparison is not None:
    comparison_table, sentence = oc.format_comparison(comparison)
    st.dataframe(comparison_table, hide_index=True, width="stretch")
    st.markdown(sentence)
    show_code("response_comparison", by=by, level_a=level_a, level_b=level_b, measure=measure)

st.subheader("Figures")
# Drawn on request: each plotly figure drawn at once delays the page's first display (issue 18, item 6).
if (box := figure_section("Overall response rate by patient characteristic (forest plot)", "response_forest")) is not None:
    with box:
        characteristics = ("group", "subgroup", "sex", "kit_d816v") + (() if by in ("group", "subgroup", "sex", "kit_d816v") else (by,))
        show_figure(oc.forest_plot(oc.forest_rows(scored, by_variables=characteristics)), "response_forest")
        show_code("response_forest", characteristics=characteristics)

if (box := figure_section("Best decrease in symptom score, patient by patient (waterfall plot)", "response_waterfall")) is not None:
    with box:
        st.caption("Bars coloured by best response; a patient whose score never decreased has no visible bar. Click a bar to open that patient's page.")
        event = show_figure(oc.waterfall_plot(oc.waterfall_data(scored)), "response_waterfall", on_select="rerun", selection_mode="points")
        show_code("response_waterfall")
        if clicked := selected_point_ids(event):
            open_patient(clicked[0])

st.subheader("Who responds? Odds ratio of response by baseline characteristic")
if st.toggle("Show the odds ratios (a few seconds)", key="response_predictors"):
    univariable = statistic(oc.response_predictors, scored)
    if univariable is not None:
        show_figure(oc.odds_ratio_forest_plot(univariable), "response_predictors_forest")
        show_code("predictors_forest")
        shown = oc.format_predictors(univariable)
        st.dataframe(shown, hide_index=True, width="stretch")
        st.caption(predictors.CAPTION)
        table_downloads(shown, "response_predictors")
        show_code("predictors")
        options = oc.predictor_characteristics(oc.predictor_data(scored))
        chosen = st.multiselect("Characteristics of a multivariable model", list(options), format_func=options.get, key="predictors_model")
        model = statistic(oc.multivariable_predictors, scored, characteristics=chosen) if chosen else None
        if model is not None:
            if model.attrs["warning"]:
                st.warning(model.attrs["warning"], icon=":material/warning:")
            st.dataframe(oc.format_predictors(model), hide_index=True, width="stretch")
            show_code("multivariable_predictors", characteristics=chosen)
