"""The documented generic alert form (docs/reference/alert-intake.md), for tools with no format of their own."""

from __future__ import annotations

from typing import Any

from campaigns.errors import BadPayload
from status.alerts import AlertEvent, identity
from status.model import AlertSource, AlertStatus

from .payload import get, strings, when


def parse_webhook(body: Any) -> list[AlertEvent]:
    """``{"id", "status", "at", "labels"?, "severity"?, "name"?}`` (``at``, an ISO 8601 time, is
    required: the order of events is the sender's), or a list of them."""
    items = body if isinstance(body, list) else [body]
    events = []
    for index, item in enumerate(items):
        where = f"[{index}]" if isinstance(body, list) else ""
        ident = get(item, "id", str, where)
        status = get(item, "status", str, where)
        if status not in tuple(AlertStatus):
            raise BadPayload(f"{where + '.' if where else ''}status: {status!r} is neither firing nor resolved")
        labels = strings(get(item, "labels", dict, where, {}), f"{where}labels")
        severity = get(item, "severity", str, where, "")
        if severity:
            labels["severity"] = severity
        at = when(get(item, "at", str, where), f"{where}at")
        events.append(AlertEvent(AlertSource.GENERIC, identity(AlertSource.GENERIC, ident), AlertStatus(status), at,
                                 get(item, "name", str, where, ident), labels))
    return events
