"""One formatting rule per kind of number (issue 18, item 4), checked on hand-made values."""

from __future__ import annotations

import math

import pandas as pd

from omalizumab_core import formatting as f
from omalizumab_core.analyses.overview import format_table1


def test_a_count_with_a_percentage_reads_the_same_when_it_is_zero():
    assert f.n_pct(12, 55) == "12 (21.8 %)"
    assert f.n_pct(0, 55) == "0 (0.0 %)"  # never a bare "0" in a count-with-percent column
    assert f.n_pct(0, 0) == "–"


def test_a_rate_out_of_a_denominator_has_one_form_with_or_without_its_interval():
    assert f.n_of(13, 23) == "13/23 (56.5 %)"
    assert f.n_of_ci(10, 14, 0.419, 0.916) == "10/14 (71.4 %) [41.9–91.6 %]"
    assert f.n_of_ci(0, 0, math.nan, math.nan) == "–"


def test_a_median_and_its_range_share_their_decimals():
    assert f.median_range(41, 2, 87) == "41 (2–87)"  # all whole: no decimals
    assert f.median_range(40.4, 17, 93) == "40.4 (17.0–93.0)"  # one is not: one decimal for all three
    assert f.median_range(48, 17, 93, decimals=1) == "48.0 (17.0–93.0)"
    assert f.median_iqr(2, 1.5, 3) == "2.0 [1.5–3.0]"
    assert f.span(5, 14.5) == "5.0–14.5" and f.span(1, 3) == "1–3"


def test_a_duration_says_month_or_months():
    assert (f.months(1), f.months(2), f.months(2.5), f.months(math.nan)) == ("1 month", "2 months", "2.5 months", "–")


def test_a_percentage_value_always_has_its_decimal():
    assert (f.percent(75), f.percent(31.25)) == ("75.0 %", "31.2 %")


def test_table1_prints_one_row_with_the_same_decimals_in_every_column():
    table = pd.DataFrame(
        [
            ("General", "Age, years, median (range)", "All (N=3)", "median_range", 3, 3, 48.0, 17.0, 93.0),
            ("General", "Age, years, median (range)", "ISM (N=2)", "median_range", 2, 2, 40.4, 17.0, 93.0),
            ("General", "Male, n (%)", "All (N=3)", "count", 0, 3, math.nan, math.nan, math.nan),
            ("General", "Male, n (%)", "ISM (N=2)", "count", 1, 2, math.nan, math.nan, math.nan),
            ("General", "Sex ratio (M/F)", "All (N=3)", "ratio", 0, 0, 0.0, math.nan, math.nan),
            ("General", "Sex ratio (M/F)", "ISM (N=2)", "ratio", 0, 0, 0.5, math.nan, math.nan),
        ],
        columns=["section", "characteristic", "column", "kind", "n", "total", "value", "low", "high"],
    )
    shown = format_table1(table).droplevel(0)
    assert shown.loc["Age, years, median (range)"].tolist() == ["48.0 (17.0–93.0)", "40.4 (17.0–93.0)"]
    assert shown.loc["Male, n (%)"].tolist() == ["0 (0.0 %)", "1 (50.0 %)"]
    assert shown.loc["Sex ratio (M/F)"].tolist() == ["0.00", "0.50"]
