"""The one-row-per-patient template: patient columns, then one column per symptom and visit."""

from __future__ import annotations

import io

import pandas as pd

from omalizumab_core.data.contract import TABLE_COLUMNS
from omalizumab_core.data.vocabulary import VOCABULARY

TEMPLATE_VISITS = (0, 3, 6, 12)
"""Months offered as columns; add others as <symptom>_m<month>."""

_README = (
    ("How to fill this sheet", ""),
    ("One row per patient", "The columns before the symptoms are those of the patients table (see docs/data-format.md)."),
    ("<symptom>_m0", "Baseline: 1 (or yes) when the symptom is present before omalizumab, blank or 0 when absent."),
    ("<symptom>_m3, _m6, _m12", "Score at that month: 1.5 worse, 1 no change, 0.75 slight, 0.5 substantial, 0.25 dramatic improvement, 0 disappeared; blank = not assessed."),
    ("Other months or symptoms", "Add columns named like 'rhinitis_m9' or 'Flushing M24'; unknown symptom names count as Other."),
    ("Other tables", "Doses, adverse events, labs and anaphylaxis go in sheets named doses, adverse_events, labs, anaphylaxis, one row per event (as in the long template)."),
)


def wide_template_workbook() -> bytes:
    """An .xlsx with a ``patients`` sheet (patient columns + symptom-by-visit columns) and a how-to sheet."""
    patient_columns = [c.name for c in TABLE_COLUMNS["patients"]]
    symptom_columns = [f"{s.replace(' ', '_')}_m{m}" for s in VOCABULARY for m in TEMPLATE_VISITS]
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        pd.DataFrame(columns=patient_columns + symptom_columns).to_excel(writer, sheet_name="patients", index=False)
        for table in ("doses", "adverse_events", "labs", "anaphylaxis"):
            pd.DataFrame(columns=[c.name for c in TABLE_COLUMNS[table]]).to_excel(writer, sheet_name=table, index=False)
        pd.DataFrame(_README, columns=["column", "meaning"]).to_excel(writer, sheet_name="how_to", index=False)
    return buffer.getvalue()
