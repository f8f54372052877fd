"""Plotly figure builders, one module per output.

Each builder takes DataFrames returned by the analysis functions (never the raw
files) and returns a ``plotly.graph_objects.Figure`` with clinical labels. No
builder loads anything from the internet; the report embeds plotly.js itself.
"""
