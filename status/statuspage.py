"""The status in the shape of Statuspage's public v2 API, so existing widgets and monitors
can read ours unchanged. Pure: the status and ``now`` in, JSON-ready dicts out.

Field names and state values follow Statuspage: components ``operational``,
``degraded_performance``, ``partial_outage``, ``major_outage``, ``under_maintenance``;
incidents ``investigating``, ``identified``, ``monitoring``, ``resolved`` with impact
``none``/``minor``/``major``/``critical``; maintenances ``scheduled``, ``in_progress``,
``verifying``, ``completed``; the page indicator ``none``/``minor``/``major``/``critical``/``maintenance``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from .components import IMPACT_STATE, component_states, indicator, states_by_update
from .components import SEVERITY as _SEVERITY
from .maintenance import announced, maintenance_state, planned_end, timeline, window_end
from .model import Incident, Maintenance, Status

# A component named by an open incident shows at least this (an explicit status in the file wins if worse).
IMPACT_TO_COMPONENT = {str(impact): str(state) for impact, state in IMPACT_STATE.items()}
SEVERITY = list(_SEVERITY)
DESCRIPTIONS = {"none": "All Systems Operational", "minor": "Minor Service Outage",
                "major": "Partial System Outage", "critical": "Major Service Outage",
                "maintenance": "Service Under Maintenance"}


def _iso(when: datetime | None) -> str | None:
    return when.isoformat(timespec="seconds") if when else None


def page_id(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "status"


def _page(status: Status, name: str, time_zone: str, now: datetime) -> dict[str, Any]:
    return {"id": page_id(name), "name": name, "url": status.status_page or None, "time_zone": time_zone,
            "updated_at": _iso(now)}


def _components(status: Status, now: datetime, ids: tuple[str, ...] | None = None,
                name: str = "status") -> list[dict[str, Any]]:
    states = component_states(status, now)
    return [{
        "id": cid, "name": c.name, "status": states[cid], "created_at": None, "updated_at": _iso(now),
        "position": position, "description": None, "showcase": True, "start_date": None, "group_id": None,
        "page_id": page_id(name), "group": False, "only_show_if_degraded": False,
    } for position, (cid, c) in enumerate(status.components.items(), 1) if ids is None or cid in ids]


def affected_components(status: Status, incident: Incident) -> list[list[dict[str, str]] | None]:
    """Each update's ``affected_components`` as Statuspage lists them: every component the incident
    is about, its state before the update and as of it (None for an incident about none)."""
    if not incident.affected:
        return [None] * len(incident.updates)
    out: list[list[dict[str, str]] | None] = []
    before: dict[str, str] = {}
    for states in states_by_update(incident):
        out.append([{"code": cid, "name": status.components[cid].name if cid in status.components else cid,
                     "old_status": before.get(cid, "operational"), "new_status": state}
                    for cid, state in states.items()])
        before = states
    return out


def incident_json(status: Status, incident: Incident, name: str, now: datetime) -> dict[str, Any]:
    monitoring = next((u.at for u in incident.updates if u.state == "monitoring"), None)
    updates = [{
        "id": f"{incident.id}-{n}", "status": u.state, "body": u.message, "incident_id": incident.id,
        "created_at": _iso(u.at), "updated_at": _iso(u.at), "display_at": _iso(u.at),
        "affected_components": components, "deliver_notifications": True, "custom_tweet": None, "tweet_id": None,
    } for n, (u, components) in enumerate(zip(incident.updates, affected_components(status, incident), strict=True),
                                           1)]
    return {
        "id": incident.id, "name": incident.title, "status": incident.state,
        "created_at": _iso(incident.started), "updated_at": _iso(incident.updates[-1].at),
        "monitoring_at": _iso(monitoring), "resolved_at": _iso(incident.updates[-1].at if incident.resolved else None),
        "impact": incident.impact, "shortlink": status.status_page or None, "started_at": _iso(incident.started),
        "page_id": page_id(name), "incident_updates": updates[::-1],
        "components": _components(status, now, incident.affected, name),
    }


def maintenance_json(status: Status, m: Maintenance, name: str, now: datetime) -> dict[str, Any]:
    """A window as Statuspage lists a scheduled maintenance: its timeline as ``incident_updates``
    (newest first), each with its components' states, ``scheduled_until`` moved by a delay."""
    state = maintenance_state(m, now)
    entries = timeline(m, now)
    names = {cid: status.components[cid].name if cid in status.components else cid for cid in m.components}
    updates = []
    before = "operational"
    for n, entry in enumerate(entries, 1):
        during = "operational" if entry.state in ("scheduled", "completed") else "under_maintenance"
        updates.append({
            "id": f"{m.id}-{n}", "status": entry.state, "body": entry.message, "incident_id": m.id,
            "created_at": _iso(entry.at), "updated_at": _iso(entry.at), "display_at": _iso(entry.at),
            "affected_components": [{"code": cid, "name": names[cid], "old_status": before, "new_status": during}
                                    for cid in m.components] or None,
            "deliver_notifications": True, "custom_tweet": None, "tweet_id": None})
        before = during
    return {
        "id": m.id, "name": m.title, "status": state, "created_at": _iso(announced(m)),
        "updated_at": _iso(entries[-1].at), "monitoring_at": None,
        "resolved_at": _iso(window_end(m)) if state == "completed" else None,
        "impact": "maintenance", "shortlink": status.status_page or None, "started_at": _iso(m.starts),
        "page_id": page_id(name), "incident_updates": updates[::-1],
        "components": _components(status, now, m.components, name),
        "scheduled_for": _iso(m.starts), "scheduled_until": _iso(planned_end(m)),
    }


ACTIVE = ("in_progress", "verifying")  # the maintenance states of a window at work
LATEST_INCIDENTS = 50  # incidents.json lists this many, the latest first; the unresolved ones are always all listed


def _incident_list(status: Status, name: str, now: datetime, unresolved: bool) -> list[dict[str, Any]]:
    """The incidents, the latest first: every unresolved one, however old, or (the full list)
    only the latest ``LATEST_INCIDENTS``."""
    latest = sorted(status.incidents, key=lambda i: i.started, reverse=True)
    latest = [i for i in latest if not i.resolved] if unresolved else latest[:LATEST_INCIDENTS]
    return [incident_json(status, i, name, now) for i in latest]


def _maintenance_list(status: Status, name: str, now: datetime,
                      states: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """The maintenance windows, the latest first; with ``states``, only those in one of them."""
    maintenances = [maintenance_json(status, m, name, now)
                    for m in sorted(status.maintenance, key=lambda m: m.starts, reverse=True)]
    return maintenances if states is None else [m for m in maintenances if m["status"] in states]


def _page_status(status: Status, now: datetime) -> dict[str, Any]:
    level = indicator(status, now)
    return {"indicator": level, "description": DESCRIPTIONS[level]}


def _summary(page: dict[str, Any], status: Status, name: str, now: datetime) -> dict[str, Any]:
    """Everything a widget shows at once: the ongoing windows listed before the upcoming ones."""
    maintenances = _maintenance_list(status, name, now)
    return {"page": page, "status": _page_status(status, now), "components": _components(status, now, None, name),
            "incidents": _incident_list(status, name, now, unresolved=True),
            "scheduled_maintenances": [m for m in maintenances if m["status"] in ACTIVE]
            + [m for m in maintenances if m["status"] == "scheduled"]}


def _status(page: dict[str, Any], status: Status, name: str, now: datetime) -> dict[str, Any]:
    return {"page": page, "status": _page_status(status, now)}


def _component_file(page: dict[str, Any], status: Status, name: str, now: datetime) -> dict[str, Any]:
    return {"page": page, "components": _components(status, now, None, name)}


def _incident_file(page: dict[str, Any], status: Status, name: str, now: datetime, *,
                   unresolved: bool) -> dict[str, Any]:
    return {"page": page, "incidents": _incident_list(status, name, now, unresolved)}


def _maintenance_file(page: dict[str, Any], status: Status, name: str, now: datetime, *,
                      states: tuple[str, ...] | None) -> dict[str, Any]:
    return {"page": page, "scheduled_maintenances": _maintenance_list(status, name, now, states)}


# each file of the v2 API (relative to api/v2/) and what builds it from its page, the status, the page's name and now
_FILES: dict[str, Callable[[dict[str, Any], Status, str, datetime], dict[str, Any]]] = {
    "summary.json": _summary,
    "status.json": _status,
    "components.json": _component_file,
    "incidents.json": partial(_incident_file, unresolved=False),
    "incidents/unresolved.json": partial(_incident_file, unresolved=True),
    "scheduled-maintenances.json": partial(_maintenance_file, states=None),
    "scheduled-maintenances/upcoming.json": partial(_maintenance_file, states=("scheduled",)),
    "scheduled-maintenances/active.json": partial(_maintenance_file, states=ACTIVE),
}
API_FILES = tuple(_FILES)


def api_file(path: str, status: Status, name: str, time_zone: str, now: datetime) -> dict[str, Any] | None:
    """One file of the v2 API (``path`` relative to ``api/v2/``; None: no such file), computing
    only what that file shows (a page server builds them one at a time)."""
    build = _FILES.get(path)
    if build is None:
        return None
    return build(_page(status, name, time_zone, now), status, name, now)


def api_files(status: Status, name: str, time_zone: str, now: datetime) -> dict[str, dict[str, Any]]:
    """Every file of the v2 API, by path relative to ``api/v2/`` (each as :func:`api_file` builds it)."""
    files: dict[str, dict[str, Any]] = {}
    for path in API_FILES:
        data = api_file(path, status, name, time_zone, now)
        assert data is not None
        files[path] = data
    return files
