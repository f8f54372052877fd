"""Two cohorts for the examples and tests of the cohort comparison (issue 20): the demo and a small hand-made one."""

from __future__ import annotations

from omalizumab_core.data.cohort import Cohort
from omalizumab_core.data.cohort_set import pool_cohorts
from omalizumab_core.engine.scoring import ScoredCohort, score_cohort
from omalizumab_core.synthetic.demo import demo_cohort

SMALL_NAME = "Fewer responders"


def small_cohort() -> Cohort:
    """The hand-made cohort: the demo's first 6 patients, all but the first with every score under omalizumab set to 1 (no change).

    Best response: 1 of 6 (the first patient, CR), against 43 of 55 in the demo.
    Its patient identifiers are the demo's (DEMO-001 to DEMO-006).

    Examples
    --------
    >>> small_cohort().n_patients
    6
    """
    demo = demo_cohort()
    keep = demo.patients["patient_id"].iloc[:6].astype(str).tolist()
    small = demo.subset(keep)
    symptoms = small.symptoms.copy()
    unchanged = symptoms["patient_id"].astype(str).isin(keep[1:]).to_numpy() & (symptoms["month"].to_numpy() > 0)
    symptoms.loc[unchanged, "score"] = 1.0
    return Cohort(
        patients=small.patients.reset_index(drop=True), symptoms=symptoms.reset_index(drop=True), doses=small.doses,
        adverse_events=small.adverse_events, labs=small.labs, anaphylaxis=small.anaphylaxis,
        source="hand-made cohort of 6 patients (synthetic)", synthetic=True,
    )


def two_demo_cohorts() -> ScoredCohort:
    """The demo cohort pooled with a small hand-made cohort of 6 patients, 1 responder (for examples and tests).

    The second cohort ("Fewer responders") is the first 6 patients of the
    demo whose symptom scores under omalizumab are set back to 1 (no change)
    for all but the first patient: best response 1 of 6, against 43 of 55 in
    the demo. Its patient identifiers collide with the demo's, so the pooled
    cohort writes them "Fewer responders / DEMO-001" and so on.

    Examples
    --------
    >>> pooled = two_demo_cohorts()
    >>> pooled.cohort.n_patients, pooled.outcomes["best_response"].ne("NR").sum()
    (61, np.int64(44))
    """
    return score_cohort(pool_cohorts({"Demo": demo_cohort(), SMALL_NAME: small_cohort()}))
