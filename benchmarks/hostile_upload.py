"""Load case (issue 14): one tab uploads a hostile file while five others browse.

Run from the repository root::

    python -m benchmarks.hostile_upload                    # 5 browsing tabs, blank-lines zip
    python -m benchmarks.hostile_upload --hostile wide     # a 16,384-column workbook instead

What it does: starts ``streamlit run app.py`` on loopback (the load test's
server, ``benchmarks/load_test.py``), opens ``--browsers`` websocket clients
that keep switching pages and changing a sidebar filter (each run timed from
the message sent to "script finished"), first for ``--idle-seconds`` with
nothing else going on (the **idle** figures), then while one more tab
uploads a hostile file through the Data page's real uploader (the **during**
figures: runs started while the upload's run was going on). The file is read
in the worker process (``omalizumab_core/data/isolated.py``), so the
browsing tabs should barely notice; the verdict is p95 during <= ``--ratio``
(1.5) x p95 idle.

Hostile files (both small uploads that cost much to read):

- ``blank``: a 0.2 MB zip whose ``labs.csv`` is 199 MB of blank lines (the
  issue's first case: 287 s and 11 GB when read in the server process);
- ``wide``: a workbook whose ``patients`` sheet has 16,384 columns (the
  issue's second case: 79 s in the server, other tabs 4x slower).

Results go to ``benchmarks/results/hostile_upload.json``.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import threading
import time
import zipfile
from pathlib import Path

from benchmarks.load_test import FILTER_PREFIX, Server, _percentile
from benchmarks.run import ROOT, machine
from benchmarks.streamlit_client import StreamlitSession, multiselect_state

DEFAULT_OUT = ROOT / "benchmarks" / "results" / "hostile_upload.json"
PATIENTS = "patient_id,sex,diagnosis,kit_d816v,age_at_treatment\nA,F,ISM,positive,40\n"
SYMPTOMS = "patient_id,symptom,month,score\nA,flushing,0,1\nA,flushing,3,0.5\n"


def hostile_file(kind: str) -> tuple[str, bytes]:
    if kind == "blank":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            archive.writestr("patients.csv", PATIENTS)
            archive.writestr("symptoms.csv", SYMPTOMS)
            archive.writestr("labs.csv", "patient_id,month,analyte,value\n" + "\n" * (199 * 2**20))
        return "blank-lines.zip", buffer.getvalue()
    if kind == "wide":
        import openpyxl

        workbook = openpyxl.Workbook(write_only=True)
        patients = workbook.create_sheet("patients")
        header = ["patient_id", "sex", "diagnosis", "kit_d816v", "age_at_treatment"]
        patients.append(header + [f"extra_{i}" for i in range(16_384 - len(header))])
        for n in range(20):
            patients.append([f"P{n}", "F", "ISM", "positive", 40] + [n] * (16_384 - len(header)))
        symptoms = workbook.create_sheet("symptoms")
        for row in [line.split(",") for line in SYMPTOMS.splitlines()]:
            symptoms.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return "wide.xlsx", buffer.getvalue()
    raise ValueError(kind)


class Browser(threading.Thread):
    """A tab that keeps switching pages, each followed by a filter change, recording (start, seconds) of every run."""

    def __init__(self, url: str, stop: threading.Event, timeout: float):
        super().__init__(daemon=True)
        self.url, self.stop, self.timeout = url, stop, timeout
        self.runs: list[tuple[float, float]] = []
        self.error: str | None = None

    def run(self) -> None:
        client = StreamlitSession(self.url, timeout=self.timeout)
        try:
            client.rerun()
            pages = [p for p in sorted(client.pages) if p != "data"]
            step, values = 0, ()
            while not self.stop.is_set():
                started = time.monotonic()
                run = client.rerun(pages[step % len(pages)], values)
                self.runs.append((started, run.seconds))
                widget = next((w for w in run.widgets("multiselect") if FILTER_PREFIX in w.id and len(w.options) > 1), None)
                if widget is not None and not self.stop.is_set():
                    values = [multiselect_state(widget, [widget.options[0]] if step % 2 == 0 else list(widget.options))]
                    started = time.monotonic()
                    run = client.rerun(None, values)
                    self.runs.append((started, run.seconds))
                step += 1
        except Exception as error:  # reported in the results
            self.error = f"{type(error).__name__}: {error}"[:300]
        finally:
            client.close()


def hostile_upload(args) -> dict:
    sys.path.insert(0, str(ROOT))
    name, content = hostile_file(args.hostile)
    report = {"machine": machine(), "browsers": args.browsers, "hostile": args.hostile, "file": name, "file_bytes": len(content)}
    with Server(session_ttl=3) as server:
        uploader = StreamlitSession(server.url, timeout=args.timeout)
        uploader.rerun()
        data_page = uploader.rerun("data")
        stop = threading.Event()
        browsers = [Browser(server.url, stop, args.timeout) for _ in range(args.browsers)]
        for browser in browsers:
            browser.start()
        time.sleep(args.warm_seconds)  # every page run once per tab before measuring
        idle_from = time.monotonic()
        time.sleep(args.idle_seconds)
        upload_from = time.monotonic()
        run = uploader.upload(data_page.widgets("file_uploader")[0], [(name, content)])
        upload_to = time.monotonic()
        stop.set()
        for browser in browsers:
            browser.join(args.timeout)
        uploader.close()
        report["upload_seconds"] = round(upload_to - upload_from, 1)
        report["upload_outcome"] = next((body[:300] for _, proto in run.elements if "could not be loaded" in (body := getattr(proto, "body", "") or "")), "loaded")
        report["upload_exceptions"] = run.exceptions
    runs = [r for b in browsers for r in b.runs]
    idle = [s for start, s in runs if idle_from <= start < upload_from]
    during = [s for start, s in runs if upload_from <= start < upload_to]
    report["errors"] = [b.error for b in browsers if b.error]
    report["idle_runs"], report["during_runs"] = len(idle), len(during)
    for label, values in (("idle", idle), ("during", during)):
        report[f"{label}_p50_ms"] = round(1000 * (_percentile(values, 50) or 0))
        report[f"{label}_p95_ms"] = round(1000 * (_percentile(values, 95) or 0))
    report["p95_ratio"] = round(report["during_p95_ms"] / report["idle_p95_ms"], 2) if report["idle_p95_ms"] else None
    report["ratio_allowed"] = args.ratio
    report["holds"] = bool(during) and report["p95_ratio"] is not None and report["p95_ratio"] <= args.ratio and not report["errors"]
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.hostile_upload", description=__doc__.split("\n")[0])
    parser.add_argument("--browsers", type=int, default=5)
    parser.add_argument("--hostile", choices=["blank", "wide"], default="blank")
    parser.add_argument("--warm-seconds", type=float, default=20.0)
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--ratio", type=float, default=1.5, help="largest p95 during / p95 idle that passes")
    parser.add_argument("--timeout", type=float, default=240.0)
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    args = parser.parse_args(argv)
    report = hostile_upload(args)
    print(json.dumps({k: v for k, v in report.items() if k != "machine"}, indent=2))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0 if report["holds"] else 1


if __name__ == "__main__":
    sys.exit(main())
