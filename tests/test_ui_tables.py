"""Summary tables show each value exactly as written, and metrics sit so that none is cut (issue 18)."""

from __future__ import annotations

import pytest

from ui.page import fitting_per_row
from ui.tables import escape_markdown


@pytest.mark.parametrize(
    "value, escaped",
    [
        ("***", r"\*\*\*"),  # Figure 1's stars, not a horizontal rule
        ("p < 0.001 **", r"p \< 0.001 \*\*"),  # "<" escaped too (it could open HTML); Markdown shows it as "<"
        ("http://127.0.0.1:8999/image", r"http\://127.0.0.1:8999/image"),  # a bare address is not turned into a link
        ("ISM_2", r"ISM\_2"),
        ("- 0.5", r"\- 0.5"),  # not a bullet
        ("1. dose", r"1\. dose"),  # not a numbered list
        ("-0.50 (-0.75 to -0.25)", "-0.50 (-0.75 to -0.25)"),  # negative numbers untouched
        ("43 (78.2 %)", "43 (78.2 %)"),
        (12, 12),
    ],
)
def test_markdown_is_escaped_so_a_table_cell_reads_as_written(value, escaped):
    assert escape_markdown(value) == escaped


def test_metrics_per_row_shrink_until_the_longest_value_fits():
    assert fitting_per_row(["55", "2 months"], 4) == 4
    assert fitting_per_row(["16 (29.1 %)"], 4) == 3  # cut at 4 per row at 1280 px
    assert fitting_per_row(["Persistent CR"], 4) == 2
    assert fitting_per_row(["55"], 3) == 3  # never more than asked
    assert fitting_per_row(["6 (10.9 %)"], 4, labels=["Patients who stopped for an adverse event"]) == 2  # the label too


def test_a_kept_value_is_rebuilt_only_when_its_cohort_or_key_changes():
    # The Patient page keeps the course figure, the Data page its table previews, across filter reruns
    # (issue 21); a new response rule or upload (another owner) or another patient builds anew.
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st

        from ui.session import kept

        class Owner:  # stands for a scored cohort (weakly referenced)
            pass

        built = []
        first, second = Owner(), Owner()
        a = kept("course", first, "P1", lambda: built.append("a") or "figure a")
        again = kept("course", first, "P1", lambda: built.append("again") or "figure again")
        other_patient = kept("course", first, "P2", lambda: built.append("b") or "figure b")
        other_owner = kept("course", second, "P2", lambda: built.append("c") or "figure c")
        st.session_state["result"] = (a, again, other_patient, other_owner, built)

    at = AppTest.from_function(script)
    at.run()
    assert not at.exception
    assert at.session_state["result"] == ("figure a", "figure a", "figure b", "figure c", ["a", "b", "c"])
