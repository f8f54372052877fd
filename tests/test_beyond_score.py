"""Anaphylaxis and questionnaires beyond the paper's score: the lines of the Overview, Patient and MDT pages and
reports, and instrument definitions uploaded after the cohort.

Reference values: by hand (stated beside each), R 4.2 ``glm(..., family = quasibinomial)`` with
``confint.default`` for the paired rate ratio and ``binom.test`` for exact intervals; the calls are quoted.
"""

from __future__ import annotations

import pandas as pd
import pytest

import omalizumab_core as oc
from omalizumab_core.analyses.beyond_score import (
    anaphylaxis_summary, beyond_score_lines, comparable_beyond_score_lines, instrument_summary, patient_beyond_score_lines,
)
from omalizumab_core.data.instruments import example_instrument_text
from omalizumab_core.data.problems import ERROR, WARNING, CohortError
from omalizumab_core.synthetic.instrument_example import instrument_example_cohort, instrument_example_scored
from tests.apptest_support import app_on, shown_text
from tests.handmade import cohort_of, course, patient

DIARY = "example_symptom_diary"


def _anaphylaxis_cohort() -> oc.Cohort:
    """Three patients treated 12 months: A 3 episodes before, 0 on; B 1 and 1; C 0 and 1 (12-month window)."""
    patients = [patient(p, last_follow_up_month=12.0) for p in ("A", "B", "C")]
    rows = []
    for p in ("A", "B", "C"):
        rows += course(p, {"flushing": {0: 1, 3: 0.5, 12: 0.5}})
    table = pd.DataFrame(
        [("A", -10, "III", True, None), ("A", -4, "II", True, None), ("A", -1, "II", False, None),
         ("B", -6, "II", True, None), ("B", 2, "I", False, None), ("C", 5, "III", True, None)],
        columns=["patient_id", "month", "grade", "epinephrine", "trigger"],
    )
    table["epinephrine"] = table["epinephrine"].astype("boolean")
    return cohort_of(patients, rows, anaphylaxis=table)


def _plain_cohort() -> oc.Cohort:
    return cohort_of([patient("A"), patient("B")], course("A", {"flushing": {0: 1, 3: 0.5}}) + course("B", {"flushing": {0: 1, 3: 1}}))


# --- the lines ---------------------------------------------------------------------------------------------


def test_anaphylaxis_summary_gives_rates_the_paired_ratio_and_the_patients_free_on_treatment():
    s = anaphylaxis_summary(oc.score_cohort(_anaphylaxis_cohort())).iloc[0]
    # By hand: 4 episodes in 3 patient-years before (1.33 per year), 2 in 3 on (0.67). Equal periods in every
    # patient, so the paired estimate is the ratio of totals 2 / 4 = 0.5. R: on = c(0,1,1); b = c(3,1,0);
    # q = glm(cbind(on, b) ~ 1, family = quasibinomial): dispersion 1.875, exp(confint.default(q)) 0.04892931606 5.109411292
    assert (s["rate_before"], s["rate_on"]) == pytest.approx((4 / 3, 2 / 3))
    assert s["rate_ratio"] == pytest.approx(0.5)
    assert (s["lower"], s["upper"]) == pytest.approx((0.04892931606, 5.109411292), rel=1e-5)
    # A and B had episodes before, A none on treatment: 1/2; R binom.test(1, 2): 0.01257911709 0.98742088291
    assert (s["free"], s["patients_with_episodes"]) == (1, 2)
    assert (s["free_lower"], s["free_upper"]) == pytest.approx((0.01257911709, 0.98742088291), rel=1e-8)


def test_the_overview_line_says_it_in_words():
    (line,) = beyond_score_lines(oc.score_cohort(_anaphylaxis_cohort()))
    assert line == ("Anaphylaxis: 1.33 episodes per patient-year before omalizumab, 0.67 on it (rate ratio 0.50, 95 % CI 0.05–5.11, "
                    "paired by patient); free of anaphylaxis on treatment: 1/2 patients with episodes before "
                    "(50.0 %, 95 % CI 1.3–98.7).")


def test_questionnaire_lines_give_each_rule_with_its_exact_interval():
    # The example cohort's totals (tests/test_instruments.py): ≥ 50 % in EX-1, EX-2 (20 → 9: 55 %) and EX-5: 3/6;
    # R binom.test(3, 6): 0.1181172 0.8818828.
    summary = instrument_summary(instrument_example_scored())
    assert summary[["rule", "responders", "patients"]].values.tolist() == [["reduction_50", 3, 6], ["change_6", 4, 6], ["controlled", 3, 6]]
    (line,) = beyond_score_lines(instrument_example_scored())
    assert "Total reduced by at least 50 %: 3/6 (50.0 %, 95 % CI 11.8–88.2)" in line
    assert line.startswith("Example symptom diary (EXAMPLE, not a validated instrument), responders")


def test_one_patients_lines_count_episodes_per_period_and_read_the_questionnaire():
    lines = patient_beyond_score_lines(oc.score_cohort(_anaphylaxis_cohort()), "A")
    assert lines == ["Anaphylaxis: 3 episodes in the 12 months before omalizumab (3.0 per year; 2 with epinephrine), "
                     "0 in 12 months on it (0.0 per year; 0 with epinephrine)."]
    # EX-2: total 20 at baseline, 9 at month 6: (20 − 9) / 20 = 55 % improvement; meets ≥ 50 % and ≥ 6 points, not ≤ 8.
    (line,) = patient_beyond_score_lines(instrument_example_scored(), "EX-2")
    assert line == ("Example symptom diary (EXAMPLE, not a validated instrument), total (0 to 40): 20 at baseline, 9 at month 6 "
                    "(improved by 55 %); responder rules met: Total reduced by at least 50 %; "
                    "Total reduced by at least 6 points (example minimal important difference).")


def test_comparable_patients_lines_are_those_of_the_comparable_patients_alone():
    scored = oc.score_cohort(_anaphylaxis_cohort())
    (line,) = comparable_beyond_score_lines(scored, ["A"])
    # A alone: 3 episodes in 1 year before, none on: ratio not estimable; free 1/1.
    assert line.startswith("Among the 1 comparable patient, anaphylaxis: 3.00 episodes per patient-year before omalizumab, 0.00 on it "
                           "(rate ratio not estimable)")
    assert comparable_beyond_score_lines(scored, []) == []


def test_a_cohort_without_the_tables_gives_no_line_and_empty_summaries():
    scored = oc.score_cohort(_plain_cohort())
    assert beyond_score_lines(scored) == [] and patient_beyond_score_lines(scored, "A") == []
    assert comparable_beyond_score_lines(scored, ["A", "B"]) == []
    assert anaphylaxis_summary(scored).empty and instrument_summary(scored).empty


def test_reports_of_a_cohort_without_the_tables_have_no_new_section():
    scored = oc.score_cohort(_plain_cohort())
    assert "Anaphylaxis and questionnaires" not in oc.overview_report(scored, filters={}, source="test")
    assert "Anaphylaxis and questionnaires" not in oc.patient_report(scored, "A", filters={}, source="test")
    page = oc.overview_report(oc.score_cohort(_anaphylaxis_cohort()), filters={}, source="test")
    assert "Anaphylaxis and questionnaires" in page and "rate ratio 0.50" in page


def test_the_overview_and_patient_pages_show_the_lines_only_with_the_tables():
    at = app_on(oc.load_cohort("demo"), page="views/overview.py")
    assert not at.exception, [e.value for e in at.exception]
    assert "Anaphylaxis and questionnaires" in shown_text(at) and "free of anaphylaxis on treatment: 10/14" in shown_text(at)
    at = app_on(_plain_cohort(), page="views/overview.py")
    assert not at.exception and "Anaphylaxis and questionnaires" not in shown_text(at)
    at = app_on(oc.load_cohort("demo"), page="views/patient.py", query={"patient": "DEMO-001"})
    assert not at.exception, [e.value for e in at.exception]
    assert "5 episodes in the 12 months before omalizumab" in shown_text(at)


# --- definitions uploaded after the cohort -------------------------------------------------------------------


def test_a_corrected_definition_re_checks_the_loaded_scores_and_replaces_the_old_one():
    cohort = instrument_example_cohort()
    corrected = example_instrument_text().replace("at_most = 8", "at_most = 10")
    rechecked = oc.add_instrument_definitions(cohort, [("diary.toml", corrected.encode())])
    # Totals on treatment (tests/test_instruments.py): EX-1 10, 4; EX-2 12, 9; EX-3 10; EX-4 11, 10; EX-5 0; EX-6 6:
    # every patient reaches 10 or less once, 6/6 (it was 3/6 at 8 or less).
    r = oc.instrument_responders(oc.score_cohort(rechecked)).set_index("rule")
    assert r.loc["controlled", ["responders", "patients"]].tolist() == [6, 6]
    assert oc.instrument_responders(oc.score_cohort(cohort)).set_index("rule").loc["controlled", "responders"] == 3


def test_scores_that_no_longer_fit_are_located_and_the_cohort_is_kept():
    cohort = instrument_example_cohort()
    narrower = example_instrument_text().replace("high = 10", "high = 5")  # items 0–5, total 0–20
    with pytest.raises(CohortError) as error:
        oc.add_instrument_definitions(cohort, [("diary.toml", narrower.encode())])
    found = {(p.severity, p.where, p.column, p.value) for p in error.value.problems}
    # EX-1's itch was 8 at baseline; EX-5's total was 30.
    assert (ERROR, "questionnaire scores of the loaded cohort: patient EX-1, instrument example_symptom_diary, item itch, month 0", "value", "8") in found
    assert (ERROR, "questionnaire scores of the loaded cohort: patient EX-5, instrument example_symptom_diary, item total, month 0", "value", "30") in found
    assert cohort.instruments[DIARY].measure_range("total") == (0.0, 40.0)  # the loaded cohort is untouched


def test_a_definition_no_score_uses_is_a_warning_and_definitions_without_scores_are_refused():
    other = example_instrument_text().replace('id = "example_symptom_diary"', 'id = "other_diary"')
    rechecked = oc.add_instrument_definitions(instrument_example_cohort(), [("other.toml", other.encode())])
    assert sorted(rechecked.instruments) == [DIARY]
    assert any(p.severity == WARNING and "other_diary" in p.message for p in rechecked.warnings)
    with pytest.raises(CohortError) as error:
        oc.add_instrument_definitions(_plain_cohort(), [("diary.toml", example_instrument_text().encode())])
    assert "no questionnaire scores" in error.value.problems[0].message
    with pytest.raises(CohortError) as error:
        oc.add_instrument_definitions(instrument_example_cohort(), [("bad.toml", b"[instrument\n")])
    assert error.value.problems[0].where == "bad.toml"


def _recheck_script():
    import streamlit as st

    from ui.definitions import recheck_with_definitions

    st.session_state["problems"] = recheck_with_definitions(st.session_state["files"])


def test_the_data_page_upload_of_definitions_alone_rechecks_the_session_cohort_and_keeps_it_on_failure():
    from streamlit.testing.v1 import AppTest

    from ui.definitions import only_definitions

    assert only_definitions(["diary.toml", "Other.TOML"]) and not only_definitions(["diary.toml", "patients.csv"]) and not only_definitions([])
    cohort = instrument_example_cohort()
    narrower = example_instrument_text().replace("high = 10", "high = 5")
    at = AppTest.from_function(_recheck_script)
    at.session_state["cohort"] = cohort
    at.session_state["files"] = [("diary.toml", narrower.encode())]
    at.run()
    assert not at.exception and at.session_state["problems"] and at.session_state["cohort"] is cohort
    assert at.session_state["load_problems"] == at.session_state["problems"]
    at.session_state["files"] = [("diary.toml", example_instrument_text().replace("at_most = 8", "at_most = 10").encode())]
    at.run()
    assert at.session_state["problems"] == [] and at.session_state["cohort"] is not cohort
    assert at.session_state["cohort"].instruments[DIARY].responders[2].at_most == 10


def test_the_mdt_report_says_what_happened_to_comparable_patients_anaphylaxis_and_questionnaires():
    from omalizumab_core.analyses.candidate import Candidate

    scored = oc.score_cohort(oc.load_cohort("demo"))
    candidate = Candidate("ISM", "positive", symptoms=("flushing", "anaphylaxis"))
    a = oc.assess_candidate(scored, candidate)
    lines = comparable_beyond_score_lines(scored, a.comparable["patient_id"])
    assert len(lines) == 2 and all(line.startswith(f"Among the {len(a.comparable)} comparable patient") for line in lines)
    page = oc.candidate_report(scored, candidate, filters={}, source="demo", assessment=a)
    assert "Anaphylaxis and questionnaires of the comparable patients" in page and "DEMO-0" not in page
    plain = cohort_of([patient("A"), patient("B")], course("A", {"flushing": {0: 1, 3: 0.5}}) + course("B", {"flushing": {0: 1, 3: 1}}))
    assert "Anaphylaxis and questionnaires" not in oc.candidate_report(oc.score_cohort(plain), Candidate("ISM", "positive", symptoms=("flushing",)),
                                                                       filters={}, source="test")
