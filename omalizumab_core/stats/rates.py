"""Event rates per person-time and their ratio: exact conditional Poisson and negative binomial.

Used for anaphylaxis episodes before and on omalizumab. Two estimates of the
rate ratio on / before:

- **Exact conditional Poisson** (cohort level): given the total number of
  episodes N, the episodes on treatment follow Binomial(N, p) with
  p = RR·T_on / (RR·T_on + T_before); the Clopper–Pearson interval of p is
  turned into one for RR, and the p-value is the two-sided binomial test of
  p = T_on / (T_on + T_before). This is R's ``poisson.test(c(x_on, x_before),
  c(T_on, T_before))`` (Fay, R Journal 2010;2:53-58).
- **Negative binomial** (patient-period level): when episodes cluster in some
  patients (overdispersion) the Poisson assumption understates the
  uncertainty; a negative binomial model (NB2, log link, log person-time as
  offset, one coefficient for "on treatment") estimated by maximum
  likelihood gives a wider, honest interval. Wald CI with θ held at its
  estimate, as R ``MASS::glm.nb`` reports it; overdispersion is tested by
  the likelihood ratio against the Poisson model, halved for the boundary
  (Self & Liang, JASA 1987;82:605-10).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize
from scipy import special
from scipy import stats as _scipy

from omalizumab_core.stats.exact import proportion_ci


def poisson_rate_ratio(events_1: int, time_1: float, events_0: int, time_0: float, *, confidence: float = 0.95) -> dict:
    """Exact conditional rate ratio (events_1 / time_1) / (events_0 / time_0), with CI and p.

    Parameters
    ----------
    events_1, events_0 : int
        Episodes in the compared period (e.g. on treatment) and in the reference period.
    time_1, time_0 : float
        Person-time of each period (any unit, the same for both).

    Returns
    -------
    dict
        ``rate_ratio``, ``lower``, ``upper``, ``p_value``, ``method``. NaN
        ratio and interval when no episode happened in either period; an
        upper bound of ``inf`` when none happened in the reference period.

    Examples
    --------
    >>> r = poisson_rate_ratio(2, 20.0, 20, 14.0)
    >>> round(r["rate_ratio"], 3)
    0.07
    """
    if time_1 <= 0 or time_0 <= 0:
        raise ValueError("Both periods need a positive person-time.")
    n = int(events_1) + int(events_0)
    method = "exact conditional Poisson"
    if n == 0:
        return {"rate_ratio": math.nan, "lower": math.nan, "upper": math.nan, "p_value": 1.0, "method": method}
    scale = time_0 / time_1
    low_p, high_p = proportion_ci(int(events_1), n, confidence=confidence)

    def ratio(p: float) -> float:
        return math.inf if p >= 1 else p / (1 - p) * scale

    estimate = ratio(events_1 / n)
    p_value = _scipy.binomtest(int(events_1), n, time_1 / (time_1 + time_0)).pvalue
    return {"rate_ratio": estimate, "lower": ratio(low_p), "upper": ratio(high_p), "p_value": float(p_value), "method": method}


def _nb_loglik(beta: np.ndarray, log_theta: float, y: np.ndarray, X: np.ndarray, offset: np.ndarray) -> float:
    theta = math.exp(log_theta)
    mu = np.exp(X @ beta + offset)
    return float(np.sum(
        special.gammaln(y + theta) - special.gammaln(theta) - special.gammaln(y + 1)
        + theta * np.log(theta / (theta + mu)) + y * np.log(mu / (theta + mu))
    ))


def _poisson_loglik(beta: np.ndarray, y: np.ndarray, X: np.ndarray, offset: np.ndarray) -> float:
    eta = X @ beta + offset
    return float(np.sum(y * eta - np.exp(eta) - special.gammaln(y + 1)))


def negative_binomial_rate_ratio(counts, exposure, exposed, *, confidence: float = 0.95) -> dict:
    """Rate ratio of ``exposed`` vs not from a negative binomial model with a person-time offset.

    Parameters
    ----------
    counts : array of int
        Episodes per patient-period (one row per patient and period).
    exposure : array of float
        Person-time of each row (> 0).
    exposed : array of bool
        True for the compared period (on treatment).

    Returns
    -------
    dict
        ``rate_ratio``, ``lower``, ``upper`` (Wald, θ at its estimate),
        ``p_value`` (Wald), ``theta`` (NB2 shape; variance μ + μ²/θ),
        ``overdispersion_p`` (likelihood ratio vs Poisson, halved),
        ``method``. NaN when a period has no episode (the model has no
        finite estimate).
    """
    y = np.asarray(counts, dtype=float)
    t = np.asarray(exposure, dtype=float)
    x = np.asarray(exposed, dtype=float)
    method = "negative binomial (NB2, log person-time offset)"
    nan = {"rate_ratio": math.nan, "lower": math.nan, "upper": math.nan, "p_value": math.nan,
           "theta": math.nan, "overdispersion_p": math.nan, "method": method}
    if (t <= 0).any():
        raise ValueError("Every patient-period needs a positive person-time.")
    if y[x == 1].sum() == 0 or y[x == 0].sum() == 0 or len(y) < 3:
        return nan
    X = np.column_stack([np.ones_like(x), x])
    offset = np.log(t)
    # Poisson fit (closed form with one binary covariate) as the start and the null of the LR test.
    rate0 = y[x == 0].sum() / t[x == 0].sum()
    rate1 = y[x == 1].sum() / t[x == 1].sum()
    beta_p = np.array([math.log(rate0), math.log(rate1 / rate0)])
    ll_p = _poisson_loglik(beta_p, y, X, offset)

    def negative(params):
        return -_nb_loglik(params[:2], params[2], y, X, offset)

    fit = optimize.minimize(negative, np.r_[beta_p, 0.0], method="BFGS", options={"gtol": 1e-10, "maxiter": 2000})
    beta, log_theta = fit.x[:2], float(fit.x[2])
    ll_nb = -float(fit.fun)
    if log_theta > 20 or ll_nb < ll_p:  # θ → ∞: no overdispersion, the NB model is the Poisson model
        beta, theta, ll_nb = beta_p, math.inf, ll_p
    else:
        theta = math.exp(log_theta)
    mu = np.exp(X @ beta + offset)
    weights = mu if math.isinf(theta) else mu / (1 + mu / theta)
    covariance = np.linalg.inv(X.T @ (weights[:, None] * X))
    se = math.sqrt(covariance[1, 1])
    z = float(_scipy.norm.ppf(0.5 + confidence / 2))
    lr = max(0.0, 2 * (ll_nb - ll_p))
    return {
        "rate_ratio": math.exp(beta[1]),
        "lower": math.exp(beta[1] - z * se),
        "upper": math.exp(beta[1] + z * se),
        "p_value": float(2 * _scipy.norm.sf(abs(beta[1] / se))),
        "theta": theta,
        "overdispersion_p": float(0.5 * _scipy.chi2.sf(lr, 1)) if lr > 0 else 1.0,
        "method": method,
    }
