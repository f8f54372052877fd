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
_DIAGNOSIS_SHORT = {
    "ISM": "ISM (indolent SM)", "SSM": "SSM (smoldering SM)", "CM": "CM (cutaneous)", "MCAS": "MCAS", "SM-AHN": "SM-AHN",
    "ASM": "ASM (aggressive SM)", "MCL": "MCL (leukemia)", "other": "Other disorder",
}
_KIT_SHORT = {status: KIT_LABELS[status].removeprefix("KIT D816V ").capitalize() for status in KIT_STATUSES}  # the label says KIT D816V


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
    # KIT D816V not evaluated unless entered, as on the command line (--kit defaults to not_evaluated).
    _form(candidate or mdt.Candidate("ISM", "not_evaluated"), k)
    return candidate, k


def _form(before: mdt.Candidate, k: int) -> None:
    from omalizumab_core.analyses import candidate as mdt  # scipy: imported when the form is drawn

    extras = dict(before.extras)
    with st.form("mdt_form"):
        # One row, so the answer is on screen once the form collapses; short option labels (the full names in the
        # help) so none is cut at 1280 px.
        c1, c2, c3, c4, c5 = st.columns([4, 2.5, 1.6, 1.9, 2])
        diagnosis = c1.selectbox("Diagnosis", DIAGNOSES, DIAGNOSES.index(before.diagnosis), _DIAGNOSIS_SHORT.get, key="mdt_diagnosis",
                                 help=" · ".join(DIAGNOSIS_LABELS[d] for d in DIAGNOSES))
        kit = c2.selectbox("KIT D816V", KIT_STATUSES, KIT_STATUSES.index(before.kit_d816v), _KIT_SHORT.get, key="mdt_kit")
        age = c3.number_input("Age (years)", 0, 120, None if before.age is None else int(before.age), key="mdt_age")
        sex = c4.selectbox("Sex", SEXES, SEXES.index(before.sex) if before.sex else None, SEX_LABELS.get, key="mdt_sex", placeholder="Not given")
        new_k = c5.number_input("Closest (k)", 1, 500, int(k), key="mdt_k",
                                help=f"How many of the closest patients to show (default {DEFAULT_K}); a tie at the k-th place is broken by patient identifier.")
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
                    picked[key] = column.number_input(label, *mdt.TRYPTASE_RANGE, extras.get(key), key=f"mdt_extra_{key}", placeholder="Not used")
        if st.form_submit_button("Find comparable patients", type="primary"):
            st.session_state[CANDIDATE] = mdt.Candidate(diagnosis, kit, age, sex, tuple(chosen), tuple(picked.items()))
            st.session_state[K] = int(new_k)
            st.session_state[EDITING] = False
            st.rerun()
