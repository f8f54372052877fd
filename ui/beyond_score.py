"""Anaphylaxis and questionnaire lines on the Overview, Patient and MDT candidate pages.

The sentences come from the core (:mod:`omalizumab_core.analyses.beyond_score`);
a cohort without those tables gives none, and then nothing is drawn.
"""

from __future__ import annotations

import streamlit as st

from .text import plain


def beyond_score(title: str, lines: list[str]) -> None:
    """A subheader and one bullet per sentence; nothing at all when there is no sentence."""
    if not lines:
        return
    st.subheader(title)
    st.markdown("\n".join(f"- {plain(line, limit=2000)}" for line in lines))
