"""What the engine plans and what is due: the publications of the horizon (the calendar's and
the status's announcements), replanned as time moves on or on a reload (:class:`Planning`,
with :meth:`~Planning.swap`), and what is due at ``now`` and when something next becomes due
(:class:`Agenda`: :meth:`~Agenda.due`, :meth:`~Agenda.next_wakeup`)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from campaigns.model import STATUS_KINDS, Calendar
from campaigns.plan import Publication, VariantHistory, plan
from status.announce import announcements
from status.announce import change as announce_change
from status.model import Status

from ..ledger import Ledger, Record, State
from ..ledger.share import Share
from ..networks.base import Publisher
from .candidates import candidates
from .model import HORIZON, LOOKBACK_CAP, REPLAN, SETTLE, Due, View
from .steps import incident_reason, pause_reason

log = logging.getLogger("herald.engine")


class Planning:
    """The plan: set up by :class:`Engine`'s constructor; ``lock`` guards view, planned, window."""

    ledger: Ledger
    view: View
    lock: threading.RLock
    _plan_lock: threading.Lock  # one replan at a time (it reads the ledger: done outside ``lock``)
    stopped: dict[str, str]  # account -> why (auth failures)
    planned: dict[str, Publication]
    _order: tuple[Publication, ...]  # the planned publications in time order
    window: tuple[datetime, datetime] | None
    planned_at: datetime | None
    _recorded: set[str]  # planned keys known to have a ledger row (rows are never deleted)
    since: datetime | None  # where the first plan starts (see the constructor)
    _shown_status: Status | None  # the status the publishers were last shown (on_status)
    showing: bool  # False until start_showing: no status shown to the publishers yet (see there)

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
        window = candidates(calendar, start, end)  # the posts that can fall in it: the same plan, far sooner
        fresh = {p.key: p for p in plan(window, start, end, history) if p.network in view.publishers}
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

    def start_showing(self, now: datetime) -> None:
        """Show the publishers the status from now on, the current one at once: an engine that
        starts with ``showing`` off sends what is due first, and only then has the site write all
        its files (its first full write: 0.4-0.8 s of a loaded machine's CPU at 100,000 posts, on a
        thread that competed with the first second's sends).  A site post sent meanwhile is stored,
        and on its pages from that write on (as a site channel does before it is shown a status)."""
        self.showing = True
        self.show_status(now)

    def _status_changed(self, view: View, now: datetime) -> None:
        if not self.showing:
            return  # (shown by start_showing)
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


class Agenda(Planning):
    """What is due, from the plan and the ledger."""

    owner: str
    dead_owners: frozenset[str]
    _gone_since: dict[str, datetime]
    share: Share  # the new publications this engine acts on first (scheduler.ledger.share)

    def pending(self, now: datetime | None = None, network: str | None = None,
                acting: Callable[[Publication], bool] | None = None) -> list[Publication]:
        """Planned publications due by ``now`` (None: all) that the ledger has no row for yet, in
        time order (rows already there, retrying or claimed, are the retries'); with ``acting``,
        only those it says this engine acts on (the ledger is not asked about the others)."""
        planned = []
        for pub in self._order:
            if now is not None and pub.at > now:
                break
            if pub.key not in self._recorded and (network is None or pub.network == network) and (
                    acting is None or acting(pub)):
                planned.append(pub)
        states = self.ledger.states([p.key for p in planned])
        self._recorded.update(states)
        return [p for p in planned if p.key not in states]

    def _next_new(self, network: str | None) -> datetime | None:
        """When this engine first acts on a planned publication without a ledger row (at its time
        if it is in the engine's :attr:`share`, a little later if not); the ledger is asked about
        a few at a time, in time order, never about the whole horizon."""
        first: datetime | None = None
        batch: list[Publication] = []
        for pub in self._order:
            if first is not None and pub.at >= first:
                break
            if pub.key in self._recorded or not self._acts_on(pub.network, network):
                continue
            batch.append(pub)
            if len(batch) == 50:
                first, batch = self._first_act(batch, first), []
        return self._first_act(batch, first) if batch else first

    def _first_act(self, batch: list[Publication], first: datetime | None) -> datetime | None:
        """The earlier of ``first`` and when this engine acts on those of ``batch`` without a row."""
        states = self.ledger.states([p.key for p in batch])
        self._recorded.update(states)
        grace = self.view.calendar.engine.grace
        times = [self.share.acts_at(p.key, p.at, p.kind in STATUS_KINDS, grace(p.kind))
                 for p in batch if p.key not in states]
        return min([*times, *([first] if first is not None else [])], default=None)

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
        a ledger row that are this engine's to act on now (:meth:`_mine`), retries whose time came,
        expired claims and claims of engines that died on this host, and held rows no hold covers
        any more."""
        self._ensure_plan(now)
        new = tuple(self.pending(now, network, lambda p: self._acts_on(p.network, None) and self._mine(p, now)))
        retries = [r for r in self.ledger.due_retries(now) if self._acts_on(r.network, network)]
        seen = {r.key for r in retries}
        retries += [r for r in self.ledger.claimed() if r.key not in seen and self._acts_on(r.network, network)
                    and r.lease_owner and r.lease_owner != self.owner and self.owner_gone(r.lease_owner, now)]
        releasable = tuple(r for r in self.ledger.held(network) if self._acts_on(r.network, network)
                           and self.hold_reason(r.kind, r.post, r.network, now) is None)
        return Due(new, tuple(retries), releasable)

    def _mine(self, pub: Publication, now: datetime) -> bool:
        """Whether this engine acts on the new publication ``pub`` at ``now``: at its time if it is in
        the engine's :attr:`share` (or a status announcement: anyone's), else once it is late."""
        grace = self.view.calendar.engine.grace(pub.kind)
        return self.share.mine(pub.key, pub.at, now, pub.kind in STATUS_KINDS, grace)

    def still_new(self, pubs: Iterable[Publication]) -> list[Publication]:
        """Those of ``pubs`` the ledger still has no row for (asked once, for all of them)."""
        pubs = list(pubs)
        states = self.ledger.states([p.key for p in pubs])
        self._recorded.update(states)
        return [p for p in pubs if p.key not in states]

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
        times += self._retry_times(now, network)
        times += self._takeover_times(now, network)
        times += self._held_times(now, network)
        return max(min(times), now) if times else None

    def _retry_times(self, now: datetime, network: str | None) -> list[datetime]:
        """When rows already in the ledger are tried again: a retry at its next attempt, a claim
        when its lease runs out (``now`` for a row that has no such time)."""
        times = []
        for record in self.ledger.due_retries(now + HORIZON):
            if self._acts_on(record.network, network):
                at = record.next_attempt_at if record.state == State.RETRYING else record.lease_until
                times.append(at or now)
        return times

    def _takeover_times(self, now: datetime, network: str | None) -> list[datetime]:
        """When the claims of other engines, known dead or gone from this host, may be taken over
        (their leases may not have run out yet)."""
        times = []
        for r in self.ledger.claimed():
            if r.lease_owner and r.lease_owner != self.owner and self._acts_on(r.network, network):
                free = self.owner_free_at(r.lease_owner, now)
                if free is not None:
                    times.append(max(now, free))
        return times

    def _held_times(self, now: datetime, network: str | None) -> list[datetime]:
        """For held rows: ``now`` if a hold no longer covers one of them, and the ends of the
        pauses (when more may go); nothing when no row is held, so pauses alone wake no one."""
        held = [r for r in self.ledger.held(network) if self._acts_on(r.network, network)]
        if not held:
            return []
        times = [now] if any(self.hold_reason(r.kind, r.post, r.network, now) is None for r in held) else []
        return times + [p.until for p in self.ledger.active_pauses(now) if p.until is not None]

    def hold_reason(self, kind: str, post_id: str, network: str, now: datetime) -> str | None:
        """Why a due publication must wait: a pause covering its network, or (calendar posts
        only) an open major incident. None: it may go."""
        return pause_reason(self.ledger, network, now) or incident_reason(self.view, kind, post_id, now)

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

