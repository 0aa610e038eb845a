"""The status site in a real headless Chromium (Playwright): what a customer sees during an
incident, the live update after `herald incident declare`, an incident's thread, axe-core's
verdict on every page, and screenshots at 1280 px and 390 px (saved under
``tests/artifacts/browser/`` for people to look at).

A real ``herald serve`` app runs under uvicorn on 127.0.0.1; waits are bounded.  Without a
browser (or axe-core) these tests skip locally and fail in CI (``CI=true``).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.ledger import Item, Ledger
from scheduler.web.app import create_app, serve
from scheduler.web.context import WebContext
from tests.conftest import missing_tool

pytestmark = pytest.mark.slow  # a real headless Chromium

ROOT = Path(__file__).resolve().parent
ARTIFACTS = ROOT / "artifacts" / "browser"
AXE = ROOT / "js" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

CALENDAR = """\
brand:
  name: Acme Furniture
  timezone: Europe/Berlin
networks:
  site: {type: site}
  x: {type: x}
posts: []
"""


def _missing(what: str) -> None:
    missing_tool(what, "`make browser` installs Debian's chromium; `make test` the rest")


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright")
    executable = next((p for p in CHROMIUM if os.path.exists(p)), None) or shutil.which("chromium")
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        except Exception as exc:  # noqa: BLE001 - no browser: skip locally, fail in CI
            _missing(f"a Chromium for Playwright ({type(exc).__name__})")
        yield browser
        browser.close()


@dataclass
class Site:
    base: str
    folder: Path

    def declare(self, *argv: str) -> None:
        assert main(["incident", "declare", "--calendar", str(self.folder / "cal.yaml"),
                     "--status", str(self.folder / "status.yaml"), *argv]) == 0


@pytest.fixture
def site(tmp_path: Path, monkeypatch) -> Iterator[Site]:
    monkeypatch.delenv("HERALD_REVIEW_TOKEN", raising=False)
    (tmp_path / "cal.yaml").write_text(CALENDAR)
    (tmp_path / "status.yaml").write_text("components:\n  checkout: {name: Checkout}\n"
                                          "  tracking: {name: Delivery tracking}\n")
    ledger = f"sqlite:///{tmp_path / 'state.db'}"
    Ledger(ledger).close()
    ctx = WebContext(str(tmp_path / "cal.yaml"), str(tmp_path / "status.yaml"), ledger)
    server = serve(create_app(ctx), "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield Site(f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}", tmp_path)
    finally:
        server.should_exit = True
        thread.join(5)
        ctx.close()


def shots(page, name: str) -> None:
    """Screenshots of the whole page at 1280 px and 390 px, kept as test artifacts."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        assert (ARTIFACTS / f"{name}-{width}.png").stat().st_size > 1000


def axe_violations(page) -> list[str]:
    if not AXE.exists():
        _missing("axe-core (tests/js: npm install)")
    page.evaluate(AXE.read_text() + "\n;0")  # through the DevTools protocol: the page's CSP stays as served
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in result["violations"]]


def test_during_an_incident_the_page_shows_it_first_with_the_state_in_text_and_colour(chromium, site):
    site.declare("--title", "Checkout errors", "--impact", "major", "--component", "checkout",
                 "-m", "Some card payments fail. We're on it.", "--next-update", "30m")
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site.base + "/")
    headings = page.locator("main h1, main h2, main h3").all_inner_texts()
    assert headings[:3] == ["! Partial System Outage", "Open incidents", "Checkout errors"]
    assert headings.index("Checkout errors") < headings.index("Components")
    state = page.locator(".component", has_text="Checkout").locator(".cstate")
    assert state.inner_text().strip() == "! Partial outage"
    colour = state.evaluate("el => getComputedStyle(el).color")
    calm = page.locator(".component", has_text="Delivery tracking").locator(".cstate")
    assert calm.inner_text().strip() == "✓ Operational"
    assert colour != calm.evaluate("el => getComputedStyle(el).color")  # and a colour of its own
    assert "Next update by" in page.locator(".incident").inner_text()
    shots(page, "status-incident")
    assert axe_violations(page) == []
    page.close()


def test_the_page_updates_within_2_s_of_a_declared_incident_without_a_reload(chromium, site):
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site.base + "/")
    page.evaluate("window.__same_document = true")  # gone if the page reloads
    assert page.locator("h1").inner_text().endswith("All Systems Operational")
    page.wait_for_timeout(1200)  # the script has its first version
    began = time.monotonic()
    site.declare("--title", "Tracking is down", "--impact", "critical", "--component", "tracking", "-m", "Looking.")
    page.locator(".incident", has_text="Tracking is down").wait_for(timeout=2000)
    assert time.monotonic() - began < 2.0 + 0.5  # the wait above is the 2 s bound; this guards its start
    assert page.evaluate("window.__same_document") is True
    assert page.locator(".component", has_text="Delivery tracking").locator(".cstate").inner_text().strip() \
        == "✕ Major outage"
    # the live region says what changed, in words (no icons)
    note = page.locator("#live-note")
    page.wait_for_function("document.getElementById('live-note').textContent !== ''", timeout=2000)
    said = note.text_content()
    assert said.startswith("Updated. ") and "!" not in said and "✕" not in said, said
    assert "Status: Major Service Outage" in said and "Delivery tracking: Major outage" in said
    assert "Tracking is down: Investigating" in said and "Checkout" not in said  # what did not change: unsaid
    page.close()


def test_an_incident_page_lists_its_thread_and_no_delivery_rows(chromium, site):
    site.declare("--title", "Checkout errors", "--impact", "major", "--component", "checkout", "-m", "Looking.",
                 "--id", "checkout")
    from scheduler.cli.common import load_calendar
    from status.load import load

    ledger = Ledger(f"sqlite:///{site.folder / 'state.db'}")
    incident = load(str(site.folder / "status.yaml"), load_calendar(str(site.folder / "cal.yaml"))).incident("checkout")
    at = incident.updates[0].at
    item = Item("k" * 32, "incident:checkout", "checkout", "x", "status", at, text="t")
    now = datetime.now(UTC)
    assert ledger.claim(item, "t", now, timedelta(minutes=1))
    assert ledger.mark_sent("k" * 32, "t", now, "1", "https://x.example/acme/status/1")
    ledger.close()
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site.base + "/")
    page.get_by_role("link", name="Checkout errors", exact=True).click()
    assert page.url == site.base + "/incidents/checkout/"
    timeline = page.locator(".timeline li")
    assert timeline.count() == 1 and "Investigating" in timeline.first.inner_text()
    text = page.locator("main").inner_text()
    assert "x.example" not in text and "Announced on" not in text and "Held" not in text  # for ops only
    shots(page, "incident")
    assert axe_violations(page) == []
    page.close()


def test_a_day_with_an_incident_is_a_24_px_target_on_a_phone_that_opens_it(chromium, site):
    (site.folder / "status.yaml").write_text(
        "components:\n  checkout: {name: Checkout}\n" + "".join(
            f"  c{n}: {{name: Part {n}}}\n" for n in range(2)) + "incidents:\n" + "".join(
            f"  - id: old{n}\n    title: Slow pages {n}\n    impact: minor\n    components: [checkout]\n"
            f"    updates:\n      - {{at: '{day}T10:00', state: investigating, message: Slow.}}\n"
            f"      - {{at: '{day}T11:00', state: resolved, message: Fixed.}}\n"
            for n, day in enumerate(_days_ago(3, 10, 11, 40))))
    page = chromium.new_page(viewport={"width": 390, "height": 900})
    page.goto(site.base + "/")
    days = page.locator(".component", has_text="Checkout").locator(".bar a")
    assert days.count() == 4
    for n in range(4):
        box = days.nth(n).bounding_box()
        assert box["width"] >= 24 and box["height"] >= 24, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    days.first.click()
    assert page.url == site.base + "/incidents/old3/"
    page.close()


def test_a_wide_logo_keeps_its_aspect(chromium, site):
    (site.folder / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="160" height="32" '
                                          'viewBox="0 0 160 32"><rect width="160" height="32" fill="#333"/></svg>')
    (site.folder / "cal.yaml").write_text(CALENDAR.replace("  timezone:", "  logo: logo.svg\n  timezone:"))
    page = chromium.new_page(viewport={"width": 390, "height": 900})
    page.goto(site.base + "/")
    box = page.locator(".brand img").bounding_box()
    assert box["height"] == 32 and box["width"] == pytest.approx(160, abs=1)
    page.close()


def _days_ago(*ago: int) -> list[str]:
    today = datetime.now(UTC).date()
    return [(today - timedelta(days=n)).isoformat() for n in ago]


@pytest.mark.parametrize("path", ["/", "/history/", "/maintenance/db/"])
def test_axe_finds_no_violations_on_each_page(chromium, site, path):
    (site.folder / "status.yaml").write_text(
        "components:\n  checkout: {name: Checkout, group: Shop}\n  search: {name: Search, group: Shop}\n"
        "  tracking: {name: Tracking}\nmaintenance:\n  - id: db\n    title: Database upgrade\n"
        "    starts: 2026-12-05T02:00\n    ends: 2026-12-05T03:00\n    components: [checkout]\n"
        "incidents:\n  - id: old\n    title: Slow pages\n    impact: minor\n    components: [checkout]\n"
        "    updates:\n      - {at: '2026-11-20T10:00', state: investigating, message: Slow.}\n"
        "      - {at: '2026-11-20T11:00', state: resolved, message: Fixed.}\n")
    page = chromium.new_page(viewport={"width": 390, "height": 900})
    page.emulate_media(color_scheme="dark")
    page.goto(site.base + path)
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    shots(page, "page" + path.replace("/", "-").rstrip("-"))
    page.close()
