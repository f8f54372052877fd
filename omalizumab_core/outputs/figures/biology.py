"""Figure of the Biology page: each patient's value before and on omalizumab (supplemental Figure E5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from omalizumab_core.data.codes import ANALYTE_LABELS, RESPONSE_LABELS, RESPONSES
from omalizumab_core.outputs.figures import RESPONSE_COLORS

MAX_PATIENT_LINES = 2000
POSITIONS = ("Before omalizumab", "On omalizumab")


def paired_plot(pairs: pd.DataFrame, *, max_patients: int = MAX_PATIENT_LINES, log_scale: bool | None = None) -> go.Figure:
    """One line per patient from the value before to the value on omalizumab, and the means.

    Parameters
    ----------
    pairs : DataFrame
        Output of :func:`omalizumab_core.analyses.biology.lab_pairs` (one analyte).
    max_patients : int
        Above this many patients, draw a random sample of that many lines
        (fixed seed) and say so in the title; the means use every patient.
    log_scale : bool, optional
        Logarithmic value axis; by default for total IgE, whose values span
        several orders of magnitude.

    Returns
    -------
    plotly Figure
        Lines coloured by best response, patient id in customdata[0]; a black
        line joins the two means.
    """
    analyte = str(pairs["analyte"].iloc[0]) if len(pairs) else "tryptase"
    shown = pairs
    sampled = len(pairs) > max_patients
    if sampled:
        shown = pairs.iloc[np.sort(np.random.default_rng(0).choice(len(pairs), max_patients, replace=False))]
    figure = go.Figure()
    for category in RESPONSES:
        rows = shown[shown["best_response"] == category]
        if rows.empty:
            continue
        # Two points per patient then a gap (None), as one trace per response category.
        k = len(rows)
        x = np.tile(np.array([POSITIONS[0], POSITIONS[1], None], dtype=object), k)
        y = np.column_stack([rows["before"].to_numpy(dtype="float64"), rows["on"].to_numpy(dtype="float64"), np.full(k, np.nan)]).ravel()
        patient = rows["patient_id"].to_numpy(dtype=object)
        ids = np.column_stack([patient, patient, np.full(k, None, dtype=object)]).ravel().reshape(-1, 1)
        figure.add_trace(go.Scatter(
            x=x, y=y, mode="lines+markers", name=RESPONSE_LABELS[category], customdata=ids,
            line={"color": RESPONSE_COLORS[category], "width": 1}, marker={"size": 6}, opacity=0.75,
            hovertemplate="%{customdata[0]}: %{y}<extra>" + RESPONSE_LABELS[category] + "</extra>",
        ))
    if len(pairs):
        means = [pairs["before"].mean(), pairs["on"].mean()]
        figure.add_trace(go.Scatter(
            x=list(POSITIONS), y=means, mode="lines+markers+text", name="Mean", line={"color": "black", "width": 4},
            marker={"size": 12, "symbol": "diamond"}, text=[f"{m:.1f}" for m in means], textposition=["middle left", "middle right"],
            hovertemplate="Mean %{x}: %{y:.1f}<extra></extra>",
        ))
    log = analyte == "total_ige" if log_scale is None else log_scale
    label = ANALYTE_LABELS.get(analyte, analyte)
    sample = f"; a random {max_patients} of {len(pairs)} patients drawn, means of all" if sampled else ""
    figure.update_layout(
        title=f"{label.split(' (')[0]} before and on omalizumab, one line per patient (n = {len(pairs)}{sample})",
        yaxis={"title": label + (" (log scale)" if log else ""), "type": "log" if log else "linear"},
        xaxis_title="", legend_title="Best response", hovermode="closest",
    )
    return figure
