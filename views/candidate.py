"""MDT candidate: what happened to comparable patients of the cohort (observed frequencies, not a prediction)."""

import streamlit as st

from omalizumab_core.analyses import candidate as mdt
from omalizumab_core.data.codes import CATEGORY_LABELS, DIAGNOSES, DIAGNOSIS_LABELS, KIT_LABELS, KIT_STATUSES, SEX_LABELS, SEXES
from omalizumab_core.outputs.figures import candidate as figures
from omalizumab_core.outputs.report import candidate_report
from ui import session
from ui.charts import show_figure
from ui.links import open_patient
from ui.page import filtered_cohort, metric_row
from ui.filters import current_description
from ui.report import report_download

CANDIDATE, MIN_SHARED = "mdt_candidate", "mdt_min_shared_applied"  # session state only, never the cohort
scored = filtered_cohort("MDT candidate", "Describe a patient discussed for omalizumab and see what happened to comparable "
                         "patients of the cohort. The candidate stays in this browser session; it is never added to the cohort.")
before = st.session_state.get(CANDIDATE) or mdt.Candidate("ISM", "positive")

with st.form("mdt_form"):
    c1, c2, c3, c4 = st.columns(4)
    diagnosis = c1.selectbox("Diagnosis", DIAGNOSES, DIAGNOSES.index(before.diagnosis), DIAGNOSIS_LABELS.get, key="mdt_diagnosis")
    kit = c2.selectbox("KIT D816V", KIT_STATUSES, KIT_STATUSES.index(before.kit_d816v), KIT_LABELS.get, key="mdt_kit")
    age = c3.number_input("Age (years)", 0, 120, None if before.age is None else int(before.age), key="mdt_age")
    sex = c4.selectbox("Sex", SEXES, SEXES.index(before.sex) if before.sex else None, SEX_LABELS.get, key="mdt_sex", placeholder="Not given")
    st.markdown("**Symptoms at baseline**")
    columns, chosen = st.columns(3), []
    for i, (category, names) in enumerate(mdt.symptom_checklist(session.cohort().symptoms).items()):
        chosen += columns[i % 3].multiselect(CATEGORY_LABELS[category], names, [s for s in names if s in before.symptoms],
                                             key=f"mdt_symptoms_{category}", placeholder="None")
    min_shared = st.number_input("Keep only patients sharing at least this many symptoms (0: every patient of the same group)",
                                 0, 50, st.session_state.get(MIN_SHARED, 0), key="mdt_min_shared")
    if st.form_submit_button("Find comparable patients", type="primary"):
        st.session_state[CANDIDATE] = mdt.Candidate(diagnosis, kit, age, sex, tuple(chosen))
        st.session_state[MIN_SHARED] = int(min_shared)

candidate = st.session_state.get(CANDIDATE)
if candidate is None:
    st.info("Enter the candidate's diagnosis and symptoms, then press **Find comparable patients**.")
    st.stop()
a = mdt.assess_candidate(scored, candidate, min_shared=st.session_state.get(MIN_SHARED, 0))

st.subheader("Comparable patients")
st.dataframe(mdt.describe_candidate(candidate), hide_index=True)
st.caption(mdt.comparable_rule(a.min_shared))
metric_row(mdt.headline(len(a.comparable), a.outcomes), per_row=3)
if a.outcomes is None:
    st.info(a.reason, icon=":material/info:")
st.markdown(f"**{a.statement}**")
picked = st.dataframe(mdt.format_comparable(a.comparable), hide_index=True, on_select="rerun", selection_mode="single-row", key="mdt_comparable")
st.caption("Select a row to open that patient's course.")
if picked and picked.selection.rows:
    open_patient(a.comparable["patient_id"].iloc[picked.selection.rows[0]])

if a.outcomes is not None:
    st.subheader("Outcomes of the comparable patients")
    st.dataframe(mdt.format_candidate_outcomes(a.outcomes), hide_index=True)
    show_figure(figures.comparable_response_rates(a.outcomes.rates, a.outcomes.n), "candidate_response")

st.subheader("Evolution of the candidate's symptoms in the cohort")
st.caption("Among all selected patients with the symptom at baseline, from its recorded scores on treatment: improved = lowest score "
           "below 1; disappeared = a score of 0; worsened = a score of 1.5 at any assessment.")
st.dataframe(mdt.format_symptom_outcomes(a.symptoms), hide_index=True)
if (a.symptoms["patients"] > 0).any():
    show_figure(figures.symptom_evolution(a.symptoms), "candidate_symptoms")

st.subheader("Safety signals among the comparable patients")
st.dataframe(mdt.format_safety(a.safety), hide_index=True)
st.info(f"“{mdt.STUDY_SCHEME}”\n\n*{mdt.STUDY_SCHEME_SOURCE}*", icon=":material/format_quote:")
filters = current_description()
report_download(lambda: candidate_report(scored, candidate, filters=filters, source=scored.cohort.source, assessment=a), "mdt_candidate_report")
