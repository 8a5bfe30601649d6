"""No function of the package is too tangled to hold in mind: cyclomatic complexity at most 20 (radon's measure)."""

from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_visit

PACKAGE = Path(__file__).resolve().parent.parent / "tools" / "gitdesk"
LIMIT = 20


def blocks(source: str):
    """Every function and method of a module, closures and nested classes' methods included."""
    stack = list(cc_visit(source))
    seen = set()
    while stack:
        block = stack.pop()
        if (block.lineno, block.name) in seen:  # radon lists a method on its own and in its class
            continue
        seen.add((block.lineno, block.name))
        yield block
        stack.extend(getattr(block, "closures", ()))
        stack.extend(getattr(block, "methods", ()))
        stack.extend(getattr(block, "inner_classes", ()))


def test_no_function_is_more_complex_than_the_limit():
    tangled = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        for block in blocks(path.read_text(encoding="utf-8")):
            if block.complexity > LIMIT and not hasattr(block, "methods"):  # a class's own figure sums its methods
                tangled.append(f"{path.relative_to(PACKAGE)}:{block.lineno} {block.name}: {block.complexity}")
    assert tangled == [], "split these functions by meaning:\n" + "\n".join(sorted(tangled))


def test_the_measure_sees_a_tangled_function():
    branches = "\n".join(f"    if x == {i}:\n        return {i}" for i in range(LIMIT + 1))
    found = [b for b in blocks(f"def f(x):\n{branches}\n    return -1\n") if b.complexity > LIMIT]
    assert [b.name for b in found] == ["f"]
