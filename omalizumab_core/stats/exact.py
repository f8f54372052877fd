"""Small, exact statistics shared by the analyses.

Every function returns raw numbers (proportions in [0, 1], p-values); rounding
and percent strings happen in :mod:`omalizumab_core.formatting`.
"""

from __future__ import annotations

import math

import numpy as np


def proportion_ci(successes: int, total: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) confidence interval of a proportion.

    Parameters
    ----------
    successes, total : int
        Number of patients with the outcome and number of patients.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    (low, high) : tuple of float
        Bounds in [0, 1]; (nan, nan) when ``total`` is 0.

    Notes
    -----
    The interval inverts two one-sided binomial tests (Clopper and Pearson,
    1934), as ``binom.test`` in R and ``scipy.stats.binomtest(...)
    .proportion_ci(method="exact")`` do; computed by the closed form of
    :func:`proportion_ci_array`.

    Examples
    --------
    >>> low, high = proportion_ci(43, 55)
    >>> round(low, 4), round(high, 4)
    (0.6499, 0.8819)
    """
    low, high = proportion_ci_array([successes], [total], confidence=confidence)
    return (float(low[0]), float(high[0]))


def proportion_ci_array(successes, totals, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper–Pearson) intervals of many proportions at once.

    Parameters
    ----------
    successes, totals : array-like of int
        Patients with the outcome and patients, element by element.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    (low, high) : tuple of arrays
        Bounds in [0, 1]; NaN where the total is 0.

    Notes
    -----
    The same interval as :func:`proportion_ci`, by its closed form: the
    lower bound is the alpha/2 quantile of Beta(k, n - k + 1) (0 when
    k = 0) and the upper bound the 1 - alpha/2 quantile of Beta(k + 1, n - k)
    (1 when k = n), as R's ``binom.test`` computes it with ``qbeta``. No
    root finding, so a table of rates over 100,000 patients stays instant.

    Examples
    --------
    >>> low, high = proportion_ci_array([43, 0], [55, 0])
    >>> [round(float(x), 4) for x in (low[0], high[0])], bool(np.isnan(low[1]))
    ([0.6499, 0.8819], True)
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(totals, dtype=float)
    alpha = (1 - confidence) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k > 0, _special().betaincinv(np.maximum(k, 1), n - k + 1, alpha), 0.0)
        high = np.where(k < n, _special().betaincinv(k + 1, np.maximum(n - k, 1), 1 - alpha), 1.0)
    empty = n <= 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def wilson_ci(successes: int, total: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (without continuity correction).

    Parameters
    ----------
    successes, total : int
        Number of patients with the outcome and number of patients.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    (low, high) : tuple of float
        Bounds in [0, 1]; (nan, nan) when ``total`` is 0.

    Notes
    -----
    Wilson (1927); method 3 of Newcombe (1998, Stat Med 17:857-872). It is the
    building block of :func:`difference_ci`; single rates in the tables use
    the exact :func:`proportion_ci`.

    Examples
    --------
    >>> low, high = wilson_ci(43, 55)
    >>> round(low, 4), round(high, 4)
    (0.6563, 0.8705)
    """
    if total == 0:
        return (float("nan"), float("nan"))
    n = float(total)
    p = successes / n
    z = float(_special().ndtri(0.5 + confidence / 2))
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # At p = 0 or 1 one bound is exactly 0 or 1; clip rounding noise.
    return (max(0.0, centre - half) if successes > 0 else 0.0, min(1.0, centre + half) if successes < total else 1.0)


def difference_ci(k1: int, n1: int, k2: int, n2: int, confidence: float = 0.95) -> tuple[float, float]:
    """Newcombe hybrid score interval for the difference of two proportions.

    Parameters
    ----------
    k1, n1 : int
        Patients with the outcome and patients in the first group.
    k2, n2 : int
        The same in the second group.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    (low, high) : tuple of float
        Bounds of p1 - p2 in [-1, 1]; (nan, nan) when either group is empty.

    Notes
    -----
    Method 10 of Newcombe (1998, "Interval estimation for the difference
    between independent proportions: comparison of eleven methods", Stat Med
    17:873-890): with (l1, u1) and (l2, u2) the Wilson score intervals of p1
    and p2, ``low = d - sqrt((p1 - l1)^2 + (u2 - p2)^2)`` and
    ``high = d + sqrt((u1 - p1)^2 + (p2 - l2)^2)`` where d = p1 - p2. It keeps
    its coverage in small groups, where the Wald interval does not.

    Examples
    --------
    >>> low, high = difference_ci(56, 70, 48, 80)  # Newcombe 1998, Table II, example (a)
    >>> round(low, 4), round(high, 4)
    (0.0524, 0.3339)
    """
    if n1 == 0 or n2 == 0:
        return (float("nan"), float("nan"))
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_ci(k1, n1, confidence=confidence)
    l2, u2 = wilson_ci(k2, n2, confidence=confidence)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (max(-1.0, low), min(1.0, high))


def fisher_exact_test(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided Fisher exact test that two proportions are equal.

    Parameters
    ----------
    k1, n1, k2, n2 : int
        Patients with the outcome and patients in each group.

    Returns
    -------
    float
        Two-sided p-value (nan when either group is empty).

    Notes
    -----
    ``scipy.stats.fisher_exact`` on the 2 x 2 table [[k1, n1 - k1],
    [k2, n2 - k2]]: the two-sided p-value sums the probabilities of every
    table, given the margins, no more likely than the one observed, as R's
    ``fisher.test`` does.

    Examples
    --------
    >>> round(fisher_exact_test(34, 41, 9, 14), 3)  # primary vs idiopathic MCAS, Table 2
    0.259
    """
    if n1 == 0 or n2 == 0:
        return float("nan")
    table = [[int(k1), int(n1 - k1)], [int(k2), int(n2 - k2)]]
    return float(_stats().fisher_exact(table, alternative="two-sided").pvalue)


def _special():
    """scipy.special, imported on first use.

    ``betaincinv(a, b, q)`` is the quantile that ``scipy.stats.beta.ppf(q, a,
    b)`` returns and ``ndtri`` that of ``scipy.stats.norm.ppf``, bit for bit
    (both call the same Boost routines; checked on every k of n up to 400 and
    beyond); scipy.stats costs a second more to import, which the
    dashboard's first page paid (issue 21).
    """
    from scipy import special

    return special


def _stats():
    """scipy.stats, imported on first use: a second of the dashboard's cold start otherwise (issue 21)."""
    from scipy import stats

    return stats
