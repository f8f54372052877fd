"""Hostile input (issue #6): every file of the catalogue loads or is rejected with
located problems, through the core, the command line and the app, and nothing
but :class:`CohortError` ever escapes.

The catalogue (``tests/bad_inputs.py``) declares the outcome of each fixture;
a property-based test adds random tables mixing valid and invalid cells.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from omalizumab_core.cli.main import main
from omalizumab_core.data.codes import ALLOWED_SCORES, DIAGNOSES
from omalizumab_core.data.cohort import Cohort
from omalizumab_core.data.loading import UNEXPECTED, load_cohort, load_upload
from omalizumab_core.data.problems import ERROR, CohortError, Problem
from omalizumab_core.data.reading import MAX_UPLOAD_BYTES
from tests.apptest_support import APP, ROOT
from tests.bad_inputs import BY_NAME, CATALOGUE, BadInput, parquet_bytes, xlsx_bytes
from tests.handmade import cohort_of, course, patient

# --- the declared outcome ----------------------------------------------------------


def params(items) -> list:
    """The fixtures as pytest parameters; a known validator defect is a strict xfail."""
    return [
        pytest.param(item, id=item.name, marks=[pytest.mark.xfail(strict=True, reason=item.known_defect)] if item.known_defect else [])
        for item in items
    ]


def outcome(load, *args) -> Cohort | CohortError:
    """The cohort, or the CohortError; any other exception fails the test."""
    try:
        return load(*args)
    except CohortError as error:
        return error


def located(problem: Problem) -> bool:
    return bool(problem.where) or problem.table is not None


def matches(item: BadInput, problem: Problem) -> bool:
    return (
        problem.severity == ERROR
        and (item.where is None or problem.where == item.where)
        and (item.table is None or problem.table == item.table)
        and (item.column is None or problem.column == item.column)
        and (item.text is None or item.text in problem.message)
    )


def assert_as_declared(item: BadInput, result: Cohort | CohortError) -> None:
    if item.loads:
        assert isinstance(result, Cohort), "\n".join(map(str, getattr(result, "problems", [])))
        if item.text:
            assert any(item.text in w.message for w in result.warnings), [str(w) for w in result.warnings]
        if item.check:
            item.check(result)
        return
    assert isinstance(result, CohortError), f"{item.name} loaded but must be rejected"
    errors = result.errors
    assert errors, "a rejected file must carry at least one error"
    assert all(UNEXPECTED not in p.message for p in errors), "the validator failed on this file (a defect)"
    assert all(located(p) for p in errors), [str(p) for p in errors if not located(p)]
    assert any(matches(item, p) for p in errors), "\n".join(map(str, result.problems))


@pytest.mark.parametrize("item", params(CATALOGUE))
def test_upload_loads_or_is_rejected_with_a_located_error(item):
    assert_as_declared(item, outcome(load_upload, item.files()))


def test_catalogue_covers_at_least_forty_files_of_both_outcomes():
    rejected = [item for item in CATALOGUE if not item.loads]
    assert len(CATALOGUE) >= 40
    assert len(rejected) >= 40 and len(CATALOGUE) - len(rejected) >= 10


def test_loader_upload_limit_is_the_uploaders_limit():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert MAX_UPLOAD_BYTES == config["server"]["maxUploadSize"] * 1024 * 1024


def test_file_just_above_the_upload_limit_is_refused_before_reading_and_named():
    # Not a valid table at all: had it been parsed, the error would be a CSV one.
    result = outcome(load_upload, [("patients.csv", b"\x00" * (MAX_UPLOAD_BYTES + 1)), ("symptoms.csv", b"")])
    assert isinstance(result, CohortError)
    assert [p.where for p in result.errors] == ["file patients.csv"]
    assert "50 MB" in result.errors[0].message and "more than the" in result.errors[0].message


def test_file_at_the_upload_limit_is_read():
    text = b"patient_id,note\n"
    line = b"P1," + b"x" * 60 + b"\n"  # within the text and cell budgets
    content = text + line * ((MAX_UPLOAD_BYTES - len(text)) // len(line))
    result = outcome(load_upload, [("patients.csv", content)])
    assert isinstance(result, CohortError)  # no symptoms table, but the big file itself was read
    assert not any("more than the" in p.message for p in result.errors)
    assert any("Missing column(s): diagnosis" in p.message and p.where == "patients.csv" for p in result.errors)
    assert any(p.table == "symptoms" and "missing" in p.message for p in result.errors)


# --- command line ------------------------------------------------------------------


def write_path(item: BadInput, folder: Path) -> Path:
    """The files on disk: the file itself when there is one, else a folder of them."""
    files = item.files()
    if len(files) == 1:
        path = folder / files[0][0]
        path.write_bytes(files[0][1])
        return path
    target = folder / "cohort"
    target.mkdir()
    for name, content in files:
        (target / name).write_bytes(content)
    return target


CLI_ITEMS = [item for item in CATALOGUE if item.name != "csv_beyond_upload_limit"]  # a path has no upload limit


@pytest.mark.parametrize("item", params(CLI_ITEMS))
def test_cli_validate_exits_1_with_the_location_and_no_traceback(item, tmp_path, capsys):
    path = write_path(item, tmp_path)
    expected = outcome(load_cohort, path)
    if item.path_form:
        assert_as_declared(item, expected)
    status = main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "unexpected" not in out + err
    if isinstance(expected, Cohort):
        assert status == 0 and out.startswith(f"OK: {expected.n_patients} patients")
        return
    assert status == 1
    for problem in expected.problems[:20]:
        assert str(problem) in err
    if item.path_form and item.where:
        assert item.where in err


@pytest.mark.parametrize("name", ["unknown_diagnosis", "pdf_renamed_xlsx"])
def test_python_m_validate_prints_located_problems_and_no_traceback(name, tmp_path):
    path = write_path(BY_NAME[name], tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "omalizumab_core", "validate", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stdout + run.stderr
    assert BY_NAME[name].where in run.stderr


# --- app: the session's upload path ------------------------------------------------


def _upload_script():
    """Stands for the Data page's upload callback and its error display."""
    import streamlit as st

    from omalizumab_core.data.problems import problem_summary, problems_frame
    from ui import session

    problems = session.load_files(st.session_state.pop("pending_upload"))
    if problems:
        st.error(problem_summary(problems))
        st.dataframe(problems_frame(problems))
    cohort = session.cohort()
    st.markdown(f"Loaded {cohort.source}: {cohort.n_patients} patients")
    if cohort.warnings:
        st.warning(f"{len(cohort.warnings)} warning(s)")
        st.dataframe(problems_frame(cohort.warnings))


def previous_cohort() -> Cohort:
    c = cohort_of([patient("PREV1")], course("PREV1", {"flushing": {0: 1, 3: 0}}))
    return Cohort(**{**c.__dict__, "source": "previously loaded cohort"})


def unescaped(markdown: str) -> str:
    """problem_summary's text without the backslashes it puts before markdown characters."""
    out, escaped = [], False
    for ch in markdown:
        if ch == "\\" and not escaped:
            escaped = True
            continue
        out.append(ch)
        escaped = False
    return "".join(out)


def run_upload(files) -> AppTest:
    at = AppTest.from_function(_upload_script, default_timeout=120)
    at.session_state["cohort"] = previous_cohort()
    at.session_state["pending_upload"] = files
    at.run()
    return at


@pytest.mark.parametrize("item", params(CATALOGUE))
def test_app_upload_keeps_the_previous_cohort_on_failure_and_shows_the_location(item):
    at = run_upload(item.files())
    assert not at.exception
    current = at.session_state["cohort"]
    if item.loads:
        assert current.source.startswith("Upload: ") and current.n_patients == 3
        assert not at.error and "load_problems" not in at.session_state
        return
    assert current.source == "previously loaded cohort" and current.patients["patient_id"].tolist() == ["PREV1"]
    assert len(at.error) == 1
    shown = unescaped(at.error[0].value)
    assert "The previously loaded cohort is still in use" in shown
    errors = [p for p in at.session_state["load_problems"] if p.severity == ERROR]
    assert (errors[0].where or f"table {errors[0].table}") in shown
    declared = next(p for p in errors if matches(item, p))
    if declared in errors[:8]:  # the summary lists the first 8 errors, the table below all of them
        assert (declared.where or f"table {declared.table}") in shown
    assert "Loaded previously loaded cohort: 1 patients" in at.markdown[0].value


def test_a_valid_upload_after_a_failed_one_replaces_the_cohort_and_clears_the_problems():
    at = run_upload(BY_NAME["truncated_zip"].files())
    assert at.session_state["load_problems"] and at.session_state["cohort"].source == "previously loaded cohort"
    at.session_state["pending_upload"] = BY_NAME["valid_workbook"].files()
    at.run()
    assert not at.exception and not at.error
    assert "load_problems" not in at.session_state
    assert at.session_state["cohort"].source == "Upload: cohort.xlsx" and at.session_state["cohort"].n_patients == 3
    at.session_state["pending_upload"] = BY_NAME["unknown_diagnosis"].files()
    at.run()
    assert at.session_state["cohort"].source == "Upload: cohort.xlsx"  # the last valid upload stays
    assert "patients.csv, line 3" in unescaped(at.error[0].value)


@pytest.mark.parametrize("name", ["score_not_allowed", "truncated_zip", "identifier_columns", "csv_beyond_upload_limit"])
def test_data_page_shows_the_outcome_of_an_upload_without_exception(name):
    item = BY_NAME[name]
    upload = run_upload(item.files())
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["cohort"] = upload.session_state["cohort"]
    if "load_problems" in upload.session_state:
        at.session_state["load_problems"] = upload.session_state["load_problems"]
    at.run()
    at.switch_page("views/data.py")
    at.run()
    assert not at.exception
    if item.loads:
        assert not at.error
        assert any("warning(s)" in w.value for w in at.warning)
    else:
        assert len(at.error) == 1 and item.where in unescaped(at.error[0].value)
        assert at.subheader[0].value == "Loaded: previously loaded cohort"


# --- property-based: random tables -------------------------------------------------

NA = ["", "NA", "n/a", "-", None]
JUNK = ["x", "??", "1e400", "-1", "inf", "nan", "0,5", " P1 ", "#DIV/0!", "é", "=1+1", "\t", "1.5.2", "99999999999999999999"]
ids = st.sampled_from(["P1", "P2", "P3", "p1", " P2", "", "NA", "4", 4, 4.0])
text_cells = st.one_of(st.sampled_from(JUNK + NA), st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12))
number_cells = st.one_of(st.integers(-5, 800), st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(JUNK + NA))
date_cells = st.one_of(
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)).map(str),
    st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)).map(lambda d: d.strftime("%d/%m/%Y")),
    st.integers(30000, 60000),
    st.sampled_from(JUNK + NA),
)
code_cells = st.sampled_from([*DIAGNOSES, "mcas", "MMAS", "F", "M", "X", "positive", "neg", "maybe", "mild", "severe",
                              "ongoing", "intolerance", "tryptase", "total_ige", "yes", "no", "oui", *NA, *JUNK])
score_cells = st.one_of(st.sampled_from([*ALLOWED_SCORES, 0.7, 2, -1]), st.sampled_from(["0,5", "1", "half", *NA]))
month_cells = st.one_of(st.sampled_from([0, 0, 1, 3, 6, 12, 0.5, -1, 700]), st.sampled_from(["3", "0,5", "x", *NA]))

PATIENT_CELLS = {
    "patient_id": ids, "sex": code_cells, "diagnosis": code_cells, "kit_d816v": code_cells,
    "age_at_treatment": number_cells, "treatment_end_month": month_cells, "end_reason": code_cells,
    "last_follow_up_month": month_cells, "treatment_start": date_cells, "skin_involvement": code_cells,
    "Surname": text_cells, "notes": text_cells,
}
SYMPTOM_CELLS = {"patient_id": ids, "symptom": st.sampled_from(["flushing", "diarrhée", "Flushing", "fatigue", "zorglub", *NA]),
                 "month": month_cells, "date": date_cells, "score": score_cells, "category": code_cells}
LAB_CELLS = {"patient_id": ids, "month": month_cells, "analyte": code_cells, "value": number_cells}


@st.composite
def tables(draw, cells: dict, required: tuple, max_rows: int = 8):
    optional = [name for name in cells if name not in required]
    columns = [c for c in required if draw(st.integers(0, 9)) > 0]  # a required column is sometimes missing
    if optional:
        columns += draw(st.lists(st.sampled_from(optional), unique=True, max_size=len(optional)))
    rows = draw(st.lists(st.fixed_dictionaries({c: cells[c] for c in columns}), max_size=max_rows))
    return columns, [[row[c] for c in columns] for row in rows]


def as_file(table: str, columns: list, rows: list, form: str) -> tuple[str, bytes]:
    if form == "xlsx":
        clean = [[c if not isinstance(c, float) or c == c else "nan" for c in row] for row in rows]
        return f"{table}.xlsx", xlsx_bytes({table: [columns, *clean]})
    if form == "parquet":
        frame = pd.DataFrame(rows, columns=columns, dtype=object)
        for column in frame.columns:  # parquet needs one type per column: text unless all are numbers
            values = frame[column].dropna()
            if not all(isinstance(v, (int, float)) for v in values):
                frame[column] = frame[column].map(lambda v: None if v is None else str(v))
        return f"{table}.parquet", parquet_bytes(frame)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if form == "csv;" else ",")
    writer.writerow(columns)
    writer.writerows([["" if c is None else c for c in row] for row in rows])
    return f"{table}.csv", buffer.getvalue().encode("utf-8" if form != "csv-latin1" else "cp1252", errors="replace")


FORMS = st.sampled_from(["csv", "csv;", "csv-latin1", "xlsx", "parquet"])


def assert_loaded_or_located(files) -> Cohort | None:
    """The upload loads and honours the data contract, or every error is located."""
    result = outcome(load_upload, files)
    if isinstance(result, CohortError):
        assert result.errors
        assert all(UNEXPECTED not in p.message for p in result.errors), "the validator failed on these tables (a defect)"
        assert all(located(p) for p in result.errors), [str(p) for p in result.errors]
        return None
    ids = result.patients["patient_id"]
    assert ids.is_unique and ids.str.strip().ne("").all()
    assert set(result.symptoms["patient_id"].astype(str)) <= set(ids)
    assert result.symptoms["score"].isin(ALLOWED_SCORES).all()
    month = result.symptoms["month"]
    assert month.notna().all() and (month >= 0).all()
    baseline = result.symptoms[result.symptoms["month"] == 0]
    assert (baseline["score"] == 1).all() and set(ids) <= set(baseline["patient_id"].astype(str))
    return result


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    patients=tables(PATIENT_CELLS, ("patient_id", "diagnosis")),
    symptoms=tables(SYMPTOM_CELLS, ("patient_id", "symptom", "month", "score"), max_rows=12),
    labs=st.none() | tables(LAB_CELLS, ("patient_id", "month", "analyte", "value")),
    form=FORMS,
)
def test_random_tables_load_or_raise_located_problems(patients, symptoms, labs, form):
    files = [as_file("patients", *patients, form), as_file("symptoms", *symptoms, form)]
    if labs is not None:
        files.append(as_file("labs", *labs, form))
    assert_loaded_or_located(files)


@st.composite
def valid_cohorts(draw):
    """(patients, symptoms) tables of a valid cohort: every patient has baseline symptoms scored 1."""
    n = draw(st.integers(1, 4))
    patients = [[f"P{i}", draw(st.sampled_from(DIAGNOSES)), draw(st.integers(18, 90))] for i in range(1, n + 1)]
    symptoms = []
    for patient_id, *_ in patients:
        for symptom in draw(st.lists(st.sampled_from(["flushing", "diarrhea", "fatigue", "pruritus"]), min_size=1, max_size=3, unique=True)):
            symptoms.append([patient_id, symptom, 0, 1])
            for month in draw(st.lists(st.integers(1, 24), max_size=3, unique=True)):
                symptoms.append([patient_id, symptom, month, draw(st.sampled_from(ALLOWED_SCORES))])
    return (["patient_id", "diagnosis", "age_at_treatment"], patients), (["patient_id", "symptom", "month", "score"], symptoms)


ANY_CELL = st.one_of(ids, text_cells, number_cells, score_cells, month_cells, code_cells)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cohort=valid_cohorts(), data=st.data(), form=FORMS)
def test_valid_cohort_with_random_cells_damaged_loads_or_raises_located_problems(cohort, data, form):
    tables = {"patients": cohort[0], "symptoms": cohort[1]}
    damaged = data.draw(st.lists(st.sampled_from(["patients", "symptoms"]), max_size=3))
    for table in damaged:
        columns, rows = tables[table]
        row = data.draw(st.integers(0, len(rows) - 1))
        rows[row][data.draw(st.integers(0, len(columns) - 1))] = data.draw(ANY_CELL)
    result = assert_loaded_or_located([as_file(name, *tables[name], form) for name in tables])
    if not damaged:
        assert result is not None and result.n_patients == len(tables["patients"][1])
