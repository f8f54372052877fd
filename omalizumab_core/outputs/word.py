"""Tables and reports as Word (.docx) files for manuscripts, with python-docx.

A table is laid out as a journal prints it: a numbered-style title above,
horizontal rules only (above and below the header, below the last row),
section rows in bold spanning the table (Table 1's "General
characteristics", Table 2's "Best response"), rows of a section indented, and
footnotes below: the method notes of the table (CI method, test, adjustment),
the number of patients of the selection, the filters and the data source.
Cells are written as the page shows them (the formatted text), so the Word
table holds the same numbers as the page. Nothing is written to disk: the
file is returned as bytes.
"""

from __future__ import annotations

import io
import math
from datetime import datetime

import pandas as pd

MAX_WORD_ROWS = 2_000
"""A manuscript table is short: longer tables are cut there, with a footnote (a 100,000-row Word table takes minutes)."""

# Title and footnotes of each downloadable table, by the start of its download name.
TABLE_NOTES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("table1", "Table 1. Patients' characteristics", ("Median (range) for continuous characteristics; n (%) for categories.",)),
    ("table2", "Table 2. Best response and response at last follow-up", (
        "CR: complete response (all baseline symptoms resolved); MR: major response (decrease of the symptom score > 50 %); "
        "PR: partial response (decrease of 10–50 %). Persistent response: still treated and in response at last follow-up.",
        "Patients (%), with the exact (Clopper–Pearson) 95 % confidence interval of the rate on the line below.",
    )),
    ("symptoms_by", "Symptom scores before and under omalizumab", (
        "Two-sided Wilcoxon signed-rank test of the score at baseline vs under omalizumab, one test per row; unchanged patients "
        "left out; exact p-value (ties included) up to 500 changed patients. p-values adjusted for multiple testing as the column says.",
        "Change = score under omalizumab − baseline: median; Hodges–Lehmann estimate with its signed-rank 95 % CI; mean with its t 95 % CI.",
    )),
    ("time_to_response", "Time to response", (
        "Cumulative incidence of response: Aalen–Johansen with stopping omalizumab without response as a competing event "
        "(or 1 − Kaplan–Meier as a sensitivity analysis); pointwise 95 % CIs as R survival computes them.",
    )),
    ("first_improvement", "First improvement by symptom category", (
        "First improvement: the first assessment at which a baseline symptom of the category scored below 1.",)),
    ("follow_up_flows", "Best response and response at last follow-up", ()),
    ("duration_of_therapy", "Duration of omalizumab therapy", (
        "Months from the first injection to the stop, or to the last follow-up for patients still treated.",)),
    ("dosing_summary", "Changes of omalizumab regimen and response", (
        "Escalation: more omalizumab per day; weekly: the interval shortened to 7 days or less. Each patient counts once, "
        "on the first change of each kind.",)),
    ("dose_changes", "Each change of omalizumab regimen", ()),
    ("adverse_events", "Adverse events under omalizumab", (
        "Patients with at least one report of each event, as a percentage of the selected patients.",)),
    ("adverse_event_timing", "When adverse events happened", ("Month 0 is the first injection.",)),
    ("safety_summary", "Safety summary", ()),
    ("tryptase", "Serum tryptase before and on omalizumab", (
        "Paired t-test; Wilcoxon signed-rank test alongside (two-sided, exact up to 500 pairs); geometric mean ratio with its 95 % CI.",)),
    ("total_ige", "Total IgE before and on omalizumab", (
        "Paired t-test; Wilcoxon signed-rank test alongside (two-sided, exact up to 500 pairs); geometric mean ratio with its 95 % CI.",)),
    ("anaphylaxis_rates", "Anaphylaxis episodes per patient-year", (
        "Rate ratio on/before with its 95 % CI: exact conditional Poisson on the cohort's totals, and conditional Poisson paired by patient (interval widened for overdispersion).",)),
    ("response_predictors", "Odds ratio of response by baseline characteristic", (
        "Firth-penalised logistic regression (profile-likelihood 95 % CIs).",)),
    ("literature", "Overall response in published series", ("Exact (Clopper–Pearson) 95 % CIs; random-effects (DerSimonian–Laird) pooled estimate.",)),
    ("publication_comparison", "Published study vs this cohort", ("Lemal et al., J Allergy Clin Immunol Pract 2019;7:2387-95.",)),
)


def table_notes(name: str) -> tuple[str, tuple[str, ...]]:
    """The title and method footnotes of a table, by its download name (e.g. ``"table2_response_by_subgroup"``).

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> oc.table_notes("table2_response_by_sex")[0]
    'Table 2. Best response and response at last follow-up'
    >>> oc.table_notes("my_table")
    ('My table', ())
    """
    for prefix, title, notes in TABLE_NOTES:
        if name.startswith(prefix):
            return title, notes
    return name.replace("_", " ").strip().capitalize(), ()


_INDENT = "\t"  # marks a row of a section in _rows; written as a paragraph indent


def _text(value) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.4g}"
    return str(value)


def _restore_index(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo ``reset_index()`` of a two-level table (Table 1 as the page downloads it)."""
    if tuple(frame.columns[:2]) in (("level_0", "level_1"), ("Section", "Characteristic")):
        return frame.set_index(list(frame.columns[:2]))
    return frame


def _rows(frame: pd.DataFrame) -> tuple[list[str], list[tuple[str, list[str], bool]]]:
    """Header and (label, cells, is_section) rows; the index becomes the first column unless it is a plain row number."""
    frame = _restore_index(frame)
    plain_index = isinstance(frame.index, pd.RangeIndex)
    header = ([] if plain_index else [str(frame.index.name or "")]) + [str(c) for c in frame.columns]
    rows: list[tuple[str, list[str], bool]] = []
    section = None
    for key, values in zip(frame.index, frame.itertuples(index=False, name=None)):
        cells = [_text(v) for v in values]
        if isinstance(key, tuple):  # (section, row): a section row before its first row
            if key[0] != section:
                section = key[0]
                rows.append((str(section), [""] * len(cells), True))
            rows.append((_INDENT + _text(key[1]), cells, False))
        elif plain_index:
            rows.append(("", cells, False))
        else:
            rows.append((_text(key), cells, bool(cells) and not any(cells)))
    if plain_index:
        # The first column is then a row's label: a row whose other cells are all empty is a section.
        rows = [(cells[0], cells[1:], bool(cells[1:]) and not any(cells[1:])) for _, cells, _ in rows]
    return header, rows


def _rule(cell, *edges: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = cell._tc.get_or_add_tcPr()
    borders = properties.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        properties.append(borders)
    for edge in edges:
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "single")
        element.set(qn("w:sz"), "8")
        element.set(qn("w:color"), "000000")
        borders.append(element)


def _add_table(document, frame: pd.DataFrame, *, size: float = 8.5) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    header, rows = _rows(frame)
    table = document.add_table(rows=1 + len(rows), cols=len(header))
    table.autofit = True

    def write(cell, text: str, *, bold=False, align_left=True):
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if align_left else WD_ALIGN_PARAGRAPH.CENTER
        if text.startswith(_INDENT):  # a row of a section
            text = text.removeprefix(_INDENT)
            paragraph.paragraph_format.left_indent = Mm(3)
        run = paragraph.add_run(text)
        run.bold = bold
        run.font.size = Pt(size)

    for j, label in enumerate(header):
        cell = table.rows[0].cells[j]
        write(cell, label, bold=True, align_left=j == 0)
        _rule(cell, "top", "bottom")
    for i, (label, cells, is_section) in enumerate(rows, start=1):
        row = table.rows[i].cells
        if is_section:
            merged = row[0].merge(row[-1]) if len(row) > 1 else row[0]
            write(merged, label, bold=True)
            if i == len(rows):
                _rule(merged, "bottom")
            continue
        for j, text in enumerate([label, *cells]):
            write(row[j], text, align_left=j == 0)
            if i == len(rows):
                _rule(row[j], "bottom")


def _footnotes(document, lines) -> None:
    from docx.shared import Pt

    for line in lines:
        run = document.add_paragraph().add_run(line)
        run.font.size = Pt(8)


def _selection_notes(n: int | None, n_total: int | None, filters: dict | None, source: str | None) -> list[str]:
    lines = []
    if n is not None:
        lines.append(f"n = {n:,} patient{'s' if n != 1 else ''}" + (f" selected of {n_total:,}" if n_total is not None else "") + ".")
    if filters and filters != {"Filters": "none (all patients)"}:
        lines.append("Selection: " + "; ".join(f"{label}: {levels}" for label, levels in filters.items()) + ".")
    if source:
        lines.append(f"Data: {source}.")
    return lines


def _new_document(landscape: bool = False):
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    return document


def _save(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def table_docx(table: pd.DataFrame, *, title: str, notes=(), n: int | None = None, n_total: int | None = None,
               filters: dict | None = None, source: str | None = None) -> bytes:
    """A journal-style Word table: title, the table with horizontal rules only, footnotes.

    Parameters
    ----------
    table : DataFrame
        The table as the page shows it (formatted text); a named or two-level
        index becomes the first column, Table 1's sections and Table 2's
        headings become bold rows spanning the table.
    title : str
    notes : sequence of str
        Method footnotes (CI method, test, adjustment): see :func:`table_notes`.
    n, n_total : int, optional
        Patients of the selection and of the loaded cohort.
    filters : dict, optional
        The selection in words (:func:`describe`).
    source : str, optional
        Where the data came from.

    Returns
    -------
    bytes
        The .docx file (A4, landscape when the table has more than 7 columns);
        only the first ``MAX_WORD_ROWS`` rows, with a footnote saying so.

    Examples
    --------
    >>> import io, docx
    >>> import omalizumab_core as oc
    >>> scored = oc.score_cohort(oc.load_cohort("demo"))
    >>> data = oc.table_docx(oc.table2(scored), title="Table 2", n=55)
    >>> word = docx.Document(io.BytesIO(data))
    >>> [c.text for c in word.tables[0].rows[2].cells[:2]]
    ['Overall response (CR + MR + PR)', '43 (78.2 %)']
    """
    header, _ = _rows(table)
    document = _new_document(landscape=len(header) > 7)
    heading = document.add_paragraph()
    heading.add_run(title).bold = True
    shown = table.head(MAX_WORD_ROWS)
    _add_table(document, shown)
    cut = [f"First {MAX_WORD_ROWS:,} of {len(table):,} rows: the CSV or Excel download holds them all."] if len(table) > MAX_WORD_ROWS else []
    _footnotes(document, [*notes, *_selection_notes(n, n_total, filters, source), *cut])
    return _save(document)


def report_docx(*, title: str, sections: list[tuple[str, list]], filters: dict[str, str], source: str,
                generated: datetime | None = None) -> bytes:
    """A report as a Word document: the same sections as the HTML report (tables, paragraphs; figures named, not drawn).

    Parameters
    ----------
    title : str
    sections : list of (heading, items)
        Items are DataFrames, str, plotly Figures or quotations (an object
        with ``text`` and ``source``), as for :func:`build_report`.
    filters : dict of str to str
    source : str
    generated : datetime, optional

    Returns
    -------
    bytes

    Examples
    --------
    >>> import io, docx
    >>> import omalizumab_core as oc
    >>> scored = oc.score_cohort(oc.load_cohort("demo"))
    >>> data = oc.overview_report_docx(scored, filters={}, source="demo")
    >>> [p.text for p in docx.Document(io.BytesIO(data)).paragraphs if p.text.startswith("Table 2")]
    ['Table 2. Best response and response at last follow-up']
    """
    from docx.shared import Pt

    document = _new_document()
    document.add_heading(title, level=1)
    generated = generated or datetime.now().astimezone()
    meta = [f"Data source: {source}"]
    meta += [f"{label}: {levels}" for label, levels in (filters or {"Filters": "none (all patients)"}).items()]
    meta.append(f"Generated: {generated.strftime('%Y-%m-%d %H:%M %Z').strip()}")
    _footnotes(document, meta)
    for heading, items in sections:
        document.add_heading(heading, level=2)
        for item in items:
            if isinstance(item, pd.DataFrame):
                _add_table(document, item)
            elif isinstance(item, str):
                document.add_paragraph(item)
            elif hasattr(item, "title") and hasattr(item, "text"):  # a script of the code appendix
                document.add_paragraph().add_run(item.title).bold = True
                run = document.add_paragraph().add_run(item.text)
                run.font.name = "Courier New"
                run.font.size = Pt(8)
            elif hasattr(item, "text") and hasattr(item, "source"):
                paragraph = document.add_paragraph()
                paragraph.add_run(item.text).italic = True
                if item.source:
                    paragraph.add_run(f" ({item.source})")
            else:  # a figure: named; the HTML report and the page draw it
                name = getattr(getattr(getattr(item, "layout", None), "title", None), "text", None) or "Figure"
                document.add_paragraph(f"[{name}: see the HTML report]").runs[0].italic = True
    return _save(document)
