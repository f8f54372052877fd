"""Multiple-testing adjustment and the paper's significance stars.

Figure 1 of Lemal et al. (2019) tests every symptom separately (Wilcoxon
signed-rank test, two-tailed) and marks each comparison with stars, without
adjusting for the number of symptoms tested. The dashboard reports the raw
p-value and, beside it, a p-value adjusted over the whole table, so a reader
can see which symptoms stay significant once some 30 tests are made at once.

The adjustments follow R's ``stats::p.adjust`` (src/library/stats/R/p.adjust.R
in the R sources), including its handling of missing p-values: they stay
missing and are not counted among the tests.
"""

from __future__ import annotations

import numpy as np

from omalizumab_core.formatting import stars as _stars

ADJUSTMENTS = ("holm", "bh", "none")
ADJUSTMENT_LABELS = {
    "holm": "Holm (family-wise error rate)",
    "bh": "Benjamini–Hochberg (false discovery rate)",
    "none": "None (as in the paper)",
}


def adjust_pvalues(p, method: str = "holm") -> np.ndarray:
    """P-values adjusted for multiple testing, in the order given.

    Parameters
    ----------
    p : array-like of float
        Raw p-values; NaN for a test that could not be made.
    method : {"holm", "bh", "none"}
        "holm": Holm's step-down procedure, which controls the family-wise
        error rate (the chance of at least one false positive) whatever the
        dependence between tests. "bh": Benjamini–Hochberg step-up, which
        controls the false discovery rate (the expected share of false
        positives among the significant tests) for independent or positively
        dependent tests. "none": the raw p-values.

    Returns
    -------
    ndarray of float
        Adjusted p-values, same length and order as ``p``, capped at 1, NaN
        where ``p`` is NaN.

    Notes
    -----
    With the m non-missing p-values sorted ascending, p(1) <= ... <= p(m):

    - Holm: p~(i) = min(1, max over j <= i of (m - j + 1) p(j));
    - BH: p~(i) = min(1, min over j >= i of m p(j) / j).

    As in R's ``p.adjust`` (whose default ``n = length(p)`` is evaluated after
    the NAs are dropped), m counts only the non-missing p-values. The
    adjusted p-value of a test does not depend on how ties among the raw
    p-values are ordered.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, 0.03, 0.005], "holm").round(3).tolist()
    [0.03, 0.06, 0.06, 0.02]
    """
    if method not in ADJUSTMENTS:
        raise ValueError(f"method must be one of {ADJUSTMENTS}, not {method!r}")
    values = np.asarray(p, dtype="float64").ravel()
    out = np.full(values.shape, np.nan)
    present = ~np.isnan(values)
    given = values[present]
    m = len(given)
    if m == 0:
        return out
    if method == "none":
        out[present] = given
        return out
    order = np.argsort(given, kind="stable")
    ranked = given[order]
    i = np.arange(1, m + 1)
    if method == "holm":
        adjusted = np.maximum.accumulate((m - i + 1) * ranked)
    else:
        # Step-up: the running minimum is taken from the largest p-value down.
        adjusted = np.minimum.accumulate((m / i * ranked)[::-1])[::-1]
    result = np.empty(m)
    result[order] = np.minimum(adjusted, 1.0)
    out[present] = result
    return out


def significance_stars(p):
    """The paper's star notation for one p-value or an array of them.

    Parameters
    ----------
    p : float or array-like of float

    Returns
    -------
    str or ndarray of str
        "***" if p < 0.001, "**" if p < 0.01, "*" if p < 0.05, "ns"
        otherwise, and "–" for a missing p-value (no test).

    Notes
    -----
    Figure 1's legend: "ns: > 0.05; *: p < 0.05; **: p < 0.01; ***: p <
    0.001", and the Methods: "p-values were considered statistically
    significant if below 0.05". The thresholds are strict, so p = 0.05
    exactly is "ns", p = 0.01 exactly is "*" and p = 0.001 exactly is "**".

    Examples
    --------
    >>> significance_stars([0.0004, 0.003, 0.049, 0.05]).tolist()
    ['***', '**', '*', 'ns']
    """
    if np.ndim(p) == 0:
        return _stars(float(p))
    return np.array([_stars(float(x)) for x in np.asarray(p, dtype="float64").ravel()], dtype=object)
