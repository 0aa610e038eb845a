"""Waiting: APScheduler 3 (BackgroundScheduler, in-memory job store) is the timer.

One wake-up job per account, re-armed at :meth:`Engine.next_wakeup` for that account after every
run, each calling :meth:`Engine.run_due` for its account (so a slow network never delays the
others, and one account's sends never overlap), plus the supervisor's heartbeat every
``HEARTBEAT`` seconds and its re-arm of every account every ``REARM`` seconds (work other
processes made due: ``herald retry``, ``herald resume``).  ``misfire_grace_time=None``:
APScheduler never drops a late job on its own; lateness is the engine's catch-up policy, per kind.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from ..clock import Clock
from ..engine import Engine, Outcome
from ..networks.site import SitePublisher

log = logging.getLogger("herald.daemon")

HEARTBEAT = 1.0  # seconds between heartbeats
# seconds a status reload waits for the announcements it made due before it shows the site the new status
ANNOUNCE_FIRST = 1.0
REARM = 15.0  # seconds between re-arms of every account
# after start-up, the sends due go out before the publishers are shown the status: the site's first
# full write (0.4-0.8 s on a loaded machine) competed with the first second's sends (issue 24)
FIRST_SECOND = timedelta(seconds=1)
IDLE_GAP = timedelta(seconds=1)  # a wake-up that found nothing to do is not repeated sooner than this
ERROR_GAP = timedelta(seconds=5)  # after a run that failed (the ledger unreachable…)


class Timers:
    """The wake-up job of every account, and the supervisor's periodic jobs."""

    def __init__(self, engine: Engine, clock: Clock, stop_event: threading.Event):
        self.engine = engine
        self.clock = clock
        self.stop_event = stop_event
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=32)},  # threads are made as needed
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 4},
        )
        # APScheduler's shutdown(wait=True) holds its job-store lock while it waits for running jobs,
        # so a job that reached add_job (or get_job) once shutdown began would wait for it forever:
        # every touch of the jobs from a job goes through _jobs(), and close() shuts that door first.
        self._jobs_lock = threading.RLock()
        self._closing = False
        self._wake_lock = threading.Lock()
        self._busy: set[str] = set()  # accounts whose run_due is in progress
        self._again: set[str] = set()  # ... and that were woken again meanwhile

    def start(self, now: datetime, beat: Callable[[], None], tick: Callable[[], None]) -> None:
        self.engine.showing = False  # the publishers shown the status (the site written) FIRST_SECOND later
        self.scheduler.start()
        self.arm_all(now)
        self.scheduler.add_job(beat, IntervalTrigger(seconds=HEARTBEAT, timezone=UTC), id="herald:beat")
        self.scheduler.add_job(tick, IntervalTrigger(seconds=REARM, timezone=UTC), id="herald:tick")
        self.scheduler.add_job(lambda: self.engine.start_showing(self.clock.now()),
                               DateTrigger(self.clock.now() + FIRST_SECOND, timezone=UTC), name="show the status")

    def arm_all(self, now: datetime | None = None) -> None:
        for network in self.engine.publishers:
            self.arm(network, now)

    def arm(self, network: str, now: datetime | None = None, idle: bool = False) -> None:
        """Set ``network``'s wake-up job to when the engine says something next becomes due."""
        if not self.scheduler.running or self.stop_event.is_set():
            return
        now = now or self.clock.now()
        at = self.engine.next_wakeup(now, network)
        if at is None:
            return  # the heartbeat re-arms it
        if idle and at <= now:
            at = now + IDLE_GAP  # due, but the last run acted on nothing: never spin
        self._plan(network, at, name=f"publish to {network}")

    def _plan(self, network: str, at: datetime, **named: str) -> None:
        with self._jobs() as jobs:
            if jobs is not None:
                jobs.add_job(self.wake, DateTrigger(at, timezone=UTC), args=[network], id=f"wake:{network}",
                             replace_existing=True, **named)

    def forget(self, networks: Iterable[str]) -> None:
        """Drop the wake-up jobs of accounts that are gone."""
        with self._jobs() as jobs:
            for network in networks:
                job = jobs.get_job(f"wake:{network}") if jobs is not None else None
                if job is not None:
                    job.remove()

    def count(self) -> int:
        with self._jobs() as jobs:
            return len(jobs.get_jobs()) if jobs is not None else 0

    @contextmanager
    def _jobs(self) -> Iterator[BackgroundScheduler | None]:
        """The scheduler, to add, find or count jobs; None once the engine is stopping (see _jobs_lock)."""
        with self._jobs_lock:
            yield None if self._closing or not self.scheduler.running else self.scheduler

    def wake(self, network: str) -> list[Outcome]:
        """Run what is due for ``network`` (never twice at once for one account), then re-arm."""
        with self._wake_lock:
            if network in self._busy:
                self._again.add(network)
                return []
            self._busy.add(network)
        outcomes, failed = self._run(network)
        try:
            if failed and not self.stop_event.is_set():
                self._plan(network, self.clock.now() + ERROR_GAP)
            else:
                self.arm(network, idle=not outcomes)
        except Exception as exc:
            log.error("could not plan the next run for %s (%s: %s); the heartbeat will", network,
                      type(exc).__name__, exc)
        return outcomes

    def announce_first(self, added: set[str], now: datetime) -> None:
        """Send what a status change made due before anything slower (showing the site the new
        status, the site's own announcements, re-arming every account): each other account with a
        new publication due is run on its own thread at once, and waited for up to
        ``ANNOUNCE_FIRST`` seconds."""
        planned, publishers = self.engine.planned, self.engine.publishers
        due = sorted({p.network for p in (planned.get(key) for key in added) if p is not None and p.at <= now
                      and not isinstance(publishers.get(p.network), SitePublisher)})
        runs = [threading.Thread(target=self.wake, args=[network], name=f"herald-announce-{network}", daemon=True)
                for network in due]
        for run in runs:
            run.start()
        until = time.monotonic() + ANNOUNCE_FIRST
        for run in runs:
            run.join(max(0.0, until - time.monotonic()))
        while time.monotonic() < until:  # an account's run already under way (its timer's) runs once more
            with self._wake_lock:
                if not self._busy.intersection(due):
                    return
            time.sleep(0.002)

    def _run(self, network: str) -> tuple[list[Outcome], bool]:
        """Run due for ``network`` until it was not woken again meanwhile; the outcomes, and whether it failed."""
        outcomes: list[Outcome] = []
        try:
            while not self.stop_event.is_set():
                outcomes += self.engine.run_due(self.clock.now(), network)
                with self._wake_lock:
                    if network not in self._again:
                        break
                    self._again.discard(network)
        except Exception as exc:
            log.error("publishing to %s failed (%s: %s); trying again in %ds", network, type(exc).__name__, exc,
                      ERROR_GAP.total_seconds())
            return outcomes, True
        finally:
            with self._wake_lock:
                self._busy.discard(network)
                self._again.discard(network)
        return outcomes, False

    def close(self) -> threading.Thread | None:
        """Shut the door (no job touches the scheduler from here on), then shut the scheduler down
        in a thread of its own, which waits for the running jobs (the supervisor bounds that
        wait); None if it is not running."""
        with self._jobs_lock:
            self._closing = True
        if not self.scheduler.running:
            return None
        closer = threading.Thread(target=self._shutdown, name="herald-stop", daemon=True)
        closer.start()
        return closer

    def _shutdown(self) -> None:
        """Empty the job store, then shut down.  APScheduler's shutdown marks the scheduler stopped
        before it takes the job-store lock: a one-shot job its thread was starting then is looked
        for among the pending jobs to be removed, and the thread dies of JobLookupError.  Emptied
        under that lock first, no round finds a job once it is stopped (and none is added: the door
        is shut)."""
        self.scheduler.remove_all_jobs()
        self.scheduler.shutdown(wait=True)
