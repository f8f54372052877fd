"""Showing plotly figures the same way on every page, with SVG and PNG files at a journal's size.

plotly.js reads a few HTML tags in every text of a chart (titles, axis
labels, legend names, hover labels): ``<br>``, ``<b>``, ``<sup>``... which the
figures use, but also ``<a href>``, which makes a link, and ``<span
style>``. A patient id, centre or symptom name from a file could carry them.
Before a figure is drawn, every ``<`` that opens such a tag (``a``, ``span``,
and anything plotly does not draw itself) is written ``&lt;``, which plotly
shows as the character: the text reads as written and makes no element. The
figure's own ``<br>``, ``<b>``, ``<i>``, ``<sup>``, ``<sub>`` and ``<extra>``
are kept.
"""

from __future__ import annotations

import re

import numpy as np
import streamlit as st

_ACTIVE_TAG = re.compile(r"<(?!/?(?:br|b|i|em|sup|sub|extra)\s*/?>)", re.IGNORECASE)

# The plotly toolbar's camera button exports the figure as an image; a name
# per figure keeps downloaded files apart. plotly.js is served by Streamlit
# itself, so nothing is fetched from the internet.
_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}
_FILES = (("svg", 85, "SVG, 85 mm (single column)"), ("svg", 175, "SVG, 175 mm (double column)"),
          ("png", 85, "PNG, 85 mm, 300 dpi"), ("png", 175, "PNG, 175 mm, 300 dpi"))


def _figure_bytes(figure, fmt: str, width_mm: int) -> bytes:
    import plotly.graph_objects as go

    from omalizumab_core.outputs.figure_files import figure_file

    # inert_figure may have returned a dict (texts with tags written as text): the file is drawn from the same.
    return figure_file(go.Figure(figure) if isinstance(figure, dict) else figure, width_mm=width_mm, fmt=fmt)


def show_figure(figure, name: str, **kwargs):
    """Render a figure full width with image export named ``name``.png, and a "Figure files" menu.

    Extra keyword arguments go to ``st.plotly_chart`` (e.g. ``on_select``).
    The files are drawn only when a button is clicked (a few seconds for the
    first figure of the server: a local Chromium draws them, offline).
    """
    config = {**_CONFIG, "toImageButtonOptions": {**_CONFIG["toImageButtonOptions"], "filename": name}}
    figure = inert_figure(figure)
    event = st.plotly_chart(figure, width="stretch", config=config, key=f"figure_{name}", **kwargs)
    with st.popover("Figure files", icon=":material/image:"):
        from omalizumab_core.outputs.figure_files import export_unavailable

        if (reason := export_unavailable()) is not None:
            st.caption(reason)
            return event
        for fmt, width_mm, label in _FILES:
            st.download_button(label, lambda f=fmt, w=width_mm: _figure_bytes(figure, f, w), f"{name}_{width_mm}mm.{fmt}",
                               "image/svg+xml" if fmt == "svg" else "image/png", key=f"{fmt}{width_mm}_{name}", on_click="ignore")
    return event


def inert_figure(figure):
    """``figure`` with every text tag plotly would turn into a link or a styled span written as text.

    Returns the figure itself when no text holds such a tag (the usual case:
    nothing is copied), otherwise the figure as a dict with those ``<`` written
    ``&lt;`` (st.plotly_chart draws dicts as it draws figures).
    """
    if not _has_active([figure._data, figure._layout] if hasattr(figure, "_data") else figure):  # plotly's own dicts: no copy
        return figure
    spec = figure.to_dict() if hasattr(figure, "to_dict") else figure
    changed = [False]
    inert = _inert(spec, changed)
    return inert if changed[0] else figure


def _has_active(value) -> bool:
    """Whether any text in ``value`` holds a tag to neutralise (read only: nothing copied)."""
    if isinstance(value, str):
        return "<" in value and _ACTIVE_TAG.search(value) is not None
    if isinstance(value, dict):
        return any(_has_active(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_active(item) for item in value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "OU":
        joined = "\x00".join(item for item in value.ravel().tolist() if isinstance(item, str))
        return "<" in joined and _ACTIVE_TAG.search(joined) is not None
    return False


def _inert(value, changed):
    if isinstance(value, str):
        if "<" in value:
            new = _ACTIVE_TAG.sub("&lt;", value)
            if new != value:
                changed[0] = True
                return new
        return value
    if isinstance(value, dict):
        return {key: _inert(item, changed) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_inert(item, changed) for item in value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "OU":
        if value.dtype.kind == "U" and not np.char.find(value, "<").max(initial=-1) >= 0:
            return value
        return np.array([_inert(item, changed) for item in value.tolist()], dtype=object).reshape(value.shape) if value.ndim == 1 else np.array(_inert(value.tolist(), changed), dtype=object)
    return value


def restore_text(text: str) -> str:
    """The inverse of the escaping above, for values read back from a chart event (patient ids)."""
    return text.replace("&lt;", "<") if "&lt;" in text else text



def figure_section(label: str, name: str):
    """A collapsed section for a secondary figure: its container when the doctor has opened it, else None.

    A closed section runs nothing and sends nothing to the browser. plotly
    draws every figure on the browser's main thread, so figures below the
    fold drawn at once delay the page's first display (issue 18, item 6); the
    figure stays interactive once opened. Use::

        if (box := figure_section("Waterfall plot", "response_waterfall")) is not None:
            with box:
                show_figure(...)
    """
    box = st.expander(label, key=f"open_{name}", on_change="rerun", icon=":material/bar_chart:")
    return box if box.open else None
