"""Figure 1 of Lemal et al. (2019): the symptom score before and under omalizumab, symptom by symptom.

Builders take the DataFrames of :mod:`omalizumab_core.analyses.symptom_changes` and
return plotly Figures with clinical labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from omalizumab_core.data.codes import CATEGORY_LABELS
from omalizumab_core.stats.multiple_testing import ADJUSTMENT_LABELS
from omalizumab_core.analyses.symptom_changes import OUTCOME_LABELS, OUTCOMES, SCORE_CLASSES, describe_time, score_distribution

HEATMAP_MAX_PATIENTS = 2000
HEATMAP_CLICK_MAX_PATIENTS = 500
BASELINE_COLOR = "#9e9e9e"
TREATED_COLOR = "#2166ac"
OUTCOME_COLORS = {"improved": "#1a9850", "unchanged": "#bdbdbd", "worse": "#d73027"}
# Score 0 (disappeared) dark green ... 1 (no change) grey ... 1.5 (worse) red.
SCORE_COLORSCALE = [
    [0.0, "#1a9850"],
    [0.25 / 1.5, "#66bd63"],
    [0.5 / 1.5, "#a6d96a"],
    [0.75 / 1.5, "#d9ef8b"],
    [1.0 / 1.5, "#e0e0e0"],
    [1.0, "#d73027"],
]
SCORE_CLASS_COLORS = dict(zip(SCORE_CLASSES, ("#1a9850", "#66bd63", "#a6d96a", "#d9ef8b", "#e0e0e0", "#d73027")))


def _label_column(frame: pd.DataFrame) -> str:
    return "symptom" if "symptom" in frame.columns else "category"


def _label(frame: pd.DataFrame, level: str) -> list[str]:
    if level == "symptom":
        return [str(s).capitalize() for s in frame["symptom"]]
    return [CATEGORY_LABELS.get(c, str(c)) for c in frame["category"]]


def _when(frame: pd.DataFrame) -> str:
    at = frame.attrs.get("at")
    return describe_time(at) if at is not None else "under treatment"


def symptom_score_bars(changes: pd.DataFrame) -> go.Figure:
    """Mean score at baseline and under omalizumab per symptom, stars above each pair (like Figure 1).

    Parameters
    ----------
    changes : DataFrame
        Output of :func:`omalizumab_core.analyses.symptom_changes.symptom_changes`.
        At symptom level the symptoms are grouped by category, each group
        named above its bars, as in Figure 1.
    """
    level = _label_column(changes)
    # Category names are long and few: the count goes on a second line, unrotated.
    separator = " " if level == "symptom" else "<br>"
    names = [f"{name}{separator}(n={int(n)})" for name, n in zip(_label(changes, level), changes["n_assessed"])]
    x = np.arange(len(changes))
    p_words = [
        f"p = {p:.3g}; adjusted p = {q:.3g}" if pd.notna(p) else "not tested (fewer than 2 patients changed)"
        for p, q in zip(changes["p_value"], changes["p_adjusted"])
    ]
    figure = go.Figure()
    figure.add_bar(x=x, y=changes["mean_baseline"], name="Before omalizumab (baseline)", marker_color=BASELINE_COLOR,
                   customdata=names, hovertemplate="%{customdata}<br>Mean score at baseline: %{y:.2f}<extra></extra>")
    figure.add_bar(x=x, y=changes["mean_on_treatment"], name=f"Under omalizumab ({_when(changes)})", marker_color=TREATED_COLOR,
                   customdata=np.stack([names, p_words], axis=-1) if len(names) else None,
                   hovertemplate="%{customdata[0]}<br>Mean score under omalizumab: %{y:.2f}<br>%{customdata[1]}<extra></extra>")
    top = np.fmax(changes["mean_baseline"].to_numpy(dtype="float64"), changes["mean_on_treatment"].to_numpy(dtype="float64"))
    figure.add_scatter(x=x, y=np.nan_to_num(top, nan=1.0) + 0.08, mode="text", text=changes["stars"], textfont={"size": 14},
                       showlegend=False, hoverinfo="skip")
    shapes, annotations = [], []
    if level == "symptom":
        categories = changes["category"].tolist()
        starts = [i for i in range(len(categories)) if i == 0 or categories[i] != categories[i - 1]]
        for number, (start, stop) in enumerate(zip(starts, [*starts[1:], len(categories)])):
            if start > 0:  # what add_vline draws, given at once: add_vline took 10 ms a line (issue 21)
                shapes.append({"type": "line", "xref": "x", "yref": "y domain", "x0": start - 0.5, "x1": start - 0.5, "y0": 0, "y1": 1,
                               "line": {"color": "#bdbdbd", "dash": "dot", "width": 1}})
            # Alternate heights so the names of neighbouring one-symptom categories do not overlap.
            annotations.append({"x": (start + stop - 1) / 2, "y": 1.66 if number % 2 == 0 else 1.56,
                                "text": CATEGORY_LABELS.get(categories[start], categories[start]),
                                "showarrow": False, "font": {"size": 11, "color": "#555555"}})
    adjust = changes.attrs.get("adjust", "none")
    test = "Wilcoxon signed-rank test" + ("" if adjust == "none" else f", {ADJUSTMENT_LABELS[adjust].split(' (')[0]}-adjusted")
    figure.update_layout(
        title={"text": f"Mean symptom score before and under omalizumab ({_when(changes)})<br>"
               f"<sup>{test}: ns ≥ 0.05; * p < 0.05; ** p < 0.01; *** p < 0.001. Score 1 = as at baseline, 0 = disappeared.</sup>"},
        barmode="group",
        yaxis={"title": "Mean symptom score (baseline = 1)", "range": [0, 1.72], "tickvals": [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5]},
        xaxis={"title": "", "tickmode": "array", "tickvals": x, "ticktext": names, "tickangle": -45 if level == "symptom" else 0},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
        margin={"t": 110},
        height=600,
        shapes=shapes,
        annotations=annotations,
    )
    return figure


def symptom_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """Score under omalizumab of each patient's baseline symptoms; a distribution per symptom above 2,000 patients.

    Parameters
    ----------
    matrix : DataFrame
        Output of :func:`omalizumab_core.analyses.symptom_changes.symptom_heatmap_data`
        (patients x symptoms, NaN where the symptom was absent at baseline).
    """
    level = matrix.columns.name or "symptom"
    columns = list(matrix.columns)
    labels = [str(c).capitalize() if level == "symptom" else CATEGORY_LABELS.get(c, str(c)) for c in columns]
    n = len(matrix)
    if n > HEATMAP_MAX_PATIENTS:
        return _score_distribution_bars(matrix, labels, level)
    ids = matrix.index.astype(str).to_numpy()
    z = matrix.to_numpy(dtype="float64")
    clickable = n <= HEATMAP_CLICK_MAX_PATIENTS
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=labels,
            y=ids,
            colorscale=SCORE_COLORSCALE,
            zmin=0,
            zmax=1.5,
            xgap=1,
            ygap=1 if n <= 200 else 0,
            # With clickable markers on top, the markers carry the hover text.
            hoverinfo="skip" if clickable else None,
            hoverongaps=False,
            hovertemplate=None if clickable else "Patient %{y}<br>%{x}: score %{z}<extra></extra>",
            colorbar={"title": {"text": "Score"}, "tickvals": [0, 0.25, 0.5, 0.75, 1, 1.5],
                      "ticktext": ["0 disappeared", "0.25 dramatic", "0.5 substantial", "0.75 slight", "1 no change", "1.5 worse"]},
        )
    )
    if clickable:
        # Streamlit returns no selection for heatmap cells, so an invisible marker
        # on each scored cell carries the hover text and the patient id (customdata).
        row, column = np.nonzero(~np.isnan(z))
        transparent = {"marker": {"opacity": 1}}  # selecting a cell must not dim the heatmap
        figure.add_scatter(
            x=np.asarray(labels, dtype=object)[column], y=ids[row], mode="markers", customdata=ids[row],
            marker={"size": 14, "color": "rgba(0,0,0,0)"}, selected=transparent, unselected=transparent, showlegend=False,
            text=[f"{z[r, c]:g}" for r, c in zip(row, column)],
            hovertemplate="Patient %{customdata}<br>%{x}: score %{text}<extra></extra>",
        )
    hint = "Click a cell to open the patient." if clickable else f"Above {HEATMAP_CLICK_MAX_PATIENTS} patients cells do not open the patient."
    figure.update_layout(
        title={"text": f"Score of each baseline {'symptom' if level == 'symptom' else 'category of symptoms'} under omalizumab "
               f"({_when(matrix)}), one row per patient<br><sup>Blank: absent at baseline. {hint}</sup>"},
        xaxis={"title": "", "tickangle": -45, "side": "top", "type": "category", "categoryorder": "array", "categoryarray": labels},
        yaxis={"title": "Patient", "autorange": "reversed", "showticklabels": n <= 80, "type": "category",
               "categoryorder": "array", "categoryarray": list(ids)},
        height=int(min(max(480, 16 * n + 260), 1500)),
        margin={"t": 210},
    )
    return figure


def _score_distribution_bars(matrix: pd.DataFrame, labels: list[str], level: str) -> go.Figure:
    distribution = score_distribution(matrix)
    name = {c: label for c, label in zip(matrix.columns, labels)}
    figure = go.Figure()
    for score_class in SCORE_CLASSES:
        rows = distribution[distribution["score_class"] == score_class]
        figure.add_bar(
            x=[name[c] for c in rows[level]],
            y=100 * rows["share"],
            name=score_class,
            marker_color=SCORE_CLASS_COLORS[score_class],
            # Counts go in text, not customdata: customdata[0] of a clicked mark is read as a patient id.
            text=rows["n"],
            textposition="none",
            hovertemplate="%{x}<br>" + score_class + ": %{text} patients (%{y:.1f} %)<extra></extra>",
        )
    figure.update_layout(
        title={"text": f"Distribution of the score under omalizumab ({_when(matrix)}) per "
               f"{'symptom' if level == 'symptom' else 'category'}<br><sup>{len(matrix):,} patients: too many for one row each "
               f"(more than {HEATMAP_MAX_PATIENTS:,}), so the share of patients in each score class is shown instead.</sup>"},
        barmode="stack",
        yaxis={"title": "Patients with it at baseline (%)", "range": [0, 100]},
        xaxis={"title": "", "tickangle": -45},
        legend={"title": {"text": "Score under omalizumab"}},
        height=560,
        margin={"t": 110},
    )
    return figure


def improvement_share_bars(shares: pd.DataFrame) -> go.Figure:
    """Stacked horizontal bars: share of patients improved, unchanged or worse, per symptom.

    Parameters
    ----------
    shares : DataFrame
        Output of :func:`omalizumab_core.analyses.symptom_changes.improvement_shares`.
    """
    level = _label_column(shares)
    order = list(dict.fromkeys(shares[level]))
    names = {value: (str(value).capitalize() if level == "symptom" else CATEGORY_LABELS.get(value, str(value))) for value in order}
    figure = go.Figure()
    for outcome in OUTCOMES:
        rows = shares[shares["outcome"] == outcome].set_index(level).reindex(order)
        figure.add_bar(
            y=[names[v] for v in order],
            x=100 * rows["share"].to_numpy(dtype="float64"),
            orientation="h",
            name=OUTCOME_LABELS[outcome],
            marker_color=OUTCOME_COLORS[outcome],
            text=rows["n"].to_numpy(),
            textposition="none",
            hovertemplate="%{y}<br>" + OUTCOME_LABELS[outcome] + ": %{text} patients (%{x:.1f} %)<extra></extra>",
        )
    figure.update_layout(
        title={"text": f"Patients improved, unchanged or worse under omalizumab ({_when(shares)})"},
        barmode="stack",
        xaxis={"title": "Patients assessed (%)", "range": [0, 100]},
        yaxis={"title": "", "autorange": "reversed"},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right", "traceorder": "normal"},
        height=int(max(320, 24 * len(order) + 160)),
    )
    return figure
