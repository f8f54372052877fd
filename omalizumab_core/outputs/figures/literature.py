"""Figure of the Literature page: forest plot of overall response across published series and loaded cohorts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

KIND_STYLE = {
    "published": {"color": "#2c5d8a", "symbol": "square", "size": 10},
    "cohort": {"color": "#d95f02", "symbol": "circle", "size": 12},
    "pooled": {"color": "#000000", "symbol": "diamond", "size": 14},
}
KIND_LABELS = {"published": "Published series", "cohort": "Loaded cohort", "pooled": "Pooled published series"}


def literature_forest_plot(table: pd.DataFrame) -> go.Figure:
    """Overall response rate with its 95 % CI per study, the loaded cohort(s) and the pooled estimate.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`omalizumab_core.analyses.literature.literature_comparison`.

    Returns
    -------
    plotly Figure
        One marker and whisker per row (top to bottom in the table's order),
        the pooled row as a diamond with its prediction interval as a thin
        line; x axis "Overall response rate (%)", 0–100.
    """
    frame = table.reset_index(drop=True)
    labels = [f"{s} (n = {n})" for s, n in zip(frame["study"], frame["n"])]
    figure = go.Figure()
    for kind, style in KIND_STYLE.items():
        part = frame[frame["kind"] == kind]
        if part.empty:
            continue
        x = 100 * part["rate"].to_numpy(dtype=float)
        low = 100 * part["lower"].to_numpy(dtype=float)
        high = 100 * part["upper"].to_numpy(dtype=float)
        figure.add_trace(
            go.Scatter(
                x=x, y=[labels[i] for i in part.index], mode="markers", name=KIND_LABELS[kind],
                marker={"color": style["color"], "symbol": style["symbol"], "size": style["size"]},
                error_x={"type": "data", "symmetric": False, "array": high - x, "arrayminus": x - low, "thickness": 2, "width": 5},
                hovertext=[
                    f"{labels[i]}<br>{r}/{n}: {v:.1f} % (95 % CI {lo:.1f}–{hi:.1f} %)"
                    for i, r, n, v, lo, hi in zip(part.index, part["responders"], part["n"], x, low, high)
                ],
                hoverinfo="text",
            )
        )
    pooled = frame[frame["kind"] == "pooled"]
    if len(pooled) and np.isfinite(pooled["prediction_lower"].to_numpy(dtype=float)).all():
        row = pooled.iloc[0]
        figure.add_trace(
            go.Scatter(
                x=[100 * row["prediction_lower"], 100 * row["prediction_upper"]], y=[labels[pooled.index[0]]] * 2,
                mode="lines", line={"color": "#000000", "width": 1, "dash": "dot"}, name="Prediction interval (new series)",
                hoverinfo="skip",
            )
        )
    figure.update_layout(
        xaxis={"title": "Overall response rate (%)", "range": [0, 100]},
        yaxis={"autorange": "reversed", "automargin": True},
        legend={"orientation": "h", "y": -0.25},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        height=140 + 45 * len(frame),
    )
    return figure
