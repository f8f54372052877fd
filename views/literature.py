"""Literature: overall response of the published omalizumab series, with the loaded cohort among them."""

import streamlit as st

import omalizumab_core as oc
from ui.code import show_code
from ui.cohorts import literature_rows
from ui.charts import show_figure
from ui.downloads import table_downloads
from ui.page import filtered_cohort
from ui.tables import summary_table

scored = filtered_cohort(
    "Published series",
    "Overall response to omalizumab in published series of mast cell disorders, and in the loaded cohort under the current filters.",
)
name = "Demo cohort (synthetic)" if scored.cohort.synthetic else "This cohort"
table = oc.literature_comparison(literature_rows(scored, name))  # one row per cohort when several are analysed
st.warning(
    "A comparison of different response definitions and populations, not a test: each study counted responders "
    "its own way (see *Response definition*). The pooled estimate combines the published series only; "
    "the loaded cohort is shown against it, not pooled into it.",
    icon=":material/info:",
)
show_figure(oc.literature_forest_plot(table), "literature_forest")
show_code("literature_forest", cohort_name=name)
st.caption(
    "Squares: published series; circle: the loaded cohort; diamond: random-effects (DerSimonian–Laird, logit scale) "
    "pooled estimate of the published series with its 95 % CI, and the dotted line its 95 % prediction interval "
    "for a new series. Whiskers: exact (Clopper–Pearson) 95 % CIs."
)
summary_table(oc.format_literature(table))
show_code("literature", cohort_name=name)
with st.expander("Where each number comes from"):
    summary_table(table[["study", "source"]].rename(columns={"study": "Study", "source": "Source"}))
    show_code("literature_sources", cohort_name=name)
table_downloads(table, "literature")
