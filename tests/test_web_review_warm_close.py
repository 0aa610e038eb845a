"""The review room's warm-up thread ends when the app's context closes (``ctx.close()``, as
`herald serve` does when it stops), and a warm-up in the middle of a long calendar check does not
hold the close up: it is waited for a bounded time (Warm.patience), then left to end on its own."""

from __future__ import annotations

import threading

from scheduler.web import review
from scheduler.web.app import create_app
from tests.test_web_review_warm import context


def alive(thread: threading.Thread) -> bool:
    return thread in threading.enumerate()


def test_closing_the_context_stops_the_warm_up(tmp_path, monkeypatch):
    ctx = context(tmp_path, monkeypatch)
    warm = create_app(ctx).state.review_warm
    assert warm is not None and warm.ready.wait(30) and alive(warm.thread)
    ctx.close()
    assert not alive(warm.thread)
    ctx.close()  # twice is no error


def test_a_warm_up_under_way_does_not_hold_the_close_up(tmp_path, monkeypatch):
    entered, go, closed = threading.Event(), threading.Event(), threading.Event()

    def slow(ctx):  # a calendar check that lasts until the test lets it end
        entered.set()
        go.wait(120)
        return "", None

    monkeypatch.setattr(review.Warm, "patience", 0.05)
    ctx = context(tmp_path, monkeypatch)
    warm = review.warm(ctx, check=slow)
    assert warm is not None and entered.wait(30)
    closer = threading.Thread(target=lambda: (ctx.close(), closed.set()), daemon=True)
    closer.start()
    try:
        assert closed.wait(60)  # closed while the check still runs (it ends only when go is set)
        assert not go.is_set() and alive(warm.thread)
    finally:
        go.set()
    warm.thread.join(30)
    assert not alive(warm.thread)  # the check over, the warm-up stopped (no second check, no next poll)
    assert warm.ready.is_set()
