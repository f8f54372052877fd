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
    """Add the definitions to the session's cohort; the problems (empty when it worked)."""
    try:
        checked = oc.add_instrument_definitions(session.cohort(), files)
    except CohortError as error:
        st.session_state[session.LOAD_PROBLEMS] = error.problems
        st.session_state.pop(session.FAILED_FILES, None)  # no column mapping can fix a definition
        return error.problems
    session.replace_cohort(checked)
    return []
