"""Save analysis / Open analysis (issue 19, part 2): a small JSON file, no patient data, reopens the view.

The saved file holds the data source's name and checksum, filters, worsening
rule, page, page settings and the MDT candidate; opened in a new session it
restores the same view, and says so when the loaded data differ.
"""

from __future__ import annotations

import json

import pytest

import omalizumab_core as oc
from tests.apptest_support import app_on
from tests.handmade import cohort_of, course, patient
from ui.analysis import analysis_of_state

DEMO = oc.load_cohort("demo")


def _other_cohort():
    return cohort_of([patient("A"), patient("B", sex="M")], course("A", {"flushing": {0: 1, 2: 0}}) + course("B", {"pruritus": {0: 1, 2: 0.5}}))


# --- the file ------------------------------------------------------------------------------


def test_a_saved_analysis_round_trips_filters_rule_page_settings_and_candidate():
    candidate = oc.Candidate("ISM", "positive", 45, "F", ("flushing",), (("baseline_tryptase", 25.0),))
    text = oc.analysis_json(DEMO, filters=oc.FilterSpec(sex=("F",), age_at_treatment=(20.0, 60.0)), worsening_rule="total_score",
                            page="response", settings={"response_by": "sex", "predictors_model": ("sex",)}, candidate=candidate, k=7)
    saved = oc.read_analysis(text)
    assert saved.filters == {"sex": "F", "age": "20-60"}
    assert (saved.worsening_rule, saved.page, saved.k) == ("total_score", "response", 7)
    assert saved.settings == {"predictors_model": ["sex"], "response_by": "sex"}
    assert saved.candidate == candidate
    assert saved.data_source == "demo" and oc.data_differ(saved, DEMO) is None


def test_a_saved_analysis_holds_no_patient_data():
    text = oc.analysis_json(DEMO, filters=oc.FilterSpec(sex=("F",)), page="patient")
    assert len(text) < 1000
    ids = set(DEMO.patients["patient_id"].astype(str))
    assert not any(f'"{patient_id}"' in text for patient_id in ids)


def test_other_data_are_named_in_a_warning():
    saved = oc.read_analysis(oc.analysis_json(DEMO))
    warning = oc.data_differ(saved, _other_cohort())
    assert "saved on other data (demo)" in warning and "differ from the saved checksum" in warning


def test_the_checksum_follows_the_values_not_the_object():
    assert oc.cohort_checksum(oc.load_cohort("demo")) == oc.cohort_checksum(DEMO)
    assert oc.cohort_checksum(_other_cohort()) != oc.cohort_checksum(DEMO)


@pytest.mark.parametrize(
    "text, says",
    [
        ("not json", "not JSON"),
        ('{"a": 1}', "not a saved analysis of this dashboard"),
        ('{"format": "omalizumab-analysis", "version": 2, "data_source": "demo", "checksum": "x"}', "version 2"),
        ('{"format": "omalizumab-analysis", "version": 1, "data_source": "demo", "checksum": "x", "worsening_rule": "x"}', "worsening_rule"),
        ('{"format": "omalizumab-analysis", "version": 1, "data_source": "demo", "checksum": "x", "filters": {"sex": 1}}', "filters"),
        ('{"format": "omalizumab-analysis", "version": 1, "data_source": "demo", "checksum": "x", "candidate": {"diagnosis": "flu"}}', "candidate"),
        ('{"format": "omalizumab-analysis", "version": 1, "data_source": "demo", "checksum": "x", "k": 0}', '"k"'),
        ('{"format": "omalizumab-analysis", "version": 1, "checksum": "x"}', "data_source"),
    ],
)
def test_a_file_that_is_not_a_saved_analysis_is_refused_with_what_to_fix(text, says):
    with pytest.raises(oc.AnalysisFileError, match=says):
        oc.read_analysis(text)


# --- in the dashboard ------------------------------------------------------------------------


def _saved_from_a_session() -> bytes:
    at = app_on(page="views/response.py", query={"sex": "F"})
    at.selectbox(key="response_by").set_value("sex").run()
    at.selectbox(key="worsening_rule").set_value("total_score").run()
    assert not at.exception
    return analysis_of_state(at.session_state.to_dict(), DEMO, "response").encode()


def _open(at, data: bytes):
    uploader = next(u for u in at.file_uploader if u.key.startswith("analysis_uploads"))
    uploader.set_value(("analysis.json", data, "application/json")).run()  # the page switch happens within this run
    assert not at.exception, at.exception
    return at


def test_a_saved_analysis_reopens_the_same_view_in_a_new_session():
    data = _saved_from_a_session()
    assert json.loads(data)["filters"] == {"sex": "F"}
    at = _open(app_on(), data)
    assert at.title[0].value == "Response to omalizumab"
    assert at.session_state["filter_sex"] == ["F"]
    assert at.session_state["response_by"] == "sex"
    assert at.session_state["worsening_rule"] == "total_score"
    assert any("38 of 55 patients" in m.value for m in at.markdown)
    assert any("Analysis opened: the same data" in s.value for s in at.sidebar.success)


def test_with_another_file_loaded_the_saved_analysis_warns():
    data = _saved_from_a_session()
    at = _open(app_on(_other_cohort()), data)
    assert any("differ from the saved checksum" in w.value for w in at.sidebar.warning)


def test_a_wrong_file_keeps_the_view_and_says_why():
    at = _open(app_on(page="views/response.py", query={"sex": "F"}), b"not json")
    assert any("not JSON" in e.value for e in at.sidebar.error)
    assert at.session_state["filter_sex"] == ["F"]


def test_an_analysis_saved_on_the_overview_reopens_the_overview():
    data = oc.analysis_json(DEMO, page="overview").encode()
    at = _open(app_on(page="views/response.py"), data)
    assert at.title[0].value == "Omalizumab in mast cell disorders"


def test_an_unknown_page_in_the_file_is_said_not_followed():
    data = oc.analysis_json(DEMO, page="../secrets", filters=oc.FilterSpec(sex=("M",))).encode()
    at = _open(app_on(page="views/response.py"), data)
    assert at.title[0].value == "Response to omalizumab"
    assert any("does not have" in w.value for w in at.sidebar.warning)
    assert at.session_state["filter_sex"] == ["M"]
