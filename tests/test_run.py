"""`herald run` and the operator commands, end to end on a temporary project folder."""

from __future__ import annotations

import json
import logging
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.clock import FakeClock
from scheduler.ledger import Ledger, State
from tests.receiver import Receiver

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def project(tmp_path: Path, hook_url: str = "http://127.0.0.1:9/in", posts: str | None = None) -> Path:
    calendar = tmp_path / "content_calendar.yaml"
    calendar.write_text(textwrap.dedent(f"""\
        brand: {{name: Acme, timezone: Europe/Berlin, links: {{help: "https://acme.example/help"}}}}
        networks:
          site: {{type: site}}
          hooks: {{type: webhook, url: "{hook_url}", lookup_url: "{hook_url.rsplit('/', 1)[0]}/lookup", timeout: 2}}
        posts:
        """) + textwrap.indent(textwrap.dedent(posts or """\
        - id: tip
          kind: tip
          networks: [site, hooks]
          at: 2026-12-01T10:00
          text: "Tip of the day {links.help}"
        - id: later
          kind: announcement
          networks: [site]
          at: 2026-12-01T12:00
          text: "Later today"
        """), "  "))
    return calendar


def herald(capsys, clock, *argv) -> tuple[int, str, str]:
    code = main(list(argv), clock=clock)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_run_once_publishes_what_is_due_to_the_site_and_the_webhook(tmp_path, capsys):
    with Receiver() as receiver:
        calendar = project(tmp_path, receiver.url + "/in")
        clock = FakeClock(T0)
        code, _, _ = herald(capsys, clock, "run", "--once", "--calendar", str(calendar))
        assert code == 0
        assert list(receiver.accepted) and receiver.deliveries[0]["body"]["post"] == "tip"
    page = (tmp_path / "public" / "index.html").read_text()
    assert "Tip of the day" in page and "Later today" not in page
    code, out, _ = herald(capsys, clock, "history", "--calendar", str(calendar))
    assert out.splitlines()[0] == "2 sent" and "2026-12-01 10:00 CET  sent      hooks" in out
    code, out, _ = herald(capsys, clock, "history", "--calendar", str(calendar), "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert {r["state"] for r in rows} == {"sent"} and rows[0]["remote_id"]


@pytest.mark.slow
def test_the_default_ledger_lives_next_to_the_calendar(tmp_path, capsys):
    calendar = project(tmp_path)
    herald(capsys, FakeClock(T0), "run", "--once", "--calendar", str(calendar))
    assert (tmp_path / ".herald" / "state.db").exists()


@pytest.mark.slow
def test_pause_holds_then_resume_releases(tmp_path, capsys):
    calendar = project(tmp_path)
    clock = FakeClock(T0 - timedelta(minutes=5))
    code, out, _ = herald(capsys, clock, "pause", "--calendar", str(calendar), "--reason", "storm", "--network", "site")
    assert code == 0 and out.strip() == f"paused site until `herald resume --calendar {calendar} --network site`: storm"
    clock.set(T0)
    herald(capsys, clock, "run", "--once", "--calendar", str(calendar))
    _, out, _ = herald(capsys, clock, "history", "--calendar", str(calendar), "--only", "held")
    assert out.splitlines()[0] == "PAUSED site: storm" and "held      site       tip" in out
    clock.set(T0 + timedelta(minutes=10))
    code, out, _ = herald(capsys, clock, "resume", "--calendar", str(calendar), "--network", "site")
    assert out.strip().startswith("resumed site: 1 held post(s) go out or are skipped at the engine's next heartbeat")
    herald(capsys, clock, "run", "--once", "--calendar", str(calendar))
    ledger = Ledger(f"sqlite:///{tmp_path / '.herald' / 'state.db'}")
    assert {r.network: r.state for r in ledger.history() if r.post == "tip"}["site"] == State.SENT


@pytest.mark.slow
def test_retry_and_skip_by_key_prefix(tmp_path, capsys):
    calendar = project(tmp_path)  # the webhook points at a closed port: it will retry
    clock = FakeClock(T0)
    herald(capsys, clock, "run", "--once", "--calendar", str(calendar))
    ledger = Ledger(f"sqlite:///{tmp_path / '.herald' / 'state.db'}")
    (hook,) = [r for r in ledger.history() if r.network == "hooks"]
    assert hook.state == State.RETRYING
    code, out, _ = herald(capsys, clock, "skip", "--calendar", str(calendar), hook.key[:8], "--reason", "not needed")
    assert (code, out.strip()) == (0, f"{hook.key}: skipped (not needed)")
    code, out, _ = herald(capsys, clock, "retry", "--calendar", str(calendar), hook.key[:8])
    assert out.strip() == (f"{hook.key}: will be sent again at the next `herald run --calendar {calendar}` (no engine is "
                           "running; was skipped)")
    (site,) = [r for r in ledger.history() if r.network == "site"]
    code, _, err = herald(capsys, clock, "retry", "--calendar", str(calendar), site.key)
    assert code == 2 and "is sent; only dead, skipped, held or retrying ones can be retried" in err
    code, _, err = herald(capsys, clock, "retry", "--calendar", str(calendar), "ffff0000")
    assert code == 2 and "no publication with key 'ffff0000'" in err


def test_health_reports_a_stopped_scheduler_loop(tmp_path, capsys):
    calendar = project(tmp_path)
    url = f"sqlite:///{tmp_path / '.herald' / 'state.db'}"
    clock = FakeClock(T0)
    code, out, _ = herald(capsys, clock, "health", "--calendar", str(calendar))
    assert code == 1 and "none is running" in out
    Ledger(url).beat("engine-1", T0, {}, started=True)
    clock.advance(30)
    assert herald(capsys, clock, "health", "--calendar", str(calendar))[0] == 0
    clock.advance(120)  # the process may exist, but its loop stopped beating
    code, out, _ = herald(capsys, clock, "health", "--calendar", str(calendar))
    assert code == 1 and "NOT RESPONDING" in out


@pytest.mark.slow
def test_simulate_runs_days_in_an_instant(tmp_path, capsys):
    calendar = project(tmp_path, posts="""\
        - id: daily
          kind: tip
          networks: [site, hooks]
          starts: 2026-12-01
          rrule: FREQ=DAILY;BYHOUR=9;BYMINUTE=0
          variants: ["A {weekday}", "B {weekday}"]
        """)
    code, out, _ = herald(capsys, FakeClock(T0), "simulate", "--calendar", str(calendar), "--from", "2026-12-01",
                          "--days", "30", "--status", str(tmp_path / "no-status.yaml"))
    lines = out.splitlines()
    assert code == 0 and lines[-1] == "simulated 2026-12-01 00:00 to 2026-12-31 00:00: 60 sent, 60 outcome(s)"
    assert "Tue 2026-12-01 09:00 CET  hooks      daily                    sent      A Tuesday" in lines


def test_run_refuses_accounts_without_credentials(tmp_path, capsys, monkeypatch):
    for key in ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET"):
        monkeypatch.delenv(f"HERALD_X_{key}", raising=False)
    calendar = project(tmp_path)
    calendar.write_text(calendar.read_text().replace(
        "  site: {type: site}", "  site: {type: site}\n  x: {type: x}\n  th: {type: threads}"))
    monkeypatch.delenv("HERALD_TH_ACCESS_TOKEN", raising=False)
    code, _, err = herald(capsys, FakeClock(T0), "run", "--once", "--calendar", str(calendar))
    assert code == 1
    assert "network 'x' (x) needs credentials: set HERALD_X_API_KEY, HERALD_X_API_SECRET" in err
    assert "network 'th' (threads) needs credentials: set HERALD_TH_ACCESS_TOKEN" in err


# -- the daemon itself (real APScheduler and watchdog, real time, waits on events) ---------------------------
@pytest.mark.slow
def test_daemon_reloads_valid_changes_and_keeps_the_last_good_calendar(tmp_path, caplog):
    from scheduler.daemon import Daemon

    caplog.set_level(logging.INFO)
    with Receiver() as receiver:
        soon = datetime.now(UTC) + timedelta(seconds=1)
        at = soon.strftime("%Y-%m-%dT%H:%M:%SZ")
        calendar = project(tmp_path, receiver.url + "/in", posts=f"""\
            - id: first
              kind: announcement
              networks: [hooks]
              at: {at}
              text: first
            """)
        daemon = Daemon(str(calendar), Ledger(f"sqlite:///{tmp_path / 'state.db'}"))
        daemon.start()
        try:
            assert receiver.wait_for(1, timeout=10)
            good = daemon.engine.calendar
            reloaded = threading.Event()
            original = daemon.reload
            daemon.reload = lambda: (original(), reloaded.set())[0]  # noqa: E731
            calendar.write_text(calendar.read_text() + "    colour: red\n")  # invalid: unknown key
            assert reloaded.wait(5)
            assert daemon.engine.calendar is good
            assert any("unknown key 'colour'" in r.getMessage() and ":11:5:" in r.getMessage() for r in caplog.records)
            assert any("still running the last good calendar" in r.getMessage() for r in caplog.records)
            reloaded.clear()
            later = (datetime.now(UTC) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            calendar.write_text(calendar.read_text().replace("    colour: red\n", "") + textwrap.indent(
                f"- id: second\n  kind: announcement\n  networks: [hooks]\n  at: {later}\n  text: second\n", "  "))
            assert reloaded.wait(5)
            assert receiver.wait_for(2, timeout=10)
            assert [d["body"]["post"] for d in receiver.deliveries] == ["first", "second"]
        finally:
            daemon.stop()
            daemon.shutdown()


@pytest.mark.slow
def test_daemon_announces_a_declared_incident_within_a_second(tmp_path):
    from scheduler.daemon import Daemon
    from scheduler.statusfile import edit as edit_file
    from status import edit
    from status.load import load as load_status

    with Receiver() as receiver:
        calendar = project(tmp_path, receiver.url + "/in", posts="[]\n")
        calendar.write_text(calendar.read_text().replace("posts:\n  []", "posts: []"))
        status_path = tmp_path / "status.yaml"
        status_path.write_text("components:\n  checkout: {name: Checkout}\nincidents: []\n")
        daemon = Daemon(str(calendar), Ledger(f"sqlite:///{tmp_path / 'state.db'}"), status_path=str(status_path))
        daemon.start()
        try:
            cal = daemon.engine.calendar
            edit_file(str(status_path), cal, lambda data, status: edit.declare(
                data, incident_id="pay", title="Card payments fail", impact="major", components=["checkout"],
                networks=["hooks"], at=edit.stamp(datetime.now(UTC), status), message="We're on it.", next_update=None))
            assert receiver.wait_for(1, timeout=5)  # bench/bench_status.py measures how fast
            body = receiver.deliveries[0]["body"]
            assert body["kind"] == "incident" and body["incident"]["id"] == "pay" and "We're on it." in body["text"]
            assert load_status(str(status_path), cal).incident("pay") is not None
        finally:
            daemon.stop()
            daemon.shutdown()
