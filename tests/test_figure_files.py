"""Figures as SVG and PNG at a journal's width, drawn offline by Debian's Chromium (issue 19, part 3)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

import omalizumab_core as oc

pytestmark = pytest.mark.skipif(oc.figure_export_unavailable() is not None, reason=str(oc.figure_export_unavailable()))

FIGURE = oc.waterfall_plot(oc.waterfall_data(oc.score_cohort(oc.load_cohort("demo"))))


def test_an_svg_is_85_mm_wide_and_keeps_its_drawing_in_a_view_box():
    svg = oc.figure_file(FIGURE, width_mm=85, fmt="svg")
    head = svg[: svg.index(b">")]
    assert b'width="85mm"' in head and b"viewBox=" in head


def test_a_png_is_175_mm_at_300_dpi():
    image = Image.open(io.BytesIO(oc.figure_file(FIGURE, width_mm=175, fmt="png")))
    assert abs(image.size[0] - 175 / 25.4 * 300) <= 3
    assert round(image.info["dpi"][0]) == 300


def test_a_wrong_format_or_width_says_what_is_accepted():
    with pytest.raises(ValueError, match="svg' or 'png"):
        oc.figure_file(FIGURE, fmt="pdf")
    with pytest.raises(ValueError, match="between 20 and 500 mm"):
        oc.figure_file(FIGURE, width_mm=5)
