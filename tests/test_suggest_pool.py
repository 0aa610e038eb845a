"""Requests cleaned by worker processes: the same report as in one process, and nothing lost when
a worker dies (issue 25: 100,000 tickets in 10 s)."""

from __future__ import annotations

import os
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from campaigns.suggest import topics
from campaigns.suggest.readers import read_requests
from scheduler import chunks as pool
from tests.conftest import ROOT

CICLO = ROOT / "tests" / "data" / "suggest" / "ciclo"


def _report(jobs):
    return topics.find_topics(read_requests(str(CICLO / "zendesk_tickets.ndjson")), ZoneInfo("Europe/Warsaw"),
                              ("pl",), pool=partial(pool.Chunks, jobs))


@pytest.fixture
def threads_alone(monkeypatch):
    """This process taken to run no other thread: in the whole suite, earlier tests leave daemon
    threads behind (servers, watchers), and the workers would not start; the functions the workers
    run here take none of those threads' locks."""
    import threading

    monkeypatch.setattr(threading, "active_count", lambda: 1)


@pytest.fixture
def small_chunks(monkeypatch, threads_alone):
    monkeypatch.setattr(topics, "WORKERS_AFTER", 100)
    monkeypatch.setattr(pool, "CHUNK", 37)


def _same(a, b):
    assert a.rows == b.rows
    assert [(t.terms, t.count, t.examples, t.languages) for t in a.topics] == \
        [(t.terms, t.count, t.examples, t.languages) for t in b.topics]


def _counted(items):
    """:func:`topics._clean_all`, each call counted (in a file named by the process)."""
    with open(os.path.join(os.environ["HERALD_TEST_CHUNKS_DIR"], str(os.getpid())), "a", encoding="ascii") as f:
        f.write("x")
    return _clean_all(items)


def test_workers_clean_as_this_process_does(small_chunks, monkeypatch, tmp_path):
    alone = _report(1)
    monkeypatch.setattr(topics, "_clean_all", _counted)
    monkeypatch.setenv("HERALD_TEST_CHUNKS_DIR", str(tmp_path))
    shared = _report(2)
    cleaners = {int(p.name): len(p.read_text()) for p in tmp_path.iterdir()}
    assert os.getpid() not in cleaners and len(cleaners) == 2  # the two workers cleaned, not this process
    assert sum(cleaners.values()) == -(-(len(shared.rows) - 100) // 37)  # every chunk past the first 100
    _same(alone, shared)


_PARENT = os.getpid()
_CALLS: list[int] = []


def _dying(items):
    """:func:`topics._clean_all`, which kills the worker it runs in (as a kill -9 would) at its
    third chunk (a worker that has given results back: the first chunks are recorded from them)."""
    if os.getpid() != _PARENT:
        done = os.environ.get("HERALD_TEST_CHUNKS_DIR")
        if done:
            with open(os.path.join(done, str(os.getpid())), "a", encoding="ascii") as f:
                f.write("x")
            with open(os.path.join(done, str(os.getpid())), encoding="ascii") as f:
                if len(f.read()) >= 3:
                    os._exit(9)
        return _clean_all(items)
    _CALLS.append(len(items))
    return _clean_all(items)


_clean_all = topics._clean_all


def test_a_worker_that_dies_loses_nothing(small_chunks, monkeypatch, tmp_path):
    alone = _report(1)
    monkeypatch.setattr(topics, "_clean_all", _dying)
    monkeypatch.setenv("HERALD_TEST_CHUNKS_DIR", str(tmp_path))
    _CALLS.clear()
    shared = _report(2)
    assert sum(len(p.read_text()) for p in tmp_path.iterdir()) >= 3  # workers cleaned chunks, then one died
    assert _CALLS  # the chunks after it were cleaned here
    _same(alone, shared)


def test_no_worker_on_one_processor_or_when_asked_for_one(monkeypatch, threads_alone):
    assert pool.workers(1) == 0 and pool.workers(0) == 0
    assert pool.workers(3) == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert pool.workers() == 0
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)))
    assert pool.workers() == pool.MOST


def test_no_worker_is_forked_from_a_process_running_threads():
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert pool.workers(2) == 0
    finally:
        stop.set()
        thread.join()


HOLDER = """
import os, sys, time
from scheduler.chunks import Chunks

def slow(items):
    time.sleep(120)
    return items

with Chunks(2, slow) as chunks:
    chunks.send(0, [1])
    chunks.send(1, [2])
    print(*chunks.started._processes, flush=True)
    time.sleep(120)
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            return "\\nState:\\tZ" in f.read()  # a zombie: ended, not yet reaped by whoever adopted it
    except FileNotFoundError:
        return True


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_workers_end_when_the_command_is_killed():
    """A command killed (SIGKILL, the OOM killer, timeout) left its workers waiting on their pipe
    for ever, each holding its copy of the command's memory."""
    import signal
    import subprocess
    import sys
    import time

    holder = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True,
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        pids = [int(p) for p in holder.stdout.readline().split()]
        assert len(pids) == 2 and not any(_gone(p) for p in pids)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(_gone(p) for p in pids):
        time.sleep(0.05)
    assert all(_gone(p) for p in pids), [p for p in pids if not _gone(p)]


def test_a_control_groups_cpu_quota_caps_the_workers(tmp_path):
    quota = tmp_path / "cpu.max"
    quota.write_text("100000 100000\n")
    assert pool.processors(str(quota)) == 1
    quota.write_text("150000 100000\n")
    assert pool.processors(str(quota)) == min(2, pool.processors(str(tmp_path / "none")))
    quota.write_text("max 100000\n")
    assert pool.processors(str(quota)) == pool.processors(str(tmp_path / "none"))
