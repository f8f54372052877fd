"""The cohort of this browser session: loaded once, scored once, filtered per rerun.

Uploaded files are parsed in memory and kept only in ``st.session_state``, which
Streamlit keeps per browser session: nothing is written to disk or shared
between sessions. Scoring happens once per (cohort, worsening rule) and is kept
in the session, so a rerun after a filter change only subsets the results.
Per-patient tables derived from the scores (regimens, lab pairs, first
improvements... see ``ScoredCohort.per_patient``) are computed once and kept on
the scored cohort, hence in this session's state too; the filter index and
the last selection are kept by ``ui.filters`` and ``ui.sidebar`` the same way.

Session-state keys (also used by tests and benchmarks to inject a cohort):
``cohort`` (the loaded :class:`Cohort`), ``scored`` (dict rule ->
:class:`ScoredCohort`), ``load_problems`` (problems of the last failed upload).
"""

from __future__ import annotations

import threading
import weakref

import streamlit as st

from omalizumab_core.data.cohort import Cohort
from omalizumab_core.engine.scoring import ScoredCohort, score_cohort
from omalizumab_core.data.problems import CohortError, Problem

COHORT = "cohort"
SCORED = "scored"
LOAD_PROBLEMS = "load_problems"
FAILED_FILES = "failed_upload"  # the files of the last failed upload, for the mapping step (this session only)
RULE = "worsening_rule"


@st.cache_resource(show_spinner=False)
def _demo() -> Cohort:
    # The demo is synthetic and identical for everyone, so one copy is shared
    # between sessions; user uploads never go through a shared cache.
    import os

    from omalizumab_core.synthetic.demo import demo_cohort

    # Browser benchmark only (benchmarks/browser.py --patients N): a larger synthetic cohort in place of the demo.
    size = os.environ.get("OMALIZUMAB_BENCH_PATIENTS", "")
    if size.isdigit() and int(size) > 0:
        from omalizumab_core.synthetic.synth import synthetic_cohort

        return synthetic_cohort(int(size), 20190101)
    return demo_cohort()


def cohort() -> Cohort:
    """The session's cohort: the last valid upload, or the demo cohort."""
    if COHORT not in st.session_state:
        st.session_state[COHORT] = _demo()
    return st.session_state[COHORT]


def worsening_rule() -> str:
    return st.session_state.get(RULE, "any_symptom")


def scored() -> ScoredCohort:
    """The session's cohort, scored once per worsening rule."""
    current = cohort()
    cache = st.session_state.get(SCORED)
    if cache is None or cache.get("cohort") is not current:
        cache = {"cohort": current}
        st.session_state[SCORED] = cache
    rule = worsening_rule()
    if rule not in cache:
        cache[rule] = score_cohort(current, worsening_rule=rule)
    return cache[rule]


def kept(name: str, owner, key, build):
    """The value ``build()`` returns, kept in this browser session while ``owner`` and ``key`` stay the same.

    One value per ``name``, held with a weak reference to its owner (a cohort or
    a scored cohort), so a new upload or response rule builds anew and never keeps
    the old cohort alive. For what a filter change does not change: the Patient
    page's course figure (the patient and their course stay), the Data page's
    preview of the loaded tables (filters do not apply there).
    """
    store = st.session_state.setdefault(_KEPT, {})
    found = store.get(name)
    if found is not None and found[0]() is owner and found[1] == key:
        return found[2]
    value = build()
    store[name] = (weakref.ref(owner), key, value)
    return value


_KEPT = "kept_values"


PREPARE_THREAD = "prepare-cohort-tables"  # the thread's name (the benchmarks wait for it)
_PREPARING: "weakref.WeakSet[ScoredCohort]" = weakref.WeakSet()


def prepare_in_background() -> None:
    """Start preparing the pages' per-cohort tables of a large scored cohort, in a background thread (once per scored cohort).

    Called after a page is drawn: the doctor reads it while the tables other
    pages need are computed on the server's other core
    (``omalizumab_core.analyses.prepare``). Pages wait for a table being
    prepared rather than compute it twice. The thread only computes: it
    holds the scored cohort of this session and nothing else, draws
    nothing, and stores nothing outside that scored cohort. Set
    ``OMALIZUMAB_PREPARE_IN_BACKGROUND=0`` to switch it off (benchmarks).
    """
    import os

    if os.environ.get("OMALIZUMAB_PREPARE_IN_BACKGROUND", "1") == "0":
        return
    from omalizumab_core.analyses.prepare import prepare_shared_tables, worth_preparing

    for key, scored in (st.session_state.get(SCORED) or {}).items():
        if key == "cohort" or scored in _PREPARING or not worth_preparing(scored):
            continue
        _PREPARING.add(scored)
        threading.Thread(target=prepare_shared_tables, args=(scored,), name=PREPARE_THREAD, daemon=True).start()


def replace_cohort(new: Cohort) -> None:
    """Make ``new`` the session's cohort (scores are recomputed lazily)."""
    st.session_state[COHORT] = new
    st.session_state.pop(SCORED, None)
    st.session_state.pop(LOAD_PROBLEMS, None)


def load_files(files: list[tuple[str, bytes]], mapping: dict | None = None, on_wait=None) -> list[Problem]:
    """Load uploaded files; on failure keep the current cohort and return the problems.

    The files are read and validated in a separate worker process with its
    own time and memory limits (:mod:`omalizumab_core.data.isolated`), so a
    slow or huge file neither stalls the other sessions nor exhausts the
    server's memory. ``on_wait(seconds)`` is called while the worker runs; if
    it raises (Streamlit interrupting the run for a cancel), the worker is
    killed and the exception propagates.

    Returns
    -------
    list of Problem
        Empty when the upload loaded (its warnings are in the new cohort's
        ``warnings``); otherwise every located error and warning.
    """
    from omalizumab_core.data.isolated import load_isolated

    try:
        new = load_isolated(files, mapping=mapping, on_wait=on_wait)
    except CohortError as error:
        st.session_state[LOAD_PROBLEMS] = error.problems
        st.session_state[FAILED_FILES] = list(files)
        return error.problems
    replace_cohort(new)
    st.session_state.pop(FAILED_FILES, None)
    return []


def use_demo() -> None:
    replace_cohort(_demo())


def filtered() -> ScoredCohort:
    """The scored cohort under the sidebar filters (set by ``ui.sidebar``)."""
    return st.session_state.get("filtered_cohort") or scored()
