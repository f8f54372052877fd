"""The loaded cohort among the published omalizumab series in mast cell disorders.

The published series are data (``literature.toml`` beside this module): each
study's n and responders as its authors counted them, with the citation, the
place in the paper each number comes from, and how the authors' response
definition differs from Lemal et al.'s score. Their patients are never
recoded. The pooled row is a random-effects estimate of the *published*
series only (:func:`omalizumab_core.stats.meta_analysis.pooled_proportion`);
the loaded cohort is shown against it, not pooled into it, so that a centre's
own data (or the demo, which re-creates Lemal et al.) are never counted twice.
"""

from __future__ import annotations

import math
import tomllib
from functools import lru_cache
from pathlib import Path

import pandas as pd

from omalizumab_core.engine.scoring import ScoredCohort
from omalizumab_core.stats.exact import proportion_ci
from omalizumab_core.stats.meta_analysis import pooled_proportion

LITERATURE = Path(__file__).resolve().parent / "literature.toml"

RESPONDERS = ("CR", "MR", "PR")
"""Best responses counted as response (the paper's overall response rate)."""

COLUMNS = [
    "study", "kind", "n", "responders", "rate", "lower", "upper",
    "prediction_lower", "prediction_upper", "definition", "citation", "source",
]
"""Columns of :func:`literature_comparison` (the ``table literature`` contract)."""


@lru_cache(maxsize=1)
def _studies() -> tuple[dict, ...]:
    with LITERATURE.open("rb") as handle:
        return tuple(tomllib.load(handle)["study"])


def published_series() -> pd.DataFrame:
    """The shipped published series, one row per study, with exact CIs.

    Returns
    -------
    DataFrame
        study, n, responders, complete, major, partial (as the authors
        counted them; NaN where they used no such category), rate, lower,
        upper (Clopper–Pearson 95 %), design, diagnoses, follow_up,
        definition, citation, source.

    Examples
    --------
    >>> row = published_series().iloc[0]
    >>> row["study"], int(row["n"]), int(row["responders"])
    ('Lemal et al. 2019', 55, 43)
    """
    rows = []
    for study in _studies():
        low, high = proportion_ci(study["responders"], study["n"])
        rows.append(
            {
                "study": study["study"], "n": study["n"], "responders": study["responders"],
                "complete": study.get("complete", math.nan), "major": study.get("major", math.nan),
                "partial": study.get("partial", math.nan),
                "rate": study["responders"] / study["n"], "lower": low, "upper": high,
                "design": study["design"], "diagnoses": study["diagnoses"], "follow_up": study["follow_up"],
                "definition": study["definition"], "citation": study["citation"], "source": study["source"],
            }
        )
    return pd.DataFrame(rows)


def literature_comparison(cohorts: dict[str, ScoredCohort] | None = None) -> pd.DataFrame:
    """Overall response of the published series, the loaded cohort(s) and the pooled published estimate.

    Parameters
    ----------
    cohorts : dict of name -> ScoredCohort, optional
        The loaded cohort(s) to set among the published series, each under
        the name to show (e.g. ``{"My centre": scored}``).

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`; ``kind`` is "published", "cohort" or
        "pooled". ``rate`` is the overall best response rate (CR, MR or PR),
        ``lower``/``upper`` its exact 95 % CI (the pooled row: the
        random-effects CI); ``prediction_lower``/``prediction_upper`` only
        on the pooled row (the range expected for a new series).

    Notes
    -----
    A comparison across different response definitions and populations (see
    each row's ``definition``), not a test of one cohort against another.

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> table = literature_comparison({"Demo": oc.score_cohort(oc.load_cohort("demo"))})
    >>> table["kind"].tolist()
    ['published', 'published', 'published', 'cohort', 'pooled']
    """
    published = published_series()
    rows = [
        {**{c: r[c] for c in ("study", "n", "responders", "rate", "lower", "upper", "definition", "citation", "source")},
         "kind": "published", "prediction_lower": math.nan, "prediction_upper": math.nan}
        for r in published.to_dict("records")
    ]
    for name, scored in (cohorts or {}).items():
        best = scored.outcomes["best_response"].astype(str)
        n, responders = int(len(best)), int(best.isin(RESPONDERS).sum())
        low, high = proportion_ci(responders, n) if n else (math.nan, math.nan)
        rows.append(
            {"study": name, "kind": "cohort", "n": n, "responders": responders,
             "rate": responders / n if n else math.nan, "lower": low, "upper": high,
             "prediction_lower": math.nan, "prediction_upper": math.nan,
             "definition": "Symptom score of Lemal et al. computed by this dashboard; best response",
             "citation": "", "source": scored.cohort.source}
        )
    pooled = pooled_proportion(published["responders"], published["n"])
    rows.append(
        {"study": f"Pooled published series ({pooled['k']} studies, random effects)", "kind": "pooled",
         "n": int(published["n"].sum()), "responders": int(published["responders"].sum()),
         "rate": pooled["rate"], "lower": pooled["lower"], "upper": pooled["upper"],
         "prediction_lower": pooled["prediction_lower"], "prediction_upper": pooled["prediction_upper"],
         "definition": f"{pooled['method']}; I² = {pooled['i2']:.0f} %, τ² = {pooled['tau2']:.3f}; "
                       "prediction interval t with k − 2 degrees of freedom (Higgins et al. 2009)",
         "citation": "", "source": "Published series above"}
    )
    return pd.DataFrame(rows, columns=COLUMNS)


def format_literature(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison as printed: "43/55 (78.2 %)", "78.2 % [65.0–88.2 %]", the prediction interval, the definition.

    Counts out of a denominator in the dashboard's one form (:func:`formatting.n_of`);
    the pooled row's count is the sum of the series, its rate the random-effects
    estimate (not the ratio of the sums), so it shows the count alone.
    """
    from omalizumab_core.formatting import ci, n_of, pct

    return pd.DataFrame(
        {
            "Study": table["study"],
            "Responders / patients": [
                f"{int(r)}/{int(n)} (sum of the series)" if kind == "pooled" else n_of(int(r), int(n))
                for r, n, kind in zip(table["responders"], table["n"], table["kind"])
            ],
            "Overall response (95 % CI)": [f"{pct(r)} {ci(lo, hi)}" for r, lo, hi in zip(table["rate"], table["lower"], table["upper"])],
            "Prediction interval": ["" if pd.isna(lo) else ci(lo, hi) for lo, hi in zip(table["prediction_lower"], table["prediction_upper"])],
            "Response definition": table["definition"],
            "Reference": table["citation"],
        }
    )
