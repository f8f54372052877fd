"""Which patients of a pooled selection belong to cohorts that recorded an event table.

Kept apart from :mod:`omalizumab_core.analyses.cohort_comparison` (and its
statistical tests) because the Overview's first page needs it.
"""

from __future__ import annotations

from omalizumab_core.data.cohort_set import COHORT_COLUMN
from omalizumab_core.engine.scoring import ScoredCohort


def recorded_cohorts_only(scored: ScoredCohort, table: str) -> tuple[ScoredCohort, list[str]]:
    """The patients of the cohorts that recorded an event table, and the cohorts left out.

    Pooled cohorts (:func:`~omalizumab_core.data.cohort_set.pool_cohorts`)
    note which cohorts have no adverse-events or anaphylaxis table
    (``Cohort.unrecorded``). A patient of such a cohort has no rows in that
    table because nobody recorded them, not because nothing happened: counted
    among the patients "without events", they would lower every pooled rate.

    Parameters
    ----------
    scored : ScoredCohort
        A scored cohort or a selection of it.
    table : {"adverse_events", "anaphylaxis"}
        The event table the analysis reads.

    Returns
    -------
    (ScoredCohort, list of str)
        The selection restricted to the cohorts that recorded ``table``
        (``scored`` itself when every cohort did, or for a single cohort), and
        the names of the cohorts among the selected patients that were left out.

    Examples
    --------
    >>> import dataclasses
    >>> import omalizumab_core as oc
    >>> demo = oc.load_cohort("demo")
    >>> no_events = dataclasses.replace(demo, adverse_events=None)
    >>> pooled = oc.score_cohort(oc.pool_cohorts({"Demo": demo, "Centre B": no_events}))
    >>> kept, left_out = oc.recorded_cohorts_only(pooled, "adverse_events")
    >>> len(pooled.outcomes), len(kept.outcomes), left_out
    (110, 55, ['Centre B'])
    """
    missing = scored.cohort.unrecorded.get(table, ())
    patients = scored.cohort.patients
    if not missing or COHORT_COLUMN not in patients:
        return scored, []
    cohort = patients[COHORT_COLUMN].astype(str)
    unrecorded = cohort.isin(missing).to_numpy()
    left_out = [name for name in missing if (cohort == name).any()]
    return (scored.restrict(~unrecorded), left_out) if left_out else (scored, [])
