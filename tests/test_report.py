"""Self-contained HTML reports: well-formed, escaped, formula-safe, no network reference; the CLI report."""

from __future__ import annotations

from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

import omalizumab_core
from omalizumab_core.outputs import report
from omalizumab_core.analyses.candidate import Candidate
from omalizumab_core.cli.main import main
from omalizumab_core.synthetic.demo import demo_scored

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
NETWORK = ("http:", "https:", "//", "ftp:")
URL_ATTRIBUTES = {"src", "href", "data", "action", "poster", "srcset", "background", "formaction", "xlink:href"}


class Page(HTMLParser):
    """Parses a document, checking that every element is closed in order, and collecting what can fetch."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.urls, self.scripts, self.styles, self.tags, self.text = [], [], [], [], [], [], []
        self._current = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.urls += [(tag, k, v or "") for k, v in attrs if k in URL_ATTRIBUTES]
        if tag not in VOID:
            self.stack.append(tag)
        if tag in ("script", "style"):
            self._current = (tag, [])

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()
        if self._current and tag == self._current[0]:
            (self.scripts if tag == "script" else self.styles).append("".join(self._current[1]))
            self._current = None

    def handle_data(self, data):
        if self._current:
            self._current[1].append(data)
        else:
            self.text.append(data)


def parse(document: str) -> Page:
    page = Page()
    page.feed(document)
    page.close()
    assert document.startswith("<!DOCTYPE html>")
    assert page.errors == [] and page.stack == [], (page.errors, page.stack)
    return page


def assert_offline(page: Page) -> None:
    """No attribute that a browser would fetch points to the network; no stylesheet import."""
    assert [u for u in page.urls if u[2].strip().lower().startswith(NETWORK)] == []
    assert not any(tag in ("link", "img", "iframe", "object", "embed") for tag, _ in page.tags)
    assert all(not attrs.get("src") for tag, attrs in page.tags if tag == "script")
    for css in page.styles:
        assert "@import" not in css and "url(" not in css and "http" not in css


def test_the_offline_check_catches_network_references():
    for bad in ('<script src="https://cdn.plot.ly/plotly.js"></script>', '<link rel="stylesheet" href="//fonts.example/x.css">',
                '<style>@import url(https://fonts.example/x.css);</style>'):
        with pytest.raises(AssertionError):
            assert_offline(parse(f"<!DOCTYPE html><html><head>{bad}</head><body></body></html>"))


FIXED = datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)


def _bar():
    return go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))


def test_report_is_well_formed_with_tables_figures_and_paragraphs_inlining_plotly_once():
    table = pd.DataFrame({"Patient": ["P1"], "Best response": ["Major response"]})
    html = report.build_report(
        title="Test report",
        sections=[("Tables", [table, "A paragraph."]), ("Figures", [_bar(), _bar()]), ("Quote", [report.Quote("Said.", "Someone")])],
        filters={"Diagnosis": "ISM"},
        source="hand-made",
        generated=FIXED,
        version="9.9",
    )
    page = parse(html)
    assert_offline(page)
    divs = [attrs for tag, attrs in page.tags if tag == "div" and "plotly-graph-div" in attrs.get("class", "")]
    assert [d["id"] for d in divs] == ["figure-1", "figure-2"]
    big_scripts = [s for s in page.scripts if len(s) > 1_000_000]
    assert len(big_scripts) == 1  # plotly.js, inlined once for two figures
    assert "Major response" in page.text and "A paragraph." in page.text and "Said." in page.text
    assert "2026-01-02 03:04 UTC" in page.text and "omalizumab_core 9.9" in page.text
    assert "Diagnosis: ISM" in page.text and "hand-made" in page.text  # the header's table
    assert "Filters: Diagnosis: ISM. Data source: hand-made." in page.text  # the footer of every printed report
    assert "@media print" in page.styles[0] and "@page" in page.styles[0]


def test_report_without_figures_carries_no_script():
    page = parse(report.build_report(title="T", sections=[("S", ["text"])], filters={}, source="s", generated=FIXED))
    assert page.scripts == []
    assert "none (all patients)" in page.text


def test_user_text_is_escaped_everywhere():
    evil = "<script>alert(1)</script>"
    frame = pd.DataFrame({"patient_id": [evil], "note": ["<img src=x onerror=alert(2)>"]}, index=pd.Index([evil], name="id"))
    html = report.build_report(
        title=evil, sections=[(evil, [frame, evil, report.Quote(evil, evil)])], filters={evil: evil}, source=evil, generated=FIXED
    )
    page = parse(html)
    assert not any("alert" in s for s in page.scripts)
    assert not any(tag == "img" for tag, _ in page.tags)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count(evil) == 0


def test_formula_cells_headers_and_index_labels_are_neutralised():
    frame = pd.DataFrame({"=HEADER": ["=cmd|' /C calc'!A0", "+1", "plain"], "value": [-2.5, 1.0, 3.0]}, index=pd.Index(["@x", "b", "c"], name="id"))
    page = parse(report.build_report(title="T", sections=[("S", [frame])], filters={}, source="s", generated=FIXED))
    cells = [t.strip() for t in page.text if t.strip()]
    assert "'=cmd|' /C calc'!A0" in cells and "'+1" in cells and "'=HEADER" in cells and "'@x" in cells
    assert "=cmd|' /C calc'!A0" not in cells
    assert "-2.5" in cells  # numbers stay numbers


def test_multiindex_tables_render_with_their_row_labels():
    from omalizumab_core.engine.response_table import format_table2, table2_counts

    table = format_table2(table2_counts(demo_scored().outcomes))
    page = parse(report.build_report(title="T", sections=[("Table 2", [table])], filters={}, source="s", generated=FIXED))
    assert "Best response" in page.text and "Overall response (CR + MR + PR)" in page.text and "43 (78.2 %)" in page.text


def test_unknown_item_is_refused():
    with pytest.raises(TypeError):
        report.build_report(title="T", sections=[("S", [42])], filters={}, source="s")


def test_version_defaults_to_the_package_version():
    html = report.build_report(title="T", sections=[], filters={}, source="s", generated=FIXED)
    assert f"omalizumab_core {omalizumab_core.__version__}" in html


def test_overview_report_holds_headline_table1_and_table2_of_the_selection():
    html = report.overview_report(demo_scored(), filters={"Diagnosis": "all"}, source="Demo cohort", generated=FIXED)
    page = parse(html)
    assert_offline(page)
    text = " ".join(page.text)
    for heading in ("Headline figures", "Table 1. Patients' characteristics", "Table 2. Best response and response at last follow-up"):
        assert heading in text
    assert "43 (78.2 %)" in text  # overall response at best response, Table 2 of the paper
    assert "Synthetic data, not real patients." in text


def test_overview_report_uses_the_overview_modules_tables(monkeypatch):
    import omalizumab_core.analyses.overview as overview

    monkeypatch.setattr(overview, "headline_figures", lambda scored: "headline")
    monkeypatch.setattr(overview, "format_headline", lambda h: pd.DataFrame({"Measure": [f"stand-in {h}"]}))
    monkeypatch.setattr(overview, "table1", lambda scored: "table1")
    monkeypatch.setattr(overview, "format_table1", lambda t: pd.DataFrame({"Characteristic": [f"stand-in {t}"]}))
    text = " ".join(parse(report.overview_report(demo_scored(), filters={}, source="s", generated=FIXED)).text)
    assert "stand-in headline" in text and "stand-in table1" in text


def test_candidate_report_is_offline_and_carries_the_statement_and_the_scheme():
    from omalizumab_core.analyses.candidate import STUDY_SCHEME

    html = report.candidate_report(
        demo_scored(), Candidate("MCAS", "negative", 40, "F", ("flushing", "diarrhea")), filters={}, source="Demo", generated=FIXED
    )
    page = parse(html)
    assert_offline(page)
    text = " ".join(page.text)
    assert "These are observed frequencies in a small observational cohort (n = 55), not a prediction." in text
    assert STUDY_SCHEME in text
    assert "Best response of the 14 comparable patients" in html  # figure title: the 14 idiopathic MCAS patients
    assert len([s for s in page.scripts if len(s) > 1_000_000]) == 1


def test_candidate_report_without_comparable_patient_says_so():
    from tests.handmade import cohort_of, course, patient

    from omalizumab_core.engine.scoring import score_cohort

    only_idiopathic = score_cohort(cohort_of([patient("X", diagnosis="MCAS", kit_d816v="negative")], course("X", {"flushing": {0: 1, 1: 0}})))
    html = report.candidate_report(only_idiopathic, Candidate("ISM", "positive", symptoms=("wheezing",)), filters={}, source="Demo")
    text = " ".join(parse(html).text)
    assert "No comparable patient" in text


# --- command line ---------------------------------------------------------------


def test_cli_report_on_demo_writes_a_filtered_report(tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["report", "demo", "--out", str(out), "--diagnosis", "ISM", "--sex", "F"]) == 0
    html = out.read_text(encoding="utf-8")
    page = parse(html)
    assert_offline(page)
    n = int(((demo_scored().cohort.patients["diagnosis"] == "ISM") & (demo_scored().cohort.patients["sex"] == "F")).sum())
    assert f"Report on {n} of 55 patients" in capsys.readouterr().out
    text = " ".join(page.text)
    assert f"{n} patients in the selection." in text
    # The filters are printed in words, as the dashboard's sidebar names them.
    assert "Diagnosis" in text and "ISM" in text and "Female" in text


def test_cli_report_group_filter_keeps_idiopathic_mcas(tmp_path, capsys):
    out = tmp_path / "idiopathic.html"
    assert main(["report", "demo", "--out", str(out), "--group", "idiopathic"]) == 0
    assert "Report on 14 of 55 patients" in capsys.readouterr().out


def test_cli_report_errors_are_located_on_stderr_with_status_1(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing.xlsx"), "--out", str(tmp_path / "r.html")]) == 1
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "patients.csv").write_text("patient_id,sex\nA,F\n", encoding="utf-8")
    assert main(["report", str(tmp_path / "bad"), "--out", str(tmp_path / "r.html")]) == 1
    err = capsys.readouterr().err
    assert "patients.csv" in err and "diagnosis" in err
    assert main(["report", "demo", "--out", str(tmp_path / "r.html"), "--center", "Nowhere"]) == 1
    assert "no patient" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_cli_report_runs_as_a_module(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "module.html"
    result = subprocess.run([sys.executable, "-m", "omalizumab_core", "report", "demo", "--out", str(out)], capture_output=True, text=True, timeout=300,
                            cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > 1000
