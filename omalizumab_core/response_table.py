"""Table 2 of the paper: best response and response at last follow-up, by column."""

from __future__ import annotations

import pandas as pd

from .codes import RESPONSES, STATUSES, SUBGROUPS

STANDARD_COLUMNS = ("all", "primary", "ISM", "CM", "MMAS", "idiopathic")


def response_columns(outcomes: pd.DataFrame) -> dict[str, pd.Series]:
    """Table 2's columns as boolean masks over ``outcomes`` rows.

    The standard columns (all, primary, ISM, CM, MMAS, idiopathic) always
    appear, even when empty; any other subgroup present (SSM, SM-AHN, ASM,
    MCL, other) is added after them.
    """
    subgroup = outcomes["subgroup"]
    columns = {
        "all": pd.Series(True, index=outcomes.index),
        "primary": outcomes["group"] == "primary",
        "ISM": subgroup == "ISM",
        "CM": subgroup == "CM",
        "MMAS": subgroup == "MMAS",
        "idiopathic": subgroup == "idiopathic",
    }
    present = set(subgroup)
    for extra in SUBGROUPS:
        if extra not in columns and extra in present:
            columns[extra] = subgroup == extra
    return columns


def response_counts(outcomes: pd.DataFrame) -> dict[str, dict]:
    """Table 2 counts for every column: n, best response and last status.

    Parameters
    ----------
    outcomes : DataFrame
        Per-patient outcomes (``ScoredCohort.outcomes``).

    Returns
    -------
    dict
        ``{column: {"n": int, "best": {"CR", "MR", "PR", "NR": int},
        "last": {status: int for each of codes.STATUSES}}}`` with zero counts
        included; this is the ``response_table`` of the CLI's JSON contract.

    Examples
    --------
    >>> from omalizumab_core.demo import demo_scored
    >>> response_counts(demo_scored().outcomes)["idiopathic"]["best"]
    {'CR': 0, 'MR': 8, 'PR': 1, 'NR': 5}
    """
    table = {}
    for name, mask in response_columns(outcomes).items():
        rows = outcomes[mask.to_numpy()]
        best = rows["best_response"].value_counts()
        last = rows["status_at_last_follow_up"].value_counts()
        table[name] = {
            "n": int(len(rows)),
            "best": {c: int(best.get(c, 0)) for c in RESPONSES},
            "last": {s: int(last.get(s, 0)) for s in STATUSES},
        }
    return table


def response_table(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Table 2 as a tidy long table: one row per column, section and category.

    Returns
    -------
    DataFrame
        Columns ``column``, ``section`` ("best" or "last"), ``category``
        (response or status code), ``n`` (patients in the category) and
        ``total`` (patients in the column). Proportions and percentages are
        left to the formatting step.
    """
    rows = []
    for column, counts in response_counts(outcomes).items():
        for section in ("best", "last"):
            for category, n in counts[section].items():
                rows.append((column, section, category, n, counts["n"]))
    return pd.DataFrame(rows, columns=["column", "section", "category", "n", "total"])
