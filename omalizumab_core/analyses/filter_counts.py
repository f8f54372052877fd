"""Patients per filter level, in the whole cohort and in the current selection (for the filter panel)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from omalizumab_core.data.cohort import memory_of
from omalizumab_core.analyses.filters import CHOICE_FILTERS, FilterSpec, filter_mask
from omalizumab_core.data.codes import CATEGORIES


def level_counts(index: pd.DataFrame, spec: FilterSpec) -> dict[str, dict[str, tuple[int, int]]]:
    """For each filter level: (patients in the selection, patients in the cohort).

    Parameters
    ----------
    index : DataFrame
        :func:`filter_index` of the scored cohort.
    spec : FilterSpec
        The current selection.

    Returns
    -------
    dict
        ``{filter name: {level: (selected, total)}}`` for the choice filters
        (diagnosis, group, kit_d816v, sex, center), ``baseline_categories``
        (patients with a symptom of the category at baseline) and
        ``dose_escalation`` (``"yes"``, ``"no"``).

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> index = oc.filter_index(oc.score_cohort(oc.load_cohort("demo")))
    >>> oc.filter_level_counts(index, oc.FilterSpec(sex=("F",)))["diagnosis"]["ISM"]
    (20, 29)
    """
    keep = np.asarray(filter_mask(index, spec), dtype=bool)
    counts: dict[str, dict[str, tuple[int, int]]] = {}
    for name, column, _, _ in CHOICE_FILTERS:
        levels, codes, totals = _levels(index, column)
        selected = np.bincount(codes[keep & (codes >= 0)], minlength=len(levels))  # -1: missing, counted in no level
        counts[name] = {level: (int(s), int(n)) for level, s, n in zip(levels, selected, totals)}
    counts["baseline_categories"] = {
        c: (int(index.loc[keep, f"has_{c}"].sum()), int(index[f"has_{c}"].sum())) for c in CATEGORIES if f"has_{c}" in index
    }
    escalated = index["escalated"]
    counts["dose_escalation"] = {
        word: (int((escalated[keep] == flag).fillna(False).sum()), int((escalated == flag).fillna(False).sum()))
        for word, flag in (("yes", True), ("no", False))
    }
    return counts


def _levels(index: pd.DataFrame, column: str) -> tuple[list, np.ndarray, np.ndarray]:
    """A column's levels (most patients first, as ``value_counts`` orders them), each patient's level and the totals.

    Computed once per filter index (one per scored cohort, kept in the
    session): a filter change then only counts the selected patients' codes
    (issue 21: converting 100,000 values to text at every filter change was
    most of the filter panel's time).
    """
    known = memory_of(index).setdefault("filter_counts.levels", {})
    if column not in known:
        values = index[column].astype("object").where(index[column].notna()).astype(str)
        total = values.value_counts()
        codes = pd.Index(total.index).get_indexer(values)
        known[column] = (list(total.index), codes, total.to_numpy())
    return known[column]
