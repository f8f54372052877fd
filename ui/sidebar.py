"""Sidebar shared by every page: where the data come from, the response rule, the filters."""

from __future__ import annotations

import streamlit as st

from omalizumab_core.data.codes import WORSENING_RULE_LABELS, WORSENING_RULE_SHORT_LABELS, WORSENING_RULES

from omalizumab_core.analyses.filters import apply_filters

from . import session
from .analysis import analysis_panel
from .cohorts import cohort_panel, synthetic_note
from .filters import current_index, sidebar_filters
from .text import plain


def render(page: str | None = None) -> None:
    """Draw the sidebar and store the filtered cohort for the page to read (``page``: its address, for a saved analysis)."""
    cohort_panel()  # with several cohorts loaded: which one, or all compared or pooled (sets session.cohort())
    cohort = session.cohort()
    with st.sidebar:
        st.markdown("**Data source**")
        if cohort.synthetic:
            st.warning(f"{plain(cohort.source)}. {synthetic_note(cohort)}", icon=":material/science:")
        else:
            st.info(plain(cohort.source), icon=":material/upload_file:")
        st.caption(f"{cohort.n_patients:,} patients loaded")
        st.selectbox(
            "Response rule for a worsened symptom",
            WORSENING_RULES,
            format_func=WORSENING_RULE_SHORT_LABELS.get,
            key=session.RULE,
            help=f"{WORSENING_RULE_LABELS['any_symptom']}: the paper counts any worsened symptom as no response. "
            f"{WORSENING_RULE_LABELS['total_score']}: the alternative.",
        )
    scored = session.scored()
    st.session_state["filtered_cohort"] = _apply_filters(scored)
    analysis_panel(page)


def _apply_filters(scored):
    index = current_index(scored)
    spec = sidebar_filters(scored, index)
    st.session_state["filter_spec"] = spec
    # The same selection as on the last run (a page switch, a widget of the
    # page): reuse it, with whatever tables it has already built.
    last = st.session_state.get(_LAST_SELECTION)
    if last is not None and last[0] is scored and last[1] == spec:
        return last[2]
    filtered = apply_filters(scored, spec, index=index)
    st.session_state[_LAST_SELECTION] = (scored, spec, filtered)
    return filtered


_LAST_SELECTION = "filtered_cohort_of_spec"
