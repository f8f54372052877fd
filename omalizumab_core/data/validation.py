"""Validation: raw tables in, a typed :class:`Cohort` or every located problem out.

Each problem names the table, the row as the user sees it in their file, the
column, the value and what is wrong, in clinical words. Errors block loading;
warnings are kept in ``Cohort.warnings``. Checks are vectorised: values are
parsed once per distinct value and problem texts are built only for the (at
most ``MAX_ROWS_PER_PROBLEM``) rows reported, so a 13-million-row table stays
fast and its report readable.

Column-level rules (allowed values, ranges) are declared once in
``contract.py``; pandera checks the typed tables against a schema built from
it, and its failure cases are translated back into located problems. A
plain bounds check runs first: pandera (imported then) only runs on tables
where some value is out of range, to locate and word the problems.

Why one module of more than 600 lines: one validator per table and column
of the data contract, each small and named, in the contract's order; the
messages' wording is easier to keep consistent in one place.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from omalizumab_core.data.row_order import rows_in_order
from omalizumab_core.data.cohort import OPTIONAL_TABLES, Cohort
from omalizumab_core.data.codes import ALLOWED_SCORES, CATEGORIES, CATEGORY_LABELS, QUARTERS_PER_POINT
from omalizumab_core.data.contract import CODE, DATE, ID, NUMBER, REQUIRED_TABLES, TABLE_COLUMNS, TEXT, YESNO, Column
from omalizumab_core.data.cohort import month_ranks
from omalizumab_core.data.decimal_marks import ambiguity_message, decide_mark, number_columns_marks, read_number
from omalizumab_core.data.problems import ERROR, WARNING, CohortError, Problem
from omalizumab_core.data.raw import RawCohort, RawTable
from omalizumab_core.data.vocabulary import categorize

MAX_ROWS_PER_PROBLEM = 20
NA_TOKENS = {"", "na", "n/a", "n.a.", "-", "–", "—", "nan", "null", "none", "missing", "nd", "n.d.", "?", "#n/a"}
YES = {"yes", "y", "oui", "o", "true", "1", "1.0", "x", "positive", "positif"}
NO = {"no", "n", "non", "false", "0", "0.0", "negative", "negatif", "négatif"}
DAYS_PER_MONTH = 30.4375
_ALLOWED_QUARTERS = {int(round(s * QUARTERS_PER_POINT)) for s in ALLOWED_SCORES}
_ALLOWED_SCORE_VALUES = np.array(sorted(q / QUARTERS_PER_POINT for q in _ALLOWED_QUARTERS))
_SCORE_WORDS = "1.5 (worse), 1 (no change), 0.75 (slight), 0.5 (substantial), 0.25 (dramatic improvement) or 0 (disappeared)"


class _Report:
    """Collects problems, at most MAX_ROWS_PER_PROBLEM rows per kind."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def table(self, severity: str, table: str | None, message: str, *, where: str | None = None) -> None:
        self.problems.append(Problem(severity, table, message, where=where))

    def rows(self, severity: str, raw: RawTable, positions, column: str | None, message: str, values=None) -> None:
        positions = np.asarray(positions)
        if len(positions) == 0:
            return
        label = raw.column_label(column) if column else None
        for i, position in enumerate(positions[:MAX_ROWS_PER_PROBLEM]):
            value = None if values is None else _as_text(values[i])
            self.problems.append(Problem(severity, raw.name, message, where=raw.where(int(position)), column=label, value=value))
        extra = len(positions) - MAX_ROWS_PER_PROBLEM
        if extra > 0:
            self.problems.append(Problem(severity, raw.name, f"… and {extra:,} more rows with the same problem: {message}", where=raw.origin, column=label))

    @property
    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)


def _as_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


# --- parsing one column, distinct values only -----------------------------


def _distinct(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes of each row and the distinct values, without converting 13 M cells to objects.

    A categorical (a Parquet dictionary column) is already coded: its codes
    and categories are used as they are (a category no row uses is parsed
    too, and never spread to a row).
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.array.codes, np.asarray(series.cat.categories, dtype=object)  # codes: a view, not a copy
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def _distinct_map(series: pd.Series, parse) -> np.ndarray:
    """Apply ``parse`` to each distinct value and spread the results back."""
    return _distinct_parse(series, parse)[0]


def _distinct_parse(series: pd.Series, parse) -> tuple[np.ndarray, np.ndarray]:
    """Parsed values and a mask of unparseable cells, parsing each distinct value once."""
    codes, uniques = _distinct(series)
    parsed = np.empty(len(uniques) + 1, dtype=object)
    parsed[:] = [parse(u) for u in uniques] + [parse(None)]
    bad = np.fromiter((v is _MISSING for v in parsed), dtype=bool, count=len(parsed))
    return parsed[codes], bad[codes]  # code -1 (blank) picks the last entry


def _is_blank_value(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and value.strip().lower() in NA_TOKENS


def _blank(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return series.isna().to_numpy()
    return _distinct_map(series, _is_blank_value).astype(bool)


_MISSING = object()


_AMBIGUOUS = object()


def _number(value, mark: str | None = None):
    """A cell as a float (NaN if blank), ``_MISSING`` if not a number, ``_AMBIGUOUS`` if ``1.250``-shaped and undecided."""
    if _is_blank_value(value):
        return np.nan
    if isinstance(value, (bool, np.bool_)):
        return _MISSING
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    reading = read_number(str(value))
    if reading is None:
        return _MISSING
    number = reading.value(mark)
    return _AMBIGUOUS if number is None else number


def parse_numbers(series: pd.Series, decimal_mark: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Floats, and a mask of cells that are neither blank nor a number (ambiguous ones included)."""
    values, bad, ambiguous = parse_numbers_exactly(series, decimal_mark)
    return values, bad | ambiguous


def parse_numbers_exactly(series: pd.Series, decimal_mark: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Floats, cells that are not numbers, and ``1.250``-shaped cells ``decimal_mark`` (None: unknown) cannot decide.

    See :mod:`omalizumab_core.data.decimal_marks` for how the decimal mark of a column is decided.
    """
    none = np.zeros(len(series), dtype=bool)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype="float64", na_value=np.nan), none, none
    codes, uniques = _distinct(series)
    parsed = np.empty(len(uniques) + 1, dtype=object)
    parsed[:] = [_number(u, decimal_mark) for u in uniques] + [np.nan]
    bad = np.fromiter((v is _MISSING for v in parsed), dtype=bool, count=len(parsed))[codes]
    if series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) in ("boolean", "mixed"):
        # Factorising merges TRUE with 1 and FALSE with 0: a yes/no cell in a number column is refused, not read as 1.
        bad |= np.fromiter((type(v) in (bool, np.bool_) for v in series.to_numpy()), dtype=bool, count=len(series))
    ambiguous = np.fromiter((v is _AMBIGUOUS for v in parsed), dtype=bool, count=len(parsed))[codes]
    values = parsed[codes]
    values[bad | ambiguous] = np.nan
    return values.astype("float64"), bad, ambiguous


def _code_key(value) -> str:
    return re.sub(r"[\s\-]+", "_", str(value).strip().lower())


def parse_codes(series: pd.Series, column: Column) -> tuple[pd.Categorical, np.ndarray]:
    """Codes as a categorical on ``column.codes`` (each distinct value parsed once), and a mask of unrecognised cells."""
    lookup = {_code_key(c): c for c in column.codes}
    lookup.update({_code_key(k): v for k, v in column.synonyms.items()})
    if column.name == "category":
        lookup.update({_code_key(label): code for code, label in CATEGORY_LABELS.items()})

    def parse(value):
        if _is_blank_value(value):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return lookup.get(_code_key(value), _MISSING)

    codes, uniques = _distinct(series)
    parsed = [parse(u) for u in uniques]
    position = {c: i for i, c in enumerate(column.codes)}
    # The extra last entry is for blank cells (code -1): blank, not bad.
    bad = np.array([v is _MISSING for v in parsed] + [False], dtype=bool)
    category = np.array([position.get(v, -1) if isinstance(v, str) else -1 for v in parsed] + [-1], dtype=_code_type(len(column.codes)))
    return pd.Categorical.from_codes(category[codes], categories=list(column.codes), validate=False), bad[codes]


def _yes_no(value):
    if _is_blank_value(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    key = str(value).strip().lower()
    if key in YES:
        return True
    if key in NO:
        return False
    return _MISSING


def parse_yes_no(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    parsed, bad = _distinct_parse(series, _yes_no)
    parsed[bad] = None
    return pd.array(parsed.tolist(), dtype="boolean"), bad


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%y")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def _date(value):
    if _is_blank_value(value):
        return pd.NaT
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
        return pd.Timestamp(value)
    number = _number(value)
    if isinstance(number, float) and not np.isnan(number):
        # Excel stores dates as days since 1899-12-30 (serial dates).
        return pd.Timestamp(_EXCEL_EPOCH + dt.timedelta(days=number)) if 1000 < number < 80000 else _MISSING
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return pd.Timestamp(dt.datetime.strptime(text, fmt))
        except ValueError:
            continue
    return _MISSING


def parse_dates(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return pd.to_datetime(series), np.zeros(len(series), dtype=bool)
    parsed, bad = _distinct_parse(series, _date)
    parsed[bad] = pd.NaT
    return pd.to_datetime(pd.Series(parsed, index=series.index)), bad


def _text(value):
    if _is_blank_value(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an id typed as 12 in Excel comes back as 12.0
    return str(value).strip()


def parse_text(series: pd.Series) -> pd.Series:
    return pd.Series(_distinct_map(series, _text), index=series.index, dtype="str")


def categorical_text(series: pd.Series) -> tuple[pd.Categorical, np.ndarray]:
    """Trimmed text as a categorical (parsed once per distinct value), and a blank mask."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        # Already coded (parquet dictionary columns): its categories are the distinct values.
        codes = series.array.codes  # a view: .cat.codes copies into a new Series
        used = np.zeros(len(series.cat.categories) + 1, dtype=bool)
        used[codes] = True  # code -1 (blank) marks the extra last entry
        if not used[:-1].all():
            series = series.cat.remove_unused_categories()
            codes = series.array.codes
        uniques = np.asarray(series.cat.categories, dtype=object)
    else:
        codes, uniques = _distinct(series)
    if all(isinstance(u, str) for u in uniques):
        # The usual case, vectorised: 100,000 patient ids are 100,000 distinct values.
        stripped = pd.Series(uniques, dtype="object").str.strip()
        blank_unique = stripped.str.lower().isin(NA_TOKENS).to_numpy()
        cleaned = stripped.to_numpy(dtype=object)
    else:
        cleaned = np.array([_text(u) for u in uniques], dtype=object)
        blank_unique = np.array([c is None for c in cleaned], dtype=bool)
    # Distinct raw values may become equal once trimmed ("ISM " and "ISM").
    final_codes, final = pd.factorize(pd.Series(np.where(blank_unique, None, cleaned), dtype="object"), use_na_sentinel=True)
    if len(final) == len(uniques) and np.array_equal(final_codes, np.arange(len(uniques))):
        # Nothing trimmed away, merged or blank (a clean Parquet dictionary): the row codes stand as they are.
        row_codes = codes
    else:
        row_codes = _recode(codes, final_codes)
    blank = row_codes < 0
    return pd.Categorical.from_codes(row_codes, categories=pd.Index(final, dtype="object"), validate=False), blank


def _recode(codes: np.ndarray, new_codes: np.ndarray) -> np.ndarray:
    """``new_codes[code]`` for each code, -1 (blank) staying -1, in one pass.

    In the smallest integer type that holds the new codes (a categorical
    keeps its codes in it anyway): 13 million symptom rows are 13 MB of
    int8, not 100 MB of int64.
    """
    new_codes = np.asarray(new_codes)
    top = int(new_codes.max(initial=-1)) + 1
    return np.append(new_codes.astype(_code_type(top)), -1)[codes]


def _code_type(n: int) -> type:
    """The smallest signed integer type holding codes -1 .. n - 1."""
    for kind in (np.int8, np.int16, np.int32):
        if n <= np.iinfo(kind).max:
            return kind
    return np.int64


# --- one table ----------------------------------------------------------------


def _type_table(raw: RawTable, report: _Report) -> pd.DataFrame | None:
    """Parse every contract column; report missing columns and unreadable values."""
    contract = {c.name: c for c in TABLE_COLUMNS[raw.name]}
    frame = raw.frame
    if len(frame.columns) == 0 and len(frame) == 0:
        expected = ", ".join(c.name for c in contract.values() if c.required)
        container = "sheet" if str(raw.origin).startswith("sheet") else "file"
        report.table(ERROR, raw.name, f"The {raw.name} {container} is empty: no column headers and no rows. Put the column names on its first line "
                     f"(at least {expected}), then one row per record, or use the template.", where=raw.origin)
        return None
    missing = [c.name for c in contract.values() if c.required and c.name not in frame.columns]
    if raw.name in ("symptoms", "instrument_scores") and "month" not in frame.columns and "date" not in frame.columns:
        missing.append("month (or date)")
    if missing:
        expected = ", ".join(c.name for c in contract.values() if c.required)
        report.table(ERROR, raw.name, f"Missing column(s): {', '.join(missing)}. The {raw.name} table needs: {expected}.", where=raw.origin)
        return None
    if len(frame) == 0:
        report.table(ERROR, raw.name, f"The {raw.name} table has no rows.", where=raw.origin)
        return None

    typed = {}
    numeric = [name for name in frame.columns if name in contract and contract[name].kind == NUMBER]
    shown = number_columns_marks(frame, numeric)
    table_marks = set().union(*shown.values()) if shown else set()
    for name in frame.columns:
        column = contract.get(name)
        values = frame[name]
        if column is None:
            typed[name] = values  # extra columns are kept as the user wrote them
            continue
        if column.kind in (ID, TEXT):
            parsed, blank = categorical_text(values)
            bad = np.zeros(len(values), dtype=bool)
        elif column.kind == NUMBER:
            mark = decide_mark(shown[name], raw.decimal_mark, table_marks)
            parsed, bad, ambiguous = parse_numbers_exactly(values, mark)
            report.rows(ERROR, raw, np.flatnonzero(bad), name, "must be a number (use digits, e.g. 0.75 or 0,75).",
                        values[bad].head(MAX_ROWS_PER_PROBLEM).to_numpy())
            for written in (".", ","):
                which = ambiguous & values.astype(str).str.contains(written, regex=False).to_numpy() if ambiguous.any() else ambiguous
                report.rows(ERROR, raw, np.flatnonzero(which), name, ambiguity_message(written),
                            values[which].head(MAX_ROWS_PER_PROBLEM).to_numpy())
            blank = np.asarray(pd.isna(parsed)) & ~bad & ~ambiguous  # pd.Series(parsed) would copy the column
        else:
            parsed, bad, message = _parse_column(values, column)
            report.rows(ERROR, raw, np.flatnonzero(bad), name, message, values[bad].head(MAX_ROWS_PER_PROBLEM).to_numpy())
            blank = np.asarray(pd.isna(parsed)) & ~bad
        typed[name] = parsed
        if column.required and column.kind != YESNO:
            report.rows(ERROR, raw, np.flatnonzero(blank), name, f"{name} must be filled in on every row.")
    # copy=False: the parsed columns are new arrays; consolidating them into 2-D blocks would copy each once more.
    return pd.DataFrame(typed, index=frame.index, copy=False)


def _parse_column(values: pd.Series, column: Column):
    if column.kind == NUMBER:
        parsed, bad = parse_numbers(values)
        return parsed, bad, "must be a number (use digits, e.g. 0.75 or 0,75)."
    if column.kind == CODE:
        parsed, bad = parse_codes(values, column)
        return parsed, bad, f"is not a recognised value; use one of: {column.allowed()}."
    if column.kind == YESNO:
        parsed, bad = parse_yes_no(values)
        return parsed, bad, "must be yes or no (blank = not evaluated)."
    if column.kind == DATE:
        parsed, bad = parse_dates(values)
        return parsed, bad, "is not a date; write it as 2016-03-14 or 14/03/2016, or use an Excel date."
    raise ValueError(f"no parser for {column.kind}")


def _range_schema(table: str):
    """The contract's numeric bounds as a pandera schema."""
    import pandera.pandas as pa

    columns = {}
    for c in TABLE_COLUMNS[table]:
        if c.kind != NUMBER or (c.low is None and c.high is None):
            continue
        checks = []
        month = c.name.endswith("month")
        if c.low is not None:
            low = "cannot be negative: months count from the first injection (0 = baseline)" if month else f"must be at least {c.low:g}"
            checks.append(pa.Check.ge(c.low, error=low))
        if c.high is not None:
            high = f"is more than {c.high:g} months (50 years): check the unit (months, not days)" if month else f"must be at most {c.high:g}"
            checks.append(pa.Check.le(c.high, error=high))
        columns[c.name] = pa.Column(float, checks=checks, nullable=True, required=False)
    return pa.DataFrameSchema(columns)


def _within_bounds(table: str, typed: pd.DataFrame) -> bool:
    """True when every bounded number of the table is within its bounds (blank cells pass)."""
    for c in TABLE_COLUMNS[table]:
        if c.kind != NUMBER or (c.low is None and c.high is None) or c.name not in typed.columns:
            continue
        values = typed[c.name]
        if values.dtype != np.float64:
            return False  # not the parsed floats: let pandera judge the type too
        values = values.to_numpy()
        with np.errstate(invalid="ignore"):
            if (c.low is not None and (values < c.low).any()) or (c.high is not None and (values > c.high).any()):
                return False
    return True


def _check_ranges(raw: RawTable, typed: pd.DataFrame, report: _Report) -> None:
    if _within_bounds(raw.name, typed):
        return
    import pandera.pandas as pa

    schema = _range_schema(raw.name)
    numeric = typed[[c for c in schema.columns if c in typed.columns]]
    try:
        schema.validate(numeric, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        cases = cases[cases["index"].notna()]
        for (column, check), group in cases.groupby(["column", "check"], sort=False):
            positions = group["index"].astype(int).to_numpy()
            report.rows(ERROR, raw, positions, column, f"The value {check}.", numeric[column].to_numpy()[positions[:MAX_ROWS_PER_PROBLEM]])


# --- the cohort -------------------------------------------------------------------


def check(raw: RawCohort, *, synthetic: bool = False, instruments: dict | None = None) -> tuple[Cohort | None, list[Problem]]:
    """Validate raw tables; never raises for data problems.

    ``instruments`` are the user's instrument definitions by id, added to the
    packaged ones, against which ``instrument_scores`` is checked.

    Returns
    -------
    (Cohort or None, list of Problem)
        The cohort when there is no error (its warnings attached), else None.
    """
    report = _Report()
    for name in REQUIRED_TABLES:
        if name not in raw.tables:
            report.table(ERROR, name, f"The {name} table is missing: add a sheet or file named '{name}' (see the template).", where=raw.source)
    unknown = [n for n in raw.tables if n not in TABLE_COLUMNS]
    for name in unknown:
        report.table(WARNING, name, f"'{name}' is not a table of the data format and was ignored.")
    typed = {}
    for name, table in raw.tables.items():
        if name in TABLE_COLUMNS:
            frame = _type_table(table, report)
            if frame is not None:
                _check_ranges(table, frame, report)
                typed[name] = frame
    # Keep checking across tables after value errors, so one pass lists everything.
    if "patients" not in typed or "symptoms" not in typed:
        return None, report.problems

    patients = _patients(raw.tables["patients"], typed["patients"], report)
    ids = pd.Index(patients["patient_id"])
    if not ids.is_unique or ids.hasnans:
        # Rows of the other tables cannot be matched to patients until the ids are fixed.
        return None, report.problems
    symptoms = _symptoms(raw.tables["symptoms"], typed["symptoms"], patients, report)
    others = {n: _long_table(raw.tables[n], typed[n], ids, report) for n in OPTIONAL_TABLES if n in typed}
    used_instruments = {}
    if "instrument_scores" in others:
        from omalizumab_core.data.instrument_validation import check_instrument_scores

        month = _months(raw.tables["instrument_scores"], others["instrument_scores"], patients, others["instrument_scores"]["patient_id"].array, report, noun="questionnaire")
        others["instrument_scores"], used_instruments = check_instrument_scores(
            raw.tables["instrument_scores"], others["instrument_scores"], month, patients, instruments or {}, report
        )
    _check_patient_courses(raw.tables["patients"], patients, raw.tables["symptoms"], symptoms, report)
    if report.has_errors:
        return None, report.problems
    cohort = Cohort(
        patients=patients,
        symptoms=symptoms,
        doses=others.get("doses"),
        adverse_events=others.get("adverse_events"),
        labs=others.get("labs"),
        anaphylaxis=others.get("anaphylaxis"),
        instrument_scores=others.get("instrument_scores"),
        instruments=used_instruments,
        source=raw.source,
        warnings=[p for p in report.problems if p.severity == WARNING],
        synthetic=synthetic,
    )
    return cohort, report.problems


def validate(raw: RawCohort, *, synthetic: bool = False, instruments: dict | None = None) -> Cohort:
    """Validated cohort, or :class:`CohortError` with every problem found."""
    cohort, problems = check(raw, synthetic=synthetic, instruments=instruments)
    if cohort is None:
        raise CohortError(problems)
    return cohort


def _patients(raw: RawTable, frame: pd.DataFrame, report: _Report) -> pd.DataFrame:
    frame = frame.copy()
    _codes_as_values(frame, "patients")
    for column in TABLE_COLUMNS["patients"]:
        if column.name not in frame.columns:
            frame[column.name] = _absent(column, len(frame))
    ids = frame["patient_id"]
    duplicated = ids.duplicated(keep=False).to_numpy() & ids.notna().to_numpy()
    if duplicated.any():
        positions = np.flatnonzero(duplicated)
        report.rows(ERROR, raw, positions, "patient_id", "This patient_id appears more than once: each patient must have one row in the patients table.", ids.to_numpy()[positions])

    if "kit_d816v" not in raw.frame.columns and (frame["diagnosis"] == "MCAS").any():
        report.table(WARNING, "patients", "There is no kit_d816v column: every MCAS patient is counted as idiopathic MCAS (none as MMAS).", where=raw.origin)
    frame["kit_d816v"] = frame["kit_d816v"].fillna("not_evaluated")

    end = frame["treatment_end_month"].to_numpy(dtype="float64")
    reason = frame["end_reason"].astype("object")
    stopped = ~np.isnan(end)
    ongoing_but_ended = stopped & (reason == "ongoing").to_numpy()
    report.rows(ERROR, raw, np.flatnonzero(ongoing_but_ended), "end_reason", "end_reason says 'ongoing' but treatment_end_month is filled in: leave the end month blank, or give the reason for stopping.", reason.to_numpy()[ongoing_but_ended])
    reason_without_end = ~stopped & reason.notna().to_numpy() & (reason != "ongoing").to_numpy()
    report.rows(ERROR, raw, np.flatnonzero(reason_without_end), "treatment_end_month", "A reason for stopping is given but treatment_end_month is blank: give the month of the last injection.")
    ended_without_reason = stopped & reason.isna().to_numpy()
    report.rows(WARNING, raw, np.flatnonzero(ended_without_reason), "end_reason", "Treatment stopped without a reason: counted as 'other' stop.")
    frame["end_reason"] = np.where(stopped, reason.fillna("other"), "ongoing")

    follow_up = frame["last_follow_up_month"].to_numpy(dtype="float64")
    before_end = stopped & (follow_up < end)
    report.rows(ERROR, raw, np.flatnonzero(before_end), "last_follow_up_month", "The last follow-up is before the end of treatment: check treatment_end_month and last_follow_up_month.", follow_up[before_end])

    for column in TABLE_COLUMNS["patients"]:
        if column.kind in (ID, TEXT):
            frame[column.name] = frame[column.name].astype("object").astype("str")
    return frame.reset_index(drop=True)


def _absent(column: Column, n: int):
    if column.kind == YESNO:
        return pd.array([None] * n, dtype="boolean")
    if column.kind == NUMBER:
        return np.full(n, np.nan)
    if column.kind == DATE:
        return pd.Series(pd.NaT, index=range(n))
    return pd.Series([None] * n, dtype="object")


def _patient_codes(raw: RawTable, ids: pd.Index, values: pd.Categorical, report: _Report) -> pd.Categorical:
    """``values`` (a categorical of ids) re-coded on the patients table's ids, in its order."""
    values = pd.Categorical(values)
    position = ids.get_indexer(values.categories)  # one look-up per distinct id
    if len(position) == len(ids) and np.array_equal(position, np.arange(len(ids))):
        codes = values.codes  # the same ids in the same order: the usual case
        unknown_any = False
    else:
        codes = _recode(values.codes, position)
        unknown_any = bool((position < 0).any())
    if unknown_any:
        unknown = (codes < 0) & (values.codes >= 0)
        report.rows(ERROR, raw, np.flatnonzero(unknown), "patient_id", "This patient is not in the patients table: add the patient there or correct the id.", np.asarray(values[unknown][:MAX_ROWS_PER_PROBLEM]))
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(ids), validate=False)


def _symptoms(raw: RawTable, frame: pd.DataFrame, patients: pd.DataFrame, report: _Report) -> pd.DataFrame:
    ids = pd.Index(patients["patient_id"])
    patient = _patient_codes(raw, ids, frame["patient_id"], report)
    month = _months(raw, frame, patients, patient, report)
    score = frame["score"].to_numpy(dtype="float64")
    if np.isin(score, _ALLOWED_SCORE_VALUES).all():
        # The usual file: every score written exactly as an allowed value (six comparisons a row, no hashing).
        baseline_not_one = (month == 0) & (score != 1)
    else:
        # Each distinct score is checked once (a file holds a handful of them).
        score_code, distinct_scores = pd.factorize(score)
        distinct_scores = np.asarray(distinct_scores, dtype="float64")
        with np.errstate(invalid="ignore"):  # an "inf" cell is reported below, not warned about
            quarters = distinct_scores * QUARTERS_PER_POINT
        whole = np.rint(quarters)
        # A score is a whole number of quarter points (1e-9 tolerates a spreadsheet's binary rounding).
        allowed = np.zeros(max(_ALLOWED_QUARTERS) + 1, dtype=bool)
        allowed[sorted(_ALLOWED_QUARTERS)] = True
        with np.errstate(invalid="ignore"):
            in_range = np.isfinite(distinct_scores) & (whole >= 0) & (whole < len(allowed))
            valid_distinct = in_range & (np.abs(quarters - whole) < 1e-9) & allowed[np.where(in_range, whole, 0).astype(np.int64)]
        valid_score = np.append(valid_distinct, True)[score_code]  # a blank score (code -1) is reported as blank, not here
        bad_score = ~valid_score
        report.rows(ERROR, raw, np.flatnonzero(bad_score), "score", f"The score must be {_SCORE_WORDS}.", score[bad_score])
        not_one = np.append(valid_distinct & (distinct_scores != 1), False)
        baseline_not_one = (month == 0) & not_one[score_code]
    report.rows(ERROR, raw, np.flatnonzero(baseline_not_one), "score", "Baseline (month 0) symptoms must score 1: every symptom present before treatment counts 1.", score[baseline_not_one])

    symptom = pd.Categorical(frame["symptom"])
    # Symptoms in alphabetical order, so that a file sorted by patient,
    # symptom and month is already in the engine's order (no sort to score it).
    if not symptom.categories.is_monotonic_increasing:
        symptom = symptom.reorder_categories(symptom.categories.sort_values())
    names = symptom.categories.to_numpy(dtype=object)
    # Duplicates ignore case: "Flushing" and "flushing" are the same symptom.
    lower_codes = pd.factorize(pd.Series(names, dtype="object").str.lower(), sort=True)[0] if len(names) else np.array([], dtype=np.int64)
    same_names = np.array_equal(lower_codes, np.arange(len(names)))  # no two names differ by case only
    duplicated = _duplicated_rows(patient.codes, symptom.codes if same_names else _recode(symptom.codes, lower_codes), month)
    if duplicated.any():
        report.rows(ERROR, raw, np.flatnonzero(duplicated), "symptom", "The same symptom is scored twice for this patient and month: keep one row per patient, symptom and month.", np.asarray(symptom[duplicated][:MAX_ROWS_PER_PROBLEM]))

    vocab, unknown_name = categorize(pd.Series(names, dtype="object"))
    category_codes = pd.Categorical(vocab, categories=list(CATEGORIES)).codes
    row_category = _recode(symptom.codes, category_codes)
    unknown_rows = np.append(unknown_name.to_numpy(dtype=bool), False)[symptom.codes]
    if "category" in frame.columns:
        given = pd.Categorical(frame["category"], categories=list(CATEGORIES)).codes
        row_category = np.where(given >= 0, given, row_category)
        unknown_rows &= given < 0
    counts = np.bincount(symptom.codes[unknown_rows], minlength=len(names))
    for code in np.flatnonzero(counts):
        report.table(WARNING, "symptoms", f"Symptom '{names[code]}' is not in the vocabulary ({counts[code]} rows): counted in category Other. Add a category column to classify it.", where=raw.origin)
    return pd.DataFrame(
        {
            "patient_id": patient,
            "symptom": symptom,
            "month": month,
            "score": score,
            "category": pd.Categorical.from_codes(np.where(row_category >= 0, row_category, list(CATEGORIES).index("other")), categories=list(CATEGORIES), validate=False),
        },
        copy=False,  # month and score stay one column each (no 2-D block copied from them)
    )


def _duplicated_rows(patient: np.ndarray, symptom: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Rows whose (patient, symptom, month) appears more than once; rows without a month never count.

    A file sorted by patient, symptom and month (or by patient, month and
    symptom) has no duplicate exactly when its packed keys strictly
    increase: one pass, no hashing. Otherwise one sort of the keys tells
    whether any is repeated, and only then are the repeated rows looked for.
    """
    n = len(month)
    if n < 2:
        return np.zeros(n, dtype=bool)
    if not np.isnan(month).any():
        # Compared column by column (small integer codes and the months as
        # written): no 64-bit key is built for a sorted file.
        for order in ((patient, symptom, month), (patient, month, symptom)):
            if rows_in_order(order, strict=True):
                return np.zeros(n, dtype=bool)
    has_month = np.isfinite(month)
    ranks = np.full(n, -1, dtype=np.int64)
    ranks[has_month], values = month_ranks(month[has_month])
    n_months = len(values) + 1
    n_symptoms = int(symptom.max(initial=-1)) + 2
    # Codes start at -1 (blank): shifted by one, each (patient, symptom, month) packs to a distinct key.
    for order in (((symptom, n_symptoms), (ranks, n_months)), ((ranks, n_months), (symptom, n_symptoms))):
        key = patient.astype(np.int64)
        key += 1
        for codes, size in order:
            key *= size
            key += codes
            key += 1
        if bool(np.all(key[1:] > key[:-1])):
            return np.zeros(n, dtype=bool)
    key = key[has_month]
    ordered = np.sort(key)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    duplicated = np.zeros(n, dtype=bool)
    if len(repeated):
        duplicated[has_month] = np.isin(key, repeated)
    return duplicated


def _months(raw: RawTable, frame: pd.DataFrame, patients: pd.DataFrame, patient: pd.Categorical, report: _Report, *, noun: str = "symptom") -> np.ndarray:
    month = frame["month"].to_numpy(dtype="float64") if "month" in frame.columns else np.full(len(frame), np.nan)
    date = pd.to_datetime(frame["date"]) if "date" in frame.columns else None
    has_date = date.notna().to_numpy() if date is not None else np.zeros(len(frame), dtype=bool)
    # A row without its time cannot be placed in the patient's course; the engine would drop it silently.
    timeless = np.isnan(month) & ~has_date
    for written in ("month", "date"):  # a value that is not a number or a date is already an error at its cell
        if written in raw.frame.columns and timeless.any():
            timeless &= _blank(raw.frame[written])
    column = "month" if date is None or "month" in frame.columns else "date"
    report.rows(ERROR, raw, np.flatnonzero(timeless), column, f"Each {noun} row needs its month (0 = baseline) or its date: this row has neither.")
    use_date = np.isnan(month) & has_date
    if not use_date.any():
        return month
    start = pd.to_datetime(patients["treatment_start"]).to_numpy()[np.maximum(patient.codes, 0)]
    no_start = use_date & pd.isna(start) & (patient.codes >= 0)
    report.rows(ERROR, raw, np.flatnonzero(no_start), "date", "A date is given but this patient's treatment_start in the patients table is blank or not a date: fill it in or correct it there, or give the month instead.")
    # Calendar days: a visit on the day of the first injection is baseline whatever the time written.
    days = (date.dt.normalize().to_numpy() - pd.DatetimeIndex(start).normalize().to_numpy()) / np.timedelta64(1, "D")
    # On or before the first injection is baseline; after it, months to one decimal.
    converted = np.where(days <= 0, 0.0, np.maximum(np.round(days / DAYS_PER_MONTH, 1), 0.1))
    return np.where(use_date & ~no_start, converted, month)


def _codes_as_values(frame: pd.DataFrame, table: str) -> None:
    """Coded columns as plain values (parsed as categoricals for speed, compared as text downstream)."""
    for column in TABLE_COLUMNS[table]:
        if column.kind == CODE and column.name in frame.columns:
            frame[column.name] = frame[column.name].astype("object").where(frame[column.name].notna(), None)


def _long_table(raw: RawTable, frame: pd.DataFrame, ids: pd.Index, report: _Report) -> pd.DataFrame:
    frame = frame.copy()
    _codes_as_values(frame, raw.name)
    frame["patient_id"] = _patient_codes(raw, ids, frame["patient_id"], report)
    for column in TABLE_COLUMNS[raw.name]:
        if column.name not in frame.columns:
            frame[column.name] = _absent(column, len(frame))
    return frame.reset_index(drop=True)


def _check_patient_courses(raw_p: RawTable, patients: pd.DataFrame, raw_s: RawTable, symptoms: pd.DataFrame, report: _Report) -> None:
    n = len(patients)
    code = symptoms["patient_id"].array.codes  # a view: .cat.codes copies into a new Series
    month = symptoms["month"].to_numpy()
    known = code >= 0
    baseline = np.bincount(code[known & (month == 0)], minlength=n)
    # A row left without a month (its date unplaceable) is already an error at its line; it may be the baseline.
    unplaced = np.bincount(code[known & np.isnan(month)], minlength=n)
    without = np.flatnonzero((baseline == 0) & (unplaced == 0))
    report.rows(ERROR, raw_p, without, "patient_id", "This patient has no baseline symptom (month 0 rows): the symptom score needs the symptoms present before treatment, each scored 1.", patients["patient_id"].to_numpy()[without])

    later = np.bincount(code[known & (month > 0)], minlength=n)
    none_later = np.flatnonzero((later == 0) & (baseline > 0))
    if len(none_later):
        shown = ", ".join(patients["patient_id"].to_numpy()[none_later[:10]])
        more = f" and {len(none_later) - 10} more" if len(none_later) > 10 else ""
        report.table(WARNING, "symptoms", f"{len(none_later)} patient(s) have no assessment after baseline ({shown}{more}): they count as no response.")

    end = patients["treatment_end_month"].to_numpy(dtype="float64")
    after = known & (month > end[np.maximum(code, 0)])
    if after.any():
        counts = pd.Series(code[after]).value_counts().sort_index()
        for c, rows in counts.head(MAX_ROWS_PER_PROBLEM).items():
            report.table(WARNING, "symptoms", f"Patient {patients['patient_id'].iloc[c]}: {rows} assessment row(s) after the end of treatment (month {end[c]:g}) are ignored, since omalizumab had stopped.", where=raw_s.origin)
        if len(counts) > MAX_ROWS_PER_PROBLEM:
            report.table(WARNING, "symptoms", f"… and {len(counts) - MAX_ROWS_PER_PROBLEM} more patients with assessments after the end of treatment (ignored).", where=raw_s.origin)
