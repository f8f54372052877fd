"""``streamlit run`` with a memory probe, for the load test only.

Runs exactly what ``python -m streamlit run ARGS...`` runs (Streamlit's own
command line, in the main thread), plus one daemon thread that answers the
load test on stdin/stdout. The load test asks, after the sessions it opened
have been dropped:

``count``  live dashboard objects, found by the garbage collector: cohorts
           (uploaded or demo), scored cohorts and the server's sessions; a
           session or cohort still alive after its tab closed is a leak.
``census`` live objects by type, Python's allocated blocks, pandas frames'
           bytes, threads: what to look at when something is left behind.
``growth`` where Python memory grew since the previous ``growth`` (tracemalloc;
           the server must be started with ``PYTHONTRACEMALLOC=25``).
``trim``   a full garbage collection, then glibc's ``malloc_trim(0)`` and
           pyarrow's ``release_unused()``: what the allocators kept for reuse
           is handed back, so the resident memory after it shows what the
           process really still holds.
``pymalloc`` Python's small-object allocator (``sys._debugmallocstats``):
           arenas held, bytes in live objects, free bytes inside held arenas
           (memory that fragmentation keeps from the system).

Each answer is one line, ``PROBE`` and JSON (Streamlit prints its own lines
on stdout too). Never used by the dashboard itself.
"""

from __future__ import annotations

import ctypes
import gc
import json
import sys
import threading

WATCHED = {"Cohort", "ScoredCohort", "AppSession"}
PREFIX = "PROBE "


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return float(line.split()[1]) / 1024
    return float("nan")


def _count() -> dict:
    gc.collect()
    counts = dict.fromkeys(sorted(WATCHED), 0)
    for obj in gc.get_objects():
        name = type(obj).__name__
        if name in counts:
            counts[name] += 1
    return {"alive": counts, "rss_mb": round(_rss_mb(), 1)}


def _type_name(obj) -> str:
    kind = type(obj)
    module, name = getattr(kind, "__module__", "?"), getattr(kind, "__qualname__", "?")
    return f"{module}.{name}" if isinstance(module, str) and isinstance(name, str) else repr(kind)


def _census() -> dict:
    """Live objects by type (the 60 most numerous) and pandas frames' bytes: to find what a closed session left."""
    import collections

    gc.collect()
    types = collections.Counter(_type_name(obj) for obj in gc.get_objects())
    frames_mb = 0.0
    try:
        import pandas as pd

        for obj in gc.get_objects():
            if isinstance(obj, pd.DataFrame):
                frames_mb += obj.memory_usage(deep=True).sum() / 2**20
    except Exception:  # a frame that cannot measure itself: the count still tells
        pass
    return {"allocated_blocks": sys.getallocatedblocks(), "threads": threading.active_count(), "types": dict(types.most_common(60)), "dataframes_mb": round(frames_mb, 1)}


def _pymalloc() -> dict:
    """Python's small-object allocator: arenas held and how full they are (sys._debugmallocstats)."""
    import os
    import tempfile

    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        try:
            os.dup2(sink.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        text = sink.read().decode("ascii", "replace")
    wanted = ("arenas allocated current", "bytes in allocated blocks", "bytes in available blocks", "bytes lost to pool headers",
              "bytes lost to quantization", "bytes lost to arena alignment", "Total")
    stats = {}
    for line in text.splitlines():
        for key in wanted:
            if line.startswith("# " + key) or line.startswith(key):
                stats[key] = int(line.split("=")[-1].replace(",", "").strip())
    return stats


_snapshots: list = []


def _growth() -> dict:
    """Where Python memory grew since the last call (needs PYTHONTRACEMALLOC=N in the server's environment)."""
    import tracemalloc

    if not tracemalloc.is_tracing():
        return {"error": "start the server with PYTHONTRACEMALLOC=25 (load test: --env PYTHONTRACEMALLOC=25)"}
    gc.collect()
    snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
    top = []
    if _snapshots:
        for stat in snapshot.compare_to(_snapshots[-1], "traceback")[:12]:
            top.append({"kib": round(stat.size_diff / 1024, 1), "blocks": stat.count_diff, "where": stat.traceback.format()[-8:]})
    _snapshots[:] = [snapshot]
    return {"traced_mb": round(tracemalloc.get_traced_memory()[0] / 2**20, 1), "top": top}


def _trim() -> dict:
    gc.collect()
    before = _rss_mb()
    try:
        import pyarrow

        pyarrow.default_memory_pool().release_unused()
    except Exception:  # pyarrow missing or its pool without the call: nothing to release
        pass
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
    return {"rss_before_trim_mb": round(before, 1), "rss_mb": round(_rss_mb(), 1)}


def _serve() -> None:
    for line in sys.stdin:
        command = line.strip()
        handler = {"count": _count, "trim": _trim, "census": _census, "pymalloc": _pymalloc, "growth": _growth}.get(command)
        try:
            answer = handler() if handler else {"error": f"unknown command {command!r}"}
        except Exception as error:  # the probe must keep answering
            answer = {"error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(PREFIX + json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    threading.Thread(target=_serve, name="memory-probe", daemon=True).start()
    from streamlit.web.cli import main

    sys.argv = ["streamlit", *sys.argv[1:]]
    main()
