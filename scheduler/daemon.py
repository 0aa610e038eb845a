"""``herald run``: the long-running process. It only waits, watches files and handles signals;
:mod:`scheduler.engine` decides what is due and acts on it.

- APScheduler 3 (BackgroundScheduler, in-memory job store) is the timer: one wake-up job per
  account, re-armed at :meth:`Engine.next_wakeup` for that account after every run, each calling
  :meth:`Engine.run_due` for its account (so a slow network never delays the others, and one
  account's sends never overlap), plus a heartbeat every ``HEARTBEAT`` seconds (:meth:`Daemon.pulse`)
  and a re-arm of every account every ``REARM`` seconds (work other processes made due: ``herald
  retry``, ``herald resume``).
- The heartbeat records liveness in the ledger (what ``herald health`` and ``herald engines``
  read), keeps the engine's lock session (:mod:`scheduler.ledger.cluster`: its liveness lock and
  its duties, on PostgreSQL), declares dead the peers whose heartbeat stopped ``DEAD_AFTER`` ago
  and whose lock session is gone, and wakes the accounts where they held claims: a standby takes
  them over (reconciling first: they may have been on the wire) within seconds, not when the
  2-minute lease ends.  After its own ledger connection came back (a restarted PostgreSQL), an
  engine waits ``DEAD_AFTER`` before judging peers: they need the same time to beat again.  It
  also says when this engine's calendar differs from the newest one among live engines.
- The status feeds are polled by the engine holding the ``feeds`` duty only (every engine, on SQLite).
- ``misfire_grace_time=None``: APScheduler never drops
  a late job on its own; lateness is the engine's catch-up policy, per kind.
- Status feeds are polled each in its own worker thread (one per feed at most, never on the
  heartbeat), cancellable: shutdown sets their cancel event and waits at most ``FEED_STOP``.
- watchdog reports saves of the calendar and the status file (and only of those: other files in
  the folder are ignored at the handler, and watchdog's own DEBUG logger is quieted, so a log
  file next to the calendar cannot feed on itself).  A save is read once it has *settled*: the
  writer closed the file (where the platform says so), two reads ``quiet`` apart agree and the
  text parses; an empty or unparsable read is read again before anything counts as removed (a
  status save closed: ``complete`` apart; renamed into place, which is atomic: one read at once).
  A valid file is swapped into the engine (:meth:`Engine.swap`); a status save runs the accounts
  it gave an announcement due before the site is shown it (``_announce_first``); an invalid one is reported with
  its ``file:line:col`` problems, any other failure in one line, and the last good version keeps
  running.
- SIGTERM/SIGINT only set an event (the handlers do nothing else); the main thread then stops
  the engine (:meth:`Engine.stop`: no new send starts, however long a catch-up backlog is, and
  "stopping" is logged only after that, naming the sends in flight), stops the watcher, cancels
  the feeds, lets the sends in flight finish (``STOP_GRACE`` for all of them together) and records
  them, gives back claims it still holds and records that it stopped, all within ``STOP_BUDGET``
  (4 s).  What was not sent stays due for the next start.  A send still running after the grace (a
  site render on a loaded machine, a network past its deadline) keeps its claim (the next start
  reconciles it, as after a crash); a site write still running is left unfinished (the next
  start writes it); the process exits without waiting for either.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from watchdog.events import (
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from campaigns.calendar import check
from campaigns.errors import CalendarError, StatusFileError
from campaigns.model import Calendar
from campaigns.plan import Publication, plan
from status.load import check as check_status
from status.load import parses as status_parses
from status.model import Feed, Status

from .clock import Clock, SystemClock
from .engine import REPLAN, Engine, Outcome
from .feeds import FeedReader, with_feeds
from .files import read_bytes
from .ledger import Ledger
from .ledger.cluster import Cluster
from .ledger.registry import newest_calendar
from .logformat import set_zone
from .networks import build_publishers, close_unused
from .networks.base import Publisher
from .networks.site import SitePublisher
from .web import metrics

log = logging.getLogger("herald.daemon")

HEARTBEAT = 1.0  # seconds between heartbeats
DEAD_AFTER = timedelta(seconds=4)  # a peer whose heartbeat is this old, and whose lock session is gone, is dead
REARM = 15.0  # seconds between re-arms of every account
FEED_STOP = 1.0  # seconds to wait for feed workers at shutdown (they are cancelled, and daemon threads)
# A stop (SIGTERM) takes STOP_BUDGET seconds at most, whatever the backlog, so that the process is gone
# within 5 s: of that, the sends in flight get STOP_GRACE in all (one budget shared by every send, not
# one per send) to finish and be recorded.  A send still running then is abandoned as a SIGKILL would
# leave it: its claim stays, and the next start reconciles it before any re-send.  APScheduler's
# shutdown, the feed workers, the site writers (a full write pending: written again at the next
# start) and the status server get what is left of STOP_BUDGET; the process then exits without
# waiting for any thread still running (``unfinished``).
STOP_BUDGET = 4.0
STOP_GRACE = 3.0
# Within STOP_GRACE, a send is not waited for longer than its network's HTTP deadline (its ``timeout``)
# and RECORD_TIME more; a local one (the site channel: a render, nothing on the wire) RECORD_TIME.
RECORD_TIME = 1.0
# seconds a status reload waits for the announcements it made due before it shows the site the new status
ANNOUNCE_FIRST = 1.0
SENDS_PER_ACCOUNT = 3  # publications of one account due at once that are sent at once
IDLE_GAP = timedelta(seconds=1)  # a wake-up that found nothing to do is not repeated sooner than this
ERROR_GAP = timedelta(seconds=5)  # after a run that failed (the ledger unreachable…)
WATCHED_EVENTS = [FileModifiedEvent, FileClosedEvent, FileCreatedEvent, FileMovedEvent]

__all__ = ["DEAD_AFTER", "HEARTBEAT", "REPLAN", "Daemon", "Settling", "engine_id", "read_settled", "stop_on_signals",
           "stop_requested", "wait_for_stop"]


# Signals received, by id() of the stop event they are for.  A dict item assignment takes no
# Python lock, unlike Event.set(): a handler runs between two bytecodes of the main thread, and if
# that thread held the event's lock (entering or leaving Event.wait), set() would deadlock on it.
_signalled: dict[int, int] = {}
POLL = 0.25  # seconds: how often the main thread looks for a signal (one that another thread received too)


@contextmanager
def stop_on_signals(event: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT only record that they came (huey's rule: the main loop acts, here
    :func:`wait_for_stop`, which then sets ``event``)."""
    def handler(signum: int, frame: Any) -> None:
        _signalled[id(event)] = signum

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def stop_requested(event: threading.Event) -> bool:
    """True once ``event`` is set or a signal for it came (see :func:`stop_on_signals`)."""
    if id(event) in _signalled:
        event.set()
    return event.is_set()


def wait_for_stop(event: threading.Event, poll: float = POLL) -> None:
    """Wait until :meth:`Daemon.stop` or a signal: with a timeout, so that a signal the kernel gave
    to another thread (which cannot interrupt this wait) is seen within ``poll`` seconds."""
    while not stop_requested(event):
        event.wait(poll)
    _signalled.pop(id(event), None)


def engine_host() -> str:
    """The machine's name as engines record it: ``HERALD_HOST`` if set (containers that all have one
    host name; bench/bench_ha.py, whose engines play separate machines), else the host name."""
    return os.environ.get("HERALD_HOST") or socket.gethostname()


def engine_id() -> str:
    return f"{engine_host()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


# -- settled reads -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Settling:
    quiet: float = 0.1  # seconds: two reads this far apart must agree
    # ... of a status save the writer closed (complete, unless the writer saves again at once; a save
    # renamed into place is complete for certain: read once, at once): the status reaction is what
    # customers wait for (issue 24)
    complete: float = 0.02
    burst: float = 0.02  # seconds to let a burst of events for one complete save pass before reading
    patience: float = 2.0  # seconds an empty, unparsable or changing file is read again before it counts
    writing: float = 3.0  # seconds to wait for a writer that has the file open (no close event yet)
    unfinished: float = 5.0  # seconds a text that does not end with a line break is waited on


def yaml_parses(data: bytes) -> bool:
    try:
        YAML(typ="safe").load(data)
    except (YAMLError, ValueError):
        return False
    return True


def read_settled(read: Callable[[], bytes], wait: Callable[[float], bool], monotonic: Callable[[], float],
                 parses: Callable[[bytes], bool] = yaml_parses, settling: Settling = Settling()) -> bytes | None:
    """The file's content once it has settled: two reads ``settling.quiet`` apart agree, it
    parses and it ends with a line break.  An empty, unparsable or still changing content is
    read again for up to ``settling.patience`` seconds, then returned as it is (the loader
    reports what is wrong).  Text that parses but stops mid-line is what a save written in
    two steps looks like half-way (the first half of a message is valid YAML): it is waited on
    for up to ``settling.unfinished`` seconds, since every editor ends a file with a line
    break; a file that really has none is adopted then.

    ``wait(seconds)`` waits and returns True to give up (shutdown): then None is returned.
    Everything is injected, so the tests run it without real time."""
    began = monotonic()
    data = read()
    while True:
        if wait(settling.quiet):
            return None
        again = read()
        settled = again == data
        data = again
        elapsed = monotonic() - began
        whole = not data.strip() or data.endswith((b"\n", b"\r")) or elapsed >= settling.unfinished
        if settled and whole and data.strip() and parses(data):
            return data
        if whole and elapsed >= settling.patience:
            return data


class _FileChanged(FileSystemEventHandler):
    """Reports saves of the watched files only: ``changed(path, closed)`` where ``closed`` says the
    writer closed it (or renamed it into place), so it is complete.  Every other file in the folder
    costs one set lookup and nothing else."""

    def __init__(self, paths: set[str], changed: Callable[[str, bool], None],
                 renamed: Callable[[str], None] | None = None):
        self.paths = {os.path.abspath(p) for p in paths}
        self.changed = changed
        self.renamed = renamed  # told first when a save was renamed into place (atomic: complete at once)

    def dispatch(self, event: FileSystemEvent) -> None:  # skip watchdog's per-type dispatch and its logging
        kind = event.event_type
        if kind == "moved":
            dest = os.fsdecode(event.dest_path)
            if dest in self.paths:
                if self.renamed is not None:
                    self.renamed(dest)
                self.changed(dest, True)
            return
        src = os.fsdecode(event.src_path)
        if src not in self.paths:
            return
        if kind in ("closed", "created"):
            self.changed(src, True)
        elif kind == "modified":
            self.changed(src, False)


class Daemon:
    def __init__(self, calendar_path: str, ledger: Ledger | Callable[[], Ledger], *, status_path: str | None = None,
                 clock: Clock | None = None, publishers: Mapping[str, Publisher] | None = None,
                 env: Mapping[str, str] | None = None, watch: bool = True,
                 stop_event: threading.Event | None = None, feeds: FeedReader | None = None,
                 settling: Settling = Settling()):
        self.calendar_path = calendar_path
        self.status_path = status_path
        self.clock = clock or SystemClock()
        self.id = engine_id()
        self.stop_event = stop_event or threading.Event()
        self.settling = settling
        self.watch = watch
        self.observer: Any = None
        self._close_events = False
        self.overrides = dict(publishers or {})  # tests and simulations: used instead of building these
        self.env = env
        self.reload_timers: dict[str, threading.Timer] = {}
        self._timers_lock = threading.Lock()
        self._reload_lock = threading.Lock()  # one reload (or feed change) at a time
        self._wake_lock = threading.Lock()
        # APScheduler's shutdown(wait=True) holds its job-store lock while it waits for running jobs,
        # so a job that reached add_job (or get_job) once shutdown began would wait for it forever:
        # every touch of the jobs from a job goes through _jobs(), and shutdown closes that door first.
        self._jobs_lock = threading.RLock()
        self._closing = False
        self.abandoned: list[str] = []  # keys of sends still running when the stop gave up on them
        self.unfinished = False  # a stop that gave up on a thread (a send, a job, a site write): exit without it
        self._busy: set[str] = set()  # accounts whose run_due is in progress
        self._again: set[str] = set()  # ... and that were woken again meanwhile
        self._feed_cancel = threading.Event()
        self._feed_workers: dict[str, threading.Thread] = {}
        self._renamed: set[str] = set()  # watched files whose last event was a rename into place (watcher thread)
        self._broken: set[str] = set()  # files whose last save was refused: their next good save says so
        result = check(self.calendar_path)  # first: its zone is the log's, from the first line on
        calendar = result.unwrap(CalendarError)
        set_zone(calendar.brand.tz)  # log times in the zone the messages' times are in
        for warning in result.warnings:
            log.warning("%s", warning)
        # opened here (given as a factory), so that even "created a new ledger" is in the brand's zone
        self.ledger = ledger() if callable(ledger) else ledger
        self._hash_calendar()
        status = self.file_status = self._load_status(calendar)
        self.feeds = feeds or FeedReader()
        self.engine = Engine(calendar, self.ledger, build_publishers(calendar, self.clock, env, self.overrides),
                             self.id, on_outcome=self._after, status=status, parallel=SENDS_PER_ACCOUNT)
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=32)},  # threads are made as needed
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 4},
        )
        self.last_fire_beat: datetime | None = None
        self.server: Any = None  # the status site, when the calendar's engine.serve asks for it
        self._server_thread: threading.Thread | None = None
        self.cluster = Cluster(self.ledger.db, self.id)
        self._connected_since: datetime | None = None  # since when the heartbeat has been reaching the ledger
        self._older_calendar: str | None = None  # the newer calendar hash last reported, if any

    @property
    def publishers(self) -> Mapping[str, Publisher]:
        return self.engine.publishers

    # -- lifecycle ---------------------------------------------------------------------
    def _hash_calendar(self) -> None:
        """Remember the loaded calendar's hash and age: engines on several machines compare them."""
        data = read_bytes(self.calendar_path)
        self.calendar_hash = hashlib.sha256(data).hexdigest()[:12]
        try:  # what the review room's diff compares the file on disk with
            from .ledger.reads import remember_calendar

            remember_calendar(self.ledger.db, self.calendar_hash, data.decode("utf-8", "replace"))
        except Exception as exc:  # the ledger down never stops the engine from running its calendar
            log.warning("could not record the running calendar in the ledger: %s", exc)
        try:
            self.calendar_mtime = os.stat(self.calendar_path).st_mtime
        except OSError:
            self.calendar_mtime = 0.0

    def _load_status(self, calendar: Calendar) -> Status:
        if not self.status_path:
            return Status(path="", timezone=calendar.brand.timezone)
        result = check_status(self.status_path, calendar)
        for problem in result.warnings:
            log.warning("%s", problem)
        return result.unwrap(StatusFileError)

    def start(self) -> None:
        now = self.clock.now()
        # watchdog logs every event at DEBUG: with -v and the log next to the calendar, it would feed on itself
        logging.getLogger("watchdog").setLevel(logging.WARNING)
        try:
            self.cluster.hold()
        except Exception as exc:  # the heartbeat tries again
            log.error("could not open the lock session (%s: %s); trying again at the next heartbeat",
                      type(exc).__name__, exc)
        self.engine.reads_feeds = "feeds" in self.cluster.duties
        self.ledger.beat(self.id, now, self.info(), started=True)
        self._connected_since = now
        self._warn_if_not_alone(now)
        self.scheduler.start()
        self.arm_all(now)
        self.scheduler.add_job(self.pulse, IntervalTrigger(seconds=HEARTBEAT, timezone=UTC), id="herald:beat")
        self.scheduler.add_job(self.tick, IntervalTrigger(seconds=REARM, timezone=UTC), id="herald:tick")
        self.poll_feeds(now)  # in their own workers: a slow provider never delays start-up
        if self.watch:
            paths = {os.path.abspath(self.calendar_path)}
            if self.status_path:
                paths.add(os.path.abspath(self.status_path))
            handler = _FileChanged(paths, self.file_changed, self._renamed.add)
            self.observer = Observer()
            for folder in {os.path.dirname(p) for p in paths}:
                self.observer.schedule(handler, folder, recursive=False, event_filter=WATCHED_EVENTS)
            self.observer.daemon = True
            self.observer.start()
            self._close_events = "inotify" in type(self.observer).__module__
        self.start_server()
        self.summary(now)

    def start_server(self) -> None:
        """``engine.serve: HOST:PORT`` in the calendar: serve the status site from this process too
        (the same pages as ``herald serve``: they read the files and the ledger, not this engine)."""
        bind = self.engine.calendar.engine.serve
        if not bind or self.server is not None:
            return
        from .web.app import create_app, serve
        from .web.context import WebContext

        host, _, port = bind.rpartition(":")
        ctx = WebContext.from_environment(self.calendar_path, self.status_path or "", self.ledger.url, self.clock)
        self.server = serve(create_app(ctx), host.strip("[]"), int(port))
        self._server_thread = threading.Thread(target=self._serve, args=(bind,), name="herald-web", daemon=True)
        self._server_thread.start()
        log.info("serving the status site at http://%s/", bind)

    def _serve(self, bind: str) -> None:
        try:
            self.server.run()
        except (SystemExit, Exception) as exc:  # the site is a side job: the engine keeps publishing
            log.error("could not serve the status site at %s (%s); the engine runs on without it", bind,
                      type(exc).__name__)

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
        if flying:
            log.info("stopping: no new sends; finishing %d in flight (%s)", len(flying),
                     ", ".join(f"{p.post} on {p.network}" for p in flying))
        else:
            log.info("stopping: no new sends; none in flight")

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
        if self.observer is not None:
            self.observer.stop()
        with self._timers_lock:
            for timer in self.reload_timers.values():
                timer.cancel()
        self._feed_cancel.set()
        if self.server is not None:
            self.server.should_exit = True
        with self._jobs_lock:
            self._closing = True
        stuck: set[str] = set()
        if self.scheduler.running:  # running sends finish and are recorded, for STOP_GRACE at most
            closer = threading.Thread(target=self.scheduler.shutdown, kwargs={"wait": True}, name="herald-stop",
                                      daemon=True)
            closer.start()
            flying = self._wait_for_sends(closer, began + min(STOP_GRACE, STOP_BUDGET))
            if flying:
                stuck = {p.key for p in flying}
                self.abandoned = sorted(stuck)
                log.warning("stopping: %d send(s) still running past the stop's bound, left claimed for the next "
                            "start to reconcile before any re-send: %s", len(flying),
                            ", ".join(f"{p.post} on {p.network}" for p in flying))
            closer.join(left(0.2))  # the jobs that were no send (a ledger read, a re-arm)
            if closer.is_alive():
                self.unfinished = True
        feeds_until = time.monotonic() + left(FEED_STOP)
        for worker in list(self._feed_workers.values()):  # cancelled; daemon threads never hold up the exit
            worker.join(max(0.0, feeds_until - time.monotonic()))
        now = self.clock.now()
        # never a claim whose send may still land: released, it could be sent again without reconciling
        mine = [r.key for r in self.ledger.claimed() if r.lease_owner == self.id and r.key not in stuck]
        self.engine.release_claims(mine, now)
        self.ledger.beat(self.id, now, self.info(), stopped=True)
        self.cluster.close()
        for publisher in self.engine.publishers.values():
            if not any(p.network == publisher.name for p in self.engine.in_flight()):
                if isinstance(publisher, SitePublisher):  # a full write pending: rewritten at the next start
                    publisher.close(timeout=left())
                    if publisher.unfinished:
                        self.unfinished = True
                        log.warning("stopping: the site %s was still being written; the next start writes it",
                                    publisher.directory)
                else:
                    publisher.close()
        self.feeds.close()
        if self._server_thread is not None:
            self._server_thread.join(left(FEED_STOP))
        log.info("stopped%s", f" (gave back {len(mine)} claim(s))" if mine else "")

    def _wait_for_sends(self, closer: threading.Thread, until: float) -> list[Publication]:
        """Wait for ``closer`` (the scheduler's shutdown, which waits for the running jobs) until the
        monotonic time ``until`` (one budget for all the sends in flight, see STOP_GRACE), or until
        every send in flight is past its own bound (RECORD_TIME); return the sends given up on (none:
        all done)."""
        bounds: dict[str, float] = {}
        while closer.is_alive():
            flying = self.engine.in_flight()
            now = time.monotonic()
            for p in flying:
                timeout = getattr(self.engine.publishers.get(p.network), "timeout", 0)
                bounds.setdefault(p.key, now + float(timeout or 0) + RECORD_TIME)
            if now >= until or (flying and all(now >= bounds[p.key] for p in flying)):
                return flying
            closer.join(max(0.0, min(0.05, until - now)))
        return []

    # -- waiting -------------------------------------------------------------------------
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
        with self._jobs() as jobs:
            if jobs is not None:
                jobs.add_job(self.wake, DateTrigger(at, timezone=UTC), args=[network], id=f"wake:{network}",
                             name=f"publish to {network}", replace_existing=True)

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
        outcomes: list[Outcome] = []
        gap = None
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
            gap = ERROR_GAP
        finally:
            with self._wake_lock:
                self._busy.discard(network)
                self._again.discard(network)
        try:
            if gap is not None and not self.stop_event.is_set():
                with self._jobs() as jobs:
                    if jobs is not None:
                        jobs.add_job(self.wake, DateTrigger(self.clock.now() + gap, timezone=UTC), args=[network],
                                     id=f"wake:{network}", replace_existing=True)
            else:
                self.arm(network, idle=not outcomes)
        except Exception as exc:
            log.error("could not plan the next run for %s (%s: %s); the heartbeat will", network,
                      type(exc).__name__, exc)
        return outcomes

    def _after(self, outcome: Outcome) -> None:
        now = self.clock.now()
        if outcome.message.startswith("rate limit"):
            metrics.rate_limit_wait(outcome.network)
        if self.last_fire_beat is None or now - self.last_fire_beat >= timedelta(seconds=5):
            self.last_fire_beat = now  # at most one extra ledger write per 5 s, not one per post
            self.ledger.beat(self.id, now, self.info(), fired=True)

    def tick(self) -> None:
        """Heartbeat, then re-arm every account (work other processes made due)."""
        self.pulse()
        try:
            self.arm_all(self.clock.now())
        except Exception as exc:
            log.error("re-arming failed (%s: %s); still running", type(exc).__name__, exc)

    def pulse(self) -> None:
        """The heartbeat (see the module's docstring): liveness, lock session, dead peers, feeds."""
        if self.stop_event.is_set():
            return  # stopping: the last beat is the shutdown's, "stopped"
        now = self.clock.now()
        try:
            duties = self.cluster.hold()
            self.ledger.beat(self.id, now, self.info())
        except Exception as exc:
            if self._connected_since is not None:
                log.error("heartbeat failed (%s: %s); still running, trying again every %gs", type(exc).__name__,
                          exc, HEARTBEAT)
            self._connected_since = None
            return
        if self._connected_since is None:
            log.info("heartbeat reaches the ledger again")
            self._connected_since = now
        self.engine.reads_feeds = "feeds" in duties
        try:
            self.look_at_peers(now)
        except Exception as exc:
            log.error("could not look at the other engines (%s: %s); still running", type(exc).__name__, exc)
        self.poll_feeds(now)

    def look_at_peers(self, now: datetime) -> None:
        """Take over the claims of engines that died; say when this engine's calendar is not the newest."""
        engines = self.ledger.engines()
        if self._connected_since is not None and now - self._connected_since >= DEAD_AFTER:
            dead = frozenset(self.ledger.dead_engines(now, DEAD_AFTER, self.cluster.live) - {self.id})
            newly = dead - self.engine.dead_owners
            self.engine.dead_owners = dead
            if newly:
                held = [r for r in self.ledger.claimed() if r.lease_owner in newly]
                for owner in sorted({r.lease_owner or "" for r in held}):
                    log.warning("engine %s is dead (no heartbeat for %ds, no lock session): taking over its %d "
                                "claim(s)", owner, DEAD_AFTER.total_seconds(),
                                sum(1 for r in held if r.lease_owner == owner))
                for network in sorted({r.network for r in held}):
                    if network in self.engine.publishers:
                        self.arm(network, now)
        live = [e for e in engines if e["stopped_at"] is None and e["id"] not in self.engine.dead_owners
                and now - e["heartbeat_at"] < DEAD_AFTER]
        newest = newest_calendar(live)
        older = newest if newest is not None and newest != self.calendar_hash else None
        if older != self._older_calendar:
            if older is not None:
                log.warning("OLDER CALENDAR: this engine runs calendar %s, another live engine runs the newer %s; "
                            "update %s here", self.calendar_hash, older, self.calendar_path)
            else:
                log.info("calendar %s: the same as the other live engines'", self.calendar_hash)
            self._older_calendar = older

    def _warn_if_not_alone(self, now: datetime) -> None:
        """On SQLite, engines cannot share the work across machines: say so when a second one starts."""
        if self.cluster.shared:
            return
        others = [e for e in self.ledger.engines() if e["id"] != self.id and e["stopped_at"] is None
                  and now - e["heartbeat_at"] < DEAD_AFTER * 4]
        if others:
            log.warning("another engine (%s) runs on this SQLite ledger: engines on one SQLite file never post "
                        "twice, but only PostgreSQL gives failover in seconds and one feed reader per cluster "
                        "(herald run --state postgresql://...)", ", ".join(e["id"] for e in others))

    # -- status feeds ----------------------------------------------------------------------
    def poll_feeds(self, now: datetime) -> None:
        """Start a worker for every feed that is due and not being read already (if this engine
        holds the ``feeds`` duty: one engine of a cluster reads them)."""
        if "feeds" not in self.cluster.duties:
            return
        for feed in self.file_status.feeds:
            worker = self._feed_workers.get(feed.id)
            if (worker is not None and worker.is_alive()) or self._feed_cancel.is_set() \
                    or not self.feeds.due(feed, now):
                continue
            worker = threading.Thread(target=self._poll_feed, args=(feed, now), name=f"herald-feed-{feed.id}",
                                      daemon=True)
            self._feed_workers[feed.id] = worker
            worker.start()

    def _poll_feed(self, feed: Feed, now: datetime) -> None:
        try:
            changed = self.feeds.poll(feed, now, cancel=self._feed_cancel)
            if not changed or self._feed_cancel.is_set():
                return
            with self._reload_lock:
                now = self.clock.now()
                added, _gone = self.engine.swap(now, status=with_feeds(self.file_status, self.feeds))
            log.info("status feed %s changed: %d announcement(s) added", feed.id, len(added))
            self.arm_all(now)
        except Exception as exc:
            if not self._feed_cancel.is_set():
                log.error("status feed %s: %s: %s; keeping what it said before", feed.id, type(exc).__name__, exc)
                metrics.feed_poll_error(feed.id)

    # -- reloading ------------------------------------------------------------------------
    def file_changed(self, path: str, closed: bool) -> None:
        """From the watcher thread, on every event for a watched file: coalesce a burst into one
        reload, after the writer closed the file (or, without a close event, a while after it wrote)."""
        renamed = path in self._renamed
        self._renamed.discard(path)
        calendar = path == os.path.abspath(self.calendar_path)
        action: Callable[[], bool] = self.reload if calendar else partial(
            self.reload_status, quiet=0.0 if renamed else self.settling.complete if closed else None)
        # inotify reports when the writer closes the file: until then it may be half written
        delay = self.settling.writing if not closed and self._close_events else (
            0.0 if renamed and not calendar else self.settling.burst if closed else self.settling.quiet)
        with self._timers_lock:
            timer = self.reload_timers.get(path)
            if timer is not None:
                timer.cancel()
            if self.stop_event.is_set():
                return
            timer = threading.Timer(delay, action)
            timer.daemon = True
            self.reload_timers[path] = timer
            timer.start()

    def _settled(self, path: str, quiet: float | None = None) -> bytes | None:
        # the status file is parsed as its loader will, which keeps the parse for the check that follows
        parses = (lambda data: status_parses(path, data)) if path == self.status_path else yaml_parses
        settling = self.settling if quiet is None else replace(self.settling, quiet=min(self.settling.quiet, quiet))
        return read_settled(lambda: read_bytes(path), self.stop_event.wait, time.monotonic, parses,
                            settling=settling)

    def reload_status(self, quiet: float | None = None) -> bool:
        """A saved status.yaml: announce what is new at once, or keep the last good status
        (``quiet``: the settled read's, for a save known complete: see :class:`Settling`)."""
        try:
            with self._reload_lock:
                return self._reload_status(quiet)
        except Exception as exc:  # whatever it is: one line, and the engine keeps serving
            log.error("%s: could not be reloaded (%s: %s); still running the last good status", self.status_path,
                      type(exc).__name__, exc)
            self._broken.add(self.status_path or "")
            metrics.reload_error(self.status_path or "")
            return False

    def _reload_status(self, quiet: float | None = None) -> bool:
        path = self.status_path or ""
        if self._settled(path, quiet) is None:
            return False  # shutting down
        result = check_status(path, self.engine.calendar)
        status = result.value if result.ok else None
        if status is None:
            for problem in result.problems:
                log.error("%s", problem)
            log.error("%s has errors; still running the last good status", path)
            self._broken.add(path)
            metrics.reload_error(path)
            return False
        if status == self.file_status:
            self._unchanged(path)
            return True
        removed = {i.id for i in self.file_status.incidents} - {i.id for i in status.incidents}
        for incident_id in sorted(removed):
            log.warning("incident %s was removed from %s; what was already announced stays published "
                        "(to close it for customers, add a resolved update instead)", incident_id, path)
        now = self.clock.now()
        self.file_status = status
        added, _gone = self.engine.swap(now, status=with_feeds(status, self.feeds), show=False)
        self._announce_first(added, now)
        self.engine.show_status(now)  # then the site's files (written off this thread)
        self.arm_all(now)
        log.info("%s: %d announcement(s) added", self._reloaded(path), len(added))
        self.poll_feeds(now)
        return True

    def _announce_first(self, added: set[str], now: datetime) -> None:
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

    def reload(self) -> bool:
        """A saved calendar: swap it in with its accounts, or keep the last good calendar."""
        try:
            with self._reload_lock:
                return self._reload_calendar()
        except Exception as exc:  # whatever it is: one line, and the engine keeps serving
            log.error("%s: could not be reloaded (%s: %s); still running the last good calendar",
                      self.calendar_path, type(exc).__name__, exc)
            self._broken.add(self.calendar_path)
            metrics.reload_error(self.calendar_path)
            return False

    def _reload_calendar(self) -> bool:
        if self._settled(self.calendar_path) is None:
            return False  # shutting down
        result = check(self.calendar_path)
        calendar = result.value
        if calendar is None or result.errors:
            for problem in result.errors or result.problems:
                log.error("%s", problem)
            log.error("%s has %d error(s); still running the last good calendar", self.calendar_path,
                      len(result.errors))
            self._broken.add(self.calendar_path)
            metrics.reload_error(self.calendar_path)
            return False
        for warning in result.warnings:
            log.warning("%s", warning)
        self._hash_calendar()
        if calendar == self.engine.calendar:
            self._unchanged(self.calendar_path)
            return True
        previous = dict(self.engine.publishers)
        try:  # unchanged accounts keep their publisher; changed ones get a new one
            publishers = build_publishers(calendar, self.clock, self.env, self.overrides, previous=previous)
        except Exception as exc:
            log.error("%s: %s; still running the last good calendar", self.calendar_path, exc)
            self._broken.add(self.calendar_path)
            return False
        now = self.clock.now()
        added, removed = self.engine.swap(now, calendar=calendar, publishers=publishers)
        set_zone(calendar.brand.tz)
        close_unused(previous, publishers)
        with self._jobs() as jobs:
            for network in set(previous) - set(publishers):
                job = jobs.get_job(f"wake:{network}") if jobs is not None else None
                if job is not None:
                    job.remove()
        self.arm_all(now)
        log.info("%s: %d publication(s) added, %d removed", self._reloaded(self.calendar_path), len(added),
                 len(removed))
        return True

    def _unchanged(self, path: str) -> None:
        """A save that is valid and means what the engine already runs: silent, unless the save
        before was refused; then the log must say the file is good again, or its last word on the
        file would still be "has errors"."""
        if path in self._broken:
            self._broken.discard(path)
            log.info("%s is valid again; running it (nothing changed since the last good version)", path)

    def _reloaded(self, path: str) -> str:
        """The start of the one line a reload logs: it says "valid again" after a refused save."""
        if path in self._broken:
            self._broken.discard(path)
            return f"{path} is valid again; reloaded it"
        return f"reloaded {path}"

    # -- reporting ------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "host": engine_host(), "calendar": os.path.abspath(self.calendar_path),
                "calendar_hash": self.calendar_hash, "calendar_mtime": self.calendar_mtime,
                "duties": sorted(self.cluster.duties), "older_calendar": self._older_calendar is not None,
                "jobs": self._job_count()}

    def _job_count(self) -> int:
        with self._jobs() as jobs:
            return len(jobs.get_jobs()) if jobs is not None else 0

    def summary(self, now: datetime) -> None:
        cal = self.engine.calendar
        tz = cal.brand.tz
        log.info("herald %s started: %s (%d posts, %d campaigns)", self.id, self.calendar_path, len(cal.posts),
                 len(cal.campaigns))
        log.info("ledger: %s; networks: %s", self.ledger.safe_url,
                 ", ".join(p.describe() for p in self.engine.publishers.values()) or "none")
        if self.status_path and not os.path.exists(self.status_path):
            log.warning("no status file at %s: no incidents to announce", self.status_path)
        elif self.status_path:
            log.info("status file: %s", self.status_path)
        for incident in self.engine.status.open_incidents():
            log.warning("OPEN INCIDENT %s (%s): %s, %s since %s", incident.id, incident.impact, incident.title,
                        incident.state, incident.started.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z"))
        for pause in self.ledger.active_pauses(now):
            until = f" until {pause.until.astimezone(tz):%Y-%m-%d %H:%M %Z}" if pause.until else " until resumed"
            log.warning("PAUSED %s%s: %s", pause.network or "all networks", until, pause.reason or "no reason given")
        upcoming = sorted(self.engine.pending(), key=lambda p: p.at.timestamp())
        overdue = [p for p in upcoming if p.at <= now]
        if overdue:
            log.info("catching up: %d publication(s) were due while Herald was not running", len(overdue))
        later = [p for p in upcoming if p.at > now]
        if later:
            first = later[0]
            log.info("next: %s on %s at %s; %d scheduled in the next %d hours", first.post, first.network,
                     first.at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z"), len(later),
                     int((self.engine.window[1] - now).total_seconds() // 3600) if self.engine.window else 0)
        else:
            ahead = [p for p in plan(cal, now, now + timedelta(days=8)) if p.network in self.engine.publishers]
            if ahead:
                log.info("nothing due in the next day; next: %s on %s at %s", ahead[0].post, ahead[0].network,
                         ahead[0].at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z"))
            else:
                log.info("nothing planned in the next 8 days")
