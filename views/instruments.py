"""Instruments: validated questionnaires beside the paper's score (change, responders, time to response, agreement)."""

import streamlit as st

import omalizumab_core as oc
from ui.charts import show_figure
from ui.downloads import table_downloads
from ui.page import filtered_cohort, no_data, statistic

scored = filtered_cohort(
    "Instruments",
    "Questionnaires the patients filled in (validated symptom or quality-of-life scores), read beside the paper's symptom score. "
    "Baseline is the questionnaire at the first injection; questionnaires after the end of treatment are not counted.",
)
if scored.cohort.instrument_scores is None:
    no_data("questionnaire scores")
    st.stop()
definitions = scored.cohort.instruments
instrument = st.selectbox("Instrument", sorted(definitions), format_func=lambda i: definitions[i].name)
definition = definitions[instrument]
st.caption(f"Source: {definition.source} · Recall period: {definition.recall_period} · {oc.INSTRUMENT_DIRECTIONS[definition.direction].capitalize()}.")
if definition.example:
    st.warning("This is an example definition, not a validated instrument: its results mean nothing clinically.", icon=":material/warning:")

months = oc.instrument_assessment_months(scored, instrument=instrument)
at = st.selectbox("Responders at", [None, *months], format_func=lambda m: "any assessment on treatment" if m is None else f"month {m:g}")
responders = statistic(oc.instrument_responders, scored, instrument=instrument, month=at)
if responders is not None:
    st.subheader("Responders at any assessment on treatment" if at is None else f"Responders at month {at:g}, among the patients assessed then")
    st.dataframe(oc.format_instrument_responders(responders), hide_index=True, width="stretch")
    st.caption("Exact (Clopper–Pearson) 95 % CIs. At any assessment, a patient with a baseline but no later assessment counts as not responding, as for the paper's score.")
    table_downloads(responders, "instrument_responders")

measure = st.selectbox("Measure", definition.measure_ids(), format_func=definition.label)
st.subheader("Change from baseline")
over_time = statistic(oc.instrument_change_over_time, scored, instrument=instrument, measure=measure)
if over_time is not None:
    lines = st.toggle("Show each patient's line")
    changes = oc.instrument_changes(scored, instrument=instrument, measure=measure) if lines else None
    show_figure(oc.instrument_change_figure(over_time, changes), "instrument_change")
    st.caption("Mean change with its 95 % t confidence interval; the patients assessed may differ from month to month.")

if definition.responders:
    st.subheader("Time to first response")
    rules = {r.id: r.label for r in definition.responders}
    rule = st.selectbox("Responder rule", list(rules), format_func=rules.get)
    curve = statistic(oc.instrument_time_to_response, scored, instrument=instrument, rule=rule)
    if curve is not None:
        show_figure(oc.instrument_response_curve(curve, label=rules[rule]), "instrument_time_to_response")
        st.caption("Aalen–Johansen cumulative incidence: stopping omalizumab without a response is a competing event, as for the paper's score.")

st.subheader("Agreement with the paper's categories")
crosstab = statistic(oc.instrument_crosstab, scored, instrument=instrument, measure=measure)
if crosstab is not None:
    st.dataframe(oc.format_instrument_crosstab(crosstab), hide_index=True, width="stretch")
    st.caption("The paper's bands applied to the instrument's best improvement on treatment: complete when the best possible score is reached, major above 50 %, partial 10–50 %, none below 10 %.")
    st.dataframe(oc.format_instrument_agreement(oc.instrument_agreement(scored, instrument=instrument, measure=measure)), hide_index=True, width="stretch")
