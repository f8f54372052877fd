"""Results kept per scored cohort (issue 21) are those of the selection scored afresh.

What does not depend on the filter is computed once per scored cohort and
each selection takes its patients' rows: a filtered page must show exactly
what scoring the selected patients alone would show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omalizumab_core.analyses.symptom_changes import symptom_changes, symptom_heatmap_data
from omalizumab_core.engine.scoring import score_cohort
from omalizumab_core.synthetic.synth import synthetic_cohort


@pytest.fixture(scope="module")
def cohort():
    return synthetic_cohort(200, seed=5)


def _both(cohort, keep):
    whole = score_cohort(cohort)
    symptom_changes(whole)  # fills the whole cohort's caches first
    selection = whole.restrict(keep)
    fresh = score_cohort(cohort.restrict(keep))
    return selection, fresh


@pytest.mark.parametrize("level", ["symptom", "category"])
@pytest.mark.parametrize("at", ["best", "last", 6.0])
def test_symptom_table_of_a_selection_is_that_of_the_selection_scored_afresh(cohort, level, at):
    keep = np.arange(cohort.n_patients) % 3 != 0
    selection, fresh = _both(cohort, keep)
    pd.testing.assert_frame_equal(symptom_changes(selection, at=at, level=level), symptom_changes(fresh, at=at, level=level))


@pytest.mark.parametrize("level", ["symptom", "category"])
def test_heatmap_of_a_selection_is_that_of_the_selection_scored_afresh(cohort, level):
    keep = cohort.patients["sex"].to_numpy(dtype=object) == "F"
    selection, fresh = _both(cohort, keep)
    a, b = symptom_heatmap_data(selection, level=level), symptom_heatmap_data(fresh, level=level)
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs == b.attrs


def test_a_tables_memory_lives_as_long_as_the_table_and_no_longer():
    import gc

    from omalizumab_core.data import cohort as cohort_module

    table = pd.DataFrame({"patient_id": ["A", "B"]})
    cohort_module.memory_of(table)["x"] = 1
    assert cohort_module.memory_of(table) == {"x": 1}
    assert cohort_module.memory_of(pd.DataFrame({"patient_id": ["A", "B"]})) == {}  # an equal table is another table
    key = id(table)
    del table
    gc.collect()
    assert key not in cohort_module._MEMORIES


def test_filter_panel_counts_are_those_of_value_counts_after_any_filter(cohort):
    from omalizumab_core.analyses.filter_counts import level_counts
    from omalizumab_core.analyses.filters import FilterSpec, filter_index, filter_mask

    index = filter_index(score_cohort(cohort))
    index.loc[index.index[:5], "center"] = None  # a patient without a centre is counted in no level
    for spec in (FilterSpec(), FilterSpec(sex=("F",)), FilterSpec(diagnosis=("ISM", "CM"))):
        counts = level_counts(index, spec)
        keep = np.asarray(filter_mask(index, spec), dtype=bool)
        values = index["subgroup"].astype("object").where(index["subgroup"].notna()).astype(str)
        expected = {level: (int(values[keep].value_counts().get(level, 0)), int(n)) for level, n in values.value_counts().items()}
        assert counts["diagnosis"] == expected
        assert list(counts["diagnosis"]) == list(expected)
        centres = index["center"].astype("object").where(index["center"].notna()).astype(str)
        assert counts["center"] == {level: (int(centres[keep].value_counts().get(level, 0)), int(n)) for level, n in centres.value_counts().items()}


def test_per_patient_rows_mask_selects_the_rows_per_patient_copies(cohort):
    # per_patient_rows (the whole table and a mask) and per_patient (a copy of the selected rows,
    # patients renumbered) hold the same rows in the same order; the whole cohort needs no mask.
    whole = score_cohort(cohort)

    def compute(root):
        outcomes = root.outcomes
        return pd.DataFrame({"code": np.repeat(np.arange(len(outcomes)), 2), "value": np.arange(2 * len(outcomes)) * 0.5})

    keep = np.arange(cohort.n_patients) % 4 == 1
    selection = whole.restrict(keep)
    table, rows = selection.per_patient_rows("test.rows", compute)
    copied = selection.per_patient("test.rows", compute)
    assert rows.dtype == bool and rows.sum() == len(copied) == 2 * keep.sum()
    assert np.array_equal(table["value"].to_numpy()[rows], copied["value"].to_numpy())
    assert whole.per_patient_rows("test.rows", compute)[1] is None


def test_per_selection_computes_once_per_selection_and_anew_for_a_new_filter(cohort):
    whole = score_cohort(cohort)
    calls = []

    def compute(selection):
        calls.append(len(selection.outcomes))
        return pd.DataFrame({"n": [len(selection.outcomes)]})

    first = whole.restrict(np.arange(cohort.n_patients) % 2 == 0)
    a, b = first.per_selection("test.n", compute), first.per_selection("test.n", compute)
    a.loc[0, "n"] = -1  # a caller changing its copy does not change the kept table
    again = whole.restrict(np.arange(cohort.n_patients) % 2 == 0).per_selection("test.n", compute)
    assert calls == [100, 100] and b["n"].tolist() == [100] and first.per_selection("test.n", compute)["n"].tolist() == [100]
    assert again["n"].tolist() == [100]
