"""The engine decides what is due and acts on it, with no timer in it: every call takes ``now``.

One path in, the way huey and rq have one obvious job path:

- :meth:`Engine.due` what is due at ``now`` (for one account, or all): planned publications
  without a ledger row, retries whose time came, expired claims and claims of engines that
  died (on this host, or whose heartbeat and lock session the daemon saw end), and held rows
  that no pause or incident holds any more;
- :meth:`Engine.run_due` acts on them: the only way anything is sent (``herald run --once``
  calls it once, the daemon per account whenever the timer fires, ``herald simulate`` on a
  fake clock);
- :meth:`Engine.next_wakeup` says when something next becomes due: what the daemon waits for;
- :meth:`Engine.swap` puts a reloaded calendar, status or set of publishers in place at once,
  under the engine's lock.
- :meth:`Engine.stop` (SIGTERM) closes the gate every send passes: no new send starts, however
  long the backlog; the sends on the wire finish and are recorded; the rest stays due.

``scheduler.daemon`` only waits (APScheduler), watches files and handles signals, so every
policy is tested in milliseconds with a fake clock and the in-memory network.

For one due publication, :meth:`Engine.fire`:

1. skips it if it is later than the catch-up policy allows for its kind (recorded
   ``skipped`` with the reason: never silently dropped);
2. holds it while a pause covers its network (recorded ``held``);
3. claims it in the ledger (only one engine can);
4. waits for the account's rate limit if it is spent (``postponed``, not a failure);
5. reconciles first if the claim is *ambiguous* (an earlier attempt may have reached
   the network): if the network already has it, records that and sends nothing;
6. sends it and records the remote id, or records the failure: transient errors
   retry with exponential backoff and jitter, 429s at the reset time, permanent
   errors go ``dead`` with the API's message, auth errors stop the account.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from campaigns.durations import parse_rate
from campaigns.lint import recent_repeat
from campaigns.model import STATUS_KINDS, Calendar
from campaigns.plan import Publication, VariantHistory, plan
from campaigns.voice import VoiceChecker
from status.announce import announcements, headline, holding_incident
from status.announce import change as announce_change
from status.lint import checker_for
from status.model import Status

from .ledger import Claim, Item, Ledger, Record, State
from .logformat import log_time
from .networks.base import (
    AuthFailed,
    OutgoingPost,
    Permanent,
    Publisher,
    PublishError,
    RateLimited,
    RemoteRef,
    Transient,
)

log = logging.getLogger("herald.engine")

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


def _delta(d: timedelta) -> str:
    seconds = int(d.total_seconds())
    if seconds >= 86400 and seconds % 3600 == 0:
        return f"{seconds // 86400}d {seconds % 86400 // 3600}h" if seconds % 86400 else f"{seconds // 86400}d"
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class Engine:
    """Decides what is due and acts on it; every method takes ``now``.

    The one way in is :meth:`run_due` (``herald run --once`` calls it once; the daemon calls it
    per account whenever :meth:`next_wakeup` says so).  :meth:`swap` replaces the calendar, the
    status and the publishers under the engine's lock."""

    def __init__(self, calendar: Calendar, ledger: Ledger, publishers: Mapping[str, Publisher], owner: str,
                 rng: random.Random | None = None, on_outcome: Callable[[Outcome], None] | None = None,
                 status: Status | None = None, parallel: int = 1):
        self.ledger = ledger
        # How many publications due at once are sent at once (per call of run_due, so per account in
        # the daemon): the daemon uses a few so that ten posts due the same second are not sent one
        # after another; 1 keeps the order strict (``--once``, tests, simulations).
        self.parallel = max(1, parallel)
        self.owner = owner
        self.rng = rng or random.Random()
        self.on_outcome = on_outcome
        self.stopped: dict[str, str] = {}  # account -> why (auth failures)
        # Engines sharing the ledger that are dead (set by the daemon from heartbeats and lock
        # sessions): their claims are taken over at once, not when the lease ends.
        self.dead_owners: frozenset[str] = frozenset()
        self._gone_since: dict[str, datetime] = {}  # engine processes of this host found gone: when
        # False while another engine of the cluster reads the status feeds: a status publication
        # this engine cannot find may be one of theirs, so it is left to them, not skipped.
        self.reads_feeds = True
        self.lock = threading.RLock()  # guards view, planned, window
        self._plan_lock = threading.Lock()  # one replan at a time (it reads the ledger: done outside ``lock``)
        self.view = View(calendar, status or Status(path="", timezone=calendar.brand.timezone), dict(publishers))
        self.planned: dict[str, Publication] = {}
        self._order: tuple[Publication, ...] = ()  # the planned publications in time order
        self.window: tuple[datetime, datetime] | None = None
        self.planned_at: datetime | None = None
        self._recorded: set[str] = set()  # planned keys known to have a ledger row (rows are never deleted)
        # Where the first plan starts: when the ledger last saw an engine alive, so that what
        # was missed during downtime is sent (within catch-up) or recorded as skipped.
        self.since: datetime | None = ledger.last_activity()
        self._checker: tuple[Calendar, Status, VoiceChecker] | None = None
        self._shown_status: Status | None = None  # the status the publishers were last shown (on_status)
        # Stopping (see :meth:`stop`): a send starts only through ``_gate``, which stop() closes; the
        # sends that passed it are ``_in_flight`` until their outcome is recorded.
        self._stopping = False
        self._gate = threading.Lock()
        self._in_flight: dict[str, Publication] = {}

    @property
    def calendar(self) -> Calendar:
        return self.view.calendar

    # -- stopping --------------------------------------------------------------------
    def stop(self) -> list[Publication]:
        """Start no new send from now on (SIGTERM): :meth:`run_due` acts on nothing more, and a
        publication claimed meanwhile gives its claim back instead of going out (due again at the
        next start, the ledger's exactly-once rules unchanged).  Returns the sends already on the
        wire, in time order: they finish and are recorded.  Idempotent; there is no restart."""
        with self._gate:
            self._stopping = True
            return sorted(self._in_flight.values(), key=lambda p: (p.at.timestamp(), p.network, p.post))

    @property
    def stopping(self) -> bool:
        return self._stopping

    def in_flight(self) -> list[Publication]:
        """The sends on the wire now (they passed the gate and are not recorded yet)."""
        with self._gate:
            return list(self._in_flight.values())

    @property
    def status(self) -> Status:
        return self.view.status

    @property
    def publishers(self) -> Mapping[str, Publisher]:
        return self.view.publishers

    # -- what runs ---------------------------------------------------------------------
    def swap(self, now: datetime, *, calendar: Calendar | None = None, status: Status | None = None,
             publishers: Mapping[str, Publisher] | None = None, show: bool = True) -> tuple[set[str], set[str]]:
        """Replace any of the calendar, the status and the publishers at once, under the lock, and
        replan (only the announcements the status change calls for when only the status changed);
        return (added, removed) keys.  ``show=False`` leaves showing a new status to the publishers
        (the site) to :meth:`show_status`, so that the announcements go out first."""
        with self._plan_lock:
            with self.lock:
                old = self.view
                self.view = View(calendar or old.calendar, status or old.status,
                                 dict(publishers) if publishers is not None else old.publishers)
                for name in list(self.stopped):  # an account removed, or rebuilt (new credentials), starts afresh
                    if self.view.publishers.get(name) is not old.publishers.get(name):
                        del self.stopped[name]
                # publishers new or rebuilt (a reload that changed their settings): never shown a status
                unseen = [p for name, p in self.view.publishers.items() if p is not old.publishers.get(name)]
            shown = self._shown_status
            if calendar is None and publishers is None and self.window is not None:
                return self._replan_status(now, old.status, show)
            changes = self._replan(now)
            if unseen and shown is not None and self._shown_status is shown:  # the others saw it already
                self._show(unseen, self.view, now)
            return changes

    # -- planning ------------------------------------------------------------------
    def replan(self, now: datetime, calendar: Calendar | None = None,
               status: Status | None = None) -> tuple[set[str], set[str]]:
        """Plan [now - longest catch-up, now + HORIZON] for the calendar and the incident
        announcements; return (added keys, removed keys)."""
        if calendar is not None or status is not None:
            return self.swap(now, calendar=calendar, status=status)
        with self._plan_lock:
            return self._replan(now)

    def _replan(self, now: datetime) -> tuple[set[str], set[str]]:
        view = self.view
        calendar = view.calendar
        start = now - calendar.engine.longest_grace
        if self.since is not None:
            start = min(start, max(self.since, now - LOOKBACK_CAP))
            self.since = None  # later plans overlap the first one; they need not look back
        end = now + HORIZON
        history = self.ledger.variant_history(start, end)
        fresh = {p.key: p for p in plan(calendar, start, end, history) if p.network in view.publishers}
        fresh.update((p.key, p) for p in self._announcements(view, start, end, now))
        with self.lock:
            old = self.planned
            changed = view.status is not self._shown_status
            self.planned, self.window, self.planned_at = fresh, (start, end), now
            self._order = _in_order(fresh)
            self._recorded &= set(fresh)
        if changed:
            self._status_changed(view, now)
        return set(fresh) - set(old), set(old) - set(fresh)

    def _replan_status(self, now: datetime, before: Status, show: bool = True) -> tuple[set[str], set[str]]:
        """Plan the announcements again after a status change: those of the incidents and windows
        that changed (:func:`status.announce.change`), the rest kept as planned for ``before``."""
        assert self.window is not None
        view = self.view
        start, end = self.window
        status = view.status
        announced = self.ledger.sent_sources("maintenance:") if status.maintenance else frozenset()
        change = announce_change(before, status, announced)
        if change is None:
            fresh = {k: p for k, p in self.planned.items() if p.kind not in STATUS_KINDS}
        else:
            fresh = {k: p for k, p in self.planned.items() if (p.kind, p.post) not in change.posts}
            status = change.status
        fresh.update((p.key, p) for p in announcements(view.calendar, status, start, end, set(view.publishers), now,
                                                       announced))
        with self.lock:
            old = self.planned
            self.planned = fresh
            self._order = _in_order(fresh)
        if show:
            self._status_changed(view, now)
        return set(fresh) - set(old), set(old) - set(fresh)

    def show_status(self, now: datetime) -> None:
        """Show the publishers the status if they have not seen it yet (after ``swap(show=False)``)."""
        with self._plan_lock:
            view = self.view
            if view.status is not self._shown_status:
                self._status_changed(view, now)

    def _ensure_plan(self, now: datetime) -> None:
        """Replan when the plan is an hour old (the horizon moves on) or the clock went back before it."""
        if self.window is None or self.planned_at is None or now >= self.planned_at + REPLAN \
                or now < self.window[0]:
            with self._plan_lock:
                if self.window is None or self.planned_at is None or now >= self.planned_at + REPLAN \
                        or now < self.window[0]:
                    self._replan(now)

    def _status_changed(self, view: View, now: datetime) -> None:
        self._shown_status = view.status
        self._show(view.publishers.values(), view, now)

    @staticmethod
    def _show(publishers: Iterable[Publisher], view: View, now: datetime) -> None:
        for publisher in publishers:
            try:
                publisher.on_status(view.status, view.calendar, now)
            except Exception:  # the status page failing to render never stops announcements
                log.exception("%s could not show the new status", publisher.name)

    def _announcements(self, view: View, start: datetime, end: datetime, now: datetime) -> list[Publication]:
        status = view.status
        announced = self.ledger.sent_sources("maintenance:") if status.maintenance else frozenset()
        return announcements(view.calendar, status, start, end, set(view.publishers), now, announced)

    def pending(self, now: datetime | None = None, network: str | None = None) -> list[Publication]:
        """Planned publications due by ``now`` (None: all) that the ledger has no row for yet, in
        time order (rows already there, retrying or claimed, are the retries')."""
        planned = []
        for pub in self._order:
            if now is not None and pub.at > now:
                break
            if pub.key not in self._recorded and (network is None or pub.network == network):
                planned.append(pub)
        states = self.ledger.states([p.key for p in planned])
        self._recorded.update(states)
        return [p for p in planned if p.key not in states]

    def _next_new(self, network: str | None) -> datetime | None:
        """When the first planned publication without a ledger row is due; the ledger is asked
        about a few at a time, in time order, never about the whole horizon."""
        batch: list[Publication] = []
        for pub in (*self._order, None):
            if pub is not None:
                if pub.key in self._recorded or not self._acts_on(pub.network, network):
                    continue
                batch.append(pub)
                if len(batch) < 50:
                    continue
            if not batch:
                return None
            states = self.ledger.states([p.key for p in batch])
            self._recorded.update(states)
            first = next((p for p in batch if p.key not in states), None)
            if first is not None:
                return first.at
            batch = []
        return None

    def lookup(self, record: Record) -> Publication | None:
        """The publication a ledger row stands for, from the current calendar and status (their
        current wording), found by its post (or incident) and occurrence: never by planning a window."""
        found = self.planned.get(record.key)
        if found is not None:
            return found
        view = self.view
        at = record.scheduled_at
        instant = (at, at + timedelta(microseconds=1))
        if record.kind in STATUS_KINDS:
            incident = view.status.incident(record.post)
            maintenance = next((m for m in view.status.maintenance if m.id == record.post), None)
            if incident is None and maintenance is None:
                return None
            only = replace(view.status, incidents=(incident,) if incident else (),
                           maintenance=(maintenance,) if maintenance else ())
            # dynamic news (a change, a cancellation) is dated when it was noticed: its scheduled time
            around = announcements(view.calendar, only, *instant, {record.network}, at,
                                   self.ledger.sent_sources("maintenance:") if maintenance else frozenset())
        else:
            post = view.calendar.post(record.post)
            if post is None or record.network not in post.networks:
                return None
            one = replace(view.calendar, posts=(post,))
            chosen = VariantHistory({}, {}, {record.key: record.variant} if record.variant else {})
            around = plan(one, *instant, chosen)
        return next((p for p in around if p.key == record.key), None)

    # -- deciding ----------------------------------------------------------------------
    def _acts_on(self, network: str, only: str | None) -> bool:
        return (only is None or network == only) and network in self.view.publishers and network not in self.stopped

    def due(self, now: datetime, network: str | None = None) -> Due:
        """Everything to act on at ``now`` (for one account, or all): planned publications without
        a ledger row, retries whose time came, expired claims and claims of engines that died on
        this host, and held rows no hold covers any more."""
        self._ensure_plan(now)
        new = tuple(p for p in self.pending(now, network) if self._acts_on(p.network, None))
        retries = [r for r in self.ledger.due_retries(now) if self._acts_on(r.network, network)]
        seen = {r.key for r in retries}
        retries += [r for r in self.ledger.claimed() if r.key not in seen and self._acts_on(r.network, network)
                    and r.lease_owner and r.lease_owner != self.owner and self.owner_gone(r.lease_owner, now)]
        releasable = tuple(r for r in self.ledger.held(network) if self._acts_on(r.network, network)
                           and self.hold_reason(r.kind, r.post, r.network, now) is None)
        return Due(new, tuple(retries), releasable)

    def next_wakeup(self, now: datetime, network: str | None = None) -> datetime | None:
        """When something next becomes due (for one account, or all): ``now`` if something is due
        already; None if nothing is planned and nothing waits (the daemon still ticks)."""
        self._ensure_plan(now)
        times: list[datetime] = []
        if self.planned_at is not None:
            times.append(self.planned_at + REPLAN)
        first = self._next_new(network)
        if first is not None:
            times.append(first)
        for record in self.ledger.due_retries(now + HORIZON):
            if self._acts_on(record.network, network):
                at = record.next_attempt_at if record.state == State.RETRYING else record.lease_until
                times.append(at or now)
        for r in self.ledger.claimed():
            if r.lease_owner and r.lease_owner != self.owner and self._acts_on(r.network, network):
                free = self.owner_free_at(r.lease_owner, now)
                if free is not None:
                    times.append(max(now, free))
        held = [r for r in self.ledger.held(network) if self._acts_on(r.network, network)]
        if held:
            if any(self.hold_reason(r.kind, r.post, r.network, now) is None for r in held):
                times.append(now)
            times += [p.until for p in self.ledger.active_pauses(now) if p.until is not None]
        return max(min(times), now) if times else None

    # -- acting ----------------------------------------------------------------------
    def run_due(self, now: datetime, network: str | None = None) -> list[Outcome]:
        """Act on everything :meth:`due` at ``now``, for one account or all: the only way anything is
        sent.  Holds that ended are released (or skipped, per catch-up and ``on_resume``) and then
        sent with the retries; new publications go first, oldest first."""
        if self._stopping:
            return []
        due = self.due(now, network)
        outcomes: list[Outcome] = []
        if self.parallel > 1 and len(due.new) > 1:
            # A backlog is thousands long: once the engine stops, the queued rest is not acted on
            # (each worker looks before its next publication), so the pool ends with the sends in flight.
            with ThreadPoolExecutor(max_workers=min(self.parallel, len(due.new)),
                                    thread_name_prefix=f"herald-send-{network or 'all'}") as pool:
                done = list(pool.map(lambda pub: None if self._stopping else self.fire(pub, now), due.new))
            outcomes = [o for o in done if o is not None]
        else:
            for new in due.new:
                if self._stopping:
                    break
                outcomes.append(self.fire(new, now))
        retries = list(due.retries)
        for record in due.releasable:
            if self._stopping:
                return outcomes
            outcome = self._release(record, now)
            if outcome is not None:
                outcomes.append(self._emit(outcome, now))
                if outcome.result == Result.RELEASED:
                    released = self.ledger.get(record.key)
                    if released is not None:
                        retries.append(released)
        for record in retries:
            if self._stopping:
                break
            pub = self.lookup(record)
            if pub is None and not self.reads_feeds and record.kind in STATUS_KINDS:
                continue  # perhaps from a status feed that another engine reads: theirs to act on
            if pub is None:
                if self.ledger.operator_skip(record.key, now, "removed from the calendar") is not None:
                    outcomes.append(self._emit(Outcome(record.key, record.post, record.network, record.scheduled_at,
                                                       Result.SKIPPED, message="removed from the calendar"), now))
                continue
            outcomes.append(self.fire(pub, now, retry=True))
        return outcomes

    def _release(self, record: Record, now: datetime) -> Outcome | None:
        return release_one(self.ledger, self.view.calendar, record, now)

    def fire(self, pub: Publication, now: datetime, retry: bool = False) -> Outcome:
        """Act on one due publication (see the module's docstring for the steps).  Callers outside
        the engine go through :meth:`run_due`; this is public for tests that pick one publication."""
        view = self.view  # one consistent calendar, status and set of accounts for the whole decision
        self._recorded.add(pub.key)  # whatever happens below, it has (or another engine made) a row
        publisher = view.publishers.get(pub.network)
        account = view.calendar.networks.get(pub.network)
        if publisher is None or account is None:
            return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, Result.BLOCKED,
                                      message="no such network account any more"), now)
        if pub.network in self.stopped:
            return Outcome(pub.key, pub.post, pub.network, pub.at, Result.BLOCKED, message=self.stopped[pub.network])
        policy = view.calendar.engine
        late = now - pub.at
        grace = policy.grace(pub.kind)
        if late > grace and not retry:
            reason = f"{_delta(late)} late; {pub.kind} posts go out at most {_delta(grace)} late"
            if self.ledger.settle(item_of(pub), State.SKIPPED, now, reason):  # logged once, by _emit
                return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, Result.SKIPPED, message=reason), now)
            return Outcome(pub.key, pub.post, pub.network, pub.at, Result.TAKEN)
        hold = self._hold_reason(view, pub.kind, pub.post, pub.network, now)
        if hold is not None:
            if self.ledger.settle(item_of(pub), State.HELD, now, hold):
                return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, Result.HELD, message=hold), now)
            return Outcome(pub.key, pub.post, pub.network, pub.at, Result.TAKEN)
        if account.dry_run:
            reason = f"dry run: would have posted {pub.text!r}"
            self.ledger.settle(item_of(pub), State.SKIPPED, now, reason[:2000])
            return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, Result.SKIPPED, message="dry run"), now)
        claim = self.ledger.claim(item_of(pub), self.owner, now, LEASE,
                                  orphaned=lambda owner: self.owner_gone(owner, now))
        if claim is None:
            return Outcome(pub.key, pub.post, pub.network, pub.at, Result.TAKEN)
        refusal = None if claim.ambiguous else self._refusal(view, pub, now)
        if refusal is not None:
            self.ledger.mark_dead(pub.key, self.owner, now, refusal)
            log.error("refused %s on %s: %s", pub.post, pub.network, refusal)
            return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, Result.DEAD, message=refusal), now)
        if pub.thread_root:
            root = self.ledger.get(pub.thread_root)
            # Wait for a first post that is on its way; one that will never be sent (too old to be
            # planned, skipped, dead) leaves this one to go out on its own.
            coming = (root is None and pub.thread_root in self.planned) or (
                root is not None and root.state not in (State.SENT, State.DEAD, State.SKIPPED))
            if coming:
                at = now + THREAD_WAIT
                self.ledger.postpone(pub.key, self.owner, now, at, "waiting for the first post of its thread")
                return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, Result.POSTPONED, retry_at=at,
                                          message="waiting for the first post of its thread"), now)
        rate = account.options.get("rate_limit")
        wait_until = self._rate_slot(pub.network, rate, now, pub.key)
        if wait_until is not None:
            self.ledger.postpone(pub.key, self.owner, now, wait_until, f"rate limit {rate}")
            return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, Result.POSTPONED, retry_at=wait_until,
                                      message=f"rate limit {rate}"), now)
        return self._send(view, pub, publisher, claim, now)

    def refusal(self, pub: Publication, now: datetime) -> str | None:
        """Why the brand's voice guide forbids sending ``pub`` (its error-level rules), or None.
        A guide is enforced once the calendar has a ``brand.voice`` section."""
        return self._refusal(self.view, pub, now)

    def _refusal(self, view: View, pub: Publication, now: datetime) -> str | None:
        calendar, status = view.calendar, view.status
        if not calendar.brand.voice.declared:
            return None
        cached = self._checker
        if cached is None or cached[0] is not calendar or cached[1] is not status:
            cached = self._checker = (calendar, status, checker_for(calendar, status))
        checker = cached[2]
        affected: tuple[str, ...] = ()
        campaign_utm = None
        if pub.kind in STATUS_KINDS:
            incident = status.incident(pub.post)
            if incident is not None:
                affected = (incident.title, *(status.components[c].name for c in incident.components
                                              if c in status.components))
        elif pub.campaign and pub.campaign in calendar.campaigns:
            campaign = calendar.campaigns[pub.campaign]
            campaign_utm = campaign.utm_campaign or campaign.id
        findings = [f for f in checker.check(pub.text, pub.role or pub.kind, campaign_utm=campaign_utm,
                                             affected=affected) if f.severity == "error"]
        if not findings and pub.kind not in STATUS_KINDS:
            recent = self.ledger.sent_texts(pub.network, now - checker.voice.window, tuple(STATUS_KINDS))
            repeat = recent_repeat(pub.text, pub.kind, pub.network_type, recent, checker, now)
            if repeat is not None and repeat.severity == "error":
                findings.append(repeat)
        if not findings:
            return None
        return ("refused by the voice guide: " + "; ".join(f.line() for f in findings)
                + f"; fix the wording, then `herald retry {pub.key[:12]}`")

    def _rate_slot(self, network: str, rate: str | None, now: datetime, key: str) -> datetime | None:
        """When the next post may go to ``network`` under its rate limit, or None if now."""
        if not rate:
            return None
        count, period = parse_rate(rate)
        recent = [t for t in self.ledger.sent_since(network, now - period) if t > now - period]
        # Our own claim is among the rows counted as in flight: leave it out.
        if len(recent) - 1 < count:
            return None
        return recent[len(recent) - 1 - count] + period

    def hold_reason(self, kind: str, post_id: str, network: str, now: datetime) -> str | None:
        """Why a due publication must wait: a pause covering its network, or (calendar posts
        only) an open major incident. None: it may go."""
        return self._hold_reason(self.view, kind, post_id, network, now)

    def _hold_reason(self, view: View, kind: str, post_id: str, network: str, now: datetime) -> str | None:
        pause = next((p for p in self.ledger.active_pauses(now) if p.covers(network, now)), None)
        if pause is not None:
            return f"paused: {pause.reason}" if pause.reason else "paused"
        if kind in STATUS_KINDS:
            return None
        post = view.calendar.post(post_id)
        incident = holding_incident(view.calendar, view.status, kind, post.components if post else (), now)
        if incident is not None:
            return f"held: incident {incident.id} ({incident.impact}) is open"
        return None

    def outgoing(self, pub: Publication, view: View | None = None) -> OutgoingPost:
        view = view or self.view
        calendar = view.calendar
        post = calendar.post(pub.post) if pub.kind not in STATUS_KINDS else None
        incident = view.status.incident(pub.post) if pub.kind == "incident" else None
        reply_to = None
        text = pub.text
        if pub.thread_root:
            root = self.ledger.get(pub.thread_root)
            if root is not None and root.state == State.SENT and root.remote_id:
                reply_to = RemoteRef(root.remote_id, root.remote_url)
                account = calendar.networks.get(pub.network)
                rules = account.rules if account else None
                if rules is not None and not rules.threads and root.remote_url and root.remote_url.startswith("http"):
                    # No threads here: a separate post that links back to the first one, if it fits.
                    linked = f"{text}\nFirst post: {root.remote_url}"
                    if rules.limit is None or rules.limit.overflow(linked) is None:
                        text = linked
        return OutgoingPost(
            key=pub.key, source=pub.source, post=pub.post, kind=pub.kind, network=pub.network,
            network_type=pub.network_type, scheduled_at=pub.at, text=text, campaign=pub.campaign,
            links=dict(calendar.brand.links), image=post.image if post else None, reply_to=reply_to,
            title=incident.title if incident else "",
            headline=headline(pub, view.status, calendar.brand.tz) if pub.kind in STATUS_KINDS else "",
            # replies carry their first post's key; an incident's first update starts its own thread
            thread_key=pub.thread_root or (pub.key if pub.kind == "incident" else None),
            extra={"incident": {"id": incident.id, "impact": incident.impact, "state": pub.incident_state,
                                "components": list(incident.components)}} if incident else {},
        )

    def _send(self, view: View, pub: Publication, publisher: Publisher, claim: Claim, now: datetime) -> Outcome:
        """Send through the gate: once :meth:`stop` closed it, the claim is given back instead (its
        attempt not counted; an ambiguous claim stays ambiguous, to be reconciled at the next start)."""
        with self._gate:
            stopping = self._stopping
            if not stopping:
                self._in_flight[pub.key] = pub
        if stopping:
            self.ledger.release(pub.key, self.owner, now)
            return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, Result.STOPPED,
                                      message="the engine is stopping: due again at its next start"), now)
        try:
            return self._deliver(view, pub, publisher, claim, now)
        finally:
            with self._gate:
                self._in_flight.pop(pub.key, None)

    def _deliver(self, view: View, pub: Publication, publisher: Publisher, claim: Claim, now: datetime) -> Outcome:
        post = self.outgoing(pub, view)
        attempts = claim.record.attempts
        try:
            if claim.ambiguous:
                found = publisher.find_recent(post)
                if found is not None:
                    return self._sent(pub, found, now, Result.RECONCILED)
                if not publisher.safe_to_resend:
                    return self._unknown(pub, now, claim.record.last_error or "the engine stopped while sending")
            log.debug("sending %s to %s (attempt %d)", pub.post, pub.network, attempts)
            ref = publisher.publish(post)
        except RateLimited as exc:
            self.ledger.mark_retry(pub.key, self.owner, now, exc.detail, exc.retry_at)
            return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, Result.RETRYING,
                                      message=exc.detail, retry_at=exc.retry_at), now)
        except Transient as exc:
            if exc.ambiguous and not publisher.safe_to_resend:
                return self._unknown(pub, now, exc.detail)
            return self._transient(view, pub, attempts, exc.detail, exc.retry_after, exc.ambiguous, now)
        except Permanent as exc:
            self.ledger.mark_dead(pub.key, self.owner, now, exc.detail)
            log.error("%s on %s is dead: %s", pub.post, pub.network, exc.detail)
            return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, Result.DEAD, message=exc.detail), now)
        except AuthFailed as exc:
            self.stopped[pub.network] = f"stopped: {exc.detail}"
            self.ledger.mark_retry(pub.key, self.owner, now, f"account stopped: {exc.detail}", now)
            log.critical("ACCOUNT %s STOPPED: %s. Nothing more goes to it until its credentials are fixed "
                         "and Herald is restarted; other accounts continue.", pub.network, exc.detail)
            return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, Result.BLOCKED, message=exc.detail), now)
        except PublishError as exc:
            return self._transient(view, pub, attempts, exc.detail, None, True, now)
        except Exception as exc:  # a bug or an unexpected library error: retry, carefully
            log.exception("unexpected error sending %s to %s", pub.post, pub.network)
            return self._transient(view, pub, attempts, f"unexpected {type(exc).__name__}: {exc}", None, True, now)
        return self._sent(pub, ref, now, Result.SENT)

    def _unknown(self, pub: Publication, now: datetime, detail: str) -> Outcome:
        """A send that may or may not have arrived, on a network where re-sending could duplicate
        it: dead-lettered for a person to check, never re-sent blindly and never dropped silently."""
        message = (f"delivery unknown ({detail}); {pub.network} cannot be asked and a re-send could post "
                   f"twice: check it, and run `herald retry {pub.key}` if it did not arrive")
        self.ledger.mark_dead(pub.key, self.owner, now, message)
        log.error("%s on %s: %s", pub.post, pub.network, message)
        return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, Result.DEAD, message=message), now)

    def _sent(self, pub: Publication, ref: RemoteRef, now: datetime, result: Result) -> Outcome:
        if not self.ledger.mark_sent(pub.key, self.owner, now, ref.id, ref.url):
            log.error("sent %s to %s but lost the claim before recording it (remote %s)", pub.post, pub.network, ref.id)
        return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, result, remote_id=ref.id), now)

    def _transient(self, view: View, pub: Publication, attempts: int, message: str, retry_after: float | None,
                   ambiguous: bool, now: datetime) -> Outcome:
        if attempts >= view.calendar.engine.max_attempts:
            final = f"gave up after {attempts} attempts: {message}"
            self.ledger.mark_dead(pub.key, self.owner, now, final)
            log.error("%s on %s is dead: %s", pub.post, pub.network, final)
            return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, Result.DEAD, message=final), now)
        delay = backoff(attempts, self.rng)
        if retry_after is not None:
            delay = max(delay, timedelta(seconds=retry_after))
        at = now + delay
        self.ledger.mark_retry(pub.key, self.owner, now, message, at, ambiguous=ambiguous)
        return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, Result.RETRYING, message=message,
                                  retry_at=at), now)

    def _emit(self, outcome: Outcome, now: datetime) -> Outcome:
        level = logging.INFO if outcome.result in QUIET else logging.WARNING
        log.log(level, "%s", outcome.line(now))
        if self.on_outcome is not None:
            try:
                self.on_outcome(outcome)
            except Exception:  # a listener's bug never stops publishing
                log.exception("outcome listener failed")
        return outcome

    def owner_gone(self, owner: str, now: datetime) -> bool:
        """True if the claims of the engine ``owner`` may be taken over at ``now``: it is dead (see
        :attr:`dead_owners`), or was a process on this host found gone at least SETTLE ago."""
        free = self.owner_free_at(owner, now)
        return free is not None and free <= now

    def owner_free_at(self, owner: str, now: datetime) -> datetime | None:
        """When the claims of the engine ``owner`` may be taken over (None: not known to be gone)."""
        if owner in self.dead_owners:
            return now
        if not owner_is_gone(owner):
            return None
        return self._gone_since.setdefault(owner, now) + SETTLE

    def release_claims(self, keys: Iterable[str], now: datetime) -> None:
        for key in keys:
            self.ledger.release(key, self.owner, now)


def _in_order(planned: Mapping[str, Publication]) -> tuple[Publication, ...]:
    return tuple(sorted(planned.values(), key=lambda p: (p.at.timestamp(), p.network, p.post)))


def owner_is_gone(owner: str) -> bool:
    """True if ``owner`` (host:pid:tag, see daemon.engine_id) was a process on this host that has exited."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != (os.environ.get("HERALD_HOST") or socket.gethostname()) or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """Exponential backoff with jitter: 30 s, 60 s, 2 min… capped at an hour, each * [0.5, 1)."""
    delay: timedelta = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
    return delay * (0.5 + rng.random() / 2)


def release_one(ledger: Ledger, calendar: Calendar, record: Record, now: datetime) -> Outcome | None:
    """A held row whose hold ended: released to go out now if still within catch-up (``on_resume:
    release``), else skipped.  None if the row changed meanwhile (another engine, an operator)."""
    grace = calendar.engine.grace(record.kind)
    late = now - record.scheduled_at
    if calendar.engine.on_resume == "release" and late <= grace:
        if ledger.operator_retry(record.key, now) is not None:
            return Outcome(record.key, record.post, record.network, record.scheduled_at, Result.RELEASED)
        return None
    why = "held past its catch-up window" if late > grace else "on_resume: skip"
    if ledger.operator_skip(record.key, now, why) is not None:
        return Outcome(record.key, record.post, record.network, record.scheduled_at, Result.SKIPPED, message=why)
    return None
