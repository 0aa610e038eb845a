"""Uptime Kuma's webhook: one heartbeat of one monitor."""

from __future__ import annotations

from typing import Any

from status.alerts import AlertEvent, identity
from status.model import AlertSource, AlertStatus

from .payload import get, when


def parse_webhook(body: Any) -> list[AlertEvent]:
    """A beat with status 0 fires, 1 resolves; a test message (no heartbeat) and pending or
    maintenance beats (2, 3) are news of nothing."""
    beat = get(body, "heartbeat", dict, "", None)
    if beat is None:
        return []
    monitor = get(body, "monitor", dict, "")
    state = get(beat, "status", int, "heartbeat")
    if state not in (0, 1):
        return []
    name = get(monitor, "name", str, "monitor")
    at = when(get(beat, "time", str, "heartbeat"), "heartbeat.time")  # Uptime Kuma sends UTC
    ident = get(monitor, "id", (int, str), "monitor", name)
    return [AlertEvent(AlertSource.UPTIME_KUMA, identity(AlertSource.UPTIME_KUMA, str(ident)),
                       AlertStatus.FIRING if state == 0 else AlertStatus.RESOLVED, at, name, {"monitor": name})]
