"""Overview: headline figures and Table 1 on hand-made cohorts and on the demo."""

from __future__ import annotations

import pandas as pd
import pytest

from omalizumab_core.engine.scoring import score_cohort
from omalizumab_core.analyses.overview import format_headline, format_table1, headline_figures, table1
from tests.apptest_support import app_on, shown_text
from tests.handmade import cohort_of, course, patient


@pytest.fixture(scope="module")
def three():
    # A: MR at month 2 (1 of 2 symptoms gone, the other halved: 0.5/2 = 75 % decrease), still treated at 10.
    # B: PR from month 1 (decrease 25 %), stopped at 6 for intolerance.  C: never responds, stops at 3.
    return score_cohort(
        cohort_of(
            [
                patient("A", sex="M", age_at_diagnosis=30.0, age_at_treatment=40.0, last_follow_up_month=10.0, prior_therapies="H1 antihistamine; Montelukast"),
                patient("B", sex="F", age_at_diagnosis=50.0, age_at_treatment=51.0, treatment_end_month=6.0, end_reason="intolerance", prior_therapies="h1 antihistamine"),
                patient("C", sex="F", diagnosis="MCAS", kit_d816v="negative", age_at_diagnosis=20.0, age_at_treatment=60.0, treatment_end_month=3.0, end_reason="lack_of_efficacy", prior_therapies=None),
            ],
            course("A", {"flushing": {0: 1, 1: 1, 2: 0}, "pruritus": {0: 1, 2: 0.5}})
            + course("B", {"diarrhea": {0: 1, 1: 0.75}, "anaphylaxis": {0: 1, 1: 0.75}})
            + course("C", {"fatigue": {0: 1, 1: 1, 3: 1}}),
        )
    )


def test_headline_counts_responders_at_best_response_with_an_exact_ci(three):
    h = headline_figures(three).set_index("measure")
    assert (h.loc["best_response", "n"], h.loc["best_response", "total"]) == (2, 3)
    # scipy.stats.binomtest(2, 3).proportion_ci(method="exact") = (0.0943, 0.9916), as R binom.test(2, 3).
    assert h.loc["best_response", "ci_low"] == pytest.approx(0.09429932, abs=1e-6)
    assert h.loc["best_response", "ci_high"] == pytest.approx(0.99159624, abs=1e-6)


def test_persistent_response_counts_only_responders_still_responding_at_last_follow_up(three):
    # B responded but stopped for intolerance: not persistent. Only A counts.
    assert headline_figures(three).set_index("measure").loc["persistent_response", "n"] == 1


def test_times_are_medians_among_responders_and_duration_among_all(three):
    h = headline_figures(three).set_index("measure")
    assert h.loc["months_to_first_response", "value"] == 1.5  # A at 2, B at 1
    assert h.loc["months_to_best_response", "value"] == 1.5
    assert h.loc["months_on_treatment", "value"] == 6.0  # 10, 6, 3


def test_headline_formatting_prints_counts_and_ci():
    frame = format_headline(headline_figures(score_cohort(__import__("omalizumab_core.synthetic.demo", fromlist=["demo_cohort"]).demo_cohort())))
    row = frame.set_index("Measure").loc["Overall response at best response"]
    assert row["Value"] == "43 (78.2 %)" and row["Detail"].startswith("95 % CI [")


def test_table1_columns_split_primary_and_idiopathic(three):
    t = table1(three)
    assert list(pd.unique(t["column"])) == ["All patients (N=3)", "Primary MCAS (N=2)", "ISM (N=2)", "Idiopathic MCAS (N=1)"]


def test_table1_counts_medians_and_previous_therapies(three):
    t = table1(three)
    everyone = t[t["column"] == "All patients (N=3)"].set_index("characteristic")
    assert everyone.loc["Male, n (%)", "n"] == 1 and everyone.loc["Female, n (%)", "n"] == 2
    assert everyone.loc["Age at diagnosis, years, median (range)", ["value", "low", "high"]].tolist() == [30.0, 20.0, 50.0]
    assert everyone.loc["Time from diagnosis to omalizumab, years, median (range)", "value"] == 10.0  # 10, 1, 40
    # "H1 antihistamine" and "h1 antihistamine" are one therapy, shown as first written.
    assert everyone.loc["H1 antihistamine", "n"] == 2 and everyone.loc["Montelukast", "n"] == 1
    assert everyone.loc["Anaphylaxis, n (%)", "n"] == 1
    assert everyone.loc["Symptoms per patient, mean", "value"] == pytest.approx(5 / 3)


def test_table1_formats_like_the_paper(three):
    wide = format_table1(table1(three))
    assert wide.loc[("General characteristics", "Male, n (%)"), "All patients (N=3)"] == "1 (33.3 %)"
    assert wide.loc[("General characteristics", "Age at diagnosis, years, median (range)"), "All patients (N=3)"] == "30 (20–50)"


def test_demo_table1_reproduces_the_published_counts():
    from omalizumab_core.synthetic.demo import demo_cohort

    everyone = table1(score_cohort(demo_cohort()))
    everyone = everyone[everyone["column"] == "All patients (N=55)"].set_index("characteristic")
    # Lemal et al. 2019, Table 1 and Results.
    assert everyone.loc["Male, n (%)", "n"] == 17 and everyone.loc["Female, n (%)", "n"] == 38
    assert everyone.loc["Baseline serum tryptase > 20 ng/mL", ["n", "total"]].tolist() == [21, 55]
    assert everyone.loc["Age at diagnosis, years, median (range)", ["value", "low", "high"]].tolist() == [41, 2, 87]
    assert everyone.loc["H2 antihistamine", "n"] == 50 and everyone.loc["Anaphylaxis, n (%)", "n"] == 14


def test_overview_does_not_mutate_the_cohort(three):
    before = three.cohort.patients.copy()
    table1(three)
    headline_figures(three)
    pd.testing.assert_frame_equal(three.cohort.patients, before)


def test_overview_page_shows_the_headline_and_follows_a_filter():
    at = app_on(page="views/overview.py")
    text = shown_text(at)
    assert "Overall response at best response 43 (78.2 %)" in text
    at.multiselect(key="filter_diagnosis").set_value(["idiopathic"]).run()
    assert "Overall response at best response 9 (64.3 %)" in shown_text(at)  # Table 2, idiopathic MCAS: 9/14
