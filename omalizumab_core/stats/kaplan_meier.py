"""Kaplan–Meier estimation, vectorised, with R ``survfit``'s log-log interval.

Time to response is a time to event with censoring: a patient who has not
responded yet when treatment stops (or follow-up ends) is counted among the
patients at risk until then, and not afterwards. The Kaplan–Meier product-limit
estimator handles this; its complement, 1 - S(t), is the cumulative incidence
of response plotted on the Time to response page.

Everything is computed with one sort and a few cumulative sums, so 100,000
patients take a few milliseconds.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from omalizumab_core.stats.exact import _special

CURVE_COLUMNS = ["time", "n_at_risk", "n_events", "n_censored", "survival", "cumulative_incidence", "ci_low", "ci_high"]
QUANTILES = {"q1": 0.25, "median": 0.5, "q3": 0.75}
# R's quantile.survfit treats a curve within sqrt(machine epsilon) of a
# probability as reaching it; a product of fractions such as 5/6 * 3/5 is
# 0.5 on paper but may be 0.49999999999999994 or 0.5000000000000001 in floats.
_TOLERANCE = math.sqrt(np.finfo(float).eps)


def kaplan_meier(time, event, *, confidence: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier estimate of survival (time without the event) and its complement.

    Parameters
    ----------
    time : array-like of float
        Time of the event, or of censoring, for each patient (>= 0, no NaN).
    event : array-like of bool or 0/1
        True (1) if the event was observed at ``time``; False (0) if the
        patient was censored then.
    confidence : float
        Two-sided level of the pointwise confidence interval.

    Returns
    -------
    DataFrame
        One row for time 0 and one per distinct observed time (event or
        censoring), sorted, with columns ``CURVE_COLUMNS``: time, n_at_risk
        (patients whose time is >= this time), n_events, n_censored at this
        time, survival S(t), cumulative_incidence 1 - S(t), and ci_low,
        ci_high, the confidence interval of S(t).

    Notes
    -----
    - Product-limit estimator: S(t) = prod over event times t_j <= t of
      (1 - d_j / n_j), with d_j events among n_j patients at risk. Censoring at
      t_j counts the patient at risk at t_j (events come first, as in R).
    - Confidence interval as R ``survfit(..., conf.type = "log-log")`` (and
      Stata's default): Greenwood's variance of log S,
      v(t) = sum d_j / (n_j (n_j - d_j)), and bounds
      exp(-exp(log(-log S) -+ z sqrt(v) / log S)).
    - Where no event has happened yet (S = 1) the interval is the point 1 (R
      reports NA there); where S = 0 it is undefined (NaN, as in R).

    Examples
    --------
    >>> curve = kaplan_meier([1, 2, 2, 3, 4, 5], [1, 1, 1, 1, 0, 1])
    >>> curve["survival"].round(4).tolist()
    [1.0, 0.8333, 0.5, 0.3333, 0.3333, 0.0]
    """
    t = np.asarray(time, dtype="float64").ravel()
    e = np.asarray(event).ravel().astype(bool)
    if t.shape != e.shape:
        raise ValueError(f"time and event differ in length ({len(t)} and {len(e)})")
    if np.isnan(t).any():
        raise ValueError("time has missing values; drop or impute them before estimating")
    if (t < 0).any():
        raise ValueError("time must be >= 0")

    times, inverse = np.unique(t, return_inverse=True)
    leaving = np.bincount(inverse, minlength=len(times))
    events = np.bincount(inverse, weights=e, minlength=len(times)).astype(np.int64)
    if len(times) == 0 or times[0] > 0:
        # The curve starts at time 0 with everyone at risk and no event.
        times = np.r_[0.0, times]
        leaving = np.r_[0, leaving]
        events = np.r_[0, events]
    n = len(t)
    at_risk = n - np.cumsum(leaving) + leaving
    censored = leaving - events

    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(at_risk > 0, 1.0 - events / np.maximum(at_risk, 1), 1.0)
        survival = np.cumprod(factor)
        greenwood = np.cumsum(np.where(events > 0, events / (at_risk * (at_risk - events).astype("float64")), 0.0))
    # Exact flags from counts, not float comparisons of S with 1 or 0.
    before_first_event = np.cumsum(events) == 0
    all_had_event = np.cumsum((events > 0) & (events == at_risk)) > 0
    survival = np.where(all_had_event, 0.0, survival)

    z = _special().ndtri(1 - (1 - confidence) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_s = np.log(survival)
        shift = z * np.sqrt(greenwood) / log_s
        a = np.exp(-np.exp(np.log(-log_s) - shift))
        b = np.exp(-np.exp(np.log(-log_s) + shift))
    low, high = np.minimum(a, b), np.maximum(a, b)
    low = np.where(before_first_event, 1.0, np.where(all_had_event, np.nan, low))
    high = np.where(before_first_event, 1.0, np.where(all_had_event, np.nan, high))

    return pd.DataFrame(
        {
            "time": times,
            "n_at_risk": at_risk.astype(np.int64),
            "n_events": events,
            "n_censored": censored.astype(np.int64),
            "survival": survival,
            "cumulative_incidence": 1.0 - survival,
            "ci_low": low,
            "ci_high": high,
        }
    )[CURVE_COLUMNS]


def km_quantiles(curve: pd.DataFrame) -> dict[str, float]:
    """Median and interquartile range of the time to event from a Kaplan–Meier curve.

    Parameters
    ----------
    curve : DataFrame
        Output of :func:`kaplan_meier` (needs time and cumulative_incidence).

    Returns
    -------
    dict
        ``{"q1": ..., "median": ..., "q3": ...}``: the first time at which the
        cumulative incidence reaches 25 %, 50 % and 75 %; NaN when the curve
        never reaches it (too many patients censored before the event).

    Notes
    -----
    "First reaches": the smallest t with 1 - S(t) >= p, i.e. S(t) <= 1 - p
    (Klein and Moeschberger's definition). A curve within sqrt(machine
    epsilon) of p counts as reaching it, as in R. When S(t) equals 0.5 exactly
    over an interval, R's ``print.survfit`` reports the midpoint of that
    interval; this function reports its start.

    Examples
    --------
    >>> km_quantiles(kaplan_meier([1, 2, 2, 3, 4, 5], [1, 1, 1, 1, 0, 1]))
    {'q1': 2.0, 'median': 2.0, 'q3': 5.0}
    """
    times = curve["time"].to_numpy(dtype="float64")
    incidence = curve["cumulative_incidence"].to_numpy(dtype="float64")
    result = {}
    for name, p in QUANTILES.items():
        reached = np.flatnonzero(incidence >= p - _TOLERANCE)
        result[name] = float(times[reached[0]]) if len(reached) else float("nan")
    return result


def numbers_at_risk(curve_or_data, times) -> pd.DataFrame:
    """Number of patients still at risk at given times (for the table under a curve).

    Parameters
    ----------
    curve_or_data : DataFrame or array-like
        A curve from :func:`kaplan_meier` (has ``n_at_risk``), a DataFrame of
        patients with a ``time`` column, or an array of times.
    times : array-like of float
        Times at which to count.

    Returns
    -------
    DataFrame
        Columns time and n_at_risk: the number of patients whose event or
        censoring time is >= each time (R ``summary(fit, times)$n.risk``).

    Examples
    --------
    >>> numbers_at_risk(kaplan_meier([1, 2, 2, 3, 4, 5], [1, 1, 1, 1, 0, 1]), [0, 2, 2.5, 6])["n_at_risk"].tolist()
    [6, 5, 3, 0]
    """
    at = np.asarray(times, dtype="float64").ravel()
    if isinstance(curve_or_data, pd.DataFrame) and "n_at_risk" in curve_or_data:
        curve_times = curve_or_data["time"].to_numpy(dtype="float64")
        counts = np.r_[curve_or_data["n_at_risk"].to_numpy(dtype=np.int64), 0]
        # No patient leaves between two rows of the curve, so the count at t
        # is the count at the first row at or after t (0 past the last row).
        n = counts[np.searchsorted(curve_times, at, side="left")]
    else:
        data = curve_or_data["time"] if isinstance(curve_or_data, pd.DataFrame) else curve_or_data
        observed = np.sort(np.asarray(data, dtype="float64").ravel())
        n = len(observed) - np.searchsorted(observed, at, side="left")
    return pd.DataFrame({"time": at, "n_at_risk": n.astype(np.int64)})
