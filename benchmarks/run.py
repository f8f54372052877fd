"""Benchmark suite: load, score, tables, filters and page reruns from 55 to 100,000 patients.

Run from the repository root::

    python -m benchmarks.run                                  # 55, 1,000, 10,000, 100,000
    python -m benchmarks.run --sizes 55,1000 --skip-apptest   # quick
    python -m benchmarks.run --out benchmarks/results/latest.json

Every group of steps runs in a fresh child process (``python -m
benchmarks.run --child GROUP ...``) so that the peak memory of one step is
not hidden by the data of another, and so the 100,000-patient runs start
clean. Cohorts are generated once per size into a temporary folder (parquet
and CSV) and reused by every group. See benchmarks/README.md for what each
number means.

Memory
    ``peak_rss_mb`` is the process's peak resident set size during the step
    (Linux ``VmHWM``, reset before each step through ``/proc/self/clear_refs``),
    so it includes the interpreter, the imports and the data already loaded;
    ``delta_mb`` is that peak minus the resident size when the step started.
    ``process_peak_rss_mb`` is the child's ``getrusage`` maximum over its
    whole life. Where ``/proc`` cannot be reset, step peaks fall back to
    ``getrusage`` (monotone) and the JSON says so.

Everything is loopback-only and bounded: each child has a timeout, the
reference loop has a time budget beyond which it is run on a 10,000-patient
subset and extrapolated linearly (reported as such).
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.local_server import free_port, stop, wait_until_healthy

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
DEFAULT_SIZES = (55, 1_000, 10_000, 100_000)
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "latest.json"
RESULT_PREFIX = "BENCH-RESULT "
SEED = 20190101
LOOP_SUBSET = 10_000

# Targets of issue #7.
TARGET_LOAD_SCORE_SECONDS = 10.0
TARGET_LOAD_SCORE_PEAK_MB = 4096.0
TARGET_SPEEDUP = 20.0
TARGET_RERUN_SMALL_MS = 150.0
TARGET_RERUN_LARGE_MS = 1000.0
TARGET_COLD_START_SECONDS = 3.0


# =====================================================================================
# Measuring inside a child
# =====================================================================================


def _status_kb(field: str) -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def rss_mb() -> float:
    kb = _status_kb("VmRSS")
    return kb / 1024 if kb is not None else float("nan")


def process_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class Meter:
    """Times steps and records each one's peak resident memory."""

    def __init__(self):
        self.steps: dict[str, dict] = {}
        self.peak_reset_works = _reset_peak()

    def measure(self, name: str, fn, *, repeat: bool = False, note: str | None = None):
        gc.collect()
        start = rss_mb()
        self.peak_reset_works = _reset_peak() and self.peak_reset_works
        t0 = time.perf_counter()
        value = fn()
        elapsed = time.perf_counter() - t0
        peak_kb = _status_kb("VmHWM") if self.peak_reset_works else None
        peak = peak_kb / 1024 if peak_kb is not None else process_peak_mb()
        times = [elapsed]
        # Repeated (same inputs) for a stable median: up to 7 runs or 1 s, and a
        # second run of anything under 5 s (the first run of a step also pays
        # for touching fresh memory, see README).
        while repeat and len(times) < 7 and (sum(times) < 1.0 or (len(times) < 2 and elapsed < 5.0)):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        record = {
            "seconds": statistics.median(times),
            "seconds_first": elapsed,
            "seconds_min": min(times),
            "runs": len(times),
            "peak_rss_mb": round(peak, 1),
            "delta_mb": round(peak - start, 1),
        }
        if note:
            record["note"] = note
        self.steps[name] = record
        return value

    def skip(self, name: str, reason: str) -> None:
        self.steps[name] = {"skipped": reason}

    def fail(self, name: str, error: BaseException) -> None:
        self.steps[name] = {"error": f"{type(error).__name__}: {error}"[:500]}


def _emit(payload: dict) -> None:
    print(RESULT_PREFIX + json.dumps(payload, default=_json_default), flush=True)


def _json_default(value):
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return value.item()
    except ImportError:
        pass
    return str(value)


# =====================================================================================
# The project's functions, found where they are
# =====================================================================================


def _load(path: Path, meter: Meter | None = None):
    """load_cohort(path), or (before loading.py exists) read parquet without validation."""
    try:
        from omalizumab_core.data.loading import load_cohort
    except ImportError:
        load_cohort = None
    if load_cohort is not None:
        return load_cohort(path), "load_cohort (read + validation)"
    import pandas as pd

    from omalizumab_core.data.cohort import TABLES, Cohort

    tables = {}
    for name in TABLES:
        file = path / f"{name}.parquet"
        if file.exists():
            tables[name] = pd.read_parquet(file)
        elif (path / f"{name}.csv").exists():
            tables[name] = pd.read_csv(path / f"{name}.csv")
    return Cohort(**tables, source=str(path), synthetic=True), "NO VALIDATION: loading.py not available, plain pandas read"


def _call_flexibly(fn, cohort, scored):
    """Call an analysis whose first parameter is a cohort, a scored cohort or outcomes."""
    parameters = list(inspect.signature(fn).parameters.values())
    first = parameters[0].name if parameters else ""
    if first in ("scored", "scored_cohort"):
        return fn(scored)
    if first == "outcomes":
        return fn(scored.outcomes)
    if first == "cohort":
        return fn(cohort)
    if first in ("patients",):
        return fn(cohort.patients)
    return fn(scored)


def _analyses():
    """(step name, module, function name) of each table and curve benchmarked."""
    return (
        ("table1_characteristics", "omalizumab_core.analyses.overview", "table1"),
        ("table2_response_counts", "omalizumab_core.engine.response_table", "table2_counts"),
        ("symptom_wilcoxon", "omalizumab_core.analyses.symptom_changes", "symptom_changes"),
        ("kaplan_meier", "omalizumab_core.analyses.time_to_response", "time_to_response_curves"),
    )


def _typical_filter(scored):
    """A typical sidebar filter: two diagnoses, women, age at treatment 18-65 (whatever FilterSpec offers)."""
    from omalizumab_core.analyses import filters
    spec_type = filters.FilterSpec
    wanted = {
        "diagnoses": ("ISM", "CM"),
        "diagnosis": ("ISM", "CM"),
        "subgroups": ("ISM", "CM", "MMAS"),
        "sexes": ("F",),
        "sex": ("F",),
        "age_at_treatment": (18.0, 65.0),
        "age_range": (18.0, 65.0),
    }
    try:
        fields = set(inspect.signature(spec_type).parameters)
    except (TypeError, ValueError):
        fields = set()
    kwargs = {k: v for k, v in wanted.items() if k in fields}
    spec = spec_type(**kwargs)
    return spec, kwargs


def _filter_index(scored):
    """The per-patient filter index, built once per scored cohort (the app keeps it in the session)."""
    from omalizumab_core.analyses import filters
    return filters.filter_index(scored) if hasattr(filters, "filter_index") else None


def _apply_filter(scored, spec, index=None):
    from omalizumab_core.analyses import filters
    parameters = inspect.signature(filters.apply_filters).parameters
    if "index" in parameters and index is not None:
        return filters.apply_filters(scored, spec, index=index)
    return filters.apply_filters(scored, spec)


# =====================================================================================
# Child groups
# =====================================================================================


def group_generate(n: int, data: Path, args) -> dict:
    from omalizumab_core.synthetic.synth import synthesize, write_cohort

    meter = Meter()
    source = "synthesize"
    tables = None
    if n == 55 and not args.no_demo:
        try:
            from omalizumab_core.synthetic.demo import demo_cohort
        except ImportError:
            demo_cohort = None
        if demo_cohort is not None:
            cohort = meter.measure("generate", demo_cohort)
            tables = {name: cohort.table(name) for name in ("patients", "symptoms", "doses", "adverse_events", "labs") if cohort.table(name) is not None}
            source = "demo_cohort (the shipped synthetic demo)"
    if tables is None:
        tables = meter.measure("generate", lambda: synthesize(n, SEED))
    meter.measure("write_parquet", lambda: write_cohort(tables, data / "parquet", fmt="parquet"))
    meter.measure("write_csv", lambda: write_cohort(tables, data / "csv", fmt="csv"))
    sizes = {f.name: f.stat().st_size for f in sorted((data / "parquet").iterdir())}
    csv_sizes = {f.name: f.stat().st_size for f in sorted((data / "csv").iterdir())}
    return {
        "steps": meter.steps,
        "source": source,
        "rows": {name: int(len(frame)) for name, frame in tables.items()},
        "parquet_mb": round(sum(sizes.values()) / 2**20, 1),
        "csv_mb": round(sum(csv_sizes.values()) / 2**20, 1),
    }


def group_load_parquet(n: int, data: Path, args) -> dict:
    """Fresh process: load parquet (read + validation), then score. The 10 s / 4 GB target."""
    from omalizumab_core.engine.scoring import score_cohort

    meter = Meter()
    t0 = time.perf_counter()
    cohort, how = meter.measure("load_parquet", lambda: _load(data / "parquet"))
    meter.steps["load_parquet"]["note"] = how
    meter.measure("score", lambda: score_cohort(cohort))
    total = time.perf_counter() - t0
    return {
        "steps": meter.steps,
        "load_plus_score_seconds": total,
        "process_peak_rss_mb": round(process_peak_mb(), 1),
        "validated": how.startswith("load_cohort"),
        "warnings": len(getattr(cohort, "warnings", []) or []),
    }


def group_load_csv(n: int, data: Path, args) -> dict:
    meter = Meter()
    try:
        from omalizumab_core.data.loading import load_cohort  # noqa: F401
    except ImportError:
        meter.skip("load_csv", "loading.py not available yet")
        return {"steps": meter.steps, "process_peak_rss_mb": round(process_peak_mb(), 1)}
    cohort, how = meter.measure("load_csv", lambda: _load(data / "csv"))
    meter.steps["load_csv"]["note"] = how
    return {"steps": meter.steps, "process_peak_rss_mb": round(process_peak_mb(), 1), "patients": cohort.n_patients}


def group_analyses(n: int, data: Path, args) -> dict:
    """Scoring, Table 1, Table 2, Wilcoxon table, Kaplan-Meier curves, filtering."""
    import importlib

    from omalizumab_core.engine.scoring import score_cohort

    meter = Meter()
    cohort, how = _load(data / "parquet")
    scored = meter.measure("score", lambda: score_cohort(cohort), repeat=True)
    notes = {"loaded_with": how}
    for step, module_name, function_name in _analyses():
        try:
            module = importlib.import_module(module_name)
            fn = getattr(module, function_name)
        except (ImportError, AttributeError) as error:
            meter.skip(step, f"{module_name}.{function_name} not available yet ({type(error).__name__})")
            continue
        try:
            meter.measure(step, lambda fn=fn: _call_flexibly(fn, cohort, scored), repeat=True)
        except Exception as error:  # report and go on: one broken analysis must not hide the others
            meter.fail(step, error)
    try:
        spec, used = _typical_filter(scored)
        index = meter.measure("filter_index", lambda: _filter_index(scored), note="once per scored cohort (kept in the session)")
        filtered = meter.measure("filter", lambda: _apply_filter(scored, spec, index), repeat=True)
        meter.steps["filter"]["note"] = (
            f"spec {used}; {filtered.cohort.n_patients} of {cohort.n_patients} patients kept; "
            "long tables of the selection are built when a page first reads them"
        )
        meter.measure("filter_and_symptoms", lambda: _apply_filter(scored, spec, index).cohort.symptoms, repeat=True,
                      note="the selection plus its symptoms table (what the Symptoms and Publication pages read)")
    except ImportError as error:
        meter.skip("filter", f"omalizumab_core.analyses.filters not available yet ({error})")
    except Exception as error:
        meter.fail("filter", error)
    return {"steps": meter.steps, "notes": notes, "process_peak_rss_mb": round(process_peak_mb(), 1)}


def group_reference(n: int, data: Path, args) -> dict:
    """Engine against the plain per-patient loop, on the same in-memory cohort."""
    from benchmarks.reference_loop import reference_outcomes
    from omalizumab_core.engine.scoring import score_cohort

    meter = Meter()
    cohort, _ = _load(data / "parquet")
    meter.measure("score", lambda: score_cohort(cohort), repeat=True)
    engine_seconds = meter.steps["score"]["seconds"]
    subset_n = min(n, LOOP_SUBSET)
    subset = cohort if subset_n == n else cohort.subset(cohort.patients["patient_id"].iloc[:subset_n])
    subset.symptoms  # a selection builds its tables on first read: not part of the loop's time
    meter.measure("reference_loop_subset", lambda: reference_outcomes(subset.patients, subset.symptoms))
    subset_seconds = meter.steps["reference_loop_subset"]["seconds"]
    estimate = subset_seconds * n / subset_n
    extrapolated = False
    if subset_n == n:
        loop_seconds = subset_seconds
    elif estimate <= args.loop_budget:
        meter.measure("reference_loop", lambda: reference_outcomes(cohort.patients, cohort.symptoms))
        loop_seconds = meter.steps["reference_loop"]["seconds"]
    else:
        loop_seconds = estimate
        extrapolated = True
        meter.steps["reference_loop"] = {
            "seconds": estimate,
            "extrapolated": True,
            "note": f"extrapolated linearly from {subset_n:,} patients ({subset_seconds:.1f} s): the estimate exceeds the {args.loop_budget:.0f} s budget",
        }
    return {
        "steps": meter.steps,
        "engine_seconds": engine_seconds,
        "loop_seconds": loop_seconds,
        "loop_extrapolated": extrapolated,
        "loop_subset_patients": subset_n,
        "speedup": loop_seconds / engine_seconds if engine_seconds > 0 else None,
        "process_peak_rss_mb": round(process_peak_mb(), 1),
    }


def _page_files() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "views").glob("*.py"))


def _exceptions(at) -> list[str]:
    return [str(getattr(e, "message", "") or e.value)[:300] for e in at.exception]


def _filter_widget(at):
    """A sidebar filter widget to change, and two values to alternate between.

    Prefers a multiselect (diagnosis, subgroup...), then a selectbox, then a
    slider; never the response-rule selectbox (that rescoring is not a filter).
    """
    from ui import session

    skip = {session.RULE}
    for widget in at.sidebar.multiselect:
        if widget.key in skip or len(widget.options) < 2:
            continue
        full = list(widget.value) or list(widget.options)
        fewer = full[:-1] if len(full) > 1 else list(widget.options)[:1]
        return widget, (fewer, full), "multiselect"
    for widget in at.sidebar.selectbox:
        if widget.key in skip or len(widget.options) < 2:
            continue
        return widget, (widget.options[1], widget.options[0]), "selectbox"
    for widget in at.sidebar.slider:
        if widget.key in skip:
            continue
        low, high = widget.min, widget.max
        value = widget.value
        if isinstance(value, (tuple, list)):
            mid = low + (high - low) / 2
            return widget, ((low, mid), tuple(value)), "slider"
    return None, None, None


def _widget_by_key(at, key, kind):
    for widget in getattr(at.sidebar, kind):
        if widget.key == key:
            return widget
    return None


def group_apptest(n: int, data: Path, args) -> dict:
    """Every page's rerun after a filter change, with the cohort loaded and scored in the session."""
    from streamlit.testing.v1 import AppTest

    from ui import session

    meter = Meter()
    cohort, how = _load(data / "parquet")
    at = AppTest.from_file(str(APP), default_timeout=args.app_timeout)
    at.session_state[session.COHORT] = cohort
    meter.measure("app_first_run", at.run, note="cohort injected in session_state; includes scoring it")
    errors = {"first_run": _exceptions(at)}
    widget, values, kind = _filter_widget(at)
    key = widget.key if widget is not None else None
    pages = {}
    for page in _page_files():
        name = Path(page).stem
        record = {}
        try:
            at.switch_page(page)
            t0 = time.perf_counter()
            at.run()
            record["switch_seconds"] = time.perf_counter() - t0
            record["exceptions"] = _exceptions(at)
            times = []
            if key is not None:
                for i in range(args.reruns):
                    w = _widget_by_key(at, key, kind)
                    if w is None:
                        break
                    w.set_value(values[i % 2])
                    t0 = time.perf_counter()
                    at.run()
                    times.append(time.perf_counter() - t0)
                record["filter_widget"] = f"{kind} '{key}'"
            else:
                for _ in range(args.reruns):
                    t0 = time.perf_counter()
                    at.run()
                    times.append(time.perf_counter() - t0)
                record["filter_widget"] = "NONE FOUND: plain reruns timed (no filter widget in the sidebar yet)"
            record["rerun_seconds_median"] = statistics.median(times) if times else None
            record["rerun_seconds_max"] = max(times) if times else None
            record["rerun_seconds"] = times
            record["exceptions"] = sorted(set(record["exceptions"] + _exceptions(at)))
        except Exception as error:
            record["error"] = f"{type(error).__name__}: {error}"[:500]
        pages[name] = record
    return {
        "steps": meter.steps,
        "pages": pages,
        "errors": errors,
        "loaded_with": how,
        "process_peak_rss_mb": round(process_peak_mb(), 1),
    }


def group_coldstart(n: int, data: Path, args) -> dict:
    """Import streamlit's AppTest and render the default page on the demo, in a fresh process."""
    t0 = time.perf_counter()
    from streamlit.testing.v1 import AppTest

    imported = time.perf_counter()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    done = time.perf_counter()
    return {
        "import_seconds": imported - t0,
        "run_seconds": done - imported,
        "total_seconds": done - t0,
        "exceptions": _exceptions(at),
        "titles": [t.value for t in at.title],
        "process_peak_rss_mb": round(process_peak_mb(), 1),
    }


GROUPS = {
    "generate": group_generate,
    "load_parquet": group_load_parquet,
    "load_csv": group_load_csv,
    "analyses": group_analyses,
    "reference": group_reference,
    "apptest": group_apptest,
    "coldstart": group_coldstart,
}


def quiet_streamlit() -> None:
    """Hide streamlit's bare-mode warnings; uncaught page errors (ERROR) still show."""
    try:
        import streamlit.logger

        streamlit.logger.set_log_level("ERROR")
    except Exception:
        pass


def child_main(args) -> int:
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    if args.child in ("apptest", "coldstart"):
        quiet_streamlit()
    try:
        payload = GROUPS[args.child](args.size, Path(args.data), args)
    except Exception as error:
        import traceback

        payload = {"error": f"{type(error).__name__}: {error}", "traceback": traceback.format_exc()[-3000:]}
    payload["child_process_peak_rss_mb"] = round(process_peak_mb(), 1)
    payload["peak_reset_works"] = _reset_peak()
    _emit(payload)
    return 0


# =====================================================================================
# Parent: run the children, then report
# =====================================================================================


def run_child(group: str, n: int, data: Path, args) -> dict:
    command = [
        sys.executable, "-m", "benchmarks.run", "--child", group, "--size", str(n), "--data", str(data),
        "--loop-budget", str(args.loop_budget), "--reruns", str(args.reruns), "--app-timeout", str(args.app_timeout),
    ]
    if args.no_demo:
        command.append("--no-demo")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    t0 = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=args.child_timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {args.child_timeout} s", "wall_seconds": time.perf_counter() - t0}
    wall = time.perf_counter() - t0
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            payload = json.loads(line[len(RESULT_PREFIX):])
            payload["wall_seconds"] = wall
            return payload
    return {"error": f"child exited {done.returncode} without a result", "stderr": done.stderr[-3000:], "wall_seconds": wall}


def server_start(args) -> dict:
    """`streamlit run app.py` on loopback until /_stcore/health answers, then stopped."""
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless=true", f"--server.port={port}",
        "--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
    ]
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", proc, poll=0.05)
        return {"seconds": time.perf_counter() - t0}
    except RuntimeError as error:
        return {"error": str(error)}
    finally:
        stop(proc)


def machine() -> dict:
    info = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo", encoding="ascii") as handle:
            info["memory_gb"] = round(int(handle.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    try:
        available = os.sched_getaffinity(0)
        info["cpus_available"] = len(available)
    except AttributeError:
        pass
    versions = {}
    for package in ("numpy", "pandas", "pyarrow", "scipy", "streamlit", "openpyxl"):
        try:
            from importlib.metadata import version

            versions[package] = version(package)
        except Exception:
            versions[package] = None
    info["packages"] = versions
    return info


def benchmark(args) -> dict:
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    report = {
        "machine": machine(),
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "memory_method": "peak RSS: Linux VmHWM reset per step via /proc/self/clear_refs (falls back to getrusage ru_maxrss); each group in a fresh process",
        "sizes": {},
    }
    groups = ["generate", "load_parquet", "load_csv", "analyses", "reference"]
    if not args.skip_apptest:
        groups.append("apptest")
    with tempfile.TemporaryDirectory(prefix="omalizumab-bench-") as tmp:
        for n in sizes:
            data = Path(args.data_dir or tmp) / f"n{n}"
            data.mkdir(parents=True, exist_ok=True)
            runs = {}
            marker = data / "generated.json"
            for group in groups:
                if group == "generate" and args.data_dir and marker.exists():
                    runs[group] = json.loads(marker.read_text(encoding="utf-8"))
                    runs[group]["reused"] = str(data)
                    _progress(f"N={n:,}: reusing the files in {data}")
                    continue
                if group != "generate" and "error" in runs.get("generate", {}):
                    runs[group] = {"error": "no data: generation failed"}
                    continue
                _progress(f"N={n:,}: {group} ...")
                runs[group] = run_child(group, n, data, args)
                if group == "generate" and args.data_dir and "error" not in runs[group]:
                    marker.write_text(json.dumps(runs[group]), encoding="utf-8")
                _progress(f"N={n:,}: {group} done in {runs[group].get('wall_seconds', 0):.1f} s" + (f" ERROR {runs[group]['error']}" if "error" in runs[group] else ""))
            report["sizes"][str(n)] = runs
        if not args.skip_apptest:
            _progress("cold start (demo) ...")
            report["cold_start"] = [run_child("coldstart", 55, Path(tmp), args) for _ in range(args.cold_runs)]
            if not args.skip_server:
                _progress("streamlit run until the health endpoint answers ...")
                report["server_start"] = server_start(args)
    report["targets"] = targets(report)
    report["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    return report


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _step(report, n, group, step, field="seconds"):
    return report["sizes"].get(str(n), {}).get(group, {}).get("steps", {}).get(step, {}).get(field)


def targets(report) -> list[dict]:
    out = []
    sizes = [int(n) for n in report["sizes"]]

    def add(name, value, limit, unit, passed, note=None):
        out.append({"target": name, "value": value, "limit": limit, "unit": unit, "pass": passed, **({"note": note} if note else {})})

    if 100_000 in sizes:
        group = report["sizes"]["100000"].get("load_parquet", {})
        seconds = group.get("load_plus_score_seconds")
        peak = group.get("process_peak_rss_mb")
        note = None if group.get("validated") else "loading.py not available: read without validation"
        add("100k: parquet load + validation + scoring", seconds, TARGET_LOAD_SCORE_SECONDS, "s", None if seconds is None else seconds < TARGET_LOAD_SCORE_SECONDS, note)
        add("100k: peak memory of load + scoring (fresh process)", peak, TARGET_LOAD_SCORE_PEAK_MB, "MB", None if peak is None else peak < TARGET_LOAD_SCORE_PEAK_MB, note)
    for n in sizes:
        ref = report["sizes"][str(n)].get("reference", {})
        if ref.get("speedup") is not None:
            note = "loop time extrapolated" if ref.get("loop_extrapolated") else None
            if n < 1000:
                note = ((note + "; ") if note else "") + "info only below 1,000 patients (fixed overheads dominate)"
            add(f"{n:,}: scoring speed-up over the per-patient loop", round(ref["speedup"], 1), TARGET_SPEEDUP, "x", ref["speedup"] >= TARGET_SPEEDUP if n >= 1000 else None, note)
    for n, limit in ((55, TARGET_RERUN_SMALL_MS), (100_000, TARGET_RERUN_LARGE_MS)):
        app = report["sizes"].get(str(n), {}).get("apptest", {})
        pages = app.get("pages") or {}
        medians = {p: r.get("rerun_seconds_median") for p, r in pages.items() if r.get("rerun_seconds_median") is not None}
        if medians:
            worst = max(medians, key=medians.get)
            no_filter = any("NONE FOUND" in str(r.get("filter_widget", "")) for r in pages.values())
            note = f"slowest page: {worst}" + ("; no filter widget yet, plain reruns" if no_filter else "")
            errors = [p for p, r in pages.items() if r.get("exceptions") or r.get("error")]
            if errors:
                note += f"; pages with exceptions: {', '.join(errors)}"
            add(f"{n:,}: page rerun after a filter change (slowest page, median)", round(medians[worst] * 1000, 1), limit, "ms", medians[worst] * 1000 < limit, note)
    cold = [c for c in report.get("cold_start", []) if "total_seconds" in c]
    if cold:
        value = statistics.median(c["wall_seconds"] for c in cold)
        errors = any(c.get("exceptions") for c in cold)
        add("cold start to first rendered page on the demo (fresh process, AppTest)", round(value, 2), TARGET_COLD_START_SECONDS, "s", value < TARGET_COLD_START_SECONDS and not errors,
            "median of fresh processes, including Python start-up and imports" + ("; the page raised an exception" if errors else ""))
    return out


# --- printing -----------------------------------------------------------------------------

ROWS = (
    ("generate", "generate", "generation (info)"),
    ("generate", "write_parquet", "write parquet (info)"),
    ("generate", "write_csv", "write csv (info)"),
    ("load_parquet", "load_parquet", "load parquet (read+validate)"),
    ("load_parquet", "score", "  then score, same process"),
    ("load_csv", "load_csv", "load csv (read+validate)"),
    ("analyses", "score", "score every patient"),
    ("analyses", "table1_characteristics", "Table 1 characteristics"),
    ("analyses", "table2_response_counts", "Table 2 response counts"),
    ("analyses", "symptom_wilcoxon", "per-symptom Wilcoxon table"),
    ("analyses", "kaplan_meier", "Kaplan-Meier curves"),
    ("analyses", "filter_index", "filter index (once per cohort)"),
    ("analyses", "filter", "apply_filters (typical spec)"),
    ("analyses", "filter_and_symptoms", "  + build selection's symptoms"),
    ("reference", "reference_loop", "reference per-patient loop"),
    ("apptest", "app_first_run", "app first run (incl. scoring)"),
)


def _cell(record: dict | None) -> str:
    if not record:
        return "-"
    if "skipped" in record:
        return "n/a"
    if "error" in record:
        return "ERROR"
    seconds = record.get("seconds")
    text = _fmt_seconds(seconds)
    if record.get("extrapolated"):
        text += "*"
    if "peak_rss_mb" in record:
        text += f" {record['peak_rss_mb']:.0f}MB"
    return text


def _fmt_seconds(seconds) -> str:
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms" if seconds >= 0.01 else f"{seconds * 1000:.1f}ms"
    return f"{seconds:.2f}s"


def render(report: dict) -> str:
    sizes = list(report["sizes"])
    width = 32
    col = 20
    lines = ["", "time (median) and peak RSS of the process during the step; * = extrapolated", ""]
    lines.append("step".ljust(width) + "".join(f"N={int(n):,}".rjust(col) for n in sizes))
    for group, step, label in ROWS:
        cells = []
        for n in sizes:
            g = report["sizes"][n].get(group, {})
            if step == "reference_loop":
                steps = g.get("steps", {})
                record = steps.get("reference_loop") or steps.get("reference_loop_subset")
            else:
                record = g.get("steps", {}).get(step)
            if record is None and "error" in g:
                record = {"error": g["error"]}
            cells.append(_cell(record))
        lines.append(label.ljust(width) + "".join(c.rjust(col) for c in cells))
    # speed-up and load+score
    lines.append("load parquet + score (total)".ljust(width) + "".join(_fmt_seconds(report["sizes"][n].get("load_parquet", {}).get("load_plus_score_seconds")).rjust(col) for n in sizes))
    lines.append("  process peak RSS".ljust(width) + "".join((f"{report['sizes'][n].get('load_parquet', {}).get('process_peak_rss_mb', 0):.0f}MB").rjust(col) for n in sizes))
    lines.append("engine speed-up over loop".ljust(width) + "".join(_speedup(report["sizes"][n].get("reference", {})).rjust(col) for n in sizes))
    page_names = sorted({p for n in sizes for p in (report["sizes"][n].get("apptest", {}).get("pages") or {})})
    for page in page_names:
        for field, label in (("switch_seconds", f"page {page}: switch"), ("rerun_seconds_median", f"page {page}: filter rerun")):
            cells = []
            for n in sizes:
                record = (report["sizes"][n].get("apptest", {}).get("pages") or {}).get(page, {})
                value = record.get(field)
                text = _fmt_seconds(value) if value is not None else ("ERROR" if record.get("error") else "-")
                if record.get("exceptions") and value is not None:
                    text += "!"
                cells.append(text)
            lines.append(label.ljust(width) + "".join(c.rjust(col) for c in cells))
    gen = [report["sizes"][n].get("generate", {}) for n in sizes]
    lines.append("symptom rows".ljust(width) + "".join(f"{g.get('rows', {}).get('symptoms', 0):,}".rjust(col) for g in gen))
    lines.append("parquet / csv size".ljust(width) + "".join(f"{g.get('parquet_mb', 0)}/{g.get('csv_mb', 0)}MB".rjust(col) for g in gen))
    for c in report.get("cold_start", []):
        lines.append(f"cold start (fresh process, AppTest on the demo): {_fmt_seconds(c.get('wall_seconds'))} total, "
                     f"of which import {_fmt_seconds(c.get('import_seconds'))}, run {_fmt_seconds(c.get('run_seconds'))}"
                     + (f"  EXCEPTIONS {c['exceptions']}" if c.get("exceptions") else "") + (f"  ERROR {c['error']}" if c.get("error") else ""))
    if "server_start" in report:
        s = report["server_start"]
        lines.append(f"streamlit run until /_stcore/health answers: {_fmt_seconds(s.get('seconds')) if 'seconds' in s else s.get('error')}")
    lines.append("")
    lines.append("targets")
    for t in report.get("targets", []):
        verdict = {True: "PASS", False: "FAIL", None: "info"}[t["pass"]]
        lines.append(f"  [{verdict}] {t['target']}: {t['value']} {t['unit']} (limit {t['limit']} {t['unit']})" + (f" - {t['note']}" if t.get("note") else ""))
    notes = []
    for n in sizes:
        for group, g in report["sizes"][n].items():
            for step, record in (g.get("steps") or {}).items():
                if "skipped" in record:
                    notes.append(f"N={n} {step}: skipped, {record['skipped']}")
                elif "error" in record:
                    notes.append(f"N={n} {step}: ERROR {record['error']}")
            if "error" in g:
                notes.append(f"N={n} {group}: ERROR {g['error']}" + (f"\n{g.get('traceback', '')}" if g.get("traceback") else ""))
            if group == "load_parquet" and g.get("steps", {}).get("load_parquet", {}).get("note", "").startswith("NO VALIDATION"):
                notes.append(f"N={n}: {g['steps']['load_parquet']['note']}")
    if notes:
        lines.append("")
        lines.append("notes")
        lines.extend("  " + note for note in dict.fromkeys(notes))
    return "\n".join(lines)


def _speedup(ref: dict) -> str:
    if ref.get("speedup") is None:
        return "-"
    return f"{ref['speedup']:.0f}x" + ("*" if ref.get("loop_extrapolated") else "")


def parse(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES), help="patients per run, comma-separated")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="JSON results file")
    parser.add_argument("--skip-apptest", action="store_true", help="skip the app reruns, the cold start and the server start")
    parser.add_argument("--skip-server", action="store_true", help="skip `streamlit run` until the health endpoint answers")
    parser.add_argument("--loop-budget", type=float, default=60.0, help="seconds; above this the reference loop is extrapolated from 10,000 patients")
    parser.add_argument("--reruns", type=int, default=5, help="filter-change reruns timed per page")
    parser.add_argument("--cold-runs", type=int, default=3, help="fresh processes for the cold start")
    parser.add_argument("--child-timeout", type=float, default=1800.0, help="seconds before a step group is abandoned")
    parser.add_argument("--app-timeout", type=float, default=300.0, help="AppTest timeout per run, seconds")
    parser.add_argument("--no-demo", action="store_true", help="synthesize 55 patients instead of using the demo cohort")
    parser.add_argument("--data-dir", help="keep the generated files here and reuse them on the next run (default: a temporary folder)")
    parser.add_argument("--child", choices=sorted(GROUPS), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    if args.child:
        return child_main(args)
    report = benchmark(args)
    print(render(report))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=_json_default), encoding="utf-8")
    print(f"\nresults written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
