"""Write tests/slow.txt, the tests `pytest -m "not slow"` (`make check`) leaves out besides those
marked in their files, from the CPU time each test took (its process's and its children's, so a
loaded machine does not move the list the way wall times would):

    HERALD_TEST_CPU=cpu.json python -m pytest -m "not slow" -p tests.slowlist
    python tests/slowlist.py cpu.json [--over 0.03]

A test's setup, call and teardown count together; those of `--over` seconds or more are listed
(the tests already listed stay listed: remove a line by hand when a test got faster). A line
naming a file alone lists all of that file's tests. `make test` runs them all whatever it says.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import SLOW_LIST, listed_slow  # noqa: E402

HEADER = """\
# The tests `make check` (pytest -m "not slow") leaves out, besides those marked `slow` in their
# files: each took 0.03 s of CPU or more, or its file is named alone. Made by
# tests/slowlist.py (its docstring says how); `make test` runs them all. One pytest node id a line.
"""
_TOOK: dict[str, float] = {}


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    began = _cpu()
    yield
    _TOOK[item.nodeid] = _cpu() - began


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = os.environ.get("HERALD_TEST_CPU")
    if out:
        Path(out).write_text(json.dumps(_TOOK, indent=0), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("took", type=Path, help="the file HERALD_TEST_CPU named in a run with -p tests.slowlist")
    parser.add_argument("--over", type=float, default=0.03, metavar="SECONDS", help="list tests this slow or slower")
    args = parser.parse_args(argv)
    took = json.loads(args.took.read_text(encoding="utf-8"))
    slow = listed_slow() | {test for test, seconds in took.items() if seconds >= args.over}
    SLOW_LIST.write_text(HEADER + "".join(f"{test}\n" for test in sorted(slow)), encoding="utf-8")
    print(f"{len(slow)} lines in {SLOW_LIST.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
