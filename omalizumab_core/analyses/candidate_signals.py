"""What happened to the candidate's symptoms in the cohort, and safety signals among comparable patients.

Part of the MDT candidate page (:mod:`omalizumab_core.analyses.candidate`):
per-symptom evolution among the cohort patients who had each of the
candidate's symptoms at baseline (improved, disappeared, worsened, median
month of first improvement), and the safety signals of a set of patients,
each labelled with exactly what it counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from omalizumab_core.analyses.candidate_profile import _distinct, _row_positions, _row_symptoms
from omalizumab_core.data.codes import CATEGORY_LABELS, QUARTERS_PER_POINT, WORSE_QUARTERS
from omalizumab_core.data.vocabulary import canonical_name
from omalizumab_core.engine.scoring import ScoredCohort

# --- per-symptom frequencies ---------------------------------------------------

SYMPTOM_OUTCOME_COLUMNS = ["symptom", "category", "patients", "improved", "disappeared", "worsened", "median_month_first_improvement"]


def symptom_outcome_frequencies(scored: ScoredCohort, symptoms, *, patient_ids=None) -> pd.DataFrame:
    """For each symptom, how it evolved in the patients who had it at baseline.

    Parameters
    ----------
    scored : ScoredCohort
        The (filtered) cohort.
    symptoms : sequence of str
        Symptom names (the candidate's); compared through canonical names.
    patient_ids : sequence of str, optional
        Restrict to these patients (default: every patient of ``scored``).

    Returns
    -------
    DataFrame
        One row per symptom, in the given order: symptom, category,
        patients (with the symptom at baseline), improved, disappeared,
        worsened (numbers of those patients) and
        median_month_first_improvement (median over the ``improved``
        patients of the first month with a score below 1; NaN when none).

    Notes
    -----
    Time points: the symptom's recorded on-treatment scores, months > 0 and
    not after ``treatment_end_month`` (the engine's rule: "Treatment was given
    as long as it was effective"). Improved: lowest on-treatment score below
    1 (at least a slight improvement); disappeared: a score of 0 ("complete
    disappearance of the symptom"); worsened: a score of 1.5 at any
    assessment. A patient may count as both improved and worsened (at
    different times); a patient without any on-treatment score for the
    symptom counts only in ``patients``. Scores are compared in integer
    quarters.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> symptom_outcome_frequencies(demo_scored(), ["anaphylaxis"])["patients"].iloc[0] > 0
    np.True_
    """
    from omalizumab_core.data.vocabulary import category_of

    names = list(dict.fromkeys(canonical_name(s) for s in symptoms))
    k = max(len(names), 1)
    table = scored.cohort.symptoms
    patients = scored.cohort.patients
    ids = pd.Index(patients["patient_id"].astype("object"))
    who = _row_positions(table["patient_id"], ids)
    if patient_ids is not None:
        allowed = np.zeros(len(ids) + 1, dtype=bool)
        allowed[ids.get_indexer(pd.Index(patient_ids).astype("object"))] = True
        allowed[-1] = False
        who = np.where(allowed[who], who, -1)
    what = _row_symptoms(table["symptom"], names)
    chosen = (who >= 0) & (what >= 0)
    who, what = who[chosen], what[chosen]
    month = table["month"].to_numpy(dtype="float64")[chosen]
    q = np.rint(table["score"].to_numpy(dtype="float64")[chosen] * QUARTERS_PER_POINT).astype(np.int64)
    end = patients["treatment_end_month"].to_numpy(dtype="float64")[who]
    key = who * k + what  # one (patient, symptom) pair
    baseline = _distinct(key[month == 0])
    later = (month > 0) & ~(end < month)
    later[later] = np.isin(key[later], baseline, kind="sort")  # baseline symptoms only
    per_pair = pd.DataFrame({"key": key[later], "q": q[later]}).groupby("key")["q"].agg(["min", "max"])
    better = later & (q < QUARTERS_PER_POINT)
    first_better = pd.DataFrame({"key": key[better], "month": month[better]}).groupby("key")["month"].min()
    first_months = pd.Series(first_better.to_numpy(dtype="float64")).groupby(first_better.index.to_numpy(dtype=np.int64) % k).median()
    pair_symptom = per_pair.index.to_numpy(dtype=np.int64) % k

    def count(mask) -> np.ndarray:
        return np.bincount(pair_symptom[np.asarray(mask)], minlength=k)

    with_it = np.bincount(baseline % k, minlength=k)
    improved = count(per_pair["min"].to_numpy() < QUARTERS_PER_POINT)
    disappeared = count(per_pair["min"].to_numpy() == 0)
    worsened = count(per_pair["max"].to_numpy() >= WORSE_QUARTERS)
    # A name outside the vocabulary takes the category of its first row.
    present = _distinct(what)
    first = np.array([int(np.argmax(what == p)) for p in present], dtype=np.int64)
    given = dict(zip(present.tolist(), table["category"].iloc[np.flatnonzero(chosen)[first]].astype("object").tolist()))
    out = pd.DataFrame(
        {
            "symptom": names,
            "category": [category_of(n) or str(given.get(i, "other")) for i, n in enumerate(names)],
            "patients": with_it[: len(names)].astype(int),
            "improved": improved[: len(names)].astype(int),
            "disappeared": disappeared[: len(names)].astype(int),
            "worsened": worsened[: len(names)].astype(int),
            "median_month_first_improvement": [float(first_months.get(i, np.nan)) for i in range(len(names))],
        }
    )
    return out[SYMPTOM_OUTCOME_COLUMNS]


def format_symptom_outcomes(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-symptom frequencies as displayed: "n (x %)" of the patients with the symptom."""
    from omalizumab_core.formatting import n_pct, number

    def share(column):
        return [n_pct(int(k), int(n)) if n else "–" for k, n in zip(frame[column], frame["patients"])]

    return pd.DataFrame(
        {
            "Symptom": frame["symptom"],
            "Category": frame["category"].map(CATEGORY_LABELS).fillna(frame["category"]),
            "With it at baseline": frame["patients"].astype(int),
            "Improved (score < 1)": share("improved"),
            "Disappeared (0)": share("disappeared"),
            "Worsened (1.5)": share("worsened"),
            "First improvement, median month": [
                f"{number(m)} (n = {int(k)})" if k else "–" for m, k in zip(frame["median_month_first_improvement"], frame["improved"])
            ],
        }
    )


# --- safety ---------------------------------------------------------------

SAFETY_COLUMNS = ["signal", "events", "patients", "total", "recorded", "source"]
_SAFETY_LABELS = {
    "flare": "Flare",
    "first_injection": "Reaction at the first injection",
    "severe_first_injection": "Severe reaction at the first injection",
    "stopped_intolerance": "Stopped for intolerance (any response)",
}
SAFETY_DEFINITIONS = {
    "flare": "Patients with at least one adverse event marked as a flare of mast cell symptoms, at any time",
    "first_injection": "Patients with any adverse event recorded at month 0 (the first injection)",
    "severe_first_injection": "Patients with an adverse event at month 0 graded severe or marked serious",
    "stopped_intolerance": "Patients whose recorded reason for stopping omalizumab is intolerance, whatever their response "
                           "(Table 2's Intolerance counts responders only)",
}


def safety_signals(scored: ScoredCohort, ids) -> pd.DataFrame:
    """Flares, severe reactions at the first injection and stops for intolerance.

    Parameters
    ----------
    scored : ScoredCohort
    ids : sequence of str
        Patients to count (usually the comparable patients).

    Returns
    -------
    DataFrame
        Columns ``SAFETY_COLUMNS``: signal ("flare", "first_injection",
        "severe_first_injection", "stopped_intolerance"), events (adverse-event rows, NA when not
        counted), patients (distinct patients), total (patients looked at),
        recorded (False when the cohort has no adverse_events table) and
        source (the table counted).

    Notes
    -----
    - Flare: adverse events marked ``flare`` (the paper's "flare effect with
      accentuation of their symptoms on therapy").
    - Reaction at the first injection: any adverse event at month 0.
    - Severe reaction at the first injection: adverse events at month 0 (the
      first injection) of severity "severe" or marked serious (the paper's
      "edema of the larynx and dyspnea 30 minutes after the first
      injection").
    - Stopped for intolerance: patients whose ``end_reason`` is
      "intolerance" (patients table, always recorded).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> scored = demo_scored()
    >>> safety_signals(scored, scored.outcomes["patient_id"]).set_index("signal")["patients"].tolist()
    [3, 1, 1, 6]
    """
    patients = scored.cohort.patients
    index = pd.Index(patients["patient_id"].astype("object"))
    kept = np.zeros(len(index) + 1, dtype=bool)  # last slot: rows of unknown patients
    kept[index.get_indexer(pd.Index(ids).astype("object"))] = True
    kept[-1] = False
    total = int(kept[:-1].sum())
    events = scored.cohort.adverse_events
    rows = []
    if events is None:
        for signal in ("flare", "first_injection", "severe_first_injection"):
            rows.append((signal, pd.NA, pd.NA, total, False, "adverse events: not recorded"))
    else:
        ae = events[kept[_row_positions(events["patient_id"], index)]]
        flare = ae["flare"].fillna(False).astype(bool).to_numpy()
        severe = (ae["severity"].astype("object").to_numpy() == "severe") | ae["serious"].fillna(False).astype(bool).to_numpy()
        first = ae["month"].to_numpy(dtype="float64") == 0
        for signal, mask in (("flare", flare), ("first_injection", first), ("severe_first_injection", severe & first)):
            who = ae.loc[mask, "patient_id"].astype("object")
            rows.append((signal, int(mask.sum()), int(who.nunique()), total, True, "adverse events"))
    stopped = kept[:-1] & (patients["end_reason"].astype("object").to_numpy() == "intolerance")
    rows.append(("stopped_intolerance", pd.NA, int(stopped.sum()), total, True, "end reason"))
    return pd.DataFrame(rows, columns=SAFETY_COLUMNS)


def format_safety(frame: pd.DataFrame) -> pd.DataFrame:
    """Safety signals as displayed; "not recorded" when the cohort has no adverse events."""
    from omalizumab_core.formatting import n_pct

    events, patients = [], []
    for r in frame.itertuples(index=False):
        if not r.recorded:
            events.append("not recorded")
            patients.append("not recorded")
            continue
        events.append("–" if pd.isna(r.events) else str(int(r.events)))
        patients.append(n_pct(int(r.patients), int(r.total)))
    return pd.DataFrame(
        {
            "Signal": frame["signal"].map(_SAFETY_LABELS),
            "What is counted": frame["signal"].map(SAFETY_DEFINITIONS),
            "Events": events,
            "Patients": patients,
            "Counted from": frame["source"],
        }
    )
