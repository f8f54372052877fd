"""Subgroup filters shared by every page, the CLI report and the URL.

A filter selection is a :class:`FilterSpec`. The per-patient facts it is
tested against are computed once per scored cohort by :func:`filter_index`
(the baseline symptom categories need the 13-million-row symptoms table at
registry scale), so a rerun after a filter change only builds a boolean mask
and subsets the per-patient results: nothing is rescored.

The URL form of a selection (:func:`spec_to_query`, :func:`spec_from_query`)
is what makes a view shareable: ``?diagnosis=ISM,CM&sex=F&age=18-60``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from omalizumab_core.data.codes import CATEGORIES, CATEGORY_LABELS, GROUP_LABELS, KIT_LABELS, KIT_STATUSES, SEX_LABELS, SEXES, SUBGROUP_LABELS, SUBGROUPS
from omalizumab_core.data.contract import TABLE_COLUMNS
from omalizumab_core.engine.scoring import ScoredCohort, patient_positions
from omalizumab_core.data.problems import WARNING, Problem

# Filters on a list of levels: (spec field, index column, URL key, label).
CHOICE_FILTERS = (
    ("diagnosis", "subgroup", "diagnosis", "Diagnosis"),
    ("group", "group", "group", "Group"),
    ("kit_d816v", "kit_d816v", "kit", "KIT D816V"),
    ("sex", "sex", "sex", "Sex"),
    ("center", "center", "center", "Centre"),
)
LEVEL_LABELS = {
    "diagnosis": SUBGROUP_LABELS,
    "group": GROUP_LABELS,
    "kit_d816v": KIT_LABELS,
    "sex": SEX_LABELS,
}
ESCALATION_LABELS = {"yes": "More omalizumab per 4 weeks than at the start (escalation or weekly dosing)", "no": "Never more than the starting dose per 4 weeks"}
ESCALATION_SHORT_LABELS = {"yes": "Escalated or weekly dosing", "no": "Never above the first dose"}  # the sidebar's select box
# Extra columns with more levels than this are free text (comments, ids), not subgroups.
MAX_EXTRA_LEVELS = 30
EXTRA_PREFIX = "x."
_CONTRACT_COLUMNS = {c.name for c in TABLE_COLUMNS["patients"]}


@dataclass(frozen=True)
class FilterSpec:
    """A filter selection. Empty tuples and None mean "no restriction".

    Attributes
    ----------
    diagnosis : tuple of str
        Analysis subgroups kept (codes of ``codes.SUBGROUPS``: ISM, SSM, CM,
        MMAS, idiopathic, ...).
    group, kit_d816v, sex, center : tuple of str
        Levels kept.
    age_at_treatment : (low, high) or None
        Inclusive range in years; patients without an age are kept only when
        no range is set.
    baseline_categories : tuple of str
        Symptom categories (``codes.CATEGORIES``) the patient must all have
        at baseline ("has anaphylaxis" is the general vasomotor category).
    dose_escalation : "yes", "no" or None
    extra : tuple of (column, levels) or (column, (low, high))
        Filters on extra columns of the patients table.
    """

    diagnosis: tuple = ()
    group: tuple = ()
    kit_d816v: tuple = ()
    sex: tuple = ()
    center: tuple = ()
    age_at_treatment: tuple | None = None
    baseline_categories: tuple = ()
    dose_escalation: str | None = None
    extra: tuple = field(default=())

    @property
    def is_empty(self) -> bool:
        return self == FilterSpec()


def filter_index(scored: ScoredCohort) -> pd.DataFrame:
    """Per-patient facts the filters test, in the patients table's order.

    Returns
    -------
    DataFrame
        patient_id, subgroup, group, kit_d816v, sex, center,
        age_at_treatment, one boolean column ``has_<category>`` per symptom
        category, escalated (bool, or NA without a doses table), and the
        extra columns of the patients table.

    Notes
    -----
    Dose escalation: a later regimen whose dose per 4 weeks (dose_mg × 28 /
    interval_days) is higher than the first regimen's, which covers both the
    paper's escalations (150 → 300 mg every 2 weeks, to 600 mg) and the move
    to weekly injections.
    """
    patients = scored.cohort.patients
    outcomes = scored.outcomes
    index = pd.DataFrame({"patient_id": patients["patient_id"].astype(str).to_numpy()})
    index["subgroup"] = outcomes["subgroup"].to_numpy()
    index["group"] = outcomes["group"].to_numpy()
    for column in ("kit_d816v", "sex", "center"):
        index[column] = patients[column].astype("object").to_numpy() if column in patients else None
    age = patients["age_at_treatment"] if "age_at_treatment" in patients else pd.Series(np.nan, index=patients.index)
    index["age_at_treatment"] = pd.to_numeric(age, errors="coerce").to_numpy(dtype="float64")
    has = _baseline_categories(scored)
    for category in CATEGORIES:
        index[f"has_{category}"] = has[category]
    index["escalated"] = _escalated(scored)
    for column in extra_columns(patients):
        index[EXTRA_PREFIX + column] = patients[column].to_numpy()
    return index


def extra_columns(patients: pd.DataFrame) -> list[str]:
    """Columns of the patients table beyond the data contract, usable as filters."""
    return [c for c in patients.columns if c not in _CONTRACT_COLUMNS]


def _baseline_categories(scored: ScoredCohort) -> dict[str, np.ndarray]:
    patients = scored.cohort.patients
    symptoms = scored.cohort.symptoms
    n = len(patients)
    baseline = symptoms["month"].to_numpy(dtype="float64") == 0
    where = patient_positions(symptoms["patient_id"], patients)[baseline]
    category = symptoms["category"]
    if isinstance(category.dtype, pd.CategoricalDtype):
        code = category.cat.set_categories(list(CATEGORIES)).cat.codes.to_numpy()[baseline]
    else:
        code = pd.Categorical(category[baseline].astype(str), categories=list(CATEGORIES)).codes
    known = (where >= 0) & (code >= 0)
    flags = np.zeros((len(CATEGORIES), n), dtype=bool)
    flags[code[known], where[known]] = True
    return {name: flags[i] for i, name in enumerate(CATEGORIES)}


def _escalated(scored: ScoredCohort) -> pd.array:
    doses = scored.cohort.doses
    patients = scored.cohort.patients
    if doses is None:
        return pd.array([pd.NA] * len(patients), dtype="boolean")
    code = patient_positions(doses["patient_id"], patients)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_4_weeks = doses["dose_mg"].to_numpy(dtype="float64") * 28 / doses["interval_days"].to_numpy(dtype="float64")
    month = doses["month"].to_numpy(dtype="float64")
    known = code >= 0
    code, month, per_4_weeks = code[known], month[known], per_4_weeks[known]
    # By patient, then month, then as given: the first row of each patient is the first regimen.
    order = np.lexsort((np.arange(len(code)), month, code))
    code, per_4_weeks = code[order], per_4_weeks[order]
    first_row = np.r_[True, code[1:] != code[:-1]] if len(code) else np.zeros(0, dtype=bool)
    first_dose = per_4_weeks[np.maximum.accumulate(np.where(first_row, np.arange(len(code)), 0))] if len(code) else per_4_weeks
    has_doses = np.zeros(len(patients), dtype=bool)
    has_doses[code] = True
    escalated = np.zeros(len(patients), dtype=bool)
    escalated[code[per_4_weeks > first_dose]] = True
    return pd.array(np.where(has_doses, escalated, None), dtype="boolean")


def filter_options(index: pd.DataFrame) -> dict:
    """The levels and ranges each filter can take in this cohort.

    Returns
    -------
    dict
        ``{"diagnosis": [...], "group": [...], "kit_d816v": [...], "sex":
        [...], "center": [...], "age_at_treatment": (min, max) or None,
        "baseline_categories": [...], "dose_escalation": bool (a doses table
        exists), "extra": {column: [levels] or (min, max)}}``. Levels are in
        the codes' order, then alphabetical.
    """
    options: dict = {}
    orders = {"diagnosis": SUBGROUPS, "group": tuple(GROUP_LABELS), "kit_d816v": KIT_STATUSES, "sex": SEXES}
    for name, column, _, _ in CHOICE_FILTERS:
        present = {str(v) for v in pd.unique(index[column].dropna().to_numpy(dtype=object))}
        order = orders.get(name, ())
        options[name] = [v for v in order if v in present] + sorted(present - set(order))
    ages = index["age_at_treatment"].dropna()
    options["age_at_treatment"] = (float(np.floor(ages.min())), float(np.ceil(ages.max()))) if len(ages) else None
    options["baseline_categories"] = [c for c in CATEGORIES if index[f"has_{c}"].any()]
    options["dose_escalation"] = bool(index["escalated"].notna().any())
    extra = {}
    for column in (c for c in index.columns if c.startswith(EXTRA_PREFIX)):
        name = column.removeprefix(EXTRA_PREFIX)
        values = index[column]
        numeric = pd.to_numeric(values, errors="coerce")
        if values.notna().any() and numeric.notna().sum() == values.notna().sum() and values.nunique() > MAX_EXTRA_LEVELS:
            extra[name] = (float(numeric.min()), float(numeric.max()))
        elif 1 <= values.nunique() <= MAX_EXTRA_LEVELS:
            extra[name] = sorted(values.dropna().astype(str).unique())
    options["extra"] = extra
    return options


def filter_mask(index: pd.DataFrame, spec: FilterSpec) -> np.ndarray:
    """Boolean mask over the index rows: True for patients the selection keeps."""
    keep = np.ones(len(index), dtype=bool)
    for name, column, _, _ in CHOICE_FILTERS:
        levels = getattr(spec, name)
        if levels:
            keep &= index[column].astype(str).isin(levels).to_numpy()
    if spec.age_at_treatment is not None:
        low, high = spec.age_at_treatment
        age = index["age_at_treatment"].to_numpy(dtype="float64")
        with np.errstate(invalid="ignore"):
            keep &= (age >= low) & (age <= high)
    for category in spec.baseline_categories:
        keep &= index[f"has_{category}"].to_numpy(dtype=bool)
    if spec.dose_escalation is not None:
        wanted = spec.dose_escalation == "yes"
        keep &= (index["escalated"] == wanted).fillna(False).to_numpy(dtype=bool)
    for column, selection in spec.extra:
        values = index[EXTRA_PREFIX + column]
        if isinstance(selection, tuple) and len(selection) == 2 and all(isinstance(v, (int, float)) for v in selection):
            numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
            with np.errstate(invalid="ignore"):
                keep &= (numeric >= selection[0]) & (numeric <= selection[1])
        elif selection:
            keep &= values.astype(str).isin(selection).to_numpy()
    return keep


def apply_filters(scored: ScoredCohort, spec: FilterSpec, *, index: pd.DataFrame | None = None) -> ScoredCohort:
    """The scored cohort restricted to the patients the selection keeps (no rescoring).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_cohort
    >>> from omalizumab_core.engine.scoring import score_cohort
    >>> scored = score_cohort(demo_cohort())
    >>> apply_filters(scored, FilterSpec(diagnosis=("idiopathic",))).cohort.n_patients
    14
    """
    if spec.is_empty:
        return scored
    index = filter_index(scored) if index is None else index
    # The index rows are the patients table's rows, in order: the mask selects them directly.
    return scored.restrict(filter_mask(index, spec))


def describe(spec: FilterSpec) -> dict[str, str]:
    """The selection in words, for reports and captions: {filter label: levels}."""
    out = {}
    for name, _, _, label in CHOICE_FILTERS:
        levels = getattr(spec, name)
        if levels:
            labels = LEVEL_LABELS.get(name, {})
            out[label] = ", ".join(labels.get(v, v) for v in levels)
    if spec.age_at_treatment is not None:
        out["Age at treatment"] = f"{spec.age_at_treatment[0]:g}–{spec.age_at_treatment[1]:g} years"
    if spec.baseline_categories:
        out["Baseline symptoms include"] = ", ".join(CATEGORY_LABELS[c] for c in spec.baseline_categories)
    if spec.dose_escalation is not None:
        out["Dose increased"] = ESCALATION_LABELS[spec.dose_escalation]
    for column, selection in spec.extra:
        if isinstance(selection, tuple) and len(selection) == 2 and all(isinstance(v, (int, float)) for v in selection):
            out[column] = f"{selection[0]:g}–{selection[1]:g}"
        else:
            out[column] = ", ".join(selection)
    return out or {"Filters": "none (all patients)"}


# --- URL ------------------------------------------------------------------
def spec_to_query(spec: FilterSpec) -> dict[str, str]:
    """The selection as URL query parameters (only the filters that are set)."""
    query = {}
    for name, _, key, _ in CHOICE_FILTERS:
        if getattr(spec, name):
            query[key] = ",".join(getattr(spec, name))
    if spec.age_at_treatment is not None:
        query["age"] = f"{spec.age_at_treatment[0]:g}-{spec.age_at_treatment[1]:g}"
    if spec.baseline_categories:
        query["has"] = ",".join(spec.baseline_categories)
    if spec.dose_escalation is not None:
        query["escalated"] = spec.dose_escalation
    for column, selection in spec.extra:
        if isinstance(selection, tuple) and len(selection) == 2 and all(isinstance(v, (int, float)) for v in selection):
            query[EXTRA_PREFIX + column] = f"{selection[0]:g}-{selection[1]:g}"
        else:
            query[EXTRA_PREFIX + column] = ",".join(selection)
    return query


def spec_from_query(query: dict[str, str], options: dict, *, source: str = "link") -> tuple[FilterSpec, list[Problem]]:
    """Read a selection from URL parameters, keeping only what this cohort offers.

    A level the loaded cohort does not have (a link made on another cohort) is
    dropped with a warning rather than failing the page. A range partly
    outside the cohort's values is narrowed to them, and one wholly outside is
    dropped, each with a warning that says what was changed. ``source`` names
    where the selection came from in those warnings ("link", "saved analysis").

    Examples
    --------
    >>> options = {name: [] for name, _, _, _ in CHOICE_FILTERS}
    >>> options.update(age_at_treatment=(18.0, 93.0), baseline_categories=[], dose_escalation=[], extra={})
    >>> spec, problems = spec_from_query({"age": "200-300"}, options)
    >>> spec.age_at_treatment is None
    True
    >>> print(problems[0].message)
    The link's age range 200–300 years lies outside this cohort's (18–93 years); the age filter was not applied.
    """
    problems: list[Problem] = []
    values: dict = {}

    def levels(key, allowed, label):
        asked = [v for v in str(query.get(key, "")).split(",") if v]
        unknown = [v for v in asked if v not in allowed]
        if unknown:
            problems.append(Problem(WARNING, None, f"The {source} asks for {label} {', '.join(unknown)}, which this cohort does not have; ignored."))
        return tuple(dict.fromkeys(v for v in asked if v in allowed))  # a level named twice is kept once

    for name, _, key, label in CHOICE_FILTERS:
        values[name] = levels(key, options[name], label.lower())
    if "age" in query and options["age_at_treatment"] is not None:
        age = _range(query["age"])
        if age is None:
            problems.append(Problem(WARNING, None, f"The {source}'s age range '{query['age']}' is not of the form 18-60; ignored."))
        else:
            values["age_at_treatment"] = _within(age, options["age_at_treatment"], f"The {source}'s age range", " years", "age filter", problems)
    values["baseline_categories"] = levels("has", options["baseline_categories"], "baseline symptom category")
    if query.get("escalated") in ("yes", "no") and options["dose_escalation"]:
        values["dose_escalation"] = query["escalated"]
    elif "escalated" in query:
        problems.append(Problem(WARNING, None, f"The {source}'s dose-increase filter '{query['escalated']}' is not yes or no, or this cohort has no doses; ignored."))
    extra = []
    for key, text in query.items():
        if not key.startswith(EXTRA_PREFIX):
            continue
        column = key.removeprefix(EXTRA_PREFIX)
        allowed = options["extra"].get(column)
        if isinstance(allowed, tuple):
            bounds = _range(text)
            if bounds is None:
                problems.append(Problem(WARNING, None, f"The {source}'s '{column}' range '{text}' is not of the form 10-20; ignored."))
            else:
                bounds = _within(bounds, allowed, f"The {source}'s '{column}' range", "", f"'{column}' filter", problems)
            if bounds is not None:
                extra.append((column, bounds))
        elif isinstance(allowed, list):
            chosen = levels(key, allowed, column)
            if chosen:
                extra.append((column, chosen))
        elif column == "cohort":  # the cohort column of pooled cohorts (data.cohort_set.COHORT_COLUMN)
            problems.append(Problem(WARNING, None, f"The {source} is for several cohorts pooled, which this session has not loaded "
                                    "(uploaded files are never stored on the server): load each cohort on the Data page, choose "
                                    f"'Pooled (all cohorts)' in the sidebar, then open the {source} again. The Cohort filter was ignored."))
        else:
            problems.append(Problem(WARNING, None, f"The {source} filters on a column '{column}' this cohort does not have; ignored."))
    values["extra"] = tuple(extra)
    return FilterSpec(**values), problems


def _within(asked, bounds, what: str, unit: str, name: str, problems: list) -> tuple[float, float] | None:
    """``asked`` narrowed to ``bounds``; None (filter off) when they do not overlap. Each change is a warning (``what``: "The link's age range")."""
    low, high = float(bounds[0]), float(bounds[1])
    shown = f"{asked[0]:g}–{asked[1]:g}{unit}"
    if asked[1] < low or asked[0] > high:
        problems.append(Problem(WARNING, None, f"{what} {shown} lies outside this cohort's ({low:g}–{high:g}{unit}); the {name} was not applied."))
        return None
    narrowed = (max(asked[0], low), min(asked[1], high))
    if narrowed != tuple(asked):
        problems.append(Problem(WARNING, None, f"{what} {shown} was narrowed to this cohort's values: {narrowed[0]:g}–{narrowed[1]:g}{unit}."))
    return narrowed


def _range(text: str) -> tuple[float, float] | None:
    # "18-60"; a leading minus would be a negative bound, so split on the last "-" after the first character.
    cut = str(text).rfind("-", 1)
    if cut <= 0:
        return None
    try:
        low, high = float(text[:cut]), float(text[cut + 1 :])
    except ValueError:
        return None
    if math.isnan(low) or math.isnan(high):  # "nan-60" parses, but bounds nothing
        return None
    return (min(low, high), max(low, high))
