"""Watching files: the calendar and the status file, loaded at the start and reloaded on every save.

watchdog reports saves of the two files (and only of those: other files in the folder are ignored
at the handler, and watchdog's own DEBUG logger is quieted, so a log file next to the calendar
cannot feed on itself).  A save is read once it has *settled* (:func:`.settle.read_settled`): the
writer closed the file (where the platform says so), two reads ``quiet`` apart agree and the text
parses; an empty or unparsable read is read again before anything counts as removed (a status save
closed: ``complete`` apart; renamed into place, which is atomic: its two reads back to back, at once).  A valid file
is swapped into the engine (:meth:`Engine.swap`); a status save first runs the accounts it gave an
announcement due, then shows the site the new status; an invalid one is reported with its
``file:line:col`` problems, any other failure in one line, and the last good version keeps running.
The running calendar's hash is kept (:class:`Stamp`) and its text recorded in the ledger.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import NamedTuple, Protocol

from campaigns.errors import CalendarError, StatusFileError
from campaigns.model import Calendar
from campaigns.result import LoadResult
from status.load import parses as status_parses
from status.model import Status

from .. import metrics
from ..clock import Clock
from ..engine import Engine
from ..files import read_bytes
from ..ledger import Ledger
from ..logformat import set_zone
from ..networks import close_unused
from ..networks.base import Publisher
from .background import FeedPolling
from .settle import Saves, Settling, read_settled, yaml_parses
from .timers import Timers

log = logging.getLogger("herald.daemon")


@dataclass
class Stamp:
    """The running calendar's hash and age: engines on several machines compare them."""

    path: str
    ledger: Ledger
    hash: str = ""
    mtime: float = 0.0
    _recording: threading.Thread | None = field(default=None, repr=False, compare=False)
    _takes: int = field(default=0, repr=False, compare=False)
    _one_record: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def take(self) -> None:
        """Hash the file as it is now (here: peers compare it from the first beat), and record its
        text in the ledger (what the review room's diff compares the file on disk with) on a thread
        of its own, off the path of due sends: at 100,000 posts that is 29 MB decoded and written,
        with its fsync (0.7 s of a loaded restart's start-up, and as long again competing with the
        first second's sends).  The last take's text is the one left recorded."""
        data = read_bytes(self.path)
        self.hash = hashlib.sha256(data).hexdigest()[:12]
        self._takes += 1
        self._recording = threading.Thread(target=self._record, args=(self._takes, self.hash, data),
                                           name="herald-calendar-record", daemon=True)
        self._recording.start()
        try:
            self.mtime = os.stat(self.path).st_mtime
        except OSError:
            self.mtime = 0.0

    def _record(self, take: int, digest: str, data: bytes) -> None:
        with self._one_record:  # one write at a time; a take that a later one overtook is not written
            if take != self._takes:
                return
            try:
                from ..ledger.reads import remember_calendar

                remember_calendar(self.ledger.db, digest, data)  # (decoded there, if it is written)
            except Exception as exc:  # the ledger down never stops the engine from running its calendar
                log.warning("could not record the running calendar in the ledger: %s", exc)

    def recorded(self, timeout: float | None = None) -> bool:
        """Wait for the last take's record (tests; a stop need not: the next start records it)."""
        if self._recording is not None:
            self._recording.join(timeout)
        return self._recording is None or not self._recording.is_alive()


def _indexed(calendar: Calendar) -> None:
    """Build the calendar's index of its posts by id (a cached property) while it loads: built on the
    first lookup instead, which is the first due post's send, it made that post 0.15 s later at
    100,000 posts (a loaded restart), and a reload's first post as much."""
    calendar.post("")


class Start(NamedTuple):
    calendar: Calendar
    ledger: Ledger
    stamp: Stamp
    status: Status


def first_load(calendar_path: str, status_path: str | None, ledger: Ledger | Callable[[], Ledger]) -> Start:
    """The files the engine starts on (one with errors raises).  The calendar first: its zone is the
    log's from the first line on; then the ledger, opened here when given as a factory, so that even
    "created a new ledger" is in the brand's zone."""
    result = Watcher.load_calendar(calendar_path)
    calendar = result.unwrap(CalendarError)
    set_zone(calendar.brand.tz)
    for warning in result.warnings:
        log.warning("%s", warning)
    opened = ledger() if callable(ledger) else ledger
    stamp = Stamp(calendar_path, opened)
    stamp.take()
    if not status_path:
        return Start(calendar, opened, stamp, Status(path="", timezone=calendar.brand.timezone))
    checked = Watcher.load_status(status_path, calendar)
    for problem in checked.warnings:
        log.warning("%s", problem)
    return Start(calendar, opened, stamp, checked.unwrap(StatusFileError))


class Reloads(Protocol):
    """What a save runs: the supervisor's entry points, looked up at each save."""

    def reload(self) -> bool: ...

    def reload_status(self, quiet: float | None = None) -> bool: ...


class Refusals:
    """The files whose last save was refused: their next good save says it is valid again, or the
    log's last word on the file would still be "has errors"."""

    def __init__(self) -> None:
        self.broken: set[str] = set()

    def refuse(self, path: str) -> None:
        self.broken.add(path)
        metrics.reload_error(path)

    def unchanged(self, path: str) -> None:
        """A valid save that means what the engine already runs: silent, unless refused before."""
        if path in self.broken:
            self.broken.discard(path)
            log.info("%s is valid again; running it (nothing changed since the last good version)", path)

    def reloaded(self, path: str) -> str:
        """The start of the one line a reload logs."""
        if path in self.broken:
            self.broken.discard(path)
            return f"{path} is valid again; reloaded it"
        return f"reloaded {path}"


class Watcher:
    """The two files: their saves watched, settled, checked and swapped into the engine."""

    def __init__(self, engine: Engine, stamp: Stamp, status_path: str | None, *, owner: Reloads, feeds: FeedPolling,
                 timers: Timers, build: Callable[..., dict[str, Publisher]], clock: Clock, settling: Settling,
                 stop_event: threading.Event, reload_lock: threading.Lock, watch: bool):
        self.engine = engine
        self.stamp = stamp
        self.calendar_path = stamp.path
        self.status_path = status_path
        self.owner = owner
        self.feeds = feeds  # holds the status file as last read, and adds what the feeds say
        self.timers = timers
        self.build = build  # (calendar, previous=…): the publishers of a calendar
        self.clock = clock
        self.settling = settling
        self.stop_event = stop_event
        self.reload_lock = reload_lock  # one reload (or feed change) at a time
        paths = {p for p in (stamp.path, status_path) if p}
        self.saves = Saves(paths, self._saved, settling, stop_event, quick={status_path} if status_path else ()) \
            if watch else None
        self.refusals = Refusals()

    @staticmethod
    def load_calendar(path: str) -> LoadResult[Calendar]:
        """The one call that loads the calendar, at the start and at every save (looked up in
        :mod:`scheduler.daemon`, where the tests replace it)."""
        from . import check

        result = check(path)
        if result.value is not None:  # its posts indexed by id now, as part of being ready (see _indexed)
            _indexed(result.value)
        return result

    @staticmethod
    def load_status(path: str, calendar: Calendar) -> LoadResult[Status]:
        from . import check_status

        return check_status(path, calendar)

    def start(self) -> None:
        # watchdog logs every event at DEBUG: with -v and the log next to the calendar, it would feed on itself
        # (its INFO lines, what it watches, stay: a later command's -v shows them)
        logging.getLogger("watchdog").setLevel(logging.INFO)
        if self.saves is not None:
            self.saves.start()

    def stop(self) -> None:
        if self.saves is not None:
            self.saves.stop()

    def _saved(self, path: str, quiet: float | None = None) -> None:
        """A save settled down: reloaded through the supervisor's entry points (what it exposes is what runs)."""
        if path == os.path.abspath(self.calendar_path):
            self.owner.reload()
        else:
            self.owner.reload_status(quiet)

    def _settled(self, path: str, quiet: float | None = None) -> bytes | None:
        # the status file is parsed as its loader will, which keeps the parse for the check that follows
        parses = (lambda data: status_parses(path, data)) if path == self.status_path else yaml_parses
        settling = self.settling if quiet is None else replace(self.settling, quiet=min(self.settling.quiet, quiet))
        return read_settled(lambda: read_bytes(path), self.stop_event.wait, time.monotonic, parses,
                            settling=settling)

    def reload_status(self, quiet: float | None = None) -> bool:
        """A saved status.yaml: announce what is new at once, or keep the last good status
        (``quiet``: the settled read's, for a save known complete: see :class:`.settle.Settling`)."""
        return self._reload(self.status_path or "", "status", partial(self._reload_status, quiet=quiet))

    def reload_calendar(self) -> bool:
        """A saved calendar: swap it in with its accounts, or keep the last good calendar."""
        return self._reload(self.calendar_path, "calendar", self._reload_calendar)

    def _reload(self, path: str, what: str, reload: Callable[[str], bool]) -> bool:
        try:
            with self.reload_lock:
                return reload(path)
        except Exception as exc:  # whatever it is: one line, and the engine keeps serving
            log.error("%s: could not be reloaded (%s: %s); still running the last good %s", path,
                      type(exc).__name__, exc, what)
            self.refusals.refuse(path)
            return False

    def _reload_status(self, path: str, quiet: float | None = None) -> bool:
        if self._settled(path, quiet) is None:
            return False  # shutting down
        result = self.load_status(path, self.engine.calendar)
        status = result.value if result.ok else None
        if status is None:
            for problem in result.problems:
                log.error("%s", problem)
            log.error("%s has errors; still running the last good status", path)
            self.refusals.refuse(path)
            return False
        if status == self.feeds.file_status:
            self.refusals.unchanged(path)
            return True
        removed = {i.id for i in self.feeds.file_status.incidents} - {i.id for i in status.incidents}
        for incident_id in sorted(removed):
            log.warning("incident %s was removed from %s; what was already announced stays published "
                        "(to close it for customers, add a resolved update instead)", incident_id, path)
        now = self.clock.now()
        self.feeds.file_status = status
        added, _gone = self.engine.swap(now, status=self.feeds.merged(status), show=False)
        self.timers.announce_first(added, now)
        self.engine.start_showing(now)  # then the site's files (written off this thread; in the first second too)
        self.timers.arm_all(now)
        log.info("%s: %d announcement(s) added", self.refusals.reloaded(path), len(added))
        self.feeds.poll(now)
        return True

    def _reload_calendar(self, path: str) -> bool:
        if self._settled(path) is None:
            return False  # shutting down
        result = self.load_calendar(path)
        calendar = result.value
        if calendar is None or result.errors:
            for problem in result.errors or result.problems:
                log.error("%s", problem)
            log.error("%s has %d error(s); still running the last good calendar", path, len(result.errors))
            self.refusals.refuse(path)
            return False
        for warning in result.warnings:
            log.warning("%s", warning)
        self.stamp.take()
        if calendar == self.engine.calendar:
            self.refusals.unchanged(path)
            return True
        return self._swap_calendar(path, calendar)

    def _swap_calendar(self, path: str, calendar: Calendar) -> bool:
        previous = dict(self.engine.publishers)
        try:  # unchanged accounts keep their publisher; changed ones get a new one
            publishers = self.build(calendar, previous=previous)
        except Exception as exc:
            log.error("%s: %s; still running the last good calendar", path, exc)
            self.refusals.broken.add(path)
            return False
        now = self.clock.now()
        added, removed = self.engine.swap(now, calendar=calendar, publishers=publishers)
        set_zone(calendar.brand.tz)
        close_unused(previous, publishers)
        self.timers.forget(set(previous) - set(publishers))
        self.timers.arm_all(now)
        log.info("%s: %d publication(s) added, %d removed", self.refusals.reloaded(path), len(added), len(removed))
        return True
