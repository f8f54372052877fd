"""REDCap exports -> the dashboard's tables.

Reads the CSV that REDCap's "Export data" writes, either **raw** (field names
as headers, choice codes as values) or **labels** (field labels as headers,
choice labels as values), from a classic project (one row per record and
repeat) or a longitudinal one (``redcap_event_name``), with repeating
instruments (``redcap_repeat_instrument``/``redcap_repeat_instance``, absent
from a batch without repeats), repeating events, and checkbox fields split
into ``field___code`` columns (1/0 or Checked/Unchecked). Field names are
those of the shipped data dictionary (:mod:`.redcap_dictionary`).

Every row of every table is located as REDCap shows it: the export's line,
the record id, the event, the instrument, the instance and, for a symptom,
the field. Each row is read instrument by instrument, so an instrument both
repeating and not (a known REDCap pitfall) and whole repeating events are read
the same way. An assessment without a month or date takes the month of its
event name ("month_3_arm_1" -> 3).
"""

from __future__ import annotations

import csv
import io
import re

from omalizumab_core.data.importers.located import blank, fail, located_table, normalise
from omalizumab_core.data.importers.redcap_dictionary import BY_NAME, FIELDS, FORM_TABLE, FORMS, OTHER_SLOTS, PRIOR_THERAPIES, RECORD_ID
from omalizumab_core.data.importers.visits import visit_month
from omalizumab_core.data.problems import ERROR, CohortError, Problem
from omalizumab_core.data.raw import RawCohort

SYSTEM = ("redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance", "redcap_data_access_group", "redcap_survey_identifier")
_SYSTEM_LABELS = {"event name": "redcap_event_name", "repeat instrument": "redcap_repeat_instrument", "repeat instance": "redcap_repeat_instance",
                  "data access group": "redcap_data_access_group", "survey identifier": "redcap_survey_identifier"}
_CHECKBOX_LABEL = re.compile(r"^(?P<label>.*)\s\(choice=(?P<choice>.*)\)$", re.DOTALL)
_CHECKED = {"1", "checked", "yes", "true"}
_UNCHECKED = {"0", "unchecked", "no", "false", ""}
_LABELS = {f.label.strip().lower(): f.name for f in FIELDS}
_FORM_OF_LABEL = {**{label.lower(): name for name, label in FORMS.items()}, **{name: name for name in FORMS}}
_FORM_FIELDS = {form: [f for f in FIELDS if f.form == form and f.name != RECORD_ID] for form in FORMS}
_SYMPTOM_FIELDS = [f for f in FIELDS if f.symptom]
_COLUMNS = {
    "patients": [f.column for f in FIELDS if f.form == "patient" and f.column],
    "symptoms": ["patient_id", "symptom", "month", "date", "score", "category"],
    "doses": ["patient_id", "month", "dose_mg", "interval_days"],
    "adverse_events": ["patient_id", "month", "event", "severity", "serious", "flare", "led_to_discontinuation"],
    "labs": ["patient_id", "month", "analyte", "value"],
    "anaphylaxis": ["patient_id", "month", "grade", "epinephrine", "trigger"],
}


def looks_like_redcap(header: list[str]) -> bool:
    """True when a CSV header is a REDCap export of the shipped dictionary (raw or labels)."""
    names = {normalise(h) for h in header}
    if names & set(SYSTEM):
        return True
    labels = {h.strip().lower() for h in header}
    if {"repeat instrument", "event name"} & labels:
        return True
    known = sum(1 for n in names if n in BY_NAME and BY_NAME[n].form != "patient") + sum(
        1 for l in labels if l in _LABELS and BY_NAME[_LABELS[l]].form != "patient"
    )
    return known >= 2 and (RECORD_ID in names or BY_NAME[RECORD_ID].label.lower() in labels)


def read_redcap(content: bytes, name: str) -> RawCohort:
    """The tables of one REDCap CSV export (raw or labels)."""
    text = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise fail("This REDCap export is empty.", f"file {name}") from None
    except csv.Error:
        raise fail("This REDCap export could not be read as CSV. Export it again from REDCap.", f"file {name}") from None
    columns, problems = _columns(header, name)
    if RECORD_ID not in {c[0] for c in columns.values()}:
        problems.append(Problem(ERROR, None, f"The record id column '{RECORD_ID}' is missing: export the data with the project's record id field.",
                                where=f"file {name}"))
    if problems:
        raise CohortError(problems)
    records = []
    line = 2
    try:
        for cells in reader:
            records.append((line, cells))
            line = reader.line_num + 1
    except csv.Error:
        raise fail("A quotation mark opened in this line is never closed. Export the data again from REDCap.", f"{name}, line {line}") from None
    return _tables(records, columns, name)


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return content.decode("latin-1")


def _columns(header: list[str], name: str) -> tuple[dict, list]:
    """Position -> (field, checkbox code or None), for raw or label headers."""
    out, problems = {}, []
    for position, written in enumerate(header):
        key = normalise(written)
        label = written.strip().lower()
        if position == 0 and key not in BY_NAME and label not in _LABELS:
            out[position] = (RECORD_ID, None)  # REDCap's first column is always the record id
            continue
        if key in SYSTEM or label in _SYSTEM_LABELS:
            out[position] = (key if key in SYSTEM else _SYSTEM_LABELS[label], None)
        elif "___" in key and key.split("___")[0] in BY_NAME:
            out[position] = (key.split("___")[0], key.split("___", 1)[1])
        elif key in BY_NAME:
            out[position] = (key, None)
        elif label in _LABELS:
            out[position] = (_LABELS[label], None)
        elif (found := _CHECKBOX_LABEL.match(written.strip())) and found.group("label").strip().lower() in _LABELS:
            field = BY_NAME[_LABELS[found.group("label").strip().lower()]]
            choice = found.group("choice").strip().lower()
            code = next((c for c, l in field.choices if l.lower() == choice or c == choice), choice)
            out[position] = (field.name, code)
        elif key.endswith("_complete") or label.endswith("complete?"):
            continue  # REDCap's instrument status columns
        else:
            out[position] = (key, None)  # a field of the user's own: kept as an extra patient column
    return out, problems


def _tables(records: list, columns: dict, name: str) -> RawCohort:
    rows = {table: [] for table in _COLUMNS}
    where = {table: [] for table in _COLUMNS}
    patients: dict[str, dict] = {}
    patient_where: dict[str, str] = {}
    extras: list[str] = []
    problems: list[Problem] = []
    for line, cells in records:
        if not any(c.strip() for c in cells):
            continue
        values: dict[str, str] = {}
        checks: dict[str, list[str]] = {}
        for position, cell in enumerate(cells):
            if position not in columns:
                continue
            field, code = columns[position]
            cell = cell.strip()
            if code is not None:
                if cell.lower() in _CHECKED:
                    checks.setdefault(field, []).append(code)
                elif cell.lower() not in _UNCHECKED:
                    problems.append(Problem(ERROR, "patients", "A checkbox column holds 1/0 or Checked/Unchecked: export the data again from REDCap.",
                                            where=f"REDCap export {name}, line {line}: record {cells[0] if cells else ''}",
                                            column=f"{field}___{code}", value=cell))
                continue
            values[field] = cell
        record = values.get(RECORD_ID, "")
        event = values.get("redcap_event_name", "")
        repeat = values.get("redcap_repeat_instrument", "")
        instance = values.get("redcap_repeat_instance", "")
        form_of_row = _FORM_OF_LABEL.get(repeat.strip().lower(), repeat) if repeat else None
        place = f"REDCap export {name}, line {line}: record {record or '(blank)'}"
        if event:
            place += f", event '{event}'"
        event_month = visit_month(event) if event else None
        if form_of_row is not None and form_of_row not in FORMS:
            problems.append(Problem(ERROR, None, f"The repeating instrument '{repeat}' is not one of the dashboard's data dictionary "
                                    f"({', '.join(FORMS)}): its rows cannot be read. Build the project with the shipped dictionary "
                                    "(docs/redcap.md).", where=place + (f", instance {instance}" if instance else ""), column="redcap_repeat_instrument",
                                    value=repeat))
            continue
        for form in FORMS:
            if form_of_row is not None and form != form_of_row:
                continue
            data = {f.name: values.get(f.name, "") for f in _FORM_FIELDS[form]}
            if form == "patient":
                data.update({f: values.get(f, "") for f in values if f not in BY_NAME and f not in SYSTEM})
                filled = {k: v for k, v in data.items() if v} | ({"prior_therapies": checks["prior_therapies"]} if "prior_therapies" in checks else {})
                if not filled:
                    continue
                at = place + ", instrument 'patient'" + (f", instance {instance}" if instance else "")
                _merge_patient(patients, patient_where, record, filled, at, problems)
                extras += [f for f in filled if f not in BY_NAME and f not in extras]
                continue
            if not any(data.values()):
                continue
            at = place + f", instrument '{form}'" + (f", instance {instance}" if instance else "")
            table = FORM_TABLE[form]
            if form == "assessment":
                for row, field in _symptom_rows(record, data, event_month):
                    rows[table].append(row)
                    where[table].append(at + f", field '{field}'")
                continue
            row = {"patient_id": record}
            for f in _FORM_FIELDS[form]:
                if f.column:
                    row[f.column] = _code(f.name, data.get(f.name, ""))
            if not row.get("month") and event_month is not None:
                row["month"] = event_month
            rows[table].append(row)
            where[table].append(at)
    if problems:
        raise CohortError(problems)
    tables = {}
    if patients:
        patient_rows = [{"patient_id": r, **p} for r, p in patients.items()]
        columns_p = [c for c in _COLUMNS["patients"] + extras if c in ("patient_id", "diagnosis") or any(not blank(p.get(c)) for p in patient_rows)]
        tables["patients"] = located_table("patients", patient_rows, [patient_where[r] for r in patients], origin=f"REDCap export {name}, instrument 'patient'",
                                           columns=columns_p, labels={c: _field_of("patient", c) for c in columns_p})
    for table, found in rows.items():
        if table == "patients" or not found:
            continue
        form = next(f for f, t in FORM_TABLE.items() if t == table)
        cols = [c for c in _COLUMNS[table] if c in ("patient_id", "month", "symptom", "score") or any(c in r and not blank(r[c]) for r in found)]
        tables[table] = located_table(table, found, where[table], origin=f"REDCap export {name}, instrument '{form}'", columns=cols,
                                      labels={c: _field_of(form, c) for c in cols})
    return RawCohort(tables=tables, source=name)


def _field_of(form: str, column: str) -> str:
    if column == "patient_id":
        return RECORD_ID
    if form == "assessment" and column in ("symptom", "score", "category"):
        return {"symptom": "symptom field", "score": "symptom score", "category": "other symptom category"}[column]
    return next((f.name for f in FIELDS if f.form == form and f.column == column), column)


def _merge_patient(patients: dict, where: dict, record: str, filled: dict, at: str, problems: list) -> None:
    current = patients.setdefault(record, {})
    where.setdefault(record, at)
    for field, value in filled.items():
        if field == "prior_therapies":
            labels = dict(PRIOR_THERAPIES)
            value = "; ".join(labels.get(code, code) for code in value)
        column = BY_NAME[field].column if field in BY_NAME else field
        if column is None:  # prior_therapies_other
            column, value = "prior_therapies", value
            if current.get("prior_therapies"):
                current["prior_therapies"] = current["prior_therapies"] + "; " + value
                continue
        value = _code(field, value) if field in BY_NAME and BY_NAME[field].kind != "checkbox" else value
        if current.get(column) not in (None, "") and field not in BY_NAME:
            continue  # a field of the user's own, filled in several events: the first value is kept
        if current.get(column) not in (None, "") and current[column] != value and column != "prior_therapies":
            problems.append(Problem(ERROR, "patients", f"Record {record} has two different values for this field ('{current[column]}' and '{value}'). "
                                    "Keep one value in REDCap.", where=at, column=field, value=str(value)))
            continue
        current[column] = value


def _code(field: str, value: str) -> str:
    """A choice value as its code: raw codes pass, labels (of a labels export) are translated back."""
    f = BY_NAME.get(field)
    if f is None or not value:
        return value
    if f.kind == "yesno":
        return {"1": "yes", "0": "no"}.get(value, value)
    if f.choices:
        for code, label in f.choices:
            if value == code or value.lower() == label.lower():
                return code
    return value


def _symptom_rows(record: str, data: dict, event_month: float | None):
    month = data.get("assessment_month", "")
    date = data.get("assessment_date", "")
    if not month and not date and event_month is not None:
        month = event_month
    base = {"patient_id": record, "month": month, "date": date}
    for f in _SYMPTOM_FIELDS:
        if data.get(f.name):
            yield {**base, "symptom": f.symptom, "score": _code(f.name, data[f.name])}, f.name
    for k in range(1, OTHER_SLOTS + 1):
        name, score, category = data.get(f"other_symptom_{k}", ""), data.get(f"other_score_{k}", ""), data.get(f"other_category_{k}", "")
        if name or score:
            yield {**base, "symptom": name, "score": _code(f"other_score_{k}", score), "category": _code(f"other_category_{k}", category)}, f"other_symptom_{k}"
