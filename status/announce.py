"""Incident announcements: the publications a status file calls for. Pure, like planning.

Every update of an incident is one publication per account, keyed by
``(incident:<id>, the update's time, account)``: the same file always yields the same
keys, so the ledger knows what was already announced, a restart or a reload never
repeats it, and fixing a typo in an announced update never re-posts it.  The first
update of an incident starts a thread; every later one names that first post
(``thread_root``) so networks with threads reply under it and customers find the whole
story in one place.

The words follow what customers need in an outage: acknowledge the problem, say sorry,
say what is affected and what we are doing, and say when the next update comes. The
ops team's message is the heart of each post; the templates frame it. Planners can
override any of them in the calendar (``brand.status_templates``, per state or
``state.impact``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from campaigns.calendar import finish
from campaigns.model import Account, Calendar
from campaigns.plan import Publication, publication_key
from campaigns.templates import compile_template

from .model import Incident, Status, Update

TEMPLATE_FIELDS = ("title", "affected", "message", "next_update", "status_page", "impact", "state")

DEFAULT_TEMPLATES = {
    "investigating": "We're investigating a problem with {affected}: {title}. We're sorry for the disruption. "
                     "{message} Next update by {next_update}.",
    "investigating.critical": "{affected}: {title}. We know, we're on it, and we're sorry. {message} "
                              "Next update by {next_update}.",
    "identified": "Update on {title}: we've found the cause. {message} Next update by {next_update}.",
    "monitoring": "Update on {title}: a fix is in place and we're watching it closely. {message} "
                  "Next update by {next_update}.",
    "resolved": "Resolved: {title}. {message} Sorry again for the trouble this caused.",
}
DEFAULT_NEXT_UPDATE = {"critical": timedelta(minutes=30), "major": timedelta(minutes=30)}
LINK_SUFFIX = " Details: {status_page}"


def _affected(incident: Incident, status: Status) -> str:
    names = [status.components[c].name if c in status.components else c for c in incident.components]
    if not names:
        return "some of our services"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _template(calendar: Calendar, update: Update, impact: str) -> str:
    overrides = calendar.brand.status_templates
    for key in (f"{update.state}.{impact}", update.state):
        if key in overrides:
            return overrides[key]
        if key in DEFAULT_TEMPLATES:
            return DEFAULT_TEMPLATES[key]
    return "{title}: {message}"


def render_update(calendar: Calendar, status: Status, incident: Incident, update: Update,
                  account: Account) -> str:
    """The words for ``update`` on ``account``, shortened to fit the network if need be
    (the ops message is cut at a word, with a link to the status page)."""
    tz = calendar.brand.tz
    following = update.next_update or DEFAULT_NEXT_UPDATE.get(incident.impact, timedelta(hours=1))
    values = {
        "title": incident.title, "affected": _affected(incident, status), "message": update.message.strip(),
        "next_update": (update.at + following).astimezone(tz).strftime("%H:%M %Z"),
        "status_page": status.status_page or calendar.brand.links.get("status", ""),
        "impact": incident.impact, "state": update.state, "brand.name": calendar.brand.name,
        **{f"links.{k}": v for k, v in calendar.brand.links.items()},
    }
    template = compile_template(_template(calendar, update, incident.impact), frozenset(values))
    text = finish(template.render(values), calendar.brand, None, account)
    limit = account.rules.limit
    if limit is None or limit.overflow(text) is None:
        return text
    link = LINK_SUFFIX.format(status_page=values["status_page"]) if values["status_page"] else ""
    words = values["message"].split()
    while words:
        words.pop()
        shorter = template.render({**values, "message": " ".join(words).rstrip(".,;:!?") + "…"}) + link
        if limit.overflow(shorter) is None:
            return shorter
    return (incident.title + link)[: limit.maximum]


def announcements(calendar: Calendar, status: Status, start: datetime, end: datetime,
                  accounts: set[str] | None = None) -> list[Publication]:
    """The publications for incident updates made in [start, end), oldest first."""
    out: list[Publication] = []
    for incident in status.incidents:
        names = incident.networks or tuple(n for n, a in calendar.networks.items() if a.enabled)
        root = incident.updates[0]
        for update in incident.updates:
            if not start <= update.at < end:
                continue
            for name in names:
                account = calendar.networks.get(name)
                if account is None or not account.enabled or (accounts is not None and name not in accounts):
                    continue
                text = render_update(calendar, status, incident, update, account)
                limit = account.rules.limit
                out.append(Publication(
                    key=publication_key(incident.source, update.at, name), source=incident.source,
                    post=incident.id, kind="incident", network=name, network_type=account.type,
                    at=update.at.astimezone(calendar.brand.tz), text=text, variant=1, variants=1,
                    limit=limit.maximum if limit else None, note=f"{update.state} ({incident.impact})",
                    thread_root=None if update is root else publication_key(incident.source, root.at, name),
                ))
    out.sort(key=lambda p: (p.at, p.network, p.post))
    return out


def holding_incident(calendar: Calendar, status: Status, kind: str, components: tuple[str, ...],
                     now: datetime) -> Incident | None:
    """The open major or critical incident that holds a calendar post of this kind, if any:
    promotional kinds during any such incident, and posts about an affected component."""
    for incident in status.open_incidents():
        if incident.impact not in ("major", "critical") or incident.started > now:
            continue
        if kind in calendar.engine.hold_during_incidents or set(components) & set(incident.components):
            return incident
    return None
