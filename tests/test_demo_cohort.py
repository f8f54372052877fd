"""The demo cohort re-derives the published study through the engine (one test per figure)."""

from __future__ import annotations

import filecmp

import pytest

from omalizumab_core.demo import DEMO_DIR, demo_cohort, demo_scored
from omalizumab_core.demo.generate import write
from omalizumab_core.publication import publication_comparison

# The one published figure the generator does not reproduce (see docs/demo-cohort.md).
KNOWN_UNMATCHED = {"Time from diagnosis to treatment, median (range), years"}

COMPARISON = publication_comparison(demo_scored())
FIGURES = COMPARISON[COMPARISON["section"] != "Inconsistencies of the paper"]


@pytest.mark.parametrize("row", FIGURES.to_dict("records"), ids=lambda r: f"{r['section']} | {r['quantity']}")
def test_published_value_is_rederived(row):
    if row["quantity"] in KNOWN_UNMATCHED:
        assert not row["agrees"] and row["note"]
        return
    assert row["derived"] == row["published"]


def test_paper_inconsistencies_are_flagged_with_the_table_consistent_value():
    flagged = COMPARISON[COMPARISON["section"] == "Inconsistencies of the paper"]
    assert len(flagged) == 6
    idiopathic = flagged[flagged["quantity"] == "Overall response rate, idiopathic MCAS"].iloc[0]
    assert "64.3 %" in idiopathic["derived"] and "68.7" in idiopathic["published"]
    derived_idiopathic = FIGURES[FIGURES["quantity"] == "Idiopathic MCAS: best: overall response"].iloc[0]["derived"]
    assert derived_idiopathic == "9 (64.3 %)"


def test_demo_loads_through_validation_without_warnings_and_is_labelled_synthetic():
    cohort = demo_cohort()
    assert cohort.n_patients == 55 and cohort.synthetic
    assert cohort.warnings == []
    assert "synthetic" in cohort.source


def test_no_response_category_is_stored_in_the_demo_files():
    for path in DEMO_DIR.glob("*.csv"):
        header = path.read_text(encoding="utf-8").splitlines()[0]
        assert not {"best_response", "category", "status"} & set(header.split(","))


def test_regenerating_gives_byte_identical_files(tmp_path):
    write(tmp_path)
    names = sorted(p.name for p in DEMO_DIR.glob("*.csv"))
    assert names == sorted(p.name for p in tmp_path.glob("*.csv"))
    match, mismatch, errors = filecmp.cmpfiles(DEMO_DIR, tmp_path, names, shallow=False)
    assert mismatch == [] and errors == []
