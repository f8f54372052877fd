"""Anaphylaxis before and on omalizumab: episode rates, their ratio, freedom from anaphylaxis, epinephrine.

The paper: "Regarding anaphylaxis, 13/14 patients had an improvement of their
symptoms, reaching independence of epinephrine after beginning of
omalizumab" (Discussion). The optional ``anaphylaxis`` table records the
episodes themselves (month, negative before the first injection; grade;
epinephrine), so the benefit clinicians expect most can be counted.

Periods, per patient:

- **before**: the ``anaphylaxis_window_before_months`` months before the first
  injection (patients table; blank = 12 months), episodes with
  −window ≤ month < 0;
- **on treatment**: from the first injection to the last one
  (``months_on_treatment`` of the engine's outcomes: the last injection, or
  the last follow-up while still treated), episodes with 0 ≤ month ≤ that.

Episodes outside both periods (before the window, after stopping) are not
counted, and :func:`anaphylaxis_periods` says how many there were. A patient
of a cohort that has the table but no row for that patient had no episode.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from omalizumab_core.data.codes import ANAPHYLAXIS_WINDOW_MONTHS, SEVERE_ANAPHYLAXIS
from omalizumab_core.data.problems import TooFewPatients
from omalizumab_core.engine.scoring import ScoredCohort
from omalizumab_core.stats.exact import proportion_ci
from omalizumab_core.stats.rates import paired_rate_ratio, poisson_rate_ratio

MONTHS_PER_YEAR = 12

EPISODE_KINDS = {
    "all": "All episodes",
    "severe": "Severe episodes (Ring and Messmer III–IV, or Brown severe)",
    "epinephrine": "Episodes treated with epinephrine",
}


def _table(scored: ScoredCohort) -> pd.DataFrame:
    table = scored.cohort.anaphylaxis
    if table is None:
        raise TooFewPatients("No data: the loaded cohort has no anaphylaxis table.")
    return table


def anaphylaxis_periods(scored: ScoredCohort) -> pd.DataFrame:
    """Episodes and person-time of each patient before and on omalizumab.

    Returns
    -------
    DataFrame
        One row per patient of the selection: patient_id, best_response,
        months_before, months_on (person-time, months), and for each kind of
        :data:`EPISODE_KINDS` ``<kind>_before`` and ``<kind>_on`` (counts),
        plus ``outside`` (episodes in neither period).

    Raises
    ------
    TooFewPatients
        When the cohort has no anaphylaxis table.

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> periods = anaphylaxis_periods(oc.score_cohort(oc.load_cohort("demo")))
    >>> int((periods["all_before"] > 0).sum())
    14
    """
    table = _table(scored)
    outcomes = scored.outcomes
    patients = scored.cohort.patients
    if "anaphylaxis_window_before_months" in patients.columns:
        window = pd.to_numeric(patients["anaphylaxis_window_before_months"], errors="coerce").fillna(ANAPHYLAXIS_WINDOW_MONTHS)
    else:
        window = pd.Series(float(ANAPHYLAXIS_WINDOW_MONTHS), index=patients.index)
    frame = pd.DataFrame(
        {
            "patient_id": outcomes["patient_id"].astype(str).to_numpy(),
            "best_response": outcomes["best_response"].astype(str).to_numpy(),
            "months_before": window.to_numpy(dtype=float),
            "months_on": outcomes["months_on_treatment"].to_numpy(dtype=float),
        }
    )
    position = pd.Index(frame["patient_id"])
    ids = table["patient_id"].astype(str)
    keep = ids.isin(position).to_numpy()
    rows = table[keep]
    where = position.get_indexer(ids[keep])
    month = rows["month"].to_numpy(dtype=float)
    before = (month < 0) & (month >= -frame["months_before"].to_numpy()[where])
    on = (month >= 0) & (month <= np.nan_to_num(frame["months_on"].to_numpy()[where], nan=-1))
    kinds = {
        "all": np.ones(len(rows), dtype=bool),
        "severe": rows["grade"].astype("object").isin(SEVERE_ANAPHYLAXIS).to_numpy(),
        "epinephrine": rows["epinephrine"].astype("boolean").fillna(False).to_numpy(dtype=bool),
    }
    n = len(frame)
    for kind, mask in kinds.items():
        frame[f"{kind}_before"] = np.bincount(where[mask & before], minlength=n)
        frame[f"{kind}_on"] = np.bincount(where[mask & on], minlength=n)
    frame["outside"] = np.bincount(where[~(before | on)], minlength=n)
    return frame


def anaphylaxis_rates(scored: ScoredCohort) -> pd.DataFrame:
    """Episodes per patient-year before and on omalizumab, and their ratio, for each kind of episode.

    Returns
    -------
    DataFrame
        One row per kind of episode (:data:`EPISODE_KINDS`) and method:
        kind, label, method ("exact conditional Poisson": cohort totals;
        "conditional Poisson, paired by patient (quasi-likelihood)": each
        patient compared with their own period before), episodes_before, years_before,
        rate_before, episodes_on, years_on, rate_on (per patient-year),
        rate_ratio, lower, upper (95 %), p_value, overdispersion_p (paired
        rows: Pearson χ² test; a small p means patients changed more
        differently than chance allows, and the paired row's widened
        interval is the one to read).

    Notes
    -----
    Patients without a known time on treatment are left out of both periods
    (so that each patient contributes to both). See the module docstring for
    the periods. Before and on treatment are periods of the same patients:
    the paired row (:func:`omalizumab_core.stats.rates.paired_rate_ratio`)
    respects that; the exact row pools the cohort's person-time, and is
    exact only if every patient had the same rate.

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> rates = anaphylaxis_rates(oc.score_cohort(oc.load_cohort("demo")))
    >>> rates.loc[0, ["kind", "method"]].tolist()
    ['all', 'exact conditional Poisson']
    """
    return _rates(scored, exact=True)


def _rates(scored: ScoredCohort, *, exact: bool) -> pd.DataFrame:
    """:func:`anaphylaxis_rates`' rows; without the exact rows when ``exact`` is false.

    The headline line of the Overview needs only the paired rows, and the
    exact rows' binomial test would import scipy.stats on the first page.
    """
    periods = anaphylaxis_periods(scored)
    periods = periods[periods["months_on"].notna() & (periods["months_on"] > 0)]
    years_before = periods["months_before"].sum() / MONTHS_PER_YEAR
    years_on = periods["months_on"].sum() / MONTHS_PER_YEAR
    if years_before <= 0 or years_on <= 0:
        raise TooFewPatients("No patient of the selection has both a period before and a period on omalizumab.")
    rows = []
    for kind, label in EPISODE_KINDS.items():
        x0, x1 = int(periods[f"{kind}_before"].sum()), int(periods[f"{kind}_on"].sum())
        base = {
            "kind": kind, "label": label, "episodes_before": x0, "years_before": years_before,
            "rate_before": x0 / years_before, "episodes_on": x1, "years_on": years_on, "rate_on": x1 / years_on,
        }
        if exact:
            rows.append({**base, **poisson_rate_ratio(x1, years_on, x0, years_before), "overdispersion_p": np.nan})
        paired = paired_rate_ratio(
            periods[f"{kind}_on"].to_numpy(), periods["months_on"].to_numpy() / MONTHS_PER_YEAR,
            periods[f"{kind}_before"].to_numpy(), periods["months_before"].to_numpy() / MONTHS_PER_YEAR,
        )
        rows.append({**base, **{k: v for k, v in paired.items() if k not in ("dispersion", "patients")}})
    return pd.DataFrame(rows)


def anaphylaxis_outcomes(scored: ScoredCohort) -> pd.DataFrame:
    """Patients free of anaphylaxis on treatment, no longer needing epinephrine, and free of severe episodes.

    Returns
    -------
    DataFrame
        One row per outcome: outcome, label, count, n (patients with at
        least one such episode before treatment), rate, lower, upper
        (Clopper–Pearson 95 %). ``n`` = 0 gives NaN rates.

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> out = anaphylaxis_outcomes(oc.score_cohort(oc.load_cohort("demo")))
    >>> int(out.loc[0, "n"])
    14
    """
    periods = anaphylaxis_periods(scored)
    definitions = (
        ("free", "Free of anaphylaxis on omalizumab", "all"),
        ("no_epinephrine", "No longer needing epinephrine", "epinephrine"),
        ("free_of_severe", "Free of severe anaphylaxis on omalizumab", "severe"),
    )
    rows = []
    for outcome, label, kind in definitions:
        had = periods[periods[f"{kind}_before"] > 0]
        n = int(len(had))
        count = int((had[f"{kind}_on"] == 0).sum())
        low, high = proportion_ci(count, n) if n else (np.nan, np.nan)
        rows.append({"outcome": outcome, "label": label, "count": count, "n": n,
                     "rate": count / n if n else np.nan, "lower": low, "upper": high})
    return pd.DataFrame(rows)


def format_anaphylaxis_rates(rates: pd.DataFrame) -> pd.DataFrame:
    """The rate table as printed: "20 episodes in 55.0 patient-years (0.36 per year)", "0.07 (0.01–0.29)"."""
    def per_year(x, years):
        return f"{x} in {years:.1f} patient-years ({x / years:.2f} per year)"

    def ratio(r):
        if pd.isna(r["rate_ratio"]):
            return "not estimable"
        upper = "∞" if np.isinf(r["upper"]) else f"{r['upper']:.2f}"
        return f"{r['rate_ratio']:.2f} ({r['lower']:.2f}–{upper})"

    return pd.DataFrame(
        {
            "Episodes": rates["label"],
            "Method": rates["method"],
            "Before omalizumab": [per_year(x, y) for x, y in zip(rates["episodes_before"], rates["years_before"])],
            "On omalizumab": [per_year(x, y) for x, y in zip(rates["episodes_on"], rates["years_on"])],
            "Rate ratio on/before (95 % CI)": [ratio(r) for _, r in rates.iterrows()],
            "p": [("< 0.0001" if p < 1e-4 else f"{p:.4f}") if pd.notna(p) else "" for p in rates["p_value"]],
            "Overdispersion p": ["" if pd.isna(p) else f"{p:.3f}" for p in rates["overdispersion_p"]],
        }
    )


def format_anaphylaxis_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Outcomes as printed: "13/14 (92.9 %) [66.1–99.8 %]" (:func:`formatting.n_of_ci`, exact 95 % CI)."""
    from omalizumab_core.formatting import n_of_ci

    return pd.DataFrame(
        {
            "Outcome": outcomes["label"],
            "Patients": [
                "no patient with such episodes before" if n == 0 else
                n_of_ci(c, n, lo, hi)
                for c, n, r, lo, hi in zip(outcomes["count"], outcomes["n"], outcomes["rate"], outcomes["lower"], outcomes["upper"])
            ],
        }
    )
