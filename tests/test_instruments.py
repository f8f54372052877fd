"""Instruments (issue 23, part 1): definitions as data, validation of instrument_scores, and the analyses.

The cohorts are built in code. Expected values are computed by hand in the
comments; the Clopper–Pearson bounds are R's ``binom.test(k, n)$conf.int``
(= ``scipy.stats.binomtest(k, n).proportion_ci(method="exact")``), the t
interval is R's ``t.test``.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import omalizumab_core as oc
from omalizumab_core.analyses import instruments as ins
from omalizumab_core.cli.main import main
from omalizumab_core.data.instruments import example_instrument, example_instrument_text, parse_instrument
from omalizumab_core.data.loading import load_upload
from omalizumab_core.data.problems import ERROR, WARNING, CohortError, TooFewPatients
from omalizumab_core.engine.scoring import score_cohort
from omalizumab_core.synthetic.instrument_example import PATIENTS, SYMPTOMS, instrument_example_files, instrument_example_scored
from tests.apptest_support import app_on, shown_text
from tests.file_builders import zip_bytes
from tests.handmade import cohort_of, course, patient

DIARY = "example_symptom_diary"


# --- definitions --------------------------------------------------------------------------------


def test_the_example_definition_is_marked_as_an_example_and_no_validated_definition_is_shipped():
    assert example_instrument().example and "EXAMPLE ONLY" in example_instrument_text()
    assert oc.packaged_instruments() == {}


def test_a_definition_combines_items_by_sum_mean_and_linear_transformation_to_0_100():
    text = """
[instrument]
id = "t"
name = "Test"
source = "Hand-made for a test"
recall_period = "7 days"
direction = "higher_is_better"
[[items]]
id = "a"
low = 1
high = 5
[[items]]
id = "b"
low = 1
high = 5
[[domains]]
id = "d"
items = ["a", "b"]
method = "mean"
[total]
items = ["a", "b"]
method = "0-100"
"""
    d = parse_instrument(text, source="t.toml")
    assert d.combine("d", [2, 5]) == 3.5
    # (2 + 5 − 2) / (10 − 2) × 100 = 62.5
    assert d.combine("total", [2, 5]) == 62.5
    assert d.measure_range("total") == (0.0, 100.0) and d.best("total") == 100.0


@pytest.mark.parametrize(
    "change, entry",
    [
        (("direction = \"higher_is_worse\"", "direction = \"up\""), "[instrument] direction"),
        (("items = [\"itch\", \"flushing\"]", "items = [\"itch\", \"sneezing\"]"), "[[domains]] number 1"),
        (("method = \"mean\"", "method = \"median\""), "[[domains]] number 2"),
        (("percent = 50", "percent = 150"), "[[responders]] number 1"),
        (("points = 6", "points = -6"), "[[responders]] number 2"),
    ],
)
def test_a_wrong_definition_is_refused_with_the_entry_to_fix(change, entry):
    with pytest.raises(CohortError) as error:
        parse_instrument(example_instrument_text().replace(*change, 1), source="diary.toml")
    assert [(p.where, p.column) for p in error.value.problems] == [("diary.toml", entry)]


def test_a_toml_syntax_error_gives_its_line():
    with pytest.raises(CohortError) as error:
        parse_instrument("[instrument\nid = 1", source="bad.toml")
    assert "line 1" in error.value.problems[0].message and error.value.problems[0].where == "bad.toml"


def test_a_definition_that_is_not_an_example_must_cite_its_source():
    text = example_instrument_text().replace("example = true", "example = false").replace('source = "None: an example of the definition format, not a published instrument."', 'source = " "')
    with pytest.raises(CohortError) as error:
        parse_instrument(text, source="diary.toml")
    assert error.value.problems[0].column == "[instrument] source"


# --- validation ---------------------------------------------------------------------------------


def _upload(scores: str, *, definition=True, zipped=False, member="instruments/diary.toml"):
    files = [("patients.csv", PATIENTS.encode()), ("symptoms.csv", SYMPTOMS.encode()), ("instrument_scores.csv", scores.encode())]
    if zipped:
        members = {name: content for name, content in files}
        members[member] = example_instrument_text().encode()
        return load_upload([("cohort.zip", zip_bytes(members))])
    if definition:
        files.append(("diary.toml", example_instrument_text().encode()))
    return load_upload(files)


def _problems(scores: str, **kwargs):
    try:
        cohort = _upload(scores, **kwargs)
    except CohortError as error:
        return error.problems
    return cohort.warnings


HEAD = "patient_id,instrument,item,month,value\n"


def test_an_unknown_instrument_an_unknown_item_and_an_out_of_range_value_are_located():
    scores = HEAD + "EX-1,example_symptom_diary,total,0,20\nEX-1,mc-qol,total,0,20\nEX-2,example_symptom_diary,itchiness,0,3\nEX-2,example_symptom_diary,itch,0,11\n"
    found = {(p.severity, p.where, p.column, p.value) for p in _problems(scores) if p.table == "instrument_scores"}
    assert (ERROR, "instrument_scores.csv, line 3", "instrument", "mc-qol") in found
    assert (ERROR, "instrument_scores.csv, line 4", "item", "itchiness") in found
    assert (ERROR, "instrument_scores.csv, line 5", "value", "11") in found  # itch is 0 to 10


def test_without_its_definition_an_instrument_is_unknown():
    problems = _problems(HEAD + "EX-1,example_symptom_diary,total,0,20\n", definition=False)
    assert [(p.severity, p.column) for p in problems if p.table == "instrument_scores"] == [(ERROR, "instrument")]


def test_a_missing_baseline_is_a_located_warning_and_the_cohort_loads():
    problems = _problems(HEAD + "EX-1,example_symptom_diary,total,0,20\nEX-2,example_symptom_diary,total,3,12\n")
    (warning,) = [p for p in problems if p.table == "instrument_scores"]
    assert (warning.severity, warning.where, warning.column) == (WARNING, "instrument_scores.csv, line 3", "month")
    assert "EX-2" in warning.message and "baseline" in warning.message


def test_a_repeated_assessment_is_an_error():
    problems = _problems(HEAD + "EX-1,example_symptom_diary,total,0,20\nEX-1,example_symptom_diary,total,0,21\n")
    assert {(p.severity, p.where) for p in problems if p.table == "instrument_scores"} == {(ERROR, "instrument_scores.csv, line 2"), (ERROR, "instrument_scores.csv, line 3")}


@pytest.mark.parametrize("member", ["instruments/diary.toml", "diary.toml", "my centre/diary.toml"])
def test_a_definition_inside_the_zip_is_read(member):
    # A clinician zips the files as they lie beside each other: the .toml need not be in an instruments folder.
    cohort = _upload(HEAD + "EX-1,Example_Symptom_Diary,TOTAL,0,20\n", zipped=True, member=member)
    assert sorted(cohort.instruments) == [DIARY]
    assert cohort.instrument_scores[["instrument", "item"]].values.tolist() == [[DIARY, "total"]]


def _without_scores():
    """The example cohort's files without the questionnaire table."""
    return [(name, content) for name, content in instrument_example_files() if name in ("patients.csv", "symptoms.csv")]


def test_a_cohort_without_the_table_has_no_instruments():
    cohort = load_upload(_without_scores())
    assert cohort.instrument_scores is None and cohort.instruments == {}
    with pytest.raises(TooFewPatients, match="No data"):
        ins.instrument_responders(score_cohort(cohort))


# --- analyses on the six-patient example cohort -----------------------------------------------
# Totals (0–40, higher is worse): EX-1 24 → 10 → 4 (from items at months 0 and 3), EX-2 20 → 12 → 9,
# EX-3 16 → 10 (month 2, stopped for lack of efficacy at 4), EX-4 10 → 11 → 10, EX-5 30 → 0, EX-6 6 → 6.


@pytest.fixture(scope="module")
def scored():
    return instrument_example_scored()


def test_domains_and_the_total_are_computed_from_the_items(scored):
    m = ins.instrument_measures(scored)
    ex1 = m[m["patient_id"] == "EX-1"].set_index(["measure", "month"])["value"]
    # skin = itch + flushing = 8 + 6; general = mean(5, 5); total at month 6 given in the table
    assert (ex1[("skin", 0.0)], ex1[("general", 0.0)], ex1[("total", 0.0)], ex1[("total", 6.0)]) == (14.0, 5.0, 24.0, 4.0)


def test_responder_rates_and_their_exact_intervals(scored):
    r = ins.instrument_responders(scored).set_index("rule")
    # ≥ 50 %: EX-1 (83 %), EX-2 (55 %), EX-5 (100 %) = 3/6; ≥ 6 points: + EX-3 (16 → 10) = 4/6;
    # total ≤ 8: EX-1 (4), EX-5 (0), EX-6 (6) = 3/6.
    assert r[["responders", "patients"]].values.tolist() == [[3, 6], [4, 6], [3, 6]]
    # R: binom.test(3, 6) 0.1181172 0.8818828; binom.test(4, 6) 0.2227781 0.9567281
    assert r.loc["reduction_50", ["lower", "upper"]].tolist() == pytest.approx([0.1181172, 0.8818828], abs=1e-7)
    assert r.loc["change_6", ["lower", "upper"]].tolist() == pytest.approx([0.2227781, 0.9567281], abs=1e-7)
    scipy_ci = stats.binomtest(4, 6).proportion_ci(method="exact")
    assert r.loc["change_6", ["lower", "upper"]].tolist() == pytest.approx([scipy_ci.low, scipy_ci.high])


def test_responders_at_a_month_count_the_patients_assessed_then(scored):
    r = ins.instrument_responders(scored, month=3).set_index("rule")
    # Month 3: EX-1 (58 %), EX-2 (40 %), EX-4 (−10 %), EX-5 (100 %), EX-6 (0 %): ≥ 50 % in 2 of 5.
    assert r.loc["reduction_50", ["responders", "patients"]].tolist() == [2, 5]


def test_change_over_time_is_the_mean_change_with_a_t_interval(scored):
    t = ins.instrument_change_over_time(scored, instrument=DIARY).set_index("month")
    changes = [-14, -8, 1, -30, 0]  # month 3
    mean, sd = np.mean(changes), np.std(changes, ddof=1)
    half = stats.t.ppf(0.975, 4) * sd / math.sqrt(5)
    assert t.loc[3.0, "mean_change"] == pytest.approx(-10.2)
    # R: t.test(c(-14, -8, 1, -30, 0))$conf.int = -25.915758 5.515758
    assert [t.loc[3.0, "lower"], t.loc[3.0, "upper"]] == pytest.approx([mean - half, mean + half])
    assert [t.loc[3.0, "lower"], t.loc[3.0, "upper"]] == pytest.approx([-25.915758, 5.515758], abs=1e-6)
    assert np.isnan(t.loc[2.0, "lower"])  # one patient at month 2: no interval


def test_assessments_after_the_end_of_treatment_are_not_counted():
    base = [patient("A", treatment_end_month=3.0, end_reason="intolerance", last_follow_up_month=6.0)]
    scores = pd.DataFrame({"patient_id": ["A"] * 3, "instrument": [DIARY] * 3, "item": ["total"] * 3, "month": [0.0, 2.0, 6.0], "value": [20.0, 18.0, 2.0]})
    cohort = cohort_of(base, course("A", {"pruritus": {0: 1, 2: 1}}), instrument_scores=scores, instruments={DIARY: example_instrument()})
    c = ins.instrument_changes(score_cohort(cohort), instrument=DIARY)
    assert c["month"].tolist() == [0.0, 2.0]


def test_time_to_first_response_treats_stopping_without_response_as_competing(scored):
    times = ins.instrument_response_times(scored, instrument=DIARY, rule="reduction_50")
    assert times[["patient_id", "time", "status"]].values.tolist() == [
        ["EX-1", 3.0, 1], ["EX-2", 6.0, 1], ["EX-3", 4.0, 2], ["EX-4", 6.0, 0], ["EX-5", 3.0, 1], ["EX-6", 6.0, 0],
    ]
    curve = ins.instrument_time_to_response(scored, instrument=DIARY, rule="reduction_50")
    # By hand (Aalen–Johansen): month 3, 2 of 6 respond: 1/3; month 4, 1 of 4 stops (competing): event-free 1/2;
    # month 6, 1 of 3 responds: 1/3 + 1/2 × 1/3 = 1/2. Kaplan–Meier censoring the stop would give 1 − 2/3 × 2/3 = 5/9.
    assert curve["cumulative_incidence"].tolist() == pytest.approx([0, 1 / 3, 1 / 3, 1 / 2])


def test_agreement_cross_table_weighted_kappa_and_spearman(scored):
    table = ins.instrument_crosstab(scored, instrument=DIARY)
    # Paper MR, MR, PR, PR, CR, NR; instrument MR, MR, PR, NR, CR, NR: one disagreement (EX-4, PR vs NR).
    assert table.loc["PR"].tolist() == [0, 0, 1, 1] and int(np.trace(table.to_numpy())) == 5
    agreement = ins.instrument_agreement(scored, instrument=DIARY).set_index("statistic")
    # Linear weights |i − j| / 3. Observed disagreement (1/3) / 6 = 1/18. Marginals paper (NR, PR, MR, CR) = (1, 2, 2, 1),
    # instrument (2, 1, 2, 1): expected disagreement Σ p_i q_j |i − j| / 3 = 42 / 36 / 3 = 7/18. κ = 1 − 1/7 = 6/7.
    assert agreement.loc["weighted_kappa", "value"] == pytest.approx(6 / 7)
    # Spearman: ranks of the paper's decrease (62.5, 62.5, 25, 25, 100, 0) = (4.5, 4.5, 2.5, 2.5, 6, 1), of the
    # instrument's improvement (83.3, 55, 37.5, 0, 100, 0) = (5, 4, 3, 1.5, 6, 1.5): r = 15.75 / √(16.5 × 17).
    assert agreement.loc["spearman", "value"] == pytest.approx(15.75 / math.sqrt(16.5 * 17))
    assert agreement.loc["spearman", "p_value"] == pytest.approx(stats.spearmanr([4.5, 4.5, 2.5, 2.5, 6, 1], [5, 4, 3, 1.5, 6, 1.5]).pvalue)


def test_higher_is_better_instruments_improve_upwards():
    text = example_instrument_text().replace("higher_is_worse", "higher_is_better").replace("at_most = 8", "at_least = 30")
    definition = parse_instrument(text, source="up.toml")
    scores = pd.DataFrame({"patient_id": ["A", "A"], "instrument": [DIARY] * 2, "item": ["total"] * 2, "month": [0.0, 3.0], "value": [10.0, 25.0]})
    cohort = cohort_of([patient("A")], course("A", {"pruritus": {0: 1, 3: 0.5}}), instrument_scores=scores, instruments={DIARY: definition})
    c = ins.instrument_changes(score_cohort(cohort), instrument=DIARY)
    # improvement 15 of the 30 points between the baseline (10) and the best (40): 50 %
    assert c.loc[1, ["change", "improvement", "improvement_pct"]].tolist() == [15.0, 15.0, 50.0]
    r = ins.instrument_responders(score_cohort(cohort)).set_index("rule")["responders"]
    assert r.tolist() == [1, 1, 0]


# --- CLI and page -------------------------------------------------------------------------------


def test_cli_table_instruments_reads_the_definition_in_the_cohort_folder(tmp_path, capsys):
    folder = tmp_path / "cohort"
    (folder / "instruments").mkdir(parents=True)
    for name, content in instrument_example_files():
        target = folder / "instruments" / name if name.endswith(".toml") else folder / name
        target.write_bytes(content)
    assert main(["table", "instruments", str(folder), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(row["rule"], row["responders"], row["patients"]) for row in rows] == [("reduction_50", 3, 6), ("change_6", 4, 6), ("controlled", 3, 6)]
    assert list(rows[0]) == ins.RESPONDER_COLUMNS and rows[0]["month"] is None


def test_cli_table_instruments_without_the_table_says_so(tmp_path, capsys):
    for name, content in _without_scores():
        (tmp_path / name).write_bytes(content)
    assert main(["table", "instruments", str(tmp_path), "--format", "json"]) == 1
    assert "no instrument_scores table" in capsys.readouterr().err


def test_the_page_shows_the_responder_rates_of_the_example_cohort():
    at = app_on(oc.instrument_example_cohort(), page="views/instruments.py")
    assert not at.exception, [e.value for e in at.exception]
    rows = " ".join(" | ".join(map(str, r)) for f in at.dataframe for r in f.value.itertuples(index=False))
    assert "Total reduced by at least 50 % | 3/6 (50.0 %) [11.8–88.2 %]" in rows
    assert "not a validated instrument" in shown_text(at)


def test_the_page_gives_the_responders_at_a_chosen_month():
    at = app_on(oc.instrument_example_cohort(), page="views/instruments.py")
    at.selectbox[1].set_value(3.0).run()
    assert not at.exception, [e.value for e in at.exception]
    rows = " ".join(" | ".join(map(str, r)) for f in at.dataframe for r in f.value.itertuples(index=False))
    # Month 3: ≥ 50 % in EX-1 and EX-5 of the 5 assessed; R binom.test(2, 5): 0.05274495 0.85336720
    assert "Total reduced by at least 50 % | 2/5 (40.0 %) [5.3–85.3 %]" in rows


def test_a_blank_instrument_or_item_is_reported_once_as_missing():
    problems = _problems(HEAD + "EX-1,example_symptom_diary,total,0,20\nEX-1,,total,3,20\nEX-2,example_symptom_diary,,0,3\n")
    found = [(p.where, p.column) for p in problems if p.table == "instrument_scores"]
    assert found == [("instrument_scores.csv, line 3", "instrument"), ("instrument_scores.csv, line 4", "item")]


def test_definitions_uploaded_without_a_cohort_say_to_upload_them_together():
    with pytest.raises(CohortError) as error:
        load_upload([("diary.toml", example_instrument_text().encode())])
    assert "together with the cohort" in error.value.problems[0].message


def test_the_data_page_names_the_definitions_the_scores_were_checked_against():
    at = app_on(oc.instrument_example_cohort(), page="views/data.py")
    assert not at.exception, [e.value for e in at.exception]
    assert "Definition of example_symptom_diary (example, not a validated instrument)" in shown_text(at)


def test_a_selection_gives_what_its_patients_alone_give(scored):
    # The measures are computed once for the whole cohort and then selected: same as scoring the subset alone.
    chosen = ["EX-2", "EX-3", "EX-6"]
    selected = ins.instrument_responders(scored.subset(chosen))
    alone = ins.instrument_responders(score_cohort(scored.cohort.subset(chosen)))
    pd.testing.assert_frame_equal(selected, alone)
    assert selected["patients"].tolist() == [3, 3, 3] and selected["responders"].tolist() == [1, 2, 1]
