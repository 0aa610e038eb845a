"""The fast cut (`make check`, `pytest -m "not slow"`): tests/slow.txt names real tests, and the
tests it names are marked slow when collected."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT, listed_slow, pytest_collection_modifyitems


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_line_of_the_slow_list_names_a_test_that_exists():
    """A renamed or removed test leaves no line behind (a stale line would silently stop
    marking anything)."""
    defined: dict[str, set[str]] = {}
    for line in sorted(listed_slow()):
        file, _, test = line.partition("::")
        path = ROOT / file
        assert path.is_file(), f"tests/slow.txt: {line}: no such file"
        name = test.partition("[")[0].rpartition("::")[2]
        if name:
            names = defined.setdefault(file, _defined(path))
            assert name in names, f"tests/slow.txt: {line}: {file} defines no {name}"


class _Item:
    def __init__(self, nodeid: str):
        self.nodeid, self.marks = nodeid, []

    def add_marker(self, mark) -> None:
        self.marks.append(mark)


def test_a_listed_test_or_a_listed_file_is_marked_slow_and_nothing_else(monkeypatch, tmp_path):
    listed = tmp_path / "slow.txt"
    listed.write_text("# a comment\ntests/test_a.py::test_one[x]\ntests/test_b.py\n", encoding="utf-8")
    monkeypatch.setattr("tests.conftest.SLOW_LIST", listed)
    items = [_Item(n) for n in ("tests/test_a.py::test_one[x]", "tests/test_a.py::test_one[y]",
                                "tests/test_b.py::test_two", "tests/test_c.py::test_one[x]")]
    pytest_collection_modifyitems(items)  # type: ignore[arg-type]
    assert [bool(i.marks) for i in items] == [True, False, True, False]
    assert all(m.name == "slow" for i in items for m in i.marks)


@pytest.mark.parametrize("text", ["", "# only a comment\n\n"])
def test_an_empty_list_marks_nothing(monkeypatch, tmp_path, text):
    listed = tmp_path / "slow.txt"
    listed.write_text(text, encoding="utf-8")
    monkeypatch.setattr("tests.conftest.SLOW_LIST", listed)
    item = _Item("tests/test_a.py::test_one")
    pytest_collection_modifyitems([item])  # type: ignore[arg-type]
    assert item.marks == []
