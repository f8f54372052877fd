"""The template workbook handed out by the app and the CLI."""

from __future__ import annotations

import io

from omalizumab_core.data.contract import TABLE_COLUMNS, data_dictionary


def template_workbook() -> bytes:
    """An .xlsx with one sheet per table (headers only) and a data_dictionary sheet."""
    # Imported here: openpyxl takes ~0.1 s to import, and the Data page offers this workbook on every visit.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for table, columns in TABLE_COLUMNS.items():
        sheet = workbook.create_sheet(table)
        sheet.append([c.name for c in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    dictionary = workbook.create_sheet("data_dictionary")
    frame = data_dictionary()
    dictionary.append(list(frame.columns))
    for cell in dictionary[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        dictionary.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
