"""Options shared by the commands that work on a selection of patients (``report``, ``table``).

One definition of the dashboard's filters on the command line, so a report,
a table and a view with the same selection show the same patients.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

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
        default=None,
        help="worsened symptom rule: any worsened symptom is no response (default, the paper), or total score only",
    )
    p.add_argument(
        "--analysis", metavar="FILE",
        help="a saved analysis (.json from the dashboard's \"Save analysis\"): its filters, response rule and page settings; "
        "filters and options given on the command line take precedence",
    )


def selection(args, saved: FilterSpec | None = None) -> FilterSpec:
    """The command's filters as the dashboard's filter selection (over those of a saved analysis, if any)."""
    given = {
        "diagnosis": tuple(args.diagnosis or ()),
        "group": (args.group,) if args.group else (),
        "sex": (args.sex,) if args.sex else (),
        "kit_d816v": tuple(args.kit or ()),
        "center": tuple(args.center or ()),
    }
    if saved is None:
        return FilterSpec(**given)
    return dataclasses.replace(saved, **{name: levels for name, levels in given.items() if levels})


def read_saved_analysis(args):
    """The saved analysis of ``--analysis`` (kept on ``args.saved_analysis``), or None.

    Raises
    ------
    AnalysisFileError
        The file is not a saved analysis (a ValueError: exit status 1 with the message).
    OSError
        The file cannot be read.
    """
    if getattr(args, "saved_analysis", None) is not None or not getattr(args, "analysis", None):
        return getattr(args, "saved_analysis", None)
    from pathlib import Path

    from omalizumab_core.outputs.saved_analysis import read_analysis

    args.saved_analysis = read_analysis(Path(args.analysis).read_bytes())
    return args.saved_analysis


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

    saved = read_saved_analysis(args)
    cohort = load_path(args.path)
    args.rule = args.rule or (saved.worsening_rule if saved else "any_symptom")
    scored = score_cohort(cohort, worsening_rule=args.rule)
    saved_filters = None
    if saved is not None:
        from omalizumab_core.outputs.saved_analysis import analysis_filters, data_differ

        differ = data_differ(saved, cohort)
        if differ:
            print(f"WARNING: {differ}", file=sys.stderr)
        saved_filters, problems = analysis_filters(saved, scored)
        for problem in problems:
            print(f"WARNING: {problem.message}", file=sys.stderr)
    spec = selection(args, saved_filters)
    args.selection_spec = spec  # for the report's code appendix
    scored = apply_filters(scored, spec)
    if scored.cohort.n_patients == 0:
        raise EmptySelection(f"no patient of {cohort.n_patients} matches the filters; loosen --diagnosis, --group, --sex, --kit or --center.")
    described = describe(spec)
    if args.rule != "any_symptom":
        from omalizumab_core.data.codes import WORSENING_RULE_LABELS

        described["Response rule"] = WORSENING_RULE_LABELS[args.rule]
    return cohort, scored, described
