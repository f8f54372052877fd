"""Two browser sessions never see each other's patients (issue #6).

Two AppTest sessions run side by side in one process, as Streamlit serves two
browsers: session A holds a 3-patient cohort, session B a 2-patient one. On
every page each shows its own number of patients, and no identifier of the
other cohort appears in its session state or anywhere in what it renders
(text, tables, charts, widgets). Uploaded data must never go through a cache
shared between sessions: a source-level test allows only the demo's
``st.cache_resource``.
"""

from __future__ import annotations

import ast
import pickle

import pytest
from streamlit.testing.v1 import AppTest

from omalizumab_core.data.cohort import Cohort
from tests.apptest_support import APP, ROOT, page_files
from tests.handmade import cohort_of, course, patient

A_IDS = ("ALPHA-001", "ALPHA-002", "ALPHA-003")
B_IDS = ("BRAVO-101", "BRAVO-102")


def cohort(ids: tuple[str, ...], source: str) -> Cohort:
    histories = [
        {"flushing": {0: 1, 3: 0.5, 6: 0}, "diarrhea": {0: 1, 3: 0.25}},
        {"fatigue": {0: 1, 2: 1, 4: 0.75}},
        {"pruritus": {0: 1, 6: 0}},
    ]
    patients = [patient(pid, diagnosis=("ISM", "MCAS", "CM")[i]) for i, pid in enumerate(ids)]
    rows = [row for i, pid in enumerate(ids) for row in course(pid, histories[i])]
    made = cohort_of(patients, rows)
    return Cohort(**{**made.__dict__, "source": source})


def session(cohort_: Cohort) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["cohort"] = cohort_
    at.run()
    return at


def rendered(at: AppTest) -> str:
    """Every element of the page (text, dataframes as Arrow bytes, chart specs, widgets), as text."""
    parts, stack = [], [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        stack.extend(getattr(node, "children", {}).values())
    return "\n".join(parts)


def state_bytes(at: AppTest) -> bytes:
    """The session state's values, pickled (a repr when a value cannot be pickled)."""
    out = []
    for key, value in at.session_state.to_dict().items():
        try:
            out.append(pickle.dumps(value))
        except Exception:
            out.append(repr(value).encode())
        out.append(str(key).encode())
    return b"\n".join(out)


def assert_only_own_patients(at: AppTest, own: tuple[str, ...], other: tuple[str, ...]) -> None:
    assert not at.exception, [e.value for e in at.exception]
    text, state = rendered(at), state_bytes(at)
    for pid in other:
        assert pid not in text, f"{pid} of the other session is rendered"
        assert pid.encode() not in state, f"{pid} of the other session is in this session's state"
    assert at.session_state["cohort"].patients["patient_id"].tolist() == list(own)


@pytest.fixture(scope="module")
def sessions():
    return session(cohort(A_IDS, "Upload: centre A")), session(cohort(B_IDS, "Upload: centre B"))


@pytest.mark.parametrize("page", page_files())
def test_each_session_shows_its_own_patients_on_every_page(sessions, page):
    a, b = sessions
    # Interleaved, as two browsers would be: A, then B, then A again.
    for at in (a, b, a):
        at.switch_page(page)
        at.run()
    assert_only_own_patients(a, A_IDS, B_IDS)
    assert_only_own_patients(b, B_IDS, A_IDS)
    for at, own in ((a, A_IDS), (b, B_IDS)):
        if page in ("views/data.py", "views/patient.py"):  # pages listing patients: the search does see ids
            assert all(pid in rendered(at) for pid in own)
    for at, n in ((a, 3), (b, 2)):
        if page == "views/data.py":
            assert at.subheader[0].value == f"Loaded: Upload: centre {'A' if n == 3 else 'B'}"
        else:
            assert any(f"of {n} patients" in m.value for m in at.markdown), page


def test_sidebar_counts_each_sessions_own_patients(sessions):
    a, b = sessions
    a.run()
    b.run()
    assert any(c.value == "3 patients loaded" for c in a.sidebar.caption)
    assert any(c.value == "2 patients loaded" for c in b.sidebar.caption)


def test_a_new_session_starts_on_the_demo_not_on_another_sessions_upload(sessions):
    a, b = sessions
    fresh = AppTest.from_file(APP, default_timeout=120)
    fresh.run()
    assert fresh.session_state["cohort"].synthetic
    assert_only_own_patients(fresh, tuple(fresh.session_state["cohort"].patients["patient_id"]), A_IDS + B_IDS)


# --- no shared cache for uploaded data ----------------------------------------------

ALLOWED_CACHES = {("ui/session.py", "_demo", "cache_resource")}
"""The synthetic demo, identical for everyone, is the only thing cached across sessions."""


_CACHE_NAMES = {"cache", "lru_cache", "cache_data", "cache_resource", "memo", "singleton", "experimental_memo", "experimental_singleton"}


def _cache_uses(path, root=ROOT) -> set[tuple[str, str, str]]:
    """(file, enclosing function or '<module>', name) of every mention of a Streamlit or functools cache."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    relative = path.relative_to(root).as_posix()
    uses = set()
    # A bare name is a cache only when imported as one ("from functools import cache"),
    # not a local variable that happens to be called "cache".
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name in _CACHE_NAMES
    }

    def visit(node, owner):
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else owner
            if isinstance(child, ast.Attribute) and child.attr in _CACHE_NAMES:
                uses.add((relative, inner, child.attr))
            elif isinstance(child, ast.Name) and child.id in imported:
                uses.add((relative, inner, child.id))
            elif isinstance(child, ast.ImportFrom):
                uses.update((relative, inner, alias.name) for alias in child.names if alias.name in _CACHE_NAMES)
            visit(child, inner)

    visit(tree, "<module>")
    return uses


def _ui_sources():
    return [ROOT / "app.py", *sorted((ROOT / "ui").rglob("*.py")), *sorted((ROOT / "views").rglob("*.py"))]


def test_only_the_demo_is_cached_across_sessions():
    uses = set().union(*(_cache_uses(path) for path in _ui_sources()))
    assert uses == ALLOWED_CACHES


def test_cache_detector_finds_every_way_of_caching(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text(
        "import functools\nimport streamlit as st\nfrom functools import lru_cache\n"
        "@st.cache_data\ndef a(x): return x\n"
        "@st.cache_resource(ttl=5)\ndef b(x): return x\n"
        "@functools.lru_cache\ndef c(x): return x\n"
        "def d(x): return st.cache_data(lambda: x)()\n"
        "@lru_cache(2)\ndef e(x):\n    cache = {}\n    return cache\n",
        encoding="utf-8",
    )
    found = {(owner, name) for _, owner, name in _cache_uses(source, tmp_path)}
    assert found == {("<module>", "lru_cache"), ("a", "cache_data"), ("b", "cache_resource"), ("c", "lru_cache"), ("d", "cache_data"), ("e", "lru_cache")}
