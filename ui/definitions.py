"""Instrument definitions uploaded on their own: the loaded cohort's questionnaire scores are checked again.

The check is :func:`omalizumab_core.add_instrument_definitions` (small text
files, run in this process). On success the session's cohort is replaced by
the re-checked one; on failure its problems are shown like those of a failed
upload and the previous cohort, with its previous definitions, stays in use.
"""

from __future__ import annotations

import streamlit as st

import omalizumab_core as oc
from omalizumab_core.data.problems import CohortError, Problem

from . import session


def only_definitions(names) -> bool:
    """True when every uploaded file is an instrument definition (.toml)."""
    names = list(names)
    return bool(names) and all(str(name).lower().endswith(".toml") for name in names)


def recheck_with_definitions(files: list[tuple[str, bytes]]) -> list[Problem]:
    """Add the definitions to the loaded cohort(s); the problems (empty when it worked).

    With several cohorts loaded the definitions go to the named cohorts themselves
    (the one analysed, or, when comparing or pooling, every cohort with
    questionnaire scores), never to their pooled union: that union is rebuilt
    from them, and is never added to the set as a cohort of its own.
    """
    from . import cohorts as named

    cohort_set = st.session_state.get(named.SET)
    current = session.cohort()
    members = list(cohort_set.items()) if cohort_set is not None else []
    own = next((name for name, cohort in members if cohort is current), None)
    if own is not None or not members:
        targets = [(own, current)]
    else:  # comparing or pooling: the cohorts that have scores (the core says so when none has)
        targets = [(name, c) for name, c in members if c.instrument_scores is not None] or [(None, current)]
    try:
        checked = [(name, oc.add_instrument_definitions(cohort, files)) for name, cohort in targets]
    except CohortError as error:
        st.session_state[session.LOAD_PROBLEMS] = error.problems
        st.session_state.pop(session.FAILED_FILES, None)  # no column mapping can fix a definition
        return error.problems
    for name, cohort in checked:
        if name is not None:
            cohort_set.replace(name, cohort)
    if own is not None or not members:
        session.replace_cohort(checked[0][1])
        st.session_state[named._ACTIVE] = checked[0][1]  # the same named cohort, not a new one
    else:
        st.session_state.pop(session.SCORED, None)
        st.session_state.pop(session.LOAD_PROBLEMS, None)
    return []
