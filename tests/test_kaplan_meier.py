"""Kaplan–Meier estimator: by hand, against published R/Stata output, and at registry scale."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest

from omalizumab_core.stats.kaplan_meier import CURVE_COLUMNS, kaplan_meier, km_quantiles, numbers_at_risk

# Hand-made data: times 1, 2, 2, 3, 4+, 5 (4+ censored), n = 6.
#   t  n_at_risk  d  c   S(t)                      Greenwood sum d/(n(n-d))
#   0      6      0  0   1                          0
#   1      6      1  0   5/6                        1/30
#   2      5      2  0   5/6 * 3/5 = 1/2            1/30 + 2/15 = 1/6
#   3      3      1  0   1/2 * 2/3 = 1/3            1/6 + 1/6 = 1/3
#   4      2      0  1   1/3                        1/3
#   5      1      1  0   0                          (n - d = 0: undefined)
HAND_TIME = [1, 2, 2, 3, 4, 5]
HAND_EVENT = [1, 1, 1, 1, 0, 1]


def test_product_limit_by_hand():
    curve = kaplan_meier(HAND_TIME, HAND_EVENT)
    assert list(curve.columns) == CURVE_COLUMNS
    assert curve["time"].tolist() == [0, 1, 2, 3, 4, 5]
    assert curve["n_at_risk"].tolist() == [6, 6, 5, 3, 2, 1]
    assert curve["n_events"].tolist() == [0, 1, 2, 1, 0, 1]
    assert curve["n_censored"].tolist() == [0, 0, 0, 0, 1, 0]
    np.testing.assert_allclose(curve["survival"], [1, 5 / 6, 1 / 2, 1 / 3, 1 / 3, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(curve["cumulative_incidence"], [0, 1 / 6, 1 / 2, 2 / 3, 2 / 3, 1], rtol=0, atol=1e-12)


def test_log_log_interval_by_hand():
    # At t = 2: S = 1/2, Greenwood sum v = 1/6, z = 1.959964.
    # log(-log S) = log(log 2) = -0.366513; z sqrt(v) / log S = 1.959964 * 0.408248 / -0.693147 = -1.154375
    # bounds exp(-exp(-0.366513 -+ 1.154375)): lower exp(-exp(0.787862)) = exp(-2.198691) = 0.110948,
    #                                          upper exp(-exp(-1.520888)) = exp(-0.218518) = 0.803709
    curve = kaplan_meier(HAND_TIME, HAND_EVENT).set_index("time")
    assert curve.loc[2, "ci_low"] == pytest.approx(0.110948, abs=1e-6)
    assert curve.loc[2, "ci_high"] == pytest.approx(0.803709, abs=1e-6)
    # Before any event the interval is the point 1; once S = 0 it is undefined (NaN, as in R).
    assert (curve.loc[0, "ci_low"], curve.loc[0, "ci_high"]) == (1.0, 1.0)
    assert math.isnan(curve.loc[5, "ci_low"]) and math.isnan(curve.loc[5, "ci_high"])


def test_censored_at_an_event_time_is_still_at_risk_then():
    # Two patients at t = 2, one responds, one censored: n = 2, d = 1, S = 1/2 (events before censoring).
    curve = kaplan_meier([2, 2], [1, 0]).set_index("time")
    assert curve.loc[2, "n_at_risk"] == 2
    assert curve.loc[2, "survival"] == pytest.approx(0.5)


def test_curve_starts_at_time_zero_with_everyone_at_risk():
    curve = kaplan_meier([3.5, 7.0], [0, 1])
    assert curve.iloc[0].to_dict() == {
        "time": 0.0, "n_at_risk": 2, "n_events": 0, "n_censored": 0,
        "survival": 1.0, "cumulative_incidence": 0.0, "ci_low": 1.0, "ci_high": 1.0,
    }


def test_quantiles_are_first_times_reaching_the_incidence():
    # Incidence 0, 1/6, 1/2, 2/3, 2/3, 1 at t = 0..5: >= 25 % first at 2, >= 50 % at 2
    # (exactly 1/2, computed as 5/6 * 3/5 in floats), >= 75 % at 5.
    assert km_quantiles(kaplan_meier(HAND_TIME, HAND_EVENT)) == {"q1": 2.0, "median": 2.0, "q3": 5.0}


def test_quantiles_never_reached_are_nan():
    # Three patients, one event at 1 then two censored: incidence stays at 1/3.
    q = km_quantiles(kaplan_meier([1, 2, 3], [1, 0, 0]))
    assert q["q1"] == 1.0 and math.isnan(q["median"]) and math.isnan(q["q3"])


# Freireich et al. (Blood 1963) 6-MP arm, remission in weeks, "+" censored:
# 6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+ 20+ 22 23 25+ 32+ 32+ 34+ 35+.
SIX_MP_TIME = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
# Placebo arm, every patient relapsed.
PLACEBO_TIME = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]


def test_freireich_6mp_matches_r_survfit():
    # R: summary(survfit(Surv(time, cens) ~ 1, data = subset(MASS::gehan, treat == "6-MP")))
    # prints, at the event times 6 7 10 13 16 22 23, n.risk 21 17 15 12 11 7 6, n.event 3 1 1 1 1 1 1,
    # survival 0.857 0.807 0.753 0.690 0.627 0.538 0.448; print() gives median 23
    # (Kleinbaum & Klein, Survival Analysis, 3rd ed., ch. 2, list the same product-limit values).
    curve = kaplan_meier(SIX_MP_TIME, SIX_MP_EVENT)
    at_events = curve[curve["n_events"] > 0]
    assert at_events["time"].tolist() == [6, 7, 10, 13, 16, 22, 23]
    assert at_events["n_at_risk"].tolist() == [21, 17, 15, 12, 11, 7, 6]
    assert at_events["n_events"].tolist() == [3, 1, 1, 1, 1, 1, 1]
    assert at_events["survival"].round(3).tolist() == [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448]
    assert km_quantiles(curve)["median"] == 23.0


def test_freireich_placebo_log_log_interval_matches_stata():
    # Stata `sts list` (default log(-log) Greenwood interval, the formula of R's conf.type = "log-log")
    # on the Gehan data, control group, G. Rodríguez, data.princeton.edu/eco572/KaplanMeier.html:
    #   time 1: 21 at risk, 2 fail, S 0.9048, 95 % CI 0.6700–0.9753
    #   time 2: 19 at risk, 2 fail, S 0.8095, 95 % CI 0.5689–0.9239
    curve = kaplan_meier(PLACEBO_TIME, [1] * 21).set_index("time")
    assert curve.loc[1, ["survival", "ci_low", "ci_high"]].round(4).tolist() == [0.9048, 0.6700, 0.9753]
    assert curve.loc[2, ["survival", "ci_low", "ci_high"]].round(4).tolist() == [0.8095, 0.5689, 0.9239]


def test_numbers_at_risk_from_a_curve_or_from_the_data_agree():
    curve = kaplan_meier(SIX_MP_TIME, SIX_MP_EVENT)
    times = [0, 5, 6, 6.5, 10, 30, 35, 40]
    # Patients with time >= t, counted from the list above by hand.
    expected = [21, 21, 21, 17, 15, 4, 1, 0]
    assert numbers_at_risk(curve, times)["n_at_risk"].tolist() == expected
    assert numbers_at_risk(pd.DataFrame({"time": SIX_MP_TIME}), times)["n_at_risk"].tolist() == expected
    assert numbers_at_risk(np.array(SIX_MP_TIME), times)["n_at_risk"].tolist() == expected


@pytest.mark.parametrize("time_, event", [([1, np.nan], [1, 0]), ([-1, 2], [1, 1]), ([1, 2], [1])])
def test_invalid_input_is_refused(time_, event):
    with pytest.raises(ValueError):
        kaplan_meier(time_, event)


def test_empty_input_gives_the_time_zero_row():
    curve = kaplan_meier([], [])
    assert curve["time"].tolist() == [0.0] and curve["n_at_risk"].tolist() == [0]


def test_100000_patients_in_well_under_a_second():
    rng = np.random.default_rng(4)
    months = np.round(rng.exponential(4, 100_000), 1)  # times recorded to one decimal, as from dates
    responded = rng.random(100_000) < 0.78
    start = time.perf_counter()
    curve = kaplan_meier(months, responded)
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5
    assert curve["n_events"].sum() == responded.sum()
    assert curve["n_events"].sum() + curve["n_censored"].sum() == 100_000
