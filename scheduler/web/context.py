"""What every page and endpoint of the web server reads, in one object.

The calendar and the status file are read from disk when they change (by modification time
and size) and the last good version is kept when a save is broken, as the engine does; the
ledger is opened once.  Secrets (the review-room token, the intake token) come from the
environment only and are registered for redaction.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..clock import Clock, SystemClock

if TYPE_CHECKING:
    from campaigns.model import Calendar
    from status.model import Status

    from ..ledger import Ledger

REVIEW_TOKEN_ENV = "HERALD_REVIEW_TOKEN"  # the review room and the /calendar.ics subscription
INTAKE_TOKEN_ENV = "HERALD_INTAKE_TOKEN"  # the alert intake endpoints


@dataclass
class _Cached:
    stamp: tuple[int, int] | None = None
    value: Any = None
    error: str | None = None  # the last load's first problem, when the file on disk is broken


@dataclass
class WebContext:
    calendar_path: str
    status_path: str
    ledger_url: str
    clock: Clock = field(default_factory=SystemClock)
    review_token: str | None = None
    intake_token: str | None = None
    _ledger: Ledger | None = field(default=None, init=False, repr=False)
    _calendar: _Cached = field(default_factory=_Cached, init=False, repr=False)
    _status: _Cached = field(default_factory=_Cached, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def from_environment(cls, calendar_path: str, status_path: str, ledger_url: str,
                         clock: Clock | None = None) -> WebContext:
        from ..redaction import register

        review = os.environ.get(REVIEW_TOKEN_ENV) or None
        intake = os.environ.get(INTAKE_TOKEN_ENV) or None
        for secret in (review, intake):
            if secret:
                register(secret)
        return cls(calendar_path, status_path, ledger_url, clock or SystemClock(), review, intake)

    # -- the ledger ------------------------------------------------------------------------
    def ledger(self) -> Ledger:
        with self._lock:
            if self._ledger is None:
                from ..ledger import Ledger

                self._ledger = Ledger(self.ledger_url)
            return self._ledger

    def existing_ledger(self) -> Ledger | None:
        """The ledger, or None while a SQLite ledger has not been created by an engine (reading
        pages must not create one)."""
        if self.ledger_url.startswith("sqlite:///") and not os.path.exists(self.ledger_url[len("sqlite:///"):]):
            return None
        return self.ledger()

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
        try:
            st = os.stat(path)
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None
        with self._lock:
            if cached.value is not None and stamp == cached.stamp:
                return cached.value
        result = check()
        with self._lock:
            cached.stamp = stamp
            if result.ok:
                cached.value, cached.error = result.value, None
            else:
                cached.error = str((result.errors or result.problems)[0])
                if cached.value is None:
                    from campaigns.errors import InvalidInput

                    raise InvalidInput(result.errors or result.problems)
            return cached.value

    def site_data(self, *, live: bool = False, held_for: str | None = None) -> Any:
        """What the status site renders now: the files' last good versions and, when the ledger
        answers, where each update was announced and what was held during incident ``held_for``
        (``"*"``: every incident, for an export; a query per incident, so only where shown)."""
        import logging

        from ..ledger import reads
        from .render import SiteData

        calendar, status, now = self.calendar(), self.status().public(), self.clock.now()  # drafts are not public
        data = SiteData(calendar, status, now, live=live, base_url=status.status_page)
        try:
            ledger = self.existing_ledger()
            if ledger is None:
                return data
            db = ledger.db
            data.records = reads.announcements(db)
            for incident in status.incidents:
                if incident.impact.holds_posts and held_for in ("*", incident.id):
                    end = incident.updates[-1].at if incident.resolved else now
                    data.held[incident.id] = reads.not_sent_between(db, incident.started, end)
            sites = [name for name, account in calendar.networks.items() if account.type == "site"]
            data.posts = [{"key": r.key, "kind": r.kind, "at": r.scheduled_at, "text": r.text or ""}
                          for r in reads.sent_posts(db, sites)]
        except Exception as exc:  # the ledger is down: the page still shows the status file
            logging.getLogger("herald.web").warning("ledger unavailable for the site: %s: %s", type(exc).__name__, exc)
        return data

    def version(self) -> str:
        """Changes whenever a page could: a save of either file, a ledger write, a new minute."""
        import hashlib

        from ..ledger import reads

        stamps = []
        for path in (self.calendar_path, self.status_path):
            try:
                st = os.stat(path)
                stamps.append(f"{st.st_mtime_ns}:{st.st_size}")
            except OSError:
                stamps.append("-")
        try:
            ledger = self.existing_ledger()
            stamps.append(str(reads.latest_change(ledger.db)) if ledger else "none")
        except Exception:  # noqa: BLE001 - the ledger down: the files and the minute still count
            stamps.append("?")
        stamps.append(self.clock.now().strftime("%Y%m%d%H%M"))
        return hashlib.sha256("|".join(stamps).encode()).hexdigest()[:16]

    def close(self) -> None:
        with self._lock:
            if self._ledger is not None:
                self._ledger.close()
                self._ledger = None
