"""A saved analysis: a small JSON file that reopens the same view, never holding patient data.

It holds the data source's name and a checksum of the loaded data, the
filters (in the URL's serialisation, :func:`analyses.filters.spec_to_query`),
the worsening rule, the page and its settings, and the MDT candidate if one
was entered (a hypothetical patient typed at the meeting, not a cohort row).
Opening it on other data works but says so: the checksum differs.

Format (version 1)::

    {"format": "omalizumab-analysis", "version": 1,
     "data_source": "cohort.xlsx", "checksum": "sha256:…",
     "filters": {"sex": "F", "subgroup": "ISM,SSM"}, "worsening_rule": "any_symptom",
     "page": "response", "settings": {"response_by": "sex"},
     "candidate": null, "k": null}
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

import pandas as pd

from omalizumab_core.analyses.candidate_profile import Candidate
from omalizumab_core.analyses.filters import FilterSpec, filter_index, filter_options, spec_from_query, spec_to_query
from omalizumab_core.data.cohort import TABLES, Cohort
from omalizumab_core.data.codes import WORSENING_RULES
from omalizumab_core.data.problems import Problem

FORMAT = "omalizumab-analysis"
VERSION = 1
MAX_BYTES = 100_000  # a saved analysis is a few hundred bytes; anything larger is not one


class AnalysisFileError(ValueError):
    """The file is not a saved analysis of this dashboard (the message says what is wrong)."""


@dataclass(frozen=True)
class SavedAnalysis:
    """A view of the dashboard, as saved: everything but the data.

    Attributes
    ----------
    data_source : str
        Name of the loaded data ("demo" or the uploaded file's name).
    checksum : str
        ``"sha256:…"`` of the loaded data (see :func:`cohort_checksum`).
    filters : dict of str to str
        The filters as URL query parameters (only those set).
    worsening_rule : str
    page : str or None
        The page's address (``"response"``, ``"symptoms"``...).
    settings : dict
        The page settings (widget values by their key), JSON values only.
    candidate : Candidate or None
    k : int or None
        The number of comparable patients asked for the candidate.
    """

    data_source: str
    checksum: str
    filters: dict = field(default_factory=dict)
    worsening_rule: str = "any_symptom"
    page: str | None = None
    settings: dict = field(default_factory=dict)
    candidate: Candidate | None = None
    k: int | None = None


def cohort_checksum(cohort: Cohort) -> str:
    """A checksum of the loaded data: the same tables with the same values give the same checksum.

    Computed on the validated tables (column names and values, in order), so
    it does not depend on the file format the data came in.

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> oc.cohort_checksum(oc.load_cohort("demo")) == oc.cohort_checksum(oc.load_cohort("demo"))
    True
    """
    digest = hashlib.sha256()
    for name in TABLES:
        frame = cohort.table(name)
        if frame is None:
            continue
        digest.update(f"{name}:{','.join(map(str, frame.columns))}:{len(frame)}\n".encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return "sha256:" + digest.hexdigest()


def _plain(value):
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict, str)):
        value = value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"a page setting of type {type(value).__name__} cannot be saved")


def analysis_json(cohort: Cohort, *, filters: FilterSpec | None = None, worsening_rule: str = "any_symptom", page: str | None = None,
                  settings: dict | None = None, candidate: Candidate | None = None, k: int | None = None) -> str:
    """The saved analysis of a view, as JSON text (a few hundred bytes, no patient data).

    Parameters
    ----------
    cohort : Cohort
        The loaded (unfiltered) cohort: only its name and checksum are saved.
    filters : FilterSpec, optional
    worsening_rule : {"any_symptom", "total_score"}
    page : str, optional
        The page's address.
    settings : dict, optional
        Page settings; values must be JSON-like (numbers, text, booleans, lists).
    candidate : Candidate, optional
    k : int, optional

    Returns
    -------
    str

    Raises
    ------
    TypeError
        A setting is not a plain value.

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> text = oc.analysis_json(oc.load_cohort("demo"), filters=oc.FilterSpec(sex=("F",)), page="response")
    >>> oc.read_analysis(text).filters
    {'sex': 'F'}
    """
    saved = {
        "format": FORMAT,
        "version": VERSION,
        "data_source": "demo" if cohort.synthetic else cohort.source.removeprefix("Upload: "),
        "checksum": cohort_checksum(cohort),
        "filters": spec_to_query(filters or FilterSpec()),
        "worsening_rule": worsening_rule,
        "page": page,
        "settings": _plain(dict(sorted((settings or {}).items()))),
        "candidate": None if candidate is None else _plain(dataclasses.asdict(candidate)),
        "k": None if k is None else int(k),
    }
    return json.dumps(saved, indent=2, ensure_ascii=False) + "\n"


def read_analysis(text: str | bytes) -> SavedAnalysis:
    """Read a saved analysis, checking every field.

    Raises
    ------
    AnalysisFileError
        Not JSON, not a saved analysis of this dashboard, a newer version, or a
        field of the wrong kind (the message names the field).

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> oc.read_analysis('{"format": "omalizumab-analysis", "version": 1, "data_source": "demo", "checksum": "x"}').worsening_rule
    'any_symptom'
    """
    if len(text) > MAX_BYTES:
        raise AnalysisFileError("This file is too large to be a saved analysis (a few hundred bytes); choose the .json file saved by \"Save analysis\".")
    try:
        raw = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise AnalysisFileError("This file is not a saved analysis (not JSON); choose the .json file saved by \"Save analysis\".") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise AnalysisFileError("This JSON file is not a saved analysis of this dashboard (no \"format\": \"omalizumab-analysis\").")
    if raw.get("version") != VERSION:
        raise AnalysisFileError(f"This saved analysis is of version {raw.get('version')!r}; this dashboard reads version {VERSION}. Update the dashboard.")

    def text_field(name, *, required=False):
        value = raw.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str):
            raise AnalysisFileError(f"The saved analysis's \"{name}\" must be text.")
        return value

    filters = raw.get("filters") or {}
    if not isinstance(filters, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in filters.items()):
        raise AnalysisFileError("The saved analysis's \"filters\" must map filter names to text, as in the dashboard's address.")
    rule = raw.get("worsening_rule", "any_symptom")
    if rule not in WORSENING_RULES:
        raise AnalysisFileError(f"The saved analysis's \"worsening_rule\" must be one of {', '.join(WORSENING_RULES)}, not {rule!r}.")
    settings = raw.get("settings") or {}
    if not isinstance(settings, dict):
        raise AnalysisFileError("The saved analysis's \"settings\" must be an object.")
    candidate = raw.get("candidate")
    if candidate is not None:
        try:
            candidate = Candidate(
                candidate["diagnosis"], candidate.get("kit_d816v", "not_evaluated"), candidate.get("age"), candidate.get("sex"),
                tuple(candidate.get("symptoms") or ()), tuple(tuple(pair) for pair in candidate.get("extras") or ()),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise AnalysisFileError(f"The saved analysis's MDT candidate cannot be read: {error}.") from None
    k = raw.get("k")
    if k is not None and (not isinstance(k, int) or isinstance(k, bool) or k < 1):
        raise AnalysisFileError("The saved analysis's \"k\" must be a whole number of patients (1 or more).")
    return SavedAnalysis(
        data_source=text_field("data_source", required=True), checksum=text_field("checksum", required=True), filters=dict(filters),
        worsening_rule=rule, page=text_field("page"), settings=dict(settings), candidate=candidate, k=k,
    )


def analysis_filters(saved: SavedAnalysis, scored) -> tuple[FilterSpec, list[Problem]]:
    """The saved filters as a selection of this cohort, with a warning for each level it lacks.

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> scored = oc.score_cohort(oc.load_cohort("demo"))
    >>> saved = oc.read_analysis(oc.analysis_json(scored.cohort, filters=oc.FilterSpec(sex=("F",))))
    >>> oc.analysis_filters(saved, scored)[0].sex
    ('F',)
    """
    return spec_from_query(saved.filters, filter_options(filter_index(scored)), source="saved analysis")


def data_differ(saved: SavedAnalysis, cohort: Cohort) -> str | None:
    """A warning when the loaded data are not those the analysis was saved on, else None.

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> saved = oc.read_analysis(oc.analysis_json(oc.load_cohort("demo")))
    >>> oc.data_differ(saved, oc.load_cohort("demo")) is None
    True
    """
    if cohort_checksum(cohort) == saved.checksum:
        return None
    return (f"This analysis was saved on other data ({saved.data_source}): the loaded data differ from the saved checksum, "
            "so the numbers may differ from those saved. Load the same file to see the saved view exactly.")
