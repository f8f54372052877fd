"""The MDT candidate form and its one-line summary (collapsed once the candidate is entered).

The candidate lives in ``st.session_state`` only (never in the cohort). While
a candidate is shown the form is collapsed to one line with a "Change the
candidate" button that reopens it; pressing "Find comparable patients"
collapses it again, so the answer is the first thing on screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from omalizumab_core.analyses.comparable import DEFAULT_K
from omalizumab_core.data.codes import CATEGORY_LABELS, DIAGNOSES, DIAGNOSIS_LABELS, KIT_LABELS, KIT_STATUSES, SEX_LABELS, SEXES

from . import session
from .text import plain

if TYPE_CHECKING:
    from omalizumab_core.analyses import candidate as mdt

CANDIDATE, K, EDITING = "mdt_candidate", "mdt_k_applied", "mdt_editing"  # session state only, never the cohort
_YES_NO = {None: "Not used", True: "Yes", False: "No"}


def candidate_form() -> tuple[mdt.Candidate | None, int]:
    """Draw the form (or its one-line summary); return the applied candidate and k."""
    from omalizumab_core.analyses import candidate as mdt  # scipy: imported when the form is drawn

    candidate = st.session_state.get(CANDIDATE)
    k = st.session_state.get(K, DEFAULT_K)
    if candidate is not None and not st.session_state.get(EDITING, False):
        text, button = st.columns([3, 1], vertical_alignment="center")
        text.markdown(f"**Candidate:** {plain(mdt.candidate_summary(candidate), limit=600)} · k = {k}")
        if button.button("Change candidate", key="mdt_edit", icon=":material/edit:", width="stretch"):
            st.session_state[EDITING] = True
            st.rerun()
        return candidate, k
    _form(candidate or mdt.Candidate("ISM", "positive"), k)
    return candidate, k


def _form(before: mdt.Candidate, k: int) -> None:
    from omalizumab_core.analyses import candidate as mdt  # scipy: imported when the form is drawn

    extras = dict(before.extras)
    with st.form("mdt_form"):
        c1, c2, c3, c4, c5 = st.columns([3, 2, 2, 2, 2])
        diagnosis = c1.selectbox("Diagnosis", DIAGNOSES, DIAGNOSES.index(before.diagnosis), DIAGNOSIS_LABELS.get, key="mdt_diagnosis")
        kit = c2.selectbox("KIT D816V", KIT_STATUSES, KIT_STATUSES.index(before.kit_d816v), KIT_LABELS.get, key="mdt_kit")
        age = c3.number_input("Age (years)", 0, 120, None if before.age is None else int(before.age), key="mdt_age")
        sex = c4.selectbox("Sex", SEXES, SEXES.index(before.sex) if before.sex else None, SEX_LABELS.get, key="mdt_sex", placeholder="Not given")
        new_k = c5.number_input("Closest patients (k)", 1, 500, int(k), key="mdt_k",
                                help=f"How many of the closest patients to show (default {DEFAULT_K}); ties at the k-th place are all included.")
        st.markdown("**Symptoms at baseline**")
        columns, chosen = st.columns(3), []
        for i, (category, names) in enumerate(mdt.symptom_checklist(session.cohort().symptoms).items()):
            chosen += columns[i % 3].multiselect(CATEGORY_LABELS[category], names, [s for s in names if s in before.symptoms],
                                                 key=f"mdt_symptoms_{category}", placeholder="None")
        picked = {}
        with st.expander("Also match on (optional)"):
            columns = st.columns(len(mdt.EXTRA_CHARACTERISTICS))
            for column, (key, (label, kind)) in zip(columns, mdt.EXTRA_CHARACTERISTICS.items()):
                if kind == "yes/no":
                    picked[key] = column.selectbox(label, list(_YES_NO), list(_YES_NO).index(extras.get(key)), _YES_NO.get, key=f"mdt_extra_{key}")
                else:
                    picked[key] = column.number_input(label, 0.1, 10_000.0, extras.get(key), key=f"mdt_extra_{key}", placeholder="Not used")
        if st.form_submit_button("Find comparable patients", type="primary"):
            st.session_state[CANDIDATE] = mdt.Candidate(diagnosis, kit, age, sex, tuple(chosen), tuple(picked.items()))
            st.session_state[K] = int(new_k)
            st.session_state[EDITING] = False
            st.rerun()
