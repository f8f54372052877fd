"""The MDT candidate as entered on the page: the value itself, its group, and the symptom checklist.

The lowest module of the MDT candidate page: :mod:`candidate` (outcomes,
assessment), :mod:`comparable` (matching) and :mod:`candidate_signals`
(symptoms, safety) build on it. A candidate is a plain value kept in the
browser session only; nothing here adds it to a cohort.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from omalizumab_core.data.codes import CATEGORIES, DIAGNOSES, KIT_STATUSES, SEXES
from omalizumab_core.data.vocabulary import VOCABULARY, canonical_name, category_of
from omalizumab_core.engine.scoring import diagnosis_subgroup

# --- the candidate -----------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """The patient discussed at the MDT meeting (not a cohort patient).

    Attributes
    ----------
    diagnosis : str
        Code of ``codes.DIAGNOSES``.
    kit_d816v : str
        Code of ``codes.KIT_STATUSES``.
    age : float or None
        Age in years, shown beside the comparable patients' ages.
    sex : {"M", "F"} or None
    symptoms : tuple of str
        Symptom names, canonicalised and without duplicates on creation.
    extras : tuple of (str, value) pairs
        Extra characteristics to match on, keys of :data:`EXTRA_CHARACTERISTICS`
        (``("skin_involvement", True)``, ``("baseline_tryptase", 25.0)``);
        only the characteristics given are used.
    """

    diagnosis: str
    kit_d816v: str = "not_evaluated"
    age: float | None = None
    sex: str | None = None
    symptoms: tuple[str, ...] = field(default_factory=tuple)
    extras: tuple[tuple[str, object], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.diagnosis not in DIAGNOSES:
            raise ValueError(f"diagnosis must be one of {', '.join(DIAGNOSES)}, not {self.diagnosis!r}")
        if self.kit_d816v not in KIT_STATUSES:
            raise ValueError(f"KIT D816V status must be one of {', '.join(KIT_STATUSES)}, not {self.kit_d816v!r}")
        if self.sex is not None and self.sex not in SEXES:
            raise ValueError(f"sex must be one of {', '.join(SEXES)} or empty, not {self.sex!r}")
        if self.age is not None and not (0 <= float(self.age) <= 120):
            raise ValueError(f"age must be between 0 and 120 years, not {self.age!r}")
        names = tuple(dict.fromkeys(canonical_name(s) for s in self.symptoms if str(s).strip()))
        object.__setattr__(self, "symptoms", names)
        object.__setattr__(self, "extras", tuple(_checked_extra(k, v) for k, v in dict(self.extras).items() if v is not None))


# Extra characteristics the user may tick: column of the patients table ->
# (label, kind). "yes/no" matches equal values; "tryptase" compares on a log
# scale (see analyses.comparable).
EXTRA_CHARACTERISTICS = {
    "skin_involvement": ("Skin involvement", "yes/no"),
    "maculopapular_cm": ("Maculopapular cutaneous lesions", "yes/no"),
    "decreased_bone_density": ("Decreased bone density", "yes/no"),
    "bone_marrow_involvement": ("Bone marrow involvement", "yes/no"),
    "baseline_tryptase": ("Baseline serum tryptase (ng/mL)", "tryptase"),
}

TRYPTASE_RANGE = (0.1, 10_000.0)
"""Baseline tryptase a candidate may be given, ng/mL (the page's box and the command line's --extra)."""


def _checked_extra(key: str, value) -> tuple[str, object]:
    if key not in EXTRA_CHARACTERISTICS:
        raise ValueError(f"extra characteristic must be one of {', '.join(EXTRA_CHARACTERISTICS)}, not {key!r}")
    label, kind = EXTRA_CHARACTERISTICS[key]
    if kind == "yes/no":
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{label}: give yes (True) or no (False), not {value!r}")
        return key, bool(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not number > 0:
        raise ValueError(f"{label}: give a value above 0, not {value!r}")
    return key, number


def candidate_subgroup(candidate: Candidate) -> str:
    """The candidate's analysis subgroup (ISM, CM, MMAS, idiopathic, ...), by the engine's rule."""
    return str(diagnosis_subgroup(pd.Series([candidate.diagnosis]), pd.Series([candidate.kit_d816v])).iloc[0])


def candidate_group(candidate: Candidate) -> str:
    """"primary" or "idiopathic", by the engine's rule.

    Notes
    -----
    "MCAS [...] can be clonal (if KIT mutation [...] is proven) (MMAS) or non
    clonal": MCAS with KIT D816V positive is MMAS (primary, with the
    mastocytoses); MCAS otherwise is idiopathic.

    Examples
    --------
    >>> candidate_group(Candidate("MCAS", "positive")), candidate_group(Candidate("MCAS", "negative"))
    ('primary', 'idiopathic')
    """
    return "idiopathic" if candidate_subgroup(candidate) == "idiopathic" else "primary"


# --- symptom names -----------------------------------------------------------

def _names_and_codes(symptom: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Distinct symptom names and each row's position among them (one look-up per name)."""
    if isinstance(symptom.dtype, pd.CategoricalDtype):
        return symptom.cat.categories.to_numpy(dtype=object), symptom.cat.codes.to_numpy(dtype=np.int64)
    codes, names = pd.factorize(symptom.astype("object"))
    return np.asarray(names, dtype=object), codes.astype(np.int64)


def _row_symptoms(symptom: pd.Series, wanted: list[str]) -> np.ndarray:
    """Each row's position in ``wanted`` (canonical names), -1 for any other symptom.

    Names are canonicalised once per distinct name, so this costs one pass
    over integer codes even for millions of rows.
    """
    names, codes = _names_and_codes(symptom)
    where = {name: i for i, name in enumerate(wanted)}
    per_name = np.array([where.get(canonical_name(n), -1) for n in names] + [-1], dtype=np.int64)
    return per_name[np.where(codes >= 0, codes, len(names))]


def _row_positions(ids: pd.Series, index: pd.Index) -> np.ndarray:
    """Each row's position in ``index`` (patient ids), -1 for patients not in it."""
    if isinstance(ids.dtype, pd.CategoricalDtype):
        per_category = np.append(index.get_indexer(ids.cat.categories.astype("object")), -1)
        codes = ids.cat.codes.to_numpy(dtype=np.int64)
        return per_category[np.where(codes >= 0, codes, len(per_category) - 1)]
    return index.get_indexer(ids.astype("object"))


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct integers (a sort and a comparison: much faster than np.unique's hashing here)."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def _rows_of(patient_ids: pd.Series, ids) -> np.ndarray:
    """Mask of the rows of a table with one row per patient whose id is in ``ids``."""
    index = pd.Index(patient_ids.astype("object"))
    mask = np.zeros(len(index) + 1, dtype=bool)
    mask[index.get_indexer(pd.Index(ids).astype("object"))] = True
    return mask[:-1]


def symptom_checklist(symptoms: pd.DataFrame | None = None) -> dict[str, list[str]]:
    """Symptoms to choose from, grouped by category code (in ``codes.CATEGORIES`` order).

    Every canonical symptom of the vocabulary, plus the baseline symptoms of
    ``symptoms`` (a cohort's symptoms table) under their canonical name; a
    name outside the vocabulary takes the category the cohort gives it.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_cohort
    >>> symptom_checklist(demo_cohort().symptoms)["headache"]
    ['headache', 'migraine']
    """
    by_category: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    for name, (category, _) in VOCABULARY.items():
        by_category[category].append(name)
    if symptoms is not None and len(symptoms):
        names, codes = _names_and_codes(symptoms["symptom"])
        unknown = [i for i, n in enumerate(names) if category_of(n) is None]
        if unknown:
            rows = symptoms[np.isin(codes, unknown)]
            first = rows.drop_duplicates("symptom")
            for name, category in zip(first["symptom"].astype(str), first["category"].astype(str)):
                name = name.strip()
                target = by_category.setdefault(category if category in by_category else "other", [])
                if name and name not in target:
                    target.append(name)
    return {c: names for c, names in by_category.items() if names}
