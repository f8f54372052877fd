"""The data contract: every table and column a cohort file may hold.

The single source of truth for the validator, the template workbook, the data
dictionary and docs/data-format.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from omalizumab_core.data.codes import ANALYTES, ANAPHYLAXIS_GRADES, CATEGORIES, DIAGNOSES, END_REASONS, KIT_STATUSES, SEVERITIES, SEXES

# Kinds of column, each with its own parser in validation.py.
ID, TEXT, CODE, NUMBER, YESNO, DATE = "id", "text", "code", "number", "yes/no", "date"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    meaning: str
    required: bool = False
    codes: tuple = ()
    low: float | None = None
    high: float | None = None
    synonyms: dict = field(default_factory=dict)

    def allowed(self) -> str:
        if self.kind == CODE:
            return ", ".join(self.codes)
        if self.kind == YESNO:
            return "yes, no (blank = not evaluated)"
        if self.kind == NUMBER:
            bounds = []
            if self.low is not None:
                bounds.append(f"≥ {self.low:g}")
            if self.high is not None:
                bounds.append(f"≤ {self.high:g}")
            return "number " + " and ".join(bounds) if bounds else "number"
        if self.kind == DATE:
            return "date (2016-03-14, 14/03/2016 or an Excel date)"
        return "text"


_DIAGNOSIS_SYNONYMS = {"sm_ahn": "SM-AHN", "smahn": "SM-AHN", "mmas": "MCAS", "sca": "MCAS", "mi": "ISM", "msi": "ISM", "mc": "CM"}
_KIT_SYNONYMS = {
    "pos": "positive", "+": "positive", "positif": "positive", "positive": "positive", "yes": "positive",
    "neg": "negative", "negatif": "negative", "négatif": "negative", "negative": "negative", "no": "negative",
    "ne": "not_evaluated", "not_done": "not_evaluated", "non_evalue": "not_evaluated", "non_évalué": "not_evaluated",
    "unknown": "not_evaluated", "not_evaluated": "not_evaluated",
}
_SEX_SYNONYMS = {"m": "M", "male": "M", "man": "M", "h": "M", "homme": "M", "f": "F", "female": "F", "woman": "F", "femme": "F"}
_END_SYNONYMS = {"lost_to_followup": "lost_to_follow_up", "lost": "lost_to_follow_up", "pregnancy": "pregnancy_intent", "still_treated": "ongoing", "inefficacy": "lack_of_efficacy"}
_GRADE_SYNONYMS = {
    "1": "I", "2": "II", "3": "III", "4": "IV", "grade_1": "I", "grade_2": "II", "grade_3": "III", "grade_4": "IV",
    "grade_i": "I", "grade_ii": "II", "grade_iii": "III", "grade_iv": "IV", "leger": "mild", "léger": "mild",
    "modere": "moderate", "modéré": "moderate", "severe": "severe", "sévère": "severe", "grave": "severe",
}
_ANALYTE_SYNONYMS = {"tryptase": "tryptase", "serum_tryptase": "tryptase", "ige": "total_ige", "total_ige": "total_ige", "ige_totales": "total_ige"}

YES_NO_COLUMNS = (
    ("skin_involvement", "Skin involvement"),
    ("maculopapular_cm", "Maculopapular cutaneous mastocytosis"),
    ("bone_marrow_involvement", "Bone marrow involvement"),
    ("decreased_bone_density", "Decreased bone density"),
    ("who_dense_infiltrates", "WHO major criterion: multifocal dense infiltrates of ≥ 15 mast cells"),
    ("who_atypical_morphology", "WHO minor criterion: > 25 % atypical or spindle-shaped mast cells"),
    ("who_kit_816", "WHO minor criterion: KIT codon 816 mutation"),
    ("who_cd2_cd25", "WHO minor criterion: mast cells expressing CD2 and/or CD25"),
)

MONTH = dict(low=0, high=600)

TABLE_COLUMNS: dict[str, tuple[Column, ...]] = {
    "patients": (
        Column("patient_id", ID, "Pseudonymous patient identifier, unique (never a name).", required=True),
        Column("sex", CODE, "M or F.", codes=SEXES, synonyms=_SEX_SYNONYMS),
        Column("diagnosis", CODE, "Mast cell disorder (WHO 2016).", required=True, codes=DIAGNOSES, synonyms=_DIAGNOSIS_SYNONYMS),
        Column("kit_d816v", CODE, "KIT D816V mutation; blank = not evaluated. MCAS + positive is MMAS.", codes=KIT_STATUSES, synonyms=_KIT_SYNONYMS),
        Column("age_at_diagnosis", NUMBER, "Age at diagnosis, years.", low=0, high=120),
        Column("age_at_treatment", NUMBER, "Age at the first omalizumab injection, years.", low=0, high=120),
        Column("center", TEXT, "Treating centre."),
        Column("treatment_start", DATE, "Date of the first injection (needed only when symptoms use dates)."),
        Column("treatment_end_month", NUMBER, "Month of the last injection, since the first; blank = still treated.", **MONTH),
        Column("end_reason", CODE, "Why omalizumab stopped; blank or ongoing = still treated.", codes=END_REASONS, synonyms=_END_SYNONYMS),
        Column("last_follow_up_month", NUMBER, "Month of the last follow-up, since the first injection.", **MONTH),
        Column("baseline_tryptase", NUMBER, "Serum tryptase before treatment, ng/mL.", low=0),
        Column("baseline_total_ige", NUMBER, "Total IgE before treatment, IU/mL.", low=0),
        Column("prior_therapies", TEXT, "Previous treatments, separated by semicolons."),
        Column("anaphylaxis_window_before_months", NUMBER, "Months before the first injection over which anaphylaxis episodes were recorded; blank = 12.", low=0, high=600),
        *(Column(name, YESNO, label + ".") for name, label in YES_NO_COLUMNS),
    ),
    "symptoms": (
        Column("patient_id", ID, "Patient identifier, as in the patients table.", required=True),
        Column("symptom", TEXT, "Symptom name, in English or French.", required=True),
        Column("month", NUMBER, "Months since the first injection; 0 = baseline. Or give a date column.", **MONTH),
        Column("date", DATE, "Assessment date, instead of month (needs patients.treatment_start)."),
        Column("score", NUMBER, "Baseline 1; then 1.5 worse, 1 no change, 0.75 slight, 0.5 substantial, 0.25 dramatic improvement, 0 disappeared.", required=True),
        Column("category", CODE, "Optional: overrides the symptom's category.", codes=CATEGORIES),
    ),
    "doses": (
        Column("patient_id", ID, "Patient identifier.", required=True),
        Column("month", NUMBER, "Month this regimen starts.", required=True, **MONTH),
        Column("dose_mg", NUMBER, "Dose per injection, mg.", required=True, low=0),
        Column("interval_days", NUMBER, "Days between injections.", required=True, low=0),
    ),
    "adverse_events": (
        Column("patient_id", ID, "Patient identifier.", required=True),
        Column("month", NUMBER, "Month of the event (0 = at the first injection).", required=True, **MONTH),
        Column("event", TEXT, "What happened, in words.", required=True),
        Column("severity", CODE, "mild, moderate or severe.", codes=SEVERITIES, synonyms={"leger": "mild", "modere": "moderate", "severe": "severe", "grave": "severe"}),
        Column("serious", YESNO, "Serious adverse event."),
        Column("flare", YESNO, "Flare of mast cell symptoms after an injection."),
        Column("led_to_discontinuation", YESNO, "Omalizumab was stopped because of it."),
    ),
    "labs": (
        Column("patient_id", ID, "Patient identifier.", required=True),
        Column("month", NUMBER, "Month of the sample (0 = before treatment).", required=True, **MONTH),
        Column("analyte", CODE, "tryptase or total_ige.", required=True, codes=ANALYTES, synonyms=_ANALYTE_SYNONYMS),
        Column("value", NUMBER, "Result (tryptase ng/mL, total IgE IU/mL).", required=True, low=0),
    ),
    "anaphylaxis": (
        Column("patient_id", ID, "Patient identifier.", required=True),
        Column("month", NUMBER, "Month of the episode since the first injection; negative = before treatment (-6 = six months before).", required=True, low=-600, high=600),
        Column("grade", CODE, "Ring and Messmer I, II, III, IV, or Brown mild, moderate, severe.", codes=ANAPHYLAXIS_GRADES, synonyms=_GRADE_SYNONYMS),
        Column("epinephrine", YESNO, "Epinephrine (adrenaline) was given for the episode."),
        Column("trigger", TEXT, "What set it off, if known (free text)."),
    ),
    "instrument_scores": (
        Column("patient_id", ID, "Patient identifier.", required=True),
        Column("instrument", TEXT, "Instrument id, as in its definition file (see docs/instruments.md).", required=True),
        Column("item", TEXT, "Item id, domain id, or total, as in the instrument's definition.", required=True),
        Column("month", NUMBER, "Months since the first injection; 0 = baseline. Or give a date column.", **MONTH),
        Column("date", DATE, "Date the questionnaire was filled in, instead of month (needs patients.treatment_start)."),
        Column("value", NUMBER, "Score of the item, domain or total, in the range its definition allows.", required=True),
    ),
}

REQUIRED_TABLES = ("patients", "symptoms")

def data_dictionary() -> pd.DataFrame:
    """Every column of the contract, for the template and the documentation."""
    rows = [
        (table, c.name, "yes" if c.required else "no", c.kind, c.allowed(), c.meaning)
        for table, columns in TABLE_COLUMNS.items()
        for c in columns
    ]
    return pd.DataFrame(rows, columns=["table", "column", "required", "type", "allowed values", "meaning"])
