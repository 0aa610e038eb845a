"""The review room's diff against a git revision (``/review/diff?base=main``): useful while the
engine runs, since an engine adopts a saved file within a second and the diff against the
running calendar is then empty.  On a real repository made here, with the room's own sign-in."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from starlette.testclient import TestClient

from scheduler.clock import FakeClock
from scheduler.ledger import Ledger
from scheduler.ledger.reads import remember_calendar
from scheduler.web.app import create_app
from scheduler.web.context import WebContext
from tests.conftest import missing_tool
from tests.test_browser_site import chromium  # noqa: F401 - the fixture, shared
from tests.test_diff import GIT_ENV
from tests.test_web_review import CALENDAR, STATUS, T0, TOKEN, signed_in


def git(folder, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


@pytest.fixture
def repo_room(tmp_path, monkeypatch):
    """The room over a calendar committed on ``main``, then saved with changes; the engine runs
    what was saved (so the diff against the running calendar is empty)."""
    if shutil.which("git") is None:
        missing_tool("git", "apt-get install git")
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HERALD_REVIEW_TOKEN", TOKEN)
    calendar, status = tmp_path / "content_calendar.yaml", tmp_path / "status.yaml"
    calendar.write_text(CALENDAR)
    status.write_text(STATUS)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "calendar")
    saved = (CALENDAR.replace("at: 2026-12-03T10:00", "at: 2026-12-04T03:30")
             .replace("Winter sale: 20% off every armchair <script>alert(1)</script>",
                      "Winter sale: 25% off every armchair <img src=x onerror=alert(1)>"))
    calendar.write_text(saved)
    url = f"sqlite:///{tmp_path / 'state.db'}"
    ledger = Ledger(url)
    remember_calendar(ledger.db, "d1g3st", saved)  # the engine adopted the save
    ledger.close()
    ctx = WebContext.from_environment(str(calendar), str(status), url, FakeClock(T0))
    with TestClient(create_app(ctx), follow_redirects=False) as client:
        client.root = tmp_path  # type: ignore[attr-defined]
        yield signed_in(client)


def test_against_the_running_calendar_a_saved_file_changes_nothing(repo_room):
    page = repo_room.get("/review/diff").text
    assert "(d1g3st)" in page and "0 added, 0 removed, 0 moved, 0 reworded" in page
    assert "No publication changes in the next 28 days." in page


def test_against_main_the_room_shows_what_the_branch_changes(repo_room):
    page = repo_room.get("/review/diff?base=main").text
    assert "content_calendar.yaml against main:content_calendar.yaml" in page
    assert "0 added, 0 removed, 1 moved, 1 reworded" in page
    moved = page.split('<li class="moved">')[1].split("</li>")[0]
    assert "03:30" in moved and "sofa-guide" in moved and "was <time" in moved and "Thu 3 Dec 10:00" in moved
    reworded = page.split('<li class="reworded">')[1].split("</li>")[0]
    assert "&lt;script&gt;" in reworded and "&lt;img src=x onerror=alert(1)&gt;" in reworded
    assert "<img src=x" not in page and "<script>" not in page
    # what it makes worse: 03:30 on the 4th is at night, and in the database upgrade (03:00-04:00 CET)
    night = page.split("Now at night")[1].split("</ul>")[0]
    assert "sofa-guide" in night and "03:30 CET" in night
    maintenance = page.split("Now in an announced maintenance window")[1].split("</ul>")[0]
    assert "Database upgrade" in maintenance
    assert 'name="base" value="main"' in page and 'href="/review/diff">or with the running calendar' in page


def test_against_a_commit_id_and_head(repo_room):
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                            cwd=repo_room.root).stdout.strip()
    for base in (commit, "HEAD", commit[:10]):
        page = repo_room.get(f"/review/diff?base={base}").text
        assert "0 added, 0 removed, 1 moved, 1 reworded" in page and f"against {base}:content_calendar.yaml" in page


@pytest.mark.parametrize("base, says", [
    ("--output=/tmp/owned", "base=--output=/tmp/owned: not a revision name"),
    ("main..HEAD", "not a revision name"),
    ("-p", "not a revision name"),
    ("nope", "base=nope: nope: no such revision in the calendar's git repository"),
])
def test_a_bad_base_is_a_400_with_a_sentence(repo_room, base, says):
    from urllib.parse import quote

    answer = repo_room.get(f"/review/diff?base={quote(base)}")
    assert answer.status_code == 400 and says in answer.text and "Traceback" not in answer.text
    assert len(answer.text.splitlines()) == 1
    assert str(repo_room.root) not in answer.text and "/tmp" not in answer.text.replace("/tmp/owned", "")


@pytest.mark.parametrize("query", ["base=main&base=HEAD", "base=main&base=main", "view=week&view=month"])
def test_a_repeated_parameter_is_a_400(repo_room, query):
    answer = repo_room.get(f"/review/diff?{query}")
    name = query.partition("=")[0]
    assert answer.status_code == 400 and f"{name}: given more than once" in answer.text
    assert len(answer.text.splitlines()) == 1
    assert repo_room.get(f"/review?{query}").status_code == 400


@pytest.mark.slow  # a real headless Chromium
def test_the_revision_diff_in_a_browser_passes_axe_at_1280_and_390_px(tmp_path, monkeypatch, chromium):  # noqa: F811
    """The diff against main in the browser: the form typed into, moves and rewordings listed, no
    axe violation, nothing wider than a phone at 390 px (long links wrap)."""
    import threading
    import time

    from scheduler.web.app import serve
    from tests.test_browser_site import axe_violations, shots

    monkeypatch.setenv("HERALD_REVIEW_TOKEN", TOKEN)
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    calendar, status = tmp_path / "content_calendar.yaml", tmp_path / "status.yaml"
    calendar.write_text(CALENDAR)
    status.write_text(STATUS)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "calendar")
    calendar.write_text(CALENDAR.replace("at: 2026-12-03T10:00", "at: 2026-12-04T03:30")
                        .replace("Winter sale: 20% off", "Winter sale: 25% off"))
    url = f"sqlite:///{tmp_path / 'state.db'}"
    Ledger(url).close()
    ctx = WebContext.from_environment(str(calendar), str(status), url, FakeClock(T0))
    server = serve(create_app(ctx), "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    try:
        page = chromium.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/review/diff")
        page.get_by_label("Review token").fill(TOKEN)
        page.get_by_role("button", name="Open").click()
        page.wait_for_url(base + "/review/diff")
        page.get_by_label("Compare the file with a git revision").fill("main")
        page.get_by_role("button", name="Compare").click()
        page.wait_for_url(base + "/review/diff?base=main")
        assert page.locator("h1").inner_text().endswith("against main:content_calendar.yaml")
        assert "1 moved, 1 reworded" in page.locator(".summary").inner_text()
        assert axe_violations(page) == []
        page.set_viewport_size({"width": 390, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert axe_violations(page) == []
        shots(page, "review-diff-base")
        page.close()
    finally:
        server.should_exit = True
        thread.join(5)
        ctx.close()


@pytest.mark.parametrize("running, base, says, not_says", [
    (None, "", "no engine has recorded the calendar it runs", "keeps running"),
    ("yes", "", "the engine keeps running its last good version", "no engine"),
])
def test_a_broken_file_says_what_runs_only_when_something_does(running, base, says, not_says):
    from campaigns.calendar import loads
    from scheduler.render.review import Diff, diff_page

    calendar = loads(CALENDAR) if running else None
    page = diff_page(Diff("content_calendar.yaml", T0, None, ["content_calendar.yaml:3:5: bad"], calendar, "d1",
                          None, base))
    assert says in page and not_says not in page and "content_calendar.yaml:3:5: bad" in page
