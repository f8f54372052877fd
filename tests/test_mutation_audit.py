"""The mutation audit stays runnable: every mutant's text is found once in its module.

When code moves (the MDT work moved the per-symptom frequencies to
``analyses/candidate_signals.py``), a mutant whose text is no longer found is
not mutated at all; this test says so at once instead of at the next audit.
"""

from __future__ import annotations

import pytest

from tests.mutation_audit import MUTANTS, ROOT


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.rule)
def test_every_mutant_text_is_found_exactly_once_in_its_module(mutant):
    text = (ROOT / mutant.path).read_text(encoding="utf-8")
    assert text.count(mutant.original) == 1, f"{mutant.rule}: update tests/mutation_audit.py ({mutant.path})"
    assert mutant.original != mutant.mutated


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.rule)
def test_every_mutant_names_tests_that_exist(mutant):
    for test in mutant.tests:
        path, _, name = test.partition("::")
        source = (ROOT / path).read_text(encoding="utf-8")
        assert not name or f"def {name.split('[')[0]}(" in source, test
