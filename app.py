"""Omalizumab in mast cell disorders: the dashboard's entry point (a router only).

Run with ``streamlit run app.py``. Pages live in ``views/`` (not ``pages/``:
a folder of that name beside the entry point switches Streamlit to its legacy
multipage mode when a page is opened by its URL, bypassing this router); the sidebar (data
source, response rule, filters) is drawn by ``ui.sidebar`` for every page.
"""

import streamlit as st

from ui import sidebar
from ui.auth import require_sign_in

st.set_page_config(page_title="Omalizumab in mast cell disorders", page_icon=":material/vaccines:", layout="wide")

PAGES = {
    "Cohort": [
        st.Page("views/response.py", title="Response", icon=":material/fact_check:", default=True),
    ],
    "Data": [
        st.Page("views/data.py", title="Data", icon=":material/upload_file:"),
        st.Page("views/publication.py", title="Publication", icon=":material/menu_book:"),
    ],
}

require_sign_in()
page = st.navigation(PAGES)
sidebar.render()
page.run()
