"""The published series and their random-effects pooling (Literature page, ``table literature``)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

import omalizumab_core as oc
from omalizumab_core.analyses.literature import COLUMNS, literature_comparison, published_series
from omalizumab_core.stats.meta_analysis import pooled_proportion
from omalizumab_core.data.problems import TooFewPatients


def test_lemal_row_is_the_papers_overall_response_with_its_exact_ci():
    # Lemal et al. 2019, Table 2: ORR 43 (78.2) of 55; CI from scipy's Clopper-Pearson.
    row = published_series().set_index("study").loc["Lemal et al. 2019"]
    assert (row["n"], row["responders"], row["complete"], row["major"], row["partial"]) == (55, 43, 1, 30, 12)
    ci = stats.binomtest(43, 55).proportion_ci(method="exact")
    assert row["lower"] == pytest.approx(ci.low, abs=1e-12)
    assert row["upper"] == pytest.approx(ci.high, abs=1e-12)


def test_each_published_study_counts_add_up_and_carries_its_source():
    table = published_series()
    categories = table[["complete", "major", "partial"]].fillna(0).sum(axis=1)
    assert (categories == table["responders"]).all()
    assert table["citation"].str.contains("doi:").all()
    assert (table["source"].str.len() > 20).all()
    assert (table["definition"].str.len() > 20).all()


def test_two_study_dersimonian_laird_by_hand():
    # 10/20 and 30/40: y = (0, ln 3), v = (0.2, 1/30 + 1/10), w = (5, 7.5);
    # fixed = 7.5 ln3 / 12.5; Q = sum w (y - fixed)^2; C = 12.5 - (25 + 56.25)/12.5 = 6;
    # tau2 = (Q - 1) / C (DerSimonian & Laird 1986, eq. 8).
    y2, v = math.log(3), (0.2, 1 / 30 + 1 / 10)
    fixed = 7.5 * y2 / 12.5
    q = 5 * fixed**2 + 7.5 * (y2 - fixed) ** 2
    tau2 = (q - 1) / 6
    w = [1 / (vi + tau2) for vi in v]
    mu = w[1] * y2 / sum(w)
    result = pooled_proportion([10, 30], [20, 40])
    assert result["q"] == pytest.approx(q, rel=1e-12)
    assert result["tau2"] == pytest.approx(tau2, rel=1e-12)
    assert result["logit"] == pytest.approx(mu, rel=1e-12)
    assert result["se"] == pytest.approx(math.sqrt(1 / sum(w)), rel=1e-12)
    assert result["rate"] == pytest.approx(1 / (1 + math.exp(-mu)), rel=1e-12)
    assert math.isnan(result["prediction_lower"])  # needs k >= 3 (t with k - 2 df)


def test_homogeneous_studies_pool_to_the_fixed_effect_with_tau2_truncated_at_zero():
    # Q < k - 1: tau2 is 0 (not negative, as statsmodels' chi2 method would give).
    result = pooled_proportion([43, 11, 22], [55, 13, 28])
    assert result["q"] < 2
    assert result["tau2"] == 0.0 and result["i2"] == 0.0
    y = [math.log(43 / 12), math.log(11 / 2), math.log(22 / 6)]
    w = [1 / (1 / 43 + 1 / 12), 1 / (1 / 11 + 1 / 2), 1 / (1 / 22 + 1 / 6)]
    assert result["logit"] == pytest.approx(sum(a * b for a, b in zip(w, y)) / sum(w), rel=1e-12)
    half = stats.t.ppf(0.975, 1) * result["se"]  # Higgins 2009 prediction interval, k - 2 = 1 df
    assert result["prediction_upper"] == pytest.approx(1 / (1 + math.exp(-(result["logit"] + half))), rel=1e-12)


def test_a_study_with_all_patients_responding_gets_half_a_patient_added_to_each_cell():
    # metafor escalc(measure = "PLO") default (add = 1/2, to = "only0"): 5/5 -> 5.5 / 0.5.
    both = pooled_proportion([5, 5], [5, 5])
    assert both["logit"] == pytest.approx(math.log(5.5 / 0.5), rel=1e-12)


def test_pooling_refuses_fewer_than_two_studies_and_impossible_counts():
    with pytest.raises(TooFewPatients):
        pooled_proportion([3], [10])
    with pytest.raises(ValueError):
        pooled_proportion([11, 3], [10, 10])


def test_the_loaded_cohort_is_shown_beside_the_pooled_estimate_not_pooled_into_it():
    scored = oc.score_cohort(oc.load_cohort("demo"))
    table = literature_comparison({"Demo": scored})
    assert list(table.columns) == COLUMNS
    assert table["kind"].tolist() == ["published", "published", "published", "cohort", "pooled"]
    demo = table[table["kind"] == "cohort"].iloc[0]
    assert (demo["responders"], demo["n"]) == (43, 55)  # the demo re-creates Lemal et al.'s 43/55
    pooled = table[table["kind"] == "pooled"].iloc[0]
    published = published_series()
    assert pooled["n"] == published["n"].sum()
    assert pooled["rate"] == pytest.approx(pooled_proportion(published["responders"], published["n"])["rate"])


def test_literature_comparison_does_not_mutate_the_cohort():
    scored = oc.score_cohort(oc.load_cohort("demo"))
    before = scored.outcomes.copy()
    literature_comparison({"Demo": scored})
    pd.testing.assert_frame_equal(scored.outcomes, before)


def test_pooled_intervals_and_q_test_equal_scipy_stats_norm_t_and_chi2():
    # meta_analysis calls scipy.special's ndtri, stdtrit and chdtrc (what norm.ppf, t.ppf and chi2.sf call).
    result = pooled_proportion([10, 30, 22, 7], [20, 40, 28, 19], confidence=0.9)
    z, t = stats.norm.ppf(0.95), stats.t.ppf(0.95, 2)
    expit = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    assert result["lower"] == expit(result["logit"] - z * result["se"])
    assert result["prediction_upper"] == expit(result["logit"] + t * math.sqrt(result["tau2"] + result["se"] ** 2))
    assert result["q_p_value"] == stats.chi2.sf(result["q"], 3)
