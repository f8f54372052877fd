"""Figure of the Anaphylaxis page: each patient's episodes per year before and on omalizumab."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from omalizumab_core.data.codes import RESPONSE_LABELS
from omalizumab_core.outputs.figures import RESPONSE_COLORS

MONTHS_PER_YEAR = 12


def anaphylaxis_dot_plot(periods: pd.DataFrame) -> go.Figure:
    """One line per patient with an episode, from the yearly rate before to the yearly rate on omalizumab.

    Parameters
    ----------
    periods : DataFrame
        Output of :func:`omalizumab_core.analyses.anaphylaxis.anaphylaxis_periods`.

    Returns
    -------
    plotly Figure
        x: "Before omalizumab" and "On omalizumab"; y: episodes per year;
        each patient's two dots joined, coloured by best response. Patients
        with no episode in either period are left out (they would sit at 0).
    """
    shown = periods[(periods["all_before"] + periods["all_on"] > 0) & (periods["months_on"] > 0)]
    figure = go.Figure()
    for response, rows in shown.groupby("best_response", sort=True):
        before = rows["all_before"] / rows["months_before"] * MONTHS_PER_YEAR
        on = rows["all_on"] / rows["months_on"] * MONTHS_PER_YEAR
        x, y, text = [], [], []
        for pid, b, o, nb, no in zip(rows["patient_id"], before, on, rows["all_before"], rows["all_on"]):
            x += ["Before omalizumab", "On omalizumab", None]
            y += [b, o, None]
            text += [f"{pid}: {nb} episode(s), {b:.1f} per year", f"{pid}: {no} episode(s), {o:.1f} per year", None]
        figure.add_trace(
            go.Scatter(
                x=x, y=y, mode="lines+markers", name=RESPONSE_LABELS.get(response, response),
                line={"color": RESPONSE_COLORS.get(response, "#636363"), "width": 1.5},
                marker={"size": 8}, hovertext=text, hoverinfo="text",
            )
        )
    figure.update_layout(
        yaxis={"title": "Anaphylaxis episodes per year", "rangemode": "tozero"},
        xaxis={"title": None},
        legend={"title": {"text": "Best response"}},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        height=420,
    )
    return figure
