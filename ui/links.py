"""Links between pages that carry a selection (a patient) in the URL."""

from __future__ import annotations

import streamlit as st

from .charts import restore_text

PATIENT_PAGE = "views/patient.py"
PATIENT_PARAM = "patient"


def open_patient(patient_id: str) -> None:
    """Go to the Patient page for ``patient_id``, keeping the filters in the URL."""
    params = {key: st.query_params.get_all(key) for key in st.query_params if key != PATIENT_PARAM}
    params[PATIENT_PARAM] = str(patient_id)
    st.switch_page(PATIENT_PAGE, query_params=params)


def selected_point_ids(event) -> list[str]:
    """Patient ids of the points a user clicked in a plotly chart (``customdata[0]``)."""
    if not event or not getattr(event, "selection", None):
        return []
    points = event.selection.get("points", []) if isinstance(event.selection, dict) else event.selection.points
    ids = []
    for point in points:
        custom = point.get("customdata") if isinstance(point, dict) else None
        if custom:
            ids.append(restore_text(str(custom[0] if isinstance(custom, (list, tuple)) else custom)))
    return ids
