"""A real dashboard server and a real Chromium for end-to-end tests.

Skipped with a reason when no Chromium or no playwright is installed locally;
under CI=true either missing is a failure, since CI installs Debian's chromium
and requirements-dev.txt.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.local_server import free_port, stop, wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


SLOW_UPLOAD = "slow-upload.zip"
"""An upload of this name reads until the time limit on the test server, whatever the machine's speed."""


@pytest.fixture(scope="session")
def server_url():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no Chromium at /usr/bin/chromium: .ci/run must install Debian's chromium")
        pytest.skip("no Chromium installed (apt-get install chromium) - browser tests skipped")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but playwright is not installed: .ci/run must install requirements-dev.txt")
        pytest.skip("playwright is not installed (pip install -r requirements-dev.txt) - browser tests skipped")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT,
        env={**os.environ, "OMALIZUMAB_TEST_SLOW_UPLOAD": SLOW_UPLOAD},  # see omalizumab_core.data.isolated._test_pause
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process)
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="session")
def playwright_session(server_url):
    """One Playwright for the whole run: a second sync_playwright() in the same thread is refused."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_session):
    browser = playwright_session.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until the script has finished running and the page is drawn."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)


def wait_until_drawn(page, timeout: float = 60_000) -> None:
    """Wait until the page is settled as the browser benchmark defines it: script done, no skeleton
    or stale element, every figure and table in the window drawn (a state, not a time window)."""
    from benchmarks.browser import SETTLED

    page.wait_for_function(SETTLED, arg=None, timeout=timeout, polling=100)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
