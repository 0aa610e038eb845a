"""Upstream status feeds, the pure part: a provider's answer (Statuspage v2 JSON, RSS or
Atom) as our incidents, and the status the feeds add to the file's. Fetching, polling
and backoff live in :mod:`scheduler.feeds`.

- Incidents from a feed become ours, on the components the feed names: id
  ``<feed id>-<upstream id>``, the provider's updates as our updates (oldest first,
  strictly later each, nothing after a resolution), so the usual keys make every update
  announced once.
- Every text taken from a feed (names, titles, messages, ids) is cleaned: control
  characters (C0 except tab and newline, DEL, U+FFFE/U+FFFF, lone surrogates) are
  removed and counted in :attr:`FeedBody.stripped`, so the reader can warn once per
  poll; titles are cut at :data:`MAX_TITLE` characters and messages at
  :data:`MAX_MESSAGE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import feedparser

from campaigns.textsafety import strip_control

from .model import Feed, Impact, Incident, Status, Update, UpdateState

STATES = {"investigating": UpdateState.INVESTIGATING, "identified": UpdateState.IDENTIFIED,
          "monitoring": UpdateState.MONITORING, "resolved": UpdateState.RESOLVED,
          "postmortem": UpdateState.RESOLVED, "completed": UpdateState.RESOLVED}
IMPACTS = {impact.value: impact for impact in Impact}
IMPACT_ORDER = tuple(Impact)  # least to most severe
MAX_TITLE = 200
MAX_MESSAGE = 1000
MAX_ID = 60  # upstream ids longer than this are cut (RSS: the last characters)



class FeedError(ValueError):
    """A feed answered something that is not a status feed."""


@dataclass(frozen=True)
class FeedBody:
    """What one answer of a feed says."""

    name: str  # the provider's name (the feed's ``name``, else the page's or channel's title)
    link: str  # the provider's status page, when the answer names one
    incidents: tuple[Incident, ...]
    stripped: int = 0  # control characters removed from its texts


class _Cleaner:
    """Cleans texts from one answer and counts what it removed."""

    def __init__(self) -> None:
        self.stripped = 0

    def __call__(self, value: Any, limit: int = MAX_MESSAGE) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            return ""
        text, count = strip_control(value)
        self.stripped += count
        return text.strip()[:limit]



def _time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _ordered(updates: list[Update]) -> tuple[Update, ...]:
    """Oldest first, strictly later each, nothing after a resolution (our file's rules)."""
    out: list[Update] = []
    for update in sorted(updates, key=lambda u: u.at):
        if out and (update.at <= out[-1].at or out[-1].state == "resolved"):
            continue
        out.append(update)
    return tuple(out)


def parse_statuspage(feed: Feed, data: Any) -> FeedBody:
    """A Statuspage v2 answer (``/api/v2/incidents.json``, ``unresolved.json`` or ``summary.json``)."""
    if not isinstance(data, dict) or not isinstance(data.get("incidents"), list):
        raise FeedError("not a Statuspage answer (no 'incidents' list)")
    clean = _Cleaner()
    page: dict[str, Any] = data["page"] if isinstance(data.get("page"), dict) else {}
    name = feed.name or clean(page.get("name"), MAX_TITLE) or feed.id
    link = clean(page.get("url"), 500)
    out = []
    for item in data["incidents"]:
        if not isinstance(item, dict) or item.get("impact") == "maintenance":
            continue
        ident = clean(item.get("id"), MAX_ID)
        if not ident:
            continue
        title = clean(item.get("name"), MAX_TITLE)
        updates = []
        for u in item.get("incident_updates") or []:
            if not isinstance(u, dict):
                continue
            at = _time(u.get("display_at") or u.get("created_at"))
            state = STATES.get(str(u.get("status")))
            if at and state:
                updates.append(Update(at, state, clean(u.get("body")) or title))
        if not updates:
            at = _time(item.get("created_at"))
            if at is None:
                continue
            updates = [Update(at, STATES.get(str(item.get("status")), UpdateState.INVESTIGATING), title)]
        out.append(Incident(f"{feed.id}-{ident}", f"{name}: {title or 'incident'}",
                            IMPACTS.get(str(item.get("impact")), Impact.MINOR), _ordered(updates), feed.components,
                            feed.networks))
    return FeedBody(name, link, tuple(out), clean.stripped)


def parse_rss(feed: Feed, body: bytes) -> FeedBody:
    """An RSS or Atom feed: one incident per entry, resolved when it says so."""
    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise FeedError(f"not an RSS or Atom feed ({type(parsed.bozo_exception).__name__})")
    clean = _Cleaner()
    name = feed.name or clean(parsed.feed.get("title"), MAX_TITLE) or feed.id
    link = clean(parsed.feed.get("link"), 500)
    out = []
    for entry in parsed.entries:
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        source = clean(entry.get("id") or entry.get("link"), 100_000)
        if not stamp or not source:
            continue
        ident = "".join(c if c.isalnum() else "-" for c in source)[-MAX_ID:]
        at = datetime(stamp[0], stamp[1], stamp[2], stamp[3], stamp[4], stamp[5], tzinfo=UTC)
        title, summary = clean(entry.get("title"), MAX_TITLE), clean(entry.get("summary"))
        text = f"{title} {summary}".lower()
        resolved = "resolved" in text or "completed" in text
        state = UpdateState.RESOLVED if resolved else UpdateState.INVESTIGATING
        out.append(Incident(f"{feed.id}-{ident}".strip("-"), f"{name}: {title or 'incident'}", feed.impact,
                            (Update(at, state, summary or title),), feed.components, feed.networks))
    return FeedBody(name, link, tuple(out), clean.stripped)


def worst(impacts: list[str]) -> Impact:
    """The most severe of ``impacts`` (``minor`` when there are none)."""
    known = [Impact(i) for i in impacts if i in IMPACTS]
    return max(known, key=IMPACT_ORDER.index) if known else Impact.MINOR


class _HasIncidents(Protocol):
    @property
    def incidents(self) -> Mapping[str, Incident]: ...


class FeedIncidents(Protocol):
    """What the feeds said, by feed id (a ``scheduler.feeds.FeedReader``)."""

    @property
    def states(self) -> Mapping[str, _HasIncidents]: ...


def feed_incidents(status: Status, reader: FeedIncidents) -> tuple[Incident, ...]:
    """Incidents from the feeds that create them, for the feeds the status file still lists."""
    out: list[Incident] = []
    for feed in status.feeds:
        if feed.create_incidents and feed.id in reader.states:
            out.extend(reader.states[feed.id].incidents.values())
    return tuple(sorted(out, key=lambda i: (i.started, i.id)))


def with_feeds(status: Status, reader: FeedIncidents) -> Status:
    """The file's status plus what the feeds report: their incidents, or (create_incidents:
    false) only the state of our components they name."""
    from .statuspage import IMPACT_TO_COMPONENT, SEVERITY

    extra = feed_incidents(status, reader)
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
