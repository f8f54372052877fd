"""Files built in memory for loader tests: workbooks, zips and parquet, as bytes."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pandas as pd


def xlsx_bytes(sheets: dict, *, merge: dict | None = None) -> bytes:
    """A workbook with one sheet per {title: rows}; ``[]`` is a blank row; ``merge`` {title: ["A1:B1"]}."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for cell_range in (merge or {}).get(title, []):
            sheet.merge_cells(cell_range)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bytes(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()
