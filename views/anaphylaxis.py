"""Anaphylaxis: episodes before and on omalizumab, freedom from anaphylaxis and from epinephrine."""

import streamlit as st

import omalizumab_core as oc
from ui.code import show_code
from ui.cohorts import recorded_only
from ui.charts import figure_section, show_figure
from ui.downloads import table_downloads
from ui.page import filtered_cohort, no_data, statistic
from ui.tables import summary_table

scored = filtered_cohort(
    "Anaphylaxis",
    "Episodes in the months before the first injection (12 unless the patients table says otherwise) and from the first to the last injection.",
)
scored = recorded_only(scored, "anaphylaxis")  # pooled cohorts: only those that recorded anaphylaxis
if scored.cohort.anaphylaxis is None or not len(scored.outcomes):
    no_data("anaphylaxis")
    st.stop()
outcomes = statistic(oc.anaphylaxis_outcomes, scored)
if outcomes is not None:
    st.subheader("Patients with anaphylaxis before omalizumab")
    summary_table(oc.format_anaphylaxis_outcomes(outcomes))
    show_code("anaphylaxis_outcomes")
rates = statistic(oc.anaphylaxis_rates, scored)
if rates is not None:
    st.subheader("Episodes per patient-year")
    summary_table(oc.format_anaphylaxis_rates(rates))
    st.caption(
        "Rate ratio on/before with its 95 % CI. The paired row compares each patient with their own months before (conditional "
        "Poisson by patient) and widens its interval when patients changed unevenly (small overdispersion p): read it "
        "first. The exact row pools the cohort's episodes and patient-years (R poisson.test)."
    )
    table_downloads(rates, "anaphylaxis_rates")
    show_code("anaphylaxis_rates")
periods = statistic(oc.anaphylaxis_periods, scored)
if periods is not None:
    if (box := figure_section("Episodes of each patient before and on omalizumab (dot plot)", "anaphylaxis_per_patient")) is not None:
        with box:  # drawn on request (issue 18, item 6)
            show_figure(oc.anaphylaxis_dot_plot(periods), "anaphylaxis_per_patient")
            show_code("anaphylaxis_per_patient")
            st.caption("One line per patient with at least one episode; patients without any episode are not drawn.")
