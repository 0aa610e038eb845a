"""Grafana's alerting webhook: Alertmanager's shape (without its ``version``), told apart by
its source."""

from __future__ import annotations

from typing import Any

from status.alerts import AlertEvent
from status.model import AlertSource

from . import alertmanager


def parse_webhook(body: Any) -> list[AlertEvent]:
    return alertmanager.parse_webhook(body, AlertSource.GRAFANA)
