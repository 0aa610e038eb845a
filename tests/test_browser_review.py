"""The review room in a real headless Chromium: a too-long post with its overflow, a post held
during a major incident, the diff page; axe-core finds nothing; screenshots at 1280 and 390 px."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from scheduler.clock import FakeClock
from scheduler.ledger import Ledger
from scheduler.web.app import create_app, serve
from scheduler.web.context import WebContext
from tests.test_browser_site import axe_violations, chromium, shots  # noqa: F401 - the fixture, shared
from tests.test_web_review import DRAFT, STATUS, TOKEN

pytestmark = pytest.mark.slow  # a real headless Chromium

T0 = datetime(2026, 12, 1, 9, 25, tzinfo=UTC)


@pytest.fixture
def room(tmp_path, monkeypatch) -> Iterator[str]:
    monkeypatch.setenv("HERALD_REVIEW_TOKEN", TOKEN)
    (tmp_path / "cal.yaml").write_text(DRAFT)  # a planner's save with a post too long for X
    (tmp_path / "status.yaml").write_text(STATUS)  # a major incident is open
    url = f"sqlite:///{tmp_path / 'state.db'}"
    Ledger(url).close()
    ctx = WebContext.from_environment(str(tmp_path / "cal.yaml"), str(tmp_path / "status.yaml"), url, FakeClock(T0))
    server = serve(create_app(ctx), "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(5)
        ctx.close()


def test_the_review_room_shows_an_overflow_and_a_held_post(chromium, room):  # noqa: F811
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(room + "/review")
    assert page.get_by_label("Review token").is_visible()  # not signed in: the form
    page.get_by_label("Review token").fill(TOKEN)
    page.get_by_role("button", name="Open").click()
    page.wait_for_url(room + "/review")  # the token left the address bar for an HttpOnly cookie
    assert page.evaluate("document.cookie") == ""
    guide = page.get_by_role("article", name="sofa-guide on x at 10:00")
    overflow = guide.locator("mark.overflow")
    assert overflow.count() == 1 and overflow.inner_text().strip()
    assert "over)" in guide.locator(".budget").inner_text()
    assert overflow.evaluate("el => getComputedStyle(el).textDecorationLine") == "line-through"
    sale = page.get_by_role("article", name="sale on site at 15:00")
    assert "Will be held: held while Card payments fail (major) is open" in sale.inner_text()
    assert page.get_by_role("alert").first.inner_text().startswith("The engine refuses this file")
    shots(page, "review-week")
    assert axe_violations(page) == []
    page.goto(room + "/review?view=month")
    assert page.locator("h1").inner_text().startswith("1 Dec to 31 Dec 2026")
    assert axe_violations(page) == []
    page.close()


@pytest.mark.parametrize("path", ["/review?view=week", "/review/diff"])
def test_the_review_room_is_usable_on_a_phone_in_dark_mode(chromium, room, path):  # noqa: F811
    page = chromium.new_page(viewport={"width": 390, "height": 900})
    page.emulate_media(color_scheme="dark")
    page.goto(room + path)  # not signed in: the form, which returns to this page
    page.get_by_label("Review token").fill(TOKEN)
    page.get_by_role("button", name="Open").click()
    page.wait_for_url(room + path)
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shots(page, "review" + path.split("?")[0].replace("/", "-"))
    page.close()
