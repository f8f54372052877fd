"""Where a cohort comes from: a file, a folder, or the word ``demo``.

The one loader of the public API (``oc.load_cohort``), the CLI and the report
command. It sits above the synthetic layer because ``"demo"`` names the shipped
synthetic cohort; everything else is :func:`omalizumab_core.data.loading.load_cohort`.
"""

from __future__ import annotations

import os
from pathlib import Path

from omalizumab_core.data.cohort import Cohort
from omalizumab_core.data.problems import ERROR, CohortError, Problem

DEMO = "demo"
"""The word that names the shipped synthetic demo cohort in place of a path."""


def load_cohort(path: str | os.PathLike) -> Cohort:
    """Load and validate the cohort at ``path``.

    Parameters
    ----------
    path : str or path-like
        An ``.xlsx`` or ``.zip`` file, a folder of ``<table>.csv`` or
        ``<table>.parquet`` files, or the word ``"demo"`` for the synthetic demo
        cohort (55 patients re-creating Lemal et al. 2019).

    Returns
    -------
    Cohort
        The validated cohort; its ``warnings`` hold the non-blocking problems.

    Raises
    ------
    CohortError
        Carrying every located problem when the file cannot be used (never any
        other exception for any file content).

    Examples
    --------
    >>> import omalizumab_core as oc
    >>> oc.load_cohort("demo").n_patients
    55
    """
    if str(path) == DEMO:
        from omalizumab_core.synthetic.demo import demo_cohort

        return demo_cohort()
    from omalizumab_core.data.loading import load_cohort as load_file

    if not Path(path).exists():
        raise CohortError([Problem(ERROR, None, f"'{path}' does not exist. Give an .xlsx or .zip file, a folder of <table>.csv or <table>.parquet files, or 'demo'.")])
    return load_file(path)


load_path = load_cohort
"""The CLI's historical name for :func:`load_cohort`."""
