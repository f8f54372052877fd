"""Small statistics: Wilson and Newcombe intervals, Fisher exact test, against published and independent values."""

from __future__ import annotations

import math

import pytest
from scipy import stats as scipy_stats

from omalizumab_core.stats.exact import difference_ci, fisher_exact_test, proportion_ci, wilson_ci


def test_newcombe_interval_matches_newcombe_1998_table_ii_example_a():
    # Newcombe RG. Interval estimation for the difference between independent
    # proportions: comparison of eleven methods. Stat Med 1998;17:873-890,
    # Table II, example (a) 56/70 - 48/80, method 10: 0.0524 to 0.3339.
    low, high = difference_ci(56, 70, 48, 80)
    assert (round(low, 4), round(high, 4)) == (0.0524, 0.3339)


def test_newcombe_interval_matches_the_r_package_contingencytables():
    # R package contingencytables (Fagerland, Lydersen & Laake), test of
    # Newcombe_hybrid_score_CI_2x2(perondi_2004) with perondi_2004 =
    # matrix(c(7, 27, 1, 33), 2, byrow = TRUE): "0.1765 (95% CI 0.0189 to 0.3404)".
    low, high = difference_ci(7, 34, 1, 34)
    assert (round(low, 4), round(high, 4)) == (0.0189, 0.3404)


@pytest.mark.parametrize("k, n", [(0, 10), (1, 10), (5, 10), (10, 10), (43, 55), (1, 1), (0, 1), (480, 1000)])
def test_wilson_interval_matches_scipy(k, n):
    expected = scipy_stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson_ci(k, n)
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)


def test_newcombe_interval_is_antisymmetric_when_the_groups_swap():
    low, high = difference_ci(9, 10, 3, 10)
    swapped_low, swapped_high = difference_ci(3, 10, 9, 10)
    assert swapped_low == pytest.approx(-high, abs=1e-12)
    assert swapped_high == pytest.approx(-low, abs=1e-12)


def test_newcombe_interval_contains_the_difference_and_stays_within_minus_one_one():
    for k1, n1, k2, n2 in [(10, 10, 0, 10), (0, 10, 10, 10), (0, 5, 0, 7), (3, 4, 1, 2), (1, 1, 0, 1)]:
        low, high = difference_ci(k1, n1, k2, n2)
        d = k1 / n1 - k2 / n2
        assert -1.0 <= low <= d <= high <= 1.0
    # Everyone versus no one: the upper bound is the largest possible difference.
    assert difference_ci(10, 10, 0, 10)[1] == 1.0


def test_newcombe_interval_is_undefined_for_an_empty_group():
    assert all(math.isnan(x) for x in difference_ci(3, 5, 0, 0))
    assert all(math.isnan(x) for x in wilson_ci(0, 0))


def test_fisher_exact_test_by_hand_three_of_three_against_none_of_three():
    # Margins 3/3 (rows) and 3/3 (columns), N = 6: the observed table and its
    # mirror each have probability 1 / C(6, 3) = 1/20, every other table more:
    # two-sided p = 2/20 = 0.1.
    assert fisher_exact_test(3, 3, 0, 3) == pytest.approx(0.1, abs=1e-12)


def test_fisher_exact_test_matches_the_r_package_contingencytables():
    # contingencytables test: Fisher_exact_test_2x2(ritland_2007) "P = 0.06287",
    # ritland_2007 = matrix(c(0, 16, 15, 57), 2, byrow = TRUE): 0/16 vs 15/72.
    assert fisher_exact_test(0, 16, 15, 72) == pytest.approx(0.06287, abs=5e-6)


def test_fisher_exact_test_agrees_with_scipy_and_is_nan_for_an_empty_group():
    expected = scipy_stats.fisher_exact([[34, 7], [9, 5]]).pvalue
    assert fisher_exact_test(34, 41, 9, 14) == pytest.approx(expected, abs=1e-15)
    assert math.isnan(fisher_exact_test(1, 2, 0, 0))


def test_clopper_pearson_interval_equals_the_beta_quantile_formula():
    # Clopper-Pearson bounds are Beta(k, n-k+1) and Beta(k+1, n-k) quantiles,
    # which is how R's binom.test computes them (qbeta); 43/55 is the paper's ORR.
    low, high = proportion_ci(43, 55)
    assert low == pytest.approx(scipy_stats.beta.ppf(0.025, 43, 13), abs=1e-9)
    assert high == pytest.approx(scipy_stats.beta.ppf(0.975, 44, 12), abs=1e-9)
    assert (round(low, 7), round(high, 7)) == (0.6498979, 0.8818642)


def test_vectorised_exact_intervals_equal_the_root_finding_ones():
    from omalizumab_core.stats.exact import proportion_ci_array

    pairs = [(0, 1), (1, 1), (0, 7), (3, 7), (7, 7), (43, 55), (1, 100000), (61234, 100000), (100000, 100000)]
    low, high = proportion_ci_array([k for k, _ in pairs], [n for _, n in pairs])
    for (k, n), lo, hi in zip(pairs, low, high):
        expected = scipy_stats.binomtest(k, n).proportion_ci(method="exact")
        assert lo == pytest.approx(expected.low, abs=1e-10)
        assert hi == pytest.approx(expected.high, abs=1e-10)
    empty_low, empty_high = proportion_ci_array([0], [0])
    assert math.isnan(empty_low[0]) and math.isnan(empty_high[0])
