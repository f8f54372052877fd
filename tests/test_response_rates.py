"""Response rates with CIs, subgroup comparison, forest rows, waterfall data and figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from omalizumab_core.synthetic.demo import demo_scored
from omalizumab_core.engine.scoring import score_cohort
from omalizumab_core.outputs.figures.response import MAX_WATERFALL_BARS, forest_plot, waterfall_plot
from omalizumab_core.data.problems import TooFewPatients
from omalizumab_core.analyses.response_rates import (
    MEASURES,
    compare_subgroups,
    format_comparison,
    forest_rows,
    group_levels,
    response_rates,
    response_variables,
    table2_with_ci,
    waterfall_data,
)
from omalizumab_core.engine.response_table import table2_counts
from omalizumab_core.stats.exact import difference_ci
from tests.apptest_support import app_on, page_tables, shown_text
from tests.handmade import cohort_of, course, patient


def _six():
    """A: ISM F, CR still treated. B: ISM M, MR then stopped for intolerance.
    C: CM F, PR (25 %) still treated. D: CM M, no change, stopped for lack of efficacy.
    E: idiopathic MCAS F, MR at month 1 then back to baseline, still treated (loss of response).
    F: MMAS F, 50 % decrease but a new symptom: no response. Extra column "biologic": yes/no/blank.
    """
    patients = [
        patient("A", sex="F", biologic="yes"),
        patient("B", sex="M", treatment_end_month=4.0, end_reason="intolerance", biologic="no"),
        patient("C", diagnosis="CM", sex="F", biologic="yes"),
        patient("D", diagnosis="CM", sex="M", treatment_end_month=2.0, end_reason="lack_of_efficacy", biologic=None),
        patient("E", diagnosis="MCAS", kit_d816v="negative", sex="F", biologic="no"),
        patient("F", diagnosis="MCAS", kit_d816v="positive", sex="F", biologic="no"),
    ]
    rows = (
        course("A", {"a": {0: 1, 2: 0}})
        + course("B", {"a": {0: 1, 1: 0.25}})
        + course("C", {"a": {0: 1, 1: 0.75}})
        + course("D", {"a": {0: 1, 1: 1}})
        + course("E", {"a": {0: 1, 1: 0.25, 3: 1}})
        + course("F", {"a": {0: 1, 1: 0.5}, "new": {1: 1}})
    )
    return score_cohort(cohort_of(patients, rows))


def _cell(rates, group, measure):
    row = rates[(rates["group"] == group) & (rates["measure"] == measure)]
    assert len(row) == 1
    return row.iloc[0]


def test_rates_by_default_use_table2_columns_and_hand_counts():
    rates = response_rates(_six())
    assert list(dict.fromkeys(rates["group"])) == ["all", "primary", "ISM", "CM", "MMAS", "idiopathic"]
    expected = {  # best overall response (CR + MR + PR): A, B, C, E respond
        "all": (4, 6), "primary": (3, 5), "ISM": (2, 2), "CM": (1, 2), "MMAS": (0, 1), "idiopathic": (1, 1),
    }
    for group, (n, total) in expected.items():
        cell = _cell(rates, group, "best_overall")
        assert (cell["n"], cell["total"]) == (n, total), group
        assert cell["proportion"] == pytest.approx(n / total)


def test_persistent_response_counts_only_patients_still_treated_in_response():
    rates = response_rates(_six())
    # Still treated in response: A (CR) and C (PR). E is still treated but lost its response.
    assert _cell(rates, "all", "persistent_overall")["n"] == 2
    assert _cell(rates, "all", "no_persistent")["n"] == 4
    assert _cell(rates, "all", "last_loss_of_response")["n"] == 1
    assert _cell(rates, "all", "last_intolerance")["n"] == 1
    assert _cell(rates, "all", "last_no_response")["n"] == 2  # D, F
    assert _cell(rates, "idiopathic", "last_loss_of_response")["n"] == 1


def test_every_interval_is_the_exact_clopper_pearson_interval():
    rates = response_rates(_six())
    for row in rates.itertuples():
        expected = scipy_stats.binomtest(row.n, row.total).proportion_ci(method="exact")
        assert row.ci_low == pytest.approx(expected.low, abs=1e-12)
        assert row.ci_high == pytest.approx(expected.high, abs=1e-12)
    # By hand: 2/2 responders has the lower bound 0.025 ** (1/2) = 0.1581.
    assert _cell(rates, "ISM", "best_overall")["ci_low"] == pytest.approx(0.025 ** 0.5, abs=1e-9)


def test_empty_table2_column_has_no_rate_and_shows_a_dash():
    scored = _three_against_three()  # no CM, no MMAS patient
    rates = response_rates(scored)
    cm = rates[rates["group"] == "CM"]
    assert len(cm) == len(MEASURES)
    assert (cm["total"] == 0).all() and cm["proportion"].isna().all() and cm["ci_low"].isna().all()
    assert set(table2_with_ci(scored)["CM (N=0)"]) == {"", "–"}  # section headings stay blank


def test_rates_by_a_patients_column_give_all_then_each_level():
    rates = response_rates(_six(), by="sex")
    assert list(dict.fromkeys(rates["group"])) == ["all", "M", "F"]
    assert (_cell(rates, "F", "best_overall")["n"], _cell(rates, "F", "best_overall")["total"]) == (3, 4)  # A, C, E of A, C, E, F
    assert (_cell(rates, "M", "best_overall")["n"], _cell(rates, "M", "best_overall")["total"]) == (1, 2)  # B of B, D


def test_rates_by_an_extra_column_keep_a_not_recorded_level_last():
    scored = _six()
    assert group_levels(scored, "biologic") == ["yes", "no", "not_recorded"]
    rates = response_rates(scored, by="biologic")
    assert (_cell(rates, "no", "best_overall")["n"], _cell(rates, "no", "best_overall")["total"]) == (2, 3)  # B, E of B, E, F
    assert _cell(rates, "not_recorded", "best_overall")["total"] == 1
    variables = response_variables(scored)
    assert list(variables)[:4] == ["subgroup", "group", "sex", "kit_d816v"]
    assert "biologic" in variables
    assert "end_reason" not in variables and "age_at_treatment" not in variables


def test_unknown_grouping_column_is_an_error():
    with pytest.raises(KeyError):
        response_rates(_six(), by="no_such_column")


def test_counts_agree_with_table2_counts_on_the_demo():
    scored = demo_scored()
    rates = response_rates(scored)
    counts = table2_counts(scored.outcomes)
    for measure, (section, row) in MEASURES.items():
        for group in counts.columns:
            assert _cell(rates, group, measure)["n"] == counts.loc[(section, row), group], (measure, group)


def test_table2_with_ci_reads_like_the_paper_with_the_ci_under_the_rate():
    table = table2_with_ci(demo_scored())
    assert list(table.columns) == [
        "All patients (N=55)", "Primary MCAS (N=41)", "ISM (N=29)", "CM (N=11)", "MMAS (N=1)", "Idiopathic MCAS (N=14)",
    ]
    rows = list(table.index)
    orr = rows.index("Overall response (CR + MR + PR)")
    assert table.iloc[orr]["All patients (N=55)"] == "43 (78.2 %)"
    assert rows[orr + 1] == "95 % CI"
    assert table.iloc[orr + 1]["All patients (N=55)"] == "[65.0–88.2 %]"  # 43/55: 0.6499 to 0.8819
    persistent = rows.index("Persistent overall response")
    assert table.iloc[persistent]["All patients (N=55)"] == "32 (58.2 %)"
    assert table2_with_ci(demo_scored(), by="sex").columns[1:].tolist() == ["Male (N=17)", "Female (N=38)"]


def _three_against_three():
    # Three ISM patients who all respond, three idiopathic MCAS patients who do not.
    patients = [patient(f"R{i}") for i in range(3)] + [patient(f"N{i}", diagnosis="MCAS", kit_d816v="negative") for i in range(3)]
    rows = [r for i in range(3) for r in course(f"R{i}", {"a": {0: 1, 1: 0.5}})]
    rows += [r for i in range(3) for r in course(f"N{i}", {"a": {0: 1, 1: 1}})]
    return score_cohort(cohort_of(patients, rows))


def test_comparison_of_two_subgroups_on_a_hand_made_cohort():
    row = compare_subgroups(_three_against_three(), by="subgroup", level_a="ISM", level_b="idiopathic").iloc[0]
    assert (row["n_a"], row["total_a"], row["n_b"], row["total_b"]) == (3, 3, 0, 3)
    assert row["difference"] == 1.0
    assert (row["difference_ci_low"], row["difference_ci_high"]) == pytest.approx(difference_ci(3, 3, 0, 3))
    assert row["difference_ci_high"] == 1.0
    assert row["p_value"] == pytest.approx(0.1)  # 2 / C(6, 3), see test_stats
    table, sentence = format_comparison(compare_subgroups(_three_against_three(), by="subgroup", level_a="ISM", level_b="idiopathic"))
    assert table["Patients"].tolist() == [3, 3]
    assert "100.0 percentage points" in sentence and "p = 0.100" in sentence


def test_comparison_by_sex_on_the_six_patients():
    row = compare_subgroups(_six(), by="sex", level_a="F", level_b="M").iloc[0]
    assert (row["n_a"], row["total_a"], row["n_b"], row["total_b"]) == (3, 4, 1, 2)
    assert row["difference"] == pytest.approx(0.25)
    # Every 2x2 table with these margins is at most as likely as the observed one: p = 1.
    assert row["p_value"] == pytest.approx(1.0)


def test_comparison_with_an_empty_or_identical_group_says_too_few_patients():
    with pytest.raises(TooFewPatients, match="No patient"):
        compare_subgroups(_six(), by="subgroup", level_a="ISM", level_b="SSM")
    with pytest.raises(TooFewPatients, match="two different"):
        compare_subgroups(_six(), by="sex", level_a="F", level_b="F")


def test_forest_rows_start_with_all_patients_and_do_not_repeat_identical_groups():
    rows = forest_rows(_six())
    assert rows.iloc[0][["level_label", "n", "total"]].tolist() == ["All patients", 4, 6]
    # "Idiopathic MCAS" as a group and as a subgroup is the same patient (E): shown once.
    # KIT D816V negative is E too, but under another label: shown.
    assert rows["level"].tolist() == ["all", "primary", "idiopathic", "ISM", "CM", "MMAS", "M", "F", "positive", "negative"]
    negative = rows[rows["level"] == "negative"].iloc[0]
    assert (negative["n"], negative["total"]) == (1, 1)
    female = rows[rows["level"] == "F"].iloc[0]
    assert (female["n"], female["total"], female["level_label"]) == (3, 4, "Female")


def test_waterfall_data_is_sorted_by_best_decrease_with_unassessed_patients_last():
    scored = _six()
    extra = score_cohort(cohort_of(
        list(scored.cohort.patients.to_dict("records")) + [patient("G")],
        list(scored.cohort.symptoms.to_dict("records")) + course("G", {"a": {0: 1}}),
    ))
    data = waterfall_data(extra)
    assert data["patient_id"].tolist() == ["A", "B", "E", "F", "C", "D", "G"]
    assert data["best_decrease_pct"].iloc[:6].tolist() == [100.0, 75.0, 75.0, 50.0, 25.0, 0.0]
    assert np.isnan(data["best_decrease_pct"].iloc[6])
    assert data.set_index("patient_id")["best_response"].to_dict() == {
        "A": "CR", "B": "MR", "E": "MR", "F": "NR", "C": "PR", "D": "NR", "G": "NR",
    }


def test_waterfall_plot_has_threshold_lines_and_patient_ids_for_click_through():
    figure = waterfall_plot(waterfall_data(_six()))
    lines = {shape.y0 for shape in figure.layout.shapes if shape.y0 == shape.y1}
    assert lines == {10, 50}
    texts = " ".join(a.text for a in figure.layout.annotations)
    assert "10 %" in texts and "50 %" in texts
    ids = {row[0] for bar in figure.data if bar.customdata is not None for row in bar.customdata}
    assert ids == {"A", "B", "C", "D", "E", "F"}
    assert {bar.name for bar in figure.data} == {"Complete response", "Major response", "Partial response", "No response"}
    assert figure.layout.yaxis.title.text == "Best decrease in symptom score (%)"


def test_waterfall_becomes_a_histogram_above_the_bar_limit_and_says_so():
    n = MAX_WATERFALL_BARS + 1
    rng = np.random.default_rng(0)
    data = pd.DataFrame({
        "patient_id": [f"P{i}" for i in range(n)],
        "best_decrease_pct": rng.choice([0.0, 25.0, 75.0, 100.0], size=n),
        "best_response": "NR",
        "subgroup": "ISM",
    })
    data.loc[data["best_decrease_pct"] == 100.0, "best_response"] = "CR"
    figure = waterfall_plot(data)
    assert "histogram" in figure.layout.title.text and f"{n:,}" in figure.layout.title.text
    assert sum(int(np.sum(bar.y)) for bar in figure.data) == n
    assert sum(int(np.sum(bar.y)) for bar in figure.data if bar.name == "Complete response") == int((data["best_decrease_pct"] == 100.0).sum())
    assert {shape.x0 for shape in figure.layout.shapes if shape.x0 == shape.x1} == {10, 50}


def test_forest_plot_marks_the_overall_rate_and_shows_n():
    rows = forest_rows(demo_scored())
    figure = forest_plot(rows)
    assert figure.layout.xaxis.title.text == "Overall response rate (%)"
    vertical = [s for s in figure.layout.shapes if s.x0 == s.x1]
    assert len(vertical) == 1 and vertical[0].x0 == pytest.approx(100 * 43 / 55)
    assert "All patients (n = 55)" in list(figure.data[0].y[1])
    assert list(figure.data[0].x) == pytest.approx(list(100 * rows["proportion"]))


def test_response_page_shows_table2_with_ci_and_the_comparison():
    at = app_on(page="views/response.py")
    assert not at.exception, [e.value for e in at.exception]
    table = next(t for t in page_tables(at) if "All patients (N=55)" in t.columns)
    assert "43 (78.2 %)" in table["All patients (N=55)"].tolist()
    assert "[65.0–88.2 %]" in table["All patients (N=55)"].tolist()
    text = shown_text(at)
    assert "Newcombe" in text and "Fisher" in text
    at.selectbox(key="response_by").set_value("sex").run()
    assert not at.exception
    assert any("Female (N=38)" in t.columns for t in page_tables(at))


def test_response_page_on_one_patient_explains_why_there_is_no_comparison():
    at = app_on(cohort_of([patient("ONLY")], course("ONLY", {"pruritus": {0: 1, 2: 0}})), page="views/response.py")
    assert not at.exception, [e.value for e in at.exception]
    assert "two different groups" in shown_text(at)


def test_compare_two_groups_never_compares_a_group_with_itself():
    at = app_on(page="views/response.py", query={"diagnosis": "ISM"})  # one subgroup left
    assert not at.exception, [e.value for e in at.exception]
    assert "Only one group among the selected patients" in shown_text(at)
