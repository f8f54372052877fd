"""Instrument definitions added after the cohort: the loaded questionnaire scores are checked again.

A centre may load its cohort, then notice that a definition was missing a
domain, had a wrong range, or was an older version. Uploading only the
corrected ``.toml`` file(s) re-checks the loaded cohort's ``instrument_scores``
against the loaded definitions and the new ones (a new file for the same
instrument id replaces the old definition), with the same checks as a first
load (:func:`omalizumab_core.data.instrument_validation.check_instrument_scores`).
If a score no longer fits, every problem is reported, located by patient,
instrument, item and month (the row numbers of the original file are not
kept with the loaded cohort), and the caller keeps the cohort as it was.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from omalizumab_core.data.cohort import Cohort
from omalizumab_core.data.instrument_validation import check_instrument_scores
from omalizumab_core.data.instruments import parse_instrument_files
from omalizumab_core.data.problems import ERROR, WARNING, CohortError, Problem
from omalizumab_core.data.validation import _Report

TABLE = "instrument_scores"
ORIGIN = "questionnaire scores of the loaded cohort"


class _LoadedScores:
    """Where a row of the loaded questionnaire table is, in words a doctor can find in the file."""

    name = TABLE
    origin = ORIGIN

    def __init__(self, table: pd.DataFrame) -> None:
        self._rows = table[["patient_id", "instrument", "item", "month"]].astype(object).to_numpy()

    def where(self, position: int) -> str:
        patient, instrument, item, month = self._rows[position]
        when = "no month" if pd.isna(month) else f"month {float(month):g}"
        return f"{ORIGIN}: patient {patient}, instrument {instrument}, item {item}, {when}"

    def column_label(self, column: str) -> str:
        return column


def add_instrument_definitions(cohort: Cohort, files) -> Cohort:
    """The loaded cohort with added or corrected instrument definitions, its questionnaire scores checked again.

    Parameters
    ----------
    cohort : Cohort
        The loaded cohort (not a filtered selection).
    files : sequence of (str, bytes)
        The uploaded definition files (``.toml``, docs/instruments.md).

    Returns
    -------
    Cohort
        The same cohort with ``instruments`` the definitions its scores use
        (a new file for an id already loaded replaces it), and a warning for
        each uploaded definition no score uses.

    Raises
    ------
    CohortError
        When a definition file is wrong (the entry to fix), when the cohort
        has no questionnaire scores, or when a score does not fit the
        definitions (an unknown item, a value out of range ...), each problem
        located by patient, instrument, item and month. The caller keeps the
        previous cohort.

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> text = oc.example_instrument_text().replace("high = 10", "high = 5")
    >>> try:
    ...     add_instrument_definitions(oc.load_cohort("demo"), [("diary.toml", text.encode())])
    ... except oc.CohortError as error:
    ...     print(error.problems[0].where)
    questionnaire scores of the loaded cohort: patient DEMO-001, instrument example_symptom_diary, item itch, month 0
    """
    new = parse_instrument_files(files)
    names = ", ".join(name for name, _ in files)
    table = cohort.instrument_scores
    if table is None:
        raise CohortError([Problem(ERROR, None, "The loaded cohort has no questionnaire scores (instrument_scores table), so there is nothing "
                                   "to check these definitions against: upload them together with the cohort file(s).", where=names)])
    report = _Report()  # the validator's own report: same messages, same cap on repeated rows
    frame = table.reset_index(drop=True)
    checked, used = check_instrument_scores(_LoadedScores(frame), frame, frame["month"].to_numpy(dtype=float),
                                            cohort.patients, {**cohort.instruments, **new}, report)
    errors = [p for p in report.problems if p.severity == ERROR]
    if errors:
        raise CohortError(errors)
    known = {(p.table, p.message) for p in cohort.warnings}
    warnings = [p for p in report.problems if p.severity == WARNING and (p.table, p.message) not in known]
    for ident in sorted(set(new) - set(used)):
        warnings.append(Problem(WARNING, TABLE, f"No questionnaire score of the loaded cohort uses the instrument '{ident}': check its id "
                                "in the definition file against the instrument column.", where=names))
    return dataclasses.replace(cohort, instrument_scores=checked, instruments=used, warnings=[*cohort.warnings, *warnings])
