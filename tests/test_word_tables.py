"""Word tables and reports (issue 19, part 3): journal-style .docx with the same numbers as the page."""

from __future__ import annotations

import io

import docx
import pandas as pd
import pytest
from docx.oxml.ns import qn

import omalizumab_core as oc
from omalizumab_core.cli.main import main
from omalizumab_core.outputs import word

SCORED = oc.score_cohort(oc.load_cohort("demo"))


def _cells(document) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in document.tables[0].rows]


def _cli_docx(tmp_path, *argv) -> docx.Document:
    out = tmp_path / "table.docx"
    assert main(["table", *argv, "--format", "docx", "--out", str(out)]) == 0
    return docx.Document(str(out))


def _page_rows(table: pd.DataFrame) -> list[list[str]]:
    return [[str(label), *map(str, values)] for label, values in zip(table.index, table.itertuples(index=False, name=None))]


@pytest.mark.parametrize("filters, argv", [(oc.FilterSpec(), []), (oc.FilterSpec(sex=("F",)), ["--sex", "F"])])
def test_the_word_table_2_holds_the_numbers_of_the_page(tmp_path, filters, argv):
    page = oc.table2_with_ci(oc.apply_filters(SCORED, filters), by=None)
    document = _cli_docx(tmp_path, "table2", "demo", *argv)
    cells = _cells(document)
    assert cells[0] == ["Response", *page.columns]
    body = [row for row in cells[1:] if len(set(row)) > 1]  # section rows span the table: one text repeated
    expected = [row for row in _page_rows(page) if any(row[1:])]
    assert body == expected
    n = 38 if argv else 55
    text = "\n".join(p.text for p in document.paragraphs)
    assert document.paragraphs[0].text == "Table 2. Best response and response at last follow-up"
    assert f"n = {n} patients selected of 55." in text and "Clopper–Pearson" in text


def test_table_1_keeps_the_papers_sections_as_bold_rows_spanning_the_table(tmp_path):
    document = _cli_docx(tmp_path, "table1", "demo")
    rows = document.tables[0].rows
    section = rows[1]
    assert len({c.text for c in section.cells}) == 1 and section.cells[0].text == "General characteristics"
    assert section.cells[0].paragraphs[0].runs[0].bold
    assert rows[2].cells[0].text == "Age at diagnosis, years, median (range)"
    assert rows[2].cells[0].paragraphs[0].paragraph_format.left_indent is not None


def test_rules_are_horizontal_only_as_journals_print_tables(tmp_path):
    document = _cli_docx(tmp_path, "table2", "demo")
    edges = set()
    for border in document.tables[0]._tbl.iter(qn("w:tcBorders")):
        edges |= {child.tag.split("}")[1] for child in border}
    assert edges == {"top", "bottom"}
    assert document.tables[0].style.name == "Normal Table"


def test_a_table_downloaded_from_the_page_after_reset_index_is_laid_out_the_same():
    table1 = oc.format_table1(oc.table1(SCORED))
    table2 = oc.table2_with_ci(SCORED, by=None)
    assert word._rows(table1.reset_index()) == word._rows(table1)
    assert word._rows(table2.reset_index())[1] == word._rows(table2)[1]


def test_a_long_table_is_cut_with_a_footnote_saying_so(monkeypatch):
    monkeypatch.setattr(word, "MAX_WORD_ROWS", 3)
    data = oc.table_docx(pd.DataFrame({"a": range(10)}), title="T")
    document = docx.Document(io.BytesIO(data))
    assert len(document.tables[0].rows) == 1 + 3
    assert "First 3 of 10 rows" in document.paragraphs[-1].text


def test_docx_needs_an_output_file(capsys):
    assert main(["table", "table2", "demo", "--format", "docx"]) == 1
    assert "--out" in capsys.readouterr().err


def test_the_overview_report_as_word_holds_table_1_and_table_2():
    data = oc.overview_report_docx(SCORED, filters={"Sex": "Female"}, source="demo")
    document = docx.Document(io.BytesIO(data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "Table 1. Patients' characteristics" in headings and "Table 2. Best response and response at last follow-up" in headings
    assert any(p.text == "Sex: Female" for p in document.paragraphs)
    assert len(document.tables) == 3  # headline figures, Table 1, Table 2


def test_every_table_of_the_pages_has_a_word_download():
    from tests.apptest_support import app_on

    at = app_on(page="views/response.py")
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("Download Word") == labels.count("Download CSV") > 0
