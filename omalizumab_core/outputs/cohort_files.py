"""A loaded cohort written back as files: the dashboard's own form, REDCap, ADaM.

``python -m omalizumab_core export PATH --to xlsx|csv|parquet|redcap|adam
--out DEST`` calls :func:`export_cohort`. Every form loads back with the
dashboard's loader to the same per-patient results: a centre converts its
data once, or moves a spreadsheet registry into REDCap (the import file
matches the shipped data dictionary, :mod:`omalizumab_core.data.importers.redcap_dictionary`).
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from omalizumab_core.data.cohort import TABLES, Cohort
from omalizumab_core.data.contract import DATE, TABLE_COLUMNS, YESNO
from omalizumab_core.data.importers.redcap_dictionary import BY_NAME, FIELDS, FORM_TABLE, OTHER_SLOTS, PRIOR_THERAPIES, RECORD_ID, symptom_field
from omalizumab_core.data.vocabulary import VOCABULARY, canonical_name, category_of
from omalizumab_core.outputs.exports import excel_bytes, neutralise_formulas

FORMS_OUT = ("xlsx", "csv", "parquet", "redcap", "adam")
"""The forms :func:`export_cohort` writes."""


def contract_tables(cohort: Cohort) -> dict[str, pd.DataFrame]:
    """The cohort's tables in the data contract's columns, as plain text, numbers and yes/no.

    Parameters
    ----------
    cohort : Cohort
        A loaded cohort.

    Returns
    -------
    dict of str to DataFrame
        One table per present table, in the order of the data contract; extra
        patient columns kept; symptoms with their ``category`` so a category
        given by the user survives the round trip.

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> from omalizumab_core.outputs.cohort_files import contract_tables
    >>> list(contract_tables(oc.load_cohort("demo")))
    ['patients', 'symptoms', 'doses', 'adverse_events', 'labs', 'anaphylaxis']
    """
    out = {}
    for name in TABLES:
        frame = cohort.table(name)
        if frame is None:
            continue
        known = {c.name: c for c in TABLE_COLUMNS[name]}
        columns = [c for c in frame.columns if c in known or name == "patients"]
        table = pd.DataFrame(index=range(len(frame)))
        for column in columns:
            values = frame[column].reset_index(drop=True)
            kind = known[column].kind if column in known else None
            if kind == YESNO or pd.api.types.is_bool_dtype(values.dtype):
                table[column] = values.astype("object").map(lambda v: None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else ("yes" if v else "no"))
            elif kind == DATE or pd.api.types.is_datetime64_any_dtype(values.dtype):
                table[column] = pd.to_datetime(values).dt.strftime("%Y-%m-%d").astype("object").where(values.notna(), None)
            elif pd.api.types.is_numeric_dtype(values.dtype):
                table[column] = values.astype("float64")
            else:
                table[column] = values.astype("object").where(values.notna(), None).map(lambda v: v if v is None else str(v))
        out[name] = table
    return out


def export_cohort(cohort: Cohort, to: str, out: str | Path) -> list[Path]:
    """Write ``cohort`` in the form ``to`` at ``out``; the paths written.

    Parameters
    ----------
    cohort : Cohort
        A loaded cohort.
    to : {"xlsx", "csv", "parquet", "redcap", "adam"}
        xlsx: one workbook; csv / parquet: a folder of ``<table>.csv`` /
        ``<table>.parquet``; redcap: one CSV import file for the shipped data
        dictionary; adam: a folder of SAS transport files (adsl, adqs, adae, adlb).
    out : path
        The workbook or CSV file to write (xlsx, redcap), or the folder (csv, parquet, adam).

    Raises
    ------
    ValueError
        For another form.
    """
    out = Path(out)
    if to not in FORMS_OUT:
        raise ValueError(f"Unknown export form '{to}': use one of {', '.join(FORMS_OUT)}.")
    tables = contract_tables(cohort)
    if to == "xlsx":
        out.write_bytes(excel_bytes(tables))
        return [out]
    if to == "redcap":
        out.write_bytes(redcap_import_csv(cohort))
        return [out]
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if to == "adam":
        from omalizumab_core.outputs.adam_export import write_adam

        return write_adam(tables, out)
    for name, table in tables.items():
        path = out / f"{name}.{to}"
        if to == "csv":
            path.write_bytes(neutralise_formulas(table).to_csv(index=False).encode("utf-8"))
        else:
            table.to_parquet(path, index=False)
        written.append(path)
    return written


def _text(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else repr(value)
    return str(value)


def redcap_import_csv(cohort: Cohort) -> bytes:
    """The cohort as one REDCap import file (raw, classic project with repeating instruments).

    One row per record for the patient instrument, then one row per repeat of
    each repeating instrument; assessments are one instance per visit. The
    header holds every field of the shipped data dictionary (checkboxes as
    ``prior_therapies___code``), so REDCap's "Data Import Tool" accepts it as is.

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> from omalizumab_core.outputs.cohort_files import redcap_import_csv
    >>> redcap_import_csv(oc.load_cohort("demo")).decode().split(",")[:3]
    ['patient_id', 'redcap_repeat_instrument', 'redcap_repeat_instance']
    """
    tables = contract_tables(cohort)
    header = [RECORD_ID, "redcap_repeat_instrument", "redcap_repeat_instance"]
    for f in FIELDS:
        if f.name == RECORD_ID:
            continue
        if f.kind == "checkbox":
            header += [f"{f.name}___{code}" for code, _ in f.choices]
        else:
            header.append(f.name)
    patients = tables["patients"]
    extras = [c for c in patients.columns if c not in {f.column for f in FIELDS if f.form == "patient"}]
    header += [re.sub(r"[^a-z0-9_]", "_", c.lower()) for c in extras]
    rows = []
    known_therapies = {label.lower(): code for code, label in PRIOR_THERAPIES}
    for patient in patients.to_dict("records"):
        row = {RECORD_ID: patient["patient_id"]}
        for f in FIELDS:
            if f.form != "patient" or f.name == RECORD_ID or f.column is None:
                continue
            value = patient.get(f.column)
            if f.kind == "checkbox":
                items = [t.strip() for t in _text(value).split(";") if t.strip()]
                for code, _ in f.choices:
                    row[f"{f.name}___{code}"] = "0"
                other = []
                for item in items:
                    code = known_therapies.get(item.lower())
                    if code:
                        row[f"{f.name}___{code}"] = "1"
                    else:
                        other.append(item)
                row["prior_therapies_other"] = "; ".join(other)
            elif f.kind == "yesno":
                row[f.name] = {"yes": "1", "no": "0"}.get(_text(value), "")
            elif f.name == "diagnosis":
                row[f.name] = _text(value).replace("-", "_")
            else:
                row[f.name] = _text(value)
        for column in extras:
            row[re.sub(r"[^a-z0-9_]", "_", column.lower())] = _text(patient.get(column))
        rows.append(row)
    rows += _assessment_rows(tables["symptoms"])
    for form, table in FORM_TABLE.items():
        if form in ("patient", "assessment") or table not in tables:
            continue
        fields = [f for f in FIELDS if f.form == form]
        for instance, (pid, group) in enumerate(tables[table].groupby("patient_id", sort=False)):
            for k, record in enumerate(group.to_dict("records"), start=1):
                row = {RECORD_ID: pid, "redcap_repeat_instrument": form, "redcap_repeat_instance": str(k)}
                for f in fields:
                    value = _text(record.get(f.column))
                    row[f.name] = {"yes": "1", "no": "0"}.get(value, value) if f.kind == "yesno" else value
                rows.append(row)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _assessment_rows(symptoms: pd.DataFrame) -> list[dict]:
    rows = []
    fields = {s: symptom_field(s) for s in VOCABULARY}
    for pid, group in symptoms.groupby("patient_id", sort=False):
        for k, (month, visit) in enumerate(group.groupby("month", sort=True), start=1):
            base = {RECORD_ID: pid, "redcap_repeat_instrument": "assessment", "redcap_repeat_instance": str(k), "assessment_month": _text(month)}
            others = []
            row = dict(base)
            for record in visit.to_dict("records"):
                name = record["symptom"]
                field = fields.get(name)
                vocabulary_category = category_of(name)
                if field and field not in row and record.get("category") in (None, vocabulary_category):
                    row[field] = _text(record["score"])
                else:
                    others.append(record)
            # more "other" symptoms than slots: further instances of the same month
            chunks = [others[i:i + OTHER_SLOTS] for i in range(0, len(others), OTHER_SLOTS)] or [[]]
            for c, chunk in enumerate(chunks):
                if c:
                    k_extra = f"{k}.{c}"
                    row = {**base, "redcap_repeat_instance": k_extra}
                for slot, record in enumerate(chunk, start=1):
                    row[f"other_symptom_{slot}"] = record["symptom"]
                    row[f"other_category_{slot}"] = _text(record.get("category"))
                    row[f"other_score_{slot}"] = _text(record["score"])
                rows.append(row)
    # REDCap instances are whole numbers: renumber per patient in order
    counters: dict = {}
    for row in rows:
        counters[row[RECORD_ID]] = counters.get(row[RECORD_ID], 0) + 1
        row["redcap_repeat_instance"] = str(counters[row[RECORD_ID]])
    return rows
