"""An engine process for tests/test_share.py: kept apart from the test module so each process starts
quickly (it imports the engine and the ledger, not pytest's fixtures)."""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
BATCH_GAP = timedelta(minutes=5)


def posts_text(first: datetime, batches: int, per_batch: int) -> str:
    """``batches`` batches of ``per_batch`` announcements on the ``site`` account, due at once
    per batch, BATCH_GAP apart (the calendar's posts section, for tests.conftest.calendar_text)."""
    lines = []
    for b in range(batches):
        at = (first + b * BATCH_GAP).strftime("%Y-%m-%dT%H:%M")
        for i in range(per_batch):
            lines += [f"- id: b{b}-p{i}", "  kind: announcement", "  networks: [site]", f"  at: {at}",
                      f'  text: "Announcement {i} of batch {b}"']
    return "\n".join(lines) + "\n"


def engine_process(url: str, everyone: Any, survivors: Any, index: int, results: Any) -> None:
    """Engine ``index`` with its own lock session: sends its share of the first batch; then engine 2
    dies (its process exits without closing anything) and the others, once its lock session is
    gone, share the second batch among themselves.  Puts (index, batch, keys sent, keys found taken)."""
    try:
        from campaigns.calendar import loads
        from scheduler.engine import Engine, Result
        from scheduler.ledger import Ledger
        from scheduler.ledger.cluster import Cluster
        from scheduler.ledger.share import Share
        from scheduler.networks.memory import MemoryPublisher
        from tests.conftest import calendar_text

        me = f"node{index}:{os.getpid()}:abcdef"
        everyone.wait(60)
        ledger = Ledger(url)
        cluster = Cluster(ledger.db, me)
        cluster.hold()
        ledger.beat(me, T0 - timedelta(minutes=1), {}, started=True)
        site = MemoryPublisher("site", "site")
        engine = Engine(loads(calendar_text(posts_text(T0, 2, 30), tz="UTC")), ledger, {"site": site}, owner=me,
                        rng=random.Random(index))
        engine.replan(T0 - timedelta(minutes=1))
        everyone.wait(60)  # all three hold their lock sessions
        running = [e["id"] for e in ledger.engines()]
        for batch, now in ((1, T0), (2, T0 + BATCH_GAP)):
            engine.share = Share.among(me, cluster.live(running))
            before = len(site.sent)
            taken = sum(o.result == Result.TAKEN for o in engine.run_due(now))
            results.put((index, batch, {post.key for post, _ref in site.sent[before:]}, taken))
            if batch == 1:
                everyone.wait(60)  # the first batch is done everywhere
                if index == 2:
                    results.close()
                    results.join_thread()  # what it put is out of the process
                    os._exit(9)  # no goodbye: the system closes its sockets, PostgreSQL ends its session
                _until_gone(cluster, running, len(running) - 1)
                survivors.wait(60)  # both see the same live engines before acting
        cluster.close()
        ledger.close()
    except Exception as exc:  # reported to the test, which shows it
        results.put(f"{index}: {type(exc).__name__}: {exc}")


def _until_gone(cluster: Any, running: list[str], count: int) -> None:
    """Wait (at most 30 s) until only ``count`` of ``running`` hold their lock session: another
    process's death, seen the way the heartbeat sees it."""
    deadline = time.monotonic() + 30
    while len(cluster.live(running)) > count and time.monotonic() < deadline:
        time.sleep(0.05)  # waiting on another process's exit, not on the engine's time
