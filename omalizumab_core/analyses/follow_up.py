"""Follow-up of responses (Figure 2 of Lemal et al. 2019): flows, durations, courses.

Results, "Time to first response and duration of response":
    "Median duration of omalizumab therapy was 9 months for the whole cohort,
    and 11 months for responding patients, i.e. reaching at least a PR [2 – 36
    months]. Median duration of therapy was 2 months for non responding
    patients, 10 months for patients in PR, 11 months in patients with MR and
    17 months for the patient in complete response. Response was persistent in
    most responding patients, with a sustained response of at least 3 months
    in 33/43 patients (76.7%). Only 4 patients lost their acquired response
    under omalizumab, after 2 to 13 months of treatment. [...] Follow-up data
    are summarized in Figure 2."

Every analysis here returns raw numbers in a tidy DataFrame; the ``format_``
functions turn them into display tables with labels in words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from omalizumab_core.data.codes import END_REASON_LABELS, RESPONSE_LABELS, RESPONSES, STATUS_LABELS, STATUSES
from omalizumab_core.engine.scoring import ScoredCohort
from omalizumab_core.formatting import ci, median_range, n_pct, number, pct, regimen, span
from omalizumab_core.data.problems import TooFewPatients
from omalizumab_core.stats.exact import proportion_ci

FLOW_COLUMNS = ["source", "target", "n"]
DURATION_COLUMNS = ["group", "n", "median", "min", "max", "q1", "q3", "n_unknown"]
SUSTAINED_COLUMNS = ["responders", "sustained", "proportion", "ci_low", "ci_high"]
BAR_COLUMNS = ["patient_id", "months_on_treatment", "still_treated", "end_reason", "end_reason_label", "best_response"]
EVENT_COLUMNS = ["patient_id", "month", "kind", "label"]
EVENT_KINDS = ("first response", "best response", "loss of response", "dose change", "adverse event", "stop")

DURATION_GROUPS = ("all", "responders", *RESPONSES)
DURATION_GROUP_LABELS = {
    "all": "All patients",
    "responders": "Responders (CR + MR + PR)",
    **RESPONSE_LABELS,
}


def response_flows(scored: ScoredCohort) -> pd.DataFrame:
    """Patients from each best response to each status at last follow-up.

    Parameters
    ----------
    scored : ScoredCohort

    Returns
    -------
    DataFrame
        Columns source (best response: CR/MR/PR/NR), target (status at last
        follow-up, a code of ``codes.STATUSES``) and n (patients, > 0), in the
        order of ``codes.RESPONSES`` then ``codes.STATUSES``. Empty flows are
        left out.

    Notes
    -----
    Figure 2, "Follow-up of responses in the whole cohort": every patient goes
    from the best response reached ("Responses were assigned at time of best
    response") to the response at last follow-up of Table 2 (persistent CR,
    MR or PR, loss of response, intolerance, lost from follow-up or other
    stop, or no response for patients who never responded).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> flows = response_flows(demo_scored())
    >>> flows[flows["source"] == "MR"].set_index("target")["n"].to_dict()
    {'MR': 23, 'loss_of_response': 2, 'intolerance': 2, 'lost_or_other': 3}
    """
    outcomes = scored.outcomes
    counts = outcomes.groupby(["best_response", "status_at_last_follow_up"], sort=False).size()
    rows = [
        (source, target, int(counts[(source, target)]))
        for source in RESPONSES
        for target in STATUSES
        if (source, target) in counts.index and counts[(source, target)] > 0
    ]
    return pd.DataFrame(rows, columns=FLOW_COLUMNS)


def duration_by_best_response(scored: ScoredCohort) -> pd.DataFrame:
    """Duration of omalizumab therapy overall, for responders and by best response.

    Parameters
    ----------
    scored : ScoredCohort

    Returns
    -------
    DataFrame
        One row per group in ``DURATION_GROUPS`` ("all", "responders", "CR",
        "MR", "PR", "NR"), with columns group, n (patients with a known
        duration), median, min, max, q1 and q3 (quartiles, months) and
        n_unknown (patients of the group without any duration). Groups
        without a patient have n = 0 and empty statistics.

    Raises
    ------
    TooFewPatients
        When the selection holds no patient with a known duration.

    Notes
    -----
    "Median duration of omalizumab therapy was 9 months for the whole cohort,
    and 11 months for responding patients, i.e. reaching at least a PR": the
    duration is ``months_on_treatment`` (months from the first injection to
    the stop, or to the last follow-up for patients still treated). Quartiles
    interpolate linearly between order statistics (R's default, type 7).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> d = duration_by_best_response(demo_scored()).set_index("group")
    >>> d["median"].tolist()
    [9.0, 11.0, 17.0, 11.0, 10.0, 2.0]
    >>> d.loc["responders", ["min", "max"]].tolist()
    [2.0, 36.0]
    """
    outcomes = scored.outcomes
    months = outcomes["months_on_treatment"].astype("float64")
    best = outcomes["best_response"]
    if months.notna().sum() == 0:
        raise TooFewPatients("No patient in the selection has a known duration of omalizumab therapy.")
    masks = {"all": pd.Series(True, index=outcomes.index), "responders": best != "NR"}
    masks.update({code: best == code for code in RESPONSES})
    rows = []
    for group in DURATION_GROUPS:
        values = months[masks[group]]
        known = values.dropna()
        if len(known):
            stats = (known.median(), known.min(), known.max(), known.quantile(0.25), known.quantile(0.75))
        else:
            stats = (np.nan,) * 5
        rows.append((group, len(known), *(float(v) for v in stats), int(values.isna().sum())))
    return pd.DataFrame(rows, columns=DURATION_COLUMNS)


def sustained_response(scored: ScoredCohort) -> pd.DataFrame:
    """Responders whose response was sustained at least 3 months, with an exact 95 % CI.

    Parameters
    ----------
    scored : ScoredCohort

    Returns
    -------
    DataFrame
        One row: responders (patients with a best response of at least PR),
        sustained (responders with ``sustained_3_months``), proportion
        (sustained / responders) and ci_low, ci_high (Clopper–Pearson 95 %).

    Raises
    ------
    TooFewPatients
        When the selection holds no responder.

    Notes
    -----
    "Response was persistent in most responding patients, with a sustained
    response of at least 3 months in 33/43 patients (76.7%)." A sustained
    response is a run of consecutive responding assessments spanning at least
    3 months (see ``engine.patient_outcomes``).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> sustained_response(demo_scored())[["responders", "sustained"]].iloc[0].tolist()
    [43, 33]
    """
    outcomes = scored.outcomes
    responders = outcomes["best_response"] != "NR"
    n = int(responders.sum())
    if n == 0:
        raise TooFewPatients("No patient in the selection responded: the sustained response cannot be computed.")
    k = int((responders & outcomes["sustained_3_months"].astype(bool)).sum())
    low, high = proportion_ci(k, n)
    return pd.DataFrame([(n, k, k / n, low, high)], columns=SUSTAINED_COLUMNS)


def swimmer_data(scored: ScoredCohort) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each patient's course on omalizumab: one bar per patient and the events along it.

    Parameters
    ----------
    scored : ScoredCohort

    Returns
    -------
    bars : DataFrame
        One row per patient with columns patient_id, months_on_treatment,
        still_treated, end_reason (code), end_reason_label and best_response,
        sorted by duration (shortest first; ties by patient id).
    events : DataFrame
        Columns patient_id, month, kind (one of ``EVENT_KINDS``) and label
        (in words), sorted by patient and month.

    Notes
    -----
    - First response and best response: ``months_to_first_response`` and
      ``months_to_best_response``, labelled with the category reached then.
    - Loss of response ("Only 4 patients lost their acquired response under
      omalizumab, after 2 to 13 months of treatment"): for patients whose
      status at last follow-up is loss of response, the first assessment
      scored no response after the first response. A patient who stopped for
      loss of response without such an assessment has only the stop event.
    - Dose change: rows of the doses table after month 0 whose dose or
      interval differs from the patient's previous row (a row after month 0
      with no earlier row counts as a change).
    - Adverse event: every row of the adverse events table.
    - Stop: the month of the last injection for patients no longer treated,
      labelled with the end reason.
    - The doses and adverse events tables are optional: without them, their
      events are simply absent.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> bars, events = swimmer_data(demo_scored())
    >>> len(bars), events.loc[events["kind"] == "loss of response", "month"].agg(["min", "max"]).tolist()
    (55, [2.0, 13.0])
    """
    # Each patient's bar and events depend on that patient alone: computed
    # once per scored cohort, and each selection takes its patients' rows
    # (the order of a sorted table's subset is the sorted order of the subset).
    bars = scored.per_patient("follow_up.swimmer_bars", _all_bars).drop(columns="code").reset_index(drop=True)
    events = scored.per_patient("follow_up.swimmer_events", _all_events).drop(columns="code").reset_index(drop=True)
    return bars, events


def _all_bars(scored: ScoredCohort) -> pd.DataFrame:
    outcomes = scored.outcomes
    patient_id = outcomes["patient_id"].astype(str)
    end_reason = scored.cohort.patients.set_index(scored.cohort.patients["patient_id"].astype(str))["end_reason"]
    bars = pd.DataFrame(
        {
            "code": np.arange(len(outcomes)),
            "patient_id": patient_id.to_numpy(),
            "months_on_treatment": outcomes["months_on_treatment"].astype("float64").to_numpy(),
            "still_treated": outcomes["still_treated"].astype(bool).to_numpy(),
            "end_reason": patient_id.map(end_reason).fillna("other").astype(str).to_numpy(),
            "best_response": outcomes["best_response"].astype(str).to_numpy(),
        }
    )
    bars.loc[bars["still_treated"], "end_reason"] = "ongoing"
    bars["end_reason_label"] = bars["end_reason"].map(END_REASON_LABELS).fillna("Stopped: other reason")
    bars = bars.sort_values(["months_on_treatment", "patient_id"], na_position="first", kind="stable")
    return bars[["code", *BAR_COLUMNS]].reset_index(drop=True)


def _all_events(scored: ScoredCohort) -> pd.DataFrame:
    """Every event of every patient, sorted by patient id, month and kind.

    Built in patient positions (code) and sorted on integer keys: at
    registry scale (100,000 patients, 300,000 events) sorting and looking up
    text ids cost most of the Follow-up page's first display.
    """
    ids = scored.outcomes["patient_id"].astype(str).to_numpy(dtype=object)
    bars = scored.per_patient("follow_up.swimmer_bars", _all_bars)
    a = scored.assessments
    index = pd.Index(ids)  # one hash table of the ids for every table's look-up
    position, category = _positions(a["patient_id"], index), _codes_of(a["category"])
    parts = [*_response_events(scored, ids, position, category), _loss_events(scored, ids, position, category), _stop_events(bars)]
    if scored.cohort.doses is not None:
        parts.append(_dose_events(scored.cohort.doses, index, ids))
    if scored.cohort.adverse_events is not None:
        parts.append(_adverse_events(scored.cohort.adverse_events, index, ids))
    parts = [p for p in parts if len(p["code"])]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "month" else object) for c in EVENT_COLUMNS}).assign(code=pd.Series(dtype=np.int64))
    code = np.concatenate([p["code"] for p in parts])
    patient_id = np.concatenate([p["patient_id"] for p in parts])
    month = np.concatenate([p["month"] for p in parts])
    kind_order = np.concatenate([np.full(len(p["code"]), EVENT_KINDS.index(p["kind"]), dtype=np.int64) for p in parts])
    order = np.lexsort((kind_order, month, _id_rank(patient_id, code, ids)))  # stable, as sort_values(kind="stable")
    code = code[order]
    events = pd.DataFrame(
        {
            "code": code,
            "patient_id": _take_text(ids, code) if (code >= 0).all() else patient_id[order],
            "month": month[order],
            "kind": _take_text(np.asarray(EVENT_KINDS, dtype=object), kind_order[order]),
            "label": _text(np.concatenate([np.asarray(p["label"], dtype=object) for p in parts])[order]),
        }
    )
    return events[["code", *EVENT_COLUMNS]]


_TEXT = pd.Series([], dtype="str").dtype  # how pandas stores text here (Arrow when pyarrow is installed)


def _take_text(values: np.ndarray, indices: np.ndarray):
    """``values[indices]`` (texts) as a text column: one Arrow take, not one conversion per row, when text is stored in Arrow."""
    if getattr(_TEXT, "storage", None) != "pyarrow":
        return values[indices]
    import pyarrow as pa

    return pd.array(pa.array(values, type=pa.large_string()).take(pa.array(indices)), dtype=_TEXT)


def _text(values: np.ndarray):
    """An array of Python texts as a text column (converted by Arrow in one pass when text is stored in Arrow)."""
    if getattr(_TEXT, "storage", None) != "pyarrow":
        return values
    import pyarrow as pa

    return pd.array(pa.array(values, type=pa.large_string()), dtype=_TEXT)


def _id_rank(patient_id: np.ndarray, code: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Integer sort key of each event's patient id, in the text order of the ids."""
    if (code < 0).any():  # events of patients not in the patients table: rank the texts themselves
        return pd.factorize(patient_id, sort=True)[0]
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.argsort(ids, kind="stable")] = np.arange(len(ids))
    return rank[code]


def _part(code, patient_id, month, kind: str, label) -> dict:
    return {"code": np.asarray(code, dtype=np.int64), "patient_id": np.asarray(patient_id, dtype=object), "month": np.asarray(month, dtype="float64"), "kind": kind, "label": label}


def _positions(ids: pd.Series, index: pd.Index) -> np.ndarray:
    """Row position in ``index`` (the outcomes' ids as text) of each id (-1 if absent), cheap for categorical ids."""
    if isinstance(ids.dtype, pd.CategoricalDtype):
        of_category = index.get_indexer(ids.cat.categories.astype(str))
        codes = ids.cat.codes.to_numpy(dtype=np.int64)
        return np.where(codes >= 0, of_category[np.maximum(codes, 0)], -1)
    return index.get_indexer(ids.astype(str))


def _ids_of(column: pd.Series, pos: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Each row's patient id as text: the patients table's for known patients, the row's own otherwise."""
    out = ids[np.maximum(pos, 0)] if len(ids) else np.full(len(pos), None, dtype=object)
    unknown = np.flatnonzero(pos < 0)
    if len(unknown):
        out = out.copy()
        out[unknown] = column.iloc[unknown].astype(str).to_numpy(dtype=object)
    return out


def _codes_of(column: pd.Series) -> np.ndarray:
    """A text or categorical column as a numpy object array (categoricals without string copies)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = np.asarray(column.cat.categories.astype(str), dtype=object)
        codes = column.cat.codes.to_numpy(dtype=np.int64)
        return np.where(codes >= 0, categories[np.maximum(codes, 0)], None)
    return column.astype(object).to_numpy()


def _labels(values: np.ndarray, text) -> list:
    """``text(value)`` for each value, computed once per distinct value."""
    known: dict = {}
    return [known[v] if v in known else known.setdefault(v, text(v)) for v in values.tolist()]


def _response_events(scored: ScoredCohort, ids: np.ndarray, position: np.ndarray, category: np.ndarray) -> list[dict]:
    o, a = scored.outcomes, scored.assessments
    known = position >= 0
    pos, month, category = position[known], a["month"].to_numpy(dtype="float64")[known], category[known]
    words = {code: label.lower() for code, label in RESPONSE_LABELS.items()}
    parts = []
    for column, kind, prefix in (
        ("months_to_first_response", "first response", "First response"),
        ("months_to_best_response", "best response", "Best response"),
    ):
        at = o[column].to_numpy(dtype="float64")
        # One assessment per patient and month: the row at the response month.
        hit = month == at[pos]
        parts.append(_part(pos[hit], ids[pos[hit]], month[hit], kind, _labels(category[hit], lambda c, p=prefix: f"{p}: {words.get(c, c)}")))
    return parts


def _loss_events(scored: ScoredCohort, ids: np.ndarray, pos: np.ndarray, category: np.ndarray) -> dict:
    o, a = scored.outcomes, scored.assessments
    lost = (o["status_at_last_follow_up"] == "loss_of_response").to_numpy()
    first = np.where(lost, o["months_to_first_response"].to_numpy(dtype="float64"), np.nan)
    month = a["month"].to_numpy(dtype="float64")
    # NaN compares False, so patients without loss of response drop out here.
    after = (pos >= 0) & (month > first[np.maximum(pos, 0)])
    candidates = np.flatnonzero(after)  # few: assessments after a lost patient's first response
    nr = candidates[category[candidates] == "NR"]
    first_nr = pd.Series(month[nr]).groupby(pos[nr]).min()
    code = first_nr.index.to_numpy(dtype=np.int64)
    return _part(code, ids[code], first_nr.to_numpy(), "loss of response", ["Loss of response"] * len(code))


def _stop_events(bars: pd.DataFrame) -> dict:
    stopped = bars[~bars["still_treated"] & bars["months_on_treatment"].notna()]
    return _part(stopped["code"].to_numpy(), stopped["patient_id"].to_numpy(dtype=object), stopped["months_on_treatment"].to_numpy(), "stop", stopped["end_reason_label"].to_numpy(dtype=object))


def _regimen(dose, interval) -> str:
    return regimen(dose, interval)


def _dose_events(doses: pd.DataFrame, index: pd.Index, ids: np.ndarray) -> dict:
    pos = _positions(doses["patient_id"], index)
    # Rows of a patient together (in month order) only to compare each with the previous one.
    key = pos if (pos >= 0).all() else pd.factorize(_ids_of(doses["patient_id"], pos, ids))[0]
    month = doses["month"].to_numpy(dtype="float64")
    order = np.lexsort((month, key))  # stable
    d = pd.DataFrame(
        {
            "pos": pos[order],
            "key": key[order],
            "row": order,
            "month": month[order],
            "dose_mg": doses["dose_mg"].to_numpy(dtype="float64")[order],
            "interval_days": doses["interval_days"].to_numpy(dtype="float64")[order],
        }
    )
    same_patient = d["key"].eq(d["key"].shift())
    previous_dose, previous_interval = d["dose_mg"].shift(), d["interval_days"].shift()
    # NaN-aware "differs": two missing values are the same regimen.
    dose_differs = ~((d["dose_mg"] == previous_dose) | (d["dose_mg"].isna() & previous_dose.isna()))
    interval_differs = ~((d["interval_days"] == previous_interval) | (d["interval_days"].isna() & previous_interval.isna()))
    change = (d["month"] > 0) & (~same_patient | dose_differs | interval_differs)
    rows = d[change]
    before = pd.DataFrame({"dose": previous_dose[change], "interval": previous_interval[change], "known": same_patient[change]})
    regimens: dict = {}  # few distinct regimens: format each once

    def regimen(dose, interval) -> str:
        key = (dose, interval)
        if key not in regimens:
            regimens[key] = _regimen(dose, interval)
        return regimens[key]

    new = [regimen(x, y) for x, y in zip(rows["dose_mg"], rows["interval_days"])]
    old = [regimen(x, y) if known else None for x, y, known in zip(before["dose"], before["interval"], before["known"])]
    labels = [f"Dose change: {o} → {n}" if o else f"Dose change: {n}" for o, n in zip(old, new)]
    code = rows["pos"].to_numpy(dtype=np.int64)
    patient_id = _ids_of(doses["patient_id"].iloc[rows["row"].to_numpy()], code, ids)
    return _part(code, patient_id, rows["month"].to_numpy(), "dose change", labels)


def _adverse_events(adverse_events: pd.DataFrame, index: pd.Index, ids: np.ndarray) -> dict:
    ae = adverse_events
    label = "Adverse event: " + ae["event"].astype(str)
    if "severity" in ae:
        severity = ae["severity"].astype(object)
        label = label + np.where(severity.notna(), " (" + severity.astype(str) + ")", "")
    for column, words in (("serious", ", serious"), ("led_to_discontinuation", ", led to discontinuation")):
        if column in ae:
            label = label + np.where(ae[column].fillna(False).astype(bool), words, "")
    pos = _positions(ae["patient_id"], index)
    return _part(pos, _ids_of(ae["patient_id"], pos, ids), ae["month"].to_numpy(dtype="float64"), "adverse event", np.asarray(label, dtype=object))


# --- display tables -----------------------------------------------------------


def format_flows(flows: pd.DataFrame) -> pd.DataFrame:
    """The flows as a table: best response, status at last follow-up, "n (% of all)"."""
    total = int(flows["n"].sum())
    return pd.DataFrame(
        {
            "Best response": flows["source"].map(RESPONSE_LABELS).to_numpy(),
            "Response at last follow-up": flows["target"].map(STATUS_LABELS).to_numpy(),
            "Patients, N (%)": [n_pct(int(n), total) for n in flows["n"]],
        }
    )


def format_durations(durations: pd.DataFrame) -> pd.DataFrame:
    """Duration of therapy as printed: "11 months (2–36)" and the interquartile range."""
    rows = []
    for r in durations.itertuples(index=False):
        iqr = "–" if r.n < 2 else span(r.q1, r.q3)
        rows.append(
            {
                "Patients": DURATION_GROUP_LABELS[r.group],
                "N": int(r.n) + int(r.n_unknown),
                # One patient: the value alone ("17 months for the patient in complete response").
                "Median duration of therapy, months (range)": number(r.median) if r.n == 1 else median_range(r.median, r.min, r.max),
                "Interquartile range, months": iqr,
                "Duration unknown, N": int(r.n_unknown),
            }
        )
    return pd.DataFrame(rows)


def format_sustained(sustained: pd.DataFrame) -> str:
    """"33 of 43 responders (76.7 % [61.4–88.2 %]) had a response sustained at least 3 months"."""
    r = sustained.iloc[0]
    return (
        f"{int(r['sustained'])} of {int(r['responders'])} responders ({pct(r['proportion'])} "
        f"{ci(r['ci_low'], r['ci_high'])}) had a response sustained at least 3 months (exact 95 % CI)."
    )


def format_swimmer(bars: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """One row per patient for download: duration, best response, end of treatment, events."""
    texts: dict[str, list[str]] = {}
    for patient_id, month, label in zip(events["patient_id"], events["month"], events["label"]):
        texts.setdefault(patient_id, []).append(f"month {number(month)}: {label}")
    by_patient = {patient_id: "; ".join(parts) for patient_id, parts in texts.items()}
    return pd.DataFrame(
        {
            "Patient": bars["patient_id"].to_numpy(),
            "Months on omalizumab": bars["months_on_treatment"].to_numpy(),
            "Best response": bars["best_response"].map(RESPONSE_LABELS).to_numpy(),
            "End of treatment": bars["end_reason_label"].to_numpy(),
            "Events": bars["patient_id"].map(by_patient).astype("object").fillna("").to_numpy(),
        }
    )
