"""Omalizumab in mast cell disorders: the dashboard's entry point (a router only).

Run with ``streamlit run app.py``. Pages live in ``views/`` (not ``pages/``:
a folder of that name beside the entry point switches Streamlit to its legacy
multipage mode when a page is opened by its URL, bypassing this router); the sidebar (data
source, response rule, filters) is drawn by ``ui.sidebar`` for every page.
"""

import streamlit as st

from ui import session, sidebar
from ui.auth import require_sign_in
from ui.icon import page_icon
from ui.server import keep_uploads_in_memory, no_external_ip_lookup

st.set_page_config(page_title="Omalizumab in mast cell disorders", page_icon=page_icon(), layout="wide")

PAGES = {
    "Cohort": [
        st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", url_path="home", default=True),
        st.Page("views/response.py", title="Response", icon=":material/fact_check:", url_path="response"),
        st.Page("views/time_to_response.py", title="Time to response", icon=":material/timer:", url_path="time_to_response"),
        st.Page("views/symptoms.py", title="Symptoms", icon=":material/symptoms:", url_path="symptoms"),
        st.Page("views/follow_up.py", title="Follow-up", icon=":material/timeline:", url_path="follow_up"),
        st.Page("views/dosing.py", title="Dosing", icon=":material/medication:", url_path="dosing"),
        st.Page("views/safety.py", title="Safety", icon=":material/health_and_safety:", url_path="safety"),
        st.Page("views/biology.py", title="Biology", icon=":material/biotech:", url_path="biology"),
        st.Page("views/anaphylaxis.py", title="Anaphylaxis", icon=":material/emergency:", url_path="anaphylaxis"),
        st.Page("views/instruments.py", title="Instruments", icon=":material/checklist:", url_path="instruments"),
    ],
    "Patients": [
        st.Page("views/patient.py", title="Patient", icon=":material/person:", url_path="patient"),
        st.Page("views/candidate.py", title="MDT candidate", icon=":material/groups:", url_path="candidate"),
    ],
    "Data": [
        st.Page("views/data.py", title="Data", icon=":material/upload_file:", url_path="data"),
        st.Page("views/publication.py", title="Publication", icon=":material/menu_book:", url_path="publication"),
        st.Page("views/literature.py", title="Published series", icon=":material/library_books:", url_path="literature"),
    ],
}

keep_uploads_in_memory()  # before any upload can arrive: every session runs this first
no_external_ip_lookup()  # no request to a third party, ever


def _overview_at_its_url() -> None:
    # The default page is served at "/", so "/overview" (a link typed by hand or
    # shared) would say "Page not found": send it to the Overview with its filters.
    st.switch_page("views/overview.py", query_params={key: st.query_params.get_all(key) for key in st.query_params})


PAGES["Cohort"].append(st.Page(_overview_at_its_url, title="Overview", url_path="overview", visibility="hidden"))

require_sign_in()
page = st.navigation(PAGES, expanded=True)  # every page named: "View 5 more" hid the Data page from new users
sidebar.render(page.url_path or "overview")  # the default page's address is ""
try:
    page.run()
finally:  # a page ends with st.stop() when it has nothing to show
    session.prepare_in_background()  # a registry's per-cohort tables, computed while the doctor reads this page
