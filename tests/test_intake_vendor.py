"""The intake's parsers against payloads written from each vendor's documented format by
someone who had not read this code (tests/data/intake/vendor/, see its README), and the
hostile twin of each: the same payload with hostile text in every free-text field."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from scheduler.web.intake import PARSERS

VENDOR = Path(__file__).resolve().parent / "data" / "intake" / "vendor"
EXPECTED = json.loads((VENDOR / "expected.json").read_text(encoding="utf-8"))


def _parser(name: str):
    source = next(s for s in sorted(PARSERS, key=len, reverse=True) if name.startswith(s))
    return PARSERS[source]


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_vendor_payload_means_what_its_documentation_says(name):
    events = _parser(name)(json.loads((VENDOR / name).read_text(encoding="utf-8")))
    expected = EXPECTED[name]
    # Statuspage's incident names the components it affects: one alert per component, each
    # routed on its own; every other payload has one alert per documented alert.
    for want in expected:
        mine = [e for e in events if want["id"] in e.fingerprint.split(":")]
        assert mine, (want, [e.fingerprint for e in events])
        for event in mine:
            assert (event.source, event.status, event.at, event.name) == (
                want["source"], want["status"], _instant(want["at"]), want["name"])
    assert all(any(w["id"] in e.fingerprint.split(":") for w in expected) for e in events)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_hostile_twin_parses_to_the_same_alerts(name):
    """Same ids, statuses and times; the name is whatever text the sender chose, kept whole."""
    hostile = name.replace(".json", "-hostile.json")
    calm = _parser(name)(json.loads((VENDOR / name).read_text(encoding="utf-8")))
    events = _parser(name)(json.loads((VENDOR / hostile).read_text(encoding="utf-8")))
    assert [(e.fingerprint, e.status, e.at) for e in events] == [(e.fingerprint, e.status, e.at) for e in calm]


# -- the hostile twins through the whole intake: the status file gains exactly the incident ----

ROUTED = """\
components:
  checkout: {name: Checkout}
  website: {name: Website}
  payments: {name: Card payments}
alerts:
  - component: checkout
    labels: {service: checkout}
    severity: {default: {action: declare, for: 0s, networks: [site]}}
  - component: website
    monitors: [Shop homepage]
    severity: {default: {action: declare, for: 0s, networks: [site]}}
  - component: payments
    upstream: [Card payments API]
    severity: {default: {action: declare, for: 0s, networks: [site]}}
"""


def _routed(name: str, body: dict) -> tuple[str, str]:
    """The hostile payload with only the value that routes it made ordinary: (tool, component)."""
    if name.startswith(("alertmanager", "grafana")):
        for alert in body["alerts"]:
            alert["labels"]["service"] = "checkout"
        return name.split("-")[0], "checkout"
    if name.startswith("uptime-kuma"):
        body["monitor"]["name"] = "Shop homepage"
        return "uptime-kuma", "website"
    if "component_update" in body:
        body["component"]["name"] = "Card payments API"
    else:
        body["incident"]["components"][0]["name"] = "Card payments API"
    return "statuspage", "payments"


FIRING = ["alertmanager-firing-hostile.json", "grafana-firing-hostile.json", "uptime-kuma-down-hostile.json",
          "statuspage-incident-investigating-hostile.json", "statuspage-component-major-outage-hostile.json"]


@pytest.mark.parametrize("name", FIRING)
def test_a_hostile_vendor_payload_declares_one_incident_and_writes_nothing_else(tmp_path, name):
    from datetime import timedelta

    from ruamel.yaml import YAML

    from tests.test_intake import T0, Setup

    body = json.loads((VENDOR / name).read_text(encoding="utf-8"))
    tool, component = _routed(name, body)
    setup = Setup(tmp_path, ROUTED)
    try:
        setup.clock.set(T0.replace(year=2027) + timedelta(minutes=1))  # after every time in the fixtures
        answer = setup.post(tool, body)
        assert answer.status_code == 200, answer.text
        before, after = YAML(typ="safe").load(ROUTED), YAML(typ="safe").load(setup.text())
        assert {k: v for k, v in after.items() if k != "incidents"} == before
        [incident] = after["incidents"]
        assert set(incident) == {"id", "title", "alert", "impact", "components", "networks", "updates"}
        assert incident["components"] == [component] and incident["id"].startswith(f"{component}-alert-")
        assert [set(u) for u in incident["updates"]] == [{"at", "state", "message", "components"}]
        assert list(incident["updates"][0]["components"]) == [component]
        for char in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029":
            assert char not in incident["alert"] and char not in incident["title"]
        assert "refunds-suspended" not in [i.get("id") for i in after["incidents"]]
        assert setup.status().incidents[0].id == incident["id"]  # the engine's loader reads the same
    finally:
        setup.intake.close()
        setup.ctx.close()
