"""CDISC ADaM datasets -> the dashboard's tables.

Reads ADSL (one record per patient), an ADQS-like BDS dataset of symptom
scores (one record per symptom and visit), ADAE and ADLB, from SAS transport
(``.xpt``), ``.sas7bdat`` or CSV files named after the dataset (``adsl.xpt``,
``ADQS.csv``). The variable-by-variable mapping is in docs/adam.md and in
:data:`ADSL`, :data:`ADAE` and :data:`LAB_PARAMCD` below. Files are parsed in
memory (pyreadstat reading an anonymous in-memory file); nothing is written to disk. Every problem is
located as "ADaM dataset ADQS (adqs.xpt), record 12, USUBJID P1" and the
variable's name.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import PurePath

import pandas as pd

from omalizumab_core.data.contract import TABLE_COLUMNS
from omalizumab_core.data.importers.located import blank, fail, located_table, normalise
from omalizumab_core.data.importers.visits import visit_month
from omalizumab_core.data.problems import ERROR, CohortError, Problem
from omalizumab_core.data.raw import RawCohort

ADSL = {
    "USUBJID": "patient_id", "SEX": "sex", "DIAGCD": "diagnosis", "KITD816V": "kit_d816v", "DIAGAGE": "age_at_diagnosis",
    "AGE": "age_at_treatment", "SITEID": "center", "TRTSDT": "treatment_start", "TRTEMO": "treatment_end_month",
    "DCTREAS": "end_reason", "LSTFUMO": "last_follow_up_month", "BTRYPT": "baseline_tryptase", "BIGE": "baseline_total_ige",
    "PRIORTX": "prior_therapies", "ANAWINMO": "anaphylaxis_window_before_months", "SKININV": "skin_involvement",
    "MPCM": "maculopapular_cm", "BMINV": "bone_marrow_involvement", "DECRBD": "decreased_bone_density",
    "WHODENSE": "who_dense_infiltrates", "WHOATYP": "who_atypical_morphology", "WHOKIT": "who_kit_816", "WHOCD225": "who_cd2_cd25",
}
"""ADSL variable -> patients column (contract names are accepted as well, e.g. in CSV)."""
ADAE = {"USUBJID": "patient_id", "AEDECOD": "event", "AESEV": "severity", "AESER": "serious", "AEFLARE": "flare"}
"""ADAE variable -> adverse_events column; AETERM stands in for AEDECOD, AEACN 'DRUG WITHDRAWN' is led_to_discontinuation."""
LAB_PARAMCD = {"TRYPT": "tryptase", "TRYPTASE": "tryptase", "IGE": "total_ige", "IGET": "total_ige"}
"""ADLB PARAMCD -> analyte."""
DATASETS = ("ADSL", "ADQS", "ADAE", "ADLB")
SAS_EPOCH = dt.date(1960, 1, 1)
DAYS_PER_MONTH = 30.4375
_YES = {"Y": "yes", "N": "no"}


def read_adam(files: list[tuple[str, bytes]]) -> RawCohort:
    """The tables of ADaM datasets given as (file name, content) pairs."""
    datasets, problems = {}, []
    for name, content in files:
        dataset = PurePath(name).stem.upper()
        if dataset not in DATASETS:
            continue  # other datasets (ADEX, ADCM...) are not used
        try:
            datasets[dataset] = (name, _read(name, content))
        except CohortError as error:
            problems += error.problems
    for needed in ("ADSL", "ADQS"):
        if needed not in datasets and not problems:
            problems.append(Problem(ERROR, "patients" if needed == "ADSL" else "symptoms",
                                    f"The {needed} dataset is missing: give {needed.lower()}.xpt (or .sas7bdat, .csv) with the other datasets.",
                                    where="ADaM datasets"))
    if problems:
        raise CohortError(problems)
    tables = {"patients": _patients(*datasets["ADSL"]), "symptoms": _symptoms(*datasets["ADQS"])}
    if "ADAE" in datasets:
        tables["adverse_events"] = _adverse_events(*datasets["ADAE"])
    if "ADLB" in datasets:
        tables["labs"] = _labs(*datasets["ADLB"])
    return RawCohort(tables=tables, source=", ".join(name for name, _ in datasets.values()))


def _read(name: str, content: bytes) -> pd.DataFrame:
    suffix = PurePath(name).suffix.lower()
    dataset = PurePath(name).stem.upper()
    try:
        if suffix in (".csv", ".txt"):
            frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False, encoding="utf-8-sig")
        else:
            frame = _read_sas(content, suffix)
    except Exception:
        raise fail(f"The {dataset} dataset could not be read: it may be damaged, or another kind of file renamed. "
                   "Write it again from SAS (XPORT version 5) or as CSV.", f"ADaM dataset {dataset} ({name})") from None
    frame.columns = [str(c).strip().upper() for c in frame.columns]
    for column in frame.columns:
        # A zero written by some SAS transport writers (IBM float, zero mantissa, non-zero exponent) is
        # decoded by pandas as ~5e-79: it is zero.
        if pd.api.types.is_float_dtype(frame[column].dtype):
            frame[column] = frame[column].mask(frame[column].abs() < 1e-60, 0.0)
    if "USUBJID" not in frame.columns:
        raise fail(f"The {dataset} dataset has no USUBJID variable: every ADaM dataset identifies its subject with USUBJID.",
                   f"ADaM dataset {dataset} ({name})")
    return frame.reset_index(drop=True)


def _read_sas(content: bytes, suffix: str) -> pd.DataFrame:
    """A SAS file read by pyreadstat from an anonymous in-memory file (memfd: nothing reaches the disk).

    pandas' own XPORT reader drops a last record ending in blanks, so it is
    only the fallback where memfd does not exist (not Linux).
    """
    import os

    import pyreadstat

    reader = pyreadstat.read_xport if suffix == ".xpt" else pyreadstat.read_sas7bdat
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("adam", os.MFD_CLOEXEC)
        try:
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view):]
            frame, _ = reader(f"/proc/self/fd/{fd}")
        finally:
            os.close(fd)
        return frame
    kind = "xport" if suffix == ".xpt" else "sas7bdat"
    try:
        return pd.read_sas(io.BytesIO(content), format=kind, encoding="utf-8")
    except UnicodeDecodeError:
        return pd.read_sas(io.BytesIO(content), format=kind, encoding="latin-1")


def _where(dataset: str, name: str, frame: pd.DataFrame) -> list[str]:
    ids = frame["USUBJID"].astype("object").map(lambda v: v.strip() if isinstance(v, str) else _text(v)).replace("", "(blank)")
    prefix = f"ADaM dataset {dataset} ({name}), record "
    return [f"{prefix}{i}, USUBJID {v}" for i, v in zip(range(1, len(ids) + 1), ids)]


def _text(value) -> str:
    if blank(value):
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _value(value):
    """A cell as the validator reads it: text trimmed, numbers kept, blanks None."""
    if blank(value):
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value.strip() if isinstance(value, str) else value


def _sas_date(value):
    value = _value(value)
    if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
        return (SAS_EPOCH + dt.timedelta(days=int(value))).isoformat()
    if isinstance(value, (dt.date, pd.Timestamp)):
        return pd.Timestamp(value).date().isoformat()
    return value


def _patients(name: str, frame: pd.DataFrame):
    contract = {c.name for c in TABLE_COLUMNS["patients"]}
    columns, labels = [], {}
    for variable in frame.columns:
        column = ADSL.get(variable) or (normalise(variable) if normalise(variable) in contract else None)
        if column and column not in columns:
            columns.append(column)
            labels[column] = variable
    rows = []
    for record in frame.to_dict("records"):
        row = {}
        for variable, column in ((labels[c], c) for c in columns):
            value = _value(record.get(variable))
            if column == "treatment_start":
                value = _sas_date(value)
            elif column in {n for n, _ in _YES_NO} and isinstance(value, str):
                value = _YES.get(value.upper(), value)
            elif column in ("sex",) and isinstance(value, str):
                value = value.upper()
            row[column] = value
        rows.append(row)
    return located_table("patients", rows, _where("ADSL", name, frame), origin=f"ADaM dataset ADSL ({name})", columns=columns, labels=labels)


_YES_NO = [(c.name, None) for c in TABLE_COLUMNS["patients"] if c.kind == "yes/no"]


def _month(record: dict) -> float | str | None:
    """AVISITN (months), else ADY (study day: day 1 = first injection), else AVISIT's name."""
    avisitn = _value(record.get("AVISITN"))
    if avisitn is not None:
        return avisitn
    ady = _value(record.get("ADY", record.get("ASTDY")))
    if isinstance(ady, str):
        try:
            ady = float(ady)
        except ValueError:
            return ady  # the validator says it is not a number, located
    if isinstance(ady, (int, float)):
        days = ady - 1 if ady > 0 else ady
        return 0.0 if days <= 0 else max(round(days / DAYS_PER_MONTH, 1), 0.1)
    avisit = _value(record.get("AVISIT"))
    if avisit is not None:
        month = visit_month(avisit)
        return month if month is not None else avisit
    return None


def _symptoms(name: str, frame: pd.DataFrame):
    """ADQS -> symptoms, column by column (a registry's ADQS has hundreds of thousands of records)."""
    def column(variable: str) -> pd.Series:
        if variable not in frame.columns:
            return pd.Series(None, index=frame.index, dtype="object")
        values = frame[variable]
        if pd.api.types.is_string_dtype(values.dtype) or values.dtype == object:
            text = values.astype("object").map(lambda v: v.decode("utf-8", "replace") if isinstance(v, bytes) else v)
            numeric = text.map(lambda v: not isinstance(v, str) and v is not None)
            stripped = text.astype("str").str.strip()
            values = stripped.astype("object").where(~numeric, text).where(stripped != "", None)
        values = values.astype("object")
        return values.where(values.notna(), None)

    symptom = column("PARAM")
    symptom = symptom.where(symptom.notna(), column("PARAMCD"))
    month = column("AVISITN")
    if month.isna().any():
        missing = month.isna()
        month[missing] = [_month({"ADY": ady, "AVISIT": avisit}) for ady, avisit in zip(column("ADY")[missing], column("AVISIT")[missing])]
    ids = column("USUBJID")
    table = pd.DataFrame({"patient_id": ids.map(lambda v: v if isinstance(v, str) or v is None else _text(v)), "symptom": symptom, "month": month, "score": column("AVAL")})
    columns = ["patient_id", "symptom", "month", "score"]
    if "PARCAT1" in frame.columns:
        table["category"] = column("PARCAT1")
        columns.append("category")
    labels = {"patient_id": "USUBJID", "symptom": "PARAM", "month": "AVISITN", "score": "AVAL", "category": "PARCAT1"}
    return located_table("symptoms", table, _where("ADQS", name, frame), origin=f"ADaM dataset ADQS ({name})", columns=columns, labels=labels)


def _adverse_events(name: str, frame: pd.DataFrame):
    rows = []
    for record in frame.to_dict("records"):
        action = _text(record.get("AEACN")).upper()
        month = _value(record.get("AEMO"))
        rows.append({
            "patient_id": _text(record.get("USUBJID")),
            "month": month if month is not None else _month({"ADY": record.get("ASTDY")}),
            "event": _value(record.get("AEDECOD")) or _value(record.get("AETERM")),
            "severity": (_value(record.get("AESEV")) or "").lower() or None,
            "serious": _YES.get(_text(record.get("AESER")).upper()),
            "flare": _YES.get(_text(record.get("AEFLARE")).upper()),
            "led_to_discontinuation": None if not action else ("yes" if action == "DRUG WITHDRAWN" else "no"),
        })
    labels = {"patient_id": "USUBJID", "month": "AEMO" if "AEMO" in frame.columns else "ASTDY", "event": "AEDECOD", "severity": "AESEV",
              "serious": "AESER", "flare": "AEFLARE", "led_to_discontinuation": "AEACN"}
    columns = [c for c, v in labels.items() if c in ("patient_id", "month", "event") or v in frame.columns]
    return located_table("adverse_events", rows, _where("ADAE", name, frame), origin=f"ADaM dataset ADAE ({name})", columns=columns, labels=labels)


def _labs(name: str, frame: pd.DataFrame):
    rows = []
    for record in frame.to_dict("records"):
        code = _text(record.get("PARAMCD"))
        rows.append({"patient_id": _text(record.get("USUBJID")), "month": _month(record),
                     "analyte": LAB_PARAMCD.get(code.upper(), code or None), "value": _value(record.get("AVAL"))})
    labels = {"patient_id": "USUBJID", "month": "AVISITN", "analyte": "PARAMCD", "value": "AVAL"}
    return located_table("labs", rows, _where("ADLB", name, frame), origin=f"ADaM dataset ADLB ({name})", columns=list(labels), labels=labels)
