"""The alert intake's defects of issue 22, each reproduced as a test (see tests/test_intake.py for
the intake's ordinary behaviour and the Setup these tests share)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

import pytest

import status.edit
from campaigns.calendar import loads as load_calendar
from scheduler.ledger import alerts as stored
from scheduler.statusfile import edit as edit_file
from scheduler.web import intake as intake_module
from scheduler.web.context import WebContext
from status.load import check
from tests.conftest import calendar_text
from tests.test_intake import POSTS, STATUS, T0, TOKEN, Instant, Setup, intake_for, payload

WAITING = STATUS.replace("critical: {action: declare, for: 0s, networks: [site, x]}",
                         "critical: {action: declare, for: 60s, networks: [site, x]}")


@pytest.fixture
def s(tmp_path: Path):
    setup = Setup(tmp_path)
    yield setup
    setup.intake.close()
    setup.ctx.close()


@pytest.fixture
def w(tmp_path: Path):
    setup = Setup(tmp_path, WAITING)
    yield setup
    setup.intake.close()
    setup.ctx.close()


def alert(ident: str, status: str = "firing", at=T0, name: str | None = None, **labels: str) -> dict:
    body = {"id": ident, "status": status, "at": at.isoformat(),
            "labels": labels or {"service": "checkout", "severity": "critical"}}
    if name is not None:
        body["name"] = name
    return body


def tracked(setup: Setup) -> dict:
    return stored.load(setup.ctx.ledger().db)


# -- 1. an alert's name never becomes YAML ----------------------------------------------------

INJECTION = ("Elevated errors\u2028  - id: refunds-suspended\u2028    title: All refunds suspended\u2028"
             "    impact: critical\u2028    updates:\u2028      - {at: '2026-11-23T10:00', state: investigating, "
             "message: All refunds are suspended.}")


@pytest.mark.parametrize("brk", ["\u2028", "\u2029", "\x85", "\r", "\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"])
@pytest.mark.slow
def test_a_line_break_in_a_statuspage_incident_name_writes_no_incident_of_its_own(s, brk):
    body = payload("statuspage-incident.json")
    body["incident"]["name"] = INJECTION.replace("\u2028", brk)
    s.clock.set(T0 + timedelta(minutes=2))
    answer = s.post("statuspage", body)
    assert answer.status_code == 200 and answer.json()["changes"] == 1
    [incident] = s.status().incidents
    assert incident.id.startswith("payments-alert-") and incident.components == ("payments",)
    assert "refunds-suspended" not in [i.id for i in s.status().incidents]
    assert "Elevated errors" in incident.alert and "refunds-suspended" in incident.alert  # the name, on one line
    for line in s.text().splitlines():
        assert not line.lstrip().startswith("- id: refunds")


def test_the_status_file_edit_refuses_a_change_that_would_not_read_back(s):
    def sneaky(data, fresh):
        data.yaml_set_start_comment("ok\u2028injected: true")

    with pytest.raises(Exception, match="would not read back"):
        edit_file(str(s.status_path), s.calendar, sneaky)
    assert "injected" not in s.text()


# -- 2. one bad alert never blocks the others --------------------------------------------------

@pytest.mark.slow
def test_an_alert_named_with_a_carriage_return_declares_when_for_passes_and_blocks_nothing(w):
    assert w.post("generic", alert("bad", name="bad\rname")).json()["accepted"] == 1
    w.clock.advance(timedelta(seconds=61))
    w.intake.tick()
    [incident] = w.status().incidents
    assert "bad\\u000dname" in incident.alert
    answer = w.post("uptime-kuma", payload("uptime-kuma-down.json"))
    assert answer.status_code == 200 and w.status().components["website"].status == "partial_outage"


@pytest.mark.slow
def test_a_change_that_cannot_be_written_fails_for_its_alert_alone_and_is_not_retried(w, monkeypatch, caplog):
    monkeypatch.setattr(status.edit, "outside", lambda text, **_: text)  # as if the writer let a line break pass
    assert w.post("generic", alert("bad", name="bad\rname")).status_code == 200
    w.post("statuspage", payload("statuspage-component.json"))  # payments, for: 60s, firing since 09:59:09
    w.clock.advance(timedelta(seconds=61))
    with caplog.at_level(logging.WARNING, logger="herald.intake"):
        w.intake.tick()
    [incident] = w.status().incidents  # the good alert's incident is written
    assert incident.components == ("payments",)
    assert any("generic:bad" in r.getMessage() and "not tried again" in r.getMessage() for r in caplog.records)
    assert tracked(w)["generic:bad"].failed and tracked(w)["generic:bad"].acted
    before = w.text()
    w.clock.advance(timedelta(seconds=5))
    w.intake.tick()
    answer = w.post("uptime-kuma", payload("uptime-kuma-down.json"))  # later alerts are not blocked
    assert answer.status_code == 200 and w.status().components["website"].status == "partial_outage"
    assert w.text().count("payments-alert-") == before.count("payments-alert-")
    w.status_path.write_text(w.text().replace("checkout: {name: Checkout}",
                                              "checkout: {name: Checkout, status: degraded_performance}"))
    w.post("generic", alert("bad", "resolved", at=w.clock.now(), name="bad\rname"))  # a person's state stays
    assert w.status().components["checkout"].status == "degraded_performance"


@pytest.mark.slow
def test_the_answer_names_the_alert_whose_change_failed(s, monkeypatch):
    monkeypatch.setattr(status.edit, "outside", lambda text, **_: text)
    answer = s.post("generic", [alert("bad", name="bad\rname"), alert("fine", service="search", severity="x",
                                                                          **{"team": "blue"})])
    assert answer.status_code == 200
    assert list(answer.json()["failed"]) == ["generic:bad"] and "\n" not in answer.json()["failed"]["generic:bad"]
    assert [i.components for i in s.status().incidents] == [("search",)]


# -- 3. only settled reads ---------------------------------------------------------------------

@pytest.mark.slow
def test_an_alert_arriving_while_the_status_file_is_empty_mid_save_is_not_unrouted(s):
    full = s.text()
    s.status_path.write_text("", encoding="utf-8")  # an editor's in-place save, truncated
    answer = s.post("alertmanager", payload("alertmanager-firing.json"))
    assert answer.status_code == 503 and answer.headers["retry-after"]
    assert "being saved" in answer.json()["error"] and "\n" not in answer.json()["error"]
    assert tracked(s) == {} and s.text() == ""  # nothing decided, nothing written
    s.status_path.write_text(full, encoding="utf-8")
    assert s.post("alertmanager", payload("alertmanager-firing.json")).json()["accepted"] == 2
    assert len(s.status().incidents) == 1


def test_a_save_that_completes_while_the_intake_reads_is_waited_for(tmp_path):
    setup = Setup(tmp_path)
    full = setup.text()
    setup.status_path.write_text("", encoding="utf-8")
    finished: list[bool] = []

    def wait(seconds: float) -> bool:  # the editor's save completes between two reads
        if not finished:
            setup.status_path.write_text(full, encoding="utf-8")
            finished.append(True)
        return False

    setup.intake.wait = wait
    try:
        answer = setup.post("alertmanager", payload("alertmanager-firing.json"))
        assert answer.json()["accepted"] == 2 and answer.json()["unrouted"] == 0
        assert len(setup.status().incidents) == 1
    finally:
        setup.intake.close()
        setup.ctx.close()


@pytest.mark.slow
def test_the_for_timer_never_acts_on_a_truncated_file(w):
    full = w.text()
    w.post("generic", alert("slow"))  # for: 60s
    w.clock.advance(timedelta(seconds=61))
    w.status_path.write_text("", encoding="utf-8")
    with pytest.raises(intake_module.NotSettled):
        w.intake.tick()
    item = tracked(w)["generic:slow"]
    assert item.firing and not item.acted  # not marked acted without its incident
    w.status_path.write_text(full, encoding="utf-8")
    w.intake.tick()
    [incident] = w.status().incidents
    assert tracked(w)["generic:slow"].incident == incident.id


# -- 4. a restart during for: -------------------------------------------------------------------

@pytest.mark.slow
def test_an_intake_started_on_a_ledger_with_a_waiting_alert_declares_with_no_new_payload(s):
    import threading

    s.post("statuspage", payload("statuspage-component.json"))  # for: 60s; 51 s so far
    s.intake.close()  # the server stops during the for:
    declared = threading.Event()

    class Restarted(intake_module.Intake):
        def tick(self) -> None:  # the real timer's tick, telling when it has declared
            super().tick()
            if s.status().incidents:
                declared.set()

    restarted = Restarted(s.ctx, tick=0.01, wait=lambda seconds: False, monotonic=Instant())
    try:
        assert restarted._timer is None
        restarted.start()  # what routes(ctx) does when the server starts: nothing else calls tick()
        assert restarted._timer is not None
        s.clock.advance(timedelta(seconds=10))
        assert declared.wait(30), "the re-armed timer never declared"
        [incident] = s.status().incidents
        assert incident.components == ("payments",)
    finally:
        restarted.close()


def test_the_server_app_starts_the_intake_timer(s, monkeypatch):
    from scheduler.web.app import create_app

    started: list[object] = []
    monkeypatch.setattr(intake_module.Intake, "start", lambda self: started.append(self))
    create_app(s.ctx)
    assert len(started) == 1


def test_start_creates_no_ledger(tmp_path):
    ctx = WebContext(str(tmp_path / "cal.yaml"), str(tmp_path / "status.yaml"),
                     f"sqlite:///{tmp_path / 'none.db'}", intake_token=TOKEN)
    intake_for(ctx).start()
    assert not (tmp_path / "none.db").exists()


# -- 5. the source's own order ------------------------------------------------------------------

def test_a_late_firing_after_its_resolved_declares_nothing(s):
    resolved = payload("alertmanager-resolved.json")
    assert s.post("alertmanager", resolved).status_code == 200  # the resolved comes first
    answer = s.post("alertmanager", payload("alertmanager-firing.json"))  # then the firing it ends
    assert answer.json()["ignored"] == 2 and not s.status().incidents


def test_a_firing_after_a_tombstone_that_started_later_is_news(s):
    s.post("generic", alert("x", "resolved", at=T0))
    s.post("generic", alert("x", "firing", at=T0 + timedelta(minutes=5)))
    assert len(s.status().incidents) == 1


def test_an_event_timed_far_in_the_future_cannot_make_later_ones_look_old(s):
    answer = s.post("generic", alert("future", at=T0.replace(year=2999)))
    assert answer.json()["ignored"] == 1 and not s.status().incidents and "generic:future" not in tracked(s)
    s.post("generic", alert("future"))
    assert len(s.status().incidents) == 1


# -- 6. two servers, one ledger ------------------------------------------------------------------

@pytest.mark.slow
def test_two_servers_on_one_ledger_agree(tmp_path):
    a = Setup(tmp_path)
    b_ctx = WebContext(str(a.calendar_path), str(a.status_path), a.ledger_url, a.clock, intake_token=TOKEN)
    b = intake_for(b_ctx)
    try:
        b.receive([])  # B has decided before (had it a cache, this would fill it)
        a.post("alertmanager", payload("alertmanager-firing.json"))
        [incident] = a.status().incidents
        a.clock.advance(timedelta(minutes=12))
        from status.formats.alertmanager import parse_webhook as alertmanager

        answer = b.receive(alertmanager(payload("alertmanager-resolved.json")))
        assert answer["accepted"] == 2 and answer["ignored"] == 0
        done = a.status().incident(incident.id)
        assert done is not None and done.resolved
        assert a.intake.receive(alertmanager(payload("alertmanager-firing.json")))["ignored"] == 2  # A agrees
    finally:
        b.close()
        b_ctx.close()
        a.intake.close()
        a.ctx.close()


@pytest.mark.slow
def test_a_decision_whose_ledger_write_fails_after_the_file_write_is_made_again_alike(s, monkeypatch):
    """Decisions take turns under the ledger's lock (tests/test_intake_review.py); should the rows
    still not be stored after the file was written (a compare-and-swap refused, say), the
    decision is made again and finds its incident written: one incident, and it is the alerts'
    own (their resolve resolves it)."""
    real = stored.save
    refused: list[int] = []

    def once(*args, **kwargs):
        if not refused:
            refused.append(1)
            raise stored.Conflict("alert 'generic:dup' was changed by another server")
        return real(*args, **kwargs)

    monkeypatch.setattr(stored, "save", once)
    from status.formats.generic import parse_webhook as generic

    answer = s.intake.receive(generic(alert("dup")))
    assert answer["accepted"] == 1 and refused == [1]
    [incident] = s.status().incidents
    assert tracked(s)["generic:dup"].incident == incident.id and tracked(s)["generic:dup"].opened
    s.intake.receive(generic(alert("dup", "resolved", at=T0 + timedelta(minutes=1))))
    done = s.status().incident(incident.id)
    assert done is not None and done.resolved


# -- 7. a draft's policy cannot make it public ----------------------------------------------------

@pytest.mark.parametrize("account", ["site", "x", "masto", "sky"])
def test_a_draft_policy_announcing_on_a_public_account_is_refused_at_its_place(account):
    calendar = load_calendar(calendar_text(POSTS))
    text = STATUS.replace("warning: {action: draft, announce: hooks}", f"warning: {{action: draft, announce: {account}}}")
    problems = [str(p) for p in check("status.yaml", calendar, text).problems]
    assert any(p.startswith("status.yaml:12:") and f"{account!r}" in p and "public" in p for p in problems), problems
    assert check("status.yaml", calendar, STATUS).ok


def test_validate_refuses_a_draft_announced_on_the_site(tmp_path, capsys):
    from scheduler.cli import main

    (tmp_path / "cal.yaml").write_text(calendar_text(POSTS), encoding="utf-8")
    (tmp_path / "status.yaml").write_text(STATUS.replace("announce: hooks}\n  - component: website",
                                                         "announce: site}\n  - component: website"), encoding="utf-8")
    code = main(["validate", str(tmp_path / "cal.yaml"), "--status", str(tmp_path / "status.yaml")])
    out = capsys.readouterr()
    assert code != 0 and "status.yaml:12:" in out.out + out.err


# -- 8. flapping with the default for: ---------------------------------------------------------

def test_the_default_for_of_a_declare_is_at_least_three_minutes():
    from status.model import DEFAULT_WAIT

    assert DEFAULT_WAIT["declare"] >= timedelta(minutes=3)


@pytest.mark.slow
def test_a_flapping_alert_with_the_default_for_opens_no_incident(tmp_path):
    setup = Setup(tmp_path, STATUS.replace("critical: {action: declare, for: 0s, networks: [site, x]}",
                                           "critical: {action: declare, networks: [site, x]}"))
    try:
        for cycle in range(20):  # a real flap: down 2 minutes, up 1 minute, for an hour
            down = T0 + timedelta(minutes=3 * cycle)
            setup.clock.set(down)
            assert setup.post("generic", alert("flappy", at=down)).status_code == 200
            for second in range(0, 120, 30):  # the timer ticks while it is down
                setup.clock.set(down + timedelta(seconds=second))
                setup.intake.tick()
            up = down + timedelta(minutes=2)
            setup.clock.set(up)
            setup.intake.tick()  # the last tick before the resolve arrives
            assert setup.post("generic", alert("flappy", "resolved", at=up)).status_code == 200
        setup.clock.advance(timedelta(minutes=10))
        setup.intake.tick()
        assert not setup.status().incidents
        setup.post("generic", alert("steady", at=setup.clock.now()))  # one that keeps firing does declare
        setup.clock.advance(timedelta(minutes=3))
        setup.intake.tick()
        assert len(setup.status().incidents) == 1
    finally:
        setup.intake.close()
        setup.ctx.close()


# -- 9. other faults ------------------------------------------------------------------------------

def test_deeply_nested_json_is_a_400_with_a_sentence(s):
    deep = b"[" * 100_000 + b"]" * 100_000
    answer = s.client.post("/intake/generic", content=deep, headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 400 and "nested" in answer.json()["error"]


@pytest.mark.parametrize("components", [5, "x", {"a": 1}])
def test_a_statuspage_incident_with_components_not_a_list_is_a_422(s, components):
    body = payload("statuspage-incident.json")
    body["incident"]["components"] = components
    answer = s.post("statuspage", body)
    assert answer.status_code == 422 and "incident.components" in answer.json()["error"]


def test_a_time_out_of_any_range_is_a_422_not_a_500(s):
    answer = s.post("generic", alert("old", at=T0.replace(year=1)))
    assert answer.status_code == 422


def test_unrouted_warnings_are_remembered_in_bounded_memory(s, monkeypatch, caplog):
    monkeypatch.setattr(intake_module, "MAX_WARNED", 10)
    from status.formats.generic import parse_webhook as generic

    with caplog.at_level(logging.WARNING, logger="herald.intake"):
        for n in range(30):
            s.intake.receive(generic(alert(f"u{n}", service=f"nowhere-{n}")))
    assert len(s.intake._warned) == 10
    assert not hasattr(s.intake, "_tracked")  # no in-process copy of the ledger that grows


def test_firing_alerts_not_heard_of_for_long_are_forgotten(s, monkeypatch):
    import status.alerts as alerts

    monkeypatch.setattr(alerts, "MAX_FIRING", 5)
    from status.formats.generic import parse_webhook as generic

    s.intake.receive(generic([alert(f"f{n}", at=T0 + timedelta(seconds=n), service="warehouse-nothing")
                              for n in range(3)]))  # unrouted: not remembered at all
    s.intake.receive(generic([alert(f"m{n}", at=T0 + timedelta(seconds=n), upstream="Card payments API")
                              for n in range(8)]))  # waiting out their for: (an acted alert is kept: A8)
    assert len([t for t in tracked(s).values() if t.firing]) == 5
    s.clock.advance(alerts.KEEP_FIRING + timedelta(minutes=1))
    monkeypatch.setattr(alerts, "_act", lambda *args: None)  # as if their for: were longer than the silence
    s.intake.tick()
    assert not [t for t in tracked(s).values() if t.firing]


def test_a_repeated_firing_keeps_a_long_alert_remembered(s):
    import status.alerts as alerts
    from status.formats.generic import parse_webhook as generic

    s.intake.receive(generic(alert("long", monitor="Shop homepage")))
    for _ in range(10):
        s.clock.advance(timedelta(days=1))
        s.intake.receive(generic(alert("long", monitor="Shop homepage")))  # Alertmanager's repeat
    assert tracked(s)["generic:long"].firing
    assert s.clock.now() - T0 > alerts.KEEP_FIRING


@pytest.mark.slow
def test_a_burst_of_alerts_on_many_components_costs_a_handful_of_writes(tmp_path, monkeypatch):
    components = "".join(f"  c{n}: {{name: Part {n}}}\n" for n in range(100))
    routes = "".join(f"  - component: c{n}\n    labels: {{part: p{n}}}\n"
                     f"    severity: {{default: {{action: declare, for: 0s}}}}\n" for n in range(100))
    setup = Setup(tmp_path, f"components:\n{components}alerts:\n{routes}")
    import scheduler.statusfile

    writes: list[int] = []
    real = scheduler.statusfile.edit

    def counted(*args, **kwargs):
        writes.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(scheduler.statusfile, "edit", counted)
    answers: list[int] = []

    async def burst() -> None:  # one server: one event loop, its pool of worker threads (4 here)
        import anyio.to_thread
        import httpx
        from starlette.applications import Starlette

        anyio.to_thread.current_default_thread_limiter().total_tokens = 4
        transport = httpx.ASGITransport(app=Starlette(routes=setup.intake.routes()))
        async with httpx.AsyncClient(transport=transport, base_url="http://herald") as client:
            sent = await asyncio.gather(*(client.post("/intake/generic", json=alert(f"a{n}", part=f"p{n}"),
                                                      headers={"Authorization": f"Bearer {TOKEN}"})
                                          for n in range(100)))
        answers.extend(a.status_code for a in sent)

    try:
        asyncio.run(burst())
        assert answers == [200] * 100
        assert len(setup.status().incidents) == 100
        assert len(writes) <= 5, writes
    finally:
        setup.intake.close()
        setup.ctx.close()
