"""Every clinical threshold at its boundary: a patient exactly at the cut-off, and one just beyond.

Each test states a rule of Lemal et al. (2019) or of the dashboard's method
with a value that sits exactly on the threshold, so that turning ``>`` into
``>=`` (or ``<`` into ``<=``) in the code makes it fail. ``tests/mutation_audit.py``
applies those mutations one at a time and names the test that catches each;
the expected values below are counted by hand from the few rows of each
hand-made cohort.

The engine's own cut-offs (decrease of exactly 10 % and 50 %, assessment at
the end month, sustained run of exactly 3 months) are in test_engine.py; the
biology ±20 % direction boundary in test_biology.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omalizumab_core.analyses import biology
from omalizumab_core.analyses.biology import lab_pairs
from omalizumab_core.analyses.candidate_signals import symptom_outcome_frequencies
from omalizumab_core.analyses.overview import table1
from omalizumab_core.analyses.patient_course import dose_timeline
from omalizumab_core.analyses.publication import publication_comparison
from omalizumab_core.analyses.symptom_changes import score_distribution
from omalizumab_core.analyses.time_to_response import first_improvement_times
from omalizumab_core.engine.scoring import score_cohort
from tests.handmade import cohort_of, course, patient, single


def _derived(table: pd.DataFrame, quantity: str) -> str:
    return table.loc[table["quantity"] == quantity, "derived"].iloc[0]


# --- baseline tryptase > 20 ng/mL (Table 1, WHO minor criterion) ------------------------


def _tryptase_cohort():
    # 20 exactly is not "> 20"; 20.1 is; 19.9 is not; a blank is not evaluated. By hand: 1 of 3 evaluated.
    values = {"A": 20.0, "B": 20.1, "C": 19.9, "D": np.nan}
    patients = [patient(pid, baseline_tryptase=v) for pid, v in values.items()]
    rows = [r for pid in values for r in course(pid, {"flushing": {0: 1, 2: 0.5}})]
    return score_cohort(cohort_of(patients, rows))


def test_publication_baseline_tryptase_of_exactly_20_is_not_above_20():
    table = publication_comparison(_tryptase_cohort())
    assert _derived(table, "Baseline serum tryptase > 20 ng/mL") == "1/3"


def test_overview_table1_baseline_tryptase_of_exactly_20_is_not_above_20():
    t = table1(_tryptase_cohort())
    row = t[(t["characteristic"] == "Baseline serum tryptase > 20 ng/mL")].iloc[0]
    assert (int(row["n"]), int(row["total"])) == (1, 3)


# --- anaphylaxis improved (< 1) / worsened (> 1) at best response ------------------------


def _anaphylaxis_cohort():
    # Read at each patient's best-response assessment (month 2 for everyone):
    # A unchanged (1): neither improved nor worsened; B 0.75: improved; C 1.5: worsened.
    rows = (
        course("A", {"anaphylaxis": {0: 1, 2: 1}, "flushing": {0: 1, 2: 0}})
        + course("B", {"anaphylaxis": {0: 1, 2: 0.75}})
        + course("C", {"anaphylaxis": {0: 1, 2: 1.5}, "flushing": {0: 1, 2: 0}})
    )
    return score_cohort(cohort_of([patient(p) for p in "ABC"], rows))


def test_publication_anaphylaxis_unchanged_at_1_is_neither_improved_nor_worsened():
    table = publication_comparison(_anaphylaxis_cohort())
    assert _derived(table, "Patients with anaphylaxis") == "3"
    assert _derived(table, "Anaphylaxis at best response: improved / worsened") == "1/1"


def test_candidate_symptom_unchanged_at_1_is_not_improved_and_1_5_is_worsened():
    frequencies = symptom_outcome_frequencies(_anaphylaxis_cohort(), ["anaphylaxis"]).iloc[0]
    # Over every on-treatment score: A's lowest is 1 (not improved), B's 0.75, C's highest 1.5.
    assert (frequencies["patients"], frequencies["improved"], frequencies["disappeared"], frequencies["worsened"]) == (3, 1, 0, 1)


def test_first_improvement_needs_a_score_below_1_not_equal_to_1():
    rows = course("U", {"anaphylaxis": {0: 1, 2: 1, 4: 1}}) + course("I", {"anaphylaxis": {0: 1, 2: 1, 4: 0.75}})
    times = first_improvement_times(score_cohort(cohort_of([patient("U"), patient("I")], rows)))
    # U scores exactly 1 at every visit: never improved. I improves at month 4, not at month 2 (still 1).
    assert times[["patient_id", "month"]].astype({"patient_id": str}).values.tolist() == [["I", 4.0]]


# --- the tryptase change: significant when p < 0.05 ---------------------------------------


def _two_pair_labs_cohort():
    labs = pd.DataFrame(
        [("A", 0, "tryptase", 10.0), ("A", 3, "tryptase", 12.0), ("B", 0, "tryptase", 10.0), ("B", 3, "tryptase", 11.0)],
        columns=["patient_id", "month", "analyte", "value"],
    )
    rows = [r for pid in "AB" for r in course(pid, {"a": {0: 1, 3: 0.5}})]
    return score_cohort(cohort_of([patient("A"), patient("B")], rows, labs=labs))


@pytest.mark.parametrize("p, shown, agrees", [(0.05, "not significant", True), (0.0499, "significant", False)], ids=["p_0.05", "p_0.0499"])
def test_publication_tryptase_p_of_exactly_0_05_is_not_significant(monkeypatch, p, shown, agrees):
    # "significant if below 0.05" (the paper found the tryptase change not significant). A p-value of
    # exactly 0.05 cannot be produced from data, so the test's p is set directly.
    # Publication reads the paper's figures through biology._tests (lab_tests' row without the effects).
    real = biology._tests

    def with_p(pairs, **kwargs):
        return {**real(pairs, **kwargs), "p_t_test": p}

    monkeypatch.setattr(biology, "_tests", with_p)
    row = publication_comparison(_two_pair_labs_cohort()).set_index("quantity").loc["Tryptase (ng/mL): change on therapy"]
    assert (row["derived"], bool(row["agrees"])) == (shown, agrees)


# --- biology: "on therapy" up to and including the end of treatment -----------------------


def test_a_lab_value_at_exactly_the_end_month_is_still_on_therapy():
    labs = pd.DataFrame(
        [("A", 0, "tryptase", 10.0), ("A", 4, "tryptase", 15.0), ("B", 0, "tryptase", 10.0), ("B", 4.5, "tryptase", 15.0)],
        columns=["patient_id", "month", "analyte", "value"],
    )
    patients = [patient(pid, treatment_end_month=4.0, end_reason="intolerance") for pid in "AB"]
    rows = [r for pid in "AB" for r in course(pid, {"a": {0: 1, 3: 0.5}})]
    pairs = lab_pairs(score_cohort(cohort_of(patients, rows, labs=labs)), "tryptase")
    # A's value at month 4 (the last injection) counts; B's at 4.5 is after the end of treatment.
    assert pairs[["patient_id", "on", "on_month"]].values.tolist() == [["A", 15.0, 4.0]]


def test_a_lab_value_at_exactly_3_months_is_on_therapy_and_one_before_is_not():
    labs = pd.DataFrame(
        [("A", 0, "tryptase", 10.0), ("A", 3, "tryptase", 15.0), ("B", 0, "tryptase", 10.0), ("B", 2.9, "tryptase", 15.0)],
        columns=["patient_id", "month", "analyte", "value"],
    )
    rows = [r for pid in "AB" for r in course(pid, {"a": {0: 1, 3: 0.5}})]
    pairs = lab_pairs(score_cohort(cohort_of([patient("A"), patient("B")], rows, labs=labs)), "tryptase")
    assert pairs["patient_id"].tolist() == ["A"]


# --- the sustained response: a run spanning at least 3 months ----------------------------


@pytest.mark.parametrize("last_month, sustained", [(4.0, True), (3.9, False), (3.0, False)])
def test_sustained_response_needs_3_months_and_2_9_is_not_enough(last_month, sustained):
    # Responding from month 1 to last_month: spans 3, 2.9 and 2 months.
    outcome = score_cohort(single({"a": {0: 1, 1: 0.5, last_month: 0.5}})).outcomes.iloc[0]
    assert bool(outcome["sustained_3_months"]) is sustained


# --- the engine: a patient without baseline symptoms cannot respond ----------------------


def test_patient_without_baseline_symptoms_cannot_respond():
    # A symptom first recorded at month 2 with score 0: no baseline symptom, so B = 0; the score S = 0
    # must not read as "resolution of all preexisting symptoms".
    outcome = score_cohort(single({"flushing": {2: 0}})).outcomes.iloc[0]
    assert (outcome["baseline_symptoms"], outcome["best_response"]) == (0, "NR")


# --- score classes of the symptom heatmap: 0 / ≤ 0.25 / ≤ 0.5 / < 1 / 1 / > 1 ----------------


def test_score_classes_put_each_boundary_score_in_its_own_class():
    # One patient per score; each class boundary (0.25, 0.5, 1) is exactly on its edge.
    scores = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5]
    matrix = pd.DataFrame({"a": scores}, index=pd.Index([f"P{i}" for i in range(len(scores))], name="patient_id"))
    matrix.columns.name = "symptom"
    distribution = score_distribution(matrix)
    assert distribution["n"].tolist() == [1, 1, 1, 1, 1, 1]


# --- dose timeline: an interval of 7 days is weekly dosing -------------------------------


@pytest.mark.parametrize("interval, label", [(7, "weekly dosing"), (8, "interval shortened")], ids=["7_days", "8_days"])
def test_dose_timeline_calls_an_interval_of_exactly_7_days_weekly(interval, label):
    doses = pd.DataFrame([("P1", 0, 150, 14), ("P1", 2, 150, interval)], columns=["patient_id", "month", "dose_mg", "interval_days"])
    cohort = cohort_of([patient("P1")], course("P1", {"a": {0: 1, 2: 1}}), doses=doses)
    assert dose_timeline(score_cohort(cohort), "P1")["change"].tolist() == ["start", label]


# --- complete response: a score of exactly 0, not "almost 0" ----------------------------


def test_a_score_of_one_quarter_is_major_not_complete_response():
    # One symptom scored 0.25 ("dramatic improvement"): decrease 75 %, MR; only 0 is "resolution".
    outcome = score_cohort(single({"a": {0: 1, 2: 0.25, 4: 0}})).outcomes.iloc[0]
    assert (outcome["best_response"], outcome["months_to_first_response"], outcome["months_to_best_response"]) == ("CR", 2.0, 4.0)
