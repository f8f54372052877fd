"""Random-effects pooling of proportions across studies (DerSimonian–Laird).

Proportions are pooled on the logit scale, the usual choice for response
rates (Cochrane Handbook 10.10.4; Schwarzer et al., *Meta-Analysis with R*,
2015, ch. 9): each study contributes ``logit(x/n)`` with variance
``1/x + 1/(n − x)``, with 0.5 added to both cells of a study whose count is 0
or n (metafor's ``escalc(measure="PLO")`` default). The between-study
variance τ² is the DerSimonian–Laird moment estimate, truncated at 0
(DerSimonian & Laird, Control Clin Trials 1986;7:177–88). The prediction
interval for the rate of a new study is Higgins, Thompson & Spiegelhalter's
(J R Stat Soc A 2009;172:137–59): ``μ ± t(k−2) · sqrt(τ² + SE(μ)²)``, which
needs at least 3 studies.

statsmodels' ``combine_effects(method_re="chi2")`` does not truncate τ² at 0
(it returns negative weights when Q < k − 1), so the few lines of the
estimator are written here and checked against R metafor's
``rma(measure="PLO", method="DL")`` in tests/test_meta_analysis.py.
"""

from __future__ import annotations

import math

import numpy as np

from omalizumab_core.data.problems import TooFewPatients
from omalizumab_core.stats.exact import _special


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def pooled_proportion(events, totals, *, confidence: float = 0.95) -> dict:
    """Random-effects (DerSimonian–Laird) pooled proportion with CI and prediction interval.

    Parameters
    ----------
    events, totals : sequences of int, length k ≥ 2
        Responders and patients of each study (0 ≤ events ≤ totals, totals ≥ 1).
    confidence : float
        Level of the confidence and prediction intervals.

    Returns
    -------
    dict
        ``rate``, ``lower``, ``upper`` (the pooled proportion and its CI, back-
        transformed from the logit scale); ``prediction_lower``,
        ``prediction_upper`` (NaN when k < 3); ``logit``, ``se`` (logit
        scale); ``tau2``, ``i2`` (%, Higgins & Thompson 2002), ``q``,
        ``q_p_value`` (Cochran's Q test of homogeneity), ``k``, ``method``.

    Raises
    ------
    TooFewPatients
        With fewer than two studies, or a study without patients.
    ValueError
        When a count is negative or above its total.

    Examples
    --------
    >>> r = pooled_proportion([43, 11, 22], [55, 13, 28])
    >>> round(r["rate"], 3), r["k"]
    (0.791, 3)
    """
    x = np.asarray(events, dtype=float)
    n = np.asarray(totals, dtype=float)
    if x.shape != n.shape or x.ndim != 1:
        raise ValueError("events and totals must be two sequences of the same length")
    if len(x) < 2:
        raise TooFewPatients("Pooling needs at least two studies.")
    if (n < 1).any():
        raise TooFewPatients("Every study needs at least one patient to be pooled.")
    if (x < 0).any() or (x > n).any():
        raise ValueError("Each study's responders must be between 0 and its number of patients.")
    edge = (x == 0) | (x == n)
    x_c = np.where(edge, x + 0.5, x)
    n_c = np.where(edge, n + 1.0, n)
    y = np.log(x_c / (n_c - x_c))
    v = 1.0 / x_c + 1.0 / (n_c - x_c)

    k = len(y)
    w = 1.0 / v
    fixed = float(np.sum(w * y) / np.sum(w))
    q = float(np.sum(w * (y - fixed) ** 2))
    c = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    tau2 = max(0.0, (q - (k - 1)) / c)
    w_re = 1.0 / (v + tau2)
    mu = float(np.sum(w_re * y) / np.sum(w_re))
    se = math.sqrt(1.0 / float(np.sum(w_re)))
    # The routines scipy.stats' norm.ppf, t.ppf and chi2.sf call, without importing scipy.stats (0.5 s):
    # the Literature page's first display waited for that import.
    special = _special()
    z = float(special.ndtri(0.5 + confidence / 2))
    if k >= 3:
        t = float(special.stdtrit(k - 2, 0.5 + confidence / 2))
        half = t * math.sqrt(tau2 + se**2)
        prediction = (_expit(mu - half), _expit(mu + half))
    else:
        prediction = (math.nan, math.nan)
    return {
        "rate": _expit(mu),
        "lower": _expit(mu - z * se),
        "upper": _expit(mu + z * se),
        "prediction_lower": prediction[0],
        "prediction_upper": prediction[1],
        "logit": mu,
        "se": se,
        "tau2": tau2,
        "i2": max(0.0, (q - (k - 1)) / q) * 100 if q > 0 else 0.0,
        "q": q,
        "q_p_value": float(special.chdtrc(k - 1, q)),
        "k": k,
        "method": "DerSimonian-Laird random effects, logit scale",
    }
