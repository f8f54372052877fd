"""The Data page's cohort uploader: read in a worker process, with progress and a cancel button.

The files are read and validated in a separate worker process with time and
memory limits (:mod:`omalizumab_core.data.isolated`, through
:func:`ui.session.load_files`), so other users' pages keep running while a
large file is read. While it runs the page shows a status box with the
elapsed time and a *Cancel* button: pressing it makes Streamlit stop this
run, which kills the worker; the previous cohort stays in use. (Any other
click on the page while the file is read stops it the same way, and is
reported as a cancel.)

Each upload is handled once: the file ids of the last handled upload are kept
in the session, so the rerun after a cancel or a refused file does not read
the same files again. A successful load empties the uploader (a new key), so
the next upload is a new cohort rather than more files added to this one.
"""

from __future__ import annotations

import streamlit as st

from omalizumab_core.data.isolated import UPLOAD_MEMORY_GB, UPLOAD_SECONDS

from . import session
from .definitions import only_definitions, recheck_with_definitions
from .text import plain

_LOADED = "uploads_loaded"
_HANDLED = "upload_handled"  # (file ids, outcome) of the last upload read, cancelled or refused
_RUNNING, _CANCELLED, _DONE = "running", "cancelled", "done"


def cohort_uploader(label: str, types: list[str]) -> None:
    """The file uploader; reads a new upload at once and reruns the page when it loaded."""
    key = f"uploaded_files_{st.session_state.get(_LOADED, 0)}"
    files = st.file_uploader(label, type=types, accept_multiple_files=True, key=key)
    if not files:
        return
    ids = tuple(f.file_id for f in files)
    handled = st.session_state.get(_HANDLED)
    if handled is not None and handled[0] == ids:
        if handled[1] != _DONE:  # a run interrupted while reading: the cancel button (or the tab reloaded)
            st.session_state[_HANDLED] = (ids, _CANCELLED)
            st.info("Reading was cancelled. The previously loaded cohort is still in use; remove the file(s) above or add another.",
                    icon=":material/cancel:")
        return
    st.session_state[_HANDLED] = (ids, _RUNNING)  # left so if Streamlit stops this run (cancel)
    names = plain(", ".join(f.name for f in files))
    status = st.status(f"Reading and checking {names}…", state="running")
    controls = st.empty()  # the note and the Cancel button, removed once the reading ends
    note, cancel = controls.container().columns([4, 1], vertical_alignment="center")
    note.caption(f"Stops by itself after {UPLOAD_SECONDS:g} s or {UPLOAD_MEMORY_GB:g} GB of memory. Other users are not slowed down.")
    cancel.button("Cancel", icon=":material/cancel:", key=f"cancel_upload_{abs(hash(ids))}", width="stretch")

    def progress(seconds: float) -> None:
        # Each update is also where Streamlit stops the run when Cancel was pressed.
        status.update(label=f"Reading and checking {names}… {seconds:.0f} s")

    if only_definitions(f.name for f in files):  # definitions alone: re-check the loaded cohort's questionnaire scores
        problems = recheck_with_definitions([(f.name, f.getvalue()) for f in files])
    else:
        problems = session.load_files([(f.name, f.getvalue()) for f in files], on_wait=progress)
    st.session_state[_HANDLED] = (ids, _DONE)
    controls.empty()
    status.update(label="Loaded" if not problems else f"Not loaded: {names}", state="complete" if not problems else "error")
    if not problems:
        st.session_state[_LOADED] = st.session_state.get(_LOADED, 0) + 1
        st.rerun()  # the sidebar, drawn before this page, shows the new cohort
