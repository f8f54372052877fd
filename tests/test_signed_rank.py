"""The product's one Wilcoxon signed-rank test and the effect sizes printed beside it.

Reference values come from R 4.2 (exactRankTests 0.8-35, coin 1.4-2, stats), run
on this machine with the commands quoted beside each value, from brute-force
enumeration of all 2^n sign patterns, or from hand computation.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from omalizumab_core.stats.signed_rank import (
    EXACT_MAX_PAIRS,
    SIGNED_RANK_COLUMNS,
    geometric_mean_ratio,
    hodges_lehmann,
    mean_difference_ci,
    paired_effect_sizes,
    signed_rank_test,
    wilcoxon_signed_rank,
)

# The 20-patient flushing cohort of test_symptom_changes: 6 disappeared, 4 at 0.25,
# 5 at 0.5, 3 unchanged, 2 worse (1.5); differences on-treatment minus baseline 1.
FLUSHING = np.array([0] * 6 + [0.25] * 4 + [0.5] * 5 + [1] * 3 + [1.5] * 2, dtype=float) - 1
# Sixteen quarter-point changes with ties and two zeros.
QUARTERS = np.array([-0.5, -0.25, -0.25, 0.25, -0.75, -0.5, 0, -1, 0.5, -0.25, -0.5, 0, -0.75, -0.25, 0.25, -1])
# One-sample data without ties or zeros (R's exact interval applies).
NO_TIES = [1.1, 2.3, -0.4, 3.6, 4.2, 5.9, 0.7, 2.8, -1.5, 3.3]


def _brute_force_p(differences, zero_method="wilcox"):
    """Two-sided exact p by enumerating every sign pattern of the ranked differences."""
    d = np.asarray(differences, dtype=float)
    if zero_method == "wilcox":
        d = d[d != 0]
        ranks = stats.rankdata(np.abs(d))
    else:
        ranks = stats.rankdata(np.abs(d))[d != 0]
        d = d[d != 0]
    observed = ranks[d > 0].sum()
    sums = [sum(r for r, s in zip(ranks, signs) if s) for signs in itertools.product((0, 1), repeat=len(ranks))]
    sums = np.array(sums)
    return min(1.0, 2 * min(np.mean(sums >= observed - 1e-9), np.mean(sums <= observed + 1e-9)))


def test_fourteen_patients_all_improved_by_a_quarter_give_the_exact_p():
    # Issue 16: 2 / 2^14 = 1.2207e-4; R: exactRankTests::wilcox.exact(rep(0.75, 14), rep(1, 14), paired = TRUE)
    # gives 0.0001220703125. The normal approximation gave 2.1e-4.
    result = signed_rank_test([-0.25] * 14)
    assert result["p_value"] == 2 / 2**14
    assert result["method"] == "exact" and result["statistic"] == 0.0 and result["n_ranked"] == 14


def test_exact_p_with_ties_and_zeros_equals_r_exact_rank_tests_and_coin():
    # R: wilcox.exact(finals, rep(1, 20), paired = TRUE, exact = TRUE)$p.value = 0.0004425048828125, and
    # pvalue(wilcoxsign_test(finals ~ rep(1, 20), distribution = "exact", zero.method = "Wilcoxon")) the same.
    assert signed_rank_test(FLUSHING)["p_value"] == pytest.approx(0.0004425048828125, rel=1e-12)
    # coin, zero.method = "Pratt": 0.0005035400390625.
    assert signed_rank_test(FLUSHING, zero_method="pratt")["p_value"] == pytest.approx(0.0005035400390625, rel=1e-12)
    # Sixteen quarters: coin Wilcoxon 0.0196533203125 (wilcox.exact the same), Pratt 0.02001953125.
    assert signed_rank_test(QUARTERS)["p_value"] == pytest.approx(0.0196533203125, rel=1e-12)
    assert signed_rank_test(QUARTERS, zero_method="pratt")["p_value"] == pytest.approx(0.02001953125, rel=1e-12)


def test_exact_p_without_ties_equals_r_wilcox_test():
    # R: wilcox.test(c(1.1, 2.3, -0.4, 3.6, 4.2, 5.9, 0.7, 2.8, -1.5, 3.3)) gives V = 50, p = 0.01953125.
    result = signed_rank_test(NO_TIES)
    assert result["statistic"] == 50.0
    assert result["p_value"] == pytest.approx(0.01953125, rel=1e-12)


@pytest.mark.parametrize("zero_method", ["wilcox", "pratt"])
def test_exact_p_equals_enumeration_of_every_sign_pattern(zero_method):
    rng = np.random.default_rng(16)
    for n in range(2, 13):
        for _ in range(4):
            d = rng.choice([-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5], size=n)
            if np.count_nonzero(d) < 2:
                continue
            assert signed_rank_test(d, zero_method=zero_method)["p_value"] == pytest.approx(_brute_force_p(d, zero_method), rel=1e-12), d


def test_above_the_exact_limit_the_normal_approximation_equals_r():
    # R: d <- rep(c(-1, -0.75, -0.5, -0.25, 0.25, 0.5, 0), times = c(150, 120, 110, 100, 80, 60, 30));
    # wilcox.test(d, exact = FALSE, correct = TRUE) gives V = 23170, p = 2.76233514456611e-61.
    d = np.repeat([-1, -0.75, -0.5, -0.25, 0.25, 0.5, 0], [150, 120, 110, 100, 80, 60, 30])
    result = signed_rank_test(d)
    assert result["n_ranked"] == 620 > EXACT_MAX_PAIRS
    assert result["method"] == "normal" and result["statistic"] == 23170.0
    assert result["p_value"] == pytest.approx(2.76233514456611e-61, rel=1e-9)


def test_fewer_than_two_changed_patients_have_no_p_value():
    assert math.isnan(signed_rank_test([0.0, 0.0, -0.25])["p_value"])
    with pytest.raises(ValueError):
        signed_rank_test([1.0], zero_method="sign")


def test_hodges_lehmann_without_ties_equals_r_exact_interval():
    # R: wilcox.test(x, conf.int = TRUE): (pseudo)median 2.2, interval 0.65 to 3.75;
    # wilcox.test(1:7, conf.int = TRUE): 4, interval 2 to 6.
    assert hodges_lehmann(NO_TIES) == pytest.approx((2.2, 0.65, 3.75), rel=1e-12)
    assert hodges_lehmann(np.arange(1.0, 8.0)) == (4.0, 2.0, 6.0)


def test_hodges_lehmann_with_ties_is_the_order_statistic_of_all_walsh_averages():
    # With ties and zeros: the same order statistics, computed by listing every Walsh average.
    d = QUARTERS
    walsh = np.sort([(d[i] + d[j]) / 2 for i in range(len(d)) for j in range(i, len(d))])
    n_walsh = len(walsh)  # 136
    k = 30  # R: qsignrank(0.025, 16) = 30
    assert hodges_lehmann(d) == (np.median(walsh), walsh[k - 1], walsh[n_walsh - k])


def test_mean_difference_and_geometric_mean_ratio_equal_r_t_test():
    # R: t.test(c(1, 2, 3))$conf.int = -0.48413771175033, 4.48413771175033.
    assert mean_difference_ci([1.0, 2.0, 3.0]) == pytest.approx((2.0, -0.48413771175033, 4.48413771175033), rel=1e-12)
    # R: exp(t.test(log(c(2, 5, 9, 3, 7, 11)), log(c(1, 4, 3, 3.5, 2, 6)), paired = TRUE)[c("estimate", "conf.int")])
    # = 1.85881995228306, 1.06850472878673, 3.23368865098887.
    ratio = geometric_mean_ratio([1, 4, 3, 3.5, 2, 6], [2, 5, 9, 3, 7, 11])
    assert (ratio["geometric_mean_ratio"], ratio["gmr_lower"], ratio["gmr_upper"]) == pytest.approx(
        (1.85881995228306, 1.06850472878673, 3.23368865098887), rel=1e-12
    )
    assert math.isnan(geometric_mean_ratio([0.0, 1.0], [1.0, 2.0])["geometric_mean_ratio"])  # no logarithm of 0


def test_effect_sizes_of_quarter_scores_by_hand():
    # Differences -1, -0.75, -0.75, 0: median -0.75; Walsh averages (10) sorted:
    # -1, -0.875, -0.875, -0.75, -0.75, -0.75, -0.5, -0.375, -0.375, 0 -> median -0.75.
    effects = paired_effect_sizes([-1.0, -0.75, -0.75, 0.0])
    assert effects["median_difference"] == -0.75 and effects["hodges_lehmann"] == -0.75
    assert effects["mean_difference"] == -0.625


def test_one_tidy_row_with_fixed_columns_and_inputs_not_mutated():
    before, on = np.zeros(10), np.array(NO_TIES)
    kept = on.copy()
    row = wilcoxon_signed_rank(before, on)
    assert list(row.columns) == SIGNED_RANK_COLUMNS and len(row) == 1
    assert row["p_value"].iloc[0] == pytest.approx(0.01953125) and row["hodges_lehmann"].iloc[0] == pytest.approx(2.2)
    assert np.array_equal(on, kept)
    with pytest.raises(ValueError, match="one value per patient"):
        wilcoxon_signed_rank([1.0, 2.0], [1.0])


def test_the_interval_order_statistic_is_r_qsignrank():
    # R: sapply(c(1, 2, 5, 6, 7, 10, 16, 20, 30, 50, 100, 200, 350, 500), function(n) qsignrank(0.025, n)).
    from omalizumab_core.stats.signed_rank import _signed_rank_quantile

    ns = [1, 2, 5, 6, 7, 10, 16, 20, 30, 50, 100, 200, 350, 500]
    expected = [0, 0, 0, 1, 3, 9, 30, 53, 138, 435, 1956, 8445, 27001, 56291]
    assert [_signed_rank_quantile(n, 0.025) for n in ns] == expected


# --- Hodges-Lehmann by selection (issue 21) -------------------------------------------------


def _walsh_by_sorting(differences, confidence=0.95):
    """The sort-every-Walsh-average computation the selection replaced, as the yardstick."""
    from omalizumab_core.stats.signed_rank import _signed_rank_quantile

    d = np.asarray(differences, dtype="float64")
    n = len(d)
    values, counts = np.unique(d, return_counts=True)
    a, b = np.triu_indices(len(values))
    averages = (values[a] + values[b]) / 2
    weights = np.where(a == b, counts[a] * (counts[a] + 1) // 2, counts[a] * counts[b]).astype(np.int64)
    order = np.argsort(averages, kind="stable")
    averages, cumulative = averages[order], np.cumsum(weights[order])
    total = n * (n + 1) // 2

    def kth(k):
        return float(averages[np.searchsorted(cumulative, k)])

    estimate = kth((total + 1) // 2) if total % 2 else (kth(total // 2) + kth(total // 2 + 1)) / 2
    k = max(1, _signed_rank_quantile(n, (1 - confidence) / 2))
    return (estimate, kth(k), kth(total + 1 - k))


@pytest.mark.parametrize("seed", range(12))
def test_hodges_lehmann_by_selection_equals_sorting_every_walsh_average(seed):
    from omalizumab_core.stats.signed_rank import hodges_lehmann

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    kind = seed % 3
    if kind == 0:  # quarters of a point: many ties and zeros
        d = rng.integers(-6, 7, n) / 4
    elif kind == 1:  # lab values: nearly all distinct
        d = np.round(rng.normal(0, 30, n), 1)
    else:  # one repeated value among continuous ones
        d = np.where(rng.random(n) < 0.3, 0.0, rng.lognormal(0, 1, n) - 1)
    for confidence in (0.9, 0.95, 0.99):
        assert hodges_lehmann(d, confidence=confidence) == _walsh_by_sorting(d, confidence)


@pytest.mark.parametrize("listed_pairs", [0, 4096], ids=["selection", "listed"])
def test_few_distinct_values_give_the_same_walsh_order_statistics_listed_or_selected(monkeypatch, listed_pairs):
    # Symptom score changes take a handful of values: their Walsh averages are listed and sorted
    # (issue 21); both ways must equal sorting every average of every pair of patients.
    from omalizumab_core.stats import signed_rank
    from omalizumab_core.stats.signed_rank import hodges_lehmann

    monkeypatch.setattr(signed_rank, "_LISTED_PAIRS", listed_pairs)
    rng = np.random.default_rng(7)
    for n in (1, 2, 5, 40, 333):
        d = rng.choice([-1.0, -0.75, -0.5, -0.25, 0.0, 0.5], size=n, p=[0.3, 0.1, 0.2, 0.1, 0.2, 0.1])
        assert hodges_lehmann(d) == _walsh_by_sorting(d)


def test_hodges_lehmann_by_selection_on_one_and_two_values():
    from omalizumab_core.stats.signed_rank import hodges_lehmann

    for d in ([2.5], [0.0], [1.0, 1.0], [-1.0, 3.0], [0.1, 0.2, 0.30000000000000004]):
        assert hodges_lehmann(d) == _walsh_by_sorting(d)


@pytest.mark.parametrize("seed", range(3))
def test_hodges_lehmann_with_sampled_pivots_equals_sorting_every_walsh_average(seed):
    # Enough distinct values (a million Walsh averages) for the pivots to be placed from a sample of
    # the candidates, with uneven multiplicities so that the sample's weights matter.
    from omalizumab_core.stats.signed_rank import hodges_lehmann

    rng = np.random.default_rng(100 + seed)
    d = np.round(np.concatenate([rng.lognormal(2, 1, 1200), np.repeat(rng.normal(0, 5, 30).round(1), 10)]) - 5, 1)
    for confidence in (0.9, 0.95):
        assert hodges_lehmann(d, confidence=confidence) == _walsh_by_sorting(d, confidence)


def test_paired_t_p_value_is_r_t_test_paired():
    # R 4: t.test(c(1, 2), c(0, 1.5), paired = TRUE)$p.value = 0.2048327647 (t = 3, df = 1);
    # t.test(c(2.1, 3.4, 1.9, 5.0), c(1.0, 2.2, 2.0, 3.1), paired = TRUE)$p.value = 0.09011222893 (t = 2.4694, df = 3).
    from omalizumab_core.stats.signed_rank import paired_t_p_value

    assert paired_t_p_value([0.0, 1.5], [1.0, 2.0]) == pytest.approx(0.2048327647, abs=5e-11)
    assert paired_t_p_value([1.0, 2.2, 2.0, 3.1], [2.1, 3.4, 1.9, 5.0]) == pytest.approx(0.09011222893, abs=5e-12)


def test_paired_t_p_value_without_variance_is_nan_or_zero_as_scipy_ttest_rel():
    from omalizumab_core.stats.signed_rank import paired_t_p_value

    assert np.isnan(paired_t_p_value([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]))  # no change at all: no test
    assert paired_t_p_value([1.0, 2.0, 3.0], [2.0, 3.0, 4.0]) == 0.0  # every change equal: t is infinite
    assert np.isnan(paired_t_p_value([1.0], [2.0]))


@pytest.mark.parametrize("seed", range(4))
def test_paired_t_p_value_equals_scipy_ttest_rel(seed):
    import warnings

    from scipy import stats

    from omalizumab_core.stats.signed_rank import paired_t_p_value

    rng = np.random.default_rng(seed)
    for _ in range(200):
        n = int(rng.integers(2, 80))
        before = np.round(rng.lognormal(3, 1, n), 1)
        on = before + np.round(rng.normal(-2, 5, n), 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = stats.ttest_rel(on, before).pvalue
        assert paired_t_p_value(before, on) == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_mid_ranks_equal_scipy_rankdata_average():
    from scipy import stats

    from omalizumab_core.stats.signed_rank import _mid_ranks

    rng = np.random.default_rng(7)
    for n in (0, 1, 2, 17, 300):
        values = np.abs(rng.integers(-6, 7, n) / 4)
        assert np.array_equal(_mid_ranks(values), stats.rankdata(values) if n else np.array([]))


@pytest.mark.parametrize("kind", ["quarters", "negative_quarters", "lab_values", "huge_range"])
def test_mid_ranks_counted_or_sorted_equal_scipy_rankdata_average(kind):
    # Quarter-point values are ranked by counting (issue 21), anything else by pandas; both are rankdata's.
    from scipy import stats

    from omalizumab_core.stats.signed_rank import _mid_ranks

    rng = np.random.default_rng(11)
    values = {
        "quarters": rng.choice([0.25, 0.5, 0.75, 1.0, 0.5], 5000),
        "negative_quarters": rng.integers(-40, 41, 2000) / 4,
        "lab_values": np.round(rng.normal(10, 3, 2000), 1),  # tenths: not quarters
        "huge_range": np.array([0.25, 1e9, 0.25, 3.0]),  # quarters too far apart to count
    }[kind]
    assert np.array_equal(_mid_ranks(values), stats.rankdata(values))
