"""`herald plan --json` on two processes (scheduler/cli/planjson.py) writes exactly what one
process would.  The oracle is not the code under test: the serial plan of the calendar and the
status file's announcements (stably sorted by time, as `planned` orders them), each encoded by
orjson from its `as_json()`."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import orjson
import pytest

from bench.generate import generate
from campaigns.calendar import load
from campaigns.plan import VariantHistory, plan, variant_id
from scheduler import forked
from scheduler.cli import main, planjson
from scheduler.clock import FakeClock
from status.announce import announcements
from status.load import load as load_status
from tests.conftest import FORK_COUNTING, ROOT

NOW = datetime(2027, 1, 1, 8, 0, tzinfo=UTC)
START, DAYS = datetime(2027, 1, 1, tzinfo=UTC), 120

STATUS = """\
components:
  checkout: {name: Checkout}
maintenance:
  - id: early
    title: Database upgrade
    starts: 2027-01-20T03:00
    ends: 2027-01-20T04:00
    components: [checkout]
  - id: late
    title: Search index rebuild
    starts: 2027-04-10T02:00
    ends: 2027-04-10T03:30
    components: [checkout]
incidents:
  - id: pay
    title: Card payments fail
    impact: major
    components: [checkout]
    follow_up: 2h
    updates:
      - at: 2027-01-01T09:00
        state: investigating
        message: We are looking into failed card payments.
      - at: 2027-01-01T09:30
        state: resolved
        message: Card payments work again.
"""


@pytest.fixture
def files(tmp_path):
    calendar = tmp_path / "content_calendar.yaml"
    calendar.write_text(generate(300, start=date(2027, 1, 1)))
    status = tmp_path / "status.yaml"
    status.write_text(STATUS)
    return str(calendar), str(status)


def oracle(calendar_path: str, status_path: str | None, history: VariantHistory | None = None,
           only: str | None = None) -> bytes:
    calendar = load(calendar_path)
    end = START + timedelta(days=DAYS)
    pubs = plan(calendar, START, end, history) if only != "status" else []
    if status_path and only != "calendar":
        status = load_status(status_path, calendar)
        pubs = sorted([*pubs, *announcements(calendar, status, START, end, now=NOW)], key=lambda p: p.at)
    return b"".join(orjson.dumps(p.as_json()) + b"\n" for p in pubs)


def run_plan(capsysbinary, calendar: str, status: str, *extra: str) -> bytes:
    code = main(["plan", "--calendar", calendar, "--status", status, "--from", "2027-01-01", "--days", str(DAYS),
                 "--json", *extra], clock=FakeClock(NOW))
    out, err = capsysbinary.readouterr()
    assert code == 0, err
    return out


@pytest.mark.parametrize("only", [None, "calendar", "status"])
@pytest.mark.slow
def test_two_processes_write_the_serial_plan_byte_for_byte(files, forks, capsysbinary, only):
    calendar, status = files
    out = run_plan(capsysbinary, calendar, status, *(["--only", only] if only else []))
    expected = oracle(calendar, status, only=only)
    assert out == expected
    assert len(forks) == (0 if only == "status" else 1)
    if only != "calendar":  # announcements in both halves of the window
        assert expected.count(b'"origin":"status"') >= 8
    if only != "status":
        assert out.count(b"\n") > 1000


@pytest.mark.slow
def test_with_a_ledger_the_child_continues_the_variant_rotation_of_the_first_half(files, forks, capsysbinary,
                                                                                   monkeypatch):
    calendar_path, status = files
    calendar = load(calendar_path)
    counts, last = {}, {}
    for post in calendar.posts[:150]:  # wordings already used unevenly: the rotation carries state
        for account, templates in post.texts.items():
            if len(templates) > 1:
                ids = [variant_id(t) for t in templates]
                counts[(post.id, account)] = {ids[0]: 3, ids[-1]: 1}
                last[(post.id, account)] = ids[0]
    history = VariantHistory(counts, last, {})
    monkeypatch.setattr(planjson, "variant_history", lambda args, start, end: history)
    out = run_plan(capsysbinary, calendar_path, status, "--only", "calendar")
    assert out == oracle(calendar_path, None, history)
    assert out != oracle(calendar_path, None)  # (the history changes which variants go out)
    assert len(forks) == 1


@pytest.mark.slow
def test_a_child_that_fails_leaves_its_half_to_the_parent(files, forks, capsysbinary, monkeypatch):
    def broken(*args):
        raise RuntimeError("the child dies")

    monkeypatch.setattr(planjson, "_child", broken)
    calendar, status = files
    assert run_plan(capsysbinary, calendar, status) == oracle(calendar, status)
    assert len(forks) == 1


def big_calendar(tmp_path, posts: int = 1200):
    calendar = tmp_path / "content_calendar.yaml"
    calendar.write_text(generate(posts, start=date(2027, 1, 1)))
    assert calendar.stat().st_size >= forked.PARALLEL_FROM_CHARS
    return calendar


@pytest.mark.slow
def test_a_big_calendar_through_a_pipe_is_the_serial_plan(tmp_path):
    """As a user runs it: the command in its own process, a calendar over the size that splits the
    work, the child's half copied to the pipe by the kernel (no announcement among its lines)."""
    calendar = big_calendar(tmp_path)
    proc = subprocess.run([sys.executable, "-c", FORK_COUNTING, "fork", "plan", "--calendar", str(calendar), "--status",
                           str(tmp_path / "none.yaml"), "--from", "2027-01-01", "--days", str(DAYS), "--json"],
                          cwd=tmp_path, capture_output=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stderr.decode().count("forked ") == 1
    expected = oracle(str(calendar), None, only="calendar")
    assert proc.stdout == expected and len(expected) > 100_000


def test_an_invalid_status_file_stops_the_plan_even_when_only_the_calendar_is_shown(files, forks, capsysbinary,
                                                                                     tmp_path):
    calendar, _ = files
    bad = tmp_path / "bad-status.yaml"
    bad.write_text(STATUS.replace("impact: major", "impact: huge"))
    code = main(["plan", "--calendar", calendar, "--status", str(bad), "--from", "2027-01-01", "--days", "30",
                 "--json", "--only", "calendar"], clock=FakeClock(NOW))
    out, err = capsysbinary.readouterr()
    assert code == 1 and out == b"" and b"bad-status.yaml:" in err and b"huge" in err


def test_a_child_dies_with_its_parent(tmp_path):
    """SIGTERM ends the command at once: the child planning the second part goes with it."""
    import signal
    import time

    calendar = big_calendar(tmp_path, posts=4000)  # ten years of it: the child would plan for many seconds
    proc = subprocess.Popen([sys.executable, "-c", FORK_COUNTING, "fork", "plan", "--calendar", str(calendar), "--status",
                             str(tmp_path / "none.yaml"), "--from", "2027-01-01", "--days", "3660", "--json"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stderr is not None
    line = proc.stderr.readline().decode()  # written by the parent right after the fork
    child = int(line.split()[1])
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.02)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False
