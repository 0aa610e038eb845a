"""Atlassian Statuspage, read in one place: its subscriber webhooks (a component's or an
incident's update, as alert events) and its public v2 API (``incidents.json``,
``unresolved.json`` or ``summary.json``, as a feed's incidents), with one vocabulary of its
states and impacts.

Its incident states ``investigating``, ``identified``, ``monitoring`` are ours;
``resolved``, ``postmortem`` and ``completed`` all mean resolved.  Its impacts are ours
(an unknown one reads as ``minor``); a component's status says how bad (``major_outage``
critical, ``partial_outage`` major, ``degraded_performance`` minor), the inverse of what our
own API says of a component an incident names (:data:`status.statuspage.IMPACT_TO_COMPONENT`).
"""

from __future__ import annotations

from typing import Any

from campaigns.errors import FeedError

from ..alerts import AlertEvent, identity
from ..model import AlertSource, AlertStatus, ComponentState, Feed, Impact, Incident, Update, UpdateState
from ..statuspage import IMPACT_TO_COMPONENT
from .feed import MAX_ID, MAX_TITLE, Cleaner, FeedBody, ordered, time_or_none
from .payload import get, when

STATES = {"investigating": UpdateState.INVESTIGATING, "identified": UpdateState.IDENTIFIED,
          "monitoring": UpdateState.MONITORING, "resolved": UpdateState.RESOLVED,
          "postmortem": UpdateState.RESOLVED, "completed": UpdateState.RESOLVED}
DONE = frozenset(word for word, state in STATES.items() if state == UpdateState.RESOLVED)
IMPACTS = {impact.value: impact for impact in Impact}
COMPONENT_IMPACT = {component: Impact(impact) for impact, component in IMPACT_TO_COMPONENT.items()
                    if impact != Impact.NONE}


def impact(value: Any) -> Impact:
    """Statuspage's impact word as ours (``minor`` when it is not one)."""
    return IMPACTS.get(str(value), Impact.MINOR)


def severity(value: Any) -> str:
    """An alert's ``severity`` label from an incident's impact: at least ``minor`` (an upstream
    incident that says "none" still is one)."""
    found = impact(value)
    return str(Impact.MINOR if found is Impact.NONE else found)


# -- subscriber webhooks ----------------------------------------------------------------------
def parse_webhook(body: Any) -> list[AlertEvent]:
    """A component update (one alert per component), or an incident update (one alert per
    component it affects, else one for the whole page)."""
    page = get(get(body, "page", dict, ""), "id", str, "page")
    if isinstance(body.get("component_update"), dict):
        return _component_update(body, page)
    return _incident_update(body, page)


def _component_update(body: Any, page: str) -> list[AlertEvent]:
    update = body["component_update"]
    component = get(body, "component", dict, "")
    new = get(update, "new_status", str, "component_update")
    if new == ComponentState.UNDER_MAINTENANCE:
        return []
    ident = get(update, "component_id", str, "component_update")
    name = get(component, "name", str, "component")
    at = when(get(update, "created_at", str, "component_update"), "component_update.created_at")
    level = str(COMPONENT_IMPACT.get(new, Impact.MINOR))
    return [AlertEvent(AlertSource.STATUSPAGE, identity(AlertSource.STATUSPAGE, page, "component", ident),
                       AlertStatus.RESOLVED if new == ComponentState.OPERATIONAL else AlertStatus.FIRING, at, name,
                       {"upstream": name, "severity": level})]


def _incident_update(body: Any, page: str) -> list[AlertEvent]:
    incident = get(body, "incident", dict, "")
    ident = get(incident, "id", str, "incident")
    name = get(incident, "name", str, "incident")
    done = get(incident, "status", str, "incident") in DONE
    if done:
        stamp = get(incident, "resolved_at", str, "incident", None) or get(incident, "updated_at", str, "incident")
    else:
        stamp = get(incident, "created_at", str, "incident")
    at = when(stamp, "incident.resolved_at" if done else "incident.created_at")
    level = severity(incident.get("impact") or "none")
    # One alert per affected component, identified by the component's id: its name is the
    # provider's text (routing matches it), and a renamed component must stay the same alert.
    subjects: list[tuple[str, str]] = [
        (c["id"] if isinstance(c.get("id"), str) else c["name"], c["name"])
        for c in get(incident, "components", list, "incident", [])
        if isinstance(c, dict) and isinstance(c.get("name"), str)] or [(page, page)]
    return [AlertEvent(AlertSource.STATUSPAGE, identity(AlertSource.STATUSPAGE, page, "incident", ident, key),
                       AlertStatus.RESOLVED if done else AlertStatus.FIRING, at, name,
                       {"upstream": subject, "severity": level})
            for key, subject in subjects]


# -- the v2 API as a status feed --------------------------------------------------------------
def parse_feed(feed: Feed, data: Any) -> FeedBody:
    """A v2 answer's incidents as incidents of ``feed`` (ids ``<feed id>-<upstream id>``, the
    provider's updates as ours); maintenance and unreadable items are left out."""
    if not isinstance(data, dict) or not isinstance(data.get("incidents"), list):
        raise FeedError("not a Statuspage answer (no 'incidents' list)")
    clean = Cleaner()
    page: dict[str, Any] = data["page"] if isinstance(data.get("page"), dict) else {}
    name = feed.name or clean(page.get("name"), MAX_TITLE) or feed.id
    link = clean(page.get("url"), 500)
    out = [found for item in data["incidents"] if (found := _incident(feed, name, item, clean)) is not None]
    return FeedBody(name, link, tuple(out), clean.stripped)


def _incident(feed: Feed, name: str, item: Any, clean: Cleaner) -> Incident | None:
    if not isinstance(item, dict) or item.get("impact") == "maintenance":
        return None
    ident = clean(item.get("id"), MAX_ID)
    if not ident:
        return None
    title = clean(item.get("name"), MAX_TITLE)
    updates = _updates(item, title, clean)
    if not updates:
        return None
    return Incident(f"{feed.id}-{ident}", f"{name}: {title or 'incident'}", impact(item.get("impact")),
                    ordered(updates), feed.components, feed.networks)


def _updates(item: dict[str, Any], title: str, clean: Cleaner) -> list[Update]:
    """The incident's updates; none readable: one, from the incident's own time and state."""
    updates = []
    for u in item.get("incident_updates") or []:
        if not isinstance(u, dict):
            continue
        at = time_or_none(u.get("display_at") or u.get("created_at"))
        state = STATES.get(str(u.get("status")))
        if at and state:
            updates.append(Update(at, state, clean(u.get("body")) or title))
    if updates:
        return updates
    at = time_or_none(item.get("created_at"))
    return [] if at is None else [Update(at, STATES.get(str(item.get("status")), UpdateState.INVESTIGATING), title)]
