"""Who responds? Odds ratios of overall response for each baseline characteristic.

The outcome is the paper's overall response at best response: a complete,
major or partial response (CR, MR or PR) against no response (NR), as the
engine assigns it (:mod:`omalizumab_core.engine.scoring`). Patients without
an on-treatment assessment have no best response and are left out.

- A binary comparison (a diagnosis group or subgroup against the others,
  KIT D816V positive against negative, male against female, a symptom
  category present at baseline or not, a yes/no extra column): the
  conditional maximum-likelihood odds ratio with its exact 95 % CI and
  Fisher's exact p, as R's ``fisher.test`` (:func:`~omalizumab_core.stats.firth.conditional_odds_ratio`).
- A measurement (age, baseline tryptase, number of baseline symptoms, a
  numeric extra column): Firth-penalised logistic regression with its
  profile-likelihood 95 % CI and penalised likelihood-ratio p, as R's
  ``logistf`` (:func:`~omalizumab_core.stats.firth.firth_logistic`).
- Several characteristics together: :func:`multivariable_predictors`, a
  Firth model, with a warning when there are fewer than 10 events per
  variable.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from omalizumab_core.data.codes import CATEGORIES, CATEGORY_LABELS, GROUP_LABELS, SUBGROUP_LABELS
from omalizumab_core.data.contract import TABLE_COLUMNS
from omalizumab_core.data.problems import TooFewPatients
from omalizumab_core.engine.scoring import ScoredCohort, patient_positions
from omalizumab_core.stats.firth import conditional_odds_ratio, firth_logistic

RESPONDERS = ("CR", "MR", "PR")
PREDICTOR_COLUMNS = [
    "characteristic", "comparison", "n", "responders", "n_level", "responders_level",
    "odds_ratio", "lower", "upper", "p_value", "method",
]
FISHER = "conditional MLE, exact CI, Fisher exact p"
FIRTH = "Firth logistic regression, profile-likelihood CI, penalised LR p"
MIN_EVENTS_PER_VARIABLE = 10
# Compared with the other level whatever their frequencies.
_EXPOSED = {"kit_d816v": "positive", "sex": "M", "group": "idiopathic"}
CAPTION = (
    "Overall response: CR, MR or PR at best response, against no response. Yes/no characteristics: conditional "
    "maximum-likelihood odds ratio with its exact 95 % CI and Fisher's exact p (as R fisher.test); measurements: "
    "Firth-penalised logistic regression with profile-likelihood 95 % CI and penalised likelihood-ratio p (as R logistf). "
    "An odds ratio above 1: more likely to respond. ∞ or 0: every patient of one group responded (or none did). "
    "p-values not adjusted for the number of characteristics: exploratory."
)
_CONTRACT = {c.name for c in TABLE_COLUMNS["patients"]}
# Measurements: column, label, transform, unit of the odds ratio.
_MEASUREMENTS = {
    "age_at_treatment": ("Age at the first injection", lambda x: x / 10, "per 10 years"),
    "baseline_tryptase": ("Baseline serum tryptase", lambda x: np.log2(np.where(x > 0, x, np.nan)), "per doubling"),
    "baseline_symptoms": ("Number of baseline symptoms", lambda x: x, "per symptom"),
}


def predictor_data(scored: ScoredCohort) -> pd.DataFrame:
    """One row per patient with a best response: the outcome and every candidate characteristic.

    Returns
    -------
    DataFrame
        patient_id, responder (bool: CR, MR or PR), group, subgroup,
        kit_d816v (NaN when not evaluated), sex, age_at_treatment,
        baseline_tryptase, baseline_symptoms, one boolean column
        ``symptoms_<category>`` per symptom category (present at baseline),
        then the numeric and yes/no extra columns of the patients table.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> data = predictor_data(demo_scored())
    >>> len(data), int(data["responder"].sum())
    (55, 43)
    """
    patients = scored.cohort.patients
    outcomes = scored.outcomes
    where = patient_positions(outcomes["patient_id"], patients)
    best = outcomes["best_response"].astype(object)
    keep = (where >= 0) & best.notna().to_numpy()
    rows = where[keep]
    data = pd.DataFrame({
        "patient_id": outcomes["patient_id"].to_numpy()[keep],
        "responder": best.isin(RESPONDERS).to_numpy()[keep],
        "group": outcomes["group"].astype(object).to_numpy()[keep],
        "subgroup": outcomes["subgroup"].astype(object).to_numpy()[keep],
        "kit_d816v": patients["kit_d816v"].astype(object).where(patients["kit_d816v"].isin(["positive", "negative"])).to_numpy()[rows],
        "sex": patients["sex"].astype(object).to_numpy()[rows],
        "age_at_treatment": _numbers(patients, "age_at_treatment")[rows],
        "baseline_tryptase": _numbers(patients, "baseline_tryptase")[rows],
        "baseline_symptoms": outcomes["baseline_symptoms"].to_numpy(dtype="float64")[keep],
    })
    symptoms = scored.cohort.symptoms
    baseline = symptoms["month"].to_numpy(dtype="float64") == 0
    code = patient_positions(symptoms["patient_id"], patients)[baseline]
    category = symptoms["category"].astype(object).to_numpy()[baseline]
    for name in CATEGORIES:
        present = np.zeros(len(patients), dtype=bool)
        chosen = (category == name) & (code >= 0)
        present[code[chosen]] = True
        if present.any():
            data[f"symptoms_{name}"] = present[rows]
    for column in patients.columns:
        if column in _CONTRACT:
            continue
        values = patients[column]
        if pd.api.types.is_bool_dtype(values):
            data[column] = values.astype("boolean").to_numpy()[rows]
        elif pd.api.types.is_numeric_dtype(values):
            data[column] = values.to_numpy(dtype="float64", na_value=np.nan)[rows]
    return data


def _numbers(patients: pd.DataFrame, column: str) -> np.ndarray:
    if column not in patients:
        return np.full(len(patients), np.nan)
    return pd.to_numeric(patients[column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def predictor_characteristics(data: pd.DataFrame) -> dict[str, str]:
    """Characteristics of :func:`predictor_data` that can be studied: column -> label in words."""
    labels = {
        "group": "Diagnosis group",
        "subgroup": "Diagnosis subgroup",
        "kit_d816v": "KIT D816V",
        "sex": "Sex",
        **{k: v[0] for k, v in _MEASUREMENTS.items()},
        **{f"symptoms_{c}": f"{CATEGORY_LABELS.get(c, c)} symptoms at baseline" for c in CATEGORIES},
    }
    out = {}
    for column in data.columns:
        if column in ("patient_id", "responder"):
            continue
        known = data[column].dropna()
        if known.nunique() < 2:
            continue  # no comparison within the selection
        out[column] = labels.get(column, column.replace("_", " ").capitalize())
    return out


def _level_label(column: str, level) -> str:
    if column == "group":
        return GROUP_LABELS.get(level, str(level))
    if column == "subgroup":
        return SUBGROUP_LABELS.get(level, str(level))
    if column == "sex":
        return {"F": "Female", "M": "Male"}.get(level, str(level))
    return str(level)


def _binary_rows(data: pd.DataFrame, column: str, label: str) -> list[dict]:
    values = data[column]
    known = values.notna().to_numpy()
    responder = data["responder"].to_numpy(dtype=bool)[known]
    values = values[known]
    if pd.api.types.is_bool_dtype(values) or set(values.unique()) <= {True, False}:
        levels, together = [True], False  # present vs absent
    else:
        counts = values.value_counts()
        # Two levels: the less frequent against the more frequent (KIT D816V positive against
        # negative); more: each level against the others.
        if len(counts) == 2:
            levels = [_EXPOSED[column] if _EXPOSED.get(column) in counts.index else counts.index[-1]]
        else:
            levels = list(counts.index)
        together = len(counts) > 2
    rows = []
    for level in levels:
        exposed = (values == level).to_numpy(dtype=bool)
        if exposed.all() or not exposed.any():
            continue
        table = [[int((responder & exposed).sum()), int((~responder & exposed).sum())],
                 [int((responder & ~exposed).sum()), int((~responder & ~exposed).sum())]]
        if level is True:
            comparison = "present vs absent" if column.startswith("symptoms_") else "yes vs no"
        elif together:
            comparison = f"{_level_label(column, level)} vs the others"
        else:
            other = [v for v in values.unique() if v != level][0]
            comparison = f"{_level_label(column, level)} vs {_level_label(column, other)}"
        rows.append({
            "characteristic": label, "comparison": comparison, "n": int(len(values)), "responders": int(responder.sum()),
            "n_level": int(exposed.sum()), "responders_level": table[0][0], **conditional_odds_ratio(table), "method": FISHER,
        })
    return rows


def _measurement(data: pd.DataFrame, column: str) -> tuple[np.ndarray, str]:
    values = data[column].to_numpy(dtype="float64", na_value=np.nan)
    if column in _MEASUREMENTS:
        _, transform, unit = _MEASUREMENTS[column]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(transform(values), dtype="float64"), unit
    return values, "per unit"


def _measurement_row(data: pd.DataFrame, column: str, label: str) -> list[dict]:
    x, unit = _measurement(data, column)
    known = ~np.isnan(x)
    y = data["responder"].to_numpy(dtype=bool)[known]
    x = x[known]
    if len(x) < 3 or np.unique(x).size < 2 or y.all() or not y.any():
        return []
    fit = firth_logistic(x[:, None], y.astype(float), names=[column]).iloc[0]
    return [{
        "characteristic": label, "comparison": unit, "n": int(len(x)), "responders": int(y.sum()),
        "n_level": np.nan, "responders_level": np.nan,
        "odds_ratio": float(fit["odds_ratio"]), "lower": float(fit["lower"]), "upper": float(fit["upper"]),
        "p_value": float(fit["p_value"]), "method": FIRTH,
    }]


def _is_binary(data: pd.DataFrame, column: str) -> bool:
    values = data[column]
    return not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values) or column.startswith("symptoms_")


def response_predictors(scored: ScoredCohort, *, characteristics=None) -> pd.DataFrame:
    """Odds ratio of overall response (CR, MR or PR vs NR) for each baseline characteristic, one at a time.

    Parameters
    ----------
    scored : ScoredCohort
        The (filtered) scored cohort.
    characteristics : list of str, optional
        Columns of :func:`predictor_data` (default: every one of
        :func:`predictor_characteristics`).

    Returns
    -------
    DataFrame
        One row per comparison, columns ``PREDICTOR_COLUMNS``:
        characteristic (in words), comparison ("Male vs Female", "ISM vs
        the others", "present vs absent", "per 10 years"), n (patients with
        the characteristic known) and responders among them, n_level and
        responders_level (in the first group of a binary comparison; NaN
        for a measurement), odds_ratio with its 95 % CI lower, upper,
        p_value and method.

    Raises
    ------
    TooFewPatients
        Fewer than 2 patients with a best response, or no responder or no
        non-responder: no odds ratio can be estimated.
    ValueError
        An unknown characteristic.

    Notes
    -----
    - Binary comparisons: the conditional MLE odds ratio with its exact CI
      and Fisher's exact two-sided p (R ``fisher.test``). A characteristic
      with two levels compares the less frequent with the more frequent
      (KIT D816V positive with negative, male with female, idiopathic with
      primary MCAS);
      with more, each level against all the other patients. Patients whose
      value is missing (KIT D816V not evaluated) are left out of that row.
    - Measurements: univariable Firth-penalised logistic regression, odds
      ratio per 10 years of age, per doubling of tryptase (log2 scale: its
      distribution is skewed), per baseline symptom, per unit of an extra
      column; profile penalised-likelihood CI and penalised likelihood-ratio
      p (R ``logistf``).
    - p-values are not adjusted for the number of characteristics: read
      them as exploratory.

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> table = response_predictors(demo_scored(), characteristics=["sex", "age_at_treatment"])
    >>> table[["characteristic", "comparison", "n"]].values.tolist()
    [['Sex', 'Male vs Female', 55], ['Age at the first injection', 'per 10 years', 55]]
    """
    data = predictor_data(scored)
    _need_both_outcomes(data)
    available = predictor_characteristics(data)
    chosen = list(available) if characteristics is None else list(characteristics)
    unknown = [c for c in chosen if c not in data.columns or c in ("patient_id", "responder")]
    if unknown:
        raise ValueError(f"unknown characteristic(s) {unknown}: choose among {list(available)}")
    rows = []
    for column in chosen:
        if column not in available:
            continue
        label = available[column]
        rows += _binary_rows(data, column, label) if _is_binary(data, column) else _measurement_row(data, column, label)
    return pd.DataFrame(rows, columns=PREDICTOR_COLUMNS)


def _need_both_outcomes(data: pd.DataFrame) -> None:
    responders = int(data["responder"].sum())
    if len(data) < 2 or responders == 0 or responders == len(data):
        raise TooFewPatients(
            f"{len(data)} patient(s) with a best response, {responders} responder(s): an odds ratio of response needs "
            "both responders and non-responders in the selection."
        )


def multivariable_predictors(scored: ScoredCohort, *, characteristics) -> pd.DataFrame:
    """One Firth logistic model of overall response on several characteristics together.

    Parameters
    ----------
    scored : ScoredCohort
    characteristics : list of str
        Columns of :func:`predictor_data`. A characteristic with k levels
        enters as k − 1 indicators against its most frequent level (with
        two levels, the same comparison as :func:`response_predictors`).

    Returns
    -------
    DataFrame
        One row per model term, columns ``PREDICTOR_COLUMNS`` (n and
        responders: the complete cases; n_level and responders_level NaN
        for measurements), adjusted odds ratios with profile-likelihood CIs
        and penalised likelihood-ratio p-values. ``attrs``: n, events
        (min of responders and non-responders), parameters, events_per_variable and
        warning (a sentence, or "" when there are at least 10 events per
        variable).

    Raises
    ------
    ValueError
        No characteristic, or an unknown one.
    TooFewPatients
        Too few complete cases for the number of parameters, or no
        responder or no non-responder among them.

    Notes
    -----
    Events per variable = min(responders, non-responders) / number of
    model terms (intercept excluded); under 10 the estimates are unstable
    (Peduzzi et al. 1996, J Clin Epidemiol 49:1373-1379), which Firth's
    penalty mitigates but does not cure. Only patients with every chosen
    characteristic known are used (complete cases).

    Examples
    --------
    >>> from omalizumab_core.synthetic.demo import demo_scored
    >>> model = multivariable_predictors(demo_scored(), characteristics=["sex", "age_at_treatment"])
    >>> model["comparison"].tolist(), model.attrs["events_per_variable"]
    (['Male vs Female', 'per 10 years'], 6.0)
    """
    data = predictor_data(scored)
    available = predictor_characteristics(data)
    chosen = list(characteristics or [])
    if not chosen:
        raise ValueError("choose at least one characteristic for the model")
    unknown = [c for c in chosen if c not in available]
    if unknown:
        raise ValueError(f"unknown characteristic(s) {unknown}: choose among {list(available)}")
    complete = data.dropna(subset=chosen)
    columns, names, labels = [], [], []
    for column in chosen:
        if _is_binary(complete, column):
            values = complete[column]
            if pd.api.types.is_bool_dtype(values) or set(values.unique()) <= {True, False}:
                columns.append(values.to_numpy(dtype="float64"))
                names.append(column)
                labels.append((available[column], "present vs absent" if column.startswith("symptoms_") else "yes vs no"))
                continue
            counts = values.value_counts()
            reference = counts.index[0]
            if len(counts) == 2 and _EXPOSED.get(column) in counts.index:
                reference = [v for v in counts.index if v != _EXPOSED[column]][0]
            for level in [v for v in counts.index if v != reference]:
                columns.append((values == level).to_numpy(dtype="float64"))
                names.append(f"{column}={level}")
                labels.append((available[column], f"{_level_label(column, level)} vs {_level_label(column, reference)}"))
        else:
            x, unit = _measurement(complete, column)
            columns.append(x)
            names.append(column)
            labels.append((available[column], unit))
    X = np.column_stack(columns)
    finite = ~np.isnan(X).any(axis=1)
    X, y = X[finite], complete["responder"].to_numpy(dtype=float)[finite]
    n, k = X.shape
    events = int(min(y.sum(), n - y.sum()))
    if events == 0 or n <= k + 1:
        raise TooFewPatients(
            f"{n} patients with every chosen characteristic known, {int(y.sum())} responders, for {k} model terms: "
            "choose fewer characteristics or a larger selection."
        )
    fit = firth_logistic(X, y, names=names)
    table = pd.DataFrame({
        "characteristic": [c for c, _ in labels], "comparison": [u for _, u in labels], "n": n, "responders": int(y.sum()),
        "n_level": [float(X[:, i].sum()) if set(np.unique(X[:, i])) <= {0.0, 1.0} else np.nan for i in range(k)],
        "responders_level": [float(y[X[:, i] == 1].sum()) if set(np.unique(X[:, i])) <= {0.0, 1.0} else np.nan for i in range(k)],
        "odds_ratio": fit["odds_ratio"].to_numpy(), "lower": fit["lower"].to_numpy(), "upper": fit["upper"].to_numpy(),
        "p_value": fit["p_value"].to_numpy(), "method": FIRTH,
    }, columns=PREDICTOR_COLUMNS)
    epv = events / k
    warning = "" if epv >= MIN_EVENTS_PER_VARIABLE else (
        f"Only {epv:.1f} events per variable ({events} {'non-responders' if y.sum() > n - y.sum() else 'responders'} "
        f"for {k} model terms; at least {MIN_EVENTS_PER_VARIABLE} are advised): the adjusted odds ratios are unstable, "
        "read them with caution or choose fewer characteristics."
    )
    table.attrs.update({"n": n, "events": events, "parameters": k, "events_per_variable": epv, "warning": warning})
    return table


def format_predictors(table: pd.DataFrame) -> pd.DataFrame:
    """The predictors table in words: "2.31 (0.62 to 9.87)", "p = 0.214", the method in short."""
    from omalizumab_core.formatting import estimate_ci, n_of, p_value

    def ratio(value, low, high) -> str:
        if pd.isna(value):
            return "–"
        text = estimate_ci(value, low, high)
        return text.replace("inf", "∞")

    return pd.DataFrame({
        "Characteristic": table["characteristic"],
        "Comparison": table["comparison"],
        "Patients": table["n"].astype(int),
        "Responders": [n_of(int(r), int(n)) for r, n in zip(table["responders"], table["n"])],
        "Responders in the group": ["" if pd.isna(r) else n_of(int(r), int(n)) for r, n in zip(table["responders_level"], table["n_level"])],
        "Odds ratio of response (95 % CI)": [ratio(*v) for v in zip(table["odds_ratio"], table["lower"], table["upper"])],
        "p": [p_value(p) for p in table["p_value"]],
        "Method": ["Fisher exact" if m == FISHER else "Firth" for m in table["method"]],
    })


__all__ = [
    "predictor_data",
    "predictor_characteristics",
    "response_predictors",
    "multivariable_predictors",
    "format_predictors",
]
