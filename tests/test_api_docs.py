"""docs/api.md is the public API's reference: every name is there and every example runs.

The examples run on the synthetic demo cohort, as doctests, in the order the
document gives them (later examples use ``scored`` from the first block).
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import omalizumab_core as oc

API_DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def test_every_public_name_has_a_section_in_the_api_reference():
    documented = set(re.findall(r"^### `(\w+)`", API_DOC.read_text(encoding="utf-8"), flags=re.M))
    assert sorted(set(oc.__all__) - documented) == []
    assert sorted(documented - set(oc.__all__)) == [], "documented names that the package root does not export"


def test_every_public_name_resolves():
    for name in oc.__all__:
        assert getattr(oc, name) is not None, name


def test_every_example_of_the_api_reference_runs_and_prints_what_it_says():
    result = doctest.testfile(
        str(API_DOC), module_relative=False, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.attempted > 150
    assert result.failed == 0


def test_an_unknown_name_is_an_attribute_error():
    try:
        oc.no_such_analysis
    except AttributeError as error:
        assert "no_such_analysis" in str(error)
    else:
        raise AssertionError("expected AttributeError")
