"""``report`` and ``table`` with ``--analysis FILE``: the filters, rule and page settings of a saved analysis (issue 19, part 2)."""

from __future__ import annotations

import json

import omalizumab_core as oc
from omalizumab_core.cli.main import main
from tests.handmade import cohort_of, course, patient

DEMO = oc.load_cohort("demo")


def _saved(tmp_path, **kwargs):
    path = tmp_path / "analysis.json"
    path.write_text(oc.analysis_json(DEMO, **kwargs), encoding="utf-8")
    return str(path)


def _table(capsys, *argv):
    assert main(["table", *argv, "--format", "json"]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


def test_table_applies_the_saved_filters_and_rule(tmp_path, capsys):
    saved = _saved(tmp_path, filters=oc.FilterSpec(sex=("F",)), worsening_rule="total_score")
    rows, err = _table(capsys, "table2", "demo", "--analysis", saved)
    expected, _ = _table(capsys, "table2", "demo", "--sex", "F", "--rule", "total_score")
    assert rows == expected and err == ""


def test_the_page_settings_of_a_saved_analysis_become_the_tables_options(tmp_path, capsys):
    saved = _saved(tmp_path, page="symptoms", settings={"symptoms_at": "last", "symptoms_level": "category", "symptoms_adjust": "none"})
    rows, _ = _table(capsys, "symptoms", "demo", "--analysis", saved)
    expected, _ = _table(capsys, "symptoms", "demo", "--at", "last", "--level", "category", "--adjust", "none")
    assert rows == expected


def test_options_on_the_command_line_take_precedence(tmp_path, capsys):
    saved = _saved(tmp_path, filters=oc.FilterSpec(sex=("F",)), settings={"symptoms_level": "category"})
    rows, _ = _table(capsys, "symptoms", "demo", "--analysis", saved, "--sex", "M", "--level", "symptom")
    expected, _ = _table(capsys, "symptoms", "demo", "--sex", "M")
    assert rows == expected


def test_report_with_another_file_warns_that_the_data_differ(tmp_path, capsys):
    other = cohort_of([patient("A"), patient("B", sex="M")], course("A", {"flushing": {0: 1, 2: 0}}) + course("B", {"pruritus": {0: 1, 2: 0.5}}))
    path = tmp_path / "analysis.json"
    path.write_text(oc.analysis_json(other, filters=oc.FilterSpec(sex=("F",))), encoding="utf-8")
    assert main(["report", "demo", "--analysis", str(path), "--out", str(tmp_path / "r.html")]) == 0
    captured = capsys.readouterr()
    assert "differ from the saved checksum" in captured.err
    assert "Report on 38 of 55 patients" in captured.out


def test_a_file_that_is_not_a_saved_analysis_exits_with_what_to_fix(tmp_path, capsys):
    path = tmp_path / "analysis.json"
    path.write_text("{}", encoding="utf-8")
    assert main(["table", "table1", "demo", "--analysis", str(path)]) == 1
    assert "not a saved analysis" in capsys.readouterr().err
