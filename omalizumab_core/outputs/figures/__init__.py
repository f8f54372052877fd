"""Plotly figure builders, one module per output.

Each builder takes DataFrames returned by the analysis functions (never the raw
files) and returns a ``plotly.graph_objects.Figure`` with clinical labels. No
builder loads anything from the internet; the report embeds plotly.js itself.
"""

# One palette for the response categories on every page (ColorBrewer RdYlGn:
# the greens get darker as the response deepens, no response is red), and
# for the status at last follow-up, which continues it.
RESPONSE_COLORS = {"CR": "#1a9850", "MR": "#66bd63", "PR": "#fdae61", "NR": "#d73027"}
STATUS_COLORS = {
    "CR": RESPONSE_COLORS["CR"],
    "MR": RESPONSE_COLORS["MR"],
    "PR": RESPONSE_COLORS["PR"],
    "no_response": RESPONSE_COLORS["NR"],
    "loss_of_response": "#8c510a",
    "intolerance": "#762a83",
    "lost_or_other": "#969696",
}
NO_DATA_COLOR = "#d9d9d9"  # e.g. "no assessment after the change"


def rgba(hex_color: str, alpha: float) -> str:
    """"#1a9850" with an opacity, as plotly's "rgba(26,152,80,0.35)"."""
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
