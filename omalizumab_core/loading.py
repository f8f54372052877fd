"""Loading a cohort: read the file(s) in memory, then validate.

Both functions return a validated :class:`Cohort` or raise
:class:`CohortError` carrying every located problem.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from .cohort import Cohort
from .reading import read_path, read_upload
from .validation import validate


def load_cohort(path: str | os.PathLike, *, synthetic: bool = False) -> Cohort:
    """Load an .xlsx or .zip file, or a folder of <table>.csv / <table>.parquet files."""
    return validate(read_path(path), synthetic=synthetic)


def load_upload(files: Sequence[tuple[str, bytes]], *, synthetic: bool = False) -> Cohort:
    """Load files received by the web uploader, as (file name, content) pairs."""
    raw = read_upload(files)
    cohort = validate(raw, synthetic=synthetic)
    return cohort.__class__(**{**cohort.__dict__, "source": f"Upload: {raw.source}"})
