"""A real dashboard server frees what a closed browser tab uploaded.

Runs the load test's machinery small (``benchmarks/load_test.py``): a real
``streamlit run app.py`` on loopback, two websocket clients that each upload
a cohort through the file uploader, open a page and change a filter, then
close. The checks are about correctness, not speed: both uploads loaded,
no page raised, and once the server has dropped the closed sessions no
session and no uploaded cohort is still alive in the server process. The
figures (rerun times, memory) come from ``python -m benchmarks.load_test``.
"""

from __future__ import annotations

import argparse

import pytest

from benchmarks import load_test


@pytest.fixture(scope="module")
def small_load_test():
    args = argparse.Namespace(
        sessions=2, steps=1, patients=30, waves=1, session_ttl=1, timeout=120.0, tolerance_mb=64.0, env=[],
    )
    return load_test.load_test(args)


def test_every_tab_uploads_its_cohort_through_the_real_uploader(small_load_test):
    assert small_load_test["errors"] == []
    assert small_load_test["uploads_loaded"] == 2
    assert small_load_test["filters_changed"], "no sidebar filter was found and changed"


def test_no_page_raises_under_concurrent_tabs(small_load_test):
    assert small_load_test["exceptions"] == []


def test_closed_tabs_leave_no_session_or_cohort_alive_in_the_server(small_load_test):
    # Alive after the tabs closed: only the demo cohort (shared, synthetic),
    # its scoring and the one small "sweeper" session the test keeps open the same way in both readings.
    assert small_load_test["left_alive"] == {"AppSession": 0, "Cohort": 0, "ScoredCohort": 0}
    assert small_load_test["waves"][0]["after"]["alive"] == small_load_test["before"]["alive"]
