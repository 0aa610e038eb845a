"""The engine's decisions and actions, with no timer in it: every call takes ``now``.

``scheduler.daemon`` decides *when* to call these (APScheduler, file watching,
signals); this module decides *what* happens to a publication that is due, so every
policy is tested in milliseconds with a fake clock and the in-memory network.

For one due publication, :meth:`Engine.fire`:

1. skips it if it is later than the catch-up policy allows for its kind (recorded
   ``skipped`` with the reason: never silently dropped);
2. holds it while a pause covers its network (recorded ``held``);
3. claims it in the ledger (only one engine can);
4. waits for the account's rate limit if it is spent (``retrying``, not a failure);
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from campaigns.calendar import parse_rate
from campaigns.lint import STATUS_KINDS, recent_repeat
from campaigns.model import Calendar
from campaigns.plan import Publication, plan
from campaigns.voice import VoiceChecker
from status.announce import announcements, holding_incident
from status.lint import checker_for
from status.model import Status

from .ledger import Claim, Item, Ledger, Record, State
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
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
HORIZON = timedelta(hours=26)  # how far ahead publications are scheduled; replanned hourly
LOOKBACK_CAP = timedelta(days=7)  # after a long downtime, what was missed is recorded back to this far


@dataclass(frozen=True)
class Outcome:
    key: str
    post: str
    network: str
    at: datetime
    result: str  # sent, reconciled, retrying, postponed, dead, skipped, held, blocked, taken
    remote_id: str | None = None
    message: str = ""
    retry_at: datetime | None = None

    def line(self, now: datetime) -> str:
        late = (now - self.at).total_seconds()
        parts = [f"{self.at.isoformat(timespec='seconds')}", self.network, self.post, self.result]
        if self.remote_id:
            parts.append(f"remote={self.remote_id}")
        if self.retry_at:
            parts.append(f"retry_at={self.retry_at.isoformat(timespec='seconds')}")
        if late > 1:
            parts.append(f"late={late:.0f}s")
        parts.append(f"key={self.key}")
        if self.message:
            parts.append(f"({self.message})")
        return " ".join(parts)


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
    def __init__(self, calendar: Calendar, ledger: Ledger, publishers: dict[str, Publisher], owner: str,
                 rng: random.Random | None = None, on_outcome: Callable[[Outcome], None] | None = None,
                 status: Status | None = None):
        self.ledger = ledger
        self.publishers = publishers
        self.owner = owner
        self.rng = rng or random.Random()
        self.on_outcome = on_outcome
        self.stopped: dict[str, str] = {}  # account -> why (auth failures)
        self.lock = threading.Lock()
        self.calendar = calendar
        self.status = status or Status(path="", timezone=calendar.brand.timezone)
        self.planned: dict[str, Publication] = {}
        self.window: tuple[datetime, datetime] | None = None
        # Where the first plan starts: when the ledger last saw an engine alive, so that what
        # was missed during downtime is sent (within catch-up) or recorded as skipped.
        self.since: datetime | None = ledger.last_activity()
        self._checker: tuple[Calendar, Status, VoiceChecker] | None = None

    # -- planning ------------------------------------------------------------------
    def replan(self, now: datetime, calendar: Calendar | None = None,
               status: Status | None = None) -> tuple[set[str], set[str]]:
        """Plan [now - longest catch-up, now + HORIZON] for the calendar and the incident
        announcements; return (added keys, removed keys)."""
        calendar = calendar or self.calendar
        status = status or self.status
        start = now - calendar.engine.longest_grace
        if self.since is not None:
            start = min(start, max(self.since, now - LOOKBACK_CAP))
            self.since = None  # later plans overlap the first one; they need not look back
        end = now + HORIZON
        history = self.ledger.variant_history(start, end)
        fresh = {p.key: p for p in plan(calendar, start, end, history) if p.network in self.publishers}
        fresh.update((p.key, p) for p in self._announcements(calendar, status, start, end, now))
        with self.lock:
            old = self.planned
            changed = status is not self.status or not old
            self.calendar, self.status, self.planned, self.window = calendar, status, fresh, (start, end)
        if changed:
            self._status_changed(now)
        return set(fresh) - set(old), set(old) - set(fresh)

    def replan_status(self, now: datetime, status: Status) -> tuple[set[str], set[str]]:
        """A new status file: replace only the incident announcements (the calendar's part of
        the plan stays), so an incident is scheduled in milliseconds whatever the calendar's size."""
        if self.window is None:
            return self.replan(now, status=status)
        start, end = self.window
        fresh = {k: p for k, p in self.planned.items() if p.kind not in ("incident", "maintenance")}
        fresh.update((p.key, p) for p in self._announcements(self.calendar, status, start, end, now))
        with self.lock:
            old = self.planned
            self.status, self.planned = status, fresh
        self._status_changed(now)
        return set(fresh) - set(old), set(old) - set(fresh)

    def _status_changed(self, now: datetime) -> None:
        for publisher in self.publishers.values():
            try:
                publisher.on_status(self.status, self.calendar, now)
            except Exception:  # the status page failing to render never stops announcements
                log.exception("%s could not show the new status", publisher.name)

    def _announcements(self, calendar: Calendar, status: Status, start: datetime, end: datetime,
                       now: datetime) -> list[Publication]:
        announced = self.ledger.sent_sources("maintenance:") if status.maintenance else frozenset()
        return announcements(calendar, status, start, end, set(self.publishers), now, announced)

    def pending(self, now: datetime | None = None) -> list[Publication]:
        """Planned publications the ledger has no row for yet, in time order (rows already there,
        retrying or claimed, are the sweep's)."""
        planned = [p for p in self.planned.values() if now is None or p.at <= now]
        states = self.ledger.states([p.key for p in planned])
        waiting = [p for p in planned if p.key not in states]
        waiting.sort(key=lambda p: (p.at, p.network, p.post))
        return waiting

    def lookup(self, record: Record) -> Publication | None:
        """The publication a ledger row stands for, from the current calendar (its current wording)."""
        found = self.planned.get(record.key)
        if found is not None:
            return found
        at = record.scheduled_at
        if record.kind in ("incident", "maintenance"):
            # dynamic news (a change, a cancellation) is dated when it was noticed: look around then too
            around = announcements(self.calendar, self.status, at - timedelta(days=1), at + timedelta(days=1),
                                   None, record.created_at, self.ledger.sent_sources("maintenance:"))
        else:
            end = at + timedelta(seconds=1)
            around = plan(self.calendar, at, end, self.ledger.variant_history(at, end))
        return next((p for p in around if p.key == record.key), None)

    # -- acting ----------------------------------------------------------------------
    def run_due(self, now: datetime) -> list[Outcome]:
        """Fire everything due at ``now``: planned publications and retries (``herald run --once``)."""
        outcomes = [self.fire(pub, now) for pub in self.pending(now)]
        outcomes += self.sweep(now)
        return [o for o in outcomes if o is not None]

    def sweep(self, now: datetime) -> list[Outcome]:
        """Retry rows that are due (our retries, operators' `herald retry`, resumed holds, dead engines' claims)."""
        outcomes = []
        due = self.ledger.due_retries(now)
        seen = {r.key for r in due}
        due += [r for r in self.ledger.claimed() if r.key not in seen and r.lease_owner != self.owner
                and r.lease_owner and owner_is_gone(r.lease_owner)]
        for record in due:
            if record.network in self.stopped:
                continue
            pub = self.lookup(record)
            if pub is None:
                if self.ledger.operator_skip(record.key, now, "removed from the calendar") is not None:
                    outcomes.append(self._emit(Outcome(record.key, record.post, record.network, record.scheduled_at,
                                                       "skipped", message="removed from the calendar"), now))
                continue
            outcomes.append(self.fire(pub, now, retry=True))
        return outcomes

    def fire(self, pub: Publication, now: datetime, retry: bool = False) -> Outcome:
        publisher = self.publishers.get(pub.network)
        account = self.calendar.networks.get(pub.network)
        if publisher is None or account is None:
            return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, "blocked",
                                      message="no such network account any more"), now)
        if pub.network in self.stopped:
            return Outcome(pub.key, pub.post, pub.network, pub.at, "blocked", message=self.stopped[pub.network])
        policy = self.calendar.engine
        late = now - pub.at
        grace = policy.grace(pub.kind)
        if late > grace and not retry:
            reason = f"{_delta(late)} late; {pub.kind} posts go out at most {_delta(grace)} late"
            if self.ledger.settle(item_of(pub), State.SKIPPED, now, reason):
                log.warning("skipped %s on %s: %s", pub.post, pub.network, reason)
                return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, "skipped", message=reason), now)
            return Outcome(pub.key, pub.post, pub.network, pub.at, "taken")
        reason = self.hold_reason(pub.kind, pub.post, pub.network, now)
        if reason is not None:
            if self.ledger.settle(item_of(pub), State.HELD, now, reason):
                return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, "held", message=reason), now)
            return Outcome(pub.key, pub.post, pub.network, pub.at, "taken")
        if account.dry_run:
            reason = f"dry run: would have posted {pub.text!r}"
            self.ledger.settle(item_of(pub), State.SKIPPED, now, reason[:2000])
            return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, "skipped", message="dry run"), now)
        claim = self.ledger.claim(item_of(pub), self.owner, now, LEASE, orphaned=owner_is_gone)
        if claim is None:
            return Outcome(pub.key, pub.post, pub.network, pub.at, "taken")
        refusal = None if claim.ambiguous else self.refusal(pub, now)
        if refusal is not None:
            self.ledger.mark_dead(pub.key, self.owner, now, refusal)
            log.error("refused %s on %s: %s", pub.post, pub.network, refusal)
            return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, "dead", message=refusal), now)
        if pub.thread_root:
            root = self.ledger.get(pub.thread_root)
            # Wait for a first post that is on its way; one that will never be sent (too old to be
            # planned, skipped, dead) leaves this one to go out on its own.
            coming = (root is None and pub.thread_root in self.planned) or (
                root is not None and root.state not in (State.SENT, State.DEAD, State.SKIPPED))
            if coming:
                at = now + timedelta(seconds=10)
                self.ledger.postpone(pub.key, self.owner, now, at, "waiting for the first post of its thread")
                return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, "postponed", retry_at=at,
                                          message="waiting for the first post of its thread"), now)
        wait_until = self._rate_slot(pub.network, account.options.get("rate_limit"), now, pub.key)
        if wait_until is not None:
            self.ledger.postpone(pub.key, self.owner, now, wait_until, f"rate limit {account.options['rate_limit']}")
            return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, "postponed", retry_at=wait_until,
                                      message=f"rate limit {account.options['rate_limit']}"), now)
        return self._send(pub, publisher, claim, now)

    def refusal(self, pub: Publication, now: datetime) -> str | None:
        """Why the brand's voice guide forbids sending ``pub`` (its error-level rules), or None.
        A guide is enforced once the calendar has a ``brand.voice`` section."""
        calendar = self.calendar
        if not calendar.brand.voice.declared:
            return None
        if self._checker is None or self._checker[0] is not calendar or self._checker[1] is not self.status:
            self._checker = (calendar, self.status, checker_for(calendar, self.status))
        checker = self._checker[2]
        affected: tuple[str, ...] = ()
        campaign_utm = None
        if pub.kind in STATUS_KINDS:
            incident = self.status.incident(pub.post)
            if incident is not None:
                affected = (incident.title, *(self.status.components[c].name for c in incident.components
                                              if c in self.status.components))
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
        pause = next((p for p in self.ledger.active_pauses(now) if p.covers(network, now)), None)
        if pause is not None:
            return f"paused: {pause.reason}" if pause.reason else "paused"
        if kind in ("incident", "maintenance"):
            return None
        post = self.calendar.post(post_id)
        incident = holding_incident(self.calendar, self.status, kind, post.components if post else (), now)
        if incident is not None:
            return f"held: incident {incident.id} ({incident.impact}) is open"
        return None

    def outgoing(self, pub: Publication) -> OutgoingPost:
        calendar = self.calendar
        post = calendar.post(pub.post) if pub.kind not in ("incident", "maintenance") else None
        incident = self.status.incident(pub.post) if pub.kind == "incident" else None
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
            extra={"incident": {"id": incident.id, "impact": incident.impact, "state": pub.incident_state,
                                "components": list(incident.components)}} if incident else {},
        )

    def _send(self, pub: Publication, publisher: Publisher, claim: Claim, now: datetime) -> Outcome:
        post = self.outgoing(pub)
        attempts = claim.record.attempts
        try:
            if claim.ambiguous:
                found = publisher.find_recent(post)
                if found is not None:
                    return self._sent(pub, found, now, "reconciled")
                if not publisher.safe_to_resend:
                    return self._unknown(pub, now, claim.record.last_error or "the engine stopped while sending")
            log.debug("sending %s to %s (attempt %d)", pub.post, pub.network, attempts)
            ref = publisher.publish(post)
        except RateLimited as exc:
            self.ledger.mark_retry(pub.key, self.owner, now, exc.detail, exc.retry_at)
            return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, "retrying",
                                      message=exc.detail, retry_at=exc.retry_at), now)
        except Transient as exc:
            if exc.ambiguous and not publisher.safe_to_resend:
                return self._unknown(pub, now, exc.detail)
            return self._transient(pub, attempts, exc.detail, exc.retry_after, exc.ambiguous, now)
        except Permanent as exc:
            self.ledger.mark_dead(pub.key, self.owner, now, exc.detail)
            log.error("%s on %s is dead: %s", pub.post, pub.network, exc.detail)
            return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, "dead", message=exc.detail), now)
        except AuthFailed as exc:
            self.stopped[pub.network] = f"stopped: {exc.detail}"
            self.ledger.mark_retry(pub.key, self.owner, now, f"account stopped: {exc.detail}", now)
            log.critical("ACCOUNT %s STOPPED: %s. Nothing more goes to it until its credentials are fixed "
                         "and Herald is restarted; other accounts continue.", pub.network, exc.detail)
            return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, "blocked", message=exc.detail), now)
        except PublishError as exc:
            return self._transient(pub, attempts, exc.detail, None, True, now)
        except Exception as exc:  # a bug or an unexpected library error: retry, carefully
            log.exception("unexpected error sending %s to %s", pub.post, pub.network)
            return self._transient(pub, attempts, f"unexpected {type(exc).__name__}: {exc}", None, True, now)
        return self._sent(pub, ref, now, "sent")

    def _unknown(self, pub: Publication, now: datetime, detail: str) -> Outcome:
        """A send that may or may not have arrived, on a network where re-sending could duplicate
        it: dead-lettered for a person to check, never re-sent blindly and never dropped silently."""
        message = (f"delivery unknown ({detail}); {pub.network} cannot be asked and a re-send could post "
                   f"twice: check it, and run `herald retry {pub.key}` if it did not arrive")
        self.ledger.mark_dead(pub.key, self.owner, now, message)
        log.error("%s on %s: %s", pub.post, pub.network, message)
        return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, "dead", message=message), now)

    def _sent(self, pub: Publication, ref: RemoteRef, now: datetime, result: str) -> Outcome:
        if not self.ledger.mark_sent(pub.key, self.owner, now, ref.id, ref.url):
            log.error("sent %s to %s but lost the claim before recording it (remote %s)", pub.post, pub.network, ref.id)
        return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, result, remote_id=ref.id), now)

    def _transient(self, pub: Publication, attempts: int, message: str, retry_after: float | None,
                   ambiguous: bool, now: datetime) -> Outcome:
        if attempts >= self.calendar.engine.max_attempts:
            final = f"gave up after {attempts} attempts: {message}"
            self.ledger.mark_dead(pub.key, self.owner, now, final)
            log.error("%s on %s is dead: %s", pub.post, pub.network, final)
            return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, "dead", message=final), now)
        delay = backoff(attempts, self.rng)
        if retry_after is not None:
            delay = max(delay, timedelta(seconds=retry_after))
        at = now + delay
        self.ledger.mark_retry(pub.key, self.owner, now, message, at, ambiguous=ambiguous)
        return self._emit(Outcome(pub.key, pub.post, pub.network, pub.at, "retrying", message=message,
                                  retry_at=at), now)

    def _emit(self, outcome: Outcome, now: datetime) -> Outcome:
        level = logging.INFO if outcome.result in ("sent", "reconciled", "held", "postponed") else logging.WARNING
        log.log(level, "%s", outcome.line(now))
        if self.on_outcome is not None:
            try:
                self.on_outcome(outcome)
            except Exception:  # a listener's bug never stops publishing
                log.exception("outcome listener failed")
        return outcome

    def release_claims(self, keys: Iterable[str], now: datetime) -> None:
        for key in keys:
            self.ledger.release(key, self.owner, now)


def owner_is_gone(owner: str) -> bool:
    """True if ``owner`` (host:pid:tag, see daemon.engine_id) was a process on this host that has exited."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
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
    delay = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
    return delay * (0.5 + rng.random() / 2)


def release_held(ledger: Ledger, calendar: Calendar, now: datetime, network: str | None,
                 still_held: Callable[[Record], bool] | None = None) -> list[Outcome]:
    """After a pause or an incident ends: held posts go out if still within catch-up
    (on_resume: release), else are skipped. ``still_held`` keeps those another hold covers."""
    outcomes = []
    for record in ledger.held(network):
        if still_held is not None and still_held(record):
            continue
        grace = calendar.engine.grace(record.kind)
        late = now - record.scheduled_at
        if calendar.engine.on_resume == "release" and late <= grace:
            if ledger.operator_retry(record.key, now) is not None:
                outcomes.append(Outcome(record.key, record.post, record.network, record.scheduled_at, "released"))
        else:
            why = "held past its catch-up window" if late > grace else "on_resume: skip"
            if ledger.operator_skip(record.key, now, why) is not None:
                outcomes.append(Outcome(record.key, record.post, record.network, record.scheduled_at, "skipped",
                                        message=why))
    return outcomes
