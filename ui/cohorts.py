"""Several cohorts in one session: the named cohorts, the sidebar choice between them, the side-by-side sections (issue 20).

The session holds a :class:`~omalizumab_core.data.cohort_set.CohortSet`
(``st.session_state["cohort_set"]``): the demo and each successful upload,
each held once, named after its file (renameable, removable in the sidebar).
``st.session_state["cohort"]`` (see ``ui.session``) stays *the cohort the
pages analyse*: one member of the set, or, in "Compare cohorts" and "Pooled"
mode, the set's pooled cohort (built once per set of cohorts, shared by both
modes). Anything that puts another cohort there (an upload, "Go back to the
demo cohort", a test) adds it to the set and analyses it alone. With a single
cohort loaded nothing of this shows and the pages behave as before.
"""

from __future__ import annotations

import streamlit as st

import omalizumab_core as oc
from omalizumab_core.data.cohort_set import COHORT_COLUMN, UNRECORDED_COUNT_AS_NONE, CohortSet

from . import session
from .charts import show_figure
from .downloads import table_downloads
from .page import statistic
from .tables import summary_table
from .text import plain

SET = "cohort_set"
MODE = "cohort_mode"
CHOICE = "cohort_choice"
_ACTIVE = "cohort_active"  # the cohort this module last put in session.COHORT
ONE, COMPARE, POOLED = "one", "compare", "pooled"
MODE_LABELS = {ONE: "Analyse one cohort", COMPARE: "Compare cohorts", POOLED: "Pooled (all cohorts)"}
POOLED_NOTE = "Below: all cohorts pooled, not split by cohort."


def cohort_name(cohort) -> str:
    """A cohort's default name: its file name(s) for an upload, "Demo cohort" for the demo."""
    source = str(cohort.source or "").strip()
    if source.lower().startswith("upload:"):
        return source.split(":", 1)[1].strip() or "Uploaded cohort"
    if source.lower().startswith("demo"):
        return "Demo cohort"
    return source or "Cohort"


def cohort_set() -> CohortSet:
    """The session's named cohorts; registers a cohort put in ``session.COHORT`` by anything else (an upload)."""
    state = st.session_state
    current = session.cohort()
    cohorts = state.get(SET)
    if cohorts is None:
        cohorts = state[SET] = CohortSet()
    if current is not state.get(_ACTIVE):
        name = next((n for n, c in cohorts.items() if c is current), None)
        if name is None:
            name = cohorts.add(cohort_name(current), current)
        state[MODE], state[CHOICE], state[_ACTIVE] = ONE, name, current
    return cohorts


def synthetic_note(cohort) -> str:
    """What the sidebar says of a synthetic cohort; the union of the demo and real data is only partly synthetic."""
    cohorts = st.session_state.get(SET)
    if COHORT_COLUMN in cohort.patients and cohorts is not None and not all(c.synthetic for _, c in cohorts.items()):
        synthetic = [name for name, c in cohorts.items() if c.synthetic]
        return f"Includes synthetic patients ({plain(', '.join(synthetic))}), not real data."
    return "Synthetic patients, not real data."


def synthetic_headline(cohort) -> str:
    """The page headline's word on synthetic data, for the patients shown: all synthetic, some cohorts (named) or none."""
    if not cohort.synthetic:
        return ""
    cohorts = st.session_state.get(SET)
    if COHORT_COLUMN not in cohort.patients or cohorts is None:
        return " · synthetic demo data"
    shown = set(cohort.patients[COHORT_COLUMN].astype(str).unique())
    synthetic = [name for name, c in cohorts.items() if c.synthetic and name in shown]
    if len(synthetic) == len(shown):
        return " · synthetic demo data"
    return f" · includes synthetic patients ({', '.join(synthetic)}), the rest real data" if synthetic else ""


def mode() -> str:
    """"one", "compare" or "pooled" ("one" whenever a single cohort is loaded)."""
    cohorts = st.session_state.get(SET)
    return st.session_state.get(MODE, ONE) if cohorts is not None and len(cohorts) > 1 else ONE


def cohort_panel() -> None:
    """The sidebar's choice between the loaded cohorts (shown only when more than one is loaded)."""
    cohorts = cohort_set()
    state = st.session_state
    if state.get(CHOICE) not in cohorts:
        state[CHOICE] = cohorts.names[0]
    # Kept while its selectbox is hidden (compare / pooled), else Streamlit drops it and coming back to
    # "Analyse one cohort" would silently analyse the first cohort instead of the one chosen before.
    state[CHOICE] = state[CHOICE]
    if len(cohorts) > 1:
        with st.sidebar:
            st.markdown("**Cohorts**")
            st.radio("Cohorts analysed", list(MODE_LABELS), format_func=MODE_LABELS.get, key=MODE, label_visibility="collapsed")
            if state.get(MODE, ONE) == ONE:
                st.selectbox("Cohort analysed", cohorts.names, key=CHOICE, format_func=plain)
            with st.expander(f"Loaded cohorts ({len(cohorts)})", icon=":material/stacks:"):
                for k, (name, cohort) in enumerate(cohorts.items()):
                    key = _name_key(name)  # by name, unique in the set (an object id can be reused by a later cohort)
                    state.setdefault(key, name)
                    st.text_input(f"Name of cohort {k + 1} ({cohort.n_patients:,} patients)", key=key, on_change=_rename, args=(name, key))
                    st.button("Remove this cohort", key=f"cohort_remove::{name}", on_click=_remove, args=(name,), icon=":material/delete:")
                st.caption("Load another cohort on the Data page: each file loaded becomes a cohort here.")
    if mode() == ONE:
        cohorts.release_pooled()  # each cohort then held once; the union is rebuilt (about 1 s per 100,000 patients) when asked again
    wanted = cohorts.pooled() if mode() != ONE else cohorts[state[CHOICE]]
    if wanted is not state.get(session.COHORT):
        state[session.COHORT] = wanted
        state.pop(session.SCORED, None)
    state[_ACTIVE] = wanted
    for warning in (wanted.warnings if mode() != ONE else []):
        if warning.column == "patient_id":
            st.sidebar.warning(plain(warning.message, limit=400), icon=":material/badge:")
        elif warning.table in UNRECORDED_COUNT_AS_NONE:  # pooled rates diluted by cohorts that did not record the events
            st.sidebar.warning(plain(warning.message, limit=400), icon=":material/warning:")


def _name_key(name: str) -> str:
    return f"cohort_name::{name}"


def _rename(old: str, key: str) -> None:
    cohorts = st.session_state[SET]
    new = cohorts.rename(old, st.session_state[key])
    st.session_state.pop(key, None)
    st.session_state[_name_key(new)] = new
    if st.session_state.get(CHOICE) == old:
        st.session_state[CHOICE] = new


def _remove(name: str) -> None:
    cohorts = st.session_state[SET]
    if len(cohorts) > 1:
        st.session_state.pop(_name_key(name), None)  # a later cohort of the same name starts from its own name
        cohorts.remove(name)
    if st.session_state.get(CHOICE) not in cohorts:
        st.session_state[CHOICE] = cohorts.names[0]


def recorded_only(scored, table: str):
    """``scored`` restricted to the cohorts that recorded ``table``, saying which cohorts the page leaves out."""
    kept, left_out = oc.recorded_cohorts_only(scored, table)
    if left_out:
        label = UNRECORDED_COUNT_AS_NONE[table]
        st.info(
            f"{plain(', '.join(left_out))} recorded no {label}: {'its' if len(left_out) == 1 else 'their'} patients are left out of this page, "
            f"which counts the {len(kept.outcomes):,} selected patients of the cohorts that recorded {label}.",
            icon=":material/filter_alt:",
        )
    return kept


def mode_note() -> None:
    """On every page, in compare mode: what is split by cohort and what is pooled."""
    if mode() == COMPARE:
        st.info(
            "Comparing cohorts: the sections headed \"by cohort\" show each cohort side by side with a test between them; "
            "everything else on this page is all cohorts pooled, not split by cohort.",
            icon=":material/compare_arrows:",
        )


def literature_rows(scored, name: str) -> dict:
    """The loaded cohort(s) for the Literature page: one row per cohort when several are analysed together."""
    if COHORT_COLUMN in scored.cohort.patients and mode() != ONE:
        return oc.split_by_cohort(scored)
    return {name: scored}


def compare_cohorts(section: str, scored, **settings) -> None:
    """In compare mode, a page's side-by-side section ("table1", "table2", "curves", "symptoms"), then a divider."""
    if mode() != COMPARE:
        return
    draw = {"table1": _table1, "table2": _table2, "curves": _curves, "symptoms": _symptoms}[section]
    draw(scored, **settings)
    st.divider()
    st.caption(POOLED_NOTE)


def _table1(scored) -> None:
    st.subheader("Patients' characteristics by cohort (Table 1)")
    table = statistic(oc.cohort_table1, scored)
    if table is not None:
        shown = oc.format_cohort_table1(table)
        summary_table(shown, hide_index=False)
        st.caption("Between cohorts: Mann–Whitney U test for ages, times and symptoms per patient; Fisher's exact test for counts "
                   "(Kruskal–Wallis and chi-square with three cohorts or more). Different centres, different case mix: a difference is not a treatment effect.")
        table_downloads(shown.reset_index(), "table1_by_cohort")


def _table2(scored) -> None:
    st.subheader("Response by cohort (Table 2)")
    rates = statistic(oc.cohort_response_rates, scored)
    if rates is not None:
        shown = oc.format_cohort_response_rates(rates)
        summary_table(shown, hide_index=False)
        st.caption("Patients (%), exact 95 % CI below. Difference between the two cohorts in percentage points with Newcombe's "
                   "hybrid score 95 % CI; p of Fisher's exact test (chi-square with three cohorts or more).")
        table_downloads(shown.reset_index(), "table2_response_by_cohort")


def _curves(scored, method: str = "aalen_johansen") -> None:
    st.subheader("Time to response by cohort")
    curves = statistic(oc.cohort_time_to_response, scored, method=method)
    if curves is not None:
        show_figure(oc.cumulative_incidence_plot(curves, by=COHORT_COLUMN, show_ci=False), "time_to_response_by_cohort")
    tests = statistic(oc.cohort_time_to_response_tests, scored, method=method)
    if tests is not None:
        summary_table(oc.format_time_to_response_tests(tests))
        st.caption("Gray's test compares the cohorts' Aalen–Johansen curves; the log-rank test their 1 − Kaplan–Meier curves.")


def _symptoms(scored, at="best", level: str = "symptom") -> None:
    st.subheader("Symptoms by cohort")
    table = statistic(oc.cohort_symptom_table, scored, at=at, level=level)
    if table is not None:
        shown = oc.format_cohort_symptom_table(table)
        summary_table(shown)
        st.caption("For each cohort: patients with the symptom at baseline and a score under omalizumab, and their mean score "
                   "(1 = unchanged, 0 = disappeared). p: Mann–Whitney U test of the scores between cohorts (Kruskal–Wallis with three or more), not adjusted.")
        table_downloads(shown, f"symptoms_by_cohort_by_{level}")
