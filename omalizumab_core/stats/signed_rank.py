"""The Wilcoxon signed-rank test of the whole product, and the effect sizes printed beside it.

One rule for every paired comparison (symptom scores, tryptase, total IgE):

- zero differences are dropped (Wilcoxon's rule, R ``wilcox.test``, GraphPad
  Prism) unless ``zero_method="pratt"`` (Pratt 1959: zeros are ranked with
  the others, then their ranks left out of the statistic);
- tied absolute differences get mid-ranks;
- the p-value is two-sided and **exact** up to ``EXACT_MAX_PAIRS`` ranked
  differences, ties or not: the exact conditional (permutation) distribution
  of the sum of positive ranks given the observed ranks, counted by dynamic
  programming over the doubled mid-ranks (all 2^n sign patterns, without
  enumerating them). Above that size, the normal approximation with tie
  and continuity correction (R ``wilcox.test(exact = FALSE, correct = TRUE)``).

GraphPad Prism computes the exact p below 200 pairs; the counting here takes
at most about 0.1 s at 500 pairs, so the exact p is used up to 500.

Effect sizes (:func:`paired_effect_sizes`): the median of the differences;
the Hodges–Lehmann estimate (median of the Walsh averages) with its
distribution-free confidence interval; the mean difference with its t
interval; and, for positive measurements such as tryptase and IgE,
:func:`geometric_mean_ratio` (paired t on the log scale).

Every function returns raw numbers; rounding is in :mod:`omalizumab_core.formatting`.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
from scipy import special as _special

EXACT_MAX_PAIRS = 500
ZERO_METHODS = ("wilcox", "pratt")
WALSH_MAX_PAIRS = 20_000_000  # distinct-value pairs beyond which the Hodges–Lehmann estimate is not computed
SIGNED_RANK_COLUMNS = [
    "n", "n_ranked", "statistic", "p_value", "method",
    "median_difference", "hodges_lehmann", "hl_lower", "hl_upper",
    "mean_difference", "mean_lower", "mean_upper",
]
EFFECT_COLUMNS = SIGNED_RANK_COLUMNS[5:]
RATIO_COLUMNS = ["geometric_mean_ratio", "gmr_lower", "gmr_upper"]


def _differences(differences) -> np.ndarray:
    d = np.asarray(differences, dtype="float64").ravel()
    if np.isnan(d).any():
        raise ValueError("differences contain missing values (NaN): drop the unpaired patients first")
    return d


def _mid_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given the mean of their ranks (``scipy.stats.rankdata``'s "average").

    From pandas, already loaded: scipy.stats costs the page that first
    needs a test about 0.6 s of imports (issue 21). The quantiles and
    tails below come from ``scipy.special`` (``ndtr``, ``ndtri``,
    ``stdtrit``), the routines ``scipy.stats.norm`` and ``scipy.stats.t``
    call.
    """
    if len(values) == 0:
        return np.array([])
    # Quarter-point scores (the symptom score's steps): counted, not sorted. values * 4 is exact
    # (a power of two), so equal quarters are equal values and the mid-ranks are the same halves.
    quarters = np.asarray(values, dtype="float64") * 4.0
    whole = np.rint(quarters)
    if np.array_equal(quarters, whole) and whole.max() - whole.min() <= _COUNTED_RANKS_MAX:
        codes = (whole - whole.min()).astype(np.int64)
        counts = np.bincount(codes)
        return (np.cumsum(counts) - (counts - 1) / 2)[codes]
    return pd.Series(values).rank(method="average").to_numpy(dtype="float64")


_COUNTED_RANKS_MAX = 1 << 20  # quarter steps between the smallest and largest value counted directly


def _lower_tail_counts(doubled: np.ndarray, limit: int) -> np.ndarray:
    """Number of sign patterns whose sum of doubled positive ranks is s, for s = 0 .. limit.

    Counts, not probabilities: at most 2^EXACT_MAX_PAIRS, within float64's range
    (about 2^1023), and integers below 2^53 stay exact.
    """
    counts = np.zeros(limit + 1, dtype=np.float64)
    counts[0] = 1.0
    for r in doubled.tolist():  # each rank positive (shift by r) or negative
        if r <= limit:
            counts[r:] += counts[: limit + 1 - r].copy()
    return counts


def signed_rank_test(differences, *, zero_method: str = "wilcox") -> dict:
    """Two-sided Wilcoxon signed-rank test of paired differences (on-treatment minus baseline).

    Parameters
    ----------
    differences : array-like of float, shape (n,)
        One difference per patient; no missing values.
    zero_method : {"wilcox", "pratt"}
        "wilcox" (default): zero differences are dropped before ranking, as
        Wilcoxon (1945), R ``wilcox.test`` and GraphPad Prism do. "pratt":
        zeros are ranked with the other differences, then their ranks are
        left out of the statistic (Pratt 1959).

    Returns
    -------
    dict
        n (differences given), n_ranked (non-zero differences whose signs
        count), statistic (V, the sum of the ranks of the positive
        differences, R's ``V``), p_value (two-sided; NaN with fewer than 2
        non-zero differences) and method ("exact" or "normal").

    Notes
    -----
    The rule: with at most ``EXACT_MAX_PAIRS`` (500) non-zero differences
    the p-value is exact: ``2 * min(P(V >= v), P(V <= v))`` (capped at 1)
    under the conditional null distribution given the observed mid-ranks,
    every sign pattern having probability 2^-n. Mid-ranks are halves, so
    the distribution is counted exactly on doubled ranks. It equals
    ``exactRankTests::wilcox.exact`` and ``coin::wilcoxsign_test(distribution
    = "exact")`` in R, and without ties R's ``psignrank``. Above 500, the
    normal approximation with the tie-corrected variance and a continuity
    correction of 1/2, as R's ``wilcox.test(exact = FALSE, correct = TRUE)``.
    With Pratt's method and the normal approximation, the mean and variance
    are those of the ranks actually signed (scipy's "pratt").
    With fewer than 2 non-zero differences there is no test (NaN): with one
    the only two-sided p-value is 1.

    Examples
    --------
    >>> result = signed_rank_test([-0.25] * 14)  # 14 patients all improved by a quarter point
    >>> result["p_value"] == 2 / 2**14, result["method"]
    (True, 'exact')
    """
    if zero_method not in ZERO_METHODS:
        raise ValueError(f"zero_method must be one of {ZERO_METHODS}, not {zero_method!r}")
    d = _differences(differences)
    n = len(d)
    if zero_method == "wilcox":
        d = d[d != 0]
        ranks = _mid_ranks(np.abs(d))
    else:
        ranks = _mid_ranks(np.abs(d))
        ranks, d = ranks[d != 0], d[d != 0]
    n_ranked = len(d)
    statistic = float(ranks[d > 0].sum())
    out = {"n": n, "n_ranked": n_ranked, "statistic": statistic, "p_value": float("nan"), "method": "exact"}
    if n_ranked < 2:
        return out
    if n_ranked <= EXACT_MAX_PAIRS:
        doubled = np.rint(2 * ranks).astype(np.int64)  # mid-ranks are halves: doubled, integers
        observed = int(round(2 * statistic))
        # The distribution is symmetric (V and sum - V): the smaller tail is P(V <= min(v, sum - v)).
        nearer = min(observed, int(doubled.sum()) - observed)
        tail = float(_lower_tail_counts(doubled, nearer).sum()) * 2.0**-n_ranked
        out["p_value"] = float(min(1.0, 2 * tail))
        return out
    mean = ranks.sum() / 2
    variance = float((ranks**2).sum()) / 4  # tie-corrected: sum of squared mid-ranks over 4
    z = statistic - mean
    z = (z - math.copysign(0.5, z) if z != 0 else 0.0) / math.sqrt(variance)
    out.update(p_value=float(min(1.0, 2 * _special.ndtr(-abs(z)))), method="normal")
    return out


@functools.lru_cache(maxsize=256)
def _signed_rank_quantile(n: int, alpha: float) -> int:
    """R's ``qsignrank(alpha, n)``: the smallest v with P(V <= v) >= alpha, no ties (normal beyond 500)."""
    mean = n * (n + 1) / 4
    sd = math.sqrt(n * (n + 1) * (2 * n + 1) / 24)
    if n > EXACT_MAX_PAIRS:
        return int(math.floor(mean + _special.ndtri(alpha) * sd))
    ranks = np.arange(1, n + 1, dtype=np.int64)
    # Count only up to 3 standard deviations past the normal quantile; if the exact
    # quantile lies beyond (it does not, but it is checked), count up to the mean.
    for limit in (min(int(mean), int(mean + (_special.ndtri(alpha) + 3) * sd)), int(mean)):
        cumulative = np.cumsum(_lower_tail_counts(ranks, max(limit, 0))) * 2.0**-n
        k = int(np.searchsorted(cumulative, alpha * (1 - 1e-12)))
        if k < len(cumulative):
            return k
    return int(mean)


def hodges_lehmann(differences, *, confidence: float = 0.95) -> tuple[float, float, float]:
    """Hodges–Lehmann estimate of the median difference and its signed-rank confidence interval.

    Parameters
    ----------
    differences : array-like of float, shape (n,)
        All paired differences, zeros included.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    (estimate, lower, upper) : tuple of float
        NaN when there are no differences, or more than 20 million pairs of
        distinct values (the Walsh averages would not fit in memory).

    Notes
    -----
    The estimate is the median of the n(n + 1)/2 Walsh averages
    (d_i + d_j)/2, i <= j (Hodges and Lehmann 1963). The interval is
    [W_(k), W_(N + 1 - k)] with N = n(n + 1)/2 and k = R's
    ``qsignrank(alpha/2, n)`` (at least 1), the order statistics of the
    Walsh averages that invert the signed-rank test (Hollander, Wolfe and
    Chicken 2014, section 3.3). Without ties or zeros this is exactly what R
    ``wilcox.test(d, conf.int = TRUE)`` returns. With ties or zeros (scores
    in quarters have many) the same closed interval is kept, computed on all
    differences including zeros; for discrete data it covers at least the
    nominal level. (R drops the zeros and switches to an asymptotic interval
    there.) Walsh averages are counted over distinct values with their
    multiplicities, so tied scores cost nothing.

    Examples
    --------
    >>> estimate, lower, upper = hodges_lehmann([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    >>> estimate, lower, upper  # R: wilcox.test(1:7, conf.int = TRUE)
    (4.0, 2.0, 6.0)
    """
    d = _differences(differences)
    n = len(d)
    if n == 0:
        return (float("nan"), float("nan"), float("nan"))
    values, counts = np.unique(d, return_counts=True)
    m = len(values)
    if m * (m + 1) // 2 > WALSH_MAX_PAIRS:
        return (float("nan"), float("nan"), float("nan"))
    total = n * (n + 1) // 2
    walsh = _WalshAverages(values, counts)
    order_statistic = walsh.order_statistic  # the k-th smallest Walsh average, 1-based

    if total % 2:
        estimate = order_statistic((total + 1) // 2)
    else:
        estimate = (order_statistic(total // 2) + order_statistic(total // 2 + 1)) / 2
    k = max(1, _signed_rank_quantile(n, (1 - confidence) / 2))
    return (estimate, order_statistic(k), order_statistic(total + 1 - k))


_PIVOT_SAMPLE = 1024  # Walsh averages sampled to place a pivot near the k-th
_LISTED_PAIRS = 4096  # up to this many pairs of distinct values (symptom scores have a handful), list and sort them


class _WalshAverages:
    """Order statistics of the Walsh averages (v_i + v_j)/2, i <= j, of distinct values with multiplicities.

    Selection without listing the m(m + 1)/2 averages (issue 21: sorting 18
    million averages of the lab values of 100,000 patients took seconds):
    for a sorted ``values``, each row i's averages over j >= i increase with
    j, so the averages at or below a pivot are, row by row, a prefix found by
    bisection. A pivot drawn among the remaining candidates halves them on
    average; about 40 pivots find the k-th. Every average is computed as
    ``(values[i] + values[j]) / 2``, as a sorted list of them would hold it,
    so the value returned is that list's k-th, bit for bit.
    """

    def __init__(self, values: np.ndarray, counts: np.ndarray):
        self.values = np.asarray(values, dtype="float64")
        self.counts = np.asarray(counts, dtype=np.int64)
        self.before = np.concatenate(([0], np.cumsum(self.counts)))  # multiplicity of values[:x]
        self.rows = np.arange(len(self.values))

    def _listed_order_statistic(self, k: int) -> float:
        """The k-th from the sorted list of the distinct pairs' averages with their multiplicities (few pairs)."""
        if not hasattr(self, "_listed"):
            i, j = np.triu_indices(len(self.values))
            averages = (self.values[i] + self.values[j]) / 2
            weights = np.where(i == j, self.counts[i] * (self.counts[i] + 1) // 2, self.counts[i] * self.counts[j])
            order = np.argsort(averages, kind="stable")
            self._listed = (averages[order], np.cumsum(weights[order]))
        averages, cumulative = self._listed
        return float(averages[int(np.searchsorted(cumulative, k))])

    def _weight(self, start: np.ndarray, stop: np.ndarray) -> int:
        """Number of (multiplicity-weighted) pairs of each row i with j in [start_i, stop_i), start_i >= i."""
        c, before, rows = self.counts, self.before, self.rows
        some = stop > start
        diagonal = some & (start == rows)
        off_start = np.where(diagonal, rows + 1, start)
        weight = c * (before[np.maximum(stop, off_start)] - before[off_start]) + np.where(diagonal, c * (c + 1) // 2, 0)
        return int(weight[some].sum())

    def _first_above(self, pivot: float, start: np.ndarray, stop: np.ndarray, *, strictly: bool) -> np.ndarray:
        """Per row, the first j in [start, stop) whose average is > pivot (>= pivot if not ``strictly``)."""
        v, rows = self.values, self.rows
        low, high = start.copy(), stop.copy()
        last = len(v) - 1
        while True:
            active = low < high
            if not active.any():
                return low
            middle = (low + high) // 2
            average = (v[rows] + v[np.minimum(middle, last)]) / 2
            below = (average <= pivot) if strictly else (average < pivot)
            right = active & below
            low = np.where(right, middle + 1, low)
            high = np.where(active & ~below, middle, high)

    def _pivot(self, k: int, counted: int, start: np.ndarray, stop: np.ndarray, rng, step: int) -> float:
        """A remaining Walsh average to split the candidates at.

        With many candidates left, a sample of them estimates (weighted by
        multiplicity) where the k-th lies, and the pivots alternate just below
        and just above that estimate: the k-th is then bracketed and most
        candidates go in two steps (Floyd and Rivest 1975). Otherwise one
        candidate drawn at random. Any remaining average is a valid pivot.
        """
        v, c = self.values, self.counts
        sizes = np.maximum(stop - start, 0)
        cumulative = np.cumsum(sizes)
        total = int(cumulative[-1])
        if total <= 4 * _PIVOT_SAMPLE:
            pick = int(rng.integers(total))
            row = int(np.searchsorted(cumulative, pick, side="right"))
            return (v[row] + v[int(start[row] + pick - (cumulative[row] - sizes[row]))]) / 2
        picks = rng.integers(total, size=_PIVOT_SAMPLE)
        rows = np.searchsorted(cumulative, picks, side="right")
        columns = start[rows] + picks - (cumulative[rows] - sizes[rows])
        averages = (v[rows] + v[columns]) / 2
        weights = np.where(rows == columns, c[rows] * (c[rows] + 1) // 2, c[rows] * c[columns]).astype("float64")
        order = np.argsort(averages, kind="stable")
        share = np.cumsum(weights[order]) / weights.sum()
        target = (k - counted) / self._weight(start, stop)
        margin = 2.5 / math.sqrt(_PIVOT_SAMPLE)
        at = int(np.searchsorted(share, target - margin if step % 2 == 0 else target + margin))
        return float(averages[order[min(at, len(order) - 1)]])

    def order_statistic(self, k: int) -> float:
        m = len(self.values)
        if m * (m + 1) // 2 <= _LISTED_PAIRS:
            return self._listed_order_statistic(k)
        start, stop = self.rows.copy(), np.full(m, m)
        counted = 0  # weight of the pairs known to lie below every candidate
        rng = np.random.default_rng(0)  # pivots only change the speed, never the result
        step = 0
        while True:
            pivot = self._pivot(k, counted, start, stop, rng, step)
            step += 1
            below = self._first_above(pivot, start, stop, strictly=False)  # averages < pivot end here
            upto = self._first_above(pivot, below, stop, strictly=True)  # averages <= pivot end here
            weight_below = counted + self._weight(start, below)
            weight_upto = weight_below + self._weight(below, upto)
            if weight_below < k <= weight_upto:
                return float(pivot)
            if k <= weight_below:
                stop = below
            else:
                counted, start = weight_upto, upto


def mean_difference_ci(differences, *, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of the differences with its t confidence interval (the paired t-test's interval).

    Returns (mean, lower, upper); the bounds are NaN with fewer than 2
    differences, and equal to the mean when every difference is the same.

    Examples
    --------
    >>> mean, lower, upper = mean_difference_ci([1.0, 2.0, 3.0])
    >>> mean, round(lower, 4), round(upper, 4)  # R: t.test(c(1, 2, 3))$conf.int
    (2.0, -0.4841, 4.4841)
    """
    d = _differences(differences)
    if len(d) == 0:
        return (float("nan"), float("nan"), float("nan"))
    mean = float(d.mean())
    if len(d) < 2:
        return (mean, float("nan"), float("nan"))
    half = float(_special.stdtrit(len(d) - 1, 0.5 + confidence / 2)) * float(d.std(ddof=1)) / math.sqrt(len(d))
    return (mean, mean - half, mean + half)


def paired_t_p_value(before, on) -> float:
    """Two-sided p-value of the paired t-test of ``on - before`` (Student 1908).

    Parameters
    ----------
    before, on : array-like of float, shape (n,)
        Paired measurements, no missing values.

    Returns
    -------
    float
        ``2 P(T_{n-1} >= |t|)`` with ``t = mean(d) / (sd(d) / sqrt(n))``, as
        R ``t.test(on, before, paired = TRUE)`` and ``scipy.stats.ttest_rel``;
        NaN with fewer than 2 pairs or when every difference is 0; 0 when the
        differences are equal and not 0 (no variance to test against).

    Notes
    -----
    The tail is ``scipy.special.stdtr``, which ``scipy.stats.t.sf`` calls:
    the Biology and Publication pages need this one p-value, and importing
    scipy.stats for it cost the first of them about 0.6 s (issue 21).

    Examples
    --------
    >>> round(paired_t_p_value([0.0, 1.5], [1.0, 2.0]), 6)  # R: t.test(c(1, 2), c(0, 1.5), paired = TRUE)$p.value
    0.204833
    """
    d = np.asarray(on, dtype="float64").ravel() - np.asarray(before, dtype="float64").ravel()
    n = len(d)
    if n < 2 or np.isnan(d).any():
        return float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        t = d.mean() / math.sqrt(d.var(ddof=1) / n)
    return float(2 * _special.stdtr(n - 1, -abs(t)))


def paired_effect_sizes(differences, *, confidence: float = 0.95) -> dict:
    """The effect sizes printed beside a paired p-value (keys ``EFFECT_COLUMNS``).

    median_difference (of all differences, zeros included), hodges_lehmann
    with hl_lower and hl_upper (:func:`hodges_lehmann`), mean_difference
    with mean_lower and mean_upper (:func:`mean_difference_ci`). All NaN
    without differences.

    Examples
    --------
    >>> effects = paired_effect_sizes([-1.0, -0.75, -0.75, 0.0])
    >>> effects["median_difference"], effects["hodges_lehmann"]
    (-0.75, -0.75)
    """
    d = _differences(differences)
    estimate, lower, upper = hodges_lehmann(d, confidence=confidence)
    mean, mean_lower, mean_upper = mean_difference_ci(d, confidence=confidence)
    return {
        "median_difference": float(np.median(d)) if len(d) else float("nan"),
        "hodges_lehmann": estimate,
        "hl_lower": lower,
        "hl_upper": upper,
        "mean_difference": mean,
        "mean_lower": mean_lower,
        "mean_upper": mean_upper,
    }


def geometric_mean_ratio(before, on, *, confidence: float = 0.95) -> dict:
    """Geometric mean of the ratios on / before with its paired t interval on the log scale.

    Parameters
    ----------
    before, on : array-like of float, shape (n,)
        Paired positive measurements (e.g. serum tryptase in ng/mL).

    Returns
    -------
    dict
        geometric_mean_ratio, gmr_lower, gmr_upper: exp of the mean of
        log(on / before) and of its t interval (the paired t-test on log
        values). All NaN when a value is zero or negative (no logarithm) or
        there are no pairs; bounds NaN with fewer than 2 pairs.

    Examples
    --------
    >>> ratio = geometric_mean_ratio([10.0, 20.0, 40.0], [20.0, 30.0, 100.0])
    >>> [round(ratio[c], 3) for c in RATIO_COLUMNS]  # R: exp(t.test(log(on), log(before), paired = TRUE)$conf.int)
    [1.957, 1.036, 3.698]
    """
    b = np.asarray(before, dtype="float64").ravel()
    o = np.asarray(on, dtype="float64").ravel()
    if len(b) == 0 or not (np.all(b > 0) and np.all(o > 0)):
        return dict.fromkeys(RATIO_COLUMNS, float("nan"))
    mean, lower, upper = mean_difference_ci(np.log(o) - np.log(b), confidence=confidence)
    return {"geometric_mean_ratio": math.exp(mean), "gmr_lower": math.exp(lower), "gmr_upper": math.exp(upper)}


def wilcoxon_signed_rank(before, on, *, zero_method: str = "wilcox", confidence: float = 0.95) -> pd.DataFrame:
    """Paired comparison of two measurements: the signed-rank test and its effect sizes, as one tidy row.

    Parameters
    ----------
    before, on : array-like of float, shape (n,)
        The paired values (baseline and under treatment), no missing values.
    zero_method : {"wilcox", "pratt"}
        See :func:`signed_rank_test`.
    confidence : float
        Level of the confidence intervals.

    Returns
    -------
    DataFrame
        One row, columns ``SIGNED_RANK_COLUMNS``: n, n_ranked, statistic (V),
        p_value, method ("exact" up to 500 non-zero differences, else
        "normal"), then the effect sizes of on − before
        (:func:`paired_effect_sizes`).

    Raises
    ------
    ValueError
        When the two arrays differ in length or contain missing values.

    Examples
    --------
    >>> row = wilcoxon_signed_rank([1.0] * 14, [0.75] * 14).iloc[0]
    >>> float(row["p_value"]) == 2 / 2**14, float(row["hodges_lehmann"])
    (True, -0.25)
    """
    b = np.asarray(before, dtype="float64").ravel()
    o = np.asarray(on, dtype="float64").ravel()
    if len(b) != len(o):
        raise ValueError(f"before and on must have one value per patient each: {len(b)} and {len(o)} values given")
    d = o - b
    row = {**signed_rank_test(d, zero_method=zero_method), **paired_effect_sizes(d, confidence=confidence)}
    return pd.DataFrame([row], columns=SIGNED_RANK_COLUMNS)


__all__ = [
    "EXACT_MAX_PAIRS",
    "signed_rank_test",
    "hodges_lehmann",
    "mean_difference_ci",
    "paired_effect_sizes",
    "geometric_mean_ratio",
    "wilcoxon_signed_rank",
]
