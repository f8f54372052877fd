"""Figure 1: scores before and under omalizumab per symptom, the Wilcoxon test, the page."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from omalizumab_core.engine.scoring import score_cohort
from omalizumab_core.outputs.figures.symptoms import HEATMAP_MAX_PATIENTS, improvement_share_bars, symptom_heatmap, symptom_score_bars
from omalizumab_core.data.problems import TooFewPatients
from omalizumab_core.analyses.symptom_changes import (
    format_symptom_table,
    improvement_shares,
    score_distribution,
    symptom_changes,
    symptom_heatmap_data,
    symptom_scores,
)
from omalizumab_core.data.vocabulary import category_of
from tests.handmade import cohort_of, course, patient


def _with_categories(rows: list[dict]) -> list[dict]:
    """The vocabulary's category on each row, as the validator would set it."""
    return [{**row, "category": category_of(row["symptom"]) or "other"} for row in rows]


def _scored(patients, rows):
    return score_cohort(cohort_of(patients, _with_categories(rows)))


def _course_cohort():
    # A (responder, followed to month 12):
    #   month 1: flushing 0.75 + pruritus 1   = 1.75 of 2 -> decrease 12.5 % PR
    #   month 3: flushing 0.25 + pruritus 0.5 = 0.75      -> 62.5 % MR (best, first reached)
    #   month 6: 0.25 + 0.25 = 0.5 -> MR; month 9: 0.5 + 0.25 = 0.75 -> MR (last)
    # B (never responds): diarrhea 1 at month 2, 1.5 at month 4.
    # C (stopped at month 4): a row at month 6 is after the end of treatment.
    # D (first assessment at month 2).
    patients = [
        patient("A", last_follow_up_month=12.0),
        patient("B"),
        patient("C", treatment_end_month=4.0),
        patient("D"),
    ]
    rows = (
        course("A", {"flushing": {0: 1, 1: 0.75, 3: 0.25, 6: 0.25, 9: 0.5}, "pruritus": {0: 1, 3: 0.5, 6: 0.25}})
        + course("B", {"diarrhea": {0: 1, 2: 1, 4: 1.5}})
        + course("C", {"headache": {0: 1, 2: 0.5, 6: 0}})
        + course("D", {"nausea": {0: 1, 2: 0}})
    )
    return _scored(patients, rows)


def _score(scores, patient_id, symptom):
    row = scores[(scores["patient_id"] == patient_id) & (scores["symptom"] == symptom)]
    assert len(row) == 1
    return row.iloc[0]


def test_best_response_is_read_at_the_first_month_reaching_the_best_category():
    scores = symptom_scores(_course_cohort(), at="best")
    assert _score(scores, "A", "flushing")[["month", "score"]].tolist() == [3.0, 0.25]
    assert _score(scores, "A", "pruritus")[["month", "score"]].tolist() == [3.0, 0.5]
    # A non-responder's best category (NR) is first reached at the first assessment.
    assert _score(scores, "B", "diarrhea")[["month", "score"]].tolist() == [2.0, 1.0]


def test_last_assessment_ignores_rows_after_the_end_of_treatment():
    scores = symptom_scores(_course_cohort(), at="last")
    assert _score(scores, "A", "flushing")["score"] == 0.5
    assert _score(scores, "B", "diarrhea")["score"] == 1.5
    # C stopped at month 4: the month-6 row (0) does not count; the month-2 row does.
    assert _score(scores, "C", "headache")[["month", "score"]].tolist() == [2.0, 0.5]


def test_a_chosen_month_carries_the_latest_score_forward():
    scored = _course_cohort()
    at_5 = symptom_scores(scored, at=5)
    # A at month 5: latest rows are month 3 for both symptoms.
    assert _score(at_5, "A", "flushing")["score"] == 0.25
    assert _score(at_5, "A", "pruritus")["score"] == 0.5
    # C stopped at month 4, so is not on treatment at month 5.
    assert math.isnan(_score(at_5, "C", "headache")["score"])
    at_1 = symptom_scores(scored, at=1)
    # Pruritus has no row at month 1: its baseline 1 is carried forward.
    assert _score(at_1, "A", "pruritus")["score"] == 1.0
    assert _score(at_1, "A", "flushing")["score"] == 0.75
    # D's first assessment is at month 2: no on-treatment score at month 1.
    assert math.isnan(_score(at_1, "D", "nausea")["score"])
    at_12 = symptom_scores(scored, at=12)
    # A is followed to month 12 on treatment: month 9's scores carried forward.
    assert _score(at_12, "A", "flushing")["score"] == 0.5
    # B has no follow-up beyond the last assessment (month 4).
    assert math.isnan(_score(at_12, "B", "diarrhea")["score"])


def test_a_month_before_the_first_injection_is_refused():
    with pytest.raises(ValueError):
        symptom_scores(_course_cohort(), at=0)


def test_no_score_at_a_month_nobody_reached_is_too_few_patients():
    with pytest.raises(TooFewPatients):
        symptom_changes(_course_cohort(), at=100)


def test_symptoms_are_named_by_the_vocabulary_and_only_baseline_symptoms_count():
    patients = [patient("P1"), patient("P2")]
    rows = course("P1", {"Itching": {0: 1, 2: 0}, "rash": {2: 1}}) + course("P2", {"prurit": {0: 1, 2: 0.5}})
    scores = symptom_scores(_scored(patients, rows))
    assert sorted(scores["symptom"].astype(str)) == ["pruritus", "pruritus"]
    assert sorted(scores["symptom_as_written"].astype(str)) == ["Itching", "prurit"]


def _wilcoxon_cohort():
    # 20 patients with flushing at baseline; under treatment 6 disappeared (0),
    # 4 at 0.25, 5 at 0.5, 3 unchanged (1), 2 worse (1.5).
    finals = [0] * 6 + [0.25] * 4 + [0.5] * 5 + [1] * 3 + [1.5] * 2
    patients = [patient(f"W{i:02d}") for i in range(len(finals))]
    rows = [r for i, final in enumerate(finals) for r in course(f"W{i:02d}", {"flushing": {0: 1, 3: final}})]
    return _scored(patients, rows), np.array(finals, dtype=float)


def test_wilcoxon_p_value_is_exact_despite_ties_as_r_exact_rank_tests():
    scored, finals = _wilcoxon_cohort()
    row = symptom_changes(scored, at="last", adjust="none").set_index("symptom").loc["flushing"]
    # The 3 unchanged patients are dropped (Wilcoxon's rule), n = 17 with tied |differences|:
    # 0.5 x 7 (5 improved, 2 worse) -> mid-rank 4; 0.75 x 4 -> 9.5; 1 x 6 -> 14.5; V = 2 x 4 = 8.
    # Exact conditional p given these mid-ranks, R 4.2:
    # exactRankTests::wilcox.exact(finals, rep(1, 20), paired = TRUE, exact = TRUE)$p.value = 0.0004425048828125,
    # coin::wilcoxsign_test(finals ~ rep(1, 20), distribution = "exact") the same.
    # (Before issue 16 this page gave the normal approximation, 0.001093, and "**".)
    assert row["p_value"] == pytest.approx(0.0004425048828125, rel=1e-12)
    assert row["test_method"] == "exact"
    assert (row["n_improved"], row["n_unchanged"], row["n_worse"], row["n_disappeared"]) == (15, 3, 2, 6)
    assert row["mean_on_treatment"] == pytest.approx((4 * 0.25 + 5 * 0.5 + 3 + 2 * 1.5) / 20)
    assert row["stars"] == "***"
    # Effect sizes of the 20 differences (unchanged included): by hand, sorted
    # -1 x6, -0.75 x4, -0.5 x5, 0 x3, 0.5 x2: median -0.625 (10th and 11th: -0.75 and -0.5);
    # mean (-6 - 3 - 2.5 + 1) / 20 = -0.525.
    assert row["median_difference"] == -0.625
    assert row["mean_difference"] == pytest.approx(-0.525)
    d = finals - 1
    walsh = np.sort([(d[i] + d[j]) / 2 for i in range(20) for j in range(i, 20)])
    assert row["hodges_lehmann"] == np.median(walsh)
    # R: qsignrank(0.025, 20) = 53: the 53rd smallest and largest of the 210 Walsh averages.
    assert (row["hl_lower"], row["hl_upper"]) == (walsh[52], walsh[210 - 53])
    # R: t.test(finals - 1)$conf.int.
    low, high = stats.ttest_1samp(d, 0).confidence_interval()
    assert (row["mean_lower"], row["mean_upper"]) == pytest.approx((low, high), rel=1e-12)


def test_fourteen_patients_all_improved_by_a_quarter_get_the_exact_p():
    # Issue 16: 2 / 2^14 = 1.2207e-4 (the normal approximation used before gave 2.1e-4).
    patients = [patient(f"Q{i:02d}") for i in range(14)]
    rows = [r for i in range(14) for r in course(f"Q{i:02d}", {"flushing": {0: 1, 3: 0.75}})]
    row = symptom_changes(_scored(patients, rows), adjust="none").iloc[0]
    assert row["p_value"] == 2 / 2**14
    assert (row["hodges_lehmann"], row["hl_lower"], row["hl_upper"]) == (-0.25, -0.25, -0.25)


def _all_disappeared(n):
    patients = [patient(f"X{i}") for i in range(n)]
    rows = [r for i in range(n) for r in course(f"X{i}", {"urticaria": {0: 1, 2: 0}})]
    return _scored(patients, rows)


def test_small_samples_get_the_exact_p_value_despite_ties():
    # All differences -1 (tied): each of the 2^n sign patterns is equally
    # likely under the null, and only "all negative" or "all positive" is as
    # extreme: p = 2 / 2^n. n = 6: 0.03125 (*); n = 5: 0.0625 (ns), which no
    # test of 5 patients can go below.
    six = symptom_changes(_all_disappeared(6), adjust="none").iloc[0]
    assert six["p_value"] == pytest.approx(2 / 64, rel=1e-12)
    assert six["stars"] == "*"
    five = symptom_changes(_all_disappeared(5), adjust="none").iloc[0]
    assert five["p_value"] == pytest.approx(2 / 32, rel=1e-12)
    assert five["stars"] == "ns"


def test_fewer_than_two_changed_patients_are_not_tested_nor_counted_in_the_adjustment():
    patients = [patient(f"Y{i}") for i in range(8)]
    rows = [r for i in range(6) for r in course(f"Y{i}", {"urticaria": {0: 1, 2: 0}})]
    rows += course("Y6", {"cough": {0: 1, 2: 0.5}}) + course("Y7", {"cough": {0: 1, 2: 1}})
    changes = symptom_changes(_scored(patients, rows), adjust="holm").set_index("symptom")
    assert math.isnan(changes.loc["cough", "p_value"])
    assert changes.loc["cough", "stars"] == "–"
    # One test only: Holm leaves its p-value as it is.
    assert changes.loc["urticaria", "p_adjusted"] == pytest.approx(2 / 64)


def test_category_score_is_the_mean_of_its_symptoms():
    patients = [patient("C1"), patient("C2"), patient("C3")]
    rows = (
        course("C1", {"flushing": {0: 1, 2: 0}, "pruritus": {0: 1, 2: 0.5}, "diarrhea": {0: 1, 2: 1.5}, "nausea": {0: 1, 2: 0}})
        + course("C2", {"urticaria": {0: 1, 2: 1}})
        + course("C3", {"diarrhea": {0: 1, 2: 1.5}})
    )
    changes = symptom_changes(_scored(patients, rows), at="last", level="category").set_index("category")
    vasomotor = changes.loc["superficial_vasomotor"]
    # C1: (0 + 0.5) / 2 = 0.25 improved; C2: 1 unchanged. Mean (0.25 + 1) / 2.
    assert vasomotor["n_patients"] == 2
    assert vasomotor["mean_on_treatment"] == pytest.approx(0.625)
    assert (vasomotor["n_improved"], vasomotor["n_unchanged"], vasomotor["n_worse"]) == (1, 1, 0)
    gut = changes.loc["gastrointestinal"]
    # C1: (1.5 + 0) / 2 = 0.75 improved (a worse and a vanished symptom); C3: 1.5 worse.
    assert (gut["n_improved"], gut["n_worse"], gut["n_disappeared"]) == (1, 1, 0)
    assert gut["mean_on_treatment"] == pytest.approx((0.75 + 1.5) / 2)
    assert list(changes.index) == ["superficial_vasomotor", "gastrointestinal"]  # Figure 1's order


def test_patients_without_an_assessment_count_at_baseline_but_not_in_the_test():
    patients = [patient("N1"), patient("N2"), patient("N3", treatment_end_month=1.0)]
    rows = course("N1", {"fatigue": {0: 1, 2: 0.5}}) + course("N2", {"fatigue": {0: 1, 2: 0.75}}) + course("N3", {"fatigue": {0: 1}})
    row = symptom_changes(_scored(patients, rows)).iloc[0]
    assert (row["n_patients"], row["n_assessed"]) == (3, 2)
    assert row["n_improved"] + row["n_unchanged"] + row["n_worse"] == row["n_assessed"]


def test_heatmap_matrix_is_blank_where_the_symptom_was_absent_at_baseline():
    matrix = symptom_heatmap_data(_course_cohort(), at="last")
    assert matrix.loc["A", "flushing"] == 0.5
    assert np.isnan(matrix.loc["A", "diarrhea"])
    assert matrix.loc["B", "diarrhea"] == 1.5
    assert set(matrix.index) == {"A", "B", "C", "D"}
    distribution = score_distribution(matrix).set_index(["symptom", "score_class"])
    assert distribution.loc[("diarrhea", "Worsening"), "n"] == 1
    assert distribution.loc[("flushing", "Substantial improvement"), "share"] == 1.0


def test_improvement_shares_add_up_to_the_patients_assessed():
    changes = symptom_changes(_wilcoxon_cohort()[0])
    shares = improvement_shares(changes)
    assert shares.groupby("symptom")["share"].sum().tolist() == pytest.approx([1.0])
    assert shares.set_index("outcome").loc["worse", "n"] == 2


def test_display_table_puts_stars_on_the_adjusted_p_value():
    scored = _all_disappeared(6)
    paper = format_symptom_table(symptom_changes(scored, adjust="none"))
    assert paper.loc[0, "p (Wilcoxon)"] == "p = 0.031 *"
    assert paper.loc[0, "Symptom"] == "Urticaria"
    assert paper.loc[0, "Improved"] == "6 (100.0 %)"
    holm = format_symptom_table(symptom_changes(scored, adjust="holm", level="category"))
    assert holm.loc[0, "Category"] == "Superficial vasomotor"
    assert holm.loc[0, "Adjusted p (Holm)"] == "p = 0.031 *"


def test_figures_show_every_symptom_and_switch_to_a_distribution_for_large_cohorts():
    changes = symptom_changes(_course_cohort(), at="last")
    bars = symptom_score_bars(changes)
    assert len(bars.data[0].x) == len(changes) == 5  # flushing, pruritus, diarrhea, nausea, headache
    assert list(bars.data[2].text) == list(changes["stars"])
    shares = improvement_share_bars(improvement_shares(changes))
    assert [trace.name for trace in shares.data] == ["Improved", "Unchanged", "Worse"]
    small = symptom_heatmap(symptom_heatmap_data(_course_cohort()))
    assert small.data[0].type == "heatmap"
    # Clickable markers on the scored cells carry the patient id (customdata).
    assert sorted(set(small.data[1].customdata)) == ["A", "B", "C", "D"]
    big = pd.DataFrame(
        np.tile([[0.0, 1.0]], (HEATMAP_MAX_PATIENTS + 1, 1)),
        index=pd.Index([f"P{i}" for i in range(HEATMAP_MAX_PATIENTS + 1)], name="patient_id"),
        columns=pd.Index(["flushing", "fatigue"], name="symptom"),
    )
    figure = symptom_heatmap(big)
    assert {trace.type for trace in figure.data} == {"bar"}
    assert "too many" in figure.layout.title.text


def test_demo_cohort_every_symptom_improves_significantly_at_best_response():
    from omalizumab_core.synthetic.demo import demo_scored

    changes = symptom_changes(demo_scored())
    assert len(changes) == 26
    assert (changes["n_assessed"] == changes["n_improved"] + changes["n_unchanged"] + changes["n_worse"]).all()
    assert (changes["p_adjusted"] < 0.05).all()


def test_symptoms_page_shows_the_table_and_its_options():
    from tests.apptest_support import app_on, page_tables, shown_text

    at = app_on(page="views/symptoms.py")
    assert not at.exception, [e.value for e in at.exception]
    assert "55 of 55 patients" in shown_text(at)
    counts, tests = page_tables(at)  # two tables, each fitting the page
    assert "Malaise" in set(counts["Symptom"]) and "Improved" in counts.columns
    assert tests["Adjusted p (Holm)"].str.endswith("*").all()
    at.radio(key="symptoms_level").set_value("category").run()
    assert not at.exception
    assert "Neuropsychiatric" in set(page_tables(at)[0]["Category"])
    at.radio(key="symptoms_at").set_value("month").run()
    at.number_input(key="symptoms_month").set_value(6).run()
    at.selectbox(key="symptoms_adjust").set_value("bh").run()
    assert not at.exception
    assert "Adjusted p (Benjamini–Hochberg)" in page_tables(at)[1].columns


def test_exact_signed_rank_with_ties_equals_scipys_permutation_test():
    # scipy.stats.wilcoxon(method="auto") runs a 2^n permutation test for tied samples of
    # at most 13; our dynamic-programming count must give the same p-values, faster.
    import numpy as np
    from scipy import stats

    from omalizumab_core.stats.signed_rank import signed_rank_test

    rng = np.random.default_rng(7)
    for n in range(2, 14):
        for _ in range(5):
            d = rng.choice([-0.5, -0.25, 0.25, 0.5, 0.75, 1.0], size=n)
            expected = stats.wilcoxon(d, zero_method="wilcox", correction=True, method="auto").pvalue
            assert signed_rank_test(d)["p_value"] == pytest.approx(expected, rel=1e-9, abs=1e-12), d
