"""Showing plotly figures the same way on every page."""

from __future__ import annotations

import streamlit as st

# The plotly toolbar's camera button exports the figure as an image; a name
# per figure keeps downloaded files apart. plotly.js is served by Streamlit
# itself, so nothing is fetched from the internet.
_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def show_figure(figure, name: str, **kwargs):
    """Render a figure full width with image export named ``name``.png.

    Extra keyword arguments go to ``st.plotly_chart`` (e.g. ``on_select``).
    """
    config = {**_CONFIG, "toImageButtonOptions": {**_CONFIG["toImageButtonOptions"], "filename": name}}
    return st.plotly_chart(figure, width="stretch", config=config, key=f"figure_{name}", **kwargs)
