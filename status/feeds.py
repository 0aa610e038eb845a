"""Upstream status feeds: a provider's Statuspage JSON or RSS/Atom feed, read politely.

- Conditional GETs: the ETag and Last-Modified of the last answer go back as
  If-None-Match / If-Modified-Since; a 304 costs the provider nothing.
- Tolerant: a feed that is down, slow, or returns garbage is logged and retried with
  backoff (the interval doubles per failure, up to 30 minutes); the incidents last read
  from it stay as they were. Nothing an upstream does can crash the engine or clear our
  state.
- Its incidents become ours, on the components the feed names: id
  ``<feed id>-<upstream id>``, the provider's updates as our updates, so the usual keys
  make every update announced once. An incident that a summary feed (which lists only
  unresolved ones) stops listing is closed with a resolution at the time it disappeared.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import requests

from .model import Feed, Incident, Status, Update

log = logging.getLogger("herald.feeds")

MAX_BACKOFF = timedelta(minutes=30)
STATES = {"investigating": "investigating", "identified": "identified", "monitoring": "monitoring",
          "resolved": "resolved", "postmortem": "resolved", "completed": "resolved"}
IMPACTS = {"none": "none", "minor": "minor", "major": "major", "critical": "critical"}


class FeedError(ValueError):
    """A feed answered something that is not a status feed."""


@dataclass
class FeedState:
    etag: str | None = None
    last_modified: str | None = None
    incidents: dict[str, Incident] = field(default_factory=dict)  # by our id
    failures: int = 0
    next_poll: datetime | None = None
    last_error: str = ""
    name: str = ""


def _time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _clean(updates: list[Update]) -> tuple[Update, ...]:
    """Oldest first, strictly later each, nothing after a resolution (our file's rules)."""
    out: list[Update] = []
    for update in sorted(updates, key=lambda u: u.at):
        if out and (update.at <= out[-1].at or out[-1].state == "resolved"):
            continue
        out.append(update)
    return tuple(out)


def parse_statuspage(feed: Feed, data: Any) -> tuple[str, list[Incident]]:
    if not isinstance(data, dict) or not isinstance(data.get("incidents"), list):
        raise FeedError("not a Statuspage answer (no 'incidents' list)")
    name = feed.name or str((data.get("page") or {}).get("name") or feed.id)
    out = []
    for item in data["incidents"]:
        if not isinstance(item, dict) or not item.get("id") or item.get("impact") == "maintenance":
            continue
        updates = []
        for u in item.get("incident_updates") or []:
            at = _time(u.get("display_at") or u.get("created_at")) if isinstance(u, dict) else None
            state = STATES.get(str(u.get("status"))) if isinstance(u, dict) else None
            if at and state:
                updates.append(Update(at, state, str(u.get("body") or "").strip() or item.get("name", "")))
        if not updates:
            at = _time(item.get("created_at"))
            state = STATES.get(str(item.get("status")), "investigating")
            if at is None:
                continue
            updates = [Update(at, state, str(item.get("name", "")))]
        cleaned = _clean(updates)
        out.append(Incident(f"{feed.id}-{item['id']}", f"{name}: {item.get('name') or 'incident'}",
                            IMPACTS.get(str(item.get("impact")), "minor"), cleaned, feed.components, feed.networks))
    return name, out


def parse_rss(feed: Feed, body: bytes) -> tuple[str, list[Incident]]:
    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise FeedError(f"not an RSS or Atom feed ({type(parsed.bozo_exception).__name__})")
    name = feed.name or parsed.feed.get("title") or feed.id
    out = []
    for entry in parsed.entries:
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        if not stamp or not (entry.get("id") or entry.get("link")):
            continue
        at = datetime(*stamp[:6], tzinfo=UTC)
        text = " ".join(str(entry.get(k, "")) for k in ("title", "summary")).lower()
        state = "resolved" if "resolved" in text or "completed" in text else "investigating"
        ident = "".join(c if c.isalnum() else "-" for c in str(entry.get("id") or entry.get("link")))[-60:]
        message = (entry.get("summary") or entry.get("title") or "").strip()
        out.append(Incident(f"{feed.id}-{ident}".strip("-"), f"{name}: {entry.get('title', 'incident')}",
                            feed.impact, (Update(at, state, message[:1000]),), feed.components, feed.networks))
    return name, out


class FeedReader:
    def __init__(self, session: requests.Session | None = None, timeout: float = 10.0):
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = "Herald/0.1 status feed reader"
        self.timeout = timeout
        self.states: dict[str, FeedState] = {}

    def due(self, feed: Feed, now: datetime) -> bool:
        state = self.states.get(feed.id)
        return state is None or state.next_poll is None or state.next_poll <= now

    def poll(self, feed: Feed, now: datetime) -> bool:
        """Read ``feed`` once; return True if its incidents changed."""
        state = self.states.setdefault(feed.id, FeedState())
        headers = {}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        try:
            response = self.session.get(feed.url, headers=headers, timeout=self.timeout)
            if response.status_code == 304:
                return self._ok(feed, state, now, None)
            if response.status_code != 200:
                raise FeedError(f"HTTP {response.status_code}")
            kind = feed.kind or ("statuspage" if "json" in response.headers.get("Content-Type", "") else "rss")
            if kind == "statuspage":
                try:
                    data = response.json()
                except ValueError:
                    raise FeedError("the answer is not JSON") from None
                name, incidents = parse_statuspage(feed, data)
            else:
                name, incidents = parse_rss(feed, response.content)
            state.etag = response.headers.get("ETag") or state.etag
            state.last_modified = response.headers.get("Last-Modified") or state.last_modified
            state.name = name
            return self._ok(feed, state, now, incidents)
        except (requests.RequestException, FeedError) as exc:
            state.failures += 1
            wait = min(MAX_BACKOFF, feed.every * (2 ** state.failures))
            state.next_poll = now + wait
            state.last_error = str(exc) or type(exc).__name__
            log.warning("status feed %s: %s; keeping what it said before, next try in %s", feed.id,
                        state.last_error, wait)
            return False

    def _ok(self, feed: Feed, state: FeedState, now: datetime, incidents: list[Incident] | None) -> bool:
        state.failures, state.last_error, state.next_poll = 0, "", now + feed.every
        if incidents is None:
            return False
        fresh = {i.id: i for i in incidents}
        for iid, old in state.incidents.items():  # a summary feed drops resolved incidents: close ours
            if iid not in fresh and not old.resolved:
                closing = Update(max(now, old.updates[-1].at + timedelta(seconds=1)), "resolved",
                                 "The provider reports this as resolved.")
                fresh[iid] = replace(old, updates=(*old.updates, closing))
            elif iid not in fresh:
                fresh[iid] = old
        changed = fresh != state.incidents
        state.incidents = fresh
        return changed

    def incidents(self, status: Status) -> tuple[Incident, ...]:
        """Incidents from the feeds that create them, for the feeds the status file still lists."""
        out: list[Incident] = []
        for feed in status.feeds:
            if feed.create_incidents and feed.id in self.states:
                out.extend(self.states[feed.id].incidents.values())
        return tuple(sorted(out, key=lambda i: i.started))

    def close(self) -> None:
        self.session.close()


def with_feeds(status: Status, reader: FeedReader) -> Status:
    """The file's status plus what the feeds report: their incidents, or (create_incidents:
    false) only the state of our components they name."""
    from .statuspage import IMPACT_TO_COMPONENT, SEVERITY

    extra = reader.incidents(status)
    known = {i.id for i in status.incidents}
    components = dict(status.components)
    for feed in status.feeds:
        if feed.create_incidents or feed.id not in reader.states:
            continue
        for incident in reader.states[feed.id].incidents.values():
            if incident.resolved:
                continue
            derived = IMPACT_TO_COMPONENT[incident.impact]
            for cid in feed.components:
                if cid in components and SEVERITY.index(derived) > SEVERITY.index(components[cid].status):
                    components[cid] = replace(components[cid], status=derived)
    return replace(status, components=components,
                   incidents=status.incidents + tuple(i for i in extra if i.id not in known))
