"""Engines on one PostgreSQL ledger share the new publications instead of racing for them
(scheduler/ledger/share.py): disjoint shares while all are alive, a dead engine's share taken at the
next heartbeat, a late key taken by anyone, and never a key sent twice."""

from __future__ import annotations

import multiprocessing
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from campaigns.calendar import loads
from scheduler.daemon.peers import Peers
from scheduler.daemon.timers import HEARTBEAT
from scheduler.engine import Engine, Result
from scheduler.ledger import Ledger
from scheduler.ledger.share import LATE, Share
from scheduler.networks.memory import MemoryPublisher
from tests.conftest import calendar_text
from tests.share_worker import posts_text

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
BEAT = timedelta(seconds=HEARTBEAT)


@pytest.fixture
def pg_url() -> str:
    from tests.conftest import _fresh_postgres_url

    return _fresh_postgres_url()


# -- the share itself ------------------------------------------------------------------------------
KEYS = [f"{i:064x}" for i in range(3000)]


def _shares(engines: set[str]) -> dict[str, set[str]]:
    """The keys each engine acts on at their time, from each engine's own view of the same live list."""
    return {e: {k for k in KEYS if Share.among(e, engines).mine(k, T0, T0)} for e in engines}


def test_live_engines_get_disjoint_shares_that_cover_every_key_and_a_leaver_moves_only_its_own():
    three = _shares({"a:1:x", "b:2:y", "c:3:z"})
    assert set().union(*three.values()) == set(KEYS)
    assert sum(len(s) for s in three.values()) == len(KEYS)  # disjoint: every key in exactly one share
    assert all(len(s) > len(KEYS) / 5 for s in three.values())  # and none starved (a third each, about)
    two = _shares({"a:1:x", "b:2:y"})  # c died
    assert three["a:1:x"] <= two["a:1:x"] and three["b:2:y"] <= two["b:2:y"]  # the survivors keep theirs...
    assert two["a:1:x"] | two["b:2:y"] == set(KEYS) and not two["a:1:x"] & two["b:2:y"]  # ...and split c's
    assert _shares({"a:1:x"}) == {"a:1:x": set(KEYS)}  # alone: everything


def test_a_key_of_another_engine_is_acted_on_once_it_is_late_and_a_status_key_at_once():
    share = Share.among("a", {"b"})
    theirs = next(k for k in KEYS if share.owner(k) == "b")
    assert not share.mine(theirs, T0, T0 + LATE - timedelta(microseconds=1))
    assert share.mine(theirs, T0, T0 + LATE) and share.acts_at(theirs, T0) == T0 + LATE
    assert share.mine(theirs, T0, T0, anyone=True)  # status announcements: every engine tries at once
    assert Share("a").mine(theirs, T0, T0)  # the engine's share before any heartbeat: alone
    # A backlog found when the share began (engines starting after an outage): each engine's own
    # first, the others' LATE after the share began, not at once because they are long overdue.
    began = T0 + timedelta(hours=2)
    assert Share.among("a", {"b"}, since=began).acts_at(theirs, T0) == began + LATE
    assert Share.among("a", {"b"}, since=began) == share  # the same engines: the same share


def test_another_engine_helps_within_half_a_short_catch_up_window():
    """Found by the cold review: with ``catch_up: {reminder: 2s}`` a post whose owner died
    unnoticed was taken LATE (3 s) after its time by another engine, and so skipped as too late."""
    share = Share.among("a", {"b"})
    theirs = next(k for k in KEYS if share.owner(k) == "b")
    assert share.acts_at(theirs, T0, grace=timedelta(seconds=2)) == T0 + timedelta(seconds=1)
    assert share.acts_at(theirs, T0, grace=timedelta(minutes=30)) == T0 + LATE  # a usual window: LATE


# -- engines with their heartbeat on one PostgreSQL ledger, on an injected clock ---------------------
@dataclass
class _Stamp:
    path: str = "content_calendar.yaml"
    hash: str = "c0ffee"
    mtime: float = 1.0


class _Node:
    """An engine of its own machine: its ledger connections, lock session and heartbeat (Peers)."""

    def __init__(self, url: str, name: str, calendar_text_: str):
        self.ledger = Ledger(url)
        self.site = MemoryPublisher("site", "site")
        self.id = f"{name}:1:abcdef"
        self.engine = Engine(loads(calendar_text_), self.ledger, {"site": self.site}, owner=self.id,
                             rng=random.Random(1))
        self.woken: list[str] = []
        self.peers = Peers(self.ledger, self.engine, self.id, _Stamp(), jobs=lambda: 1,  # type: ignore[arg-type]
                           arm=lambda network, now: self.woken.append(network))

    def sent(self) -> set[str]:
        return {post.key for post, _ref in self.site.sent}

    def die(self) -> None:
        """What a SIGKILL does to it on the database's side: its sessions end (and it acts no more)."""
        self.peers.cluster.close()
        self.ledger.close()


@pytest.fixture
def nodes(pg_url):
    made: list[_Node] = []

    def make(count: int, batches: int) -> list[_Node]:
        text = calendar_text(posts_text(T0, batches=batches, per_batch=30), tz="UTC")
        made.extend(_Node(pg_url, name, text) for name in ("alpha", "bravo", "charlie")[:count])
        for node in made:
            node.engine.replan(T0 - timedelta(minutes=1))
            node.peers.join(T0 - timedelta(minutes=1))
        for node in made:  # the first heartbeat after all joined: each sees the others
            node.peers.pulse(T0 - timedelta(seconds=30))
            assert len(node.engine.share.engines) == count
            node.woken.clear()
        return made

    yield make
    for node in made:
        node.peers.cluster.close()
        node.ledger.close()


def _act(nodes: list[_Node], now: datetime) -> dict[str, list[Result]]:
    return {n.id: [o.result for o in n.engine.run_due(now)] for n in nodes}


def test_three_engines_alive_send_disjoint_shares_without_racing(nodes):
    group = nodes(3, batches=1)
    results = _act(group, T0)
    assert all(r and set(r) == {Result.SENT} for r in results.values()), results  # nobody found a key taken
    shares = [n.sent() for n in group]
    assert sum(len(s) for s in shares) == len(set().union(*shares)) == 30  # disjoint, and all of them
    assert group[0].ledger.counts() == {"sent": 30}


def test_a_dead_engines_share_is_taken_at_the_next_heartbeat_and_never_sent_twice(nodes):
    alpha, bravo, charlie = nodes(3, batches=1)
    charlie.die()  # before its batch was due
    late = T0 + BEAT  # the survivors' next heartbeat, well before LATE
    assert BEAT < LATE
    _act([alpha, bravo], T0)
    assert alpha.ledger.counts()["sent"] < 30  # charlie's share is still waiting...
    for node in (alpha, bravo):
        node.peers.pulse(late)
        assert node.engine.share.engines == {alpha.id, bravo.id} and node.woken == ["site"]  # ...until this beat
        assert node.engine.next_wakeup(late, "site") == late
    _act([alpha, bravo], late)
    assert alpha.ledger.counts() == {"sent": 30}
    assert not alpha.sent() & bravo.sent() and len(alpha.sent() | bravo.sent()) == 30  # none twice


def test_a_late_key_is_taken_by_any_engine(nodes):
    alpha, bravo = nodes(2, batches=1)
    _act([alpha], T0)  # bravo is alive (its lock session holds) but does nothing: stuck, or slow
    mine = alpha.sent()
    assert 0 < len(mine) < 30
    assert alpha.engine.next_wakeup(T0, "site") == T0 + LATE  # it wakes for bravo's keys once they are late
    assert _act([alpha], T0 + LATE - timedelta(milliseconds=1))[alpha.id] == []
    assert set(_act([alpha], T0 + LATE)[alpha.id]) == {Result.SENT}
    assert len(alpha.sent()) == 30 and alpha.ledger.counts() == {"sent": 30}
    assert set(_act([bravo], T0 + LATE)[bravo.id]) <= {Result.TAKEN} and bravo.sent() == set()  # nothing twice


def test_on_sqlite_every_engine_tries_every_key_as_before(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    text = calendar_text(posts_text(T0, batches=1, per_batch=10), tz="UTC")
    group = [_Node(url, name, text) for name in ("alpha", "bravo")]
    try:
        for node in group:
            node.engine.replan(T0 - timedelta(minutes=1))
            node.peers.join(T0 - timedelta(minutes=1))
            node.peers.pulse(T0 - timedelta(seconds=30))
            assert not node.engine.share.shared
        _act(group, T0)
        assert len(group[0].sent()) == 10 and group[1].sent() == set()  # the first took all; none twice
    finally:
        for node in group:
            node.ledger.close()


# -- real processes ---------------------------------------------------------------------------------
def test_engine_processes_share_the_keys_and_survivors_take_a_killed_ones(pg_url):
    """Three processes, each an engine with its own lock session: the first batch is split among
    them with no key raced for; then one dies (os._exit: its sockets closed by the system, as a
    SIGKILL does) and the two survivors send the whole second batch, its share included."""
    from tests.share_worker import engine_process

    context = multiprocessing.get_context("spawn")
    everyone, survivors, results = context.Barrier(3), context.Barrier(2), context.Queue()
    processes = [context.Process(target=engine_process, args=(pg_url, everyone, survivors, i, results))
                 for i in range(3)]
    for process in processes:
        process.start()
    got = [results.get(timeout=120) for _ in range(5)]  # 3 first batches, 2 second batches
    for process in processes:
        process.join(60)
    assert not [g for g in got if isinstance(g, str)], got  # no process failed
    assert [taken for *_, taken in got] == [0] * 5, got  # no engine tried a key another one held
    sent = {batch: [keys for _i, b, keys, _taken in got if b == batch] for batch in (1, 2)}
    assert len(sent[1]) == 3 and all(sent[1]) and len(sent[2]) == 2 and processes[2].exitcode == 9
    for shares in sent.values():  # each batch split among the live engines: disjoint, and all of it
        assert sum(len(keys) for keys in shares) == len(set().union(*shares)) == 30
    ledger = Ledger(pg_url)
    try:
        assert ledger.counts() == {"sent": 60}
    finally:
        ledger.close()


def test_an_engine_asks_again_about_the_late_keys_of_a_live_engine_before_it_sends_them(nodes):
    """Late keys go after the engine's own, and the ledger is asked about them again first: while
    this engine sent its own, their owner was sending them (one engine of four, slow on a busy
    machine, had its keys tried by the three others, each a claim refused by the ledger)."""
    alpha, bravo = nodes(2, batches=1)
    helped: list[int] = []

    def bravo_sends_meanwhile(post, attempt):  # alpha's first send: bravo, slow, sends its share now
        if not helped:
            helped.append(len(_act([bravo], T0)[bravo.id]))  # (its clock behind: alpha's keys not late for it)

    alpha.site.fail = bravo_sends_meanwhile
    results = _act([alpha], T0 + LATE)[alpha.id]  # bravo's keys are late for alpha by now
    assert helped and helped[0] > 0
    assert Result.TAKEN not in results and set(results) == {Result.SENT}  # none tried that bravo had sent
    assert not alpha.sent() & bravo.sent() and len(alpha.sent() | bravo.sent()) == 30
    assert alpha.ledger.counts() == {"sent": 30}
