"""``python -m omalizumab_core table NAME PATH --format csv|json``: every table of the dashboard, as a contract."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from omalizumab_core.cli.main import build_parser, main
from omalizumab_core.cli.tables import SYMPTOM_COLUMNS, TABLES, TIME_TO_RESPONSE_COLUMNS, compute_table, table_records
from omalizumab_core.engine.scoring import score_cohort
from tests.handmade import cohort_of, course, patient

REQUIRED = {"table1", "table2", "comparison", "symptoms", "time_to_response", "follow_up", "dosing", "safety", "biology"}


def _json(capsys, *argv):
    assert main(["table", *argv, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def _args(*argv):
    return build_parser().parse_args(["table", *argv])


def test_every_table_of_the_dashboard_is_registered():
    assert REQUIRED <= set(TABLES)


# The instruments table is checked on the six-patient example cohort (tests/test_instruments.py), small enough to check by hand.
@pytest.mark.parametrize("name", [n for n in TABLES if n not in ("time_to_response_tests", "instruments")])
def test_json_is_a_list_of_rows_keyed_by_the_tables_columns_with_numbers_as_numbers(name, capsys):
    rows = _json(capsys, name, "demo")
    scored = score_cohort(__import__("omalizumab_core.synthetic.demo", fromlist=["demo_cohort"]).demo_cohort())
    table = compute_table(name, scored, _args(name, "demo"))
    assert isinstance(rows, list) and len(rows) == len(table) > 0
    assert all(list(row) == [str(c) for c in table.columns] for row in rows)
    for column in table.columns:
        values = [row[str(column)] for row in rows if row[str(column)] is not None]
        if pd.api.types.is_numeric_dtype(table[column]) and not pd.api.types.is_bool_dtype(table[column]):
            assert all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values), (name, column)
    # Same numbers as the DataFrame the page formats (full float precision, NaN as null).
    numeric = [c for c in table.columns if pd.api.types.is_float_dtype(table[c])]
    for column in numeric:
        expected = table[column].to_numpy(dtype=float, copy=True)
        expected[np.isinf(expected)] = np.nan  # strict JSON has no infinity: an unbounded limit is null (README)
        got = np.array([np.nan if row[column] is None else row[column] for row in rows], dtype=float)
        np.testing.assert_array_equal(got, expected)


def test_time_to_response_carries_the_fixed_columns_and_the_demo_aalen_johansen_figures(capsys):
    rows = _json(capsys, "time_to_response", "demo")
    assert all(list(row)[:7] == TIME_TO_RESPONSE_COLUMNS[:7] for row in rows)
    best = {row["month"]: row for row in rows if row["event"] == "best"}
    first = {row["month"]: row for row in rows if row["event"] == "first"}
    assert {row["method"] for row in rows} == {"aalen_johansen"}
    # R: summary(survfit(Surv(time, factor(status, 0:2)) ~ 1, data = best), times = c(12, 18)) on the demo
    # (see tests/test_time_to_response.py::test_demo_aalen_johansen_figures_match_r).
    assert best[18.0]["cumulative_incidence"] == pytest.approx(0.781818181818182, abs=1e-12)
    assert best[18.0]["lower"] == pytest.approx(0.679943756099942, abs=1e-12)
    assert best[18.0]["upper"] == pytest.approx(0.898956220919609, abs=1e-12)
    assert best[12.0]["cumulative_incidence"] == pytest.approx(0.709090909090909, abs=1e-12) and best[12.0]["at_risk"] == 6
    assert max(first) == 4.0 and first[4.0]["cumulative_incidence"] == pytest.approx(0.781818181818182, abs=1e-12)
    # One row per month where the curve changes: no month without a response.
    assert all(row["n_events"] > 0 for row in rows) and 0.0 not in best


def test_time_to_response_kaplan_meier_and_split(capsys):
    rows = _json(capsys, "time_to_response", "demo", "--method", "kaplan_meier")
    best = {row["month"]: row for row in rows if row["event"] == "best"}
    assert best[18.0]["cumulative_incidence"] == 1.0 and best[18.0]["lower"] is None  # 1 - KM reaches 100 %; no interval at S = 0 (as R)
    rows = _json(capsys, "time_to_response", "demo", "--by", "group", "--method", "both")
    assert list(rows[0])[:4] == ["event", "method", "by", "group"]
    assert {(row["method"], row["group"]) for row in rows} == {(m, g) for m in ("aalen_johansen", "kaplan_meier") for g in ("primary", "idiopathic")}


def _small_cohort():
    """Six patients with flushing 1 -> 0.75 at month 2; P7 with pruritus unchanged, stopped at month 3.

    Signed-rank test of flushing: 6 differences of -0.25, no zero: the exact two-sided p is 2 / 2^6 = 0.03125
    (all signs negative, by hand). A 25 % decrease is a partial response (10-50 %): P1-P6 respond at month 2.
    """
    patients = [patient(f"P{i}") for i in range(1, 7)] + [patient("P7", treatment_end_month=3.0, end_reason="intolerance")]
    rows = [r for i in range(1, 7) for r in course(f"P{i}", {"flushing": {0: 1, 2: 0.75}})]
    rows += course("P7", {"pruritus": {0: 1, 1: 1, 3: 1}})
    return score_cohort(cohort_of(patients, rows))


def test_symptoms_carries_the_fixed_columns_with_the_exact_signed_rank_p():
    table = compute_table("symptoms", _small_cohort(), _args("symptoms", "x"))
    records = {row["symptom"]: row for row in table_records(table)}
    assert list(table.columns[:4]) == SYMPTOM_COLUMNS
    assert records["flushing"]["n"] == 6
    assert records["flushing"]["p_value"] == pytest.approx(2 / 2**6, rel=1e-12)  # exact, by hand
    category = table_records(compute_table("symptoms", _small_cohort(), _args("symptoms", "x", "--level", "category")))
    assert [row["symptom"] for row in category] == ["other"] and category[0]["n"] == 7


def test_time_to_response_rows_on_a_small_cohort():
    rows = table_records(compute_table("time_to_response", _small_cohort(), _args("time_to_response", "x")))
    # Six of seven respond (PR) at month 2; P7 stopped at 3 without response (competing, after): AJ = 6/7 at 2.
    assert [(r["event"], r["month"], r["at_risk"]) for r in rows] == [("first", 2.0, 7), ("best", 2.0, 7)]
    assert rows[0]["cumulative_incidence"] == pytest.approx(6 / 7, abs=1e-15)


def test_bad_table_name_or_option_is_a_clear_message_not_a_traceback(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["table", "no_such_table", "demo"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err and "time_to_response" in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["table", "symptoms", "demo", "--level", "organ"])
    assert "symptom" in capsys.readouterr().err
    assert main(["table", "time_to_response", "demo", "--by", "colour"]) == 1
    err = capsys.readouterr().err
    assert "--by" in err and "subgroup" in err and "Traceback" not in err
    assert main(["table", "time_to_response", "demo", "--center", "Nowhere"]) == 1
    assert "no patient" in capsys.readouterr().err


def test_csv_has_the_same_columns(capsys):
    assert main(["table", "time_to_response", "demo", "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split(",")
    assert header[:7] == TIME_TO_RESPONSE_COLUMNS[:7]


def test_filters_are_the_reports(capsys):
    rows = _json(capsys, "table2", "demo", "--group", "idiopathic")
    overall = next(r for r in rows if r["group"] == "all" and r["measure"] == "best_overall")
    assert (overall["n"], overall["total"]) == (9, 14)  # Table 2 of the demo: idiopathic MCAS 9 of 14


def test_readme_documents_every_table_and_the_fixed_columns():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for name in TABLES:
        assert f"| `{name}` |" in readme, name
    for column in TIME_TO_RESPONSE_COLUMNS[:7] + SYMPTOM_COLUMNS:
        assert f"`{column}`" in readme, column


def test_anaphylaxis_and_literature_tables_carry_the_pages_figures(capsys):
    # Demo: 13 of 14 patients with anaphylaxis no longer needed epinephrine (the paper: 13 of 14 improved).
    outcomes = {row["outcome"]: row for row in _json(capsys, "anaphylaxis_outcomes", "demo")}
    assert (outcomes["no_epinephrine"]["count"], outcomes["no_epinephrine"]["n"]) == (13, 14)
    rates = _json(capsys, "anaphylaxis", "demo")
    assert {row["kind"] for row in rates} == {"all", "severe", "epinephrine"}
    assert all(row["rate_ratio"] == pytest.approx(row["rate_on"] / row["rate_before"]) for row in rates if row["method"].startswith("exact"))
    published = {row["study"]: row for row in _json(capsys, "literature", "demo")}
    assert (published["Lemal et al. 2019"]["n"], published["Lemal et al. 2019"]["responders"]) == (55, 43)


def test_a_table_needing_the_anaphylaxis_table_says_so(capsys, tmp_path):
    from tests.handmade import cohort_of, course, patient

    assert main(["table", "anaphylaxis", "demo", "--diagnosis", "CM", "--format", "json"]) == 0
    capsys.readouterr()
    folder = tmp_path / "cohort"
    cohort = cohort_of([patient("A")], course("A", {"pruritus": {0: 1, 2: 0}}))
    folder.mkdir()
    cohort.patients.to_csv(folder / "patients.csv", index=False)
    cohort.symptoms.to_csv(folder / "symptoms.csv", index=False)
    assert main(["table", "anaphylaxis", str(folder), "--format", "json"]) == 1
    assert "no anaphylaxis table" in capsys.readouterr().err


def test_dose_tables_say_each_regimen_as_clinicians_do_beside_the_numbers(capsys):
    changes = _json(capsys, "dose_changes", "demo")
    first = next(r for r in changes if r["patient_id"] == "DEMO-005")
    assert (first["from_dose_mg"], first["from_interval_days"], first["to_dose_mg"]) == (150, 14, 300)  # the contract's columns, unchanged
    assert (first["from_regimen"], first["to_regimen"]) == ("150 mg every 2 weeks", "300 mg every 2 weeks")
    weekly = next(r for r in changes if r["kind"] == "weekly")
    assert weekly["to_regimen"] == "150 mg every week"
    up_to = [r["regimen"] for r in _json(capsys, "dosing", "demo") if r["measure"] == "up_to"]
    assert up_to == ["300 mg every 2 weeks", "600 mg every 2 weeks"]
