"""Predictors of response: odds ratios of overall response (CR/MR/PR vs NR) for baseline characteristics.

Expected values come from R 4.2 on this machine:
- 2 x 2 tables: R's own fisher.test code (stats/R/fisher.test.R: conditional MLE and exact CI by
  uniroot) with uniroot's tolerance tightened to 1e-14 (the default, 1.2e-4, moves the fourth
  digit of the upper bound); the p-value is fisher.test(t)$p.value unchanged.
- Firth: a direct maximisation, written from Heinze & Schemper (2002), of the penalised
  log-likelihood l(b) + 0.5 log det(X'WX) with optim (BFGS, Nelder-Mead, BFGS), the penalised
  LR test and profile CI holding one coefficient fixed with the penalty on the full design
  (as logistf does), bounds by uniroot(tol = 1e-11); brglm2 0.9 (type = "AS_mean") gives the
  same estimates (NV 2.9292732586, PI -0.0347517494, EH -2.6041638241).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from omalizumab_core.analyses.predictors import (
    FIRTH,
    FISHER,
    PREDICTOR_COLUMNS,
    format_predictors,
    multivariable_predictors,
    predictor_data,
    response_predictors,
)
from omalizumab_core.data.problems import TooFewPatients
from omalizumab_core.engine.scoring import score_cohort
from omalizumab_core.stats.firth import conditional_odds_ratio, firth_logistic
from tests.handmade import cohort_of, course, patient

# Heinze & Schemper (2002) endometrial cancer data (R brglm2::endometrial): NV, PI, EH -> HG.
NV = [0] * 21 + [1] * 5 + [0] * 21 + [1] * 4 + [0] * 19 + [1, 0, 0, 0, 1, 1, 0, 1, 0]
PI = [13, 16, 8, 34, 20, 5, 17, 10, 26, 17, 8, 7, 20, 10, 18, 16, 18, 8, 29, 12, 20, 38, 22, 7, 25, 15, 7, 28, 11, 19, 10, 10,
      18, 14, 21, 11, 17, 25, 16, 19, 15, 33, 24, 48, 12, 19, 2, 22, 40, 5, 0, 21, 15, 29, 15, 12, 3, 20, 23, 12, 22, 42, 15, 13,
      14, 19, 12, 13, 10, 12, 49, 6, 5, 17, 11, 21, 5, 19, 33]
EH = [1.64, 2.26, 3.14, 2.68, 1.28, 2.31, 1.8, 1.68, 1.56, 2.31, 2.01, 1.89, 3.15, 1.23, 1.27, 1.76, 2, 2.64, 0.88, 1.27, 1.37,
      0.97, 1.14, 0.88, 0.91, 0.58, 0.97, 1.5, 1.33, 2.37, 1.82, 3.13, 1.31, 1.92, 1.64, 2.01, 1.88, 1.93, 2.11, 1.29, 1.72, 0.75,
      1.92, 1.84, 1.11, 1.61, 1.18, 1.44, 1.18, 0.93, 1.17, 1.19, 1.06, 2.02, 2.29, 2.33, 2.9, 1.7, 1.41, 2.25, 1.54, 1.97, 1.75,
      2.16, 2.57, 1.37, 3.61, 2.04, 2.17, 1.69, 0.27, 1.84, 1.3, 0.96, 1.01, 0.98, 0.35, 1.02, 0.85]
HG = [0] * 17 + [1] * 10 + [0] * 16 + [1] * 10 + [0] * 16 + [1] * 10
AGES = [23, 31, 35, 38, 42, 45, 47, 51, 53, 56, 58, 61, 64, 67, 72]
RESPONDED = [1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0]


def test_endometrial_data_as_published():
    assert len(NV) == len(PI) == len(EH) == len(HG) == 79 and sum(HG) == 30 and sum(NV) == 13


@pytest.mark.parametrize(
    "table, expected",
    [
        ([[10, 2], [5, 6]], (5.5064200455659611, 0.6657903013500986, 75.6113873156394902, 0.0893794588773726)),
        ([[3, 8], [7, 4]], (0.2314225937579254, 0.0237789316414767, 1.7297582419196311, 0.1983805668016197)),
        ([[9, 3], [0, 5]], (math.inf, 1.51311566389340690, math.inf, 0.00904977375565611)),
    ],
)
def test_conditional_odds_ratio_equals_r_fisher_test(table, expected):
    result = conditional_odds_ratio(table)
    assert (result["odds_ratio"], result["lower"], result["upper"], result["p_value"]) == pytest.approx(expected, rel=1e-9)


def test_firth_on_the_endometrial_data_equals_the_r_penalised_likelihood():
    X = np.column_stack([NV, PI, EH])
    fit = firth_logistic(X, HG, names=["NV", "PI", "EH"]).set_index("term")
    expected = {  # coefficient, profile lower, upper (log scale), penalised LR p
        "NV": (2.9292737526, 0.6097244363, 7.8546317139, 0.00912366754709),
        "PI": (-0.0347517720, -0.1244587209, 0.0404554732, 0.387482203566),
        "EH": (-2.6041639252, -4.3651832473, -1.2327210572, 2.50686721486e-05),
    }
    for term, (b, low, high, p) in expected.items():
        row = fit.loc[term]
        assert row["coefficient"] == pytest.approx(b, abs=1e-6)
        assert (math.log(row["lower"]), math.log(row["upper"])) == pytest.approx((low, high), abs=1e-5)
        assert row["p_value"] == pytest.approx(p, rel=1e-5)


def test_firth_is_finite_under_separation_and_equals_r():
    # Every exposed patient responds: the ordinary MLE is infinite. R (as above): coefficient
    # 2.7850112010, profile CI 0.0266083444 to 7.8311995258, penalised LR p 0.0475670569516.
    fit = firth_logistic([[0], [0], [0], [0], [1], [1], [1], [0], [1], [0]], [0, 1, 0, 0, 1, 1, 1, 1, 1, 0]).iloc[0]
    assert fit["coefficient"] == pytest.approx(2.7850112010, abs=1e-6)
    assert (math.log(fit["lower"]), math.log(fit["upper"])) == pytest.approx((0.0266083444, 7.8311995258), abs=1e-5)
    assert fit["p_value"] == pytest.approx(0.0475670569516, rel=1e-5)


def _cohort(n_patients, responded, **columns):
    patients = [patient(f"P{i:02d}", **{k: v[i] for k, v in columns.items()}) for i in range(n_patients)]
    rows = [r for i, ok in enumerate(responded) for r in course(f"P{i:02d}", {"flushing": {0: 1, 3: 0 if ok else 1}})]
    return score_cohort(cohort_of(patients, rows))


def test_sex_odds_ratio_on_a_hand_made_cohort_equals_r_fisher_test():
    # 12 men, 10 responders; 11 women, 5 responders: table [[10, 2], [5, 6]] (R values above).
    sex = ["M"] * 12 + ["F"] * 11
    responded = [1] * 10 + [0] * 2 + [1] * 5 + [0] * 6
    table = response_predictors(_cohort(23, responded, sex=sex), characteristics=["sex"])
    assert list(table.columns) == PREDICTOR_COLUMNS
    row = table.iloc[0]
    assert (row["comparison"], row["n"], row["responders"], row["n_level"], row["responders_level"]) == ("Male vs Female", 23, 15, 12, 10)
    assert (row["odds_ratio"], row["lower"], row["upper"], row["p_value"]) == pytest.approx(
        (5.5064200455659611, 0.6657903013500986, 75.6113873156394902, 0.0893794588773726), rel=1e-9
    )
    assert row["method"] == FISHER


def test_age_odds_ratio_is_firth_per_ten_years_and_equals_r():
    # R (as above) on age in years: coefficient -0.0577963058, CI -0.1601961794 to 0.0173776841,
    # p 0.138912507919; per 10 years the odds ratio is exp(10 b).
    table = response_predictors(_cohort(15, RESPONDED, age_at_treatment=[float(a) for a in AGES]), characteristics=["age_at_treatment"])
    row = table.iloc[0]
    assert row["comparison"] == "per 10 years" and row["method"] == FIRTH
    assert math.log(row["odds_ratio"]) == pytest.approx(10 * -0.0577963058, abs=1e-5)
    assert (math.log(row["lower"]), math.log(row["upper"])) == pytest.approx((10 * -0.1601961794, 10 * 0.0173776841), abs=1e-4)
    assert row["p_value"] == pytest.approx(0.138912507919, rel=1e-5)


def test_numeric_extra_columns_and_kit_status_are_studied_and_unknown_kit_is_left_out():
    kit = ["positive"] * 6 + ["negative"] * 5 + ["not_evaluated"] * 4
    ldh = [float(v) for v in (180, 220, 250, 190, 300, 210, 205, 260, 230, 240, 199, 270, 215, 225, 235)]
    scored = _cohort(15, RESPONDED, kit_d816v=kit, ldh=ldh)
    assert "ldh" in predictor_data(scored).columns
    table = response_predictors(scored, characteristics=["kit_d816v", "ldh"]).set_index("characteristic")
    assert table.loc["KIT D816V", "comparison"] == "positive vs negative"
    assert table.loc["KIT D816V", "n"] == 11  # the 4 not evaluated are left out
    assert table.loc["Ldh", "comparison"] == "per unit" and table.loc["Ldh", "method"] == FIRTH


def test_multivariable_model_warns_under_ten_events_per_variable():
    sex = ["M"] * 12 + ["F"] * 11
    responded = [1] * 10 + [0] * 2 + [1] * 5 + [0] * 6
    ages = [float(20 + 2 * i) for i in range(23)]
    model = multivariable_predictors(_cohort(23, responded, sex=sex, age_at_treatment=ages), characteristics=["sex", "age_at_treatment"])
    # 8 non-responders (the rarer outcome) for 2 terms: 4 events per variable.
    assert model.attrs["events"] == 8 and model.attrs["parameters"] == 2 and model.attrs["events_per_variable"] == 4.0
    assert "4.0 events per variable" in model.attrs["warning"]
    assert model["comparison"].tolist() == ["Male vs Female", "per 10 years"]
    # The model's odds ratios come from the same Firth fit as firth_logistic on the design.
    X = np.column_stack([[1.0] * 12 + [0.0] * 11, np.array(ages) / 10])
    direct = firth_logistic(X, responded)
    assert model["odds_ratio"].to_numpy() == pytest.approx(direct["odds_ratio"].to_numpy(), rel=1e-12)


def test_no_non_responder_is_too_few_patients_and_unknown_names_are_refused():
    scored = _cohort(4, [1, 1, 1, 1], sex=["M", "F", "M", "F"])
    with pytest.raises(TooFewPatients):
        response_predictors(scored)
    with pytest.raises(ValueError, match="unknown characteristic"):
        response_predictors(_cohort(4, [1, 0, 1, 0], sex=["M", "F", "M", "F"]), characteristics=["shoe_size"])


def test_inputs_are_not_mutated_and_the_display_table_reads_in_words():
    scored = _cohort(23, [1] * 10 + [0] * 2 + [1] * 5 + [0] * 6, sex=["M"] * 12 + ["F"] * 11)
    before = scored.cohort.patients.copy()
    table = response_predictors(scored, characteristics=["sex"])
    pd.testing.assert_frame_equal(scored.cohort.patients, before)
    shown = format_predictors(table).iloc[0]
    assert shown["Odds ratio of response (95 % CI)"] == "5.51 (0.67 to 75.61)"
    assert shown["Responders in the group"] == "10/12 (83.3 %)" and shown["p"] == "p = 0.089"


def test_response_page_shows_the_predictors_and_warns_on_a_small_multivariable_model():
    from tests.apptest_support import app_on, shown_text

    at = app_on(page="views/response.py")  # the demo cohort
    at.toggle(key="response_predictors").set_value(True).run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert "Odds ratio of response (95 % CI)" in table.columns and "Male vs Female" in set(table["Comparison"])
    at.multiselect(key="predictors_model").set_value(["sex", "age_at_treatment", "baseline_tryptase"]).run()
    assert not at.exception
    # 12 non-responders for 3 terms: 4 events per variable.
    assert "4.0 events per variable" in shown_text(at)
