"""The loaded tables in clinical words, for the Data page's preview.

Each column of the data contract gets a short header a clinician reads
("Age at first injection, years"), its contract meaning as help text, and
its template name in brackets there, so a user can still find the column in
the file. Values read as written on a chart: dates without a time, yes/no
instead of True/False, an empty cell instead of "None", coded values in
words ("lost to follow-up"). The frames themselves, and every export, keep
the contract's column names.
"""

from __future__ import annotations

import pandas as pd

from omalizumab_core.formatting import regimen
from omalizumab_core.data.codes import ANALYTE_LABELS, CATEGORY_LABELS, END_REASON_LABELS
from omalizumab_core.data.contract import TABLE_COLUMNS, YES_NO_COLUMNS

COLUMN_LABELS: dict[str, dict[str, str]] = {
    "patients": {
        "patient_id": "Patient",
        "sex": "Sex",
        "diagnosis": "Diagnosis",
        "kit_d816v": "KIT D816V",
        "age_at_diagnosis": "Age at diagnosis, years",
        "age_at_treatment": "Age at first injection, years",
        "center": "Centre",
        "treatment_start": "First injection",
        "treatment_end_month": "Last injection, month",
        "end_reason": "Reason for stopping",
        "last_follow_up_month": "Last follow-up, month",
        "baseline_tryptase": "Tryptase before, ng/mL",
        "baseline_total_ige": "Total IgE before, IU/mL",
        "prior_therapies": "Previous treatments",
        "anaphylaxis_window_before_months": "Anaphylaxis recorded before, months",
        **{name: label.split(": ")[-1] if name.startswith("who_") else label for name, label in YES_NO_COLUMNS},
    },
    "symptoms": {"patient_id": "Patient", "symptom": "Symptom", "month": "Month", "date": "Date", "score": "Score", "category": "Category"},
    "doses": {"patient_id": "Patient", "month": "From month", "dose_mg": "Dose, mg", "interval_days": "Every, days", "regimen": "Regimen"},
    "adverse_events": {
        "patient_id": "Patient", "month": "Month", "event": "Adverse event", "severity": "Severity", "serious": "Serious",
        "flare": "Flare", "led_to_discontinuation": "Omalizumab stopped",
    },
    "labs": {"patient_id": "Patient", "month": "Month", "analyte": "Test", "value": "Result"},
    "anaphylaxis": {"patient_id": "Patient", "month": "Month", "grade": "Grade", "epinephrine": "Epinephrine", "trigger": "Trigger"},
    "instrument_scores": {
        "patient_id": "Patient", "instrument": "Instrument", "item": "Item", "month": "Month", "date": "Date", "value": "Score",
    },
}
"""Table -> contract column -> short clinical header."""

_WHO = {name: label for name, label in YES_NO_COLUMNS if name.startswith("who_")}
_VALUE_WORDS = {
    "end_reason": END_REASON_LABELS,
    "category": CATEGORY_LABELS,
    "analyte": ANALYTE_LABELS,
    "sex": {"M": "Male", "F": "Female"},
    "kit_d816v": {"positive": "positive", "negative": "negative", "not_evaluated": "not evaluated"},
}


def column_label(table: str, column: str) -> str:
    """The clinical header of a column; an extra column (not in the contract) as written, underscores as spaces.

    Examples
    --------
    >>> column_label("patients", "age_at_treatment"), column_label("patients", "my_extra_field")
    ('Age at first injection, years', 'my extra field')
    """
    return COLUMN_LABELS.get(table, {}).get(column) or column.replace("_", " ")


def column_help(table: str, column: str) -> str:
    """The contract's meaning of a column and its name in the template: "Age at the first omalizumab injection, years. (age_at_treatment)".

    Examples
    --------
    >>> column_help("doses", "interval_days")
    'Days between injections. (template column: interval_days)'
    """
    if (table, column) == ("doses", "regimen"):
        return "The dose and interval in words (shown here only; not a column of the file)."
    meaning = next((c.meaning for c in TABLE_COLUMNS.get(table, ()) if c.name == column), "A column of your file, kept as an extra characteristic.")
    return f"{meaning} (template column: {column})"


def readable_table(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A loaded table as a clinician reads it; columns keep their contract names (headers come from :func:`column_label`).

    Dates become dates (no "00:00:00"), yes/no columns "yes"/"no", coded
    values words ("lost to follow-up", "Superficial vasomotor"), and a missing
    value an empty cell (not "None" or "<NA>"). Numbers stay numbers (they
    sort as numbers). A doses table gains a "regimen" column in words ("300 mg
    every 2 weeks"). The input frame is not changed.

    Examples
    --------
    >>> frame = pd.DataFrame({"treatment_start": pd.to_datetime(["2015-01-10", None]), "skin_involvement": pd.array([True, pd.NA]),
    ...                       "end_reason": ["lost_to_follow_up", None]})
    >>> readable_table("patients", frame).astype(object).where(lambda f: f.notna(), "").values.tolist()
    [[datetime.date(2015, 1, 10), 'yes', 'Lost to follow-up'], ['', '', '']]
    """
    out = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            out[column] = values.dt.date.astype(object).where(values.notna(), None)
        elif pd.api.types.is_bool_dtype(values) or _is_yes_no(values):
            out[column] = values.map({True: "yes", False: "no"}, na_action="ignore").astype("string")
        elif column in _VALUE_WORDS and not pd.api.types.is_numeric_dtype(values):
            words = _VALUE_WORDS[column]
            out[column] = values.map(lambda v: words.get(v, v), na_action="ignore").astype("string")
        elif values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            out[column] = values.astype("string")
        else:
            out[column] = values
    if table == "doses" and {"dose_mg", "interval_days"} <= set(frame.columns):
        out["regimen"] = pd.array([regimen(d, i) for d, i in zip(frame["dose_mg"], frame["interval_days"])], dtype="string")
    return pd.DataFrame(out, index=frame.index)


def _is_yes_no(values: pd.Series) -> bool:
    if values.dtype != object:
        return False
    present = values.dropna()
    return len(present) > 0 and all(isinstance(v, bool) for v in present.head(1000))
