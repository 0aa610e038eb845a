"""Maintenance windows and incidents as calendar events, added to the plan's iCal export.

A subscribable calendar of planned downtime: each maintenance window is an event over
its real window (``STATUS:CANCELLED`` once cancelled, so subscribed calendars strike it
through), each incident an event from its start to its resolution (or to now, while
open) with its whole timeline in the description. UIDs are stable per window/incident.
"""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar as VCalendar
from icalendar import Event

from .model import Status


def add_status(cal: VCalendar, status: Status, brand: str, start: datetime, end: datetime, now: datetime) -> int:
    """Add the events overlapping [start, end); return how many."""
    slug = "".join(c if c.isalnum() else "-" for c in brand.lower()).strip("-") or "brand"
    names = {cid: c.name for cid, c in status.components.items()}
    added = 0
    for m in status.maintenance:
        if m.ends <= start or m.starts >= end:
            continue
        event = Event()
        event.add("uid", f"maintenance.{m.id}@{slug}.herald")
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", m.starts)
        event.add("dtend", m.ends)
        event.add("summary", f"[maintenance] {m.title}" + (" (cancelled)" if m.cancelled else ""))
        affected = ", ".join(names.get(c, c) for c in m.components)
        event.add("description", "\n".join(x for x in (m.message, f"Affects: {affected}" if affected else "") if x))
        event.add("status", "CANCELLED" if m.cancelled else "CONFIRMED")
        event.add("categories", ["maintenance"])
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
        added += 1
    for incident in status.incidents:
        finish = incident.updates[-1].at if incident.resolved else max(now, incident.started)
        if finish < start or incident.started >= end:
            continue
        event = Event()
        event.add("uid", f"incident.{incident.id}@{slug}.herald")
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", incident.started)
        event.add("dtend", finish if finish > incident.started else incident.started.replace(second=59))
        state = "" if incident.resolved else ", ongoing"
        event.add("summary", f"[incident, {incident.impact}{state}] {incident.title}")
        timeline = [f"{u.at.isoformat(timespec='minutes')} {u.state}: {u.message}" for u in incident.updates]
        event.add("description", "\n".join(timeline))
        event.add("categories", ["incident", incident.impact])
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
        added += 1
    return added
