"""Small hand-made cohorts whose expected results can be checked by hand.

``cohort_of`` builds a typed :class:`Cohort` directly (no file, no validator),
so engine and statistics tests state their data in a few readable lines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from omalizumab_core.data.cohort import Cohort

PATIENT_DEFAULTS = {
    "sex": "F",
    "diagnosis": "ISM",
    "kit_d816v": "positive",
    "age_at_diagnosis": 40.0,
    "age_at_treatment": 45.0,
    "center": "Paris",
    "treatment_end_month": np.nan,
    "end_reason": "ongoing",
    "last_follow_up_month": np.nan,
}


def patient(patient_id: str, **fields) -> dict:
    """One patients-table row; unspecified fields take harmless defaults."""
    row = {"patient_id": patient_id, **PATIENT_DEFAULTS, **fields}
    if not np.isnan(row["treatment_end_month"]) and row["end_reason"] == "ongoing":
        row["end_reason"] = "other"
    return row


def course(patient_id: str, histories: dict) -> list[dict]:
    """Symptom rows from {symptom: {month: score}}."""
    return [
        {"patient_id": patient_id, "symptom": symptom, "month": float(month), "score": float(score), "category": "other"}
        for symptom, by_month in histories.items()
        for month, score in by_month.items()
    ]


def cohort_of(patients: list[dict], symptom_rows: list[dict], **tables) -> Cohort:
    symptoms = pd.DataFrame(symptom_rows, columns=["patient_id", "symptom", "month", "score", "category"])
    return Cohort(patients=pd.DataFrame(patients), symptoms=symptoms, source="hand-made test cohort", **tables)


def single(histories: dict, **fields) -> Cohort:
    """A one-patient cohort (patient "P1")."""
    return cohort_of([patient("P1", **fields)], course("P1", histories))
