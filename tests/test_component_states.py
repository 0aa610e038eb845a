"""Component states per update (issue 26): ``components: {checkout: operational}`` on an update in
``status.yaml``, ``--component-status checkout=operational`` on the command line, and the alert
intake's own; the banner, the components, the day bars, the uptime, the API and ``herald status``
all read them through one function, and a draft changes no component anywhere."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.clock import FakeClock
from status.load import loads
from tests.conftest import DATA
from tests.test_web_site import CALENDAR, client

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # 11:00 in Berlin, during the monitoring below

MONITORING = """\
status_page: https://status.acme.example
components:
  checkout: {name: Checkout}
  tracking: {name: Delivery tracking}
incidents:
  - id: pay
    title: Card payments fail
    impact: major
    components: [checkout]
    updates:
      - at: 2026-12-01T10:00
        state: investigating
        message: Some card payments fail. We're looking into it.
      - at: 2026-12-01T10:20
        state: identified
        message: Our payment provider has an outage. We're switching to the backup provider.
        components: {checkout: major_outage}
      - at: 2026-12-01T10:40
        state: monitoring
        message: Payments work again. We're watching them closely.
        components: {checkout: operational}
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("HERALD_REVIEW_TOKEN", raising=False)
    (tmp_path / "cal.yaml").write_text(CALENDAR)
    (tmp_path / "status.yaml").write_text(MONITORING)
    return tmp_path


def shown_state(page: str, name: str) -> str:
    found = re.search(rf'<span class="name">{name}</span><span class="cstate \w+" data-state="(\w+)">', page)
    assert found, name
    return found.group(1)


# -- the defect: the page contradicted the update ------------------------------------------------
def test_during_monitoring_a_component_set_operational_is_operational_and_the_banner_says_so(site):
    web = client(site, FakeClock(T0))
    page = web.get("/").text
    assert shown_state(page, "Checkout") == "operational"
    assert "Partial System Outage" not in page and "All Systems Operational" in page
    assert "Payments work again." in page  # the incident is still listed, in its state
    summary = web.get("/api/v2/summary.json").json()
    assert summary["status"] == {"indicator": "none", "description": "All Systems Operational"}
    assert {c["id"]: c["status"] for c in summary["components"]} == {"checkout": "operational",
                                                                     "tracking": "operational"}
    assert {c["id"]: c["status"] for c in web.get("/api/v2/components.json").json()["components"]} == {
        "checkout": "operational", "tracking": "operational"}
    assert web.get("/api/v2/status.json").json()["status"]["indicator"] == "none"


def test_a_state_set_by_an_update_holds_until_another_update_sets_it_and_the_impact_fills_in_the_rest(site):
    (site / "status.yaml").write_text(MONITORING.rsplit("      - at: 2026-12-01T10:40", 1)[0])
    summary = client(site, FakeClock(T0)).get("/api/v2/summary.json").json()
    assert {c["id"]: c["status"] for c in summary["components"]} == {"checkout": "major_outage",
                                                                     "tracking": "operational"}
    assert summary["status"] == {"indicator": "critical", "description": "Major Service Outage"}
    (site / "status.yaml").write_text(MONITORING.rsplit("      - at: 2026-12-01T10:20", 1)[0])
    summary = client(site, FakeClock(T0)).get("/api/v2/summary.json").json()  # by its impact: major
    assert summary["status"]["indicator"] == "major"
    assert [c["status"] for c in summary["components"] if c["id"] == "checkout"] == ["partial_outage"]


# -- the API: Statuspage's affected_components ----------------------------------------------------
def test_each_update_in_the_api_lists_its_components_old_and_new_state_as_statuspage_does(site):
    incident = client(site, FakeClock(T0)).get("/api/v2/incidents.json").json()["incidents"][0]
    vendor = json.loads((DATA / "intake" / "vendor" / "statuspage-incident-resolved.json").read_text())
    keys = set(vendor["incident"]["incident_updates"][0]["affected_components"][0])
    updates = incident["incident_updates"]  # newest first, as Statuspage lists them
    assert all(set(a) == keys for u in updates for a in u["affected_components"])
    assert [[(a["code"], a["name"], a["old_status"], a["new_status"]) for a in u["affected_components"]]
            for u in updates] == [
        [("checkout", "Checkout", "major_outage", "operational")],
        [("checkout", "Checkout", "partial_outage", "major_outage")],
        [("checkout", "Checkout", "operational", "partial_outage")]]
    assert {u["status"] for u in updates} <= {u["status"] for u in vendor["incident"]["incident_updates"]} | {
        "monitoring"}


def test_a_resolution_returns_every_component_to_operational_and_an_incident_without_components_lists_none():
    status = loads(MONITORING + "      - {at: '2026-12-01T11:00', state: resolved, message: Fixed for good.}\n"
                   "  - id: vague\n    title: Something odd\n    impact: minor\n    updates:\n"
                   "      - {at: '2026-12-01T09:00', state: investigating, message: Looking.}\n")
    from status.statuspage import api_files

    files = api_files(status, "Acme", "UTC", T0 + timedelta(hours=2))
    pay, vague = (next(i for i in files["incidents.json"]["incidents"] if i["id"] == name) for name in ("pay", "vague"))
    assert pay["incident_updates"][0]["affected_components"] == [
        {"code": "checkout", "name": "Checkout", "old_status": "operational", "new_status": "operational"}]
    assert [u["affected_components"] for u in vague["incident_updates"]] == [None]
    assert files["status.json"]["status"]["indicator"] == "minor"  # an incident naming no component: its impact


# -- the day bars and the uptime read the same states ---------------------------------------------
def test_the_day_bar_and_the_uptime_follow_the_states_the_updates_set(site):
    (site / "status.yaml").write_text(MONITORING.replace("components: {checkout: major_outage}",
                                                         "components: {checkout: degraded_performance}")
                                      .replace("impact: major", "impact: critical"))
    page = client(site, FakeClock(T0)).get("/").text
    today = re.findall(r'<li class="(\w+) ev"><a href="/incidents/pay/"', page)
    # critical: a major outage from 10:00 to 10:20, then degraded, then operational: the worst of the day
    assert today == ["critical"]
    from scheduler.render.site import uptime

    status = loads((site / "status.yaml").read_text())  # (read in UTC: the incident is from 10:00 to 10:40)
    end = T0 + timedelta(hours=1)
    assert uptime(status, "checkout", end - timedelta(days=1), end) == pytest.approx(1 - 20 * 60 / 86400)


# -- a draft changes no component, in `herald status` as on the page --------------------------------
DRAFT = MONITORING.split("incidents:\n")[0] + """\
incidents:
  - id: checkout-alert
    title: Checkout problems
    draft: true
    alert: "generic: checkout-latency (x)"
    impact: major
    components: [checkout]
    updates:
      - at: 2026-12-01T10:50
        state: investigating
        message: Some customers may have trouble with Checkout. We're looking into it now.
"""


def test_a_draft_changes_no_component_in_herald_status_as_on_the_page_and_in_the_api(site, capsys):
    (site / "status.yaml").write_text(DRAFT)
    common = ["--calendar", str(site / "cal.yaml"), "--status", str(site / "status.yaml")]
    assert main(["status", *common], clock=FakeClock(T0)) == 0
    out = capsys.readouterr().out
    assert re.search(r"^  Checkout +operational$", out, re.M), out
    assert "DRAFT, not public" in out  # ops still see the draft itself
    web = client(site, FakeClock(T0))
    assert shown_state(web.get("/").text, "Checkout") == "operational"
    assert [c["status"] for c in web.get("/api/v2/components.json").json()["components"]
            if c["id"] == "checkout"] == ["operational"]


def test_herald_status_says_the_state_an_update_set(site, capsys):
    common = ["--calendar", str(site / "cal.yaml"), "--status", str(site / "status.yaml")]
    (site / "status.yaml").write_text(MONITORING.rsplit("      - at: 2026-12-01T10:40", 1)[0])
    assert main(["status", *common], clock=FakeClock(T0)) == 0
    assert re.search(r"^  Checkout +major outage \(declared operational\)$", capsys.readouterr().out, re.M)


# -- the file: located errors ----------------------------------------------------------------------
@pytest.mark.parametrize("states, expected", [
    ("{chekout: operational}", "status.yaml:17:22: unknown component 'chekout' (did you mean 'checkout'?)"),
    ("{checkout: fine}", "status.yaml:17:32: "),
    ("{checkout: partial_outage, tracking: under_maintenance}", "status.yaml:17:58: "),
])
def test_an_unknown_component_or_state_on_an_update_is_a_located_error(states, expected):
    from campaigns.errors import InvalidInput

    text = MONITORING.replace("{checkout: major_outage}", states)
    with pytest.raises(InvalidInput) as found:
        loads(text, path="status.yaml")
    lines = str(found.value).splitlines()
    assert any(line.startswith(expected) for line in lines), lines
    if "fine" in states:
        assert any("degraded_performance" in line for line in lines)  # says which states there are


def test_a_resolution_cannot_leave_a_component_in_an_outage():
    from campaigns.errors import InvalidInput

    text = MONITORING + ("      - at: 2026-12-01T11:00\n        state: resolved\n        message: Fixed.\n"
                         "        components: {checkout: degraded_performance}\n")
    with pytest.raises(InvalidInput, match=r"status.yaml:25:\d+: .*resolved"):
        loads(text, path="status.yaml")


# -- the command line --------------------------------------------------------------------------------
def test_component_status_on_the_command_line_is_written_on_the_update(site, capsys):
    (site / "status.yaml").write_text(MONITORING.split("incidents:")[0])
    common = ["--calendar", str(site / "cal.yaml"), "--status", str(site / "status.yaml")]
    clock = FakeClock(T0)
    assert main(["incident", "declare", *common, "--title", "Card payments fail", "--impact", "major", "--id", "pay",
                 "--component", "checkout", "-m", "Some card payments fail. We're on it.",
                 "--component-status", "checkout=major_outage"], clock=clock) == 0
    clock.advance(600)
    assert main(["incident", "update", "pay", *common, "--state", "monitoring", "-m", "Payments work again.",
                 "--component-status", "checkout=operational", "--component-status", "tracking=degraded_performance"],
                clock=clock) == 0
    capsys.readouterr()
    text = (site / "status.yaml").read_text()
    assert "        components: {checkout: major_outage}\n" in text
    assert "        components: {checkout: operational, tracking: degraded_performance}\n" in text
    incident = loads(text).incident("pay")
    assert [dict(u.components) for u in incident.updates] == [
        {"checkout": "major_outage"}, {"checkout": "operational", "tracking": "degraded_performance"}]
    states = {c["id"]: c["status"] for c in client(site, clock).get("/api/v2/components.json").json()["components"]}
    assert states == {"checkout": "operational", "tracking": "degraded_performance"}
    clock.advance(600)
    assert main(["incident", "resolve", "pay", *common, "-m", "Fixed for good.",
                 "--component-status", "checkout=operational"], clock=clock) == 0


@pytest.mark.parametrize("value, words", [
    ("checkout=fine", "herald: --component-status checkout=fine: 'fine' is not a component state"),
    ("chekout=operational", "herald: --component-status chekout: not defined (did you mean 'checkout'?)"),
    ("checkout", "herald: --component-status checkout: write COMPONENT=STATE"),
])
def test_a_bad_component_status_is_one_line_exit_2_and_writes_nothing(site, capsys, value, words):
    common = ["--calendar", str(site / "cal.yaml"), "--status", str(site / "status.yaml")]
    before = (site / "status.yaml").read_text()
    code = main(["incident", "update", "pay", *common, "--state", "monitoring", "-m", "Better.",
                 "--component-status", value], clock=FakeClock(T0 + timedelta(hours=1)))
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(words) and len(err.strip().splitlines()) == 1, err
    assert (site / "status.yaml").read_text() == before


def test_a_resolution_refuses_a_component_left_in_an_outage_on_the_command_line(site, capsys):
    common = ["--calendar", str(site / "cal.yaml"), "--status", str(site / "status.yaml")]
    code = main(["incident", "resolve", "pay", *common, "-m", "Fixed.", "--component-status", "checkout=major_outage"],
                clock=FakeClock(T0 + timedelta(hours=1)))
    assert code == 2 and "resolved" in capsys.readouterr().err


# -- the alert intake ------------------------------------------------------------------------------
def test_the_intake_sets_the_component_by_severity_when_it_fires_and_operational_when_it_resolves(tmp_path):
    from tests.test_intake import Setup

    s = Setup(tmp_path)
    try:
        fired = {"id": "c1", "status": "firing", "at": "2026-11-23T09:59:00Z", "labels": {"service": "checkout"},
                 "severity": "critical"}
        assert s.post("generic", fired).status_code == 200
        (incident,) = s.status().open_incidents()
        assert [dict(u.components) for u in incident.updates] == [{"checkout": "partial_outage"}]  # critical: major
        assert "components: {checkout: partial_outage}" in s.text()
        s.clock.advance(timedelta(minutes=5))
        assert s.post("generic", {**fired, "status": "resolved", "at": "2026-11-23T10:04:00Z"}).status_code == 200
        done = s.status().incident(incident.id)
        assert done is not None and done.resolved
        assert dict(done.updates[-1].components) == {"checkout": "operational"}
    finally:
        s.intake.close()
        s.ctx.close()


def test_an_alert_that_raises_the_impact_sets_the_worse_state_on_its_update(tmp_path):
    from tests.test_intake import STATUS, Setup

    s = Setup(tmp_path, STATUS.replace("critical: {action: declare, for: 0s, networks: [site, x]}",
                                       "critical: {action: declare, for: 0s, impact: critical}\n"
                                       "      minor: {action: declare, for: 0s, impact: minor}"))
    try:
        base = {"status": "firing", "labels": {"service": "checkout"}}
        s.post("generic", {**base, "id": "a", "at": "2026-11-23T09:58:00Z", "severity": "minor"})
        s.post("generic", {**base, "id": "b", "at": "2026-11-23T09:59:00Z", "severity": "critical"})
        (incident,) = s.status().open_incidents()
        assert incident.impact == "critical"
        assert [dict(u.components) for u in incident.updates] == [{"checkout": "degraded_performance"},
                                                                  {"checkout": "major_outage"}]
    finally:
        s.intake.close()
        s.ctx.close()


# -- a component only an update names is one the incident touches, everywhere ---------------------------
TRACKING_TOO = MONITORING.replace("components: {checkout: major_outage}",
                                  "components: {checkout: major_outage, tracking: major_outage}")


def test_a_component_only_an_update_sets_gets_notices_holds_posts_and_is_on_the_page_and_the_webhook(site, tmp_path):
    from campaigns.calendar import loads as load_calendar
    from status.announce import holding_incident
    from status.notices import notices
    from tests.test_status import make_engine

    status = loads(TRACKING_TOO)
    found = notices(status, datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC))
    assert [n.subject for n in found if n.concerns(("tracking",))] == [
        "Investigating: Card payments fail", "Identified: Card payments fail", "Monitoring: Card payments fail"]
    at = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
    assert holding_incident(load_calendar(CALENDAR), status, "reminder", ("tracking",), at) is not None
    assert [i.id for i in status.open_on("tracking")] == ["pay"]
    (site / "status.yaml").write_text(TRACKING_TOO)
    page = client(site, FakeClock(at)).get("/incidents/pay/").text
    assert "Delivery tracking" in page
    engine, _, x = make_engine(tmp_path, TRACKING_TOO)
    engine.replan(at)
    engine.run_due(at)
    sent = [p.extra["incident"]["components"] for p, _ in x.sent]
    assert sent and all(components == ["checkout", "tracking"] for components in sent)
