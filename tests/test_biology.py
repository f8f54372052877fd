"""Tryptase and total IgE before and on omalizumab: pairing rule, direction rule, paired tests, the page."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from omalizumab_core.analyses.biology import direction, format_lab_tests, lab_by_response, lab_pairs, lab_tests
from omalizumab_core.synthetic.demo import demo_scored
from omalizumab_core.engine.scoring import score_cohort
from omalizumab_core.data.problems import TooFewPatients
from tests.apptest_support import app_on, shown_text
from tests.handmade import cohort_of, course, patient


def _scored(labs, patients=None, histories=None):
    patients = patients or [patient(p) for p in sorted({row[0] for row in labs})]
    ids = [p["patient_id"] for p in patients]
    histories = histories or {}
    rows = sum((course(p, histories.get(p, {"a": {0: 1, 1: 0.5}})) for p in ids), [])
    frame = pd.DataFrame(labs, columns=["patient_id", "month", "analyte", "value"])
    return score_cohort(cohort_of(patients, rows, labs=frame))


def test_before_is_the_latest_value_at_month_0_and_on_the_first_after_3_months():
    scored = _scored([
        ("A", 0, "tryptase", 10.0),
        ("A", 1, "tryptase", 99.0),  # under 3 months of treatment: not "on therapy"
        ("A", 4, "tryptase", 12.0),
        ("A", 9, "tryptase", 30.0),  # later value: the first after 3 months is used
        ("A", 0, "total_ige", 50.0),
    ])
    pair = lab_pairs(scored, "tryptase").iloc[0]
    assert (pair["before"], pair["before_month"], pair["before_source"], pair["on"], pair["on_month"]) == (10.0, 0.0, "labs", 12.0, 4.0)
    assert lab_pairs(scored, "total_ige").empty  # no value on therapy


def test_before_falls_back_to_the_baseline_column_of_the_patients_table():
    scored = _scored(
        [("A", 3, "tryptase", 24.0), ("B", 0, "tryptase", 5.0), ("B", 3, "tryptase", 6.0)],
        patients=[patient("A", baseline_tryptase=20.0), patient("B", baseline_tryptase=100.0)],
    )
    pairs = lab_pairs(scored, "tryptase").set_index("patient_id")
    assert (pairs.loc["A", "before"], pairs.loc["A", "before_source"]) == (20.0, "patients table")
    assert (pairs.loc["B", "before"], pairs.loc["B", "before_source"]) == (5.0, "labs")  # the labs table wins


def test_values_after_the_end_of_treatment_are_not_on_therapy():
    scored = _scored(
        [("A", 0, "tryptase", 10.0), ("A", 6, "tryptase", 40.0)],
        patients=[patient("A", treatment_end_month=4.0, end_reason="intolerance")],
    )
    assert lab_pairs(scored, "tryptase").empty


@pytest.mark.parametrize(
    "before, on, expected",
    [
        (100.0, 120.0, "stable"),  # exactly +20 %
        (1.5, 1.8, "stable"),  # exactly +20 %, although 1.8 > 1.5 * 1.2 in floating point
        (100.0, 120.1, "increased"),
        (100.0, 80.0, "stable"),  # exactly -20 %
        (100.0, 79.9, "decreased"),
        (0.0, 0.1, "increased"),
        (0.0, 0.0, "stable"),
    ],
)
def test_direction_is_stable_within_20_percent_inclusive(before, on, expected):
    assert direction([before], [on]).tolist() == [expected]


def test_paired_tests_match_hand_computed_p_values():
    scored = _scored([(p, m, "tryptase", v) for p, b, o in (("A", 1, 2), ("B", 2, 4), ("C", 3, 6)) for m, v in ((0, b), (3, o))])
    tests = lab_tests(lab_pairs(scored, "tryptase")).iloc[0]
    # Differences 1, 2, 3: mean 2, sd 1, t = 2 / (1 / sqrt 3) = sqrt 12 with 2 df. The t distribution with
    # 2 df has CDF 1/2 + t / (2 sqrt(t^2 + 2)), so the two-sided p = 1 - sqrt(12 / 14) = 0.074180
    # (scipy.stats.ttest_rel([2, 4, 6], [1, 2, 3]) gives 0.0741799).
    assert tests["p_t_test"] == pytest.approx(1 - math.sqrt(6 / 7), rel=1e-9)
    # Wilcoxon exact: 3 positive differences, the most extreme of 2^3 sign patterns on each side: p = 2/8.
    assert tests["p_wilcoxon"] == pytest.approx(0.25)
    assert (tests["n"], tests["mean_before"], tests["mean_on"], tests["min_on"], tests["max_on"]) == (3, 2.0, 4.0, 2.0, 6.0)
    assert (tests["n_increased"], tests["n_stable"], tests["n_decreased"]) == (3, 0, 0)


def test_wilcoxon_exact_p_with_five_positive_differences():
    pairs = [(p, m, "total_ige", v) for p, o in zip("ABCDE", (2, 3, 4, 5, 6)) for m, v in ((0, 1.0), (3, float(o)))]
    tests = lab_tests(lab_pairs(_scored(pairs), "total_ige")).iloc[0]
    assert tests["p_wilcoxon"] == pytest.approx(2 / 32)  # scipy.stats.wilcoxon gives 0.0625 too


def test_no_difference_gives_no_p_value_rather_than_an_error():
    scored = _scored([(p, m, "tryptase", 7.0) for p in "AB" for m in (0, 3)])
    tests = lab_tests(lab_pairs(scored, "tryptase")).iloc[0]
    assert np.isnan(tests["p_t_test"]) and np.isnan(tests["p_wilcoxon"]) and tests["n_stable"] == 2


def test_fewer_than_two_pairs_is_too_few_patients():
    scored = _scored([("A", 0, "tryptase", 7.0), ("A", 3, "tryptase", 8.0)])
    with pytest.raises(TooFewPatients, match="1 patient of the selection has a serum tryptase value"):
        lab_tests(lab_pairs(scored, "tryptase"))
    with pytest.raises(TooFewPatients):
        lab_by_response(scored, "tryptase")


def test_by_response_splits_the_pairs_and_leaves_p_empty_below_two():
    responder = {"a": {0: 1, 1: 0}}  # CR
    non_responder = {"a": {0: 1, 1: 1}}  # NR
    scored = _scored(
        [(p, m, "tryptase", v) for p, b, o in (("A", 1, 2), ("B", 2, 4), ("C", 5, 5)) for m, v in ((0, b), (3, o))],
        histories={"A": responder, "B": responder, "C": non_responder},
    )
    table = lab_by_response(scored, "tryptase").set_index("best_response")
    assert table["n"].to_dict() == {"CR": 2, "NR": 1}
    assert np.isnan(table.loc["NR", "p_t_test"]) and not np.isnan(table.loc["CR", "p_t_test"])


def test_demo_reproduces_the_published_means_and_directions():
    scored = demo_scored()
    tryptase = lab_tests(lab_pairs(scored, "tryptase")).iloc[0]
    # "a mean value of 30.3 ng/mL before omalizumab and 32 ng/mL on therapy", not significant.
    assert (tryptase["n"], round(tryptase["mean_before"], 1), round(tryptase["mean_on"], 1)) == (15, 30.3, 32.0)
    assert tryptase["p_t_test"] > 0.05
    ige = lab_tests(lab_pairs(scored, "total_ige")).iloc[0]
    # "235.1 UI/mL [3.5 – 1616] before omalizumab and 772.8 UI/mL [6.6 – 4356] on therapy"; 11 increased, 4 stable.
    assert (round(ige["mean_before"], 1), ige["min_before"], ige["max_before"]) == (235.1, 3.5, 1616.0)
    assert (round(ige["mean_on"], 1), ige["min_on"], ige["max_on"]) == (772.8, 6.6, 4356.0)
    assert (ige["n_increased"], ige["n_stable"], ige["n_decreased"]) == (11, 4, 0)


def test_page_shows_the_demo_tryptase_means_then_the_ige_means_in_its_tab():
    from omalizumab_core.data.codes import ANALYTE_LABELS

    at = app_on(page="views/biology.py")
    assert not at.exception
    text = shown_text(at)
    assert "Mean before omalizumab 30.3 ng/mL" in text
    assert "Mean on omalizumab 32.0 ng/mL" in text
    at.session_state["biology_analyte"] = ANALYTE_LABELS["total_ige"]  # the doctor opens the IgE tab
    at.run()
    assert not at.exception
    assert "Mean on omalizumab 772.8 IU/mL" in shown_text(at)


def test_page_computes_only_the_open_tab_and_the_patient_list_once_opened():
    # Lazy tabs and section (issue 21): both analytes and a line per patient were built at every rerun.
    at = app_on(page="views/biology.py")
    keys = {str(b.key) for b in at.get("download_button")}
    assert "csv_tryptase_before_on" in keys
    assert not any("total_ige" in k for k in keys) and "csv_tryptase_patients" not in keys
    at.session_state["tryptase_each_patient"] = True
    at.run()
    assert "csv_tryptase_patients" in {str(b.key) for b in at.get("download_button")}


def test_page_says_no_data_without_a_labs_table():
    at = app_on(cohort_of([patient("A")], course("A", {"a": {0: 1, 1: 0.5}})), page="views/biology.py")
    assert not at.exception
    assert "No data: the loaded cohort has no labs table" in shown_text(at)


def test_paired_plot_samples_lines_above_the_limit_but_averages_everyone():
    from omalizumab_core.outputs.figures.biology import paired_plot

    scored = _scored([(p, m, "tryptase", v) for p, b, o in (("A", 1, 2), ("B", 2, 4), ("C", 3, 6)) for m, v in ((0, b), (3, o))])
    figure = paired_plot(lab_pairs(scored, "tryptase"), max_patients=2)
    assert "a random 2 of 3 patients" in figure.layout.title.text
    mean = next(trace for trace in figure.data if trace.name == "Mean")
    assert list(mean.y) == [2.0, 4.0]
    drawn = [c[0] for trace in figure.data if trace.name != "Mean" for c in trace.customdata if c[0] is not None]
    assert len(set(drawn)) == 2


def test_page_explains_too_few_pairs_instead_of_a_statistic():
    labs = pd.DataFrame(
        [("A", 0.0, "tryptase", 7.0), ("A", 3.0, "tryptase", 8.0)], columns=["patient_id", "month", "analyte", "value"]
    )
    at = app_on(cohort_of([patient("A")], course("A", {"a": {0: 1, 1: 0.5}}), labs=labs), page="views/biology.py")
    assert not at.exception
    assert "1 patient of the selection has a serum tryptase value both before and on omalizumab" in shown_text(at)


# --- the stable width: a named parameter, ±20 % by default -----------------------------


def test_stable_width_defaults_to_20_percent_and_can_be_changed():
    from omalizumab_core.analyses.biology import STABLE_WITHIN_PCT

    assert STABLE_WITHIN_PCT == 20
    # +15 %: stable within ±20 %, increased beyond ±10 %; exactly +10 % stays stable at ±10 %.
    assert direction([100.0, 100.0], [115.0, 110.0]).tolist() == ["stable", "stable"]
    assert direction([100.0, 100.0], [115.0, 110.0], stable_within_pct=10).tolist() == ["increased", "stable"]
    assert direction([100.0], [100.0001], stable_within_pct=0).tolist() == ["increased"]


def test_lab_pairs_class_with_the_width_asked_without_mixing_cached_widths():
    scored = _scored([("A", 0, "total_ige", 100.0), ("A", 3, "total_ige", 115.0), ("B", 0, "total_ige", 100.0), ("B", 3, "total_ige", 70.0)])
    # By hand: A +15 %, B −30 %.
    assert lab_pairs(scored, "total_ige")["direction"].tolist() == ["stable", "decreased"]
    assert lab_pairs(scored, "total_ige", stable_within_pct=10)["direction"].tolist() == ["increased", "decreased"]
    assert lab_pairs(scored, "total_ige", stable_within_pct=30)["direction"].tolist() == ["stable", "stable"]
    assert lab_pairs(scored, "total_ige")["direction"].tolist() == ["stable", "decreased"]
    by_response = lab_by_response(scored, "total_ige", stable_within_pct=10).iloc[0]
    assert (by_response["n_increased"], by_response["n_stable"], by_response["n_decreased"]) == (1, 0, 1)


@pytest.mark.parametrize("width", [-1, 101, float("nan"), "20", True])
def test_a_stable_width_outside_0_to_100_percent_is_refused_with_its_value(width):
    with pytest.raises(ValueError, match="stable_within_pct"):
        direction([1.0], [1.0], stable_within_pct=width)


def test_direction_labels_and_rule_state_the_width():
    from omalizumab_core.analyses.biology import direction_labels, format_lab_tests, stable_rule

    assert direction_labels()["stable"] == "Stable (within ±20 %)"
    assert direction_labels(12.5) == {"increased": "Increased (> +12.5 %)", "stable": "Stable (within ±12.5 %)", "decreased": "Decreased (< −12.5 %)"}
    assert "within ±10 % of the value before" in stable_rule(10) and "11 increased and 4 stable" in stable_rule(10)
    scored = _scored([("A", 0, "tryptase", 10.0), ("A", 3, "tryptase", 12.0), ("B", 0, "tryptase", 10.0), ("B", 3, "tryptase", 10.5)])
    table = format_lab_tests(lab_tests(lab_pairs(scored, "tryptase", stable_within_pct=10)), stable_within_pct=10)
    assert table.loc["Increased (> +10 %)"].iloc[0] == "1/2 (50.0 %)" and table.loc["Stable (within ±10 %)"].iloc[0] == "1/2 (50.0 %)"


def test_page_states_the_stable_rule_and_recounts_with_another_width():
    at = app_on(page="views/biology.py")
    assert not at.exception
    assert "Stable: the value on omalizumab is within ±20 % of the value before" in shown_text(at)
    assert "The paper gives no threshold" in shown_text(at)
    at.number_input(key="biology_stable_within_pct").set_value(5.0).run()
    assert not at.exception
    assert "within ±5 % of the value before" in shown_text(at)
    from omalizumab_core.data.codes import ANALYTE_LABELS

    at.session_state["biology_analyte"] = ANALYTE_LABELS["total_ige"]
    at.run()
    ige = next(d.value for d in at.dataframe if str(d.value.columns[0]).startswith("Total IgE"))
    # The demo's IgE changes (see STABLE_WITHIN_PCT): at ±5 %, +7.3 % is increased and −7.9 % decreased.
    assert ige.loc["Increased (> +5 %)"].iloc[0] == "12/15 (80.0 %)" and ige.loc["Decreased (< −5 %)"].iloc[0] == "1/15 (6.7 %)"


def test_demo_tryptase_signed_rank_and_effect_sizes_equal_r():
    # R 4.2 on the 15 demo pairs (before b, on o, as lab_pairs gives them):
    # d <- round(o * 1e6) - round(b * 1e6); exactRankTests::wilcox.exact(d, exact = TRUE)$p.value
    # = 0.0916748046875 (two changes of -0.8 tie exactly in millionths);
    # median(o - b) = 0.9; exp(t.test(log(o), log(b), paired = TRUE)[c("estimate", "conf.int")])
    # = 1.043452926978905, 0.996042131456922, 1.093120437815469.
    tests = lab_tests(lab_pairs(demo_scored(), "tryptase")).iloc[0]
    assert tests["p_wilcoxon"] == pytest.approx(0.0916748046875, rel=1e-12)
    assert tests["wilcoxon_method"] == "exact"
    assert tests["median_difference"] == pytest.approx(0.9)
    assert (tests["geometric_mean_ratio"], tests["gmr_lower"], tests["gmr_upper"]) == pytest.approx(
        (1.043452926978905, 0.996042131456922, 1.093120437815469), rel=1e-12
    )
    # R: t.test(o, b, paired = TRUE)$conf.int = mean change 1.7 and its interval.
    assert tests["mean_difference"] == pytest.approx(tests["mean_change"])
    assert tests["mean_lower"] < tests["mean_difference"] < tests["mean_upper"]


def test_hodges_lehmann_interval_of_five_doublings_by_hand():
    # Differences 1, 2, 3, 4, 5 (no ties): Walsh averages 1, 1.5, 2, 2, 2.5, 2.5, 3, 3, 3, 3.5, 3.5, 4, 4, 4.5, 5;
    # median 3. R: qsignrank(0.025, 5) = 0 -> k = 1, the interval is the extreme averages 1 to 5,
    # as wilcox.test(1:5, conf.int = TRUE) prints.
    pairs = [(p, m, "total_ige", v) for p, o in zip("ABCDE", (2, 3, 4, 5, 6)) for m, v in ((0, 1.0), (3, float(o)))]
    tests = lab_tests(lab_pairs(_scored(pairs), "total_ige")).iloc[0]
    assert (tests["hodges_lehmann"], tests["hl_lower"], tests["hl_upper"]) == (3.0, 1.0, 5.0)
    formatted = format_lab_tests(lab_tests(lab_pairs(_scored(pairs), "total_ige")))
    assert formatted.loc["Hodges–Lehmann change (95 % CI)"].iloc[0] == "3.0 (1.0 to 5.0)"
