"""The package's layers: the core imports nothing above it, and no module imports itself in a circle.

    core/      records, the repository aggregate, its rules, SLA, charges, issued statements, checks
    load/      from disk to a repository: discover, read, cache, the worker executor
    text/      the words a reader sees, per language
    write/     technicians' edits: locked, atomic writes
    portal/    the sites: view models, pages, mkdocs
    commands/  the command line, one module per command
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tools" / "gitdesk"

#: What a core module may never import: the layers above it, and what touches files, processes, git or the clock.
ABOVE_CORE = ("gitdesk.load", "gitdesk.text", "gitdesk.write", "gitdesk.portal", "gitdesk.commands", "gitdesk.main")
IMPURE = frozenset(("os", "pathlib", "io", "shutil", "tempfile", "subprocess", "multiprocessing", "concurrent", "threading",
                    "socket", "time", "glob", "fcntl", "sqlite3", "pickle", "importlib", "csv", "logging", "platformdirs",
                    "click", "jinja2", "mkdocs", "matplotlib", "babel", "yaml"))
#: Calls that read the clock (``dt.datetime.now()``) or open a file (``open()``).
CLOCK = frozenset(("now", "today", "utcnow"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports_of(path: Path) -> list[str]:
    """Every module a file imports (at any depth, except under ``if TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if _type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: a relative import (the package imports absolutely)"
            base = node.module or ""
            known = modules()
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.append(full if full in known else base)
        stack.extend(ast.iter_child_nodes(node))
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {m for m in imports_of(path) if m in known and m != name} for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Each cycle of the graph (one path per strongly connected set), by Tarjan's algorithm."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    sys.setrecursionlimit(10_000)

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_no_module_imports_itself_in_a_circle():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_core_imports_nothing_above_it_and_touches_no_file_process_git_or_clock():
    wrong = []
    for name, path in modules().items():
        if not name.startswith("gitdesk.core"):
            continue
        for imported in imports_of(path):
            if imported.startswith(ABOVE_CORE) or imported.split(".")[0] in IMPURE:
                wrong.append(f"{name} imports {imported}")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                if (isinstance(func, ast.Attribute) and func.attr in CLOCK) or (isinstance(func, ast.Name) and func.id == "open"):
                    wrong.append(f"{name}:{node.lineno} calls {ast.unparse(func)}")
    assert wrong == []


def test_the_check_sees_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nif TYPE_CHECKING:\n    import subprocess\ndef f():\n    from gitdesk.load import loader\n")
    assert set(imports_of(bad)) == {"os", "gitdesk.load.loader"} or set(imports_of(bad)) == {"os", "gitdesk.load"}


def test_every_module_says_what_it_holds():
    missing = [name for name, path in modules().items()
               if path.stat().st_size and not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))]
    assert missing == []
