"""What the analyses become for people: plotly figures, self-contained HTML reports, spreadsheet exports."""
