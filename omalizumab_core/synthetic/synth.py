"""Registry-scale synthetic cohorts: realistic, valid, deterministic, vectorised.

:func:`synthesize` makes ``n_patients`` synthetic patients treated with
omalizumab, shaped like the cohort of Lemal et al. (2019) but as large as a
national registry; :func:`write_cohort` writes them as parquet, CSV or Excel
files in the data contract (docs/data-format.md) that the loader reads back.
They are **synthetic**: no row describes a real patient.

What the generator models
-------------------------
Patients
    Diagnoses ISM 53 %, CM 20 %, MCAS 27 % with the paper's KIT D816V rates
    per diagnosis (ISM mostly positive, MCAS mostly negative, a few not
    evaluated), about 31 % men (sex ratio 0.44), age at diagnosis (median
    about 41, children in CM) and at treatment (median about 3 years later),
    a CEREMAST centre, a treatment start date, prior therapies, baseline
    tryptase and (for about a third) total IgE, and the Table 1 yes/no
    characteristics (skin, maculopapular CM, bone marrow, bone density, the
    WHO criteria), blank where "not evaluated" at the paper's rates.
Symptoms
    About 11 baseline symptoms per patient (3 to 25), drawn without
    replacement from 37 English symptom names that the project's vocabulary
    (``vocabulary.py``) recognises, one per canonical symptom, with its
    category, weighted by how common they are in mast cell disorders. Assessments every 1 to 3 months (the first at month
    1 to 3) for up to 36 months; at each one every baseline symptom is
    rescored, except that about 5 % of (symptom, visit) rows are missing (the
    engine carries the last value forward). Mean about 11 assessments, so
    about 130 rows per patient.
Trajectories
    Each patient has a latent depth of response: non-responders (about 20 %),
    partial (22 %), major (55 %) and complete responders (3 %). Each symptom
    improves towards a target set by that depth and by how well its category
    responds (vasomotor best, musculoskeletal and headache least), with a
    patient-specific time constant (median first response about 2 months),
    plus noise, rounded to the paper's scores {1.5, 1, 0.75, 0.5, 0.25, 0}.
    Some non-responders have a symptom that worsens (1.5) or a new symptom;
    a few responders have a transient worsening or a short-lived new
    symptom; about 10 % of responders lose their response after 2 to 13
    months.
Treatment course
    Non-responders stop after 1 to 6 months (lack of efficacy 75 %,
    intolerance 25 %); responders stop for loss of response (when they lost
    it), intolerance, loss from follow-up, pregnancy intent (women under 45)
    or another reason, or are still treated (about 60 % overall).
    ``last_follow_up_month`` is never before ``treatment_end_month``. Every
    assessment is at or before the end of treatment, unless
    ``post_treatment_share`` asks for some after it (see :func:`synthesize`).
Doses
    One row per regimen (month it starts, dose, interval): 300 or 150 mg every
    4 weeks at month 0; about 27 % escalate to 300 mg (a few 600 mg) every
    2 weeks, and about a fifth of those (4 % of all) later go weekly.
Adverse events
    About 30 % of patients, 1 to 3 events each, from the paper's list
    (fatigue, fever, headache, malaise, nausea, flare ...); every
    intolerance stop has an event at the stop month that led to
    discontinuation.
Labs
    For about 27 % of patients tryptase, and for about 27 % total IgE, before
    (month 0) and on treatment (month 3 or later): tryptase stable, IgE
    usually rising, as in the paper.

Files are sorted by patient, then symptom (alphabetically), then month;
patient ids are "S000001", "S000002", ... (more digits above 999,999).
The same ``(n_patients, seed)`` always gives the same tables.

Memory and speed
----------------
Everything is built with numpy arrays over all rows at once, no per-patient
Python loop. 100,000 patients (about 13 million symptom rows) take a few
seconds and well under 2 GB. ``patient_id``, ``symptom`` and ``category`` of
the long tables are pandas categoricals (dictionary-encoded in parquet, plain
text in CSV and Excel).

Why one module of more than 600 lines: the generator is one vectorised
pipeline whose steps share seeded random state and column conventions;
it is test and benchmark tooling, not clinical logic.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from omalizumab_core.data.codes import CATEGORIES

__all__ = [
    "synthesize",
    "write_cohort",
    "synthetic_cohort",
    "SYMPTOM_VOCABULARY",
    "EXCEL_MAX_ROWS",
    "FORMATS",
]

FORMATS = ("parquet", "csv", "xlsx")
EXCEL_MAX_ROWS = 1_048_576
"""Rows of one Excel sheet, header included."""

MAX_MONTH = 36
"""Assessments and treatment run for up to three years."""

# (symptom name, category, prevalence weight). Names are the plain English
# terms a clinician writes and a symptom vocabulary recognises; weights are
# relative frequencies in mast cell disorders (fatigue, pruritus, flushing and
# abdominal pain most common, as in the paper's Figure 1). Sorted by name:
# the symptom code order is the file's sort order.
_VOCABULARY = sorted(
    [
        ("anaphylaxis", "general_vasomotor", 0.25),
        ("malaise", "general_vasomotor", 0.35),
        ("palpitations", "general_vasomotor", 0.30),
        ("hypotension", "general_vasomotor", 0.15),
        ("flushing", "superficial_vasomotor", 0.60),
        ("pruritus", "superficial_vasomotor", 0.65),
        ("urticaria", "superficial_vasomotor", 0.30),
        ("angioedema", "superficial_vasomotor", 0.20),
        ("dermographism", "superficial_vasomotor", 0.15),
        ("abdominal pain", "gastrointestinal", 0.60),
        ("diarrhea", "gastrointestinal", 0.50),
        ("nausea", "gastrointestinal", 0.35),
        ("bloating", "gastrointestinal", 0.35),
        ("vomiting", "gastrointestinal", 0.12),
        ("gastroesophageal reflux", "gastrointestinal", 0.30),
        ("pollakiuria", "urinary", 0.30),
        ("urinary urgency", "urinary", 0.15),
        ("fatigue", "neuropsychiatric", 0.75),
        ("anxiety", "neuropsychiatric", 0.35),
        ("depression", "neuropsychiatric", 0.30),
        ("cognitive impairment", "neuropsychiatric", 0.40),
        ("insomnia", "neuropsychiatric", 0.30),
        ("irritability", "neuropsychiatric", 0.20),
        ("bone pain", "musculoskeletal", 0.45),
        ("muscle pain", "musculoskeletal", 0.35),
        ("joint pain", "musculoskeletal", 0.35),
        ("headache", "headache", 0.45),
        ("migraine", "headache", 0.10),
        ("dyspnea", "respiratory", 0.30),
        ("nasal congestion", "respiratory", 0.20),
        ("cough", "respiratory", 0.12),
        ("wheezing", "respiratory", 0.10),
        ("rhinitis", "respiratory", 0.15),
        ("dysphagia", "gastrointestinal", 0.08),
        ("skin lesions", "superficial_vasomotor", 0.35),
        ("cystitis-like pain", "urinary", 0.10),
        ("dysuria", "urinary", 0.06),
    ]
)
SYMPTOM_VOCABULARY: dict[str, str] = {name: category for name, category, _ in _VOCABULARY}
"""Symptom name -> category code, for every symptom the generator writes."""

# How well each category responds (multiplies the patient's depth): the paper
# found omalizumab "dramatically effective" on vasomotor symptoms, "often
# partially" on neuropsychiatric ones, and only sometimes on pains/headaches.
_CATEGORY_EFFICACY = {
    "general_vasomotor": 1.15,
    "superficial_vasomotor": 1.10,
    "gastrointestinal": 1.0,
    "urinary": 1.0,
    "neuropsychiatric": 0.85,
    "musculoskeletal": 0.70,
    "headache": 0.70,
    "respiratory": 0.95,
    "other": 0.9,
}

_DIAGNOSES = np.array(["ISM", "CM", "MCAS"], dtype=object)
_DIAGNOSIS_P = [0.53, 0.20, 0.27]
# Per diagnosis: P(KIT not evaluated), P(positive | evaluated) (Table 1).
_KIT_NOT_EVALUATED = np.array([0.035, 0.18, 0.20])
_KIT_POSITIVE = np.array([0.82, 0.33, 0.083])
_KIT = np.array(["positive", "negative", "not_evaluated"], dtype=object)

_CENTERS = np.array(["Paris", "Lyon", "Toulouse", "Marseille", "Lille", "Bordeaux", "Nantes", "Strasbourg"], dtype=object)
_CENTER_P = [0.34, 0.12, 0.14, 0.10, 0.08, 0.08, 0.07, 0.07]

# Prior therapies (Table 1) and how often each was given.
_THERAPIES = (
    ("H1 antihistamine", 0.89),
    ("H2 antihistamine", 0.91),
    ("montelukast", 0.71),
    ("sodium cromoglycate", 0.49),
    ("cladribine", 0.20),
    ("masitinib", 0.14),
    ("imatinib", 0.09),
    ("rapamycin", 0.05),
    ("interferon", 0.04),
)
_CYTOREDUCTIVE_FROM = 4  # therapies from this position on are for mastocytosis only

# Table 1 yes/no characteristics: per diagnosis (ISM, CM, MCAS), the share
# evaluated and the share "yes" among them (blank = not evaluated).
_YES_NO = {
    "skin_involvement": ((1.0, 1.0, 1.0), (0.70, 1.0, 0.05)),
    "maculopapular_cm": ((1.0, 1.0, 1.0), (0.62, 0.90, 0.0)),
    "bone_marrow_involvement": ((0.97, 0.80, 0.80), (0.95, 0.15, 0.05)),
    "decreased_bone_density": ((0.9, 0.8, 0.8), (0.45, 0.15, 0.15)),
    "who_dense_infiltrates": ((0.60, 0.25, 0.20), (0.80, 0.10, 0.0)),
    "who_atypical_morphology": ((0.90, 0.60, 0.50), (0.70, 0.10, 0.05)),
    "who_cd2_cd25": ((0.80, 0.45, 0.40), (0.80, 0.15, 0.05)),
}
_YES_NO_ORDER = (
    "skin_involvement",
    "maculopapular_cm",
    "bone_marrow_involvement",
    "decreased_bone_density",
    "who_dense_infiltrates",
    "who_atypical_morphology",
    "who_kit_816",
    "who_cd2_cd25",
)

# Latent response classes: share, depth range (target mean decrease).
_NON, _PARTIAL, _MAJOR, _COMPLETE = 0, 1, 2, 3
_CLASS_P = [0.20, 0.22, 0.55, 0.03]
_CLASS_DEPTH = {_NON: (0.0, 0.06), _PARTIAL: (0.18, 0.42), _MAJOR: (0.58, 0.92), _COMPLETE: (1.0, 1.0)}

_END_REASONS = np.array(
    ["ongoing", "lack_of_efficacy", "loss_of_response", "intolerance", "lost_to_follow_up", "pregnancy_intent", "other"],
    dtype=object,
)
_ONGOING, _LACK, _LOSS, _INTOLERANCE, _LOST, _PREGNANCY, _OTHER = range(7)

# Adverse events (the paper's Safety paragraph), with relative frequencies.
_EVENTS = (
    ("fatigue", 3),
    ("fever", 3),
    ("headache", 2),
    ("malaise", 2),
    ("nausea", 2),
    ("abdominal pain", 2),
    ("injection site reaction", 3),
    ("pruritus", 1),
    ("local rash", 1),
    ("sweating", 1),
    ("epistaxis", 0.5),
    ("ecchymosis", 0.5),
    ("flare of mast cell symptoms", 1.5),
    ("laryngeal edema", 0.3),
)
_FLARE_EVENT = "flare of mast cell symptoms"
_SEVERE_EVENT = "laryngeal edema"
_SEVERITIES = np.array(["mild", "moderate", "severe"], dtype=object)

# Score quarters: 6 = 1.5 (worse), 4 = 1 (no change) ... 0 = disappeared.
_WORSE_Q = 6


def synthesize(n_patients: int, seed: int, *, post_treatment_share: float = 0.0) -> dict[str, pd.DataFrame]:
    """A synthetic cohort of ``n_patients`` patients, as data-contract tables.

    Parameters
    ----------
    n_patients : int
        Number of patients (0 or more).
    seed : int
        Random seed: the same (n_patients, seed) gives identical tables.
    post_treatment_share : float, default 0
        Share of the patients who stopped treatment that get one more
        assessment 1 to 3 months after ``treatment_end_month`` (every
        baseline symptom rescored). Such rows are realistic (follow-up visits
        after a stop) and the engine ignores them ("assessments after
        treatment_end_month are ignored"); the validator warns about them.
        The default writes none.

    Returns
    -------
    dict of str -> DataFrame
        ``patients``, ``symptoms``, ``doses``, ``adverse_events`` and ``labs``,
        in the data contract's column names (see the module docstring for
        their content). Long tables hold ``patient_id`` as a categorical whose
        categories are the patients' ids in order.

    Examples
    --------
    >>> tables = synthesize(100, seed=1)
    >>> sorted(tables)
    ['adverse_events', 'doses', 'labs', 'patients', 'symptoms']
    >>> tables["patients"]["patient_id"].iloc[0]
    'S000001'
    """
    n = int(n_patients)
    if n < 0:
        raise ValueError(f"n_patients must be 0 or more, not {n_patients!r}")
    if not 0.0 <= post_treatment_share <= 1.0:
        raise ValueError(f"post_treatment_share must be between 0 and 1, not {post_treatment_share!r}")
    rng = np.random.default_rng(seed)
    ids = _patient_ids(n)
    course = _course(rng, n)
    patients = _patients_table(rng, n, ids, course)
    symptoms = _symptoms_table(rng, n, ids, course, post_treatment_share)
    doses = _doses_table(rng, n, ids, course)
    adverse_events = _adverse_events_table(rng, n, ids, course)
    labs = _labs_table(rng, n, ids, patients)
    return {"patients": patients, "symptoms": symptoms, "doses": doses, "adverse_events": adverse_events, "labs": labs}


def synthetic_cohort(n_patients: int, seed: int, **options):
    """:func:`synthesize` wrapped as a :class:`~omalizumab_core.data.cohort.Cohort` without a file.

    For tests and benchmarks that need the tables in memory; a real user's
    path is ``write_cohort`` then ``loading.load_cohort``, which also
    validates.
    """
    from omalizumab_core.data.cohort import Cohort

    tables = synthesize(n_patients, seed, **options)
    return Cohort(
        **tables,
        source=f"synthetic cohort ({n_patients} patients, seed {seed})",
        synthetic=True,
    )


# --- patients and their course -------------------------------------------------------


def _patient_ids(n: int) -> pd.Index:
    width = max(6, len(str(n)))
    return pd.Index([f"S{i:0{width}d}" for i in range(1, n + 1)], dtype="str", name="patient_id")


def _course(rng: np.random.Generator, n: int) -> dict:
    """Latent response, visits and treatment course of every patient (arrays of length n)."""
    diagnosis = rng.choice(3, size=n, p=_DIAGNOSIS_P)
    male = rng.random(n) < 0.44 / 1.44
    age_dx = np.where(
        (diagnosis == 1) & (rng.random(n) < 0.3),
        rng.uniform(2, 16, n),
        np.clip(rng.normal(43, 15, n), 2, 87),
    )
    gap = np.clip(np.exp(rng.normal(np.log(3.0), 1.1, n)), 2 / 12, 37)
    age_tx = np.clip(np.maximum(age_dx + gap, 17 + rng.uniform(0, 4, n)), None, 93)
    age_dx = np.minimum(age_dx, age_tx)

    klass = rng.choice(4, size=n, p=_CLASS_P)
    low = np.array([_CLASS_DEPTH[k][0] for k in range(4)])
    high = np.array([_CLASS_DEPTH[k][1] for k in range(4)])
    depth = low[klass] + (high - low)[klass] * rng.random(n)
    tau = np.exp(rng.normal(np.log(2.2), 0.6, n))  # months to ~63 % of the effect
    noise = np.where(klass == _COMPLETE, 0.05, np.where(klass == _NON, 0.06, 0.09))
    responder = klass != _NON
    loses = responder & (rng.random(n) < 0.10)
    loss_month = rng.uniform(2, 13, n)

    # Treatment course: whole months on treatment (the horizon of assessments).
    reason = np.full(n, _ONGOING)
    horizon = rng.integers(18, MAX_MONTH + 1, n)  # still treated: months of follow-up
    u = rng.random(n)
    stop_at = rng.integers(4, MAX_MONTH + 1, n)
    young_woman = (~male) & (age_tx < 45)
    reason = np.where(responder & (u < 0.07), _INTOLERANCE, reason)
    reason = np.where(responder & (u >= 0.07) & (u < 0.12), _LOST, reason)
    reason = np.where(responder & young_woman & (u >= 0.12) & (u < 0.22), _PREGNANCY, reason)
    reason = np.where(responder & (u >= 0.22) & (u < 0.24), _OTHER, reason)
    horizon = np.where(reason != _ONGOING, stop_at, horizon)
    loss_stop = np.minimum(np.ceil(loss_month + rng.uniform(1, 4, n)).astype(np.int64), MAX_MONTH)
    reason = np.where(loses, _LOSS, reason)
    horizon = np.where(loses, loss_stop, horizon)
    non_stop = rng.integers(1, 7, n)
    reason = np.where(~responder, np.where(rng.random(n) < 0.75, _LACK, _INTOLERANCE), reason)
    horizon = np.where(~responder, non_stop, horizon)

    # Visit months: first at 1-3, then every 1-3 months, within the horizon.
    steps = rng.choice(np.array([1, 2, 3], dtype=np.int16), size=(n, MAX_MONTH), p=[0.40, 0.40, 0.20])
    months = np.cumsum(steps, axis=1, dtype=np.int16)
    # At least one assessment; later visits stay after the (clipped) first one.
    months[:, 0] = np.minimum(months[:, 0], horizon)
    n_visits = (months <= horizon[:, None]).sum(axis=1)
    months[np.arange(MAX_MONTH) >= n_visits[:, None]] = np.iinfo(np.int16).max
    last_visit = months[np.arange(n), np.maximum(n_visits - 1, 0)] if n else np.zeros(0, dtype=np.int16)

    stopped = reason != _ONGOING
    end_month = np.where(stopped, horizon, np.nan).astype(float)
    after = np.where(reason == _LOST, 0, rng.integers(0, 7, n))
    follow_up = np.where(stopped, horizon + after, last_visit + rng.integers(0, 2, n)).astype(float)
    return {
        "diagnosis": diagnosis,
        "male": male,
        "age_dx": age_dx,
        "age_tx": age_tx,
        "klass": klass,
        "depth": depth,
        "tau": tau,
        "noise": noise,
        "loses": loses,
        "loss_month": loss_month,
        "reason": reason,
        "end_month": end_month,
        "follow_up": follow_up,
        "months": months,
        "n_visits": n_visits,
        "stopped": stopped,
    }


def _patients_table(rng: np.random.Generator, n: int, ids: pd.Index, c: dict) -> pd.DataFrame:
    diagnosis = c["diagnosis"]
    evaluated = rng.random(n) >= _KIT_NOT_EVALUATED[diagnosis]
    positive = rng.random(n) < _KIT_POSITIVE[diagnosis]
    kit = np.where(evaluated, np.where(positive, 0, 1), 2)
    # Treatment starts 2008 .. mid 2021, so 36 months fit before a 2024 cut-off.
    start_day = rng.integers(0, (np.datetime64("2021-06-30") - np.datetime64("2008-01-01")).astype(int), n)
    treatment_start = np.datetime64("2008-01-01") + start_day.astype("timedelta64[D]")
    mastocytosis = diagnosis != 2
    tryptase_median = np.array([28.0, 9.0, 7.0])[diagnosis]
    tryptase = np.round(np.clip(tryptase_median * np.exp(rng.normal(0, 0.8, n)), 1.0, 400.0), 1)
    ige = np.round(np.clip(np.exp(rng.normal(np.log(60), 1.3, n)), 2.0, 5000.0), 1)
    ige = np.where(rng.random(n) < 0.3, ige, np.nan)

    therapies = np.zeros(n, dtype=np.int64)
    for bit, (_, share) in enumerate(_THERAPIES):
        given = rng.random(n) < share * (1.4 if bit >= _CYTOREDUCTIVE_FROM else 1.0)
        if bit >= _CYTOREDUCTIVE_FROM:
            given &= mastocytosis
        therapies |= given.astype(np.int64) << bit
    combos = np.array(
        [";".join(name for bit, (name, _) in enumerate(_THERAPIES) if code >> bit & 1) or None for code in range(1 << len(_THERAPIES))],
        dtype=object,
    )

    yes_no = {}
    for column, (evaluated_p, yes_p) in _YES_NO.items():
        evaluated_p, yes_p = np.asarray(evaluated_p)[diagnosis], np.asarray(yes_p)[diagnosis]
        value = rng.random(n) < yes_p
        known = rng.random(n) < evaluated_p
        yes_no[column] = pd.array(np.where(known, value, None), dtype="boolean")
    # The WHO KIT criterion is the KIT D816V result itself.
    yes_no["who_kit_816"] = pd.array(np.where(kit == 2, None, kit == 0), dtype="boolean")

    frame = pd.DataFrame(
        {
            "patient_id": ids,
            "sex": pd.array(np.where(c["male"], "M", "F"), dtype="str"),
            "diagnosis": pd.array(_DIAGNOSES[diagnosis], dtype="str"),
            "kit_d816v": pd.array(_KIT[kit], dtype="str"),
            "age_at_diagnosis": np.round(c["age_dx"], 1),
            "age_at_treatment": np.round(c["age_tx"], 1),
            "center": pd.array(rng.choice(_CENTERS, size=n, p=_CENTER_P), dtype="str"),
            "treatment_start": pd.to_datetime(treatment_start),
            "treatment_end_month": c["end_month"],
            "end_reason": pd.array(_END_REASONS[c["reason"]], dtype="str"),
            "last_follow_up_month": c["follow_up"],
            "baseline_tryptase": tryptase,
            "baseline_total_ige": ige,
            "prior_therapies": pd.array(combos[therapies], dtype="str"),
            **{column: yes_no[column] for column in _YES_NO_ORDER},
        }
    )
    return frame.reset_index(drop=True)


# --- symptoms ------------------------------------------------------------------------


def _symptoms_table(rng: np.random.Generator, n: int, ids: pd.Index, c: dict, post_treatment_share: float) -> pd.DataFrame:
    names = [name for name, _, _ in _VOCABULARY]
    n_symptoms = len(names)
    weights = np.array([w for _, _, w in _VOCABULARY])
    efficacy = np.array([_CATEGORY_EFFICACY[cat] for _, cat, _ in _VOCABULARY])
    category_code = np.array([CATEGORIES.index(cat) for _, cat, _ in _VOCABULARY], dtype=np.int8)

    # Baseline symptoms: k per patient, weighted sampling without replacement
    # by exponential keys (the k smallest keys win). The next-ranked symptom is
    # the candidate new symptom.
    k = np.clip(np.rint(rng.normal(11.0, 3.2, n)), 3, 25).astype(np.int64)
    keys = rng.exponential(size=(n, n_symptoms)) / weights
    rank = np.argsort(np.argsort(keys, axis=1), axis=1)
    baseline = rank < k[:, None]
    klass = c["klass"]
    n_visits = c["n_visits"]
    has_new = np.where(klass == _NON, rng.random(n) < 0.35, rng.random(n) < 0.04) & (n_visits > 0)
    new = (rank == k[:, None]) & has_new[:, None]
    # New symptom: appears at a visit (1-based) and lasts some visits (for
    # non-responders until the end; for responders it resolves to 0).
    new_onset = 1 + np.floor(rng.random(n) * np.maximum(n_visits, 1)).astype(np.int64)
    new_lasts = np.where(klass == _NON, MAX_MONTH, rng.integers(1, 4, n))

    # Worsening: about 40 % of non-responders have one baseline symptom that
    # worsens (1.5) from some visit on.
    worsener = (klass == _NON) & (rng.random(n) < 0.40)
    worse_pick = rng.integers(0, np.maximum(k, 1))  # which baseline symptom, by rank
    worsens = (rank == worse_pick[:, None]) & worsener[:, None]
    worse_onset = 1 + np.floor(rng.random(n) * np.maximum(n_visits, 1)).astype(np.int64)

    # Post-treatment visits: one more visit 1-3 months after the stop.
    extra = c["stopped"] & (rng.random(n) < post_treatment_share) & (n_visits < MAX_MONTH)
    months = c["months"]
    if extra.any():
        months = months.copy()
        rows = np.flatnonzero(extra)
        months[rows, n_visits[rows]] = (c["end_month"][rows] + rng.integers(1, 4, len(rows))).astype(np.int16)
    visits = n_visits + extra

    # Tracks: one per (patient, symptom) in row-major order, i.e. sorted by
    # patient then symptom name.
    track_p, track_s = np.nonzero(baseline | new)
    track_p = track_p.astype(np.int32)
    track_s = track_s.astype(np.int8)
    is_new = new[track_p, track_s]
    track_worse = worsens[track_p, track_s]
    # Per-symptom target improvement: the patient's depth times the category
    # efficacy, with symptom-level spread; complete responders reach 0 everywhere.
    spread = np.exp(rng.normal(0.0, 0.25, len(track_p)))
    target = np.clip(c["depth"][track_p] * efficacy[track_s] * spread, 0.0, 1.0)
    target = np.where(klass[track_p] == _COMPLETE, 1.0, target)

    # Rows of each track: visit index j = 0 (baseline, month 0) .. visits;
    # new symptoms from their onset visit.
    first_j = np.where(is_new, new_onset[track_p], 0)
    counts = np.where(is_new, np.maximum(visits[track_p] - first_j + 1, 0), visits[track_p] + 1)
    first_j = np.where(counts > 0, first_j, 0)
    total = int(counts.sum())
    track = np.repeat(np.arange(len(track_p), dtype=np.int32), counts)
    offsets = np.cumsum(counts) - counts
    j = (np.arange(total, dtype=np.int64) - np.repeat(offsets - first_j, counts)).astype(np.int32)
    del offsets
    p = track_p[track]
    month_j = np.where(j > 0, months.reshape(-1)[(p.astype(np.int64) * MAX_MONTH + np.maximum(j, 1) - 1)], 0).astype(np.int16)

    # Missing rows: about 5 % of later baseline-symptom rows are not recorded.
    keep = ~((j > 0) & ~is_new[track] & (rng.random(total, dtype=np.float32) < 0.05))
    track, j, p, month_j = track[keep], j[keep], p[keep], month_j[keep]
    total = len(track)

    t = month_j.astype(np.float32)
    tau = c["tau"].astype(np.float32)[p]
    level = 1.0 - target.astype(np.float32)[track] * (1.0 - np.exp(-t / tau))
    # Loss of response: after the loss month the level drifts back to 1.
    loss_month = c["loss_month"].astype(np.float32)[p]
    lost = c["loses"][p] & (t > loss_month)
    level = np.where(lost, 1.0 - (1.0 - level) * np.exp(-(t - loss_month) / 1.5), level)
    level += rng.standard_normal(total, dtype=np.float32) * c["noise"].astype(np.float32)[p]
    q = np.clip(np.rint(level * 4.0), 0, 4).astype(np.int8)
    # Transient worsening of single symptoms in about 0.4 % of responder rows.
    q = np.where((j > 0) & (klass[p] != _NON) & (rng.random(total, dtype=np.float32) < 0.004), _WORSE_Q, q)
    q = np.where(track_worse[track] & (j >= worse_onset[p]), _WORSE_Q, q)
    new_row = is_new[track]
    new_q = np.where(j - new_onset[p] < new_lasts[p], np.where(rng.random(total, dtype=np.float32) < 0.2, _WORSE_Q, 4), 0)
    q = np.where(new_row, new_q, q)
    q = np.where(j == 0, 4, q).astype(np.int8)

    s = track_s[track]
    return pd.DataFrame(
        {
            "patient_id": pd.Categorical.from_codes(p, categories=ids),
            "symptom": pd.Categorical.from_codes(s, categories=pd.Index(names, dtype="str")),
            "month": month_j.astype(np.float64),
            "score": q.astype(np.float64) / 4.0,
            "category": pd.Categorical.from_codes(category_code[s], categories=pd.Index(CATEGORIES, dtype="str")),
        }
    )


# --- doses, adverse events, labs -------------------------------------------------------


def _doses_table(rng: np.random.Generator, n: int, ids: pd.Index, c: dict) -> pd.DataFrame:
    treated = np.where(c["stopped"], c["end_month"], c["follow_up"])
    start_dose = np.where(rng.random(n) < 0.8, 300.0, 150.0)
    can_escalate = treated >= 3
    escalates = can_escalate & (rng.random(n) < 0.30) & (c["klass"] != _COMPLETE)
    escalation_month = np.minimum(rng.integers(2, 9, n), np.floor(treated) - 1)
    escalated_dose = np.where(rng.random(n) < 1 / 15, 600.0, 300.0)
    weekly = escalates & (rng.random(n) < 0.2) & (treated >= escalation_month + 2)
    weekly_month = escalation_month + rng.integers(1, 4, n)
    weekly_month = np.minimum(weekly_month, np.floor(treated))

    patient = np.concatenate([np.arange(n), np.flatnonzero(escalates), np.flatnonzero(weekly)])
    month = np.concatenate([np.zeros(n), escalation_month[escalates], weekly_month[weekly]])
    dose = np.concatenate([start_dose, escalated_dose[escalates], escalated_dose[weekly]])
    interval = np.concatenate([np.full(n, 28.0), np.full(int(escalates.sum()), 14.0), np.full(int(weekly.sum()), 7.0)])
    order = np.lexsort((month, patient))
    return pd.DataFrame(
        {
            "patient_id": pd.Categorical.from_codes(patient[order], categories=ids),
            "month": month[order].astype(float),
            "dose_mg": dose[order],
            "interval_days": interval[order],
        }
    )


def _adverse_events_table(rng: np.random.Generator, n: int, ids: pd.Index, c: dict) -> pd.DataFrame:
    treated = np.where(c["stopped"], c["end_month"], c["follow_up"])
    intolerant = c["reason"] == _INTOLERANCE
    # About 30 % of patients in all, the intolerance stops included.
    others = (~intolerant) & (rng.random(n) < 0.24)
    n_events = np.where(others, rng.choice([1, 2, 3], size=n, p=[0.65, 0.25, 0.10]), 0)
    patient = np.repeat(np.arange(n), n_events)
    names = np.array([e for e, _ in _EVENTS], dtype=object)
    weights = np.array([w for _, w in _EVENTS], dtype=float)
    event = rng.choice(names, size=len(patient), p=weights / weights.sum())
    month = np.round(rng.random(len(patient)) * treated[patient], 1)
    severity = rng.choice(3, size=len(patient), p=[0.6, 0.32, 0.08])
    severity = np.where(event == _SEVERE_EVENT, 2, severity)

    # The event that ended treatment for every intolerance stop.
    stop_patient = np.flatnonzero(intolerant)
    stop_event = np.where(rng.random(len(stop_patient)) < 0.35, _FLARE_EVENT, rng.choice(names[:-2], size=len(stop_patient)))
    stop_severity = rng.choice([1, 2], size=len(stop_patient), p=[0.7, 0.3])

    patient = np.concatenate([patient, stop_patient])
    event = np.concatenate([event, stop_event]).astype(object)
    month = np.concatenate([month, c["end_month"][stop_patient]])
    severity = np.concatenate([severity, stop_severity])
    led = np.concatenate([np.zeros(len(month) - len(stop_patient), dtype=bool), np.ones(len(stop_patient), dtype=bool)])
    order = np.lexsort((month, patient))
    event, severity = event[order], severity[order]
    return pd.DataFrame(
        {
            "patient_id": pd.Categorical.from_codes(patient[order], categories=ids),
            "month": month[order].astype(float),
            "event": pd.array(event, dtype="str"),
            "severity": pd.array(_SEVERITIES[severity], dtype="str"),
            "serious": pd.array(event == _SEVERE_EVENT, dtype="boolean"),
            "flare": pd.array(event == _FLARE_EVENT, dtype="boolean"),
            "led_to_discontinuation": pd.array(led[order], dtype="boolean"),
        }
    )


def _labs_table(rng: np.random.Generator, n: int, ids: pd.Index, patients: pd.DataFrame) -> pd.DataFrame:
    end = patients["treatment_end_month"].to_numpy(dtype=float)
    follow = patients["last_follow_up_month"].to_numpy(dtype=float)
    treated = np.where(np.isnan(end), follow, end)
    eligible = treated >= 3
    frames = []
    for analyte, baseline, ratio_median, ratio_spread in (
        ("tryptase", patients["baseline_tryptase"].to_numpy(dtype=float), 1.03, 0.2),
        ("total_ige", patients["baseline_total_ige"].to_numpy(dtype=float), 2.6, 0.8),
    ):
        tested = np.flatnonzero(eligible & (rng.random(n) < 0.27 / 0.9))
        before = baseline[tested]
        missing = np.isnan(before)
        fallback = np.exp(rng.normal(np.log(60), 1.3, len(tested)))
        before = np.round(np.where(missing, fallback, before), 1)
        ratio = np.exp(rng.normal(np.log(ratio_median), ratio_spread, len(tested)))
        if analyte == "total_ige":  # about a quarter stay stable
            ratio = np.where(rng.random(len(tested)) < 0.27, np.exp(rng.normal(0, 0.08, len(tested))), ratio)
        on = np.round(np.maximum(before * ratio, 0.1), 1)
        on_month = np.minimum(rng.integers(3, 13, len(tested)), np.floor(treated[tested]))
        frames.append((tested, np.zeros(len(tested)), analyte, before))
        frames.append((tested, on_month, analyte, on))
    patient = np.concatenate([f[0] for f in frames]).astype(np.int64)
    month = np.concatenate([f[1] for f in frames]).astype(float)
    analyte = np.concatenate([np.full(len(f[0]), f[2], dtype=object) for f in frames])
    value = np.concatenate([f[3] for f in frames]).astype(float)
    analyte_rank = (analyte == "total_ige").astype(np.int64)
    order = np.lexsort((month, analyte_rank, patient))
    return pd.DataFrame(
        {
            "patient_id": pd.Categorical.from_codes(patient[order], categories=ids),
            "month": month[order],
            "analyte": pd.array(analyte[order], dtype="str"),
            "value": value[order],
        }
    )


# --- writing -----------------------------------------------------------------------------


def write_cohort(tables: dict[str, pd.DataFrame], out_dir: str | os.PathLike, fmt: str = "parquet") -> list[Path]:
    """Write cohort tables as files the loader reads back.

    Parameters
    ----------
    tables : dict of str -> DataFrame
        Tables by data-contract name (from :func:`synthesize`).
    out_dir : str or PathLike
        Folder to write into (created if needed). For ``"xlsx"`` the workbook
        is ``<out_dir>/cohort.xlsx``.
    fmt : {"parquet", "csv", "xlsx"}
        ``parquet``: one ``<table>.parquet`` per table; ``csv``: one
        ``<table>.csv`` per table (UTF-8, comma-separated, ISO dates, blank
        for missing values); ``xlsx``: one workbook with one sheet per table.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ValueError
        For an unknown format, or for ``xlsx`` when a table has more rows than
        an Excel sheet holds (1,048,576 rows with the header); nothing is
        written then.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    out = Path(out_dir)
    if fmt == "xlsx":
        too_long = {name: len(frame) for name, frame in tables.items() if len(frame) + 1 > EXCEL_MAX_ROWS}
        if too_long:
            name, rows = max(too_long.items(), key=lambda item: item[1])
            n_patients = len(tables.get("patients", ()))
            per_patient = rows / max(n_patients, 1)
            fitting = int((EXCEL_MAX_ROWS - 1) / per_patient) if per_patient else 0
            raise ValueError(
                f"The {name} table has {rows:,} rows, more than an Excel sheet holds "
                f"({EXCEL_MAX_ROWS:,} rows including the header). Write this cohort as parquet or csv "
                f"instead, or ask for fewer patients (about {fitting:,} fit in one workbook)."
            )
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        path = out / "cohort.xlsx"
        _write_workbook(tables, path)
        return [path]
    written = []
    for name, frame in tables.items():
        path = out / f"{name}.{fmt}"
        table = _arrow_table(frame, for_text=fmt == "csv")
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(table, path)
        else:
            import pyarrow.csv as pacsv

            pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))
        written.append(path)
    return written


def _arrow_table(frame: pd.DataFrame, *, for_text: bool):
    """The frame as an arrow table; for CSV, dictionaries decoded and dates as ISO days."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if not for_text:
        return table
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        elif pa.types.is_timestamp(column.type):
            column = column.cast(pa.date32())
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _write_workbook(tables: dict[str, pd.DataFrame], path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    for name, frame in tables.items():
        sheet = workbook.create_sheet(title=name)
        sheet.append(list(frame.columns))
        columns = [_excel_values(frame[column]) for column in frame.columns]
        for row in zip(*columns):
            sheet.append(row)
    workbook.save(path)


def _excel_values(column: pd.Series) -> list:
    """Cell values of a column: None for missing, datetime for dates, plain Python scalars."""
    if isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(column):
        return [None if pd.isna(v) else v.to_pydatetime() for v in column]
    values = column.astype(object).to_numpy()
    return [None if (v is None or v is pd.NA or (isinstance(v, float) and v != v)) else v.item() if hasattr(v, "item") else v for v in values]
