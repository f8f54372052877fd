"""Coded values of the data contract and their clinical labels.

One place for every code the files may hold and every label the user reads,
so the validator, the engine, the tables and the pages agree.
"""

from __future__ import annotations

from fractions import Fraction

# --- patients -------------------------------------------------------------
DIAGNOSES = ("ISM", "SSM", "CM", "MCAS", "SM-AHN", "ASM", "MCL", "other")
DIAGNOSIS_LABELS = {
    "ISM": "Indolent systemic mastocytosis (ISM)",
    "SSM": "Smoldering systemic mastocytosis (SSM)",
    "CM": "Cutaneous mastocytosis (CM)",
    "MCAS": "Mast cell activation syndrome (MCAS)",
    "SM-AHN": "SM with associated hematologic neoplasm (SM-AHN)",
    "ASM": "Aggressive systemic mastocytosis (ASM)",
    "MCL": "Mast cell leukemia (MCL)",
    "other": "Other mast cell disorder",
}

KIT_STATUSES = ("positive", "negative", "not_evaluated")
KIT_LABELS = {"positive": "KIT D816V positive", "negative": "KIT D816V negative", "not_evaluated": "KIT D816V not evaluated"}

SEXES = ("M", "F")
SEX_LABELS = {"M": "Male", "F": "Female"}

END_REASONS = (
    "ongoing",
    "lack_of_efficacy",
    "loss_of_response",
    "intolerance",
    "lost_to_follow_up",
    "pregnancy_intent",
    "other",
)
END_REASON_LABELS = {
    "ongoing": "Still treated",
    "lack_of_efficacy": "Stopped: lack of efficacy",
    "loss_of_response": "Stopped: loss of response",
    "intolerance": "Stopped: intolerance",
    "lost_to_follow_up": "Lost to follow-up",
    "pregnancy_intent": "Stopped: pregnancy intent",
    "other": "Stopped: other reason",
}

# Analysis subgroups: MCAS is split by KIT D816V into monoclonal (MMAS, a
# primary clonal disorder) and idiopathic (non-clonal) MCAS, as in Table 2.
SUBGROUPS = ("ISM", "SSM", "CM", "MMAS", "idiopathic", "SM-AHN", "ASM", "MCL", "other")
SUBGROUP_LABELS = {
    "ISM": "ISM",
    "SSM": "SSM",
    "CM": "CM",
    "MMAS": "MMAS",
    "idiopathic": "Idiopathic MCAS",
    "SM-AHN": "SM-AHN",
    "ASM": "ASM",
    "MCL": "MCL",
    "other": "Other",
}
GROUPS = ("primary", "idiopathic")
GROUP_LABELS = {"primary": "Primary (clonal) MCAS", "idiopathic": "Idiopathic MCAS"}

# --- symptoms -------------------------------------------------------------
# The paper's symptom score: each baseline symptom scores 1, then under
# treatment 1.5 worse ... 0 disappeared. Scores are whole quarters, which is
# why the engine counts in quarter units and never compares floats.
SCORE_LABELS = {
    Fraction(3, 2): "Worsening of the symptom",
    Fraction(1): "No change",
    Fraction(3, 4): "Slight improvement",
    Fraction(1, 2): "Substantial improvement",
    Fraction(1, 4): "Dramatic improvement",
    Fraction(0): "Complete disappearance of the symptom",
}
ALLOWED_SCORES = tuple(float(s) for s in SCORE_LABELS)  # 1.5, 1, 0.75, 0.5, 0.25, 0
BASELINE_SCORE = 1.0
QUARTERS_PER_POINT = 4
WORSE_QUARTERS = 6  # 1.5

CATEGORIES = (
    "general_vasomotor",
    "superficial_vasomotor",
    "gastrointestinal",
    "urinary",
    "neuropsychiatric",
    "musculoskeletal",
    "headache",
    "respiratory",
    "other",
)
CATEGORY_LABELS = {
    "general_vasomotor": "General vasomotor",
    "superficial_vasomotor": "Superficial vasomotor",
    "gastrointestinal": "Gastrointestinal",
    "urinary": "Urinary",
    "neuropsychiatric": "Neuropsychiatric",
    "musculoskeletal": "Musculoskeletal",
    "headache": "Headache",
    "respiratory": "Respiratory",
    "other": "Other",
}

# --- responses ------------------------------------------------------------
RESPONSES = ("CR", "MR", "PR", "NR")  # best first
RESPONSE_RANK = {"NR": 0, "PR": 1, "MR": 2, "CR": 3}
RESPONSE_LABELS = {"CR": "Complete response", "MR": "Major response", "PR": "Partial response", "NR": "No response"}

STATUSES = ("CR", "MR", "PR", "no_response", "loss_of_response", "intolerance", "lost_or_other")
STATUS_LABELS = {
    "CR": "Persistent complete response",
    "MR": "Persistent major response",
    "PR": "Persistent partial response",
    "no_response": "No response",
    "loss_of_response": "Loss of response",
    "intolerance": "Intolerance",
    "lost_or_other": "Lost from follow-up or other stop",
}

WORSENING_RULES = ("any_symptom", "total_score")
WORSENING_RULE_LABELS = {
    "any_symptom": "Any worsened symptom means no response (the paper's wording)",
    "total_score": "Judge on the total symptom score only",
}
# The same choices in a few words, for a select box in the sidebar (about 30 characters fit at 1280 px).
WORSENING_RULE_SHORT_LABELS = {"any_symptom": "Any worse symptom (the paper)", "total_score": "Total symptom score only"}

# --- other tables ---------------------------------------------------------
SEVERITIES = ("mild", "moderate", "severe")
ANALYTES = ("tryptase", "total_ige")
ANALYTE_LABELS = {"tryptase": "Serum tryptase (ng/mL)", "total_ige": "Total IgE (IU/mL)"}

# Anaphylaxis grades: Ring & Messmer (Lancet 1977;1:466-9) I-IV, or Brown's
# mild / moderate / severe (J Allergy Clin Immunol 2004;114:371-6). The
# system is read from the grade itself (Roman numerals or words).
ANAPHYLAXIS_GRADES = ("I", "II", "III", "IV", "mild", "moderate", "severe")
SEVERE_ANAPHYLAXIS = ("III", "IV", "severe")
"""Severe episodes: Ring & Messmer III (shock, life-threatening bronchospasm) and IV
(cardiac or respiratory arrest); Brown severe (hypoxia, hypotension or neurological
compromise)."""
ANAPHYLAXIS_WINDOW_MONTHS = 12
"""Default months before the first injection over which episodes were recorded."""
