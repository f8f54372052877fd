"""The validated cohort every analysis takes.

A :class:`Cohort` is what the loader returns once a file passes validation:
typed tables in the data contract's column names (see docs/data-format.md).

Column types after loading
--------------------------
patients
    patient_id (str), sex ("M"/"F" or NA), diagnosis (code of
    ``codes.DIAGNOSES``), kit_d816v (code of ``codes.KIT_STATUSES``; blank is
    read as "not_evaluated"), age_at_diagnosis, age_at_treatment (float years),
    center (str or NA), treatment_start (datetime64 or NaT),
    treatment_end_month (float months since first injection; NaN = still
    treated), end_reason (code of ``codes.END_REASONS``; "ongoing" when still
    treated), last_follow_up_month (float or NaN), baseline_tryptase,
    baseline_total_ige (float), prior_therapies (str, ";"-separated, or NA),
    the optional yes/no characteristics as pandas "boolean", and any extra
    column as the user gave it.
symptoms
    patient_id (str), symptom (str, as written by the user, trimmed),
    month (float, 0 = baseline), score (float in ``codes.ALLOWED_SCORES``),
    category (code of ``codes.CATEGORIES``).
doses
    patient_id, month (float), dose_mg (float), interval_days (float).
adverse_events
    patient_id, month (float), event (str), severity (code or NA),
    serious, flare, led_to_discontinuation (pandas "boolean").
labs
    patient_id, month (float), analyte ("tryptase"/"total_ige"), value (float).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .problems import Problem

OPTIONAL_TABLES = ("doses", "adverse_events", "labs")
TABLES = ("patients", "symptoms", *OPTIONAL_TABLES)


@dataclass(frozen=True, eq=False)
class Cohort:
    """A loaded, validated cohort.

    Attributes
    ----------
    patients, symptoms : DataFrame
        Required tables.
    doses, adverse_events, labs : DataFrame or None
        Optional tables; None when the file did not have them.
    source : str
        Where the data came from, for display ("demo cohort (synthetic)",
        "upload: cohort.xlsx").
    warnings : list of Problem
        Non-blocking problems found while loading.
    synthetic : bool
        True for generated cohorts, which every view labels as synthetic.
    """

    patients: pd.DataFrame
    symptoms: pd.DataFrame
    doses: pd.DataFrame | None = None
    adverse_events: pd.DataFrame | None = None
    labs: pd.DataFrame | None = None
    source: str = ""
    warnings: list[Problem] = field(default_factory=list)
    synthetic: bool = False

    @property
    def n_patients(self) -> int:
        return len(self.patients)

    def table(self, name: str) -> pd.DataFrame | None:
        """A table by its data-contract name."""
        if name not in TABLES:
            raise KeyError(f"unknown table {name!r}; tables are {', '.join(TABLES)}")
        return getattr(self, name)

    def subset(self, patient_ids) -> "Cohort":
        """The same cohort restricted to some patients (for filters)."""
        keep = pd.Index(patient_ids)

        def restrict(frame: pd.DataFrame | None) -> pd.DataFrame | None:
            if frame is None:
                return None
            return frame[frame["patient_id"].isin(keep)]

        return Cohort(
            patients=restrict(self.patients),
            symptoms=restrict(self.symptoms),
            doses=restrict(self.doses),
            adverse_events=restrict(self.adverse_events),
            labs=restrict(self.labs),
            source=self.source,
            warnings=self.warnings,
            synthetic=self.synthetic,
        )
