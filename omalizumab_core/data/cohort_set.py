"""Several named cohorts in one session, and their union (issue 20, part 1).

A :class:`CohortSet` holds each loaded cohort once, under a name (the file
name by default). :func:`pool_cohorts` builds their union: one cohort whose
patients table has a ``cohort`` column naming each patient's cohort, and
whose patient identifiers stay apart when two cohorts use the same one
(written "cohort name / identifier", with a warning saying how many). The
set keeps its pooled cohort once per set of members (built on first use),
so switching between "one cohort", "compare" and "pooled" copies nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from omalizumab_core.data.cohort import LONG_TABLES, Cohort, patient_positions
from omalizumab_core.data.problems import WARNING, CohortError, Problem

COHORT_COLUMN = "cohort"
ID_SEPARATOR = " / "


UNRECORDED_COUNT_AS_NONE = {"adverse_events": "adverse events", "anaphylaxis": "anaphylaxis episodes"}
"""Optional tables whose absence the analyses read as "none" (a patient without rows had no event)."""


def pooled_id(cohort_name: str, patient_id: str) -> str:
    """The identifier a patient gets in the pooled cohort when its own is used by another cohort."""
    return f"{cohort_name}{ID_SEPARATOR}{patient_id}"


def pool_cohorts(cohorts: Mapping[str, Cohort]) -> Cohort:
    """The union of several named cohorts, with a ``cohort`` column on the patients table.

    Parameters
    ----------
    cohorts : mapping of str to Cohort
        The cohorts by name, in the order the tables should list them. Names
        must be distinct and not blank.

    Returns
    -------
    Cohort
        Every patient of every cohort, in order. ``patients`` has a
        ``cohort`` column (str, the cohort's name). A patient identifier used
        by more than one cohort becomes "cohort name / identifier" in every
        cohort that uses it (identifiers used once are unchanged); the
        pooled cohort's ``warnings`` then say how many identifiers collided.
        Long tables are stacked with ``patient_id`` renumbered as a
        categorical over the pooled identifiers (no text is re-hashed).
        Optional tables absent from a cohort contribute no rows.

    Raises
    ------
    CohortError
        When no cohort is given, or a name is blank or repeated.

    Notes
    -----
    The inputs are not modified. A column named ``cohort`` already in a
    cohort's patients table is replaced by the cohort's name (with a
    warning). Instrument definitions are merged by id (the first cohort's
    definition is kept).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_cohort
    >>> demo = demo_cohort()
    >>> pooled = pool_cohorts({"Centre A": demo, "Centre B": demo})
    >>> pooled.n_patients, sorted(pooled.patients["cohort"].unique())
    (110, ['Centre A', 'Centre B'])
    >>> pooled.patients["patient_id"].iloc[0]
    'Centre A / DEMO-001'
    >>> print(pooled.warnings[0].message.split(";")[0])
    55 patient identifiers are used in more than one cohort (for example DEMO-001)
    """
    names = list(cohorts)
    problems = _name_problems(names)
    if problems:
        raise CohortError(problems)
    members = [cohorts[name] for name in names]
    ids = [m.patients["patient_id"].astype(str).to_numpy(dtype=object) for m in members]
    all_ids = pd.Series(np.concatenate(ids) if ids else np.array([], dtype=object), dtype=object)
    counts = all_ids.value_counts()
    # An id "collides" when two cohorts use it (a repeat within one cohort cannot pass validation).
    owners = pd.Series(np.repeat(np.arange(len(members)), [len(i) for i in ids]), dtype="int64")
    per_id = pd.DataFrame({"id": all_ids, "owner": owners}).drop_duplicates().groupby("id", sort=False).size()
    colliding = set(per_id.index[per_id > 1])
    new_ids = [np.array([pooled_id(name, i) if i in colliding else i for i in id_list], dtype=object) if colliding else id_list for name, id_list in zip(names, ids)]
    pooled_ids = pd.Index(np.concatenate(new_ids) if new_ids else [], dtype=object)
    if not pooled_ids.is_unique:  # "A / 1" written by hand in another cohort: name every id after its cohort
        new_ids = [np.array([pooled_id(name, i) for i in id_list], dtype=object) for name, id_list in zip(names, ids)]
        pooled_ids = pd.Index(np.concatenate(new_ids), dtype=object)
        colliding = set(counts.index)
    warnings: list[Problem] = []
    if colliding:
        example = sorted(colliding, key=str)[0]
        warnings.append(Problem(
            WARNING, "patients",
            f"{len(colliding):,} patient identifier{'s are' if len(colliding) != 1 else ' is'} used in more than one cohort (for example {example}); "
            f"in the pooled cohorts they are written \"cohort name{ID_SEPARATOR}identifier\" (e.g. {pooled_id(names[0], example)}) "
            "so that different patients are never merged",
            column="patient_id",
        ))
    for k, (name, member) in enumerate(zip(names, members)):
        twin = next((other for other, m in zip(names[:k], members[:k]) if m is member or m.patients.equals(member.patients)), None)
        if twin is not None:  # the same file loaded twice: pooled, its patients would count twice
            warnings.append(Problem(
                WARNING, "patients",
                f"The cohorts {twin} and {name} have the same patients table (the same file loaded twice?); "
                f"pooled, these patients count twice: remove one of them in 'Loaded cohorts'",
                column="patient_id",
            ))
    unrecorded = {}
    for table, label in UNRECORDED_COUNT_AS_NONE.items():
        missing = [(name, m.n_patients) for name, m in zip(names, members) if getattr(m, table) is None]
        if missing and len(missing) < len(members):
            unrecorded[table] = tuple(name for name, _ in missing)
            listed = ", ".join(f"{name} ({n:,} patients)" for name, n in missing)
            warnings.append(Problem(
                WARNING, table,
                f"No {label} table in {listed}: the pooled {label} rates count only the cohorts that recorded them "
                f"(a patient of {listed} is not counted as having had none)",
            ))
    patients = []
    for name, member, new in zip(names, members, new_ids):
        table = member.patients.copy()
        if COHORT_COLUMN in table.columns:
            warnings.append(Problem(WARNING, "patients", f"The cohort {name} has its own column named '{COHORT_COLUMN}'; "
                                    "in the pooled cohorts it is replaced by the cohort's name", column=COHORT_COLUMN))
        table["patient_id"] = pd.array(new, dtype=member.patients["patient_id"].dtype)
        table[COHORT_COLUMN] = pd.array([name] * len(table), dtype=member.patients["patient_id"].dtype)
        patients.append(table)
    pooled_patients = pd.concat(patients, ignore_index=True)
    long = {table: _stack(table, members, pooled_ids) for table in LONG_TABLES}
    instruments: dict = {}
    for member in members:
        for key, definition in member.instruments.items():
            instruments.setdefault(key, definition)
    return Cohort(
        patients=pooled_patients,
        **long,
        source="Pooled cohorts: " + ", ".join(names),
        warnings=warnings,
        synthetic=any(m.synthetic for m in members),
        instruments=instruments,
        unrecorded=unrecorded,
    )


def _name_problems(names: list) -> list[Problem]:
    if not names:
        return [Problem("error", None, "No cohort to pool: load at least one cohort")]
    problems = []
    seen = set()
    for name in names:
        if not isinstance(name, str) or not name.strip():
            problems.append(Problem("error", None, "A cohort has no name: give every cohort a name"))
        elif name in seen:
            problems.append(Problem("error", None, f"Two cohorts are named {name}: give each cohort its own name"))
        seen.add(name)
    return problems


def _stack(name: str, members: list[Cohort], pooled_ids: pd.Index) -> pd.DataFrame | None:
    """One long table of every member, patient_id as a categorical over the pooled ids."""
    frames, codes = [], []
    offset = 0
    for member in members:
        frame = getattr(member, name)
        if frame is not None:
            position = patient_positions(frame["patient_id"], member.patients)
            codes.append(np.where(position >= 0, position + offset, -1))
            frames.append(frame)
        offset += len(member.patients)
    if not frames:
        return None
    columns = list(dict.fromkeys(c for f in frames for c in f.columns))
    out = {}
    for column in columns:
        if column == "patient_id":
            out[column] = pd.Categorical.from_codes(np.concatenate(codes), categories=pooled_ids)
            continue
        parts = [f[column] if column in f.columns else pd.Series([pd.NA] * len(f), dtype=object) for f in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            out[column] = union_categoricals([p.array for p in parts])
        else:
            out[column] = pd.concat([p.reset_index(drop=True) for p in parts], ignore_index=True)
    return pd.DataFrame(out)


class CohortSet:
    """Named cohorts held once each, in the order they were added, and their pooled union.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_cohort
    >>> cohorts = CohortSet()
    >>> cohorts.add("Demo", demo_cohort())
    'Demo'
    >>> cohorts.add("Demo", demo_cohort())  # a name in use gets a number
    'Demo (2)'
    >>> cohorts.names, cohorts.pooled().n_patients
    (['Demo', 'Demo (2)'], 110)
    """

    def __init__(self) -> None:
        self._cohorts: dict[str, Cohort] = {}
        self._pooled: tuple | None = None  # (names and ids of the members, pooled cohort)

    @property
    def names(self) -> list[str]:
        return list(self._cohorts)

    def __len__(self) -> int:
        return len(self._cohorts)

    def __getitem__(self, name: str) -> Cohort:
        return self._cohorts[name]

    def __contains__(self, name) -> bool:
        return name in self._cohorts

    def items(self):
        return self._cohorts.items()

    def free_name(self, wanted: str) -> str:
        """``wanted`` (trimmed), or with " (2)", " (3)"... when a cohort already has that name."""
        base = (wanted or "").strip() or "Cohort"
        name, k = base, 2
        while name in self._cohorts:
            name, k = f"{base} ({k})", k + 1
        return name

    def add(self, name: str, cohort: Cohort) -> str:
        """Add a cohort; returns the name it got (see :meth:`free_name`)."""
        name = self.free_name(name)
        self._cohorts[name] = cohort
        return name

    def replace(self, name: str, cohort: Cohort) -> None:
        """Put ``cohort`` in the place of the cohort named ``name`` (same name, same place), e.g. after new definitions.

        Raises
        ------
        KeyError
            When no cohort has that name.
        """
        if name not in self._cohorts:
            raise KeyError(name)
        self._cohorts[name] = cohort
        self._pooled = None  # the union held the replaced cohort's rows

    def remove(self, name: str) -> None:
        self._cohorts.pop(name, None)
        self._pooled = None  # the union held the removed cohort's rows

    def rename(self, old: str, new: str) -> str:
        """Rename a cohort, keeping its place; returns the name it got."""
        new = (new or "").strip()
        if old not in self._cohorts or new == old or not new:
            return old
        new = self.free_name(new)
        self._cohorts = {(new if name == old else name): cohort for name, cohort in self._cohorts.items()}
        return new

    def release_pooled(self) -> None:
        """Forget the pooled cohort (built again on the next :meth:`pooled`): one cohort analysed needs no union."""
        self._pooled = None

    def pooled(self) -> Cohort:
        """The union of the cohorts (:func:`pool_cohorts`), built once per set of names and cohorts."""
        key = list(self._cohorts.items())
        if self._pooled is None or [n for n, _ in self._pooled[0]] != [n for n, _ in key] or any(a is not b for (_, a), (_, b) in zip(self._pooled[0], key)):
            self._pooled = None  # free the old union before building the new one
            self._pooled = (key, pool_cohorts(self._cohorts))
        return self._pooled[1]
