"""Showing plotly figures the same way on every page, with SVG and PNG files at a journal's size."""

from __future__ import annotations

import streamlit as st

# The plotly toolbar's camera button exports the figure as an image; a name
# per figure keeps downloaded files apart. plotly.js is served by Streamlit
# itself, so nothing is fetched from the internet.
_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}
_FILES = (("svg", 85, "SVG, 85 mm (single column)"), ("svg", 175, "SVG, 175 mm (double column)"),
          ("png", 85, "PNG, 85 mm, 300 dpi"), ("png", 175, "PNG, 175 mm, 300 dpi"))


def _figure_bytes(figure, fmt: str, width_mm: int) -> bytes:
    from omalizumab_core.outputs.figure_files import figure_file

    return figure_file(figure, width_mm=width_mm, fmt=fmt)


def show_figure(figure, name: str, **kwargs):
    """Render a figure full width with image export named ``name``.png, and a "Figure files" menu.

    Extra keyword arguments go to ``st.plotly_chart`` (e.g. ``on_select``).
    The files are drawn only when a button is clicked (a few seconds for the
    first figure of the server: a local Chromium draws them, offline).
    """
    config = {**_CONFIG, "toImageButtonOptions": {**_CONFIG["toImageButtonOptions"], "filename": name}}
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
