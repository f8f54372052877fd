"""Figures of the MDT candidate page: outcomes of comparable patients, per-symptom evolution.

Builders take the DataFrames of :mod:`omalizumab_core.analyses.candidate` and return
plotly Figures with clinical labels. Both plot one bar per measure or symptom
(aggregates), so they stay light whatever the number of patients.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

_RATE_NAMES = {
    "overall": "Overall response",
    "CR": "Complete response",
    "MR": "Major response",
    "PR": "Partial response",
    "persistent": "Persistent at<br>last follow-up",
    "sustained": "Sustained ≥ 3 months<br>(of responders)",
}
_RATE_COLORS = {"overall": "#2166ac", "CR": "#1a9850", "MR": "#66bd63", "PR": "#fdae61", "persistent": "#5e3c99", "sustained": "#4393c3"}
_EVOLUTION = (("improved", "Improved (score < 1)", "#66bd63"), ("disappeared", "Disappeared (score 0)", "#1a9850"), ("worsened", "Worsened (score 1.5)", "#d73027"))


def comparable_response_rates(rates: pd.DataFrame, n: int) -> go.Figure:
    """Best response rates of the comparable patients, with exact 95 % CIs.

    Parameters
    ----------
    rates : DataFrame
        ``CandidateOutcomes.rates`` (measure, patients, total, proportion,
        ci_low, ci_high).
    n : int
        Number of comparable patients, for the title.
    """
    shown = rates[rates["total"] > 0]
    pct = 100 * shown["proportion"]
    figure = go.Figure(
        go.Bar(
            x=[_RATE_NAMES[m] for m in shown["measure"]],
            y=pct,
            marker_color=[_RATE_COLORS[m] for m in shown["measure"]],
            error_y={"type": "data", "symmetric": False, "array": 100 * shown["ci_high"] - pct, "arrayminus": pct - 100 * shown["ci_low"]},
            customdata=shown[["patients", "total"]].to_numpy(),
            hovertemplate="%{x}: %{customdata[0]} of %{customdata[1]} patients (%{y:.1f} %)<extra></extra>",
            text=[f"{k}/{t}" for k, t in zip(shown["patients"], shown["total"])],
            textposition="inside",
            insidetextanchor="start",
        )
    )
    figure.update_layout(
        title=f"Best response of the {n} comparable patient{'s' if n != 1 else ''} (exact 95 % CI)",
        yaxis={"title": "Patients (%)", "range": [0, 100]},
        xaxis={"title": ""},
        height=380,
        margin={"t": 60, "b": 40},
    )
    return figure


def symptom_evolution(frequencies: pd.DataFrame) -> go.Figure:
    """How each of the candidate's symptoms evolved in the cohort patients who had it.

    Parameters
    ----------
    frequencies : DataFrame
        Output of :func:`candidate.symptom_outcome_frequencies`.
    """
    shown = frequencies[frequencies["patients"] > 0].iloc[::-1]
    figure = go.Figure()
    labels = [f"{s} (n = {n})" for s, n in zip(shown["symptom"], shown["patients"])]
    for column, name, color in _EVOLUTION:
        figure.add_bar(
            y=labels,
            x=100 * shown[column] / shown["patients"],
            name=name,
            orientation="h",
            marker_color=color,
            customdata=shown[[column, "patients"]].to_numpy(),
            hovertemplate="%{y}: " + name + " in %{customdata[0]} of %{customdata[1]} patients<extra></extra>",
        )
    figure.update_layout(
        title="Evolution of each symptom in the cohort patients who had it at baseline",
        barmode="group",
        xaxis={"title": "Patients with the symptom at baseline (%)", "range": [0, 100]},
        yaxis={"title": ""},
        height=max(300, 90 + 60 * len(shown)),
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        margin={"t": 100},
    )
    return figure
