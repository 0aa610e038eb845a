"""What the status page's subscribers hear of: one :class:`Notice` per incident update and per
maintenance reminder, start, end and update.  Pure, like :mod:`status.announce`.

A notice's key is the publication key of its source and instant for the pseudo-account
``subscribers``: the same file always yields the same keys, so the ledger knows a notice was
already sent to its subscribers, a restart or a second engine never makes it again, and fixing a
typo in an update already mailed never mails it twice.  Drafts of the alert intake are not
public, so they are nobody's notice (``Status.public``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from campaigns.plan import publication_key

from .maintenance import announced, ends_itself, planned_end, role, starts_itself, window_end
from .model import Incident, Maintenance, Status

ACCOUNT = "subscribers"  # the pseudo-account of the keys
_STATES = {"investigating": "Investigating", "identified": "Identified", "monitoring": "Monitoring",
           "resolved": "Resolved"}
_UPDATES = {"scheduled": "Maintenance update", "in_progress": "In progress", "verifying": "Verifying",
            "completed": "Completed", "delayed": "Delayed", "changed": "Rescheduled"}


@dataclass(frozen=True)
class Notice:
    """One update, as every subscriber of its components is told of it."""

    key: str
    source: str
    at: datetime
    subject: str  # e.g. "Identified: Card payments fail"
    message: str  # the ops team's words
    components: tuple[str, ...]  # empty: about everything (every subscriber hears of it)
    affected: str  # the components' names, for people
    path: str  # the page about it, relative to the site's root: incidents/<id>/

    def concerns(self, components: tuple[str, ...]) -> bool:
        """Whether a subscriber of ``components`` (empty: all) hears of it."""
        return not components or not self.components or bool(set(components) & set(self.components))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "at": self.at.isoformat(), "components": list(self.components)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Notice:
        return cls(**{**data, "at": datetime.fromisoformat(data["at"]), "components": tuple(data["components"])})


def notices(status: Status, start: datetime, end: datetime) -> list[Notice]:
    """The notices dated in [start, end), oldest first."""
    found = [n for n in _all(status.public(), start, end) if start <= n.at < end]
    return sorted(found, key=lambda n: (n.at, n.key))


def _all(status: Status, start: datetime, end: datetime) -> Iterator[Notice]:
    for incident in status.incidents:
        if incident.updates[-1].at >= start and incident.started < end:
            yield from _incident(status, incident)
    for m in status.maintenance:
        if not m.cancelled and _last(m) >= start and announced(m) < end:
            yield from _maintenance(status, m)


def _names(status: Status, components: tuple[str, ...]) -> str:
    names = [status.components[c].name if c in status.components else c for c in components]
    return ", ".join(names) if names else "all services"


def _incident(status: Status, incident: Incident) -> Iterator[Notice]:
    for update in incident.updates:
        yield Notice(publication_key(incident.source, update.at, ACCOUNT), incident.source, update.at,
                     f"{_STATES.get(str(update.state), str(update.state))}: {incident.title}", update.message.strip(),
                     incident.affected, _names(status, incident.affected), f"incidents/{incident.id}/")


def _maintenance(status: Status, m: Maintenance) -> Iterator[Notice]:
    def notice(role: str, at: datetime, subject: str) -> Notice:
        return Notice(publication_key(f"{m.source}:{role}", at, ACCOUNT), m.source, at, subject, m.message.strip(),
                      m.components, _names(status, m.components), f"maintenance/{m.id}/")

    for ahead in sorted(m.remind, reverse=True):
        yield notice(f"remind:{int(ahead.total_seconds())}", m.starts - ahead,
                     f"Maintenance in {_ahead(ahead)}: {m.title}")
    if starts_itself(m):
        yield notice("start", m.starts, f"Maintenance under way: {m.title}")
    if ends_itself(m):
        yield notice("end", planned_end(m), f"Maintenance complete: {m.title}")
    for update in m.updates:  # keyed as its announcements are: by the window's id and the update's time
        words = _UPDATES.get(role(m, update), str(update.state))
        yield Notice(publication_key(f"maintenance:{m.id}:update", update.at, ACCOUNT), m.source, update.at,
                     f"{words}: {m.title}", update.message.strip(), m.components, _names(status, m.components),
                     f"maintenance/{m.id}/")


def _last(m: Maintenance) -> datetime:
    """The window's last news: its end, or a later update."""
    return max(window_end(m), planned_end(m), *(u.at for u in m.updates))


def _ahead(delta: timedelta) -> str:
    hours, rest = divmod(int(delta.total_seconds()), 3600)
    if not rest and hours:
        return "1 hour" if hours == 1 else f"{hours} hours"
    minutes = int(delta.total_seconds()) // 60
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
