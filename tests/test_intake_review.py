"""The alert intake's defects found by the cold review of issue 22 (A3, A4, A7, A8, A10, B1), each
reproduced as a test that fails without its fix (see tests/test_intake.py for the Setup)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

import status.alerts as alerts
import status.edit
from campaigns.errors import Problem, StatusFileError
from scheduler.clock import FakeClock
from scheduler.ledger import alerts as stored
from scheduler.web.context import WebContext
from scheduler.web.intake import Intake
from status.formats.generic import parse_webhook as generic
from tests.test_intake import STATUS, T0, TOKEN, Instant, Setup, intake_for
from tests.test_intake_defects import alert, tracked

BOUND = 30.0  # seconds: a generous bound on waiting for another thread (never reached when all is well)


@pytest.fixture
def s(tmp_path: Path):
    setup = Setup(tmp_path)
    yield setup
    setup.intake.close()
    setup.ctx.close()


# -- A3: decisions take turns across servers -------------------------------------------------------

def _engine(db: object) -> object:
    return db if isinstance(db, Engine) else getattr(db, "engine", None)


@pytest.mark.slow
def test_two_servers_resolving_the_two_alerts_of_one_incident_at_once_resolve_it(tmp_path, ledger_url, monkeypatch):
    a = Setup(tmp_path, ledger_url=ledger_url)
    b_ctx = WebContext(str(a.calendar_path), str(a.status_path), ledger_url, a.clock, intake_token=TOKEN)
    b = intake_for(b_ctx)
    try:
        a.intake.receive(generic([alert("one"), alert("two")]))
        [incident] = a.status().incidents
        a.clock.advance(timedelta(minutes=5))
        a_db, b_db = a.ctx.ledger().db, b_ctx.ledger().db
        a_read, b_ready = threading.Event(), threading.Event()
        real_rows, real_deciding = stored.rows, getattr(stored, "deciding", None)

        def rows(db):
            found = real_rows(db)
            if _engine(db) is a_db and not a_read.is_set():
                a_read.set()  # A has read the rows; it decides only once B has read them too, or waits for them
                assert b_ready.wait(BOUND)
            elif _engine(db) is b_db:
                b_ready.set()
            return found

        def deciding(db):
            if db is b_db:
                b_ready.set()  # B is about to wait for the lock A holds
            assert real_deciding is not None
            return real_deciding(db)

        monkeypatch.setattr(stored, "rows", rows)
        if real_deciding is not None:
            monkeypatch.setattr(stored, "deciding", deciding)
        first = a.intake.submit(generic(alert("one", "resolved", at=T0 + timedelta(minutes=4))))
        assert a_read.wait(BOUND)
        second = b.submit(generic(alert("two", "resolved", at=T0 + timedelta(minutes=4))))
        assert first.result(BOUND)["accepted"] == 1 and second.result(BOUND)["accepted"] == 1
        done = a.status().incident(incident.id)
        assert done is not None and done.resolved  # the last alert's resolve saw its sibling resolved
        assert not any(t.firing for t in stored.load(a_db).values())
    finally:
        b.close()
        b_ctx.close()
        a.intake.close()
        a.ctx.close()


# -- A4: tags, anchors, aliases and merge keys in status.yaml ----------------------------------------

TAGGED = STATUS.replace("status_page: https://status.acme.example",
                        "status_page: !!str https://status.acme.example").replace(
    "  checkout: {name: Checkout}\n  website: {name: Website}\n  search: {name: Search}\n",
    "  checkout: &part {name: !!str Checkout}\n  website: {<<: *part, name: Website}\n  search: {name: !!str 2024}\n")


def test_an_intake_declare_works_on_a_status_file_with_tags_anchors_and_merge_keys(tmp_path):
    setup = Setup(tmp_path, TAGGED)
    try:
        assert setup.status().components["search"].name == "2024"
        answer = setup.post("generic", alert("tagged"))
        assert answer.status_code == 200 and "failed" not in answer.json(), answer.json()
        [incident] = setup.status().incidents
        assert incident.components == ("checkout",)
        assert "&part" in setup.text() and "<<: *part" in setup.text() and "!!str 2024" in setup.text()
    finally:
        setup.intake.close()
        setup.ctx.close()


def test_a_cli_declare_works_on_a_status_file_with_tags_anchors_and_merge_keys(tmp_path, capsys):
    from scheduler.cli import main

    setup = Setup(tmp_path, TAGGED)
    try:
        code = main(["incident", "declare", "--calendar", str(setup.calendar_path), "--status",
                     str(setup.status_path), "--title", "Card payments fail", "--impact", "major", "--id", "pay",
                     "-m", "We're on it."], clock=FakeClock(T0))
        assert code == 0, capsys.readouterr().err
        assert setup.status().incident("pay") is not None
    finally:
        setup.intake.close()
        setup.ctx.close()


def test_plain_reads_round_trip_data_as_the_safe_loader_does():
    from ruamel.yaml import YAML

    text = ("a: !!str 2024\nb: &t true\nc: *t\nd: !!float 1\ne: &m {x: 1, y: [1, 2]}\n"
            "f: {<<: *m, y: 3}\ng: !!int '7'\nh: 'quoted'\n")
    _, data = status.edit._yaml(text)
    assert status.edit.plain(data) == status.edit.plain(YAML(typ="safe").load(text))
    assert status.edit.plain(data)["a"] == "2024" and status.edit.plain(data)["c"] is True


# -- A7: the timer and a decision setting _waiting at once -------------------------------------------

class Contended:
    """A lock that tells (``moved``) when a thread other than the timer's waits for it."""

    def __init__(self, moved: threading.Event) -> None:
        self.lock, self.moved = threading.Lock(), moved

    def __enter__(self) -> Contended:
        if threading.current_thread().name != "herald-intake-timer":
            self.moved.set()
        self.lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


class Racy(Intake):
    """An intake whose timer, having read ``_waiting`` False once, pauses until told to go on."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.paused, self.reading, self.go, self.acted = False, threading.Event(), threading.Event(), \
            threading.Event()
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    @property  # type: ignore[override]
    def _waiting(self) -> bool:
        value = bool(self.__dict__.get("_w", False))
        if threading.current_thread().name == "herald-intake-timer" and not value and not self.paused:
            self.paused = True
            self.reading.set()
            assert self.go.wait(BOUND)
        return value

    @_waiting.setter
    def _waiting(self, value: bool) -> None:
        self.__dict__["_w"] = value

    def tick(self) -> None:
        super().tick()
        if "checkout-alert-" in Path(self.ctx.status_path).read_text(encoding="utf-8"):
            self.acted.set()


def test_an_alert_starting_to_wait_as_the_timer_ends_is_still_acted_on(tmp_path):
    setup = Setup(tmp_path, STATUS.replace("critical: {action: declare, for: 0s, networks: [site, x]}",
                                           "critical: {action: declare, for: 60s, networks: [site, x]}"))
    racy = Racy(setup.ctx, tick=0.01, wait=lambda seconds: False, monotonic=Instant())
    moved = threading.Event()
    racy._timer_lock = Contended(moved)  # type: ignore[assignment]
    try:
        old = threading.Thread(target=racy._loop, name="herald-intake-timer", daemon=True)
        racy._timer = old
        old.start()  # a timer with nothing to wait for: it reads _waiting False, and is about to end
        assert racy.reading.wait(BOUND)

        def decision() -> None:
            racy.receive(generic(alert("slow")))  # waits out its for: 60s: _waiting becomes True
            moved.set()

        deciding = threading.Thread(target=decision, daemon=True)
        deciding.start()
        assert moved.wait(BOUND)  # the decision is done, or waits for the timer's lock
        racy.go.set()
        deciding.join(BOUND)
        old.join(BOUND)
        assert not deciding.is_alive() and not old.is_alive()
        setup.clock.advance(timedelta(seconds=61))
        assert racy.acted.wait(BOUND), "no timer ticks: the waiting alert never acts"
    finally:
        racy.close()
        setup.intake.close()
        setup.ctx.close()


# -- A8: an acted alert is remembered while its incident is open -------------------------------------

@pytest.mark.slow
def test_an_acted_alert_silent_for_weeks_still_resolves_its_incident(s):
    s.intake.receive(generic(alert("quiet")))  # declares at once; its tool never repeats it
    [incident] = s.status().incidents
    s.clock.advance(alerts.KEEP_FIRING + timedelta(days=7))
    s.intake.tick()
    assert "generic:quiet" in tracked(s)
    s.intake.receive(generic(alert("quiet", "resolved", at=s.clock.now())))
    done = s.status().incident(incident.id)
    assert done is not None and done.resolved


@pytest.mark.slow
def test_beyond_the_firing_bound_waiting_alerts_go_before_an_acted_one(s, monkeypatch, caplog):
    monkeypatch.setattr(alerts, "MAX_FIRING", 3)
    s.intake.receive(generic(alert("held")))  # declares on checkout
    [incident] = s.status().incidents
    s.clock.advance(timedelta(seconds=10))
    s.intake.receive(generic([alert(f"w{n}", at=s.clock.now(), upstream="Card payments API") for n in range(6)]))
    memory = tracked(s)
    assert "generic:held" in memory and len([t for t in memory.values() if t.firing]) == 3
    s.intake.receive(generic(alert("held", "resolved", at=s.clock.now())))
    done = s.status().incident(incident.id)
    assert done is not None and done.resolved
    monkeypatch.setattr(alerts, "MAX_FIRING", 0)
    s.intake.receive(generic(alert("again", at=s.clock.now())))  # acted, and over the bound at once
    with caplog.at_level(logging.ERROR, logger="herald.intake"):
        s.intake.tick()
    assert any("generic:again" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)


# -- A10: only the alerts a failing change names are failed; 'together' is retried ------------------

def test_only_the_alerts_a_failing_change_names_are_marked_failed(tmp_path, monkeypatch):
    setup = Setup(tmp_path, STATUS.replace("warning: {action: draft, announce: hooks}",
                                           "warning: {action: draft, announce: hooks, for: 60s}"))
    monkeypatch.setattr(status.edit, "outside", lambda text, **_: text)  # as if the writer let a line break pass
    try:
        answer = setup.post("generic", [alert("bad", name="bad\rname"),
                                        alert("slow", service="checkout", severity="warning")])
        assert answer.status_code == 200 and list(answer.json()["failed"]) == ["generic:bad"]
        memory = tracked(setup)
        assert memory["generic:bad"].failed and not memory["generic:slow"].failed
    finally:
        setup.intake.close()
        setup.ctx.close()


def test_changes_good_alone_but_not_together_are_answered_503_and_retried(s, monkeypatch):
    import scheduler.statusfile

    real = scheduler.statusfile.edit
    refusals = [1]

    def edit(path, calendar, change, **kwargs):  # the first edit is refused, each change alone is fine
        if refusals:
            refusals.pop()
            raise StatusFileError([Problem(path, 1, 1, "two incidents collide")])
        return real(path, calendar, change, **kwargs)

    monkeypatch.setattr(scheduler.statusfile, "edit", edit)
    body = [alert("one"), alert("web", monitor="Shop homepage")]
    answer = s.post("generic", body)
    assert answer.status_code == 503 and answer.headers["retry-after"]
    assert not s.status().incidents and not tracked(s)  # nothing written, nothing remembered as failed
    answer = s.post("generic", body)  # the tool sends it again
    assert answer.status_code == 200 and "failed" not in answer.json()
    assert len(s.status().incidents) == 1 and s.status().components["website"].status == "partial_outage"


# -- B1: a 503 names no database host ----------------------------------------------------------------

def test_a_503_answer_is_a_fixed_sentence_and_the_details_are_logged(s, monkeypatch, caplog):
    from sqlalchemy.exc import OperationalError

    def down(db):
        raise OperationalError("SELECT", {}, Exception('connection to server at "db.internal" (10.0.0.7), '
                                                       "port 5432 failed: Connection refused"))

    monkeypatch.setattr(stored, "rows", down)
    with caplog.at_level(logging.WARNING, logger="herald.intake"):
        answer = s.post("generic", alert("x"))
    assert answer.status_code == 503 and answer.headers["retry-after"]
    text = answer.text
    assert "10.0.0.7" not in text and "5432" not in text and "db.internal" not in text
    assert answer.json()["error"] == "the ledger is unavailable; nothing was decided, try again"
    assert any("10.0.0.7" in r.getMessage() for r in caplog.records)
