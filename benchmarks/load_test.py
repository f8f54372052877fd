"""Bounded load test (issue #6): concurrent browser sessions on one real dashboard server.

Run from the repository root::

    python -m benchmarks.load_test                      # 20 sessions, 1,000 patients each, 12 steps, 3 waves
    python -m benchmarks.load_test --sessions 5 --steps 4 --patients 200 --waves 1

What it does
------------
1. Writes one synthetic cohort (``--patients``) as a zip of parquet files, in
   memory: that is the file every session uploads.
2. Starts ``streamlit run app.py`` on a free loopback port, with the
   project's ``.streamlit/config.toml`` (XSRF on) and a short
   ``server.disconnectedSessionTTL`` (``--session-ttl``; see below).
3. Warms the server up with one session that uploads the cohort and opens
   every page twice, with a filter change on each; closes it, lets the
   server drop it, and reads the server's resident memory: the **baseline**.
   The warm-up matters: the first time any page runs, the server imports
   modules, compiles the page and fills plotly's and scipy's own one-off
   caches, which it keeps for its lifetime whoever the user is.
4. A *wave*: ``--sessions`` websocket clients (``benchmarks/streamlit_client.py``)
   connect at once, each like a browser tab: open the app on the demo cohort,
   go to the Data page, upload the cohort file through the real file uploader
   (HTTP upload with the XSRF token, then the widget state), then for
   ``--steps`` steps open the next page and change a sidebar filter. Every
   script run is timed from the message sent to the server's "script
   finished". Then every client closes its websocket.
5. After the wave, the server is given time to drop the closed sessions and
   its memory is read again. ``--waves`` waves run one after another, so a
   leak shows as memory climbing wave after wave, while memory the
   allocators keep for reuse shows as a plateau.

Why a short session TTL: when a websocket closes, Streamlit keeps the
session (and so its cohort) for ``server.disconnectedSessionTTL`` seconds
(120 by default) so a tab that lost its connection can resume, and reaps
expired sessions when another session disconnects. The test uses a few
seconds and closes a tiny "sweeper" session after waiting, instead of
waiting minutes; what is measured is whether closed sessions are freed, not
how long Streamlit keeps them.

Reported: p50/p95/max of the script runs under load (page switches, filter
changes), of the upload run (reading, validation and scoring of the cohort)
and of the same steps for one session alone (the warm-up); the server's
resident memory at baseline, its peak in each wave, right after the tabs
closed, once the sessions were dropped, and once the allocators returned
their free memory (``benchmarks/probed_server.py``), with Python's own
allocator figures. Three verdicts: closed sessions freed (no session or
cohort of a closed tab alive in the server), memory back within
``--tolerance-mb`` of the baseline, and memory bounded from the first wave
to the last.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.local_server import free_port, stop, wait_until_healthy
from benchmarks.probed_server import PREFIX as PROBE_PREFIX
from benchmarks.run import APP, ROOT, machine
from benchmarks.streamlit_client import StreamlitSession, multiselect_state

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "load_test.json"
FILTER_PREFIX = "-filter_"


# --------------------------------------------------------------------- server
class Server:
    """``streamlit run app.py`` on a free loopback port, stopped on exit.

    Started through ``benchmarks/probed_server.py``: Streamlit's own command
    line plus a probe thread the test asks for live objects and trimmed memory.
    """

    def __init__(self, session_ttl: int, extra_env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.session_ttl = session_ttl
        self.env = {**os.environ, **(extra_env or {})}
        self.proc: subprocess.Popen | None = None
        self._answers: queue.Queue[dict] = queue.Queue()

    def __enter__(self) -> Server:
        command = [
            sys.executable, "-m", "benchmarks.probed_server", "run", str(APP),
            f"--server.port={self.port}", "--server.address=127.0.0.1", "--server.headless=true",
            f"--server.disconnectedSessionTTL={self.session_ttl}", "--server.fileWatcherType=none",
        ]
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1,
        )
        threading.Thread(target=self._read_answers, daemon=True).start()
        try:
            wait_until_healthy(self.url, self.proc)
        except RuntimeError:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            stop(self.proc, timeout=15)

    def _read_answers(self) -> None:
        for line in self.proc.stdout:
            if line.startswith(PROBE_PREFIX):
                self._answers.put(json.loads(line[len(PROBE_PREFIX):]))

    def probe(self, command: str) -> dict:
        """Ask the server's memory probe (``count`` or ``trim``)."""
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._answers.get(timeout=120)

    def _status_mb(self, field: str) -> float:
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return float(line.split()[1]) / 1024
        return float("nan")

    def rss_mb(self) -> float:
        return self._status_mb("VmRSS")

    def peak_mb(self) -> float:
        """Peak resident memory since the last ``reset_peak`` (VmHWM)."""
        return self._status_mb("VmHWM")

    def reset_peak(self) -> bool:
        try:
            with open(f"/proc/{self.proc.pid}/clear_refs", "w", encoding="ascii") as handle:
                handle.write("5")  # 5 resets the peak resident set size (proc(5))
            return True
        except OSError:
            return False

    def settle(self) -> dict:
        """Let the server drop the closed sessions, then read its memory three ways.

        Waits past the session TTL, then opens and closes a small session on
        the demo cohort: its disconnect makes Streamlit reap the expired
        sessions. Done twice, so the first sweeper is reaped by the second and
        every reading carries the same single sweeper. Then: resident memory
        as the server holds it; the dashboard objects still alive (after a
        garbage collection); resident memory once the allocators have handed
        back what they kept for reuse.
        """
        for _ in range(2):
            time.sleep(self.session_ttl + 1)
            sweeper = StreamlitSession(self.url)
            sweeper.rerun()
            sweeper.close()
        time.sleep(2)
        rss = self.rss_mb()
        counted = self.probe("count")
        trimmed = self.probe("trim")
        small = self.probe("pymalloc")
        return {
            "rss_mb": round(rss, 1), "alive": counted["alive"], "rss_after_gc_mb": counted["rss_mb"], "rss_after_trim_mb": trimmed["rss_mb"],
            "python_objects_mb": round(small.get("bytes in allocated blocks", 0) / 2**20, 1),
            "python_arenas_mb": small.get("arenas allocated current", 0),  # arenas are 1 MiB (CPython 3.10+)
            "python_arenas_free_mb": round(small.get("bytes in available blocks", 0) / 2**20, 1),
        }


# ------------------------------------------------------------------- sessions
def cohort_zip(patients: int) -> bytes:
    """The cohort every session uploads: a zip of the synthetic tables as parquet."""
    from omalizumab_core.synthetic.synth import synthesize, write_cohort

    with tempfile.TemporaryDirectory(prefix="omalizumab-load-") as tmp:
        folder = Path(tmp) / "cohort"
        write_cohort(synthesize(patients, seed=6), folder, fmt="parquet")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(folder.iterdir()):
                archive.write(file, file.name)
    return buffer.getvalue()


def one_session(number: int, url: str, upload: bytes, patients: int, steps: int | None, start: threading.Barrier | None, timeout: float) -> dict:
    """One browser tab: demo, upload, then page switches each followed by a filter change.

    ``steps=None``: every page twice (the warm-up).
    """
    record = {"session": number, "runs": [], "exceptions": [], "steps_done": 0}
    client = StreamlitSession(url, timeout=timeout)
    try:
        if start is not None:
            start.wait(timeout=timeout)
        run = client.rerun()
        record["runs"].append(("first", run.seconds))
        record["exceptions"] += run.exceptions
        run = client.rerun("data")
        record["exceptions"] += run.exceptions
        # The Data page's cohort uploader (the sidebar also holds "Open analysis", a .json uploader).
        uploaders = [w for w in run.widgets("file_uploader") if "uploaded_files" in w.id]
        if not uploaders:
            raise RuntimeError("no file uploader on the Data page")
        run = client.upload(uploaders[0], [("load-test-cohort.zip", upload)])
        record["runs"].append(("upload", run.seconds))
        record["exceptions"] += run.exceptions
        record["loaded"] = any(name == "markdown" and body_of(proto) == f"{patients:,} patients loaded" for name, proto in run.elements)
        pages = [page for page in sorted(client.pages) if page != "data"]
        if steps is None:
            steps = 2 * len(pages)
        filter_values = None
        for step in range(steps):
            run = client.rerun(pages[step % len(pages)], filter_values or ())
            record["runs"].append(("page switch", run.seconds))
            record["exceptions"] += run.exceptions
            widget = next((w for w in run.widgets("multiselect") if FILTER_PREFIX in w.id and len(w.options) > 1), None)
            if widget is not None:
                # Alternate between the first level only and every level.
                chosen = [widget.options[0]] if step % 2 == 0 else list(widget.options)
                filter_values = [multiselect_state(widget, chosen)]
                run = client.rerun(None, filter_values)
                record["runs"].append(("filter change", run.seconds))
                record["exceptions"] += run.exceptions
                record["filter"] = widget.id.split(FILTER_PREFIX, 1)[1]
            record["steps_done"] = step + 1
    except Exception as error:  # reported, not raised: one failed tab must not hide the others' figures
        record["error"] = f"{type(error).__name__}: {error}"[:500]
    finally:
        client.close()
    record["exceptions"] = sorted(set(record["exceptions"]))
    return record


def body_of(proto) -> str:
    return getattr(proto, "body", "") or ""


def wave(server: Server, args, upload: bytes) -> dict:
    server.reset_peak()
    start = threading.Barrier(args.sessions)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.sessions, thread_name_prefix="tab") as pool:
        futures = [pool.submit(one_session, i, server.url, upload, args.patients, args.steps, start, args.timeout) for i in range(args.sessions)]
        sessions = [future.result() for future in futures]
    result = {"wall_seconds": round(time.perf_counter() - t0, 1), "rss_peak_mb": round(server.peak_mb(), 1), "rss_all_closed_mb": round(server.rss_mb(), 1)}
    result["after"] = server.settle()
    result["sessions"] = sessions
    return result


# ------------------------------------------------------------------ reporting
def _percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (no interpolation): a time that was observed."""
    if not values:
        return None
    ordered = sorted(values)
    position = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[position]


def _spread_ms(seconds: list[float]) -> dict:
    """p50, p95 and max of run times in milliseconds, and how many runs."""
    return {"p50": _ms(_percentile(seconds, 50)), "p95": _ms(_percentile(seconds, 95)), "max": _ms(max(seconds) if seconds else None), "n": len(seconds)}


def _ms(seconds):
    return None if seconds is None else round(seconds * 1000, 1)


def summarise(report: dict, args) -> dict:
    sessions = [s for w in report["waves"] for s in w["sessions"]]
    for kind in ("page switch", "filter change", "upload", "first"):
        values = [seconds for s in sessions for k, seconds in s["runs"] if k == kind]
        report[f"run_{kind.replace(' ', '_')}_ms"] = _spread_ms(values)
    steady = [seconds for s in sessions for k, seconds in s["runs"] if k in ("page switch", "filter change")]
    report["run_steps_ms"] = _spread_ms(steady)
    report["errors"] = [s["error"] for s in sessions if "error" in s]
    report["exceptions"] = sorted({e for s in sessions for e in s["exceptions"]})
    report["uploads_loaded"] = sum(1 for s in sessions if s.get("loaded"))
    report["sessions_run"] = len(sessions)
    report["filters_changed"] = sorted({s["filter"] for s in sessions if "filter" in s})
    before, after = report["before"], report["waves"][-1]["after"]
    report["memory_growth_mb"] = round(after["rss_mb"] - before["rss_mb"], 1)
    report["memory_growth_after_trim_mb"] = round(after["rss_after_trim_mb"] - before["rss_after_trim_mb"], 1)
    report["memory_growth_between_waves_mb"] = round(after["rss_mb"] - report["waves"][0]["after"]["rss_mb"], 1)
    report["left_alive"] = {name: after["alive"][name] - before["alive"][name] for name in before["alive"]}
    # Returned: nothing of the closed sessions is alive, and what the process
    # holds once the allocators return their free lists is back near the start.
    report["memory_growth_between_waves_after_trim_mb"] = round(after["rss_after_trim_mb"] - report["waves"][0]["after"]["rss_after_trim_mb"], 1)
    report["sessions_freed"] = not any(report["left_alive"].values())
    report["memory_returned"] = report["memory_growth_after_trim_mb"] <= args.tolerance_mb and report["sessions_freed"]
    report["memory_bounded"] = report["memory_growth_between_waves_after_trim_mb"] <= args.tolerance_mb and report["sessions_freed"]
    for w in report["waves"]:
        w["sessions"] = [{k: v for k, v in s.items() if k != "runs"} for s in w["sessions"]]  # keep the JSON readable
    return report


def render(r: dict) -> str:
    lines = [
        f"{r['sessions']} concurrent browser sessions x {r['waves_run']} waves, {r['steps']} steps each "
        f"(page switch + filter change), {r['patients']:,} patients uploaded per session; server session TTL {r['session_ttl_s']} s",
        f"uploads loaded: {r['uploads_loaded']} of {r['sessions_run']}; filter changed: {', '.join(r['filters_changed']) or 'none found'}",
    ]
    for name, key in (("page switch", "run_page_switch_ms"), ("filter change", "run_filter_change_ms"), ("switch + filter", "run_steps_ms"),
                      ("upload (read+validate+score)", "run_upload_ms"), ("first run (demo)", "run_first_ms")):
        x = r[key]
        lines.append(f"{name:>28}: p50 {x['p50']} ms, p95 {x['p95']} ms, max {x['max']} ms (n={x['n']})")
    x = r["run_steps_alone_ms"]
    lines.append(f"{'one session alone (warm-up)':>28}: p50 {x['p50']} ms, p95 {x['p95']} ms, max {x['max']} ms (n={x['n']})")
    lines.append("server memory, MB (resident as held / after the allocators return free memory; Python objects, Python arenas, free inside them):")

    def reading(m: dict) -> str:
        return f"{m['rss_mb']} / {m['rss_after_trim_mb']}; {m['python_objects_mb']}, {m['python_arenas_mb']}, {m['python_arenas_free_mb']}"

    lines.append(f"  baseline after a warm-up session: {reading(r['before'])}")
    for i, w in enumerate(r["waves"], 1):
        alive = ", ".join(f"{n} {k}" for k, n in w["after"]["alive"].items())
        lines.append(
            f"  wave {i} ({w['wall_seconds']} s): peak {w['rss_peak_mb']}, right after closing {w['rss_all_closed_mb']}; "
            f"sessions dropped: {reading(w['after'])}; alive: {alive}"
        )
    left = ", ".join(f"{n} {k}" for k, n in r["left_alive"].items())
    lines.append(f"closed sessions freed: {'YES' if r['sessions_freed'] else 'NO'} (left alive by the closed sessions: {left})")
    lines.append(
        f"memory back near the baseline: {'YES' if r['memory_returned'] else 'NO'} ({r['memory_growth_mb']:+} MB as held, "
        f"{r['memory_growth_after_trim_mb']:+} MB after the allocators return free memory; tolerance {r['tolerance_mb']} MB)"
    )
    lines.append(
        f"memory bounded from wave to wave: {'YES' if r['memory_bounded'] else 'NO'} (last wave vs first: {r['memory_growth_between_waves_mb']:+} MB as held, "
        f"{r['memory_growth_between_waves_after_trim_mb']:+} MB after the allocators return free memory)"
    )
    if r["errors"]:
        lines.append(f"ERRORS: {r['errors']}")
    if r["exceptions"]:
        lines.append(f"page exceptions: {r['exceptions']}")
    return "\n".join(lines)


def load_test(args) -> dict:
    sys.path.insert(0, str(ROOT))
    upload = cohort_zip(args.patients)
    report = {
        "machine": machine(), "sessions": args.sessions, "steps": args.steps, "patients": args.patients, "upload_bytes": len(upload),
        "session_ttl_s": args.session_ttl, "tolerance_mb": args.tolerance_mb, "server_env": dict(args.env), "waves": [],
    }
    with Server(args.session_ttl, dict(args.env)) as server:
        warm_up = one_session(-1, server.url, upload, args.patients, None, None, args.timeout)
        if "error" in warm_up or warm_up["exceptions"]:
            raise RuntimeError(f"the warm-up session failed: {warm_up.get('error') or warm_up['exceptions']}")
        # The warm-up's second visit of each page, alone on the server: the uncontended time of a step.
        alone = [seconds for kind, seconds in warm_up["runs"] if kind in ("page switch", "filter change")]
        alone = alone[len(alone) // 2:]
        report["run_steps_alone_ms"] = _spread_ms(alone)
        report["before"] = server.settle()
        for _ in range(args.waves):
            report["waves"].append(wave(server, args, upload))
    report["waves_run"] = len(report["waves"])
    return summarise(report, args)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load_test", description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--steps", type=int, default=12, help="page switches (each followed by a filter change) per session")
    parser.add_argument("--patients", type=int, default=1000, help="patients in the cohort each session uploads")
    parser.add_argument("--waves", type=int, default=3, help="waves of concurrent sessions, one after another")
    parser.add_argument("--session-ttl", type=int, default=3, help="server.disconnectedSessionTTL for the test server, seconds")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds a client waits for one script run")
    parser.add_argument("--tolerance-mb", type=float, default=64.0, help="memory growth still counted as 'returned'")
    parser.add_argument("--env", action="append", default=[], type=lambda s: tuple(s.split("=", 1)), metavar="NAME=VALUE",
                        help="environment variable for the server process (e.g. MALLOC_ARENA_MAX=2)")
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    args = parser.parse_args(argv)
    report = load_test(args)
    print(render(report))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"results written to {out}")
    return 0 if not report["errors"] and not report["exceptions"] else 1


if __name__ == "__main__":
    sys.exit(main())
