"""The review room in a real headless Chromium: a too-long post with its overflow, a post held
during a major incident, the diff page; the month grid, the week and the networks' previews
(issue 28), by keyboard too, with hostile text; axe-core finds nothing; screenshots at 1280 and
390 px (``tests/artifacts/browser/review-*.png``)."""

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
from tests.test_review_grid import make_room, png
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
    yield from _served(ctx)


@pytest.fixture
def networks(tmp_path, monkeypatch) -> Iterator[str]:
    """The room of a calendar on every kind of network (tests/test_review_grid.py), hostile text included."""
    yield from _served(make_room(tmp_path, monkeypatch))


def _served(ctx: WebContext) -> Iterator[str]:
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
    assert page.locator("h1").inner_text().startswith("1 Dec to 7 Dec 2026")  # the week from today
    page.goto(room + "/review?view=day&from=2026-12-03")
    guide = page.get_by_role("article", name="sofa-guide on x at 10:00")
    overflow = guide.locator("mark.overflow")
    assert overflow.count() == 1 and overflow.inner_text().strip()
    assert "over)" in guide.locator(".budget").inner_text()
    assert overflow.evaluate("el => getComputedStyle(el).textDecorationLine") == "line-through"
    page.goto(room + "/review?view=day&from=2026-12-01")
    sale = page.get_by_role("article", name="sale on site at 15:00")
    assert "Will be held: held while Card payments fail (major) is open" in sale.inner_text()
    assert page.get_by_role("alert").first.inner_text().startswith("The engine refuses this file")
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


def sign_in(page, base: str, path: str) -> None:
    page.goto(base + path)  # not signed in: the form, which returns to this page
    page.get_by_label("Review token").fill(TOKEN)
    page.get_by_role("button", name="Open").click()
    page.wait_for_url(base + path)


def loaded(page) -> None:
    """Every image loaded (they load lazily, as a person scrolls; a whole-page screenshot does not)."""
    page.evaluate("document.querySelectorAll('img').forEach(img => { img.loading = 'eager'; })")
    page.wait_for_function("[...document.images].every(img => img.complete && img.naturalWidth > 0)", timeout=10_000)


def local_images(page) -> None:
    """The calendar's remote image comes from the test, never from the internet."""
    page.route("https://images.acme.example/**", lambda route: route.fulfill(body=png(64, 64),
                                                                              content_type="image/png"))


@pytest.mark.parametrize("path, name", [("/review?view=month&from=2026-12-01", "review-month"),
                                        ("/review?view=week&from=2026-12-01", "review-week"),
                                        ("/review?view=day&from=2026-12-03", "review-previews")])
def test_the_month_the_week_and_the_previews_at_both_widths(chromium, networks, path, name):  # noqa: F811
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    local_images(page)
    sign_in(page, networks, path)
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    loaded(page)
    shots(page, name)  # 1280, then 390 px
    assert axe_violations(page) == []  # at 390 px
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # hostile long words included
    page.emulate_media(color_scheme="dark")
    assert axe_violations(page) == []
    page.close()


def test_the_month_grid_has_seven_equal_columns_and_a_phone_gets_a_day_list(chromium, networks):  # noqa: F811
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, networks, "/review?view=month&from=2026-12-01")
    widths = page.evaluate("[...document.querySelectorAll('table.month tbody tr:first-child td')]"
                           ".map(td => Math.round(td.getBoundingClientRect().width))")
    assert len(widths) == 7 and max(widths) - min(widths) <= 1  # the long words do not widen a column
    assert page.get_by_role("columnheader").count() == 7
    day3 = page.locator("td", has=page.locator('a.dnum[href$="from=2026-12-03"]'))
    assert day3.locator("a.chip").count() == 4 and day3.locator("a.more").inner_text().startswith("+")
    page.set_viewport_size({"width": 390, "height": 900})
    lefts = page.evaluate("[...document.querySelectorAll('table.month td:not(.outside)')].slice(0, 3)"
                          ".map(td => Math.round(td.getBoundingClientRect().left))")
    assert len(set(lefts)) == 1  # one day under another
    assert page.locator("table.month td.outside").first.is_hidden()
    assert day3.locator("a.dnum").inner_text().startswith("Thu 3 Dec")
    page.close()


def test_the_keyboard_reaches_a_chip_and_enter_opens_its_day(chromium, networks):  # noqa: F811
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, networks, "/review?view=month&from=2026-12-01")
    first_chip = page.locator("a.chip").first
    for _ in range(80):  # through the header, the pager, the filters and the first days
        page.keyboard.press("Tab")
        if first_chip.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached a chip")
    outline = first_chip.evaluate("el => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth")
    assert outline.startswith("solid") and not outline.endswith(" 0px")  # the focus is visible
    href = first_chip.get_attribute("href")
    page.keyboard.press("Enter")
    page.wait_for_url(networks + href)
    assert page.locator("h1").inner_text().startswith("Thursday 3 December 2026")
    target = href.split("#")[1]
    assert page.evaluate("location.hash") == "#" + target
    assert page.locator(f"article#{target}").evaluate("el => el.matches(':target')")
    # a "see more" fold opens from the keyboard
    fold = page.get_by_role("article", name="sofa-guide on linkedin at 10:00").locator("details.more")
    fold.locator("summary").focus()
    page.keyboard.press("Enter")
    assert fold.evaluate("el => el.open")
    page.close()


def test_the_previews_show_the_images_and_the_thread(chromium, networks):  # noqa: F811
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    local_images(page)
    sign_in(page, networks, "/review?view=day&from=2026-12-03")
    image = page.get_by_role("article", name="sofa-guide on sky at 10:00").get_by_role(
        "img", name="A grey sofa by a window, a radiator a metre away")
    image.scroll_into_view_if_needed()
    assert image.evaluate("el => el.decode().then(() => el.naturalWidth)") == 48  # from the calendar's folder
    square = page.get_by_role("article", name="armchair on insta at 12:00").locator("img")
    square.scroll_into_view_if_needed()
    assert square.evaluate("el => el.decode().then(() => el.naturalWidth)") == 64
    box = square.bounding_box()
    assert abs(box["width"] - box["height"]) <= 1  # square
    reply = page.get_by_role("article", name="booking on x at 08:40")
    assert reply.locator(".pv-root").is_visible() and "Online booking fails" in reply.locator(".pv-root").inner_text()
    page.close()
