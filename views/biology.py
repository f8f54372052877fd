"""Biology: serum tryptase and total IgE before and on omalizumab (Results, "Biological effects")."""

import streamlit as st

import omalizumab_core as oc
from omalizumab_core.analyses import biology
from omalizumab_core.data.codes import ANALYTE_LABELS, ANALYTES
from ui.code import show_code
from ui.charts import figure_section, show_figure
from ui.downloads import table_downloads
from ui.links import open_patient, selected_point_ids
from ui.page import filtered_cohort, metric_row, no_data, statistic

scored = filtered_cohort(
    "Biological effects",
    "Serum tryptase and total IgE before omalizumab and after at least 3 months of treatment, compared with paired "
    "t-tests (Lemal et al. 2019: tryptase 30.3 → 32 ng/mL, not significant; total IgE 235.1 → 772.8 IU/mL, 11 of 15 increased).",
)
if scored.cohort.labs is None:
    no_data("labs")
    st.stop()

stable_within = st.number_input(
    "Stable: within ± this % of the value before",
    min_value=0.0, max_value=100.0, value=float(biology.STABLE_WITHIN_PCT), step=1.0, format="%g", key="biology_stable_within_pct",
    help="A change of exactly this % is stable. The paper gives no threshold; 20 % reproduces its 11 increased and 4 stable total IgE levels.",
)
st.caption(biology.stable_rule(stable_within))

# Only the open tab is computed (Streamlit's lazy tabs): both analytes at every rerun doubled the page's time (issue 21).
for tab, analyte in zip(st.tabs([ANALYTE_LABELS[a] for a in ANALYTES], key="biology_analyte", on_change="rerun"), ANALYTES):
    if not tab.open:
        continue
    with tab:
        pairs = oc.lab_pairs(scored, analyte, stable_within_pct=stable_within)
        tests = statistic(oc.lab_tests, pairs)
        if tests is None:
            continue
        metric_row(biology.headline(tests).items())
        table = oc.format_lab_tests(tests, stable_within_pct=stable_within)
        st.dataframe(table, width="stretch")
        st.caption(
            "Before: the latest value at month 0, else the baseline value of the patients table. On: the first value after at "
            "least 3 months of treatment. Wilcoxon signed-rank test shown alongside: "
            "two-sided, unchanged patients left out, exact (ties included) up to 500 pairs. Change = on − before: median, "
            "Hodges–Lehmann estimate with its signed-rank 95 % CI, mean with its t 95 % CI; geometric mean ratio on / before "
            "with its 95 % CI (paired t-test on the log scale)."
        )
        table_downloads(table.reset_index(), f"{analyte}_before_on")
        show_code("lab_tests", analyte=analyte, stable_within_pct=stable_within)
        # Drawn on request (issue 18, item 6); one section per analyte.
        label = "Each patient before and on omalizumab (paired plot; click a line to open that patient)"
        if (box := figure_section(label, f"{analyte}_paired")) is not None:
            with box:
                event = show_figure(oc.paired_plot(pairs), f"{analyte}_paired", on_select="rerun", selection_mode="points")
                show_code("lab_paired_plot", analyte=analyte, stable_within_pct=stable_within)
                if clicked := selected_point_ids(event):
                    open_patient(clicked[0])
        st.markdown("**By best response**")
        by_response = oc.format_lab_tests(oc.lab_by_response(scored, analyte, stable_within_pct=stable_within), stable_within_pct=stable_within)
        st.dataframe(by_response, width="stretch")
        table_downloads(by_response.reset_index(), f"{analyte}_by_response")
        show_code("lab_by_response", analyte=analyte, stable_within_pct=stable_within)
        box = st.expander(f"Each patient ({len(pairs)})", key=f"{analyte}_each_patient", on_change="rerun")
        if not box.open:  # one line per patient (50,000 at registry scale): written when opened
            continue
        with box:
            patient_table = oc.format_lab_pairs(pairs, stable_within_pct=stable_within)
            st.dataframe(patient_table, width="stretch", hide_index=True)
            table_downloads(patient_table, f"{analyte}_patients")
            show_code("lab_patients", analyte=analyte, stable_within_pct=stable_within)
