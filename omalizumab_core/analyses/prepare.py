"""Per-cohort tables of a large cohort, prepared before a page asks for them (issue 21).

Several pages derive, once per scored cohort, tables that do not depend on
the filters (``ScoredCohort.per_patient``): each baseline symptom's score at
best response, the first improvement of each symptom category, adverse
events, dose changes, the follow-up events... On a registry (100,000
patients, 13 million symptom rows) the first page to need them took one to
two seconds more than its later visits. The dashboard computes them in a
background thread once a large cohort's first page is drawn, while the
doctor reads it; a page that asks for a table still being prepared waits
for it (one lock per table), so nothing is computed twice and every result
is the one the page would have computed itself.
"""

from __future__ import annotations

from omalizumab_core.engine.scoring import ScoredCohort

PREPARE_MIN_SYMPTOM_ROWS = 1_000_000  # below this (about 8,000 patients) every table takes well under a second


def _steps():
    """The pages' per-cohort work, shortest first: (name, function of the whole scored cohort).

    Shortest first makes each table ready as early as possible on average (at 100,000 patients:
    follow-up 0.5 s, time to response 0.1 s, symptoms 0.4 s, publication 1.7 s); a page opened
    while a longer step runs before its own would otherwise wait for both.
    """
    from omalizumab_core.analyses.follow_up import swimmer_data
    from omalizumab_core.analyses.publication import publication_comparison
    from omalizumab_core.analyses.symptom_changes import symptom_changes
    from omalizumab_core.analyses.time_to_response import time_to_response_summary

    return (
        ("follow_up", swimmer_data),
        ("time_to_response", time_to_response_summary),
        ("symptoms", symptom_changes),
        ("publication", publication_comparison),  # symptom scores at best response, first improvements, dosing, safety, labs
        # Last: an import holds the interpreter (pure Python) and slowed the page being opened meanwhile.
        ("scipy.stats", _import_scipy_stats),
    )


def _import_scipy_stats(scored: ScoredCohort) -> None:
    """Import scipy.stats (about half a second), which the first page with a test (Response's Fisher
    test, the odds ratios, the survival tests) would otherwise wait for."""
    from omalizumab_core.stats.exact import _stats

    _stats()


def worth_preparing(scored: ScoredCohort) -> bool:
    """Whether the cohort is large enough for its tables to be prepared in advance."""
    return len(scored.cohort.symptoms) >= PREPARE_MIN_SYMPTOM_ROWS


def prepare_shared_tables(scored: ScoredCohort) -> list[str]:
    """Compute the pages' per-cohort tables of ``scored``'s whole cohort, and keep them on it.

    Parameters
    ----------
    scored : ScoredCohort
        A scored cohort or a selection of one (its whole cohort is prepared).

    Returns
    -------
    list of str
        The pages whose tables were prepared (and "scipy.stats" once imported). A step that fails (a cohort
        without the table a page needs, too few patients) is skipped: the
        page itself reports the reason when it is opened.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_cohort
    >>> from omalizumab_core.engine.scoring import score_cohort
    >>> prepare_shared_tables(score_cohort(demo_cohort()))
    ['follow_up', 'time_to_response', 'symptoms', 'publication', 'scipy.stats']
    """
    whole = scored.whole_cohort
    done = []
    for name, step in _steps():
        try:
            step(whole)
        except Exception:  # noqa: BLE001 - the page shows its own message for the same input
            continue
        done.append(name)
    return done
