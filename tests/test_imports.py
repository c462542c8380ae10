"""The package's import graph: every module imports on its own, and no two modules import each other.

A module that only imports after something else was imported first hides an ordering bug
(it works in the suite, fails for a user); a cycle makes the order matter. The graph counts
every import - at module level, inside functions (the lazy ones run too, just later) and in
``if TYPE_CHECKING:`` blocks (a cycle there is still two modules that cannot be read apart).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import novita_mcp

PACKAGE = Path(novita_mcp.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The package modules ``path`` imports when it runs (``from a import b`` names ``a.b`` if it is a module)."""
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ImportFrom) and child.level == 0 and (child.module or "").startswith("novita_mcp"):
                for alias in child.names:
                    sub = f"{child.module}.{alias.name}"
                    out.add(sub if sub in known else str(child.module))
            elif isinstance(child, ast.Import):
                out.update(a.name for a in child.names if a.name.startswith("novita_mcp"))
            else:
                visit(child)

    visit(ast.parse(path.read_text()))
    return {m for m in out if m in known}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_the_package_has_no_import_cycles() -> None:
    known = _modules()
    graph = {name: _imports(path, known) - {name} for name, path in known.items()}
    assert len(graph) > 100  # the walk saw the package
    assert any(graph.values())
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_module_imports_on_its_own() -> None:
    """Each module in a fresh interpreter state: a forked child of a process that imported only
    the third-party libraries (so the check takes seconds, not a minute)."""
    if not hasattr(os, "fork"):
        return
    script = textwrap.dedent("""
        import importlib, os, sys
        import httpx, mcp, pydantic, pydantic_settings, starlette, anyio  # third-party, shared by all
        failed = []
        for name in sys.argv[1:]:
            pid = os.fork()
            if pid == 0:
                try:
                    importlib.import_module(name)
                except BaseException as exc:
                    print(f"{name}: {type(exc).__name__}: {exc}", flush=True)
                    os._exit(1)
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            if status != 0:
                failed.append(name)
        print("FAILED", failed)
        sys.exit(1 if failed else 0)
    """)
    names = [n for n in _modules() if n != "novita_mcp.__main__"]
    done = subprocess.run([sys.executable, "-c", script, *names], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAILED []" in done.stdout
