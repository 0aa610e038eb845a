"""Alertmanager's webhook (version 4): grouped alerts, each firing or resolved, identified by
its fingerprint and named by its ``alertname`` label."""

from __future__ import annotations

from typing import Any

from campaigns.errors import BadPayload
from status.alerts import AlertEvent, identity
from status.model import AlertSource, AlertStatus

from .payload import get, strings, when


def parse_webhook(body: Any, source: AlertSource = AlertSource.ALERTMANAGER) -> list[AlertEvent]:
    """The alerts of one group (``source``: the tool that sent this shape; Grafana's is the same)."""
    if source == AlertSource.ALERTMANAGER and get(body, "version", str, "") != "4":
        raise BadPayload(f"version: {body['version']!r} is not supported; Alertmanager's webhook version 4 is")
    events = []
    for index, alert in enumerate(get(body, "alerts", list, "")):
        where = f"alerts[{index}]"
        said = get(alert, "status", str, where)
        if said not in tuple(AlertStatus):
            raise BadPayload(f"{where}.status: {said!r} is neither firing nor resolved")
        status = AlertStatus(said)
        labels = strings(get(alert, "labels", dict, where), f"{where}.labels")
        stamp = "startsAt" if status == AlertStatus.FIRING else "endsAt"
        at = when(get(alert, stamp, str, where), f"{where}.{stamp}")
        fingerprint = get(alert, "fingerprint", str, where)
        events.append(AlertEvent(source, identity(source, fingerprint), status, at,
                                 labels.get("alertname", fingerprint), labels))
    return events
