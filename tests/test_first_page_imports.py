"""The first page imports only what it needs (issue 21: cold start).

scipy.stats (about 0.75 s to import) and scipy.optimize (about 0.3 s) are
needed by tests and models on other pages, not by the Overview that a new
session opens on; importing them there made the first render several times
slower than a one-line Streamlit page. The cold-start ratio itself is
measured by ``python -m benchmarks.ratios``; this test keeps the imports
that caused it from coming back.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=120)
at.run()
print(json.dumps({{"exceptions": [e.value for e in at.exception], "title": [t.value for t in at.title],
                  "modules": sorted(m for m in sys.modules if m.split(".")[0] in ("scipy", "statsmodels"))}}))
"""


def test_the_overview_renders_without_importing_scipy_stats_scipy_optimize_or_statsmodels():
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(app=str(ROOT / "app.py"))],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["exceptions"] == [] and result["title"] == ["Omalizumab in mast cell disorders"]
    heavy = [m for m in result["modules"] if m in ("scipy.stats", "scipy.optimize") or m.startswith("statsmodels")]
    assert heavy == []


SWITCH_PROBE = """
import json, sys
from omalizumab_core.synthetic.demo import demo_scored
from omalizumab_core.analyses.biology import lab_pairs, lab_tests
from omalizumab_core.analyses.publication import publication_comparison
from omalizumab_core.analyses.symptom_changes import symptom_changes
scored = demo_scored()
publication_comparison(scored), lab_tests(lab_pairs(scored, "tryptase")), symptom_changes(scored)
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("scipy.stats", "scipy.optimize")))))
"""


def _heavy_modules_after(probe: str) -> list:
    """scipy.stats / scipy.optimize modules loaded by ``probe`` run in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_publication_biology_and_symptom_tests_need_only_scipy_special():
    # Their paired tests (t, Wilcoxon signed-rank) take their tails from scipy.special; importing
    # scipy.stats for them cost whichever of these pages opened first about 0.6 s (issue 21).
    assert _heavy_modules_after(SWITCH_PROBE) == []


LITERATURE_PROBE = """
import json, sys
from omalizumab_core.synthetic.demo import demo_scored
from omalizumab_core.analyses.literature import literature_comparison
literature_comparison({"Demo": demo_scored()})
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("scipy.stats", "scipy.optimize")))))
"""


def test_literature_pooling_needs_only_scipy_special():
    # The DerSimonian-Laird pooling took z, t and the Q test's p from scipy.stats: the Literature
    # page's first display waited about 0.5 s for that import (issue 21).
    assert _heavy_modules_after(LITERATURE_PROBE) == []
