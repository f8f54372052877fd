"""Table 2 of the paper: best response and response at last follow-up, by column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from omalizumab_core.data.codes import RESPONSES, STATUSES, SUBGROUPS

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
    present = set(pd.unique(subgroup.to_numpy(dtype=object)))
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
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> response_counts(demo_scored().outcomes)["idiopathic"]["best"]
    {'CR': 0, 'MR': 8, 'PR': 1, 'NR': 5}
    """
    # Each patient's response and status as a code, then counted per column's mask (not a copy
    # of the outcomes table per column: a filter rerun at registry scale).
    best = _codes(outcomes["best_response"], RESPONSES)
    last = _codes(outcomes["status_at_last_follow_up"], STATUSES)
    table = {}
    for name, mask in response_columns(outcomes).items():
        rows = mask.to_numpy(dtype=bool)
        b, s = best[rows], last[rows]
        best_n = np.bincount(b[b >= 0], minlength=len(RESPONSES))
        last_n = np.bincount(s[s >= 0], minlength=len(STATUSES))
        table[name] = {
            "n": int(rows.sum()),
            "best": {c: int(n) for c, n in zip(RESPONSES, best_n)},
            "last": {c: int(n) for c, n in zip(STATUSES, last_n)},
        }
    return table


def _codes(values: pd.Series, categories) -> np.ndarray:
    """Position of each value in ``categories``; -1 for a missing value or one not listed."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    position = {c: i for i, c in enumerate(categories)}
    lookup = np.array([position.get(u, -1) for u in uniques.tolist()] + [-1], dtype=np.int64)
    return lookup[codes]


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


_BEST_ROWS = (("ORR", "Overall response (CR + MR + PR)"), ("CR", "Complete response"), ("MR", "Major response"), ("PR", "Partial response"), ("NR", "No response"))
_LAST_ROWS = (
    ("persistent", "Persistent overall response"),
    ("CR", "Complete response"),
    ("MR", "Major response"),
    ("PR", "Partial response"),
    ("no_persistent", "No persistent response"),
    ("no_response", "No response"),
    ("loss_of_response", "Loss of response"),
    ("intolerance", "Intolerance (responders who stopped)"),  # the paper's definition
    ("lost_or_other", "Lost from follow-up or other stop"),
)


def table2_counts(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Table 2 laid out as in the paper, with raw counts.

    Returns
    -------
    DataFrame
        Index (section, row label); one column per Table 2 column holding the
        number of patients, plus a first row "Patients" with each column's N.
        The paper's derived rows are included: overall response (CR + MR +
        PR), persistent overall response (still treated in CR, MR or PR) and
        no persistent response (everyone else).
    """
    counts = response_counts(outcomes)
    records = {}
    for column, c in counts.items():
        best, last = c["best"], c["last"]
        values = {("", "Patients"): c["n"]}
        for key, label in _BEST_ROWS:
            values[("Best response", label)] = best["CR"] + best["MR"] + best["PR"] if key == "ORR" else best[key]
        persistent = last["CR"] + last["MR"] + last["PR"]
        for key, label in _LAST_ROWS:
            if key == "persistent":
                value = persistent
            elif key == "no_persistent":
                value = c["n"] - persistent
            else:
                value = last[key]
            values[("Response at last follow-up", label)] = value
        records[column] = values
    frame = pd.DataFrame(records)
    frame.index = pd.MultiIndex.from_tuples(frame.index, names=["section", "row"])
    return frame


def format_table2(counts: pd.DataFrame) -> pd.DataFrame:
    """Table 2 as printed: "43 (78.2 %)" cells and columns headed "ISM (N=29)"."""
    from omalizumab_core.data.codes import SUBGROUP_LABELS
    from omalizumab_core.formatting import n_pct

    names = {"all": "All patients", "primary": "Primary MCAS", **SUBGROUP_LABELS}
    totals = counts.loc[("", "Patients")]
    body = counts.drop(index=("", "Patients"))
    out = pd.DataFrame(
        {
            f"{names.get(column, column)} (N={int(totals[column])})": [n_pct(int(v), int(totals[column])) for v in body[column]]
            for column in counts.columns
        },
        index=body.index,
    )
    return out
