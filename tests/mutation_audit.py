"""Mutation audit of the clinical thresholds: each boundary mutant must be caught by a named test.

Run ``python -m tests.mutation_audit`` (a few minutes; not part of the test
suite). The repository is copied to a temporary folder; there, one mutant at
a time (``>`` turned into ``>=``, ``<`` into ``<=``, a cut-off moved), the
tests named for it are run. A mutant is caught when at least one of them
fails. The working tree is never modified.

Exit status 1 when a mutant survives, or when a mutant's text is no longer
found exactly once in its file (the code moved: update the list).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    rule: str
    path: str
    original: str
    mutated: str
    tests: tuple[str, ...]


T = "tests/test_thresholds.py::"
MUTANTS = (
    # Publication page (analyses/publication.py)
    Mutant("Table 1: baseline tryptase > 20 ng/mL -> >= 20", "omalizumab_core/analyses/publication.py", "(tryptase > 20)", "(tryptase >= 20)",
           (T + "test_publication_baseline_tryptase_of_exactly_20_is_not_above_20",)),
    Mutant("Anaphylaxis improved: score < 1 -> <= 1", "omalizumab_core/analyses/publication.py", "score < 1, ", "score <= 1, ",
           (T + "test_publication_anaphylaxis_unchanged_at_1_is_neither_improved_nor_worsened",)),
    Mutant("Anaphylaxis worsened: score > 1 -> >= 1", "omalizumab_core/analyses/publication.py", "score > 1]", "score >= 1]",
           (T + "test_publication_anaphylaxis_unchanged_at_1_is_neither_improved_nor_worsened",)),
    Mutant("Tryptase change significant: p < 0.05 -> <= 0.05", "omalizumab_core/analyses/publication.py", "p_value < 0.05", "p_value <= 0.05",
           (T + "test_publication_tryptase_p_of_exactly_0_05_is_not_significant",)),
    Mutant("Other categories' medians within 2-3 months: inclusive -> excluding 2", "omalizumab_core/analyses/publication.py",
           ".between(low, high)", '.between(low, high, inclusive="right")',
           ("tests/test_publication.py::test_other_categories_median_of_exactly_2_months_agrees_and_just_below_does_not",)),
    Mutant("Other categories' medians within 2-3 months: inclusive -> excluding 3", "omalizumab_core/analyses/publication.py",
           ".between(low, high)", '.between(low, high, inclusive="left")',
           ("tests/test_publication.py::test_other_categories_agree_when_every_median_lies_within_2_to_3_months",)),
    # Overview (Table 1)
    Mutant("Overview Table 1: baseline tryptase > 20 -> >= 20", "omalizumab_core/analyses/overview.py", "(measured > 20)", "(measured >= 20)",
           (T + "test_overview_table1_baseline_tryptase_of_exactly_20_is_not_above_20",)),
    # Engine (engine/scoring.py)
    Mutant("MR: decrease > 50 % -> >= 50 %", "omalizumab_core/engine/scoring.py", "2 * d > b", "2 * d >= b",
           ("tests/test_engine.py::test_decrease_of_exactly_50_percent_is_partial_not_major",)),
    Mutant("PR: decrease >= 10 % -> > 10 %", "omalizumab_core/engine/scoring.py", "10 * d >= b", "10 * d > b",
           ("tests/test_engine.py::test_decrease_of_exactly_10_percent_is_partial_response",)),
    Mutant("CR: score 0 -> score <= 1 quarter", "omalizumab_core/engine/scoring.py", "np.where(s == 0, _CR, rank)", "np.where(s <= 1, _CR, rank)",
           (T + "test_a_score_of_one_quarter_is_major_not_complete_response",)),
    Mutant("No baseline symptom cannot respond: B <= 0 -> B < 0", "omalizumab_core/engine/scoring.py", "(b <= 0)", "(b < 0)",
           (T + "test_patient_without_baseline_symptoms_cannot_respond",)),
    Mutant("Sustained: run of >= 3 months -> > 3", "omalizumab_core/engine/scoring.py", ">= 3 - 1e-9", ">= 3 + 1e-9",
           ("tests/test_engine.py::test_sustained_response_needs_a_responding_run_spanning_3_months", T + "test_sustained_response_needs_3_months_and_2_9_is_not_enough")),
    Mutant("Sustained: run of >= 3 months -> >= 2", "omalizumab_core/engine/scoring.py", ">= 3 - 1e-9", ">= 2 - 1e-9",
           (T + "test_sustained_response_needs_3_months_and_2_9_is_not_enough",)),
    Mutant("Assessment at the end month counts: end < month -> end <= month", "omalizumab_core/engine/scoring.py",
           "~(end[np.maximum(p, 0)] < month)", "~(end[np.maximum(p, 0)] <= month)",
           ("tests/test_engine.py::test_assessment_at_the_end_month_counts",)),
    Mutant("New symptom present when score > 0 -> >= 0", "omalizumab_core/engine/scoring.py",
           "(q > 0).astype(np.int8) - (prev_q > 0)", "(q >= 0).astype(np.int8) - (prev_q >= 0)",
           ("tests/test_engine.py::test_new_symptom_present_means_no_response_until_it_disappears",)),
    # Biology (analyses/biology.py)
    Mutant("IgE/tryptase increased: > +20 % -> >= +20 %", "omalizumab_core/analyses/biology.py", "increased = o * den > b", "increased = o * den >= b",
           ("tests/test_biology.py::test_direction_is_stable_within_20_percent_inclusive",)),
    Mutant("IgE/tryptase decreased: < -20 % -> <= -20 %", "omalizumab_core/analyses/biology.py", "decreased = o * den < b", "decreased = o * den <= b",
           ("tests/test_biology.py::test_direction_is_stable_within_20_percent_inclusive",)),
    Mutant("Value before: month <= 0 -> < 0", "omalizumab_core/analyses/biology.py", "pre = month <= 0", "pre = month < 0",
           ("tests/test_biology.py::test_before_is_the_latest_value_at_month_0_and_on_the_first_after_3_months",)),
    Mutant("Value on therapy: month >= 3 -> > 3", "omalizumab_core/analyses/biology.py", "(month >= MIN_MONTHS_ON_TREATMENT)", "(month > MIN_MONTHS_ON_TREATMENT)",
           (T + "test_a_lab_value_at_exactly_3_months_is_on_therapy_and_one_before_is_not",)),
    Mutant("Value on therapy: month >= 3 -> >= 2", "omalizumab_core/analyses/biology.py", "(month >= MIN_MONTHS_ON_TREATMENT)", "(month >= MIN_MONTHS_ON_TREATMENT - 1)",
           (T + "test_a_lab_value_at_exactly_3_months_is_on_therapy_and_one_before_is_not",)),
    Mutant("Value on therapy up to the end month: month <= end -> < end", "omalizumab_core/analyses/biology.py", "(month <= stop)", "(month < stop)",
           (T + "test_a_lab_value_at_exactly_the_end_month_is_still_on_therapy",)),
    # Time to response, candidate, symptom classes
    Mutant("First improvement: score < 1 -> <= 1", "omalizumab_core/analyses/time_to_response.py",
           "(score < 1 - 0.5 / QUARTERS_PER_POINT)", "(score <= 1)",
           (T + "test_first_improvement_needs_a_score_below_1_not_equal_to_1",)),
    Mutant("Candidate symptom improved: score < 1 -> <= 1", "omalizumab_core/analyses/candidate_signals.py",
           'per_pair["min"].to_numpy() < QUARTERS_PER_POINT', 'per_pair["min"].to_numpy() <= QUARTERS_PER_POINT',
           (T + "test_candidate_symptom_unchanged_at_1_is_not_improved_and_1_5_is_worsened",)),
    Mutant("Candidate symptom worsened: max >= 1.5 -> >= 1", "omalizumab_core/analyses/candidate_signals.py",
           'per_pair["max"].to_numpy() >= WORSE_QUARTERS', 'per_pair["max"].to_numpy() >= QUARTERS_PER_POINT',
           (T + "test_candidate_symptom_unchanged_at_1_is_not_improved_and_1_5_is_worsened",)),
    Mutant("Score class dramatic: <= 0.25 -> < 0.25", "omalizumab_core/analyses/symptom_changes.py", "(values <= 0.25)", "(values < 0.25)",
           (T + "test_score_classes_put_each_boundary_score_in_its_own_class",)),
    Mutant("Score class substantial: <= 0.5 -> < 0.5", "omalizumab_core/analyses/symptom_changes.py", "(values <= 0.5)", "(values < 0.5)",
           (T + "test_score_classes_put_each_boundary_score_in_its_own_class",)),
    Mutant("Score class slight: < 1 -> <= 1", "omalizumab_core/analyses/symptom_changes.py", "(values < 1)", "(values <= 1)",
           (T + "test_score_classes_put_each_boundary_score_in_its_own_class",)),
    Mutant("Score class worsening: > 1 -> >= 1", "omalizumab_core/analyses/symptom_changes.py", "np.sum(values > 1)", "np.sum(values >= 1)",
           (T + "test_score_classes_put_each_boundary_score_in_its_own_class",)),
    Mutant("Symptom score read at month m includes the row at m: <= -> <", "omalizumab_core/analyses/symptom_changes.py",
           "(month <= bound[safe_p])", "(month < bound[safe_p])",
           ("tests/test_symptom_changes.py", T + "test_publication_anaphylaxis_unchanged_at_1_is_neither_improved_nor_worsened")),
    # Safety, dosing, patient course, filters, p-value notation
    Mutant("Adverse event at the first injection: month <= 0 -> < 0", "omalizumab_core/analyses/safety.py",
           'later = ~(e["month"].to_numpy(dtype="float64") <= 0)', 'later = ~(e["month"].to_numpy(dtype="float64") < 0)',
           ("tests/test_safety.py::test_timing_separates_the_first_injection_and_counts_a_patient_in_both",)),
    Mutant("Severe reaction at the first injection: month <= 0 -> < 0", "omalizumab_core/analyses/safety.py",
           'severe & (e["month"] <= 0)', 'severe & (e["month"] < 0)',
           ("tests/test_safety.py::test_summary_counts_patients_with_serious_flare_discontinuation_and_severe_first_injection",)),
    Mutant("Weekly dosing: interval <= 7 days -> < 7", "omalizumab_core/analyses/dosing.py", "(to_interval <= WEEKLY_DAYS)", "(to_interval < WEEKLY_DAYS)",
           ("tests/test_dosing.py::test_kind_of_change_weekly_first_then_more_or_less_omalizumab_per_day",)),
    Mutant("Weekly dosing: from more than 7 days -> >= 7", "omalizumab_core/analyses/dosing.py", "(from_interval > WEEKLY_DAYS)", "(from_interval >= WEEKLY_DAYS)",
           ("tests/test_dosing.py::test_kind_of_change_weekly_first_then_more_or_less_omalizumab_per_day",)),
    Mutant("Dose timeline weekly: interval <= 7 -> < 7", "omalizumab_core/analyses/patient_course.py", "if interval[i] <= 7 else", "if interval[i] < 7 else",
           (T + "test_dose_timeline_calls_an_interval_of_exactly_7_days_weekly",)),
    Mutant("Assessment gap: more than 3 months -> at least 3", "omalizumab_core/analyses/patient_course.py",
           "length > longer_than + _MONTH_TOLERANCE", "length > longer_than - _MONTH_TOLERANCE",
           ("tests/test_patient_course.py::test_exactly_3_months_between_assessments_is_not_a_gap",)),
    Mutant("Age filter inclusive: age >= low -> > low", "omalizumab_core/analyses/filters.py", "(age >= low)", "(age > low)",
           ("tests/test_filters.py::test_age_range_is_inclusive_and_drops_patients_without_an_age",)),
    Mutant("Age filter inclusive: age <= high -> < high", "omalizumab_core/analyses/filters.py", "(age <= high)", "(age < high)",
           ("tests/test_filters.py::test_age_range_is_inclusive_and_drops_patients_without_an_age",)),
    Mutant("Stars: * when p < 0.05 -> <= 0.05", "omalizumab_core/formatting.py", "if p < 0.05:", "if p <= 0.05:",
           ("tests/test_multiple_testing.py::test_stars_at_the_papers_thresholds",)),
    Mutant("Stars: ** when p < 0.01 -> <= 0.01", "omalizumab_core/formatting.py", "if p < 0.01:", "if p <= 0.01:",
           ("tests/test_multiple_testing.py::test_stars_at_the_papers_thresholds",)),
    Mutant("Stars: *** when p < 0.001 -> <= 0.001", "omalizumab_core/formatting.py", "if p < 0.001:\n        return \"***\"", "if p <= 0.001:\n        return \"***\"",
           ("tests/test_multiple_testing.py::test_stars_at_the_papers_thresholds",)),
)


def _failed_tests(output: str) -> list[str]:
    return sorted(set(re.findall(r"^FAILED (\S+)", output, flags=re.MULTILINE)))


def audit(mutants=MUTANTS, *, only: str | None = None) -> list[tuple[Mutant, str, list[str]]]:
    """(mutant, verdict, failing tests) for each mutant: verdict "caught", "SURVIVED" or "NOT FOUND"."""
    results = []
    with tempfile.TemporaryDirectory(prefix="mutation-audit-") as tmp:
        copy = Path(tmp) / "repo"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", "__pycache__", "test-artifacts", ".hypothesis"))
        for mutant in mutants:
            if only and only.lower() not in mutant.rule.lower():
                continue
            target = copy / mutant.path
            original = target.read_text(encoding="utf-8")
            if original.count(mutant.original) != 1:
                results.append((mutant, "NOT FOUND", []))
                print(f"NOT FOUND {mutant.rule}: its text is in {mutant.path} {original.count(mutant.original)} times, not once", flush=True)
                continue
            target.write_text(original.replace(mutant.original, mutant.mutated), encoding="utf-8")
            try:
                run = subprocess.run(
                    [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *mutant.tests],
                    cwd=copy, capture_output=True, text=True, timeout=900,
                )
            finally:
                target.write_text(original, encoding="utf-8")
            failed = _failed_tests(run.stdout)
            results.append((mutant, "caught" if run.returncode != 0 and failed else "SURVIVED", failed))
            print(f"{results[-1][1]:9} {mutant.rule}: {', '.join(failed) or '-'}", flush=True)
    return results


if __name__ == "__main__":
    outcome = audit(only=sys.argv[1] if len(sys.argv) > 1 else None)
    sys.exit(0 if all(verdict == "caught" for _, verdict, _ in outcome) else 1)
