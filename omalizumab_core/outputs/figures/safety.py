"""Figures of the Safety page: patients with each adverse event, and when events happened."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from omalizumab_core.analyses.safety import ANY_EVENT, ANY_SEVERITY, SEVERITY_LABELS, SEVERITY_ORDER, TIMING_LABELS, TIMINGS

SEVERITY_COLOURS = {"mild": "#fdd49e", "moderate": "#fc8d59", "severe": "#b30000", "not_recorded": "#bdbdbd"}
MAX_EVENTS_SHOWN = 30


def adverse_event_bars(table: pd.DataFrame, *, max_events: int = MAX_EVENTS_SHOWN) -> go.Figure:
    """Percentage of patients with each adverse event, stacked by worst severity.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`omalizumab_core.analyses.safety.adverse_event_table` with
        ``by_severity=True``.
    max_events : int
        Show the most frequent events only (the title says so when cut).

    Returns
    -------
    plotly Figure
        Horizontal bars, most frequent event at the top, x axis "Patients (%)".
    """
    total = int(table["total"].iloc[0]) if len(table) else 0
    events = table[(table["event"] != ANY_EVENT) & (table["severity"] == ANY_SEVERITY)]["event"].tolist()
    shown = events[:max_events]
    graded = table[(table["event"].isin(shown)) & (table["severity"] != ANY_SEVERITY)]
    figure = go.Figure()
    for severity in SEVERITY_ORDER:
        rows = graded[graded["severity"] == severity].set_index("event").reindex(shown)
        if rows["patients"].fillna(0).sum() == 0:
            continue
        patients = rows["patients"].fillna(0).astype(int)
        figure.add_trace(go.Bar(
            y=shown, x=100 * patients / max(total, 1), orientation="h", name=SEVERITY_LABELS[severity],
            marker_color=SEVERITY_COLOURS[severity], customdata=patients,
            hovertemplate="%{y}<br>" + SEVERITY_LABELS[severity] + ": %{customdata} patients (%{x:.1f} %)<extra></extra>",
        ))
    cut = f" (the {max_events} most frequent of {len(events)})" if len(events) > max_events else ""
    figure.update_layout(
        barmode="stack", title=f"Patients with each adverse event{cut}, by worst severity (N = {total})",
        xaxis_title="Patients (%)", yaxis={"autorange": "reversed", "title": ""}, legend_title="Worst severity",
        height=max(350, 28 * len(shown) + 150),
    )
    return figure


def adverse_event_timing_bars(timing: pd.DataFrame) -> go.Figure:
    """Patients with an adverse event at the first injection and later, stacked by worst severity.

    Parameters
    ----------
    timing : DataFrame
        Output of :func:`omalizumab_core.analyses.safety.adverse_event_timing`.
    """
    labels = [TIMING_LABELS[t] for t in TIMINGS]
    graded = timing[timing["severity"] != ANY_SEVERITY]
    total = int(timing["total"].iloc[0]) if len(timing) else 0
    figure = go.Figure()
    for severity in SEVERITY_ORDER:
        rows = graded[graded["severity"] == severity].set_index("timing").reindex(list(TIMINGS))
        if rows["patients"].fillna(0).sum() == 0:
            continue
        figure.add_trace(go.Bar(
            x=labels, y=rows["patients"].fillna(0).astype(int), name=SEVERITY_LABELS[severity], marker_color=SEVERITY_COLOURS[severity],
            hovertemplate="%{x}<br>" + SEVERITY_LABELS[severity] + ": %{y} patients<extra></extra>",
        ))
    figure.update_layout(
        barmode="stack", title=f"When adverse events happened (N = {total} patients)",
        yaxis_title="Patients with an adverse event", xaxis_title="", legend_title="Worst severity",
    )
    return figure
