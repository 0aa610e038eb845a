"""The review room's calendar check is warmed when the server starts and after a save (a
10,000-post calendar made the first month-grid request take 13.8 s): a request that comes
while the check runs waits for it, and never starts a second one."""

from __future__ import annotations

import threading

import pytest

import campaigns.calendar
from scheduler.clock import FakeClock
from scheduler.ledger import Ledger
from scheduler.web import review
from scheduler.web.app import create_app
from scheduler.web.context import WebContext
from tests.test_web_review import CALENDAR, STATUS, T0, TOKEN


@pytest.fixture
def counted(monkeypatch, tmp_path):
    """campaigns.calendar.check counted (draft checks only), each one held until ``go`` is set."""
    real = campaigns.calendar.check
    calls: list[str] = []
    go, entered = threading.Event(), threading.Event()

    def check(*args, **kwargs):
        if kwargs.get("draft") and args[0].startswith(str(tmp_path)):  # (not another test's server, still running)
            calls.append(args[0])
            entered.set()
            assert go.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(campaigns.calendar, "check", check)
    review._drafts.clear()
    yield calls, go, entered
    go.set()
    review._drafts.clear()


def context(tmp_path, monkeypatch, token: str | None = TOKEN) -> WebContext:
    if token:
        monkeypatch.setenv("HERALD_REVIEW_TOKEN", token)
    else:
        monkeypatch.delenv("HERALD_REVIEW_TOKEN", raising=False)
    calendar, status = tmp_path / "content_calendar.yaml", tmp_path / "status.yaml"
    calendar.write_text(CALENDAR)
    status.write_text(STATUS)
    url = f"sqlite:///{tmp_path / 'state.db'}"
    Ledger(url).close()
    return WebContext.from_environment(str(calendar), str(status), url, FakeClock(T0))


def test_two_first_requests_at_once_run_the_check_once(tmp_path, monkeypatch, counted):
    calls, go, entered = counted
    ctx = context(tmp_path, monkeypatch, token=None)  # (no warm-up: the requests are first)
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(review._checked(ctx)[1])) for _ in range(2)]
    for thread in threads:
        thread.start()
    assert entered.wait(30)
    go.set()
    for thread in threads:
        thread.join(30)
    assert calls == [ctx.calendar_path] and len(results) == 2 and results[0] is results[1]


def test_the_check_is_warmed_when_the_app_starts_and_after_a_save(tmp_path, monkeypatch, counted):
    calls, go, entered = counted
    ctx = context(tmp_path, monkeypatch)
    app = create_app(ctx)
    warm = app.state.review_warm
    assert warm is not None and warm.thread.is_alive() and warm.thread.daemon
    assert entered.wait(30)  # started by the app, before any request
    go.set()
    assert warm.ready.wait(30)
    assert calls == [ctx.calendar_path]
    digest, disk = review._checked(ctx)  # a request now finds it ready
    assert calls == [ctx.calendar_path] and disk.value is not None
    # a save: checked again by the warm-up, not by the next request
    warm.ready.clear()
    with open(ctx.calendar_path, "a", encoding="utf-8") as fh:
        fh.write("\n# saved\n")
    warm.poke()
    assert warm.ready.wait(30)
    assert calls == [ctx.calendar_path] * 2
    assert review._checked(ctx)[0] != digest and calls == [ctx.calendar_path] * 2
    warm.stop()
    warm.thread.join(30)
    assert not warm.thread.is_alive()


def test_no_warm_up_without_the_review_room(tmp_path, monkeypatch):
    app = create_app(context(tmp_path, monkeypatch, token=None))
    assert app.state.review_warm is None
