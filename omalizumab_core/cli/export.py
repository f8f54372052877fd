"""Command line: ``export PATH --to xlsx|csv|parquet|redcap|adam --out DEST`` and the templates.

``export`` writes any cohort the dashboard loads (its own form, a REDCap
export, a one-row-per-patient sheet, ADaM datasets, or ``demo``) in another
form; each form loads back to identical results. ``template --redcap`` writes
the REDCap data dictionary, ``template --wide`` the one-row-per-patient
workbook. ``--mapping FILE`` applies a column mapping saved from the Data page
(see :mod:`omalizumab_core.data.importers.mapping`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from omalizumab_core.outputs.cohort_files import FORMS_OUT


def add_export_command(subparsers) -> None:
    """Register ``export`` on the CLI's sub-command parsers."""
    p = subparsers.add_parser("export", help="write a cohort as xlsx, a folder of CSV or Parquet, a REDCap import file or ADaM datasets")
    p.add_argument("path", help="an .xlsx or .zip file, a folder, a REDCap export, ADaM datasets, or 'demo'")
    p.add_argument("--to", required=True, choices=FORMS_OUT, help="the form to write")
    p.add_argument("--out", required=True, help="output file (xlsx, redcap: a .csv) or folder (csv, parquet, adam)")
    add_mapping_option(p)
    p.set_defaults(run=run_export)


def add_mapping_option(parser) -> None:
    parser.add_argument("--mapping", metavar="FILE", help="a column mapping (.json) saved from the Data page, for headers or codes that differ")


def load(args):
    """The cohort at ``args.path``, through ``args.mapping`` when given."""
    from omalizumab_core.sources import load_path

    mapping_file = getattr(args, "mapping", None)
    if mapping_file and args.path == "demo":
        print(f"Warning: the column mapping {mapping_file} is not used: the demo cohort is already in the dashboard's own columns.", file=sys.stderr)
    if not mapping_file or args.path == "demo":
        return load_path(args.path)
    from omalizumab_core.data.importers.mapping import read_mapping
    from omalizumab_core.data.loading import load_cohort

    return load_cohort(args.path, mapping=read_mapping(Path(mapping_file).read_bytes()))


def run_export(args) -> int:
    from omalizumab_core.outputs.cohort_files import export_cohort, tables_not_written

    cohort = load(args)
    written = export_cohort(cohort, args.to, args.out)
    print(f"{cohort.n_patients} patients written as {args.to} to {args.out} ({len(written)} file{'s' if len(written) != 1 else ''})")
    left = tables_not_written(cohort, args.to)
    if left:
        listed = ", ".join(f"{TABLE_NAMES.get(name, name)} ({rows:,} rows)" for name, rows in left.items())
        print(f"Warning: the {FORM_NAMES[args.to]} form has no place for {listed}: they were not written. "
              "Export --to xlsx, csv or parquet to keep every table.", file=sys.stderr)
    return 0


FORM_NAMES = {"redcap": "REDCap import", "adam": "ADaM (ADSL, ADQS, ADAE, ADLB)"}
TABLE_NAMES = {"doses": "the doses", "anaphylaxis": "the anaphylaxis episodes", "instrument_scores": "the questionnaire scores"}


def write_template(args) -> int:
    """``template OUT [--redcap | --wide]``."""
    if getattr(args, "redcap", False):
        from omalizumab_core.data.importers.redcap_dictionary import redcap_dictionary_csv

        Path(args.out).write_bytes(redcap_dictionary_csv())
        print(f"REDCap data dictionary written to {args.out}: upload it in REDCap (Project Setup > Data Dictionary)")
        return 0
    if getattr(args, "wide", False):
        from omalizumab_core.data.importers.wide_template import wide_template_workbook

        Path(args.out).write_bytes(wide_template_workbook())
        print(f"One-row-per-patient template written to {args.out}")
        return 0
    from omalizumab_core.data.template import template_workbook

    Path(args.out).write_bytes(template_workbook())
    print(f"Template written to {args.out}")
    return 0
