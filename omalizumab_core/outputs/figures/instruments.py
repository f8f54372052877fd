"""Figures of the Instruments page: change from baseline over time, time to first response."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

_MEAN = "#1f4e79"
_BAND = "rgba(31, 78, 121, 0.18)"
_PATIENT = "rgba(99, 99, 99, 0.45)"


def instrument_change_figure(over_time: pd.DataFrame, changes: pd.DataFrame | None = None, *, units: str = "points") -> go.Figure:
    """Mean change from baseline at each month with its 95 % CI band; each patient's line on demand.

    Parameters
    ----------
    over_time : DataFrame
        Output of :func:`omalizumab_core.analyses.instruments.instrument_change_over_time`.
    changes : DataFrame, optional
        Output of :func:`omalizumab_core.analyses.instruments.instrument_changes`;
        when given, one thin grey line per patient.
    units : str
        The instrument's units, for the y axis.

    Returns
    -------
    plotly Figure

    Examples
    --------
    >>> from omalizumab_core.synthetic.instrument_example import instrument_example_scored
    >>> from omalizumab_core.analyses.instruments import instrument_change_over_time
    >>> t = instrument_change_over_time(instrument_example_scored(), instrument="example_symptom_diary")
    >>> len(instrument_change_figure(t).data)
    2
    """
    figure = go.Figure()
    if changes is not None:
        for patient, rows in changes.groupby("patient_id", sort=True):
            figure.add_trace(
                go.Scatter(
                    x=rows["month"], y=rows["change"], mode="lines+markers", line={"color": _PATIENT, "width": 1},
                    marker={"size": 4}, name=str(patient), showlegend=False, hovertemplate=f"{patient}: month %{{x:g}}, change %{{y:g}}<extra></extra>",
                )
            )
    band = over_time.dropna(subset=["lower", "upper"])
    figure.add_trace(
        go.Scatter(
            x=list(band["month"]) + list(band["month"])[::-1], y=list(band["upper"]) + list(band["lower"])[::-1],
            fill="toself", fillcolor=_BAND, line={"width": 0}, hoverinfo="skip", name="95 % CI of the mean",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=over_time["month"], y=over_time["mean_change"], mode="lines+markers", line={"color": _MEAN, "width": 2.5},
            name="Mean change", customdata=over_time["patients"],
            hovertemplate="Month %{x:g}: mean change %{y:.1f} (%{customdata} patients)<extra></extra>",
        )
    )
    figure.add_hline(y=0, line={"color": "#999999", "dash": "dot", "width": 1})
    figure.update_layout(
        xaxis={"title": "Months since the first injection"},
        yaxis={"title": f"Change from baseline ({units})"},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        height=420,
    )
    return figure


def instrument_response_curve(curve: pd.DataFrame, *, label: str) -> go.Figure:
    """Cumulative incidence of a first response by an instrument's rule (stopping treatment as a competing event).

    Parameters
    ----------
    curve : DataFrame
        Output of :func:`omalizumab_core.analyses.instruments.instrument_time_to_response`.
    label : str
        The rule, in words, for the legend.

    Examples
    --------
    >>> from omalizumab_core.synthetic.instrument_example import instrument_example_scored
    >>> from omalizumab_core.analyses.instruments import instrument_time_to_response
    >>> c = instrument_time_to_response(instrument_example_scored(), instrument="example_symptom_diary", rule="reduction_50")
    >>> len(instrument_response_curve(c, label="50 %").data)
    2
    """
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=list(curve["time"]) + list(curve["time"])[::-1], y=list(100 * curve["ci_high"]) + list(100 * curve["ci_low"])[::-1],
            fill="toself", fillcolor=_BAND, line={"width": 0, "shape": "hv"}, hoverinfo="skip", name="95 % CI",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=curve["time"], y=100 * curve["cumulative_incidence"], mode="lines", line={"color": _MEAN, "width": 2.5, "shape": "hv"},
            name=label, customdata=curve["n_at_risk"], hovertemplate="Month %{x:g}: %{y:.1f} % (%{customdata} at risk)<extra></extra>",
        )
    )
    figure.update_layout(
        xaxis={"title": "Months since the first injection"},
        yaxis={"title": "Patients with a first response (%)", "range": [0, 100]},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        height=380,
    )
    return figure
