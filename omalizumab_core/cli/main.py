"""Command line: ``python -m omalizumab_core validate|summary|template|synth|report|table|candidate|export``.

For researchers' scripts and for tests. Every command accepts the word
``demo`` in place of a path for the shipped synthetic cohort. A bad file gives
exit status 1 and one located problem per line, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from json.encoder import encode_basestring_ascii as _encode_string

from omalizumab_core.data.cohort import OPTIONAL_TABLES, Cohort
from omalizumab_core.data.problems import CohortError
from omalizumab_core.cli.export import add_mapping_option

def _cmd_validate(args) -> int:
    from omalizumab_core.cli.export import load

    cohort = load(args)
    summary = f"OK: {cohort.n_patients} patients, {len(cohort.symptoms)} symptom rows"
    present = [t for t in OPTIONAL_TABLES if cohort.table(t) is not None]
    summary += f"; optional tables: {', '.join(present) if present else 'none'}"
    summary += f"; {len(cohort.warnings)} warning{'s' if len(cohort.warnings) != 1 else ''}"
    print(summary)
    for problem in cohort.warnings:
        print(problem)
    return 0


def summary_json(cohort: Cohort, *, worsening_rule: str = "any_symptom") -> dict:
    """The ``summary --json`` contract: per-patient results and Table 2 counts."""
    from omalizumab_core.engine.scoring import score_cohort
    from omalizumab_core.engine.response_table import response_counts

    scored = score_cohort(cohort, worsening_rule=worsening_rule)
    o = scored.outcomes
    # Column by column (100,000 patients: itertuples over Arrow strings was a
    # fifth of the command's time), then one dict per patient.
    columns = (
        [str(v) for v in o["patient_id"].tolist()],
        [str(v) for v in o["diagnosis"].tolist()],
        [str(v) for v in o["group"].tolist()],
        o["baseline_symptoms"].to_numpy(dtype="int64").tolist(),
        [str(v) for v in o["best_response"].tolist()],
        _numbers_or_nulls(o["months_to_first_response"]),
        _numbers_or_nulls(o["months_to_best_response"]),
        [str(v) for v in o["status_at_last_follow_up"].tolist()],
        o["sustained_3_months"].to_numpy(dtype=bool).tolist(),
    )
    patients = [dict(zip(PATIENT_KEYS, row)) for row in zip(*columns)]
    return {"n_patients": int(len(o)), "patients": patients, "response_table": response_counts(o)}


PATIENT_KEYS = (
    "patient_id",
    "diagnosis",
    "group",
    "baseline_symptoms",
    "best_response",
    "months_to_first_response",
    "months_to_best_response",
    "status_at_last_follow_up",
    "sustained_3_months",
)


def _number_or_null(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    x = float(x)
    return int(x) if x.is_integer() else x


def _numbers_or_nulls(column) -> list:
    return [_number_or_null(x) for x in column.to_numpy(dtype="float64").tolist()]


def write_json(result: dict, out, *, indent: int | None = 2) -> None:
    """``json.dump(result, out, indent=indent)``, byte for byte, in a fraction of the time.

    With an indent, the standard library encodes in pure Python, one write
    per token (11 % of ``summary --json`` at 100,000 patients). The patients
    list (flat records of text, numbers, booleans and nulls) is encoded here
    value by value with the library's C string encoder and written at once;
    everything else goes through :mod:`json` itself.
    """
    patients = result.get("patients")
    if indent is None or not isinstance(patients, list) or not patients or list(result)[:2] != ["n_patients", "patients"]:
        json.dump(result, out, indent=indent)
        return
    pad = " " * indent
    rest = {k: v for k, v in result.items() if k not in ("n_patients", "patients")}
    head = json.dumps({"n_patients": result["n_patients"]}, indent=indent)[:-2]  # without the closing "\n}"
    records = _indented_records(patients, pad, depth=2)
    tail = json.dumps(rest, indent=indent)[1:] if rest else "\n}"  # after the opening "{"
    out.write(head + ",\n" + pad + '"patients": [\n' + records + "\n" + pad + "]" + ("," if rest else "") + tail)


def _indented_records(records: list, pad: str, depth: int) -> str:
    """A list of flat dicts as ``json.dumps(..., indent=len(pad))`` writes them at ``depth``."""
    outer = pad * depth
    inner = pad * (depth + 1)
    keys = list(records[0])
    if any(list(r) != keys for r in records):
        text = json.dumps(records, indent=len(pad))
        return pad * (depth - 1) + text[2:-2].replace("\n", "\n" + pad * (depth - 1))  # not the usual case: the library does it
    columns = [_encode_column(column) for column in zip(*(r.values() for r in records))]
    template = outer + "{\n" + ",\n".join(inner + _encode(k) + ": %s" for k in keys) + "\n" + outer + "}"
    return ",\n".join(template % row for row in zip(*columns))


def _encode_column(values: tuple) -> list:
    """:func:`_encode` of each value; a column of only text or only integers through the C encoder at once."""
    kinds = set(map(type, values))
    if kinds == {str}:
        return list(map(_encode_string, values))
    if kinds == {int}:
        return list(map(int.__repr__, values))
    return [_encode(v) for v in values]


def _encode(value) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is str:
        return _encode_string(value)
    if type(value) is int:
        return int.__repr__(value)
    return json.dumps(value)  # floats (repr, NaN as the library writes it) and anything else


def _cmd_summary(args) -> int:
    from omalizumab_core.cli.export import load

    cohort = load(args)
    result = summary_json(cohort, worsening_rule=args.rule)
    if args.json:
        write_json(result, sys.stdout, indent=None if args.compact else 2)
        print()
        return 0
    _print_summary(cohort, result)
    return 0


def _print_summary(cohort: Cohort, result: dict) -> None:
    import pandas as pd

    from omalizumab_core.data.codes import RESPONSE_LABELS, STATUS_LABELS, SUBGROUP_LABELS

    print(f"{cohort.source}: {result['n_patients']} patients")
    if cohort.synthetic:
        print("Synthetic data, not real patients.")
    table = result["response_table"]
    names = {"all": "All", "primary": "Primary", **SUBGROUP_LABELS}
    rows = {}
    for column, counts in table.items():
        n = counts["n"]
        col = f"{names.get(column, column)} (N={n})"
        rows[col] = {
            **{f"Best: {RESPONSE_LABELS[c]}": counts["best"][c] for c in counts["best"]},
            **{f"Last: {STATUS_LABELS[s]}": counts["last"][s] for s in counts["last"]},
        }
    print()
    print("Table 2. Response rates (patients)")
    print(pd.DataFrame(rows).to_string())
    print()
    patients = pd.DataFrame(result["patients"])
    print("Patients")
    print(patients.to_string(index=False))


def _cmd_template(args) -> int:
    from omalizumab_core.cli.export import write_template

    return write_template(args)


def _cmd_synth(args) -> int:
    from omalizumab_core.synthetic.synth import synthesize, write_cohort

    tables = synthesize(args.patients, args.seed)
    write_cohort(tables, args.out, fmt=args.format)
    print(f"{args.patients} synthetic patients written to {args.out} ({args.format})")
    return 0


_LIGHT_COMMANDS = ("validate", "summary", "template", "synth")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The CLI's parser; with ``command`` one of the light commands, without the others' imports.

    The report, table, candidate and export commands import the analyses
    (scipy, statsmodels...): several seconds that ``summary --json`` need
    not pay (issue 21).
    """
    parser = argparse.ArgumentParser(
        prog="python -m omalizumab_core",
        description="Omalizumab outcomes in mast cell disorders (method of Lemal et al. 2019).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check a cohort file and list every problem")
    p.add_argument("path", help="an .xlsx or .zip file, a folder of <table>.csv or .parquet files, a REDCap export, ADaM datasets, or 'demo'")
    add_mapping_option(p)
    _add_rows_option(p)
    p.set_defaults(run=_cmd_validate)

    p = sub.add_parser("summary", help="per-patient responses and Table 2 counts")
    p.add_argument("path")
    p.add_argument("--json", action="store_true", help="print one JSON object (the documented contract)")
    p.add_argument("--compact", action="store_true", help="JSON on one line")
    p.add_argument(
        "--rule",
        choices=("any_symptom", "total_score"),
        default="any_symptom",
        help="worsened symptom rule: any worsened symptom is no response (default, the paper), or total score only",
    )
    add_mapping_option(p)
    _add_rows_option(p)
    p.set_defaults(run=_cmd_summary)

    p = sub.add_parser("template", help="write the empty template workbook with a data dictionary")
    p.add_argument("out", help="output .xlsx path (.csv with --redcap)")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("--redcap", action="store_true", help="write the REDCap data dictionary (CSV) that sets up a registry")
    kind.add_argument("--wide", action="store_true", help="write the one-row-per-patient workbook (a column per symptom and visit)")
    p.set_defaults(run=_cmd_template)

    p = sub.add_parser("synth", help="write a synthetic registry-scale cohort")
    p.add_argument("--patients", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True)
    p.add_argument("--format", choices=("parquet", "csv", "xlsx"), default="parquet")
    p.set_defaults(run=_cmd_synth)

    if command in _LIGHT_COMMANDS:
        return parser
    _add_report_command(sub)
    from omalizumab_core.cli.tables import add_table_command

    add_table_command(sub)
    from omalizumab_core.cli.candidate import add_candidate_command

    add_candidate_command(sub)
    from omalizumab_core.cli.export import add_export_command

    add_export_command(sub)
    return parser


def _add_rows_option(parser) -> None:
    parser.add_argument(
        "--max-table-rows",
        type=int,
        metavar="ROWS",
        help="read tables of up to ROWS rows (default 20,000,000, or the environment variable OMALIZUMAB_MAX_TABLE_ROWS); "
        "the size limits of a table grow with it. About 12 KB of memory per patient are needed.",
    )


def _apply_rows_option(args) -> None:
    """``--max-table-rows``: the same as setting OMALIZUMAB_MAX_TABLE_ROWS for this command."""
    rows = getattr(args, "max_table_rows", None)
    if rows is None:
        return
    if rows <= 0:
        raise ValueError(f"--max-table-rows must be a positive number of rows, not {rows}.")
    from omalizumab_core.data.reading.budgets import ROWS_SETTING

    os.environ[ROWS_SETTING] = str(rows)


def _add_report_command(sub) -> None:
    try:
        from omalizumab_core.cli.report import add_report_command
    except ImportError:  # the report arrives with its own issue
        return
    add_report_command(sub)


def _file_problem(error: OSError) -> str:
    """A file error in words, naming the path: never Python's "[Errno 2] No such file or directory"."""
    path = error.filename
    if path is None:
        return error.strerror or str(error)
    folder = os.path.dirname(os.path.abspath(path))
    if isinstance(error, FileNotFoundError):
        if not os.path.isdir(folder):
            return f"{path}: the folder {folder} does not exist; create it or give another path."
        return f"{path}: this file does not exist; check the path."
    if isinstance(error, PermissionError):
        return f"{path}: permission denied; choose a file or folder you may read and write."
    if isinstance(error, IsADirectoryError):
        return f"{path} is a folder; give a file name."
    return f"{path}: {error.strerror or error}."


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv[0] if argv and argv[0] in _LIGHT_COMMANDS else None)
    args = parser.parse_args(argv)
    try:
        _apply_rows_option(args)
        return args.run(args)
    except CohortError as error:
        print(error.summary(), file=sys.stderr)
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    except BrokenPipeError:  # the output was piped into a command that stopped reading (| head): nothing to say
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (Python flushes stdout at exit)
        return 0
    except OSError as error:
        print(f"ERROR: {_file_problem(error)}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # never a traceback in front of a user
        print(f"ERROR: unexpected {type(error).__name__}: {error}. Please report this with the command you ran.", file=sys.stderr)
        return 2
