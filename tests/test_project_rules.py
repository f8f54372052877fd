"""Standing rules of the project: a UI-free core, private-by-default configuration."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "omalizumab_core"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_source_never_imports_streamlit():
    offenders = [str(p.relative_to(ROOT)) for p in CORE.rglob("*.py") if "streamlit" in _imported_modules(p)]
    assert offenders == []


def test_importing_every_core_module_does_not_load_streamlit():
    modules = [
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in CORE.rglob("*.py")
        if p.name != "__main__.py"
    ]
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + "print('streamlit' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def _config() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_usage_statistics_are_off():
    assert _config()["browser"]["gatherUsageStats"] is False


def test_xsrf_and_cors_protection_stay_on():
    server = _config()["server"]
    assert server["enableXsrfProtection"] is True
    assert server["enableCORS"] is True


def test_a_headless_start_asks_no_outside_server_for_this_machines_address():
    # Streamlit 1.67 calls net_util.get_external_ip (checkip.amazonaws.com) at a headless start unless
    # browser.serverAddress is set; the app also turns the look-up off for origin checks.
    assert _config()["browser"]["serverAddress"] == "localhost"
    from streamlit import net_util

    from ui.server import no_external_ip_lookup

    original = net_util.get_external_ip
    try:
        no_external_ip_lookup()
        assert net_util.get_external_ip() is None
    finally:
        net_util.get_external_ip = original


def test_the_dashboard_listens_on_this_computer_only_by_default():
    assert _config()["server"]["address"] == "127.0.0.1"


def test_browser_never_shows_tracebacks():
    assert _config()["client"]["showErrorDetails"] == "none"


def test_upload_size_limit_is_explicit():
    assert 1 <= _config()["server"]["maxUploadSize"] <= 200


def test_runtime_requirements_are_pinned():
    lines = [l.strip() for l in (ROOT / "requirements.txt").read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert lines and all("==" in l for l in lines)


def test_every_page_file_is_registered_in_the_router():
    import re

    app = (ROOT / "app.py").read_text(encoding="utf-8")
    registered = set(re.findall(r'st\.Page\("(views/[a-z_]+\.py)"', app))
    on_disk = {f"views/{p.name}" for p in (ROOT / "views").glob("*.py")}
    assert registered == on_disk
