"""A cohort written as ADaM datasets (SAS transport version 5), the shape :mod:`omalizumab_core.data.importers.adam` reads.

ADSL, ADQS (one record per symptom and visit), ADAE and ADLB; see
docs/adam.md for every variable. Written with pyreadstat, to the folder the
user names on the command line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from omalizumab_core.data.importers.adam import ADSL, LAB_PARAMCD


def adam_frames(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """ADSL, ADQS, ADAE, ADLB from the cohort's contract tables (see ``cohort_files.contract_tables``)."""
    patients = tables["patients"]
    to_variable = {column: variable for variable, column in ADSL.items()}
    adsl = pd.DataFrame({to_variable[c]: patients[c] for c in patients.columns if c in to_variable})
    for variable in adsl.columns:
        if variable in ("SKININV", "MPCM", "BMINV", "DECRBD", "WHODENSE", "WHOATYP", "WHOKIT", "WHOCD225"):
            adsl[variable] = adsl[variable].map({"yes": "Y", "no": "N"}).fillna("")
    if "DIAGCD" in adsl:
        adsl["DIAGCD"] = adsl["DIAGCD"].astype(str)
    if "TRTSDT" in adsl:
        adsl["TRTSDT"] = pd.to_datetime(adsl["TRTSDT"]).dt.date
    adsl.insert(0, "STUDYID", "OMALIZUMAB")
    symptoms = tables["symptoms"]
    codes = _paramcds(symptoms["symptom"])
    adqs = pd.DataFrame({
        "STUDYID": "OMALIZUMAB", "USUBJID": symptoms["patient_id"], "PARAMCD": symptoms["symptom"].map(codes), "PARAM": symptoms["symptom"],
        "PARCAT1": symptoms["category"] if "category" in symptoms else "", "AVAL": symptoms["score"], "AVISITN": symptoms["month"],
        "ABLFL": (symptoms["month"] == 0).map({True: "Y", False: ""}),
    })
    out = {"ADSL": adsl, "ADQS": adqs}
    if "adverse_events" in tables:
        ae = tables["adverse_events"]
        out["ADAE"] = pd.DataFrame({
            "STUDYID": "OMALIZUMAB", "USUBJID": ae["patient_id"], "AEDECOD": ae["event"], "AEMO": ae["month"],
            "AESEV": ae["severity"].fillna("").str.upper() if "severity" in ae else "",
            "AESER": ae["serious"].map({"yes": "Y", "no": "N"}).fillna("") if "serious" in ae else "",
            "AEFLARE": ae["flare"].map({"yes": "Y", "no": "N"}).fillna("") if "flare" in ae else "",
            "AEACN": ae["led_to_discontinuation"].map({"yes": "DRUG WITHDRAWN", "no": "DOSE NOT CHANGED"}).fillna("") if "led_to_discontinuation" in ae else "",
        })
    if "labs" in tables:
        labs = tables["labs"]
        paramcd = {analyte: code for code, analyte in reversed(list(LAB_PARAMCD.items()))}
        out["ADLB"] = pd.DataFrame({"STUDYID": "OMALIZUMAB", "USUBJID": labs["patient_id"], "PARAMCD": labs["analyte"].map(paramcd),
                                    "AVAL": labs["value"], "AVISITN": labs["month"]})
    for frame in out.values():
        for column in frame.columns:
            if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
                if column != "TRTSDT":
                    # plain Python strings: pyreadstat iterates Arrow-backed strings one by one, 5x slower
                    frame[column] = frame[column].astype("object").where(frame[column].notna(), "").map(str).astype("object")
    return out


def _paramcds(names: pd.Series) -> dict:
    """A PARAMCD (at most 8 characters, unique) per symptom name."""
    codes, used = {}, set()
    for name in pd.unique(names):
        base = re.sub(r"[^A-Z0-9]", "", str(name).upper())[:8] or "SYMPTOM"
        code, k = base, 1
        while code in used:
            k += 1
            code = f"{base[:8 - len(str(k))]}{k}"
        used.add(code)
        codes[name] = code
    return codes


def write_adam(tables: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Write adsl.xpt, adqs.xpt, adae.xpt, adlb.xpt into ``folder`` from contract tables; the paths written."""
    import pyreadstat

    written = []
    for dataset, frame in adam_frames(tables).items():
        path = Path(folder) / f"{dataset.lower()}.xpt"
        pyreadstat.write_xport(frame, str(path), table_name=dataset, file_format_version=5)
        written.append(path)
    return written
