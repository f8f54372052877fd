"""Checks of the ``instrument_scores`` table against the instruments' definitions.

Called by the validator once the table's columns are typed. Each problem is
located (table, row, column, value) like every other validation problem:

- an instrument with no definition loaded (error);
- an item that is not an item, a domain or the total of its instrument (error);
- a value outside the range the definition allows for that item, domain or total (error);
- the same patient, instrument, item and month twice (error);
- a patient with scores of an instrument but none at baseline, month 0
  (warning: that patient is left out of the change and responder analyses
  of that instrument).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from omalizumab_core.data.instruments import packaged_instruments
from omalizumab_core.data.problems import ERROR, WARNING


def check_instrument_scores(raw, frame: pd.DataFrame, month: np.ndarray, patients: pd.DataFrame, user_definitions: dict, report) -> tuple[pd.DataFrame, dict]:
    """The typed table (ids lower case, months from dates) and the definitions it uses; problems go to ``report``."""
    definitions = {**packaged_instruments(), **user_definitions}
    frame = frame.copy()
    # Blank cells were reported as missing required values already: not reported again as unknown names.
    blank = frame["instrument"].isna().to_numpy() | frame["item"].isna().to_numpy()
    instrument = frame["instrument"].astype("object").astype(str).str.strip().str.lower()
    item = frame["item"].astype("object").astype(str).str.strip().str.lower()
    value = frame["value"].to_numpy(dtype="float64")
    frame["instrument"] = instrument.to_numpy(dtype=object)
    frame["item"] = item.to_numpy(dtype=object)
    frame["month"] = month

    known = instrument.isin(list(definitions)).to_numpy() & ~blank
    unknown = np.flatnonzero(~known & ~blank)
    names = ", ".join(sorted(definitions)) or "none yet"
    report.rows(
        ERROR, raw, unknown, "instrument",
        "No definition is loaded for this instrument: upload its definition file (.toml, see docs/instruments.md) "
        f"with the cohort, or correct the name. Instruments defined: {names}.",
        frame["instrument"].to_numpy()[unknown[:20]],
    )
    bad_item = np.zeros(len(frame), dtype=bool)
    out_of_range = np.zeros(len(frame), dtype=bool)
    ranges = np.full((len(frame), 2), np.nan)
    for (name, code), rows in frame[known].groupby(["instrument", "item"], sort=False).groups.items():
        definition = definitions[name]
        positions = frame.index.get_indexer(rows)
        if code not in definition.items and code not in definition.measures:
            bad_item[positions] = True
            continue
        ranges[positions] = definition.measure_range(code)
    for name in frame.loc[bad_item, "instrument"].unique():
        definition = definitions[name]
        rows = np.flatnonzero(bad_item & (frame["instrument"] == name).to_numpy())
        choices = ", ".join([*definition.items, *definition.measures])
        report.rows(ERROR, raw, rows, "item", f"This is not an item, a domain or the total of {definition.name}: use one of {choices}.", frame["item"].to_numpy()[rows[:20]])
    with np.errstate(invalid="ignore"):
        out_of_range = (value < ranges[:, 0]) | (value > ranges[:, 1])
    for (low, high), rows in pd.DataFrame(ranges[out_of_range], index=np.flatnonzero(out_of_range)).groupby([0, 1]).groups.items():
        rows = np.asarray(rows)
        report.rows(ERROR, raw, rows, "value", f"The score is outside the range its instrument's definition allows for this item ({low:g} to {high:g}): check the value or the item.", value[rows[:20]])

    timed = ~np.isnan(month)
    keys = frame[["patient_id", "instrument", "item"]].assign(month=month)
    repeated = keys.duplicated(keep=False).to_numpy() & timed & known & ~bad_item
    repeated_rows = np.flatnonzero(repeated)
    report.rows(ERROR, raw, repeated_rows, "month", "The same patient, instrument, item and month appear on more than one row: keep one score per assessment.", month[repeated_rows[:20]])

    usable = known & ~bad_item & timed
    pairs = frame.loc[usable, ["patient_id", "instrument"]].assign(baseline=month[usable] == 0, row=np.flatnonzero(usable))
    summary = pairs.groupby(["patient_id", "instrument"], observed=True, sort=False).agg(baseline=("baseline", "any"), row=("row", "min"))
    missing = summary[~summary["baseline"]]
    for (patient, name), entry in missing.iterrows():
        label = definitions[name].name
        report.rows(
            WARNING, raw, [int(entry["row"])], "month",
            f"Patient {patient} has {label} scores but none at baseline (month 0): the change from baseline and the responder "
            "analyses leave this patient out for this instrument. Add the baseline questionnaire if it exists.",
            [month[int(entry["row"])]],
        )
    used = {name: definitions[name] for name in frame.loc[known, "instrument"].unique()}
    keep = ["patient_id", "instrument", "item", "month", "value"]
    extra = [c for c in frame.columns if c not in keep and c != "date"]
    return frame[keep + extra], used
