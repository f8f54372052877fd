"""Table exports (CSV, Excel) safe to open in a spreadsheet.

A cell beginning with "=", "+", "-", "@", a tab, a carriage return or a line
feed is run as a formula by Excel and LibreOffice (CSV/formula injection,
OWASP), and so is one where those signs follow leading spaces (spreadsheets
trim them on import) or are their full-width forms ("＝", "＋", "－", "＠",
which some locales' Excel reads as the ASCII signs). Text cells that start so
are prefixed with a single quote, which spreadsheets display as text; numbers
are left alone, so a negative number stays a number.
"""

from __future__ import annotations

import io

import pandas as pd

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Characters a spreadsheet may drop before reading the first sign: spaces,
# no-break and other Unicode spaces (str.isspace), and the zero-width ones.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells cannot run as spreadsheet formulas."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            out[column] = values.map(_neutralise_cell)
    out.columns = [_neutralise_cell(str(c)) for c in out.columns]
    return out


def _neutralise_cell(value):
    if isinstance(value, str) and value and (value.startswith(_FORMULA_STARTS) or _after_blanks(value).startswith(_FORMULA_STARTS)):
        return "'" + value
    return value


def _after_blanks(value: str) -> str:
    start = 0
    while start < len(value) and (value[start].isspace() or value[start] in _INVISIBLE):
        start += 1
    return value[start:]


def _footer_frame(footer) -> pd.DataFrame:
    return neutralise_formulas(pd.DataFrame({"footer": [str(line) for line in footer]}))


def csv_bytes(frame: pd.DataFrame, *, footer: tuple[str, ...] | list[str] = ()) -> bytes:
    """UTF-8 CSV with a BOM, so Excel shows accents correctly.

    ``footer`` lines (the filters, the data source) follow the table after one
    empty line, one per line in the first column, so a printed or forwarded
    file still says which patients it counts.

    Examples
    --------
    >>> import pandas as pd
    >>> text = csv_bytes(pd.DataFrame({"n": [3]}), footer=["Filters: Diagnosis: ISM"]).decode("utf-8-sig")
    >>> text.splitlines()
    ['n', '3', '', 'Filters: Diagnosis: ISM']
    """
    text = neutralise_formulas(frame).to_csv(index=False)
    if footer:
        text += "\n" + _footer_frame(footer).to_csv(index=False, header=False)
    return text.encode("utf-8-sig")


def excel_bytes(tables: dict[str, pd.DataFrame] | pd.DataFrame, *, sheet: str = "table", footer: tuple[str, ...] | list[str] = ()) -> bytes:
    """An .xlsx workbook with one sheet per table; ``footer`` lines under each table, after one empty row."""
    if isinstance(tables, pd.DataFrame):
        tables = {sheet: tables}
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in tables.items():
            neutralise_formulas(frame).to_excel(writer, sheet_name=name[:31], index=False)
            if footer:
                _footer_frame(footer).to_excel(writer, sheet_name=name[:31], index=False, header=False, startrow=len(frame) + 2)
    return buffer.getvalue()
