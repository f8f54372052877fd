"""Options shared by the commands that work on a selection of patients (``report``, ``table``).

One definition of the dashboard's filters on the command line, so a report,
a table and a view with the same selection show the same patients.
"""

from __future__ import annotations

import argparse

from omalizumab_core.analyses.filters import FilterSpec, apply_filters, describe
from omalizumab_core.data.codes import GROUPS, KIT_STATUSES, SEXES, SUBGROUPS

PATH_HELP = "an .xlsx or .zip file, a folder of <table>.csv or .parquet files, or 'demo'"
RULES = ("any_symptom", "total_score")


class EmptySelection(ValueError):
    """No patient of the cohort matches the filters (exit status 1, one line on stderr)."""


def add_selection_options(p: argparse.ArgumentParser) -> None:
    """Add the dashboard's filters (--diagnosis, --group, --sex, --kit, --center) and --rule to a command."""
    p.add_argument(
        "--diagnosis", nargs="+", choices=SUBGROUPS, metavar="DIAGNOSIS",
        help=f"keep these diagnosis subgroups ({', '.join(SUBGROUPS)}; MCAS is MMAS or idiopathic)",
    )
    p.add_argument("--group", choices=GROUPS, help="keep the primary (clonal) or the idiopathic MCAS group")
    p.add_argument("--sex", choices=SEXES, help="keep one sex")
    p.add_argument("--kit", nargs="+", choices=KIT_STATUSES, metavar="KIT", help=f"keep these KIT D816V statuses ({', '.join(KIT_STATUSES)})")
    p.add_argument("--center", nargs="+", metavar="CENTER", help="keep these centres (as written in the file)")
    p.add_argument(
        "--rule",
        choices=RULES,
        default="any_symptom",
        help="worsened symptom rule: any worsened symptom is no response (default, the paper), or total score only",
    )


def selection(args) -> FilterSpec:
    """The command's filters as the dashboard's filter selection."""
    return FilterSpec(
        diagnosis=tuple(args.diagnosis or ()),
        group=(args.group,) if args.group else (),
        sex=(args.sex,) if args.sex else (),
        kit_d816v=tuple(args.kit or ()),
        center=tuple(args.center or ()),
    )


def selected_patients(args):
    """Load ``args.path``, score it with ``args.rule`` and keep the selected patients.

    Returns ``(cohort, scored, description)``; ``description`` is the
    selection in clinical words (with the response rule when not the paper's).

    Raises
    ------
    CohortError
        The file cannot be loaded (handled by :func:`cli.main.main`).
    EmptySelection
        No patient matches the filters.
    """
    from omalizumab_core.engine.scoring import score_cohort
    from omalizumab_core.sources import load_path

    cohort = load_path(args.path)
    spec = selection(args)
    scored = apply_filters(score_cohort(cohort, worsening_rule=args.rule), spec)
    if scored.cohort.n_patients == 0:
        raise EmptySelection(f"no patient of {cohort.n_patients} matches the filters; loosen --diagnosis, --group, --sex, --kit or --center.")
    described = describe(spec)
    if args.rule != "any_symptom":
        from omalizumab_core.data.codes import WORSENING_RULE_LABELS

        described["Response rule"] = WORSENING_RULE_LABELS[args.rule]
    return cohort, scored, described
