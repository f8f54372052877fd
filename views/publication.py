"""Publication: every published figure of Lemal et al. 2019 next to the loaded cohort's."""

import streamlit as st

import omalizumab_core as oc

from ui.code import show_code
from ui.downloads import table_downloads
from ui.page import filtered_cohort
from ui.tables import summary_table

scored = filtered_cohort(
    "Published study vs this cohort",
    "Lemal et al., J Allergy Clin Immunol Pract 2019;7:2387-95: each published figure, the same figure in the loaded cohort, and whether they agree.",
)
comparison = oc.publication_comparison(scored)
agree, compared = oc.agreement_summary(comparison)
if scored.cohort.synthetic:
    st.info(f"{agree} of {compared} published figures are re-derived from the synthetic demo cohort by the engine.")
else:
    st.info(f"Your cohort vs the published cohort: {agree} of {compared} figures are identical. Differences are expected for another centre.")
only_differences = st.toggle("Show only the figures that differ", key="publication_only_differences")
for section, table in oc.format_publication_sections(comparison, only_differences=only_differences):
    st.subheader(section)
    summary_table(table)  # the whole section, not a 10-row scroll box
table_downloads(comparison, "publication_comparison")
show_code("publication_comparison", only_differences=only_differences)
