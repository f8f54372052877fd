"""Omalizumab in mast cell disorders: the dashboard's entry point (a router only).

Run with ``streamlit run app.py``. Pages live in ``pages/``; the sidebar (data
source, response rule, filters) is drawn by ``ui.sidebar`` for every page.
"""

import streamlit as st

from ui import sidebar
from ui.auth import require_sign_in

st.set_page_config(page_title="Omalizumab in mast cell disorders", page_icon=":material/vaccines:", layout="wide")

PAGES = {
    "Cohort": [
        st.Page("pages/response.py", title="Response", icon=":material/fact_check:", default=True),
    ],
    "Data": [
        st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
    ],
}

require_sign_in()
page = st.navigation(PAGES)
sidebar.render()
page.run()
