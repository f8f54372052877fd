"""The published-vs-derived table works on any cohort, optional tables missing included,
and derives its dosing, safety, biology and first-improvement rows with the pages' own rules."""

import pandas as pd

from omalizumab_core.analyses.dosing import dosing_summary
from omalizumab_core.engine.scoring import score_cohort
from omalizumab_core.analyses.publication import NOT_AVAILABLE, agreement_summary, publication_comparison
from tests.handmade import cohort_of, course, patient


def _value(table, quantity, column="derived"):
    return table.loc[table["quantity"] == quantity, column].iloc[0]


def _in_category(rows, category):
    return [{**row, "category": category} for row in rows]


def test_comparison_on_a_small_cohort_without_optional_tables_says_not_available():
    cohort = cohort_of([patient("A"), patient("B", sex="M")], course("A", {"flushing": {0: 1, 2: 0}}) + course("B", {"fatigue": {0: 1, 2: 1}}))
    table = publication_comparison(score_cohort(cohort))
    row = table[table["quantity"] == "all patients: best: overall response"].iloc[0]
    assert (row["published"], row["derived"], bool(row["agrees"])) == ("43 (78.2 %)", "1 (50.0 %)", False)
    assert _value(table, "Dose escalations") == NOT_AVAILABLE
    assert _value(table, "Patients with side effects") == NOT_AVAILABLE
    assert _value(table, "Total IgE (IU/mL): mean (range) on therapy") == NOT_AVAILABLE
    assert _value(table, "Sex, male/female") == "1/1"
    # Nothing missing is ever counted as agreeing.
    assert not table.loc[table["derived"] == NOT_AVAILABLE, "agrees"].any()
    agree, compared = agreement_summary(table)
    assert compared == len(table[table["section"] != "Inconsistencies of the paper"]) and agree < compared


def test_time_from_diagnosis_prints_tenths_of_a_year():
    # Gaps 0.2, 3 and 37 years: median 3, range 0.2-37, the paper's "3 years (2 months - 37 years)".
    patients = [
        patient("A", age_at_diagnosis=40.0, age_at_treatment=40.2),
        patient("B", age_at_diagnosis=41.0, age_at_treatment=44.0),
        patient("C", age_at_diagnosis=5.0, age_at_treatment=42.0),
    ]
    table = publication_comparison(score_cohort(cohort_of(patients, course("A", {"x": {0: 1, 1: 1}}))))
    row = table[table["quantity"] == "Time from diagnosis to treatment, median (range), years"].iloc[0]
    assert (row["derived"], bool(row["agrees"])) == ("3 (0.2–37)", True)


def _dosing_cohort():
    # A (2 symptoms, 8 quarters): PR at month 2 (7 quarters, 12.5 %), escalated to 300 mg, deeper PR
    # after (6 quarters, 25 %): improved within PR.
    # B: PR at month 2 (25 %), escalated, MR after (75 %): reached MR. C: PR at month 2, escalated, no change after: not improved.
    # D: NR at month 2 (recurrence), moved to weekly, PR after: reached PR by weekly dosing.
    histories = {
        "A": {"a": {0: 1, 2: 0.75, 4: 0.5}, "b": {0: 1, 2: 1, 4: 1}},
        "B": {"a": {0: 1, 2: 0.75, 4: 0.25}},
        "C": {"a": {0: 1, 2: 0.75, 4: 0.75}},
        "D": {"a": {0: 1, 2: 1, 4: 0.75}},
    }
    rows = [r for pid, h in histories.items() for r in course(pid, h)]
    doses = pd.DataFrame(
        [(pid, 0, 150, 14) for pid in "ABCD"] + [("A", 2, 300, 14), ("B", 2, 300, 14), ("C", 2, 300, 14), ("D", 2, 150, 7)],
        columns=["patient_id", "month", "dose_mg", "interval_days"],
    )
    return score_cohort(cohort_of([patient(p) for p in "ABCD"], rows, doses=doses))


def test_dosing_rows_are_the_dosing_pages_summary():
    scored = _dosing_cohort()
    table = publication_comparison(scored)
    summary = dosing_summary(scored)
    n = lambda kind, measure: int(summary.loc[(summary["kind"] == kind) & (summary["measure"] == measure), "n"].sum())  # noqa: E731
    # By hand: 3 escalations of 4 patients; A deeper PR, B reached MR, C not improved.
    assert _value(table, "Dose escalations") == "3 (75.0 %)"
    assert _value(table, "Escalations that improved the response") == "2 (66.7 %)"
    assert _value(table, "Escalations reaching a major response") == "1 (33.3 %)"
    assert _value(table, "Escalations deepening the response in the same category (the paper: improving their PR)") == "1 (33.3 %)"
    assert _value(table, "Escalations not improving the response") == "1"
    assert _value(table, "Escalations up to 300 mg every 14 days") == "3"
    assert _value(table, "Weekly dosing: reaching PR") == "1" and _value(table, "Weekly dosing: reaching MR") == "0"
    # The same numbers as the dosing page's summary: one rule for both pages.
    assert (n("escalation", "deeper_same_category"), n("escalation", "not_improved"), n("weekly", "improved")) == (1, 1, 1)


def _improvement_cohort(slow_month):
    # General vasomotor improves at month 1 in both patients; the gastrointestinal symptom at 2 in A
    # and at ``slow_month`` in B: medians 1 and (2 + slow_month) / 2.
    rows = _in_category(course("A", {"malaise": {0: 1, 1: 0.75, 2: 0.75}}), "general_vasomotor")
    rows += _in_category(course("A", {"nausea": {0: 1, 1: 1, 2: 0.75}}), "gastrointestinal")
    rows += _in_category(course("B", {"malaise": {0: 1, 1: 0.5}}), "general_vasomotor")
    rows += _in_category(course("B", {"nausea": {0: 1, 1: 1, slow_month: 0.5}}), "gastrointestinal")
    return score_cohort(cohort_of([patient("A"), patient("B")], rows))


def test_other_categories_agree_when_every_median_lies_within_2_to_3_months():
    table = publication_comparison(_improvement_cohort(slow_month=4))
    medians = table[table["quantity"] == "First improvement of the other symptom categories: medians, months"].iloc[0]
    assert (medians["derived"], bool(medians["agrees"])) == ("3", True)  # (2 + 4) / 2
    assert _value(table, "First improvement of general vasomotor symptoms, median (range), months") == "1 (1–1)"
    assert _value(table, "First improvement of the other symptom categories: range, months") == "2–4"
    late = publication_comparison(_improvement_cohort(slow_month=8))
    medians = late[late["quantity"] == "First improvement of the other symptom categories: medians, months"].iloc[0]
    assert (medians["derived"], bool(medians["agrees"])) == ("5", False)  # (2 + 8) / 2 lies outside 2-3


def test_other_categories_median_of_exactly_2_months_agrees_and_just_below_does_not():
    # "2 to 3 months for all the others" includes 2: medians (2 + 2) / 2 = 2 agree, (2 + 1.5) / 2 = 1.75 do not.
    quantity = "First improvement of the other symptom categories: medians, months"
    at_2 = publication_comparison(_improvement_cohort(slow_month=2)).set_index("quantity").loc[quantity]
    assert (at_2["derived"], bool(at_2["agrees"])) == ("2", True)
    below = publication_comparison(_improvement_cohort(slow_month=1.5)).set_index("quantity").loc[quantity]
    assert (below["derived"], bool(below["agrees"])) == ("1.8", False)


def _labs_cohort(on_values):
    before = [10.0, 20.0, 30.0]
    labs = pd.DataFrame(
        [(pid, 0, "tryptase", b) for pid, b in zip("ABC", before)] + [(pid, 3, "tryptase", o) for pid, o in zip("ABC", on_values)],
        columns=["patient_id", "month", "analyte", "value"],
    )
    rows = [r for pid in "ABC" for r in course(pid, {"a": {0: 1, 3: 0.5}})]
    return score_cohort(cohort_of([patient(p) for p in "ABC"], rows, labs=labs))


def test_tryptase_change_is_compared_as_a_test_not_as_a_value():
    # Differences +1, +1.5, +0.5: mean 1, sd 0.5, t = 1 / (0.5 / sqrt 3) = 3.46, p = 0.074 (2 df):
    # not significant, as the paper found (scipy.stats.ttest_rel).
    table = publication_comparison(_labs_cohort([11.0, 21.5, 30.5]))
    row = table[table["quantity"] == "Tryptase (ng/mL): change on therapy"].iloc[0]
    assert (row["derived"], bool(row["agrees"])) == ("not significant", True)
    assert "p = 0.074" in row["note"]
    assert _value(table, "Tryptase (ng/mL): mean before therapy") == "20"
    # Differences +10, +10.5, +9.5: t = 34.6, p = 0.0008: significant, which disagrees with the paper.
    row = publication_comparison(_labs_cohort([20.0, 30.5, 39.5])).set_index("quantity").loc["Tryptase (ng/mL): change on therapy"]
    assert (row["derived"], bool(row["agrees"])) == ("significant", False)
    # IgE was not measured: its rows say so.
    assert _value(table, "Total IgE (IU/mL): patients tested before and on therapy") == "0"
    assert _value(table, "Total IgE increased on therapy (> 20 %)") == NOT_AVAILABLE


def test_safety_rows_count_patients_not_reports():
    events = pd.DataFrame(
        [("A", 1, "Fatigue", "mild", False, False, False), ("A", 2, "fatigue", "mild", False, False, False), ("B", 0, "laryngeal edema", "severe", True, False, True)],
        columns=["patient_id", "month", "event", "severity", "serious", "flare", "led_to_discontinuation"],
    )
    for flag in ("serious", "flare", "led_to_discontinuation"):
        events[flag] = events[flag].astype("boolean")
    rows = [r for pid in "AB" for r in course(pid, {"a": {0: 1, 1: 1}})]
    table = publication_comparison(score_cohort(cohort_of([patient("A"), patient("B")], rows, adverse_events=events)))
    assert _value(table, "Patients with fatigue") == "1"  # two reports, one patient
    assert _value(table, "Patients with side effects") == "2 (100.0 %)"
    assert _value(table, "Severe reaction at the first injection") == "1 (50.0 %)"
    assert _value(table, "Discontinuations for side effects") == "1 (50.0 %)"
