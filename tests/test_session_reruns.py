"""A rerun after a filter change subsets the session's results: nothing is rescored or re-indexed."""

from __future__ import annotations

from tests.apptest_support import app_on, shown_text


def _scored(at):
    cache = at.session_state["scored"]
    return cache["any_symptom"]


def test_a_filter_change_reuses_the_scores_and_the_filter_index_of_the_session():
    at = app_on(page="views/response.py")
    scored = _scored(at)
    index_entry = at.session_state["filter_index_cache"]
    at.multiselect(key="filter_diagnosis").set_value(["ISM"]).run()
    assert not at.exception
    assert "29 of 55 patients" in shown_text(at)
    assert _scored(at) is scored  # scored once per loaded cohort
    assert at.session_state["filter_index_cache"] is index_entry  # index and options once per cohort too
    selection = at.session_state["filtered_cohort"]
    assert selection.cohort.n_patients == 29
    assert selection.__dict__["_root"] is scored  # a selection of the session's scores, not a rescoring


def test_the_same_selection_is_reused_until_the_filters_change():
    at = app_on(page="views/response.py")
    at.multiselect(key="filter_diagnosis").set_value(["CM"]).run()
    selection = at.session_state["filtered_cohort"]
    at.switch_page("views/follow_up.py").run()
    assert not at.exception
    assert at.session_state["filtered_cohort"] is selection
    at.multiselect(key="filter_diagnosis").set_value(["CM", "ISM"]).run()
    assert at.session_state["filtered_cohort"] is not selection
    assert "40 of 55 patients" in shown_text(at)  # 11 CM + 29 ISM


def test_per_patient_tables_are_kept_on_the_sessions_scores():
    at = app_on(page="views/dosing.py")
    at.multiselect(key="filter_diagnosis").set_value(["ISM"]).run()
    assert not at.exception
    memo = _scored(at).__dict__["_memo"]
    assert {"dosing.regimens", "dosing.changes"} <= set(memo)
    changes = memo["dosing.changes"]
    at.multiselect(key="filter_diagnosis").set_value(["CM"]).run()
    assert _scored(at).__dict__["_memo"]["dosing.changes"] is changes  # not recomputed for the new selection
