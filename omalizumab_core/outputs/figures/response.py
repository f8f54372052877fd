"""Figures of the Response page: forest plot of response rates, waterfall of best decrease."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from omalizumab_core.data.codes import RESPONSE_LABELS, RESPONSES
from omalizumab_core.outputs.figures import RESPONSE_COLORS

# Above this many patients one bar per patient is unreadable and heavy for
# the browser: the waterfall becomes a histogram computed here.
MAX_WATERFALL_BARS = 2000
HISTOGRAM_BIN_PCT = 5
# The paper's thresholds: PR from a 10 % decrease, MR above 50 %.
THRESHOLDS = ((10, "10 %: partial response from here"), (50, "50 %: major response above"))


def forest_plot(rows: pd.DataFrame) -> go.Figure:
    """Response rate with its 95 % CI for every level of some variables.

    Parameters
    ----------
    rows : DataFrame
        Output of :func:`omalizumab_core.analyses.response_rates.forest_rows`; its
        "All patients" row gives the vertical reference line.

    Returns
    -------
    plotly Figure
        One point and horizontal whisker per row, grouped by variable on the
        y axis, labels "Female (n = 38)", x axis "Overall response rate (%)".
    """
    frame = rows.reset_index(drop=True)
    labels = [f"{level} (n = {total})" for level, total in zip(frame["level_label"], frame["total"])]
    groups = ["" if v == "all" else g for v, g in zip(frame["variable"], frame["variable_label"])]
    x = 100 * frame["proportion"].to_numpy(dtype=float)
    low = 100 * frame["ci_low"].to_numpy(dtype=float)
    high = 100 * frame["ci_high"].to_numpy(dtype=float)
    hover = [
        f"{label}<br>{n}/{total} patients: {rate:.1f} % (95 % CI {lo:.1f}–{hi:.1f} %)"
        for label, n, total, rate, lo, hi in zip(labels, frame["n"], frame["total"], x, low, high)
    ]
    figure = go.Figure(
        go.Scatter(
            x=x,
            y=[groups, labels],
            mode="markers",
            marker={"size": 10, "color": "#2c5d8a", "symbol": "square"},
            error_x={"type": "data", "symmetric": False, "array": high - x, "arrayminus": x - low, "thickness": 2, "width": 5},
            hovertext=hover,
            hoverinfo="text",
            showlegend=False,
        )
    )
    overall = frame[frame["variable"] == "all"]
    if len(overall):
        rate = 100 * float(overall["proportion"].iloc[0])
        if not math.isnan(rate):
            figure.add_vline(
                x=rate,
                line={"dash": "dash", "color": "#555555", "width": 1},
                annotation_text=f"All patients: {rate:.1f} %",
                annotation_position="top",
            )
    figure.update_layout(
        title="Overall best response rate (CR + MR + PR) with exact 95 % confidence interval",
        xaxis={"title": "Overall response rate (%)", "range": [0, 102], "dtick": 10},
        yaxis={"autorange": "reversed", "title": None},
        height=max(320, 34 * len(frame) + 140),
        margin={"l": 10, "r": 20, "t": 80, "b": 50},
    )
    return figure


def odds_ratio_forest_plot(table: pd.DataFrame, *, title: str = "Odds ratio of overall response (CR + MR + PR vs NR) with 95 % CI") -> go.Figure:
    """Odds ratios of response with their 95 % CIs, on a log axis, one row per comparison.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`omalizumab_core.analyses.predictors.response_predictors`
        or :func:`~omalizumab_core.analyses.predictors.multivariable_predictors`.

    Returns
    -------
    plotly Figure
        One point and whisker per row, grouped by characteristic on the y
        axis, a dashed line at 1 (no association). An infinite or zero
        bound (an empty cell of a 2 x 2 table) is drawn to the edge of the
        axis and said in the hover text; an infinite or zero odds ratio has
        no point.
    """
    frame = table.reset_index(drop=True)
    odds = frame["odds_ratio"].to_numpy(dtype=float)
    low = frame["lower"].to_numpy(dtype=float)
    high = frame["upper"].to_numpy(dtype=float)
    finite = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in (odds, low, high)])
    edge_low = max(1e-3, float(finite.min()) / 2) if len(finite) else 0.1
    edge_high = min(1e3, float(finite.max()) * 2) if len(finite) else 10.0
    shown_low = np.clip(np.where(low > 0, low, edge_low), edge_low, edge_high)
    shown_high = np.clip(np.where(np.isfinite(high), high, edge_high), edge_low, edge_high)
    point = np.where(np.isfinite(odds) & (odds > 0), odds, np.nan)
    centre = np.where(np.isnan(point), np.sqrt(shown_low * shown_high), point)
    hover = [
        f"{c}: {comparison}<br>Odds ratio {o:.2f} (95 % CI {lo:.2f} to {hi:.2f}), p = {p:.3f}<br>{m}".replace("inf", "∞")
        for c, comparison, o, lo, hi, p, m in zip(frame["characteristic"], frame["comparison"], odds, low, high, frame["p_value"], frame["method"])
    ]
    figure = go.Figure(
        go.Scatter(
            # Whiskers need a centre: a row without a finite odds ratio gets an invisible one.
            x=centre,
            y=[frame["characteristic"].tolist(), frame["comparison"].tolist()],
            mode="markers",
            marker={"size": 10, "color": "#2c5d8a", "symbol": "square", "opacity": [0.0 if np.isnan(v) else 1.0 for v in point]},
            error_x={"type": "data", "symmetric": False, "array": shown_high - centre, "arrayminus": centre - shown_low, "thickness": 2, "width": 5},
            hovertext=hover,
            hoverinfo="text",
            showlegend=False,
        )
    )
    figure.add_vline(x=1, line={"dash": "dash", "color": "#555555", "width": 1}, annotation_text="No association", annotation_position="top")
    figure.update_layout(
        title=title,
        xaxis={"title": "Odds ratio of response (log scale): > 1 more likely to respond", "type": "log"},
        yaxis={"autorange": "reversed", "title": None},
        height=max(320, 30 * len(frame) + 140),
        margin={"l": 10, "r": 20, "t": 80, "b": 50},
    )
    return figure


def waterfall_plot(data: pd.DataFrame) -> go.Figure:
    """Best decrease in symptom score per patient, coloured by best response.

    Parameters
    ----------
    data : DataFrame
        Output of :func:`omalizumab_core.analyses.response_rates.waterfall_data`
        (sorted, the greatest decrease first).

    Returns
    -------
    plotly Figure
        Up to ``MAX_WATERFALL_BARS`` patients: one bar per patient with the
        patient id in ``customdata[0]`` (for click-through) and horizontal
        lines at the 10 % and 50 % thresholds. Above that, a histogram of the
        best decrease stacked by best response, with vertical threshold lines,
        and the title says so.
    """
    measured = data[data["best_decrease_pct"].notna()]
    unmeasured = len(data) - len(measured)
    note = f"<br><sup>{unmeasured} patient{'s' if unmeasured != 1 else ''} without an on-treatment assessment not shown</sup>" if unmeasured else ""
    if len(data) > MAX_WATERFALL_BARS:
        return _histogram(measured, len(data), note)
    position = np.arange(1, len(data) + 1)[data["best_decrease_pct"].notna().to_numpy()]
    figure = go.Figure()
    for code in RESPONSES:
        chosen = (measured["best_response"] == code).to_numpy()
        part = measured[chosen]
        figure.add_bar(
            x=position[chosen],
            y=part["best_decrease_pct"],
            name=RESPONSE_LABELS[code],
            marker_color=RESPONSE_COLORS[code],
            customdata=np.column_stack([part["patient_id"].astype(str), part["subgroup"].astype(str)]) if len(part) else None,
            hovertemplate="Patient %{customdata[0]} (%{customdata[1]})<br>Best decrease: %{y:.1f} %<extra>" + RESPONSE_LABELS[code] + "</extra>",
        )
    for value, label in THRESHOLDS:
        # Labels on the right, above the non-responders' short bars.
        figure.add_hline(
            y=value,
            line={"dash": "dot", "color": "#333333", "width": 1},
            annotation_text=label,
            annotation_position="top right",
            annotation_bgcolor="rgba(255,255,255,0.85)",
        )
    figure.update_layout(
        title=f"Best decrease in symptom score, one bar per patient (n = {len(data)}){note}",
        barmode="overlay",
        bargap=0.1,
        xaxis={"title": "Patients, ordered by best decrease", "showticklabels": False, "range": [0.4, len(data) + 0.6]},
        yaxis={"title": "Best decrease in symptom score (%)", "range": [min(-10, _floor(measured["best_decrease_pct"].min())), 105]},
        legend={"title": "Best response", "orientation": "h", "y": -0.15},
        margin={"t": 100 if note else 70},
    )
    return figure


def _floor(value) -> float:
    return -10.0 if pd.isna(value) else HISTOGRAM_BIN_PCT * math.floor(value / HISTOGRAM_BIN_PCT) - 5


def _histogram(measured: pd.DataFrame, n_patients: int, note: str) -> go.Figure:
    values = measured["best_decrease_pct"].to_numpy(dtype=float)
    start = HISTOGRAM_BIN_PCT * math.floor(values.min() / HISTOGRAM_BIN_PCT) if len(values) else 0
    edges = np.arange(start, 100 + HISTOGRAM_BIN_PCT, HISTOGRAM_BIN_PCT, dtype=float)
    if len(edges) < 2:
        edges = np.array([start, start + HISTOGRAM_BIN_PCT], dtype=float)
    # Bins [a, a + 5), the last one closed so a 100 % decrease (complete response) is counted.
    centres = (edges[:-1] + edges[1:]) / 2
    figure = go.Figure()
    for code in RESPONSES:
        counts, _ = np.histogram(values[(measured["best_response"] == code).to_numpy()], bins=edges)
        figure.add_bar(
            x=centres,
            y=counts,
            width=HISTOGRAM_BIN_PCT,
            name=RESPONSE_LABELS[code],
            marker_color=RESPONSE_COLORS[code],
            customdata=np.column_stack([edges[:-1], edges[1:]]),
            hovertemplate="Best decrease %{customdata[0]:.0f} to %{customdata[1]:.0f} %: %{y:,} patients<extra>"
            + RESPONSE_LABELS[code]
            + "</extra>",
        )
    for value, label in THRESHOLDS:
        figure.add_vline(
            x=value,
            line={"dash": "dot", "color": "#333333", "width": 1},
            annotation_text=label,
            annotation_position="top right",
            annotation_bgcolor="rgba(255,255,255,0.85)",
        )
    figure.update_layout(
        title=(
            f"Best decrease in symptom score: histogram of {n_patients:,} patients<br><sup>More than {MAX_WATERFALL_BARS:,} "
            f"patients: a histogram instead of one bar per patient</sup>{note}"
        ),
        barmode="stack",
        bargap=0.05,
        xaxis={"title": "Best decrease in symptom score (%)"},
        yaxis={"title": "Patients"},
        legend={"title": "Best response", "orientation": "h", "y": -0.2},
        margin={"t": 120 if note else 100},
    )
    return figure
