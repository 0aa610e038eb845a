"""The public status site carries only public words: every page and feed, served, exported and
written by the ``site`` channel, during an incident an alert opened, with a failed delivery, an
operator's skip with its reason, a pause with its reason and posts held, shows none of the ops
side (delivery rows, holds and their reasons, ids of unpublished posts, account names, alert
and host names); the review room's status page shows all of it, behind its sign-in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from scheduler.clock import FakeClock
from scheduler.ledger import Item, Ledger, State
from scheduler.render.site import API_FILES
from scheduler.web.app import create_app
from scheduler.web.context import WebContext
from tests.test_web_review import TOKEN, signed_in

T0 = datetime(2026, 12, 1, 9, 40, tzinfo=UTC)  # 10:40 in Berlin, during the incident below

CALENDAR = """\
brand:
  name: Acme Furniture
  timezone: Europe/Berlin
networks:
  site: {type: site}
  acme-masto: {type: mastodon, instance: "https://social.example"}
  ops-hooks: {type: webhook, url: "https://hooks.int.acme.example/status"}
posts:
  - id: secret-launch
    kind: announcement
    networks: [acme-masto]
    at: 2026-12-01T10:10
    text: "Our new sofa is here"
  - id: embargoed-teaser
    kind: announcement
    networks: [acme-masto]
    at: 2026-12-01T10:15
    text: "Something is coming"
"""

ALERT = "alertmanager: PgReplicaLag_db-prod-3.int.acme (severity=critical)"
STATUS = f"""\
status_page: https://status.acme.example
components:
  checkout: {{name: Checkout}}
incidents:
  - id: pay
    title: Card payments fail
    impact: major
    alert: "{ALERT}"
    components: [checkout]
    notes: "INTERNAL-NOTE-9137 ask Dana before the next update"
    updates:
      - {{at: '2026-12-01T10:00', state: investigating, message: Some card payments fail.}}
      - {{at: '2026-12-01T10:30', state: identified, message: We found the cause.}}
maintenance:
  - id: db
    title: Database upgrade
    starts: 2026-12-05T02:00
    ends: 2026-12-05T03:00
    components: [checkout]
    message: Checkout is unavailable for up to an hour.
    notes: "INTERNAL-NOTE-2231 run the runbook"
"""

SKIP_REASON = "Legal: embargoed until the press call LEGAL-4411"
PAUSE_REASON = "storm freeze PAUSE-7781"
DEAD = "401 Unauthorized from hooks.int.acme.example"
# what only ops may read: none of it on a public page, in a feed, the calendar file or the API
INTERNAL = ("Announced on", "Held during", "Detected by", "(skipped)", "(sent)", "(dead)", "acme-masto",
            "ops-hooks", "hooks.int.acme", "PgReplicaLag", "db-prod-3", "int.acme", "alertmanager", "LEGAL-4411",
            "PAUSE-7781", "embargoed", "401 Unauthorized", "secret-launch", "embargoed-teaser", "INTERNAL-NOTE",
            "social.example")


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 12, 1, hour, minute, tzinfo=UTC)


def record_the_incident(ledger: Ledger) -> None:
    """A failed delivery, a sent and an operator-skipped announcement, a pause and what it held."""
    first = Item("a" * 32, "incident:pay", "pay", "ops-hooks", "status", at(9, 0), text="t")
    assert ledger.claim(first, "test", at(9, 0), timedelta(minutes=5))
    assert ledger.mark_dead("a" * 32, "test", at(9, 1), DEAD)
    sent = Item("b" * 32, "incident:pay", "pay", "site", "status", at(9, 30), text="t")
    assert ledger.claim(sent, "test", at(9, 30), timedelta(minutes=5))
    assert ledger.mark_sent("b" * 32, "test", at(9, 30), "r-b", "https://status.acme.example/#b")
    ledger.settle(Item("c" * 32, "incident:pay", "pay", "acme-masto", "status", at(9, 30)), State.SKIPPED,
                  at(9, 31), SKIP_REASON)
    ledger.pause(at(9, 5), "acme-masto", None, PAUSE_REASON)
    ledger.settle(Item("d" * 32, "post:secret-launch", "secret-launch", "acme-masto", "announcement", at(9, 10)),
                  State.HELD, at(9, 10), f"paused: {PAUSE_REASON}")
    ledger.settle(Item("e" * 32, "post:embargoed-teaser", "embargoed-teaser", "acme-masto", "announcement", at(9, 15)),
                  State.SKIPPED, at(9, 15), SKIP_REASON)
    maintenance = Item("f" * 32, "maintenance:db@1", "db", "acme-masto", "maintenance", at(9, 20), text="t")
    assert ledger.claim(maintenance, "test", at(9, 20), timedelta(minutes=5))
    assert ledger.mark_sent("f" * 32, "test", at(9, 20), "r-f", "https://social.example/@acme/1")


@pytest.fixture
def site(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.delenv("HERALD_REVIEW_TOKEN", raising=False)
    (tmp_path / "cal.yaml").write_text(CALENDAR)
    (tmp_path / "status.yaml").write_text(STATUS)
    ledger = Ledger(f"sqlite:///{tmp_path / 'state.db'}")
    record_the_incident(ledger)
    ledger.close()
    return tmp_path


def context(folder: Path, token: str | None = None) -> WebContext:
    return WebContext(str(folder / "cal.yaml"), str(folder / "status.yaml"), f"sqlite:///{folder / 'state.db'}",
                      FakeClock(T0), review_token=token)


PUBLIC = ("/", "/history/", "/incidents/pay/", "/maintenance/db/", "/feed.atom", "/feed.json", "/status.ics",
          "/brand.css", "/favicon.svg", *(f"/api/v2/{name}" for name in API_FILES))


def leaks(name: str, body: str | bytes) -> list[str]:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = text.replace("\r\n ", "")  # an iCal line folded at 75 octets
    return [f"{name}: {word}" for word in INTERNAL if word.lower() in text.lower()]


def test_no_served_page_feed_calendar_or_api_file_shows_the_ops_side(site):
    ctx = context(site)
    ctx.refresh()
    with TestClient(create_app(ctx)) as web:
        pages = {path: web.get(path) for path in PUBLIC}
    assert {path: r.status_code for path, r in pages.items() if r.status_code != 200} == {}
    assert "Card payments fail" in pages["/incidents/pay/"].text  # the page is there, with its public words
    assert [leak for path, r in pages.items() for leak in leaks(path, r.content)] == []


def test_no_exported_file_shows_the_ops_side(site):
    """``herald export-site`` reads every announcement and hold of the ledger: none is written out."""
    from campaigns.calendar import load as load_calendar
    from scheduler.render.site import Renderer
    from scheduler.render.sitedata import site_data
    from status.load import load as load_status

    calendar = load_calendar(str(site / "cal.yaml"))
    ledger = Ledger(f"sqlite:///{site / 'state.db'}")
    try:
        data = site_data(calendar, load_status(str(site / "status.yaml"), calendar).public(), T0, lambda: ledger,
                         held_for="*")
        assert data.records and data.held["pay"]  # the renderer was given all of it
        files = Renderer(data).site_files()
    finally:
        ledger.close()
    assert "incidents/pay/index.html" in files and "status.ics" in files
    assert [leak for name, body in files.items() for leak in leaks(name, body)] == []


def test_no_file_the_site_channel_writes_shows_the_ops_side(site, tmp_path):
    from campaigns.calendar import load as load_calendar
    from scheduler.networks.sitewriter import SiteState, SiteWriter
    from status.load import load as load_status

    calendar = load_calendar(str(site / "cal.yaml"))
    folder = tmp_path / "public"
    writer = SiteWriter(str(folder))
    writer.write(SiteState(calendar, load_status(str(site / "status.yaml"), calendar).public(), [], T0))
    written = {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert "incidents/pay/index.html" in written
    assert [leak for name, body in written.items() if not name.startswith(".") for leak in leaks(name, body)] == []


def test_the_review_rooms_status_page_shows_ops_what_the_public_pages_leave_out(site):
    with TestClient(create_app(context(site, TOKEN)), follow_redirects=False) as web:
        assert web.get("/review/status").status_code == 401  # behind the sign-in
        page = signed_in(web).get("/review/status")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    html = page.text.replace("&#39;", "'")
    for word in ("ops-hooks", DEAD, SKIP_REASON, PAUSE_REASON, "secret-launch", "embargoed-teaser", "PgReplicaLag",
                 '<a href="https://social.example/@acme/1" rel="noopener">acme-masto</a>'):
        assert word in html, word
    pay = html[html.index('id="incident-pay"'):]
    pay = pay[:pay.index("</article>")]
    assert "secret-launch on acme-masto (announcement)" in pay and f"held</strong>, paused: {PAUSE_REASON}" in pay
    assert "acme-masto · <strong>skipped</strong>" in pay and "ops-hooks · <strong>dead</strong>" in pay
