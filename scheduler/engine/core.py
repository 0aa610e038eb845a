"""The :class:`Engine`: its state, stopping, and acting on what is due (:meth:`Engine.run_due`,
one publication at a time through :meth:`Engine.fire`'s pipeline)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from campaigns.model import STATUS_KINDS, Calendar, OnResume
from campaigns.plan import Publication
from status.model import Status

from ..ledger import Ledger, Record
from ..ledger.share import Share
from ..networks.base import OutgoingPost, Publisher
from .events import Event, Events, log_outcome
from .gate import Gate
from .model import Outcome, Result, View
from .pipeline import FIRE
from .planning import Agenda
from .send import outgoing
from .steps import Firing
from .voice import VoiceGuide

# A new publication less late than this is on time: it goes before a backlog (see Engine.backlog)
ON_TIME = timedelta(seconds=1)


class Engine(Agenda):
    """Decides what is due and acts on it; every method takes ``now``.

    The one way in is :meth:`run_due` (``herald run --once`` calls it once; the daemon calls it
    per account whenever :meth:`next_wakeup` says so).  :meth:`swap` replaces the calendar, the
    status and the publishers under the engine's lock.  Every outcome goes to :attr:`events`:
    the log listens, and so does ``on_outcome`` if given."""

    def __init__(self, calendar: Calendar, ledger: Ledger, publishers: Mapping[str, Publisher], owner: str,
                 rng: random.Random | None = None, on_outcome: Callable[[Outcome], None] | None = None,
                 status: Status | None = None, parallel: int = 1, backlog: int | None = None):
        self.ledger = ledger
        # How many publications due at once are sent at once (per call of run_due, so per account in
        # the daemon): the daemon uses a few so that ten posts due the same second are not sent one
        # after another; 1 keeps the order strict (``--once``, tests, simulations).
        self.parallel = max(1, parallel)
        # None: run_due acts on all that is due, oldest first (``--once``, tests, simulations).  A
        # number (the daemon): what is due on time (less than ON_TIME late) goes first, and at most
        # that many of the older ones per call; the timer calls again at once for the rest, so that
        # a catch-up backlog (posts due during start-up) never holds back a post due now.
        self.backlog = backlog
        self.owner = owner
        self.rng = rng or random.Random()
        self.events = Events()
        self.events.subscribe(log_outcome)
        if on_outcome is not None:
            self.events.subscribe(lambda event: _outcome_of(event, on_outcome))
        self.stopped: dict[str, str] = {}  # account -> why (auth failures)
        # Engines sharing the ledger that are dead (set by the daemon from heartbeats and lock
        # sessions): their claims are taken over at once, not when the lease ends.
        self.dead_owners: frozenset[str] = frozenset()
        # The new publications this engine acts on at once among the live engines of its ledger (set
        # by the daemon's heartbeat); alone, all of them.  The others' it tries once they are late.
        self.share = Share(owner)
        self._gone_since: dict[str, datetime] = {}  # engine processes of this host found gone: when
        # False while another engine of the cluster reads the status feeds: a status publication
        # this engine cannot find may be one of theirs, so it is left to them, not skipped.
        self.reads_feeds = True
        self.lock = threading.RLock()  # guards view, planned, window
        self._plan_lock = threading.Lock()  # one replan at a time (it reads the ledger: done outside ``lock``)
        self.view = View(calendar, status or Status(path="", timezone=calendar.brand.timezone), dict(publishers))
        self.planned: dict[str, Publication] = {}
        self._order: tuple[Publication, ...] = ()
        self.window: tuple[datetime, datetime] | None = None
        self.planned_at: datetime | None = None
        self._recorded: set[str] = set()
        # Where the first plan starts: when the ledger last saw an engine alive, so that what
        # was missed during downtime is sent (within catch-up) or recorded as skipped.
        self.since: datetime | None = ledger.last_activity()
        self._shown_status: Status | None = None
        # False: the publishers (the site) are not shown a status until :meth:`start_showing` (the
        # daemon's start-up: the site's first full write waits until after the first second's sends)
        self.showing = True
        self.voice = VoiceGuide(ledger)
        self.gate = Gate()  # every send passes it; :meth:`stop` closes it

    @property
    def calendar(self) -> Calendar:
        return self.view.calendar

    @property
    def status(self) -> Status:
        return self.view.status

    @property
    def publishers(self) -> Mapping[str, Publisher]:
        return self.view.publishers

    # -- stopping --------------------------------------------------------------------
    def stop(self) -> list[Publication]:
        """Start no new send from now on (SIGTERM): :meth:`run_due` acts on nothing more, and a
        publication claimed meanwhile gives its claim back instead of going out (due again at the
        next start, the ledger's exactly-once rules unchanged).  Returns the sends already on the
        wire, in time order: they finish and are recorded.  Idempotent; there is no restart."""
        return self.gate.close()

    @property
    def stopping(self) -> bool:
        return self.gate.closed

    def in_flight(self) -> list[Publication]:
        """The sends on the wire now (they passed the gate and are not recorded yet)."""
        return self.gate.in_flight()

    def release_claims(self, keys: Iterable[str], now: datetime) -> None:
        for key in keys:
            self.ledger.release(key, self.owner, now)

    # -- acting ----------------------------------------------------------------------
    def run_due(self, now: datetime, network: str | None = None) -> list[Outcome]:
        """Act on everything :meth:`due` at ``now``, for one account or all: the only way anything is
        sent.  Holds that ended are released (or skipped, per catch-up and ``on_resume``) and then
        sent with the retries; new publications go first, oldest first: those of this engine's
        :attr:`share`, and the others' once they are late (their owner slow, or dead and not known yet)."""
        if self.stopping:
            return []
        due = self.due(now, network)
        new = self._on_time_first(due.new, now)
        outcomes = self._fire_due_new(new, now, network)
        if len(new) < len(due.new) and not self.stopping:
            return outcomes  # the rest of the backlog, the retries and releases: at the next call (at once)
        retries = list(due.retries)
        for record in due.releasable:
            if self.stopping:
                return outcomes
            outcome = release_one(self.ledger, self.view.calendar, record, now)
            if outcome is not None:
                outcomes.append(self.events.publish(outcome, now))
                if outcome.result == Result.RELEASED:
                    released = self.ledger.get(record.key)
                    if released is not None:
                        retries.append(released)
        for record in retries:
            if self.stopping:
                break
            outcome = self._retry(record, now)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def _on_time_first(self, new: tuple[Publication, ...], now: datetime) -> tuple[Publication, ...]:
        """``new`` (oldest first) as :attr:`backlog` says: all of it, or what is on time first, then
        at most ``backlog`` of the older ones."""
        if self.backlog is None:
            return new
        on_time = tuple(p for p in new if now - p.at < ON_TIME)
        late = tuple(p for p in new if now - p.at >= ON_TIME)
        return on_time + late[:self.backlog]

    def _fire_due_new(self, new: tuple[Publication, ...], now: datetime, network: str | None) -> list[Outcome]:
        """The new publications :meth:`due` found: this engine's own first; then the late ones of
        others that are still without a row by then (asked again: while this engine sent its own,
        their owners were sending them)."""
        first = [self.share.first(p.key, p.kind in STATUS_KINDS) for p in new]
        outcomes = self._fire_new(tuple(p for p, own in zip(new, first, strict=True) if own), now, network)
        late = [p for p, own in zip(new, first, strict=True) if not own]
        if late and not self.stopping:
            outcomes += self._fire_new(tuple(self.still_new(late)), now, network)
        return outcomes

    def _fire_new(self, new: tuple[Publication, ...], now: datetime, network: str | None) -> list[Outcome]:
        if self.parallel > 1 and len(new) > 1:
            # A backlog is thousands long: once the engine stops, the queued rest is not acted on
            # (each worker looks before its next publication), so the pool ends with the sends in flight.
            with ThreadPoolExecutor(max_workers=min(self.parallel, len(new)),
                                    thread_name_prefix=f"herald-send-{network or 'all'}") as pool:
                done = list(pool.map(lambda pub: None if self.stopping else self.fire(pub, now), new))
            return [o for o in done if o is not None]
        outcomes = []
        for pub in new:
            if self.stopping:
                break
            outcomes.append(self.fire(pub, now))
        return outcomes

    def _retry(self, record: Record, now: datetime) -> Outcome | None:
        """Fire a row's publication again, rebuilt from the current calendar and status."""
        pub = self.lookup(record)
        if pub is None and not self.reads_feeds and record.kind in STATUS_KINDS:
            return None  # perhaps from a status feed that another engine reads: theirs to act on
        if pub is None:
            if self.ledger.operator_skip(record.key, now, "removed from the calendar") is None:
                return None
            return self.events.publish(Outcome(record.key, record.post, record.network, record.scheduled_at,
                                               Result.SKIPPED, message="removed from the calendar"), now)
        return self.fire(pub, now, retry=True)

    def fire(self, pub: Publication, now: datetime, retry: bool = False) -> Outcome:
        """Act on one due publication: the steps of :data:`pipeline.FIRE` in order, the first that
        decides ends it (``python -m scheduler.engine --steps`` lists them).  Callers outside the
        engine go through :meth:`run_due`; this is public for tests that pick one publication."""
        self._recorded.add(pub.key)  # whatever happens below, it has (or another engine made) a row
        return FIRE.run(Firing(self, self.view, pub, now, retry))

    def refusal(self, pub: Publication, now: datetime) -> str | None:
        """Why the brand's voice guide forbids sending ``pub`` (its error-level rules), or None.
        A guide is enforced once the calendar has a ``brand.voice`` section."""
        return self._refusal(self.view, pub, now)

    def _refusal(self, view: View, pub: Publication, now: datetime) -> str | None:
        """The ``voice guide`` step's question (the seam a test replaces to act between claim and send)."""
        return self.voice.refusal(view, pub, now)

    def outgoing(self, pub: Publication, view: View | None = None) -> OutgoingPost:
        return outgoing(self.ledger, pub, view or self.view)


def _outcome_of(event: Event, listener: Callable[[Outcome], None]) -> None:
    """``on_outcome`` listeners hear the outcome alone."""
    listener(event.outcome)


def release_one(ledger: Ledger, calendar: Calendar, record: Record, now: datetime) -> Outcome | None:
    """A held row whose hold ended: released to go out now if still within catch-up (``on_resume:
    release``), else skipped.  None if the row changed meanwhile (another engine, an operator)."""
    grace = calendar.engine.grace(record.kind)
    late = now - record.scheduled_at
    if calendar.engine.on_resume == OnResume.RELEASE and late <= grace:
        if ledger.operator_retry(record.key, now) is not None:
            return Outcome(record.key, record.post, record.network, record.scheduled_at, Result.RELEASED)
        return None
    why = "held past its catch-up window" if late > grace else "on_resume: skip"
    if ledger.operator_skip(record.key, now, why) is not None:
        return Outcome(record.key, record.post, record.network, record.scheduled_at, Result.SKIPPED, message=why)
    return None
