"""A column mapping for files whose headers or codes differ from the dashboard's.

A mapping is a small JSON document the user keeps (downloaded from the Data
page, reused with ``--mapping FILE`` on the command line)::

    {"version": 1,
     "columns": {"patients": {"patient_id": "N° patient", "diagnosis": "Diagnostic"}},
     "codes": {"patients": {"diagnosis": {"Mastocytose systémique indolente": "ISM"}}}}

``columns`` names, for each table and dashboard column, the user's header;
``codes`` translates the user's values of a coded column into the dashboard's
codes. :func:`suggest_columns` and :func:`suggest_codes` pre-fill both by
fuzzy matching on names and English/French synonyms. Nothing is written on
the server: the mapping is applied in memory to the tables as read.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import unicodedata

from omalizumab_core.data.codes import DIAGNOSIS_LABELS, END_REASON_LABELS
from omalizumab_core.data.contract import CODE, TABLE_COLUMNS
from omalizumab_core.data.importers.located import normalise
from omalizumab_core.data.problems import ERROR, CohortError, Problem
from omalizumab_core.data.raw import RawCohort

MAPPING_VERSION = 1
THRESHOLD = 0.75
"""Least similarity (0-1) for a pre-filled suggestion."""

COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "patient_id": ("patient", "id", "n patient", "no patient", "numero patient", "numéro patient", "identifiant", "subject", "subject id", "record id", "code patient", "usubjid"),
    "sex": ("sexe", "gender", "genre"),
    "diagnosis": ("diagnostic", "diag", "disease", "maladie", "pathologie", "who diagnosis"),
    "kit_d816v": ("kit", "kit mutation", "mutation kit", "d816v", "statut kit", "kit status"),
    "age_at_diagnosis": ("age au diagnostic", "age diagnostic", "age at dx", "age dx"),
    "age_at_treatment": ("age", "age au traitement", "age debut traitement", "age at start", "age a l initiation"),
    "center": ("centre", "site", "hopital", "hôpital", "hospital"),
    "treatment_start": ("date debut", "date de debut", "start date", "first injection", "date premiere injection", "date de première injection"),
    "treatment_end_month": ("end month", "mois arret", "mois d arret", "mois de fin", "stop month"),
    "end_reason": ("motif arret", "motif d arret", "raison arret", "stop reason", "reason for stopping"),
    "last_follow_up_month": ("last follow up", "dernier suivi", "mois dernier suivi", "follow up month"),
    "baseline_tryptase": ("tryptase", "tryptase initiale", "tryptase baseline", "tryptasemie"),
    "baseline_total_ige": ("ige", "ige totales", "total ige", "ige initiales"),
    "prior_therapies": ("traitements anterieurs", "previous treatments", "prior treatments"),
    "symptom": ("symptome", "symptôme", "sign", "signe", "plainte"),
    "month": ("mois", "visit month", "visite", "mois de visite", "time"),
    "date": ("date visite", "visit date", "date de visite"),
    "score": ("note", "cotation", "response", "reponse", "réponse", "symptom score"),
    "dose_mg": ("dose", "posologie", "dose mg"),
    "interval_days": ("interval", "intervalle", "frequence", "fréquence", "jours entre injections"),
    "event": ("effet indesirable", "effet indésirable", "evenement", "événement", "adverse event", "ae"),
    "severity": ("gravite", "gravité", "severite", "sévérité"),
    "analyte": ("parametre", "paramètre", "test", "analyse"),
    "value": ("valeur", "resultat", "résultat", "result"),
}
CODE_SYNONYMS: dict[str, dict[str, str]] = {
    "diagnosis": {
        "mastocytose systemique indolente": "ISM", "indolent systemic mastocytosis": "ISM",
        "mastocytose systemique smoldering": "SSM", "mastocytose systemique a evolution lente": "SSM", "smoldering systemic mastocytosis": "SSM",
        "mastocytose cutanee": "CM", "cutaneous mastocytosis": "CM",
        "syndrome d activation mastocytaire": "MCAS", "mast cell activation syndrome": "MCAS",
        "mastocytose systemique avec hemopathie associee": "SM-AHN", "mastocytose systemique associee a une hemopathie": "SM-AHN",
        "mastocytose systemique agressive": "ASM", "aggressive systemic mastocytosis": "ASM",
        "leucemie a mastocytes": "MCL", "mast cell leukemia": "MCL", "autre": "other",
        **{_label.lower(): _code for _code, _label in DIAGNOSIS_LABELS.items()},
    },
    "end_reason": {"inefficacite": "lack_of_efficacy", "perte de reponse": "loss_of_response", "intolerance": "intolerance",
                   "perdu de vue": "lost_to_follow_up", "desir de grossesse": "pregnancy_intent", "en cours": "ongoing", "autre": "other",
                   **{_label.lower(): _code for _code, _label in END_REASON_LABELS.items()}},
    "sex": {"homme": "M", "femme": "F", "masculin": "M", "feminin": "F", "male": "M", "female": "F"},
    "kit_d816v": {"positif": "positive", "negatif": "negative", "non fait": "not_evaluated", "non evalue": "not_evaluated"},
}


def _fold(text: object) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _similarity(written: str, target: str) -> float:
    folded = _fold(written)
    names = (target, target.replace("_", " "), *COLUMN_SYNONYMS.get(target, ()))
    if folded in {_fold(n) for n in names}:
        return 1.0
    return max(difflib.SequenceMatcher(None, folded, _fold(n)).ratio() for n in names)


def suggest_columns(table: str, headers: list[str]) -> dict[str, str | None]:
    """For each column of ``table``, the user's header that best matches it, or None.

    Matches by name and English/French synonyms (folded case and accents),
    then by similarity of at least :data:`THRESHOLD`; each header is used once.

    Examples
    --------
    >>> from omalizumab_core.data.importers.mapping import suggest_columns
    >>> found = suggest_columns("patients", ["N° patient", "Sexe", "Diagnostic", "Âge"])
    >>> found["patient_id"], found["sex"], found["diagnosis"], found["age_at_treatment"]
    ('N° patient', 'Sexe', 'Diagnostic', 'Âge')
    """
    targets = [c.name for c in TABLE_COLUMNS[table]]
    pairs = sorted(((_similarity(h, t), i, h, t) for i, h in enumerate(headers) for t in targets), key=lambda p: (-p[0], p[1]))
    chosen: dict[str, str | None] = {t: None for t in targets}
    used = set()
    for score, _, header, target in pairs:
        if score < THRESHOLD or chosen[target] is not None or header in used:
            continue
        chosen[target] = header
        used.add(header)
    return chosen


def suggest_codes(table: str, column: str, values: list[str]) -> dict[str, str | None]:
    """For each distinct user value of a coded column, the dashboard's code it most likely means.

    Examples
    --------
    >>> from omalizumab_core.data.importers.mapping import suggest_codes
    >>> suggest_codes("patients", "diagnosis", ["Mastocytose systémique indolente", "SCA", "??"])
    {'Mastocytose systémique indolente': 'ISM', 'SCA': 'MCAS', '??': None}
    """
    spec = next(c for c in TABLE_COLUMNS[table] if c.name == column)
    known = {_fold(code): code for code in spec.codes}
    known.update({_fold(k): v for k, v in spec.synonyms.items()})
    known.update({_fold(k): v for k, v in CODE_SYNONYMS.get(column, {}).items()})
    out = {}
    for value in values:
        folded = _fold(value)
        if folded in known:
            out[value] = known[folded]
            continue
        close = difflib.get_close_matches(folded, list(known), n=1, cutoff=THRESHOLD)
        out[value] = known[close[0]] if close else None
    return out


def codes_to_map(table: str, column: str, values) -> dict[str, str | None]:
    """The user's values of a coded column the loader would not accept as they are, each with its suggested code.

    Examples
    --------
    >>> from omalizumab_core.data.importers.mapping import codes_to_map
    >>> codes_to_map("patients", "diagnosis", ["ISM", "msi", "Mastocytose cutanée", None])
    {'Mastocytose cutanée': 'CM'}
    """
    spec = next(c for c in TABLE_COLUMNS[table] if c.name == column)
    accepted = {_fold(code) for code in spec.codes} | {_fold(k) for k in spec.synonyms}
    distinct = sorted({str(v).strip() for v in values if isinstance(v, str) and v.strip()})
    return suggest_codes(table, column, [v for v in distinct if _fold(v) not in accepted])


def coded_columns(table: str) -> list[str]:
    """The columns of ``table`` whose values are codes (offered for code mapping)."""
    return [c.name for c in TABLE_COLUMNS[table] if c.kind == CODE]


def mapping_json(columns: dict, codes: dict | None = None) -> bytes:
    """The mapping as the JSON file the user downloads."""
    document = {"version": MAPPING_VERSION, "columns": columns, "codes": codes or {}}
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def read_mapping(content: bytes) -> dict:
    """A mapping file, checked; raises CohortError saying what is wrong."""
    def bad(message: str) -> CohortError:
        return CohortError([Problem(ERROR, None, message, where="mapping file")])

    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise bad("The mapping file is not JSON. Download it again from the Data page.") from None
    if not isinstance(document, dict) or not isinstance(document.get("columns", {}), dict) or not isinstance(document.get("codes", {}), dict):
        raise bad('The mapping file must hold {"columns": {...}, "codes": {...}}.')
    for table, columns in {**document.get("columns", {}), **document.get("codes", {})}.items():
        if table not in TABLE_COLUMNS:
            raise bad(f"The mapping names a table '{table}' the dashboard does not know: use {', '.join(TABLE_COLUMNS)}.")
        if not isinstance(columns, dict):
            raise bad(f"The mapping of table '{table}' must be an object.")
    return {"columns": document.get("columns", {}), "codes": document.get("codes", {})}


def apply_mapping(raw: RawCohort, mapping: dict | None) -> RawCohort:
    """The tables with the user's headers renamed and codes translated (a copy; the input is unchanged)."""
    if not mapping:
        return raw
    tables = dict(raw.tables)
    for name, table in raw.tables.items():
        renames = {normalise(user): column for column, user in (mapping.get("columns", {}).get(name) or {}).items() if user}
        frame = table.frame.rename(columns={c: renames[c] for c in table.frame.columns if c in renames and renames[c] != c})
        for column, codes in (mapping.get("codes", {}).get(name) or {}).items():
            if column in frame.columns and codes:
                folded = {_fold(k): v for k, v in codes.items() if v}
                frame[column] = frame[column].map(lambda v: folded.get(_fold(v), v) if isinstance(v, str) else v)
        labels = dict(table.original_columns)
        for old, new in renames.items():
            if old in labels:
                labels[new] = labels.pop(old)
        tables[name] = dataclasses.replace(table, frame=frame, original_columns=labels)
    return RawCohort(tables=tables, source=raw.source)
