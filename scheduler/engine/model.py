"""What the engine's parts share: its timings, what happened to a publication (:class:`Result`,
:class:`Outcome`), what is due (:class:`Due`), what the engine runs on (:class:`View`)."""

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
