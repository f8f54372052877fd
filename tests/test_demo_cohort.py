"""The demo cohort re-derives the published study through the engine (one test per figure).

These tests prove consistency, not correctness: the generator refuses to write
the demo unless the engine re-derives every target, so they pass with a wrong
rule as long as the generator and the engine share it (a mutation audit found
they catch none of the engine mutants). Each rule they exercise also has a
hand-made test: test_publication.py (every Publication row on a cohort
counted by hand), test_thresholds.py and test_engine.py.
"""

from __future__ import annotations

import copy
import filecmp

import numpy as np
import pytest

from omalizumab_core.synthetic.demo import DEMO_DIR, demo_cohort, demo_scored
from omalizumab_core.synthetic.demo.generate import load_targets, misses, write
from omalizumab_core.analyses.dosing import dose_changes
from omalizumab_core.analyses.publication import publication_comparison

COMPARISON = publication_comparison(demo_scored())
FIGURES = COMPARISON[COMPARISON["section"] != "Inconsistencies of the paper"]


@pytest.mark.parametrize("row", FIGURES.to_dict("records"), ids=lambda r: f"{r['section']} | {r['quantity']}")
def test_published_value_is_rederived(row):
    assert row["derived"] != "not available"
    assert row["agrees"], f"published {row['published']}, derived {row['derived']}"


def test_every_issue_figure_is_compared():
    sections = set(FIGURES["section"])
    assert {"Table 1", "Table 2", "Symptoms", "Time to response", "Duration", "Dosing", "Safety", "Biology"} <= sections
    quantities = set(FIGURES["quantity"])
    for quantity in (
        "Time from diagnosis to treatment, median (range), years",
        "Anaphylaxis at best response: improved / worsened",
        "First improvement of general vasomotor symptoms, median (range), months",
        "Escalations deepening the response in the same category (the paper: improving their PR)",
        "Weekly dosing: improved the response",
        "Total IgE stable on therapy (within ±20 %)",
    ):
        assert quantity in quantities


def test_paper_inconsistencies_are_flagged_with_the_table_consistent_value():
    flagged = COMPARISON[COMPARISON["section"] == "Inconsistencies of the paper"]
    assert len(flagged) == 6 and not flagged["agrees"].any()
    idiopathic = flagged[flagged["quantity"] == "Overall response rate, idiopathic MCAS"].iloc[0]
    assert "64.3 %" in idiopathic["derived"] and "68.7" in idiopathic["published"]
    derived_idiopathic = FIGURES[FIGURES["quantity"] == "Idiopathic MCAS: best: overall response"].iloc[0]["derived"]
    assert derived_idiopathic == "9 (64.3 %)"


def test_escalations_improve_a_partial_response_and_weekly_dosing_follows_a_recurrence():
    # Paper: escalation "to improve a partial efficacy"; weekly dosing "in case of reoccurrence of
    # symptoms prior to the following dose, in a patient responding to therapy".
    changes = dose_changes(demo_scored())
    first = changes.drop_duplicates(["patient_id", "kind"])
    escalations = first[first["kind"] == "escalation"]
    assert (escalations["category_before"] == "PR").all()
    deeper = escalations[escalations["improvement"] == "deeper_same_category"]
    assert len(deeper) == 8 and (deeper["best_category_after"] == "PR").all()
    assert (deeper["best_decrease_after_pct"] > deeper["decrease_before_pct"]).all()
    weekly = first[first["kind"] == "weekly"].set_index("patient_id")
    outcomes = demo_scored().outcomes.set_index("patient_id")
    responded_before = outcomes.loc[weekly.index, "months_to_first_response"] <= weekly["month"]
    assert responded_before.all()
    assert not set(escalations["patient_id"]) & set(weekly.index)


def test_ages_pair_diagnosis_before_treatment_with_sensible_subgroups():
    cohort = demo_cohort()
    p = cohort.patients.set_index("patient_id")
    gap = (p["age_at_treatment"] - p["age_at_diagnosis"]).round(1)
    assert gap.min() == 0.2  # "2 months", in tenths of a year
    subgroup = demo_scored().outcomes.set_index("patient_id")["subgroup"]
    assert (p.loc[subgroup.isin(["MMAS", "idiopathic"]), "age_at_diagnosis"] >= 18).all()  # MCAS is not a childhood diagnosis
    pregnancy = p[p["end_reason"] == "pregnancy_intent"]
    assert (pregnancy["sex"] == "F").all() and pregnancy["age_at_treatment"].between(18, 40).all()
    medians = p.groupby(subgroup)["age_at_treatment"].median()
    assert medians.between(30, 70).all()


def test_tested_patients_baseline_is_their_month_0_laboratory_value():
    cohort = demo_cohort()
    labs = cohort.labs[cohort.labs["month"] == 0]
    values = labs.pivot_table(index="patient_id", columns="analyte", values="value", observed=True)
    baseline = cohort.patients.set_index("patient_id").loc[values.index]
    assert len(values) == 15
    assert np.array_equal(baseline["baseline_tryptase"].to_numpy(), values["tryptase"].to_numpy())
    assert np.array_equal(baseline["baseline_total_ige"].to_numpy(), values["total_ige"].to_numpy())


def test_the_generator_checks_its_targets():
    targets = load_targets()
    assert misses(demo_scored(), targets) == []
    changed = copy.deepcopy(targets)
    changed["dosing"]["weekly_outcomes"]["reached_MR"] = 2
    assert "weekly: reached MR: 1 instead of 2" in misses(demo_scored(), changed)
    changed["first_improvement"]["general_vasomotor"]["max"] = 4
    assert any(m.startswith("general vasomotor first improvement") for m in misses(demo_scored(), changed))


def test_the_generator_refuses_targets_it_cannot_build(tmp_path):
    targets = load_targets()
    targets["dosing"]["escalation_outcomes"]["deeper_PR"] = 20  # there are only 12 partial responders
    with pytest.raises(ValueError, match="deeper_PR"):
        write(tmp_path, targets)
    assert not list(tmp_path.glob("*.csv"))


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
    names = sorted(str(p.relative_to(DEMO_DIR)) for p in [*DEMO_DIR.glob("*.csv"), *DEMO_DIR.glob("instruments/*.toml")])
    assert names == sorted(str(p.relative_to(tmp_path)) for p in [*tmp_path.glob("*.csv"), *tmp_path.glob("instruments/*.toml")])
    match, mismatch, errors = filecmp.cmpfiles(DEMO_DIR, tmp_path, names, shallow=False)
    assert mismatch == [] and errors == []


def test_demo_who_codon_816_criterion_is_the_kit_d816v_result():
    # Lemal et al.: "KIT D816V mutation was found in 27/49 patients" (the positives of Table 1); drawn
    # independently, idiopathic MCAS patients had a codon-816 mutation (seen by a first-time tester).
    from omalizumab_core.synthetic.demo import demo_cohort

    patients = demo_cohort().patients
    expected = patients["kit_d816v"].astype(str).map({"positive": True, "negative": False})
    got = patients["who_kit_816"]
    assert (got.isna() == expected.isna()).all()
    assert (got.dropna().astype(bool) == expected.dropna().astype(bool)).all()
    assert int(got.sum()) == 27 and int(got.notna().sum()) == 49


def test_the_demo_questionnaire_is_the_shipped_example_definition_and_says_so():
    # The paper used no questionnaire: the demo's table is plainly synthetic, scored with the shipped example
    # definition (docs/demo-cohort.md, step 6), whose file is copied byte for byte beside the demo's tables.
    from omalizumab_core.data.instruments import example_instrument_text
    cohort = demo_cohort()
    assert sorted(cohort.instruments) == ["example_symptom_diary"] and cohort.instruments["example_symptom_diary"].example
    assert (DEMO_DIR / "instruments" / "example_symptom_diary.toml").read_text(encoding="utf-8") == example_instrument_text()
    table = cohort.instrument_scores
    assert set(table["item"]) == {"itch", "flushing", "abdominal_pain", "fatigue"}  # items only: the total is computed
    assert table["value"].between(0, 10).all()
    assert table.groupby("patient_id")["month"].min().eq(0).all() and table["patient_id"].nunique() == 55
