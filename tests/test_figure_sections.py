"""Secondary figures are drawn on request (issue 18, item 6): a closed section sends no figure to the browser."""

from __future__ import annotations

import pytest

from tests.apptest_support import app_on, figure_section_keys

# page -> (figures drawn at first, figures once every section is opened)
PAGES = {"views/response.py": (0, 2), "views/follow_up.py": (1, 3),
         "views/time_to_response.py": (1, 3), "views/symptoms.py": (1, 3), "views/patient.py": (1, 3),
         "views/safety.py": (0, 2), "views/anaphylaxis.py": (0, 1), "views/dosing.py": (0, 2), "views/biology.py": (0, 1)}  # Biology: the open tab only


@pytest.mark.parametrize("page", list(PAGES))
def test_a_secondary_figure_is_drawn_only_once_its_section_is_opened(page):
    closed, opened = PAGES[page]
    at = app_on(page=page)
    assert not at.exception and len(at.get("plotly_chart")) == closed
    assert len(app_on(page=page, open_sections=True).get("plotly_chart")) == opened


def test_every_section_is_named_once():
    keys = figure_section_keys()
    assert len(keys) == len(set(keys)) == 17
