"""Streamlit-side helpers shared by the pages: session cohort, sidebar, downloads.

Everything here is UI glue; computations live in ``omalizumab_core``.
"""
