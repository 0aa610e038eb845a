"""Brackets nested tens of thousands deep crashed the process (the C parser recurses on the C
stack: a segmentation fault, no error and no log line; found by an attack on a status file, which
also killed the running engine). Each reader refuses them in one located line instead; each case
runs in a child process, so a crash is a failed test, not a lost test run."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

DEEP = {
    "brackets": "[" * 30_000 + "\n",
    "mappings": "components: " + "{a: " * 60_000 + "\n",
    "closed": "posts: " + "[" * 40_000 + "]" * 40_000 + "\n",
}


def _in_child(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", sorted(DEEP))
@pytest.mark.parametrize("command", ["validate", "status"])
def test_the_cli_refuses_deep_brackets_in_one_located_line(tmp_path: Path, name: str, command: str):
    calendar, status = tmp_path / "content_calendar.yaml", tmp_path / "status.yaml"
    calendar.write_text((ROOT / "content_calendar.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    status.write_text((ROOT / "status.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    target = calendar if command == "validate" else status
    target.write_text(DEEP[name], encoding="utf-8")
    argv = (["validate", str(calendar), "--status", str(status)] if command == "validate"
            else ["status", "--calendar", str(calendar), "--status", str(status)])
    done = _in_child(f"import sys; from scheduler.cli import main; sys.exit(main({argv!r}))")
    assert done.returncode == 1, (done.returncode, done.stderr[-500:])
    lines = done.stderr.strip().splitlines()
    assert f"{target}:1:" in lines[0] and "nesting is deeper than 64 levels" in lines[0], done.stderr[-500:]  # (validate adds a count)
    assert len(lines) <= 2
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("name", sorted(DEEP))
def test_the_engines_settled_read_does_not_give_deep_brackets_to_the_parser(tmp_path: Path, name: str):
    saved = tmp_path / "status.yaml"
    saved.write_text(DEEP[name], encoding="utf-8")
    done = _in_child("from pathlib import Path; from scheduler.daemon.settle import yaml_parses; "
                     f"print(yaml_parses(Path({str(saved)!r}).read_bytes()))")
    assert done.returncode == 0 and done.stdout.strip() == "False", (done.returncode, done.stderr[-300:])


def test_a_calendar_of_many_flow_lists_side_by_side_is_not_deep():
    from campaigns.yamlsource import nesting_problem

    text = "posts:\n" + "".join(f"  - {{id: p{i}, networks: [x, site], tags: [a, b]}}\n" for i in range(5_000))
    assert nesting_problem(text, "c.yaml") is None


def _deep_at_oracle(text: str, limit: int, deep: int) -> int | None:
    """Where the first run of brackets deeper than ``limit`` began to be ``deep`` levels deep (the
    walk one bracket at a time, an unmatched closer leaving the depth at 0), or None."""
    depth, deep_at = 0, -1
    for index, char in enumerate(text):
        if char not in "[]{}":
            continue
        depth = max(depth + (1 if char in "[{" else -1), 0)
        if depth == deep and deep_at < 0:
            deep_at = index
        if depth > limit:
            return deep_at
        if depth == 0:
            deep_at = -1
    return None


@pytest.mark.parametrize("seed", range(40))
def test_deep_brackets_are_found_where_the_walk_one_bracket_at_a_time_finds_them(seed: int):
    import random

    from campaigns.yamlsource import MAX_DEPTH, MAX_FLOW_DEPTH, nesting_problem

    rng = random.Random(seed)
    parts = []
    for _ in range(rng.randrange(1, 40)):  # runs of openers and closers around the limit, text between
        parts.append(rng.choice("[{") * rng.randrange(0, MAX_FLOW_DEPTH // 3))
        parts.append("x: y\n" * rng.randrange(0, 3))
        parts.append(rng.choice("]}") * rng.randrange(0, MAX_FLOW_DEPTH // rng.choice((3, 4))))
    text = "".join(parts)
    deep_at = _deep_at_oracle(text, MAX_FLOW_DEPTH, MAX_DEPTH)
    found = nesting_problem(text, "c.yaml")
    if deep_at is None:
        assert found is None
    else:
        assert found is not None
        assert (found.line, found.col) == (text.count("\n", 0, deep_at) + 1, deep_at - text.rfind("\n", 0, deep_at))
