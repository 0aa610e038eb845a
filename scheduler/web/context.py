"""What every page and endpoint of the web server reads, in one object.

The calendar and the status file are read from disk when they change (by modification time
and size) and the last good version is kept when a save is broken, as the engine does; the
ledger is opened once, with short timeouts, and read in the background by a :class:`LedgerWatch`
(its health, the stamps that tell a page it changed, the counters of /metrics), so /healthz,
/static and /live.json never wait for the database.  Secrets (the review-room token, the intake token) come from the
environment only and are registered for redaction.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from ..clock import Clock, SystemClock
from ..errors import BrokenLedger

if TYPE_CHECKING:
    from campaigns.model import Calendar
    from status.model import Status

    from ..ledger import Ledger
    from ..render.site import SiteData

REVIEW_TOKEN_ENV = "HERALD_REVIEW_TOKEN"  # the review room and the /calendar.ics subscription
INTAKE_TOKEN_ENV = "HERALD_INTAKE_TOKEN"  # the alert intake endpoints
MIN_TOKEN = 16  # characters, for both: each is its endpoints' only lock, and a short one is guessed


def _token(variable: str) -> str | None:
    """The secret in ``variable`` (None when unset or empty); one shorter than MIN_TOKEN is
    refused in one line that names the variable and its rule, never its value."""
    value = os.environ.get(variable) or None
    if value is not None and len(value) < MIN_TOKEN:
        from campaigns.errors import UsageError

        raise UsageError(f"{variable} is shorter than {MIN_TOKEN} characters: choose a long random one, e.g. "
                         "`openssl rand -hex 24`")
    return value


def check_tokens() -> None:
    """Refuse (:class:`UsageError`) a review or intake token shorter than MIN_TOKEN: what a
    command that will serve checks before it starts anything."""
    _token(REVIEW_TOKEN_ENV), _token(INTAKE_TOKEN_ENV)


def calendar_token(review_token: str) -> str:
    """The token of the ``/calendar.ics`` subscription link: derived from the review-room token
    (HMAC-SHA256 of "calendar.ics" under it, hex), so that the link calendar apps store never
    holds the token that signs in to the room; changing the review token changes it too."""
    import hashlib
    import hmac

    return hmac.new(review_token.encode(), b"calendar.ics", hashlib.sha256).hexdigest()


@dataclass
class _Cached:
    stamp: tuple[int, int] | None = None
    value: Any = None
    error: str | None = None  # the last load's first problem, when the file on disk is broken
    failure: Any = None  # the problems of a file that never loaded, for the threads that waited for that parse
    flight: threading.Event | None = None  # set when the parse under way ends (one thread parses at a time)
    waiting: int = 0  # threads waiting for that parse


# seconds an empty file, or one that stops mid-line, is taken for a save in progress (an editor
# that truncates the file, then writes it): the daemon's patience for such a read (Settling.patience)
MID_SAVE_PATIENCE = 2.0


def _stamp(path: str) -> tuple[int, int] | None:
    """The file's modification time (ns) and size; None when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _mid_save(path: str, mtime: float) -> bool:
    """Whether ``path`` looks caught in the middle of a save: empty, or not ending with a line
    break (every editor ends a file with one), and changed less than MID_SAVE_PATIENCE ago."""
    if time.time() - mtime >= MID_SAVE_PATIENCE:
        return False
    try:
        with open(path, "rb") as handle:
            if handle.seek(0, os.SEEK_END) == 0:
                return True
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) not in (b"\n", b"\r")
    except OSError:
        return False


def _identity(path: str) -> tuple[int, int] | None:
    """Which file ``path`` is now (device, inode), or None when there is none."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


@dataclass
class WebContext:
    calendar_path: str
    status_path: str
    ledger_url: str
    clock: Clock = field(default_factory=SystemClock)
    review_token: str | None = None
    intake_token: str | None = None
    timeouts: Any = None  # scheduler.ledger.Timeouts for the ledger (None: WEB_TIMEOUTS)
    _ledger: Ledger | None = field(default=None, init=False, repr=False)
    _ledger_file: tuple[int, int] | None = field(default=None, init=False, repr=False)  # (device, inode) read
    _calendar: _Cached = field(default_factory=_Cached, init=False, repr=False)
    _status: _Cached = field(default_factory=_Cached, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _open_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)  # opening the ledger
    _watch: LedgerWatch | None = field(default=None, init=False, repr=False)
    pages: Any = field(default=None, init=False, repr=False)  # scheduler.web.site.PageCache, once routed
    _closers: list[Callable[[], None]] = field(default_factory=list, init=False, repr=False)  # run by close()

    @classmethod
    def from_environment(cls, calendar_path: str, status_path: str, ledger_url: str,
                         clock: Clock | None = None) -> WebContext:
        from ..redaction import register

        review, intake = _token(REVIEW_TOKEN_ENV), _token(INTAKE_TOKEN_ENV)
        for secret in (review, intake, calendar_token(review) if review else None):
            if secret:
                register(secret)
        return cls(calendar_path, status_path, ledger_url, clock or SystemClock(), review, intake)

    # -- the ledger ------------------------------------------------------------------------
    def ledger(self) -> Ledger:
        """The ledger, opened once with the web server's timeouts (a database that never answers
        costs a request seconds, not minutes).  Only the watcher's thread and page builds call
        this; /healthz and /static never do."""
        with self._open_lock:
            if self._ledger is None:
                from ..ledger import WEB_TIMEOUTS, Ledger

                self._ledger = Ledger(self.ledger_url, timeouts=self.timeouts or WEB_TIMEOUTS)
                if self.ledger_url.startswith("sqlite:///"):
                    self._ledger_file = _identity(self.ledger_url[len("sqlite:///"):])
            return self._ledger

    def _let_go(self) -> None:
        """Close the ledger read so far: its file was deleted or replaced (its connections would
        go on reading the deleted file); the next read opens what is there now."""
        with self._open_lock:
            old, self._ledger = self._ledger, None
        if old is not None:
            old.close()

    def existing_ledger(self) -> Ledger | None:
        """The ledger, or None while a SQLite ledger has not been created by an engine (reading
        pages must not create one).  One that existed and was deleted or moved away (its marker
        or write-ahead log is left, or this server had opened it) is no "not yet": a
        :class:`BrokenLedger` says it is gone, as `herald run` does."""
        if self.ledger_url.startswith("sqlite:///"):
            path = self.ledger_url[len("sqlite:///"):]
            now = _identity(path)
            if now is None:
                from ..ledger.opening import missing_problem

                problem = missing_problem(path)
                if problem is None and self._ledger_file is not None:
                    problem = "is gone (deleted or moved away while the web server was reading it)"
                self._let_go()
                if problem is None:
                    return None
                raise BrokenLedger(path, problem)
            if self._ledger_file is not None and now != self._ledger_file:
                self._let_go()  # made anew (`herald run --new-ledger`) or restored: read the new file
        return self.ledger()

    @property
    def watch(self) -> LedgerWatch:
        """What the ledger said last (read in the background: see :class:`LedgerWatch`)."""
        with self._lock:
            if self._watch is None:
                self._watch = LedgerWatch(self)
            return self._watch

    def refresh(self) -> Snapshot:
        """Read the ledger now (tests; the watcher does it in the background)."""
        return self.watch.refresh()

    def ledger_for_pages(self) -> Ledger | None:
        """The ledger when the watcher last found it answering (a page build reads it then;
        while it is down or hung, pages show the files alone and never wait for it)."""
        if self.watch.snapshot(wait_first=True).state != "ok":
            return None
        return self.existing_ledger()

    # -- the files: the last good version, reloaded when the file changes --------------------
    def calendar(self) -> Calendar:
        from campaigns.calendar import check

        value: Calendar = self._reload(self._calendar, self.calendar_path, lambda: check(self.calendar_path))
        return value

    def status(self) -> Status:
        from status.load import check

        def load() -> Any:
            return check(self.status_path, self.calendar())

        if not os.path.exists(self.status_path):
            from status.load import loads

            return loads("", self.calendar(), self.status_path)
        value: Status = self._reload(self._status, self.status_path, load)
        return value

    def problems(self) -> dict[str, str]:
        """The files whose latest save is broken (the pages show the last good version)."""
        return {path: cached.error for path, cached in ((self.calendar_path, self._calendar),
                                                        (self.status_path, self._status)) if cached.error}

    def _reload(self, cached: _Cached, path: str, check: Any) -> Any:
        """The file's last good version, parsed again when its stamp changed: by one thread at a
        time (single flight); the others wait for its result instead of each parsing the file.
        A version caught mid-save (:func:`_mid_save`) is not read: the last good one is served."""
        from campaigns.errors import InvalidInput

        waited = False
        while True:
            stamp = _stamp(path)
            if cached.value is not None and stamp is not None and stamp != cached.stamp \
                    and _mid_save(path, stamp[0] / 1e9):
                return cached.value
            with self._lock:
                if cached.flight is None and stamp == cached.stamp:
                    if cached.value is not None:
                        return cached.value
                    if waited and cached.failure is not None:  # the parse waited for failed: its answer
                        raise InvalidInput(cached.failure)
                flight = cached.flight
                if flight is None:  # this thread parses
                    flight = cached.flight = threading.Event()
                    break
                cached.waiting += 1
            flight.wait()  # then look again: that parse was of this save, or of an earlier one
            waited = True
            with self._lock:
                cached.waiting -= 1
        try:
            result = check()
        except BaseException:
            with self._lock:
                cached.flight = None
            flight.set()  # a waiting thread then parses itself
            raise
        return self._adopt(cached, stamp, flight, result)

    def _adopt(self, cached: _Cached, stamp: tuple[int, int] | None, flight: threading.Event, result: Any) -> Any:
        """A parse's result in place before the waiting threads look: the new version when it is
        good, else the last good one (the problem kept for the pages to say)."""
        from campaigns.errors import InvalidInput

        with self._lock:
            cached.stamp, cached.flight = stamp, None
            flight.set()
            if result.ok:
                cached.value, cached.error, cached.failure = result.value, None, None
            else:
                cached.error = str((result.errors or result.problems)[0])
                if cached.value is None:
                    cached.failure = result.errors or result.problems
                    raise InvalidInput(cached.failure)
            return cached.value

    def adopt_calendar(self, stamp: tuple[int, int] | None, calendar: Calendar) -> None:
        """``calendar``, read from the file as it was at ``stamp`` and valid as the engine checks it
        (the review room's read of a save), as the last good version, unless a parse is under way
        or a newer version is held: a broken save after it shows this one."""
        cached = self._calendar
        with self._lock:
            if stamp is None or cached.flight is not None or (cached.stamp is not None and cached.stamp[0] > stamp[0]):
                return
            cached.stamp, cached.value, cached.error, cached.failure = stamp, calendar, None, None

    def site_data(self, *, live: bool = False, held_for: str | None = None,
                  announced: Collection[str] | None = None, posts: bool = True,
                  since: datetime | None = None) -> SiteData:
        """What the status site renders now: the files' last good versions (drafts are not
        public) and what the ledger says of them (:func:`scheduler.render.sitedata.site_data`,
        which names the arguments), read only when the watcher last found the ledger answering."""
        from ..render.sitedata import site_data

        def ledger() -> Ledger | None:
            return self.ledger_for_pages() if held_for != "*" else self.existing_ledger()

        return site_data(self.calendar(), self.status().public(), self.clock.now(), ledger, live=live,
                         held_for=held_for, announced=announced, posts=posts, since=since)

    def files_stamp(self) -> tuple[Any, ...]:
        """The two files' modification times and sizes: two stat calls, no reading."""
        stamps: list[Any] = []
        for path in (self.calendar_path, self.status_path):
            try:
                st = os.stat(path)
                stamps.append((st.st_mtime_ns, st.st_size))
            except OSError:
                stamps.append(None)
        return tuple(stamps)

    def version(self) -> str:
        """Changes whenever a page could: a save of either file, a ledger write the site shows
        (as the watcher last read it), a new minute.  Costs two stat calls: no database."""
        import hashlib

        snap = self.watch.snapshot()
        parts = (self.files_stamp(), snap.state, snap.stamps, self.clock.now().strftime("%Y%m%d%H%M"))
        return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]

    def on_close(self, closer: Callable[[], None]) -> None:
        """Have :meth:`close` call ``closer`` (a background thread's stop, e.g. the review room's warm-up)."""
        with self._lock:
            self._closers.append(closer)

    def close(self) -> None:
        with self._lock:
            closers, self._closers = self._closers, []
        for closer in closers:
            closer()
        with self._lock:
            watch, self._watch = self._watch, None
        if watch is not None:
            watch.stop()
        with self._open_lock:
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None


# -- the ledger, read in the background ------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """What the ledger said at its last read.

    ``state``: ``unknown`` (not read yet), ``none`` (no SQLite ledger yet), ``ok``, ``down``,
    ``broken`` (one that existed is gone, emptied or damaged: ``problem`` says which, e.g. "is gone").
    ``stamps``: per part of the site, what changes when that part's rows change (see
    :func:`scheduler.ledger.reads.overview`); pages use them in their cache keys."""

    state: str = "unknown"
    heartbeat: datetime | None = None
    stamps: tuple[tuple[str, Any], ...] = ()
    tallies: Any = None  # scheduler.web.metrics.Tallies
    read_at: float = 0.0  # time.monotonic()
    took: float = 0.0  # seconds the last read took
    problem: str | None = None  # state "broken": what is wrong, without the file's path ("is gone")

    def stamp(self, *parts: str) -> tuple[Any, ...]:
        found = dict(self.stamps)
        return (self.state, *(found.get(p) for p in parts))


class LedgerWatch:
    """Reads the ledger in a thread of its own and keeps the last :class:`Snapshot`; requests
    read the snapshot and never wait for the database (a hung database costs this thread its
    timeouts, not the site its answers).

    Every ``interval`` seconds, the cheap reads: the engines' heartbeat and the publications sent
    since the last read (by the sent_at index; counted into /metrics, and an announcement or a
    site post among them changes the stamp of the pages that show it at once).  Every
    ``overview_interval`` seconds (or ten times as long as it took, on a large ledger), the one
    aggregate pass (:func:`scheduler.ledger.reads.overview`): the gauges, and the stamps of what
    changes without a send (a post held, a retry, a dead announcement)."""

    interval = 1.0
    overview_interval = 15.0

    def __init__(self, ctx: WebContext):
        from .metrics import Tallies

        self._ctx = weakref.ref(ctx)
        self._snapshot = Snapshot()
        self._lock = threading.Lock()  # one read at a time
        self._first = threading.Event()
        self._stop = threading.Event()
        self._kick = threading.Event()
        self.tallies = Tallies()
        self._overview: Any = None
        self._overview_at = 0.0
        self._overview_took = 0.0
        self._sent_marks: dict[str, Any] = {"status": None, "site": None}
        self._thread = threading.Thread(target=_watch_loop, args=(weakref.ref(self),), name="herald-web-ledger",
                                        daemon=True)
        self._thread.start()

    def snapshot(self, *, wait_first: bool = False) -> Snapshot:
        """The last snapshot; ``wait_first``: before the first read has ended, wait for it (at most
        the web server's connect timeout: a page needs to know whether to read the ledger)."""
        if wait_first and not self._first.is_set():
            from ..ledger import WEB_TIMEOUTS

            ctx = self._ctx()
            self._first.wait(((ctx.timeouts if ctx else None) or WEB_TIMEOUTS).connect + 1.0)
        return self._snapshot

    def has_read(self) -> bool:
        """Whether a first read has ended (until then a page waits for it before building)."""
        return self._first.is_set()

    def refresh(self, *, full: bool = True) -> Snapshot:
        """Read the ledger now (``full``: the aggregate pass too, whatever its schedule)."""
        ctx = self._ctx()
        if ctx is None:
            return self._snapshot
        with self._lock:
            started = time.monotonic()
            old = self._snapshot
            try:
                ledger = ctx.existing_ledger()
                snap = Snapshot("none", read_at=time.monotonic()) if ledger is None else self._read(ctx, ledger, full)
            except BrokenLedger as exc:  # gone, emptied, damaged: said by /healthz, the file named in the log
                if old.state != "broken":
                    log.warning("the web server cannot read the ledger: %s", exc)
                snap = Snapshot("broken", read_at=time.monotonic(), problem=exc.problem.split(" (")[0])
            except Exception as exc:  # noqa: BLE001 - down or hung: said by /healthz, logged without details
                from ..redaction import redact

                if old.state != "down":
                    log.warning("the ledger does not answer the web server: %s",
                                redact(f"{type(exc).__name__}: {exc}").splitlines()[0][:300])
                snap = replace(old, state="down", read_at=time.monotonic())
            snap = replace(snap, took=time.monotonic() - started)
            self._snapshot = snap
            self._first.set()
            return snap

    def _read(self, ctx: WebContext, ledger: Ledger, full: bool) -> Snapshot:
        beat = ledger.last_heartbeat()
        if self._snapshot.state != "ok":  # answering (again): publish that before the slower reads (the
            # files, which a 100,000-post calendar makes seconds long, and the aggregate pass)
            self._snapshot = replace(self._snapshot, state="ok", heartbeat=beat, tallies=self.tallies)
            self._first.set()
        sites, types, hidden, drafts = _audience(ctx)
        self._read_overview(ledger, full)
        self.tallies.update(ledger.db, self._overview, types, frozenset(hidden), frozenset(drafts),
                            each=partial(self._mark, sites))
        return Snapshot("ok", beat, self._stamps(sites), self.tallies, read_at=time.monotonic())

    def _read_overview(self, ledger: Ledger, full: bool) -> None:
        """The aggregate pass, when asked for, or once its interval has passed: never more often
        than every ten times it takes (on a ledger that makes it slow, the watcher backs off)."""
        from ..ledger import reads

        due = time.monotonic() - self._overview_at >= max(self.overview_interval, 10 * self._overview_took)
        if full or self._overview is None or due:
            began = time.monotonic()
            self._overview = reads.overview(ledger.db)
            self._overview_at, self._overview_took = time.monotonic(), time.monotonic() - began

    def _mark(self, sites: list[str], row: tuple[str, str, datetime, datetime, str, str]) -> None:
        """A send the pages show: the stamps of the status pages, or of the site, change now."""
        from ..ledger import reads

        key, network, _at, sent, source, _state = row
        if source.startswith(reads.STATUS_PREFIXES):
            self._sent_marks["status"] = (sent, key)
        if network in sites:
            self._sent_marks["site"] = (sent, key)

    def _stamps(self, sites: list[str]) -> tuple[tuple[str, Any], ...]:
        """What each kind of page depends on in the ledger (the status's rows, the held and
        skipped ones, the site's sends, and the last send of each): equal stamps, the same page."""
        over = self._overview
        status_rows = tuple(sorted((s, n, k, t) for s, n, k, t in over.status))
        held = tuple(sorted(r for r in over.other if r[0] in ("held", "skipped")))
        site = tuple(sorted(r for r in over.other if r[0] == "sent" and r[1] in sites))
        return (("status", (status_rows, self._sent_marks["status"])), ("held", held),
                ("site", (site, self._sent_marks["site"])))

    def stop(self) -> None:
        self._stop.set()
        self._kick.set()


def _audience(ctx: WebContext) -> tuple[list[str], dict[str, str], set[str], set[str]]:
    """Who sees what, from the files: the site accounts, every account's network type, the
    internal accounts that hear of alert drafts, and the drafts' sources (left out of /metrics).
    A file that does not load leaves what it would have said empty (the pages say so themselves)."""
    sites: list[str] = []
    types: dict[str, str] = {}
    hidden: set[str] = set()
    drafts: set[str] = set()
    try:
        calendar = ctx.calendar()
        sites = [n for n, a in calendar.networks.items() if a.type == "site"]
        types = {n: str(a.type) for n, a in calendar.networks.items()}
        status = ctx.status()
        drafts = {i.source for i in status.incidents if i.draft}
        hidden = {p.announce for route in status.alerts for _, p in route.policies if p.announce}
    except Exception:  # noqa: BLE001 - a file that never loaded: the pages say so themselves
        pass
    return sites, types, hidden, drafts


def _watch_loop(ref: weakref.ref[LedgerWatch]) -> None:
    while True:
        watch = ref()
        if watch is None or watch._stop.is_set():
            return
        snap = watch.refresh(full=False)
        pause = max(watch.interval, 2 * snap.took)
        stop, kick = watch._stop, watch._kick
        del watch, snap  # only a weak reference while waiting: a context nobody holds goes away
        kick.wait(pause)
        kick.clear()
        if stop.is_set():
            return


log = logging.getLogger("herald.web")
