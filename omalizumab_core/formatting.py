"""The one formatting step: numbers become the strings a paper would print.

Statistics functions return raw numbers (counts, proportions in [0, 1],
p-values); only the functions here round them and add "%" or stars, so a test
can check a statistic exactly and a table still reads like the paper.
"""

from __future__ import annotations

import math

import pandas as pd


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA


def n_pct(n: int, total: int, *, decimals: int = 1) -> str:
    """A count of the column's N with its percentage: "12 (21.8 %)", and "0 (0.0 %)" for none.

    The one form of a count with a percentage, everywhere (tables, metrics,
    reports): a zero reads "0 (0.0 %)" too, so a column never mixes bare counts
    with percentages ("–" when the column has no patient).

    Examples
    --------
    >>> n_pct(12, 55), n_pct(0, 55), n_pct(0, 0)
    ('12 (21.8 %)', '0 (0.0 %)', '–')
    """
    if total <= 0:
        return "–"
    return f"{int(n)} ({100 * n / total:.{decimals}f} %)"


def n_of(n: int, total: int, *, decimals: int = 1) -> str:
    """A count out of a subset that differs from the column's N: "13/23 (56.5 %)" ("–" when none evaluated).

    The same decimals as :func:`n_pct`, so "13/23 (56.5 %)" and "27 (49.1 %)" read alike.

    Examples
    --------
    >>> n_of(13, 23), n_of(0, 4), n_of(0, 0)
    ('13/23 (56.5 %)', '0/4 (0.0 %)', '–')
    """
    if total <= 0:
        return "–"
    return f"{int(n)}/{int(total)} ({100 * n / total:.{decimals}f} %)"


def n_of_ci(n: int, total: int, low, high, *, decimals: int = 1) -> str:
    """A rate out of a denominator with its 95 % CI: "10/14 (71.4 %) [41.9–91.6 %]".

    :func:`n_of` followed by :func:`ci`, the form of every rate with its interval
    (anaphylaxis, instruments, literature); "–" when the denominator is 0.

    Examples
    --------
    >>> n_of_ci(10, 14, 0.419, 0.916), n_of_ci(0, 0, float("nan"), float("nan"))
    ('10/14 (71.4 %) [41.9–91.6 %]', '–')
    """
    if total <= 0:
        return "–"
    return f"{n_of(n, total, decimals=decimals)} {ci(low, high, decimals=decimals)}"


def pct(p, *, decimals: int = 1) -> str:
    """A proportion in [0, 1] as "78.2 %"."""
    return "–" if _missing(p) else f"{100 * p:.{decimals}f} %"


def percent(x, *, decimals: int = 1) -> str:
    """A value already in percent (a symptom-score decrease) as "75.0 %", always with its decimal ("–" when missing).

    Examples
    --------
    >>> percent(75), percent(31.25), percent(None)
    ('75.0 %', '31.2 %', '–')
    """
    return "–" if _missing(x) else f"{float(x):.{decimals}f} %"


def ci(low, high, *, decimals: int = 1, percent: bool = True) -> str:
    """A 95 % confidence interval: "[66.4–87.6 %]" or "[1.2–3.4]"."""
    if _missing(low) or _missing(high):
        return "–"
    if percent:
        return f"[{100 * low:.{decimals}f}–{100 * high:.{decimals}f} %]"
    return f"[{low:.{decimals}f}–{high:.{decimals}f}]"


def number(x, *, decimals: int = 1) -> str:
    """A number with fixed decimals, integers without a trailing ".0"."""
    if _missing(x):
        return "–"
    if float(x).is_integer():
        return f"{int(x)}"
    return f"{x:.{decimals}f}"


def months(x, *, decimals: int = 1) -> str:
    """A duration: "1 month", "2 months", "2.5 months", "–" when missing.

    Examples
    --------
    >>> months(1), months(2.0), months(float("nan"))
    ('1 month', '2 months', '–')
    """
    if _missing(x):
        return "–"
    return f"{number(x, decimals=decimals)} month{'' if float(x) == 1 else 's'}"


def estimate_ci(estimate, low, high, *, decimals: int = 2) -> str:
    """An estimate with its 95 % confidence interval: "-0.50 (-0.75 to -0.25)" ("to", as bounds may be negative)."""
    if _missing(estimate):
        return "–"
    if _missing(low) or _missing(high):
        return f"{estimate:.{decimals}f}"
    return f"{estimate:.{decimals}f} ({low:.{decimals}f} to {high:.{decimals}f})"


def decimals_for(values, *, decimals: int = 1) -> int:
    """The decimals of a set of numbers printed together: 0 when all are whole, else ``decimals``.

    The one rule for medians, ranges and IQRs: the numbers of one cell (and,
    for Table 1, of one row) share their decimals, so "48.0 (17.0–93.0)" sits
    beside "40.4 (17.0–93.0)", never "48 (17–93)" beside "40.4 (17–93)".
    Missing values are ignored.

    Examples
    --------
    >>> decimals_for([41, 2, 87]), decimals_for([40.4, 17, 93]), decimals_for([2.0, float("nan")])
    (0, 1, 0)
    """
    whole = all(float(v).is_integer() for v in values if not _missing(v))
    return 0 if whole else decimals


def fixed(x, decimals: int) -> str:
    """A number with exactly ``decimals`` decimals ("17.0"), "–" when missing."""
    return "–" if _missing(x) else f"{float(x):.{decimals}f}"


def median_range(median, low, high, *, unit: str = "", decimals: int | None = None) -> str:
    """A median with its range: "41 (2–87)", "40.4 (17.0–93.0)" or "6 months (1–10)".

    The three numbers share their decimals (:func:`decimals_for`): none when
    all are whole, else one; ``decimals`` forces a number of decimals (for a
    row of Table 1 decided across its columns).

    Examples
    --------
    >>> median_range(41, 2, 87), median_range(40.4, 17, 93), median_range(48, 17, 93, decimals=1)
    ('41 (2–87)', '40.4 (17.0–93.0)', '48.0 (17.0–93.0)')
    """
    if _missing(median):
        return "–"
    d = decimals_for([median, low, high]) if decimals is None else decimals
    suffix = f" {unit}" if unit else ""
    return f"{fixed(median, d)}{suffix} ({fixed(low, d)}–{fixed(high, d)})"


def span(low, high) -> str:
    """A range or interquartile range, both ends with the same decimals: "1–3", "5.0–14.5" ("–" when missing).

    Examples
    --------
    >>> span(1, 3), span(5, 14.5), span(float("nan"), 3)
    ('1–3', '5.0–14.5', '–')
    """
    if _missing(low) or _missing(high):
        return "–"
    d = decimals_for([low, high])
    return f"{fixed(low, d)}–{fixed(high, d)}"


def median_iqr(median, q1, q3) -> str:
    """A median with its interquartile range, the three with the same decimals: "2 [1–3]", "2.0 [1.5–3.0]".

    Examples
    --------
    >>> median_iqr(2, 1, 3), median_iqr(2, 1.5, 3), median_iqr(float("nan"), 1, 3)
    ('2 [1–3]', '2.0 [1.5–3.0]', '–')
    """
    if _missing(median):
        return "–"
    d = decimals_for([median, q1, q3])
    return f"{fixed(median, d)} [{fixed(q1, d)}–{fixed(q3, d)}]"


def ordinal(n: int) -> str:
    """"1st", "2nd", "3rd", "11th", "15th", "22nd".

    Examples
    --------
    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 15, 21, 22, 101)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '15th', '21st', '22nd', '101st']
    """
    n = int(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


_EVERY = {7: "every week", 14: "every 2 weeks", 21: "every 3 weeks", 28: "every 4 weeks"}


def regimen(dose_mg, interval_days) -> str:
    """A regimen as clinicians say it: "300 mg every 2 weeks", "150 mg every week", "150 mg every 10 days".

    Whole weeks are said in weeks (the omalizumab label's "every 2 or 4
    weeks"); other intervals in days; the dose alone when the interval is
    missing.

    Examples
    --------
    >>> regimen(300, 14), regimen(150, 7), regimen(150, 10), regimen(600, 28), regimen(150, float("nan"))
    ('300 mg every 2 weeks', '150 mg every week', '150 mg every 10 days', '600 mg every 4 weeks', '150 mg')
    """
    if _missing(dose_mg):
        return "–"
    if _missing(interval_days):
        return f"{number(dose_mg)} mg"
    every = _EVERY.get(float(interval_days)) or f"every {number(interval_days)} days"
    return f"{number(dose_mg)} mg {every}"


def p_value(p) -> str:
    """"p = 0.032", "p < 0.001"."""
    if _missing(p):
        return "–"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def stars(p) -> str:
    """The paper's Figure 1 notation: ns > 0.05; * < 0.05; ** < 0.01; *** < 0.001."""
    if _missing(p):
        return "–"
    if p < 0.001:
        return "***"
    if p < 0.01:
        return "**"
    if p < 0.05:
        return "*"
    return "ns"


NO_FILTERS = "none (all patients)"


def selection_line(description: dict[str, str] | None) -> str:
    """The active filters in one line, for a page, a report and a downloaded file's footer.

    ``description`` is the selection in words, {filter label: chosen levels},
    as :func:`omalizumab_core.analyses.filters.describe` returns it; empty or
    None when no filter is set.

    Examples
    --------
    >>> selection_line({"Diagnosis": "ISM", "KIT D816V": "positive", "Age at treatment": "40–60 years"})
    'Filters: Diagnosis: ISM · KIT D816V: positive · Age at treatment: 40–60 years'
    >>> selection_line({})
    'Filters: none (all patients)'
    """
    chosen = {label: value for label, value in (description or {}).items() if label != "Filters"}
    if not chosen:
        return f"Filters: {NO_FILTERS}"
    return "Filters: " + " · ".join(f"{label}: {value}" for label, value in chosen.items())
