"""The sidebar filters in the running app: numbers follow the filters, the URL holds them, pages share them."""

from __future__ import annotations

from tests.apptest_support import app_on, shown_text


def test_choosing_a_diagnosis_changes_the_patient_count_and_the_url():
    at = app_on(page="views/response.py")
    assert "55 of 55 patients" in shown_text(at)
    at.multiselect(key="filter_diagnosis").set_value(["ISM"]).run()
    assert not at.exception
    assert "29 of 55 patients" in shown_text(at)  # Table 2: ISM n = 29
    assert at.query_params["diagnosis"] == ["ISM"] or at.query_params["diagnosis"] == "ISM"


def test_a_shared_link_reopens_the_same_selection():
    at = app_on(page="views/response.py", query={"diagnosis": "idiopathic", "sex": "F"})
    assert not at.exception
    assert at.multiselect(key="filter_diagnosis").value == ["idiopathic"]
    assert at.multiselect(key="filter_sex").value == ["F"]
    text = shown_text(at)
    assert " of 55 patients" in text and "14 of 55" not in text  # women only among the 14 idiopathic MCAS


def test_filters_persist_when_moving_to_another_page():
    at = app_on(page="views/response.py")
    at.multiselect(key="filter_diagnosis").set_value(["CM"]).run()
    at.switch_page("views/publication.py").run()
    assert not at.exception
    assert at.multiselect(key="filter_diagnosis").value == ["CM"]
    assert "11 of 55 patients" in shown_text(at)


def test_a_filter_leaving_no_patient_shows_a_message_not_an_error():
    at = app_on(page="views/response.py")
    at.multiselect(key="filter_diagnosis").set_value(["MMAS"]).run()
    at.multiselect(key="filter_sex").set_value(["M", "F"]).run()
    at.multiselect(key="filter_kit_d816v").set_value(["negative"]).run()
    assert not at.exception
    assert "0 of 55 patients" in shown_text(at)
    assert any("No patient matches" in str(i.value) for i in at.info)


def test_clear_filters_restores_every_patient():
    at = app_on(page="views/response.py", query={"diagnosis": "CM"})
    assert "11 of 55 patients" in shown_text(at)
    at.button[[b.label for b in at.button].index("Clear filters")].click().run()
    assert "55 of 55 patients" in shown_text(at)


def test_a_link_with_an_age_range_outside_the_cohort_says_what_was_changed():
    at = app_on(page="views/response.py", query={"age": "200-300"})
    assert not at.exception
    text = shown_text(at)
    assert "The link's age range 200–300 years lies outside this cohort's" in text and "not applied" in text
    assert "55 of 55 patients" in text  # not silently "age 93-93"
    at.switch_page("views/safety.py").run()
    assert "age range 200–300" in shown_text(at)  # still said on the next page
    at.multiselect(key="filter_diagnosis").set_value(["ISM"]).run()
    assert "age range 200–300" not in shown_text(at)  # gone once the user has chosen other filters


def test_every_page_names_the_active_filters_under_its_title():
    at = app_on(page="views/safety.py", query={"diagnosis": "ISM", "age": "40-60"})
    assert "Filters: Diagnosis: ISM · Age at treatment: 40–60 years" in [c.value for c in at.caption]
