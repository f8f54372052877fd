"""End-to-end: the MDT candidate page answers first, above the fold of a 1280×720 screen."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, wait_for_app
from tests.browser.test_presentation_in_browser import CLIPPED

pytestmark = pytest.mark.browser


def _in_view(page, locator) -> bool:
    """The element's box lies entirely within the 1280×720 viewport (scroll position 0)."""
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 720


def _choose(form, page, label: str, option: str) -> None:
    form.get_by_label(label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).first.click()


def test_headline_is_above_the_fold_after_pressing_find(browser, server_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    try:
        page.goto(f"{server_url}/candidate")
        wait_for_app(page)
        form = page.locator('[data-testid="stForm"]')  # not the sidebar's filters of the same names
        form.get_by_label("Age (years)").fill("45")
        _choose(form, page, "Sex", "Female")
        form.get_by_label("Superficial vasomotor").click()
        page.get_by_role("option", name="flushing", exact=True).click()
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Find comparable patients").click()
        page.locator('[data-testid="stMetric"]').first.wait_for(timeout=60_000)
        wait_for_app(page)
        page.evaluate("window.scrollTo(0, 0)")
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.get_by_text("55 of 55 patients").count() == 1  # the form's sex, not a sidebar filter, was set
        assert page.get_by_text("45 years, female").count() >= 1
        assert page.get_by_role("button", name="Find comparable patients").count() == 0  # the form collapsed
        metrics = page.locator('[data-testid="stMetric"]')
        labels = [metrics.nth(i).inner_text() for i in range(metrics.count())][:4]
        assert [text.splitlines()[0] for text in labels] == [
            "Comparable patients", "Overall response", "Persistent response", "Median time to response"]
        for i in range(4):
            assert _in_view(page, metrics.nth(i)), f"headline metric {i} is below the fold: {metrics.nth(i).bounding_box()}"
        assert _in_view(page, page.get_by_text("not a prediction").first)
        page.screenshot(path=str(screenshot(page, "candidate_answer").with_name("candidate_answer_fold.png")))
        # The answer's summary tables fit the 1280 px page beside the sidebar (the sensitivity table hid its
        # "First response" column and the symptom table its last two). Only the comparable patients' list, a
        # selectable listing of 11 columns, scrolls sideways, as the Data page's preview does.
        cut = [c for c in page.evaluate(CLIPPED) if c[0] != "select box"]
        assert [c[0] for c in cut] == ["dataframe"], f"cut at 1280x720 on the MDT answer: {cut}"
        page.get_by_role("button", name="Change candidate").click()
        page.get_by_role("button", name="Find comparable patients").wait_for(timeout=60_000)
    finally:
        context.close()
