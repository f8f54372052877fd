"""Anaphylaxis episodes before and on omalizumab (optional ``anaphylaxis`` table).

Reference values: R 4.2 ``poisson.test`` (exact conditional Poisson) and
``glm(cbind(on, before) ~ 1 + offset(log(t_on / t_before)), family =
binomial / quasibinomial)`` (conditional Poisson paired by patient, Wald CI
from ``confint.default``), run on the same numbers; the calls are quoted
beside each expectation.
"""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

import omalizumab_core as oc
from omalizumab_core.analyses.anaphylaxis import anaphylaxis_outcomes, anaphylaxis_periods, anaphylaxis_rates
from omalizumab_core.data.problems import CohortError, TooFewPatients
from omalizumab_core.stats.rates import paired_rate_ratio, poisson_rate_ratio
from tests.handmade import cohort_of, course, patient


def test_exact_conditional_rate_ratio_is_r_poisson_test():
    # R: poisson.test(c(2, 20), c(20, 14)) -> rate ratio 0.07, 95 % CI 0.007932802 0.288160066, p-value = 1.677e-06
    r = poisson_rate_ratio(2, 20.0, 20, 14.0)
    assert r["rate_ratio"] == pytest.approx(0.07, rel=1e-12)
    assert (r["lower"], r["upper"]) == pytest.approx((0.007932802, 0.288160066), rel=1e-7)
    assert r["p_value"] == pytest.approx(1.677e-06, rel=1e-3)


def test_no_episode_in_the_reference_period_gives_an_infinite_upper_bound():
    r = poisson_rate_ratio(3, 10.0, 0, 10.0)
    assert np.isinf(r["rate_ratio"]) and np.isinf(r["upper"])
    assert np.isnan(poisson_rate_ratio(0, 10.0, 0, 10.0)["rate_ratio"])


def test_paired_rate_ratio_without_overdispersion_is_the_ratio_of_totals_and_r_glm_binomial():
    # Equal periods in every patient: the conditional estimate is the ratio of totals, 2 / 5 = 0.4 (by hand).
    # R: on = c(1,1,0); b = c(2,1,2); m = glm(cbind(on, b) ~ 1 + offset(log(c(1,1,1)/c(1,1,1))), family = binomial)
    #    exp(coef(m)) = 0.4; exp(confint.default(m)) = 0.07760571529 2.061703824; Pr(>|z|) = 0.2734391311;
    #    Pearson X^2 = 1.283333 on 2 df < 2: no overdispersion, the interval is not widened.
    r = paired_rate_ratio([1, 1, 0], [1.0, 1.0, 1.0], [2, 1, 2], [1.0, 1.0, 1.0])
    assert r["rate_ratio"] == pytest.approx(0.4, rel=1e-9)
    assert (r["lower"], r["upper"]) == pytest.approx((0.07760571529, 2.061703824), rel=1e-6)
    assert r["p_value"] == pytest.approx(0.2734391311, rel=1e-6)
    assert r["dispersion"] == 1.0
    assert r["overdispersion_p"] == pytest.approx(0.5264, abs=1e-4)  # R: pchisq(1.283333, 2, lower.tail = FALSE) = 0.5264


def test_paired_rate_ratio_widens_its_interval_when_patients_change_unevenly():
    # R: on = c(0,1,0,4,2); ton = c(1,0.5,2,0.25,1); b = c(3,1,2,0,5); tb = rep(1, 5)
    #    m = glm(cbind(on, b) ~ 1 + offset(log(ton/tb)), family = binomial): coef -0.2009944695,
    #    exp(confint.default(m)) = 0.3040020517 2.200604047
    #    q = update(m, family = quasibinomial): summary(q)$dispersion = 6.619272039,
    #    exp(confint.default(q)) = 0.06409703968 10.43711455
    r = paired_rate_ratio([0, 1, 0, 4, 2], [1, 0.5, 2, 0.25, 1], [3, 1, 2, 0, 5], [1, 1, 1, 1, 1])
    assert np.log(r["rate_ratio"]) == pytest.approx(-0.2009944695, abs=1e-8)
    assert r["dispersion"] == pytest.approx(6.619272039, rel=1e-4)  # R's IRLS stops within 1e-8 of the deviance
    assert (r["lower"], r["upper"]) == pytest.approx((0.06409703968, 10.43711455), rel=1e-4)
    assert r["overdispersion_p"] < 0.001


def test_paired_rate_ratio_root_is_the_one_scipy_brentq_finds_even_far_from_one():
    # The conditional score is solved by a safeguarded Newton step (no scipy.optimize import on the
    # first page); scipy.optimize.brentq on the same score is the yardstick, on near-separated data too.
    from scipy import optimize, special

    rng = np.random.default_rng(21)
    cases = [([1, 0, 0], [1.0, 1.0, 1.0], [40, 30, 50], [1.0, 1.0, 1.0]), ([30, 20], [0.1, 0.2], [1, 0], [10.0, 10.0])]
    for _ in range(25):
        k = int(rng.integers(2, 40))
        cases.append((rng.poisson(rng.uniform(0.1, 5), k), rng.uniform(0.05, 5, k), rng.poisson(rng.uniform(0.1, 5), k), rng.uniform(0.05, 5, k)))
    for on, t_on, before, t_before in cases:
        y, x0 = np.asarray(on, float), np.asarray(before, float)
        n = y + x0
        keep = n > 0
        if not keep.any() or y.sum() in (0, n.sum()):
            continue
        offset = np.log(np.asarray(t_on)[keep] / np.asarray(t_before)[keep])
        root = optimize.brentq(lambda b: np.sum(y[keep] - n[keep] * special.expit(b + offset)), -60, 60, xtol=1e-13)
        assert np.log(paired_rate_ratio(on, t_on, before, t_before)["rate_ratio"]) == pytest.approx(root, abs=1e-9)


def test_paired_rate_ratio_leaves_out_patients_without_episodes_and_is_not_estimable_without_episodes_on():
    with_silent = paired_rate_ratio([1, 1, 0, 0], [1.0, 1.0, 1.0, 5.0], [2, 1, 2, 0], [1.0, 1.0, 1.0, 1.0])
    assert with_silent["patients"] == 3 and with_silent["rate_ratio"] == pytest.approx(0.4)
    assert np.isnan(paired_rate_ratio([0, 0], [1.0, 1.0], [2, 1], [1.0, 1.0])["rate_ratio"])
    with pytest.raises(ValueError, match="positive person-time"):
        paired_rate_ratio([1], [0.0], [1], [1.0])


def test_demo_severe_episodes_paired_ratio_agrees_in_direction_with_the_exact_one():
    # The former negative binomial of patient-periods gave 1.68 against the exact 0.27 on the demo.
    # R (demo's 10 patients with a severe episode): glm(cbind(on, before) ~ 1 + offset(log(t_on/12)),
    #    family = binomial) -> exp(coef) = 0.404452402
    rates = anaphylaxis_rates(oc.score_cohort(oc.load_cohort("demo"))).set_index(["kind", "method"])
    exact = rates.loc[("severe", "exact conditional Poisson"), "rate_ratio"]
    paired = rates.loc[("severe", "conditional Poisson, paired by patient (quasi-likelihood)"), "rate_ratio"]
    assert paired == pytest.approx(0.404452402, rel=1e-6)
    assert exact < 1 and paired < 1


def _cohort(episodes: list[tuple], **patient_fields) -> oc.Cohort:
    """Three patients treated 12 months, anaphylaxis rows (patient, month, grade, epinephrine)."""
    patients = [patient(p, last_follow_up_month=12.0, **patient_fields.get(p, {})) for p in ("A", "B", "C")]
    rows = []
    for p in ("A", "B", "C"):
        rows += course(p, {"flushing": {0: 1, 3: 0.5, 12: 0.5}})
    table = pd.DataFrame(episodes, columns=["patient_id", "month", "grade", "epinephrine", "trigger"])
    table["epinephrine"] = table["epinephrine"].astype("boolean")
    return cohort_of(patients, rows, anaphylaxis=table)


EPISODES = [
    ("A", -10, "III", True, None), ("A", -4, "II", True, None), ("A", -1, "II", False, None),  # 3 before, 0 on
    ("B", -6, "II", True, None), ("B", 2, "I", False, None),  # 1 before, 1 on (no epinephrine)
    ("C", -20, "II", True, None),  # before C's 12-month window: outside
    ("C", 5, "III", True, None),  # C: 0 before (in window), 1 on
]


def test_periods_count_episodes_in_the_window_before_and_during_treatment():
    periods = anaphylaxis_periods(oc.score_cohort(_cohort(EPISODES))).set_index("patient_id")
    assert periods.loc["A", ["all_before", "all_on", "severe_before", "epinephrine_before"]].tolist() == [3, 0, 1, 2]
    assert periods.loc["B", ["all_before", "all_on", "epinephrine_on"]].tolist() == [1, 1, 0]
    assert periods.loc["C", ["all_before", "all_on", "outside", "severe_on"]].tolist() == [0, 1, 1, 1]
    assert periods["months_before"].tolist() == [12.0, 12.0, 12.0]


def test_a_longer_recorded_window_brings_earlier_episodes_in():
    cohort = _cohort(EPISODES, C={"anaphylaxis_window_before_months": 24.0})
    periods = anaphylaxis_periods(oc.score_cohort(cohort)).set_index("patient_id")
    assert periods.loc["C", ["all_before", "outside", "months_before"]].tolist() == [1, 0, 24.0]


def test_cohort_rate_ratio_pools_person_time_of_every_patient():
    # Before: 4 episodes in 3 x 12 months = 3 patient-years; on: 2 in 3 x 12 months = 3 years.
    # R: poisson.test(c(2, 4), c(3, 3)) -> rate ratio 0.5, 95 % CI 0.0452290121 3.4887716530, p-value = 0.6875
    rates = anaphylaxis_rates(oc.score_cohort(_cohort(EPISODES))).set_index(["kind", "method"])
    exact = rates.loc[("all", "exact conditional Poisson")]
    assert (exact["episodes_before"], exact["episodes_on"], exact["years_before"], exact["years_on"]) == (4, 2, 3.0, 3.0)
    assert exact["rate_ratio"] == pytest.approx(0.5)
    assert (exact["lower"], exact["upper"]) == pytest.approx((0.0452290121, 3.4887716530), rel=1e-8)
    assert exact["p_value"] == pytest.approx(0.6875, rel=1e-9)


def test_freedom_from_anaphylaxis_and_from_epinephrine_among_patients_with_episodes_before():
    outcomes = anaphylaxis_outcomes(oc.score_cohort(_cohort(EPISODES))).set_index("outcome")
    # A and B had episodes before; A had none on treatment (B had one).
    assert outcomes.loc["free", ["count", "n"]].tolist() == [1, 2]
    # A and B had epinephrine before; neither needed it on treatment (B's episode was without).
    assert outcomes.loc["no_epinephrine", ["count", "n"]].tolist() == [2, 2]
    # Only A had a severe (grade III) episode before, and none on treatment.
    assert outcomes.loc["free_of_severe", ["count", "n"]].tolist() == [1, 1]


def test_a_cohort_without_the_table_says_there_is_no_data():
    cohort = cohort_of([patient("A")], course("A", {"flushing": {0: 1, 3: 0.5}}))
    with pytest.raises(TooFewPatients, match="no anaphylaxis table"):
        anaphylaxis_periods(oc.score_cohort(cohort))


def test_the_analysis_does_not_mutate_the_table():
    cohort = _cohort(EPISODES)
    before = cohort.anaphylaxis.copy()
    anaphylaxis_rates(oc.score_cohort(cohort))
    pd.testing.assert_frame_equal(cohort.anaphylaxis, before)


def test_demo_has_the_papers_fourteen_patients_thirteen_improved():
    # Discussion: "13/14 patients had an improvement ..., reaching independence of epinephrine".
    periods = anaphylaxis_periods(oc.score_cohort(oc.load_cohort("demo")))
    had = periods[periods["all_before"] > 0]
    assert len(had) == 14
    assert int((had["all_on"] < had["all_before"]).sum()) == 13


def _upload(anaphylaxis_csv: str):
    patients = "patient_id,diagnosis,sex\nP1,ISM,F\nP2,CM,M\n"
    symptoms = "patient_id,symptom,month,score\nP1,flushing,0,1\nP1,flushing,3,0.5\nP2,pruritus,0,1\nP2,pruritus,3,0\n"
    files = [("patients.csv", patients.encode()), ("symptoms.csv", symptoms.encode()), ("anaphylaxis.csv", anaphylaxis_csv.encode())]
    return oc.load_upload(files)


def test_an_upload_reads_negative_months_grades_in_either_system_and_epinephrine():
    cohort = _upload("patient_id,month,grade,epinephrine,trigger\nP1,-3,grade 3,yes,wasp\nP2,2,moderate,no,\n")
    table = cohort.anaphylaxis
    assert table["month"].tolist() == [-3.0, 2.0]
    assert table["grade"].tolist() == ["III", "moderate"]
    assert table["epinephrine"].tolist() == [True, False]


def test_an_unknown_grade_and_an_unknown_patient_are_located_errors():
    with pytest.raises(CohortError) as error:
        _upload("patient_id,month,grade,epinephrine\nP1,-3,V,yes\nP9,2,II,no\n")
    messages = [str(p) for p in error.value.problems]
    assert any("grade" in m and "line 2" in m for m in messages), messages
    assert any("P9" in m for m in messages), messages
