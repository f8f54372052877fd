"""Response: Table 2 (best response and response at last follow-up)."""

import streamlit as st

from omalizumab_core.response_table import format_table2, table2_counts
from ui.downloads import table_downloads
from ui.page import filtered_cohort

scored = filtered_cohort(
    "Response to omalizumab",
    "Best response and response at last follow-up, by diagnosis (Table 2 of Lemal et al. 2019).",
)
counts = table2_counts(scored.outcomes)
table = format_table2(counts)
st.dataframe(table, width="stretch")
st.caption("CR: complete response; MR: major response (decrease > 50 %); PR: partial response (10–50 %); ORR: overall response rate.")
table_downloads(table.reset_index(), "table2_response")
