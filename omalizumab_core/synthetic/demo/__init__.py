"""The synthetic demo cohort: 55 generated patients re-creating Lemal et al. (2019).

No row describes a real patient. The files in ``data/`` are written by
``generate.py`` from ``targets.toml`` and loaded through the same validation as
any upload; response categories are never stored, the engine derives them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent / "data"
SOURCE = "Demo cohort (synthetic, re-creates Lemal et al. 2019)"


@lru_cache(maxsize=1)
def demo_cohort():
    """The demo cohort, validated (loaded once per process)."""
    from omalizumab_core.data.loading import load_cohort

    cohort = load_cohort(DEMO_DIR, synthetic=True)
    return cohort.__class__(**{**cohort.__dict__, "source": SOURCE})


@lru_cache(maxsize=1)
def demo_scored():
    """The demo cohort scored with the paper's rule (once per process)."""
    from omalizumab_core.engine.scoring import score_cohort

    return score_cohort(demo_cohort())
