"""The validated cohort every analysis takes.

A :class:`Cohort` is what the loader returns once a file passes validation:
typed tables in the data contract's column names (see docs/data-format.md).

Column types after loading
--------------------------
patients
    patient_id (str), sex ("M"/"F" or NA), diagnosis (code of
    ``codes.DIAGNOSES``), kit_d816v (code of ``codes.KIT_STATUSES``; blank is
    read as "not_evaluated"), age_at_diagnosis, age_at_treatment (float years),
    center (str or NA), treatment_start (datetime64 or NaT),
    treatment_end_month (float months since first injection; NaN = still
    treated), end_reason (code of ``codes.END_REASONS``; "ongoing" when still
    treated), last_follow_up_month (float or NaN), baseline_tryptase,
    baseline_total_ige (float), prior_therapies (str, ";"-separated, or NA),
    the optional yes/no characteristics as pandas "boolean", and any extra
    column as the user gave it.
symptoms
    patient_id (str), symptom (str, as written by the user, trimmed),
    month (float, 0 = baseline), score (float in ``codes.ALLOWED_SCORES``),
    category (code of ``codes.CATEGORIES``).
doses
    patient_id, month (float), dose_mg (float), interval_days (float).
adverse_events
    patient_id, month (float), event (str), severity (code or NA),
    serious, flare, led_to_discontinuation (pandas "boolean").
labs
    patient_id, month (float), analyte ("tryptase"/"total_ige"), value (float).
anaphylaxis
    patient_id, month (float, negative before the first injection), grade
    (code of ``codes.ANAPHYLAXIS_GRADES`` or NA), epinephrine (pandas
    "boolean"), trigger (str or NA).
instrument_scores
    patient_id, instrument (lower-case id of a definition in
    ``Cohort.instruments``), item (lower-case item id, domain id or "total"),
    month (float, 0 = baseline), value (float, within the item's range).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from omalizumab_core.data.problems import Problem

OPTIONAL_TABLES = ("doses", "adverse_events", "labs", "anaphylaxis", "instrument_scores")
LONG_TABLES = ("symptoms", *OPTIONAL_TABLES)
TABLES = ("patients", *LONG_TABLES)


class LazyTables:
    """Tables of a selection built on first access, not when the selection is made.

    A filter change builds a new selection on every rerun; copying the
    13-million-row symptoms table for a page that never reads it would cost
    most of the rerun. A selection stores, for each table not built yet, a
    function that builds it; the first access builds and keeps it. Pickling
    and copying build every table first.
    """

    def __getattr__(self, name: str):
        # Only called when normal look-up fails, i.e. for a table not built yet.
        pending = self.__dict__.get("_pending")
        if pending is not None and name in pending:
            value = pending.pop(name)()
            object.__setattr__(self, name, value)  # frozen dataclass: set once, like __init__ does
            return value
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def built_table(self, name: str) -> pd.DataFrame | None:
        """Table ``name`` without building it: this selection's if built, else the one it was selected from.

        The rows of this selection's patients are the same in both, so code
        that reads one patient's rows can use it and never copy a whole
        table (one patient's course out of 13 million symptom rows).
        """
        holder = self
        while name in (holder.__dict__.get("_pending") or ()):
            holder = holder.__dict__["_parent"]
        return getattr(holder, name)

    def __getstate__(self):
        for name in list(self.__dict__.get("_pending") or ()):
            getattr(self, name)
        state = dict(self.__dict__)
        state.pop("_pending", None)
        state.pop("_parent", None)
        return state


def patient_positions(ids: pd.Series, patients: pd.DataFrame) -> np.ndarray:
    """Position of each row's patient in ``patients`` (-1 if absent), as int64.

    The one shared look-up of long-table rows to patients. The validator
    stores ``patient_id`` in the long tables as a categorical whose categories
    are the patients table's ids in order, and a selection keeps those
    categories: then this is the categorical's codes, with no string hashed.
    For a selection's smaller patients table, the categories are looked up
    once (then remembered for that patients table) and the codes carried
    over; plain text costs one look-up per row.
    """
    if not isinstance(ids.dtype, pd.CategoricalDtype):
        return pd.Index(patients["patient_id"]).get_indexer(ids)
    categories = ids.cat.categories
    codes = ids.array.codes  # a view: .cat.codes copies into a new Series
    lookup = _category_lookup(categories, patients)
    return codes.astype(np.int64) if lookup is None else lookup[codes]


# id(object) -> (weak reference to it, its memory); an entry goes when its object does.
# (A WeakKeyDictionary cannot hold DataFrames: they are unhashable, so the
# look-ups below were never remembered.)
_MEMORIES: dict[int, tuple] = {}


def memory_of(obj) -> dict:
    """A dict kept as long as ``obj`` lives (empty and not kept if ``obj`` cannot be weakly referenced).

    For results derived from one table (a DataFrame is not hashable, so it
    cannot key a ``WeakKeyDictionary``). Nothing outlives the table, which
    the dashboard keeps in the browser session only.
    """
    key = id(obj)
    entry = _MEMORIES.get(key)
    if entry is None or entry[0]() is not obj:
        try:
            reference = weakref.ref(obj, lambda _, key=key: _MEMORIES.pop(key, None))
        except TypeError:
            return {}
        entry = _MEMORIES[key] = (reference, {})
    return entry[1]


def _category_lookup(categories: pd.Index, patients: pd.DataFrame) -> np.ndarray | None:
    """Position in ``patients`` of each category (then -1 for code -1), or None when they are the same ids."""
    known = memory_of(patients).setdefault("patient_positions", {})
    found = known.get(id(categories))
    if found is not None and found[0] is categories:
        return found[1]
    index = pd.Index(patients["patient_id"])
    if len(categories) == len(index) and categories.equals(index):
        lookup = None
    else:
        lookup = np.append(index.get_indexer(categories), -1)  # code -1 (missing) -> -1
    known[id(categories)] = (categories, lookup)
    return lookup


def restrict_rows(frame: pd.DataFrame, keep: np.ndarray, patients: pd.DataFrame) -> pd.DataFrame:
    """Rows of a long table whose patient is kept.

    ``keep`` is a boolean array over the rows of ``patients``, the patients
    table of the cohort ``frame`` belongs to. Row order and the patient_id
    categories are unchanged.
    """
    position = patient_positions(frame["patient_id"], patients)
    return frame[np.append(keep, False)[position]]


def mask_of(patients: pd.DataFrame, patient_ids) -> np.ndarray:
    """Boolean mask over ``patients`` rows: True for the ids given."""
    return pd.Index(patients["patient_id"]).isin(pd.Index(patient_ids))


@dataclass(frozen=True, eq=False)
class Cohort(LazyTables):
    """A loaded, validated cohort.

    Attributes
    ----------
    patients, symptoms : DataFrame
        Required tables.
    doses, adverse_events, labs, anaphylaxis, instrument_scores : DataFrame or None
        Optional tables; None when the file did not have them.
    instruments : dict
        Definitions of the instruments the cohort's ``instrument_scores``
        uses, by id (:class:`omalizumab_core.data.instruments.InstrumentDefinition`).
    source : str
        Where the data came from, for display ("demo cohort (synthetic)",
        "upload: cohort.xlsx").
    warnings : list of Problem
        Non-blocking problems found while loading.
    synthetic : bool
        True for generated cohorts, which every view labels as synthetic.
    unrecorded : dict
        For pooled cohorts (:func:`~omalizumab_core.data.cohort_set.pool_cohorts`):
        ``{table: (cohort names,)}`` of the event tables (adverse events,
        anaphylaxis) some of the pooled cohorts did not record, so that their
        patients are left out of those tables' rates rather than counted as
        having had no event. Empty otherwise.
    """

    patients: pd.DataFrame
    symptoms: pd.DataFrame
    doses: pd.DataFrame | None = None
    adverse_events: pd.DataFrame | None = None
    labs: pd.DataFrame | None = None
    anaphylaxis: pd.DataFrame | None = None
    instrument_scores: pd.DataFrame | None = None
    source: str = ""
    warnings: list[Problem] = field(default_factory=list)
    synthetic: bool = False
    instruments: dict = field(default_factory=dict)
    unrecorded: dict = field(default_factory=dict)

    @property
    def n_patients(self) -> int:
        return len(self.patients)

    def table(self, name: str) -> pd.DataFrame | None:
        """A table by its data-contract name."""
        if name not in TABLES:
            raise KeyError(f"unknown table {name!r}; tables are {', '.join(TABLES)}")
        return getattr(self, name)

    def subset(self, patient_ids) -> "Cohort":
        """The same cohort restricted to some patients (for filters)."""
        return self.restrict(mask_of(self.patients, patient_ids))

    def restrict(self, keep: np.ndarray) -> "Cohort":
        """The same cohort restricted to the patients where ``keep`` is True.

        ``keep`` is a boolean array over the patients table's rows. Rows keep
        their order; the long tables are built on first access (see
        :class:`LazyTables`).
        """
        keep = np.asarray(keep, dtype=bool)
        if len(keep) != len(self.patients):
            raise ValueError(f"keep has {len(keep)} values for {len(self.patients)} patients")
        patients = self.patients[keep]
        unbuilt = self.__dict__.get("_pending") or {}
        pending = {
            name: (lambda name=name: restrict_rows(getattr(self, name), keep, self.patients))
            for name in LONG_TABLES
            if name in unbuilt or self.__dict__.get(name) is not None
        }
        subset = object.__new__(Cohort)
        subset.__dict__.update(
            patients=patients,
            source=self.source,
            warnings=self.warnings,
            synthetic=self.synthetic,
            instruments=self.instruments,
            unrecorded=self.unrecorded,
            _pending=pending,
            _parent=self,
            **{name: None for name in LONG_TABLES if name not in pending},
        )
        return subset


# Optional tables have no class-level default, so that an unbuilt table of a
# selection reaches LazyTables.__getattr__ (the generated __init__ keeps its
# defaults of None).
for _name in OPTIONAL_TABLES:
    delattr(Cohort, _name)
del _name

def month_ranks(month: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank of each month among the distinct months, and the distinct months sorted.

    Hashing the months (a few hundred distinct values at most) is cheaper
    than sorting the rows; the distinct months are then sorted and the codes
    renamed through a small table (pandas' own ``sort=True`` re-codes the
    13 million rows through a slower take). Ranks are int32 (a month rank
    never needs more); a NaN month has rank -1.
    """
    codes, uniques = pd.factorize(month)
    uniques = np.asarray(uniques, dtype="float64")
    order = np.argsort(uniques, kind="stable")
    rank = np.empty(len(uniques) + 1, dtype=np.int32)
    rank[order] = np.arange(len(uniques), dtype=np.int32)
    rank[-1] = -1  # code -1 (NaN) stays -1
    return rank[codes], uniques[order]
