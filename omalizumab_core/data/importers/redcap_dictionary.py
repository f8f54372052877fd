"""The REDCap data dictionary that sets up a registry in the dashboard's shape.

Upload :func:`redcap_dictionary_csv` in REDCap (Project Setup > Data
Dictionary > Upload) to create six instruments: ``patient`` (one per
record: the patients table) and five instruments to enable as *repeating*:
``assessment`` (one per visit, a field per symptom scored with the paper's
six choices), ``dose``, ``adverse_event``, ``lab`` and ``anaphylaxis_episode``.
Choice codes are the dashboard's own codes, so a raw export needs no
translation; a labels export is translated back with the same dictionary.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from omalizumab_core.data.codes import (
    ANALYTES,
    ANAPHYLAXIS_GRADES,
    CATEGORIES,
    CATEGORY_LABELS,
    DIAGNOSIS_LABELS,
    END_REASON_LABELS,
    END_REASONS,
    SEVERITIES,
)
from omalizumab_core.data.contract import YES_NO_COLUMNS
from omalizumab_core.data.vocabulary import VOCABULARY

HEADER = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
    "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
    "Field Annotation",
)
"""The columns of a REDCap data dictionary, as REDCap writes and reads them."""

FORMS = {
    "patient": "Patient",
    "assessment": "Assessment",
    "dose": "Dose",
    "adverse_event": "Adverse event",
    "lab": "Lab",
    "anaphylaxis_episode": "Anaphylaxis episode",
}
"""Instrument name -> label; every instrument but ``patient`` is repeating."""
FORM_TABLE = {"patient": "patients", "assessment": "symptoms", "dose": "doses", "adverse_event": "adverse_events", "lab": "labs", "anaphylaxis_episode": "anaphylaxis"}

OTHER_SLOTS = 5
"""Free "other symptom" fields per assessment."""

SCORE_CHOICES = (
    ("1.5", "Worse"),
    ("1", "Present at baseline / no change"),
    ("0.75", "Slight improvement"),
    ("0.5", "Substantial improvement"),
    ("0.25", "Dramatic improvement"),
    ("0", "Disappeared"),
)
PRIOR_THERAPIES = (
    ("h1_antihistamine", "H1 antihistamine"), ("h2_antihistamine", "H2 antihistamine"), ("montelukast", "montelukast"),
    ("sodium_cromoglycate", "sodium cromoglycate"), ("corticosteroids", "corticosteroids"), ("imatinib", "imatinib"),
    ("masitinib", "masitinib"), ("midostaurin", "midostaurin"), ("cladribine", "cladribine"),
    ("interferon", "interferon"), ("rapamycin", "rapamycin"),
)


@dataclass(frozen=True)
class Field:
    """One REDCap field and the dashboard column it fills."""

    name: str
    form: str
    kind: str  # text, notes, radio, dropdown, checkbox, yesno
    label: str
    column: str | None = None  # contract column; None for symptom and other-symptom fields
    choices: tuple = ()
    validation: str = ""
    note: str = ""
    symptom: str | None = None  # canonical symptom of an sx_ field


def symptom_field(symptom: str) -> str:
    """The field of a vocabulary symptom: "cystitis-like pain" -> "sx_cystitis_like_pain"."""
    return "sx_" + re.sub(r"[^a-z0-9]+", "_", symptom.lower()).strip("_")


def _yes_no(name: str, form: str, label: str, column: str) -> Field:
    return Field(name, form, "yesno", label, column)


def _fields() -> tuple[Field, ...]:
    number = "number"
    fields = [
        Field("patient_id", "patient", "text", "Patient ID (pseudonymous, never a name)", "patient_id"),
        Field("sex", "patient", "radio", "Sex", "sex", (("M", "Male"), ("F", "Female"))),
        Field("diagnosis", "patient", "dropdown", "Diagnosis (WHO 2016)", "diagnosis",
              tuple((code.replace("-", "_"), DIAGNOSIS_LABELS.get(code, code)) for code in DIAGNOSIS_LABELS)),
        Field("kit_d816v", "patient", "radio", "KIT D816V mutation", "kit_d816v",
              (("positive", "Positive"), ("negative", "Negative"), ("not_evaluated", "Not evaluated"))),
        Field("age_at_diagnosis", "patient", "text", "Age at diagnosis (years)", "age_at_diagnosis", validation=number),
        Field("age_at_treatment", "patient", "text", "Age at the first omalizumab injection (years)", "age_at_treatment", validation=number),
        Field("center", "patient", "text", "Treating centre", "center"),
        Field("treatment_start", "patient", "text", "Date of the first injection", "treatment_start", validation="date_ymd"),
        Field("treatment_end_month", "patient", "text", "Month of the last injection (blank = still treated)", "treatment_end_month", validation=number),
        Field("end_reason", "patient", "dropdown", "Why omalizumab stopped", "end_reason", tuple((c, END_REASON_LABELS.get(c, c)) for c in END_REASONS)),
        Field("last_follow_up_month", "patient", "text", "Month of the last follow-up", "last_follow_up_month", validation=number),
        Field("baseline_tryptase", "patient", "text", "Serum tryptase before treatment (ng/mL)", "baseline_tryptase", validation=number),
        Field("baseline_total_ige", "patient", "text", "Total IgE before treatment (IU/mL)", "baseline_total_ige", validation=number),
        Field("prior_therapies", "patient", "checkbox", "Treatments before omalizumab", "prior_therapies", PRIOR_THERAPIES),
        Field("prior_therapies_other", "patient", "text", "Other treatments before omalizumab (separated by semicolons)", None),
        Field("anaphylaxis_window_before_months", "patient", "text", "Months before the first injection over which anaphylaxis was recorded (blank = 12)",
              "anaphylaxis_window_before_months", validation=number),
    ]
    fields += [_yes_no(name, "patient", label, name) for name, label in YES_NO_COLUMNS]
    fields += [
        Field("assessment_month", "assessment", "text", "Assessment month (0 = baseline, before the first injection)", "month", validation=number,
              note="Or give the date below. At baseline every symptom present scores 1."),
        Field("assessment_date", "assessment", "text", "Assessment date", "date", validation="date_ymd"),
    ]
    fields += [Field(symptom_field(s), "assessment", "radio", s[0].upper() + s[1:], None, SCORE_CHOICES, symptom=s) for s in VOCABULARY]
    categories = tuple((c, CATEGORY_LABELS[c]) for c in CATEGORIES)
    for k in range(1, OTHER_SLOTS + 1):
        fields += [
            Field(f"other_symptom_{k}", "assessment", "text", f"Other symptom {k} (name)", None),
            Field(f"other_category_{k}", "assessment", "dropdown", f"Other symptom {k} category", None, categories),
            Field(f"other_score_{k}", "assessment", "radio", f"Other symptom {k} score", None, SCORE_CHOICES),
        ]
    fields += [
        Field("dose_month", "dose", "text", "Month this regimen starts", "month", validation=number),
        Field("dose_mg", "dose", "text", "Dose per injection (mg)", "dose_mg", validation=number),
        Field("dose_interval_days", "dose", "text", "Days between injections", "interval_days", validation=number),
        Field("ae_month", "adverse_event", "text", "Month of the adverse event", "month", validation=number),
        Field("ae_event", "adverse_event", "text", "Adverse event (in words)", "event"),
        Field("ae_severity", "adverse_event", "radio", "Severity", "severity", tuple((s, s.capitalize()) for s in SEVERITIES)),
        _yes_no("ae_serious", "adverse_event", "Serious adverse event", "serious"),
        _yes_no("ae_flare", "adverse_event", "Flare of mast cell symptoms after an injection", "flare"),
        _yes_no("ae_led_to_discontinuation", "adverse_event", "Omalizumab stopped because of it", "led_to_discontinuation"),
        Field("lab_month", "lab", "text", "Month of the sample (0 = before treatment)", "month", validation=number),
        Field("lab_analyte", "lab", "radio", "Analyte", "analyte", (("tryptase", "Serum tryptase (ng/mL)"), ("total_ige", "Total IgE (IU/mL)"))),
        Field("lab_value", "lab", "text", "Result", "value", validation=number),
        Field("ana_month", "anaphylaxis_episode", "text", "Month of the episode (negative = before treatment)", "month", validation=number),
        Field("ana_grade", "anaphylaxis_episode", "dropdown", "Grade (Ring and Messmer I-IV or Brown)", "grade", tuple((g, g) for g in ANAPHYLAXIS_GRADES)),
        _yes_no("ana_epinephrine", "anaphylaxis_episode", "Epinephrine given", "epinephrine"),
        Field("ana_trigger", "anaphylaxis_episode", "text", "Trigger, if known", "trigger"),
    ]
    assert len({f.label.lower() for f in fields}) == len(fields), "labels must be unique to read labels exports"
    return tuple(fields)


FIELDS = _fields()
BY_NAME = {f.name: f for f in FIELDS}
RECORD_ID = "patient_id"
_ANALYTES = ANALYTES  # kept for the docs: the lab_analyte codes are the dashboard's analytes


def redcap_dictionary() -> list[list[str]]:
    """The dictionary rows (header first), as REDCap's "Upload data dictionary" expects."""
    rows = [list(HEADER)]
    for f in FIELDS:
        choices = " | ".join(f"{code}, {label}" for code, label in f.choices)
        row = [f.name, f.form, "", f.kind, f.label, choices, f.note, f.validation, "", "", "", "",
               "y" if f.name in ("patient_id", "diagnosis") else "", "", "", "", "", ""]
        rows.append(row)
    return rows


def redcap_dictionary_csv() -> bytes:
    """The data dictionary as CSV bytes (UTF-8), ready to upload in REDCap.

    Examples
    --------
    >>> from omalizumab_core.data.importers.redcap_dictionary import redcap_dictionary_csv
    >>> redcap_dictionary_csv().decode().splitlines()[1]
    'patient_id,patient,,text,"Patient ID (pseudonymous, never a name)",,,,,,,,y,,,,,'
    """
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(redcap_dictionary())
    return buffer.getvalue().encode("utf-8")
