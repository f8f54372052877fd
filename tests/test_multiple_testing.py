"""Holm and Benjamini–Hochberg adjustments, and the paper's significance stars."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from omalizumab_core.stats.multiple_testing import adjust_pvalues, significance_stars

P = [0.01, 0.04, 0.03, 0.005, np.nan]


def test_holm_by_hand_matches_r_p_adjust_and_ignores_missing_p_values():
    # By hand, m = 4 non-missing p-values sorted 0.005, 0.01, 0.03, 0.04:
    # 4 x 0.005 = 0.02, 3 x 0.01 = 0.03, 2 x 0.03 = 0.06, 1 x 0.04 = 0.04,
    # running maximum 0.02, 0.03, 0.06, 0.06. R (stats/R/p.adjust.R, whose
    # n = length(p) is evaluated after the NAs are dropped):
    # p.adjust(c(0.01, 0.04, 0.03, 0.005, NA), "holm") = 0.03 0.06 0.06 0.02 NA.
    adjusted = adjust_pvalues(P, "holm")
    np.testing.assert_allclose(adjusted[:4], [0.03, 0.06, 0.06, 0.02], rtol=1e-12)
    assert np.isnan(adjusted[4])


def test_benjamini_hochberg_by_hand_and_against_scipy():
    # By hand, sorted descending 0.04 (i=4), 0.03 (3), 0.01 (2), 0.005 (1):
    # 4/4 x 0.04 = 0.04, 4/3 x 0.03 = 0.04, 4/2 x 0.01 = 0.02, 4/1 x 0.005 = 0.02,
    # running minimum from the top 0.04, 0.04, 0.02, 0.02. R:
    # p.adjust(c(0.01, 0.04, 0.03, 0.005, NA), "BH") = 0.02 0.04 0.04 0.02 NA.
    adjusted = adjust_pvalues(P, "bh")
    np.testing.assert_allclose(adjusted[:4], [0.02, 0.04, 0.04, 0.02], rtol=1e-12)
    assert np.isnan(adjusted[4])
    np.testing.assert_allclose(adjusted[:4], stats.false_discovery_control(P[:4], method="bh"), rtol=1e-12)


def test_benjamini_hochberg_matches_scipy_on_many_p_values_with_ties():
    rng = np.random.default_rng(7)
    p = np.round(rng.uniform(0, 0.2, 40), 3)  # rounding makes ties
    np.testing.assert_allclose(adjust_pvalues(p, "bh"), stats.false_discovery_control(p, method="bh"), rtol=1e-12)


def test_adjusted_p_values_are_capped_at_one_and_keep_the_order_given():
    adjusted = adjust_pvalues([0.6, 0.2, 0.9], "holm")
    # Sorted 0.2, 0.6, 0.9: 3 x 0.2 = 0.6, 2 x 0.6 = 1.2 -> 1, 0.9 -> max(1, 0.9) = 1.
    np.testing.assert_allclose(adjusted, [1.0, 0.6, 1.0])


def test_a_single_p_value_and_no_adjustment_leave_p_unchanged():
    np.testing.assert_allclose(adjust_pvalues([0.03, np.nan], "holm")[:1], [0.03])
    np.testing.assert_allclose(adjust_pvalues([0.03, 0.01], "none"), [0.03, 0.01])


def test_all_missing_p_values_stay_missing():
    assert np.isnan(adjust_pvalues([np.nan, np.nan], "bh")).all()
    assert adjust_pvalues([], "holm").shape == (0,)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError):
        adjust_pvalues([0.1], "bonferroni")


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.05, "ns"),  # legend "ns: > 0.05", Methods "significant if below 0.05": 0.05 is not below
        (0.0499, "*"),
        (0.01, "*"),  # "**: p < 0.01" is strict
        (0.0099, "**"),
        (0.001, "**"),  # "***: p < 0.001" is strict
        (0.00099, "***"),
        (0.5, "ns"),
        (np.nan, "–"),
    ],
)
def test_stars_at_the_papers_thresholds(p, expected):
    assert significance_stars(p) == expected


def test_stars_of_an_array_keep_its_order():
    assert significance_stars(np.array([0.2, 0.0005, np.nan, 0.02])).tolist() == ["ns", "***", "–", "*"]
