"""``herald run``: the long-running process. It decides *when*; :mod:`scheduler.engine` decides *what*.

- APScheduler 3 (BackgroundScheduler, in-memory job store) holds one date job per
  publication due within the next ~26 hours, keyed by its publication key, plus retry
  jobs at their exact retry times.  ``misfire_grace_time=None``: APScheduler never drops
  a late job on its own (its default of one second would); lateness is the engine's
  catch-up policy, per kind.  Between jobs the process sleeps: no polling loop.
- A heartbeat job every ``HEARTBEAT`` seconds records liveness in the ledger (what
  ``herald health`` reads), sweeps the ledger for retries other processes made due
  (``herald retry``, ``herald resume``, an engine that died holding a claim), and
  releases holds whose pause has expired.  It replans every hour to extend the horizon.
- watchdog reports saves of the calendar file (editors that write a temp file and
  rename it included); a valid calendar is swapped in and only changed publications
  are rescheduled (keys of unchanged posts stay); an invalid one is reported with its
  ``file:line:col`` problems and the last good calendar keeps running.
- SIGTERM/SIGINT only set an event (the handlers do nothing else); the main thread
  then stops the watcher, lets running sends finish, gives back claims it still holds
  and records that it stopped.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from campaigns.calendar import check
from campaigns.errors import CalendarError
from campaigns.model import Calendar
from campaigns.plan import plan
from status.load import check as check_status
from status.model import Status

from .clock import Clock, SystemClock
from .engine import Engine, Outcome, owner_is_gone, release_held
from .feeds import FeedReader, with_feeds
from .ledger import Ledger, State
from .networks import build_publishers
from .networks.base import Publisher

log = logging.getLogger("herald.daemon")

HEARTBEAT = 15.0  # seconds
REPLAN = timedelta(hours=1)
RELOAD_SETTLE = 0.15  # seconds to let an editor finish writing before reading the file


@contextmanager
def stop_on_signals(event: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``event`` and do nothing else (huey's rule: the main loop acts)."""
    def handler(signum: int, frame: Any) -> None:
        event.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def engine_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class _FileChanged(FileSystemEventHandler):
    """Calls ``callbacks[path]`` when that file is written, created or renamed into place."""

    def __init__(self, callbacks: dict[str, Any]):
        self.callbacks = {os.path.abspath(p): c for p, c in callbacks.items()}

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in ("modified", "created", "moved", "closed"):
            return
        paths = {os.path.abspath(str(event.src_path))}
        if getattr(event, "dest_path", None):
            paths.add(os.path.abspath(str(event.dest_path)))
        for path in paths & set(self.callbacks):
            self.callbacks[path]()


class Daemon:
    def __init__(self, calendar_path: str, ledger: Ledger, *, status_path: str | None = None,
                 clock: Clock | None = None, publishers: Mapping[str, Publisher] | None = None,
                 env: Mapping[str, str] | None = None, watch: bool = True,
                 stop_event: threading.Event | None = None):
        self.calendar_path = calendar_path
        self.status_path = status_path
        self.ledger = ledger
        self.clock = clock or SystemClock()
        self.id = engine_id()
        self.stop_event = stop_event or threading.Event()
        self.reload_timers: dict[str, threading.Timer] = {}
        self.watch = watch
        self.observer: Any = None
        calendar = self._load()
        status = self.file_status = self._load_status(calendar)
        self.feeds = FeedReader()
        self.publishers = build_publishers(calendar, self.clock, env, publishers)
        self.engine = Engine(calendar, ledger, self.publishers, self.id, on_outcome=self._after, status=status)
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={"misfire_grace_time": None, "coalesce": False, "max_instances": 1},
        )
        self.last_plan: datetime | None = None
        self.last_fire_beat: datetime | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def _load(self) -> Calendar:
        result = check(self.calendar_path)
        for warning in result.warnings:
            log.warning("%s", warning)
        if result.errors or result.calendar is None:
            raise CalendarError(result.errors or result.problems)
        return result.calendar

    def _load_status(self, calendar: Calendar) -> Status:
        if not self.status_path:
            return Status(path="", timezone=calendar.brand.timezone)
        status, problems = check_status(self.status_path, calendar)
        for problem in problems:
            if problem.severity != "error":
                log.warning("%s", problem)
        if status is None:
            raise CalendarError([p for p in problems if p.severity == "error"])
        return status

    def start(self) -> None:
        now = self.clock.now()
        self.ledger.beat(self.id, now, self.info(), started=True)
        self.scheduler.start()
        self.sync(now)
        self.scheduler.add_job(self.tick, IntervalTrigger(seconds=HEARTBEAT, timezone=UTC), id="herald:tick")
        if self.file_status.feeds:  # read them now, in a worker: a slow provider never delays start-up
            self.scheduler.add_job(lambda: self.poll_feeds(self.clock.now()), id="herald:feeds")
        if self.watch:
            callbacks = {self.calendar_path: lambda: self.schedule_reload(self.calendar_path, self.reload)}
            if self.status_path:
                callbacks[self.status_path] = lambda: self.schedule_reload(self.status_path, self.reload_status)
            handler = _FileChanged(callbacks)
            self.observer = Observer()
            for folder in {os.path.dirname(os.path.abspath(p)) for p in callbacks}:
                self.observer.schedule(handler, folder, recursive=False)
            self.observer.daemon = True
            self.observer.start()
        self.summary(now)

    def run_forever(self) -> None:
        """Start, then wait for SIGTERM/SIGINT (or :meth:`stop`), then shut down cleanly."""
        with stop_on_signals(self.stop_event):
            try:
                if not self.stop_event.is_set():
                    self.start()
                    self.stop_event.wait()
                log.info("stopping: finishing the sends in flight")
            finally:
                self.shutdown()

    def stop(self) -> None:
        self.stop_event.set()

    def shutdown(self) -> None:
        if self.observer is not None:
            self.observer.stop()
        for timer in self.reload_timers.values():
            timer.cancel()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)  # running sends finish and are recorded
        now = self.clock.now()
        mine = [r.key for r in self.ledger.history(limit=1000, states=[State.CLAIMED]) if r.lease_owner == self.id]
        self.engine.release_claims(mine, now)
        self.ledger.beat(self.id, now, self.info(), stopped=True)
        for publisher in self.publishers.values():
            publisher.close()
        self.feeds.close()
        log.info("stopped%s", f" (gave back {len(mine)} claim(s))" if mine else "")

    # -- scheduling ----------------------------------------------------------------------
    def sync(self, now: datetime, status: Status | None = None) -> tuple[int, int]:
        """Replan the horizon (only the announcements, for a new status); schedule what is new,
        unschedule what is gone."""
        if status is not None:
            added, removed = self.engine.replan_status(now, status)
        else:
            added, removed = self.engine.replan(now)
            self.last_plan = now
        for key in removed:
            job = self.scheduler.get_job(key)
            if job is not None:
                job.remove()
        for pub in self.engine.pending():
            if self.scheduler.get_job(pub.key) is None:
                self.scheduler.add_job(self.fire, DateTrigger(pub.at, timezone=UTC), args=[pub.key], id=pub.key,
                                       name=f"{pub.post} on {pub.network}")
        self._schedule_retries(now)
        return len(added), len(removed)

    def _schedule_retries(self, now: datetime) -> None:
        horizon = now + REPLAN + timedelta(minutes=5)
        for record in self.ledger.due_retries(horizon):
            at = record.next_attempt_at if record.state == State.RETRYING else record.lease_until
            self._retry_at(record.key, at or now)
        for record in self.ledger.claimed():  # claims of engines on this host that died: at once
            if record.lease_owner and record.lease_owner != self.id and owner_is_gone(record.lease_owner):
                self._retry_at(record.key, now)

    def _retry_at(self, key: str, at: datetime) -> None:
        self.scheduler.add_job(self.retry, DateTrigger(at, timezone=UTC), args=[key], id=f"retry:{key}",
                               replace_existing=True)

    def fire(self, key: str) -> None:
        pub = self.engine.planned.get(key)
        if pub is not None:
            self.engine.fire(pub, self.clock.now())

    def retry(self, key: str) -> None:
        record = self.ledger.get(key)
        if record is None or record.state not in (State.RETRYING, State.CLAIMED):
            return
        pub = self.engine.lookup(record)
        if pub is not None:
            self.engine.fire(pub, self.clock.now(), retry=True)
        else:
            self.engine.sweep(self.clock.now())

    def _after(self, outcome: Outcome) -> None:
        now = self.clock.now()
        if self.last_fire_beat is None or now - self.last_fire_beat >= timedelta(seconds=5):
            self.last_fire_beat = now  # at most one extra ledger write per 5 s, not one per post
            self.ledger.beat(self.id, now, self.info(), fired=True)
        if outcome.retry_at is not None and self.scheduler.running:
            self._retry_at(outcome.key, outcome.retry_at)

    def tick(self) -> None:
        """Heartbeat, sweep, pause expiry, status feeds, and the hourly replan."""
        now = self.clock.now()
        self.ledger.beat(self.id, now, self.info())
        self.poll_feeds(now)
        self.engine.sweep(now)
        self.release_holds(now)
        if self.last_plan is None or now - self.last_plan >= REPLAN:
            self.sync(now)
        else:
            self._schedule_retries(now)

    def poll_feeds(self, now: datetime) -> None:
        """Read the status feeds that are due; announce what they changed."""
        changed = False
        for feed in self.file_status.feeds:
            if self.feeds.due(feed, now):
                changed |= self.feeds.poll(feed, now)
        if changed:
            added, _gone = self.sync(now, status=with_feeds(self.file_status, self.feeds))
            log.info("status feeds changed: %d announcement(s) added", added)
            self.release_holds(now)

    def release_holds(self, now: datetime) -> None:
        """Held posts whose pause ended or whose incident was resolved go out (or are skipped)."""
        if not self.ledger.held():
            return
        engine = self.engine

        def still_held(record: Any) -> bool:
            return engine.hold_reason(record.kind, record.post, record.network, now) is not None

        for outcome in release_held(self.ledger, engine.calendar, now, None, still_held):
            log.info("hold over: %s %s on %s", outcome.result, outcome.post, outcome.network)
            if outcome.result == "released" and self.scheduler.running:
                self._retry_at(outcome.key, now)

    # -- reloading ------------------------------------------------------------------------
    def schedule_reload(self, path: str, action: Any) -> None:
        """Called from the watcher thread on every write event: coalesce a burst into one reload."""
        timer = self.reload_timers.get(path)
        if timer is not None:
            timer.cancel()
        timer = threading.Timer(RELOAD_SETTLE, action)
        timer.daemon = True
        self.reload_timers[path] = timer
        timer.start()

    def reload_status(self) -> bool:
        """A saved status.yaml: announce what is new at once, or keep the last good status."""
        status, problems = check_status(self.status_path or "", self.engine.calendar)
        if status is None:
            for problem in problems:
                log.error("%s", problem)
            log.error("%s has errors; still running the last good status", self.status_path)
            return False
        if status == self.file_status:
            return True
        removed = {i.id for i in self.file_status.incidents} - {i.id for i in status.incidents}
        for incident_id in sorted(removed):
            log.warning("incident %s was removed from %s; what was already announced stays published "
                        "(to close it for customers, add a resolved update instead)", incident_id, self.status_path)
        now = self.clock.now()
        self.file_status = status
        added, _gone = self.sync(now, status=with_feeds(status, self.feeds))
        log.info("reloaded %s: %d announcement(s) added", self.status_path, added)
        self.release_holds(now)
        return True

    def reload(self) -> bool:
        result = check(self.calendar_path)
        if result.errors or result.calendar is None:
            for problem in result.errors or result.problems:
                log.error("%s", problem)
            log.error("%s has %d error(s); still running the last good calendar", self.calendar_path,
                      len(result.errors))
            return False
        for warning in result.warnings:
            log.warning("%s", warning)
        if result.calendar == self.engine.calendar:
            return True
        try:
            publishers = build_publishers(result.calendar, self.clock, None, self.publishers)
        except Exception as exc:
            log.error("%s: %s; still running the last good calendar", self.calendar_path, exc)
            return False
        self.publishers.update(publishers)
        self.engine.publishers = self.publishers
        now = self.clock.now()
        self.engine.calendar = result.calendar
        added, removed = self.sync(now)
        log.info("reloaded %s: %d publication(s) added, %d removed", self.calendar_path, added, removed)
        return True

    # -- reporting ------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "calendar": os.path.abspath(self.calendar_path),
                "jobs": len(self.scheduler.get_jobs()) if self.scheduler.running else 0}

    def summary(self, now: datetime) -> None:
        cal = self.engine.calendar
        tz = cal.brand.tz
        log.info("herald %s started: %s (%d posts, %d campaigns)", self.id, self.calendar_path, len(cal.posts),
                 len(cal.campaigns))
        log.info("ledger: %s; networks: %s", self.ledger.safe_url,
                 ", ".join(p.describe() for p in self.publishers.values()) or "none")
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
        upcoming = sorted(self.engine.pending(), key=lambda p: p.at)
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
            ahead = [p for p in plan(cal, now, now + timedelta(days=8)) if p.network in self.publishers]
            if ahead:
                log.info("nothing due in the next day; next: %s on %s at %s", ahead[0].post, ahead[0].network,
                         ahead[0].at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z"))
            else:
                log.info("nothing planned in the next 8 days")
