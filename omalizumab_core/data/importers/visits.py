"""Visit names -> months since the first injection ("M3", "month_3_arm_1", "Mois 6", "baseline")."""

from __future__ import annotations

import re

_BASELINE = re.compile(r"^(baseline|screening|inclusion|initial|pre[\s_\-]*treatment|before[\s_\-]*treatment|avant[\s_\-]*traitement|bl|m0|d0|day[\s_\-]*0|visit[\s_\-]*0|v0)$")
_MONTH = re.compile(r"^(?:m|mo|month|months|mois|visit[\s_\-]*m)[\s_\-\.]*(\d+(?:[.,]\d+)?)$")
_MONTH_AFTER = re.compile(r"^(\d+(?:[.,]\d+)?)[\s_\-]*(?:m|mo|month|months|mois)$")
_ARM = re.compile(r"([\s_\-]*arm[\s_\-]*\d+$|\s*\(arm\s*\d+[^)]*\)$)")


def visit_month(text: object) -> float | None:
    """Months of a visit name, or None when the name is not a visit.

    >>> visit_month("Month 3"), visit_month("m12"), visit_month("baseline_arm_1"), visit_month("Mois 6"), visit_month("notes")
    (3.0, 12.0, 0.0, 6.0, None)
    >>> visit_month("Month 3 (Arm 1: Arm 1)")
    3.0
    """
    name = str(text).strip().lower()
    name = _ARM.sub("", name).strip(" _-()[]")
    if _BASELINE.match(name):
        return 0.0
    for pattern in (_MONTH, _MONTH_AFTER):
        found = pattern.match(name)
        if found:
            return float(found.group(1).replace(",", "."))
    return None


_SUFFIX = re.compile(
    r"^(?P<name>.*?[^\s_\-\(\[])[\s_\-]*[\(\[]?\s*(?P<visit>(?:m|mo|month|months|mois)[\s_\-\.]*\d+(?:[.,]\d+)?|baseline|bl|inclusion|screening)\s*[\)\]]?$",
    re.IGNORECASE,
)


def split_visit_column(header: object) -> tuple[str, float] | None:
    """A symptom-by-visit header split into (symptom, month), or None.

    >>> split_visit_column("flushing_m0"), split_visit_column("Flushing M6"), split_visit_column("flush (month 12)")
    (('flushing', 0.0), ('Flushing', 6.0), ('flush', 12.0))
    """
    found = _SUFFIX.match(str(header).strip())
    if not found:
        return None
    month = visit_month(found.group("visit"))
    if month is None:
        return None
    name = found.group("name").strip(" _-").replace("_", " ")
    return (name, month) if name else None
