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
MAX_PATIENT_ROWS = 150  # one row per patient up to this many; above, patients per regimen and month


def regimen_timeline(regimens: pd.DataFrame, outcomes: pd.DataFrame, *, max_patients: int = MAX_PATIENT_ROWS) -> go.Figure:
    """Each patient's regimens over the months of treatment: one row per patient, coloured by regimen.

    Parameters
    ----------
    regimens : DataFrame
        Output of :func:`omalizumab_core.analyses.dosing.regimens`.
    outcomes : DataFrame
        Per-patient outcomes (patient_id, best_response): rows are grouped by
        best response (CR first), as the row labels say.
    max_patients : int
        Above this many patients, show the number of patients on each
        regimen at each month instead (stacked areas), and say so in the title.

    Returns
    -------
    plotly Figure
        One bar segment per regimen, from its start to its end month, on the
        patient's row; colours and legend name the regimen as clinicians say
        it ("300 mg every 2 weeks"), patient id in customdata[0] for
        click-through. (Lines at the dose in mg per 4 weeks overlaid 55
        patients into three lines.)
    """
    n = regimens["patient_id"].nunique()
    if n > max_patients:
        return _regimens_by_month(regimens, n)
    best = pd.Series(outcomes["best_response"].to_numpy(), index=outcomes["patient_id"].to_numpy())
    r = regimens.assign(best=regimens["patient_id"].map(best).fillna("NR").to_numpy(), label=_labels(regimens))
    order = {code: i for i, code in enumerate(RESPONSES)}
    patients = (r.drop_duplicates("patient_id").assign(rank=lambda f: f["best"].map(order))
                .sort_values(["rank", "patient_id"], kind="stable"))
    rows = [f"{pid} ({best_code})" for pid, best_code in zip(patients["patient_id"], patients["best"])]
    row_of = dict(zip(patients["patient_id"], rows))
    # Regimens from the least to the most omalizumab, coloured light to dark.
    regimen_order = r.groupby("label", sort=False)["mg_per_4_weeks"].max().sort_values(kind="stable").index.tolist()
    palette = _regimen_palette(len(regimen_order))
    figure = go.Figure()
    for color, label in zip(palette, regimen_order):
        part = r[(r["label"] == label).to_numpy()]
        begin = part["start_month"].to_numpy(dtype="float64")
        stop = part["end_month"].to_numpy(dtype="float64")
        stop = np.where(np.isnan(stop) | (stop <= begin), begin + 0.5, stop)
        ids = part["patient_id"].to_numpy(dtype=object)
        y = [row_of[i] for i in ids]
        text = [f"{i}: {label}<br>months {a:g}–{b:g}" for i, a, b in zip(ids, begin, stop)]
        figure.add_trace(go.Bar(
            x=stop - begin, base=begin, y=y, orientation="h", name=label, marker={"color": color},
            customdata=ids.reshape(-1, 1), hovertext=text, hoverinfo="text",
        ))
    figure.update_layout(
        title=f"Regimen of each patient over time (n = {n}), patients grouped by best response",
        xaxis_title="Months since the first injection", barmode="overlay", bargap=0.25, hovermode="closest",
        yaxis={"categoryorder": "array", "categoryarray": rows[::-1], "title": None, "tickfont": {"size": 10}},
        legend_title="Regimen", height=max(360, 16 * n + 160),
    )
    return figure


def _regimen_palette(k: int) -> list[str]:
    """``k`` blues from light to dark (more omalizumab is darker)."""
    light, dark = np.array([198, 219, 239]), np.array([8, 48, 107])
    steps = [light + (dark - light) * (i / max(k - 1, 1)) for i in range(k)]
    return [f"rgb({int(a)},{int(b)},{int(c)})" for a, b, c in steps]


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
        title=f"Patients on each regimen by month ({n} patients: aggregated, one row per patient up to {MAX_PATIENT_ROWS})",
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
