"""Property: no text from outside ever becomes YAML structure in status.yaml.

Random Unicode (every line break YAML or Python knows, control characters, YAML syntax, HTML)
goes into every text field of every payload the intake takes, in the tools' real shapes
(tests/data/intake/*.json); the status file must gain exactly the intended change: one
incident with the expected keys on the expected component, and nothing else, or no change at
all when the hostile text is what routes the alert."""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from sqlalchemy import delete

from scheduler.ledger.schema import alerts_table
from status.formats.alertmanager import parse_webhook as alertmanager
from status.formats.generic import parse_webhook as generic
from status.formats.grafana import parse_webhook as grafana
from status.formats.statuspage import parse_webhook as statuspage
from status.formats.uptime_kuma import parse_webhook as uptime_kuma
from status.load import check
from tests.test_intake import T0, Setup, payload

STATUS = """\
status_page: https://status.acme.example
components:
  checkout: {name: Checkout}
  website: {name: Website}
  search: {name: Search}
  payments: {name: Card payments}
alerts:
  - component: checkout
    labels: {service: checkout}
    severity: {default: {action: declare, for: 0s, networks: [site, x]}}
  - component: search
    labels: {team: blue}
    severity: {default: {action: draft, announce: hooks}}
  - component: website
    monitors: [Shop homepage]
    severity: {default: {action: declare, for: 0s, networks: [site]}}
  - component: payments
    upstream: [Card payments API]
    severity: {default: {action: declare, for: 0s, networks: [site]}}
"""

NASTY = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\x00", "\x07",
         "\x1b[31m", "\x7f", "\x9b", "\ufeff", "\ufffe", "\ud800", "\t", ": ", "- ", "#", " #", "{", "}", "[", "]",
         "&anchor ", "*anchor", "!!python/object:os.system", "!tag", "---", "...", "%YAML 1.1", "'", '"', "\\",
         "\\u2028", "|", ">", "? ", "@", "`", "<script>alert(1)</script>", "&amp;", "  - id: evil\n    title: x",
         "\u2028  - id: refunds-suspended\u2028    title: All refunds suspended\u2028    impact: critical",
         "\u202e", "é", "日本", "🔥"]
hostile = st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=6)), min_size=1, max_size=10).map("".join)

KEYS = {"id", "title", "alert", "impact", "components", "networks", "updates"}


@pytest.fixture(scope="module")
def setup():
    with tempfile.TemporaryDirectory() as folder:
        made = Setup(Path(folder), STATUS)
        made.clock.set(T0 + timedelta(minutes=1))
        yield made
        made.intake.close()
        made.ctx.close()


def plain(text: str) -> Any:
    return YAML(typ="safe").load(text)


def run(setup: Setup, events: list) -> tuple[Any, Any]:
    """Decide on ``events`` against a fresh status file and an empty memory: (before, after) as data."""
    setup.status_path.write_text(STATUS, encoding="utf-8")
    with setup.ctx.ledger().db.begin() as c:
        c.execute(delete(alerts_table))
    setup.intake.receive(events)
    after = setup.text()
    assert check(str(setup.status_path), setup.calendar, after).ok
    return plain(STATUS), plain(after)


def written(events: list) -> set[str]:
    """What the one writer (status.edit.outside) makes of each event's name for ``alert:``."""
    from status.edit import outside

    return {str(outside(event.describe)) for event in events}


def one_incident(before: Any, after: Any, component: str, events: list, draft: bool = False) -> None:
    assert {k: v for k, v in after.items() if k != "incidents"} == before
    [incident] = after["incidents"]
    assert set(incident) == KEYS | ({"draft"} if draft else set())
    assert incident["components"] == [component] and incident["id"].startswith(f"{component}-alert-")
    assert len(incident["updates"]) == 1 and set(incident["updates"][0]) == {"at", "state", "message", "components"}
    assert list(incident["updates"][0]["components"]) == [component]  # its state, by the alert's severity
    for char in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029":
        assert char not in incident["alert"]
    assert incident["alert"] in written(events)  # the alert's own name, as the writer folds it


def no_change(before: Any, after: Any) -> None:
    assert after == before


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])


def _alertmanager_like(name: str, text: str, labels: dict[str, str], parse: Callable[[Any], list]) -> list:
    body = copy.deepcopy(payload(name))
    body["alerts"] = body["alerts"][:1]
    body["receiver"] = body["groupKey"] = body["externalURL"] = text
    alert = body["alerts"][0]
    alert["labels"] = {**{k: text for k in alert["labels"]}, "alertname": text, text: text, **labels}
    alert["annotations"] = {"summary": text, "description": text, text: text}
    alert["fingerprint"] = text
    alert["generatorURL"] = text
    return parse(body)


@PROPERTY
@given(text=hostile)
@pytest.mark.slow
def test_alertmanager_fields(setup, text):
    events = _alertmanager_like("alertmanager-firing.json", text, {"service": "checkout"}, alertmanager)
    one_incident(*run(setup, events), "checkout", events)


@PROPERTY
@given(text=hostile)
@pytest.mark.slow
def test_grafana_fields(setup, text):
    events = _alertmanager_like("grafana-firing.json", text, {"team": "blue"}, grafana)
    one_incident(*run(setup, events), "search", events, draft=True)


@PROPERTY
@given(text=hostile, routed=st.booleans())
@pytest.mark.slow
def test_uptime_kuma_fields(setup, text, routed):
    body = copy.deepcopy(payload("uptime-kuma-down.json"))
    body["msg"] = body["heartbeat"]["msg"] = body["monitor"]["description"] = body["monitor"]["url"] = text
    body["monitor"]["id"] = text
    body["monitor"]["name"] = "Shop homepage" if routed else text
    events = uptime_kuma(body)
    before, after = run(setup, events)
    if routed or text == "Shop homepage":
        one_incident(before, after, "website", events)
    else:
        no_change(before, after)


@PROPERTY
@given(text=hostile, routed=st.booleans())
@pytest.mark.slow
def test_statuspage_component_fields(setup, text, routed):
    body = copy.deepcopy(payload("statuspage-component.json"))
    body["page"]["id"] = body["page"]["status_description"] = text
    body["component"]["description"] = body["component"]["id"] = text
    body["component_update"]["component_id"] = body["component_update"]["id"] = text
    body["component"]["name"] = "Card payments API" if routed else text
    events = statuspage(body)
    before, after = run(setup, events)
    if routed or text == "Card payments API":
        one_incident(before, after, "payments", events)
    else:
        no_change(before, after)


@PROPERTY
@given(text=hostile)
@pytest.mark.slow
def test_statuspage_incident_fields(setup, text):
    body = copy.deepcopy(payload("statuspage-incident.json"))
    incident = body["incident"]
    body["page"]["id"] = incident["name"] = incident["id"] = incident["shortlink"] = text
    incident["incident_updates"][0]["body"] = text
    incident["components"].append({**incident["components"][0], "name": text})  # a second, unknown subject
    events = statuspage(body)
    one_incident(*run(setup, events), "payments", events)


@PROPERTY
@given(text=hostile, severity=hostile)
@pytest.mark.slow
def test_generic_fields(setup, text, severity):
    events = generic([{"id": text, "status": "firing", "at": T0.isoformat(), "name": text, "severity": severity,
                       "labels": {text: text, "service": "checkout"}}])
    one_incident(*run(setup, events), "checkout", events)
