"""Adverse events under omalizumab (Results, "Safety").

The paper: "Sixteen patients (29%) presented side effects, among whom 6
patients interrupted omalizumab therapy because of these side effects. One
patient (1.8%) developed a severe adverse event with edema of the larynx and
dyspnea 30 minutes after the first injection of omalizumab. [...] Three
patients (5.5%) presented a significant "flare" effect [...] requiring
omalizumab discontinuation. Other side effects included: fatigue (3
patients), fever (3 patients), [...]."

Every count is of patients, not events, over the patients of the current
selection (a patient with two events of the same kind counts once), as in a
standard adverse-event table (AET02: patients with at least one event).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from omalizumab_core.data.codes import SEVERITIES
from omalizumab_core.engine.scoring import ScoredCohort, patient_positions
from omalizumab_core.formatting import n_pct

ANY_EVENT = "Any adverse event"
ANY_SEVERITY = "any"
NOT_RECORDED = "not_recorded"
SEVERITY_ORDER = (*SEVERITIES, NOT_RECORDED)  # for display: mild, moderate, severe, then unknown
SEVERITY_LABELS = {ANY_SEVERITY: "Any severity", "mild": "Mild", "moderate": "Moderate", "severe": "Severe", NOT_RECORDED: "Severity not recorded"}
TIMINGS = ("first_injection", "later")
TIMING_LABELS = {"first_injection": "At the first injection (month 0)", "later": "Later on treatment"}
TABLE_COLUMNS = ["event", "severity", "patients", "events", "serious", "flare", "led_to_discontinuation", "total"]
TIMING_COLUMNS = ["timing", "severity", "patients", "events", "total"]
SUMMARY_COLUMNS = ["measure", "n", "total"]
SUMMARY_LABELS = {
    "patients_with_event": "Patients with at least one adverse event",
    "events": "Adverse events reported",
    "patients_serious": "Patients with a serious adverse event",
    "patients_severe": "Patients with a severe adverse event",
    "patients_severe_first_injection": "Patients with a severe adverse event at the first injection",
    "patients_flare": "Patients with a flare of mast cell symptoms",
    # Every patient, whatever the response; Table 2's "Intolerance" counts responders who stopped only.
    "patients_discontinued": "Patients who stopped omalizumab because of an adverse event (any response)",
}

# Worst severity per patient: unknown ranks below mild, so any recorded grade wins.
_RANK = {NOT_RECORDED: 0, "mild": 1, "moderate": 2, "severe": 3}
_FROM_RANK = np.array([NOT_RECORDED, "mild", "moderate", "severe"], dtype=object)


def _events(scored: ScoredCohort) -> pd.DataFrame:
    """The adverse events of the selected patients, with a grouping key per event name.

    ``patient_id`` holds the patient's position in the patients table (counts only need it distinct).
    """
    if scored.cohort.adverse_events is None:
        raise ValueError("The loaded cohort has no adverse_events table.")
    # Once per selection: the summary, the event table and the timing table of a page all read it.
    return scored.per_selection("safety.events", _selected_events)


def _selected_events(scored: ScoredCohort) -> pd.DataFrame:
    # The rows depend on each patient alone: built once per scored cohort,
    # each selection takes its patients' rows.
    e = scored.per_patient("safety.events", _all_events, code="patient_id").reset_index(drop=True)
    # "Fatigue" and "fatigue " are one event; it is shown as first written (in this selection).
    key_code, keys = pd.factorize(e["key"])
    first_row = np.full(len(keys), len(e), dtype=np.int64)
    np.minimum.at(first_row, key_code, np.arange(len(e)))
    names = pd.Index(e["event"].to_numpy(dtype=object)[first_row], dtype=object)  # distinct keys: distinct names
    return e.assign(key=pd.Categorical.from_codes(key_code, categories=pd.Index(keys.astype(object), dtype=object)),
                    event=pd.Categorical.from_codes(key_code, categories=names))


def _all_events(scored: ScoredCohort) -> pd.DataFrame:
    """Every adverse event row of a patient of the table, as :func:`_events` without the shown names."""
    events = scored.cohort.adverse_events
    # Patients are their position in the patients table: no per-row string work at 100,000 patients.
    code = patient_positions(events["patient_id"], scored.cohort.patients)
    keep = code >= 0
    events = events[keep]
    e = pd.DataFrame({
        "patient_id": code[keep],
        "month": events["month"].to_numpy(dtype="float64"),
        "event": events["event"].astype(str).str.strip().to_numpy(dtype=object),
        "severity_rank": events["severity"].astype(object).map(_RANK).fillna(0).to_numpy(dtype="int64"),
    })
    for flag in ("serious", "flare", "led_to_discontinuation"):
        values = events[flag] if flag in events else pd.Series(pd.NA, index=events.index)
        e[flag] = values.astype("boolean").fillna(False).to_numpy(dtype=bool)
    e["key"] = pd.Categorical(e["event"].str.casefold())  # grouped by code, not by text, at every rerun
    return e


def _groups(frame: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Group number of each row and the first row of each group, groups in order of first appearance.

    The same grouping as ``groupby(by, sort=False)``, in numpy: a page shows
    about ten of these small tables, and pandas' per-call overhead of a
    grouped aggregation would dominate on a 55-patient cohort. A categorical
    column is grouped by its codes (no text hashed: 40,000 adverse events
    at registry scale, at every rerun of the Safety page).
    """
    combined = np.zeros(len(frame), dtype=np.int64)
    for column in by:
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes, n = values.array.codes.astype(np.int64) + 1, len(values.cat.categories) + 1  # missing is a group
        else:
            codes, uniques = pd.factorize(values.to_numpy(), use_na_sentinel=False)
            n = len(uniques)
        combined, _ = pd.factorize(combined * max(n, 1) + codes)  # renumbered: never overflows
    group, _ = pd.factorize(combined)
    first = np.empty(group.max() + 1 if len(group) else 0, dtype=np.int64)
    first[group[::-1]] = np.arange(len(group) - 1, -1, -1)  # the last write is the first row
    return group, first


def _per_patient(e: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per patient (and ``by``): worst severity, any serious/flare/stop, number of events."""
    group, first = _groups(e, [*by, "patient_id"])
    out = e.iloc[first][[*by, "patient_id"]].reset_index(drop=True)
    worst = np.zeros(len(first), dtype=np.int64)
    np.maximum.at(worst, group, e["severity_rank"].to_numpy(dtype=np.int64))
    out["severity_rank"] = worst
    for flag in ("serious", "flare", "led_to_discontinuation"):
        out[flag] = np.bincount(group, weights=e[flag].to_numpy(dtype=bool), minlength=len(first)) > 0
    out["events"] = np.bincount(group, minlength=len(first))
    return out


def _count(per_patient: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    group, first = _groups(per_patient, by)
    out = per_patient.iloc[first][by].reset_index(drop=True)
    out["patients"] = np.bincount(group, minlength=len(first))
    for column in ("events", "serious", "flare", "led_to_discontinuation"):
        out[column] = np.bincount(group, weights=per_patient[column].to_numpy(dtype="float64"), minlength=len(first)).astype(np.int64)
    return out


def _severities(rank: pd.Series) -> pd.Categorical:
    return pd.Categorical.from_codes(rank.to_numpy(dtype=np.int64), categories=pd.Index(_FROM_RANK, dtype=object))


def _constant(value: str, n: int) -> pd.Categorical:
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=pd.Index([value], dtype=object))


def _as_text(table: pd.DataFrame, columns: tuple) -> pd.DataFrame:
    """Grouping columns back to plain text: the tables' columns are text, whatever was grouped by code."""
    return table.assign(**{c: table[c].astype(str) for c in columns if c in table})


def _severity_rows(events: pd.DataFrame, per: pd.DataFrame) -> pd.DataFrame:
    """Per event and grade: patients at that worst grade; reports and flagged patients of that grade."""
    by = ["key", "event", "severity"]
    graded = events.assign(severity=_severities(events["severity_rank"]))
    rows = _count(_per_patient(graded, by), by)
    # A patient's worst grade of an event is a grade they reported: every (event, worst grade) is a row here.
    worst = per.assign(severity=_severities(per["severity_rank"]))
    group, first = _groups(pd.concat([rows[by], worst[by]], ignore_index=True), by)
    at_worst = np.bincount(group[len(rows):], minlength=len(first))
    return rows.assign(patients=at_worst[group[: len(rows)]])


def adverse_event_table(scored: ScoredCohort, *, by_severity: bool = False) -> pd.DataFrame:
    """Patients with each adverse event, over the selected patients.

    Parameters
    ----------
    scored : ScoredCohort
        The (filtered) scored cohort; its cohort must have an adverse_events
        table.
    by_severity : bool
        Add, under each event, one row per worst severity.

    Returns
    -------
    DataFrame
        Columns ``TABLE_COLUMNS``. The first row is ``ANY_EVENT``, then one row
        per event (most frequent first, then by name); severity is "any" or,
        with ``by_severity``, a code of ``codes.SEVERITIES`` or
        "not_recorded". patients, serious, flare and led_to_discontinuation
        count patients; events counts reports; total is the number of
        selected patients (the denominator of every percentage).

    Raises
    ------
    ValueError
        When the cohort has no adverse_events table.

    Notes
    -----
    - "Sixteen patients (29%) presented side effects": a patient counts once
      per row however many reports they have (AET02 style).
    - By severity, each patient counts once per event at their worst
      severity (AET03 style), so the severity rows' patients add up to the
      event row. An event of unrecorded severity counts only if the patient
      has no graded report of that event. In a severity row, events counts
      the reports of that grade and serious, flare and
      led_to_discontinuation the patients with such a report of that grade.
    - Event names are grouped ignoring case and surrounding spaces.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> t = adverse_event_table(demo_scored())
    >>> t[["event", "patients", "led_to_discontinuation", "total"]].iloc[:2].to_dict("records")
    [{'event': 'Any adverse event', 'patients': 16, 'led_to_discontinuation': 6, 'total': 55}, {'event': 'fatigue', 'patients': 3, 'led_to_discontinuation': 2, 'total': 55}]
    """
    e = _events(scored)
    everything = e.assign(key=_constant("", len(e)), event=_constant(ANY_EVENT, len(e)))
    rows = []
    for events in (everything, e):
        per = _per_patient(events, ["key", "event"])
        rows.append(_count(per, ["key", "event"]).assign(severity=ANY_SEVERITY))
        if by_severity:
            rows.append(_severity_rows(events, per))
    table = _as_text(pd.concat(rows, ignore_index=True), ("key", "event", "severity"))
    if table.empty:  # no adverse event among the selected patients: the first row says none
        table = pd.DataFrame([{"key": "", "event": ANY_EVENT, "severity": ANY_SEVERITY, "patients": 0, "events": 0,
                               "serious": 0, "flare": 0, "led_to_discontinuation": 0}])
    # Order: any event first, then events by patients (most first) and name; any severity before the grades.
    patients_of_event = table[table["severity"] == ANY_SEVERITY].set_index("key")["patients"]
    table["_any"] = table["key"] != ""
    table["_patients"] = -table["key"].map(patients_of_event)
    table["_grade"] = table["severity"].map({ANY_SEVERITY: -1, **{s: i for i, s in enumerate(SEVERITY_ORDER)}})
    table = table.sort_values(["_any", "_patients", "key", "_grade"], kind="stable").reset_index(drop=True)
    table["total"] = len(scored.outcomes)
    for column in ("patients", "events", "serious", "flare", "led_to_discontinuation", "total"):
        table[column] = table[column].astype("int64")
    return table[TABLE_COLUMNS]


def adverse_event_timing(scored: ScoredCohort) -> pd.DataFrame:
    """Patients with an adverse event at the first injection and later.

    Returns
    -------
    DataFrame
        Columns ``TIMING_COLUMNS``: for each timing ("first_injection": month
        0, "later": month > 0), a row of severity "any" then one row per worst
        severity with patients; patients (counted once per timing and row,
        at their worst severity then), events (reports of that timing and
        grade), total (the selected patients).

    Notes
    -----
    "One patient (1.8%) developed a severe adverse event [...] 30 minutes
    after the first injection": month 0 of the adverse-events table is the
    first injection. A patient with events at both times counts in both.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> t = adverse_event_timing(demo_scored())
    >>> t[t["timing"] == "first_injection"][["severity", "patients"]].values.tolist()
    [['any', 1], ['severe', 1]]
    """
    e = _events(scored)
    later = ~(e["month"].to_numpy(dtype="float64") <= 0)  # month 0 is the first injection
    timing = pd.Categorical.from_codes(later.astype(np.int8), categories=pd.Index(TIMINGS, dtype=object))
    e = e.assign(key=timing, event=timing)
    per = _per_patient(e, ["key", "event"])
    table = pd.concat([_count(per, ["key", "event"]).assign(severity=ANY_SEVERITY), _severity_rows(e, per)], ignore_index=True)
    table = _as_text(table, ("key", "event", "severity"))
    table["_timing"] = table["key"].map({t: i for i, t in enumerate(TIMINGS)})
    table["_grade"] = table["severity"].map({ANY_SEVERITY: -1, **{s: i for i, s in enumerate(SEVERITY_ORDER)}})
    table = table.sort_values(["_timing", "_grade"]).rename(columns={"key": "timing"}).reset_index(drop=True)
    table["total"] = len(scored.outcomes)
    for column in ("patients", "events", "total"):
        table[column] = table[column].astype("int64")
    return table[TIMING_COLUMNS]


def safety_summary(scored: ScoredCohort) -> pd.DataFrame:
    """Headline safety counts of the selection.

    Returns
    -------
    DataFrame
        Columns ``SUMMARY_COLUMNS``; measures are the keys of
        ``SUMMARY_LABELS``. n counts patients (events for "events"); total is
        the number of selected patients.

    Notes
    -----
    Severe means severity "severe"; serious is the serious flag; a severe
    event at the first injection is one at month 0 (the paper's laryngeal
    edema "30 minutes after the first injection").

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> s = safety_summary(demo_scored()).set_index("measure")["n"]
    >>> s[["patients_with_event", "patients_discontinued", "patients_flare", "patients_severe_first_injection"]].tolist()
    [16, 6, 3, 1]
    """
    e = _events(scored)
    severe = e["severity_rank"] == _RANK["severe"]

    def patients(mask) -> int:
        return int(e.loc[mask, "patient_id"].nunique())

    counts = {
        "patients_with_event": patients(slice(None)),
        "events": len(e),
        "patients_serious": patients(e["serious"]),
        "patients_severe": patients(severe),
        "patients_severe_first_injection": patients(severe & (e["month"] <= 0)),
        "patients_flare": patients(e["flare"]),
        "patients_discontinued": patients(e["led_to_discontinuation"]),
    }
    total = len(scored.outcomes)
    return pd.DataFrame([(k, v, total) for k, v in counts.items()], columns=SUMMARY_COLUMNS)


def format_safety_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """"16 (29.1 %)" per headline, the number of reports alone."""
    values = [str(n) if m == "events" else n_pct(n, total) for m, n, total in summary[SUMMARY_COLUMNS].itertuples(index=False)]
    return pd.DataFrame({"": summary["measure"].map(SUMMARY_LABELS), "n (%)": values})


def format_adverse_event_table(table: pd.DataFrame, *, by_severity: bool = True) -> pd.DataFrame:
    """The AET02-style table: event, severity, and n (%) of the selected patients.

    ``by_severity=False`` keeps only the "any severity" rows of a table built
    with severities, so one table serves both views.
    """
    if not by_severity:
        table = table[table["severity"] == ANY_SEVERITY]
    total = int(table["total"].iloc[0]) if len(table) else 0
    out = pd.DataFrame({
        "Adverse event": table["event"],
        "Severity": table["severity"].map(SEVERITY_LABELS),
        f"Patients, n (%) (N={total})": [n_pct(n, t) for n, t in zip(table["patients"], table["total"])],
        "Reports": table["events"],
        "Serious, patients": table["serious"],
        "Flare, patients": table["flare"],
        "Led to discontinuation, patients": table["led_to_discontinuation"],
    })
    if (table["severity"] == ANY_SEVERITY).all():
        out = out.drop(columns="Severity")
    return out


def format_adverse_event_timing(timing: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "When": timing["timing"].map(TIMING_LABELS),
        "Severity": timing["severity"].map(SEVERITY_LABELS),
        "Patients, n (%)": [n_pct(n, t) for n, t in zip(timing["patients"], timing["total"])],
        "Reports": timing["events"],
    })


def headline(summary: pd.DataFrame) -> dict[str, str]:
    """The page's key figures from :func:`safety_summary`: label -> "16 (29.1 %)"."""
    values = summary.set_index("measure")
    shown = {
        "patients_with_event": "Patients with an adverse event",
        "patients_discontinued": "Stopped for an adverse event (any response)",
        "patients_flare": "Patients with a flare",
        "patients_severe_first_injection": "Severe at the first injection",
    }
    return {label: n_pct(int(values.loc[m, "n"]), int(values.loc[m, "total"])) for m, label in shown.items()}
