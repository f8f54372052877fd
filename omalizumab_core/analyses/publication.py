"""The loaded cohort side by side with the published one (Lemal et al. 2019).

On the demo cohort every figure agrees except the paper's own
inconsistencies, which are flagged; on an uploaded cohort the same table
compares another centre's results with the reference study.

The published values are data (``published.toml``); every derived value comes
from the dashboard's own analyses (response table, time to response,
dosing, safety, biology, symptom scores), so the Publication page and the
other pages apply one rule each.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from omalizumab_core.data.cohort import patient_positions
from omalizumab_core.data.codes import SUBGROUP_LABELS
from omalizumab_core.engine.scoring import ScoredCohort
from omalizumab_core.formatting import n_pct, number
from omalizumab_core.data.problems import TooFewPatients
from omalizumab_core.engine.response_table import response_counts

PUBLISHED = Path(__file__).resolve().parent / "published.toml"
NOT_AVAILABLE = "not available"
COLUMNS = ["section", "quantity", "published", "derived", "agrees", "note"]
INCONSISTENCIES = "Inconsistencies of the paper"
_COLUMN_NAMES = {"all": "all patients", "primary": "primary MCAS", **{k: v for k, v in SUBGROUP_LABELS.items()}}
_TABLE2_ROWS = {
    "best_ORR": "best: overall response", "best_CR": "best: CR", "best_MR": "best: MR", "best_PR": "best: PR", "best_NR": "best: no response",
    "last_persistent": "last: persistent overall response", "last_CR": "last: CR", "last_MR": "last: MR", "last_PR": "last: PR",
    "last_no_persistent": "last: no persistent response", "last_no_response": "last: no response",
    "last_loss_of_response": "last: loss of response", "last_intolerance": "last: intolerance", "last_lost_or_other": "last: lost from follow-up",
}
_EVALUATED = (
    ("who_dense_infiltrates", "WHO: multifocal dense mast cell infiltrates", ""),
    ("who_atypical_morphology", "WHO: > 25 % atypical mast cells", "Printed as 39 (44 %) of 39; 44 % of 39 is 17."),
    ("who_kit_816", "WHO: KIT codon 816 mutation", ""),
    ("who_cd2_cd25", "WHO: CD2 and/or CD25 expression", ""),
    ("bone_marrow_involvement", "Involved bone marrow", ""),
)
_PRESENTATION = (("skin_involvement", "Involved skin"), ("maculopapular_cm", "Maculopapular cutaneous mastocytosis"), ("decreased_bone_density", "Decreased bone density"))


def published_values() -> dict:
    with open(PUBLISHED, "rb") as handle:
        return tomllib.load(handle)


def publication_comparison(scored: ScoredCohort) -> pd.DataFrame:
    """Every published figure, its value in the loaded cohort, and whether they agree.

    Parameters
    ----------
    scored : ScoredCohort
        The (filtered) scored cohort; optional tables may be missing.

    Returns
    -------
    DataFrame
        Columns section, quantity, published, derived (formatted as the paper
        prints it; "not available" when the cohort lacks the data), agrees
        (bool) and note. The last section lists the paper's own
        inconsistencies, never counted as agreeing.

    Notes
    -----
    A figure agrees when the derived value prints as the published one,
    except three statements that are ranges or tests, not values: the
    "2 to 3 months" medians of first improvement of the other symptom
    categories (every category's median within 2-3), and the tryptase change
    "not significant" (paired t-test p > 0.05). Each derived value comes from
    the analysis the dashboard's pages use: ``response_table.response_counts``,
    ``time_to_response.first_improvement_by_category``,
    ``symptom_changes.symptom_scores`` (anaphylaxis at best response),
    ``dosing.dosing_summary``, ``safety.safety_summary`` and
    ``adverse_event_table``, ``biology.lab_pairs`` and ``lab_tests``.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> table = publication_comparison(demo_scored())
    >>> agreement_summary(table)[0] == agreement_summary(table)[1]
    True
    """
    published = published_values()
    rows = _table2_rows(scored, published["table2"])
    rows += _table1_rows(scored, published["table1"], published["symptoms"])
    rows += _time_rows(scored, published["time"])
    rows += _duration_rows(scored, published["duration"])
    n_published = published["table2"]["n"][0]
    rows += _dosing_rows(scored, published["dosing"], n_published)
    rows += _safety_rows(scored, published["safety"], n_published)
    rows += _biology_rows(scored, published["biology"])
    rows += [
        (INCONSISTENCIES, item["quantity"], item["printed"], item["consistent"], False, "The paper contradicts itself; the dashboard follows the tables.")
        for item in published["inconsistency"]
    ]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["agrees"] = frame["agrees"].astype(bool)
    return frame


def _row(section, quantity, published, derived, note="", *, agrees=None):
    """A comparison row; derived None means the cohort lacks the data.

    ``agrees`` overrides the comparison of the printed values (for ranges
    and tests).
    """
    if derived is None:
        return (section, quantity, str(published), NOT_AVAILABLE, False, note)
    same = str(published) == str(derived) if agrees is None else bool(agrees)
    return (section, quantity, str(published), str(derived), same, note)


def _median_range_text(median, low, high) -> str:
    """"41 (2–87)"; numbers to one decimal at most."""
    return f"{number(round(median, 1))} ({number(round(low, 1))}–{number(round(high, 1))})"


def _median_range(values: pd.Series):
    values = pd.to_numeric(values, errors="coerce").dropna()
    if values.empty:
        return None
    return _median_range_text(values.median(), values.min(), values.max())


def _range_text(low, high) -> str:
    """"2–13"; a single number when both ends are equal."""
    low, high = number(round(low, 1)), number(round(high, 1))
    return low if low == high else f"{low}–{high}"


# --- Table 2 ------------------------------------------------------------------------


def _table2_rows(scored, table2) -> list:
    counts = response_counts(scored.outcomes)
    rows = []
    for j, column in enumerate(table2["columns"]):
        c = counts[column]
        best, last = c["best"], c["last"]
        persistent = last["CR"] + last["MR"] + last["PR"]
        derived = {
            "best_ORR": best["CR"] + best["MR"] + best["PR"], "best_CR": best["CR"], "best_MR": best["MR"], "best_PR": best["PR"], "best_NR": best["NR"],
            "last_persistent": persistent, "last_CR": last["CR"], "last_MR": last["MR"], "last_PR": last["PR"],
            "last_no_persistent": c["n"] - persistent, "last_no_response": last["no_response"],
            "last_loss_of_response": last["loss_of_response"], "last_intolerance": last["intolerance"], "last_lost_or_other": last["lost_or_other"],
        }
        n_pub = table2["n"][j]
        rows.append(_row("Table 2", f"{_COLUMN_NAMES[column]}: patients", n_pub, c["n"]))
        for key, label in _TABLE2_ROWS.items():
            note = "The paper counts 2 stops for pregnancy intent under lost from follow-up." if key == "last_lost_or_other" and column == "all" else ""
            rows.append(_row("Table 2", f"{_COLUMN_NAMES[column]}: {label}", n_pct(table2[key][j], n_pub), n_pct(derived[key], c["n"]), note))
    return rows


# --- Table 1 and symptoms --------------------------------------------------------------


def _count(frame: pd.DataFrame, column: str, value=True):
    if column not in frame or frame[column].isna().all():
        return None
    return int((frame[column] == value).sum())


def _value_counts(values: pd.Series) -> dict | None:
    """Patients per recorded value (None when nothing is recorded, as :func:`_count`)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if not (codes >= 0).any():
        return None
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    return dict(zip(uniques.tolist(), counts.tolist()))


def _cross_counts(rows: pd.Series, columns: pd.Series) -> dict:
    """Patients per (row value, column value), both recorded."""
    r, r_values = pd.factorize(rows, use_na_sentinel=True)
    c, c_values = pd.factorize(columns, use_na_sentinel=True)
    both = (r >= 0) & (c >= 0)
    counts = np.bincount(r[both] * len(c_values) + c[both], minlength=len(r_values) * len(c_values))
    return {(a, b): int(counts[i * len(c_values) + j]) for i, a in enumerate(r_values.tolist()) for j, b in enumerate(c_values.tolist())}


def _yes_of_evaluated(frame, column):
    if column not in frame or frame[column].isna().all():
        return None
    return f"{int((frame[column] == True).sum())}/{int(frame[column].notna().sum())}"  # noqa: E712 (nullable boolean)


def _table1_rows(scored, t, symptoms_published) -> list:
    from omalizumab_core.data.contract import TABLE_COLUMNS

    # A cohort built in code may lack optional columns the loader would add.
    p = scored.cohort.patients.reindex(columns=list(dict.fromkeys([*scored.cohort.patients.columns, *(c.name for c in TABLE_COLUMNS["patients"])])))
    sexes = _value_counts(p["sex"])
    rows = [
        _row("Table 1", "Sex, male/female", f"{t['male']}/{t['female']}", "None/None" if sexes is None else f"{sexes.get('M', 0)}/{sexes.get('F', 0)}"),
        _row("Table 1", "Age at diagnosis, median (range), years", _median_range_text(*t["age_at_diagnosis"]), _median_range(p["age_at_diagnosis"])),
        _row("Table 1", "Age at omalizumab treatment, median (range), years", _median_range_text(*t["age_at_treatment"]), _median_range(p["age_at_treatment"])),
        _row(
            "Table 1", "Time from diagnosis to treatment, median (range), years", _median_range_text(*t["time_from_diagnosis"]),
            _median_range(p["age_at_treatment"] - p["age_at_diagnosis"]),
            "Printed as 3 years (2 months – 37 years); derived as age at treatment minus age at diagnosis.",
        ),
    ]
    kit = _cross_counts(p["diagnosis"], p["kit_d816v"])  # one pass over each column, not one comparison per value
    for dx, published in t["kit"].items():
        derived = "/".join(str(kit.get((dx, k), 0)) for k in ("positive", "negative", "not_evaluated"))
        rows.append(_row("Table 1", f"{dx}: KIT D816V positive/negative/not evaluated", "/".join(map(str, published)), derived))
    tryptase = p["baseline_tryptase"]
    rows.append(_row(
        "Table 1", "Baseline serum tryptase > 20 ng/mL", "/".join(map(str, t["tryptase_above_20"])),
        None if tryptase.isna().all() else f"{int((tryptase > 20).sum())}/{int(tryptase.notna().sum())}",
    ))
    for column, label, note in _EVALUATED:
        rows.append(_row("Table 1", label, "/".join(map(str, t[column])), _yes_of_evaluated(p, column), note))
    for column, label in _PRESENTATION:
        rows.append(_row("Table 1", label, t[column], _count(p, column)))
    recorded = p["prior_therapies"].notna().any()
    therapies = tuple(t["prior"])
    named = _prior_therapies(scored, therapies).sum(axis=0) if recorded else [None] * len(therapies)
    for therapy, n in zip(therapies, named):
        rows.append(_row("Table 1", f"Previous therapy: {therapy}", t["prior"][therapy], None if n is None else int(n)))
    return rows + _symptom_rows(scored, symptoms_published)


def _prior_therapies(scored, therapies: tuple) -> np.ndarray:
    """Per patient of the selection (rows) and therapy (columns): the therapy is named, in any case, in the prior therapies.

    Text matching does not depend on the filters: done once per scored
    cohort, each selection takes its patients' rows.
    """
    return scored.per_patient_values(f"publication.prior_therapies.{therapies}", lambda root: _names_therapies(root.cohort.patients, therapies))


def _names_therapies(patients: pd.DataFrame, therapies: tuple) -> np.ndarray:
    named = np.zeros((len(patients), len(therapies)), dtype=bool)
    if "prior_therapies" in patients:
        text = patients["prior_therapies"].fillna("").astype(str).str.lower()
        for j, therapy in enumerate(therapies):
            named[:, j] = text.str.contains(therapy, regex=False).to_numpy(dtype=bool)
    return named


def _baseline_rows(scored) -> int:
    """Month-0 rows of the selection's symptoms table, without building that table (13 million rows at registry scale).

    Counted once per patient of the whole scored cohort; a selection sums
    its patients' counts. The whole cohort counts its table directly (rows
    of no listed patient included, as ``len(symptoms[month == 0])`` does).
    """
    if scored.whole_cohort is scored:
        return int((scored.cohort.symptoms["month"] == 0).sum())
    return int(scored.per_patient_values("publication.baseline_rows", _baseline_rows_per_patient).sum())


def _baseline_rows_per_patient(root) -> np.ndarray:
    symptoms, patients = root.cohort.symptoms, root.cohort.patients
    position = patient_positions(symptoms["patient_id"], patients)
    at_baseline = (symptoms["month"] == 0).to_numpy(dtype=bool) & (position >= 0)
    return np.bincount(position[at_baseline], minlength=len(patients))


def _symptom_rows(scored, s) -> list:
    n = max(len(scored.outcomes), 1)
    with_anaphylaxis, improved, worsened = (int(x) for x in _anaphylaxis_counts(scored).sum(axis=0))
    return [
        _row("Symptoms", "Mean number of baseline symptoms per patient", s["mean_per_patient"], number(round(_baseline_rows(scored) / n, 1))),
        _row("Symptoms", "Patients with anaphylaxis", s["anaphylaxis"], with_anaphylaxis),
        _row(
            "Symptoms", "Anaphylaxis at best response: improved / worsened", f"{s['anaphylaxis_improved']}/{s['anaphylaxis_worsened']}",
            f"{improved}/{worsened}",
            "Discussion: 13/14 improved, anaphylaxis worsened in 1; read at each patient's best-response assessment.",
        ),
    ]


def _anaphylaxis_counts(scored) -> np.ndarray:
    """Per patient of the selection: baseline anaphylaxis rows, and of those improved (< 1) and worsened (> 1) at best response.

    Read from ``symptom_changes.symptom_scores`` of the whole scored cohort
    (computed once, shared with the Symptoms page); a selection sums its
    patients' rows.
    """
    return scored.per_patient_values("publication.anaphylaxis_counts", _anaphylaxis_counts_per_patient)


def _anaphylaxis_counts_per_patient(root) -> np.ndarray:
    from omalizumab_core.analyses.symptom_changes import symptom_scores

    scores = symptom_scores(root)
    anaphylaxis = (scores["symptom"] == "anaphylaxis").to_numpy(dtype=bool)
    patient = scores["patient_id"].cat.codes.to_numpy(dtype=np.int64)[anaphylaxis]
    score = scores["score"].to_numpy(dtype="float64")[anaphylaxis]
    n = len(root.cohort.patients)
    with np.errstate(invalid="ignore"):  # NaN (not assessed) is neither
        counts = [np.ones(len(patient)), score < 1, score > 1]
    return np.column_stack([np.bincount(patient, weights=np.asarray(c, dtype="float64"), minlength=n) for c in counts]).astype(np.int64)


# --- time to response and duration --------------------------------------------------------


def _time_rows(scored, t) -> list:
    from omalizumab_core.analyses.time_to_response import first_improvement_by_category

    o = scored.outcomes
    # Masks and the few columns each row needs (a filter rerun at registry scale: not a copy of
    # the outcomes table, text columns included, per subset).
    non_responders = (o["best_response"] == "NR").to_numpy(dtype=bool, na_value=False)
    responders = ~non_responders
    r = pd.DataFrame({name: o[name].to_numpy()[responders] for name in ("months_to_first_response", "months_to_best_response", "sustained_3_months")})
    med = lambda s: None if s.dropna().empty else number(s.median())  # noqa: E731
    span = lambda s: None if s.dropna().empty else _range_text(s.min(), s.max())  # noqa: E731
    lost = (o["status_at_last_follow_up"] == "loss_of_response").to_numpy(dtype=bool, na_value=False)
    losses = pd.DataFrame({"months_on_treatment": o["months_on_treatment"].to_numpy()[lost]})
    stops = scored.cohort.patients["end_reason"][non_responders].value_counts()
    stop_pub = t["non_responder_stops"]
    rows = [
        _row("Time to response", "Median months to first response", t["first_response"], med(r["months_to_first_response"])),
        _row("Time to response", "Median months to best response", t["best_response"], med(r["months_to_best_response"])),
        _row("Time to response", "Sustained response ≥ 3 months among responders", "/".join(map(str, t["sustained"])), f"{int(r['sustained_3_months'].sum())}/{len(r)}"),
        _row("Time to response", "Losses of response", t["losses"], len(losses)),
        _row("Time to response", "Losses of response: months of treatment (range)", _range_text(*t["loss_months"]), span(losses["months_on_treatment"])),
        _row(
            "Time to response", "Non-responders stopping for lack of efficacy / intolerance", f"{stop_pub['lack_of_efficacy']}/{stop_pub['intolerance']}",
            f"{stops.get('lack_of_efficacy', 0)}/{stops.get('intolerance', 0)}",
        ),
        _row("Time to response", "Non-responders: months of therapy (range)", _range_text(*t["non_responder_months"]), span(o["months_on_treatment"][non_responders])),
        _row("Time to response", "Patients still treated at last follow-up", t["still_treated"], int(o["still_treated"].sum())),
    ]
    try:
        table = first_improvement_by_category(scored).set_index("category")
    except TooFewPatients:
        table = pd.DataFrame(columns=["median_months", "min_months", "max_months"])
    table = table.dropna(subset=["median_months"])
    gv = table.loc["general_vasomotor"] if "general_vasomotor" in table.index else None
    others = table.drop(index="general_vasomotor", errors="ignore")
    rows.append(_row(
        "Time to response", "First improvement of general vasomotor symptoms, median (range), months", _median_range_text(*t["first_improvement_general_vasomotor"]),
        None if gv is None else _median_range_text(gv["median_months"], gv["min_months"], gv["max_months"]),
    ))
    low, high = t["first_improvement_others_medians"]
    medians = None if others.empty else _range_text(others["median_months"].min(), others["median_months"].max())
    rows.append(_row(
        "Time to response", "First improvement of the other symptom categories: medians, months", _range_text(low, high), medians,
        "Agrees when every other category's median lies within 2–3 months (the paper: \"2 to 3 months for all the others\").",
        agrees=not others.empty and bool(others["median_months"].between(low, high).all()),
    ))
    rows.append(_row(
        "Time to response", "First improvement of the other symptom categories: range, months", _range_text(*t["first_improvement_others_range"]),
        None if others.empty else _range_text(others["min_months"].min(), others["max_months"].max()),
    ))
    return rows


def _duration_rows(scored, t) -> list:
    o = scored.outcomes
    d = o["months_on_treatment"]
    med = lambda s: None if s.dropna().empty else number(s.median())  # noqa: E731
    r = o["best_response"] != "NR"
    rows = [
        _row("Duration", "Median months of therapy, whole cohort", t["all"], med(d)),
        _row("Duration", "Median months of therapy, responders (range)", _median_range_text(*t["responders"]), _median_range(d[r])),
    ]
    for category, published in t["by_best"].items():
        rows.append(_row("Duration", f"Median months of therapy, best response {category}", published, med(d[o["best_response"] == category])))
    return rows


# --- dosing, safety, biology -------------------------------------------------------------


def _dosing_rows(scored, t, n_published) -> list:
    from omalizumab_core.analyses.dosing import dosing_summary, regimen_label

    n_total = len(scored.outcomes)
    quantities = [
        ("escalation", "patients", None, "Dose escalations", n_pct(t["escalation"], n_published)),
        *(("escalation", "up_to", (dose, interval), f"Escalations up to {regimen_label(dose, interval)}", n) for dose, interval, n in t["escalation_up_to"]),
        ("escalation", "improved", None, "Escalations that improved the response", n_pct(t["escalation_improved"], t["escalation"])),
        ("escalation", "reached", "MR", "Escalations reaching a major response", n_pct(t["escalation_reached_MR"], t["escalation"])),
        ("escalation", "deeper_same_category", None, "Escalations deepening the response in the same category (the paper: improving their PR)", n_pct(t["escalation_deeper"], t["escalation"])),
        ("escalation", "not_improved", None, "Escalations not improving the response", t["escalation_not_improved"]),
        ("weekly", "patients", None, "Moved to weekly dosing", n_pct(t["weekly"], n_published)),
        ("weekly", "improved", None, "Weekly dosing: improved the response", t["weekly_improved"]),
        *(("weekly", "reached", category, f"Weekly dosing: reaching {category}", n) for category, n in t["weekly_reached"].items()),
        ("weekly", "not_improved", None, "Weekly dosing: not improved", t["weekly_not_improved"]),
        ("weekly", "stopped", None, "Weekly dosing: stopped omalizumab afterwards", t["weekly_stopped"]),
    ]
    if scored.cohort.doses is None:
        return [_row("Dosing", label, published, None) for *_, label, published in quantities]
    # The summary's few dozen rows, grouped once by (kind, measure): twenty masks over the frame took
    # half as long as computing it.
    by_measure: dict[tuple, list] = {}
    for row in dosing_summary(scored).itertuples(index=False):
        by_measure.setdefault((row.kind, row.measure), []).append(row)
    rows = []
    for kind, measure, detail, label, published in quantities:
        found = by_measure.get((kind, measure), [])
        if measure == "reached":
            found = [r for r in found if r.category == detail]
        elif measure == "up_to":
            found = [r for r in found if r.dose_mg == detail[0] and r.interval_days == detail[1]]
        n = int(sum(r.n for r in found))
        if measure == "patients":
            derived = n_pct(n, n_total)
        elif isinstance(published, str):  # printed "n (%)" of the patients with that change
            total = int(found[0].total) if found else 0
            derived = n_pct(n, total)
        else:
            derived = n
        rows.append(_row("Dosing", label, published, derived))
    return rows


def _safety_rows(scored, t, n_published) -> list:
    from omalizumab_core.analyses.safety import adverse_event_table, safety_summary

    quantities = [
        ("patients_with_event", "Patients with side effects", "The abstract prints 28.6 % (16/56)."),
        ("patients_discontinued", "Discontinuations for side effects", "The abstract prints 10.7 %."),
        ("patients_flare", "Patients with a flare", ""),
        ("patients_severe_first_injection", "Severe reaction at the first injection", ""),
    ]
    events = t["events"]
    if scored.cohort.adverse_events is None:
        return [_row("Safety", label, n_pct(t[measure], n_published), None, note) for measure, label, note in quantities] + [
            _row("Safety", f"Patients with {event}", n, None) for event, n in events.items()
        ]
    summary = safety_summary(scored).set_index("measure")
    rows = [
        _row("Safety", label, n_pct(t[measure], n_published), n_pct(int(summary.loc[measure, "n"]), int(summary.loc[measure, "total"])), note)
        for measure, label, note in quantities
    ]
    table = adverse_event_table(scored)
    patients = dict(zip(table["event"].astype(str).str.strip().str.casefold(), table["patients"]))
    rows += [_row("Safety", f"Patients with {event}", n, int(patients.get(event.casefold(), 0))) for event, n in events.items()]
    return rows


def _biology_rows(scored, t) -> list:
    from omalizumab_core.analyses.biology import _need_pairs, _tests, lab_pairs

    fmt_mean = lambda mean: number(round(mean, 1))  # noqa: E731
    fmt_range = lambda mean, low, high: f"{number(round(mean, 1))} ({number(low)}–{number(high)})"  # noqa: E731
    quantities = {
        "tryptase": [
            ("n", "Tryptase (ng/mL): patients tested before and on therapy", t["tryptase_n"]),
            ("before", "Tryptase (ng/mL): mean before therapy", fmt_mean(t["tryptase_before"])),
            ("on", "Tryptase (ng/mL): mean on therapy", fmt_mean(t["tryptase_on"])),
            ("test", "Tryptase (ng/mL): change on therapy", "significant" if t["tryptase_significant"] else "not significant"),
        ],
        "total_ige": [
            ("n", "Total IgE (IU/mL): patients tested before and on therapy", t["ige_n"]),
            ("before", "Total IgE (IU/mL): mean (range) before therapy", fmt_range(*t["ige_before"])),
            ("on", "Total IgE (IU/mL): mean (range) on therapy", fmt_range(*t["ige_on"])),
            ("increased", "Total IgE increased on therapy (> 20 %)", t["ige_increased"]),
            ("stable", "Total IgE stable on therapy (within ±20 %)", t["ige_stable"]),
        ],
    }
    rows = []
    for analyte, items in quantities.items():
        tests = None
        if scored.cohort.labs is not None:
            pairs = lab_pairs(scored, analyte)
            try:
                _need_pairs(pairs, analyte)  # as lab_tests: at least 2 pairs
                tests = _tests(pairs, effects=False)  # means, ranges, t-test, directions: what the paper reports
            except TooFewPatients:
                tests = None
        for key, label, published in items:
            derived, note, agrees = None, "", None
            if key == "n" and scored.cohort.labs is not None:
                derived = len(pairs)
            elif tests is not None:
                if key in ("before", "on"):
                    mean, low, high = tests[f"mean_{key}"], tests[f"min_{key}"], tests[f"max_{key}"]
                    derived = fmt_mean(mean) if analyte == "tryptase" else fmt_range(mean, low, high)
                elif key == "test":
                    p_value = tests["p_t_test"]
                    significant = bool(p_value < 0.05)  # False when p is not computable (NaN)
                    derived = "significant" if significant else "not significant"
                    note = "Paired t-test (the paper's test): p not computable." if pd.isna(p_value) else f"Paired t-test (the paper's test): p = {p_value:.3f}."
                    agrees = significant == t["tryptase_significant"]
                else:
                    derived = int(tests[f"n_{key}"])
            rows.append(_row("Biology", label, published, derived, note, agrees=agrees))
    return rows


def agreement_summary(comparison: pd.DataFrame) -> tuple[int, int]:
    """(figures that agree, figures compared), inconsistencies of the paper excluded."""
    compared = comparison[comparison["section"] != INCONSISTENCIES]
    return int(compared["agrees"].sum()), int(len(compared))


AGREES_LABELS = {True: "✓ agrees", False: "✗ differs"}


def format_publication_sections(comparison: pd.DataFrame, *, only_differences: bool = False) -> list[tuple[str, pd.DataFrame]]:
    """The comparison as printed: one table per section, its columns capitalised and each agreement in words.

    Parameters
    ----------
    comparison : DataFrame
        From :func:`publication_comparison`.
    only_differences : bool, default False
        Keep only the figures that differ from the paper.

    Returns
    -------
    list of (str, DataFrame)
        (section, table) in the comparison's order; "Agrees" reads "✓ agrees"
        or "✗ differs" (a tick in words, readable on a projector).

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> sections = format_publication_sections(oc.publication_comparison(oc.score_cohort(oc.load_cohort("demo"))))
    >>> sections[0][1]["Agrees"].iloc[0]
    '✓ agrees'
    """
    shown = comparison[~comparison["agrees"]] if only_differences else comparison
    return [
        (section, rows.drop(columns="section").rename(columns=str.capitalize).assign(Agrees=rows["agrees"].map(AGREES_LABELS)))
        for section, rows in shown.groupby("section", sort=False)
    ]
