"""Time to first and best response, censoring of non-responders, first improvement per symptom category."""

from __future__ import annotations

import math

import numpy as np
import pytest

from omalizumab_core.engine.scoring import score_cohort
from omalizumab_core.outputs.figures.time_to_response import cumulative_incidence_plot, first_improvement_plot, response_time_histogram
from omalizumab_core.stats.kaplan_meier import numbers_at_risk
from omalizumab_core.data.problems import TooFewPatients
from omalizumab_core.analyses.time_to_response import (
    first_improvement_by_category,
    first_improvement_times,
    format_first_improvement,
    format_time_to_response_summary,
    response_time_data,
    response_times,
    time_to_response_curves,
    time_to_response_summary,
)
from tests.apptest_support import app_on, page_tables, shown_text
from tests.handmade import cohort_of, course, patient


def _cohort():
    """Six patients whose times are read off their courses.

    A: PR at 2 (1 -> 0.5, a 50 % decrease), CR at 5: first 2, best 5 (still treated, follow-up 12).
    F: MR at 1 (0.25) and never better: first 1, best 1.
    B: no response, last assessment 3, last injection 4 -> censored at 4 (end of treatment).
    C: no response, still treated, last follow-up 9 -> censored at 9.
    D: no response, still treated, no follow-up month, last assessment 2 -> censored at 2.
    E: baseline only, still treated, no follow-up month -> no time at all: excluded.
    """
    patients = [
        patient("A", last_follow_up_month=12.0),
        patient("B", treatment_end_month=4.0, end_reason="lack_of_efficacy", sex="M"),
        patient("C", last_follow_up_month=9.0, diagnosis="MCAS", kit_d816v="negative"),
        patient("D"),
        patient("E"),
        patient("F", diagnosis="MCAS", kit_d816v="negative", sex="M"),
    ]
    rows = (
        course("A", {"flushing": {0: 1, 2: 0.5, 5: 0}})
        + course("B", {"diarrhea": {0: 1, 1: 1, 3: 1}})
        + course("C", {"fatigue": {0: 1, 1: 1, 6: 1}})
        + course("D", {"pruritus": {0: 1, 2: 1}})
        + course("E", {"headache": {0: 1}})
        + course("F", {"flushing": {0: 1, 1: 0.25}})
    )
    return score_cohort(cohort_of(patients, rows))


def _times(data):
    return {row.patient_id: (row.time, bool(row.event)) for row in data.itertuples()}


def test_responders_have_the_event_at_first_or_best_response():
    scored = _cohort()
    first, best = _times(response_time_data(scored, milestone="first")), _times(response_time_data(scored, milestone="best"))
    assert first["A"] == (2.0, True) and best["A"] == (5.0, True)
    assert first["F"] == (1.0, True) and best["F"] == (1.0, True)


def test_non_responders_are_censored_at_the_end_of_treatment():
    times = _times(response_time_data(_cohort()))
    assert times["B"] == (4.0, False)  # last injection at 4, although last assessed at 3
    assert times["C"] == (9.0, False)  # still treated: last follow-up
    assert times["D"] == (2.0, False)  # no follow-up month: last assessment


def test_patients_without_any_time_are_excluded_and_counted():
    scored = _cohort()
    assert "E" not in set(response_time_data(scored)["patient_id"])
    summary = time_to_response_summary(scored)
    assert summary["n_patients"].tolist() == [5, 5]
    assert summary["n_without_time"].tolist() == [1, 1]


def test_medians_among_responders_and_by_kaplan_meier():
    summary = time_to_response_summary(_cohort(), method="kaplan_meier").set_index("milestone")
    # Responders' months: first {2 (A), 1 (F)}, best {5 (A), 1 (F)}; linear quartiles.
    assert summary.loc["first", ["n_responders", "median_months", "q1_months", "q3_months", "min_months", "max_months"]].tolist() == [2, 1.5, 1.25, 1.75, 1, 2]
    assert summary.loc["best", ["median_months", "min_months", "max_months"]].tolist() == [3, 1, 5]
    # Kaplan-Meier, first response: F 1, A 2 events; D 2, B 4, C 9 censored.
    # t=1: 5 at risk, 1 event, S = 4/5; t=2: 4 at risk (D censored at 2 still counts), 1 event, S = 3/5.
    # Incidence 1/5 then 2/5: reaches 25 % at 2, never 50 %.
    assert summary.loc["first", "curve_q1"] == 2.0
    assert math.isnan(summary.loc["first", "curve_median"]) and math.isnan(summary.loc["first", "curve_q3"])
    # Best response: F 1, A 5 events; D 2, B 4, C 9 censored.
    # t=1: S = 4/5; t=5: 2 at risk (A, C), 1 event, S = 4/5 * 1/2 = 2/5: incidence 3/5, median 5.
    assert summary.loc["best", ["curve_q1", "curve_median"]].tolist() == [5.0, 5.0]
    assert math.isnan(summary.loc["best", "curve_q3"])


def test_stopping_without_response_is_a_competing_event_not_censoring():
    data = response_time_data(_cohort(), milestone="best").set_index("patient_id")
    # B stopped (lack of efficacy): competing event; C and D still treated: censored; A, F responded.
    assert data["status"].to_dict() == {"A": 1, "B": 2, "C": 0, "D": 0, "F": 1}
    summary = time_to_response_summary(_cohort()).set_index("milestone")
    assert summary.loc["best", ["method", "n_stopped"]].tolist() == ["aalen_johansen", 1]
    # Aalen-Johansen, best response, by hand: t=1 5 at risk, F responds: F = 1/5, S = 4/5; t=2 D censored;
    # t=4 3 at risk, B stops: S = 4/5 * 2/3 = 8/15; t=5 2 at risk, A responds: F = 1/5 + 8/15 * 1/2 = 7/15.
    # Below 50 %: the median is not reached (1 - KM said 5 months, as if B could still respond).
    curves = time_to_response_curves(_cohort())
    best = curves[curves["milestone"] == "best"].set_index("time")
    assert best.loc[5.0, "cumulative_incidence"] == pytest.approx(7 / 15, abs=1e-15)
    assert best.loc[4.0, "n_competing"] == 1
    assert summary.loc["best", "curve_q1"] == 5.0 and math.isnan(summary.loc["best", "curve_median"])


def test_demo_aalen_johansen_figures_match_r():
    # R: d <- time and status of response_times(demo) (status 0/1/2)
    #    summary(survfit(Surv(time, factor(status, 0:2)) ~ 1, data = d[d$milestone == "best", ]), times = c(4, 12, 18))
    #    best: 0.272727272727273 [0.177133277466909, 0.419910738134180] at 4, 0.709090909090909 [0.598668553381716,
    #    0.839880288542191] at 12, 0.781818181818182 [0.679943756099942, 0.898956220919609] at 18; first: 0.781818181818182 at 4.
    from omalizumab_core.analyses.time_to_response import incidence_at
    from omalizumab_core.synthetic.demo import demo_scored

    scored = demo_scored()
    table = incidence_at(time_to_response_curves(scored), months=[4, 12, 18]).set_index(["milestone", "month"])
    np.testing.assert_allclose(table.loc[("best", 18), ["cumulative_incidence", "ci_low", "ci_high"]].to_numpy(dtype=float), [0.781818181818182, 0.679943756099942, 0.898956220919609], atol=1e-12)
    np.testing.assert_allclose(table.loc[("best", 12), ["cumulative_incidence", "ci_low", "ci_high"]].to_numpy(dtype=float), [0.709090909090909, 0.598668553381716, 0.839880288542191], atol=1e-12)
    assert table.loc[("first", 4), "cumulative_incidence"] == pytest.approx(0.781818181818182, abs=1e-12)
    assert table.loc[("best", 12), "n_at_risk"] == 6  # R: n.risk 6
    # 1 - KM on the same data says 100 % at 18 months (R: 1 - summary(survfit(Surv(time, status == 1) ~ 1), times = 18)$surv).
    km = incidence_at(time_to_response_curves(scored, method="kaplan_meier"), months=[18]).set_index("milestone")
    assert km.loc["best", "cumulative_incidence"] == 1.0
    # Q3 of time to best response read off the AJ curve: 16 months (F = 0.7636 at 16, 0.7455 at 14).
    summary = time_to_response_summary(scored).set_index("milestone")
    assert summary.loc["best", "curve_q3"] == 16.0
    # Kaplan-Meier quartiles with Brookmeyer-Crowley limits.
    # R: quantile(survfit(Surv(time, status == 1) ~ 1, data = best, conf.type = "log-log"), probs = c(.25, .5, .75))
    #    quantile 3, 6, 8; lower 3, 5, 7; upper 5, 7, 12.
    km_summary = time_to_response_summary(scored, method="kaplan_meier").set_index("milestone")
    assert km_summary.loc["best", ["curve_q1", "curve_median", "curve_q3"]].tolist() == [3.0, 6.0, 8.0]
    assert km_summary.loc["best", ["curve_q1_low", "curve_median_low", "curve_q3_low"]].tolist() == [3.0, 5.0, 7.0]
    assert km_summary.loc["best", ["curve_q1_high", "curve_median_high", "curve_q3_high"]].tolist() == [5.0, 7.0, 12.0]


def test_demo_tests_between_groups_match_r():
    # R: cuminc(x$time, x$status, x$group, cencode = 0)$Tests and survdiff(Surv(time, status == 1) ~ group, data = x)$chisq,
    #    x the demo's best-response rows: Gray 14.132918101635 (p 0.000170336753992806), log-rank 19.2129676919532.
    #    By KIT D816V, first response: Gray 6.30277770261897 on 2 df.
    from omalizumab_core.analyses.time_to_response import time_to_response_tests
    from omalizumab_core.synthetic.demo import demo_scored

    scored = demo_scored()
    gray = time_to_response_tests(scored, by="group").set_index("milestone")
    assert gray.loc["best", "statistic"] == pytest.approx(14.132918101635, rel=1e-10)
    assert gray.loc["best", "p_value"] == pytest.approx(0.000170336753992806, rel=1e-8)
    logrank = time_to_response_tests(scored, by="group", method="kaplan_meier").set_index("milestone")
    assert logrank.loc["best", ["test", "df"]].tolist() == ["log-rank", 1]
    assert logrank.loc["best", "statistic"] == pytest.approx(19.2129676919532, rel=1e-10)
    kit = time_to_response_tests(scored, by="kit_d816v").set_index("milestone")
    assert kit.loc["first", "statistic"] == pytest.approx(6.30277770261897, rel=1e-10) and kit.loc["first", "df"] == 2


def test_curves_are_one_minus_kaplan_meier_with_flipped_interval():
    curves = time_to_response_curves(_cohort(), method="kaplan_meier")
    first = curves[curves["milestone"] == "first"].set_index("time")
    assert first.index.tolist() == [0, 1, 2, 4, 9]
    np.testing.assert_allclose(first["cumulative_incidence"], [0, 1 / 5, 2 / 5, 2 / 5, 2 / 5], atol=1e-12)
    assert first["n_at_risk"].tolist() == [5, 5, 4, 2, 1]
    assert (first["ci_low"] <= first["cumulative_incidence"]).all() and (first["cumulative_incidence"] <= first["ci_high"]).all()


def test_curves_and_summary_split_by_group():
    scored = _cohort()
    curves = time_to_response_curves(scored, by="group")
    assert set(curves["group"]) == {"primary", "idiopathic"}
    idiopathic = curves[(curves["milestone"] == "first") & (curves["group"] == "idiopathic")]
    # C (censored at 9) and F (responds at 1): incidence 1/2 from month 1.
    assert idiopathic["cumulative_incidence"].tolist() == [0.0, 0.5, 0.5]
    summary = time_to_response_summary(scored, by="group")
    first = summary[summary["milestone"] == "first"].set_index("group")
    assert first.index.tolist() == ["all", "primary", "idiopathic"]
    assert first.loc["primary", ["n_patients", "n_without_time", "n_responders"]].tolist() == [3, 1, 1]  # A, B, D; E has no time
    table = format_time_to_response_summary(summary, by="group")
    assert table["Group"].tolist()[:3] == ["All patients", "Primary (clonal) MCAS", "Idiopathic MCAS"]


def test_split_by_sex_counts_missing_sex_as_not_recorded():
    scored = _cohort()
    scored.cohort.patients.loc[scored.cohort.patients["patient_id"] == "D", "sex"] = None
    groups = time_to_response_summary(scored, by="sex").query("milestone == 'first'")["group"].tolist()
    assert groups == ["all", "M", "F", "not_recorded"]


def test_no_responder_means_too_few_patients():
    scored = _cohort()
    non_responders = scored.subset(["B", "C", "D"])
    with pytest.raises(TooFewPatients):
        time_to_response_summary(non_responders)
    # The curves still exist (flat at 0 %).
    assert time_to_response_curves(non_responders)["cumulative_incidence"].max() == 0


def _category_cohort():
    """Three patients, symptoms in named categories.

    P1: anaphylaxis (general vasomotor) 0.75 at 1; palpitations (general vasomotor) 0.5 at 2;
        flushing (superficial vasomotor) 1 at 2, 0.5 at 4 -> GV first at 1, SV first at 4.
    P2: anaphylaxis 1 at 2, 0.5 at 3 -> GV at 3; diarrhea (gastrointestinal) 1.5 then 1: never
        improved; headache (new symptom at 1, not at baseline) is ignored.
    P3: stopped at month 2; pruritus (superficial vasomotor) 0 at 3, after the last injection: not counted.
    """
    category = {"anaphylaxis": "general_vasomotor", "palpitations": "general_vasomotor", "flushing": "superficial_vasomotor",
                "pruritus": "superficial_vasomotor", "diarrhea": "gastrointestinal", "headache": "headache"}
    rows = (
        course("P1", {"anaphylaxis": {0: 1, 1: 0.75, 3: 0}, "palpitations": {0: 1, 2: 0.5}, "flushing": {0: 1, 2: 1, 4: 0.5}})
        + course("P2", {"anaphylaxis": {0: 1, 2: 1, 3: 0.5}, "diarrhea": {0: 1, 1: 1.5, 2: 1}, "headache": {1: 0.5}})
        + course("P3", {"pruritus": {0: 1, 3: 0}})
    )
    for row in rows:
        row["category"] = category[row["symptom"]]
    patients = [patient("P1"), patient("P2"), patient("P3", treatment_end_month=2.0, end_reason="intolerance")]
    return score_cohort(cohort_of(patients, rows))


def test_first_improvement_per_patient_and_category():
    times = first_improvement_times(_category_cohort())
    assert sorted(map(tuple, times[["patient_id", "category", "month"]].to_numpy().tolist())) == [
        ("P1", "general_vasomotor", 1.0),
        ("P1", "superficial_vasomotor", 4.0),
        ("P2", "general_vasomotor", 3.0),
    ]


def test_first_improvement_summary_per_category():
    table = first_improvement_by_category(_category_cohort()).set_index("category")
    assert table.index.tolist() == ["general_vasomotor", "superficial_vasomotor", "gastrointestinal"]  # headache not at baseline
    assert table.loc["general_vasomotor", ["n_with_symptom", "n_improved", "median_months", "q1_months", "q3_months", "min_months", "max_months"]].tolist() == [2, 2, 2, 1.5, 2.5, 1, 3]
    assert table.loc["superficial_vasomotor", ["n_with_symptom", "n_improved", "median_months"]].tolist() == [2, 1, 4]
    assert table.loc["gastrointestinal", ["n_with_symptom", "n_improved"]].tolist() == [1, 0]
    assert math.isnan(table.loc["gastrointestinal", "median_months"])
    shown = format_first_improvement(first_improvement_by_category(_category_cohort()))
    assert shown["Symptom category"].tolist()[0] == "General vasomotor"
    assert shown["Months to first improvement, median [IQR]"].tolist()[0] == "2.0 [1.5–2.5]"  # one decimal for all three (formatting.median_iqr)


def test_first_improvement_dense_and_sorted_lookups_agree(monkeypatch):
    import omalizumab_core.analyses.time_to_response as module

    dense = first_improvement_times(_category_cohort())
    monkeypatch.setattr(module, "_DENSE_LOOKUP_MAX", 0)
    assert first_improvement_times(_category_cohort()).equals(dense)


def test_no_improvement_means_too_few_patients():
    with pytest.raises(TooFewPatients):
        first_improvement_by_category(_category_cohort().subset(["P3"]))


def test_figures_show_steps_and_numbers_at_risk():
    scored = _cohort()
    curves = time_to_response_curves(scored)
    figure = cumulative_incidence_plot(curves)
    lines = [t for t in figure.data if t.mode == "lines" and t.showlegend is not False]
    assert [t.name for t in lines] == ["First response", "Best response"]
    assert all(t.line.shape == "hv" for t in lines)
    assert figure.layout.yaxis.title.text == "Patients responding (%)"
    table = [t for t in figure.data if t.mode == "text"]
    first = curves[curves["milestone"] == "first"]
    assert list(table[0].text) == numbers_at_risk(first, table[0].x)["n_at_risk"].astype(str).tolist()
    histogram = response_time_histogram(response_times(scored))
    assert sum(sum(bar.y) for bar in histogram.data) == 4  # 2 responders x 2 milestones
    improvement = first_improvement_plot(first_improvement_by_category(_category_cohort()))
    assert list(improvement.data[-1].x) == [2.0, 4.0]  # medians of the categories with an improvement


def test_page_shows_the_demo_medians():
    at = app_on(page="views/time_to_response.py")
    assert not at.exception, [e.value for e in at.exception]
    text = shown_text(at)
    assert "Median time to first response 2 months" in text
    assert "Median time to best response 6 months" in text


def test_page_splits_curves_by_diagnosis_subgroup():
    at = app_on(page="views/time_to_response.py")
    split = next(s for s in at.selectbox if s.label == "Split curves by")
    split.set_value("subgroup").run()
    assert not at.exception, [e.value for e in at.exception]
    summary = next(t for t in page_tables(at) if "Responders" in t.columns)
    assert {"ISM", "CM", "MMAS", "Idiopathic MCAS"} <= set(summary["Diagnosis subgroup"])
    # Gray's test between the subgroups (values checked against R in test_demo_tests_between_groups_match_r).
    tests = next(t for t in page_tables(at) if "Test" in t.columns)
    assert tests["Test"].tolist() == ["Gray test", "Gray test"]


def test_page_shows_aalen_johansen_by_default_and_kaplan_meier_as_sensitivity():
    at = app_on(page="views/time_to_response.py")
    text = shown_text(at)
    # R survfit on the demo (see test_demo_aalen_johansen_figures_match_r): 0.7818 [0.6799, 0.8990] at 18 months.
    assert "Best response by month 18 78.2 %" in text and "95 % CI 68.0–89.9 %" in text
    landmarks = next(t for t in page_tables(at) if "Month" in t.columns).set_index(["Milestone", "Month"])
    assert landmarks.loc[("Best response", 12), "Patients responding (95 % CI)"] == "70.9 % (59.9–84.0)"
    summary = next(t for t in page_tables(at) if "Responders" in t.columns).set_index("Milestone")
    assert summary.loc["Best response", "Aalen–Johansen: months to 75 %"] == "16 (95 % CI 8–not reached)"
    next(t for t in at.toggle if t.label.startswith("Sensitivity analysis")).set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Best response by month 18 100.0 %" in shown_text(at)
