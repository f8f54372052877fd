"""Overview: headline figures and Table 1 (patients' characteristics) for the selected patients."""

import streamlit as st

import omalizumab_core as oc

from ui.beyond_score import beyond_score
from ui.code import report_code, show_code
from ui.cohorts import compare_cohorts
from ui.downloads import table_downloads
from ui.filters import current_description
from ui.page import filtered_cohort, metric_row
from ui.report import report_download, word_report_download
from ui.tables import summary_table

scored = filtered_cohort(
    "Omalizumab in mast cell disorders",
    "Outcomes of anti-IgE therapy by the symptom-score method of Lemal et al. (J Allergy Clin Immunol Pract 2019).",
)
compare_cohorts("table1", scored)  # only when comparing cohorts: Table 1 side by side

headline = oc.format_headline(oc.headline_figures(scored))
metric_row(headline[["Measure", "Value", "Detail"]].itertuples(index=False), per_row=3)
st.caption(
    "Response at best response: complete (all baseline symptoms resolved), major (symptom score decreased by more than 50 %) "
    "or partial (decrease of 10 to 50 %). Exact (Clopper–Pearson) 95 % confidence intervals."
)
beyond_score("Anaphylaxis and questionnaires", oc.beyond_score_lines(scored))

st.subheader("Patients' characteristics (Table 1)")
characteristics = oc.format_table1(oc.table1(scored))
summary_table(characteristics, hide_index=False)
table_downloads(characteristics.reset_index(), "table1_characteristics")
show_code("table1")

filters = current_description()
code = report_code()
report_download(lambda: oc.overview_report(scored, filters=filters, source=scored.cohort.source, code=code), "overview_report")
word_report_download(lambda: oc.overview_report_docx(scored, filters=filters, source=scored.cohort.source, code=code), "overview_report")
