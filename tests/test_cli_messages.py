"""The command line's messages about files: in words, naming the path and what to do, never Python's error text."""

from __future__ import annotations

import pytest

from omalizumab_core.cli.main import main
from tests.bad_inputs import csv_files


@pytest.mark.parametrize("args", [
    ["template", "{missing}/template.xlsx"],
    ["table", "table2", "demo", "--format", "docx", "--out", "{missing}/table2.docx"],
    ["table", "table2", "demo", "--analysis", "{missing}/analysis.json"],
    ["summary", "{cohort}", "--mapping", "{missing}/mapping.json"],
])
def test_a_path_that_does_not_exist_is_named_in_words(args, tmp_path, capsys):
    # They printed "ERROR: [Errno 2] No such file or directory: '...'".
    missing = tmp_path / "no such folder"
    cohort = tmp_path / "cohort"
    cohort.mkdir()
    for name, content in csv_files():
        (cohort / name).write_bytes(content)
    code = main([a.format(missing=missing, cohort=cohort) for a in args])
    err = capsys.readouterr().err
    assert code == 1
    assert "Errno" not in err and str(missing) in err
    assert "does not exist" in err, err


def test_a_mapping_given_with_the_demo_is_said_to_be_unused(tmp_path, capsys):
    # It was ignored without a word; the demo's summary is unchanged.
    mapping = tmp_path / "mapping.json"
    mapping.write_text("{}", encoding="utf-8")
    assert main(["summary", "demo", "--json", "--compact"]) == 0
    expected = capsys.readouterr().out
    assert main(["summary", "demo", "--json", "--compact", "--mapping", str(mapping)]) == 0
    captured = capsys.readouterr()
    assert captured.out == expected
    assert f"the column mapping {mapping} is not used" in captured.err


def test_a_table_the_cohort_lacks_is_asked_for_in_plain_english(tmp_path, capsys):
    # "add a 'anaphylaxis' sheet" read as a typo in front of the user.
    for name, content in csv_files(doses=None, adverse_events=None, labs=None):
        (tmp_path / name).write_bytes(content)
    assert main(["table", "anaphylaxis", str(tmp_path), "--format", "csv"]) == 1
    assert "add an 'anaphylaxis' sheet or file" in capsys.readouterr().err
    assert main(["table", "dosing", str(tmp_path), "--format", "csv"]) == 1
    assert "add a 'doses' sheet or file" in capsys.readouterr().err
