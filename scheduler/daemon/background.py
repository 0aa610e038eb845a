"""Background duties: the status feeds, polled each in its own worker thread (one per feed at most,
never on the heartbeat), by the engine holding the ``feeds`` duty only (every engine, on SQLite);
cancellable: the stop sets their cancel event and waits at most ``FEED_STOP`` for them.

(The alert intake's ``for:`` timer is the web app's: :mod:`scheduler.web.intake`, started with the
app that :mod:`.hosting` serves.)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from status.model import Feed, Status

from .. import metrics
from ..clock import Clock
from ..engine import Engine
from ..feeds import FeedReader, with_feeds
from ..ledger.cluster import Cluster

log = logging.getLogger("herald.daemon")

FEED_STOP = 1.0  # seconds to wait for feed workers at shutdown (they are cancelled, and daemon threads)


class FeedPolling:
    """The feeds' workers, and the status file with what the feeds said added to it."""

    def __init__(self, reader: FeedReader, engine: Engine, clock: Clock, file_status: Status, cluster: Cluster,
                 reload_lock: threading.Lock, rearm: Callable[[datetime], None]):
        self.reader = reader
        self.engine = engine
        self.clock = clock
        self.file_status = file_status  # the status file as last read (the watcher sets it); feeds add to it
        self.cluster = cluster  # whether this engine holds the feeds duty
        self.reload_lock = reload_lock  # one reload (or feed change) at a time
        self.rearm = rearm
        self._cancel = threading.Event()
        self._workers: dict[str, threading.Thread] = {}

    def merged(self, status: Status) -> Status:
        """``status`` with the incidents the feeds reported."""
        return with_feeds(status, self.reader)

    def poll(self, now: datetime) -> None:
        """Start a worker for every feed that is due and not being read already (if this engine
        holds the ``feeds`` duty: one engine of a cluster reads them)."""
        if "feeds" not in self.cluster.duties:
            return
        for feed in self.file_status.feeds:
            worker = self._workers.get(feed.id)
            if (worker is not None and worker.is_alive()) or self._cancel.is_set() or not self.reader.due(feed, now):
                continue
            worker = threading.Thread(target=self._poll, args=(feed, now), name=f"herald-feed-{feed.id}", daemon=True)
            self._workers[feed.id] = worker
            worker.start()

    def _poll(self, feed: Feed, now: datetime) -> None:
        try:
            changed = self.reader.poll(feed, now, cancel=self._cancel)
            if not changed or self._cancel.is_set():
                return
            with self.reload_lock:
                now = self.clock.now()
                added, _gone = self.engine.swap(now, status=self.merged(self.file_status))
            log.info("status feed %s changed: %d announcement(s) added", feed.id, len(added))
            self.rearm(now)
        except Exception as exc:
            if not self._cancel.is_set():
                log.error("status feed %s: %s: %s; keeping what it said before", feed.id, type(exc).__name__, exc)
                metrics.feed_poll_error(feed.id)

    def cancel(self) -> None:
        self._cancel.set()

    def join(self, timeout: float) -> None:
        """Wait ``timeout`` seconds at most, for all the workers together (cancelled daemon threads:
        one still running never holds up the exit)."""
        until = time.monotonic() + timeout
        for worker in list(self._workers.values()):
            worker.join(max(0.0, until - time.monotonic()))

    def close(self) -> None:
        self.reader.close()
