"""Every function stays small enough to read: cyclomatic complexity at most 15 (radon's
measure, which counts each boolean operator and comprehension condition) and at most 60 lines.

The only exceptions are declarative data written as code: the JSON schemas of the two files
people edit. A function that grows past either limit is split by its decisions, not exempted.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("campaigns", "status", "scheduler")
MAX_COMPLEXITY = 15
MAX_LINES = 60
# declarative schema data, one literal each: splitting them would scatter one document
DECLARATIVE = {"campaigns/schema.py:calendar_schema", "status/schema.py:status_schema"}


def sources() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def _functions(blocks: list[Any]) -> Iterator[Any]:
    """Every function radon found: top-level ones, methods, and the functions nested in either."""
    for block in blocks:
        if hasattr(block, "methods"):  # a class: its methods (a class's own figure is their sum)
            yield from _functions(block.methods)
            yield from _functions(getattr(block, "inner_classes", []))
        else:
            yield block
            yield from _functions(block.closures)


def too_complex(path: Path) -> list[str]:
    found = {f"{path.relative_to(ROOT)}:{f.lineno} {f.fullname}: {f.complexity}"
             for f in _functions(cc_visit(path.read_text(encoding="utf-8"))) if f.complexity > MAX_COMPLEXITY}
    return sorted(found)


def too_long(path: Path) -> list[str]:
    found = []
    relative = str(path.relative_to(ROOT))
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and f"{relative}:{node.name}" not in DECLARATIVE:
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > MAX_LINES:
                found.append(f"{relative}:{node.lineno} {node.name}: {lines} lines")
    return found


@pytest.mark.parametrize("path", sources(), ids=_ids(sources()))
def test_every_function_has_complexity_at_most_15(path):
    assert too_complex(path) == []


@pytest.mark.parametrize("path", sources(), ids=_ids(sources()))
def test_every_function_has_at_most_60_lines(path):
    assert too_long(path) == []


def _indented(text: str, depth: int) -> str:
    return "".join("    " * depth + line + "\n" for line in text.splitlines())


def test_the_measures_see_what_they_must(tmp_path, monkeypatch):
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    body = "".join(f"if x == {n}:\n    return {n}\n" for n in range(15)) + "return 0"  # complexity 16
    shapes = {"flat.py": "def f(x):\n" + _indented(body, 1),
              "method.py": "class C:\n    def m(self, x):\n" + _indented(body, 2),
              "closure.py": "def outer():\n    def inner(x):\n" + _indented(body, 2) + "    return inner\n",
              "inner_class.py": "class A:\n    class B:\n        def m(self, x):\n" + _indented(body, 3)}
    for name, text in shapes.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert len(too_complex(tmp_path / name)) == 1, name
    ok = tmp_path / "ok.py"
    ok.write_text("def f(x):\n" + _indented(body.replace("if x == 14:\n    return 14\n", ""), 1), encoding="utf-8")
    assert too_complex(ok) == []  # complexity 15: allowed
    long = tmp_path / "long.py"
    long.write_text("def f():\n" + "    x = 1\n" * 59 + "    return x\n", encoding="utf-8")
    assert too_long(long) == ["long.py:1 f: 61 lines"]
    assert too_complex(long) == []
