"""Alert intake: each tool's documented payload in, the one status-editing path out."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from campaigns.calendar import loads as load_calendar
from scheduler.cli import main
from scheduler.clock import FakeClock
from scheduler.statusfile import locked
from scheduler.web.app import create_app
from scheduler.web.context import WebContext
from scheduler.web.intake import Intake
from status.alerts import decide
from status.announce import announcements
from status.formats.alertmanager import parse_webhook as alertmanager
from status.formats.generic import parse_webhook as generic
from status.formats.grafana import parse_webhook as grafana
from status.formats.statuspage import parse_webhook as statuspage
from status.formats.uptime_kuma import parse_webhook as uptime_kuma
from status.load import check, loads
from tests.conftest import DATA, calendar_text

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TOKEN = "intake-s3cret-token"
POSTS = """
- id: tip
  kind: tip
  networks: [site]
  at: 2026-12-01T10:00
  text: "Sofa care tip"
"""
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
    severity:
      critical: {action: declare, for: 0s, networks: [site, x]}
      warning: {action: draft, announce: hooks}
  - component: website
    monitors: [Shop homepage]
    severity:
      default: {action: mark, impact: major}
  - component: search
    labels: {team: blue}
    severity:
      default: {action: draft, announce: hooks}
  - component: payments
    upstream: [Card payments API]
    severity:
      default: {action: declare, for: 60s, impact: major}
"""


class Instant:
    """The monotonic clock of the intake's settled read: each reading 0.05 s later, so a file that
    never settles is given up on after a few dozen readings, with no real waiting."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.05
        return self.now


def intake_for(ctx: WebContext, **kwargs: object) -> Intake:
    """An Intake whose timer never ticks on its own and whose settled read does not wait."""
    options: dict = {"tick": 3600, "wait": lambda seconds: False, "monotonic": Instant(), **kwargs}
    return Intake(ctx, **options)


def payload(name: str) -> dict:
    return json.loads((DATA / "intake" / name).read_text(encoding="utf-8"))


class Setup:
    def __init__(self, tmp_path: Path, status: str = STATUS, ledger_url: str | None = None):
        self.calendar_path = tmp_path / "cal.yaml"
        self.calendar_path.write_text(calendar_text(POSTS), encoding="utf-8")
        self.status_path = tmp_path / "status.yaml"
        self.status_path.write_text(status, encoding="utf-8")
        self.clock = FakeClock(T0)
        self.ledger_url = ledger_url or f"sqlite:///{tmp_path / 'ledger.db'}"
        self.ctx = WebContext(str(self.calendar_path), str(self.status_path), self.ledger_url, self.clock,
                              intake_token=TOKEN)
        self.intake = intake_for(self.ctx)  # the timer thread is tested on its own
        self.client = TestClient(Starlette(routes=self.intake.routes()))
        self.calendar = load_calendar(self.calendar_path.read_text(encoding="utf-8"))

    def post(self, tool: str, body: object, token: str = TOKEN):
        return self.client.post(f"/intake/{tool}", json=body, headers={"Authorization": f"Bearer {token}"})

    def status(self):
        return loads(self.status_path.read_text(encoding="utf-8"), self.calendar, str(self.status_path))

    def text(self) -> str:
        return self.status_path.read_text(encoding="utf-8")

    def restart(self) -> None:
        self.intake.close()
        self.ctx = WebContext(str(self.calendar_path), str(self.status_path), self.ledger_url, self.clock,
                              intake_token=TOKEN)
        self.intake = intake_for(self.ctx)
        self.client = TestClient(Starlette(routes=self.intake.routes()))


@pytest.fixture
def s(tmp_path: Path):
    setup = Setup(tmp_path)
    yield setup
    setup.intake.close()
    setup.ctx.close()


# -- parsing each tool's documented payload ------------------------------------------------

def test_alertmanager_group_of_two_firing_and_resolved_become_four_events_with_their_times():
    firing, resolved = alertmanager(payload("alertmanager-firing.json")), alertmanager(
        payload("alertmanager-resolved.json"))
    assert [(e.status, e.fingerprint, e.at.isoformat()) for e in firing] == [
        ("firing", "alertmanager:7a1b2c3d4e5f6a7b", "2026-11-23T09:58:00+00:00"),
        ("firing", "alertmanager:8b2c3d4e5f6a7b8c", "2026-11-23T09:58:30+00:00")]
    assert [(e.status, e.at.isoformat()) for e in resolved] == [
        ("resolved", "2026-11-23T10:10:00+00:00"), ("resolved", "2026-11-23T10:11:00+00:00")]
    assert firing[0].severity == "critical" and firing[0].name == "CheckoutErrors"


def test_grafana_docs_example_becomes_two_firing_alerts():
    events = grafana(payload("grafana-firing.json"))
    assert [(e.fingerprint, e.name, e.labels["team"]) for e in events] == [
        ("grafana:c6eadffa33fcdf37", "High memory usage", "blue"), ("grafana:bc97ff14869b13e3", "High CPU usage", "blue")]
    assert events[0].at == datetime(2021, 10, 12, 7, 51, 3, 157076, tzinfo=UTC)


def test_uptime_kuma_down_fires_up_resolves_and_a_test_message_is_nothing():
    down, up = uptime_kuma(payload("uptime-kuma-down.json")), uptime_kuma(payload("uptime-kuma-up.json"))
    assert [(e.status, e.labels["monitor"], e.fingerprint) for e in down] == [
        ("firing", "Shop homepage", "uptime-kuma:29")]
    assert up[0].status == "resolved" and up[0].at == datetime(2026, 11, 23, 10, 4, 35, 527000, tzinfo=UTC)
    assert uptime_kuma({"heartbeat": None, "monitor": None, "msg": "Uptime Kuma test"}) == []


def test_statuspage_component_and_incident_updates_name_the_upstream_component():
    component = statuspage(payload("statuspage-component.json"))
    assert [(e.status, e.labels["upstream"], e.severity) for e in component] == [
        ("firing", "Card payments API", "major")]
    opened, closed = statuspage(payload("statuspage-incident.json")), statuspage(
        payload("statuspage-incident-resolved.json"))
    assert opened[0].fingerprint == closed[0].fingerprint
    assert (opened[0].status, closed[0].status) == ("firing", "resolved")
    assert closed[0].at == datetime(2026, 11, 23, 10, 20, tzinfo=UTC)


# -- the HTTP surface: tokens, sizes, malformed payloads ------------------------------------

def test_requests_without_the_token_are_refused_and_change_nothing(s):
    before = s.text()
    assert s.post("alertmanager", payload("alertmanager-firing.json"), token="wrong").status_code == 401
    assert s.client.post("/intake/alertmanager", json=payload("alertmanager-firing.json")).status_code == 401
    assert s.text() == before


def test_the_token_may_come_in_the_query_for_tools_that_cannot_set_headers(s):
    answer = s.client.post(f"/intake/uptime-kuma?token={TOKEN}", json=payload("uptime-kuma-down.json"))
    assert answer.status_code == 200 and answer.json()["accepted"] == 1


def test_without_a_configured_token_the_intake_is_off(tmp_path):
    setup = Setup(tmp_path)
    setup.ctx.intake_token = None
    assert setup.post("generic", {}).status_code == 503


@pytest.mark.parametrize(("body", "code", "words"), [
    (b"{not json", 400, "not JSON"),
    (json.dumps({"version": "4", "alerts": [{"status": "firing", "labels": {}}]}).encode(), 422, "alerts[0].startsAt"),
    (json.dumps({"version": "3", "alerts": []}).encode(), 422, "version"),
    (json.dumps({"version": "4", "alerts": [{"status": "maybe"}]}).encode(), 422, "neither firing nor resolved"),
    (b"[1, 2]", 422, "expected a JSON object"),
])
def test_malformed_payloads_get_a_clear_4xx_and_change_nothing(s, body, code, words):
    before = s.text()
    answer = s.client.post("/intake/alertmanager", content=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == code and words in answer.json()["error"]
    assert s.text() == before


def test_an_oversized_body_is_refused_with_413(s):
    big = b'{"pad": "' + b"x" * (1 << 20) + b'"}'
    answer = s.client.post("/intake/generic", content=big, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 413


# -- policies -------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_grouped_critical_alert_declares_one_public_incident_naming_the_alert_then_resolves_it(s):
    answer = s.post("alertmanager", payload("alertmanager-firing.json"))
    assert answer.json() == {"accepted": 2, "ignored": 0, "unrouted": 0, "changes": 1}
    status = s.status()
    [incident] = status.open_incidents()
    assert incident.components == ("checkout",) and incident.networks == ("site", "x")
    assert incident.alert.startswith("alertmanager: CheckoutErrors") and not incident.draft
    assert incident.impact == "major"
    assert "# from alert alertmanager: CheckoutErrors (alertmanager:7a1b2c3d4e5f6a7b); alertmanager: " in s.text()
    # announced by the engine's one path, like a person's incident
    pubs = announcements(s.calendar, status, T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert sorted(p.network for p in pubs) == ["site", "x"] and all(p.post == incident.id for p in pubs)

    s.clock.advance(timedelta(minutes=12))
    s.post("alertmanager", payload("alertmanager-resolved.json"))
    done = s.status().incident(incident.id)
    assert done is not None and done.resolved and len(done.updates) == 2
    assert done.updates[-1].message == "The problem with Checkout is fixed, and everything is working normally again."


@pytest.mark.slow
def test_one_of_two_alerts_resolving_keeps_the_incident_open(s):
    s.post("alertmanager", payload("alertmanager-firing.json"))
    half = payload("alertmanager-resolved.json")
    half["alerts"] = half["alerts"][:1]
    s.clock.advance(timedelta(minutes=11))
    s.post("alertmanager", half)
    assert len(s.status().open_incidents()) == 1


@pytest.mark.slow
def test_a_warning_drafts_an_incident_told_only_to_the_internal_account_until_confirmed(s, capsys):
    body = payload("alertmanager-firing.json")
    for alert in body["alerts"]:
        alert["labels"]["severity"] = "warning"
    s.post("alertmanager", body)
    [draft] = s.status().open_incidents()
    assert draft.draft and draft.networks == ("hooks",)
    pubs = announcements(s.calendar, s.status(), T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert {p.network for p in pubs} == {"hooks"}

    s.clock.advance(timedelta(minutes=3))
    code = main(["incident", "confirm", draft.id, "--calendar", str(s.calendar_path), "--status", str(s.status_path)],
                clock=s.clock)
    assert code == 0 and "confirmed" in capsys.readouterr().out
    public = s.status().incident(draft.id)
    assert public is not None and not public.draft and public.networks == ()
    assert public.started == s.clock.now()  # its first post goes out now, not three minutes ago
    pubs = announcements(s.calendar, s.status(), T0, T0 + timedelta(hours=1))
    assert {"site", "x", "hooks"} <= {p.network for p in pubs}
    assert main(["incident", "confirm", draft.id, "--calendar", str(s.calendar_path), "--status",
                 str(s.status_path)], clock=s.clock) != 0  # not a draft any more


def test_herald_status_shows_the_alert_and_the_draft(s, capsys):
    s.post("grafana", payload("grafana-firing.json"))
    capsys.readouterr()
    main(["status", "--calendar", str(s.calendar_path), "--status", str(s.status_path),
          "--state", s.ledger_url], clock=s.clock)
    out = capsys.readouterr().out
    assert "DRAFT, not public: herald incident confirm search-alert-" in out
    assert "from alert grafana: High memory usage (grafana:c6eadffa33fcdf37)" in out


@pytest.mark.slow
def test_a_monitor_down_only_marks_the_component_and_up_marks_it_operational(s):
    s.post("uptime-kuma", payload("uptime-kuma-down.json"))
    status = s.status()
    assert status.components["website"].status == "partial_outage" and not status.incidents
    s.clock.advance(timedelta(minutes=5))
    s.post("uptime-kuma", payload("uptime-kuma-up.json"))
    assert s.status().components["website"].status == "operational"


def test_for_waits_and_the_timer_declares_without_a_further_payload(s):
    s.post("statuspage", payload("statuspage-component.json"))  # 51 s of firing at T0; for: 60s
    assert not s.status().incidents
    s.clock.advance(timedelta(seconds=8))
    s.intake.tick()
    assert not s.status().incidents
    s.clock.advance(timedelta(seconds=2))
    s.intake.tick()
    [incident] = s.status().incidents
    assert incident.components == ("payments",) and incident.impact == "major"


@pytest.mark.slow
def test_the_timer_thread_ticks_on_its_own(tmp_path):
    setup = Setup(tmp_path)
    setup.intake.tick_every = 0.01
    try:
        setup.post("statuspage", payload("statuspage-component.json"))
        assert not setup.status().incidents
        setup.clock.advance(timedelta(seconds=30))
        for _ in range(500):  # bounded: the thread ticks every 10 ms
            if setup.status_path.read_text(encoding="utf-8").count("payments-alert-"):
                break
            threading.Event().wait(0.01)
        assert len(setup.status().incidents) == 1
    finally:
        setup.intake.close()
        setup.ctx.close()


@pytest.mark.slow
def test_a_flapping_alert_shorter_than_for_declares_nothing(s):
    for cycle in range(50):
        at = T0 + timedelta(seconds=cycle * 1.2)
        s.clock.set(at)
        s.post("generic", {"id": "flappy", "status": "firing", "labels": {"upstream": "Card payments API"},
                           "at": at.isoformat()})
        s.post("generic", {"id": "flappy", "status": "resolved", "labels": {"upstream": "Card payments API"},
                           "at": (at + timedelta(seconds=0.6)).isoformat()})
    s.clock.advance(timedelta(minutes=5))
    s.intake.tick()
    assert not s.status().incidents


@pytest.mark.slow
def test_a_replayed_or_out_of_order_payload_changes_nothing(s):
    s.post("alertmanager", payload("alertmanager-firing.json"))
    s.clock.advance(timedelta(minutes=12))
    s.post("alertmanager", payload("alertmanager-resolved.json"))
    after = s.text()
    s.clock.advance(timedelta(minutes=1))
    answer = s.post("alertmanager", payload("alertmanager-firing.json"))  # an old firing after the resolution
    assert answer.json()["ignored"] == 2 and s.text() == after
    assert s.post("alertmanager", payload("alertmanager-resolved.json")).json()["ignored"] == 2
    assert s.text() == after


def test_the_same_firing_again_adds_nothing(s):
    s.post("alertmanager", payload("alertmanager-firing.json"))
    before = s.text()
    assert s.post("alertmanager", payload("alertmanager-firing.json")).json()["ignored"] == 2
    assert s.text() == before


@pytest.mark.slow
def test_an_alert_on_a_component_with_an_open_incident_adds_nothing_unless_its_impact_is_higher(s):
    s.status_path.write_text(STATUS + """\
incidents:
  - id: checkout-slow
    title: Slow checkout
    impact: major
    components: [checkout]
    updates:
      - at: 2026-11-23T10:55
        state: investigating
        message: Checkout is slow. We're looking into it.
""", encoding="utf-8")
    s.post("alertmanager", payload("alertmanager-firing.json"))  # critical -> impact major: not higher
    [incident] = s.status().incidents
    assert len(incident.updates) == 1
    text = s.text().replace("critical: {action: declare, for: 0s, networks: [site, x]}",
                            "critical: {action: declare, for: 0s, impact: critical}")
    s.status_path.write_text(text, encoding="utf-8")
    s.clock.advance(timedelta(minutes=1))
    s.post("generic", {"id": "x", "status": "firing", "labels": {"service": "checkout", "severity": "critical"},
                       "at": s.clock.now().isoformat()})
    [incident] = s.status().incidents
    assert incident.impact == "critical" and len(incident.updates) == 2
    s.clock.advance(timedelta(minutes=30))
    s.post("alertmanager", payload("alertmanager-resolved.json"))
    assert not s.status().incidents[0].resolved  # a person's incident is the person's to resolve


def test_an_unknown_label_is_logged_once_with_the_mapping_to_add(s, caplog):
    body = {"id": "disk", "status": "firing", "labels": {"service": "warehouse", "alertname": "DiskFull"},
            "at": T0.isoformat()}
    with caplog.at_level(logging.WARNING, logger="herald.intake"):
        assert s.post("generic", body).json()["unrouted"] == 1
        s.post("generic", {**body, "id": "disk2"})
    lines = [r.getMessage() for r in caplog.records if "no alerts: entry" in r.getMessage()]
    assert len(lines) == 1
    assert "- {component: checkout, labels: {service: warehouse}, severity: {default: {action: mark}}}" in lines[0]


@pytest.mark.slow
def test_the_intake_remembers_across_a_restart(s):
    s.post("alertmanager", payload("alertmanager-firing.json"))
    s.restart()
    s.clock.advance(timedelta(minutes=12))
    s.post("alertmanager", payload("alertmanager-resolved.json"))
    assert s.status().incidents[0].resolved
    s.restart()
    assert s.post("alertmanager", payload("alertmanager-firing.json")).json()["ignored"] == 2


@pytest.mark.slow
def test_an_upstream_statuspage_incident_becomes_ours_and_its_resolution_resolves_it(s):
    s.clock.set(T0 + timedelta(minutes=2))
    s.post("statuspage", payload("statuspage-incident.json"))  # firing since 09:58, for: 60s
    [incident] = s.status().incidents
    assert incident.components == ("payments",)
    s.clock.set(T0 + timedelta(minutes=21))
    s.post("statuspage", payload("statuspage-incident-resolved.json"))
    assert s.status().incidents[0].resolved


@pytest.mark.slow
def test_the_write_takes_the_status_file_lock_and_keeps_a_hand_edit_saved_meanwhile(s):
    answers: list[int] = []
    with locked(str(s.status_path)):
        worker = threading.Thread(target=lambda: answers.append(
            s.post("alertmanager", payload("alertmanager-firing.json")).status_code))
        worker.start()
        worker.join(0.3)
        assert worker.is_alive() and "incidents:" not in s.text()  # waiting for the lock
        s.status_path.write_text(s.text().replace("website: {name: Website}", "website: {name: Web shop}"),
                                 encoding="utf-8")  # a hand edit while the intake waits
    worker.join(10)
    assert answers == [200]
    status = s.status()
    assert status.components["website"].name == "Web shop" and len(status.incidents) == 1


def test_requests_arriving_during_a_write_are_decided_together_into_one_incident(s):
    answers: list[dict] = []
    bodies = [{"id": f"a{n}", "status": "firing", "labels": {"service": "checkout", "severity": "critical"},
               "at": T0.isoformat()} for n in range(3)]
    with s.intake._lock:  # a decision is being written
        workers = [threading.Thread(target=lambda b=b: answers.append(s.post("generic", b).json())) for b in bodies]
        for worker in workers:
            worker.start()
        for _ in range(500):  # bounded: until the three requests wait in the queue
            if len(s.intake._queue) == 3:
                break
            threading.Event().wait(0.01)
        assert len(s.intake._queue) == 3
    for worker in workers:
        worker.join(10)
    assert sorted(a["accepted"] for a in answers) == [1, 1, 1]
    assert len(s.status().incidents) == 1


@pytest.mark.slow
def test_the_intake_routes_are_part_of_the_server_app(tmp_path):
    setup = Setup(tmp_path)
    client = TestClient(create_app(setup.ctx))
    answer = client.post("/intake/uptime-kuma", json=payload("uptime-kuma-down.json"),
                         headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200 and setup.status().components["website"].status == "partial_outage"
    setup.ctx.close()


def test_generic_form_parses_a_list_and_requires_its_fields():
    events = generic([{"id": "a", "status": "firing", "labels": {"service": "checkout"}, "severity": "critical",
                       "at": "2026-11-23T10:00:00Z"}])
    assert events[0].severity == "critical" and events[0].fingerprint == "generic:a"
    with pytest.raises(ValueError, match="status: missing"):
        generic({"id": "a", "at": "2026-11-23T10:00:00Z"})


# -- the alerts: section --------------------------------------------------------------------

def test_alerts_section_errors_are_located_with_did_you_mean():
    text = STATUS.replace("component: checkout\n", "component: chekout\n").replace(
        "action: draft, announce: hooks}\n  - component: website", "action: drfat, announce: hooks}\n  - component: website")
    calendar = load_calendar(calendar_text(POSTS))
    problems = [str(p) for p in check("status.yaml", calendar, text).problems]
    assert any(p.startswith("status.yaml:8:16: unknown component 'chekout'") and "did you mean 'checkout'" in p
               for p in problems)
    assert any(p.startswith("status.yaml:12:25:") and "did you mean 'draft'" in p for p in problems)


def test_a_draft_policy_needs_an_internal_account_that_exists():
    calendar = load_calendar(calendar_text(POSTS))
    missing = STATUS.replace("warning: {action: draft, announce: hooks}", "warning: {action: draft}")
    assert any("needs announce:" in str(p) for p in check("s.yaml", calendar, missing).problems)
    wrong = STATUS.replace("warning: {action: draft, announce: hooks}", "warning: {action: draft, announce: hoks}")
    assert any("unknown network account 'hoks'" in str(p) and "did you mean 'hooks'" in str(p)
               for p in check("s.yaml", calendar, wrong).problems)


def test_decide_is_pure_and_a_resolved_alert_before_for_did_nothing():
    calendar = load_calendar(calendar_text(POSTS))
    status = loads(STATUS, calendar)
    events = statuspage(payload("statuspage-component.json"))
    first = decide(status, {}, events, T0, calendar)
    assert not first.actions and list(first.tracked.values())[0].firing
    gone = decide(status, first.tracked, [type(events[0])(**{**events[0].__dict__, "status": "resolved",
                                                             "at": T0})], T0, calendar)
    assert not gone.actions
    later = decide(status, gone.tracked, [], T0 + timedelta(minutes=5), calendar)
    assert not later.actions


@pytest.mark.slow
def test_the_built_in_status_page_does_not_show_a_draft(s, tmp_path):
    from scheduler.networks.site import SitePublisher

    body = payload("alertmanager-firing.json")
    for alert in body["alerts"]:
        alert["labels"]["severity"] = "warning"
    s.post("alertmanager", body)
    site = SitePublisher("site", {}, s.clock, base_dir=str(tmp_path), title="Acme")
    site.on_status(s.status(), s.calendar, s.clock.now())
    assert site.status is not None and not site.status.incidents
    assert "Checkout problems" not in (tmp_path / "public" / "index.html").read_text(encoding="utf-8")
    assert "Checkout problems" not in (tmp_path / "public" / "api" / "v2" / "incidents.json").read_text()
    assert len(s.status().incidents) == 1 and s.status().incidents[0].draft


def test_the_intake_memory_round_trips_on_both_ledgers(ledger):
    from scheduler.ledger import alerts as stored
    from status.alerts import Tracked

    one = Tracked("alertmanager:abc", "checkout", "critical", "alertmanager: X (alertmanager:abc)", True, T0, T0,
                  "checkout-alert-1", True, True)
    two = Tracked("generic:odd", "website", "default", "generic: odd", False, T0, T0 + timedelta(seconds=5))
    stored.save(ledger.db, {one.fingerprint: one, two.fingerprint: two}, [one.fingerprint, two.fingerprint], T0)
    loaded = stored.load(ledger.db)
    assert loaded["alertmanager:abc"] == one and len(loaded) == 2
    stored.save(ledger.db, {one.fingerprint: one}, [two.fingerprint], T0)
    assert list(stored.load(ledger.db)) == ["alertmanager:abc"]


def test_old_and_excess_resolved_alerts_are_forgotten_and_firing_ones_never(monkeypatch):
    import status.alerts as alerts

    def item(n: int, firing: bool, age: timedelta) -> alerts.Tracked:
        return alerts.Tracked(f"f{n}", "checkout", "default", "x", firing, T0 - age, T0 - age)

    tracked = {t.fingerprint: t for t in (item(0, False, timedelta(hours=7)), item(1, True, timedelta(days=3)),
                                          item(2, False, timedelta(hours=1)), item(3, False, timedelta(minutes=1)))}
    assert alerts.forgotten(tracked, T0) == ["f0"]
    monkeypatch.setattr(alerts, "MAX_RESOLVED", 1)
    assert sorted(alerts.forgotten(tracked, T0)) == ["f0", "f2"]


def test_the_incident_page_does_not_say_which_alert_opened_it(tmp_path):
    """The alert's name is for ops (the review room's status page), never on the public page."""
    from starlette.testclient import TestClient

    from scheduler.clock import FakeClock
    from scheduler.web.app import create_app
    from scheduler.web.context import WebContext

    calendar = tmp_path / "content_calendar.yaml"
    calendar.write_text("brand: {name: Acme, timezone: Europe/Berlin}\nnetworks:\n  site: {type: site}\nposts: []\n")
    status = tmp_path / "status.yaml"
    status.write_text(
        "components:\n  checkout: {name: Checkout}\nincidents:\n  - id: checkout-down\n    title: Checkout problems\n"
        "    alert: alertmanager CheckoutDown\n    impact: major\n    components: [checkout]\n    updates:\n"
        "      - {at: '2026-12-01T10:00', state: investigating, message: We are looking into checkout errors.}\n")
    ctx = WebContext(str(calendar), str(status), f"sqlite:///{tmp_path / 'none.db'}",
                     FakeClock(datetime(2026, 12, 1, 9, 30, tzinfo=UTC)))
    with TestClient(create_app(ctx)) as client:
        page = client.get("/incidents/checkout-down/")
    assert page.status_code == 200 and "Checkout problems" in page.text and "CheckoutDown" not in page.text
