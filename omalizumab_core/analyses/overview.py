"""Overview: the headline figures and Table 1 (patients' characteristics).

Both analyses return tidy numbers; ``format_headline`` and ``format_table1``
are the formatting step that turns them into what the page and the report show.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from omalizumab_core.data.codes import KIT_LABELS, KIT_STATUSES, SUBGROUP_LABELS, SUBGROUPS
from omalizumab_core.data.contract import YES_NO_COLUMNS
from omalizumab_core.engine.scoring import ScoredCohort, patient_positions
from omalizumab_core.formatting import ci, decimals_for, fixed, median_range, months, n_of, n_pct, number, span
from omalizumab_core.stats.exact import proportion_ci

RESPONDING = ("CR", "MR", "PR")
HEADLINE_COLUMNS = ["measure", "label", "value", "n", "total", "ci_low", "ci_high", "low", "high", "unit"]


def headline_figures(scored: ScoredCohort) -> pd.DataFrame:
    """The figures an MDT reads first, for the selected patients.

    Returns
    -------
    DataFrame
        One row per measure (``HEADLINE_COLUMNS``): patients;
        best_response (overall response rate at best response, CR + MR + PR,
        as a proportion with its exact 95 % CI); persistent_response (CR, MR
        or PR still present at last follow-up); months_to_first_response and
        months_to_best_response (median among responders, with range);
        months_on_treatment (median duration of therapy, all patients).

    Notes
    -----
    "Responses were assigned at time of best response"; the persistent
    response rate is Table 2's "persistent overall response" at last
    follow-up. Times are medians among responders, as the paper reports
    "median time to response was 2 months".

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_cohort
    >>> from omalizumab_core.engine.scoring import score_cohort
    >>> h = headline_figures(score_cohort(demo_cohort())).set_index("measure")
    >>> int(h.loc["best_response", "n"]), int(h.loc["best_response", "total"])
    (43, 55)
    >>> float(h.loc["months_to_first_response", "value"]), float(h.loc["months_to_best_response", "value"])
    (2.0, 6.0)
    """
    o = scored.outcomes
    total = len(o)
    rows = [dict(measure="patients", label="Patients", value=float(total), n=total, total=total)]
    for measure, label, column in (
        ("best_response", "Overall response at best response", "best_response"),
        ("persistent_response", "Persistent response at last follow-up", "status_at_last_follow_up"),
    ):
        k = int(o[column].isin(RESPONDING).sum())
        low, high = proportion_ci(k, total)
        rows.append(dict(measure=measure, label=label, value=k / total if total else np.nan, n=k, total=total, ci_low=low, ci_high=high, unit="proportion"))
    for measure, label, column in (
        ("months_to_first_response", "Median months to first response (responders)", "months_to_first_response"),
        ("months_to_best_response", "Median months to best response (responders)", "months_to_best_response"),
        ("months_on_treatment", "Median months on omalizumab (all patients)", "months_on_treatment"),
    ):
        values = o[column].dropna()
        rows.append(
            dict(
                measure=measure, label=label, value=values.median() if len(values) else np.nan, n=len(values), total=total,
                low=values.min() if len(values) else np.nan, high=values.max() if len(values) else np.nan, unit="months",
            )
        )
    return pd.DataFrame(rows).reindex(columns=HEADLINE_COLUMNS)


def format_headline(headline: pd.DataFrame) -> pd.DataFrame:
    """Headline figures as label, value and detail strings (for metrics and reports)."""
    out = []
    for row in headline.itertuples(index=False):
        if row.measure == "patients":
            value, detail = f"{int(row.n)}", ""
        elif row.unit == "proportion":
            value = n_pct(int(row.n), int(row.total)) if row.total else "–"
            detail = f"95 % CI {ci(row.ci_low, row.ci_high)}" if row.total else "no patient"
        else:
            value = months(row.value)
            detail = f"range {span(row.low, row.high)}, n = {int(row.n)}" if row.n else "no patient with this time"
        out.append({"Measure": row.label, "Value": value, "Detail": detail})
    return pd.DataFrame(out)


def table1_columns(scored: ScoredCohort) -> list[tuple[str, np.ndarray]]:
    """Table 1's columns: all patients, primary MCAS (when both groups are present), each subgroup present."""
    o = scored.outcomes
    columns = [(f"All patients (N={len(o)})", np.ones(len(o), dtype=bool))]
    primary = (o["group"] == "primary").to_numpy()
    if primary.any() and not primary.all():
        columns.append((f"Primary MCAS (N={int(primary.sum())})", primary))
    code, levels = pd.factorize(o["subgroup"].to_numpy(dtype=object))
    present = {str(level): k for k, level in enumerate(levels)}
    for subgroup in [s for s in SUBGROUPS if s in present] + sorted(set(present) - set(SUBGROUPS)):
        mask = code == present[subgroup]
        columns.append((f"{SUBGROUP_LABELS.get(subgroup, subgroup)} (N={int(mask.sum())})", mask))
    return columns


def table1(scored: ScoredCohort) -> pd.DataFrame:
    """Table 1 of the paper for the selected patients, as tidy numbers.

    Returns
    -------
    DataFrame
        Columns section, characteristic, column (the Table 1 column label),
        kind ("count", "count_of_evaluated", "median_range", "mean",
        "ratio"), n, total (the denominator: patients in the column, or the
        patients evaluated), value (median, mean or ratio), low, high.

    Notes
    -----
    Follows the paper's Table 1: general characteristics (ages, time from
    diagnosis to omalizumab, sex ratio M/F), KIT D816V status, the WHO 2016
    criteria and baseline tryptase > 20 ng/mL among patients evaluated,
    disease presentation, previous lines of therapy (the
    ``prior_therapies`` list, one row per therapy named), and the baseline
    symptoms (mean per patient; anaphylaxis). A yes/no characteristic left
    blank counts as not evaluated.
    """
    p = scored.cohort.patients.reset_index(drop=True)
    # Baseline symptoms per patient: the engine's count of month-0 rows (the baseline score B).
    n_symptoms = scored.outcomes["baseline_symptoms"].to_numpy(dtype="float64")
    has_anaphylaxis = scored.per_patient_values("overview.anaphylaxis_at_baseline", _anaphylaxis_at_baseline)
    therapies = _therapy_matrix(p)

    # Each characteristic as a numpy array once; every column of the table is a mask over them.
    def numbers(name):
        return pd.to_numeric(p[name], errors="coerce").to_numpy(dtype="float64") if name in p else None

    age_dx, age_tx, tryptase = numbers("age_at_diagnosis"), numbers("age_at_treatment"), numbers("baseline_tryptase")
    sex = p["sex"].to_numpy(dtype=object)
    male, female = sex == "M", sex == "F"
    kit = p["kit_d816v"].to_numpy(dtype=object)
    kit_status = {status: kit == status for status in KIT_STATUSES}
    yes_no = {name: (p[name].notna().to_numpy(dtype=bool), p[name].fillna(False).astype(bool).to_numpy(dtype=bool)) for name, _ in YES_NO_COLUMNS if name in p}
    therapy_matrix = therapies.to_numpy(dtype=bool)

    rows = []
    for column, mask in table1_columns(scored):
        total = int(mask.sum())

        def add(section, characteristic, kind, n=np.nan, denominator=total, value=np.nan, low=np.nan, high=np.nan):
            rows.append(dict(section=section, characteristic=characteristic, column=column, kind=kind, n=n, total=denominator, value=value, low=low, high=high))

        def median_of(section, characteristic, values):
            values = pd.Series(values[mask] if values is not None else [], dtype="float64").dropna()
            if len(values):
                add(section, characteristic, "median_range", n=len(values), value=values.median(), low=values.min(), high=values.max())
            else:
                add(section, characteristic, "median_range", n=0)

        general = "General characteristics"
        median_of(general, "Age at diagnosis, years, median (range)", age_dx)
        median_of(general, "Age at omalizumab treatment, years, median (range)", age_tx)
        if age_dx is not None and age_tx is not None:
            median_of(general, "Time from diagnosis to omalizumab, years, median (range)", age_tx - age_dx)
        males, females = int(male[mask].sum()), int(female[mask].sum())
        add(general, "Male, n (%)", "count", n=males)
        add(general, "Female, n (%)", "count", n=females)
        add(general, "Sex ratio (M/F)", "ratio", value=males / females if females else np.nan)
        for status in KIT_STATUSES:
            add("KIT D816V mutation", KIT_LABELS[status], "count", n=int(kit_status[status][mask].sum()))
        for name, label in YES_NO_COLUMNS:
            if name.startswith("who_") and name in yes_no and yes_no[name][0][mask].any():
                evaluated, yes = yes_no[name]
                add("WHO 2016 criteria (patients evaluated)", _sentence(label.removeprefix("WHO major criterion: ").removeprefix("WHO minor criterion: ")), "count_of_evaluated", n=int(yes[mask].sum()), denominator=int(evaluated[mask].sum()))
        if tryptase is not None and (~np.isnan(tryptase[mask])).any():
            measured = tryptase[mask]
            add("WHO 2016 criteria (patients evaluated)", "Baseline serum tryptase > 20 ng/mL", "count_of_evaluated", n=int((measured > 20).sum()), denominator=int((~np.isnan(measured)).sum()))
        for name, label in YES_NO_COLUMNS:
            if not name.startswith("who_") and name in yes_no and yes_no[name][0][mask].any():
                evaluated, yes = yes_no[name]
                add("Disease presentation (patients evaluated)", label, "count_of_evaluated", n=int(yes[mask].sum()), denominator=int(evaluated[mask].sum()))
        for k, therapy in enumerate(therapies.columns):
            add("Previous lines of therapy", therapy, "count", n=int(therapy_matrix[mask, k].sum()))
        add("Symptoms at baseline", "Symptoms per patient, mean", "mean", n=total, value=float(n_symptoms[mask].mean()) if total else np.nan)
        add("Symptoms at baseline", "Anaphylaxis, n (%)", "count", n=int(has_anaphylaxis[mask].sum()))
    return pd.DataFrame(rows)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _anaphylaxis_at_baseline(scored: ScoredCohort) -> np.ndarray:
    """For each patient of the patients table: anaphylaxis among the baseline (month 0) symptoms."""
    symptoms = scored.cohort.symptoms
    baseline = symptoms["month"].to_numpy(dtype="float64") == 0
    symptom = symptoms["symptom"]
    if isinstance(symptom.dtype, pd.CategoricalDtype):
        names = pd.Series(symptom.cat.categories.astype(str), dtype=object)
        is_anaphylaxis = np.append(names.str.strip().str.lower().eq("anaphylaxis").to_numpy(dtype=bool), False)[symptom.array.codes]
    else:
        is_anaphylaxis = symptom.astype(str).str.strip().str.lower().eq("anaphylaxis").to_numpy(dtype=bool)
    where = patient_positions(symptoms["patient_id"], scored.cohort.patients)[baseline & is_anaphylaxis]
    flags = np.zeros(len(scored.cohort.patients), dtype=bool)
    flags[where[where >= 0]] = True
    return flags


def _therapy_matrix(patients: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per previous therapy named in ``prior_therapies`` (most frequent first)."""
    if "prior_therapies" not in patients:
        return pd.DataFrame(index=patients.index)
    lists = patients["prior_therapies"]
    # Each distinct list is split once (a registry repeats the same few lists).
    list_code, distinct_lists = pd.factorize(lists.astype("object").where(lists.notna(), ""))
    long = pd.Series(distinct_lists, dtype=object).astype(str).str.split(";").explode().str.strip()
    long = long[long != ""]
    if long.empty:
        return pd.DataFrame(index=patients.index)
    # The same therapy written in different cases is one therapy; show it as first written.
    key_code, keys = pd.factorize(long.str.lower(), sort=True)
    in_list = np.zeros((len(distinct_lists), len(keys)), dtype=bool)
    in_list[long.index.to_numpy(), key_code] = True
    matrix = in_list[list_code] & (list_code >= 0)[:, None]
    # First written form: the first patient (in table order) naming it, as that patient wrote it.
    first_list = list_code[np.argmax(matrix, axis=0)]
    written = pd.DataFrame({"list": long.index.to_numpy(), "key": key_code, "name": long.to_numpy()}).drop_duplicates(["list", "key"])
    shown = written.set_index(["list", "key"])["name"]
    counts = matrix.sum(axis=0)
    order = [k for k in np.argsort(-counts, kind="stable") if counts[k] > 0]
    return pd.DataFrame({shown[(first_list[k], k)]: matrix[:, k] for k in order}, index=patients.index)


def format_table1(table: pd.DataFrame) -> pd.DataFrame:
    """Table 1 as the paper prints it: one row per characteristic, one column per group.

    The medians and ranges of one row share their decimals (:func:`decimals_for`):
    whole numbers when every value of the row is whole, else one decimal in
    every column ("48.0 (17.0–93.0)" beside "40.4 (17.0–93.0)").
    """
    medians = table[table["kind"] == "median_range"]
    row_decimals = {
        key: decimals_for([*part["value"], *part["low"], *part["high"]])
        for key, part in medians.groupby(["section", "characteristic"], sort=False)
    }

    def cell(row) -> str:
        if row.kind == "count":
            return n_pct(int(row.n), int(row.total))
        if row.kind == "count_of_evaluated":
            return n_of(int(row.n), int(row.total)) if row.total else "not evaluated"
        if row.kind == "median_range":
            return median_range(row.value, row.low, row.high, decimals=row_decimals[(row.section, row.characteristic)]) if row.n else "–"
        if row.kind in ("mean", "ratio"):
            return fixed(row.value, 2 if row.kind == "ratio" else 1)
        return "–"

    shown = table.assign(cell=[cell(r) for r in table.itertuples(index=False)])
    wide = shown.pivot_table(index=["section", "characteristic"], columns="column", values="cell", aggfunc="first", sort=False)
    wide = wide.reindex(columns=list(dict.fromkeys(table["column"])))
    wide.index.names = ["Section", "Characteristic"]
    wide.columns.name = None
    return wide.fillna("–")
