"""No markdown or HTML injection: file and URL texts are shown as text on every page and in the report.

The payload cohort (tests/payloads.py) carries hostile texts in patient ids,
centres, symptom names, adverse events, anaphylaxis triggers, extra column
names and values and the file name; the link carries them in ``patient`` and
``age``. Every text Streamlit renders as markdown (markdown, captions,
alerts, toasts, labels, help texts, tab and expander labels) is parsed with
mistune: no image, link or HTML element may come out of it, no payload may
appear unescaped, no control or bidi character and no megabyte of text.
Select-box options and tables are plain text for Streamlit and not checked.
"""

from __future__ import annotations

import json

import functools
import re

import mistune
import pytest
from google.protobuf.message import Message

from tests.apptest_support import app_on, page_files
from tests.payloads import PAYLOADS, SHORT, payload_cohort
from ui.text import MAX_SHOWN, plain

# Proto fields that Streamlit never renders as markdown (options are plain
# text, data are tables and figures) or that are not text shown to the user.
NOT_MARKDOWN = {"options", "default", "value", "values", "raw_value", "id", "form_id", "spec", "data", "arrow_data",
                "figure", "config", "theme", "selection_mode", "url", "page_script_hash", "fragment_id", "key", "type",
                "format", "column_config", "icon", "placeholder_value", "file_name", "mime_type",
                "code_text"}  # st.code draws its text verbatim in a code block (the Code expanders' scripts)

render = mistune.create_markdown(escape=False, plugins=["strikethrough", "table", "url", "math"])
ELEMENTS = re.compile(r"<\s*(img|a|script|iframe|svg|object|embed|link|style|video|audio|source|input|form)\b", re.I)
CHART_TAGS = re.compile(r"<\s*/?\s*(a|span|img|script|iframe|style)\b", re.I)  # what plotly.js would turn into elements
HOSTILE_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\u202a-\u202e\u2066-\u2069]")


@functools.cache
def cohort():
    return payload_cohort()


def markdown_texts(at) -> list[tuple[str, str]]:
    """(where, text) of every string field of every element drawn, except plain-text fields."""
    found = []

    def strings(message: Message, path: str):
        for field, value in message.ListFields():
            if field.name in NOT_MARKDOWN:
                continue
            if field.name == "columns" and isinstance(value, str):
                # A dataframe's column configuration (JSON): keys name data columns and labels are drawn as plain
                # text; only a column's help tooltip is Markdown (the Data page's headers).
                found.extend((f"{path}.columns[{name}].help", column["help"]) for name, column in json.loads(value).items()
                             if isinstance(column, dict) and column.get("help"))
                continue
            values = [value] if isinstance(value, (str, bytes, Message, int, float)) else list(value)  # repeated fields
            for item in values:
                if isinstance(item, Message):
                    strings(item, f"{path}.{field.name}")
                elif isinstance(item, str) and item:
                    found.append((f"{path}.{field.name}", item))

    def walk(node):
        proto = getattr(node, "proto", None)
        if isinstance(proto, Message):
            strings(proto, type(node).__name__)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def assert_inert(where: str, text: str) -> None:
    html = render(text)
    assert not ELEMENTS.search(html), f"{where}: {text[:200]!r} renders as {html[:300]!r}"
    for name, payload in SHORT.items():
        assert payload not in text, f"{where}: payload '{name}' shown unescaped: {text[:200]!r}"
    assert not HOSTILE_CHARACTERS.search(text), f"{where}: control or bidi character in {text[:200]!r}"
    assert len(text) < 20_000, f"{where}: {len(text):,} characters of text"


@pytest.mark.parametrize("page", page_files())
def test_payloads_in_the_file_and_the_link_render_as_text_on_every_page(page):
    at = app_on(cohort(), page=page, query={"patient": SHORT["markdown image"], "age": SHORT["markdown link"]}, open_sections=True)
    assert not at.exception, at.exception
    texts = markdown_texts(at)
    assert texts
    for where, text in texts:
        assert_inert(where, text)
    for chart in at.get("plotly_chart"):
        assert not CHART_TAGS.search(chart.proto.spec), f"{page}: a chart text would make a link or styled span"


def test_the_patient_page_opened_by_a_hostile_link_shows_the_patient_with_the_payload_id_as_text():
    at = app_on(cohort(), page="views/patient.py", query={"patient": SHORT["markdown link"]})
    assert not at.exception
    assert at.selectbox(key="patient_picker").value == SHORT["markdown link"]  # the id itself is intact
    for where, text in markdown_texts(at):
        assert_inert(where, text)


def test_the_link_warning_of_a_hostile_filter_value_is_escaped():
    # A changed link is said in a warning on the page (it stays until the filters change; a toast would vanish).
    at = app_on(cohort(), query={"age": SHORT["markdown image"]})
    bodies = [w.value for w in at.warning if "link" in w.value]
    assert bodies, "a wrong age range in the link gives a warning on the page"
    for body in bodies:
        assert_inert("link warning", body)


# --- ui.text.plain itself ---------------------------------------------------------------


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_plain_makes_every_payload_inert_markdown(name):
    assert_inert(name, plain(PAYLOADS[name]))


def test_plain_shows_ordinary_clinical_text_unchanged():
    for text in ("Hôpital Necker", "Flushing", "Diarrhée", "P 17", "ISM", "Indolent systemic mastocytosis (ISM)", "MR (75 %)", "Note: 3 mg/L"):
        assert plain(text) == text


def test_plain_escapes_punctuation_so_the_text_reads_as_written():
    shown = plain("A*B_[C](d) <i> www.x.org http://y.org a@b.fr $x$")
    assert shown == r"A\*B\_\[C\](d) \<i\> www\.x.org http\://y.org a\@b.fr \$x\$"
    assert render(shown).strip() == "<p>A*B_[C](d) &lt;i&gt; www.x.org http://y.org a@b.fr $x$</p>"


@pytest.mark.parametrize("start", ["- item", "+ item", "12. item", "3) item", "# title", "> quote"])
def test_plain_keeps_a_leading_list_heading_or_quote_marker_as_text(start):
    assert render(plain(start)).strip() == f"<p>{start.replace('>', '&gt;')}</p>"


def test_plain_cuts_long_text_and_replaces_control_and_bidi_characters():
    assert len(plain("x" * 1_000_000)) == MAX_SHOWN + 1
    assert plain("a\x00b\u202ec\u2066d") == "a\ufffdb\ufffdc\ufffdd"
    assert plain("line one\nline two") == "line one line two"


# --- the HTML report ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["overview", "patient"])
def test_payloads_in_the_report_create_no_element_and_no_network_reference(kind):
    from omalizumab_core.engine.scoring import score_cohort
    from omalizumab_core.outputs import report
    from tests.test_report import assert_offline, parse

    scored = score_cohort(cohort())
    filters = {SHORT["markdown image"]: SHORT["html image"], "Centre": PAYLOADS["one megabyte"]}
    source = cohort().source
    if kind == "overview":
        html = report.overview_report(scored, filters=filters, source=source)
    else:
        html = report.patient_report(scored, SHORT["html script"], filters=filters, source=source)
    page = parse(html)
    assert_offline(page)
    assert not any(tag in ("a", "img", "iframe", "object", "embed", "svg", "base", "form") for tag, _ in page.tags)
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert len(scripts) == len(page.scripts)  # every script closed where it should be: no payload broke out of one
    assert not any("fetch(" in s and "8999/script" in s and "<script>" in s for s in page.scripts)
    for name in ("html image", "html script", "autolink"):
        assert SHORT[name] not in html.replace("\\u003c", "<"), name


# --- plotly charts ---------------------------------------------------------------------------


def test_chart_texts_keep_plotlys_formatting_tags_and_lose_links_and_spans():
    import plotly.graph_objects as go

    from ui.charts import inert_figure
    from ui.links import selected_point_ids

    clean = go.Figure(go.Bar(x=["a<br>b", "<b>c</b>"], y=[1, 2], hovertemplate="%{x}<br>n<extra></extra>"))
    assert inert_figure(clean) is clean  # nothing to change: the figure itself, not a copy
    link = f'<a href="{PAYLOADS["bare url"]}">x</a>'
    hostile = go.Figure(go.Bar(x=[link, "<span style='fill:url(#x)'>s</span>"], y=[1, 2], customdata=[[link], ["P2"]], name="<b>kept</b>"))
    shown = inert_figure(hostile)
    assert shown["data"][0]["x"][0] == f'&lt;a href="{PAYLOADS["bare url"]}">x&lt;/a>'
    assert shown["data"][0]["x"][1].startswith("&lt;span") and shown["data"][0]["name"] == "<b>kept</b>"

    class Event:
        selection = {"points": [{"customdata": list(shown["data"][0]["customdata"][0])}]}

    assert selected_point_ids(Event()) == [link]  # a clicked point opens the patient of the original id
