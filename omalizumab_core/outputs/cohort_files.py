"""A loaded cohort written back as files: the dashboard's own form, REDCap, ADaM.

``python -m omalizumab_core export PATH --to xlsx|csv|parquet|redcap|adam
--out DEST`` calls :func:`export_cohort`. Every form loads back with the
dashboard's loader to the same per-patient results: a centre converts its
data once, or moves a spreadsheet registry into REDCap (the import file
matches the shipped data dictionary, :mod:`omalizumab_core.data.importers.redcap_dictionary`).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from omalizumab_core.data.cohort import TABLES, Cohort
from omalizumab_core.data.contract import DATE, TABLE_COLUMNS, YESNO
from omalizumab_core.data.importers.redcap_dictionary import FIELDS, FORM_TABLE, OTHER_SLOTS, PRIOR_THERAPIES, RECORD_ID, symptom_field
from omalizumab_core.data.vocabulary import VOCABULARY, category_of
from omalizumab_core.outputs.exports import excel_bytes, neutralise_formulas

FORMS_OUT = ("xlsx", "csv", "parquet", "redcap", "adam")
"""The forms :func:`export_cohort` writes."""

FORM_TABLES = {
    "redcap": tuple(FORM_TABLE.values()),  # the shipped data dictionary has no questionnaire form
    "adam": ("patients", "symptoms", "adverse_events", "labs"),  # ADSL, ADQS, ADAE, ADLB
}
"""The tables a form carries, where it does not carry every table (docs/redcap.md, docs/adam.md)."""


def tables_not_written(cohort: Cohort, to: str) -> dict[str, int]:
    """The cohort's tables with rows that the form ``to`` has no place for: {table: number of rows}.

    Empty for xlsx, csv and parquet, which write every table. REDCap's import
    file has no questionnaire form; ADaM is written as ADSL, ADQS, ADAE and
    ADLB, so doses, anaphylaxis episodes and questionnaire scores stay behind.

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> tables_not_written(oc.load_cohort("demo"), "adam")
    {'doses': 73, 'anaphylaxis': 52, 'instrument_scores': 676}
    """
    if to not in FORMS_OUT:
        raise ValueError(f"Unknown export form '{to}': use one of {', '.join(FORMS_OUT)}.")
    carried = FORM_TABLES.get(to, TABLES)
    rows = {name: 0 if cohort.table(name) is None else len(cohort.table(name)) for name in TABLES if name not in carried}
    return {name: n for name, n in rows.items() if n}


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
    ['patients', 'symptoms', 'doses', 'adverse_events', 'labs', 'anaphylaxis', 'instrument_scores']
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
        ``<table>.parquet``; with questionnaire scores, the definitions of
        their instruments go to ``instruments/<id>.toml`` in that folder (the
        workbook's folder for xlsx), where the loader reads them; redcap: one CSV import file for the shipped data
        dictionary; adam: a folder of SAS transport files (adsl, adqs, adae, adlb).
        redcap and adam leave some tables out: :func:`tables_not_written` lists them.
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
        return [out, *_write_definitions(cohort, out.parent)]
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
    return written + _write_definitions(cohort, out)


def _write_definitions(cohort: Cohort, folder: Path) -> list[Path]:
    """The cohort's instrument definitions as ``instruments/<id>.toml`` in ``folder``, where the loader reads them."""
    if cohort.instrument_scores is None or not cohort.instruments:
        return []
    (folder / "instruments").mkdir(parents=True, exist_ok=True)
    written = []
    for ident, definition in sorted(cohort.instruments.items()):
        path = folder / "instruments" / f"{ident}.toml"
        path.write_text(definition.text, encoding="utf-8")
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
    frames = [pd.DataFrame(rows, dtype="object"), _assessment_rows(tables["symptoms"])]
    for form, table in FORM_TABLE.items():
        if form in ("patient", "assessment") or table not in tables:
            continue
        frame = tables[table]
        out = pd.DataFrame({RECORD_ID: frame["patient_id"].astype(str), "redcap_repeat_instrument": form,
                            "redcap_repeat_instance": (frame.groupby("patient_id", sort=False).cumcount() + 1).astype(str)})
        for f in FIELDS:
            if f.form == form and f.column in frame:
                values = frame[f.column].map(_text)
                out[f.name] = values.map(lambda v: {"yes": "1", "no": "0"}.get(v, v)) if f.kind == "yesno" else values
        frames.append(out)
    order = {pid: k for k, pid in enumerate(patients["patient_id"])}
    frame = pd.concat(frames, ignore_index=True)
    frame["_patient"] = frame[RECORD_ID].map(order)
    frame["_form"] = frame["redcap_repeat_instrument"].fillna("").map(lambda f: list(FORM_TABLE).index(f) if f else -1)
    frame = frame.sort_values(["_patient", "_form"], kind="stable").drop(columns=["_patient", "_form"])
    frame = frame.reindex(columns=header).astype("object")
    frame = frame.where(frame.notna(), "")
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _assessment_rows(symptoms: pd.DataFrame) -> pd.DataFrame:
    """One assessment instance per patient and month; symptoms outside the vocabulary in the "other" slots
    (more than the slots: further instances of the same month)."""
    fields = {s: symptom_field(s) for s in VOCABULARY}
    names = symptoms["symptom"].astype(str)
    uniques = pd.unique(names)
    field = names.map({u: fields.get(u) for u in uniques})
    vocabulary = names.map({u: category_of(u) for u in uniques})
    given = symptoms["category"] if "category" in symptoms else pd.Series(None, index=symptoms.index, dtype="object")
    fixed = field.notna() & (given.isna() | (given.astype("object") == vocabulary.astype("object")))
    base = pd.DataFrame({RECORD_ID: symptoms["patient_id"].astype(str), "assessment_month": symptoms["month"].map(_text),
                         "_month": symptoms["month"].astype(float), "score": symptoms["score"].map(_text)})
    keys = [RECORD_ID, "_month", "assessment_month", "_chunk"]
    main = base[fixed].assign(_chunk=0, field=field[fixed])
    wide = main.pivot_table(index=keys, columns="field", values="score", aggfunc="first") if len(main) else pd.DataFrame()
    others = base[~fixed].assign(name=names[~fixed], category=given[~fixed].map(_text))
    slot = others.groupby([RECORD_ID, "_month"], sort=False).cumcount()
    others = others.assign(_chunk=slot // OTHER_SLOTS, _slot=slot % OTHER_SLOTS + 1)
    parts = [wide]
    for column, prefix in (("name", "other_symptom_"), ("category", "other_category_"), ("score", "other_score_")):
        if len(others):
            pivot = others.pivot_table(index=keys, columns="_slot", values=column, aggfunc="first")
            pivot.columns = [f"{prefix}{k}" for k in pivot.columns]
            parts.append(pivot)
    visits = pd.concat([p for p in parts if len(p)], axis=1).reset_index() if any(len(p) for p in parts) else pd.DataFrame(columns=keys)
    visits = visits.sort_values([RECORD_ID, "_month", "_chunk"], kind="stable")
    visits["redcap_repeat_instrument"] = "assessment"
    visits["redcap_repeat_instance"] = (visits.groupby(RECORD_ID, sort=False).cumcount() + 1).astype(str)
    return visits.drop(columns=["_month", "_chunk"])
