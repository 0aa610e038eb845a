"""Upstream status feeds, the pure part: the status the feeds add to the file's.  Each
format's parser (Statuspage v2 JSON, RSS or Atom) is in :mod:`status.formats`; fetching,
polling and backoff live in :mod:`scheduler.feeds`.

Incidents from a feed become ours, on the components the feed names: id
``<feed id>-<upstream id>``, the provider's updates as our updates (oldest first, strictly
later each, nothing after a resolution), so the usual keys make every update announced once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Protocol

from .model import Impact, Incident, Status

IMPACTS = {impact.value: impact for impact in Impact}
IMPACT_ORDER = tuple(Impact)  # least to most severe


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
