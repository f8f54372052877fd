"""Save analysis / Open analysis: the view as a small JSON file, and back (issue 19, part 2).

The file holds the data source's name and checksum, the filters (in the URL's
serialisation), the worsening rule, the page, the page settings and the MDT
candidate (:mod:`omalizumab_core.outputs.saved_analysis`); never patient data:
the patient picked on the Patient page is not saved. Opening a file restores
it through the same path as a shared link: the filters are written to the
URL and read back by ``ui.filters``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from omalizumab_core.outputs.saved_analysis import AnalysisFileError, analysis_json, data_differ, read_analysis

from . import session
from .candidate_form import CANDIDATE, EDITING, K
from .filters import PREFIX as FILTER_PREFIX

# Page settings are the widgets of the pages whose key starts with one of these.
SETTING_PREFIXES = ("response_", "predictors_", "time_to_response_", "symptoms_", "biology_", "safety_", "publication_")
_OPENED = "analysis_opened"  # (id of the cohort, kind, message) of the last file opened
_GO_TO = "analysis_go_to"
_UPLOADS = "analysis_uploads"


def page_settings(state) -> dict:
    """The pages' settings in ``state`` (widget values by key), JSON values only."""
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in state.items()
        if isinstance(key, str) and key.startswith(SETTING_PREFIXES) and isinstance(value, (str, int, float, bool, list, tuple, type(None)))
    }


def analysis_of_state(state, cohort, page: str | None) -> str:
    """The saved analysis of the view held by ``state`` (a session state, or a dict of one), as JSON text."""
    candidate = state.get(CANDIDATE)
    return analysis_json(
        cohort, filters=state.get("filter_spec"), worsening_rule=state.get(session.RULE, "any_symptom"), page=page,
        settings=page_settings(state), candidate=candidate, k=state.get(K) if candidate else None,
    )


def _open() -> None:
    state = st.session_state
    uploaded = state.get(f"{_UPLOADS}_{state.get(_UPLOADS, 0)}")
    if uploaded is None:
        return
    state[_UPLOADS] = state.get(_UPLOADS, 0) + 1  # an empty uploader for the next file
    try:
        saved = read_analysis(uploaded.getvalue())
    except AnalysisFileError as error:
        state[_OPENED] = (id(session.cohort()), "error", str(error))
        return
    for key in [k for k in state if isinstance(k, str) and k.startswith((FILTER_PREFIX, *SETTING_PREFIXES))]:
        del state[key]
    for key, value in saved.settings.items():
        if isinstance(key, str) and key.startswith(SETTING_PREFIXES):
            state[key] = value
    state[session.RULE] = saved.worsening_rule
    if saved.candidate is not None:
        state[CANDIDATE], state[K], state[EDITING] = saved.candidate, saved.k or state.get(K, 10), False
    # The filters go through the URL, as a shared link: ui.filters reads them on this run.
    st.query_params.from_dict(saved.filters)
    state["filters_read_from_url"] = False
    state[_GO_TO] = saved.page
    differ = data_differ(saved, session.cohort())
    message = ("warning", differ) if differ else ("success", f"Analysis opened: the same data ({saved.data_source}), filters and settings.")
    state[_OPENED] = (id(session.cohort()), *message)


def analysis_panel(page: str | None) -> None:
    """The "Save analysis" and "Open analysis" controls, at the foot of the sidebar."""
    state = st.session_state
    go_to = state.pop(_GO_TO, None)
    if go_to and go_to != page:
        if go_to.isidentifier() and (Path(__file__).resolve().parent.parent / "views" / f"{go_to}.py").is_file():
            st.switch_page(f"views/{go_to}.py", query_params=dict(st.query_params))
        state[_OPENED] = (id(session.cohort()), "warning", f"The saved analysis names a page '{go_to}' this dashboard does not have; "
                          "its filters and settings are restored on this page.")
    with st.sidebar.expander("Save or open an analysis", icon=":material/bookmark:"):
        st.download_button(
            "Save analysis", lambda: analysis_of_state(st.session_state, session.cohort(), page).encode("utf-8"), "analysis.json", "application/json",
            icon=":material/download:", on_click="ignore", key="analysis_save",
            help="A small file with the data source's name and checksum, the filters, the response rule, this page and its settings "
            "(and the MDT candidate): no patient data.",
        )
        st.file_uploader("Open analysis", type=["json"], key=f"{_UPLOADS}_{state.get(_UPLOADS, 0)}", on_change=_open,
                         help="A file saved by \"Save analysis\": reopens that view.")
    opened = state.get(_OPENED)
    if opened and opened[0] == id(session.cohort()):  # shown while the same data stay loaded
        _, kind, message = opened
        getattr(st.sidebar, kind)(message, icon={"error": ":material/error:", "warning": ":material/warning:"}.get(kind, ":material/check:"))
