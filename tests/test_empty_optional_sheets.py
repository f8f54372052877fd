"""An optional sheet left as the template gives it (headers only) counts as absent (issue 18, item 1)."""

from __future__ import annotations

import io

import openpyxl

import omalizumab_core as oc


def _filled_template(rows: dict[str, list[dict]]) -> bytes:
    """The app's own template with ``rows`` written under the headers of the named sheets."""
    book = openpyxl.load_workbook(io.BytesIO(oc.template_workbook()))
    for sheet, records in rows.items():
        headers = [cell.value for cell in book[sheet][1]]
        for record in records:
            book[sheet].append([record.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


PATIENTS = [{"patient_id": "P1", "diagnosis": "ISM"}, {"patient_id": "P2", "diagnosis": "CM"}]
SYMPTOMS = [
    {"patient_id": p, "symptom": "flushing", "month": m, "score": s}
    for p in ("P1", "P2")
    for m, s in ((0, 1), (3, 0.5))
]


def test_template_with_patients_and_symptoms_only_loads_without_the_empty_optional_tables():
    cohort = oc.load_upload([("filled.xlsx", _filled_template({"patients": PATIENTS, "symptoms": SYMPTOMS}))])
    assert cohort.n_patients == 2
    for table in ("doses", "adverse_events", "labs", "anaphylaxis"):
        assert getattr(cohort, table) is None  # absent, as if the sheet were not there
    said = " ".join(p.message + " " + (p.where or "") for p in cohort.warnings)
    assert "labs" in said and "sheet 'labs'" in said and "no rows" in said


def test_an_empty_required_sheet_is_still_refused():
    import pytest

    with pytest.raises(oc.CohortError) as info:
        oc.load_upload([("filled.xlsx", _filled_template({"patients": PATIENTS}))])
    assert any(p.table == "symptoms" and "no rows" in p.message for p in info.value.problems)
