"""Memory of several cohorts (issue 20): two 50,000-patient cohorts pooled against one 100,000-patient cohort.

Run from the repository root::

    python -m benchmarks.cohorts                 # 2 x 50,000 against 1 x 100,000
    python -m benchmarks.cohorts --size 10000    # 2 x 5,000 against 1 x 10,000 (quick)

Synthetic cohorts are written once as parquet to a temporary folder; each
case then runs in a fresh child process (``--child one|two``), so its peak
resident memory is its own:

one
    load the 100,000-patient cohort, score it, build the filter index, Table 2.
two
    load two 50,000-patient cohorts (different seeds, the same identifiers:
    every id collides), hold them in a CohortSet as the dashboard does, build
    the pooled cohort, score it, build its filter index, then the comparison
    tables (Table 2 and Table 1 by cohort, as compare mode shows them).

The figure that matters is the ratio of the two processes' peak RSS (the
machine is shared, so absolute numbers vary; the ratio, measured in one run,
is stable). Results go to benchmarks/results/cohorts.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run import RESULT_PREFIX, SEED, Meter, _emit, _load, process_peak_mb, rss_mb

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "cohorts.json"


def child_one(data: Path) -> dict:
    from omalizumab_core.analyses.filters import filter_index
    from omalizumab_core.analyses.response_rates import response_rates
    from omalizumab_core.engine.scoring import score_cohort

    meter = Meter()
    cohort, _ = meter.measure("load", lambda: _load(data / "whole"))
    scored = meter.measure("score", lambda: score_cohort(cohort))
    meter.measure("filter_index", lambda: filter_index(scored))
    meter.measure("table2", lambda: response_rates(scored))
    return {"steps": meter.steps, "patients": cohort.n_patients, "held_rss_mb": round(rss_mb(), 1)}


def child_two(data: Path) -> dict:
    from omalizumab_core.analyses.cohort_comparison import cohort_response_rates, cohort_table1
    from omalizumab_core.analyses.filters import filter_index
    from omalizumab_core.data.cohort_set import CohortSet
    from omalizumab_core.engine.scoring import score_cohort

    meter = Meter()
    cohorts = CohortSet()
    for name in ("half_a", "half_b"):
        loaded, _ = meter.measure(f"load_{name}", lambda name=name: _load(data / name))
        cohorts.add(name, loaded)
        del loaded
    pooled = meter.measure("pool", cohorts.pooled)
    scored = meter.measure("score_pooled", lambda: score_cohort(pooled))
    meter.measure("filter_index", lambda: filter_index(scored))
    meter.measure("table2_by_cohort", lambda: cohort_response_rates(scored))
    meter.measure("table1_by_cohort", lambda: cohort_table1(scored))
    return {
        "steps": meter.steps, "patients": pooled.n_patients, "held_rss_mb": round(rss_mb(), 1),
        "collision_warning": pooled.warnings[0].message if pooled.warnings else "",
    }


def _generate(size: int, data: Path) -> None:
    from omalizumab_core.synthetic.synth import synthesize, write_cohort

    for name, n, seed in (("whole", size, SEED), ("half_a", size // 2, SEED + 1), ("half_b", size // 2, SEED + 2)):
        write_cohort(synthesize(n, seed), data / name, fmt="parquet")


def _run_child(case: str, data: Path, timeout: float) -> dict:
    command = [sys.executable, "-m", "benchmarks.cohorts", "--child", case, "--data", str(data)]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    t0 = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            payload = json.loads(line[len(RESULT_PREFIX):])
            payload["wall_seconds"] = round(time.perf_counter() - t0, 1)
            return payload
    return {"error": f"child exited {done.returncode}", "stderr": done.stderr[-3000:]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="patients of the single cohort (each of the two has half)")
    parser.add_argument("--child", choices=("one", "two"))
    parser.add_argument("--data")
    parser.add_argument("--timeout", type=float, default=1200)
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args(argv)
    if args.child:
        payload = (child_one if args.child == "one" else child_two)(Path(args.data))
        payload["process_peak_rss_mb"] = round(process_peak_mb(), 1)
        # The per-step peaks reset VmHWM, so the process's peak is the largest step peak.
        payload["peak_rss_mb"] = max(step["peak_rss_mb"] for step in payload["steps"].values())
        _emit(payload)
        return 0
    with tempfile.TemporaryDirectory(prefix="omalizumab-cohorts-bench-") as folder:
        data = Path(folder)
        _generate(args.size, data)
        one = _run_child("one", data, args.timeout)
        two = _run_child("two", data, args.timeout)
    report = {"size": args.size, "one_cohort": one, "two_cohorts_pooled": two}
    if "peak_rss_mb" in one and "peak_rss_mb" in two:
        report["peak_ratio_two_over_one"] = round(two["peak_rss_mb"] / one["peak_rss_mb"], 2)
        report["held_ratio_two_over_one"] = round(two["held_rss_mb"] / one["held_rss_mb"], 2)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for label, result in (("1 x %d" % args.size, one), ("2 x %d pooled" % (args.size // 2), two)):
        steps = result.get("steps", {})
        print(f"{label}: peak {result.get('peak_rss_mb')} MB, held {result.get('held_rss_mb')} MB; "
              + ", ".join(f"{k} {v.get('seconds', float('nan')):.1f} s/{v.get('peak_rss_mb')} MB" for k, v in steps.items()))
        if "error" in result:
            print(result.get("error"), result.get("stderr", "")[-1500:])
    print("peak ratio (two pooled / one):", report.get("peak_ratio_two_over_one"), "· held after the steps:", report.get("held_ratio_two_over_one"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
