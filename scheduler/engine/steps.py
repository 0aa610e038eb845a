"""The steps of :meth:`Engine.fire` before the send, one decision each.

A step reads a :class:`Firing` (one due publication, the view it is decided on, ``now``) and
either decides (returns the :class:`Outcome`) or passes it on (returns None).  What a step
records it records in the ledger; an outcome a person or listener should hear of is announced
(``Firing.announce``); one that only says another engine got there first (``taken``) is not.
The order is :data:`scheduler.engine.pipeline.FIRE`'s."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from campaigns.durations import parse_rate
from campaigns.model import STATUS_KINDS, Account
from campaigns.plan import Publication
from status.announce import holding_incident

from ..ledger import Claim, Ledger, State
from ..networks.base import OutgoingPost, Publisher, RemoteRef
from .events import Events
from .gate import Gate
from .model import LEASE, THREAD_WAIT, Cause, Outcome, Result, View, item_of

log = logging.getLogger("herald.engine")


class Host(Protocol):
    """What the steps use of the engine (the :class:`Engine` itself; a small fake in unit tests)."""

    ledger: Ledger
    owner: str
    rng: random.Random
    stopped: dict[str, str]  # account -> why (auth failures)
    events: Events
    gate: Gate

    @property
    def planned(self) -> Mapping[str, Publication]: ...

    def owner_gone(self, owner: str, now: datetime) -> bool: ...

    def _refusal(self, view: View, pub: Publication, now: datetime) -> str | None: ...


@dataclass
class Firing:
    """One due publication on its way through the steps: what they read, and what they found."""

    engine: Host
    view: View  # one consistent calendar, status and set of accounts for the whole decision
    pub: Publication
    now: datetime
    retry: bool = False  # a retry is never too late for catch-up: it was on time once
    publisher: Publisher | None = None  # found by ``account``
    account: Account | None = None  # found by ``account``
    claim: Claim | None = None  # taken by ``claim``
    post: OutgoingPost | None = None  # built by ``reconcile``, sent by ``send``
    ref: RemoteRef | None = None  # what the network answered ``send`` with
    failure: Exception | None = None  # what ``reconcile`` or ``send`` raised, for ``record``
    # run when the firing ends, however; an undo holds what it needs, never the firing (a cycle would
    # leave every firing, and its claim and post, to the cyclic collector)
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    def outcome(self, result: Result, message: str = "", *, remote_id: str | None = None,
                retry_at: datetime | None = None, cause: Cause | None = None) -> Outcome:
        pub = self.pub
        return Outcome(pub.key, pub.post, pub.network, pub.at, result, remote_id=remote_id, message=message,
                       retry_at=retry_at, cause=cause)

    def announce(self, result: Result, message: str = "", *, remote_id: str | None = None,
                 retry_at: datetime | None = None, cause: Cause | None = None) -> Outcome:
        """The outcome, told to the engine's listeners (the log among them)."""
        return self.engine.events.publish(self.outcome(result, message, remote_id=remote_id, retry_at=retry_at,
                                                       cause=cause), self.now)


def account(f: Firing) -> Outcome | None:
    """no account for its network any more: blocked"""
    f.publisher = f.view.publishers.get(f.pub.network)
    f.account = f.view.calendar.networks.get(f.pub.network)
    if f.publisher is None or f.account is None:
        return f.announce(Result.BLOCKED, "no such network account any more", cause=Cause.NO_ACCOUNT)
    return None


def stopped_account(f: Firing) -> Outcome | None:
    """its account was stopped by an auth failure: blocked (announced when it stopped)"""
    why = f.engine.stopped.get(f.pub.network)
    return None if why is None else f.outcome(Result.BLOCKED, why, cause=Cause.ACCOUNT_STOPPED)


def catch_up(f: Firing) -> Outcome | None:
    """later than its kind's catch-up window (a retry never is): skipped, with why"""
    late = f.now - f.pub.at
    grace = f.view.calendar.engine.grace(f.pub.kind)
    if late <= grace or f.retry:
        return None
    return settle(f, State.SKIPPED, Result.SKIPPED,
                  f"{delta(late)} late; {f.pub.kind} posts go out at most {delta(grace)} late", Cause.TOO_LATE)


def pause(f: Firing) -> Outcome | None:
    """a pause covers its network: held"""
    reason = pause_reason(f.engine.ledger, f.pub.network, f.now)
    return None if reason is None else settle(f, State.HELD, Result.HELD, reason, Cause.PAUSED)


def incident_hold(f: Firing) -> Outcome | None:
    """an open major incident holds it (calendar posts, by kind and components): held"""
    reason = incident_reason(f.view, f.pub.kind, f.pub.post, f.now)
    return None if reason is None else settle(f, State.HELD, Result.HELD, reason, Cause.INCIDENT_HOLD)


def dry_run(f: Firing) -> Outcome | None:
    """its account is a dry run: skipped, the text it would have posted recorded"""
    assert f.account is not None
    if not f.account.dry_run:
        return None
    reason = f"dry run: would have posted {f.pub.text!r}"
    f.engine.ledger.settle(item_of(f.pub), State.SKIPPED, f.now, reason[:2000])
    return f.announce(Result.SKIPPED, "dry run", cause=Cause.DRY_RUN)


def claim(f: Firing) -> Outcome | None:
    """the ledger gives it to one engine only: taken if another has it or it is done"""
    engine, now = f.engine, f.now
    f.claim = engine.ledger.claim(item_of(f.pub), engine.owner, now, LEASE,
                                  orphaned=lambda owner: engine.owner_gone(owner, now), new=not f.retry)
    return f.outcome(Result.TAKEN) if f.claim is None else None


def voice_guide(f: Firing) -> Outcome | None:
    """the brand's voice guide refuses its text (not asked again on a reconcile): dead"""
    assert f.claim is not None
    refusal = None if f.claim.ambiguous else f.engine._refusal(f.view, f.pub, f.now)
    if refusal is None:
        return None
    f.engine.ledger.mark_dead(f.pub.key, f.engine.owner, f.now, refusal)
    log.error("refused %s on %s: %s", f.pub.post, f.pub.network, refusal)
    return f.announce(Result.DEAD, refusal, cause=Cause.VOICE_GUIDE)


def thread_roots(pub: Publication) -> tuple[str, ...]:
    """The posts ``pub`` may reply under, in order: its thread's root, then those that stand in for it
    when it never went out (a maintenance window's first announcement sent is its thread's root)."""
    return (pub.thread_root, *pub.thread_fallbacks) if pub.thread_root else ()


def thread_root(f: Firing) -> Outcome | None:
    """a reply whose thread's first post is still on its way: postponed a little"""
    for key in thread_roots(f.pub):
        root = f.engine.ledger.get(key)
        if root is not None and root.state == State.SENT:
            return None
        # Wait for a first post that is on its way; one that will never be sent (too old to be
        # planned, skipped, dead) leaves the next in line (a window's later announcement) or none.
        if (root is None and key in f.engine.planned) or (
                root is not None and root.state not in (State.DEAD, State.SKIPPED)):
            at = f.now + THREAD_WAIT
            f.engine.ledger.postpone(f.pub.key, f.engine.owner, f.now, at, "waiting for the first post of its thread")
            return f.announce(Result.POSTPONED, "waiting for the first post of its thread", retry_at=at,
                              cause=Cause.THREAD_ROOT_PENDING)
    return None


def rate_limit(f: Firing) -> Outcome | None:
    """its account's rate limit is spent: postponed to the next free slot (not a failure)"""
    assert f.account is not None
    rate = f.account.options.get("rate_limit")
    wait_until = rate_slot(f.engine.ledger, f.pub.network, rate, f.now)
    if wait_until is None:
        return None
    f.engine.ledger.postpone(f.pub.key, f.engine.owner, f.now, wait_until, f"rate limit {rate}")
    return f.announce(Result.POSTPONED, f"rate limit {rate}", retry_at=wait_until, cause=Cause.RATE_LIMIT)


# -- what the steps decide with ----------------------------------------------------------------

def settle(f: Firing, state: State, result: Result, reason: str, cause: Cause) -> Outcome:
    """Record a publication that is not sent now; ``taken`` if another engine recorded it first."""
    if f.engine.ledger.settle(item_of(f.pub), state, f.now, reason):  # logged once, by the log listener
        return f.announce(result, reason, cause=cause)
    return f.outcome(Result.TAKEN)


def pause_reason(ledger: Ledger, network: str, now: datetime) -> str | None:
    """Why a pause holds what is due for ``network`` at ``now``; None: no pause covers it."""
    pause = next((p for p in ledger.active_pauses(now) if p.covers(network, now)), None)
    if pause is None:
        return None
    return f"paused: {pause.reason}" if pause.reason else "paused"


def incident_reason(view: View, kind: str, post_id: str, now: datetime) -> str | None:
    """Why an open major incident holds a calendar post (status posts never wait for one)."""
    if kind in STATUS_KINDS:
        return None
    post = view.calendar.post(post_id)
    incident = holding_incident(view.calendar, view.status, kind, post.components if post else (), now)
    if incident is None:
        return None
    return f"held: incident {incident.id} ({incident.impact}) is open"


def rate_slot(ledger: Ledger, network: str, rate: str | None, now: datetime) -> datetime | None:
    """When the next post may go to ``network`` under its rate limit, or None if now."""
    if not rate:
        return None
    count, period = parse_rate(rate)
    recent = [t for t in ledger.sent_since(network, now - period) if t > now - period]
    # Our own claim is among the rows counted as in flight: leave it out.
    if len(recent) - 1 < count:
        return None
    return recent[len(recent) - 1 - count] + period


def delta(d: timedelta) -> str:
    seconds = int(d.total_seconds())
    if seconds >= 86400 and seconds % 3600 == 0:
        return f"{seconds // 86400}d {seconds % 86400 // 3600}h" if seconds % 86400 else f"{seconds // 86400}d"
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"
