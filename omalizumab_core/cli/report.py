"""Command line: ``python -m omalizumab_core report PATH --out report.html [filters]``.

Writes the Overview report (headline figures, Table 1, Table 2) of a cohort
file, or of ``demo``, as one self-contained HTML file. The filters are the
dashboard's (:mod:`omalizumab_core.analyses.filters`, on the command line
through :mod:`omalizumab_core.cli.options`), so a report and a view with the
same selection show the same patients; a bad file exits with status 1 and its
located problems on stderr (handled by :func:`cli.main`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from omalizumab_core.cli.options import PATH_HELP, EmptySelection, add_selection_options, selected_patients, selection  # noqa: F401 (selection: kept for callers)


def add_report_command(subparsers) -> None:
    """Register the ``report`` command on the CLI's sub-command parsers."""
    p = subparsers.add_parser("report", help="write the Overview report as one self-contained HTML file")
    p.add_argument("path", help=PATH_HELP)
    p.add_argument("--out", default="report.html", help="output .html path (default: report.html)")
    add_selection_options(p)
    p.set_defaults(run=run_report)


def run_report(args) -> int:
    from omalizumab_core.outputs.report import overview_code, overview_report

    try:
        cohort, scored, described = selected_patients(args)
    except EmptySelection as error:
        print(f"ERROR: {error} Nothing to report.", file=sys.stderr)
        return 1
    code = overview_code(source="demo" if cohort.synthetic else args.path, filters=args.selection_spec, worsening_rule=args.rule)
    page = overview_report(scored, filters=described, source=cohort.source, code=code)
    Path(args.out).write_text(page, encoding="utf-8")
    print(f"Report on {scored.cohort.n_patients} of {cohort.n_patients} patients written to {args.out}")
    return 0
