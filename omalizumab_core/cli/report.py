"""Command line: ``python -m omalizumab_core report PATH --out report.html [filters]``.

Writes the Overview report (headline figures, Table 1, Table 2) of a cohort
file, or of ``demo``, as one self-contained HTML file. The filters are the
dashboard's (:mod:`omalizumab_core.analyses.filters`), so a report and a view with the
same selection show the same patients; a bad file exits with status 1 and its
located problems on stderr (handled by :func:`cli.main`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from omalizumab_core.data.codes import GROUPS, KIT_STATUSES, SEXES, SUBGROUPS
from omalizumab_core.analyses.filters import FilterSpec, apply_filters, describe


def add_report_command(subparsers) -> None:
    """Register the ``report`` command on the CLI's sub-command parsers."""
    p = subparsers.add_parser("report", help="write the Overview report as one self-contained HTML file")
    p.add_argument("path", help="an .xlsx or .zip file, a folder of <table>.csv or .parquet files, or 'demo'")
    p.add_argument("--out", default="report.html", help="output .html path (default: report.html)")
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
        choices=("any_symptom", "total_score"),
        default="any_symptom",
        help="worsened symptom rule: any worsened symptom is no response (default, the paper), or total score only",
    )
    p.set_defaults(run=run_report)


def selection(args) -> FilterSpec:
    """The command's filters as the dashboard's filter selection."""
    return FilterSpec(
        diagnosis=tuple(args.diagnosis or ()),
        group=(args.group,) if args.group else (),
        sex=(args.sex,) if args.sex else (),
        kit_d816v=tuple(args.kit or ()),
        center=tuple(args.center or ()),
    )


def run_report(args) -> int:
    from omalizumab_core.sources import load_path
    from omalizumab_core.engine.scoring import score_cohort
    from omalizumab_core.outputs.report import overview_report

    cohort = load_path(args.path)
    spec = selection(args)
    scored = apply_filters(score_cohort(cohort, worsening_rule=args.rule), spec)
    n = scored.cohort.n_patients
    if n == 0:
        print(f"ERROR: no patient of {cohort.n_patients} matches the filters; nothing to report.", file=sys.stderr)
        return 1
    described = describe(spec)
    if args.rule != "any_symptom":
        from omalizumab_core.data.codes import WORSENING_RULE_LABELS

        described["Response rule"] = WORSENING_RULE_LABELS[args.rule]
    page = overview_report(scored, filters=described, source=cohort.source)
    Path(args.out).write_text(page, encoding="utf-8")
    print(f"Report on {n} of {cohort.n_patients} patients written to {args.out}")
    return 0
