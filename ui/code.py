"""The collapsed "Code" expander under a table or figure: the script that re-creates it.

One line per output in a page: ``show_code("table2", by=by)``. The script is
written by :func:`omalizumab_core.output_code` from the session's data source,
worsening rule and filters, and the page settings passed here.
"""

from __future__ import annotations

import streamlit as st

from omalizumab_core.outputs.snippets import output_code

from . import cohorts, session


def _source(cohort) -> str:
    return "demo" if cohort.synthetic else cohort.source


def current_source() -> str | dict[str, str]:
    """The analysed cohort's source, or each cohort's when several are pooled or compared (the script pools them too)."""
    if cohorts.mode() != cohorts.ONE:
        return {name: _source(cohort) for name, cohort in cohorts.cohort_set().items()}
    return _source(session.cohort())


def current_code(output: str, **settings) -> str:
    """The script of ``output`` for this session's data source, rule and filters."""
    return output_code(
        output,
        source=current_source(),
        filters=st.session_state.get("filter_spec"),
        worsening_rule=session.worsening_rule(),
        **settings,
    )


def code_key(output: str, place: str = "", **settings) -> str:
    """The session key of ``output``'s Code section: ``code_<output>``, then its analyte and ``place`` when a page repeats it."""
    return "code_" + output + "".join(f"_{settings[name]}" for name in _REPEATED_BY if name in settings) + (f"_{place}" if place else "")


# Settings by which one page repeats an output (Biology: a tab per analyte), so that each Code section has its own key.
_REPEATED_BY = ("analyte",)


def show_code(output: str, *, place: str = "", **settings) -> None:
    """A collapsed "Code" section holding the runnable script of ``output`` (with a copy button), written when opened.

    A closed section runs nothing and sends nothing: a page has up to a dozen
    of them, and each script drawn at once (even collapsed) made the browser
    load and run its code highlighter on every first visit, before the page
    settled (issue 18, item 6). Opening one reruns the page and shows the
    script; it stays open while the doctor changes settings. ``place`` tells
    apart two sections of the same output on one page (Patient: its table, and
    again in the Tables tabs).
    """
    box = st.expander("Code", icon=":material/code:", key=code_key(output, place, **settings), on_change="rerun")
    if not box.open:
        return
    with box:
        st.caption("Python that re-creates this output from the original file with the current filters and settings.")
        st.code(current_code(output, **settings), language="python")


def report_code():
    """The Overview report's code appendix for this session's data source, rule and filters."""
    from omalizumab_core.outputs.report import overview_code

    return overview_code(source=current_source(), filters=st.session_state.get("filter_spec"),
                         worsening_rule=session.worsening_rule())
