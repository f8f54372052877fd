"""Deterministic generator of the synthetic demo cohort (55 patients).

Re-creates, patient by patient, a cohort from which the engine re-derives the
published results of Lemal et al. (2019). The targets are data
(``targets.toml``); this module only turns them into patient rows:

1. each patient gets a course archetype from Table 2 (subgroup, best response,
   status at last follow-up, stop reason) and, from the timing targets, a
   duration of therapy and months to first and best response; this fixes the
   response category at every assessment;
2. dose changes are planned on courses whose categories give the published
   outcome under the dashboard's rule (:mod:`omalizumab_core.analyses.dosing`): a PR
   escalated that reaches MR, a PR escalated whose score deepens within PR
   afterwards, a loss of response escalated or moved to weekly dosing just
   before it is lost, ...;
3. a symptom trajectory is written whose symptom score lands in the intended
   category at every assessment (computed in exact quarter units, the
   engine's own arithmetic). The decrease is spread first one quarter to one
   symptom of each category (so every category starts improving at the first
   response), then symptom by symptom, most responsive first; before the
   first response only general vasomotor symptoms ease (< 10 %);
4. ages at diagnosis and at treatment are built as pairs (age at treatment =
   age at diagnosis + time from diagnosis) so that the three published
   medians and ranges hold together;
5. the 15 laboratory pairs have the published means and ranges, and each
   tested patient's baseline tryptase and IgE in the patients table is its
   month-0 laboratory value;
6. :func:`write` loads the files through the validation of any upload, scores
   them with the engine and fails loudly (nothing written) if a target is
   missed.

Run ``python -m omalizumab_core.synthetic.demo.generate`` to rewrite ``data/``; the
files are byte-identical for the same targets. Random draws come from
``seed``: the patients and symptoms share one stream; ages, laboratory values
and the choice of dose-change patients each have their own stream, so
changing one of them does not reshuffle the others.

Why one module of more than 600 lines: it encodes, target by target, how
the demo re-creates each published figure (targets.toml); keeping the
targets' construction together is what makes it checkable.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
TARGETS = HERE / "targets.toml"
DATA = HERE / "data"
TABLES = ("patients", "symptoms", "doses", "adverse_events", "labs", "anaphylaxis", "instrument_scores")
# The demo's questionnaire: the shipped *example* definition (not a validated instrument, see
# omalizumab_core/data/instruments.py: no validated definition could be verified and cited).
INSTRUMENT = "example_symptom_diary"
INSTRUMENT_MONTHS = (0, 3, 6, 12)

# Baseline symptoms by category, most responsive first (the paper: vasomotor
# and gastrointestinal symptoms respond best, musculoskeletal and headache least).
SYMPTOMS = {
    "general_vasomotor": ["anaphylaxis", "malaise", "palpitations"],
    "superficial_vasomotor": ["flushing", "pruritus", "urticaria", "angioedema", "dermographism"],
    "gastrointestinal": ["abdominal pain", "diarrhea", "nausea", "bloating", "gastroesophageal reflux"],
    "urinary": ["pollakiuria", "urinary urgency"],
    "respiratory": ["dyspnea", "rhinitis"],
    "neuropsychiatric": ["fatigue", "anxiety", "depression", "cognitive impairment", "sleep disorders"],
    "headache": ["headache"],
    "musculoskeletal": ["bone pain", "muscle pain", "joint pain"],
}
CATEGORY_OF = {s: category for category, names in SYMPTOMS.items() for s in names}
ORDER = {s: i for i, s in enumerate(CATEGORY_OF)}  # order in which symptoms improve

# Decreases of the symptom score, in quarters of the baseline 4B, well inside
# each category's band (engine: PR 10-50 %, MR > 50 %, CR 0).
PR_SHARE = (3, 10)  # 30 %, rounded up
DEEPER_PR_SHARE = (9, 20)  # 45 %, rounded down: still PR, a lower score
MR_SHARE = (3, 4)  # 75 %, rounded down
# Streams of random draws besides the main one (patients and symptoms).
AGE_STREAM, LAB_STREAM, DOSE_STREAM, ANAPHYLAXIS_STREAM, INSTRUMENT_STREAM = 1, 2, 3, 4, 5


@dataclass
class Course:
    patient_id: str
    subgroup: str
    best: str
    status: str
    end_reason: str
    duration: int = 0
    first: int | None = None
    best_month: int | None = None
    sustained: bool = True
    responding: set | None = None  # only for fluctuating responses
    months: list | None = None  # assessment months, once fixed
    changes: list = field(default_factory=list)  # (month, dose_mg, interval_days) after the start
    deeper_after: int | None = None  # PR assessments after this month are deeper
    recurrence: int | None = None  # an assessment where symptoms came back (NR) in a responder


def load_targets(path: Path = TARGETS) -> dict:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


# --- courses -------------------------------------------------------------------


def _courses(targets: dict) -> list[Course]:
    courses = []
    for block in targets["course"]:
        for best, status, reason, count in block["rows"]:
            courses += [Course("", block["subgroup"], best, status, reason) for _ in range(count)]
    for i, course in enumerate(courses, start=1):
        course.patient_id = f"DEMO-{i:03d}"
    _assign_timing(courses, targets["timing"])
    return courses


def _assign_timing(courses: list[Course], timing: dict) -> None:
    """Durations per best category, then months to first and best response."""
    losses = sorted(timing["loss_months"])
    for category in ("NR", "PR", "MR", "CR"):
        pool = sorted(timing[category])
        group = [c for c in courses if c.best == category]
        # Losses of response take their published months; other stops the
        # shortest durations; persistent responders the longest.
        for course in [c for c in group if c.status == "loss_of_response"]:
            month = next(m for m in losses if m in pool)
            losses.remove(month)
            pool.remove(month)
            course.duration = month
        rest = sorted((c for c in group if c.status != "loss_of_response"), key=lambda c: c.end_reason == "ongoing")
        for course, month in zip(rest, pool):
            course.duration = month
    responders = sorted((c for c in courses if c.best != "NR"), key=lambda c: (c.duration, c.patient_id))
    # The shortest courses take the latest first responses, as in real life a
    # patient stopping early has had little time to respond.
    firsts = sorted(timing["first_response"], reverse=True)
    for course, first in zip(responders, firsts):
        # A loss of response needs a responding assessment before the last one.
        limit = course.duration - 1 if course.status == "loss_of_response" else course.duration
        course.first = min(first, limit)
    for course in responders:
        responding_end = course.duration - 1 if course.status == "loss_of_response" else course.duration
        course.sustained = responding_end - course.first >= 3
        # Best response about half-way through the time on treatment.
        course.best_month = int(min(max(course.first, round(course.duration / 2 + 0.5)), responding_end))
    # The remaining non-sustained responses fluctuate: responding and
    # non-responding assessments alternate, so no responding run spans 3 months.
    missing = timing["not_sustained"] - sum(not c.sustained for c in responders)
    fluctuating = [
        c for c in responders
        if c.sustained and c.status != "loss_of_response" and len([m for m in _assessment_months(c) if m >= c.first]) >= 3
    ][: max(missing, 0)]
    for course in fluctuating:
        course.sustained = False
        course.months = _assessment_months(course)  # fixed from now on
        months = [m for m in course.months if m >= course.first]
        course.responding = set(months[::-1][::2])
        course.first = min(course.responding)
        course.best_month = max(course.responding)


def _assessment_months(course: Course) -> list[int]:
    if course.months is not None:
        return course.months
    months = {1, 2, 3, course.duration}
    months.update(range(3, course.duration + 1, 3))
    for m in (course.first, course.best_month):
        if m:
            months.add(m)
    return sorted(m for m in months if 1 <= m <= course.duration)


def _category_at(course: Course, month: int) -> str:
    if course.best == "NR" or month < course.first:
        return "NR"
    if course.status == "loss_of_response" and month == course.duration:
        return "NR"
    if course.responding is not None and month not in course.responding:
        return "NR"
    if month == course.recurrence:
        return "NR"
    if month < course.best_month:
        return "PR"
    return course.best


def _responding_months(course: Course) -> list[int]:
    return [m for m in _assessment_months(course) if _category_at(course, m) != "NR"]


# --- dose changes ----------------------------------------------------------------
# Each outcome of a change: which courses can carry it, and at which assessment
# the regimen changes (that assessment counts as "before" in the dosing rule).


def _at_first_pr(course: Course, best: str) -> int | None:
    """A PR at the first response, then ``best`` (MR): the change at the first response."""
    if course.best != best or course.status != best or course.responding is not None:
        return None
    return course.first if _category_at(course, course.first) == "PR" else None


def _deeper_pr(course: Course) -> int | None:
    """Best PR with a responding assessment after the first: deeper PR after the change."""
    responding = _responding_months(course)
    return responding[0] if course.best == "PR" and len(responding) >= 2 else None


def _recurrence_in_pr(course: Course) -> int | None:
    """A persistent PR whose symptoms come back at its second responding assessment
    (the paper's "reoccurrence of symptoms prior to the following dose, in a
    patient responding to therapy"): NR at the change, PR after. The responding
    assessments after it still span 3 months, so the response stays sustained,
    and the first response, best response and last category do not move."""
    if course.best != "PR" or course.status != "PR" or course.responding is not None:
        return None
    responding = _responding_months(course)
    return responding[1] if len(responding) >= 3 and responding[-1] - responding[2] >= 3 else None


def _before_loss(course: Course, *, in_pr: bool) -> int | None:
    """A loss of response: the change at the last responding assessment, only the loss after."""
    responding = _responding_months(course)
    if course.status != "loss_of_response" or not responding:
        return None
    month = responding[-1]
    return month if not in_pr or _category_at(course, month) == "PR" else None


# (kind, outcome) -> rule; planned in this order, the rarest courses first.
_PLANS = {
    ("weekly", "reached_PR"): _recurrence_in_pr,
    ("escalation", "not_improved"): lambda c: _before_loss(c, in_pr=True),
    ("weekly", "not_improved"): lambda c: _before_loss(c, in_pr=False),
    ("escalation", "deeper_PR"): _deeper_pr,
    ("weekly", "reached_MR"): lambda c: _at_first_pr(c, "MR"),
    ("escalation", "reached_MR"): lambda c: _at_first_pr(c, "MR"),
}


def _plan_doses(courses: list[Course], dosing: dict, rng) -> None:
    """Choose the patients whose regimen changes, and when (sets ``changes``)."""
    wanted = {("escalation", k): v for k, v in dosing["escalation_outcomes"].items()}
    wanted |= {("weekly", k): v for k, v in dosing["weekly_outcomes"].items()}
    unknown = set(wanted) - set(_PLANS)
    if unknown:
        raise ValueError(f"No rule to generate the dose-change outcomes {sorted(unknown)}")
    taken: set[str] = set()
    for key, rule in _PLANS.items():
        count = wanted.get(key, 0)
        candidates = [(c, m) for c in courses if c.patient_id not in taken and (m := rule(c)) is not None]
        if len(candidates) < count:
            raise ValueError(f"Only {len(candidates)} courses can carry the dose change {key}, {count} wanted")
        chosen = [candidates[i] for i in sorted(rng.choice(len(candidates), size=count, replace=False))]
        kind, outcome = key
        regimen = dosing[kind]
        for course, month in chosen:
            taken.add(course.patient_id)
            course.changes.append((month, regimen["dose_mg"], regimen["interval_days"]))
            if outcome == "deeper_PR":
                course.deeper_after = month
            if key == ("weekly", "reached_PR"):
                course.recurrence = month
    # "Up to 600 mg every 15 days for 1 patient": the escalated patients
    # treated longest go straight to the maximum dose instead.
    top = dosing["escalation_max"]
    escalated = [c for c in courses if c.changes and c.changes[0][2] == dosing["escalation"]["interval_days"] and c.changes[0][1] == dosing["escalation"]["dose_mg"]]
    for course in sorted(escalated, key=lambda c: (-c.duration, c.patient_id))[: top["patients"]]:
        course.changes[0] = (course.changes[0][0], top["dose_mg"], top["interval_days"])


def _doses(courses: list[Course], dosing: dict) -> pd.DataFrame:
    start = dosing["start"]
    rows = [(c.patient_id, 0, start["dose_mg"], start["interval_days"]) for c in courses]
    rows += [(c.patient_id, *change) for c in courses for change in c.changes]
    frame = pd.DataFrame(rows, columns=["patient_id", "month", "dose_mg", "interval_days"])
    return frame.sort_values(["patient_id", "month"], kind="stable").reset_index(drop=True)


# --- symptoms --------------------------------------------------------------------


def _share(b4: int, share: tuple[int, int], *, up: bool = False) -> int:
    num, den = share
    return (num * b4 + den - 1) // den if up else (num * b4) // den


def _target_decrease(category: str, b4: int, *, deeper: bool = False) -> int:
    """A decrease (quarters) well inside the category's band of 4B quarters."""
    if category == "CR":
        return b4
    if category == "MR":
        return _share(b4, MR_SHARE)
    if category == "PR":
        return _share(b4, DEEPER_PR_SHARE) if deeper else _share(b4, PR_SHARE, up=True)
    return 0


def _baseline_symptoms(rng: np.random.Generator, n: int, anaphylaxis: bool) -> list[str]:
    pool = [s for s in CATEGORY_OF if s != "anaphylaxis"]
    chosen = list(rng.choice(pool, size=n - int(anaphylaxis), replace=False))
    if anaphylaxis:
        chosen.append("anaphylaxis")
    return sorted(chosen, key=ORDER.get)


def _trajectory(course: Course, symptoms: list[str], *, worsen: str | None = None, eased: bool = True, late: tuple | None = None) -> list[tuple[str, int, float]]:
    """Rows (symptom, month, score) landing in the intended category at each visit.

    ``worsen``: a baseline symptom scored worse (1.5) at every visit;
    ``eased``: general vasomotor symptoms ease before the first response;
    ``late``: (category, month) whose symptoms do not improve before that month.
    """
    b4 = 4 * len(symptoms)
    rows = [(s, 0, 1.0) for s in symptoms]
    for month in _assessment_months(course):
        category = _category_at(course, month)
        eligible = [s for s in symptoms if late is None or month >= late[1] or CATEGORY_OF[s] != late[0]]
        if category == "NR" and course.best != "NR" and month < course.first:
            # Before the first response only general vasomotor symptoms ease
            # (one quarter each), staying below a 10 % decrease.
            eligible = [s for s in symptoms if CATEGORY_OF[s] == "general_vasomotor"] if eased else []
            decrease = min((b4 - 1) // 10, len(eligible))
        else:
            deeper = course.deeper_after is not None and month > course.deeper_after
            decrease = _target_decrease(category, b4, deeper=deeper)
        values = _spread(symptoms, decrease, eligible)
        if worsen:
            values[worsen] = 6  # "anaphylaxis worsened in one patient"
        # Every visit rescores every baseline symptom, as the study's
        # questionnaire did; an unchanged symptom is recorded as such.
        rows += [(s, month, values[s] / 4) for s in symptoms]
    return rows


def _spread(symptoms: list[str], decrease: int, eligible: list[str] | None = None) -> dict[str, int]:
    """Quarter values summing to 4B - decrease.

    First one quarter to the first eligible symptom of each category (every
    category starts improving together), then symptom by symptom, most
    responsive first, down to 1 quarter, then to 0 (complete disappearance).
    """
    eligible = symptoms if eligible is None else eligible
    values = {s: 4 for s in symptoms}
    left = decrease
    started: set[str] = set()
    for s in eligible:
        if left and CATEGORY_OF[s] not in started:
            started.add(CATEGORY_OF[s])
            values[s] -= 1
            left -= 1
    for floor in (1, 0):
        for s in eligible:
            step = min(values[s] - floor, left)
            values[s] -= step
            left -= step
    if left:
        raise ValueError(f"A decrease of {decrease} quarters does not fit in {len(eligible)} symptoms")
    return values


def _symptoms(courses: list[Course], targets: dict, rng) -> pd.DataFrame:
    n = len(courses)
    t = targets["symptoms"]
    counts = np.clip(np.round(rng.normal(t["mean_per_patient"], 2.5, n)), 5, 20).astype(int)
    # Spread the difference one symptom at a time so the mean is exactly 11.
    step = 0
    while (gap := t["mean_per_patient"] * n - counts.sum()) != 0:
        i = step % n
        counts[i] += int(np.sign(gap)) if 5 <= counts[i] + np.sign(gap) <= 20 else 0
        step += 1
    responders = [i for i, c in enumerate(courses) if c.best != "NR"]
    non_responders = [i for i, c in enumerate(courses) if c.best == "NR"]
    worsened = set(non_responders[: t["anaphylaxis_worsened"]])
    improved = rng.choice(responders, size=t["anaphylaxis_patients"] - len(worsened), replace=False)
    with_anaphylaxis = set(improved.tolist()) | worsened
    baseline = [_baseline_symptoms(rng, int(counts[i]), i in with_anaphylaxis) for i in range(n)]

    f = targets["first_improvement"]
    # General vasomotor symptoms waiting for the first response: responders
    # with such a symptom whose first response comes latest (at most the
    # published maximum), so the published range [1-3] is reached.
    waiting = sorted(
        (i for i in responders if courses[i].first > 1 and courses[i].first <= f["general_vasomotor"]["max"]
         and any(CATEGORY_OF[s] == "general_vasomotor" for s in baseline[i])),
        key=lambda i: (-courses[i].first, i),
    )[: f["vasomotor_at_first_response"]]
    latest = f["latest"]
    late_patient = next(
        (i for i in responders
         if courses[i].responding is None and courses[i].first < latest["month"] and latest["month"] in _responding_months(courses[i])
         and any(CATEGORY_OF[s] == latest["category"] for s in baseline[i])),
        None,
    )
    if late_patient is None:
        raise ValueError(f"No responder is assessed at month {latest['month']} with {latest['category']} symptoms")

    rows = []
    for i, course in enumerate(courses):
        trajectory = _trajectory(
            course, baseline[i],
            worsen="anaphylaxis" if i in worsened else None,
            eased=i not in waiting,
            late=(latest["category"], latest["month"]) if i == late_patient else None,
        )
        rows += [(course.patient_id, s, m, v) for s, m, v in trajectory]
    frame = pd.DataFrame(rows, columns=["patient_id", "symptom", "month", "score"])
    return frame.sort_values(["patient_id", "month", "symptom"], kind="stable").reset_index(drop=True)


# --- patients --------------------------------------------------------------------


def _ages(rng, courses: list[Course], t: dict) -> tuple[np.ndarray, np.ndarray]:
    """Ages at diagnosis and at treatment whose medians and ranges, and those of their difference, are the published ones.

    Built in tenths of a year, as pairs: one patient is diagnosed and treated
    at the two median ages; the youngest at diagnosis is the youngest treated
    and the oldest at diagnosis the oldest treated; of the others, 27 are
    diagnosed before the median age and treated before the median age, 27
    after and after. The time from diagnosis (treatment - diagnosis) of each
    patient is then drawn within what keeps that patient on its side, with
    exactly 27 times below the published median, one at it, 27 above, the
    shortest and the longest at the published minimum and maximum.
    """
    dx_t, tx_t, gap_t = t["age_at_diagnosis"], t["age_at_treatment"], t["time_from_diagnosis"]
    n = len(courses)
    half = (n - 1) // 2
    tenths = lambda x: int(round(10 * x))  # noqa: E731
    dx_med, dx_min, dx_max = dx_t["median"], dx_t["min"], dx_t["max"]
    g_med, g_min, g_max = tenths(gap_t["median"]), tenths(gap_t["min"]), tenths(gap_t["max"])
    tx_med, tx_min, tx_max = tenths(tx_t["median"]), tenths(tx_t["min"]), tenths(tx_t["max"])
    # Ages at diagnosis in whole years: the three anchors, then each half,
    # denser near the median than at the extremes.
    spread = lambda k: rng.uniform(size=half - 1) ** 2 * k  # noqa: E731
    low = np.sort(dx_med - 1 - np.floor(spread(dx_med - dx_min - 1)))
    high = np.sort(dx_med + 1 + np.floor(spread(dx_max - dx_med - 1)))
    dx = np.concatenate([[dx_min, dx_med, dx_max], low, high]).astype(int)
    below_median = np.r_[True, False, False, np.ones(half - 1, bool), np.zeros(half - 1, bool)]
    gap = np.full(n, -1)
    gap[:3] = [tx_min - 10 * dx_min, tx_med - 10 * dx_med, tx_max - 10 * dx_max]
    # Range of each other patient's time from diagnosis (tenths), keeping the
    # age at treatment on the side of its age at diagnosis and within range.
    lo = np.where(below_median, np.maximum(g_min, tx_min - 10 * dx), np.maximum(g_min, tx_med + 1 - 10 * dx))
    hi = np.where(below_median, np.minimum(g_max, tx_med - 1 - 10 * dx), np.minimum(g_max, tx_max - 10 * dx))
    free = np.arange(3, n)
    if (gap[:3] < g_min).any() or (gap[:3] > g_max).any() or (lo[free] > hi[free]).any():
        raise ValueError("The published ages and time from diagnosis cannot be paired this way")
    # Exactly half - (anchors above the median) short times, one at the median.
    flexible = [i for i in free if lo[i] < g_med]  # can be diagnosed shortly before treatment
    n_short = half - int((gap[:3] < g_med).sum())
    if len(flexible) < n_short + 1:
        raise ValueError("Too few patients can have a short time from diagnosis")
    picked = rng.permutation(flexible)
    short, at_median = list(picked[:n_short]), int(picked[n_short])
    if not lo[at_median] <= g_med <= hi[at_median]:
        raise ValueError("The median time from diagnosis does not fit")
    gap[at_median] = g_med
    longest = [i for i in free if i not in short and i != at_median and hi[i] >= g_max]
    shortest = [i for i in short if lo[i] <= g_min]
    if not longest or not shortest:
        raise ValueError("No patient can have the shortest or the longest published time from diagnosis")
    gap[int(rng.choice(shortest))] = g_min
    gap[int(rng.choice(longest))] = g_max
    for i in free:
        if gap[i] >= 0:
            continue
        if i in short:  # 0.3 to 2.9 years, mostly the first year or two
            a, b = max(lo[i], g_min + 1), g_med - 1
            gap[i] = a + int((b - a) * rng.uniform() ** 1.5)
        else:  # above the median: a long right tail
            a, b = max(lo[i], g_med + 1), min(hi[i], g_max - 1)
            gap[i] = min(b, a + int(rng.exponential(60)))
    age_dx = dx.astype(float)
    age_tx = np.round(dx + gap / 10, 1)
    return _assign_ages(rng, courses, t, age_dx, age_tx)


def _assign_ages(rng, courses, t, age_dx, age_tx) -> tuple[np.ndarray, np.ndarray]:
    """Give the (diagnosis, treatment) pairs to patients: childhood diagnoses to
    mastocytosis, a child-bearing age to pregnancy-intent stops, the rest at random."""
    n = len(courses)
    childhood = age_dx < t["childhood_before"]
    young, old = t["child_bearing_age"]
    fertile = (age_tx >= young) & (age_tx <= old) & ~childhood
    pregnancy = [i for i, c in enumerate(courses) if c.end_reason == "pregnancy_intent"]
    mastocytosis = [i for i, c in enumerate(courses) if c.subgroup not in ("MMAS", "idiopathic") and c.end_reason != "pregnancy_intent"]
    others = [i for i in range(n) if i not in pregnancy and i not in mastocytosis]
    order = np.empty(n, dtype=int)  # patient -> pair
    pool = list(rng.permutation(n))
    for group, allowed in ((pregnancy, fertile), (mastocytosis, None), (others, ~childhood)):
        if allowed is None:  # childhood pairs first, then any
            mine = [p for p in pool if childhood[p]] + [p for p in pool if not childhood[p]]
        else:
            mine = [p for p in pool if allowed[p]]
        if len(mine) < len(group):
            raise ValueError("Cannot give every patient a suitable pair of ages")
        for patient, pair in zip(rng.permutation(group), mine):
            order[patient] = pair
            pool.remove(pair)
    return age_dx[order], age_tx[order]


def _patients(courses: list[Course], targets: dict, rng, age_rng, lab_baseline: dict) -> pd.DataFrame:
    t = targets["patients"]
    n = len(courses)
    subgroup = np.array([c.subgroup for c in courses])
    diagnosis = np.where(np.isin(subgroup, ["MMAS", "idiopathic"]), "MCAS", subgroup)
    kit = np.empty(n, dtype=object)
    for dx, (pos, neg, ne) in t["kit"].items():
        idx = np.flatnonzero(diagnosis == dx)
        if dx == "MCAS":  # MMAS is the KIT-positive MCAS patient
            ordered = list(idx[subgroup[idx] == "MMAS"]) + list(idx[subgroup[idx] != "MMAS"])
        else:
            ordered = list(rng.permutation(idx))
        kit[ordered] = ["positive"] * pos + ["negative"] * neg + ["not_evaluated"] * ne
    # Pregnancy-intent stops are women; the others are shuffled.
    preg = [i for i, c in enumerate(courses) if c.end_reason == "pregnancy_intent"]
    rest = [i for i in range(n) if i not in preg]
    sex_assigned = np.empty(n, dtype=object)
    sex_assigned[preg] = "F"
    sex_assigned[rest] = rng.permutation(["M"] * t["male"] + ["F"] * (n - t["male"] - len(preg)))
    age_dx, age_tx = _ages(age_rng, courses, t)
    start = pd.Timestamp("2015-01-05") + pd.to_timedelta(np.sort(rng.integers(0, 3 * 365 - 60, size=n)), unit="D")
    ended = np.array([c.end_reason != "ongoing" for c in courses])
    duration = np.array([c.duration for c in courses], dtype=float)
    ids = [c.patient_id for c in courses]
    frame = pd.DataFrame(
        {
            "patient_id": ids,
            "sex": sex_assigned,
            "diagnosis": diagnosis,
            "kit_d816v": kit,
            "age_at_diagnosis": age_dx,
            "age_at_treatment": age_tx,
            "center": [t["centers"][i % len(t["centers"])] for i in rng.permutation(n)],
            "treatment_start": start.strftime("%Y-%m-%d"),
            "treatment_end_month": np.where(ended, duration, np.nan),
            "end_reason": [c.end_reason for c in courses],
            "last_follow_up_month": np.where(ended, duration + 1, duration),
        }
    )
    # Baseline tryptase: the tested patients' month-0 value; the others drawn
    # so that the published number of patients is above 20 ng/mL.
    tested = np.array([pid in lab_baseline for pid in ids])
    tryptase = np.array([lab_baseline[pid][0] if pid in lab_baseline else np.nan for pid in ids])
    above = t["tryptase_above_20"] - int((tryptase[tested] > 20).sum())
    untested = np.flatnonzero(~tested)
    if not 0 <= above <= len(untested):
        raise ValueError("The tested patients' tryptase leaves no way to the published count above 20 ng/mL")
    drawn = np.where(np.arange(len(untested)) < above, rng.uniform(21, 145, len(untested)), rng.uniform(2.5, 19.5, len(untested)))
    tryptase[untested] = rng.permutation(np.round(drawn, 1))
    frame["baseline_tryptase"] = tryptase
    ige = np.round(rng.lognormal(4.3, 1.1, n), 1)
    frame["baseline_total_ige"] = [lab_baseline[pid][1] if pid in lab_baseline else value for pid, value in zip(ids, ige)]
    frame["prior_therapies"] = _prior_therapies(rng, n, t["prior"], diagnosis)
    for column in ("skin_involvement", "maculopapular_cm", "decreased_bone_density"):
        frame[column] = _yes_no(rng, n, t[column], n)
    for column in ("bone_marrow_involvement", "who_dense_infiltrates", "who_atypical_morphology", "who_kit_816", "who_cd2_cd25"):
        yes, evaluated = t[column]
        frame[column] = _yes_no(rng, n, yes, evaluated)
    # The WHO criterion "KIT codon 816 mutation" is the KIT D816V result itself (the paper: found in 27/49
    # tested, the 27 positives of Table 1): drawn independently it gave idiopathic MCAS patients a KIT
    # mutation. The draw above stays, so that every later random value is unchanged.
    kit_816 = {"positive": "yes", "negative": "no", "not_evaluated": ""}
    frame["who_kit_816"] = [kit_816[k] for k in frame["kit_d816v"]]
    if (frame["who_kit_816"] == "yes").sum() != t["who_kit_816"][0] or (frame["who_kit_816"] != "").sum() != t["who_kit_816"][1]:
        raise ValueError("KIT D816V results do not give the published WHO codon-816 counts")
    return frame


def _yes_no(rng, n: int, yes: int, evaluated: int) -> list:
    values = ["yes"] * yes + ["no"] * (evaluated - yes) + [""] * (n - evaluated)
    return list(rng.permutation(values))


def _prior_therapies(rng, n: int, counts: dict, diagnosis: np.ndarray) -> list[str]:
    cytoreductive = {"cladribine", "masitinib", "imatinib", "rapamycin", "interferon"}
    mastocytosis = np.flatnonzero(diagnosis != "MCAS")
    lists = [[] for _ in range(n)]
    for therapy, count in counts.items():
        eligible = mastocytosis if therapy in cytoreductive else np.arange(n)
        for i in rng.choice(eligible, size=count, replace=False):
            lists[i].append(therapy)
    return ["; ".join(items) for items in lists]


# --- adverse events and labs ----------------------------------------------------------


def _adverse_events(courses: list[Course], targets: dict) -> pd.DataFrame:
    # The 6 intolerance stops carry the events that led to discontinuation:
    # the laryngeal edema, the 3 flares and 2 others.
    stops = [c for c in courses if c.end_reason == "intolerance"]
    others = [c for c in courses if c.end_reason != "intolerance"]
    patients = stops + others[: targets["safety"]["patients_with_events"] - len(stops)]
    rows = []
    queue = list(patients)
    events = [(name, severity) for name, severity, count in targets["safety"]["events"] for _ in range(count)]
    for k, (name, severity) in enumerate(events):
        course = queue[k % len(queue)]
        first_injection = name == "laryngeal edema and dyspnea"
        month = 0 if first_injection else max(course.duration - 1, 0) if course in stops else min(2, course.duration)
        discontinued = course in stops and k < len(stops)
        rows.append((course.patient_id, month, name, severity, "yes" if severity == "severe" else "no", "yes" if name.startswith("flare") else "no", "yes" if discontinued else "no"))
    return pd.DataFrame(rows, columns=["patient_id", "month", "event", "severity", "serious", "flare", "led_to_discontinuation"]).sort_values(["patient_id", "month", "event"]).reset_index(drop=True)


def _labs(courses: list[Course], targets: dict, rng) -> tuple[pd.DataFrame, dict]:
    """Tryptase and total IgE at month 0 and month 3 for the tested patients,
    and each tested patient's month-0 values (its baseline in the patients table)."""
    t = targets["labs"]
    k = t["patients"]
    tested = [c for c in courses if c.duration >= 3][:k]
    before = _with_mean(rng.uniform(5, 60, k), t["tryptase_before"])
    on = _with_mean(before * rng.uniform(0.85, 1.2, k), t["tryptase_on"])
    ige_before = _with_mean_range(rng, t["ige_before"], k)
    ige_on = _increased_ige(rng, ige_before, t)
    rows = []
    for i, c in enumerate(tested):
        rows += [(c.patient_id, 0, "tryptase", before[i]), (c.patient_id, 3, "tryptase", on[i])]
        rows += [(c.patient_id, 0, "total_ige", ige_before[i]), (c.patient_id, 3, "total_ige", ige_on[i])]
    baseline = {c.patient_id: (float(before[i]), float(ige_before[i])) for i, c in enumerate(tested)}
    return pd.DataFrame(rows, columns=["patient_id", "month", "analyte", "value"]), baseline


def _increased_ige(rng, before: np.ndarray, t: dict) -> np.ndarray:
    """On-treatment IgE: the stable ones within 10 %, the rest increased, with the published mean and range."""
    order = np.argsort(before)
    low, high = order[0], order[-1]
    stable = order[1:-1][rng.permutation(len(order) - 2)[: len(before) - t["ige_increased"]]]
    on = before.copy()
    on[stable] = np.round(before[stable] * rng.uniform(0.92, 1.08, len(stable)), 1)
    on[low], on[high] = t["ige_on"]["min"], t["ige_on"]["max"]
    increased = np.array([i for i in order[1:-1] if i not in set(stable)])
    needed = t["ige_on"]["mean"] * len(before) - on[stable].sum() - on[low] - on[high]
    weights = before[increased] * rng.uniform(1.5, 3.0, len(increased))
    on[increased] = np.round(weights * needed / weights.sum(), 1)
    on[increased[-1]] = round(needed - on[increased[:-1]].sum(), 1)
    return on


def _with_mean(values: np.ndarray, mean: float) -> np.ndarray:
    """One-decimal values whose mean is exactly ``mean`` (last value absorbs the rounding)."""
    values = np.round(values * mean / values.mean(), 1)
    values[-1] = round(mean * len(values) - values[:-1].sum(), 1)
    return values


def _with_mean_range(rng, target: dict, k: int) -> np.ndarray:
    """k values with the published mean, minimum and maximum."""
    base = rng.lognormal(4.5, 1.0, k)
    order = np.argsort(base)
    base[order[0]], base[order[-1]] = target["min"], target["max"]
    middle = order[1:-1]
    needed = target["mean"] * k - target["min"] - target["max"]
    base[middle] = np.clip(base[middle] * needed / base[middle].sum(), target["min"], target["max"])
    base = np.round(base, 1)
    base[middle[-1]] = round(needed - base[middle[:-1]].sum(), 1)
    return base


# --- the cohort ----------------------------------------------------------------------


def generate(targets: dict | None = None) -> dict[str, pd.DataFrame]:
    """The demo cohort's tables, from the targets."""
    targets = targets or load_targets()
    seed = targets["seed"]
    rng = np.random.default_rng(seed)
    courses = _courses(targets)
    _plan_doses(courses, targets["dosing"], np.random.default_rng([seed, DOSE_STREAM]))
    labs, lab_baseline = _labs(courses, targets, np.random.default_rng([seed, LAB_STREAM]))
    patients = _patients(courses, targets, rng, np.random.default_rng([seed, AGE_STREAM]), lab_baseline)
    symptoms = _symptoms(courses, targets, rng)
    doses = _doses(courses, targets["dosing"])
    events = _adverse_events(courses, targets)
    anaphylaxis = _anaphylaxis(patients, symptoms, np.random.default_rng([seed, ANAPHYLAXIS_STREAM]))
    instruments = _instrument_scores(patients, symptoms, np.random.default_rng([seed, INSTRUMENT_STREAM]))
    return {"patients": patients, "symptoms": symptoms, "doses": doses, "adverse_events": events, "labs": labs,
            "anaphylaxis": anaphylaxis, "instrument_scores": instruments}


def _instrument_scores(patients: pd.DataFrame, symptoms: pd.DataFrame, rng) -> pd.DataFrame:
    """Scores of the shipped *example* symptom diary (plainly synthetic: the paper used no questionnaire).

    Every patient fills in the four example items (0-10 each) at baseline
    and at months 3, 6 and 12 when he still has a symptom assessment then
    (else at the first assessment after baseline), up to the end of
    treatment. Each item follows the patient's paper score: baseline items
    drawn from 3 to 9, then the baseline value times the paper score's
    ratio to baseline at that month, times a random factor from 0.8 to 1.2,
    rounded and kept within 0-10. Items only: the domains and the total are
    computed by the definition.
    """
    from omalizumab_core.data.instruments import example_instrument

    items = list(example_instrument().items)
    end = patients.set_index("patient_id")["treatment_end_month"].fillna(patients.set_index("patient_id")["last_follow_up_month"])
    score = symptoms.groupby(["patient_id", "month"])["score"].sum()
    rows = []
    for pid in patients["patient_id"]:
        course = score.loc[pid]
        months = [m for m in course.index if m in INSTRUMENT_MONTHS and m <= end[pid]]
        if len(months) < 2:
            later = [m for m in course.index if 0 < m <= end[pid]]
            months = [0] + later[:1]
        baseline = rng.integers(3, 10, size=len(items))
        for month in months:
            ratio = course[month] / course[0]
            noise = rng.uniform(0.8, 1.2, size=len(items)) if month else np.ones(len(items))
            values = np.clip(np.round(baseline * ratio * noise), 0, 10).astype(int)
            rows += [(pid, INSTRUMENT, item, int(month), int(v)) for item, v in zip(items, values)]
    return pd.DataFrame(rows, columns=["patient_id", "instrument", "item", "month", "value"])


def _anaphylaxis(patients: pd.DataFrame, symptoms: pd.DataFrame, rng) -> pd.DataFrame:
    """Episodes of the patients with anaphylaxis at baseline (plainly synthetic counts).

    The paper gives only "13/14 patients had an improvement ..., reaching
    independence of epinephrine" and one worsening: improved patients have
    2 to 5 episodes in the 12 months before (Ring and Messmer II-III,
    epinephrine for the first, every grade III and half of grade II) and at most one
    grade I-II episode without epinephrine in their first 3 months on
    omalizumab; the worsened patient has more episodes on treatment than
    before. Episode numbers, grades and months are invented.
    """
    rows = []
    on_treatment = symptoms[(symptoms["symptom"] == "anaphylaxis") & (symptoms["month"] > 0)]
    worst = on_treatment.groupby("patient_id")["score"].max()
    end = patients["treatment_end_month"].fillna(patients["last_follow_up_month"])
    for pid, last in zip(patients["patient_id"], end):
        if pid not in worst.index:
            continue
        worsened = worst[pid] > 1
        before = 2 if worsened else int(rng.integers(2, 6))
        for k, month in enumerate(sorted(rng.choice(np.arange(-12, 0), size=before, replace=False))):
            grade = "III" if rng.random() < 0.3 else "II"
            epinephrine = k == 0 or grade == "III" or rng.random() < 0.5
            rows.append((pid, int(month), grade, "yes" if epinephrine else "no", "none identified"))
        latest = max(0, min(3, int(last)))
        if worsened:
            for month in sorted(rng.choice(np.arange(0, latest + 1), size=4, replace=True)):
                rows.append((pid, int(month), "III", "yes", "none identified"))
        elif latest >= 1 and rng.random() < 0.25:
            rows.append((pid, int(rng.integers(1, latest + 1)), "I" if rng.random() < 0.5 else "II", "no", "none identified"))
    return pd.DataFrame(rows, columns=["patient_id", "month", "grade", "epinephrine", "trigger"])


def misses(scored, targets: dict) -> list[str]:
    """The targets the scored cohort does not reach, in words (empty: all reached).

    Checks what the generator builds rather than copies: Table 2, the dose
    changes, the first improvements per category, anaphylaxis, the ages and
    the laboratory pairs, each through the dashboard's own analysis.
    """
    from omalizumab_core.analyses.anaphylaxis import anaphylaxis_periods
    from omalizumab_core.analyses.biology import lab_pairs, lab_tests
    from omalizumab_core.analyses.dosing import dosing_summary
    from omalizumab_core.analyses.symptom_changes import symptom_scores
    from omalizumab_core.analyses.time_to_response import first_improvement_by_category

    found = []

    def expect(what, got, wanted):
        if got != wanted:
            found.append(f"{what}: {got} instead of {wanted}")

    o = scored.outcomes
    for block in targets["course"]:
        members = o[o["subgroup"] == block["subgroup"]]
        for best, status, _, _ in block["rows"]:
            wanted = sum(r[3] for r in block["rows"] if r[0] == best)
            expect(f"{block['subgroup']} best {best}", int((members["best_response"] == best).sum()), wanted)
            wanted = sum(r[3] for r in block["rows"] if r[1] == status)
            expect(f"{block['subgroup']} last {status}", int((members["status_at_last_follow_up"] == status).sum()), wanted)

    summary = dosing_summary(scored)

    def count(kind, measure, category=None, dose_mg=None):
        rows = summary[(summary["kind"] == kind) & (summary["measure"] == measure)]
        if category is not None:
            rows = rows[rows["category"] == category]
        if dose_mg is not None:
            rows = rows[rows["dose_mg"] == dose_mg]
        return int(rows["n"].sum())

    dosing = targets["dosing"]
    for kind in ("escalation", "weekly"):
        outcomes = dosing[f"{kind}_outcomes"]
        expect(f"{kind}: patients", count(kind, "patients"), sum(outcomes.values()))
        expect(f"{kind}: improved", count(kind, "improved"), sum(v for k, v in outcomes.items() if k != "not_improved"))
        expect(f"{kind}: not improved", count(kind, "not_improved"), outcomes.get("not_improved", 0))
        expect(f"{kind}: deeper PR", count(kind, "deeper_same_category"), outcomes.get("deeper_PR", 0))
        for category in ("MR", "PR"):
            expect(f"{kind}: reached {category}", count(kind, "reached", category), outcomes.get(f"reached_{category}", 0))
    expect("weekly: stopped", count("weekly", "stopped"), dosing["weekly_outcomes"].get("not_improved", 0))
    top = dosing["escalation_max"]
    expect("escalations up to the maximum dose", count("escalation", "up_to", dose_mg=top["dose_mg"]), top["patients"])

    f = targets["first_improvement"]
    table = first_improvement_by_category(scored).set_index("category")
    gv, others = table.loc["general_vasomotor"], table.drop(index="general_vasomotor")
    expect("general vasomotor first improvement", (gv["median_months"], gv["min_months"], gv["max_months"]),
           (f["general_vasomotor"]["median"], f["general_vasomotor"]["min"], f["general_vasomotor"]["max"]))
    outside = others[(others["median_months"] < f["others"]["median_min"]) | (others["median_months"] > f["others"]["median_max"])]
    expect("categories with a median first improvement outside the published medians", list(outside.index), [])
    expect("other categories' range of first improvement", (others["min_months"].min(), others["max_months"].max()), (f["others"]["min"], f["others"]["max"]))

    scores = symptom_scores(scored)
    anaphylaxis = scores[scores["symptom"] == "anaphylaxis"]
    t = targets["symptoms"]
    expect("anaphylaxis improved / worsened at best response", (int((anaphylaxis["score"] < 1).sum()), int((anaphylaxis["score"] > 1).sum())),
           (t["anaphylaxis_patients"] - t["anaphylaxis_worsened"], t["anaphylaxis_worsened"]))

    periods = anaphylaxis_periods(scored)
    had = periods[periods["all_before"] > 0]
    expect("patients with anaphylaxis episodes before omalizumab / with fewer on treatment",
           (len(had), int((had["all_on"] < had["all_before"]).sum())),
           (t["anaphylaxis_patients"], t["anaphylaxis_patients"] - t["anaphylaxis_worsened"]))
    expect("patients with epinephrine before who needed none on omalizumab (all improved patients)",
           int(((had["epinephrine_before"] > 0) & (had["epinephrine_on"] == 0)).sum()),
           int(((had["epinephrine_before"] > 0) & (had["all_on"] < had["all_before"])).sum()))

    p = scored.cohort.patients
    for column, key in (("age_at_diagnosis", "age_at_diagnosis"), ("age_at_treatment", "age_at_treatment")):
        values = p[column]
        expect(key, (values.median(), values.min(), values.max()), tuple(targets["patients"][key][k] for k in ("median", "min", "max")))
    gap = (p["age_at_treatment"] - p["age_at_diagnosis"]).round(1)
    expect("time from diagnosis", (gap.median(), gap.min(), gap.max()), tuple(targets["patients"]["time_from_diagnosis"][k] for k in ("median", "min", "max")))
    expect("baseline tryptase > 20 ng/mL", int((p["baseline_tryptase"] > 20).sum()), targets["patients"]["tryptase_above_20"])

    labs = scored.cohort.labs
    month0 = labs[labs["month"] == 0].pivot_table(index="patient_id", columns="analyte", values="value", observed=True)
    baseline = p.set_index("patient_id").loc[month0.index, ["baseline_tryptase", "baseline_total_ige"]]
    expect("tested patients whose baseline differs from their month-0 laboratory value",
           int(((baseline["baseline_tryptase"] != month0["tryptase"]) | (baseline["baseline_total_ige"] != month0["total_ige"])).sum()), 0)
    tl = targets["labs"]
    tryptase = lab_tests(lab_pairs(scored, "tryptase")).iloc[0]
    expect("tryptase pairs and means", (int(tryptase["n"]), round(tryptase["mean_before"], 1), round(tryptase["mean_on"], 1)),
           (tl["patients"], tl["tryptase_before"], tl["tryptase_on"]))
    ige = lab_tests(lab_pairs(scored, "total_ige")).iloc[0]
    expect("IgE before", (round(ige["mean_before"], 1), ige["min_before"], ige["max_before"]), tuple(tl["ige_before"][k] for k in ("mean", "min", "max")))
    expect("IgE on therapy", (round(ige["mean_on"], 1), ige["min_on"], ige["max_on"]), tuple(tl["ige_on"][k] for k in ("mean", "min", "max")))
    expect("IgE increased / stable", (int(ige["n_increased"]), int(ige["n_stable"])), (tl["ige_increased"], tl["patients"] - tl["ige_increased"]))
    return found


def write(out_dir: Path = DATA, targets: dict | None = None) -> None:
    """Write the tables as CSV with fixed formatting (byte-identical reruns).

    The files are first written to a temporary folder, loaded through the
    upload validation and scored by the engine; if any target is missed
    (:func:`misses`) nothing is written and ValueError lists the misses.
    """
    from omalizumab_core.engine.scoring import score_cohort
    from omalizumab_core.data.loading import load_cohort

    targets = targets or load_targets()
    out_dir = Path(out_dir)
    from omalizumab_core.data.instruments import example_instrument_text

    definition = example_instrument_text().encode("utf-8")
    with tempfile.TemporaryDirectory() as scratch:
        for name, frame in generate(targets).items():
            frame.to_csv(Path(scratch) / f"{name}.csv", index=False, float_format="%.6g", lineterminator="\n")
        (Path(scratch) / "instruments").mkdir()
        (Path(scratch) / "instruments" / f"{INSTRUMENT}.toml").write_bytes(definition)
        missed = misses(score_cohort(load_cohort(scratch, synthetic=True)), targets)
        if missed:
            raise ValueError("The generated demo cohort misses its targets:\n- " + "\n- ".join(missed))
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            shutil.copyfile(Path(scratch) / f"{name}.csv", out_dir / f"{name}.csv")
        (out_dir / "instruments").mkdir(exist_ok=True)
        (out_dir / "instruments" / f"{INSTRUMENT}.toml").write_bytes(definition)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the synthetic demo cohort.")
    parser.add_argument("--out", default=str(DATA))
    write(Path(parser.parse_args(argv).out))


if __name__ == "__main__":
    main()
