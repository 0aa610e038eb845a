"""The engine's subscriber duty: make the notices the status calls for, then deliver them, each
one a claimed-then-recorded ledger row per subscriber (:mod:`scheduler.ledger.subscribers`).

Why here and not an outcome listener: the notices follow the status itself, not the sends to
the networks (a shop may announce on no network at all), and an outcome heard once is lost by a
crash between its record and its listener; the status is there again after any restart.  An
update is a notice when it is dated within ``catch_up`` of the moment an engine first sees it
(an engine started after a week away does not mail last week's updates), and it goes to the
subscribers confirmed when it is first stored.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy.engine import Engine

from campaigns.errors import ConfigError
from campaigns.model import Calendar
from campaigns.subscribers import SubscriberSettings
from status.model import Status
from status.notices import notices

from ..clock import Clock
from ..errors import Permanent, Transient
from ..http import HttpClient
from ..ledger.subscribers import Delivery, DeliveryState, Subscribers
from ..redaction import redact
from . import webhook
from .mail import Mailer, notice_message
from .secrets import Keys, read

log = logging.getLogger("herald.subscribers")

IDLE = 1.0  # seconds between two looks at the status and the ledger
BATCH = 50  # deliveries claimed at once, at most
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)


def base_url(calendar: Calendar, status: Status, settings: SubscriberSettings) -> str:
    """The status site's address, with a final slash: links in mail and webhooks start with it."""
    base = settings.page or calendar.brand.links.get("status", "") or status.status_page
    return base if base.endswith("/") else base + "/"


def backoff(attempts: int) -> timedelta:
    return min(LAST_RETRY, FIRST_RETRY * int(2 ** min(attempts, 16)))


@dataclass
class Dispatcher:
    """One engine's sending to subscribers under one calendar's settings."""

    store: Subscribers
    owner: str
    settings: SubscriberSettings
    keys: Keys
    brand: str
    mailer: Mailer
    http: HttpClient

    def fan_out(self, status: Status, now: datetime) -> int:
        """Store the notices due by ``now`` that no engine stored yet; how many deliveries that made."""
        due = notices(status, now - self.settings.catch_up, now + timedelta(microseconds=1))
        known = self.store.known(n.key for n in due)
        made = 0
        for notice in due:
            if notice.key not in known:
                count = self.store.fan_out(notice, now)
                if count is not None:
                    log.info("notice %s (%s): %d subscriber(s) to tell", notice.key[:12], notice.subject, count)
                    made += count
        return made

    def deliver(self, base: str, now: Callable[[], datetime], stop: threading.Event) -> int:
        """Send what is due, batch by batch, until nothing is or ``stop`` is set; how many were sent."""
        sent = 0
        lease = self.settings.lease
        count, per = self.settings.rate
        limit = max(1, min(BATCH, int(count * lease.total_seconds() / per.total_seconds() / 2)))
        while not stop.is_set():
            batch = self.store.claim(self.owner, now(), lease, limit)
            if not batch:
                break
            for index, delivery in enumerate(batch):
                if stop.is_set():  # never tried: due again at once, for any engine
                    self.store.release(batch[index:], now())
                    break
                sent += self.send(base, delivery, now)
        return sent

    def send(self, base: str, d: Delivery, now: Callable[[], datetime]) -> int:
        """Send one claimed delivery and record how it went; 1 if it was sent."""
        ident = f"{d.notice.key}.{d.subscriber.id}"
        if d.ambiguous:
            log.warning("delivery %s was claimed by an engine that stopped: sending it again with the same id", ident)
        try:
            if d.subscriber.kind == "webhook":
                body = webhook.payload(d.notice, base, self.brand, ident)
                webhook.post(self.http, self.keys.signing_key, d.subscriber, body, ident, now())
            else:
                self.mailer.send(_mail(self.settings, self.keys, base, self.brand, d))
        except (Transient, Permanent) as exc:
            self._failed(d, exc, now())
            return 0
        self.store.record(d, DeliveryState.SENT, now())
        if d.subscriber.kind == "webhook" and d.subscriber.failures:
            self.store.succeeded(d.subscriber.id)
        return 1

    def _failed(self, d: Delivery, exc: Transient | Permanent, at: datetime) -> None:
        error = redact(str(exc))
        final = isinstance(exc, Permanent) or d.attempts + 1 >= self.settings.attempts
        self.store.record(d, DeliveryState.DEAD if final else DeliveryState.RETRYING, at, error=error,
                          retry_at=None if final else at + backoff(d.attempts))
        log.warning("delivery %s.%s %s: %s", d.notice.key[:12], d.subscriber.id, "dead" if final else "failed", error)
        disable_after = self.settings.disable_after
        if d.subscriber.kind == "webhook" and self.store.failed(d.subscriber.id, error, disable_after, at):
            log.error("webhook subscriber %s disabled after %d failures in a row (last: %s)", d.subscriber.id,
                      self.settings.disable_after, error)


def _mail(settings: SubscriberSettings, keys: Keys, base: str, brand: str, d: Delivery) -> EmailMessage:
    """The mail of one delivery; one that cannot be made (the mail library refuses a header) never
    will be, so it is a Permanent failure: the delivery goes dead with why, never claimed again."""
    try:
        return notice_message(settings, keys, base, brand, d.notice, d.subscriber)
    except (ValueError, TypeError) as exc:
        raise Permanent("smtp", f"the notice cannot be made into a mail: {exc}") from exc


class SubscriberDuty:
    """``herald run``'s part that tells subscribers: a thread that looks every :data:`IDLE` seconds."""

    def __init__(self, calendar: Callable[[], Calendar], status: Callable[[], Status], db: Engine,
                 clock: Clock, owner: str, stop: threading.Event, *, env: Mapping[str, str] | None = None,
                 base_dir: str = "."):
        self.calendar, self.status, self.store, self.clock = calendar, status, Subscribers(db), clock
        self.owner, self.stop, self.env, self.base_dir = owner, stop, env, base_dir
        self._dispatcher: Dispatcher | None = None
        self._settings: SubscriberSettings | None = None
        self._thread: threading.Thread | None = None

    def dispatcher(self) -> Dispatcher | None:
        """The dispatcher of the calendar's settings (made again when they change; None: off or unusable)."""
        calendar = self.calendar()
        settings = calendar.engine.subscribers
        if settings != self._settings:
            self._settings, self._dispatcher = settings, None
            if settings is not None:
                try:
                    keys = read(settings, self.env, self.base_dir)
                except ConfigError as exc:
                    log.error("%s; subscribers are not told until it is", exc)
                    return None
                http = HttpClient(deadline=settings.timeout.total_seconds())
                self._dispatcher = Dispatcher(self.store, self.owner, settings, keys, calendar.brand.name,
                                              Mailer(settings, keys), http)
        return self._dispatcher

    def step(self) -> int:
        """One look: notices stored, deliveries sent; how many were sent."""
        dispatcher = self.dispatcher()
        if dispatcher is None:
            return 0
        status = self.status()
        now = self.clock.now()
        self.store.forget_unconfirmed(now)
        dispatcher.fan_out(status, now)
        return dispatcher.deliver(base_url(self.calendar(), status, dispatcher.settings), self.clock.now, self.stop)

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                self.step()
            except Exception as exc:  # a ledger that does not answer: try again at the next look
                said = redact(str(exc)).splitlines()[0] if str(exc) else ""
                log.error("subscribers: %s: %s", type(exc).__name__, said)
            self.stop.wait(IDLE)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="herald-subscribers", daemon=True)
        self._thread.start()

    def join(self, timeout: float) -> bool:
        """Wait for the thread (stopped by the stop event); False if it still runs (a send in flight
        keeps its claim: the lease ends and another start sends it)."""
        if self._thread is not None:
            self._thread.join(timeout)
            alive = self._thread.is_alive()
            if not alive and self._dispatcher is not None:
                self._dispatcher.mailer.close()
            return not alive
        return True

