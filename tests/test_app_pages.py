"""Every page runs without an exception: on the demo, with only the required tables, on one patient."""

from __future__ import annotations

import pytest

from tests.apptest_support import app_on, page_files, shown_text
from tests.handmade import cohort_of, course, patient


def _required_tables_only():
    return cohort_of(
        [patient("A"), patient("B", diagnosis="MCAS", kit_d816v="negative", treatment_end_month=3.0, end_reason="intolerance")],
        course("A", {"flushing": {0: 1, 1: 0.5, 4: 0.25}, "diarrhea": {0: 1, 1: 1, 4: 0.5}})
        + course("B", {"fatigue": {0: 1, 1: 1, 3: 1.5}}),
    )


def _one_patient():
    return cohort_of([patient("ONLY")], course("ONLY", {"pruritus": {0: 1, 2: 0}}))


@pytest.mark.parametrize("page", page_files())
def test_page_runs_on_the_demo_cohort(page):
    at = app_on(page=page)
    assert not at.exception, [e.value for e in at.exception]
    assert "of 55 patients" in shown_text(at) or page.endswith("data.py")


@pytest.mark.parametrize("page", page_files())
def test_page_runs_on_a_cohort_with_only_the_required_tables(page):
    at = app_on(_required_tables_only(), page=page)
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("page", page_files())
def test_page_runs_on_a_one_patient_cohort(page):
    at = app_on(_one_patient(), page=page)
    assert not at.exception, [e.value for e in at.exception]
