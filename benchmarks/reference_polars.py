"""The response rules written with polars: a second, columnar reference.

A third implementation of the rules of ``omalizumab_core/engine/scoring.py``
(Lemal et al. 2019, "Efficacy assessment"), beside the per-patient loop of
``benchmarks/reference_loop.py``. It shares nothing with the engine: no import
from ``omalizumab_core``. It serves two purposes:

* ``tests/test_reference_polars.py`` checks that it agrees with the engine,
  patient by patient, on best response, months to first and best response,
  sustained response and status at last follow-up;
* ``benchmarks/ratios.py`` times ``python -m benchmarks.reference_polars
  summary FOLDER`` (read, validate, score, write the ``summary --json``
  document) as the yardstick of the CLI's end to end (issue 21).

Rules, as written here (the paper's wording is in the engine's docstrings)
-------------------------------------------------------------------------
* Rows of unknown patients, without a month, or after the patient's
  ``treatment_end_month`` are dropped.
* Scores are counted in integer quarters (score x 4): 1 = 4, 1.5 = 6.
* A symptom whose first (on-treatment) row is at month 0 is a baseline
  symptom; it starts at 4 quarters, a new symptom at 0. Each row changes
  its symptom's value to the row's score (last value carried forward).
* At each month m > 0 with at least one row (an assessment): S = 4B + the
  sum of the baseline symptoms' changes up to m (B baseline symptoms),
  worsened = baseline symptoms at 6 quarters, new = new symptoms above 0.
* Category, exact integer arithmetic with D = 4B - S: NR if a new symptom is
  present, B = 0, or (rule "any_symptom") a baseline symptom is worse;
  otherwise CR if S = 0, MR if 2D > 4B, PR if 10D >= 4B, else NR.
* Per patient: best category; first month with at least PR; first month at
  the best category; sustained if a run of consecutive responding
  assessments spans at least 3 months; status at last follow-up.

The end-to-end ``summary`` validates what the product's loader checks on
these columns (required columns, blank or repeated patient ids, unknown
patients, rows without a month, scores that are not allowed quarters,
baseline scores other than 1, the same symptom twice at one month) and
writes the same JSON document (names and values; polars' own row writer,
so numbers may read 3.0 where the product writes 3).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl

ORDER = ("NR", "PR", "MR", "CR")
RESPONSES = ("CR", "MR", "PR", "NR")
STATUSES = ("CR", "MR", "PR", "no_response", "loss_of_response", "intolerance", "lost_or_other")
STOP_STATUS = {  # the same table as reference_loop's, copied: importing that module would load pandas into the yardstick's timed start
    "loss_of_response": "loss_of_response",
    "lack_of_efficacy": "loss_of_response",
    "intolerance": "intolerance",
    "lost_to_follow_up": "lost_or_other",
    "pregnancy_intent": "lost_or_other",
    "other": "lost_or_other",
}
SUBGROUPS = ("ISM", "SSM", "CM", "SM-AHN", "ASM", "MCL", "MMAS", "idiopathic", "other")
STANDARD_COLUMNS = ("all", "primary", "ISM", "CM", "MMAS", "idiopathic")
ALLOWED_QUARTERS = (0, 1, 2, 3, 4, 6)
FIELDS = (
    "patient_id",
    "baseline_symptoms",
    "n_assessments",
    "best_response",
    "months_to_first_response",
    "months_to_best_response",
    "sustained_3_months",
    "last_assessment_month",
    "last_category",
    "still_treated",
    "status_at_last_follow_up",
)


class InvalidCohort(ValueError):
    """The cohort breaks one of the checks of :func:`validate`."""


def _frame(table) -> pl.DataFrame:
    if isinstance(table, pl.DataFrame):
        return table
    return pl.from_pandas(table.astype({c: "object" for c in table.columns if str(table[c].dtype) == "category"}))


def reference_outcomes(patients, symptoms, rule: str = "any_symptom") -> pl.DataFrame:
    """Per-patient outcomes, in the patients table's order, columns ``FIELDS`` plus diagnosis, subgroup, group.

    ``patients`` and ``symptoms`` are polars or pandas frames with the
    cohort's columns. Rows are keyed by integers (the patient's position,
    the symptom's dictionary code): ids are looked up once per distinct id.
    """
    p = _frame(patients).select(
        pl.col("patient_id").cast(pl.String),
        pl.col("diagnosis").cast(pl.String),
        pl.col("kit_d816v").cast(pl.String),
        pl.col("treatment_end_month").cast(pl.Float64).fill_nan(None),
        pl.col("end_reason").cast(pl.String),
    ).with_row_index("order")
    s = _with_patient_order(_frame(symptoms), p).select(
        "order",
        _symptom_code(pl.col("symptom")).alias("symptom"),
        pl.col("month").cast(pl.Float64).fill_nan(None),
        (pl.col("score").cast(pl.Float64) * 4).round(0).cast(pl.Int64).alias("q"),
    )
    baseline_counts = s.filter(pl.col("month") == 0).group_by("order").agg(pl.len().alias("baseline_symptoms"))

    end = pl.col("treatment_end_month")
    rows = s.join(p.select("order", "treatment_end_month"), on="order", how="inner", maintain_order="left").filter(
        pl.col("month").is_not_null() & (end.is_null() | (pl.col("month") <= end))
    )
    # One packed integer key (patient, symptom, month rank) sorts faster than three columns.
    months = rows.select(pl.col("month").unique().sort()).with_row_index("m_rank")
    n_months = max(months.height, 1)
    n_symptoms = int(rows["symptom"].max() or 0) + 1 if rows.height else 1
    rows = (
        rows.join(months, on="month", how="left", maintain_order="left")
        .with_columns(((pl.col("order").cast(pl.Int64) * n_symptoms + pl.col("symptom").cast(pl.Int64)) * n_months + pl.col("m_rank").cast(pl.Int64)).alias("key"))
    )
    if not _increasing(rows["key"]):  # files usually come sorted: one pass instead of a sort
        rows = rows.sort("key")
    # Histories are contiguous once sorted: a row continues its history when the
    # previous row has the same patient and symptom.
    same = (pl.col("order") == pl.col("order").shift(1)) & (pl.col("symptom") == pl.col("symptom").shift(1))
    rows = rows.with_columns(same.fill_null(False).alias("same")).with_columns(
        pl.when(~pl.col("same")).then(pl.col("month") == 0).otherwise(None).forward_fill().alias("base"),
    ).with_columns(
        pl.when(pl.col("same")).then(pl.col("q").shift(1)).when(pl.col("base")).then(4).otherwise(0).alias("prev"),
    )
    b4 = rows.filter(pl.col("base") & (pl.col("month") == 0)).group_by("order").agg((pl.len() * 4).cast(pl.Int64).alias("b4"))

    base, q, prev = pl.col("base"), pl.col("q"), pl.col("prev")
    changes = rows.filter(pl.col("month") > 0).select(
        "order",
        "month",
        (pl.col("order").cast(pl.Int64) * n_months + pl.col("m_rank").cast(pl.Int64)).alias("visit"),
        pl.when(base).then(q - prev).otherwise(0).alias("d_score"),
        pl.when(base).then((q == 6).cast(pl.Int64) - (prev == 6).cast(pl.Int64)).otherwise(0).alias("d_worse"),
        pl.when(base).then(0).otherwise((q > 0).cast(pl.Int64) - (prev > 0).cast(pl.Int64)).alias("d_new"),
    )
    visits = (
        changes.group_by("visit")
        .agg(pl.col("order").first(), pl.col("month").first(), pl.col("d_score").sum(), pl.col("d_worse").sum(), pl.col("d_new").sum())
        .sort("visit")
        .join(b4, on="order", how="left")
        .with_columns(pl.col("b4").fill_null(0))
        .with_columns((pl.col("order") != pl.col("order").shift(1)).fill_null(True).alias("first_visit"))
        .with_columns(
            (pl.col("b4") + _running_total("d_score")).alias("s4"),
            _running_total("d_worse").alias("worse"),
            _running_total("d_new").alias("new"),
        )
    )
    s4, b, d = pl.col("s4"), pl.col("b4"), pl.col("b4") - pl.col("s4")
    blocked = (pl.col("new") > 0) | (b <= 0)
    if rule == "any_symptom":
        blocked = blocked | (pl.col("worse") > 0)
    elif rule != "total_score":
        raise ValueError(f"unknown rule {rule!r}")
    visits = visits.with_columns(
        pl.when(blocked).then(0).when(s4 == 0).then(3).when(2 * d > b).then(2).when(10 * d >= b).then(1).otherwise(0).alias("rank")
    )
    responding = pl.col("rank") >= 1
    visits = visits.with_columns(
        (responding & (pl.col("first_visit") | ~responding.shift(1).fill_null(False))).cast(pl.Int64).cum_sum().alias("run")
    )
    runs = (
        visits.filter(responding)
        .group_by("order", "run")
        .agg((pl.col("month").max() - pl.col("month").min() >= 3 - 1e-9).alias("long"))
        .group_by("order")
        .agg(pl.col("long").any().alias("sustained_3_months"))
    )
    per_patient = visits.group_by("order").agg(
        pl.len().alias("n_assessments"),
        pl.col("rank").max().alias("best"),
        pl.col("month").filter(responding).min().alias("first_response"),
        pl.col("month").filter(pl.col("rank") == pl.col("rank").max()).min().alias("first_best"),
        pl.col("month").last().alias("last_assessment_month"),
        pl.col("rank").last().alias("last_rank"),
    )
    out = (
        p.join(per_patient, on="order", how="left")
        .join(runs, on="order", how="left")
        .join(baseline_counts, on="order", how="left")
        .sort("order")
        .with_columns(
            pl.col("best").fill_null(0),
            pl.col("n_assessments").fill_null(0),
            pl.col("sustained_3_months").fill_null(False),
            pl.col("baseline_symptoms").fill_null(0),
            end.is_null().alias("still_treated"),
        )
    )
    responder = pl.col("best") >= 1
    last_category = pl.col("last_rank").replace_strict(list(range(4)), list(ORDER), default=None, return_dtype=pl.String)
    stopped = pl.col("end_reason").replace_strict(list(STOP_STATUS), list(STOP_STATUS.values()), default="lost_or_other", return_dtype=pl.String)
    subgroup = (
        pl.when(pl.col("diagnosis") == "MCAS")
        .then(pl.when(pl.col("kit_d816v") == "positive").then(pl.lit("MMAS")).otherwise(pl.lit("idiopathic")))
        .otherwise(pl.col("diagnosis"))
    )
    out = out.with_columns(
        pl.col("best").replace_strict(list(range(4)), list(ORDER), return_dtype=pl.String).alias("best_response"),
        pl.when(responder).then(pl.col("first_response")).alias("months_to_first_response"),
        pl.when(responder).then(pl.col("first_best")).alias("months_to_best_response"),
        last_category.alias("last_category"),
        subgroup.alias("subgroup"),
    ).with_columns(
        pl.when(~responder)
        .then(pl.lit("no_response"))
        .when(pl.col("still_treated"))
        .then(pl.when(pl.col("last_category") == "NR").then(pl.lit("loss_of_response")).otherwise(pl.col("last_category")))
        .otherwise(stopped)
        .alias("status_at_last_follow_up"),
        pl.when(pl.col("subgroup") == "idiopathic").then(pl.lit("idiopathic")).otherwise(pl.lit("primary")).alias("group"),
    )
    return out.select(*FIELDS, "diagnosis", "subgroup", "group")


def _running_total(column: str) -> pl.Expr:
    """Cumulative sum of ``column`` restarting at each patient's first visit (rows in patient order)."""
    total = pl.col(column).cum_sum()
    return total - pl.when(pl.col("first_visit")).then(total - pl.col(column)).otherwise(None).forward_fill()


def _increasing(keys: pl.Series) -> bool:
    return keys.len() < 2 or bool((keys.diff().drop_nulls() >= 0).all())


def _has_repeats(keys: pl.Series) -> bool:
    """Whether a key occurs twice: one pass on sorted keys, a sort otherwise."""
    if not _increasing(keys):
        keys = keys.sort()
    return keys.len() > 1 and bool((keys.diff().drop_nulls() == 0).any())


def _symptom_code(symptom: pl.Expr) -> pl.Expr:
    """An integer per distinct symptom name (its dictionary code, or a dense rank of plain text)."""
    return symptom.cast(pl.Categorical).to_physical().cast(pl.Int64)


def _with_patient_order(symptoms: pl.DataFrame, patients: pl.DataFrame) -> pl.DataFrame:
    """``symptoms`` with ``order``: its patient's position in ``patients`` (null if unknown), one look-up per distinct id."""
    ids = symptoms.select(pl.col("patient_id").unique())
    known = ids.with_columns(pl.col("patient_id").cast(pl.String).alias("pid")).join(
        patients.select(pl.col("patient_id").alias("pid"), "order"), on="pid", how="left"
    )
    return symptoms.join(known.select("patient_id", "order"), on="patient_id", how="left", maintain_order="left")


def response_counts(outcomes: pl.DataFrame) -> dict:
    """Table 2 counts per column (the ``response_table`` of the JSON contract)."""
    present = set(outcomes["subgroup"].unique().to_list())
    masks = {
        "all": pl.lit(True),
        "primary": pl.col("group") == "primary",
        **{name: pl.col("subgroup") == name for name in STANDARD_COLUMNS[2:]},
        **{name: pl.col("subgroup") == name for name in SUBGROUPS if name not in STANDARD_COLUMNS and name in present},
    }
    table = {}
    for name, mask in masks.items():
        rows = outcomes.filter(mask)
        best = dict(rows["best_response"].value_counts().iter_rows())
        last = dict(rows["status_at_last_follow_up"].value_counts().iter_rows())
        table[name] = {
            "n": rows.height,
            "best": {c: int(best.get(c, 0)) for c in RESPONSES},
            "last": {c: int(last.get(c, 0)) for c in STATUSES},
        }
    return table


# --- end to end: read, validate, score, write ------------------------------------------------


def read(folder: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    patients = pl.read_parquet(folder / "patients.parquet")
    symptoms = pl.read_parquet(folder / "symptoms.parquet")
    return patients, symptoms


def validate(patients: pl.DataFrame, symptoms: pl.DataFrame) -> None:
    """The loader's checks on the columns the rules read; raises InvalidCohort."""
    needed = {"patients": ("patient_id", "diagnosis", "kit_d816v", "treatment_end_month", "end_reason"), "symptoms": ("patient_id", "symptom", "month", "score")}
    for name, frame in (("patients", patients), ("symptoms", symptoms)):
        missing = [c for c in needed[name] if c not in frame.columns]
        if missing:
            raise InvalidCohort(f"{name}: missing column(s) {missing}")
    ids = patients["patient_id"].cast(pl.String).str.strip_chars()
    if ids.is_null().any() or (ids == "").any():
        raise InvalidCohort("patients: blank patient_id")
    if ids.is_duplicated().any():
        raise InvalidCohort("patients: repeated patient_id")
    # Text is checked once per distinct value, rows through integer codes.
    s = _with_patient_order(symptoms, patients.select(pl.col("patient_id").cast(pl.String).str.strip_chars()).with_row_index("order"))
    if s["order"].is_null().any():
        raise InvalidCohort("symptoms: a patient not in the patients table")
    names = symptoms.select(pl.col("symptom").unique())
    names = names.with_columns(pl.col("symptom").cast(pl.String).str.strip_chars().str.to_lowercase().rank("dense").alias("same_symptom"))
    s = s.join(names, on="symptom", how="left", maintain_order="left").select("order", "same_symptom", pl.col("month").cast(pl.Float64), pl.col("score").cast(pl.Float64))
    if s["month"].is_null().any() or s["month"].is_nan().any():
        raise InvalidCohort("symptoms: a row without its month")
    scores = s.select(pl.col("score").unique())["score"]
    quarters = scores * 4
    if not (((quarters - quarters.round(0)).abs() < 1e-9) & quarters.round(0).is_in([float(a) for a in ALLOWED_QUARTERS])).all():
        raise InvalidCohort("symptoms: a score that is not 0, 0.25, 0.5, 0.75, 1 or 1.5")
    if s.filter((pl.col("month") == 0) & (pl.col("score") != 1)).height:
        raise InvalidCohort("symptoms: a baseline score other than 1")
    months = s.select(pl.col("month").unique()).with_row_index("m_rank")
    n_names = int(names["same_symptom"].max() or 0) + 1
    key = (pl.col("order").cast(pl.Int64) * n_names + pl.col("same_symptom").cast(pl.Int64)) * months.height + pl.col("m_rank").cast(pl.Int64)
    keys = s.join(months, on="month", how="left", maintain_order="left").select(key)["order"]
    if _has_repeats(keys):
        raise InvalidCohort("symptoms: the same symptom twice for one patient and month")


def summary(folder: Path, rule: str = "any_symptom") -> dict:
    patients, symptoms = read(folder)
    validate(patients, symptoms)
    outcomes = reference_outcomes(patients, symptoms, rule)
    return outcomes


def write_summary(outcomes: pl.DataFrame, out) -> None:
    """The ``summary --json`` document: n_patients, patients, response_table."""
    patients = outcomes.select(
        "patient_id", "diagnosis", "group", "baseline_symptoms", "best_response",
        "months_to_first_response", "months_to_best_response", "status_at_last_follow_up", "sustained_3_months",
    )
    out.write('{"n_patients": %d, "patients": ' % outcomes.height)
    out.write(patients.write_json())
    out.write(', "response_table": ')
    out.write(json.dumps(response_counts(outcomes)))
    out.write("}\n")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2 or argv[0] != "summary":
        print("usage: python -m benchmarks.reference_polars summary FOLDER [any_symptom|total_score]", file=sys.stderr)
        return 2
    rule = argv[2] if len(argv) > 2 else "any_symptom"
    try:
        outcomes = summary(Path(argv[1]), rule)
    except InvalidCohort as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    write_summary(outcomes, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
