"""Several cohorts: the pooled cohort and the side-by-side analyses (issue 20, part 1).

The two cohorts: the demo (55 patients, 43 responders at best response) and a
hand-made cohort of 6 patients (the demo's first 6, all but the first with
every score under omalizumab set back to 1, so 1 responder), whose identifiers
collide with the demo's (omalizumab_core/synthetic/two_cohorts.py).

Expected values come from R 4.2 on this machine: ``fisher.test``,
``wilcox.test(exact = FALSE)``, ``prop.test(correct = FALSE)`` (Wilson
intervals) combined by Newcombe's method 10 formula, and
``cmprsk::cuminc(ftime, fstatus, group)$Tests`` (cmprsk 2.2-11, Debian's
r-cran-cmprsk).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import omalizumab_core as oc
from omalizumab_core.analyses.filters import FilterSpec, apply_filters
from omalizumab_core.data.cohort import patient_positions
from omalizumab_core.data.problems import CohortError, TooFewPatients
from omalizumab_core.stats.exact import difference_ci
from omalizumab_core.synthetic.demo import demo_cohort
from omalizumab_core.synthetic.two_cohorts import SMALL_NAME, small_cohort


@pytest.fixture(scope="module")
def pooled():
    return oc.two_demo_cohorts()


def _frames(cohort):
    return {name: getattr(cohort, name).copy(deep=True) for name in ("patients", "symptoms", "doses", "labs")}


def test_pooled_cohort_has_every_patient_and_a_cohort_column(pooled):
    patients = pooled.cohort.patients
    assert len(patients) == 61
    assert patients["cohort"].value_counts().to_dict() == {"Demo": 55, SMALL_NAME: 6}
    assert patients["patient_id"].is_unique


def test_colliding_identifiers_are_kept_apart_as_cohort_and_id_and_said(pooled):
    ids = pooled.cohort.patients["patient_id"].astype(str).tolist()
    assert ids[0] == "Demo / DEMO-001" and ids[5] == "Demo / DEMO-006"
    assert ids[6] == "DEMO-007"  # an identifier used by one cohort only is unchanged
    assert ids[55:] == [f"{SMALL_NAME} / DEMO-00{k}" for k in range(1, 7)]
    (warning,) = pooled.cohort.warnings
    assert warning.severity == "warning" and warning.message.startswith("6 patient identifiers are used in more than one cohort")


def test_without_collision_identifiers_are_unchanged_and_nothing_is_said():
    demo = demo_cohort()
    small = demo.subset(demo.patients["patient_id"].iloc[:3])
    rest = demo.subset(demo.patients["patient_id"].iloc[3:])
    union = oc.pool_cohorts({"First": small, "Rest": rest})
    assert union.patients["patient_id"].astype(str).tolist() == demo.patients["patient_id"].astype(str).tolist()
    assert union.warnings == []


def test_long_tables_rows_point_to_their_own_cohorts_patient(pooled):
    cohort = pooled.cohort
    small = small_cohort()
    for table in ("symptoms", "doses", "labs", "adverse_events", "anaphylaxis"):
        frame = getattr(cohort, table)
        position = patient_positions(frame["patient_id"], cohort.patients)
        assert (position >= 0).all(), table
        from_small = (position >= 55).sum()
        assert from_small == len(getattr(small, table)), table
    # The hand-made cohort's scores (all 1 under treatment but for its first patient) stay with its own patients.
    symptoms = cohort.symptoms
    mine = symptoms["patient_id"].astype(str).str.startswith(f"{SMALL_NAME} / DEMO-002").to_numpy()
    assert set(symptoms.loc[mine, "score"]) == {1.0}


def test_pooling_does_not_modify_the_cohorts():
    demo, small = demo_cohort(), small_cohort()
    before = {id(c): _frames(c) for c in (demo, small)}
    oc.pool_cohorts({"Demo": demo, "Small": small})
    for c in (demo, small):
        for name, frame in before[id(c)].items():
            pd.testing.assert_frame_equal(getattr(c, name), frame)


def test_pooling_needs_distinct_names():
    demo = demo_cohort()
    with pytest.raises(CohortError) as error:
        oc.pool_cohorts({" ": demo})
    assert "give every cohort a name" in error.value.problems[0].message
    with pytest.raises(CohortError) as error:
        oc.pool_cohorts({})
    assert "load at least one cohort" in error.value.problems[0].message


def test_scoring_the_pooled_cohort_gives_each_patient_the_score_of_their_own_cohort(pooled):
    alone = oc.score_cohort(demo_cohort()).outcomes["best_response"].tolist()
    assert pooled.outcomes["best_response"].tolist()[:55] == alone


def test_cohort_set_holds_each_cohort_once_and_builds_the_union_once():
    demo = demo_cohort()
    cohorts = oc.CohortSet()
    assert cohorts.add("Demo", demo) == "Demo"
    assert cohorts.add("Centre B", small_cohort()) == "Centre B"
    assert cohorts["Demo"] is demo
    union = cohorts.pooled()
    assert cohorts.pooled() is union  # cached
    assert cohorts.rename("Centre B", "Demo") == "Demo (2)"
    assert cohorts.names == ["Demo", "Demo (2)"]
    assert cohorts.pooled() is not union and sorted(set(cohorts.pooled().patients["cohort"])) == ["Demo", "Demo (2)"]
    cohorts.remove("Demo (2)")
    assert cohorts.names == ["Demo"] and cohorts.pooled().n_patients == 55


def test_table2_by_cohort_counts_fisher_p_and_newcombe_difference(pooled):
    rates = oc.cohort_response_rates(pooled)
    best = rates[rates["measure"] == "best_overall"].set_index("cohort")
    assert best.loc["Demo", ["n", "total"]].tolist() == [43, 55]
    assert best.loc[SMALL_NAME, ["n", "total"]].tolist() == [1, 6]
    row = best.iloc[0]
    assert row["test"] == "Fisher exact"
    assert row["p_value"] == pytest.approx(0.005126449, abs=1e-9)  # R fisher.test(matrix(c(43, 12, 1, 5), 2, byrow = TRUE))
    assert row["difference"] == pytest.approx(43 / 55 - 1 / 6)
    assert (row["difference_low"], row["difference_high"]) == pytest.approx((0.198938, 0.778046), abs=1e-6)


def test_newcombe_method_10_reproduces_newcombe_1998_table_ii_example_a():
    # 56/70 vs 48/80: difference 0.2000, hybrid score interval 0.0524 to 0.3339 (Newcombe, Stat Med 1998;17:873-90,
    # Table II, method 10; recomputed in R from prop.test(correct = FALSE) intervals).
    assert difference_ci(56, 70, 48, 80) == pytest.approx((0.0524, 0.3339), abs=5e-5)


def test_table1_by_cohort_with_fisher_and_mann_whitney(pooled):
    table = oc.cohort_table1(pooled)
    male = table[table["characteristic"] == "Male, n (%)"].set_index("cohort")
    assert male.loc["Demo", ["n", "total"]].tolist() == [17, 55]
    assert male.loc[SMALL_NAME, ["n", "total"]].tolist() == [4, 6]
    assert male["test"].iloc[0] == "Fisher exact"
    assert male["p_value"].iloc[0] == pytest.approx(0.1688400034, abs=1e-9)  # R fisher.test
    age = table[table["characteristic"].str.startswith("Age at diagnosis")]
    assert age["test"].iloc[0] == "Mann–Whitney U"
    assert age["p_value"].iloc[0] == pytest.approx(0.8085341298, abs=1e-9)  # R wilcox.test(exact = FALSE)
    # A therapy nobody in the small cohort had counts 0 of 6 there.
    interferon = table[table["characteristic"] == "interferon"].set_index("cohort")
    assert interferon.loc[SMALL_NAME, ["n", "total"]].tolist() == [0, 6]
    shown = oc.format_cohort_table1(table)
    assert list(shown.columns) == ["Demo (N=55)", f"{SMALL_NAME} (N=6)", "Test between cohorts", "p"]


def test_gray_test_between_cohorts_matches_r_cmprsk(pooled):
    tests = oc.cohort_time_to_response_tests(pooled)
    assert tests["test"].tolist() == ["Gray", "Gray"]
    assert tests["statistic"].tolist() == pytest.approx([5.821654, 4.523554], abs=1e-6)
    assert tests["p_value"].tolist() == pytest.approx([0.01583005, 0.03343131], abs=1e-8)


def test_time_to_response_curves_one_per_cohort(pooled):
    curves = oc.cohort_time_to_response(pooled)
    last = curves[curves["milestone"] == "best"].groupby("group", sort=False)["cumulative_incidence"].last()
    assert last["Demo"] == pytest.approx(43 / 55)


def test_symptom_table_has_a_column_pair_per_cohort(pooled):
    table = oc.cohort_symptom_table(pooled, level="category")
    vasomotor = table[table["row"] == "general_vasomotor"].set_index("cohort")
    assert vasomotor["n_assessed"].tolist() == [44, 4]
    shown = oc.format_cohort_symptom_table(table)
    assert list(shown.columns)[1:5] == [
        "Demo: patients assessed", "Demo: mean score under omalizumab",
        f"{SMALL_NAME}: patients assessed", f"{SMALL_NAME}: mean score under omalizumab",
    ]


def test_comparing_needs_two_cohorts_in_the_selection(pooled):
    index = oc.filter_index(pooled)
    only_demo = apply_filters(pooled, FilterSpec(extra=(("cohort", ("Demo",)),)), index=index)
    assert oc.cohort_names(only_demo) == ["Demo"]
    with pytest.raises(TooFewPatients, match="second cohort"):
        oc.cohort_response_rates(only_demo)


def test_a_single_cohort_is_not_a_comparison():
    with pytest.raises(ValueError, match="pool several cohorts"):
        oc.cohort_names(oc.score_cohort(demo_cohort()))


def test_three_cohorts_use_chi_square_and_no_difference():
    demo, small = demo_cohort(), small_cohort()
    scored = oc.score_cohort(oc.pool_cohorts({"A": demo, "B": small, "C": demo}))
    rates = oc.cohort_response_rates(scored)
    best = rates[rates["measure"] == "best_overall"]
    assert best["test"].iloc[0] == "Chi-square" and np.isnan(best["difference"]).all()
    assert oc.cohort_time_to_response_tests(scored)["df"].tolist() == [2, 2]


def test_the_comparisons_do_not_modify_the_pooled_cohort():
    scored = oc.two_demo_cohorts()
    before = (scored.outcomes.copy(deep=True), scored.cohort.patients.copy(deep=True), scored.cohort.symptoms.copy(deep=True))
    oc.cohort_table1(scored)
    oc.cohort_response_rates(scored)
    oc.cohort_time_to_response(scored)
    oc.cohort_time_to_response_tests(scored)
    oc.cohort_symptom_table(scored)
    for kept, frame in zip(before, (scored.outcomes, scored.cohort.patients, scored.cohort.symptoms)):
        pd.testing.assert_frame_equal(frame, kept)


def test_pooling_a_cohort_without_anaphylaxis_table_leaves_its_patients_out_of_the_anaphylaxis_rates():
    from omalizumab_core.data.cohort_set import pool_cohorts
    from omalizumab_core.synthetic.demo import demo_cohort
    from omalizumab_core.synthetic.two_cohorts import small_cohort

    other = small_cohort()
    object.__setattr__(other, "anaphylaxis", None)  # a centre that did not record anaphylaxis episodes
    pooled = pool_cohorts({"Demo": demo_cohort(), "Centre B": other})
    [warning] = [w for w in pooled.warnings if w.table == "anaphylaxis"]
    assert warning.message.startswith("No anaphylaxis episodes table in Centre B (6 patients): the pooled anaphylaxis episodes rates count only")
    assert pooled.unrecorded == {"anaphylaxis": ("Centre B",)}
    # The demo alone: 14 patients with episodes before omalizumab, 10 free on treatment (anaphylaxis_summary's example);
    # pooled with a centre that recorded nothing, the same 14 and 10, not diluted by Centre B's 6 patients.
    alone = oc.anaphylaxis_summary(oc.score_cohort(demo_cohort()))
    together = oc.anaphylaxis_summary(oc.score_cohort(pooled))
    pd.testing.assert_frame_equal(together, alone)
    kept, left_out = oc.recorded_cohorts_only(oc.score_cohort(pooled), "anaphylaxis")
    assert (len(kept.outcomes), left_out) == (55, ["Centre B"])
    kept, left_out = oc.recorded_cohorts_only(oc.score_cohort(pooled), "adverse_events")
    assert (len(kept.outcomes), left_out) == (61, [])
    assert not [w for w in pooled.warnings if w.table == "adverse_events"]  # both cohorts recorded adverse events
    both_without = pool_cohorts({"A": other, "B": other})
    assert not [w for w in both_without.warnings if w.table == "anaphylaxis"]  # nothing pooled is diluted: the page says "no data"


def test_pooling_the_same_file_twice_warns_that_its_patients_count_twice():
    from omalizumab_core.data.cohort_set import pool_cohorts
    from omalizumab_core.synthetic.two_cohorts import small_cohort

    pooled = pool_cohorts({"centre.xlsx": small_cohort(), "centre.xlsx (2)": small_cohort()})
    assert any(w.message.startswith("The cohorts centre.xlsx and centre.xlsx (2) have the same patients table") for w in pooled.warnings)
    from omalizumab_core.synthetic.demo import demo_cohort

    assert not any("same patients table" in w.message for w in pool_cohorts({"A": demo_cohort(), "B": small_cohort()}).warnings)


def test_a_shared_link_with_a_cohort_filter_opened_on_one_cohort_says_to_load_the_cohorts():
    from omalizumab_core.analyses.filters import filter_index, filter_options, spec_from_query

    demo = oc.score_cohort(demo_cohort())
    spec, problems = spec_from_query({"x.cohort": "Centre B"}, filter_options(filter_index(demo)))
    assert spec.extra == ()
    [problem] = problems
    assert "load each cohort on the Data page" in problem.message and "Pooled (all cohorts)" in problem.message
