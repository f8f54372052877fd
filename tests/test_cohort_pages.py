"""Several cohorts in the dashboard: compare and pooled modes (issue 20, part 1), headless with AppTest."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from omalizumab_core.data.cohort_set import CohortSet
from omalizumab_core.synthetic.demo import demo_cohort
from omalizumab_core.synthetic.two_cohorts import SMALL_NAME, small_cohort
from tests.apptest_support import APP, open_code_sections, page_files, page_tables, shown_text


def _app(mode: str, page: str | None = None) -> AppTest:
    demo = demo_cohort()
    cohorts = CohortSet()
    cohorts.add("Demo", demo)
    cohorts.add(SMALL_NAME, small_cohort())
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["cohort_set"] = cohorts
    at.session_state["cohort"] = demo
    at.session_state["cohort_active"] = demo
    at.session_state["cohort_choice"] = "Demo"
    at.session_state["cohort_mode"] = mode
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
        open_code_sections(at)  # the scripts are written when their section is opened
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_one_cohort_mode_analyses_the_chosen_cohort_only():
    at = _app("one")
    assert "55 of 55 patients" in shown_text(at)
    at.sidebar.selectbox(key="cohort_choice").select(SMALL_NAME).run()
    assert "6 of 6 patients" in shown_text(at)


def test_pooled_mode_has_every_patient_and_a_cohort_filter():
    at = _app("pooled")
    assert "61 of 61 patients" in shown_text(at)
    cohort_filter = next(m for m in at.sidebar.multiselect if m.label == "Cohort")
    assert cohort_filter.options == ["Demo", SMALL_NAME]
    cohort_filter.select(SMALL_NAME).run()
    assert "6 of 61 patients" in shown_text(at)
    assert at.query_params["x.cohort"] == SMALL_NAME  # the shared link names the cohort kept
    assert any("identifiers are used in more than one cohort" in str(w.value) for w in at.sidebar.warning)


@pytest.mark.parametrize(
    ("page", "heading", "column"),
    [
        ("views/overview.py", "Patients' characteristics by cohort (Table 1)", "Test between cohorts"),
        ("views/response.py", "Response by cohort (Table 2)", "Difference Demo − Fewer responders (95 % CI)"),
        ("views/symptoms.py", "Symptoms by cohort", f"{SMALL_NAME}: mean score under omalizumab"),
    ],
)
def test_compare_mode_shows_each_cohort_side_by_side(page, heading, column):
    at = _app("compare", page)
    text = shown_text(at)
    assert heading in text and "all cohorts pooled, not split by cohort" in text
    assert any(column in [str(c) for c in frame.columns] for frame in page_tables(at))


def test_compare_mode_response_table_has_the_hand_checked_counts_and_test():
    at = _app("compare", "views/response.py")
    table = next(f for f in page_tables(at) if "Demo (N=55)" in f.columns)
    row = table.loc["Overall response (CR + MR + PR)"]
    assert row["Demo (N=55)"] == "43 (78.2 %)" and row[f"{SMALL_NAME} (N=6)"] == "1 (16.7 %)"
    assert row["p (Fisher exact)"] == "p = 0.005"


def test_compare_mode_time_to_response_gives_grays_test():
    at = _app("compare", "views/time_to_response.py")
    assert "Time to response by cohort" in shown_text(at)
    tests = next(f for f in page_tables(at) if "Chi-square (df)" in f.columns)
    assert tests["Test"].tolist()[0] == "Gray test" and tests["Chi-square (df)"].tolist() == ["5.82 (1)", "4.52 (1)"]


def test_other_pages_work_on_the_pooled_cohorts_and_say_so():
    at = _app("compare", "views/follow_up.py")
    assert "everything else on this page is all cohorts pooled" in shown_text(at)


def test_a_single_cohort_shows_no_cohort_choice():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not [r for r in at.sidebar.radio if r.key == "cohort_mode"]


def test_literature_page_has_one_row_per_cohort_when_comparing():
    at = _app("compare", "views/literature.py")
    table = next(f for f in page_tables(at) if "Study" in f.columns or "Study" in [str(i) for i in f.index.names])
    studies = table["Study"].tolist() if "Study" in table.columns else list(table.index)
    assert "Demo" in studies and SMALL_NAME in studies


def test_renaming_and_removing_a_cohort():
    at = _app("one")
    at.sidebar.text_input(key=f"cohort_name::{SMALL_NAME}").input("Centre B").run()
    assert at.session_state["cohort_set"].names == ["Demo", "Centre B"]
    assert at.sidebar.text_input(key="cohort_name::Centre B").value == "Centre B"
    at.sidebar.button(key="cohort_remove::Centre B").click().run()
    assert at.session_state["cohort_set"].names == ["Demo"]
    assert not [r for r in at.sidebar.radio if r.key == "cohort_mode"] and "55 of 55 patients" in shown_text(at)


def test_a_cohort_loaded_after_a_removed_one_shows_its_own_name_not_the_removed_ones():
    # The name boxes were keyed by the cohort object's id, which Python may give to a later cohort.
    at = _app("one")
    at.sidebar.text_input(key=f"cohort_name::{SMALL_NAME}").input("Centre B").run()
    at.sidebar.button(key="cohort_remove::Centre B").click().run()
    cohorts = at.session_state["cohort_set"]
    cohorts.add("Centre C", small_cohort())
    at.run()
    names = {box.value for box in at.sidebar.text_input if str(box.key).startswith("cohort_name::")}
    assert names == {"Demo", "Centre C"}


@pytest.mark.parametrize("page", page_files())
def test_every_page_runs_when_comparing_cohorts(page):
    at = _app("compare", page)  # asserts no exception
    if not page.endswith(("data.py", "publication.py")):  # the pages without filters
        assert "61 of 61 patients" in shown_text(at)


def test_the_union_of_the_demo_and_real_data_says_only_part_is_synthetic():
    at = _app("one")
    cohorts = at.session_state["cohort_set"]
    real = small_cohort()
    object.__setattr__(real, "synthetic", False)
    cohorts.add("My centre", real)
    at.session_state["cohort_mode"] = "pooled"
    at.run()
    assert any("Includes synthetic patients (Demo, Fewer responders), not real data." in str(w.value) for w in at.sidebar.warning)


def test_the_code_of_an_output_pools_the_same_cohorts_when_several_are_analysed():
    # A script that loaded one cohort would re-create other numbers than the page shows.
    at = _app("pooled", "views/response.py")
    code = next(c.value for c in at.code if "score_cohort" in c.value)
    assert "oc.pool_cohorts({" in code
    assert "'Demo': oc.load_cohort(" in code and f"{SMALL_NAME!r}: oc.load_cohort(" in code
    at = _app("one", "views/response.py")
    code = next(c.value for c in at.code if "score_cohort" in c.value)
    assert "pool_cohorts" not in code and "cohort = oc.load_cohort('demo')" in code


def test_the_headline_does_not_call_a_partly_real_pooled_cohort_synthetic_demo_data():
    at = _app("one")
    real = small_cohort()
    object.__setattr__(real, "synthetic", False)
    at.session_state["cohort_set"].add("My centre", real)
    at.session_state["cohort_mode"] = "pooled"
    at.run()
    text = shown_text(at)
    assert "synthetic demo data" not in text
    assert "includes synthetic patients (Demo, Fewer responders), the rest real data" in text
    cohort_filter = next(m for m in at.sidebar.multiselect if m.label == "Cohort")
    cohort_filter.select("My centre").run()  # only real patients shown: no word on synthetic data
    assert "6 of 67 patients" in shown_text(at) and "includes synthetic" not in shown_text(at)


def _definitions_uploaded(mode: str) -> AppTest:
    """The session of ``_app(mode)`` after an instrument definition (.toml) is uploaded on its own."""

    def script():
        import streamlit as st

        import omalizumab_core as oc
        from ui import cohorts
        from ui.definitions import recheck_with_definitions

        cohorts.cohort_panel()
        if st.button("Upload the definition", key="upload_definition"):
            text = oc.example_instrument_text().replace("percent = 50", "percent = 30")
            st.session_state["definition_problems"] = recheck_with_definitions([("example_symptom_diary.toml", text.encode())])

    at = _app(mode)
    test = AppTest.from_function(script, default_timeout=120)
    for key in ("cohort_set", "cohort", "cohort_active", "cohort_choice", "cohort_mode"):
        test.session_state[key] = at.session_state[key]
    test.run()
    test.button(key="upload_definition").click().run()
    test.run()  # the rerun after a successful upload
    assert not test.exception and test.session_state["definition_problems"] == []
    return test


@pytest.mark.parametrize("mode", ["one", "compare", "pooled"])
def test_a_definition_uploaded_alone_updates_the_named_cohort_and_adds_no_cohort(mode):
    at = _definitions_uploaded(mode)
    cohorts = at.session_state["cohort_set"]
    assert cohorts.names == ["Demo", SMALL_NAME]  # not a third "Pooled cohorts: ..." cohort holding every patient again
    assert cohorts["Demo"].instruments["example_symptom_diary"].responders[0].percent == 30
    analysed = at.session_state["cohort"]
    assert analysed.instruments["example_symptom_diary"].responders[0].percent == 30
    assert analysed.n_patients == (55 if mode == "one" else 61)


def test_pooled_safety_counts_only_the_cohorts_that_recorded_adverse_events():
    at = _app("one")
    other = small_cohort()
    object.__setattr__(other, "adverse_events", None)
    at.session_state["cohort_set"].add("No safety data", other)
    at.session_state["cohort_mode"] = "pooled"
    at.run()
    assert any(str(w.value).startswith("No adverse events table in No safety data (6 patients)") for w in at.sidebar.warning)
    at.switch_page("views/safety.py").run()
    assert not at.exception
    assert any("No safety data recorded no adverse events: its patients are left out" in str(i.value) for i in at.info)
    # 6 stops for an adverse event in the demo, none in the small cohort: 6 of their 55 + 6 patients, not of 67.
    assert "an adverse event (any response) 6 (9.8 %)" in shown_text(at)


def test_coming_back_from_pooled_mode_analyses_the_cohort_chosen_before():
    at = _app("one")
    at.sidebar.selectbox(key="cohort_choice").select(SMALL_NAME).run()
    at.sidebar.radio(key="cohort_mode").set_value("pooled").run()
    assert "61 of 61 patients" in shown_text(at)
    at.sidebar.radio(key="cohort_mode").set_value("one").run()
    assert "6 of 6 patients" in shown_text(at)  # not silently back to the first cohort (the demo)


def test_switching_cohorts_does_not_leave_the_previous_cohorts_age_range_as_a_filter():
    at = _app("one")
    at.sidebar.selectbox(key="cohort_choice").select(SMALL_NAME).run()  # its patients are 28 to 72 years old
    at.sidebar.selectbox(key="cohort_choice").select("Demo").run()
    assert "55 of 55 patients" in shown_text(at) and "age" not in at.query_params


def test_an_age_range_the_user_chose_is_kept_when_pooling():
    at = _app("one")
    at.sidebar.slider(key="filter_age_at_treatment").set_range(40.0, 60.0).run()
    at.sidebar.radio(key="cohort_mode").set_value("pooled").run()
    assert at.query_params["age"] == "40-60"
