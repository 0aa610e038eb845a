"""The status in the shape of Statuspage's public v2 API, so existing widgets and monitors
can read ours unchanged. Pure: the status and ``now`` in, JSON-ready dicts out.

Field names and state values follow Statuspage: components ``operational``,
``degraded_performance``, ``partial_outage``, ``major_outage``, ``under_maintenance``;
incidents ``investigating``, ``identified``, ``monitoring``, ``resolved`` with impact
``none``/``minor``/``major``/``critical``; maintenances ``scheduled``, ``in_progress``,
``completed``; the page indicator ``none``/``minor``/``major``/``critical``/``maintenance``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from .model import Incident, Maintenance, Status

# A component named by an open incident shows at least this (an explicit status in the file wins if worse).
IMPACT_TO_COMPONENT = {"none": "operational", "minor": "degraded_performance", "major": "partial_outage",
                       "critical": "major_outage"}
SEVERITY = ["operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage"]
DESCRIPTIONS = {"none": "All Systems Operational", "minor": "Minor Service Outage",
                "major": "Partial System Outage", "critical": "Major Service Outage",
                "maintenance": "Service Under Maintenance"}


def _iso(when: datetime | None) -> str | None:
    return when.isoformat(timespec="seconds") if when else None


def page_id(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "status"


def component_states(status: Status, now: datetime) -> dict[str, str]:
    states = {cid: c.status for cid, c in status.components.items()}
    for incident in status.open_incidents():
        derived = IMPACT_TO_COMPONENT[incident.impact]
        for cid in incident.components:
            if cid in states and SEVERITY.index(derived) > SEVERITY.index(states[cid]):
                states[cid] = derived
    for maintenance in status.maintenance:
        if not maintenance.cancelled and maintenance.starts <= now < maintenance.ends:
            for cid in maintenance.components:
                if cid in states and states[cid] == "operational":
                    states[cid] = "under_maintenance"
    return states


def indicator(status: Status, now: datetime) -> str:
    order = ["none", "minor", "major", "critical"]
    worst = "none"
    for incident in status.open_incidents():
        if order.index(incident.impact) > order.index(worst):
            worst = incident.impact
    states = component_states(status, now).values()
    if worst == "none":
        if "major_outage" in states:
            worst = "critical"
        elif "partial_outage" in states:
            worst = "major"
        elif "degraded_performance" in states:
            worst = "minor"
        elif "under_maintenance" in states:
            return "maintenance"
    return worst


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


def incident_json(status: Status, incident: Incident, name: str, now: datetime) -> dict[str, Any]:
    monitoring = next((u.at for u in incident.updates if u.state == "monitoring"), None)
    updates = [{
        "id": f"{incident.id}-{n}", "status": u.state, "body": u.message, "incident_id": incident.id,
        "created_at": _iso(u.at), "updated_at": _iso(u.at), "display_at": _iso(u.at),
        "affected_components": None, "deliver_notifications": True, "custom_tweet": None, "tweet_id": None,
    } for n, u in enumerate(incident.updates, 1)]
    return {
        "id": incident.id, "name": incident.title, "status": incident.state,
        "created_at": _iso(incident.started), "updated_at": _iso(incident.updates[-1].at),
        "monitoring_at": _iso(monitoring), "resolved_at": _iso(incident.updates[-1].at if incident.resolved else None),
        "impact": incident.impact, "shortlink": status.status_page or None, "started_at": _iso(incident.started),
        "page_id": page_id(name), "incident_updates": updates[::-1],
        "components": _components(status, now, incident.components, name),
    }


def maintenance_state(maintenance: Maintenance, now: datetime) -> str:
    if maintenance.cancelled:
        return "completed"
    if now < maintenance.starts:
        return "scheduled"
    return "in_progress" if now < maintenance.ends else "completed"


def maintenance_json(status: Status, m: Maintenance, name: str, now: datetime) -> dict[str, Any]:
    state = maintenance_state(m, now)
    body = m.message or m.title
    updates = [{"id": f"{m.id}-1", "status": "scheduled", "body": body, "incident_id": m.id,
                "created_at": _iso(m.starts), "updated_at": _iso(m.starts), "display_at": _iso(m.starts),
                "affected_components": None, "deliver_notifications": True, "custom_tweet": None, "tweet_id": None}]
    return {
        "id": m.id, "name": m.title, "status": state, "created_at": _iso(m.starts), "updated_at": _iso(now),
        "monitoring_at": None, "resolved_at": _iso(m.ends) if state == "completed" else None,
        "impact": "maintenance", "shortlink": status.status_page or None, "started_at": _iso(m.starts),
        "page_id": page_id(name), "incident_updates": updates,
        "components": _components(status, now, m.components, name),
        "scheduled_for": _iso(m.starts), "scheduled_until": _iso(m.ends),
    }


API_FILES = ("summary.json", "status.json", "components.json", "incidents.json", "incidents/unresolved.json",
             "scheduled-maintenances.json", "scheduled-maintenances/upcoming.json",
             "scheduled-maintenances/active.json")
LATEST_INCIDENTS = 50  # incidents.json lists this many, the latest first; the unresolved ones are always all listed


def api_file(path: str, status: Status, name: str, time_zone: str, now: datetime) -> dict[str, Any] | None:
    """One file of the v2 API (``path`` relative to ``api/v2/``; None: no such file), computing
    only what that file shows (a page server builds them one at a time)."""
    if path not in API_FILES:
        return None
    page = _page(status, name, time_zone, now)
    if path == "components.json":
        return {"page": page, "components": _components(status, now, None, name)}
    incidents: list[dict[str, Any]] = []
    if path in ("incidents.json", "incidents/unresolved.json", "summary.json"):
        latest = sorted(status.incidents, key=lambda i: i.started, reverse=True)
        # every unresolved incident, however old; the full list only the latest
        latest = latest[:LATEST_INCIDENTS] if path == "incidents.json" else [i for i in latest if not i.resolved]
        incidents = [incident_json(status, i, name, now) for i in latest]
        if path != "summary.json":
            return {"page": page, "incidents": incidents}
    maintenances: list[dict[str, Any]] = []
    if path.startswith("scheduled-maintenances") or path == "summary.json":
        maintenances = [maintenance_json(status, m, name, now)
                        for m in sorted(status.maintenance, key=lambda m: m.starts, reverse=True)]
        wanted = {"scheduled-maintenances/upcoming.json": ("scheduled",),
                  "scheduled-maintenances/active.json": ("in_progress",)}.get(path)
        if wanted is not None:
            maintenances = [m for m in maintenances if m["status"] in wanted]
        if path != "summary.json":
            return {"page": page, "scheduled_maintenances": maintenances}
    level = indicator(status, now)
    state = {"indicator": level, "description": DESCRIPTIONS[level]}
    if path == "status.json":
        return {"page": page, "status": state}
    return {"page": page, "status": state, "components": _components(status, now, None, name),
            "incidents": incidents,
            "scheduled_maintenances": [m for m in maintenances if m["status"] == "in_progress"]
            + [m for m in maintenances if m["status"] == "scheduled"]}


def api_files(status: Status, name: str, time_zone: str, now: datetime) -> dict[str, dict[str, Any]]:
    """Every file of the v2 API, by path relative to ``api/v2/`` (each as :func:`api_file` builds it)."""
    files: dict[str, dict[str, Any]] = {}
    for path in API_FILES:
        data = api_file(path, status, name, time_zone, now)
        assert data is not None
        files[path] = data
    return files
