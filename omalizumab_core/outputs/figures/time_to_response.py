"""Time to response: cumulative incidence curves, response-time histograms, first improvement.

Builders take the DataFrames of :mod:`omalizumab_core.analyses.time_to_response` and
return plotly Figures with clinical labels. Every mark is an aggregate (a step
per distinct month, a bar per month, a row per symptom category), so the
figures stay the same size at 100,000 patients.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from omalizumab_core.data.codes import CATEGORY_LABELS
from omalizumab_core.stats.kaplan_meier import numbers_at_risk
from omalizumab_core.analyses.time_to_response import MILESTONE_LABELS, MILESTONES, group_label

CURVE_TITLES = {
    "aalen_johansen": "Cumulative incidence of response (Aalen–Johansen; stopping without response is a competing event)",
    "kaplan_meier": "Sensitivity analysis: 1 − Kaplan–Meier (non-responders censored when they stop; overstates response)",
}
from omalizumab_core.outputs.figures import rgba

MILESTONE_COLORS = {"first": "#2166ac", "best": "#1a9850"}
GROUP_COLORS = ("#2166ac", "#d6604d", "#1a9850", "#762a83", "#e08214", "#4d4d4d", "#35978f", "#c51b7d", "#8c510a", "#969696")
X_TITLE = "Months since first injection"


def _steps(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Corner points of a right-continuous step function (as line_shape="hv" draws it)."""
    if len(x) == 0:
        return x, y
    xs = np.repeat(x, 2)[1:]
    ys = np.repeat(y, 2)[:-1]
    return xs, ys


def _at_risk_times(max_time: float) -> np.ndarray:
    """Months at which the at-risk table counts (and the axis ticks): 5 to 12 columns."""
    step = 1 if max_time <= 6 else 2 if max_time <= 12 else 3 if max_time <= 24 else 6 if max_time <= 48 else 12
    return np.arange(0, max_time + 1e-9, step, dtype="float64")


def cumulative_incidence_plot(curves: pd.DataFrame, *, by: str | None = None, show_ci: bool = True) -> go.Figure:
    """Cumulative incidence of response (Aalen–Johansen or 1 − Kaplan–Meier), with a numbers-at-risk table beneath.

    Parameters
    ----------
    curves : DataFrame
        Output of :func:`omalizumab_core.analyses.time_to_response.time_to_response_curves`.
    by : str or None
        The split the curves were computed with (for the group labels).
    show_ci : bool
        Shade the 95 % confidence band of each curve.
    """
    keys = [(m, g) for m in MILESTONES for g in dict.fromkeys(curves.loc[curves["milestone"] == m, "group"])]
    groups = list(dict.fromkeys(curves["group"]))
    split = by is not None and len(groups) > 1
    # Fixed pixel sizes: the curves, a gap for the months axis, one line per curve in the table.
    curve_px, gap_px, table_px = 380, 95, 30 * len(keys) + 10
    top, bottom = 110, 20
    figure = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[curve_px, table_px], vertical_spacing=gap_px / (curve_px + gap_px + table_px)
    )
    max_time = float(curves["time"].max()) if len(curves) else 0.0
    at_times = _at_risk_times(max_time)
    labels = []
    for milestone, group in keys:
        rows = curves[(curves["milestone"] == milestone) & (curves["group"] == group)]
        color = GROUP_COLORS[groups.index(group) % len(GROUP_COLORS)] if split else MILESTONE_COLORS[milestone]
        name = MILESTONE_LABELS[milestone] + (f" · {group_label(by, group)}" if by is not None else "")
        labels.append(name)
        x = rows["time"].to_numpy(dtype="float64")
        if show_ci:
            band = rows.dropna(subset=["ci_low", "ci_high"])
            bx, hi = _steps(band["time"].to_numpy(dtype="float64"), 100 * band["ci_high"].to_numpy(dtype="float64"))
            _, lo = _steps(band["time"].to_numpy(dtype="float64"), 100 * band["ci_low"].to_numpy(dtype="float64"))
            figure.add_trace(
                go.Scatter(
                    x=np.r_[bx, bx[::-1]], y=np.r_[hi, lo[::-1]], fill="toself", fillcolor=rgba(color, 0.13),
                    line={"width": 0}, hoverinfo="skip", showlegend=False, legendgroup=name,
                ),
                row=1, col=1,
            )
        figure.add_trace(
            go.Scatter(
                x=x, y=100 * rows["cumulative_incidence"].to_numpy(dtype="float64"), mode="lines", line_shape="hv", name=name, legendgroup=name,
                line={"color": color, "width": 2.5, "dash": "dash" if split and milestone == "first" else "solid"},
                customdata=np.c_[rows["n_at_risk"].to_numpy(), rows["n_events"].to_numpy()],
                hovertemplate=f"{name}<br>Month %{{x}}: %{{y:.1f}} % responding<br>At risk: %{{customdata[0]}}, responding this month: %{{customdata[1]}}<extra></extra>",
            ),
            row=1, col=1,
        )
        at_risk = numbers_at_risk(rows, at_times)
        figure.add_trace(
            go.Scatter(
                x=at_risk["time"], y=[name] * len(at_risk), mode="text", text=at_risk["n_at_risk"].astype(str),
                textfont={"color": color, "size": 12}, showlegend=False, hoverinfo="skip", cliponaxis=False,
            ),
            row=2, col=1,
        )
    figure.update_yaxes(title_text="Patients responding (%)", range=[0, 101], ticksuffix=" %", row=1, col=1)
    figure.update_yaxes(
        categoryorder="array", categoryarray=labels[::-1], range=[-0.5, len(labels) - 0.5], showgrid=False, tickfont={"size": 11}, row=2, col=1
    )
    figure.add_annotation(
        text="<b>Patients at risk</b>", xref="paper", x=0, xanchor="left", yref="y2 domain", y=1, yanchor="bottom", yshift=4, showarrow=False, font={"size": 12}
    )
    # The months axis sits under the curves; the at-risk table reuses its columns.
    figure.update_xaxes(title_text=X_TITLE, tickvals=at_times, showticklabels=True, range=[-0.5, max_time + 0.5], row=1, col=1)
    figure.update_xaxes(visible=False, row=2, col=1)
    figure.update_layout(
        title=CURVE_TITLES[curves["method"].iloc[0] if "method" in curves and len(curves) else "kaplan_meier"],
        height=top + curve_px + gap_px + table_px + bottom,
        # Many split curves: a vertical legend beside the plot rather than lines over the title.
        legend={"orientation": "v", "yanchor": "top", "y": 1, "x": 1.02} if split else {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        margin={"t": top, "b": bottom},
        hovermode="closest",
    )
    return figure


def response_time_histogram(data: pd.DataFrame) -> go.Figure:
    """Responders by month of first and of best response.

    Parameters
    ----------
    data : DataFrame
        Output of :func:`omalizumab_core.analyses.time_to_response.response_times`
        (milestone, time, event); only responders (event) are counted.

    Notes
    -----
    Bars count patients per month; months recorded with decimals are rounded
    to the nearest whole month for the bars (and the title says so).
    """
    responders = data[data["event"].astype(bool)]
    months = responders["time"].to_numpy(dtype="float64")
    whole = np.rint(months)
    rounded = bool(len(months)) and not np.array_equal(whole, months)
    figure = go.Figure()
    tallest = 0
    for milestone in MILESTONES:
        counts = pd.Series(whole[(responders["milestone"] == milestone).to_numpy()]).value_counts().sort_index()
        figure.add_trace(
            go.Bar(
                x=counts.index, y=counts.to_numpy(), name=MILESTONE_LABELS[milestone], marker_color=MILESTONE_COLORS[milestone],
                hovertemplate=f"{MILESTONE_LABELS[milestone]}<br>Month %{{x}}: %{{y}} patients<extra></extra>",
            )
        )
        tallest = max(tallest, int(counts.max()) if len(counts) else 0)
    n = int((responders["milestone"] == MILESTONES[0]).sum())
    last = float(whole.max()) if len(whole) else 1.0
    figure.update_layout(
        title=f"Months to first and to best response among the {n} responder{'' if n == 1 else 's'}"
        + (" (months rounded to the nearest whole month)" if rounded else ""),
        barmode="group",
        xaxis={"title": {"text": X_TITLE}, "range": [-0.5, last + 1]},
        # Whole patients on the axis: one tick per patient while the bars are short.
        yaxis={"title": {"text": "Responders"}, "rangemode": "tozero", **({"dtick": 1} if tallest <= 10 else {})},
        height=420,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        bargap=0.15,
    )
    return figure


def first_improvement_plot(summary: pd.DataFrame) -> go.Figure:
    """Months to first improvement per symptom category: median, IQR and range, horizontal.

    Parameters
    ----------
    summary : DataFrame
        Output of :func:`omalizumab_core.analyses.time_to_response.first_improvement_by_category`.
    """
    rows = summary[summary["n_improved"] > 0]
    labels = [f"{CATEGORY_LABELS.get(c, c)} (n = {k})" for c, k in zip(rows["category"], rows["n_improved"])]

    def segments(low, high):
        xs, ys = [], []
        for lo, hi, label in zip(low, high, labels):
            xs += [lo, hi, None]
            ys += [label, label, None]
        return xs, ys

    figure = go.Figure()
    xs, ys = segments(rows["min_months"], rows["max_months"])
    figure.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#bababa", "width": 2}, name="Range", hoverinfo="skip"))
    xs, ys = segments(rows["q1_months"], rows["q3_months"])
    figure.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": "#6baed6", "width": 10}, name="Interquartile range", hoverinfo="skip"))
    figure.add_trace(
        go.Scatter(
            x=rows["median_months"], y=labels, mode="markers", name="Median", marker={"color": "#08306b", "size": 12, "symbol": "diamond"},
            customdata=np.c_[rows["q1_months"], rows["q3_months"], rows["min_months"], rows["max_months"]],
            hovertemplate="%{y}<br>Median %{x} months<br>IQR %{customdata[0]}–%{customdata[1]}, range %{customdata[2]}–%{customdata[3]}<extra></extra>",
        )
    )
    figure.update_yaxes(categoryorder="array", categoryarray=labels[::-1], title_text="")
    figure.update_xaxes(title_text="Months to first improvement (a baseline symptom scored below 1)", rangemode="tozero")
    figure.update_layout(
        title="First improvement by symptom category among patients who improved (median, IQR, range)",
        height=200 + 40 * len(labels),
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
    return figure
