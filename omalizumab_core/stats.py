"""Small, exact statistics shared by the analyses.

Every function returns raw numbers (proportions in [0, 1], p-values); rounding
and percent strings happen in :mod:`omalizumab_core.formatting`.
"""

from __future__ import annotations

from scipy import stats as _scipy


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
    .proportion_ci(method="exact")`` do.

    Examples
    --------
    >>> low, high = proportion_ci(43, 55)
    >>> round(low, 4), round(high, 4)
    (0.6499, 0.8818)
    """
    if total == 0:
        return (float("nan"), float("nan"))
    interval = _scipy.binomtest(int(successes), int(total)).proportion_ci(confidence_level=confidence, method="exact")
    return (float(interval.low), float(interval.high))
