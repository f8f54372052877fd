"""MDT candidate: what happened to comparable patients of the cohort (observed frequencies, not a prediction)."""

import streamlit as st

import omalizumab_core as oc
from omalizumab_core.analyses import candidate as mdt
from ui.beyond_score import beyond_score
from ui.code import show_code
from ui.candidate_form import candidate_form
from ui.charts import show_figure
from ui.filters import current_description
from ui.links import open_patient
from ui.page import filtered_cohort, metric_row
from ui.report import report_download

scored = filtered_cohort("MDT candidate", "What happened to cohort patients like the candidate: observed frequencies, not a prediction. "
                         "The candidate stays in this browser session; it is never added to the cohort.")
candidate, k = candidate_form()
if candidate is None:
    st.info("Enter the candidate's diagnosis and symptoms, then press **Find comparable patients**.")
    st.stop()
a = oc.assess_candidate(scored, candidate, k=k)

metric_row(mdt.headline(len(a.comparable), a.outcomes), per_row=4)
if a.outcomes is None:
    st.info(a.reason, icon=":material/info:")
st.markdown(f"**{a.statement}** {oc.relaxation_summary(a.found)}")
st.table(oc.format_sensitivity(a.sensitivity, candidate), hide_index=True)  # a table wraps its headers: fits 1280 px
show_code("candidate_sensitivity", candidate=candidate, k=k)
st.caption("Sensitivity: the same figures for the whole subgroup and the whole selection. If they agree with the comparable "
           "patients, matching adds little beyond the base rate. Exact (Clopper–Pearson) 95 % intervals.")

st.subheader("Comparable patients")
picked = st.dataframe(oc.format_comparable(a.comparable), hide_index=True, on_select="rerun", selection_mode="single-row", key="mdt_comparable")
show_code("candidate_comparable", candidate=candidate, k=k)
st.caption("Select a row to open that patient's course.")
if picked and picked.selection.rows:
    open_patient(a.comparable["patient_id"].iloc[picked.selection.rows[0]])
with st.expander("How the comparable patients were chosen"):
    st.markdown(oc.matching_rule(a.k))
    st.dataframe(oc.format_relaxation(a.relaxation, a.k), hide_index=True)
    show_code("candidate_relaxation", candidate=candidate, k=k)
    st.dataframe(a.found.symptom_weights.rename(columns={"symptom": "Candidate's symptom", "patients": "Patients with it at baseline",
                                                         "weight": "Weight"}), hide_index=True)
    show_code("candidate_symptom_weights", candidate=candidate, k=k)

if a.outcomes is not None:
    st.subheader("Outcomes of the comparable patients")
    st.dataframe(oc.format_candidate_outcomes(a.outcomes), hide_index=True)
    show_code("candidate_outcomes", candidate=candidate, k=k)
    show_figure(oc.comparable_response_rates(a.outcomes.rates, a.outcomes.n), "candidate_response")
    show_code("candidate_response", candidate=candidate, k=k)

beyond_score("Anaphylaxis and questionnaires of the comparable patients", oc.comparable_beyond_score_lines(scored, a.comparable["patient_id"]))

st.subheader("Evolution of the candidate's symptoms in the cohort")
st.caption("Among all selected patients with the symptom at baseline, from its recorded scores on treatment: improved = lowest score "
           "below 1; disappeared = a score of 0; worsened = a score of 1.5 at any assessment; median month of first improvement "
           "among the improved patients.")
st.table(oc.format_symptom_outcomes(a.symptoms), hide_index=True)
show_code("candidate_symptoms", candidate=candidate, k=k)
if (a.symptoms["patients"] > 0).any():
    show_figure(oc.symptom_evolution(a.symptoms), "candidate_symptoms")
    show_code("candidate_symptoms_figure", candidate=candidate, k=k)

st.subheader("Safety signals among the comparable patients")
st.table(oc.format_safety(a.safety), hide_index=True)
show_code("candidate_safety", candidate=candidate, k=k)
st.info(f"“{mdt.STUDY_SCHEME}”\n\n*{mdt.STUDY_SCHEME_SOURCE}*", icon=":material/format_quote:")
filters = current_description()
report_download(lambda: oc.candidate_report(scored, candidate, filters=filters, source=scored.cohort.source, assessment=a), "mdt_candidate_report")
