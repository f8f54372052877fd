"""The filter panel: drawn once in the sidebar, read by every page, mirrored in the URL.

Widget values live in ``st.session_state`` under ``filter_*`` keys, so they
persist while the user moves between pages. The URL query string is written
from the selection on every run and read once, when a session opens, so a
shared link reopens the same view.
"""

from __future__ import annotations

import streamlit as st

from omalizumab_core.data.codes import CATEGORY_LABELS
from omalizumab_core.analyses.filters import (
    CHOICE_FILTERS,
    ESCALATION_LABELS,
    ESCALATION_SHORT_LABELS,
    EXTRA_PREFIX,
    LEVEL_LABELS,
    FilterSpec,
    describe,
    filter_index,
    filter_options,
    spec_from_query,
    spec_to_query,
)
from omalizumab_core.analyses.filter_counts import level_counts
from omalizumab_core.engine.scoring import ScoredCohort

from .links import PATIENT_PARAM
from .text import plain

PREFIX = "filter_"
COHORT_FILTER = "cohort"  # the pooled cohorts' column (omalizumab_core.data.cohort_set.COHORT_COLUMN)
_INDEX = "filter_index_cache"
_URL_READ = "filters_read_from_url"
_LINK_CHANGES = "filters_link_changes"
_ANY = "any"
_FULL_RANGES = "full_ranges_of_the_range_filters"  # the sliders' bounds for the cohort they were last drawn for


def current_description() -> dict[str, str]:
    """The sidebar's current selection in words (for reports)."""
    return describe(st.session_state.get("filter_spec") or FilterSpec())


def current_index(scored: ScoredCohort):
    """The filter index of the session's scored cohort, computed once per cohort."""
    return _cached(scored)[1]


def current_options(scored: ScoredCohort) -> dict:
    """The levels and ranges the filters offer for the session's cohort, computed once per cohort."""
    return _cached(scored)[2]


def _cached(scored: ScoredCohort) -> tuple:
    # Kept in the session (st.session_state), never in a shared cache: the
    # index holds the patients' characteristics.
    cached = st.session_state.get(_INDEX)
    if cached is None or cached[0] is not scored:
        index = filter_index(scored)
        cached = (scored, index, filter_options(index))
        st.session_state[_INDEX] = cached
    return cached


def sidebar_filters(scored: ScoredCohort, index) -> FilterSpec:
    """Draw the filters in the sidebar and return the selection."""
    options = current_options(scored)
    if not st.session_state.get(_URL_READ):
        st.session_state[_URL_READ] = True
        _read_url(options)
    _drop_stale_values(options)
    # Beside each level: patients in the current selection / in the whole cohort.
    counts = level_counts(index, _spec_from_widgets(options))
    with st.sidebar:
        st.markdown("**Filters**")
        st.caption(COUNTS_NOTE)
        if COHORT_FILTER in options["extra"]:  # several cohorts pooled or compared: the cohort first
            st.multiselect("Cohort", options["extra"][COHORT_FILTER], key=PREFIX + EXTRA_PREFIX + COHORT_FILTER, format_func=plain, placeholder="All")
        for name, _, _, label in CHOICE_FILTERS:
            labels = LEVEL_LABELS.get(name, {})
            if options[name]:
                st.multiselect(label, options[name], key=PREFIX + name, format_func=lambda v, l=labels: l.get(v, v), placeholder="All")
                st.caption(_counts_line(options[name], counts[name], lambda v, l=labels: l.get(v, v)))
        if options["age_at_treatment"] is not None:
            low, high = options["age_at_treatment"]
            if low < high:
                st.session_state.setdefault(PREFIX + "age_at_treatment", (low, high))
                st.slider("Age at treatment (years)", low, high, key=PREFIX + "age_at_treatment")
        if options["baseline_categories"]:
            st.multiselect(
                "Baseline symptoms include",
                options["baseline_categories"],
                key=PREFIX + "baseline_categories",
                format_func=CATEGORY_LABELS.get,
                placeholder="Any",
                help="Keeps patients who had, before treatment, at least one symptom of every category selected (anaphylaxis is general vasomotor).",
            )
            st.caption(_counts_line(options["baseline_categories"], counts["baseline_categories"], CATEGORY_LABELS.get))
        if options["dose_escalation"]:
            st.selectbox("Dose increased during treatment", (_ANY, "yes", "no"), key=PREFIX + "dose_escalation", format_func=lambda v: {_ANY: "Any", **ESCALATION_SHORT_LABELS}[v],
                         help=f"{ESCALATION_SHORT_LABELS['yes']}: {ESCALATION_LABELS['yes']}. {ESCALATION_SHORT_LABELS['no']}: {ESCALATION_LABELS['no']}.")
            st.caption(_counts_line(("yes", "no"), counts["dose_escalation"], ESCALATION_LABELS.get))
        if set(options["extra"]) - {COHORT_FILTER}:
            with st.expander("More characteristics"):
                for column, allowed in options["extra"].items():
                    if column == COHORT_FILTER:
                        continue
                    key = PREFIX + EXTRA_PREFIX + column
                    if isinstance(allowed, tuple):
                        st.session_state.setdefault(key, allowed)
                        st.slider(plain(column), allowed[0], allowed[1], key=key)
                    else:
                        st.multiselect(plain(column), allowed, key=key, placeholder="All")
        st.button("Clear filters", on_click=_clear, icon=":material/filter_alt_off:")
    spec = _spec_from_widgets(options)
    changes = st.session_state.get(_LINK_CHANGES)
    if changes is not None and changes[1] is None:
        st.session_state[_LINK_CHANGES] = (changes[0], spec)  # the selection the link became
    _write_url(spec)
    return spec


COUNTS_NOTE = "Under each filter: patients of each level in the current selection / in the whole cohort."


def _counts_line(levels, counts: dict, label) -> str:
    # Not in the options' labels: the browser sends a multiselect's choice as its label, so a label that
    # changed with the selection would no longer match its option on the next run.
    return " · ".join(f"{plain(label(v))} {counts[v][0]:,}/{counts[v][1]:,}" for v in levels if v in counts)


def _spec_from_widgets(options: dict) -> FilterSpec:
    state = st.session_state
    values = {name: tuple(state.get(PREFIX + name) or ()) for name, _, _, _ in CHOICE_FILTERS}
    age = state.get(PREFIX + "age_at_treatment")
    if age is not None and options["age_at_treatment"] is not None and tuple(age) != options["age_at_treatment"]:
        values["age_at_treatment"] = tuple(float(a) for a in age)
    values["baseline_categories"] = tuple(state.get(PREFIX + "baseline_categories") or ())
    escalation = state.get(PREFIX + "dose_escalation", _ANY)
    values["dose_escalation"] = None if escalation == _ANY else escalation
    extra = []
    for column, allowed in options["extra"].items():
        chosen = state.get(PREFIX + EXTRA_PREFIX + column)
        if isinstance(allowed, tuple):
            if chosen is not None and tuple(chosen) != allowed:
                extra.append((column, tuple(float(v) for v in chosen)))
        elif chosen:
            extra.append((column, tuple(chosen)))
    values["extra"] = tuple(extra)
    return FilterSpec(**values)


def _read_url(options: dict) -> None:
    spec, problems = spec_from_query({k: st.query_params.get(k) for k in st.query_params}, options)
    for name, _, _, _ in CHOICE_FILTERS:
        if getattr(spec, name):
            st.session_state[PREFIX + name] = list(getattr(spec, name))
    if spec.age_at_treatment is not None:
        low, high = options["age_at_treatment"]
        st.session_state[PREFIX + "age_at_treatment"] = (max(low, spec.age_at_treatment[0]), min(high, spec.age_at_treatment[1]))
    if spec.baseline_categories:
        st.session_state[PREFIX + "baseline_categories"] = list(spec.baseline_categories)
    if spec.dose_escalation:
        st.session_state[PREFIX + "dose_escalation"] = spec.dose_escalation
    for column, selection in spec.extra:
        st.session_state[PREFIX + EXTRA_PREFIX + column] = selection if isinstance(options["extra"][column], tuple) else list(selection)
    # Shown on every page (ui.page) until the user changes the filters: a changed
    # link must not pass unnoticed, and a toast is gone after a few seconds.
    st.session_state[_LINK_CHANGES] = ([problem.message for problem in problems], None)


def link_changes() -> list[str]:
    """What was changed in the link the session opened with, while its selection is still the current one."""
    messages, spec = st.session_state.get(_LINK_CHANGES) or ([], None)
    return messages if spec is not None and spec == st.session_state.get("filter_spec") else []


def _drop_stale_values(options: dict) -> None:
    """After a new cohort is loaded, forget selections it cannot satisfy (a widget would refuse them)."""
    state = st.session_state
    for name in [n for n, _, _, _ in CHOICE_FILTERS] + ["baseline_categories"]:
        key = PREFIX + name
        if key in state:
            state[key] = [v for v in state[key] if v in options[name]]
    # A slider left at the whole range of the previous cohort filters nothing: it takes the whole range of the
    # new one (else switching from a cohort aged 28-72 to the pooled cohorts would silently drop older patients).
    ranges = {PREFIX + "age_at_treatment": options["age_at_treatment"]}
    ranges.update({PREFIX + EXTRA_PREFIX + c: a for c, a in options["extra"].items() if isinstance(a, tuple)})
    for key, full in (state.get(_FULL_RANGES) or {}).items():
        if key in state and ranges.get(key) is not None and full is not None and _same_range(state[key], full):
            state[key] = tuple(ranges[key])
    state[_FULL_RANGES] = ranges
    key = PREFIX + "age_at_treatment"
    if key in state:
        bounds = options["age_at_treatment"]
        if bounds is None or bounds[0] >= bounds[1]:
            del state[key]
        else:
            low, high = state[key]
            low, high = min(max(low, bounds[0]), bounds[1]), max(min(high, bounds[1]), bounds[0])
            state[key] = (low, high)
    for key in [k for k in state if isinstance(k, str) and k.startswith(PREFIX + EXTRA_PREFIX)]:
        allowed = options["extra"].get(key.removeprefix(PREFIX + EXTRA_PREFIX))
        if allowed is None or isinstance(allowed, tuple) != isinstance(state[key], tuple):
            del state[key]
        elif isinstance(allowed, list):
            state[key] = [v for v in state[key] if v in allowed]


def _same_range(value, full) -> bool:
    try:
        return len(value) == 2 and all(abs(float(a) - float(b)) < 1e-9 for a, b in zip(value, full))
    except (TypeError, ValueError):
        return False


def _clear() -> None:
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(PREFIX)]:
        del st.session_state[key]


def _write_url(spec: FilterSpec) -> None:
    wanted = spec_to_query(spec)
    patient = st.query_params.get(PATIENT_PARAM)
    if patient:
        wanted[PATIENT_PARAM] = patient
    if {k: st.query_params.get(k) for k in st.query_params} != wanted:
        st.query_params.from_dict(wanted)
