"""RSS and Atom status feeds (feedparser reads both): one incident per entry, resolved when
its title or summary says so."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import feedparser

from campaigns.errors import FeedError

from ..model import Feed, Incident, Update, UpdateState
from .feed import MAX_ID, MAX_TITLE, Cleaner, FeedBody


def parse_feed(feed: Feed, body: bytes) -> FeedBody:
    """The entries of one answer as incidents of ``feed`` (ids ``<feed id>-<entry id>``)."""
    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise FeedError(f"not an RSS or Atom feed ({type(parsed.bozo_exception).__name__})")
    clean = Cleaner()
    name = feed.name or clean(parsed.feed.get("title"), MAX_TITLE) or feed.id
    link = clean(parsed.feed.get("link"), 500)
    out = [found for entry in parsed.entries if (found := _incident(feed, name, entry, clean)) is not None]
    return FeedBody(name, link, tuple(out), clean.stripped)


def _incident(feed: Feed, name: str, entry: Any, clean: Cleaner) -> Incident | None:
    """One entry as an incident (None: it has no time or no id), resolved when it says so."""
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    source = clean(entry.get("id") or entry.get("link"), 100_000)
    if not stamp or not source:
        return None
    ident = "".join(c if c.isalnum() else "-" for c in source)[-MAX_ID:]
    at = datetime(stamp[0], stamp[1], stamp[2], stamp[3], stamp[4], stamp[5], tzinfo=UTC)
    title, summary = clean(entry.get("title"), MAX_TITLE), clean(entry.get("summary"))
    text = f"{title} {summary}".lower()
    resolved = "resolved" in text or "completed" in text
    state = UpdateState.RESOLVED if resolved else UpdateState.INVESTIGATING
    return Incident(f"{feed.id}-{ident}".strip("-"), f"{name}: {title or 'incident'}", feed.impact,
                    (Update(at, state, summary or title),), feed.components, feed.networks)
