"""Figures of the Dosing page: regimens over time, response around each change of regimen."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from omalizumab_core.data.codes import RESPONSE_LABELS, RESPONSES
from omalizumab_core.analyses.dosing import CHANGE_LABELS, regimen_labels
from omalizumab_core.outputs.figures import NO_DATA_COLOR, RESPONSE_COLORS

# Above this many patients one line per patient is unreadable and heavy for
# the browser: the timeline becomes patients per regimen and month.
MAX_PATIENT_LINES = 2000
DOSE_AXIS = "Omalizumab dose (mg per 4 weeks)"


def regimen_timeline(regimens: pd.DataFrame, outcomes: pd.DataFrame, *, max_patients: int = MAX_PATIENT_LINES) -> go.Figure:
    """Each patient's dose over the months of treatment, coloured by best response.

    Parameters
    ----------
    regimens : DataFrame
        Output of :func:`omalizumab_core.analyses.dosing.regimens`.
    outcomes : DataFrame
        Per-patient outcomes (patient_id, best_response) for the colours.
    max_patients : int
        Above this many patients, show the number of patients on each
        regimen at each month instead (stacked areas), and say so in the title.

    Returns
    -------
    plotly Figure
        Step lines at the monthly-equivalent dose (mg per 4 weeks; 150 mg
        every 2 weeks is 300), one per patient, patient id in customdata[0].
    """
    n = regimens["patient_id"].nunique()
    if n > max_patients:
        return _regimens_by_month(regimens, n)
    best = pd.Series(outcomes["best_response"].to_numpy(), index=outcomes["patient_id"].to_numpy())
    r = regimens.assign(best=regimens["patient_id"].map(best).fillna("NR").to_numpy())
    labels = _labels(r)
    figure = go.Figure()
    for category in RESPONSES:
        rows = r[(r["best"] == category).to_numpy()]
        if rows.empty:
            continue
        # Each regimen is a segment from its start to its end; consecutive regimens of a patient
        # join into steps, and a gap (NaN) after each patient's last regimen separates patients.
        ids = rows["patient_id"].to_numpy(dtype=object)
        start = rows["start_month"].to_numpy(dtype="float64")
        end = rows["end_month"].to_numpy(dtype="float64")
        stop = np.where(np.isnan(end), start, end)
        mg = rows["mg_per_4_weeks"].to_numpy(dtype="float64")
        last = np.r_[ids[1:] != ids[:-1], True]
        text = [
            f"{i}<br>{label} ({m:.0f} mg per 4 weeks)<br>months {a:g}–{b:g}"
            for i, label, m, a, b in zip(ids, labels[(r["best"] == category).to_numpy()], mg, start, stop)
        ]
        x = np.column_stack([start, stop, np.full(len(rows), np.nan)]).ravel()
        y = np.column_stack([mg, mg, np.full(len(rows), np.nan)]).ravel()
        keep = np.column_stack([np.ones((len(rows), 2), dtype=bool), last]).ravel()
        custom = np.column_stack([ids, ids, np.full(len(rows), None, dtype=object)]).ravel()
        hover = np.column_stack([text, text, np.full(len(rows), "", dtype=object)]).ravel()
        figure.add_trace(go.Scatter(
            x=x[keep], y=y[keep], mode="lines+markers", name=RESPONSE_LABELS[category],
            line={"color": RESPONSE_COLORS[category], "width": 1.5}, marker={"size": 4},
            customdata=custom[keep].reshape(-1, 1), hovertext=hover[keep], hoverinfo="text", opacity=0.8,
        ))
    figure.update_layout(
        title=f"Omalizumab dose over time, one line per patient (n = {n}), by best response",
        xaxis_title="Months since the first injection", yaxis={"title": DOSE_AXIS, "rangemode": "tozero"},
        legend_title="Best response", hovermode="closest",
    )
    return figure


def _labels(regimens: pd.DataFrame) -> np.ndarray:
    """"300 mg every 14 days" for each regimen row, built once per distinct regimen."""
    return regimen_labels(regimens["dose_mg"], regimens["interval_days"])


def _regimens_by_month(regimens: pd.DataFrame, n: int) -> go.Figure:
    """Patients on each regimen at each whole month (a regimen counts from its start to its end)."""
    start = regimens["start_month"].to_numpy(dtype="float64")
    end = regimens["end_month"].to_numpy(dtype="float64")
    end = np.where(np.isnan(end), start, end)
    months = np.arange(0, int(np.ceil(np.nanmax(end))) + 1 if len(end) else 1)
    codes, names = pd.factorize(pd.Series(_labels(regimens)))
    mg = regimens["mg_per_4_weeks"].to_numpy(dtype="float64")
    counts = np.zeros((len(names), len(months) + 1), dtype=np.int64)
    # +1 at the first whole month on the regimen, −1 at the first whole month after it.
    first = np.clip(np.ceil(start), 0, len(months)).astype(int)
    after = np.clip(np.where(end > start, np.ceil(end), np.floor(start) + 1), 0, len(months)).astype(int)
    after = np.maximum(after, first)
    np.add.at(counts, (codes, first), 1)
    np.add.at(counts, (codes, after), -1)
    counts = np.cumsum(counts, axis=1)[:, : len(months)]
    highest = pd.Series(mg).groupby(codes).max().reindex(range(len(names))).to_numpy()
    order = np.argsort(highest, kind="stable")
    figure = go.Figure()
    for k in order:
        figure.add_trace(go.Scatter(x=months, y=counts[k], name=names[k], mode="lines", stackgroup="regimens"))
    figure.update_layout(
        title=f"Patients on each regimen by month ({n} patients: aggregated, one line per patient above {MAX_PATIENT_LINES})",
        xaxis_title="Months since the first injection", yaxis_title="Patients on the regimen", legend_title="Regimen",
    )
    return figure


def response_around_changes(changes: pd.DataFrame) -> go.Figure:
    """Response before each change of regimen and best response after it.

    Parameters
    ----------
    changes : DataFrame
        Output of :func:`omalizumab_core.analyses.dosing.dose_changes`.

    Returns
    -------
    plotly Figure
        One panel per kind of change; bars are the response category at the
        last assessment before the change, stacked by the best response after
        it (grey "no assessment after" when there is none).
    """
    kinds = [k for k in CHANGE_LABELS if (changes["kind"] == k).any()]
    figure = make_subplots(rows=1, cols=max(len(kinds), 1), subplot_titles=[CHANGE_LABELS[k] for k in kinds] or [""], shared_yaxes=True)
    after = changes["best_category_after"].astype(object).where(changes["best_category_after"].notna(), "none")
    before_order = [c for c in reversed(RESPONSES)]  # NR, PR, MR, CR: worse to better, left to right
    for col, kind in enumerate(kinds, start=1):
        rows = changes[changes["kind"] == kind]
        for category in [*before_order, "none"]:
            counts = rows[after[rows.index] == category]["category_before"].value_counts()
            if counts.sum() == 0:
                continue
            name = "No assessment after" if category == "none" else RESPONSE_LABELS[category]
            figure.add_trace(go.Bar(
                x=[RESPONSE_LABELS[c] for c in before_order], y=[int(counts.get(c, 0)) for c in before_order],
                name=name, legendgroup=name, showlegend=not any(t.name == name for t in figure.data),
                marker_color=RESPONSE_COLORS.get(category, NO_DATA_COLOR),
                hovertemplate=f"Before: %{{x}}<br>Best after: {name}<br>%{{y}} changes<extra></extra>",
            ), row=1, col=col)
        figure.update_xaxes(title_text="Response before the change", row=1, col=col)
    figure.update_yaxes(title_text="Changes of regimen", row=1, col=1)
    figure.update_layout(barmode="stack", title="Response before each change of regimen and best response after it", legend_title="Best response after")
    return figure
