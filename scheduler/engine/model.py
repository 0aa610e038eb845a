"""What the engine's parts share: its timings, what happened to a publication (:class:`Result`,
:class:`Outcome`, its typed :class:`Cause`), what is due (:class:`Due`), what the engine runs on (:class:`View`)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from campaigns.model import Calendar
from campaigns.plan import Publication
from status.model import Status

from ..ledger import Item, Record
from ..logformat import log_time
from ..networks.base import Publisher

LEASE = timedelta(minutes=2)  # longer than any publisher's timeout
# A claim whose engine process is found gone on this host waits this long before it is taken over:
# a post that engine had on the wire when it died may still be landing, and the reconciliation
# lookup should see it (an engine restarted at once finds the old pid gone within a second).  Peers
# on other hosts are declared dead only after as long without a heartbeat (daemon.DEAD_AFTER).  A
# network slower than this to answer is not covered: there the Idempotency-Key is the guard.
SETTLE = timedelta(seconds=4)
THREAD_WAIT = timedelta(seconds=10)  # a reply whose first post is on its way looks again this much later
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
HORIZON = timedelta(hours=26)  # how far ahead publications are scheduled; replanned hourly
REPLAN = timedelta(hours=1)  # how often the horizon moves on
LOOKBACK_CAP = timedelta(days=7)  # after a long downtime, what was missed is recorded back to this far


class Result(StrEnum):
    """What happened to one publication when the engine acted on it."""

    SENT = "sent"  # the network accepted it; its remote id is recorded
    RECONCILED = "reconciled"  # an earlier, ambiguous attempt had arrived: recorded, nothing sent
    RETRYING = "retrying"  # a transient failure or a 429: tried again at ``retry_at``
    POSTPONED = "postponed"  # not a failure: the account's rate limit, or its thread's first post is coming
    DEAD = "dead"  # permanent failure, refused by the voice guide, or delivery unknown: a person decides
    SKIPPED = "skipped"  # too late for its catch-up window, dry run, removed from the calendar, on_resume: skip
    HELD = "held"  # a pause or an open incident holds it
    RELEASED = "released"  # a hold ended: it goes out now (within catch-up)
    BLOCKED = "blocked"  # its account is stopped (auth) or gone
    TAKEN = "taken"  # another engine has it, or it is already done
    STOPPED = "stopped"  # the engine is stopping: not sent, its claim given back, due again at the next start


class Cause(StrEnum):
    """Why an outcome is what it is, for code that decides on it (the metrics, a listener): read
    this, never the outcome's message, whose wording is for people.  Set where the outcome is made."""

    NO_ACCOUNT = "no-account"  # its account is gone from the calendar
    ACCOUNT_STOPPED = "account-stopped"  # its account was stopped by an auth failure
    TOO_LATE = "too-late"  # past its kind's catch-up window
    PAUSED = "paused"
    INCIDENT_HOLD = "incident-hold"
    DRY_RUN = "dry-run"
    VOICE_GUIDE = "voice-guide"  # the brand's voice guide refused its text
    THREAD_ROOT_PENDING = "thread-root-pending"  # its thread's first post is still on its way
    RATE_LIMIT = "rate-limit"  # its account's own rate limit (the calendar's rate_limit) is spent
    STOPPING = "stopping"  # the engine is stopping
    DELIVERY_UNKNOWN = "delivery-unknown"  # may have arrived; the network cannot be asked
    NETWORK_RATE_LIMITED = "network-rate-limited"  # the network answered 429 (RateLimited)
    TRANSIENT = "transient"  # a failure worth retrying
    PERMANENT = "permanent"  # the network refused it
    AUTH_FAILED = "auth-failed"  # the network refused the credentials: the account stops
    OUT_OF_ATTEMPTS = "out-of-attempts"  # transient failures until max_attempts


QUIET = frozenset({Result.SENT, Result.RECONCILED, Result.HELD, Result.POSTPONED, Result.RELEASED, Result.STOPPED})


@dataclass(frozen=True)
class Outcome:
    key: str
    post: str
    network: str
    at: datetime
    result: Result
    remote_id: str | None = None
    message: str = ""
    retry_at: datetime | None = None
    cause: Cause | None = None  # None: sent, reconciled or taken, or nothing decides on why

    def line(self, now: datetime) -> str:
        late = (now - self.at).total_seconds()
        parts = [log_time(self.at), self.network, self.post, str(self.result)]
        if self.remote_id:
            parts.append(f"remote={self.remote_id}")
        if self.retry_at:
            parts.append(f"retry_at={log_time(self.retry_at)}")
        if late > 1:
            parts.append(f"late={late:.0f}s")
        parts.append(f"key={self.key}")
        if self.message:
            parts.append(f"({self.message})")
        return " ".join(parts)


@dataclass(frozen=True)
class Due:
    """What the engine has to act on at one instant (see :meth:`Engine.due`)."""

    new: tuple[Publication, ...] = ()  # planned, no ledger row yet
    retries: tuple[Record, ...] = ()  # retrying rows whose time came, expired leases, claims of dead engines
    releasable: tuple[Record, ...] = ()  # held rows that no pause or incident holds any more

    def __len__(self) -> int:
        return len(self.new) + len(self.retries) + len(self.releasable)


@dataclass(frozen=True)
class View:
    """What the engine runs on, swapped as one (a reload never mixes a new calendar with old accounts)."""

    calendar: Calendar
    status: Status
    publishers: Mapping[str, Publisher]


def item_of(pub: Publication) -> Item:
    return Item(key=pub.key, source=pub.source, post=pub.post, network=pub.network, kind=pub.kind,
                scheduled_at=pub.at, text=pub.text, variant=pub.variant_id)


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """Exponential backoff with jitter: 30 s, 60 s, 2 min… capped at an hour, each * [0.5, 1)."""
    delay: timedelta = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
    return delay * (0.5 + rng.random() / 2)
