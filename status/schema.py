"""The JSON Schema of ``status.yaml`` (draft-07), printed by ``herald schema --status``."""

from __future__ import annotations

from typing import Any

from campaigns.schema import DURATION_PATTERN, ID_PATTERN, NAME_PATTERN, WHEN_PATTERN, _object
from campaigns.textsafety import TITLE_PATTERN

COMPONENT_STATES = ("operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance")
INCIDENT_COMPONENT_STATES = COMPONENT_STATES[:4]  # an update never says under_maintenance: a window does
IMPACTS = ("none", "minor", "major", "critical")
UPDATE_STATES = ("investigating", "identified", "monitoring", "resolved")
MAINTENANCE_STATES = ("scheduled", "in_progress", "verifying", "completed")

_WHEN = {"type": "string", "pattern": WHEN_PATTERN,
         "x-hint": "a time like 2026-11-23T09:12 (in the file's timezone) or 2026-11-23T09:12+01:00"}
_TEXT = {"type": "string", "minLength": 1}
_TITLE = {**_TEXT, "pattern": TITLE_PATTERN,
          "x-hint": "one line of text, without characters that reverse it (U+202A-U+202E, U+2066-U+2069)"}


def status_schema() -> dict[str, Any]:
    names = {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True}
    update = _object({
        "at": _WHEN,
        "state": {"enum": list(UPDATE_STATES)},
        "message": {**_TEXT, "description": "what we know and what we are doing, in plain words"},
        "next_update": {"type": "string", "pattern": DURATION_PATTERN, "x-hint": "e.g. 30m or 1h",
                        "description": "when customers hear from us next (default: 30m for major and "
                                       "critical, 1h otherwise)"},
        "components": {"type": "object", "propertyNames": {"pattern": NAME_PATTERN},
                       "additionalProperties": {"enum": list(INCIDENT_COMPONENT_STATES)},
                       "description": "the state each named component is in as of this update, e.g. "
                                      "{checkout: operational} (default: what an earlier update set, else the "
                                      "incident's impact); a resolution leaves them operational"},
    }, ("at", "state", "message"))
    incident = _object({
        "id": {"type": "string", "pattern": ID_PATTERN,
               "x-hint": "letters, digits, '.', '_' and '-', e.g. checkout-errors-2026-11-23"},
        "title": _TITLE,
        "impact": {"enum": list(IMPACTS)},
        "components": names,
        "networks": {**names, "description": "accounts to tell (default: every enabled account)"},
        "updates": {"type": "array", "items": update, "minItems": 1},
        "follow_up": {"oneOf": [{"type": "string", "pattern": DURATION_PATTERN}, {"const": False}],
                      "description": "ask customers if all is well this long after the resolution, or false"},
        "notes": {"type": "string"},
        "draft": {"type": "boolean", "description": "prepared by the alert intake; `herald incident confirm ID` "
                                                    "makes it public"},
        "alert": {"type": "string", "description": "the alert this incident came from (written by the intake)"},
    }, ("id", "title", "impact", "updates"))
    durations = {"type": "array", "items": {"type": "string", "pattern": DURATION_PATTERN,
                                            "x-hint": "a duration like 24h or 1h"}, "uniqueItems": True}
    window_update = _object({
        "at": _WHEN,
        "state": {"enum": list(MAINTENANCE_STATES),
                  "description": "scheduled (before the start), in_progress, verifying or completed"},
        "message": {**_TEXT, "description": "what customers should know now, in plain words"},
        "ends": {**_WHEN, "description": "a delay: when the window now ends (`herald maintenance delay`)"},
    }, ("at", "state", "message"))
    maintenance = _object({
        "id": {"type": "string", "pattern": ID_PATTERN,
               "x-hint": "letters, digits, '.', '_' and '-', e.g. db-upgrade-2026-11-28"},
        "title": _TITLE,
        "starts": _WHEN,
        "ends": _WHEN,
        "components": names,
        "networks": {**names, "description": "accounts to tell (default: every enabled account)"},
        "message": _TEXT,
        "remind": {**durations, "description": "announce this long before the start (default: 24h and 1h)"},
        "cancelled": {"type": "boolean", "description": "true: it will not happen (announced if it was announced)"},
        "notes": {"type": "string"},
        "updates": {"type": "array", "items": window_update,
                    "description": "what ops say during the window, oldest first (herald maintenance "
                                   "update|delay|complete)"},
    }, ("id", "title", "starts", "ends"))
    policy = _object({
        "action": {"enum": ["mark", "draft", "declare"],
                   "description": "mark: only the component's state; draft: an incident waiting for `herald "
                                  "incident confirm`; declare: public once firing for `for:`"},
        "for": {"type": "string", "pattern": DURATION_PATTERN, "x-hint": "e.g. 0s, 30s or 2m",
                "description": "firing this long before it acts (default 3m for declare, 0s for mark and draft)"},
        "impact": {"enum": list(IMPACTS), "description": "the incident's impact (default: major for critical, "
                                                          "minor otherwise)"},
        "announce": {"type": "string", "minLength": 1,
                     "description": "draft: the internal chat account told (webhook, slack, discord, teams or "
                                    "telegram; never a public one)"},
        "networks": names,
        "title": _TITLE,
        "message": _TEXT,
    }, ("action",))
    route = _object({
        "component": {"type": "string", "minLength": 1},
        "labels": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "alert labels that must all match (Alertmanager, Grafana, generic)"},
        "monitors": {**names, "description": "Uptime Kuma monitor names"},
        "upstream": {**names, "description": "a provider's Statuspage component names"},
        "severity": {"type": "object", "propertyNames": {"pattern": NAME_PATTERN},
                     "additionalProperties": policy,
                     "description": "policy per alert severity label; `default` for any other"},
    }, ("component", "severity"))
    component = _object({"name": _TEXT, "status": {"enum": list(COMPONENT_STATES)},
                         "description": {"type": "string"},
                         "group": {**_TEXT, "description": "the group the status page lists it under, by name "
                                                           "(e.g. Shop); its members are shown together"}},
                        ("name",))
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://herald.example/schema/status.schema.json",
        "title": "Herald status file",
        "description": "Components, incidents and maintenance Herald announces. See docs/reference/status.md.",
        **_object({
            "version": {"const": 1},
            "timezone": {"type": "string", "minLength": 1,
                         "description": "IANA zone for times without an offset (default: the calendar brand's)"},
            "status_page": {"type": "string", "pattern": r"^https?://\S+$",
                            "description": "link to your status page, used in announcements"},
            "components": {"type": "object", "propertyNames": {"pattern": NAME_PATTERN},
                           "additionalProperties": component},
            "incidents": {"type": "array", "items": incident},
            "maintenance": {"type": "array", "items": maintenance},
            "feeds": {"type": "array", "items": _object({
                "id": {"type": "string", "pattern": ID_PATTERN, "x-hint": "letters, digits, '.', '_' and '-'"},
                "url": {"type": "string", "pattern": r"^https?://\S+$",
                        "description": "a Statuspage summary.json or incidents.json, or an RSS/Atom feed"},
                "type": {"enum": ["statuspage", "rss", "atom"], "description": "default: from the response"},
                "name": {**_TEXT, "description": "the provider's name in announcements (default: the feed's)"},
                "every": {"type": "string", "pattern": DURATION_PATTERN, "x-hint": "e.g. 2m",
                          "description": "how often to poll (default 2m; at least 30s)"},
                "components": names,
                "networks": names,
                "impact": {"enum": list(IMPACTS), "description": "impact of RSS/Atom items (default minor)"},
                "create_incidents": {"type": "boolean",
                                     "description": "false: only mark the components on the status page"},
            }, ("id", "url"))},
            "alerts": {"type": "array", "items": route,
                       "description": "which monitoring alerts mean which component, and what they do"},
            "follow_up": {"oneOf": [{"type": "string", "pattern": DURATION_PATTERN}, {"const": False}],
                          "description": "default time after a resolution to ask customers if all is well "
                                         "(default 2h; false: never)"},
        }),
    }
