"""Browser benchmark: time from navigation to a settled page, in a real Chromium.

Run from the repository root (needs playwright and /usr/bin/chromium)::

    python -m benchmarks.browser                          # demo cohort, 3 repeats
    python -m benchmarks.browser --repeats 5 --out benchmarks/results/browser.md
    python -m benchmarks.browser --patients 10000         # a synthetic cohort of that size
    python -m benchmarks.browser --app-dir /tmp/other     # another checkout (before/after)
    python -m benchmarks.browser --pages patient,symptoms # only these pages (no shared link)

For every page:

cold
    a new browser context (empty HTTP cache, a new Streamlit session) opens
    the page's URL directly; the clock runs from ``goto`` to settled.
warm
    in an open session, the page is reached by clicking its link in the
    sidebar (how a clinician moves between pages); the clock runs from the
    click to settled.

and once, *shared link*: a new context opens the Response page with filters
in its query string (``?diagnosis=ISM&age=30-70``).

*Settled* (``SETTLED``, also what the browser tests wait for, with ``null`` for any title)
means: the page's title (``h1``) is the expected one, the script
is not running, no element is a loading skeleton or stale (greyed from the
previous run), every plotly chart and dataframe wholly in the window has drawn
its SVG or canvas. The result is the median of ``--repeats`` runs, as a markdown table.
With ``--patients N`` the server loads a synthetic cohort of N patients
(``OMALIZUMAB_BENCH_PATIENTS``, see ``ui/session.py``) instead of the demo.
"""

from __future__ import annotations

import argparse
import re
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.local_server import free_port, stop, wait_until_healthy

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

# (url path, nav link title, page title)
PAGES = [
    ("", "Overview", "Omalizumab in mast cell disorders"),
    ("response", "Response", "Response to omalizumab"),
    ("time_to_response", "Time to response", "Time to response"),
    ("symptoms", "Symptoms", "Symptoms improvement"),
    ("follow_up", "Follow-up", "Follow-up of responses"),
    ("dosing", "Dosing", "Dose modifications"),
    ("safety", "Safety", "Safety"),
    ("biology", "Biology", "Biological effects"),
    ("anaphylaxis", "Anaphylaxis", "Anaphylaxis"),
    ("patient", "Patient", "Patient"),
    ("candidate", "MDT candidate", "MDT candidate"),
    ("data", "Data", "Data"),
    ("publication", "Publication", "Published study vs this cohort"),
    ("literature", "Published series", "Published series"),
]
SHARED_LINK = "response?diagnosis=ISM&age=30-70"

SETTLED = """(title) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const h1 = document.querySelector('h1');
  if (!h1 || (title !== null && h1.innerText.trim() !== title)) return false;
  if (document.querySelector('[data-testid="stSkeleton"], [data-stale="true"]')) return false;
  // Drawn now: not in a closed expander or another tab, and wholly within the
  // window (a dataframe at or below the fold is drawn only when scrolled to).
  const shown = (el) => { const r = el.getBoundingClientRect(); return el.getClientRects().length > 0 && r.top >= 0 && r.bottom <= innerHeight; };
  for (const chart of document.querySelectorAll('[data-testid="stPlotlyChart"]'))
    if (shown(chart) && !chart.querySelector('.main-svg')) return false;
  for (const frame of document.querySelectorAll('[data-testid="stDataFrame"]'))
    if (shown(frame) && !frame.querySelector('canvas')) return false;
  return true;
}"""


def _settle(page, title: str, timeout_ms: float = 60_000) -> None:
    try:
        page.wait_for_function(SETTLED, arg=title, timeout=timeout_ms, polling=50)
    except Exception as error:  # report which page never settled, then stop
        raise RuntimeError(f"'{title}' did not settle within {timeout_ms / 1000:.0f} s ({page.url})") from error


def _cold(browser, url: str, title: str) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    _settle(page, title)
    elapsed = time.perf_counter() - start
    context.close()
    return elapsed


def _warm(page, link: str, title: str) -> float:
    nav = page.locator('[data-testid="stSidebarNav"]')
    more = nav.get_by_text(re.compile(r"^View \d+ more$"))  # the navigation shows 10 pages at first
    if not nav.locator("a", has_text=link).count() and more.count():
        more.first.click()
    target = nav.locator("a", has_text=link).first
    start = time.perf_counter()
    target.click()
    _settle(page, title)
    return time.perf_counter() - start


def measure(url: str, repeats: int, pages=None, shared_link: bool = True) -> dict[str, dict[str, float]]:
    """Median cold and warm times of ``pages`` (all by default, ``PAGES`` rows), and of the shared link."""
    from playwright.sync_api import sync_playwright

    pages = PAGES if pages is None else pages
    results: dict[str, dict[str, list[float]]] = {title: {"cold": [], "warm": []} for _, _, title in pages}
    shared: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        _cold(browser, f"{url}/", PAGES[0][2])  # the server's first session (imports, demo load) is not counted
        for _ in range(repeats):
            for path, _, title in pages:
                results[title]["cold"].append(_cold(browser, f"{url}/{path}", title))
            if shared_link:
                shared.append(_cold(browser, f"{url}/{SHARED_LINK}", "Response to omalizumab"))
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            page.goto(f"{url}/literature")
            _settle(page, "Published series")
            for _, link, title in pages:
                results[title]["warm"].append(_warm(page, link, title))
            context.close()
        browser.close()
    table = {title: {kind: statistics.median(times) for kind, times in kinds.items()} for title, kinds in results.items()}
    if shared:
        table["Shared link (Response, filtered)"] = {"cold": statistics.median(shared), "warm": float("nan")}
    return table


def markdown(table: dict[str, dict[str, float]], heading: str) -> str:
    lines = [f"### {heading}", "", "| Page | Cold (s) | Warm (s) |", "|---|---:|---:|"]
    for title, times in table.items():
        warm = "–" if times["warm"] != times["warm"] else f"{times['warm']:.2f}"
        lines.append(f"| {title} | {times['cold']:.2f} | {warm} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="checkout whose app.py is served")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--patients", type=int, default=0, help="synthetic cohort size instead of the demo")
    parser.add_argument("--label", default="", help="heading of the table")
    parser.add_argument("--out", type=Path, help="append the markdown table to this file")
    parser.add_argument("--pages", help="comma-separated URL paths to measure (e.g. patient,symptoms; 'home' for the Overview); "
                        "all pages and the shared link by default")
    args = parser.parse_args(argv)
    pages = None
    if args.pages:
        wanted = [name.strip() for name in args.pages.split(",") if name.strip()]
        known = {path or "home": (path, link, title) for path, link, title in PAGES}
        unknown = [name for name in wanted if name not in known]
        if unknown:
            parser.error(f"unknown page(s) {', '.join(unknown)}: choose from {', '.join(known)}")
        pages = [known[name] for name in wanted]
    env = dict(os.environ)
    if args.patients:
        env["OMALIZUMAB_BENCH_PATIENTS"] = str(args.patients)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=args.app_dir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, server)
        table = measure(url, args.repeats, pages, shared_link=pages is None)
    finally:
        stop(server)
    size = f"{args.patients:,} synthetic patients" if args.patients else "demo cohort (55 patients)"
    heading = f"{args.label or args.app_dir.name}: {size}, median of {args.repeats}"
    text = markdown(table, heading)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("a", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
