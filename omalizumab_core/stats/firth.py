"""Firth-penalised logistic regression and the conditional odds ratio of a 2 x 2 table.

Small cohorts (a few dozen patients, a handful of non-responders) make the
ordinary maximum-likelihood odds ratio biased or infinite (separation). Two
exact-or-penalised methods, as a reviewer expects:

- a binary characteristic: the conditional maximum-likelihood odds ratio of
  the 2 x 2 table with its exact confidence interval and Fisher's exact p,
  what R's ``fisher.test`` prints;
- a continuous characteristic, or several at once: Firth's penalised
  logistic regression (Firth 1993; Heinze and Schemper 2002), with
  profile penalised-likelihood confidence intervals and penalised
  likelihood-ratio p-values, what R's ``logistf`` prints. Fitted by the
  maintained ``firthmodels`` package (pinned in requirements.txt), whose
  results the tests check against an independent R computation.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from omalizumab_core.stats.exact import _stats

FIRTH_COLUMNS = ["term", "coefficient", "odds_ratio", "lower", "upper", "p_value"]


def conditional_odds_ratio(table, *, confidence: float = 0.95) -> dict:
    """Conditional MLE odds ratio of a 2 x 2 table, its exact CI and Fisher's exact two-sided p.

    Parameters
    ----------
    table : array-like of int, shape (2, 2)
        [[a, b], [c, d]]: rows the exposure (first row exposed), columns the
        outcome (first column with the outcome).

    Returns
    -------
    dict
        odds_ratio, lower, upper, p_value. The odds ratio is 0 or inf when a
        cell is empty (its interval then reaches 0 or inf); all NaN when a
        row or column is empty (no comparison).

    Notes
    -----
    The conditional maximum-likelihood estimate (the noncentral
    hypergeometric distribution given the margins) and the interval that
    inverts the two one-sided exact tests, as R ``fisher.test`` prints them:
    ``scipy.stats.contingency.odds_ratio(kind="conditional")``. The p-value
    is ``scipy.stats.fisher_exact`` (two-sided: tables no more likely than
    the one observed), R's ``fisher.test`` p.

    Examples
    --------
    >>> result = conditional_odds_ratio([[10, 2], [5, 6]])  # R: fisher.test(matrix(c(10, 5, 2, 6), 2))
    >>> round(result["odds_ratio"], 4), round(result["p_value"], 4)
    (5.5064, 0.0894)
    """
    t = np.asarray(table, dtype=np.int64)
    if t.shape != (2, 2) or (t < 0).any():
        raise ValueError("table must be 2 x 2 counts of patients (no negative numbers)")
    if (t.sum(axis=0) == 0).any() or (t.sum(axis=1) == 0).any():
        return {"odds_ratio": math.nan, "lower": math.nan, "upper": math.nan, "p_value": math.nan}
    _scipy = _stats()  # imported on first use: the Response page imports this module for its optional section
    result = _scipy.contingency.odds_ratio(t, kind="conditional")
    ci = result.confidence_interval(confidence_level=confidence)
    return {
        "odds_ratio": float(result.statistic),
        "lower": float(ci.low),
        "upper": float(ci.high),
        "p_value": float(_scipy.fisher_exact(t, alternative="two-sided").pvalue),
    }


def firth_logistic(X, y, *, names=None, confidence: float = 0.95) -> pd.DataFrame:
    """Firth-penalised logistic regression: odds ratios with profile CIs and penalised LR p-values.

    Parameters
    ----------
    X : array-like of float, shape (n, k)
        Characteristics, one column each (no intercept: it is added).
    y : array-like of {0, 1}, shape (n,)
        The outcome (1 = responder).
    names : list of str, optional
        A name per column of X (default x1 .. xk).
    confidence : float
        Level of the profile-likelihood intervals.

    Returns
    -------
    DataFrame
        One row per column of X, columns ``FIRTH_COLUMNS``: term,
        coefficient (log odds ratio per unit), odds_ratio, lower, upper (its
        profile penalised-likelihood interval) and p_value (penalised
        likelihood-ratio test of coefficient 0, 1 degree of freedom).

    Raises
    ------
    ValueError
        Missing values, an outcome other than 0/1, or fewer patients than
        parameters.

    Notes
    -----
    Firth (1993) adds half the log determinant of the Fisher information to
    the log-likelihood; the estimates are finite even under separation
    (Heinze and Schemper 2002, Stat Med 21:2409-2419). The test and the
    interval of one coefficient maximise the penalised likelihood with that
    coefficient held fixed, the penalty still computed on the full design,
    as R ``logistf`` does. Computed by ``firthmodels`` 0.8.2
    (``FirthLogisticRegression``, ``lrt()``, ``conf_int(method="pl")``).

    Examples
    --------
    >>> fit = firth_logistic([[0], [0], [0], [1], [1], [1]], [0, 0, 0, 1, 1, 1], names=["exposed"])
    >>> round(float(fit["coefficient"].iloc[0]), 4)  # separated data: finite
    3.8918
    """
    from firthmodels import FirthLogisticRegression  # imported on use: it loads scikit-learn

    x = np.asarray(X, dtype="float64")
    if x.ndim == 1:
        x = x[:, None]
    target = np.asarray(y, dtype="float64").ravel()
    if np.isnan(x).any() or np.isnan(target).any():
        raise ValueError("X and y must not contain missing values: keep complete cases only")
    if not np.isin(target, (0.0, 1.0)).all():
        raise ValueError("y must be 0 (non-responder) or 1 (responder)")
    n, k = x.shape
    if n <= k + 1:
        raise ValueError(f"{n} patients for {k + 1} parameters: a logistic regression needs more patients than parameters")
    names = list(names) if names is not None else [f"x{i + 1}" for i in range(k)]
    # Tolerances tighter than the package's (and logistf's) 1e-4 defaults: a few more Newton steps.
    model = FirthLogisticRegression(max_iter=100, gtol=1e-8, xtol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x, target.astype(int))
        model.lrt(list(range(k)))
        bounds = model.conf_int(alpha=1 - confidence, method="pl", features=list(range(k)), tol=1e-8)
        p_value = np.asarray(model.lrt_pvalues_, dtype="float64")[:k].copy()
        stalled = [i for i in range(k) if np.isnan(p_value[i])]
        if stalled:
            # At 1e-8 the constrained fit of a term can stall in step-halving at the floating-point floor
            # (firthmodels leaves its p NaN); the package's own tolerance then gives the same p to 1e-8.
            relaxed = FirthLogisticRegression(max_iter=200, gtol=1e-6, xtol=1e-6)
            relaxed.fit(x, target.astype(int))
            relaxed.lrt(stalled)
            p_value[stalled] = np.asarray(relaxed.lrt_pvalues_, dtype="float64")[stalled]
    coefficient = np.asarray(model.coef_, dtype="float64")
    return pd.DataFrame({
        "term": names,
        "coefficient": coefficient,
        "odds_ratio": np.exp(coefficient),
        "lower": np.exp(bounds[:k, 0]),
        "upper": np.exp(bounds[:k, 1]),
        "p_value": p_value,
    }, columns=FIRTH_COLUMNS)


__all__ = ["conditional_odds_ratio", "firth_logistic"]
