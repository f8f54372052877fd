"""Every table and figure's "Code" re-creates exactly what the page shows (issue 19, part 1).

Each page is run headless; every "Code" expander's script is executed in a
fresh namespace, as a user pasting it into Python would, and its result is
compared with the output drawn just before the expander: the same table
values (after the conversion st.dataframe applies) or the same figure traces.
Done on the demo and on a filtered view (women only, response rule on the
total score), so the filter and rule lines of the script are exercised too.
"""

from __future__ import annotations

import contextlib
import io
import json

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from streamlit import dataframe_util

import omalizumab_core as oc
from tests.apptest_support import app_on, open_code_sections, unescaped_table

CANDIDATE = oc.Candidate("ISM", "positive", 45, "F", ("flushing", "pruritus", "diarrhea"))

# Pages with their outputs on the demo (the Data page shows the loaded tables, not analyses).
PAGES = [
    "views/overview.py", "views/response.py", "views/time_to_response.py", "views/symptoms.py", "views/follow_up.py",
    "views/dosing.py", "views/safety.py", "views/biology.py", "views/anaphylaxis.py", "views/patient.py",
    "views/candidate.py", "views/publication.py", "views/literature.py",
]
VIEWS = {"demo": {}, "women, total score rule": {"sex": "F"}}


def _run(page: str, query: dict, *, rule: str | None = None, setup=None):
    at = app_on(page=page, query=query, open_sections=True)  # figures drawn on request too
    if rule:
        at.session_state["worsening_rule"] = rule
    if setup:
        setup(at)
    if rule or setup:
        at.run()
        open_code_sections(at)  # the sections the new settings drew
    assert not at.exception, at.exception
    return at


def _walk(node):
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        children = children.values()
    for child in children or []:
        yield child
        yield from _walk(child)


def _shown(element):
    kind = getattr(element, "type", None)
    if kind in ("arrow_data_frame", "dataframe"):
        return "table", element.value
    if kind in ("table", "arrow_table"):  # st.table through ui.tables.summary_table: Markdown escaped for display
        return "table", unescaped_table(element.value)
    if kind == "plotly_chart":
        return "figure", json.loads(element.proto.spec)["data"]
    return None


def _as_shown(table: pd.DataFrame) -> pd.DataFrame:
    """A table as st.dataframe sends it to the browser (Arrow, then back)."""
    return dataframe_util.convert_arrow_bytes_to_pandas_df(dataframe_util.convert_pandas_df_to_arrow_bytes(table))


def _execute(code: str) -> dict:
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()), _no_figure_window():
        exec(compile(code, "<code expander>", "exec"), namespace)
    return namespace


@contextlib.contextmanager
def _no_figure_window():
    show = go.Figure.show
    go.Figure.show = lambda self, *a, **k: None
    try:
        yield
    finally:
        go.Figure.show = show


def _pairs(at):
    """(code, outputs drawn since the previous code block) for every Code expander, in page order."""
    pending, pairs = [], []
    for element in _walk(at.main):
        if getattr(element, "type", None) == "code":
            pairs.append((element.value, pending))
            pending = []
            continue
        shown = _shown(element)
        if shown is not None:
            pending.append(shown)
    return pairs


def _check(code: str, outputs: list) -> None:
    namespace = _execute(code)
    if "figure" in namespace:
        kind, data = outputs[-1]
        assert kind == "figure", "the code makes a figure but a table was drawn before it"
        # The page draws the figure through ui.charts.inert_figure, which writes a "<" that could open a tag as
        # "&lt;" (plotly shows it as "<"): compare with the code's figure as the page draws it.
        from ui.charts import inert_figure

        drawn = inert_figure(namespace["figure"])
        drawn = drawn if isinstance(drawn, dict) else json.loads(pio.to_json(drawn, validate=False))
        assert json.loads(pio.to_json(drawn, validate=False))["data"] == data
    elif "tables" in namespace:
        tables = [shown for kind, shown in outputs if kind == "table"]
        assert len(tables) == len(namespace["tables"])
        for shown, table in zip(tables, namespace["tables"]):
            pd.testing.assert_frame_equal(shown, _as_shown(table))
    else:
        kind, shown = outputs[-1]
        assert kind == "table", "the code makes a table but a figure was drawn before it"
        expected = _as_shown(namespace["table"])
        if list(shown.columns) == list(expected.columns):
            pd.testing.assert_frame_equal(shown, expected)
            return
        # A wide table shown in parts that each fit the page (Symptoms): every part is the code's table
        # restricted to its columns, and together the parts show every column.
        parts = [table for kind, table in outputs if kind == "table"]
        for part in parts:
            pd.testing.assert_frame_equal(part, expected[list(part.columns)])
        assert set().union(*(part.columns for part in parts)) == set(expected.columns)


def _setup(page):
    if page == "views/candidate.py":
        def candidate(at):
            at.session_state["mdt_candidate"] = CANDIDATE
        return candidate
    if page == "views/response.py":
        def predictors(at):
            at.session_state["response_predictors"] = True
            at.session_state["predictors_model"] = ["age_at_treatment", "sex"]
        return predictors
    return None


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("page", PAGES)
def test_every_code_expander_recreates_the_output_above_it(page, view):
    at = _run(page, VIEWS[view], rule="total_score" if VIEWS[view] else None, setup=_setup(page))
    pairs = _pairs(at)
    assert pairs, f"{page} shows no Code expander"
    for code, outputs in pairs:
        assert outputs, f"a Code expander of {page} follows no table or figure:\n{code}"
        if VIEWS[view]:
            assert "oc.FilterSpec(sex=('F',))" in code and "worsening_rule='total_score'" in code
        _check(code, outputs)


def test_every_table_and_figure_has_its_code():
    """No table or figure drawn after the last Code expander of a page (a new output without its code)."""
    for page in ("views/overview.py", "views/follow_up.py", "views/safety.py", "views/time_to_response.py"):
        at = _run(page, {})
        trailing = []
        for element in _walk(at.main):
            if getattr(element, "type", None) == "code":
                trailing = []
            elif _shown(element) is not None:
                trailing.append(element)
        assert not trailing, f"{page}: an output after the last Code expander"


def test_the_code_holds_no_patient_data_only_the_file_name():
    code = oc.output_code("table1", source="Upload: cohort 2024.xlsx")
    assert "oc.load_cohort('cohort 2024.xlsx')" in code
    assert "put its path here" in code


def test_an_unknown_output_or_a_missing_setting_is_named():
    with pytest.raises(ValueError, match="valid outputs"):
        oc.output_code("table3")
    with pytest.raises(ValueError, match="by"):
        oc.output_code("table2")


def test_a_script_runs_in_a_fresh_python_and_prints_the_table(tmp_path):
    """As a reviewer pasting it: a new interpreter, another folder, only the package installed."""
    import subprocess
    import sys
    from pathlib import Path

    code = oc.output_code("table2", filters=oc.FilterSpec(sex=("F",)), by="subgroup")
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "All patients (N=38)" in done.stdout


def test_the_reports_code_appendix_recreates_the_reports_tables():
    from omalizumab_core.outputs.report import overview_code, overview_report, overview_sections

    spec = oc.FilterSpec(sex=("F",))
    code = overview_code(source="demo", filters=spec, worsening_rule="total_score")
    scored = oc.apply_filters(oc.score_cohort(oc.load_cohort("demo"), worsening_rule="total_score"), spec)
    tables = [item for _, items in overview_sections(scored) for item in items if isinstance(item, pd.DataFrame)]
    assert len(code) == len(tables) == 3
    for script, table in zip(code, tables):
        pd.testing.assert_frame_equal(_execute(script.text)["table"], table)
    page = overview_report(scored, filters={}, source="demo", code=code)
    assert "Appendix: the code of each table" in page and "oc.FilterSpec(sex=(&#x27;F&#x27;,))" in page


def test_the_code_for_several_cohorts_pools_them_under_their_names_as_the_dashboard_does():
    code = oc.output_code("table2", source={"Centre A": "demo", "Centre B": "demo"}, by="subgroup")
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(code, namespace)
    pooled = oc.score_cohort(oc.pool_cohorts({"Centre A": oc.load_cohort("demo"), "Centre B": oc.load_cohort("demo")}))
    expected = oc.table2_with_ci(pooled, by=None)
    assert namespace["table"].columns[0] == "All patients (N=110)"
    pd.testing.assert_frame_equal(namespace["table"], expected)
