"""``herald run``: the long-running process, one supervisor (:class:`Daemon`) over five parts, each
started and stopped by it; :mod:`scheduler.engine` decides what is due and acts on it.

- waiting (:mod:`.timers`): an APScheduler wake-up job per account at :meth:`Engine.next_wakeup`,
  each calling :meth:`Engine.run_due` for its account; the heartbeat and the re-arm of every account;
- watching files (:mod:`.watch`, :mod:`.settle`): the calendar and the status file loaded at the
  start, and every save read once it has settled and swapped into the engine (or refused, the
  last good version running on); the running calendar's hash and text recorded in the ledger;
- peers and takeover (:mod:`.peers`, on :mod:`scheduler.ledger.cluster`): the heartbeat, the lock
  session and its duties, the claims of dead engines taken over, a word when another live engine
  runs a newer calendar, or when a second engine shares an SQLite ledger;
- background duties (:mod:`.background`): the status feeds, polled in their own workers;
- hosting the web app (:mod:`.hosting`): the status site (and its alert intake) when the calendar's
  ``engine.serve`` asks for it, or ``herald run --serve HOST:PORT`` (which wins).

Signals (:mod:`.signals`): SIGTERM/SIGINT only set an event; the main thread then stops the engine
(:meth:`Engine.stop`: no new send starts, however long a catch-up backlog is, and "stopping" is
logged only after that, naming the sends in flight), stops the watcher, cancels the feeds, lets the
sends in flight finish (``STOP_GRACE`` for all of them together) and records them, gives back claims
it still holds and records that it stopped, all within ``STOP_BUDGET`` (4 s).  What was not sent
stays due for the next start.  A send still running after the grace (a site render on a loaded
machine, a network past its deadline) keeps its claim (the next start reconciles it, as after a
crash); a site write still running is left unfinished (the next start writes it); the process exits
without waiting for either.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from status.load import check as check_status
from status.model import Status

from .. import metrics
from ..clock import Clock, SystemClock
from ..engine import REPLAN, Engine, Outcome
from ..feeds import FeedReader
from ..ledger import Ledger
from ..loading import check  # in a forked child, compact and frozen (issue 24)
from ..networks import build_publishers
from ..networks.base import Publisher
from ..subscribers.dispatch import SubscriberDuty
from .background import FEED_STOP, FeedPolling
from .hosting import SiteHost
from .peers import DEAD_AFTER, Peers, engine_id
from .report import rate_limited, summary
from .settle import Settling, _FileChanged, read_settled
from .signals import stop_on_signals, stop_requested, wait_for_stop
from .stopping import close_publishers, wait_for_sends
from .timers import HEARTBEAT, Timers
from .watch import Watcher, first_load

log = logging.getLogger("herald.daemon")

# A stop (SIGTERM) takes STOP_BUDGET seconds at most, whatever the backlog, so that the process is gone
# within 5 s: of that, the sends in flight get STOP_GRACE in all (one budget shared by every send, not
# one per send) to finish and be recorded.  A send still running then is abandoned as a SIGKILL would
# leave it: its claim stays, and the next start reconciles it before any re-send.  APScheduler's
# shutdown, the feed workers, the site writers (a full write pending: written again at the next
# start) and the status server get what is left of STOP_BUDGET; the process then exits without
# waiting for any thread still running (``unfinished``).
STOP_BUDGET = 4.0
STOP_GRACE = 3.0
SENDS_PER_ACCOUNT = 3  # publications of one account due at once that are sent at once
# at most this many of an account's late publications (a catch-up) per run: a post due now goes
# between two such rounds, not after the whole backlog (Engine.backlog)
BACKLOG_ROUND = 2 * SENDS_PER_ACCOUNT

# check and check_status: the loaders Watcher.load_calendar and load_status look up here at each load
__all__ = ["DEAD_AFTER", "HEARTBEAT", "REPLAN", "Daemon", "Settling", "_FileChanged", "check", "check_status",
           "engine_id", "read_settled", "stop_on_signals", "stop_requested", "wait_for_stop"]


class Daemon:
    """Starts the parts, waits for a stop, stops them within STOP_BUDGET (see there)."""

    def __init__(self, calendar_path: str, ledger: Ledger | Callable[[], Ledger], *, status_path: str | None = None,
                 clock: Clock | None = None, publishers: Mapping[str, Publisher] | None = None,
                 env: Mapping[str, str] | None = None, watch: bool = True,
                 stop_event: threading.Event | None = None, feeds: FeedReader | None = None,
                 settling: Settling | None = None, serve: str | None = None):
        self.calendar_path = calendar_path
        self.status_path = status_path
        self.clock = clock or SystemClock()
        self.id = engine_id()
        self.stop_event = stop_event or threading.Event()
        self.abandoned: list[str] = []  # keys of sends still running when the stop gave up on them
        self.unfinished = False  # a stop that gave up on a thread (a send, a job, a site write): exit without it
        first = first_load(calendar_path, status_path, ledger)
        self.ledger = first.ledger
        # publishers given (tests, simulations) are used instead of building those
        build = partial(build_publishers, clock=self.clock, env=env, overrides=dict(publishers or {}))
        self.engine = Engine(first.calendar, self.ledger, build(first.calendar), self.id, on_outcome=self._after,
                             status=first.status, parallel=SENDS_PER_ACCOUNT, backlog=BACKLOG_ROUND)
        self.timers = Timers(self.engine, self.clock, self.stop_event)
        self.peers = Peers(self.ledger, self.engine, self.id, first.stamp, jobs=self.timers.count, arm=self.timers.arm)
        reloading = threading.Lock()  # one reload (or feed change) at a time
        self.feeds = FeedPolling(feeds or FeedReader(), self.engine, self.clock, first.status, self.peers.cluster,
                                 reloading, rearm=self.timers.arm_all)
        self.watcher = Watcher(self.engine, first.stamp, status_path, owner=self, feeds=self.feeds, timers=self.timers,
                               build=build, clock=self.clock, settling=settling or Settling(),
                               stop_event=self.stop_event, reload_lock=reloading, watch=watch)
        self.web = SiteHost(calendar_path, status_path or "", self.ledger.url, self.clock, serve=serve)
        self.subscribers = SubscriberDuty(lambda: self.engine.calendar, lambda: self.engine.status, self.ledger.db,
                                          self.clock, self.id, self.stop_event, env=env,
                                          base_dir=os.path.dirname(os.path.abspath(calendar_path)))
        self.scheduler = self.timers.scheduler
        self.wake, self.arm, self.arm_all = self.timers.wake, self.timers.arm, self.timers.arm_all
        self.poll_feeds = self.feeds.poll

    @property
    def file_status(self) -> Status:
        return self.feeds.file_status

    @property
    def calendar_hash(self) -> str:
        return self.watcher.stamp.hash

    @property
    def server(self) -> Any:
        return self.web.server

    @property
    def _server_thread(self) -> threading.Thread | None:
        return self.web.thread

    def start(self) -> None:
        now = self.clock.now()
        self.peers.join(now)
        self.timers.start(now, beat=self.pulse, tick=self.tick)
        self.feeds.poll(now)  # in their own workers: a slow provider never delays start-up
        self.watcher.start()
        self.subscribers.start()
        self.web.start(self.engine.calendar.engine.serve)
        summary(self.engine, self.ledger, self.id, self.calendar_path, self.status_path, now)

    def run_forever(self) -> None:
        """Start, then wait for SIGTERM/SIGINT (or :meth:`stop`), then shut down cleanly."""
        with stop_on_signals(self.stop_event):
            try:
                if not stop_requested(self.stop_event):
                    self.start()
                    wait_for_stop(self.stop_event)
                self._stopping()
            finally:
                self.shutdown()
        if self.abandoned or self.unfinished:  # their threads would hold the interpreter's exit until they end
            for handler in logging.getLogger().handlers:
                handler.flush()
            os._exit(0)

    def _stopping(self) -> None:
        """Close the engine's gate, then say so: no send starts after this line (those it names
        were already on the wire)."""
        flying = self.engine.stop()
        finishing = f"finishing {len(flying)} in flight ({', '.join(f'{p.post} on {p.network}' for p in flying)})"
        log.info("stopping: no new sends; %s", finishing if flying else "none in flight")

    def stop(self) -> None:
        self.stop_event.set()

    def shutdown(self) -> None:
        """Stop within STOP_BUDGET seconds (see there), whatever is still running."""
        began = time.monotonic()
        deadline = began + STOP_BUDGET

        def left(at_most: float = STOP_BUDGET) -> float:
            return max(0.0, min(at_most, deadline - time.monotonic()))

        self.stop_event.set()
        self.engine.stop()  # idempotent (run_forever did it already): nothing new is sent from here on
        self.watcher.stop()
        self.feeds.cancel()
        self.web.ask_to_exit()
        stuck = self._stop_jobs(began + min(STOP_GRACE, STOP_BUDGET), left)
        self.feeds.join(left(FEED_STOP))
        self.subscribers.join(left(FEED_STOP))
        # never a claim whose send may still land (one that started after the wait, too)
        mine = self.peers.leave(self.clock.now(), keep=stuck | {p.key for p in self.engine.in_flight()})
        if close_publishers(self.engine, left):
            self.unfinished = True
        self.feeds.close()
        self.web.join(left(FEED_STOP))
        log.info("stopped%s", f" (gave back {len(mine)} claim(s))" if mine else "")

    def _stop_jobs(self, grace_until: float, left: Callable[[float], float]) -> set[str]:
        """Shut the timers down: running sends finish and are recorded until ``grace_until`` at most;
        the keys of those still running then (left claimed)."""
        closer = self.timers.close()
        self.abandoned = sorted(p.key for p in wait_for_sends(self.engine, closer, grace_until))
        if closer is not None:
            closer.join(left(0.2))  # the jobs that were no send (a ledger read, a re-arm)
            if closer.is_alive():
                self.unfinished = True
        return set(self.abandoned)

    # -- the parts' entry points ---------------------------------------------------------
    def pulse(self) -> None:
        """The heartbeat (:meth:`Peers.pulse`), then the feeds that are due."""
        if self.stop_event.is_set():
            return  # stopping: the last beat is the shutdown's, "stopped"
        now = self.clock.now()
        if self.peers.pulse(now):
            self.feeds.poll(now)

    def tick(self) -> None:
        """Heartbeat, then re-arm every account (work other processes made due)."""
        self.pulse()
        try:
            self.timers.arm_all(self.clock.now())
        except Exception as exc:
            log.error("re-arming failed (%s: %s); still running", type(exc).__name__, exc)

    def _after(self, outcome: Outcome) -> None:
        if rate_limited(outcome):
            metrics.rate_limit_wait(outcome.network)
        self.peers.fired(self.clock.now())

    def reload(self) -> bool:
        return self.watcher.reload_calendar()

    def reload_status(self, quiet: float | None = None) -> bool:
        return self.watcher.reload_status(quiet)
