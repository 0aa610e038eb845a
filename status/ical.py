"""Maintenance windows and incidents as calendar events, added to the plan's iCal export.

A subscribable calendar of planned downtime: each maintenance window is an event over
its real window (``STATUS:CANCELLED`` once cancelled, so subscribed calendars strike it
through), each incident an event from its start to its resolution (while open, no end: not
"now", which would change with every fetch and say it ended) with its whole timeline in the
description, and, when the site's address is known, the URL of its page.  UIDs are stable per
window/incident.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from textwrap import shorten
from zoneinfo import ZoneInfo

from icalendar import Calendar as VCalendar
from icalendar import Event

from campaigns.ical import add_timezones
from campaigns.plan import Publication

from .maintenance import revisions, role, window_end
from .model import Incident, Maintenance, Status

ANNOUNCEMENT_LENGTH = timedelta(minutes=15)  # as a post's event (campaigns.ical.EVENT_LENGTH)


def exportable(at: datetime) -> datetime:
    """``at`` as a calendar app can read it: in its IANA zone (the export carries that zone's
    VTIMEZONE), else in UTC.  A time written with a bare offset (``03:00+01:00``) has no zone
    a VTIMEZONE could name: icalendar would write ``TZID="UTC+01:00"`` with no definition, which
    Thunderbird and icalendar itself read as floating time."""
    return at if isinstance(at.tzinfo, ZoneInfo) else at.astimezone(UTC)


def add_announcements(cal: VCalendar, publications: list[Publication], brand: str, now: datetime) -> int:
    """One event per status announcement (incident update, follow-up, maintenance reminder,
    start, end) at the instant the engine will post it, so planners see them beside the posts."""
    slug = "".join(c if c.isalnum() else "-" for c in brand.lower()).strip("-") or "brand"
    for pub in publications:
        event = Event()
        event.add("uid", f"{pub.key}@{slug}.herald")
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", exportable(pub.at))
        event.add("dtend", exportable(pub.at) + ANNOUNCEMENT_LENGTH)
        headline = pub.text.splitlines()[0] if pub.text else ""
        event.add("summary", f"[{pub.network}] {pub.note}: {shorten(headline, 60, placeholder='…')}")
        event.add("description",
                  f"{pub.kind.capitalize()} {pub.post}, {pub.note}\nNetwork: {pub.network}\n\n{pub.text}")
        event.add("categories", [str(pub.kind), pub.incident_state or pub.role])
        event.add("transp", "TRANSPARENT")
        event.add("x-herald-post", pub.post)
        event.add("x-herald-network", pub.network)
        cal.add_component(event)
    return len(publications)


def add_status(cal: VCalendar, status: Status, brand: str, start: datetime, end: datetime, now: datetime,
               site: str = "") -> int:
    """Add the events overlapping [start, end); return how many.  ``site``: the status site's
    address, for each event's URL (none without it)."""
    slug = "".join(c if c.isalnum() else "-" for c in brand.lower()).strip("-") or "brand"
    names = {cid: c.name for cid, c in status.components.items()}
    pages = [(f"maintenance/{m.id}/", _maintenance_event(m, names, slug, now)) for m in status.maintenance
             if window_end(m) > start and m.starts < end]
    for incident in status.incidents:
        finish = incident.updates[-1].at if incident.resolved else max(now, incident.started)
        if finish >= start and incident.started < end:
            pages.append((f"incidents/{incident.id}/", _incident_event(incident, slug, now)))
    for page, event in pages:
        if site:
            event.add("url", f"{site.rstrip('/')}/{page}")
        cal.add_component(event)
    added = len(pages)
    if added:
        add_timezones(cal, start, end)
    return added


def _status_event(kind: str, item_id: str, slug: str, now: datetime) -> Event:
    event = Event()
    event.add("uid", f"{kind}.{item_id}@{slug}.herald")
    event.add("x-herald-post", item_id)
    event.add("x-herald-network", "status")
    event.add("dtstamp", now.astimezone(UTC))
    return event


def _maintenance_event(m: Maintenance, names: dict[str, str], slug: str, now: datetime) -> Event:
    """A window over its real time: a delay moves its end (and a completion before the end ends it
    then), each such change and a cancellation one more SEQUENCE, so calendars take it as news."""
    event = _status_event("maintenance", m.id, slug, now)
    event.add("dtstart", exportable(m.starts))
    event.add("dtend", exportable(window_end(m)))
    if revisions(m):
        event.add("sequence", revisions(m))
    event.add("summary", f"[maintenance] {m.title}" + (" (cancelled)" if m.cancelled else ""))
    affected = ", ".join(names.get(c, c) for c in m.components)
    said = [f"{u.at.isoformat(timespec='minutes')} {role(m, u)}: {u.message}" for u in m.updates]
    event.add("description", "\n".join(x for x in (m.message, f"Affects: {affected}" if affected else "", *said)
                                       if x))
    event.add("status", "CANCELLED" if m.cancelled else "CONFIRMED")
    event.add("categories", ["maintenance"])
    event.add("transp", "TRANSPARENT")
    return event


def _incident_event(incident: Incident, slug: str, now: datetime) -> Event:
    event = _status_event("incident", incident.id, slug, now)
    event.add("dtstart", exportable(incident.started))
    finish = incident.updates[-1].at
    if incident.resolved:  # an open incident has no end yet
        event.add("dtend", exportable(finish if finish > incident.started else incident.started.replace(second=59)))
    state = "" if incident.resolved else ", ongoing"
    event.add("summary", f"[incident, {incident.impact}{state}] {incident.title}")
    timeline = [f"{u.at.isoformat(timespec='minutes')} {u.state}: {u.message}" for u in incident.updates]
    event.add("description", "\n".join(timeline))
    event.add("categories", ["incident", incident.impact])
    event.add("transp", "TRANSPARENT")
    return event
