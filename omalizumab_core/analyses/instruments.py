"""Validated instruments beside the paper's score: change from baseline, responders, time to response, agreement.

The paper names its own limitation: its symptom score is not a validated
instrument, and it measured no quality of life. A centre that records a
validated questionnaire (optional table ``instrument_scores``, its definition
as data: :mod:`omalizumab_core.data.instruments`, docs/instruments.md) reads
it here beside the paper's score.

Conventions shared by every function:

- **measure**: an item, a domain or the total of the instrument. Domains and
  the total are taken as given in the table, else computed from the items
  of the same assessment when all of them are there (sum, mean or 0–100
  transformation, as the definition says).
- **baseline**: the assessment at month 0. Patients without it are left out
  (the validator warned about them).
- **on treatment**: assessments after month 0 and up to the end of
  treatment (``months_on_treatment`` of the engine: the last injection, or
  the last follow-up while still treated); later assessments are not counted,
  as for the paper's score.
- **improvement**: the change from baseline in the direction of better
  (baseline − value when a higher score is worse, value − baseline when it is
  better); **improvement %**: the improvement as a share of the way from the
  baseline to the best possible score (for a score whose best is 0, the
  relative reduction (baseline − value) / baseline). Undefined when the
  baseline is already the best possible score.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from omalizumab_core.data.codes import RESPONSE_LABELS, RESPONSES
from omalizumab_core.data.instruments import TOTAL, InstrumentDefinition, ResponderRule
from omalizumab_core.data.problems import TooFewPatients
from omalizumab_core.engine.scoring import ScoredCohort
from omalizumab_core.stats.competing_risks import CENSORED, COMPETING, EVENT, aalen_johansen
from omalizumab_core.stats.exact import _stats, proportion_ci

MEASURE_COLUMNS = ["patient_id", "instrument", "measure", "month", "value", "computed"]
CHANGE_COLUMNS = ["patient_id", "month", "baseline", "value", "change", "improvement", "improvement_pct"]
OVER_TIME_COLUMNS = ["month", "patients", "mean_value", "mean_change", "lower", "upper"]
RESPONDER_COLUMNS = ["instrument", "rule", "label", "measure", "month", "responders", "patients", "rate", "lower", "upper"]
TIME_COLUMNS = ["patient_id", "time", "event", "status"]
AGREEMENT_COLUMNS = ["statistic", "label", "value", "p_value", "patients"]
_EPS = 1e-9
# Depth-of-response bands of the paper, applied to the instrument's improvement % (see instrument_categories).
_RANK = {"NR": 0, "PR": 1, "MR": 2, "CR": 3}


def _definition(scored: ScoredCohort, instrument: str) -> InstrumentDefinition:
    if scored.cohort.instrument_scores is None:
        raise TooFewPatients("No data: the loaded cohort has no instrument_scores table.")
    definitions = scored.cohort.instruments
    key = str(instrument).strip().lower()
    if key not in definitions:
        raise ValueError(f"instrument must be one of {', '.join(sorted(definitions)) or 'none loaded'}, not {instrument!r}")
    return definitions[key]


def instrument_measures(scored: ScoredCohort) -> pd.DataFrame:
    """Every item, domain and total of every assessment, as given or computed from the items.

    Returns
    -------
    DataFrame
        Columns ``MEASURE_COLUMNS``: patient_id, instrument, measure (item id,
        domain id or "total"), month, value (the instrument's units), computed
        (True when combined here from the items of the assessment; False when
        given in the table, which then wins).

    Raises
    ------
    TooFewPatients
        When the cohort has no instrument_scores table.

    Examples
    --------
    >>> from omalizumab_core.synthetic.instrument_example import instrument_example_scored
    >>> m = instrument_measures(instrument_example_scored())
    >>> m[(m["patient_id"] == "EX-1") & (m["measure"] == "total")]["value"].tolist()
    [24.0, 10.0, 4.0]
    """
    if scored.cohort.instrument_scores is None:
        raise TooFewPatients("No data: the loaded cohort has no instrument_scores table.")
    # Each patient's measures depend on that patient alone: computed once per scored cohort, then selected.
    measures = scored.per_patient("instruments.measures", _all_measures)
    return measures.drop(columns="code").reset_index(drop=True)


def _all_measures(scored: ScoredCohort) -> pd.DataFrame:
    table = scored.cohort.instrument_scores
    given = pd.DataFrame(
        {
            "patient_id": table["patient_id"].astype(str).to_numpy(),
            "instrument": table["instrument"].astype(str).to_numpy(),
            "measure": table["item"].astype(str).to_numpy(),
            "month": table["month"].to_numpy(dtype=float),
            "value": table["value"].to_numpy(dtype=float),
            "computed": False,
        }
    )
    parts = [given]
    for name, definition in scored.cohort.instruments.items():
        rows = given[(given["instrument"] == name) & given["measure"].isin(list(definition.items))]
        if rows.empty:
            continue
        wide = rows.pivot_table(index=["patient_id", "month"], columns="measure", values="value", aggfunc="first")
        for measure in definition.measures.values():
            if not set(measure.items) <= set(wide.columns):
                continue
            values = wide[list(measure.items)].to_numpy(dtype=float)
            complete = ~np.isnan(values).any(axis=1)
            if not complete.any():
                continue
            combined = definition.combine(measure.id, values[complete])
            index = wide.index[complete]
            parts.append(
                pd.DataFrame(
                    {
                        "patient_id": index.get_level_values(0), "instrument": name, "measure": measure.id,
                        "month": index.get_level_values(1).astype(float), "value": combined, "computed": True,
                    }
                )
            )
    measures = pd.concat(parts, ignore_index=True)
    measures = measures.sort_values("computed", kind="stable").drop_duplicates(["patient_id", "instrument", "measure", "month"])
    measures = measures.sort_values(["instrument", "patient_id", "measure", "month"], kind="stable").reset_index(drop=True)[MEASURE_COLUMNS]
    code = pd.Index(scored.cohort.patients["patient_id"].astype(str)).get_indexer(measures["patient_id"])
    return measures.assign(code=code)


def _limits(scored: ScoredCohort) -> pd.Series:
    o = scored.outcomes
    return pd.Series(o["months_on_treatment"].to_numpy(dtype=float), index=o["patient_id"].astype(str).to_numpy())


def instrument_changes(scored: ScoredCohort, *, instrument: str, measure: str = TOTAL) -> pd.DataFrame:
    """Each patient's change from baseline at each assessment on treatment (the individual lines).

    Parameters
    ----------
    scored : ScoredCohort
    instrument : str
        Instrument id (``scored.cohort.instruments``).
    measure : str
        Item id, domain id or "total".

    Returns
    -------
    DataFrame
        Columns ``CHANGE_COLUMNS``, one row per patient with a baseline and
        per assessment from month 0 (change 0) to the end of treatment:
        patient_id, month, baseline, value, change (value − baseline, the
        instrument's units), improvement (change in the direction of better),
        improvement_pct (see the module docstring; NaN when the baseline is
        already the best possible score).

    Raises
    ------
    TooFewPatients
        When the cohort has no instrument_scores table.
    ValueError
        For an instrument or measure the cohort does not define.

    Examples
    --------
    >>> from omalizumab_core.synthetic.instrument_example import instrument_example_scored
    >>> c = instrument_changes(instrument_example_scored(), instrument="example_symptom_diary")
    >>> c[c["patient_id"] == "EX-1"][["month", "change", "improvement_pct"]].round(1).values.tolist()
    [[0.0, 0.0, 0.0], [3.0, -14.0, 58.3], [6.0, -20.0, 83.3]]
    """
    definition = _definition(scored, instrument)
    measure = str(measure).strip().lower()
    if measure not in definition.items and measure not in definition.measures:
        raise ValueError(f"measure must be an item, a domain or 'total' of {definition.id}, not {measure!r}")
    m = instrument_measures(scored)
    m = m[(m["instrument"] == definition.id) & (m["measure"] == measure)]
    baseline = m[m["month"] == 0].set_index("patient_id")["value"]
    limit = _limits(scored).reindex(m["patient_id"]).to_numpy()
    on = (m["month"] >= 0).to_numpy() & ~(m["month"].to_numpy() > limit)
    rows = m[on & m["patient_id"].isin(baseline.index).to_numpy()].copy()
    rows["baseline"] = baseline.reindex(rows["patient_id"]).to_numpy()
    rows["change"] = rows["value"] - rows["baseline"]
    sign = -1.0 if definition.higher_is_worse else 1.0
    rows["improvement"] = sign * rows["change"] + 0.0  # + 0.0: no "-0.0" at baseline
    room = sign * (definition.best(measure) - rows["baseline"])
    with np.errstate(divide="ignore", invalid="ignore"):
        rows["improvement_pct"] = np.where(room > _EPS, 100.0 * rows["improvement"] / room, np.nan)
    return rows.sort_values(["patient_id", "month"]).reset_index(drop=True)[CHANGE_COLUMNS]


def instrument_change_over_time(scored: ScoredCohort, *, instrument: str, measure: str = TOTAL, confidence: float = 0.95) -> pd.DataFrame:
    """Mean change from baseline at each month of assessment, with its t confidence interval.

    Returns
    -------
    DataFrame
        Columns ``OVER_TIME_COLUMNS``: month, patients (with an assessment
        that month and a baseline), mean_value, mean_change (value − baseline,
        the instrument's units), lower, upper (Student t interval of the mean
        change; NaN with fewer than 2 patients).

    Notes
    -----
    The interval is mean ± t(n−1) × SD / √n, as R ``t.test(change)``; it
    describes the patients assessed at that month, who may differ from month
    to month.

    Examples
    --------
    >>> from omalizumab_core.synthetic.instrument_example import instrument_example_scored
    >>> t = instrument_change_over_time(instrument_example_scored(), instrument="example_symptom_diary")
    >>> t.loc[t["month"] == 3, ["patients", "mean_change"]].values.tolist()
    [[5.0, -10.2]]
    """
    changes = instrument_changes(scored, instrument=instrument, measure=measure)
    rows = []
    for month, group in changes.groupby("month", sort=True):
        n = len(group)
        mean = float(group["change"].mean())
        if n >= 2:
            half = _stats().t.ppf(1 - (1 - confidence) / 2, n - 1) * group["change"].std(ddof=1) / np.sqrt(n)
            low, high = mean - half, mean + half
        else:
            low = high = np.nan
        rows.append({"month": float(month), "patients": n, "mean_value": float(group["value"].mean()), "mean_change": mean, "lower": low, "upper": high})
    return pd.DataFrame(rows, columns=OVER_TIME_COLUMNS)


def instrument_assessment_months(scored: ScoredCohort, *, instrument: str) -> list[float]:
    """Months after baseline at which the instrument was assessed in the selection (to choose a time point).

    Examples
    --------
    >>> from omalizumab_core.synthetic.instrument_example import instrument_example_scored
    >>> instrument_assessment_months(instrument_example_scored(), instrument="example_symptom_diary")
    [2.0, 3.0, 6.0]
    """
    definition = _definition(scored, instrument)
    table = scored.cohort.instrument_scores
    months = table.loc[(table["instrument"] == definition.id).to_numpy(), "month"].to_numpy(dtype=float)
    return sorted(float(m) for m in np.unique(months[months > 0]))


def _meets(rule: ResponderRule, changes: pd.DataFrame) -> np.ndarray:
    if rule.rule == "relative_reduction":
        return (changes["improvement_pct"] >= rule.percent - _EPS).to_numpy()
    if rule.rule == "absolute_change":
        return (changes["improvement"] >= rule.points - _EPS).to_numpy()
    if rule.at_most is not None:
        return (changes["value"] <= rule.at_most + _EPS).to_numpy()
    return (changes["value"] >= rule.at_least - _EPS).to_numpy()


def instrument_responders(scored: ScoredCohort, *, instrument: str | None = None, month: float | None = None, confidence: float = 0.95) -> pd.DataFrame:
    """Share of patients meeting each responder rule of each instrument, with the exact interval.

    Parameters
    ----------
    scored : ScoredCohort
    instrument : str, optional
        One instrument id; None for every instrument of the cohort.
    month : float, optional
        None: a responder meets the rule at any assessment on treatment
        (as the paper's best response), and a patient with a baseline but no
        later assessment counts as not responding. A month: the rule at the
        assessment of that month, among the patients assessed then.

    Returns
    -------
    DataFrame
        Columns ``RESPONDER_COLUMNS``: instrument, rule, label, measure,
        month (NaN for "any time"), responders, patients (with a baseline of
        the rule's measure), rate, lower, upper (Clopper–Pearson, as R
        ``binom.test``).

    Raises
    ------
    TooFewPatients
        When the cohort has no instrument_scores table.

    Examples
    --------
    >>> from omalizumab_core.synthetic.instrument_example import instrument_example_scored
    >>> r = instrument_responders(instrument_example_scored())
    >>> r[["rule", "responders", "patients"]].values.tolist()
    [['reduction_50', 3, 6], ['change_6', 4, 6], ['controlled', 3, 6]]
    """
    if scored.cohort.instrument_scores is None:
        raise TooFewPatients("No data: the loaded cohort has no instrument_scores table.")
    names = sorted(scored.cohort.instruments) if instrument is None else [_definition(scored, instrument).id]
    rows = []
    for name in names:
        definition = scored.cohort.instruments[name]
        changes_of = {}  # rules on the same measure (often the total) share its changes
        for rule in definition.responders:
            if rule.measure not in changes_of:
                changes_of[rule.measure] = instrument_changes(scored, instrument=name, measure=rule.measure)
            changes = changes_of[rule.measure]
            if month is None:
                later = changes[changes["month"] > 0]
                met = later.loc[_meets(rule, later), "patient_id"].unique()
                patients = changes["patient_id"].nunique()
            else:
                at = changes[np.isclose(changes["month"], float(month))]
                met = at.loc[_meets(rule, at), "patient_id"].unique()
                patients = at["patient_id"].nunique()
            k = len(met)
            low, high = proportion_ci(k, patients, confidence=confidence) if patients else (np.nan, np.nan)
            rows.append({
                "instrument": name, "rule": rule.id, "label": rule.label, "measure": rule.measure,
                "month": np.nan if month is None else float(month), "responders": k, "patients": patients,
                "rate": k / patients if patients else np.nan, "lower": low, "upper": high,
            })
    return pd.DataFrame(rows, columns=RESPONDER_COLUMNS)


def instrument_response_times(scored: ScoredCohort, *, instrument: str, rule: str) -> pd.DataFrame:
    """Each patient's time to first response by an instrument's rule, or to stopping or censoring.

    Returns
    -------
    DataFrame
        Columns ``TIME_COLUMNS``, one row per patient with a baseline: time
        (months since the first injection), event (True: first met the rule
        at ``time``), status (1 responded; 2 stopped omalizumab without a
        response, the competing event; 0 censored: still treated or lost to
        follow-up).

    Notes
    -----
    The same treatment as the paper's score
    (:func:`omalizumab_core.analyses.time_to_response.response_time_data`):
    a non-responder's time is the end of treatment (``months_on_treatment``,
    else the last instrument assessment); stopping for any reason but loss
    to follow-up is a competing event.

    Examples
    --------
    >>> from omalizumab_core.synthetic.instrument_example import instrument_example_scored
    >>> t = instrument_response_times(instrument_example_scored(), instrument="example_symptom_diary", rule="reduction_50")
    >>> t["status"].tolist()
    [1, 1, 2, 0, 1, 0]
    """
    definition = _definition(scored, instrument)
    chosen = [r for r in definition.responders if r.id == str(rule).strip().lower()]
    if not chosen:
        raise ValueError(f"rule must be one of {', '.join(r.id for r in definition.responders)}, not {rule!r}")
    changes = instrument_changes(scored, instrument=definition.id, measure=chosen[0].measure)
    later = changes[changes["month"] > 0]
    first = later[_meets(chosen[0], later)].groupby("patient_id")["month"].min()
    last = changes.groupby("patient_id")["month"].max()
    o = scored.outcomes.set_index(scored.outcomes["patient_id"].astype(str))
    reason = scored.cohort.patients.set_index(scored.cohort.patients["patient_id"].astype(str))["end_reason"].astype(object)
    ids = last.index
    responded = ids.isin(first.index)
    end = o["months_on_treatment"].reindex(ids).to_numpy(dtype=float)
    end = np.where(np.isnan(end), last.to_numpy(dtype=float), end)
    stopped = ~o["still_treated"].reindex(ids).to_numpy(dtype=bool) & (reason.reindex(ids).to_numpy() != "lost_to_follow_up")
    time = np.where(responded, first.reindex(ids).to_numpy(dtype=float), end)
    status = np.where(responded, EVENT, np.where(stopped, COMPETING, CENSORED)).astype(np.int64)
    return pd.DataFrame({"patient_id": ids.to_numpy(), "time": time, "event": responded, "status": status})[TIME_COLUMNS]


def instrument_time_to_response(scored: ScoredCohort, *, instrument: str, rule: str) -> pd.DataFrame:
    """Cumulative incidence of a first response by an instrument's rule, stopping treatment as a competing event.

    Returns
    -------
    DataFrame
        The Aalen–Johansen curve of
        :func:`omalizumab_core.stats.competing_risks.aalen_johansen` (time in
        months, cumulative_incidence 0 to 1, ci_low, ci_high, numbers at risk).

    Raises
    ------
    TooFewPatients
        When no patient has a baseline.

    Examples
    --------
    >>> from omalizumab_core.synthetic.instrument_example import instrument_example_scored
    >>> curve = instrument_time_to_response(instrument_example_scored(), instrument="example_symptom_diary", rule="reduction_50")
    >>> round(float(curve["cumulative_incidence"].iloc[-1]), 4)
    0.5
    """
    times = instrument_response_times(scored, instrument=instrument, rule=rule)
    if times.empty:
        raise TooFewPatients("No patient of the selection has a baseline assessment of this instrument.")
    return aalen_johansen(times["time"].to_numpy(), times["status"].to_numpy())


def instrument_categories(scored: ScoredCohort, *, instrument: str, measure: str = TOTAL) -> pd.DataFrame:
    """Each patient's paper category beside the same bands applied to the instrument.

    The paper's depth-of-response bands, applied to the instrument's best
    improvement % on treatment: CR when the best possible score is reached,
    MR above 50 %, PR from 10 % to 50 %, NR below 10 % (or worse).

    Returns
    -------
    DataFrame
        patient_id, paper_response (best response by the paper's score),
        best_decrease_pct (the paper's score), instrument_response,
        best_improvement_pct (the instrument). Patients with a baseline and
        at least one assessment on treatment, whose baseline is not already
        the best possible score.

    Examples
    --------
    >>> from omalizumab_core.synthetic.instrument_example import instrument_example_scored
    >>> instrument_categories(instrument_example_scored(), instrument="example_symptom_diary")["instrument_response"].tolist()
    ['MR', 'MR', 'PR', 'NR', 'CR', 'NR']
    """
    changes = instrument_changes(scored, instrument=instrument, measure=measure)
    later = changes[(changes["month"] > 0) & changes["improvement_pct"].notna()]
    best = later.groupby("patient_id")["improvement_pct"].max()
    best_value_reached = later.assign(at_best=np.isclose(later["value"], _definition(scored, instrument).best(str(measure).strip().lower()))).groupby("patient_id")["at_best"].any()
    category = np.where(best_value_reached.reindex(best.index), "CR", np.where(best > 50 + _EPS, "MR", np.where(best >= 10 - _EPS, "PR", "NR")))
    o = scored.outcomes.set_index(scored.outcomes["patient_id"].astype(str))
    return pd.DataFrame(
        {
            "patient_id": best.index.to_numpy(),
            "paper_response": o["best_response"].reindex(best.index).astype(str).to_numpy(),
            "best_decrease_pct": o["best_decrease_pct"].reindex(best.index).to_numpy(dtype=float),
            "instrument_response": category,
            "best_improvement_pct": best.to_numpy(dtype=float),
        }
    )


def instrument_crosstab(scored: ScoredCohort, *, instrument: str, measure: str = TOTAL) -> pd.DataFrame:
    """Cross-table of the paper's best response against the instrument's category (same bands).

    Returns
    -------
    DataFrame
        Index: the paper's best response (CR, MR, PR, NR); columns: the
        instrument's category (CR, MR, PR, NR); cells: patients.

    Examples
    --------
    >>> from omalizumab_core.synthetic.instrument_example import instrument_example_scored
    >>> int(instrument_crosstab(instrument_example_scored(), instrument="example_symptom_diary").to_numpy().trace())
    5
    """
    cats = instrument_categories(scored, instrument=instrument, measure=measure)
    table = pd.crosstab(pd.Categorical(cats["paper_response"], categories=RESPONSES), pd.Categorical(cats["instrument_response"], categories=RESPONSES), dropna=False)
    table.index.name, table.columns.name = "paper_response", "instrument_response"
    return table.reindex(index=list(RESPONSES), columns=list(RESPONSES), fill_value=0).astype(int)


def instrument_agreement(scored: ScoredCohort, *, instrument: str, measure: str = TOTAL) -> pd.DataFrame:
    """Agreement of the instrument with the paper's score: weighted kappa and Spearman correlation.

    Returns
    -------
    DataFrame
        Columns ``AGREEMENT_COLUMNS``, two rows:
        ``weighted_kappa`` (linear weights, paper's best response against the
        instrument's category, as :func:`instrument_crosstab`;
        ``sklearn.metrics.cohen_kappa_score(weights="linear")``, no p-value)
        and ``spearman`` (the paper's best score decrease % against the
        instrument's best improvement %; ``scipy.stats.spearmanr``, two-sided
        p). NaN when fewer than 3 patients, or when either side has one value
        only.

    Examples
    --------
    >>> from omalizumab_core.synthetic.instrument_example import instrument_example_scored
    >>> a = instrument_agreement(instrument_example_scored(), instrument="example_symptom_diary")
    >>> a["statistic"].tolist()
    ['weighted_kappa', 'spearman']
    """
    from sklearn.metrics import cohen_kappa_score

    cats = instrument_categories(scored, instrument=instrument, measure=measure)
    n = len(cats)
    kappa = rho = p = np.nan
    if n >= 3:
        paper = cats["paper_response"].map(_RANK).to_numpy()
        inst = cats["instrument_response"].map(_RANK).to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if len(set(paper) | set(inst)) > 1:
                kappa = float(cohen_kappa_score(paper, inst, labels=[0, 1, 2, 3], weights="linear"))
            if cats["best_decrease_pct"].nunique() > 1 and cats["best_improvement_pct"].nunique() > 1:
                result = _stats().spearmanr(cats["best_decrease_pct"], cats["best_improvement_pct"])
                rho, p = float(result.statistic), float(result.pvalue)
    return pd.DataFrame(
        [
            {"statistic": "weighted_kappa", "label": "Weighted kappa (linear), paper's best response vs the instrument's category", "value": kappa, "p_value": np.nan, "patients": n},
            {"statistic": "spearman", "label": "Spearman correlation, paper's score decrease vs the instrument's improvement", "value": rho, "p_value": p, "patients": n},
        ],
        columns=AGREEMENT_COLUMNS,
    )


def format_instrument_responders(responders: pd.DataFrame) -> pd.DataFrame:
    """Responder table as printed: "3/6 (50.0 %) [11.8–88.2 %]" (:func:`formatting.n_of_ci`, exact 95 % CI)."""
    from omalizumab_core.formatting import n_of_ci

    return pd.DataFrame(
        {
            "Rule": responders["label"],
            "Responders": [
                "no patient with a baseline" if n == 0 else n_of_ci(k, n, lo, hi)
                for k, n, r, lo, hi in zip(responders["responders"], responders["patients"], responders["rate"], responders["lower"], responders["upper"])
            ],
        }
    )


def format_instrument_crosstab(table: pd.DataFrame) -> pd.DataFrame:
    """Cross-table with the categories in words."""
    out = table.rename(index=RESPONSE_LABELS, columns=RESPONSE_LABELS)
    out.index.name = "Paper's best response"
    out.columns.name = "Instrument (same bands)"
    return out.reset_index()


def format_instrument_agreement(agreement: pd.DataFrame) -> pd.DataFrame:
    """Agreement statistics as printed ("0.78", p "0.0667", or "not estimable")."""
    return pd.DataFrame(
        {
            "Statistic": agreement["label"],
            "Value": ["not estimable" if pd.isna(v) else f"{v:.2f}" for v in agreement["value"]],
            "p": ["" if pd.isna(p) else ("< 0.0001" if p < 1e-4 else f"{p:.4f}") for p in agreement["p_value"]],
            "Patients": agreement["patients"],
        }
    )
