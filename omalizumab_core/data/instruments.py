"""Instrument definitions: patient-reported questionnaires described as data.

A validated symptom or quality-of-life instrument (a questionnaire with items,
each scored in a range, combined into domains and a total) is described by a
TOML file: its items, their allowed range, whether a higher score is worse or
better, how items combine (sum, mean, or a linear transformation to 0–100),
the recall period, and the responder rules trials report. docs/instruments.md
explains the format; ``instrument_files/example_symptom_diary.toml`` is an
example of the format, not a validated instrument.

The package ships no validated definition: the items and scoring of the
instruments the field uses (MC-QoL, MAS, MQLQ, MSAF, ISM-SAF) could not be
verified from their publications here, and some are proprietary, so a centre
uploads the definition of the instrument it records with its cohort (a
``.toml`` file next to the cohort file, or an ``instruments/<name>.toml``
member of the cohort's zip).

Every error of a definition is a :class:`CohortError` whose problems say which
file and which entry to fix.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from omalizumab_core.data.problems import ERROR, CohortError, Problem

DIRECTIONS = {"higher_is_worse": "a higher score is worse", "higher_is_better": "a higher score is better"}
METHODS = {"sum": "sum of the items", "mean": "mean of the items", "0-100": "sum of the items rescaled linearly to 0–100"}
RULES = {
    "relative_reduction": "improvement of at least `percent` % of the way from the baseline to the best possible score",
    "absolute_change": "improvement of at least `points` points (a minimal important difference)",
    "threshold": "score of at most `at_most` (or at least `at_least`) at the assessment",
}
TOTAL = "total"
MAX_DEFINITION_BYTES = 1_000_000
_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


@dataclass(frozen=True)
class Item:
    id: str
    label: str
    low: float
    high: float


@dataclass(frozen=True)
class Measure:
    """A domain or the total: items combined by ``method``."""

    id: str
    label: str
    items: tuple[str, ...]
    method: str


@dataclass(frozen=True)
class ResponderRule:
    id: str
    label: str
    rule: str
    measure: str
    percent: float | None = None
    points: float | None = None
    at_most: float | None = None
    at_least: float | None = None


@dataclass(frozen=True)
class InstrumentDefinition:
    """One instrument, as its definition file gives it.

    Attributes
    ----------
    id : str
        The name used in the ``instrument`` column of ``instrument_scores``
        (lower case).
    name, source, recall_period : str
        Full name, the publication its items and scoring come from (author,
        journal, year), and the period patients answer about.
    direction : {"higher_is_worse", "higher_is_better"}
    items : dict of str to Item
    measures : dict of str to Measure
        The domains and, under ``"total"``, the total.
    responders : tuple of ResponderRule
    example : bool
        True for example definitions, which are not validated instruments.
    text : str
        The definition file's text, so that an exported cohort carries its
        definitions with it.
    """

    id: str
    name: str
    source: str
    recall_period: str
    direction: str
    items: dict
    measures: dict
    responders: tuple
    example: bool = False
    text: str = field(default="", compare=False, repr=False)

    @property
    def higher_is_worse(self) -> bool:
        return self.direction == "higher_is_worse"

    def measure_range(self, measure: str) -> tuple[float, float]:
        """Lowest and highest possible value of an item, a domain or the total."""
        if measure in self.items:
            item = self.items[measure]
            return item.low, item.high
        m = self.measures[measure]
        lows = [self.items[i].low for i in m.items]
        highs = [self.items[i].high for i in m.items]
        if m.method == "sum":
            return float(sum(lows)), float(sum(highs))
        if m.method == "mean":
            return sum(lows) / len(lows), sum(highs) / len(highs)
        return 0.0, 100.0

    def best(self, measure: str) -> float:
        """Best possible value of a measure."""
        low, high = self.measure_range(measure)
        return low if self.higher_is_worse else high

    def combine(self, measure: str, values):
        """A domain's or the total's value from its items' values, in the order of ``Measure.items``.

        ``values`` is one assessment's item values, or a 2-D array with one
        assessment per row (then one value per row is returned).
        """
        m = self.measures[measure]
        array = np.asarray(values, dtype=float)
        axis = array.ndim - 1
        if m.method == "mean":
            combined = array.mean(axis=axis)
        else:
            combined = array.sum(axis=axis)
            if m.method == "0-100":
                low = sum(self.items[i].low for i in m.items)
                high = sum(self.items[i].high for i in m.items)
                combined = (combined - low) / (high - low) * 100.0
        return float(combined) if array.ndim == 1 else combined

    def measure_ids(self) -> list[str]:
        """Measures to choose from, in reading order: the total, the domains, then the items."""
        domains = [m for m in self.measures if m != TOTAL]
        return [TOTAL] * (TOTAL in self.measures) + domains + list(self.items)

    def label(self, measure: str) -> str:
        if measure in self.items:
            return self.items[measure].label
        return self.measures[measure].label


def parse_instrument(text: str, *, source: str = "instrument definition") -> InstrumentDefinition:
    """Parse and check one instrument definition written in TOML.

    Parameters
    ----------
    text : str
        The content of the definition file (format: docs/instruments.md).
    source : str
        How the user names the file, for the messages ("instruments/mc_qol.toml").

    Returns
    -------
    InstrumentDefinition

    Raises
    ------
    CohortError
        Every problem of the definition, each saying which entry of which
        file to fix (a TOML syntax error gives its line and column).

    Examples
    --------
    >>> definition = parse_instrument(example_instrument_text(), source="example_symptom_diary.toml")
    >>> definition.id, len(definition.items), definition.measure_range("total")
    ('example_symptom_diary', 4, (0.0, 40.0))
    >>> try:
    ...     parse_instrument("[instrument]\\nid = 'x'", source="x.toml")
    ... except CohortError as error:
    ...     print(error.problems[0])
    ERROR | x.toml | column '[instrument] name': name must be given (text).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CohortError([Problem(ERROR, None, f"This instrument definition is not valid TOML: {error}. Fix the line given.", where=source)]) from None
    problems: list[Problem] = []

    def fail(entry: str, message: str) -> None:
        problems.append(Problem(ERROR, None, message, where=source, column=entry))

    head = data.get("instrument")
    if not isinstance(head, dict):
        fail("[instrument]", "The definition needs an [instrument] section with id, name, source, recall_period and direction.")
        raise CohortError(problems)
    example = bool(head.get("example", False))
    texts = {}
    for key in ("id", "name", "source", "recall_period", "direction"):
        value = head.get(key)
        if not isinstance(value, str) or not value.strip():
            fail(f"[instrument] {key}", f"{key} must be given (text).")
        texts[key] = value.strip() if isinstance(value, str) else ""
    ident = texts["id"].lower()
    if ident and not _ID.match(ident):
        fail("[instrument] id", f"The id '{texts['id']}' must be letters, digits, '_' or '-' (it is what the instrument column of instrument_scores holds).")
    if texts["direction"] and texts["direction"] not in DIRECTIONS:
        fail("[instrument] direction", f"direction must be one of {', '.join(DIRECTIONS)}, not '{texts['direction']}'.")
    if problems:
        raise CohortError(problems)

    items: dict[str, Item] = {}
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        fail("[[items]]", "The definition needs at least one [[items]] entry with id, label, low and high.")
    for n, entry in enumerate(raw_items or [], start=1):
        where = f"[[items]] number {n}"
        if not isinstance(entry, dict):
            fail(where, "Each item is a table with id, label, low and high.")
            continue
        item_id = str(entry.get("id", "")).strip().lower()
        if not _ID.match(item_id) or item_id == TOTAL:
            fail(where, f"The item id '{entry.get('id', '')}' must be letters, digits, '_' or '-', and not 'total'.")
            continue
        if item_id in items:
            fail(where, f"The item id '{item_id}' is used twice.")
            continue
        low, high = entry.get("low"), entry.get("high")
        if not _number(low) or not _number(high) or not low < high:
            fail(where, f"Item '{item_id}': low and high must be numbers with low < high (got {low!r} and {high!r}).")
            continue
        items[item_id] = Item(item_id, str(entry.get("label", item_id)), float(low), float(high))

    measures: dict[str, Measure] = {}
    raw_domains = data.get("domains", [])
    entries = [(f"[[domains]] number {n}", d, False) for n, d in enumerate(raw_domains if isinstance(raw_domains, list) else [raw_domains], start=1)]
    if "total" in data:
        entries.append(("[total]", data["total"], True))
    for where, entry, is_total in entries:
        if not isinstance(entry, dict):
            fail(where, "A domain or the total is a table with items and method.")
            continue
        measure_id = TOTAL if is_total else str(entry.get("id", "")).strip().lower()
        if not is_total and (not _ID.match(measure_id) or measure_id == TOTAL or measure_id in items or measure_id in measures):
            fail(where, f"The domain id '{entry.get('id', '')}' must be letters, digits, '_' or '-', and differ from 'total', every item and every other domain.")
            continue
        members = entry.get("items")
        if not isinstance(members, list) or not members:
            fail(where, "items must list the ids of the items it combines.")
            continue
        members = tuple(str(m).strip().lower() for m in members)
        unknown = [m for m in members if m not in items]
        if unknown:
            fail(where, f"Unknown item(s) {', '.join(unknown)}: list ids of [[items]] entries.")
            continue
        method = entry.get("method", "sum")
        if method not in METHODS:
            fail(where, f"method must be one of {', '.join(METHODS)}, not '{method}'.")
            continue
        measures[measure_id] = Measure(measure_id, str(entry.get("label", measure_id)), members, method)

    rules = []
    for n, entry in enumerate(data.get("responders", []) or [], start=1):
        where = f"[[responders]] number {n}"
        rule = _rule(entry, where, items, measures, texts["direction"], fail)
        if rule is not None:
            rules.append(rule)
    if problems:
        raise CohortError(problems)
    if not example and not texts["source"]:
        fail("[instrument] source", "source must cite the publication of the items and scoring (author, journal, year).")
        raise CohortError(problems)
    return InstrumentDefinition(
        id=ident, name=texts["name"], source=texts["source"], recall_period=texts["recall_period"],
        direction=texts["direction"], items=items, measures=measures, responders=tuple(rules), example=example, text=text,
    )


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _rule(entry, where, items, measures, direction, fail) -> ResponderRule | None:
    if not isinstance(entry, dict):
        fail(where, "Each responder rule is a table with id, label and rule.")
        return None
    rule_id = str(entry.get("id", "")).strip().lower()
    if not _ID.match(rule_id):
        fail(where, f"The rule id '{entry.get('id', '')}' must be letters, digits, '_' or '-'.")
        return None
    kind = entry.get("rule")
    if kind not in RULES:
        fail(where, f"rule must be one of {', '.join(RULES)}, not '{kind}'.")
        return None
    measure = str(entry.get("measure", TOTAL)).strip().lower()
    if measure not in measures and measure not in items:
        fail(where, f"measure '{measure}' is not an item, a domain or the total of this definition (write measure = \"total\" or a domain id).")
        return None
    values = {key: entry.get(key) for key in ("percent", "points", "at_most", "at_least")}
    given = {k: float(v) for k, v in values.items() if _number(v)}
    needed = {"relative_reduction": ("percent",), "absolute_change": ("points",), "threshold": ("at_most", "at_least")}[kind]
    present = [k for k in needed if k in given]
    if len(present) != 1:
        fail(where, f"A {kind} rule needs exactly one of: {', '.join(needed)} (a number).")
        return None
    if kind == "relative_reduction" and not 0 < given["percent"] <= 100:
        fail(where, "percent must be more than 0 and at most 100.")
        return None
    if kind == "absolute_change" and given["points"] <= 0:
        fail(where, "points must be positive: it is the size of an improvement, whatever the direction of the score.")
        return None
    return ResponderRule(rule_id, str(entry.get("label", rule_id)), kind, measure, **{k: given[k] for k in present})


def example_instrument_text() -> str:
    """The text of the shipped example definition (an example of the format, not a validated instrument).

    Examples
    --------
    >>> "EXAMPLE ONLY" in example_instrument_text()
    True
    """
    return resources.files("omalizumab_core.data").joinpath("instrument_files/example_symptom_diary.toml").read_text(encoding="utf-8")


def example_instrument() -> InstrumentDefinition:
    """The shipped example definition, parsed (for documentation and tests; not a validated instrument).

    Examples
    --------
    >>> example_instrument().example
    True
    """
    return parse_instrument(example_instrument_text(), source="example_symptom_diary.toml")


def packaged_instruments() -> dict[str, InstrumentDefinition]:
    """Validated definitions shipped with the package, by id (examples left out).

    None is shipped today (see the module docstring): the result is empty
    until a definition whose items and scoring can be verified and cited is
    added to ``instrument_files/``.

    Examples
    --------
    >>> packaged_instruments()
    {}
    """
    found = {}
    for entry in resources.files("omalizumab_core.data").joinpath("instrument_files").iterdir():
        if entry.name.endswith(".toml"):
            definition = parse_instrument(entry.read_text(encoding="utf-8"), source=entry.name)
            if not definition.example:
                found[definition.id] = definition
    return found


def parse_instrument_files(files) -> dict[str, InstrumentDefinition]:
    """Definitions from (file name, bytes) pairs; every problem of every file in one CohortError.

    Examples
    --------
    >>> sorted(parse_instrument_files([("diary.toml", example_instrument_text().encode())]))
    ['example_symptom_diary']
    """
    found: dict[str, InstrumentDefinition] = {}
    problems: list[Problem] = []
    for name, content in files:
        if len(content) > MAX_DEFINITION_BYTES:
            problems.append(Problem(ERROR, None, "This instrument definition is larger than 1 MB: it cannot be a definition file.", where=name))
            continue
        try:
            text = bytes(content).decode("utf-8-sig")
        except UnicodeDecodeError:
            problems.append(Problem(ERROR, None, "This instrument definition is not UTF-8 text: save it again as UTF-8.", where=name))
            continue
        try:
            definition = parse_instrument(text, source=name)
        except CohortError as error:
            problems.extend(error.problems)
            continue
        if definition.id in found:
            problems.append(Problem(ERROR, None, f"Two definition files give the instrument '{definition.id}': keep one.", where=name))
            continue
        found[definition.id] = definition
    if problems:
        raise CohortError(problems)
    return found
