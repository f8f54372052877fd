"""Uploads are read in a separate worker process with time and memory limits, and can be cancelled."""

from __future__ import annotations

import os
import time

import pandas as pd
import pytest

from omalizumab_core.data import isolated
from omalizumab_core.data.isolated import load_isolated
from omalizumab_core.data.loading import load_upload
from omalizumab_core.data.problems import CohortError
from tests.apptest_support import app_on

PATIENTS = (
    "patient_id,sex,diagnosis,kit_d816v,age_at_treatment,treatment_end_month,end_reason,last_follow_up_month\n"
    "A,F,ISM,positive,40,,,12\n"
    "B,M,MCAS,negative,50,3,intolerance,4\n"
)
SYMPTOMS = "patient_id,symptom,month,score\nA,flushing,0,1\nA,flushing,1,0.5\nB,fatigue,0,1\nB,fatigue,2,1\n"
FILES = [("patients.csv", PATIENTS.encode()), ("symptoms.csv", SYMPTOMS.encode())]


def _long_symptoms(rows: int) -> bytes:
    """A valid but long symptoms table: enough work for the worker to outlast a tiny time limit."""
    lines = ["patient_id,symptom,month,score"] + [f"A,flushing,{m},1" for m in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_the_worker_returns_the_same_cohort_as_reading_in_process():
    inline, worker = load_upload(FILES), load_isolated(FILES)
    for name in ("patients", "symptoms"):
        pd.testing.assert_frame_equal(worker.table(name), inline.table(name))
    assert worker.source == inline.source and worker.warnings == inline.warnings


def test_the_workers_located_problems_come_back_unchanged():
    bad = [("patients.csv", PATIENTS.replace("ISM", "XYZ").encode()), ("symptoms.csv", SYMPTOMS.encode())]
    with pytest.raises(CohortError) as inline:
        load_upload(bad)
    with pytest.raises(CohortError) as worker:
        load_isolated(bad)
    assert worker.value.problems == inline.value.problems


def test_a_reading_over_the_memory_limit_is_stopped_with_a_message_saying_which_limit():
    files = [FILES[0], ("symptoms.csv", _long_symptoms(300_000))]
    with pytest.raises(CohortError) as info:
        load_isolated(files, memory_gb=0.02)
    (problem,) = info.value.problems
    assert "took more than 0.02 GB of memory to read" in problem.message
    assert "Split the file" in problem.message and "previously loaded cohort is still in use" in problem.message


def test_a_reading_over_the_time_limit_is_killed_with_a_message_saying_which_limit():
    files = [FILES[0], ("symptoms.csv", _long_symptoms(2_000_000))]
    started = time.monotonic()
    with pytest.raises(CohortError) as info:
        load_isolated(files, seconds=0.5)
    assert time.monotonic() - started < 10
    (problem,) = info.value.problems
    assert problem.message.startswith("The file took more than 0.5 s to read: ")
    assert problem.where == "patients.csv, symptoms.csv"


class Cancelled(Exception):
    pass


def test_an_exception_from_the_waiting_callback_kills_the_worker_and_propagates(monkeypatch):
    started = []
    take = isolated._take_worker

    def recording():
        worker = take()
        started.append(worker)
        return worker

    monkeypatch.setattr(isolated, "_take_worker", recording)

    def cancel(seconds):
        raise Cancelled

    with pytest.raises(Cancelled):
        load_isolated([FILES[0], ("symptoms.csv", _long_symptoms(2_000_000))], on_wait=cancel)
    (worker,) = started
    assert worker.returncode is not None  # reaped: it is not running any more
    assert not os.path.exists(f"/proc/{worker.pid}") or worker.returncode < 0


# --- the Data page --------------------------------------------------------------------


def _data_page():
    return app_on(page="views/data.py")


def test_the_data_page_loads_an_upload_through_the_worker_and_shows_it_in_the_sidebar():
    at = _data_page()
    at.file_uploader[0].set_value([(name, content, "text/csv") for name, content in FILES]).run()
    assert not at.exception
    assert at.session_state["cohort"].n_patients == 2
    assert any("2 uploaded files" in str(e.value) for e in at.sidebar.info)
    assert at.file_uploader[0].value in (None, [])  # emptied for the next upload


def test_a_refused_upload_keeps_the_previous_cohort_and_is_not_read_again_on_the_next_rerun(monkeypatch):
    at = _data_page()
    before = at.session_state["cohort"]
    bad = [("patients.csv", PATIENTS.replace("ISM", "XYZ").encode(), "text/csv"), ("symptoms.csv", SYMPTOMS.encode(), "text/csv")]
    at.file_uploader[0].set_value(bad).run()
    assert not at.exception
    assert at.session_state["cohort"] is before
    assert "could not be loaded" in at.error[0].value
    calls = []
    monkeypatch.setattr(isolated, "load_isolated", lambda *a, **k: calls.append(1))
    at.run()
    assert calls == []
