"""Numbers written as text, read exactly as the clinician wrote them.

Spreadsheets and CSV exports write numbers in the writer's convention:
``1250.5``, ``1,250.5``, ``1.250,5``, ``1 250,5`` (with a space, a no-break
space U+00A0 or a narrow no-break space U+202F), ``1'250.5`` (Swiss). Most
values say by themselves which mark is the decimal one (``0,5``, ``12.25``,
``1.250,5``, ``1 250``). One shape does not: a 1 to 3 digit number, one ``.``
or ``,`` and exactly three digits (``1.250``, ``1,250``): one thousand two
hundred and fifty, or one and a quarter.

Such a value is resolved by the convention of its column, never cell by cell:

1. the decimal marks the column's other values show (``0,5`` shows a comma);
2. otherwise the file's form: a CSV separated by ``;`` uses the decimal comma
   (that is why European spreadsheets write ``;``), one separated by ``,``
   the decimal point;
3. otherwise the marks shown by the table's other number columns.

When the column shows both marks, or its marks contradict the file's form, or
nothing shows a convention, the value stays ambiguous and is rejected with its
place and how to write it unambiguously. A silent 1.25 for 1250 is the one
outcome this module exists to prevent.

Which values are refused outright: digit groups of other than three digits
after a thousands separator (``1.25.0``, ``12 5``), two decimal marks, and
anything ``float`` would accept but a clinician would not write (``1_000``).
"""

from __future__ import annotations

import re

import pandas as pd

POINT, COMMA = ".", ","

_SPACES = "\u0020\u00a0\u202f\u2009"
_MINUS = "-\u2212"
_PLAIN = re.compile(r"\d+")
_ONE_MARK = re.compile(r"(\d*)([.,])(\d+)|(\d+)([.,])")
_AMBIGUOUS = re.compile(r"[1-9]\d{0,2}[.,]\d{3}")
_GROUPED_SPACE = re.compile(rf"\d{{1,3}}(?:[{_SPACES}]\d{{3}})+(?:[.,]\d+)?")
_GROUPED_QUOTE = re.compile(r"\d{1,3}(?:['\u2019]\d{3})+(?:[.,]\d+)?")
_GROUPED_DOTS = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+(?:,\d+)?")
_GROUPED_COMMAS = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")
_SCIENTIFIC = re.compile(r"(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+")
_WORDS = {"inf", "infinity"}


class Reading:
    """What one written number says: its value under each convention and the mark it shows.

    ``point`` and ``comma`` are the values if the decimal mark is "." or ","
    (equal when the text leaves no doubt); ``shows`` is the decimal mark the
    text proves, or None; ``ambiguous`` is True for ``1.250``-shaped text.
    """

    __slots__ = ("point", "comma", "shows", "ambiguous")

    def __init__(self, point: float, comma: float | None = None, shows: str | None = None, ambiguous: bool = False):
        self.point = point
        self.comma = point if comma is None else comma
        self.shows = shows
        self.ambiguous = ambiguous

    def value(self, mark: str | None) -> float | None:
        """The value under ``mark``; None when ambiguous and no mark is known."""
        if not self.ambiguous:
            return self.point
        if mark is None:
            return None
        return self.point if mark == POINT else self.comma


def read_number(text: str) -> Reading | None:
    """How a number written as text reads, or None when it is not a number at all.

    Examples
    --------
    >>> read_number("1.250,5").point, read_number("1.250,5").shows
    (1250.5, ',')
    >>> r = read_number("1.250"); (r.point, r.comma, r.ambiguous)
    (1.25, 1250.0, True)
    >>> r = read_number("1,250"); (r.point, r.comma, r.ambiguous)
    (1250.0, 1.25, True)
    >>> read_number("1\u202f250").point
    1250.0
    >>> read_number("12 5") is None
    True
    """
    text = text.strip()
    sign = 1.0
    if text[:1] in _MINUS:
        sign, text = -1.0, text[1:].lstrip()
    elif text[:1] == "+":
        text = text[1:].lstrip()
    if not text:
        return None
    if _PLAIN.fullmatch(text):
        return Reading(sign * float(text))
    if _AMBIGUOUS.fullmatch(text):
        whole, fraction = re.split(r"[.,]", text)
        small, large = sign * float(f"{whole}.{fraction}"), sign * float(whole + fraction)
        # "1.250" is 1.25 with a decimal point and 1250 with a decimal comma; "1,250" the other way round.
        return Reading(small, large, None, True) if POINT in text else Reading(large, small, None, True)
    match = _ONE_MARK.fullmatch(text)
    if match:
        whole, mark, fraction = (match.group(1), match.group(2), match.group(3)) if match.group(2) else (match.group(4), match.group(5), "0")
        return Reading(sign * float(f"{whole or 0}.{fraction}"), shows=mark)
    if _GROUPED_SPACE.fullmatch(text) or _GROUPED_QUOTE.fullmatch(text):
        digits = re.sub(rf"[{_SPACES}'\u2019]", "", text)
        mark = COMMA if COMMA in digits else POINT if POINT in digits else None
        whole, _, fraction = digits.replace(",", ".").partition(".")
        return Reading(sign * float(f"{whole}.{fraction or 0}"), shows=mark)
    if _GROUPED_DOTS.fullmatch(text):
        whole, _, fraction = text.partition(",")
        return Reading(sign * float(f"{whole.replace('.', '')}.{fraction or 0}"), shows=COMMA)
    if _GROUPED_COMMAS.fullmatch(text):
        whole, _, fraction = text.partition(".")
        return Reading(sign * float(f"{whole.replace(',', '')}.{fraction or 0}"), shows=POINT)
    if _SCIENTIFIC.fullmatch(text):
        return Reading(sign * float(text), shows=POINT if "." in text else None)
    if text.lower() in _WORDS:
        return Reading(sign * float("inf"))
    return None


def marks_shown(values) -> set[str]:
    """The decimal marks the written numbers among ``values`` prove."""
    shown = set()
    for value in values:
        if isinstance(value, str):
            reading = read_number(value)
            if reading is not None and reading.shows:
                shown.add(reading.shows)
    return shown


def decide_mark(column_marks: set[str], file_mark: str | None, table_marks: set[str]) -> str | None:
    """The decimal mark for a column's ambiguous values, or None when it stays ambiguous (see module docstring)."""
    if len(column_marks) == 2:
        return None
    if column_marks:
        (mark,) = column_marks
        return mark if file_mark in (None, mark) else None
    if file_mark is not None:
        return file_mark
    if len(table_marks) == 1:
        (mark,) = table_marks
        return mark
    return None


def ambiguity_message(mark: str) -> str:
    """What to do with a ``1.250``-shaped value whose decimal mark ``mark`` ("." or ",") nothing decides."""
    return (
        f"This value could be read two ways: with '{mark}' separating thousands (1{mark}250 = 1250) or with '{mark}' "
        "as the decimal mark (one and a quarter), and nothing in this column or file shows which. Write it without "
        f"a thousands separator (1250), or without the trailing zero (1{mark}25)."
    )


def number_columns_marks(frame: pd.DataFrame, columns: list[str]) -> dict[str, set[str]]:
    """Decimal marks shown by each of ``columns`` (text cells only, each distinct value once)."""
    shown = {}
    for name in columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
            shown[name] = set()
            continue
        uniques = pd.unique(column.to_numpy(dtype=object, na_value=None))
        shown[name] = marks_shown(uniques)
    return shown
