"""Beyond the paper's score: anaphylaxis and questionnaires in a few lines, for the Overview, Patient and MDT pages.

The Anaphylaxis and Instruments pages give the full analyses
(:mod:`omalizumab_core.analyses.anaphylaxis`,
:mod:`omalizumab_core.analyses.instruments`). Other pages and the reports
only need their answer in a sentence or two: the rate of episodes before vs
on omalizumab with the paired rate ratio, the share of patients free of
anaphylaxis on treatment, and each questionnaire's responder rates. A cohort
without the optional tables gives no line at all, so those pages show
nothing new.

Conventions: the rate ratio quoted is the one paired by patient
(:func:`omalizumab_core.stats.rates.paired_rate_ratio`); responder rates are
"at any assessment on treatment" with exact (Clopper–Pearson) 95 % intervals;
a questionnaire's headline measure is its total (else its first domain).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from omalizumab_core.data.instruments import TOTAL
from omalizumab_core.data.problems import TooFewPatients
from omalizumab_core.engine.scoring import ScoredCohort

PAIRED = "conditional Poisson, paired by patient (quasi-likelihood)"
ANAPHYLAXIS_SUMMARY_COLUMNS = [
    "patients_with_episodes", "rate_before", "rate_on", "rate_ratio", "lower", "upper",
    "free", "free_rate", "free_lower", "free_upper",
]
INSTRUMENT_SUMMARY_COLUMNS = ["instrument", "name", "example", "rule", "label", "responders", "patients", "rate", "lower", "upper"]


def anaphylaxis_summary(scored: ScoredCohort) -> pd.DataFrame:
    """Anaphylaxis before vs on omalizumab in one row: rates, paired rate ratio, patients free on treatment.

    Returns
    -------
    DataFrame
        Columns ``ANAPHYLAXIS_SUMMARY_COLUMNS``: patients_with_episodes (in
        the recorded window before the first injection), rate_before,
        rate_on (episodes per patient-year, all patients with a time on
        treatment), rate_ratio, lower, upper (on/before, paired by patient,
        95 %; NaN when not estimable), free (patients with episodes before
        and none on treatment), free_rate, free_lower, free_upper
        (Clopper–Pearson 95 %). One row; no row when the cohort has no
        anaphylaxis table or no patient has a time on treatment.

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> s = anaphylaxis_summary(oc.score_cohort(oc.load_cohort("demo")))
    >>> int(s.loc[0, "patients_with_episodes"]), int(s.loc[0, "free"]), round(float(s.loc[0, "rate_ratio"]), 2)
    (14, 10, 0.23)
    """
    from omalizumab_core.analyses.anaphylaxis import _rates, anaphylaxis_outcomes
    from omalizumab_core.analyses.recorded import recorded_cohorts_only

    scored, _ = recorded_cohorts_only(scored, "anaphylaxis")  # pooled: a cohort that recorded none is not "free of anaphylaxis"
    if scored.cohort.anaphylaxis is None or not len(scored.outcomes):
        return pd.DataFrame(columns=ANAPHYLAXIS_SUMMARY_COLUMNS)
    try:
        rates = _rates(scored, exact=False)  # the paired rows only: no scipy.stats on the first page
    except TooFewPatients:
        return pd.DataFrame(columns=ANAPHYLAXIS_SUMMARY_COLUMNS)
    paired = rates[(rates["kind"] == "all") & (rates["method"] == PAIRED)].iloc[0]
    free = anaphylaxis_outcomes(scored).set_index("outcome").loc["free"]
    return pd.DataFrame(
        [{
            "patients_with_episodes": int(free["n"]), "rate_before": float(paired["rate_before"]), "rate_on": float(paired["rate_on"]),
            "rate_ratio": float(paired["rate_ratio"]), "lower": float(paired["lower"]), "upper": float(paired["upper"]),
            "free": int(free["count"]), "free_rate": float(free["rate"]), "free_lower": float(free["lower"]), "free_upper": float(free["upper"]),
        }],
        columns=ANAPHYLAXIS_SUMMARY_COLUMNS,
    )


def instrument_summary(scored: ScoredCohort) -> pd.DataFrame:
    """Each questionnaire's responder rates at any assessment on treatment, with the instrument's name.

    Returns
    -------
    DataFrame
        Columns ``INSTRUMENT_SUMMARY_COLUMNS``: instrument (id), name, example
        (True for an example definition, not a validated instrument), rule,
        label, responders, patients (with a baseline), rate, lower, upper
        (Clopper–Pearson 95 %). No row when the cohort has no questionnaire
        scores.

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> s = instrument_summary(oc.score_cohort(oc.load_cohort("demo")))
    >>> s[["rule", "responders", "patients"]].values.tolist()
    [['reduction_50', 26, 55], ['change_6', 40, 55], ['controlled', 24, 55]]
    """
    from omalizumab_core.analyses.instruments import instrument_responders

    if scored.cohort.instrument_scores is None or not scored.cohort.instruments:
        return pd.DataFrame(columns=INSTRUMENT_SUMMARY_COLUMNS)
    rows = instrument_responders(scored)
    definitions = scored.cohort.instruments
    rows["name"] = rows["instrument"].map(lambda i: definitions[i].name)
    rows["example"] = rows["instrument"].map(lambda i: definitions[i].example)
    return rows[INSTRUMENT_SUMMARY_COLUMNS].reset_index(drop=True)


def _share(k, n, rate: float, low: float, high: float, noun: str = "") -> str:
    return f"{int(k)}/{int(n)}{noun} ({100 * rate:.1f} %, 95 % CI {100 * low:.1f}–{100 * high:.1f})"


def _months(m: float) -> str:
    return f"{float(m):g} month{'s' * bool(m != 1)}"


def _ratio(r) -> str:
    if pd.isna(r["rate_ratio"]):
        return "rate ratio not estimable"
    upper = "∞" if math.isinf(r["upper"]) else f"{r['upper']:.2f}"
    return f"rate ratio {r['rate_ratio']:.2f}, 95 % CI {r['lower']:.2f}–{upper}, paired by patient"


def beyond_score_lines(scored: ScoredCohort) -> list[str]:
    """Anaphylaxis and questionnaire results of the selection, one sentence each (empty without those tables).

    Returns
    -------
    list of str
        Plain text (no markup): one sentence on anaphylaxis when the cohort
        has an anaphylaxis table, one per questionnaire when it has
        questionnaire scores.

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> lines = beyond_score_lines(oc.score_cohort(oc.load_cohort("demo")))
    >>> print(lines[0])
    Anaphylaxis: 0.82 episodes per patient-year before omalizumab, 0.14 on it (rate ratio 0.23, 95 % CI 0.01–3.78, paired by patient); free of anaphylaxis on treatment: 10/14 patients with episodes before (71.4 %, 95 % CI 41.9–91.6).
    >>> lines[1].startswith("Example symptom diary (EXAMPLE, not a validated instrument), responders at any assessment on treatment:")
    True
    """
    lines = []
    if scored.cohort.anaphylaxis is not None:
        summary = anaphylaxis_summary(scored)
        if summary.empty:
            lines.append("Anaphylaxis: no patient of the selection has a time on omalizumab.")
        else:
            r = summary.iloc[0]
            free = ("no patient had episodes before" if r["patients_with_episodes"] == 0 else
                    "free of anaphylaxis on treatment: "
                    + _share(r["free"], r["patients_with_episodes"], r["free_rate"], r["free_lower"], r["free_upper"], " patients with episodes before"))
            lines.append(f"Anaphylaxis: {r['rate_before']:.2f} episodes per patient-year before omalizumab, {r['rate_on']:.2f} on it "
                         f"({_ratio(r)}); {free}.")
    summary = instrument_summary(scored)
    for (_, name), rows in summary.groupby(["instrument", "name"], sort=True):
        rules = "; ".join(
            f"{r.label}: " + ("no patient with a baseline" if r.patients == 0 else _share(r.responders, r.patients, r.rate, r.lower, r.upper))
            for r in rows.itertuples()
        )
        lines.append(f"{name}, responders at any assessment on treatment: {rules or 'no responder rule in its definition'}.")
    return lines


def patient_beyond_score_lines(scored: ScoredCohort, patient_id: str) -> list[str]:
    """One patient's anaphylaxis episodes before vs on omalizumab and questionnaire course (empty without those tables).

    Returns
    -------
    list of str
        Plain text: the patient's episodes (and epinephrine) in the recorded
        window before and on treatment with their yearly rates, and for each
        questionnaire the headline measure at baseline and at the last
        assessment on treatment, and the responder rules met at any
        assessment.

    Raises
    ------
    ValueError
        For a patient not in the selection.

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> for line in patient_beyond_score_lines(oc.score_cohort(oc.load_cohort("demo")), "DEMO-001"):
    ...     print(line)
    Anaphylaxis: 5 episodes in the 12 months before omalizumab (5.0 per year; 3 with epinephrine), 0 in 17 months on it (0.0 per year; 0 with epinephrine).
    Example symptom diary (EXAMPLE, not a validated instrument), total (0 to 40): 28 at baseline, 0 at month 12 (improved by 100 %); responder rules met: Total reduced by at least 50 %; Total reduced by at least 6 points (example minimal important difference); Controlled: total of 8 or less.
    """
    from omalizumab_core.analyses.anaphylaxis import anaphylaxis_periods
    from omalizumab_core.analyses.instruments import instrument_changes, instrument_responders

    pid = str(patient_id)
    from omalizumab_core.analyses.patient_course import _rows

    if _rows(scored.outcomes, pid).empty:
        raise ValueError(f"Patient {pid} is not in the selection.")
    lines = []
    if scored.cohort.anaphylaxis is not None:
        p = anaphylaxis_periods(scored.subset([pid])).iloc[0]
        count = int(p["all_before"])
        before = f"{count} episode{'s' * (count != 1)} in the {_months(p['months_before'])} before omalizumab " \
                 f"({12 * count / p['months_before']:.1f} per year; {int(p['epinephrine_before'])} with epinephrine)"
        if pd.isna(p["months_on"]) or p["months_on"] <= 0:
            on = f"{int(p['all_on'])} on it (no time on treatment yet)"
        else:
            on = f"{int(p['all_on'])} in {_months(p['months_on'])} on it ({12 * p['all_on'] / p['months_on']:.1f} per year; {int(p['epinephrine_on'])} with epinephrine)"
        lines.append(f"Anaphylaxis: {before}, {on}.")
    if scored.cohort.instrument_scores is not None:
        one = scored.subset([pid])
        for ident, definition in sorted(scored.cohort.instruments.items()):
            measure = TOTAL if TOTAL in definition.measures else definition.measure_ids()[0]
            changes = instrument_changes(one, instrument=ident, measure=measure)
            head = f"{definition.name}, {definition.label(measure).lower() if measure != TOTAL else 'total'}"
            if measure == TOTAL:
                low, high = definition.measure_range(TOTAL)
                head = f"{definition.name}, total ({low:g} to {high:g})"
            if changes.empty:
                lines.append(f"{head}: no baseline assessment.")
                continue
            last = changes.iloc[-1]
            text = f"{head}: {changes['value'].iloc[0]:g} at baseline"
            if last["month"] > 0:
                pct = last["improvement_pct"]
                pct = "" if np.isnan(pct) else f" (improved by {pct:.0f} %)" if pct >= 0 else f" (worse by {-pct:.0f} %)"
                text += f", {last['value']:g} at month {last['month']:g}{pct}"
            else:
                text += ", no assessment on treatment yet"
            met = instrument_responders(one, instrument=ident)
            labels = met.loc[met["responders"] > 0, "label"].tolist()
            if definition.responders:
                text += "; responder rules met: " + ("; ".join(labels) if labels else "none")
            lines.append(text + ".")
    return lines


def comparable_beyond_score_lines(scored: ScoredCohort, patient_ids) -> list[str]:
    """What happened to the anaphylaxis and questionnaire scores of comparable patients (empty without those tables).

    Parameters
    ----------
    scored : ScoredCohort
        The selection the comparable patients were found in.
    patient_ids : sequence of str
        The comparable patients (:func:`omalizumab_core.analyses.candidate.assess_candidate`).

    Returns
    -------
    list of str
        :func:`beyond_score_lines` of the comparable patients alone, each
        starting with how many they are; empty when there is none or the
        cohort has neither table.

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> scored = oc.score_cohort(oc.load_cohort("demo"))
    >>> comparable_beyond_score_lines(scored, ["DEMO-001", "DEMO-002"])[0][:60]
    'Among the 2 comparable patients, anaphylaxis: 2.50 episodes '
    """
    ids = [str(i) for i in patient_ids]
    if not ids:
        return []
    lines = beyond_score_lines(scored.subset(ids))
    n = len(ids)
    prefix = f"Among the {n} comparable patient{'s' * (n != 1)}, "
    return [prefix + line[0].lower() + line[1:] if line.startswith("Anaphylaxis") else prefix + line for line in lines]
