"""End-to-end: a cohort file and links full of markdown/HTML payloads make the browser fetch nothing outside.

A real upload through the Data page (read by the worker process), then the
pages that show ids, centres, extra columns and adverse events, and links
with payloads in ``patient`` and ``age``. Every request the browser makes is
recorded: none may leave the dashboard's own server, and no image or link to
the payloads' address may be in the page.
"""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import quote

import pandas as pd
import pytest

from tests.browser.conftest import ROOT, screenshot, wait_for_app
from tests.payloads import BEACON

pytestmark = pytest.mark.browser

DEMO_DATA = ROOT / "omalizumab_core" / "synthetic" / "demo" / "data"
IDS = [
    f"![b]({BEACON}/image)",
    f"[open]({BEACON}/link)",
    f'<img src="{BEACON}/html">',
    f"<{BEACON}/autolink>",
    ":red[alarm] :material/warning:",
    f'<a href="{BEACON}/plotly">chart link</a>',
]


def _payload_zip() -> bytes:
    tables = {path.stem: pd.read_csv(path, dtype=str, keep_default_na=False) for path in sorted(DEMO_DATA.glob("*.csv"))}
    keep = tables["patients"]["patient_id"].iloc[:20].tolist()
    rename = dict(zip(keep, IDS))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, frame in tables.items():
            frame = frame[frame["patient_id"].isin(keep)].copy()
            frame["patient_id"] = frame["patient_id"].replace(rename)
            if name == "patients":
                frame["center"] = [IDS[i % len(IDS)] for i in range(len(frame))]
                frame[f"![c]({BEACON}/column)"] = [IDS[i % 2] for i in range(len(frame))]
            if name == "adverse_events" and len(frame):
                frame["event"] = [IDS[i % len(IDS)] for i in range(len(frame))]
            archive.writestr(f"{name}.csv", frame.to_csv(index=False))
        for definition in sorted(DEMO_DATA.glob("instruments/*.toml")):  # the questionnaire scores' definitions
            archive.writestr(f"instruments/{definition.name}", definition.read_bytes())
    return buffer.getvalue()


def test_payloads_in_a_file_and_in_links_make_no_outside_request_and_no_image_or_link(page, server_url):
    outside = []
    page.on("request", lambda request: None if request.url.startswith(server_url) else outside.append(request.url))
    page.goto(f"{server_url}/data")
    wait_for_app(page)
    page.locator('[data-testid="stMain"] [data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "payloads.zip", "mimeType": "application/zip", "buffer": _payload_zip()}]
    )
    page.get_by_text("20 patients loaded").first.wait_for(timeout=90_000)
    wait_for_app(page)
    visits = ["data", "overview", "response", "symptoms", "safety", "follow_up", "dosing", "biology", "candidate",
              f"patient?patient={quote(IDS[5])}",
              f"patient?patient={quote(IDS[0])}", f"patient?patient={quote(IDS[1])}&age={quote(IDS[0])}"]
    for visit in visits:
        # Pages are opened inside the session (the cohort lives in it): through the
        # sidebar's links would be slower, so the URL is changed without a reload.
        page.evaluate("url => window.history.pushState({}, '', url)", f"{server_url}/{visit}")
        page.evaluate("() => window.dispatchEvent(new PopStateEvent('popstate'))")
        wait_for_app(page)
        page.wait_for_timeout(500)
        hostile = page.locator('img[src*="8999"], a[href*="8999"], [*|href*="8999"], iframe, script[src*="8999"], [style*="8999"]')
        assert hostile.count() == 0, f"{visit}: {hostile.first.evaluate('e => e.outerHTML')}"
        assert page.locator('[data-testid="stException"]').count() == 0, visit
    screenshot(page, "patient_page_with_payload_ids")
    body = page.inner_text("body")
    shown = [text for text in IDS if text in body]
    assert "Symptom score" in body and shown, "the patient page shows payload ids and centres as the literal text"
    assert "20 patients loaded" in page.inner_text("body"), "the uploaded cohort stayed in the session"
    assert outside == [], outside


def test_a_slow_upload_shows_its_progress_and_the_cancel_button_stops_it(page, server_url):
    from benchmarks.hostile_upload import hostile_file

    from tests.browser.conftest import SLOW_UPLOAD

    # A hostile file is refused within 2-3 s, too soon to press Cancel on a fast
    # machine: under this name the test server's worker reads until its time limit.
    name, content = SLOW_UPLOAD, hostile_file("blank")[1]
    page.goto(f"{server_url}/data")
    wait_for_app(page)
    page.locator('[data-testid="stMain"] [data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": name, "mimeType": "application/zip", "buffer": content}]
    )
    page.get_by_text("Reading and checking").first.wait_for(timeout=30_000)
    page.get_by_text(re.compile(r"Reading and checking .*… [1-9]\d* s")).first.wait_for(timeout=30_000)  # the elapsed time
    screenshot(page, "upload_in_progress")
    page.locator("button", has_text="Cancel").first.click()
    page.get_by_text("Reading was cancelled").first.wait_for(timeout=30_000)
    wait_for_app(page)
    body = page.inner_text("body")
    assert "Demo cohort" in body  # the previous cohort is still in use
    assert page.locator('[data-testid="stException"]').count() == 0
