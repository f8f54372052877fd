"""Files in other shapes built in code: REDCap exports, one-row-per-patient workbooks, ADaM datasets.

Each holds the same three patients as the catalogue's valid long cohort
(``tests/bad_inputs.py``: P1 ISM with flushing and diarrhea, P2 MCAS with
fatigue, stopped at month 3 for intolerance, P3 CM with pruritus), so loading
any of them must give the long cohort's per-patient results.
"""

from __future__ import annotations

import csv
import io

from omalizumab_core.data.importers.redcap_dictionary import BY_NAME, FORMS, PRIOR_THERAPIES
from tests.file_builders import xlsx_bytes

# --- REDCap --------------------------------------------------------------------------

PATIENT_FIELDS = ["sex", "diagnosis", "kit_d816v", "age_at_diagnosis", "age_at_treatment", "treatment_end_month", "end_reason", "last_follow_up_month"]
CHECKBOXES = ["prior_therapies___h1_antihistamine", "prior_therapies___imatinib"]
SYMPTOM_FIELDS = ["assessment_month", "sx_flushing", "sx_diarrhea", "sx_fatigue", "sx_pruritus"]


def _patient(pid, values, therapies):
    return {"patient_id": pid, **dict(zip(PATIENT_FIELDS, values)), **{c: ("1" if c in therapies else "0") for c in CHECKBOXES}, "patient_complete": "2"}


PATIENTS = [
    _patient("P1", ["F", "ISM", "positive", "38", "40", "", "", "12"], ["prior_therapies___h1_antihistamine"]),
    _patient("P2", ["M", "MCAS", "negative", "50", "52", "3", "intolerance", "4"], []),
    _patient("P3", ["F", "CM", "not_evaluated", "20", "25", "", "", "24"], ["prior_therapies___imatinib"]),
]
ASSESSMENTS = [  # (record, month, {field: score})
    ("P1", "0", {"sx_flushing": "1", "sx_diarrhea": "1"}),
    ("P1", "3", {"sx_flushing": "0.5", "sx_diarrhea": "0.25"}),
    ("P2", "0", {"sx_fatigue": "1"}),
    ("P2", "2", {"sx_fatigue": "1"}),
    ("P3", "0", {"sx_pruritus": "1"}),
    ("P3", "6", {"sx_pruritus": "0"}),
]
DOSES = [("P1", "0", "300", "28"), ("P2", "0", "150", "28"), ("P3", "0", "300", "14")]


def redcap_classic_rows() -> list[dict]:
    """A classic project: the patient row, then repeating assessments and doses."""
    rows = []
    for patient in PATIENTS:
        pid = patient["patient_id"]
        rows.append({**patient, "redcap_repeat_instrument": "", "redcap_repeat_instance": ""})
        for k, (record, month, scores) in enumerate([a for a in ASSESSMENTS if a[0] == pid], start=1):
            rows.append({"patient_id": pid, "redcap_repeat_instrument": "assessment", "redcap_repeat_instance": str(k),
                         "assessment_month": month, **scores, "assessment_complete": "2"})
        for k, (record, month, dose, interval) in enumerate([d for d in DOSES if d[0] == pid], start=1):
            rows.append({"patient_id": pid, "redcap_repeat_instrument": "dose", "redcap_repeat_instance": str(k),
                         "dose_month": month, "dose_mg": dose, "dose_interval_days": interval})
    return rows


def redcap_longitudinal_rows() -> list[dict]:
    """A longitudinal project: events baseline_arm_1 and month_<m>_arm_1; the assessment month left blank
    (read from the event name), doses as a repeating instrument of the baseline event, and P3's baseline
    assessment entered once as a repeat and once not (REDCap's "both repeating and not" pitfall)."""
    rows = []
    for patient in PATIENTS:
        pid = patient["patient_id"]
        mine = [a for a in ASSESSMENTS if a[0] == pid]
        baseline = mine[0][2]
        if pid == "P3":
            rows.append({**patient, "redcap_event_name": "baseline_arm_1"})
            rows.append({"patient_id": pid, "redcap_event_name": "baseline_arm_1", "redcap_repeat_instrument": "assessment",
                         "redcap_repeat_instance": "1", **baseline})
        else:
            rows.append({**patient, "redcap_event_name": "baseline_arm_1", **baseline})
        for k, (record, month, dose, interval) in enumerate([d for d in DOSES if d[0] == pid], start=1):
            rows.append({"patient_id": pid, "redcap_event_name": "baseline_arm_1", "redcap_repeat_instrument": "dose",
                         "redcap_repeat_instance": str(k), "dose_month": month, "dose_mg": dose, "dose_interval_days": interval})
        for record, month, scores in mine[1:]:
            rows.append({"patient_id": pid, "redcap_event_name": f"month_{month}_arm_1", **scores})
    return rows


def redcap_header(rows: list[dict], longitudinal: bool = False) -> list[str]:
    system = ["patient_id"] + (["redcap_event_name"] if longitudinal else []) + ["redcap_repeat_instrument", "redcap_repeat_instance"]
    fields = PATIENT_FIELDS + CHECKBOXES + ["patient_complete"] + SYMPTOM_FIELDS + ["assessment_complete", "dose_month", "dose_mg", "dose_interval_days"]
    return system + fields


def redcap_raw(rows: list[dict], *, longitudinal: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=redcap_header(rows, longitudinal), lineterminator="\r\n", extrasaction="raise")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


_SYSTEM_LABELS = {"redcap_event_name": "Event Name", "redcap_repeat_instrument": "Repeat Instrument", "redcap_repeat_instance": "Repeat Instance"}
_STATUS = {"0": "Incomplete", "1": "Unverified", "2": "Complete"}


def redcap_labels(rows: list[dict], *, longitudinal: bool = False) -> bytes:
    """The same export as REDCap's "CSV (labels)": field labels as headers, choice labels as values."""
    header = redcap_header(rows, longitudinal)
    therapy = dict(PRIOR_THERAPIES)

    def label_of(column):
        if column in _SYSTEM_LABELS:
            return _SYSTEM_LABELS[column]
        if column.endswith("_complete"):
            return "Complete?"
        if "___" in column:
            field, code = column.split("___")
            return f"{BY_NAME[field].label} (choice={therapy[code]})"
        return BY_NAME[column].label

    def value_of(column, value):
        if not value:
            return value
        if column == "redcap_repeat_instrument":
            return FORMS[value]
        if column == "redcap_event_name":
            return value.replace("_arm_1", "").replace("_", " ").title() + " (Arm 1: Arm 1)"
        if column.endswith("_complete"):
            return _STATUS[value]
        if "___" in column:
            return "Checked" if value == "1" else "Unchecked"
        field = BY_NAME.get(column)
        if field is not None and field.choices:
            return dict(field.choices)[value]
        return value

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([label_of(c) for c in header])
    for row in rows:
        writer.writerow([value_of(c, row.get(c, "")) for c in header])
    return buffer.getvalue().encode("utf-8")


# --- one row per patient -------------------------------------------------------------

WIDE_HEADER = ["patient_id", "sex", "diagnosis", "kit_d816v", "age_at_diagnosis", "age_at_treatment", "treatment_end_month", "end_reason",
               "last_follow_up_month", "flushing_m0", "Flushing M3", "diarrhea_m0", "diarrhea_m3", "fatigue_m0", "fatigue (month 2)",
               "prurit_baseline", "pruritus_m6"]


def wide_rows() -> list[list]:
    """A title row and a blank row above the header (row 3); patients on rows 4-6; columns J..Q hold symptoms."""
    return [
        ["Omalizumab registry, one row per patient"], [],
        list(WIDE_HEADER),
        ["P1", "F", "ISM", "positive", 38, 40, None, None, 12, 1, 0.5, "yes", 0.25, 0, None, None, None],
        ["P2", "M", "MCAS", "negative", 50, 52, 3, "intolerance", 4, None, None, None, None, "x", 1, None, None],
        ["P3", "F", "CM", "not_evaluated", 20, 25, None, None, 24, None, None, None, None, None, None, "oui", 0],
    ]


def wide_workbook(rows: list[list] | None = None) -> bytes:
    return xlsx_bytes({"registry": rows if rows is not None else wide_rows()})


def visit_sheets_workbook() -> bytes:
    """One sheet per visit (M0, M2, M3, M6), patients in their own sheet."""
    patients = [WIDE_HEADER[:9]] + [r[:9] for r in wide_rows()[3:]]
    return xlsx_bytes({
        "patients": patients,
        "M0": [["patient_id", "flushing", "diarrhea", "fatigue", "pruritus"], ["P1", 1, 1, 0, 0], ["P2", 0, 0, 1, 0], ["P3", 0, 0, 0, 1]],
        "Month 2": [["patient_id", "fatigue"], ["P2", 1]],
        "M3": [["patient_id", "flushing", "diarrhea"], ["P1", 0.5, 0.25]],
        "M6": [["patient_id", "pruritus"], ["P3", 0]],
    })


# --- ADaM ----------------------------------------------------------------------------


def adam_frames() -> dict:
    """ADSL, ADQS (AVISITN in months; P2's month-2 visit given only as ADY 62), ADAE, ADLB."""
    import pandas as pd

    adsl = pd.DataFrame({
        "STUDYID": ["S1"] * 3, "USUBJID": ["P1", "P2", "P3"], "SEX": ["F", "M", "F"], "DIAGCD": ["ISM", "MCAS", "CM"],
        "KITD816V": ["positive", "negative", "not_evaluated"], "DIAGAGE": [38.0, 50.0, 20.0], "AGE": [40.0, 52.0, 25.0],
        "TRTEMO": [float("nan"), 3.0, float("nan")], "DCTREAS": ["", "intolerance", ""], "LSTFUMO": [12.0, 4.0, 24.0],
    })
    adqs = pd.DataFrame({
        "USUBJID": ["P1", "P1", "P1", "P1", "P2", "P2", "P3", "P3"],
        "PARAMCD": ["FLUSH", "DIARR", "FLUSH", "DIARR", "FATIG", "FATIG", "PRURI", "PRURI"],
        "PARAM": ["flushing", "diarrhea", "flushing", "diarrhea", "fatigue", "fatigue", "pruritus", "pruritus"],
        "AVAL": [1, 1, 0.5, 0.25, 1, 1, 1, 0],
        "AVISITN": [0, 0, 3, 3, 0, float("nan"), 0, 6],
        "ADY": [-3, -3, 92, 92, -1, 62, 1, 184],
    })
    adae = pd.DataFrame({"USUBJID": ["P2"], "AEDECOD": ["urticaria"], "AEMO": [2.0], "AESEV": ["MODERATE"], "AESER": ["N"], "AEFLARE": ["N"],
                         "AEACN": ["DRUG WITHDRAWN"]})
    adlb = pd.DataFrame({"USUBJID": ["P1", "P1", "P3"], "PARAMCD": ["TRYPT", "TRYPT", "IGE"], "AVAL": [45.2, 30.1, 120.0], "AVISITN": [0, 6, 0]})
    return {"adsl": adsl, "adqs": adqs, "adae": adae, "adlb": adlb}


def adam_xpt(frames: dict | None = None) -> list[tuple[str, bytes]]:
    """The datasets as SAS transport (version 5) files, written by pyreadstat in a temporary folder and read back."""
    import tempfile
    from pathlib import Path

    import pyreadstat

    out = []
    with tempfile.TemporaryDirectory() as folder:
        for name, frame in (frames or adam_frames()).items():
            path = Path(folder) / f"{name}.xpt"
            pyreadstat.write_xport(frame, str(path), table_name=name.upper(), file_format_version=5)
            out.append((f"{name}.xpt", path.read_bytes()))
    return out
