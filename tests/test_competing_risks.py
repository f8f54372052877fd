"""Aalen–Johansen cumulative incidence, Gray's test, log-rank test, quantiles with CIs.

Expected values come from R 4.2 on this machine (survival 3.5-3, cmprsk
2.2-11); each test quotes the R call that produced them. lifelines is not a
reference here (its AalenJohansenFitter jitters tied times).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from omalizumab_core.stats.competing_risks import CIF_COLUMNS, aalen_johansen, gray_test, incidence_quantiles, logrank_test
from omalizumab_core.stats.kaplan_meier import kaplan_meier

# Ten patients: 1 event of interest, 2 competing event, 0 censored; ties at 2 and 5.
TIME = [1, 2, 2, 3, 4, 5, 5, 6, 7, 8]
STATUS = [1, 1, 2, 0, 1, 2, 1, 0, 1, 2]


def test_aalen_johansen_estimate_standard_error_and_log_interval_match_r_survfit():
    # R: fit <- survfit(Surv(time, factor(status, 0:2)) ~ 1)
    #    s <- summary(fit, times = 0:8); s$pstate[, 2]; s$std.err[, 2]; s$lower[, 2]; s$upper[, 2]
    curve = aalen_johansen(TIME, STATUS).set_index("time")
    assert curve.index.tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8]
    np.testing.assert_allclose(
        curve["cumulative_incidence"],
        [0, 0.1, 0.2, 0.2, 0.316666666666667, 0.433333333333333, 0.433333333333333, 0.608333333333333, 0.608333333333333],
        atol=1e-14,
    )
    np.testing.assert_allclose(
        curve["std_error"],
        [0, 0.0948683298050514, 0.1264911064067352, 0.1264911064067352, 0.1525098661046533,
         0.1647669510191536, 0.1647669510191536, 0.1782307597013033, 0.1782307597013033],
        atol=1e-14,
    )
    np.testing.assert_allclose(
        curve["ci_low"],
        [0, 0.0155768383385262, 0.0579005742179893, 0.0579005742179893, 0.1232125901308501,
         0.2056688508404608, 0.2056688508404608, 0.3425743349756213, 0.3425743349756213],
        atol=1e-14,
    )
    np.testing.assert_allclose(
        curve["ci_high"], [0, 0.641978801003990, 0.690839435363877, 0.690839435363877, 0.813859830974124, 0.913010293053267, 0.913010293053267, 1, 1], atol=1e-14
    )
    # R: s$n.risk[, 1]
    assert curve["n_at_risk"].tolist() == [10, 10, 9, 7, 6, 5, 3, 2, 1]
    assert curve["n_events"].sum() == 5 and curve["n_competing"].sum() == 3 and curve["n_censored"].sum() == 2
    assert list(aalen_johansen(TIME, STATUS).columns) == CIF_COLUMNS


def test_aalen_johansen_by_hand_stays_below_one_minus_kaplan_meier():
    # By hand: t=1 S(0)=1, 1 of 10 responds: F = 1/10; t=2: S(1-)=9/10, 1 of 9 responds: F = 1/10 + 9/10 * 1/9 = 2/10.
    curve = aalen_johansen(TIME, STATUS)
    assert curve["cumulative_incidence"].iloc[2] == pytest.approx(0.2, abs=1e-15)
    # 1 - KM treats the competing events as censoring and overstates the incidence.
    km = kaplan_meier(TIME, np.asarray(STATUS) == 1)
    assert (curve["cumulative_incidence"].to_numpy() <= km["cumulative_incidence"].to_numpy() + 1e-15).all()
    assert km["cumulative_incidence"].iloc[-1] > curve["cumulative_incidence"].iloc[-1]


def test_without_competing_events_aalen_johansen_is_one_minus_kaplan_meier():
    time, event = [1, 2, 2, 3, 4, 5], [1, 1, 1, 1, 0, 1]
    np.testing.assert_allclose(aalen_johansen(time, event)["cumulative_incidence"], kaplan_meier(time, event)["cumulative_incidence"], atol=1e-15)


def test_aalen_johansen_rejects_bad_status_and_missing_time():
    with pytest.raises(ValueError, match="status must be 0"):
        aalen_johansen([1, 2], [1, 3])
    with pytest.raises(ValueError, match="missing"):
        aalen_johansen([1, float("nan")], [1, 0])


def test_inputs_are_not_mutated():
    time, status = np.array(TIME, dtype=float), np.array(STATUS)
    aalen_johansen(time, status)
    gray_test(time, status, ["a", "b"] * 5)
    assert time.tolist() == TIME and status.tolist() == STATUS


def test_quantiles_invert_the_pointwise_band():
    # Hand-read off the R survfit curve above: F reaches 25 % at 4 (0.317), 50 % at 7 (0.608), never 75 %.
    # Upper bound reaches 25 % and 50 % at 1 (0.642); lower bound first reaches 25 % at 7 (0.343; 0.206 at 5), never 50 %.
    q = incidence_quantiles(aalen_johansen(TIME, STATUS)).set_index("quantile")
    assert q.loc["q1"].tolist() == [4.0, 1.0, 7.0]
    assert q.loc["median", "months"] == 7.0 and math.isnan(q.loc["median", "ci_high"])
    assert math.isnan(q.loc["q3", "months"])


def test_kaplan_meier_median_interval_is_brookmeyer_crowley_as_r():
    # 6-MP arm of Freireich et al. (1963). R: quantile(survfit(Surv(tm, ev) ~ 1, conf.type = "log-log"), probs = c(.25, .5))
    # gives quantile 13, 23; lower 6, 13; upper 22, NA.
    time = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
    event = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    curve = kaplan_meier(time, event).rename(columns={"ci_low": "s_low", "ci_high": "s_high"})
    curve["ci_low"], curve["ci_high"] = 1 - curve["s_high"], 1 - curve["s_low"]
    q = incidence_quantiles(curve).set_index("quantile")
    assert q.loc["q1"].tolist() == [13.0, 6.0, 22.0]
    assert q.loc["median", ["months", "ci_low"]].tolist() == [23.0, 13.0] and math.isnan(q.loc["median", "ci_high"])


def test_logrank_matches_r_survdiff():
    # R: survdiff(Surv(c(1,2,3,4,5,6), c(1,1,1,1,0,1)) ~ c("a","a","a","b","b","b"))$chisq = 5.05166051660517
    result = logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 0, 1], ["a", "a", "a", "b", "b", "b"]).iloc[0]
    assert result["statistic"] == pytest.approx(5.05166051660517, rel=1e-12)
    assert result["df"] == 1 and result["p_value"] == pytest.approx(0.0246023499536417, rel=1e-10)
    # Three groups with ties. R: survdiff(Surv(t, s == 1) ~ g)$chisq = 0.0924107472317152
    t, s, g = [1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 8, 9], np.array([1, 2, 1, 0, 1, 1, 2, 1, 0, 1, 2, 1]), list("abcabcabcabc")
    result = logrank_test(t, s == 1, g).iloc[0]
    assert result["statistic"] == pytest.approx(0.0924107472317152, rel=1e-12) and result["df"] == 2


def test_gray_matches_r_cmprsk_cuminc():
    # R: cuminc(c(1,2,3,4,5,6,7,8), c(1,2,1,0,1,1,2,1), rep(c("a","b"), each = 4), cencode = 0)$Tests[1, ]
    #    stat 2.232308182546312, pv 0.135151812725060, df 1
    result = gray_test([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 1, 0, 1, 1, 2, 1], ["a"] * 4 + ["b"] * 4).iloc[0]
    assert result["statistic"] == pytest.approx(2.232308182546312, rel=1e-12)
    assert result["p_value"] == pytest.approx(0.135151812725060, rel=1e-12) and result["df"] == 1
    # Three groups, ties within and across groups and event types.
    # R: cuminc(t, s, g, cencode = 0)$Tests[1, ]: stat 0.0880208911620419, pv 0.956943961585157, df 2
    t, s, g = [1, 2, 2, 3, 4, 5, 5, 6, 7, 8, 8, 9], [1, 2, 1, 0, 1, 1, 2, 1, 0, 1, 2, 1], list("abcabcabcabc")
    result = gray_test(t, s, g).iloc[0]
    assert result["statistic"] == pytest.approx(0.0880208911620419, rel=1e-12) and result["df"] == 2
    # The competing event's test (codes swapped) is R's second row: stat 1.8005896351076132.
    swapped = np.select([np.asarray(s) == 1, np.asarray(s) == 2], [2, 1], 0)
    assert gray_test(t, swapped, g).iloc[0]["statistic"] == pytest.approx(1.8005896351076132, rel=1e-12)


def test_standard_error_on_sixty_patients_with_every_kind_of_tie_matches_r():
    # R: i <- 0:59; time <- ((i*7) %% 23) + 1; status <- ((i*5) %% 7) %% 3
    #    s <- summary(survfit(Surv(time, factor(status, 0:2)) ~ 1), times = c(3, 10, 20, 23)); s$pstate[, 2]; s$std.err[, 2]
    i = np.arange(60)
    curve = aalen_johansen((i * 7) % 23 + 1, (i * 5) % 7 % 3).set_index("time")
    np.testing.assert_allclose(
        curve.loc[[3, 10, 20, 23], "cumulative_incidence"], [0.0350877192982456, 0.1136476868664480, 0.3346420877227513, 0.5023352249206898], atol=1e-14
    )
    np.testing.assert_allclose(
        curve.loc[[3, 10, 20, 23], "std_error"], [0.0243716009785523, 0.0438379683452472, 0.0767833311326142, 0.0949576247116293], atol=1e-14
    )
