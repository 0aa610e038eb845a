"""The README's two pictures: the status page and the review room, showing the sample calendar and
status file with an incident open, in a real headless Chromium on a fake clock.

``make screenshots`` writes them to ``docs/img/`` (``HERALD_SCREENSHOTS=write``); otherwise this
test takes them into a scratch folder, so a change that breaks either page fails here, and checks
that the committed ones are there, are PNGs, and stay small enough for a README (under 200 KB).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.clock import FakeClock
from scheduler.ledger import Ledger
from scheduler.web.app import create_app, serve
from scheduler.web.context import WebContext
from tests.conftest import ROOT
from tests.test_browser_site import chromium  # noqa: F401 - the fixture, shared

pytestmark = pytest.mark.slow  # a real headless Chromium

IMAGES = ROOT / "docs" / "img"
PICTURES = ("status-page.png", "review-room.png")
MAX_BYTES = 200_000
T0 = datetime(2026, 12, 8, 9, 40, tzinfo=UTC)  # a Tuesday morning in Berlin, the sample's zone
TOKEN = "screenshot-review-token-0123456789"


def _declare(folder: Path, clock: FakeClock) -> None:
    files = ["--calendar", str(folder / "content_calendar.yaml"), "--status", str(folder / "status.yaml")]
    assert main(["incident", "declare", *files, "--id", "checkout-errors", "--title", "Card payments fail",
                 "--impact", "major", "--component", "checkout", "--next-update", "30m",
                 "-m", "Some card payments fail at checkout. We're switching to our backup provider."],
                clock=clock) == 0


@pytest.fixture
def sample_site(tmp_path, monkeypatch) -> Iterator[str]:
    """`herald serve` on copies of the samples, an incident declared ten minutes ago."""
    monkeypatch.setenv("HERALD_REVIEW_TOKEN", TOKEN)
    for sample in ("content_calendar.yaml", "status.yaml"):
        shutil.copy(ROOT / sample, tmp_path / sample)
    clock = FakeClock(T0)
    _declare(tmp_path, FakeClock(datetime(2026, 12, 8, 9, 30, tzinfo=UTC)))
    url = f"sqlite:///{tmp_path / 'state.db'}"
    Ledger(url).close()
    ctx = WebContext.from_environment(str(tmp_path / "content_calendar.yaml"), str(tmp_path / "status.yaml"),
                                      url, clock)
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


def _folder(tmp_path: Path) -> Path:
    if os.environ.get("HERALD_SCREENSHOTS") == "write":
        IMAGES.mkdir(parents=True, exist_ok=True)
        return IMAGES
    return tmp_path


def test_the_readme_pictures_show_the_status_page_and_the_review_room(chromium, sample_site, tmp_path):  # noqa: F811
    folder = _folder(tmp_path)
    # a reader in the brand's zone: the page's script shows times in the reader's
    context = chromium.new_context(viewport={"width": 1100, "height": 760}, timezone_id="Europe/Berlin",
                                   locale="en-GB")
    page = context.new_page()
    page.goto(sample_site + "/")
    assert "Card payments fail" in page.inner_text("main")
    page.screenshot(path=str(folder / "status-page.png"))
    page.goto(sample_site + "/review?view=week")
    page.get_by_label("Review token").fill(TOKEN)
    page.get_by_role("button", name="Open").click()
    page.wait_for_url(sample_site + "/review?view=week")
    assert "track-your-order" in page.inner_text("main")
    page.screenshot(path=str(folder / "review-room.png"))
    context.close()
    for picture in PICTURES:
        for shot in {folder / picture, IMAGES / picture}:
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", shot
            assert shot.stat().st_size < MAX_BYTES, (shot, shot.stat().st_size)
