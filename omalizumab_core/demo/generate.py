"""Deterministic generator of the synthetic demo cohort (55 patients).

Re-creates, patient by patient, a cohort from which the engine re-derives the
published results of Lemal et al. (2019). The targets are data
(``targets.toml``); this module only turns them into patient rows:

1. each patient gets a course archetype from Table 2 (subgroup, best response,
   status at last follow-up, stop reason) and, from the timing targets, a
   duration of therapy and months to first and best response;
2. a symptom trajectory is written whose symptom score lands in the intended
   category at every assessment (computed in exact quarter units, the
   engine's own arithmetic), general vasomotor symptoms improving first;
3. the engine scores the result and the generator fails loudly if a Table 2
   count is missed, so wrong files are never written.

Run ``python -m omalizumab_core.demo.generate`` to rewrite ``data/``; the
files are byte-identical for the same targets.
"""

from __future__ import annotations

import argparse
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
TARGETS = HERE / "targets.toml"
DATA = HERE / "data"

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
RESPONSIVENESS = list(SYMPTOMS)  # order in which symptoms improve


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


def load_targets(path: Path = TARGETS) -> dict:
    with open(path, "rb") as handle:
        return tomllib.load(handle)


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
    if month < course.best_month:
        return "PR"
    return course.best


def _target_decrease(category: str, b4: int) -> int:
    """A decrease (quarters) well inside the category's band of 4B quarters."""
    if category == "CR":
        return b4
    if category == "MR":
        return (3 * b4) // 4  # 75 %
    if category == "PR":
        return (3 * b4 + 9) // 10  # 30 %, rounded up
    return 0


def _baseline_symptoms(rng: np.random.Generator, n: int, anaphylaxis: bool) -> list[str]:
    pool = [s for cat in SYMPTOMS.values() for s in cat if s != "anaphylaxis"]
    chosen = list(rng.choice(pool, size=n - int(anaphylaxis), replace=False))
    if anaphylaxis:
        chosen.append("anaphylaxis")
    order = {s: i for i, s in enumerate(s for cat in SYMPTOMS.values() for s in cat)}
    return sorted(chosen, key=order.get)


def _trajectory(course: Course, symptoms: list[str], worsen: str | None) -> list[tuple[str, int, float]]:
    """Rows (symptom, month, score) landing in the intended category at each visit."""
    b4 = 4 * len(symptoms)
    rows = [(s, 0, 1.0) for s in symptoms]
    for month in _assessment_months(course):
        category = _category_at(course, month)
        target = _target_decrease(category, b4)
        if category == "NR" and course.best != "NR" and month < course.first:
            # Before the first response only vasomotor symptoms ease (< 10 %).
            target = min((b4 - 1) // 10, sum(1 for s in symptoms if s in SYMPTOMS["general_vasomotor"]))
        values = _spread(symptoms, target)
        if worsen and course.best == "NR" and month == _assessment_months(course)[-1]:
            values[worsen] = 6  # "anaphylaxis worsened in one patient"
        # Every visit rescores every baseline symptom, as the study's
        # questionnaire did; an unchanged symptom is recorded as such.
        rows += [(s, month, values[s] / 4) for s in symptoms]
    return rows


def _spread(symptoms: list[str], decrease: int) -> dict[str, int]:
    """Quarter values summing to 4B - decrease, most responsive symptoms first."""
    values = {s: 4 for s in symptoms}
    left = decrease
    # First pass: each symptom down to 1 quarter, in order of responsiveness;
    # then to 0 (complete disappearance).
    for floor in (1, 0):
        for s in symptoms:
            step = min(values[s] - floor, left)
            values[s] -= step
            left -= step
    return values


def generate(targets: dict | None = None) -> dict[str, pd.DataFrame]:
    """The demo cohort's tables, from the targets."""
    targets = targets or load_targets()
    rng = np.random.default_rng(targets["seed"])
    courses = _courses(targets)
    patients = _patients(courses, targets, rng)
    symptoms = _symptoms(courses, targets, rng)
    doses = _doses(courses, targets)
    events = _adverse_events(courses, targets)
    labs = _labs(courses, targets, rng)
    return {"patients": patients, "symptoms": symptoms, "doses": doses, "adverse_events": events, "labs": labs}


def _exact_median_values(rng, n: int, median: float, low: float, high: float) -> np.ndarray:
    """n values with the given median, minimum and maximum, in shuffled order."""
    below = np.sort(rng.uniform(low, median, size=(n - 1) // 2 - 1))
    above = np.sort(rng.uniform(median, high, size=n - 1 - (n - 1) // 2 - 1))
    values = np.concatenate([[low], below, [median], above, [high]])
    return rng.permutation(np.round(values))


def _patients(courses: list[Course], targets: dict, rng) -> pd.DataFrame:
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
    # Ages at diagnosis and at treatment each have the published median and
    # range; pairing them by rank keeps every diagnosis before treatment.
    age_dx = np.sort(_exact_median_values(rng, n, t["age_at_diagnosis"]["median"], t["age_at_diagnosis"]["min"], t["age_at_diagnosis"]["max"]))
    age_tx = np.sort(_exact_median_values(rng, n, t["age_at_treatment"]["median"], t["age_at_treatment"]["min"], t["age_at_treatment"]["max"]))
    age_tx = np.maximum(age_tx, age_dx + 0.2)
    who = rng.permutation(n)
    age_dx, age_tx = age_dx[np.argsort(who)], age_tx[np.argsort(who)]
    start = pd.Timestamp("2015-01-05") + pd.to_timedelta(np.sort(rng.integers(0, 3 * 365 - 60, size=n)), unit="D")
    ended = np.array([c.end_reason != "ongoing" for c in courses])
    duration = np.array([c.duration for c in courses], dtype=float)
    frame = pd.DataFrame(
        {
            "patient_id": [c.patient_id for c in courses],
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
    tryptase = np.round(np.where(np.arange(n) < t["tryptase_above_20"], rng.uniform(21, 145, n), rng.uniform(2.5, 19.5, n)), 1)
    frame["baseline_tryptase"] = rng.permutation(tryptase)
    frame["baseline_total_ige"] = np.round(rng.lognormal(4.3, 1.1, n), 1)
    frame["prior_therapies"] = _prior_therapies(rng, n, t["prior"], diagnosis)
    for column in ("skin_involvement", "maculopapular_cm", "decreased_bone_density"):
        frame[column] = _yes_no(rng, n, t[column], n)
    for column in ("bone_marrow_involvement", "who_dense_infiltrates", "who_atypical_morphology", "who_kit_816", "who_cd2_cd25"):
        yes, evaluated = t[column]
        frame[column] = _yes_no(rng, n, yes, evaluated)
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


def _symptoms(courses: list[Course], targets: dict, rng) -> pd.DataFrame:
    n = len(courses)
    counts = np.clip(np.round(rng.normal(targets["symptoms"]["mean_per_patient"], 2.5, n)), 5, 20).astype(int)
    # Spread the difference one symptom at a time so the mean is exactly 11.
    step = 0
    while (gap := targets["symptoms"]["mean_per_patient"] * n - counts.sum()) != 0:
        i = step % n
        counts[i] += int(np.sign(gap)) if 5 <= counts[i] + np.sign(gap) <= 20 else 0
        step += 1
    responders = [i for i, c in enumerate(courses) if c.best != "NR"]
    non_responders = [i for i, c in enumerate(courses) if c.best == "NR"]
    with_anaphylaxis = set(rng.choice(responders, size=targets["symptoms"]["anaphylaxis_patients"] - 1, replace=False)) | {non_responders[0]}
    rows = []
    for i, course in enumerate(courses):
        symptoms = _baseline_symptoms(rng, int(counts[i]), i in with_anaphylaxis)
        worsen = "anaphylaxis" if i == non_responders[0] else None
        rows += [(course.patient_id, s, m, v) for s, m, v in _trajectory(course, symptoms, worsen)]
    frame = pd.DataFrame(rows, columns=["patient_id", "symptom", "month", "score"])
    return frame.sort_values(["patient_id", "month", "symptom"], kind="stable").reset_index(drop=True)


def _doses(courses: list[Course], targets: dict) -> pd.DataFrame:
    rows = [(c.patient_id, 0, 150, 14) for c in courses]
    # Escalation "to improve a partial efficacy": responders in PR at some
    # point who stayed long enough, escalated at their first response.
    candidates = sorted((c for c in courses if c.best in ("PR", "MR") and c.duration >= 6), key=lambda c: (-c.duration, c.patient_id))
    escalated = candidates[: targets["dosing"]["escalations"]]
    for k, c in enumerate(escalated):
        rows.append((c.patient_id, c.first, 600 if k == 0 else 300, 14))
    weekly = [c for c in candidates[targets["dosing"]["escalations"] :]][: targets["dosing"]["weekly"]]
    for c in weekly:
        rows.append((c.patient_id, c.first + 1, 150, 7))
    return pd.DataFrame(rows, columns=["patient_id", "month", "dose_mg", "interval_days"]).sort_values(["patient_id", "month"]).reset_index(drop=True)


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


def _labs(courses: list[Course], targets: dict, rng) -> pd.DataFrame:
    t = targets["labs"]
    eligible = [c for c in courses if c.duration >= 3]
    tested = eligible[:15]
    before = _with_mean(rng.uniform(5, 60, 15), t["tryptase_before"])
    on = _with_mean(before * rng.uniform(0.85, 1.2, 15), t["tryptase_on"])
    ige_before = _with_mean_range(rng, t["ige_before"])
    ige_on = _increased_ige(rng, ige_before, t)
    rows = []
    for i, c in enumerate(tested):
        rows += [(c.patient_id, 0, "tryptase", before[i]), (c.patient_id, 3, "tryptase", on[i])]
        rows += [(c.patient_id, 0, "total_ige", ige_before[i]), (c.patient_id, 3, "total_ige", ige_on[i])]
    return pd.DataFrame(rows, columns=["patient_id", "month", "analyte", "value"])


def _increased_ige(rng, before: np.ndarray, t: dict) -> np.ndarray:
    """On-treatment IgE: 4 stable (within 10 %), the rest increased, with the published mean and range."""
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


def _with_mean_range(rng, target: dict, base: np.ndarray | None = None) -> np.ndarray:
    """15 values with the published mean, minimum and maximum."""
    base = rng.lognormal(4.5, 1.0, 15) if base is None else base.copy()
    order = np.argsort(base)
    base[order[0]], base[order[-1]] = target["min"], target["max"]
    middle = order[1:-1]
    needed = target["mean"] * 15 - target["min"] - target["max"]
    base[middle] = np.clip(base[middle] * needed / base[middle].sum(), target["min"], target["max"])
    base = np.round(base, 1)
    base[middle[-1]] = round(needed - base[middle[:-1]].sum(), 1)
    return base


def write(out_dir: Path = DATA, targets: dict | None = None) -> None:
    """Write the tables as CSV with fixed formatting (byte-identical reruns)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in generate(targets).items():
        frame.to_csv(out_dir / f"{name}.csv", index=False, float_format="%.6g", lineterminator="\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the synthetic demo cohort.")
    parser.add_argument("--out", default=str(DATA))
    write(Path(parser.parse_args(argv).out))


if __name__ == "__main__":
    main()
