"""Small building blocks every page uses, so pages stay a few lines long."""

from __future__ import annotations

import streamlit as st

from omalizumab_core.engine.scoring import ScoredCohort
from omalizumab_core.data.problems import TooFewPatients
from omalizumab_core.formatting import selection_line

from . import session
from .text import plain
from .filters import current_description, link_changes
from .tables import escape_markdown


def filtered_cohort(title: str, caption: str | None = None) -> ScoredCohort:
    """Page title, the "n of N patients" line naming the filters, and the filtered scored cohort."""
    st.title(title)
    if caption:
        st.caption(caption)
    filtered = session.filtered()
    total = session.cohort().n_patients
    n = filtered.cohort.n_patients
    label = "patient" if total == 1 else "patients"
    from .cohorts import mode_note, synthetic_headline  # (ui.cohorts uses this module's helpers)

    synthetic = escape_markdown(synthetic_headline(filtered.cohort))  # a pooled set may be only partly synthetic
    st.markdown(f"**{n:,} of {total:,} {label}**{synthetic}")
    # Named on the page itself: on a projector the sidebar is collapsed.
    st.caption(escape_markdown(selection_line(current_description())))  # a centre named "St_Luc" stays as written
    for change in link_changes():
        st.warning(plain(change, limit=400), icon=":material/link_off:")
    mode_note()
    if n == 0:
        st.info("No patient matches the current filters. Widen them in the sidebar.")
        st.stop()
    return filtered


def no_data(table_label: str) -> None:
    """Message for a page whose optional table the loaded cohort does not have."""
    st.info(f"No data: the loaded cohort has no {table_label} table. See the Data page for the expected format.")


def statistic(compute, *args, **kwargs):
    """Run a core analysis; if the selection is too small, say so in its place.

    Returns the analysis result, or None after showing the message of
    :class:`~omalizumab_core.data.problems.TooFewPatients`.
    """
    try:
        return compute(*args, **kwargs)
    except TooFewPatients as reason:
        st.info(plain(str(reason), limit=600), icon=":material/info:")
        return None


def metric_row(items, *, per_row: int | None = None) -> None:
    """Headline figures as bordered metrics: ``items`` of (label, value) or (label, value, detail).

    A detail is printed as a caption under its metric; rows hold ``per_row``
    metrics (all on one row by default).
    """
    items = [tuple(item) for item in items]
    per_row = fitting_per_row([item[1] for item in items], per_row or max(len(items), 1), labels=[item[0] for item in items])
    for start in range(0, len(items), per_row):
        for column, (label, value, *detail) in zip(st.columns(per_row), items[start : start + per_row]):
            column.metric(label, value, border=True)
            if detail and detail[0]:
                column.caption(detail[0])


# The longest metric value (characters) that fits, unclipped, in a metric when n share a
# row of the main area at 1280 px with the sidebar open (about 820 px): checked by
# tests/browser/test_presentation_in_browser.py at 1280x720.
_FITS = {4: 8, 3: 11, 2: 20}


def fitting_per_row(values, most: int, *, labels=()) -> int:
    """How many metrics to put on a row, at most ``most``, so that neither the longest value nor label is cut.

    A label's letters are about 2.6 times narrower than a value's (14 px against 36 px).
    """
    longest = max([len(str(v)) for v in values] + [len(str(label)) / 2.6 for label in labels] or [0])
    for n in range(min(most, 4), 1, -1):
        if longest <= _FITS.get(n, 0):
            return n
    return 1 if longest > _FITS[2] else min(most, 2)
