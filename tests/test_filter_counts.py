"""Beside each filter level: patients in the current selection / in the whole cohort (issue 19, part 3)."""

from __future__ import annotations

import omalizumab_core as oc
from tests.apptest_support import app_on
from tests.handmade import cohort_of, course, patient


def _index():
    cohort = cohort_of(
        [patient("A", sex="F"), patient("B", sex="F", diagnosis="CM"), patient("C", sex="M"), patient("D", sex="M", kit_d816v="negative")],
        course("A", {"flushing": {0: 1, 2: 0}}) + course("B", {"flushing": {0: 1}}) + course("C", {"diarrhea": {0: 1}}) + course("D", {"diarrhea": {0: 1}}),
    )
    return oc.filter_index(oc.score_cohort(cohort))


def test_counts_are_the_selection_and_the_whole_cohort_per_level():
    counts = oc.filter_level_counts(_index(), oc.FilterSpec(sex=("F",)))
    assert counts["sex"] == {"F": (2, 2), "M": (0, 2)}
    assert counts["diagnosis"] == {"ISM": (1, 3), "CM": (1, 1)}
    assert counts["baseline_categories"]["other"] == (2, 4)  # handmade symptoms are of category "other"
    assert counts["kit_d816v"] == {"positive": (2, 3), "negative": (0, 1)}


def test_without_filters_both_counts_are_equal():
    counts = oc.filter_level_counts(_index(), oc.FilterSpec())
    assert all(selected == total for levels in counts.values() for selected, total in levels.values())


def test_the_panel_shows_both_counts_under_each_filter_and_keeps_the_choice():
    at = app_on(page="views/response.py")
    at.sidebar.multiselect(key="filter_sex").set_value(["F"]).run()
    captions = [c.value for c in at.sidebar.caption]
    assert "Male 0/17 · Female 38/38" in captions
    assert any(c.startswith("ISM 20/29 · CM 6/11") for c in captions)
    # The options keep their labels: the browser sends a choice as its label.
    assert at.sidebar.multiselect(key="filter_sex").options == ["Male", "Female"]
    at.run()
    assert at.session_state["filter_sex"] == ["F"]
