"""End-to-end: the Content-Security-Policy docs/deployment.md tells the proxy to send lets every page work.

The policy is read from docs/deployment.md (so the documentation and the test
cannot drift apart) and added to every HTTP answer of a real server, as the
reverse proxy would. Each page must draw without an exception box, with its
charts, and the browser must report no violation of the policy.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, wait_for_app

pytestmark = pytest.mark.browser

DEPLOYMENT = ROOT / "docs" / "deployment.md"


def documented_policy() -> str:
    match = re.search(r'add_header Content-Security-Policy "([^"]+)" always;', DEPLOYMENT.read_text(encoding="utf-8"))
    assert match, "docs/deployment.md gives the Content-Security-Policy header"
    # The documented websocket address is the hospital's; here the server is local ('self' covers it).
    return re.sub(r" wss://[^;\s]+", "", match.group(1))


def test_the_documented_policy_has_the_required_directives():
    policy = documented_policy()
    assert "img-src 'self' data:" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    text = DEPLOYMENT.read_text(encoding="utf-8")
    assert 'X-Content-Type-Options "nosniff"' in text and "/_stcore/metrics" in text


@pytest.fixture(scope="module")
def proxied_browser(playwright_session):
    # Answers fulfilled by the test (to add the header) count as coming from
    # outside for Chromium's local-network checks, which would then refuse
    # the websocket to 127.0.0.1; a real proxy has no such problem.
    browser = playwright_session.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=[*CHROMIUM_ARGS, "--disable-features=LocalNetworkAccessChecks"])
    yield browser
    browser.close()


@pytest.mark.parametrize("path", ["", "response", "time_to_response", "patient", "data"])
def test_pages_work_under_the_documented_content_security_policy(proxied_browser, server_url, path):
    page = proxied_browser.new_page(viewport={"width": 1400, "height": 1000})
    policy = documented_policy()

    def with_policy(route):
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": policy, "x-content-type-options": "nosniff"}
        route.fulfill(response=response, headers=headers)

    page.route(f"{server_url}/**", with_policy)
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.goto(f"{server_url}/{path}")
    wait_for_app(page)
    page.wait_for_timeout(1000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator("h1").count() >= 1
    if path in ("time_to_response", "patient"):  # pages whose first figure is drawn at once (Response's are on request)
        page.locator(".js-plotly-plot").first.wait_for(timeout=30_000)  # plotly.js runs under the policy
    assert page.evaluate("window.__violations") == []
    page.close()
