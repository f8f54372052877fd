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
    """"12 (21.8 %)"; "0" alone when the count is zero, as in Table 2."""
    if total <= 0:
        return "–"
    if n == 0:
        return "0"
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


def pct(p, *, decimals: int = 1) -> str:
    """A proportion in [0, 1] as "78.2 %"."""
    return "–" if _missing(p) else f"{100 * p:.{decimals}f} %"


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


def median_range(median, low, high, *, unit: str = "", decimals: int = 1) -> str:
    """"41 (2–87)" or "6 months (1–10)"."""
    if _missing(median):
        return "–"
    suffix = f" {unit}" if unit else ""
    return f"{number(median, decimals=decimals)}{suffix} ({number(low, decimals=decimals)}–{number(high, decimals=decimals)})"


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
