"""A large cohort's per-cohort tables are prepared in the background (issue 21), with the results a page computes itself."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd

from omalizumab_core.analyses import prepare
from omalizumab_core.analyses.publication import publication_comparison
from omalizumab_core.analyses.symptom_changes import symptom_changes
from omalizumab_core.engine.scoring import _memoised, score_cohort
from omalizumab_core.synthetic.synth import synthetic_cohort
from tests.apptest_support import app_on


def test_a_table_asked_by_two_threads_is_computed_once_and_shared():
    scored = score_cohort(synthetic_cohort(20, seed=1))
    calls, entered, release = [], threading.Event(), threading.Event()

    def compute(root):
        calls.append(1)
        entered.set()
        release.wait(timeout=30)
        return object()

    results = []
    first = threading.Thread(target=lambda: results.append(_memoised(scored, "k", compute)))
    first.start()
    entered.wait(timeout=30)
    second = threading.Thread(target=lambda: results.append(_memoised(scored, "k", compute)))
    second.start()
    time.sleep(0.2)  # the second asks while the first computes (if it came later, it reads the kept table: same assertion)
    release.set()
    first.join(timeout=30), second.join(timeout=30)
    assert len(calls) == 1 and len(results) == 2 and results[0] is results[1]


def test_prepared_tables_give_every_selection_the_results_of_its_own_computation():
    cohort = synthetic_cohort(300, seed=4)
    keep = np.arange(cohort.n_patients) % 4 != 1
    prepared = score_cohort(cohort)
    assert prepare.prepare_shared_tables(prepared) == ["follow_up", "time_to_response", "symptoms", "publication", "scipy.stats"]
    assert "symptom_changes.scores.'best'" in prepared.__dict__["_memo"]
    plain = score_cohort(cohort)
    for function in (publication_comparison, symptom_changes):
        pd.testing.assert_frame_equal(function(prepared.restrict(keep)), function(plain.restrict(keep)))


def _prepare_threads():
    return [t for t in threading.enumerate() if t.name == "prepare-cohort-tables"]


def test_the_dashboard_prepares_a_large_cohort_after_its_first_page_and_not_the_demo(monkeypatch):
    at = app_on()  # the demo: 55 patients, nothing to prepare
    assert not at.exception and not _prepare_threads()
    assert "_memo" not in at.session_state["scored"]["any_symptom"].__dict__ or \
        "symptom_changes.scores.'best'" not in at.session_state["scored"]["any_symptom"].__dict__["_memo"]
    monkeypatch.setattr(prepare, "PREPARE_MIN_SYMPTOM_ROWS", 1)  # the demo counted as a registry
    at = app_on(synthetic_cohort(120, seed=9))
    assert not at.exception
    for thread in _prepare_threads():
        thread.join(timeout=120)
    memo = at.session_state["scored"]["any_symptom"].__dict__["_memo"]
    assert {"symptom_changes.scores.'best'", "time_to_response.first_improvement", "follow_up.swimmer_events"} <= set(memo)
