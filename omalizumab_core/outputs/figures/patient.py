"""Figures of one patient's course (Patient page).

Builders take the tables of :mod:`omalizumab_core.analyses.patient_course` and return
plotly Figures; one patient is a few dozen marks, so nothing is sampled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from omalizumab_core.data.codes import ANALYTE_LABELS, ANALYTES, RESPONSE_LABELS, RESPONSES, SUBGROUP_LABELS
from omalizumab_core.outputs.figures import RESPONSE_COLORS, rgba

BAND_COLORS = {"CR": rgba(RESPONSE_COLORS["CR"], 0.25), "MR": rgba(RESPONSE_COLORS["MR"], 0.14), "PR": rgba(RESPONSE_COLORS["PR"], 0.14), "NR": rgba(RESPONSE_COLORS["NR"], 0.10)}
# Symptom values: 0 disappeared (green) ... 1 unchanged (light) ... 1.5 worse (red).
SYMPTOM_SCALE = [[0.0, RESPONSE_COLORS["CR"]], [1 / 3, "#a6d96a"], [2 / 3, "#f4f4f4"], [1.0, RESPONSE_COLORS["NR"]]]
SEVERITY_COLORS = {"mild": "#e3a21a", "moderate": "#e67e22", "severe": "#c0392b"}


def _empty(title: str, message: str, height: int = 260) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(title=title, height=height, xaxis_visible=False, yaxis_visible=False)
    return fig


def score_trajectory_figure(trajectory: pd.DataFrame, baseline: int, *, end_month: float | None = None, last_month: float | None = None) -> go.Figure:
    """Symptom score over time on the CR / MR / PR / NR bands, category at each assessment.

    Parameters
    ----------
    trajectory : DataFrame
        :func:`~omalizumab_core.analyses.patient_course.score_trajectory`.
    baseline : int
        Number of baseline symptoms B (the baseline score).
    end_month : float, optional
        Month of the last injection for a patient who stopped (dashed line).
    last_month : float, optional
        Last month of the course (months on treatment), so that the time axis
        matches :func:`course_timeline_figure`.

    Notes
    -----
    Bands in score points, from the paper's definitions: CR is a score of 0,
    MR a score below 50 % of baseline (decrease > 50 %), PR 50–90 % of
    baseline (decrease 10–50 %), NR above 90 % (decrease < 10 %). A point
    coloured NR inside the PR or MR band is an assessment with a worsened
    baseline symptom or a new symptom.
    """
    title = "Symptom score over time"
    if baseline <= 0:
        return _empty(title, "No baseline symptom: the symptom score cannot be followed.")
    months = np.r_[0.0, trajectory["month"].to_numpy(dtype="float64")]
    scores = np.r_[float(baseline), trajectory["score"].to_numpy(dtype="float64")]
    top = max(float(scores.max()), float(baseline)) * 1.08
    fig = go.Figure()
    bands = (("NR", 0.9 * baseline, top, "NR: decrease < 10 %"), ("PR", 0.5 * baseline, 0.9 * baseline, "PR: decrease 10–50 %"), ("MR", 0, 0.5 * baseline, "MR: decrease > 50 %"))
    # Shapes and annotations given at once: plotly's add_hrect/add_hline redo the layout on each call.
    shapes, annotations = [], []
    for code, low, high, label in (*bands, ("CR", 0, 0, "CR: score 0")):
        if high > low:
            shapes.append({"type": "rect", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": low, "y1": high,
                           "fillcolor": BAND_COLORS[code], "line": {"width": 0}, "layer": "below"})
        annotations.append({"text": label, "x": 1.01, "xref": "paper", "xanchor": "left", "y": (low + high) / 2, "yref": "y",
                            "showarrow": False, "font": {"color": RESPONSE_COLORS[code]}})
    shapes.append({"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": 0, "y1": 0, "line": {"color": RESPONSE_COLORS["CR"], "width": 4}})
    fig.add_trace(go.Scatter(x=months, y=scores, mode="lines", line={"color": "#555", "width": 2}, name="Symptom score", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=[0.0], y=[float(baseline)], mode="markers", marker={"color": "#555", "size": 10},
                             name="Baseline", hovertemplate="Baseline: %{y} symptoms<extra></extra>"))
    for code in RESPONSES:
        at = trajectory[trajectory["category"] == code]
        if at.empty:
            continue
        fig.add_trace(
            go.Scatter(
                x=at["month"], y=at["score"], mode="markers+text", text=[code] * len(at), textposition="top center",
                marker={"color": RESPONSE_COLORS[code], "size": 11, "line": {"color": "white", "width": 1}},
                name=RESPONSE_LABELS[code],
                customdata=np.c_[at["decrease_pct"].round(1), at["worsened_symptoms"], at["new_symptoms"]],
                hovertemplate="Month %{x}<br>Score %{y}<br>Decrease %{customdata[0]} %<br>"
                "Worsened symptoms %{customdata[1]}, new symptoms %{customdata[2]}<extra>" + RESPONSE_LABELS[code] + "</extra>",
            )
        )
    for flag, label, symbol, size in (("is_first_response", "First response", "circle-open", 20), ("is_best_response", "Best response", "diamond-open", 28)):
        at = trajectory[trajectory[flag]]
        if not at.empty:
            fig.add_trace(go.Scatter(x=at["month"], y=at["score"], mode="markers", name=label, hoverinfo="skip",
                                     marker={"symbol": symbol, "size": size, "color": "#222", "line": {"width": 2}}))
    if end_month is not None and not np.isnan(end_month):
        shapes.append({"type": "line", "xref": "x", "x0": end_month, "x1": end_month, "yref": "y domain", "y0": 0, "y1": 1, "line": {"dash": "dash", "color": "#777"}})
        annotations.append({"text": "Treatment stopped", "x": end_month, "xref": "x", "xanchor": "right", "y": 0, "yref": "y domain", "yanchor": "bottom", "showarrow": False})
    last = max([float(months.max())] + [float(x) for x in (end_month, last_month) if x is not None and not np.isnan(x)])
    fig.update_layout(title=title, height=420, legend={"orientation": "h", "y": -0.2}, margin={"r": 170}, shapes=shapes, annotations=annotations)
    fig.update_xaxes(title="Months since first injection", range=[-0.3, last + 0.5])
    fig.update_yaxes(title=f"Symptom score (baseline {baseline})", range=[-0.3, top])
    return fig


def symptom_heatmap_figure(grid: pd.DataFrame) -> go.Figure:
    """Each symptom's value at each assessment; carried-forward values lighter and in brackets.

    Notes
    -----
    Colours: 0 complete disappearance (green), 1 no change (light), 1.5
    worsening (red). A value carried forward from an earlier record is drawn
    faded and written "(0.5)"; a symptom absent at baseline is labelled
    "(new)" and listed last.
    """
    title = "Symptoms at each assessment"
    if grid.empty:
        return _empty(title, "No symptom recorded.")
    labels = [f"{s} (new)" if n else s for s, n in zip(grid["symptom"], grid["new_symptom"])]
    frame = grid.assign(label=labels, column=[f"M{m:g}" for m in grid["month"]])
    rows = list(dict.fromkeys(frame["label"]))
    columns = [f"M{m:g}" for m in sorted(frame["month"].unique())]

    def layer(mask):
        part = frame[mask]
        z = part.pivot(index="label", columns="column", values="value").reindex(index=rows, columns=columns)
        return z

    recorded = layer(frame["recorded"])
    carried = layer(~frame["recorded"])
    text_recorded = recorded.map(lambda v: "" if pd.isna(v) else f"{v:g}")
    text_carried = carried.map(lambda v: "" if pd.isna(v) else f"({v:g})")
    fig = go.Figure()
    common = {"x": columns, "y": rows, "zmin": 0, "zmax": 1.5, "colorscale": SYMPTOM_SCALE, "xgap": 2, "ygap": 2, "texttemplate": "%{text}"}
    fig.add_trace(go.Heatmap(z=carried.to_numpy(), text=text_carried.to_numpy(), opacity=0.35, showscale=False, name="Carried forward",
                             hovertemplate="%{y}, %{x}: %{z} (carried forward)<extra></extra>", **common))
    fig.add_trace(go.Heatmap(z=recorded.to_numpy(), text=text_recorded.to_numpy(), name="Recorded",
                             colorbar={"title": "Score", "tickvals": [0, 0.25, 0.5, 0.75, 1, 1.5],
                                       "ticktext": ["0 gone", "0.25", "0.5", "0.75", "1 no change", "1.5 worse"]},
                             hovertemplate="%{y}, %{x}: %{z} (recorded)<extra></extra>", **common))
    fig.update_layout(title=title, height=max(320, 160 + 24 * len(rows)), margin={"l": 10})
    fig.update_xaxes(title="Assessment (month since first injection)", type="category", side="top")
    fig.update_yaxes(autorange="reversed", type="category")
    fig.add_annotation(text="Faded values in brackets: carried forward from the last record. (new): absent at baseline.",
                       showarrow=False, xref="paper", yref="paper", x=0, y=-0.02, yanchor="top", xanchor="left", font={"size": 11})
    return fig


def course_timeline_figure(doses, adverse_events, labs, *, end_month: float | None = None, last_month: float | None = None) -> go.Figure:
    """Doses, adverse events and laboratory values on one shared time axis.

    Parameters
    ----------
    doses, adverse_events, labs : DataFrame or None
        :func:`~omalizumab_core.analyses.patient_course.dose_timeline`,
        ``patient_adverse_events`` and ``patient_labs``; None when the cohort
        has no such table (the row says so).
    end_month : float, optional
        Month of the last injection for a patient who stopped.
    last_month : float, optional
        Last month of the course, to draw the current regimen up to it.
    """
    titles = ("Omalizumab dose (mg per injection)", "Adverse events", ANALYTE_LABELS["tryptase"], ANALYTE_LABELS["total_ige"])
    fig = make_subplots(rows=4, cols=1, shared_xaxes=True, vertical_spacing=0.07, subplot_titles=titles, row_heights=[0.3, 0.3, 0.2, 0.2])
    # Traces and axis settings are collected and given to plotly at once (one
    # call per row would redo the layout each time).
    traces, rows, layout = [], [], {}

    def add(row, trace):
        traces.append(trace)
        rows.append(row)

    def yaxis(row, **settings):
        layout.setdefault("yaxis" if row == 1 else f"yaxis{row}", {}).update(settings)

    months = [frame["month"].max() for frame in (doses, adverse_events, labs) if frame is not None and len(frame)]
    last = max([float(m) for m in months] + [float(x) for x in (end_month, last_month) if x is not None and not np.isnan(x)] + [1.0])

    def note(row, text):
        # A text mark (not a paper annotation) keeps the empty row's axes drawn.
        add(row, go.Scatter(x=[last / 2], y=[0], mode="text", text=[text], textfont={"color": "#777"}, hoverinfo="skip", showlegend=False))
        yaxis(row, showticklabels=False, showgrid=False)

    if doses is None:
        note(1, "No doses table in this cohort")
    elif doses.empty:
        note(1, "No dose recorded")
    else:
        end = max(float(doses["month"].max()), float(last_month if last_month is not None and not np.isnan(last_month) else 0))
        add(1, go.Scatter(x=np.r_[doses["month"], end], y=np.r_[doses["dose_mg"], doses["dose_mg"].iloc[-1]], mode="lines",
                          line={"shape": "hv", "color": "#2c6fbb"}, name="Dose", hoverinfo="skip", showlegend=False))
        weekly = doses["interval_days"] <= 7
        add(1, go.Scatter(x=doses["month"], y=doses["dose_mg"], mode="markers+text", text=doses["regimen"], textposition="top right",
                          marker={"size": 11, "color": np.where(weekly, "#8e44ad", "#2c6fbb"), "symbol": np.where(weekly, "square", "circle")},
                          customdata=doses["change"], showlegend=False,
                          hovertemplate="Month %{x}: %{text}<br>%{customdata}<extra></extra>"))
        yaxis(1, range=[0, float(doses["dose_mg"].max()) * 1.5])
    if adverse_events is None:
        note(2, "No adverse-events table in this cohort")
    elif adverse_events.empty:
        note(2, "No adverse event recorded")
    else:
        severity = adverse_events["severity"].astype(object) if "severity" in adverse_events else pd.Series(None, index=adverse_events.index)
        # An optional column: absent, no event is marked (a scalar False would make a 0-d symbol array).
        stopped = (adverse_events["led_to_discontinuation"].fillna(False).astype(bool) if "led_to_discontinuation" in adverse_events
                   else pd.Series(False, index=adverse_events.index))
        add(2, go.Scatter(x=adverse_events["month"], y=adverse_events["event"], mode="markers", showlegend=False,
                          marker={"size": 12, "color": [SEVERITY_COLORS.get(s, "#777") for s in severity],
                                  "symbol": np.where(stopped, "x", "circle")},
                          customdata=severity.fillna("severity not recorded"),
                          hovertemplate="Month %{x}: %{y} (%{customdata})<extra></extra>"))
        yaxis(2, type="category")
    for row, analyte in zip((3, 4), ANALYTES):
        values = None if labs is None else labs[labs["analyte"] == analyte]
        if values is None:
            note(row, "No labs table in this cohort")
        elif values.empty:
            note(row, "No value recorded")
        else:
            add(row, go.Scatter(x=values["month"], y=values["value"], mode="lines+markers+text", text=[f"{v:g}" for v in values["value"]],
                                textposition="top right", showlegend=False, line={"color": "#555"},
                                hovertemplate="Month %{x}: %{y}<extra></extra>"))
            yaxis(row, range=[0, float(values["value"].max()) * 1.35])
    fig.add_traces(traces, rows=rows, cols=[1] * len(rows))
    shapes = []
    if end_month is not None and not np.isnan(end_month):
        for row in range(1, 5):
            axis = "" if row == 1 else str(row)
            shapes.append({"type": "line", "xref": f"x{axis}", "x0": end_month, "x1": end_month, "yref": f"y{axis} domain", "y0": 0, "y1": 1,
                           "line": {"dash": "dash", "color": "#777"}})
    for row in range(1, 5):
        layout.setdefault("xaxis" if row == 1 else f"xaxis{row}", {}).update(range=[-0.3, last + 0.5])
    layout["xaxis4"]["title"] = {"text": "Months since first injection"}
    fig.update_layout(title="Doses, adverse events and laboratory values", height=720, margin={"r": 40}, shapes=shapes, **layout)
    return fig


def patient_course_figure(
    trajectory: pd.DataFrame,
    baseline: int,
    doses,
    adverse_events,
    labs,
    *,
    end_month: float | None = None,
    last_month: float | None = None,
) -> go.Figure:
    """The whole course in one figure: symptom score, doses, adverse events and labs on one month axis.

    The panels of :func:`score_trajectory_figure` (top) and
    :func:`course_timeline_figure` (below) share a single x axis, so a month
    sits at the same place in every panel. Adverse events are coloured by
    severity (mild, moderate, severe; grey when not recorded) with a legend,
    and marked × when the event led to discontinuation; optional columns the
    cohort lacks (severity, led_to_discontinuation) are simply not shown.

    Parameters
    ----------
    trajectory, baseline
        As for :func:`score_trajectory_figure`.
    doses, adverse_events, labs
        As for :func:`course_timeline_figure` (None: no such table).
    end_month, last_month : float, optional
        Month of the last injection of a patient who stopped; last month of the course.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> from omalizumab_core.analyses.patient_course import patient_course
    >>> c = patient_course(demo_scored(), "DEMO-003")
    >>> fig = patient_course_figure(c.trajectory, c.header["baseline_symptoms"], c.doses, c.adverse_events, c.labs)
    >>> len({trace.xaxis for trace in fig.data}), fig.layout.xaxis.matches  # five panels, one month axis
    (5, 'x5')
    """
    # The two figures' parts are moved into one grid as plain dicts and validated once by go.Figure:
    # copying plotly objects between figures (add_traces, update_layout) validated each part again.
    score = score_trajectory_figure(trajectory, baseline, end_month=end_month, last_month=last_month).to_plotly_json()
    timeline = course_timeline_figure(doses, adverse_events, labs, end_month=end_month, last_month=last_month).to_plotly_json()
    titles = (f"Symptom score (baseline {baseline} symptoms)", "Omalizumab dose (mg per injection)", "Adverse events (colour: severity)",
              ANALYTE_LABELS["tryptase"], ANALYTE_LABELS["total_ige"])
    layout = make_subplots(rows=5, cols=1, shared_xaxes=True, vertical_spacing=0.07, subplot_titles=titles,
                           row_heights=[0.34, 0.17, 0.19, 0.15, 0.15]).to_plotly_json()["layout"]
    traces, rows = list(score["data"]), [1] * len(score["data"])
    for trace in timeline["data"]:
        traces.append(trace)
        rows.append(int((trace.get("xaxis") or "x").removeprefix("x") or 1) + 1)
    if adverse_events is not None and len(adverse_events) and "severity" in adverse_events:
        recorded = set(adverse_events["severity"].dropna().astype(str))
        for severity, color in SEVERITY_COLORS.items():
            if severity in recorded:
                traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers", "marker": {"size": 12, "color": color},
                               "name": f"Adverse event: {severity}"})
                rows.append(3)
    if adverse_events is not None and len(adverse_events) and "led_to_discontinuation" in adverse_events:
        if adverse_events["led_to_discontinuation"].fillna(False).astype(bool).any():
            traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers", "marker": {"size": 12, "color": "#777", "symbol": "x"},
                           "name": "Led to stopping omalizumab"})
            rows.append(3)
    data = [{**trace, "xaxis": "x" if row == 1 else f"x{row}", "yaxis": "y" if row == 1 else f"y{row}"} for trace, row in zip(traces, rows)]

    def moved(ref: str) -> str:
        # "x2" / "y3 domain" of the timeline's row k become row k + 1 of this figure.
        axis, _, rest = ref.partition(" ")
        if axis in ("paper", "") or not axis[1:].isdigit() and len(axis) > 1:
            return ref
        row = int(axis[1:] or 1) + 1
        return f"{axis[0]}{row}" + (f" {rest}" if rest else "")

    shapes = list(score["layout"].get("shapes", []))
    shapes += [{**shape, "xref": moved(shape["xref"]), "yref": moved(shape["yref"])} for shape in timeline["layout"].get("shapes", [])]
    settings = {k: v for k, v in score["layout"]["yaxis"].items() if k != "title"}
    layout["yaxis"] = {**layout["yaxis"], **settings}
    for row in range(1, 5):
        source = timeline["layout"]["yaxis" if row == 1 else f"yaxis{row}"]
        target = f"yaxis{row + 1}"
        layout[target] = {**layout[target], **{k: v for k, v in source.items() if k not in ("domain", "anchor", "matches")}}
    score_range, timeline_range = score["layout"]["xaxis"].get("range"), timeline["layout"]["xaxis"]["range"]
    last = max(float(score_range[1]), float(timeline_range[1])) if score_range else float(timeline_range[1])
    for row in range(1, 6):
        axis = "xaxis" if row == 1 else f"xaxis{row}"
        layout[axis] = {**layout[axis], "range": [-0.3, last], "showticklabels": True, "dtick": _month_step(last)}
    layout["xaxis5"]["title"] = {"text": "Months since first injection"}
    layout.update(title={"text": "Course under omalizumab"}, height=1250, margin={"r": 170}, shapes=shapes,
                  annotations=layout.get("annotations", []) + list(score["layout"].get("annotations", [])), legend={"orientation": "h", "y": -0.06})
    return go.Figure({"data": data, "layout": layout})


def _month_step(last: float) -> float:
    """Tick spacing in months: every month up to a year, then 3, 6 or 12."""
    for step in (1, 3, 6, 12):
        if last / step <= 14:
            return step
    return 24


def subgroup_response_figure(counts: pd.DataFrame, subgroup: str) -> go.Figure:
    """Best response in the patient's subgroup, the patient's category highlighted.

    Parameters
    ----------
    counts : DataFrame
        ``SubgroupComparison.counts`` (category, n, total, is_patient).
    subgroup : str
        The subgroup code.
    """
    label = SUBGROUP_LABELS.get(subgroup, subgroup)
    total = int(counts["total"].iloc[0]) if len(counts) else 0
    colors = [RESPONSE_COLORS[c] for c in counts["category"]]
    fig = go.Figure(
        go.Bar(
            x=[RESPONSE_LABELS[c] for c in counts["category"]], y=counts["n"], text=counts["n"], textposition="outside",
            marker={"color": colors, "opacity": [1.0 if p else 0.35 for p in counts["is_patient"]],
                    "line": {"color": ["#222" if p else "rgba(0,0,0,0)" for p in counts["is_patient"]], "width": 3}},
            hovertemplate="%{x}: %{y} patients<extra></extra>",
        )
    )
    for row in counts[counts["is_patient"]].itertuples():
        fig.add_annotation(x=RESPONSE_LABELS[row.category], y=row.n, text="This patient", showarrow=True, arrowhead=2, ay=-45, yshift=18)
    fig.update_layout(title=f"Best response in {label} (N = {total}, current filters)", height=360, showlegend=False)
    fig.update_xaxes(title="Best response")
    fig.update_yaxes(title="Patients", range=[0, max(int(counts["n"].max()) if len(counts) else 1, 1) * 1.35])
    return fig
