"""`herald plan` and `herald lint` print, byte for byte, what they printed before issue 24 made them
faster: golden outputs recorded from `main` at 073f9d6 (before that work; the sample's `plan --json`
again from `main` at 7b0a093, whose window posts thread as issue 26 made them), on calendars kept under
tests/data/golden/ (a 300-post calendar of many distinct rules from `bench/generate.py --many-rules`,
300 posts of the default generator, and the sample calendar with its status file).  The oracle is
the code of that commit, not the code under test: its outputs are stored as digests, the whole
output's and one per 500 lines (so a failure says where the first difference is).  Each case runs
in one process and split with a forked child (`scheduler/forked.py`).

To record them again from a given checkout (only when an output is meant to change)::

    PYTHONPATH=/path/to/checkout python tests/test_outputs_golden.py --write
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
EXPECTED = GOLDEN / "outputs.json"
NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
CHUNK = 500  # lines per digest
YEAR_2027 = ("--from", "2027-01-01", "--days", "365")

# name: (calendar, status file or None, the command's arguments after the file options)
CASES: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "many rules: plan --json, a year": ("many-rules-300.yaml.gz", None, ("plan", *YEAR_2027, "--json")),
    "many rules: lint": ("many-rules-300.yaml.gz", None, ("lint", "--from", "2027-03-01")),
    "many rules: lint --json": ("many-rules-300.yaml.gz", None, ("lint", "--json", "--from", "2027-03-01")),
    "many rules: plan, 60 days": ("many-rules-300.yaml.gz", None, ("plan", "--from", "2027-03-20", "--days", "60")),
    "default: plan --json, a year": ("default-300.yaml.gz", None, ("plan", *YEAR_2027, "--json")),
    "default: lint": ("default-300.yaml.gz", None, ("lint", "--from", "2027-03-01")),
    "sample: plan --json": ("sample-calendar.yaml", "sample-status.yaml",
                            ("plan", "--from", "2026-11-01", "--days", "120", "--json")),
    "sample: plan": ("sample-calendar.yaml", "sample-status.yaml", ("plan", "--from", "2026-11-01", "--days", "120")),
    "sample: lint": ("sample-calendar.yaml", "sample-status.yaml", ("lint", "--from", "2026-11-01")),
}


def _text(name: str) -> bytes:
    data = (GOLDEN / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


def run_case(name: str, folder: Path) -> dict[str, object]:
    """The case's exit code and the digests of what it wrote, run in ``folder`` (its files named
    there as a person would name them, so the findings' paths are the same wherever it runs)."""
    from scheduler.cli import main
    from scheduler.clock import FakeClock

    calendar, status, argv = CASES[name]
    (folder / "content_calendar.yaml").write_bytes(_text(calendar))
    if status is not None:
        (folder / "status.yaml").write_bytes(_text(status))
    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    before = os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([argv[0], "--calendar", "content_calendar.yaml",
                         "--status", "status.yaml" if status else "none.yaml", *argv[1:]], clock=FakeClock(NOW))
        out.flush()
        err.flush()
    finally:
        os.chdir(before)
    return {"code": code, **_digests(out.buffer.getvalue(), "out"), **_digests(err.buffer.getvalue(), "err")}


def _digests(data: bytes, stream: str) -> dict[str, object]:
    lines = data.split(b"\n")
    return {
        f"{stream}_sha256": hashlib.sha256(data).hexdigest(),
        f"{stream}_lines": data.count(b"\n"),
        f"{stream}_chunks": [hashlib.sha256(b"\n".join(lines[i:i + CHUNK])).hexdigest()[:16]
                             for i in range(0, len(lines), CHUNK)],
    }


@pytest.fixture(scope="module")
def expected() -> dict[str, dict[str, object]]:
    recorded: dict[str, dict[str, object]] = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert sorted(recorded) == sorted(CASES)
    return recorded


def _compare(got: dict[str, object], want: dict[str, object]) -> None:
    for stream in ("out", "err"):
        if got[f"{stream}_sha256"] != want[f"{stream}_sha256"]:
            chunks = zip(got[f"{stream}_chunks"], want[f"{stream}_chunks"], strict=False)  # type: ignore[call-overload]
            first = next((i for i, (a, b) in enumerate(chunks) if a != b), None)
            where = f"lines {first * CHUNK + 1}-{(first + 1) * CHUNK}" if first is not None else "its length"
            pytest.fail(f"std{stream} differs from the recorded output, first in {where} "
                        f"({got[f'{stream}_lines']} lines; recorded {want[f'{stream}_lines']})")
    assert got["code"] == want["code"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_process_prints_the_recorded_output(name, expected, tmp_path, monkeypatch):
    from scheduler import forked

    monkeypatch.setattr(forked, "PARALLEL_FROM_CHARS", 1 << 40)
    _compare(run_case(name, tmp_path), expected[name])


@pytest.mark.parametrize("name", sorted(n for n in CASES if not n.startswith("sample")))
def test_split_with_a_child_prints_the_recorded_output(name, expected, tmp_path, forks):
    _compare(run_case(name, tmp_path), expected[name])
    argv = CASES[name][2]
    assert len(forks) == (1 if argv[0] == "lint" or "--json" in argv else 0)  # (a plan for people: one process)


def test_the_recorded_outputs_are_not_trivial(expected):
    """Each case wrote what it is about: thousands of plan lines, hundreds of findings."""
    assert expected["many rules: plan --json, a year"]["out_lines"] > 10_000
    assert expected["default: plan --json, a year"]["out_lines"] > 5_000
    assert expected["many rules: lint"]["out_lines"] > 500
    assert expected["sample: plan --json"]["out_lines"] > 10
    assert all(case["code"] in (0, 1) for case in expected.values())


def _write() -> None:  # pragma: no cover - run by hand, see the docstring
    import tempfile

    from scheduler import forked

    forked.PARALLEL_FROM_CHARS = 1 << 40
    recorded = {}
    for name in sorted(CASES):
        with tempfile.TemporaryDirectory() as folder:
            recorded[name] = run_case(name, Path(folder))
    EXPECTED.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{EXPECTED}: {len(recorded)} cases")


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    _write()
