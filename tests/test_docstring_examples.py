"""Every Examples section of the core runs and prints what it says (they run on the demo cohort)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import omalizumab_core

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(omalizumab_core.__path__, "omalizumab_core.") if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_examples_in_docstrings_hold(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples fail in {name}"
