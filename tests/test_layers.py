"""The core's layers: each subpackage imports only from the layers before it.

The order follows the data flow (see ``omalizumab_core/__init__.py`` and
CONTRIBUTING.md). A module may import from its own layer and from lower ones,
never from a higher one, and no two modules import each other, directly or
through others, whether the import is at module level or inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "omalizumab_core"

LAYERS = ["formatting", "data", "stats", "engine", "analyses", "outputs", "synthetic", "sources", "cli", "__init__", "__main__"]
"""Lowest first. A top-level name is a module (formatting, sources) or a subpackage."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every omalizumab_core module this file imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path.name}: relative import; write 'from omalizumab_core.… import …'")
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "omalizumab_core":
            base = node.module.removeprefix("omalizumab_core").lstrip(".")
            for alias in node.names:
                candidate = f"{base}.{alias.name}".lstrip(".")
                found.add(candidate if _exists(candidate) else base)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "omalizumab_core":
                    found.add(alias.name.removeprefix("omalizumab_core").lstrip("."))
    return {name for name in found if name}


def _exists(module: str) -> bool:
    path = PACKAGE.joinpath(*module.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


GRAPH = {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def test_every_module_belongs_to_a_named_layer():
    unknown = sorted(m for m in GRAPH if m.split(".")[0] not in LAYERS)
    assert unknown == [], f"add these to LAYERS (and to CONTRIBUTING.md): {unknown}"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if m.split(".")[0] not in ("__init__", "__main__")))
def test_no_module_imports_a_higher_layer(module):
    upward = sorted(i for i in GRAPH[module] if _layer(i) > _layer(module))
    assert upward == [], f"{module} (layer {LAYERS[_layer(module)]}) imports higher layers: {upward}"


def test_no_import_cycle():
    # Edges to packages ("outputs.figures") stand for their __init__ module.
    def targets(module):
        return {t for t in GRAPH.get(module, ()) if t in GRAPH and t != module}

    state: dict[str, int] = {}
    path: list[str] = []

    def visit(module):
        state[module] = 1
        path.append(module)
        for target in sorted(targets(module)):
            if state.get(target) == 1:
                cycle = path[path.index(target):] + [target]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


def test_the_core_never_imports_streamlit():
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not any(name.split(".")[0] == "streamlit" for name in names), path


def test_the_layer_test_sees_a_known_upward_import():
    """The checker itself: an engine module importing an analysis would be caught."""
    assert _layer("engine.scoring") < _layer("analyses.overview")
    assert "data.cohort" in GRAPH["engine.scoring"]


_BEING_SPLIT: set[str] = set()  # reading.py was split by file form (issue 13)

LONG_MODULE = 600
"""Lines above which a core module must say in its docstring why it is not split."""


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_long_module_says_why_it_is_one_module(path):
    text = path.read_text(encoding="utf-8")
    if text.count("\n") <= LONG_MODULE or str(path.relative_to(PACKAGE)) in _BEING_SPLIT:
        return
    docstring = ast.get_docstring(ast.parse(text)) or ""
    assert "Why one module of more than 600 lines" in docstring, f"{path.name}: split it, or say why in its docstring"
