"""Command line: ``python -m omalizumab_core table NAME PATH [filters] [--rule ...] --format csv|json``.

Prints any table the dashboard shows, with the same numbers as the page,
computed by the same public functions, as CSV or as JSON (a list of row
objects keyed by the table's column names; numbers as numbers, missing values
as null). Independent checks read this output: the names of the tables and of
their columns are a contract, documented in README.md.

Adding a table is one line in ``TABLES``: a name and a function of
``(scored, args)`` returning a DataFrame (``args`` holds the command's
options: --by, --method, --level, --at, --adjust, ...).
"""

from __future__ import annotations

import json
import math
import sys
from typing import Callable

import numpy as np
import pandas as pd

from omalizumab_core.cli.options import PATH_HELP, EmptySelection, add_selection_options, selected_patients
from omalizumab_core.data.problems import TooFewPatients
from omalizumab_core.stats.multiple_testing import ADJUSTMENT_LABELS

# time_to_response: the contract's columns, in this order (plus by, group when split).
TIME_TO_RESPONSE_COLUMNS = ["event", "method", "month", "cumulative_incidence", "lower", "upper", "at_risk", "n_events"]
# symptoms: the contract's columns first, then the page's other columns.
SYMPTOM_COLUMNS = ["symptom", "n", "p_value", "p_adjusted"]


class MissingTable(ValueError):
    """The cohort lacks the optional table a result needs (exit status 1)."""


def _needs(scored, table: str, name: str) -> None:
    if scored.cohort.table(table) is None:
        raise MissingTable(f"the cohort has no {table} table, so there is no {name} table; add {'an' if table[0] in 'aeiou' else 'a'} '{table}' sheet or file (see docs/data-format.md).")


# --- one function per table: (scored, args) -> DataFrame ------------------------------------


def _table1(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.overview import table1

    return table1(scored)


def _table2(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.response_rates import response_rates

    # As the Response page: Table 2's own columns unless split by another characteristic.
    return response_rates(scored, by=None if args.by in (None, "subgroup") else args.by)


def _comparison(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.response_rates import compare_subgroups, group_levels, response_variables

    by = args.by or next(iter(response_variables(scored)))
    levels = group_levels(scored, by)
    if not levels:
        raise TooFewPatients(f"No group of '{by}' in the selection to compare.")
    level_a = args.level_a or levels[0]
    level_b = args.level_b or levels[min(1, len(levels) - 1)]
    for level in (level_a, level_b):
        if level not in levels:
            raise ValueError(f"'{level}' is not a group of '{by}' in the selection; choose among: {', '.join(map(str, levels))}.")
    return compare_subgroups(scored, by=by, level_a=level_a, level_b=level_b, measure=args.measure)


def _symptoms(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.symptom_changes import symptom_changes

    at = args.at if args.at in ("best", "last") else _month(args.at)
    changes = symptom_changes(scored, at=at, level=args.level, adjust=args.adjust)
    table = changes.rename(columns={"category": "symptom"}) if args.level == "category" else changes.copy()
    # n: patients whose baseline and on-treatment scores enter the test (with the symptom at baseline and assessed).
    table["n"] = changes["n_assessed"]
    return table[SYMPTOM_COLUMNS + [c for c in table.columns if c not in SYMPTOM_COLUMNS]]


def _month(text: str) -> float:
    try:
        month = float(text)
    except ValueError:
        raise ValueError(f"--at must be best, last or a month after the first injection (a number), not '{text}'.") from None
    if not month > 0:
        raise ValueError(f"--at must be a month after the first injection (> 0), not {text}.")
    return month


def _methods(args) -> list[str]:
    return ["aalen_johansen", "kaplan_meier"] if args.method == "both" else [args.method]


def _split(args) -> None:
    from omalizumab_core.analyses.time_to_response import SPLITS

    if args.by is not None and args.by not in SPLITS:
        raise ValueError(f"--by for the time to response tables must be one of: {', '.join(SPLITS)} (not '{args.by}').")


def _time_to_response(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.time_to_response import time_to_response_curves

    _split(args)
    frames = []
    for method in _methods(args):
        curves = time_to_response_curves(scored, by=args.by, method=method)
        steps = curves[curves["n_events"] > 0]  # one row per month where the curve changes
        frame = pd.DataFrame(
            {
                "event": steps["milestone"],
                "method": steps["method"],
                "month": steps["time"],
                "cumulative_incidence": steps["cumulative_incidence"],
                "lower": steps["ci_low"],
                "upper": steps["ci_high"],
                "at_risk": steps["n_at_risk"],
                "n_events": steps["n_events"],
            }
        )
        if args.by is not None:
            frame.insert(2, "by", args.by)
            frame.insert(3, "group", steps["group"])
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _time_to_response_summary(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.time_to_response import time_to_response_summary

    _split(args)
    return pd.concat([time_to_response_summary(scored, by=args.by, method=m) for m in _methods(args)], ignore_index=True)


def _time_to_response_tests(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.time_to_response import time_to_response_tests

    if args.by is None:
        raise ValueError("the time_to_response_tests table compares groups: give --by group, subgroup, sex or kit_d816v.")
    _split(args)
    return pd.concat([time_to_response_tests(scored, by=args.by, method=m) for m in _methods(args)], ignore_index=True)


def _first_improvement(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.time_to_response import first_improvement_by_category

    return first_improvement_by_category(scored)


def _follow_up(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.follow_up import response_flows

    return response_flows(scored)


def _durations(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.follow_up import duration_by_best_response

    return duration_by_best_response(scored)


def _sustained(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.follow_up import sustained_response

    return sustained_response(scored)


def _dosing(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.dosing import dosing_summary

    _needs(scored, "doses", "dosing")
    return dosing_summary(scored)


def _dose_changes(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.dosing import dose_changes

    _needs(scored, "doses", "dose_changes")
    return dose_changes(scored)


def _safety(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.safety import adverse_event_table

    _needs(scored, "adverse_events", "safety")
    return adverse_event_table(scored, by_severity=True)


def _adverse_event_timing(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.safety import adverse_event_timing

    _needs(scored, "adverse_events", "adverse_event_timing")
    return adverse_event_timing(scored)


def _biology(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.biology import lab_pairs, lab_tests
    from omalizumab_core.data.codes import ANALYTES

    _needs(scored, "labs", "biology")
    frames = []
    for analyte in ANALYTES:
        try:
            frames.append(lab_tests(lab_pairs(scored, analyte)))
        except TooFewPatients:
            continue  # the page shows a message in that tab; the table has no row for the analyte
    if not frames:
        raise TooFewPatients("No patient of the selection has a lab value before and on omalizumab.")
    return pd.concat(frames, ignore_index=True)


def _biology_by_response(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.biology import lab_by_response
    from omalizumab_core.data.codes import ANALYTES

    _needs(scored, "labs", "biology_by_response")
    return pd.concat([lab_by_response(scored, analyte) for analyte in ANALYTES], ignore_index=True)


def _predictors(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.predictors import response_predictors

    return response_predictors(scored)


def _anaphylaxis_outcomes(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.anaphylaxis import anaphylaxis_outcomes

    _needs(scored, "anaphylaxis", "anaphylaxis_outcomes")
    return anaphylaxis_outcomes(scored)


def _anaphylaxis_rates(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.anaphylaxis import anaphylaxis_rates

    _needs(scored, "anaphylaxis", "anaphylaxis")
    return anaphylaxis_rates(scored)


def _instrument_responders(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.instruments import instrument_responders

    _needs(scored, "instrument_scores", "instruments")
    return instrument_responders(scored)


def _literature(scored, args) -> pd.DataFrame:
    from omalizumab_core.analyses.literature import literature_comparison

    # As the Literature page: the published series, their pooled estimate, and the selection as one more row.
    name = "Demo cohort (synthetic)" if scored.cohort.synthetic else "This cohort"
    return literature_comparison({name: scored})


TABLES: dict[str, Callable[..., pd.DataFrame]] = {
    "table1": _table1,
    "table2": _table2,
    "comparison": _comparison,
    "symptoms": _symptoms,
    "time_to_response": _time_to_response,
    "time_to_response_summary": _time_to_response_summary,
    "time_to_response_tests": _time_to_response_tests,
    "first_improvement": _first_improvement,
    "follow_up": _follow_up,
    "durations": _durations,
    "sustained": _sustained,
    "dosing": _dosing,
    "dose_changes": _dose_changes,
    "safety": _safety,
    "adverse_event_timing": _adverse_event_timing,
    "biology": _biology,
    "biology_by_response": _biology_by_response,
    "predictors": _predictors,
    "anaphylaxis_outcomes": _anaphylaxis_outcomes,
    "anaphylaxis": _anaphylaxis_rates,
    "instruments": _instrument_responders,
    "literature": _literature,
}
"""Table name -> function of (scored, args) returning the table's tidy DataFrame."""


# --- output ---------------------------------------------------------------------------------


def _plain(value):
    """A cell as a JSON value: numbers as numbers, missing as null."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def table_records(table: pd.DataFrame) -> list[dict]:
    """The ``table --format json`` contract: one object per row, keyed by column name."""
    columns = [str(c) for c in table.columns]
    return [dict(zip(columns, map(_plain, row))) for row in table.itertuples(index=False, name=None)]


# Options left out on the command line: the page setting of a saved analysis (--analysis), else the page's default.
_DEFAULTS = {"method": "aalen_johansen", "level": "symptom", "at": "best", "adjust": "holm", "measure": "best_overall"}
_TIME_TO_RESPONSE = ("time_to_response", "time_to_response_summary", "time_to_response_tests")


def page_settings_as_options(name: str, settings: dict) -> dict:
    """The options of table ``name`` that a saved analysis's page settings imply (widget keys -> option names)."""
    options = {}
    if name in _TIME_TO_RESPONSE:
        options["by"] = settings.get("time_to_response_by")
        if "time_to_response_sensitivity" in settings:
            options["method"] = "kaplan_meier" if settings["time_to_response_sensitivity"] else "aalen_johansen"
    elif name in ("table2", "comparison"):
        by = settings.get("response_by")
        options.update(by=by, measure=settings.get("response_measure"),
                       level_a=settings.get(f"response_a_{by}"), level_b=settings.get(f"response_b_{by}"))
    elif name == "symptoms":
        at = settings.get("symptoms_at")
        options.update(at=str(settings.get("symptoms_month", 6)) if at == "month" else at,
                       level=settings.get("symptoms_level"), adjust=settings.get("symptoms_adjust"))
    return {key: value for key, value in options.items() if value is not None}


def _fill_options(name: str, args) -> None:
    saved = getattr(args, "saved_analysis", None)
    implied = page_settings_as_options(name, saved.settings) if saved is not None else {}
    for key, value in implied.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    for key, value in _DEFAULTS.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)


def compute_table(name: str, scored, args) -> pd.DataFrame:
    """The table ``name`` of a scored selection (``args``: the command's options)."""
    if name not in TABLES:
        raise ValueError(f"unknown table '{name}'; valid tables: {', '.join(TABLES)}.")
    _fill_options(name, args)
    return TABLES[name](scored, args).reset_index(drop=True)


# Word tables are the page's formatted tables (Table 1 and Table 2 laid out as in the paper); others are the tidy table.
_WORD_NAMES = {"symptoms": "symptoms_by", "safety": "adverse_events", "durations": "duration_of_therapy", "follow_up": "follow_up_flows",
               "dosing": "dosing_summary", "first_improvement": "first_improvement_by_category"}


def word_table(name: str, scored, args) -> pd.DataFrame:
    """The table ``name`` as the page shows it (formatted text), for ``--format docx``."""
    if name == "table1":
        from omalizumab_core.analyses.overview import format_table1, table1

        return format_table1(table1(scored))
    if name == "table2":
        from omalizumab_core.analyses.response_rates import table2_with_ci

        _fill_options(name, args)
        return table2_with_ci(scored, by=None if args.by in (None, "subgroup") else args.by)
    if name == "symptoms":
        from omalizumab_core.analyses.symptom_changes import format_symptom_table, symptom_changes

        _fill_options(name, args)
        at = args.at if args.at in ("best", "last") else _month(args.at)
        return format_symptom_table(symptom_changes(scored, at=at, level=args.level, adjust=args.adjust))
    if name == "safety":
        from omalizumab_core.analyses.safety import adverse_event_table, format_adverse_event_table

        _needs(scored, "adverse_events", "safety")
        return format_adverse_event_table(adverse_event_table(scored, by_severity=True), by_severity=True)
    return compute_table(name, scored, args)


def _write_docx(table: pd.DataFrame, args, cohort, scored, described) -> None:
    from omalizumab_core.outputs.word import table_docx, table_notes

    title, notes = table_notes(_WORD_NAMES.get(args.name, args.name))
    data = table_docx(table, title=title, notes=notes, n=scored.cohort.n_patients, n_total=cohort.n_patients, filters=described,
                      source=cohort.source)
    with open(args.out, "wb") as file:
        file.write(data)
    print(f"{title}: {scored.cohort.n_patients} of {cohort.n_patients} patients, written to {args.out}")


def run_table(args) -> int:
    if args.format == "docx" and not args.out:
        raise ValueError("--format docx writes a Word file: give its path with --out FILE.docx.")
    try:
        cohort, scored, described = selected_patients(args)
        if args.format == "docx":
            _write_docx(word_table(args.name, scored, args), args, cohort, scored, described)
            return 0
        table = compute_table(args.name, scored, args)
    except (EmptySelection, MissingTable, TooFewPatients) as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    text = json.dumps(table_records(table), ensure_ascii=False, allow_nan=False) + "\n" if args.format == "json" else table.to_csv(index=False)
    if args.out:
        with open(args.out, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        return 0
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into `head`: the reader has what it wanted
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def add_table_command(subparsers) -> None:
    """Register the ``table`` command on the CLI's sub-command parsers."""
    p = subparsers.add_parser(
        "table", help="print any table of the dashboard as CSV or JSON",
        description="Print a table of the dashboard for the selected patients. Tables: " + ", ".join(TABLES) + ".",
    )
    p.add_argument("name", choices=list(TABLES), metavar="NAME", help="one of: " + ", ".join(TABLES))
    p.add_argument("path", help=PATH_HELP)
    p.add_argument("--format", choices=("csv", "json", "docx"), default="csv",
                   help="csv (default), json (a list of row objects) or docx (a journal-style Word table as the page shows it; needs --out)")
    p.add_argument("--out", metavar="FILE", help="write to this file instead of printing (required for docx)")
    add_selection_options(p)
    p.add_argument("--by", help="split by this characteristic (time_to_response*: group, subgroup, sex, kit_d816v; table2, comparison: any column the Response page offers)")
    p.add_argument(
        "--method", choices=("aalen_johansen", "kaplan_meier", "both"), default=None,
        help="time_to_response*: Aalen–Johansen with stopping as a competing event (default), 1 − Kaplan–Meier (sensitivity), or both",
    )
    p.add_argument("--level", choices=("symptom", "category"), default=None, help="symptoms: one row per symptom (default) or per category")
    p.add_argument("--at", default=None, help="symptoms: score under treatment at best response (default), last assessment, or a month number")
    p.add_argument("--adjust", choices=list(ADJUSTMENT_LABELS), default=None, help="symptoms: adjustment for multiple testing (default holm, as the Symptoms page)")
    p.add_argument("--level-a", dest="level_a", help="comparison: the first group (default: the page's first)")
    p.add_argument("--level-b", dest="level_b", help="comparison: the second group (default: the page's second)")
    p.add_argument("--measure", choices=("best_overall", "persistent_overall"), default=None, help="comparison: outcome compared")
    p.set_defaults(run=run_table)
