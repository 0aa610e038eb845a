"""Upstream status feeds, fetched: a provider's Statuspage JSON or RSS/Atom feed, read politely
and defensively. The bodies are parsed by the pure :mod:`status.formats`.

- Conditional GETs: the ETag and Last-Modified of the last answer go back as
  If-None-Match / If-Modified-Since; a 304 costs the provider nothing.
- Bounded: every poll goes through :class:`scheduler.http.HttpClient` with a total
  deadline (10 s by default, connect + headers + body: a feed trickling a byte a second
  is cut off), a 2 MB body cap, a 10 MB cap once decompressed (a gzip bomb stops there),
  redirects only on the feed's own host, and a ``cancel`` event that aborts a poll in
  progress (the engine sets it on SIGTERM). A poll of a feed already being polled (in
  another worker) returns at once.
- Tolerant: a feed that is down, slow, too big, redirects elsewhere or returns garbage
  is logged and retried with backoff (the interval doubles per failure, up to 30
  minutes; a 429/503's Retry-After is honoured within that); the incidents last read
  from it stay as they were. Nothing an upstream does can crash the engine or clear
  our state.
- Its incidents become ours (see :mod:`status.feeds`), so the usual keys make every
  update announced once. An incident that a summary feed (which lists only unresolved
  ones) stops listing is closed with a resolution at the time it disappeared.
- Control characters in a feed's texts are removed, with one warning per poll naming
  the feed.

**At most** ``max_new`` **new incidents per poll** (5 by default). A poll that finds more
incidents we have never seen announces the ``max_new`` that started last individually
(then by id; a start time never changes upstream, so the same list, even with newer
updates, always picks the same ones) and puts the rest into ONE summary incident, "<provider>:
N more incidents reported", whose message points at the provider's status page. So a
feed listing 200 incidents yields at most ``max_new + 1`` incidents, not hundreds of
publications. The rules that keep it quiet afterwards:

- An incident summarised is remembered as such: later polls never announce it
  individually, and its own updates are not announced (the provider's page has them).
- A summary's members are fixed when it is made: its count and text never change, so
  it is never re-announced. Its id is derived from its members and its time is the
  latest member's start, so the same answer after a restart yields the same summary
  (and the same publication keys: the ledger recognises it).
- A summary is resolved, once, when every member is resolved or no longer listed; it
  has no follow-up post. New incidents in a later poll make a new summary only if
  that poll again finds more than ``max_new`` (exactly ``max_new + 1`` are all
  announced individually: a summary of one says nothing).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests

from campaigns.errors import FeedError
from status.feeds import feed_incidents, with_feeds, worst
from status.formats.feed import FeedBody
from status.formats.rss import parse_feed as parse_rss
from status.formats.statuspage import parse_feed as parse_statuspage
from status.model import Feed, Incident, Status, Update, UpdateState

from .errors import Cancelled, FeedRefused, HttpError
from .http import HttpClient, Response, retry_at

log = logging.getLogger("herald.feeds")

__all__ = ["FeedError", "FeedReader", "FeedState", "with_feeds"]

MAX_BACKOFF = timedelta(minutes=30)
DEADLINE = 10.0  # seconds for one poll's request, all included
MAX_BYTES = 2 * 1024 * 1024
MAX_DECODED = 10 * 1024 * 1024
MAX_NEW = 5  # new incidents announced individually per poll; the rest in one summary
USER_AGENT = "Herald/0.1 status feed reader"


@dataclass
class FeedState:
    etag: str | None = None
    last_modified: str | None = None
    incidents: dict[str, Incident] = field(default_factory=dict)  # by our id, summaries included
    failures: int = 0
    next_poll: datetime | None = None
    last_error: str = ""
    name: str = ""
    link: str = ""  # the provider's status page, from its last answer
    summarised: dict[str, str] = field(default_factory=dict)  # incident id -> the summary that holds it
    members: dict[str, Incident] = field(default_factory=dict)  # latest copies of summarised incidents
    summaries: dict[str, tuple[str, ...]] = field(default_factory=dict)  # summary id -> its members


class FeedReader:
    """Polls feeds and keeps what each said (``states``, by feed id)."""

    def __init__(self, client: HttpClient | None = None, *, session: requests.Session | None = None,
                 deadline: float = DEADLINE, max_bytes: int = MAX_BYTES, max_decoded: int = MAX_DECODED,
                 max_new: int = MAX_NEW):
        self.client = client or HttpClient(session, user_agent=USER_AGENT, deadline=deadline, max_bytes=max_bytes,
                                           max_decoded=max_decoded)
        self.deadline = deadline
        self.max_new = max_new
        self.states: dict[str, FeedState] = {}
        self._busy: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def due(self, feed: Feed, now: datetime) -> bool:
        state = self.states.get(feed.id)
        return state is None or state.next_poll is None or state.next_poll <= now

    def poll(self, feed: Feed, now: datetime, cancel: threading.Event | None = None) -> bool:
        """Read ``feed`` once, within the deadline; return True if its incidents changed.
        ``cancel``, when set, aborts the request in progress (nothing changes)."""
        with self._lock:
            busy = self._busy.setdefault(feed.id, threading.Lock())
            state = self.states.setdefault(feed.id, FeedState())
        if not busy.acquire(blocking=False):
            log.info("status feed %s: the previous poll is still running; skipped", feed.id)
            return False
        try:
            return self._poll(feed, state, now, cancel)
        finally:
            busy.release()

    def _poll(self, feed: Feed, state: FeedState, now: datetime, cancel: threading.Event | None) -> bool:
        try:
            response = self.client.get(feed.url, headers=_conditional(state), deadline=self.deadline, cancel=cancel)
            if response.status == 304:
                return self._ok(feed, state, now, None)
            if response.status != 200:
                raise _refused(response, now)
            body = _parse(feed, response)
            _remember(state, response, body)
            return self._ok(feed, state, now, body)
        except Cancelled:
            log.info("status feed %s: poll cancelled", feed.id)
            return False
        except (HttpError, FeedError) as exc:
            _failed(feed, state, now, exc)
            return False

    def _ok(self, feed: Feed, state: FeedState, now: datetime, body: FeedBody | None) -> bool:
        state.failures, state.last_error, state.next_poll = 0, "", now + feed.every
        if body is None:
            return False
        listed = {i.id: i for i in body.incidents}
        fresh, new = _sorted_in(state, listed)
        shown, held = new[:self.max_new], new[self.max_new:]
        if len(held) == 1:
            shown, held = new, []
        fresh.update((i.id, i) for i in shown)
        _close_dropped(state, fresh, listed, now)
        if held:
            summary = self._summary(feed, state, held, len(shown))
            fresh[summary.id] = summary
        for sid, members in list(state.summaries.items()):
            current = state.incidents.get(sid) or fresh.get(sid)
            if current is not None:
                fresh[sid] = self._settled(state, current, members, listed)
        changed = fresh != state.incidents
        state.incidents = fresh
        return changed

    def _summary(self, feed: Feed, state: FeedState, held: list[Incident], shown: int) -> Incident:
        ids = tuple(sorted(i.id for i in held))
        sid = f"{feed.id}-more-{hashlib.sha256(chr(10).join(ids).encode()).hexdigest()[:12]}"
        name = state.name or feed.name or feed.id
        page = state.link or _site(feed.url)
        at = max(i.started for i in held)
        text = f"{name} reports {len(held)} more incidents; see {page} for the details."
        ongoing = [i for i in held if not i.resolved]
        first = Update(at, UpdateState.INVESTIGATING if ongoing else UpdateState.RESOLVED, text)
        log.warning("status feed %s: %d new incidents in one poll; %d announced, %d summarised as %s", feed.id,
                    len(held) + shown, shown, len(held), sid)
        for incident in held:
            state.summarised[incident.id] = sid
            state.members[incident.id] = incident
        state.summaries[sid] = ids
        return Incident(sid, f"{name}: {len(held)} more incidents reported", worst([i.impact for i in ongoing or held]),
                        (first,), feed.components, feed.networks, follow_up=None)

    def _settled(self, state: FeedState, summary: Incident, members: tuple[str, ...],
                 listed: dict[str, Incident]) -> Incident:
        """The summary, resolved once every member is; its members forgotten once they are gone too."""
        copies = [state.members[m] for m in members if m in state.members]
        if summary.resolved or any(not c.resolved for c in copies):
            if summary.resolved and not any(m in listed for m in members):
                for m in members:
                    state.members.pop(m, None)
                    state.summarised.pop(m, None)
                state.summaries = {k: v for k, v in state.summaries.items() if k != summary.id}
            return summary
        last = summary.updates[-1].at
        at = max([c.updates[-1].at for c in copies] + [last + timedelta(seconds=1)])
        closing = Update(at, UpdateState.RESOLVED, f"The provider reports these {len(members)} incidents as resolved.")
        return replace(summary, updates=(*summary.updates, closing))

    def incidents(self, status: Status) -> tuple[Incident, ...]:
        """Incidents from the feeds that create them, for the feeds the status file still lists."""
        return feed_incidents(status, self)

    def close(self) -> None:
        self.client.close()


def _refused(response: Response, now: datetime) -> FeedRefused:
    """An answer other than 200 or 304; a 429/503 may say when to come back (its Retry-After)."""
    return FeedRefused(response.status, retry_at(response.headers, now, 0) if response.status in (429, 503) else None)


def _conditional(state: FeedState) -> dict[str, str]:
    """The validators of the last answer, sent back so that an unchanged feed costs a 304."""
    headers = {}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    return headers


def _parse(feed: Feed, response: Response) -> FeedBody:
    """The answer read as the feed's kind; a feed of no stated kind is Statuspage JSON when it
    says it is JSON, else RSS/Atom."""
    kind = feed.kind or ("statuspage" if "json" in response.headers.get("Content-Type", "") else "rss")
    if kind == "statuspage":
        try:
            data = response.json()
        except (ValueError, RecursionError):
            raise FeedError("the answer is not JSON") from None
        body = parse_statuspage(feed, data)
    else:
        body = parse_rss(feed, response.content)
    if body.stripped:
        log.warning("status feed %s: removed %d control character(s) from its text", feed.id, body.stripped)
    return body


def _remember(state: FeedState, response: Response, body: FeedBody) -> None:
    """What a good answer tells for later: its validators, and the provider's name and page
    (an answer without them keeps the ones before)."""
    state.etag = response.headers.get("ETag") or state.etag
    state.last_modified = response.headers.get("Last-Modified") or state.last_modified
    state.name, state.link = body.name, body.link or state.link


def _failed(feed: Feed, state: FeedState, now: datetime, exc: HttpError | FeedError) -> None:
    """A failed poll: back off (doubling per failure, within MAX_BACKOFF, never before the
    provider's Retry-After), keep what the feed said before, and count it."""
    state.failures += 1
    wait = min(MAX_BACKOFF, feed.every * (2 ** state.failures))
    not_before = exc.not_before if isinstance(exc, FeedRefused) else None
    if not_before is not None:
        wait = max(wait, min(MAX_BACKOFF, not_before - now))
    state.next_poll = now + wait
    state.last_error = str(exc) or type(exc).__name__
    log.warning("status feed %s: %s; keeping what it said before, next try in %s", feed.id,
                state.last_error, wait)
    from .metrics import feed_poll_error

    feed_poll_error(feed.id)


def _closed(incident: Incident, now: datetime) -> Incident:
    closing = Update(max(now, incident.updates[-1].at + timedelta(seconds=1)), UpdateState.RESOLVED,
                     "The provider reports this as resolved.")
    return replace(incident, updates=(*incident.updates, closing))


def _site(url: str) -> str:
    """The feed's site (scheme and host): never its path or query, which may hold a key."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def _sorted_in(state: FeedState, listed: dict[str, Incident]) -> tuple[dict[str, Incident], list[Incident]]:
    """What the feed lists, sorted in: a summarised incident updates its member, one shown before
    is kept as it is now, and the rest are new (newest first)."""
    fresh: dict[str, Incident] = {}
    new: list[Incident] = []
    for iid, incident in listed.items():
        if iid in state.summarised:
            state.members[iid] = incident
        elif iid in state.incidents and iid not in state.summaries:
            fresh[iid] = incident
        else:
            new.append(incident)
    new.sort(key=lambda i: (-i.started.timestamp(), i.id))
    return fresh, new


def _close_dropped(state: FeedState, fresh: dict[str, Incident], listed: dict[str, Incident], now: datetime) -> None:
    """A summary feed drops resolved incidents: close ours (and the summarised ones) it no longer lists."""
    for iid, old in state.incidents.items():
        if iid not in fresh and iid not in state.summaries:
            fresh[iid] = old if old.resolved else _closed(old, now)
    for iid, member in list(state.members.items()):
        if iid not in listed and not member.resolved:
            state.members[iid] = _closed(member, now)
