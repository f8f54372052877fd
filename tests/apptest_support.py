"""Running the dashboard headless with AppTest, on the demo or an injected cohort."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


def page_files() -> list[str]:
    """Every page the router registers (views/*.py)."""
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "views").glob("*.py"))


def figure_section_keys() -> list[str]:
    """The session keys of every figure drawn on request (ui.charts.figure_section) on any page.

    A name written as an f-string (Biology: one section per analyte) has its
    placeholders filled with every analyte.
    """
    import re

    from omalizumab_core.data.codes import ANALYTES

    names = set()
    for path in (ROOT / "views").glob("*.py"):
        for name in re.findall(r"figure_section\([^\n]*?,\s*f?\"([a-z0-9_{}]+)\"\)", path.read_text(encoding="utf-8")):
            names.update({name.replace("{analyte}", analyte) for analyte in ANALYTES} if "{analyte}" in name else {name})
    return sorted(f"open_{name}" for name in names)


def app_on(cohort=None, *, page: str | None = None, query: dict | None = None, open_sections: bool = False) -> AppTest:
    """An AppTest of app.py, optionally with ``cohort`` loaded and ``page`` open, after one run.

    ``open_sections``: every figure and every Code section drawn on request is
    opened, so a test sees all figures and scripts.
    """
    at = AppTest.from_file(APP, default_timeout=120)
    if cohort is not None:
        at.session_state["cohort"] = cohort
    if open_sections:
        for key in figure_section_keys():
            at.session_state[key] = True
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    if open_sections:
        open_code_sections(at)
    return at


def open_code_sections(at: AppTest, *, rounds: int = 4) -> AppTest:
    """Open every Code section of the page (``ui.code.show_code``: written only when opened) and rerun.

    Their keys (``code_<output>``) are read from the expanders drawn; an opened
    figure section may hold more, hence a few rounds.
    """
    opened: set[str] = set()
    for _ in range(rounds):
        keys = {e.proto.id.split("-", 2)[2] for e in at.expander if e.proto.id.startswith("$$ID-")} - opened
        keys = {key for key in keys if key.startswith("code_")}
        if not keys:
            break
        for key in keys:
            at.session_state[key] = True
        opened |= keys
        at.run()
    return at


def shown_text(at: AppTest) -> str:
    """All markdown, captions, metrics and alerts on the page, as one string."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    parts.extend(f"{m.label} {m.value}" for m in at.metric)
    return "\n".join(parts)


def _unescaped(value):
    # ui.tables escapes Markdown for st.table; a test compares the text as the reader sees it.
    import re

    return re.sub(r"\\(.)", r"\1", value) if isinstance(value, str) else value


def unescaped_table(frame):
    """An st.table's frame with ui.tables' Markdown escaping undone (cells, columns, each index level)."""
    frame = frame.map(_unescaped)
    frame.columns = [_unescaped(str(c)) for c in frame.columns]
    frame.index = frame.index.map(lambda i: tuple(_unescaped(part) for part in i) if isinstance(i, tuple) else _unescaped(i))
    return frame


def page_tables(at: AppTest) -> list:
    """Every table on the page as a DataFrame: interactive ones (st.dataframe), then summary ones (st.table, unescaped)."""
    frames = [element.value for element in at.dataframe]
    for element in at.table:
        frame = unescaped_table(element.value)
        frames.append(frame)
    return frames
