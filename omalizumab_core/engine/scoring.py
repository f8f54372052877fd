"""The symptom-score response engine of Lemal et al. (2019).

Every rule of the paper's "Efficacy assessment" lives in this module, with the
paper's wording, so a reviewer can check the code against the text in one place.

Methods, "Efficacy assessment: symptoms improvement":
    "We collected all symptoms present before treatment, and attributed the
    number 1 for all existing symptoms at baseline. [...] we established a
    'symptom score' summing up the response for each symptom under omalizumab
    therapy: 1.5 worsening of the symptom; 1 no change; 0.75 slight
    improvement; 0.5 substantial improvement; 0.25 dramatic improvement;
    0 complete disappearance of the symptom."

Methods, "Efficacy assessment: depth of response":
    "A complete response (CR) was defined as the resolution of all preexisting
    symptoms. A major response (MR) was defined as a decrease superior to 50%
    of preexisting symptoms, according to symptom score. A partial response
    (PR) was defined as a decrease of 10% to 50% [...]. Absence of response was
    defined as a decrease of less than 10% [...], or worsening of preexisting
    symptoms or apparition of new symptoms."

Exact arithmetic
    Scores are whole quarters (0, 0.25, ..., 1.5), so the engine counts in
    integer quarter units: with B baseline symptoms the baseline score is 4B
    quarters and the decrease D = 4B - S. Then MR is 2D > 4B, PR is
    10D >= 4B and 2D <= 4B, NR is 10D < 4B: integer comparisons, so a decrease
    of exactly 10 % or 50 % is PR whatever floating point would make of
    ``1 - 9/10``.

Speed
    The score at month m is the baseline plus the sum of every change recorded
    up to m, so one sort and two cumulative sums score every assessment of
    every patient at once (no per-patient Python loop); see ``_assessments``.
    The sort is skipped when the rows are already in patient, symptom and
    month order (the validator lists symptoms alphabetically so that a sorted
    file stays sorted), and visits are numbered through a dense patient x
    month table rather than a second sort.

Why one module of more than 600 lines: the rule (per-symptom scores, the
symptom score, CR/MR/PR/NR, best response, status at last follow-up) is read
as one piece when checking it against the paper; splitting it would scatter
the clinical rule across files for no gain in clarity.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from omalizumab_core.data.row_order import rows_in_order
from omalizumab_core.data.codes import QUARTERS_PER_POINT, RESPONSES, WORSE_QUARTERS, WORSENING_RULES
from omalizumab_core.data.cohort import Cohort, LazyTables, mask_of, month_ranks, patient_positions, restrict_rows

# Category ranks, worst to best; the public tables use the codes.
_NR, _PR, _MR, _CR = 0, 1, 2, 3
_RANK_TO_CODE = np.array(["NR", "PR", "MR", "CR"], dtype=object)

PRIMARY_DIAGNOSES = ("ISM", "SSM", "CM", "SM-AHN", "ASM", "MCL", "other")

ASSESSMENT_COLUMNS = [
    "patient_id",
    "month",
    "score",
    "baseline_score",
    "decrease_pct",
    "worsened_symptoms",
    "new_symptoms",
    "category",
]
OUTCOME_COLUMNS = [
    "patient_id",
    "diagnosis",
    "subgroup",
    "group",
    "baseline_symptoms",
    "n_assessments",
    "best_response",
    "best_decrease_pct",
    "months_to_first_response",
    "months_to_best_response",
    "sustained_3_months",
    "last_assessment_month",
    "last_category",
    "status_at_last_follow_up",
    "still_treated",
    "months_on_treatment",
]


@dataclass(frozen=True, eq=False)
class ScoredCohort(LazyTables):
    """A cohort with every assessment categorised and every patient summarised.

    Attributes
    ----------
    cohort : Cohort
        The cohort that was scored.
    assessments : DataFrame
        One row per patient and on-treatment assessment month (see
        :func:`score_assessments`).
    outcomes : DataFrame
        One row per patient (see :func:`patient_outcomes`), in the order of
        the patients table.
    worsening_rule : str
        The rule used ("any_symptom" or "total_score").

    Notes
    -----
    A selection (:meth:`restrict`, :meth:`subset`) shares its scored cohort's
    results: per-patient tables that do not depend on the selection are
    computed once on the whole scored cohort (:meth:`per_patient`) and each
    selection takes its patients' rows.
    """

    cohort: Cohort
    assessments: pd.DataFrame
    outcomes: pd.DataFrame
    worsening_rule: str

    def subset(self, patient_ids) -> "ScoredCohort":
        """Restrict to some patients without rescoring (filters are subsets)."""
        return self.restrict(mask_of(self.cohort.patients, patient_ids))

    def restrict(self, keep: np.ndarray) -> "ScoredCohort":
        """Restrict to the patients where ``keep`` (boolean, over the patients table's rows) is True.

        Nothing is rescored: the per-patient results are subset, and the
        assessments and long tables are built on first access.
        """
        keep = np.asarray(keep, dtype=bool)
        cohort = self.cohort.restrict(keep)
        root, root_keep = self._root_selection()
        if root_keep is None:
            root_keep = keep
        else:
            root_keep = root_keep.copy()
            root_keep[root_keep] = keep
        selection = object.__new__(ScoredCohort)
        selection.__dict__.update(
            cohort=cohort,
            outcomes=self.outcomes[keep],
            worsening_rule=self.worsening_rule,
            _pending={"assessments": lambda: restrict_rows(self.assessments, keep, self.cohort.patients)},
            _parent=self,
            _root=root,
            _root_keep=root_keep,
        )
        return selection

    def _root_selection(self) -> tuple["ScoredCohort", np.ndarray | None]:
        """The whole scored cohort this one was selected from, and the mask over its patients."""
        root = self.__dict__.get("_root")
        return (self, None) if root is None else (root, self.__dict__["_root_keep"])

    @property
    def whole_cohort(self) -> "ScoredCohort":
        """The whole scored cohort this selection was taken from (the cohort itself when it is not a selection)."""
        return self._root_selection()[0]

    def per_patient(self, key: str, compute: Callable[["ScoredCohort"], pd.DataFrame], *, code: str = "code") -> pd.DataFrame:
        """A per-patient table computed once per scored cohort, restricted to this selection.

        Parameters
        ----------
        key : str
            Name of the table (one computation per key and scored cohort).
        compute : callable
            ``compute(whole_scored_cohort)`` returns a DataFrame with a
            column ``code``: the position of each row's patient in the whole
            cohort's patients table. Its rows must depend only on their own
            patient, never on which other patients are selected.
        code : str
            The name of that column.

        Returns
        -------
        DataFrame
            The rows of this selection's patients, in the computed order,
            with ``code`` renumbered to positions in this selection's
            patients table.

        Notes
        -----
        The cache lives on the scored cohort itself, which the dashboard
        keeps in the browser session (``st.session_state``): nothing is
        shared between sessions.
        """
        root, keep = self._root_selection()
        table = _memoised(root, key, compute)
        if keep is None:
            return table.copy(deep=False)  # copy-on-write: the kept table cannot be changed through it
        # Code -1 (a row of no patient of the table) is never part of a selection.
        position = np.append(np.where(keep, np.cumsum(keep) - 1, -1), -1)[table[code].to_numpy(dtype=np.int64)]
        rows = position >= 0
        return table[rows].assign(**{code: position[rows]})

    def per_patient_rows(self, key: str, compute: Callable[["ScoredCohort"], pd.DataFrame], *, code: str = "code") -> tuple[pd.DataFrame, np.ndarray | None]:
        """The whole cohort's :meth:`per_patient` table and which of its rows are this selection's.

        For a caller that only counts or aggregates a few columns: a boolean
        mask over the table's rows (None when every patient is selected)
        instead of a copy of the selected rows of every column. ``code``
        keeps the whole cohort's patient positions. The table is shared:
        read it, do not change it.
        """
        root, keep = self._root_selection()
        table = _memoised(root, key, compute)
        if keep is None:
            return table, None
        return table, np.append(keep, False)[table[code].to_numpy()]  # code -1 (no patient) is never selected

    def per_selection(self, key: str, compute: Callable[["ScoredCohort"], pd.DataFrame]) -> pd.DataFrame:
        """``compute(self)``, once for this selection: a table of the selected patients that several
        analyses of one page ask for. A new filter makes a new selection, which computes it anew."""
        return _memoised(self, f"selection.{key}", compute).copy(deep=False)  # copy-on-write: the kept table stays as computed

    def per_patient_values(self, key: str, compute: Callable[["ScoredCohort"], np.ndarray]) -> np.ndarray:
        """Like :meth:`per_patient` for an array with one entry (or row) per patient of the patients table."""
        root, keep = self._root_selection()

        def values_of(whole: "ScoredCohort") -> np.ndarray:
            values = np.asarray(compute(whole))
            values.flags.writeable = False  # shared by every selection
            return values

        values = _memoised(root, key, values_of)
        return values if keep is None else values[keep]


_KEY_LOCKS: "weakref.WeakKeyDictionary[ScoredCohort, dict[str, threading.Lock]]" = weakref.WeakKeyDictionary()
_KEY_LOCKS_GUARD = threading.Lock()


def _memoised(root: ScoredCohort, key: str, compute: Callable[[ScoredCohort], object]):
    """``compute(root)``, once per scored cohort and key, kept on the scored cohort.

    One lock per key: when the dashboard prepares a large cohort's tables in
    the background (``analyses.prepare``), a page asking for a table being
    prepared waits for it instead of computing it a second time. Locks live
    beside the scored cohort, not in it, so it can still be copied and
    pickled.
    """
    memo = root.__dict__.setdefault("_memo", {})
    if key in memo:
        return memo[key]
    with _KEY_LOCKS_GUARD:
        lock = _KEY_LOCKS.setdefault(root, {}).setdefault(key, threading.Lock())
    with lock:
        if key not in memo:  # not computed meanwhile by another thread
            memo[key] = compute(root)
    return memo[key]


def score_cohort(cohort: Cohort, *, worsening_rule: str = "any_symptom") -> ScoredCohort:
    """Score every assessment and summarise every patient of a cohort.

    Parameters
    ----------
    cohort : Cohort
        A validated cohort.
    worsening_rule : {"any_symptom", "total_score"}
        "any_symptom" (default, the paper's wording): an assessment where any
        baseline symptom is worse than at baseline (scored 1.5) is no
        response. "total_score": judge on the total symptom score only.

    Returns
    -------
    ScoredCohort

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_cohort
    >>> scored = score_cohort(demo_cohort())
    >>> scored.outcomes["best_response"].value_counts().reindex(["CR", "MR", "PR", "NR"]).tolist()
    [1, 30, 12, 12]
    """
    assessments = score_assessments(cohort.symptoms, cohort.patients, worsening_rule=worsening_rule)
    outcomes = patient_outcomes(cohort.patients, assessments, baseline_symptom_counts(cohort.symptoms))
    return ScoredCohort(cohort, assessments, outcomes, worsening_rule)


def score_assessments(
    symptoms: pd.DataFrame,
    patients: pd.DataFrame,
    *,
    worsening_rule: str = "any_symptom",
) -> pd.DataFrame:
    """Symptom score and response category at every on-treatment assessment.

    Parameters
    ----------
    symptoms : DataFrame
        Long table with patient_id, symptom, month, score.
    patients : DataFrame
        Must hold patient_id and treatment_end_month (NaN = still treated).
    worsening_rule : {"any_symptom", "total_score"}

    Returns
    -------
    DataFrame
        One row per patient and assessment month m > 0, sorted by patient and
        month, with columns patient_id, month, score (symptom score S(m), in
        points), baseline_score (B, the number of baseline symptoms),
        decrease_pct (100 (B - S) / B, for display only), worsened_symptoms
        (baseline symptoms scored 1.5 at m), new_symptoms (symptoms absent at
        baseline and present, score > 0, at m) and category (CR/MR/PR/NR).

    Notes
    -----
    - An assessment month is any month > 0 at which the patient has a
      recorded row. Assessments after ``treatment_end_month`` are ignored.
    - "attributed the number 1 for all existing symptoms at baseline": the
      baseline symptoms are the patient's month-0 rows; B is their number.
    - Each baseline symptom's value at m is its latest recorded value at or
      before m, carried forward from the baseline 1; S(m) is their sum.
    - A later row for a symptom absent at baseline is a new symptom, present
      from a row scoring > 0 until a row scoring 0 (carried forward too).
    - Category: NR if a new symptom is present ("apparition of new
      symptoms"), or under the default rule if any baseline symptom is worse
      ("worsening of preexisting symptoms"); otherwise CR if S(m) = 0
      ("resolution of all preexisting symptoms"), MR if the decrease
      (B - S)/B > 50 %, PR if 10 % <= decrease <= 50 %, NR below 10 %.
    """
    if worsening_rule not in WORSENING_RULES:
        raise ValueError(f"worsening_rule must be one of {WORSENING_RULES}, not {worsening_rule!r}")
    rows = _on_treatment_rows(symptoms, patients)
    return _assessments(rows, patients["patient_id"], worsening_rule)


def patient_codes(ids: pd.Series, patients: pd.DataFrame) -> np.ndarray:
    """Position of each row's patient in the patients table (-1 if unknown).

    The same as :func:`~omalizumab_core.data.cohort.patient_positions` (kept for
    the modules that import it under this name).
    """
    return patient_positions(ids, patients)


def _on_treatment_rows(symptoms: pd.DataFrame, patients: pd.DataFrame) -> dict:
    """Symptom rows as integer codes and quarters, without off-treatment assessments.

    Memory (the peak of scoring is the peak of loading and scoring, issue 21):
    rows are selected before the codes and quarters are built, symptom codes
    keep their categorical's small integer type and quarters fit 16 bits
    (scores are validated multiples of 0.25 from 0 to 1.5), so no full-size
    64-bit copy is made only to be subset.
    """
    p = patient_positions(symptoms["patient_id"], patients)
    if len(patients) < 2**31 - 1:
        p = p.astype(np.int32)  # half the memory of every per-row patient array below; widened where packed
    month = symptoms["month"].to_numpy(dtype="float64")
    end = patients["treatment_end_month"].to_numpy(dtype="float64")
    # "Treatment was given as long as it was effective": an assessment after
    # the last injection no longer judges omalizumab. A row without a month
    # cannot be placed in time.
    keep = (p >= 0) & ~(end[np.maximum(p, 0)] < month) & ~np.isnan(month)
    every = bool(keep.all())
    if not every:
        p, month = p[keep], month[keep]
    symptom = symptoms["symptom"]
    if isinstance(symptom.dtype, pd.CategoricalDtype):
        s = symptom.array.codes  # a view (.cat.codes copies); int8/int16: widened where packed into the int64 sort key
    else:
        s = pd.factorize(symptom, sort=True)[0]
    score = symptoms["score"].to_numpy(dtype="float64")
    if not every:
        s, score = s[keep], score[keep]
    # Scores are validated multiples of 0.25; rounding only removes
    # representation noise before the exact integer arithmetic.
    quarters = np.rint(score * QUARTERS_PER_POINT)
    small = len(quarters) == 0 or bool(np.abs(quarters).max() < 2**14)
    q = quarters.astype(np.int16 if small else np.int64)
    return {"p": p, "s": s, "month": month, "q": q}


_VISIT_GRID_MAX = 1 << 25  # cells of the dense (patient x month) table of visits



def _assessments(rows: dict, patient_ids: pd.Series, worsening_rule: str) -> pd.DataFrame:
    n_patients = len(patient_ids)
    # Months as ranks so that (patient, symptom, month) packs into one int64
    # sort key; files are usually sorted already, which costs one pass.
    month_rank, month_values = month_ranks(rows["month"])
    n_months = max(len(month_values), 1)
    n_symptoms = int(rows["s"].max()) + 1 if len(rows["s"]) else 1
    if rows_in_order((rows["p"], rows["s"], month_rank), strict=False):
        order = None  # the usual file: no 64-bit key built, no sort
    else:
        key = (rows["p"].astype(np.int64) * n_symptoms + rows["s"]) * n_months + month_rank
        order = _sorting_order(key)
        del key
    p, s, m_rank, q = (v if order is None else v[order] for v in (rows["p"], rows["s"], month_rank, rows["q"]))
    del order, month_rank
    # Month 0 is baseline, months > 0 assessments (ranks follow the months' order).
    first_later_rank = int(np.searchsorted(month_values, 0, side="right"))
    zero_rank = first_later_rank - 1 if first_later_rank > 0 and month_values[first_later_rank - 1] == 0 else -1

    same_history = np.zeros(len(p), dtype=bool)
    same_history[1:] = (p[1:] == p[:-1]) & (s[1:] == s[:-1])
    history_start = ~same_history
    del same_history, s
    # Baseline symptoms are those whose history starts at month 0.
    history = np.cumsum(history_start, dtype=np.int32 if len(p) < 2**31 else np.int64)
    history -= 1
    base = (m_rank[history_start] == zero_rank)[history]
    del history

    prev_q = np.empty_like(q)
    prev_q[1:] = q[:-1]
    # Before its first row a baseline symptom counts 1 (4 quarters) and a new
    # symptom counts absent (0).
    prev_q[history_start] = np.where(base[history_start], QUARTERS_PER_POINT, 0)

    later = m_rank >= first_later_rank
    baseline_quarters = np.bincount(p[base & (m_rank == zero_rank)], minlength=n_patients) * QUARTERS_PER_POINT
    p, m_rank, q, prev_q, base = p[later], m_rank[later], q[later], prev_q[later], base[later]
    # Changes that each row makes to the patient's running totals.
    d_score = np.where(base, q - prev_q, 0)
    # -1, 0 or +1 a row: int8 (13 million rows), summed per visit below.
    d_worse = np.where(base, (q == WORSE_QUARTERS).astype(np.int8) - (prev_q == WORSE_QUARTERS), 0)
    d_new = np.where(base, 0, (q > 0).astype(np.int8) - (prev_q > 0))
    del q, prev_q, base

    # One row per (patient, month) visit, in patient then month order.
    visit, visit_key = _visits(p.astype(np.int64) * n_months + m_rank, n_patients * n_months)
    del p, m_rank
    n_visits = len(visit_key)
    pp = visit_key // n_months
    months = month_values[visit_key % n_months] if n_visits else np.zeros(0)
    first_visit = np.ones(n_visits, dtype=bool)
    first_visit[1:] = pp[1:] != pp[:-1]

    def per_visit_running_total(change: np.ndarray) -> np.ndarray:
        per_visit = np.rint(np.bincount(visit, weights=change, minlength=n_visits)).astype(np.int64)
        running = np.cumsum(per_visit)
        # Restart the running total at each patient's first visit.
        return running - _carry(running - per_visit, first_visit)

    b4 = baseline_quarters[pp]
    s4 = b4 + per_visit_running_total(d_score)
    worse = per_visit_running_total(d_worse)
    new = per_visit_running_total(d_new)
    rank = classify_quarters(s4, b4, worse if worsening_rule == "any_symptom" else np.zeros_like(worse), new)

    with np.errstate(divide="ignore", invalid="ignore"):
        decrease_pct = np.where(b4 > 0, 100.0 * (b4 - s4) / np.maximum(b4, 1), np.nan)
    result = pd.DataFrame(
        {
            "patient_id": pd.Categorical.from_codes(pp, dtype=pd.CategoricalDtype(pd.Index(patient_ids)), validate=False),
            "month": months,
            "score": s4 / QUARTERS_PER_POINT,
            "baseline_score": b4 // QUARTERS_PER_POINT,
            "decrease_pct": decrease_pct,
            "worsened_symptoms": worse,
            "new_symptoms": new,
            "category": pd.Categorical.from_codes(rank, categories=list(_RANK_TO_CODE)),
        },
        copy=False,  # fresh arrays: pandas 3 would otherwise copy each one
    )
    return result[ASSESSMENT_COLUMNS]


def _visits(cell: np.ndarray, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Visit number of each row, and the visits' cells in increasing order.

    ``cell`` is patient * n_months + month rank. With few enough cells, a
    dense table marks the cells present and numbers them in order: no sort
    of the rows. Otherwise the cells are factorised and only the distinct
    ones sorted.
    """
    if len(cell) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if n_cells <= _VISIT_GRID_MAX:
        present = np.zeros(n_cells, dtype=bool)
        present[cell] = True
        number = np.cumsum(present, dtype=np.int32) - 1
        return number[cell], np.flatnonzero(present)
    codes, uniques = pd.factorize(cell, sort=True)
    return codes, np.asarray(uniques, dtype=np.int64)


def _sorting_order(key: np.ndarray) -> np.ndarray | None:
    """Stable sorting permutation of ``key``, or None when it is already sorted."""
    if len(key) < 2 or bool(np.all(key[1:] >= key[:-1])):
        return None
    return np.argsort(key, kind="stable")


def _carry(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Carry the value at each run start forward to the end of the run."""
    start_index = np.where(starts, np.arange(len(starts)), 0)
    np.maximum.accumulate(start_index, out=start_index)
    return values[start_index]


def classify_quarters(score_q, baseline_q, worsened, new) -> np.ndarray:
    """Response rank (0 NR, 1 PR, 2 MR, 3 CR) from scores in quarter units.

    Parameters
    ----------
    score_q, baseline_q : array of int
        Symptom score S and baseline score 4B, both in quarters of a point.
    worsened, new : array of int
        Number of worsened baseline symptoms counted against the response,
        and of new symptoms present.

    Notes
    -----
    Integer comparisons only: with decrease D = 4B - S,
    MR <=> D/4B > 1/2 <=> 2D > 4B; PR <=> 1/10 <= D/4B <= 1/2
    <=> 10D >= 4B and 2D <= 4B. A patient without baseline symptoms
    (4B = 0) cannot respond.
    """
    s = np.asarray(score_q, dtype=np.int64)
    b = np.asarray(baseline_q, dtype=np.int64)
    d = b - s
    rank = np.full(s.shape, _NR, dtype=np.int64)
    rank = np.where(10 * d >= b, _PR, rank)
    rank = np.where(2 * d > b, _MR, rank)
    rank = np.where(s == 0, _CR, rank)
    blocked = (np.asarray(worsened) > 0) | (np.asarray(new) > 0) | (b <= 0)
    return np.where(blocked, _NR, rank)


def baseline_symptom_counts(symptoms: pd.DataFrame) -> pd.Series:
    """Number of baseline (month 0) symptoms per patient: the baseline score B.

    Indexed by patient id; a patient without a baseline row has no entry, or
    0 when ``patient_id`` is a categorical (counted over its categories).
    """
    baseline = symptoms["month"].to_numpy(dtype="float64") == 0
    ids = symptoms["patient_id"]
    if isinstance(ids.dtype, pd.CategoricalDtype):
        codes = ids.array.codes[baseline]
        counts = np.bincount(codes[codes >= 0], minlength=len(ids.cat.categories))
        return pd.Series(counts, index=ids.cat.categories, name="size")
    return symptoms.loc[baseline].groupby("patient_id", sort=False).size()


def patient_outcomes(patients: pd.DataFrame, assessments: pd.DataFrame, baseline_counts: pd.Series) -> pd.DataFrame:
    """Best response, times to response, sustained response and final status.

    Parameters
    ----------
    patients : DataFrame
        The patients table (patient_id, diagnosis, kit_d816v,
        treatment_end_month, end_reason, last_follow_up_month).
    assessments : DataFrame
        Output of :func:`score_assessments`.
    baseline_counts : Series
        Baseline symptoms per patient id (:func:`baseline_symptom_counts`).

    Returns
    -------
    DataFrame
        One row per patient, in the patients table's order, with columns
        ``OUTCOME_COLUMNS``.

    Notes
    -----
    - "Responses were assigned at time of best response": best response is the
      best category over all assessments (CR > MR > PR > NR); a patient with no
      on-treatment assessment has no response.
    - Months to first response: first month with at least a PR; months to best
      response: first month at the best category; both empty for
      non-responders.
    - Sustained response (the paper's "sustained response of at least 3
      months"): some run of consecutive responding assessments whose last
      month minus first month is at least 3.
    - Status at last follow-up (Table 2, "Response at last follow up"): no
      response if the patient never responded, whatever the stop reason; for a
      responder still treated, the category at the last assessment, or loss of
      response if that is NR; for a responder who stopped, end reason loss of
      response or lack of efficacy -> loss of response, intolerance ->
      intolerance, lost to follow-up, pregnancy intent or other -> lost from
      follow-up or other stop.
    - Group: MCAS with KIT D816V positive is MMAS, in the primary (clonal)
      group with ISM, SSM, CM and the other SM types; MCAS with KIT D816V
      negative or not evaluated is idiopathic MCAS.
    """
    n = len(patients)
    code = patient_positions(assessments["patient_id"], patients)
    rank = _category_ranks(assessments["category"])
    month = assessments["month"].to_numpy(dtype="float64")
    decrease = assessments["decrease_pct"].to_numpy(dtype="float64")
    if len(code) > 1 and not bool(np.all((code[1:] > code[:-1]) | ((code[1:] == code[:-1]) & (month[1:] >= month[:-1])))):
        order = np.lexsort((month, code))  # the engine's assessments are already sorted
        code, rank, month, decrease = code[order], rank[order], month[order], decrease[order]

    # Each patient's assessments form one contiguous segment.
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if len(code) else np.array([], dtype=np.int64)
    ends = np.r_[starts[1:], len(code)][: len(starts)] - 1
    who = code[starts]

    def per_patient(values, fill, dtype="float64"):
        out = np.full(n, fill, dtype=dtype)
        out[who] = values
        return out

    def segment_min(values):
        return np.minimum.reduceat(values, starts) if len(starts) else values[:0]

    best = per_patient(np.maximum.reduceat(rank, starts) if len(starts) else rank[:0], _NR, np.int64)
    responding = rank >= _PR
    never = np.inf
    first_response = segment_min(np.where(responding, month, never))
    first_best = segment_min(np.where(rank == best[code], month, never))

    # Runs of consecutive responding assessments: a run starts at each
    # responding assessment whose predecessor (same patient) did not respond.
    same_patient_before = np.r_[False, code[1:] == code[:-1]]
    responding_before = np.r_[False, responding[:-1]]
    run_start = responding & ~(same_patient_before & responding_before)
    run = np.cumsum(run_start)[responding]
    run_first = np.flatnonzero(np.r_[True, run[1:] != run[:-1]]) if len(run) else np.array([], dtype=np.int64)
    run_last = np.r_[run_first[1:], len(run)][: len(run_first)] - 1
    run_months, run_code = month[responding], code[responding]
    # Months are data (possibly converted from dates to one decimal), not
    # scores: a tolerance far below that resolution guards the >= 3 test.
    long_runs = run_months[run_last] - run_months[run_first] >= 3 - 1e-9
    sustained = np.zeros(n, dtype=bool)
    sustained[run_code[run_first][long_runs]] = True

    is_responder = best >= _PR
    with np.errstate(invalid="ignore"):
        first_response = np.where(np.isinf(first_response), np.nan, first_response)
        first_best = np.where(np.isinf(first_best), np.nan, first_best)
    last_rank = per_patient(rank[ends], -1, np.int64)

    out = pd.DataFrame({"patient_id": patients["patient_id"].to_numpy()})
    out["diagnosis"] = patients["diagnosis"].to_numpy()
    out["subgroup"] = diagnosis_subgroup(patients["diagnosis"], patients["kit_d816v"]).to_numpy()
    out["group"] = np.where(out["subgroup"] == "idiopathic", "idiopathic", "primary")
    if baseline_counts.index.equals(pd.Index(patients["patient_id"])):
        counts = baseline_counts.to_numpy()
    else:
        counts = baseline_counts.reindex(pd.Index(patients["patient_id"])).to_numpy(dtype="float64", na_value=np.nan)
    out["baseline_symptoms"] = np.nan_to_num(np.asarray(counts, dtype="float64")).astype(int)
    out["n_assessments"] = per_patient(ends - starts + 1, 0, np.int64)
    out["best_response"] = _RANK_TO_CODE[best]
    out["best_decrease_pct"] = per_patient(np.fmax.reduceat(decrease, starts) if len(starts) else decrease[:0], np.nan)
    out["months_to_first_response"] = np.where(is_responder, per_patient(first_response, np.nan), np.nan)
    out["months_to_best_response"] = np.where(is_responder, per_patient(first_best, np.nan), np.nan)
    out["sustained_3_months"] = sustained
    out["last_assessment_month"] = per_patient(month[ends], np.nan)
    out["last_category"] = pd.array(np.where(last_rank >= 0, _RANK_TO_CODE[np.maximum(last_rank, 0)], None), dtype=object)

    end_month = patients["treatment_end_month"].to_numpy(dtype="float64")
    still = np.isnan(end_month)
    out["still_treated"] = still
    out["status_at_last_follow_up"] = _status(is_responder, still, out["last_category"], patients["end_reason"])
    follow_up = patients["last_follow_up_month"].to_numpy(dtype="float64") if "last_follow_up_month" in patients else np.full(len(patients), np.nan)
    on_treatment = np.where(still, follow_up, end_month)
    # Without a follow-up month, the last assessment is the best evidence of
    # how long a still-treated patient has been on omalizumab.
    out["months_on_treatment"] = np.where(np.isnan(on_treatment), out["last_assessment_month"].to_numpy(dtype="float64"), on_treatment)
    return out[OUTCOME_COLUMNS].reset_index(drop=True)


_STOP_STATUS = {
    "loss_of_response": "loss_of_response",
    "lack_of_efficacy": "loss_of_response",
    "intolerance": "intolerance",
    "lost_to_follow_up": "lost_or_other",
    "pregnancy_intent": "lost_or_other",
    "other": "lost_or_other",
}


def _category_ranks(category: pd.Series) -> np.ndarray:
    """Ranks 0 NR .. 3 CR of a category column (categorical from the engine, or text)."""
    if isinstance(category.dtype, pd.CategoricalDtype) and list(category.cat.categories) == list(_RANK_TO_CODE):
        return category.cat.codes.to_numpy(dtype=np.int64)
    return category.map({"NR": _NR, "PR": _PR, "MR": _MR, "CR": _CR}).to_numpy(dtype=np.int64)


def _status(is_responder, still_treated, last_category: pd.Series, end_reason: pd.Series) -> np.ndarray:
    last = last_category.to_numpy(dtype=object)
    persistent = np.where(last == "NR", "loss_of_response", last)
    # A stop without a recognised reason is counted with "other" stops.
    stopped = end_reason.map(_STOP_STATUS).fillna("lost_or_other").to_numpy(dtype=object)
    status = np.where(still_treated, persistent, stopped)
    return np.where(is_responder, status, "no_response")


def diagnosis_subgroup(diagnosis: pd.Series, kit_d816v: pd.Series) -> pd.Series:
    """Analysis subgroup: the diagnosis, with MCAS split into MMAS and idiopathic.

    Notes
    -----
    "MCAS [...] can be clonal (if KIT mutation [...] is proven) (MMAS) or non
    clonal": MCAS with KIT D816V positive is MMAS; negative or not evaluated is
    idiopathic MCAS.
    """
    mcas = diagnosis.to_numpy(dtype=object) == "MCAS"
    positive = kit_d816v.to_numpy(dtype=object) == "positive"
    values = np.where(mcas, np.where(positive, "MMAS", "idiopathic"), diagnosis.to_numpy(dtype=object))
    return pd.Series(values, index=diagnosis.index, name="subgroup")


def best_category(categories) -> str:
    """The best of some response categories (CR > MR > PR > NR)."""
    present = set(categories)
    return next((c for c in RESPONSES if c in present), "NR")
