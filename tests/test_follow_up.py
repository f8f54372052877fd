"""Follow-up (Figure 2): flows, duration of therapy, sustained response, patient courses."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from omalizumab_core.engine.scoring import score_cohort
from omalizumab_core.outputs.figures.follow_up import duration_box, sankey, swimmer_plot
from omalizumab_core.analyses.follow_up import (
    EVENT_COLUMNS,
    duration_by_best_response,
    format_durations,
    format_flows,
    format_sustained,
    format_swimmer,
    response_flows,
    sustained_response,
    swimmer_data,
)
from omalizumab_core.data.problems import TooFewPatients
from tests.apptest_support import app_on, shown_text
from tests.handmade import cohort_of, course, patient


def _cohort(**tables):
    """Seven patients whose best response, last status and duration are stated beside them.

    A, G  CR still treated (12, 20 months)         -> CR
    B     MR at 2, NR at 5, still treated (8)      -> loss of response
    F     PR at 1, MR at 2 and 5, still treated (10) -> MR
    C     PR at 2, stopped for intolerance at 4    -> intolerance
    D     NR, stopped for lack of efficacy at 2    -> no response
    E     MR at 3, lost to follow-up at 6          -> lost or other
    """
    return cohort_of(
        [
            patient("A", last_follow_up_month=12.0),
            patient("G", last_follow_up_month=20.0),
            patient("B", last_follow_up_month=8.0),
            patient("F", last_follow_up_month=10.0),
            patient("C", treatment_end_month=4.0, end_reason="intolerance"),
            patient("D", treatment_end_month=2.0, end_reason="lack_of_efficacy"),
            patient("E", treatment_end_month=6.0, end_reason="lost_to_follow_up"),
        ],
        course("A", {"a": {0: 1, 1: 0, 4: 0}})
        + course("G", {"a": {0: 1, 1: 0}})
        # B: NR at month 1 (before responding), MR (0.25 of 1 = 75 % decrease) at 2, NR again at 5.
        + course("B", {"a": {0: 1, 1: 1, 2: 0.25, 5: 1}})
        # F: exactly 50 % at 1 is PR, 75 % at 2 and 5 is MR.
        + course("F", {"a": {0: 1, 1: 0.5, 2: 0.25, 5: 0.25}})
        + course("C", {"a": {0: 1, 2: 0.75}})
        + course("D", {"a": {0: 1, 1: 1}})
        + course("E", {"a": {0: 1, 3: 0.25}}),
        **tables,
    )


def _doses():
    return pd.DataFrame(
        [
            ("B", 0.0, 150.0, 14.0),
            ("B", 2.0, 150.0, 14.0),  # same regimen: not a change
            ("B", 3.0, 300.0, 14.0),  # dose escalation
            ("B", 6.0, 300.0, 7.0),  # shorter interval
            ("C", 0.0, 150.0, 14.0),
            ("E", 1.0, 150.0, 28.0),  # first recorded regimen after month 0
        ],
        columns=["patient_id", "month", "dose_mg", "interval_days"],
    )


def _adverse_events():
    return pd.DataFrame(
        {
            "patient_id": ["A", "C"],
            "month": [1.0, 3.0],
            "event": ["fatigue", "urticaria"],
            "severity": ["mild", "severe"],
            "serious": pd.array([False, True], dtype="boolean"),
            "flare": pd.array([False, False], dtype="boolean"),
            "led_to_discontinuation": pd.array([False, True], dtype="boolean"),
        }
    )


# --- flows ---------------------------------------------------------------------


def test_flows_count_patients_from_best_response_to_status_at_last_follow_up():
    flows = response_flows(score_cohort(_cohort()))
    assert list(flows.columns) == ["source", "target", "n"]
    assert flows.values.tolist() == [
        ["CR", "CR", 2],
        ["MR", "MR", 1],
        ["MR", "loss_of_response", 1],
        ["MR", "lost_or_other", 1],
        ["PR", "intolerance", 1],
        ["NR", "no_response", 1],
    ]
    assert flows["n"].sum() == 7


def test_flow_table_and_sankey_label_nodes_in_words_with_counts():
    flows = response_flows(score_cohort(_cohort()))
    table = format_flows(flows)
    assert table.iloc[0].tolist() == ["Complete response", "Persistent complete response", "2 (28.6 %)"]
    labels = list(sankey(flows).data[0].node.label)
    assert "Best: major response (3)" in labels
    assert "Last follow-up: loss of response (1)" in labels
    assert "Last follow-up: persistent complete response (2)" in labels
    assert sum(sankey(flows).data[0].link.value) == 7


# --- durations -----------------------------------------------------------------


def test_duration_medians_ranges_and_quartiles_by_hand():
    d = duration_by_best_response(score_cohort(_cohort())).set_index("group")
    # Durations: A 12, G 20, B 8, F 10 (follow-up, still treated); C 4, D 2, E 6 (stop month).
    # Quartiles by linear interpolation (R type 7), by hand:
    # all 2,4,6,8,10,12,20: median 8, Q1 at rank 1.5 -> 5, Q3 at rank 4.5 -> 11.
    assert d.loc["all", ["n", "median", "min", "max", "q1", "q3"]].tolist() == [7, 8.0, 2.0, 20.0, 5.0, 11.0]
    # responders 4,6,8,10,12,20: median 9, Q1 at rank 1.25 -> 6.5, Q3 at rank 3.75 -> 11.5.
    assert d.loc["responders", ["n", "median", "min", "max", "q1", "q3"]].tolist() == [6, 9.0, 4.0, 20.0, 6.5, 11.5]
    assert d.loc["CR", ["n", "median", "min", "max"]].tolist() == [2, 16.0, 12.0, 20.0]
    # MR: B 8, F 10, E 6 -> median 8, Q1 7, Q3 9.
    assert d.loc["MR", ["n", "median", "min", "max", "q1", "q3"]].tolist() == [3, 8.0, 6.0, 10.0, 7.0, 9.0]
    assert d.loc["PR", ["n", "median"]].tolist() == [1, 4.0]
    assert d.loc["NR", ["n", "median"]].tolist() == [1, 2.0]
    assert (d["n_unknown"] == 0).all()


def test_duration_group_without_patients_is_empty_not_an_error():
    scored = score_cohort(_cohort())
    d = duration_by_best_response(scored.subset(["D"])).set_index("group")
    assert d.loc["NR", "n"] == 1 and d.loc["NR", "median"] == 2.0
    assert d.loc["CR", "n"] == 0 and math.isnan(d.loc["CR", "median"])
    assert d.loc["responders", "n"] == 0


def test_duration_raises_too_few_patients_only_without_any_patient():
    scored = score_cohort(_cohort())
    with pytest.raises(TooFewPatients):
        duration_by_best_response(scored.subset([]))


def test_duration_table_reads_like_the_paper():
    table = format_durations(duration_by_best_response(score_cohort(_cohort())))
    rows = table.set_index("Patients")
    assert rows.loc["All patients", "Median duration of therapy, months (range)"] == "8 (2–20)"
    assert rows.loc["Responders (CR + MR + PR)", "Interquartile range, months"] == "6.5–11.5"
    # A single patient: the value alone, as "17 months for the patient in complete response".
    assert rows.loc["Partial response", "Median duration of therapy, months (range)"] == "4"


# --- sustained response -----------------------------------------------------------


def test_sustained_response_counts_and_exact_interval_match_scipy():
    s = sustained_response(score_cohort(_cohort())).iloc[0]
    # Responders A, G, B, F, C, E; sustained: A (months 1-4) and F (1-5); G, B, C, E respond at one visit or < 3 months.
    assert (int(s["responders"]), int(s["sustained"])) == (6, 2)
    assert s["proportion"] == pytest.approx(2 / 6)
    reference = scipy_stats.binomtest(2, 6).proportion_ci(confidence_level=0.95, method="exact")
    assert (s["ci_low"], s["ci_high"]) == pytest.approx((reference.low, reference.high))
    # Independently, Clopper-Pearson bounds are beta quantiles: Beta(k, n-k+1) at 2.5 %, Beta(k+1, n-k) at 97.5 %.
    assert s["ci_low"] == pytest.approx(scipy_stats.beta.ppf(0.025, 2, 5))
    assert s["ci_high"] == pytest.approx(scipy_stats.beta.ppf(0.975, 3, 4))


def test_sustained_response_without_responders_says_so():
    scored = score_cohort(_cohort())
    with pytest.raises(TooFewPatients, match="responded"):
        sustained_response(scored.subset(["D"]))


def test_sustained_line_states_counts_percentage_and_interval():
    line = format_sustained(sustained_response(score_cohort(_cohort())))
    assert line.startswith("2 of 6 responders (33.3 % [")


# --- swimmer --------------------------------------------------------------------------


def _events_of(events, patient_id):
    rows = events[events["patient_id"] == patient_id]
    return [(kind, month) for kind, month in zip(rows["kind"], rows["month"])]


def test_swimmer_bars_one_per_patient_sorted_by_duration():
    bars, _ = swimmer_data(score_cohort(_cohort()))
    assert bars["patient_id"].tolist() == ["D", "C", "E", "B", "F", "A", "G"]
    assert bars["months_on_treatment"].tolist() == [2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 20.0]
    row = bars.set_index("patient_id").loc["C"]
    assert (row["still_treated"], row["end_reason"], row["end_reason_label"], row["best_response"]) == (
        False, "intolerance", "Stopped: intolerance", "PR",
    )
    assert bars.set_index("patient_id").loc["A", "end_reason_label"] == "Still treated"


def test_swimmer_events_dose_changes_adverse_events_and_loss_of_response():
    _, events = swimmer_data(score_cohort(_cohort(doses=_doses(), adverse_events=_adverse_events())))
    assert list(events.columns) == EVENT_COLUMNS
    # B responded at 2 (MR); its first NR after responding is month 5, not the NR at month 1.
    # Dose changes at 3 (150 -> 300 mg) and 6 (14 -> 7 days), not at 2 (same regimen). Still treated: no stop.
    assert _events_of(events, "B") == [
        ("first response", 2.0), ("best response", 2.0), ("dose change", 3.0), ("loss of response", 5.0), ("dose change", 6.0),
    ]
    b = events[events["patient_id"] == "B"].set_index("month")
    assert b.loc[3.0, "label"] == "Dose change: 150 mg every 2 weeks → 300 mg every 2 weeks"
    assert b.loc[6.0, "label"] == "Dose change: 300 mg every 2 weeks → 300 mg every week"
    # C: PR at 2, severe serious AE at 3 that led to stopping, stop at 4.
    assert _events_of(events, "C") == [("first response", 2.0), ("best response", 2.0), ("adverse event", 3.0), ("stop", 4.0)]
    c = events[events["patient_id"] == "C"].set_index("kind")
    assert c.loc["adverse event", "label"] == "Adverse event: urticaria (severe), serious, led to discontinuation"
    assert c.loc["stop", "label"] == "Stopped: intolerance"
    assert c.loc["first response", "label"] == "First response: partial response"
    # F: first response PR at 1, best MR at 2.
    assert events[(events["patient_id"] == "F")]["label"].tolist() == ["First response: partial response", "Best response: major response"]
    # E: a first regimen recorded after month 0 counts as a change.
    assert ("dose change", 1.0) in _events_of(events, "E")
    assert _events_of(events, "D") == [("stop", 2.0)]
    assert (events["kind"] == "loss of response").sum() == 1


def test_swimmer_without_optional_tables_has_no_dose_or_adverse_event():
    bars, events = swimmer_data(score_cohort(_cohort()))
    assert len(bars) == 7
    assert not events["kind"].isin(["dose change", "adverse event"]).any()
    assert _events_of(events, "B") == [("first response", 2.0), ("best response", 2.0), ("loss of response", 5.0)]
    figure = swimmer_plot(bars, events)
    assert {t.name for t in figure.data} >= {"Best: complete response", "Loss of response", "Treatment stopped"}


def test_swimmer_of_a_patient_without_any_event_is_empty_but_typed():
    cohort = cohort_of([patient("N")], course("N", {"a": {0: 1, 1: 1}}))
    bars, events = swimmer_data(score_cohort(cohort))
    assert len(bars) == 1 and len(events) == 0
    assert list(events.columns) == EVENT_COLUMNS
    swimmer_plot(bars, events)
    format_swimmer(bars, events)


def test_swimmer_plot_marks_still_treated_and_carries_patient_ids():
    bars, events = swimmer_data(score_cohort(_cohort(doses=_doses(), adverse_events=_adverse_events())))
    figure = swimmer_plot(bars, events)
    still = next(t for t in figure.data if t.name == "Still treated at last follow-up")
    assert still.marker.symbol == "triangle-right"
    assert sorted(still.y) == ["A", "B", "F", "G"]
    assert sorted(still.x) == [8.0, 10.0, 12.0, 20.0]
    for trace in figure.data:
        assert [row[0] for row in trace.customdata] == list(trace.y)
    symbols = [t.marker.symbol for t in figure.data if t.type == "scatter"]
    assert len(symbols) == len(set(symbols))
    assert "N=7" in figure.layout.title.text


def test_swimmer_plot_samples_300_patients_above_300_and_says_so():
    n = 450
    ids = [f"P{i:04d}" for i in range(n)]
    bars = pd.DataFrame(
        {
            "patient_id": ids,
            "months_on_treatment": np.arange(n, dtype=float) % 37,
            "still_treated": [i % 2 == 0 for i in range(n)],
            "end_reason": "ongoing",
            "end_reason_label": "Still treated",
            "best_response": ["CR", "MR", "PR", "NR"] * (n // 4) + ["MR"] * (n % 4),
        }
    )
    events = pd.DataFrame({"patient_id": ids, "month": 1.0, "kind": "first response", "label": "First response"})
    first = swimmer_plot(bars, events)
    again = swimmer_plot(bars, events)
    assert len(first.layout.yaxis.categoryarray) == 300
    assert "random sample of 300 of 450 patients" in first.layout.title.text
    assert list(first.layout.yaxis.categoryarray) == list(again.layout.yaxis.categoryarray)  # seeded
    shown = set(first.layout.yaxis.categoryarray)
    assert all(set(t.y) <= shown for t in first.data)


def test_duration_box_draws_each_patient_then_summary_boxes_at_scale():
    bars, _ = swimmer_data(score_cohort(_cohort()))
    figure = duration_box(bars)
    assert [t.name for t in figure.data] == ["Complete response (n=2)", "Major response (n=3)", "Partial response (n=1)", "No response (n=1)"]
    assert figure.data[1].boxpoints == "all"
    big = pd.concat([bars] * 400, ignore_index=True)
    summary = duration_box(big)
    assert "boxes only" in summary.layout.title.text
    mr = next(t for t in summary.data if t.name.startswith("Major"))
    assert (mr.q1[0], mr.median[0], mr.q3[0]) == pytest.approx((6.0, 8.0, 10.0))
    assert len(summary.to_json()) < 50_000


def test_course_table_lists_every_patient_with_events_in_words():
    bars, events = swimmer_data(score_cohort(_cohort(adverse_events=_adverse_events())))
    table = format_swimmer(bars, events).set_index("Patient")
    assert len(table) == 7
    assert table.loc["D", "Events"] == "month 2: Stopped: lack of efficacy"
    assert table.loc["A", "Best response"] == "Complete response"


# --- demo -------------------------------------------------------------------------


def test_demo_loses_responses_after_2_to_13_months():
    # "Only 4 patients lost their acquired response under omalizumab, after 2 to 13 months of treatment."
    from omalizumab_core.synthetic.demo import demo_scored

    _, events = swimmer_data(demo_scored())
    loss = events.loc[events["kind"] == "loss of response", "month"]
    assert (len(loss), loss.min(), loss.max()) == (4, 2.0, 13.0)


def test_page_shows_the_papers_sustained_response_and_median_durations():
    at = app_on(page="views/follow_up.py")
    assert not at.exception, [e.value for e in at.exception]
    text = shown_text(at)
    # Paper: "a sustained response of at least 3 months in 33/43 patients (76.7%)".
    assert "33 of 43 responders (76.7 % [" in text
    durations = next(d.value for d in at.dataframe if "Median duration of therapy, months (range)" in d.value.columns)
    medians = durations.set_index("Patients")["Median duration of therapy, months (range)"]
    # Paper: 9 months overall, 11 for responders [2–36]; 2 / 10 / 11 / 17 for NR / PR / MR / CR.
    assert medians["All patients"].startswith("9 (")
    assert medians["Responders (CR + MR + PR)"] == "11 (2–36)"
    assert medians["No response"].startswith("2 (")
    assert medians["Partial response"].startswith("10 (")
    assert medians["Major response"].startswith("11 (")
    assert medians["Complete response"] == "17"
