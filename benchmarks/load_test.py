"""Bounded load test (issue #6): concurrent dashboard sessions in one server process.

Run from the repository root::

    python -m benchmarks.load_test                      # 20 sessions, 1,000 patients each, 12 steps
    python -m benchmarks.load_test --sessions 5 --steps 4 --patients 200

What it does
------------
1. Writes one synthetic cohort (``--patients``) as parquet into a temporary folder.
2. Warms the process up with one complete session (imports, streamlit's
   caches), closes it and collects garbage: the resident memory then is the
   **baseline** ("before").
3. Starts ``--sessions`` sessions at once, each in its own thread, as a
   Streamlit server does (one script thread per browser session, one
   process). Each session loads the cohort from the files with
   ``loading.load_cohort`` (its own copy, like an upload), puts it into its
   session state, runs the app, then for ``--steps`` steps switches to the
   next page and changes a sidebar filter, timing every ``AppTest.run()``.
4. Closes every session (drops the AppTest objects), collects garbage, and
   measures memory again, then once more after asking glibc to hand freed
   heap back to the system (``malloc_trim``): the cohorts and sessions must
   be freed, so memory must return near the baseline. Weak references to
   every session and cohort check that none is still alive.

Reported: p50/p95/max of the rerun times under load, load time per session,
resident memory before / peak / after / after trim, and whether memory
returned within ``--tolerance-mb`` of the baseline. Everything runs
in-process (AppTest needs no network); the whole test is bounded by
``--deadline`` seconds (sessions stop taking new steps after it).

With 2 CPU cores and Python's GIL, 20 sessions mostly wait for each other:
the rerun times under load measure queueing, which is the point.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import statistics
import sys
import tempfile
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.run import APP, ROOT, _exceptions, _filter_widget, _load, _page_files, _widget_by_key, machine, quiet_streamlit, rss_mb

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "load_test.json"


class PeakSampler:
    """Samples resident memory in a background thread (the peak across all sessions)."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peak = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb())
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def malloc_trim() -> bool:
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0))
    except (OSError, AttributeError):
        return False


def one_session(number: int, data: Path, steps: int, deadline: float, app_timeout: float, refs: list) -> dict:
    """One browser session: load, first run, then page switches and filter changes."""
    from streamlit.testing.v1 import AppTest

    from ui import session

    record = {"session": number, "reruns": [], "exceptions": [], "steps_done": 0}
    t0 = time.perf_counter()
    cohort, how = _load(data)
    record["load_seconds"] = time.perf_counter() - t0
    record["loaded_with"] = how
    at = AppTest.from_file(str(APP), default_timeout=app_timeout)
    refs.append(weakref.ref(at))
    refs.append(weakref.ref(cohort))
    at.session_state[session.COHORT] = cohort
    del cohort
    t0 = time.perf_counter()
    at.run()
    record["first_run_seconds"] = time.perf_counter() - t0
    record["exceptions"].extend(_exceptions(at))
    pages = _page_files()
    widget, values, kind = _filter_widget(at)
    key = widget.key if widget is not None else None
    for step in range(steps):
        if time.perf_counter() > deadline:
            record["stopped_at_deadline"] = True
            break
        at.switch_page(pages[step % len(pages)])
        t0 = time.perf_counter()
        at.run()
        record["reruns"].append(("switch", time.perf_counter() - t0))
        w = _widget_by_key(at, key, kind) if key else None
        if w is not None:
            w.set_value(values[step % 2])
            t0 = time.perf_counter()
            at.run()
            record["reruns"].append(("filter", time.perf_counter() - t0))
        record["exceptions"].extend(_exceptions(at))
        record["steps_done"] = step + 1
    record["filter_widget"] = f"{kind} '{key}'" if key else "none found: page switches only"
    record["exceptions"] = sorted(set(record["exceptions"]))
    del at
    return record


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[position]


def load_test(args) -> dict:
    sys.path.insert(0, str(ROOT))
    quiet_streamlit()
    from omalizumab_core.synth import synthesize, write_cohort

    report = {"machine": machine(), "sessions": args.sessions, "steps": args.steps, "patients": args.patients}
    with tempfile.TemporaryDirectory(prefix="omalizumab-load-") as tmp:
        data = Path(tmp) / "cohort"
        write_cohort(synthesize(args.patients, seed=6), data, fmt="parquet")

        # Warm-up: imports, caches, the first script compilation.
        warm_refs: list = []
        one_session(-1, data, min(2, args.steps), time.perf_counter() + args.deadline, args.app_timeout, warm_refs)
        gc.collect()
        malloc_trim()
        before = rss_mb()
        report["rss_before_mb"] = round(before, 1)

        refs: list = []
        deadline = time.perf_counter() + args.deadline
        t0 = time.perf_counter()
        with PeakSampler() as sampler, ThreadPoolExecutor(max_workers=args.sessions, thread_name_prefix="session") as pool:
            futures = [pool.submit(one_session, i, data, args.steps, deadline, args.app_timeout, refs) for i in range(args.sessions)]
            sessions = []
            for future in futures:
                try:
                    sessions.append(future.result(timeout=max(1.0, deadline - time.perf_counter() + args.app_timeout)))
                except Exception as error:
                    sessions.append({"error": f"{type(error).__name__}: {error}"[:500]})
        report["wall_seconds"] = time.perf_counter() - t0
        report["rss_peak_mb"] = round(sampler.peak, 1)
        rss_open = rss_mb()

        del futures
        gc.collect()
        report["rss_after_gc_mb"] = round(rss_mb(), 1)
        report["malloc_trim"] = malloc_trim()
        report["rss_after_trim_mb"] = round(rss_mb(), 1)
        report["rss_end_of_sessions_mb"] = round(rss_open, 1)
        report["alive_after_close"] = sum(1 for r in refs if r() is not None)
        report["objects_tracked"] = len(refs)

    reruns = [seconds for s in sessions for kind, seconds in s.get("reruns", [])]
    filters = [seconds for s in sessions for kind, seconds in s.get("reruns", []) if kind == "filter"]
    switches = [seconds for s in sessions for kind, seconds in s.get("reruns", []) if kind == "switch"]
    report["reruns"] = len(reruns)
    for name, values in (("all", reruns), ("filter_change", filters), ("page_switch", switches)):
        report[f"rerun_{name}_ms"] = {
            "p50": _ms(_percentile(values, 50)),
            "p95": _ms(_percentile(values, 95)),
            "max": _ms(max(values) if values else None),
            "n": len(values),
        }
    loads = [s["load_seconds"] for s in sessions if "load_seconds" in s]
    firsts = [s["first_run_seconds"] for s in sessions if "first_run_seconds" in s]
    report["load_seconds_p50"] = statistics.median(loads) if loads else None
    report["first_run_seconds_p50"] = statistics.median(firsts) if firsts else None
    report["errors"] = [s["error"] for s in sessions if "error" in s]
    report["exceptions"] = sorted({e for s in sessions for e in s.get("exceptions", [])})
    report["filter_widget"] = sorted({s.get("filter_widget", "") for s in sessions if "filter_widget" in s})
    report["loaded_with"] = sorted({s.get("loaded_with", "") for s in sessions if "loaded_with" in s})
    report["stopped_at_deadline"] = sum(1 for s in sessions if s.get("stopped_at_deadline"))
    growth = report["rss_after_trim_mb"] - report["rss_before_mb"]
    report["memory_growth_mb"] = round(growth, 1)
    report["memory_returned"] = growth <= args.tolerance_mb and report["alive_after_close"] == 0
    return report


def _ms(seconds):
    return None if seconds is None else round(seconds * 1000, 1)


def render(r: dict) -> str:
    lines = [
        f"{r['sessions']} concurrent sessions x {r['steps']} steps, {r['patients']:,} patients each ({r['wall_seconds']:.1f} s wall)",
        f"loaded with: {', '.join(r['loaded_with'])}; filter widget: {', '.join(r['filter_widget'])}",
        f"load per session p50 {r['load_seconds_p50']:.2f} s; first run (incl. scoring) p50 {r['first_run_seconds_p50']:.2f} s",
    ]
    for name in ("all", "filter_change", "page_switch"):
        x = r[f"rerun_{name}_ms"]
        lines.append(f"rerun {name:>13}: p50 {x['p50']} ms, p95 {x['p95']} ms, max {x['max']} ms (n={x['n']})")
    lines.append(
        f"memory: before {r['rss_before_mb']} MB, peak {r['rss_peak_mb']} MB, all sessions open {r['rss_end_of_sessions_mb']} MB, "
        f"after close+gc {r['rss_after_gc_mb']} MB, after malloc_trim {r['rss_after_trim_mb']} MB"
    )
    lines.append(
        f"memory returned near start: {'YES' if r['memory_returned'] else 'NO'} (growth {r['memory_growth_mb']} MB; "
        f"{r['alive_after_close']} of {r['objects_tracked']} sessions/cohorts still alive)"
    )
    if r["errors"]:
        lines.append(f"ERRORS: {r['errors']}")
    if r["exceptions"]:
        lines.append(f"page exceptions: {r['exceptions']}")
    if r["stopped_at_deadline"]:
        lines.append(f"{r['stopped_at_deadline']} sessions stopped at the deadline")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load_test", description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--steps", type=int, default=12, help="page switches (each followed by a filter change) per session")
    parser.add_argument("--patients", type=int, default=1000, help="patients in each session's cohort")
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds after which sessions take no new step")
    parser.add_argument("--app-timeout", type=float, default=120.0, help="AppTest timeout per run, seconds")
    parser.add_argument("--tolerance-mb", type=float, default=64.0, help="memory growth still counted as 'returned'")
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    args = parser.parse_args(argv)
    report = load_test(args)
    print(render(report))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"results written to {out}")
    return 0 if not report["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
