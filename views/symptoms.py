"""Symptoms: the symptom score before and under omalizumab, symptom by symptom (Figure 1)."""

import streamlit as st

import omalizumab_core as oc
from omalizumab_core.stats.multiple_testing import ADJUSTMENT_LABELS
from ui.code import show_code
from ui.cohorts import compare_cohorts
from ui.charts import figure_section, show_figure
from ui.downloads import table_downloads
from ui.links import open_patient, selected_point_ids
from ui.page import filtered_cohort, statistic
from ui.tables import summary_table

scored = filtered_cohort(
    "Symptoms improvement",
    "Each baseline symptom scores 1; under omalizumab 1.5 worse, 1 no change, 0.75 slight, 0.5 substantial, "
    "0.25 dramatic improvement, 0 disappeared (Figure 1 of Lemal et al. 2019).",
)

left, middle, right = st.columns([1, 1, 1.5])  # "Benjamini–Hochberg (false discovery rate)" not cut at 1280 px
times = {"best": "Best response", "last": "Last assessment", "month": "A chosen month"}
when = left.radio("Score under treatment at", list(times), format_func=times.get, key="symptoms_at")
at = when
if when == "month":
    at = left.number_input("Month after the first injection", min_value=1, max_value=240, value=6, step=1, key="symptoms_month")
levels = {"symptom": "Symptom", "category": "Symptom category"}
level = middle.radio("Group by", list(levels), format_func=levels.get, key="symptoms_level")
adjust = right.selectbox("Adjustment for multiple testing", list(ADJUSTMENT_LABELS), format_func=ADJUSTMENT_LABELS.get, key="symptoms_adjust")
compare_cohorts("symptoms", scored, at=at, level=level)  # only when comparing cohorts: a column pair per cohort

changes = statistic(oc.symptom_changes, scored, at=at, level=level, adjust=adjust)
if changes is not None:
    table = oc.format_symptom_table(changes)
    # Two tables, so that each fits the page at 1280 px and on a projector.
    keys = [c for c in ("Symptom", "Category") if c in table.columns]
    counts = [c for c in ("Patients with it at baseline", "Patients assessed", "Improved", "Unchanged", "Worse", "Disappeared") if c in table.columns]
    summary_table(table[keys + counts])
    summary_table(table[keys[:1] + [c for c in table.columns if c not in keys + counts]])
    st.caption(
        "Two-sided Wilcoxon signed-rank test of the score at baseline vs under omalizumab, one test per row; patients "
        "whose score did not change are left out (Wilcoxon's rule); the p-value is exact, ties included, up to 500 changed "
        "patients (normal approximation above); no test with fewer than 2 changed patients (–). "
        "Stars: * p < 0.05, ** p < 0.01, *** p < 0.001, ns otherwise. A category's score is the mean of its symptoms' scores. "
        "Change = score under omalizumab − baseline, over all assessed patients: median; Hodges–Lehmann estimate (median of "
        "the pairwise averages) with its signed-rank 95 % CI; mean with its t 95 % CI."
    )
    table_downloads(table, f"symptoms_by_{level}")
    show_code("symptom_table", at=at, level=level, adjust=adjust)

    show_figure(oc.symptom_score_bars(changes), f"symptom_scores_by_{level}")
    show_code("symptom_scores", at=at, level=level, adjust=adjust)
    # Drawn on request: figures drawn at once, below the fold, delay the page's first display (issue 18, item 6).
    if (box := figure_section("Share of patients improved, unchanged or worse (bar chart)", "symptom_improvement")) is not None:
        with box:
            show_figure(oc.improvement_share_bars(oc.improvement_shares(changes)), f"symptom_improvement_by_{level}")
            show_code("symptom_improvement", at=at, level=level, adjust=adjust)
    if (box := figure_section("Each patient's score per symptom (heat map; click a cell to open that patient)", "symptom_heatmap")) is not None:
        with box:
            matrix = oc.symptom_heatmap_data(scored, at=at, level=level)
            event = show_figure(oc.symptom_heatmap(matrix), f"symptom_heatmap_by_{level}", on_select="rerun", selection_mode="points")
            show_code("symptom_heatmap", at=at, level=level)
            if clicked := selected_point_ids(event):
                open_patient(clicked[0])
