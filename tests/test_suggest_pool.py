"""Requests cleaned by worker processes: the same report as in one process, and nothing lost when
a worker dies (issue 25: 100,000 tickets in 10 s)."""

from __future__ import annotations

import os
from zoneinfo import ZoneInfo

import pytest

from campaigns.suggest import pool, topics
from campaigns.suggest.readers import read_requests
from tests.conftest import ROOT

CICLO = ROOT / "tests" / "data" / "suggest" / "ciclo"


def _report(jobs):
    return topics.find_topics(read_requests(str(CICLO / "zendesk_tickets.ndjson")), ZoneInfo("Europe/Warsaw"),
                              ("pl",), jobs=jobs)


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(pool, "AFTER", 100)
    monkeypatch.setattr(pool, "CHUNK", 37)


def _same(a, b):
    assert a.rows == b.rows
    assert [(t.terms, t.count, t.examples, t.languages) for t in a.topics] == \
        [(t.terms, t.count, t.examples, t.languages) for t in b.topics]


def test_workers_clean_as_this_process_does(small_chunks, monkeypatch):
    sent = []
    real = pool.Chunks.send

    def counted(self, tag, items):
        sent.append((self.workers, self.executor is not None))
        return real(self, tag, items)

    monkeypatch.setattr(pool.Chunks, "send", counted)
    alone, shared = _report(1), _report(2)
    assert sent and all(w == 2 and live for w, live in sent)  # the workers did clean (not this process)
    _same(alone, shared)


_PARENT = os.getpid()
_CALLS: list[int] = []


def _dying(items):
    """:func:`topics._clean_all`, which kills the worker it runs in (as a kill -9 would)."""
    if os.getpid() != _PARENT:
        os._exit(9)
    _CALLS.append(len(items))
    return _clean_all(items)


_clean_all = topics._clean_all


def test_a_worker_that_dies_loses_nothing(small_chunks, monkeypatch):
    alone = _report(1)
    monkeypatch.setattr(topics, "_clean_all", _dying)
    _CALLS.clear()
    shared = _report(2)
    assert _CALLS  # the chunks were cleaned here once the workers were gone
    _same(alone, shared)


def test_no_worker_on_one_processor_or_when_asked_for_one(monkeypatch):
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
