"""Dose modifications: kinds of change, regimens, response before and after a change, the summary, the page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omalizumab_core.synthetic.demo import demo_scored
from omalizumab_core.analyses.dosing import change_kind, dose_changes, dosing_summary, regimens
from omalizumab_core.engine.scoring import score_cohort
from tests.apptest_support import app_on, shown_text
from tests.handmade import cohort_of, course, patient


def _doses(*rows):
    return pd.DataFrame(rows, columns=["patient_id", "month", "dose_mg", "interval_days"])


@pytest.mark.parametrize(
    "before, after, kind",
    [
        ((150, 14), (300, 14), "escalation"),  # the paper's escalation
        ((150, 14), (300, 10), "escalation"),  # higher dose, shorter interval
        ((150, 7), (300, 7), "escalation"),  # already weekly: a higher dose is an escalation
        ((150, 14), (150, 7), "weekly"),  # the paper's 150 mg/week
        ((150, 14), (300, 7), "weekly"),  # moving to weekly wins over escalation
        ((300, 14), (150, 14), "reduction"),
        ((150, 14), (150, 28), "reduction"),  # same dose, longer interval: less per day
        ((150, 7), (150, 14), "reduction"),  # back from weekly
        ((300, 28), (300, 14), "escalation"),  # same dose twice as often
        ((150, 14), (600, 28), "escalation"),  # more per day despite a longer interval
        ((150, 14), (300, 28), "other"),  # same amount per day on another schedule
    ],
)
def test_kind_of_change_weekly_first_then_more_or_less_omalizumab_per_day(before, after, kind):
    assert change_kind([before[0]], [before[1]], [after[0]], [after[1]]).tolist() == [kind]


def test_rows_repeating_the_regimen_make_one_regimen_with_its_monthly_equivalent():
    cohort = cohort_of(
        [patient("A", last_follow_up_month=12.0)],
        course("A", {"a": {0: 1, 1: 1}}),
        doses=_doses(("A", 0, 150, 14), ("A", 3, 150, 14), ("A", 6, 300, 14)),
    )
    r = regimens(score_cohort(cohort))
    # 150 mg every 2 weeks = 150 x 28/14 = 300 mg per 4 weeks; 300 mg -> 600.
    assert r[["regimen", "start_month", "end_month", "dose_mg", "mg_per_4_weeks"]].values.tolist() == [
        [1, 0.0, 6.0, 150.0, 300.0],
        [2, 6.0, 12.0, 300.0, 600.0],
    ]
    assert len(dose_changes(score_cohort(cohort))) == 1


def test_doses_after_the_end_of_treatment_are_ignored():
    cohort = cohort_of(
        [patient("A", treatment_end_month=4.0, end_reason="intolerance")],
        course("A", {"a": {0: 1, 1: 1}}),
        doses=_doses(("A", 0, 150, 14), ("A", 6, 300, 14)),
    )
    assert dose_changes(score_cohort(cohort)).empty


def _around_changes_cohort():
    # Two baseline symptoms (B = 2). Scores: 1.75 = decrease 12.5 % (PR), 1.5 = 25 % (PR),
    # 1.0 = exactly 50 % (PR, not MR), 0.5 = 75 % (MR).
    better = {"a": {0: 1, 1: 0.75, 2: 0.75, 4: 0.25}, "b": {0: 1, 1: 1, 2: 0.75, 4: 0.25}}  # PR at 2, MR at 4
    deeper = {"a": {0: 1, 2: 0.75, 4: 0.5}, "b": {0: 1, 2: 0.75, 4: 0.5}}  # PR 25 % at 2, PR 50 % at 4
    same = {"a": {0: 1, 2: 0.75, 4: 0.75}, "b": {0: 1, 2: 0.75, 4: 0.75}}  # PR 25 % at 2 and 4
    return cohort_of(
        [patient(p) for p in ("BETTER", "DEEPER", "SAME", "EARLY", "LATE", "NEVER")],
        course("BETTER", better) + course("DEEPER", deeper) + course("SAME", same)
        + course("EARLY", better) + course("LATE", better) + course("NEVER", same),
        doses=_doses(
            ("BETTER", 0, 150, 14), ("BETTER", 2, 300, 14),
            ("DEEPER", 0, 150, 14), ("DEEPER", 2, 300, 14),
            ("SAME", 0, 150, 14), ("SAME", 2, 150, 7),
            ("EARLY", 0, 150, 14), ("EARLY", 0.5, 300, 14), ("EARLY", 3, 600, 14),
            ("LATE", 0, 150, 14), ("LATE", 4, 300, 14),
            ("NEVER", 0, 150, 14),
        ),
    )


def test_category_before_is_the_last_assessment_at_or_before_the_change_and_after_the_best_after_it():
    changes = dose_changes(score_cohort(_around_changes_cohort())).set_index("patient_id")
    better = changes.loc["BETTER"]
    assert (better["category_before"], better["assessed_before_month"], better["decrease_before_pct"]) == ("PR", 2.0, 25.0)
    assert (better["best_category_after"], better["best_decrease_after_pct"], better["improvement"], better["improved"]) == ("MR", 75.0, "better_category", True)


def test_same_partial_response_with_a_lower_score_is_an_improvement():
    changes = dose_changes(score_cohort(_around_changes_cohort())).set_index("patient_id")
    assert (changes.loc["DEEPER", "best_category_after"], changes.loc["DEEPER", "improvement"]) == ("PR", "deeper_same_category")
    assert bool(changes.loc["DEEPER", "improved"]) is True
    assert (changes.loc["SAME", "kind"], changes.loc["SAME", "improvement"]) == ("weekly", "not_improved")
    assert bool(changes.loc["SAME", "improved"]) is False


def test_change_before_any_assessment_starts_from_baseline_and_change_after_the_last_has_no_outcome():
    changes = dose_changes(score_cohort(_around_changes_cohort()))
    early = changes[changes["patient_id"] == "EARLY"].iloc[0]
    assert early["month"] == 0.5 and early["category_before"] == "NR" and np.isnan(early["assessed_before_month"])
    assert early["decrease_before_pct"] == 0.0 and early["improvement"] == "better_category"
    late = changes[changes["patient_id"] == "LATE"].iloc[0]
    assert late["improvement"] == "no_assessment_after" and pd.isna(late["improved"]) and pd.isna(late["best_category_after"])


def test_summary_counts_patients_once_per_kind_and_the_highest_escalated_regimen():
    summary = dosing_summary(score_cohort(_around_changes_cohort()))

    def n(kind, measure, category=None):
        rows = summary[(summary["kind"] == kind) & (summary["measure"] == measure)]
        if category is not None:
            rows = rows[rows["category"] == category]
        return rows[["n", "total"]].values.tolist()

    # Escalated: BETTER, DEEPER, EARLY (twice: 300 then 600, counted once), LATE, of 6 patients.
    assert n("escalation", "patients") == [[4, 6]]
    assert summary[summary["measure"] == "up_to"][["dose_mg", "n"]].values.tolist() == [[300.0, 3], [600.0, 1]]
    # First escalation of each: BETTER -> MR, DEEPER deeper PR, EARLY NR (baseline) -> MR, LATE nothing after.
    assert n("escalation", "improved") == [[3, 4]]
    assert n("escalation", "reached", "MR") == [[2, 4]]
    assert n("escalation", "deeper_same_category") == [[1, 4]]
    assert n("escalation", "no_assessment_after") == [[1, 4]]
    assert n("weekly", "patients") == [[1, 6]] and n("weekly", "not_improved") == [[1, 1]]


def test_a_cohort_without_doses_table_has_no_regimens():
    cohort = cohort_of([patient("A")], course("A", {"a": {0: 1, 1: 1}}))
    with pytest.raises(ValueError, match="no doses table"):
        regimens(score_cohort(cohort))


def test_demo_reproduces_the_published_escalations_and_weekly_dosing():
    summary = dosing_summary(demo_scored()).set_index(["kind", "measure"])
    assert summary.loc[("escalation", "patients"), "n"] == 15  # "In 15/55 patients (27.3%)"
    assert summary.loc[("weekly", "patients"), "n"] == 3  # "3 patients (5.5%)"
    up_to = summary.loc[("escalation", "up_to")]
    assert up_to[["dose_mg", "interval_days", "n"]].values.tolist() == [[300.0, 14.0, 14], [600.0, 14.0, 1]]


def test_page_shows_the_15_escalations_of_the_demo():
    at = app_on(page="views/dosing.py")
    assert not at.exception
    text = shown_text(at)
    assert "Patients with a dose escalation 15 (27.3 %)" in text
    assert "Patients moved to weekly dosing 3 (5.5 %)" in text


def test_page_says_no_data_without_a_doses_table():
    at = app_on(cohort_of([patient("A")], course("A", {"a": {0: 1, 1: 0.5}})), page="views/dosing.py")
    assert not at.exception
    assert "No data: the loaded cohort has no doses table" in shown_text(at)


def test_timeline_draws_one_line_per_patient_then_aggregates_above_the_limit():
    from omalizumab_core.outputs.figures.dosing import regimen_timeline

    scored = score_cohort(_around_changes_cohort())
    r = regimens(scored)
    lines = regimen_timeline(r, scored.outcomes)
    ids = {c[0] for trace in lines.data for c in trace.customdata if c[0] is not None}
    assert ids == set(scored.outcomes["patient_id"])  # patient id in customdata[0] for click-through
    aggregated = regimen_timeline(r, scored.outcomes, max_patients=3)
    assert "aggregated" in aggregated.layout.title.text
    # Month 0: all 6 patients on 150 mg every 2 weeks.
    at_month_0 = {trace.name: trace.y[0] for trace in aggregated.data}
    assert at_month_0["150 mg every 2 weeks"] == 6
