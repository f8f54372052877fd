"""Competing risks: Aalen–Johansen cumulative incidence, Gray's test, the log-rank test.

A patient who stops omalizumab without having responded will never respond on
treatment: stopping is a *competing event*, not censoring. The complement of a
Kaplan–Meier curve that censors those patients estimates the incidence of
response in a world where nobody stops, and overstates it (on the demo it
reaches 100 %). The Aalen–Johansen estimator of the cumulative incidence
function (CIF) counts them as never responding.

Everything works on event codes: 0 censored (still treated without response,
or lost to follow-up), 1 the event of interest (response), 2 the competing
event (stopped without response).

References
----------
- Aalen O, Johansen S. An empirical transition matrix for non-homogeneous
  Markov chains based on censored observations. Scand J Stat 1978;5:141-50.
- Gray RJ. A class of K-sample tests for comparing the cumulative incidence
  of a competing risk. Ann Stat 1988;16:1141-54.
- R survival 3.5 ``survfit(Surv(time, factor(status)) ~ 1)`` for the
  estimate, its infinitesimal-jackknife standard error and its default
  ``conf.type = "log"`` interval; ``survdiff`` for the log-rank test;
  ``cmprsk::cuminc`` for Gray's test (``rho = 0``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from omalizumab_core.stats.exact import _special

CIF_COLUMNS = [
    "time", "n_at_risk", "n_events", "n_competing", "n_censored",
    "cumulative_incidence", "std_error", "ci_low", "ci_high",
]
QUANTILE_COLUMNS = ["quantile", "months", "ci_low", "ci_high"]
QUANTILES = {"q1": 0.25, "median": 0.5, "q3": 0.75}
TEST_COLUMNS = ["test", "statistic", "df", "p_value"]
CENSORED, EVENT, COMPETING = 0, 1, 2
# A curve within sqrt(machine epsilon) of a probability reaches it (as R's quantile.survfit).
_TOLERANCE = math.sqrt(np.finfo(float).eps)


def _check(time, status) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(time, dtype="float64").ravel()
    s = np.asarray(status).ravel()
    if t.shape != s.shape:
        raise ValueError(f"time and status differ in length ({len(t)} and {len(s)})")
    if np.isnan(t).any():
        raise ValueError("time has missing values; drop or impute them before estimating")
    if (t < 0).any():
        raise ValueError("time must be >= 0")
    s = s.astype("int64")
    if not np.isin(s, (CENSORED, EVENT, COMPETING)).all():
        raise ValueError("status must be 0 (censored), 1 (event of interest) or 2 (competing event)")
    return t, s


def _counts(t: np.ndarray, s: np.ndarray):
    """Distinct times (with 0 first) and, at each, patients at risk, events of each kind, censored."""
    # np.unique(t, return_inverse=True), by hashing: the few distinct times are sorted, not the
    # 100,000 patients' times of a registry (four curves at every rerun of the page).
    codes, distinct = pd.factorize(t, sort=False)
    order = np.argsort(distinct, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    times, inverse = np.asarray(distinct, dtype="float64")[order] + 0.0, rank[codes]  # + 0.0: no "-0"
    m = len(times)
    counts = np.bincount(s * m + inverse, minlength=3 * m).reshape(3, m) if m else np.zeros((3, 0), dtype=np.int64)
    if m == 0 or times[0] > 0:
        times = np.r_[0.0, times]
        counts = np.c_[np.zeros((3, 1), dtype=np.int64), counts]
    leaving = counts.sum(axis=0)
    at_risk = len(t) - np.cumsum(leaving) + leaving
    return times, at_risk, counts[EVENT], counts[COMPETING], counts[CENSORED]


def aalen_johansen(time, status, *, confidence: float = 0.95) -> pd.DataFrame:
    """Aalen–Johansen cumulative incidence of an event in the presence of a competing event.

    Parameters
    ----------
    time : array-like of float
        Time of the event, competing event or censoring for each patient
        (>= 0, no NaN).
    status : array-like of int
        0 censored at ``time``, 1 the event of interest, 2 the competing event.
    confidence : float
        Two-sided level of the pointwise confidence interval.

    Returns
    -------
    DataFrame
        One row for time 0 and one per distinct observed time, sorted, with
        columns ``CIF_COLUMNS``: time, n_at_risk (patients whose time is >=
        this time), n_events, n_competing, n_censored at this time,
        cumulative_incidence F(t) of the event of interest (0 to 1), its
        standard error, and the interval ci_low, ci_high.

    Notes
    -----
    - F(t) = sum over times t_j <= t of S(t_j-) d1_j / n_j, with S the
      Kaplan–Meier estimate of being free of both events, d1_j events of
      interest among n_j patients at risk (Aalen and Johansen 1978).
    - Standard error: infinitesimal jackknife, the square root of the sum
      over patients of the squared derivative of F(t) with respect to the
      patient's case weight, as R survival (>= 3.0) computes it for a
      multi-state ``survfit``.
    - Interval: R ``survfit``'s default ``conf.type = "log"``,
      F exp(-+ z se / F), the upper bound capped at 1. Where F = 0 the
      interval is the point 0 (R reports NA there).

    Examples
    --------
    >>> curve = aalen_johansen([1, 2, 2, 3, 4, 5, 5, 6, 7, 8], [1, 1, 2, 0, 1, 2, 1, 0, 1, 2])
    >>> curve["cumulative_incidence"].round(4).tolist()[-1]
    0.6083
    """
    t, s = _check(time, status)
    times, at_risk, d1, d2, censored = _counts(t, s)
    n = np.maximum(at_risk, 1).astype("float64")
    h1 = np.where(at_risk > 0, d1 / n, 0.0)
    h2 = np.where(at_risk > 0, d2 / n, 0.0)
    h = h1 + h2
    # Event-free survival just before each time, S(t_j-), and after, S(t_j).
    after = np.cumprod(1.0 - h)
    before = np.r_[1.0, after[:-1]]
    incidence = np.cumsum(before * h1)

    variance = _ij_variance(t, s, times, at_risk, d1 + d2 + censored, h1, h, before, incidence)
    se = np.sqrt(np.maximum(variance, 0.0))  # rounding can leave -1e-17 where F = 0

    z = _special().ndtri(1 - (1 - confidence) / 2)
    positive = incidence > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.exp(z * se / incidence)
        low = np.where(positive, incidence / shift, 0.0)
        high = np.where(positive, np.minimum(incidence * shift, 1.0), 0.0)
    return pd.DataFrame(
        {
            "time": times,
            "n_at_risk": at_risk.astype(np.int64),
            "n_events": d1.astype(np.int64),
            "n_competing": d2.astype(np.int64),
            "n_censored": censored.astype(np.int64),
            "cumulative_incidence": incidence,
            "std_error": se,
            "ci_low": low,
            "ci_high": high,
        }
    )[CIF_COLUMNS]


def _ij_variance(t, s, times, at_risk, leaving, h1, h, before, incidence) -> np.ndarray:
    """Infinitesimal-jackknife variance of the Aalen–Johansen F at every time, in O(n + m).

    The influence of a patient's case weight on F(t_j) (derivative at weight
    1) follows one common path while the patient is at risk, jumps at the
    patient's own time T (event, competing event or censoring), and is then
    linear in F: alpha + beta (F(t_j) - F(T)), with beta = dS(T)/dw / S(T).
    Patients with the same (time, status) share it, so the variance, the sum
    of squared influences, is a few cumulative sums instead of a patients x
    times matrix.
    """
    m = len(times)
    n = np.maximum(at_risk, 1).astype("float64")
    live = at_risk > 0
    h1_n = np.where(live, h1 / n, 0.0)
    h_n = np.where(live, h / n, 0.0)
    # Common path of a patient still at risk after t_j: influence on F and on S at t_j.
    path_inc = np.empty(m)
    path_surv = np.empty(m)
    inc_prev = surv_prev = 0.0
    for j in range(m):
        inc_prev = inc_prev + surv_prev * h1[j] - before[j] * h1_n[j]
        surv_prev = surv_prev * (1.0 - h[j]) + before[j] * h_n[j]
        path_inc[j], path_surv[j] = inc_prev, surv_prev
    inc_before_path = np.r_[0.0, path_inc[:-1]]
    surv_before_path = np.r_[0.0, path_surv[:-1]]

    # Every (time, status) pair, in time order; most have no patient (weight 0).
    multiplicity = np.bincount(np.searchsorted(times, t) * 3 + s, minlength=3 * m).astype("float64")
    j = np.repeat(np.arange(m), 3)
    k_status = np.tile(np.arange(3), m)
    k_time = times[j]
    n_j = n[j]
    dh1 = ((k_status == EVENT) - h1[j]) / n_j
    dh = ((k_status != CENSORED) - h[j]) / n_j
    alpha = inc_before_path[j] + surv_before_path[j] * h1[j] + before[j] * dh1
    d_surv = surv_before_path[j] * (1.0 - h[j]) - before[j] * dh
    after = before[j] * (1.0 - h[j])
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = np.where(after > 0, d_surv / after, 0.0)
    gamma = alpha - beta * incidence[j]
    w = multiplicity
    cum = np.cumsum(np.c_[w * gamma * gamma, w * gamma * beta, w * beta * beta], axis=0)
    cum = np.r_[np.zeros((1, 3)), cum]
    done = cum[np.searchsorted(k_time, times, side="right")]  # keys whose time is <= t_j
    still = at_risk - leaving  # patients whose time is > t_j
    return still * path_inc**2 + done[:, 0] + 2 * incidence * done[:, 1] + incidence**2 * done[:, 2]


def incidence_quantiles(curve: pd.DataFrame) -> pd.DataFrame:
    """Months by which 25 %, 50 % and 75 % have had the event, with confidence intervals.

    Parameters
    ----------
    curve : DataFrame
        A rising cumulative incidence curve with columns time,
        cumulative_incidence, ci_low, ci_high: the output of
        :func:`aalen_johansen`, or 1 - S of a Kaplan–Meier curve.

    Returns
    -------
    DataFrame
        Columns ``QUANTILE_COLUMNS``, rows q1, median, q3: the first time at
        which the cumulative incidence reaches the probability (NaN: never
        reached, "not reached"), and its interval: the first times at which
        the upper and the lower pointwise bounds reach it (NaN for an upper
        limit the lower bound never reaches).

    Notes
    -----
    Inverting the pointwise band is Brookmeyer and Crowley's interval
    (Biometrics 1982;38:29-41), as R ``quantile.survfit`` computes it for a
    Kaplan–Meier curve (with its log-log band, the Kaplan–Meier medians of
    this product). R refuses quantiles of a multi-state curve ("not a well
    defined quantity" when the incidence plateaus below 1); on an
    Aalen–Johansen curve the same rule is applied, and a quantile above the
    plateau is "not reached". A curve within sqrt(machine epsilon) of the
    probability reaches it; where it is flat exactly at the probability R
    reports the midpoint of the flat stretch, this function its start.

    Examples
    --------
    >>> curve = aalen_johansen([1, 2, 2, 3, 4, 5, 5, 6, 7, 8], [1, 1, 2, 0, 1, 2, 1, 0, 1, 2])
    >>> incidence_quantiles(curve).set_index("quantile")["months"].tolist()
    [4.0, 7.0, nan]
    """
    times = curve["time"].to_numpy(dtype="float64")
    rows = []
    for name, p in QUANTILES.items():

        def first(values):
            reached = np.flatnonzero(np.nan_to_num(values, nan=-1.0) >= p - _TOLERANCE)
            return float(times[reached[0]]) if len(reached) else float("nan")

        rows.append(
            {
                "quantile": name,
                "months": first(curve["cumulative_incidence"].to_numpy(dtype="float64")),
                "ci_low": first(curve["ci_high"].to_numpy(dtype="float64")),
                "ci_high": first(curve["ci_low"].to_numpy(dtype="float64")),
            }
        )
    return pd.DataFrame(rows, columns=QUANTILE_COLUMNS)


def _group_codes(group) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(pd.Series(np.asarray(group, dtype=object).ravel()), sort=True)
    if (codes < 0).any():
        raise ValueError("group has missing values; give every patient a group")
    return codes, len(uniques)


def _chi_square(score: np.ndarray, variance: np.ndarray, name: str) -> pd.DataFrame:
    """Quadratic form s' V^- s on the first k - 1 groups, chi-square with rank(V) degrees of freedom."""
    statistic = float(score @ np.linalg.pinv(variance) @ score) if len(score) else float("nan")
    df = int(np.linalg.matrix_rank(variance)) if len(score) else 0
    p = float(_special().chdtrc(df, statistic)) if df > 0 else float("nan")
    return pd.DataFrame([{"test": name, "statistic": statistic, "df": df, "p_value": p}], columns=TEST_COLUMNS)


def logrank_test(time, event, group) -> pd.DataFrame:
    """Log-rank test of equal survival (Kaplan–Meier curves) between two or more groups.

    Parameters
    ----------
    time : array-like of float
    event : array-like of bool or 0/1
        True if the event was observed at ``time``, False if censored.
    group : array-like
        Each patient's group (any hashable labels, no missing value).

    Returns
    -------
    DataFrame
        One row, columns ``TEST_COLUMNS``: test "log-rank", the chi-square
        statistic, its degrees of freedom (groups - 1) and the p-value.

    Notes
    -----
    Mantel's statistic as R ``survdiff(Surv(time, event) ~ group)`` (rho = 0):
    observed minus expected events per group with the hypergeometric
    variance, summed over distinct event times.

    Examples
    --------
    >>> logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 1, 1, 0, 1], ["a", "a", "a", "b", "b", "b"]).round(4).to_dict("records")
    [{'test': 'log-rank', 'statistic': 5.0517, 'df': 1, 'p_value': 0.0246}]
    """
    t, _ = _check(time, np.zeros(len(np.asarray(time).ravel()), dtype=np.int64))
    e = np.asarray(event).ravel().astype(bool)
    codes, k = _group_codes(group)
    if not (len(t) == len(e) == len(codes)):
        raise ValueError("time, event and group differ in length")
    times, inverse = np.unique(t, return_inverse=True)
    m = len(times)
    leaving = np.zeros((k, m))
    deaths = np.zeros((k, m))
    np.add.at(leaving, (codes, inverse), 1)
    np.add.at(deaths, (codes, inverse), e.astype("float64"))
    at_risk = leaving[:, ::-1].cumsum(axis=1)[:, ::-1]  # by group: time >= t_j
    n = at_risk.sum(axis=0)
    d = deaths.sum(axis=0)
    use = (d > 0) & (n > 0)
    n, d, at_risk, deaths = n[use], d[use], at_risk[:, use], deaths[:, use]
    score = (deaths - at_risk * d / n).sum(axis=1)
    factor = d * (n - d) / (n * n * np.where(n > 1, n - 1, 1))
    share = at_risk  # n_gj
    variance = np.einsum("j,gj,hj->gh", factor, share, -share) + np.diag((factor * n * share).sum(axis=1))
    return _chi_square(score[:-1], variance[:-1, :-1], "log-rank")


def gray_test(time, status, group) -> pd.DataFrame:
    """Gray's K-sample test of equal cumulative incidence of the event of interest.

    Parameters
    ----------
    time : array-like of float
    status : array-like of int
        0 censored, 1 the event of interest, 2 the competing event.
    group : array-like
        Each patient's group (two or more, no missing value).

    Returns
    -------
    DataFrame
        One row, columns ``TEST_COLUMNS``: test "Gray", the chi-square
        statistic, its degrees of freedom (groups - 1) and the p-value.

    Notes
    -----
    Gray (1988), weight (1 - F(t-))^rho with rho = 0: for each group the
    score integrates, over the pooled time axis, the difference between the
    group's subdistribution hazard of the event and the pooled one, with
    weights R_k(t) = n_k(t) (1 - F_k(t-)) / S_k(t-) (patients "still able to
    have the event" in the subdistribution sense). Its covariance is the
    asymptotic one of the paper's Section 2, with the same finite-sample tie
    corrections as R ``cmprsk::cuminc``'s ``Tests`` (which this reproduces to
    rounding, see tests/test_competing_risks.py).

    Examples
    --------
    >>> result = gray_test([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 1, 0, 1, 1, 2, 1], ["a"] * 4 + ["b"] * 4)
    >>> round(float(result["statistic"].iloc[0]), 4), int(result["df"].iloc[0])
    (2.2323, 1)
    """
    t, s = _check(time, status)
    codes, k = _group_codes(group)
    if len(codes) != len(t):
        raise ValueError("time, status and group differ in length")
    times, inverse = np.unique(t, return_inverse=True)
    m = len(times)
    count = np.zeros((3, k, m))
    np.add.at(count, (s, codes, inverse), 1.0)
    leaving = count.sum(axis=0)
    at_risk = leaving[:, ::-1].cumsum(axis=1)[:, ::-1]  # (k, m): time >= t_j
    d1, d2 = count[EVENT], count[COMPETING]

    score = np.zeros(k)
    variance = np.zeros((k, k))
    # Accumulators of the variance: per group, the weight of its own terms (v3),
    # the cross terms (v2) and the running c matrix of the paper.
    c = np.zeros((k, k))
    v2 = np.zeros((k, k))
    v3 = np.zeros(k)
    surv_before = np.ones(k)  # group KM of both events, left-continuous
    inc_before = np.zeros(k)  # group cumulative incidence of the event, left-continuous
    pooled_before = 0.0  # pooled subdistribution F, left-continuous
    for j in range(m):
        n_g = at_risk[:, j]
        e1, e2 = d1[:, j], d2[:, j]
        n1, n2 = e1.sum(), e2.sum()
        live = n_g > 0
        if n1 == 0 and n2 == 0:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            surv_after = np.where(live, surv_before * (n_g - e1 - e2) / np.where(live, n_g, 1), surv_before)
            inc_after = np.where(live, inc_before + surv_before * e1 / np.where(live, n_g, 1), inc_before)
            h = np.where(live, n_g / surv_before, 0.0)  # n_k / S_k(t-)
            risk = np.where(live, n_g * (1 - inc_before) / surv_before, 0.0)  # R_k(t)
        total_h, total_r = h.sum(), risk.sum()
        pooled_after = pooled_before + n1 / total_h
        # a[i, l]: derivative of group i's score increment w.r.t. group l's hazard.
        a = -np.outer(h, h) / total_h
        a[np.diag_indices(k)] = h * (1 - h / total_h)
        a[~live, :] = 0.0
        a[:, ~live] = 0.0
        c += a * n1 / (total_h * (1 - pooled_before))
        score += np.where(live, e1 - n1 * risk / total_r, 0.0)
        if n1 > 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                t4 = np.where(surv_after > 0, 1 - (1 - pooled_after) / surv_after, 1.0)
                t5 = 1 - (n1 - 1) / (total_h * surv_before - 1) if n1 > 1 else np.ones(k)
                t3 = np.where(live, t5 * surv_before * n1 / (total_h * np.where(live, n_g, 1)), 0.0)
            t4 = np.where(live, t4, 0.0)
            v3 += t4 * t4 * t3
            t1 = a - t4[None, :] * c  # (i, l)
            v2 += t1 * (t4 * t3)[None, :]
            variance += (t1 * t3[None, :]) @ t1.T
        if n2 > 0:
            use = live & (surv_after > 0) & (e2 > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                t4 = np.where(use, (1 - pooled_after) / np.where(use, surv_after, 1), 0.0)
                t5 = np.where(e2 > 1, 1 - (e2 - 1) / np.where(n_g > 1, n_g - 1, 1), 1.0)
                t3 = np.where(use, t5 * surv_before**2 * e2 / np.where(live, n_g, 1) ** 2, 0.0)
            v3 += t4 * t4 * t3
            t1 = t4[None, :] * c
            v2 -= t1 * (t4 * t3)[None, :]
            variance += (t1 * t3[None, :]) @ t1.T
        surv_before, inc_before, pooled_before = surv_after, inc_after, pooled_after
    variance += (c * v3[None, :]) @ c.T + c @ v2.T + v2 @ c.T
    return _chi_square(score[:-1], variance[:-1, :-1], "Gray")
