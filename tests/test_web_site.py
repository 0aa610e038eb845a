"""The served status site (`herald serve`), `herald export-site`, /calendar.ics, /healthz and /metrics."""

from __future__ import annotations

import re
import threading
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from scheduler.cli import main
from scheduler.clock import FakeClock
from scheduler.ledger import Item, Ledger, State
from scheduler.render.site import shorten
from scheduler.web.app import create_app, serve
from scheduler.web.context import WebContext

T0 = datetime(2026, 12, 1, 9, 25, tzinfo=UTC)  # 10:25 in Berlin, during the incident below

CALENDAR = """\
brand:
  name: Acme Furniture
  timezone: Europe/Berlin
  color: "#7a1fa2"
networks:
  site: {type: site}
  x: {type: x}
posts:
  - id: sofa-tip
    kind: tip
    networks: [x]
    starts: 2026-11-01
    rrule: FREQ=DAILY;BYHOUR=10;BYMINUTE=10
    text: "Sofa care tip"
"""

STATUS = """\
status_page: https://status.acme.example
components:
  checkout: {name: Checkout}
  tracking: {name: Delivery tracking}
incidents:
  - id: pay
    title: Card payments <b>fail</b>
    impact: major
    components: [checkout]
    updates:
      - at: 2026-12-01T10:00
        state: investigating
        message: Some card payments fail at checkout. <script>alert(1)</script>
      - at: 2026-12-01T10:20
        state: identified
        message: Our payment provider has an outage. We're switching to the backup provider.
        next_update: 15m
  - id: old
    title: Tracking was slow
    impact: minor
    components: [tracking]
    updates:
      - at: 2026-10-03T09:00
        state: investigating
        message: Tracking pages load slowly.
      - at: 2026-10-03T11:00
        state: resolved
        message: Fixed.
maintenance:
  - id: db
    title: Database upgrade
    starts: 2026-12-05T02:00
    ends: 2026-12-05T03:00
    components: [checkout]
    message: Checkout is unavailable for up to an hour.
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("HERALD_REVIEW_TOKEN", raising=False)
    (tmp_path / "cal.yaml").write_text(CALENDAR)
    (tmp_path / "status.yaml").write_text(STATUS)
    return tmp_path


def context(folder: Path, clock: FakeClock, token: str | None = None) -> WebContext:
    return WebContext(str(folder / "cal.yaml"), str(folder / "status.yaml"), f"sqlite:///{folder / 'state.db'}",
                      clock, review_token=token)


def client(folder: Path, clock: FakeClock, token: str | None = None) -> TestClient:
    return TestClient(create_app(context(folder, clock, token)))


def sent(ledger: Ledger, key: str, source: str, post: str, network: str, kind: str, at: datetime, url: str,
         now: datetime) -> None:
    item = Item(key, source, post, network, kind, at, text="t")
    assert ledger.claim(item, "test", now, timedelta(minutes=5)) is not None
    assert ledger.mark_sent(key, "test", now + timedelta(seconds=3), "r-" + key, url)


# -- the status page ---------------------------------------------------------------------------
def test_the_page_during_an_incident_shows_it_first_with_state_in_words_icon_and_colour(site):
    page = client(site, FakeClock(T0)).get("/").text
    assert page.index("Card payments &lt;b&gt;fail&lt;/b&gt;") < page.index('id="comp-h"')
    assert 'class="overall major"' in page and "Partial System Outage" in page
    checkout = re.search(r'<span class="name">Checkout</span><span class="cstate (\w+)" data-state="(\w+)">'
                         r'<span class="icon" aria-hidden="true">(.)</span> ([\w ]+)</span>', page)
    assert checkout and checkout.groups() == ("major", "partial_outage", "!", "Partial outage")
    tracking = re.search(r'<span class="name">Delivery tracking</span><span class="cstate (\w+)"[^>]*>'
                         r'<span class="icon" aria-hidden="true">(.)</span> ([\w ]+)</span>', page)
    assert tracking and tracking.groups() == ("ok", "✓", "Operational")
    # the next update is promised 15 minutes after the last one, shown in the brand's zone
    assert 'Next update by <time datetime="2026-12-01T10:35:00+01:00">Tue 01 Dec 2026, 10:35 CET</time>' in page
    assert "Upcoming maintenance" in page and 'href="/maintenance/db/"' in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_every_component_has_a_90_day_bar_marking_the_days_with_incidents(site):
    page = client(site, FakeClock(T0)).get("/").text
    bars = re.findall(r'<ol class="bar" aria-label="([^"]+)">(.*?)</ol>', page, re.S)
    assert [name for name, _ in bars] == ["Checkout: the last 90 days", "Delivery tracking: the last 90 days"]
    for _, bar in bars:  # quiet runs are one segment N days wide: still 90 days in all
        widths = [int(w or 1) for w in re.findall(r'<li class="\w+(?: w(\d+)| ev)?"', bar)]
        assert sum(widths) == 90 and len(widths) < 10
    assert 'aria-label="03 Sep 2026 to 02 Oct 2026: No incidents"' in bars[1][1]
    # a day with an incident is a link to it
    tracking_days = re.findall(r'<li class="(\w+) ev"><a href="([^"]+)" aria-label="([^"]+)"', bars[1][1])
    assert tracking_days == [("minor", "/incidents/old/", "03 Oct 2026: Minor incident: Tracking was slow")]
    today = re.findall(r'<li class="(\w+) ev"><a href="([^"]+)" aria-label="([^"]+)"', bars[0][1])
    assert today == [("major", "/incidents/pay/", "01 Dec 2026: Major incident: Card payments &lt;b&gt;fail&lt;/b&gt;")]


def test_the_page_has_a_strict_csp_and_no_third_party_assets(site):
    response = client(site, FakeClock(T0)).get("/")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assets = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', response.text)
    assert assets and all(a.startswith("/") for a in assets)
    assert "<style" not in response.text and " style=" not in response.text and "onclick" not in response.text


def test_pages_answer_if_none_match_with_304(site):
    web = client(site, FakeClock(T0))
    first = web.get("/feed.atom")
    again = web.get("/feed.atom", headers={"If-None-Match": first.headers["etag"]})
    assert first.status_code == 200 and again.status_code == 304 and again.content == b""


def test_brand_colour_is_a_stylesheet_and_a_logo_outside_the_folder_is_not_served(site):
    web = client(site, FakeClock(T0))
    assert web.get("/brand.css").text == ":root { --accent: #7a1fa2; }\n"
    assert web.get("/brand/logo").status_code == 404  # none configured
    (site / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (site / "cal.yaml").write_text(CALENDAR.replace("  color:", "  logo: logo.svg\n  color:"))
    logo = web.get("/brand/logo")
    assert logo.status_code == 200 and logo.headers["content-type"] == "image/svg+xml"
    from scheduler.render.site import logo_path

    assert logo_path(str(site / "cal.yaml"), "../etc/passwd.png") is None


# -- incident and maintenance pages ------------------------------------------------------------
def test_an_incident_page_lists_its_thread_and_the_ops_page_its_links_and_what_was_held(site):
    from tests.test_web_review import TOKEN, signed_in

    clock = FakeClock(T0)
    ledger = Ledger(f"sqlite:///{site / 'state.db'}")
    first = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    second = datetime(2026, 12, 1, 9, 20, tzinfo=UTC)
    sent(ledger, "a" * 32, "incident:pay", "pay", "x", "status", first, "https://x.example/acme/1", T0)
    sent(ledger, "b" * 32, "incident:pay", "pay", "x", "status", second, "https://x.example/acme/2", T0)
    ledger.settle(Item("c" * 32, "post:sofa-tip", "sofa-tip", "x", "tip", datetime(2026, 12, 1, 9, 10, tzinfo=UTC)),
                  State.HELD, T0, "major incident pay open")
    page = client(site, clock).get("/incidents/pay/")
    assert page.status_code == 200
    html = page.text
    assert html.index("Identified") < html.index("Investigating")  # newest first, the whole thread
    assert "x.example" not in html and "sofa-tip" not in html and "Held" not in html  # for ops, not customers
    assert client(site, clock).get("/incidents/nope/").status_code == 404
    with TestClient(create_app(context(site, clock, TOKEN)), follow_redirects=False) as web:
        ops = signed_in(web).get("/review/status")
    assert ops.status_code == 200 and ops.headers["cache-control"] == "no-store"
    updates = re.findall(r'<li><p><strong class="state">(\w+)</strong>.*?</li>\s*</ul>', ops.text, re.S)
    assert updates == ["Identified", "Investigating"]
    assert '<a href="https://x.example/acme/1" rel="noopener">x</a>' in ops.text
    assert '<a href="https://x.example/acme/2" rel="noopener">x</a>' in ops.text
    assert "sofa-tip on x (tip)" in ops.text and "held</strong>, major incident pay open" in ops.text
    ledger.close()


def test_a_maintenance_page_and_the_history_by_month(site):
    web = client(site, FakeClock(T0))
    page = web.get("/maintenance/db/").text
    assert "Database upgrade" in page and "Scheduled" in page and "Checkout is unavailable" in page
    history = web.get("/history/").text
    assert history.index("December 2026") < history.index("October 2026")
    assert 'href="/incidents/old/"' in history and 'href="/maintenance/db/"' in history


def test_times_are_in_the_brand_zone_without_script_and_name_the_zone(site):
    page = client(site, FakeClock(T0)).get("/").text
    assert 'data-zone="Europe/Berlin"' in page and "UTC" not in re.sub(r'datetime="[^"]+"', "", page)
    assert '<time datetime="2026-12-01T10:20:00+01:00">Tue 01 Dec 2026, 10:20 CET</time>' in page


# -- subscriptions ---------------------------------------------------------------------------------
def test_feeds_title_every_update_with_its_state_and_maintenance_by_name(site):
    web = client(site, FakeClock(T0))
    feed = web.get("/feed.json").json()
    titles = [i["title"] for i in feed["items"]]
    assert titles[:3] == ["Maintenance: Database upgrade (05 Dec 02:00–03:00 CET)",
                          "Identified: Card payments <b>fail</b>", "Investigating: Card payments <b>fail</b>"]
    assert feed["items"][1]["url"] == "https://status.acme.example/incidents/pay/"
    atom = ET.fromstring(web.get("/feed.atom").content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert [e.findtext("a:title", namespaces=ns) for e in atom.findall("a:entry", ns)][:3] == titles[:3]


def test_long_titles_are_cut_at_a_word_with_an_ellipsis():
    text = "Investigating: " + "checkout payments are failing for some customers " * 3
    short = shorten(text, 60)
    assert len(short) <= 60 and short.endswith("…")
    assert text.startswith(short[:-1]) and text[len(short) - 1] == " "  # cut where a word ended
    assert shorten("Short title") == "Short title"


def test_status_ics_has_the_maintenance_and_the_incidents(site):
    from icalendar import Calendar

    cal = Calendar.from_ical(client(site, FakeClock(T0)).get("/status.ics").content)
    summaries = sorted(str(e["summary"]) for e in cal.walk("VEVENT"))
    assert "[maintenance] Database upgrade" in summaries and any("Card payments" in s for s in summaries)


def test_the_statuspage_api_is_served(site):
    summary = client(site, FakeClock(T0)).get("/api/v2/summary.json").json()
    assert summary["status"]["indicator"] == "major" and summary["incidents"][0]["id"] == "pay"


def test_calendar_ics_needs_the_token_and_answers_etags(site):
    from scheduler.web.context import calendar_token

    clock = FakeClock(T0)
    assert client(site, clock).get("/calendar.ics?token=x").status_code == 404  # no token set: off
    web = client(site, clock, token="s3cret-token")
    feed = calendar_token("s3cret-token")
    assert web.get("/calendar.ics").status_code == 403
    assert web.get(f"/calendar.ics?token={feed[:-1]}").status_code == 403
    assert web.get("/calendar.ics?token=s3cret-token").status_code == 403  # the review room's own token: refused
    ok = web.get(f"/calendar.ics?token={feed}")
    assert ok.status_code == 200 and ok.headers["content-type"].startswith("text/calendar")
    assert b"Sofa care tip" in ok.content and b"Database upgrade" in ok.content
    again = web.get(f"/calendar.ics?token={feed}", headers={"If-None-Match": ok.headers["etag"]})
    assert again.status_code == 304
    import recurring_ical_events
    from icalendar import Calendar

    week = recurring_ical_events.of(Calendar.from_ical(ok.content)).between(datetime(2026, 12, 1), datetime(2026, 12, 8))
    tips = sorted(e["dtstart"].dt for e in week if "Sofa care tip" in str(e.get("description", "")) + str(e["summary"]))
    assert len(tips) == 7 and tips[0].astimezone(UTC) == datetime(2026, 12, 1, 9, 10, tzinfo=UTC)  # 10:10 Berlin


# -- operations ------------------------------------------------------------------------------------
def test_healthz_is_ready_only_while_an_engine_beats(site):
    clock = FakeClock(T0)
    web = client(site, clock)
    first = web.get("/healthz")
    assert first.status_code == 503 and first.json()["alive"] and not first.json()["ready"]
    ledger = Ledger(f"sqlite:///{site / 'state.db'}")
    ledger.beat("engine-1", T0, {}, started=True)
    web.app.state.ctx.refresh()  # the watcher reads the ledger in the background; here at once
    ready = web.get("/healthz")
    assert ready.status_code == 200 and ready.json() == {"alive": True, "ready": True, "ledger": "ok",
                                                         "heartbeat_age_seconds": 0.0}
    clock.advance(timedelta(seconds=61))
    assert web.get("/healthz").status_code == 503
    ledger.close()


@pytest.mark.parametrize("opened_first", [False, True])
def test_healthz_says_a_deleted_ledger_is_gone_not_that_there_is_none_yet(site, caplog, opened_first):
    """A ledger deleted while the server runs (its marker left beside it) is gone, as `herald
    run` and the CLI say: /healthz answers 503 with that reason (never the file's path), not
    "no ledger yet", and the server's log names the file once."""
    clock = FakeClock(T0)
    ledger = Ledger(f"sqlite:///{site / 'state.db'}")
    ledger.beat("engine-1", T0, {}, started=True)
    ledger.close()
    web = client(site, clock)
    if opened_first:  # the server had read it before it was deleted
        web.app.state.ctx.refresh()
        assert web.get("/healthz").status_code == 200
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        (site / name).unlink(missing_ok=True)
    assert (site / "state.db.marker").exists()
    web.app.state.ctx.refresh()
    answer = web.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["ledger"] == ("the ledger is gone: restore it from a backup, or start over with "
                                       "herald run --new-ledger")
    assert str(site) not in answer.text
    web.app.state.ctx.refresh()
    gone = [r.getMessage() for r in caplog.records if "is gone" in r.getMessage()]
    assert len(gone) == 1 and str(site / "state.db") in gone[0]
    assert web.get("/").status_code == 200  # the pages still show the files
    assert not (site / "state.db").exists()  # reading never creates one
    web.app.state.ctx.close()


def test_a_ledger_made_anew_after_one_was_deleted_is_read_not_the_deleted_one(site):
    """`herald run --new-ledger` (or a restore) after the file was deleted under a running server:
    the server reads the new file, not the deleted one its old connections still hold (review)."""
    clock = FakeClock(T0)
    old = Ledger(f"sqlite:///{site / 'state.db'}")
    old.beat("old-engine", T0, {}, started=True)
    old.close()
    web = client(site, clock)
    ctx = web.app.state.ctx
    ctx.refresh()
    assert [e["id"] for e in ctx.existing_ledger().engines()] == ["old-engine"]
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        (site / name).unlink(missing_ok=True)
    ctx.refresh()
    assert web.get("/healthz").status_code == 503
    new = Ledger(f"sqlite:///{site / 'state.db'}", start_over=True)
    new.beat("new-engine", T0, {}, started=True)
    new.close()
    ctx.refresh()
    assert [e["id"] for e in ctx.existing_ledger().engines()] == ["new-engine"]
    assert "is gone" not in web.get("/healthz").text
    ctx.close()


def test_metrics_count_publications_lateness_reaction_and_engine_counters(site):
    from scheduler import metrics

    ledger = Ledger(f"sqlite:///{site / 'state.db'}")
    first = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    sent(ledger, "a" * 32, "incident:pay", "pay", "x", "status", first, "https://x.example/1", first)
    ledger.settle(Item("c" * 32, "post:sofa-tip", "sofa-tip", "x", "tip", first), State.HELD, T0, "held")
    metrics.reload_error("cal.yaml")
    web = client(site, FakeClock(T0))
    web.app.state.ctx.refresh()
    text = web.get("/metrics").text
    assert 'herald_publications{network="x",state="sent"} 1.0' in text
    assert 'herald_publications{network="x",state="held"} 1.0' in text
    assert 'herald_incident_reaction_seconds_bucket{le="5.0",network="x"} 1.0' in text
    assert 'herald_incident_reaction_seconds_bucket{le="2.0",network="x"} 0.0' in text  # sent 3 s after
    assert 'herald_publication_lateness_seconds_count{network="x"} 1.0' in text
    assert re.search(r'herald_reload_errors_total\{file="cal.yaml"\} [1-9]', text)
    ledger.close()


# -- export and the site channel: one renderer -------------------------------------------------------
def test_export_site_writes_the_same_pages_with_relative_links(site, capsys):
    out = site / "out"
    code = main(["export-site", str(out), "--calendar", str(site / "cal.yaml"), "--status", str(site / "status.yaml")],
                clock=FakeClock(T0))
    assert code == 0
    index = (out / "index.html").read_text()
    assert 'href="./incidents/pay/"' in index and 'href="./static/site.css"' in index and "data-live" not in index
    incident = (out / "incidents" / "pay" / "index.html").read_text()
    assert 'href="../../static/site.css"' in incident and "Our payment provider has an outage" in incident
    for name in ("history/index.html", "maintenance/db/index.html", "feed.atom", "feed.json", "status.ics",
                 "api/v2/summary.json", "static/site.js", "brand.css"):
        assert (out / name).exists(), name
    served = client(site, FakeClock(T0)).get("/").text
    assert _main(served).replace('"/', '"./') == _main(index)


def _main(html: str) -> str:
    return html[html.index('<main id="main">'):html.index("</main>")]


def test_a_broken_status_save_keeps_the_last_good_page(site):
    web = client(site, FakeClock(T0))
    assert "Card payments" in web.get("/").text
    (site / "status.yaml").write_text(STATUS.replace("impact: major", "impact: enormous"))
    page = web.get("/")
    assert page.status_code == 200 and "Card payments" in page.text


def test_a_status_file_that_never_loaded_is_a_one_line_503(site):
    (site / "status.yaml").write_text("components: {checkout: {name: Checkout}\n")
    response = client(site, FakeClock(T0)).get("/")
    assert response.status_code == 503 and response.text.startswith("Unavailable: ")
    assert "status.yaml:" in response.text and "\n" not in response.text and "Traceback" not in response.text


def test_serve_rejects_a_bad_bind_in_one_line(site, capsys):
    code = main(["serve", "--bind", "localhost", "--calendar", str(site / "cal.yaml")], clock=FakeClock(T0))
    err = capsys.readouterr().err
    assert code == 2 and "--bind 'localhost': write HOST:PORT" in err and "Traceback" not in err


def test_serve_on_a_port_in_use_is_one_line_and_exit_3(site, capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["serve", "--bind", f"127.0.0.1:{port}", "--calendar", str(site / "cal.yaml"),
                     "--status", str(site / "status.yaml")], clock=FakeClock(T0))
    err = capsys.readouterr().err
    assert code == 3 and f"--bind 127.0.0.1:{port}: cannot listen there" in err and "Traceback" not in err


def test_engine_serve_in_the_calendar_is_validated(site, capsys):
    (site / "cal.yaml").write_text(CALENDAR + "engine: {serve: nowhere}\n")
    code = main(["validate", str(site / "cal.yaml")], clock=FakeClock(T0))
    err = capsys.readouterr().err + capsys.readouterr().out
    assert code == 1 and "HOST:PORT" in err


# -- live: a real server on 127.0.0.1 ------------------------------------------------------------
@pytest.mark.slow
def test_an_incident_declared_from_the_cli_is_live_within_two_seconds(site, capsys):
    (site / "status.yaml").write_text("components:\n  checkout: {name: Checkout}\n")
    ctx = WebContext(str(site / "cal.yaml"), str(site / "status.yaml"), f"sqlite:///{site / 'state.db'}")
    server = serve(create_app(ctx), "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        before = httpx.get(base + "/live.json").json()["version"]
        assert "All Systems Operational" in httpx.get(base + "/").text
        code = main(["incident", "declare", "--calendar", str(site / "cal.yaml"), "--status", str(site / "status.yaml"),
                     "--title", "Checkout down", "--impact", "critical", "--component", "checkout",
                     "-m", "Nobody can pay."])
        assert code == 0
        declared = time.monotonic()
        while httpx.get(base + "/live.json").json()["version"] == before:
            assert time.monotonic() - declared < 2.0, "the live version did not change within 2 s"
            time.sleep(0.05)
        page = httpx.get(base + "/").text
        assert page.index("Checkout down") < page.index('id="comp-h"') and "Major outage" in page
    finally:
        server.should_exit = True
        thread.join(5)
        ctx.close()


@pytest.mark.slow
def test_herald_run_serves_the_site_when_the_calendar_asks(site):
    import socket

    from scheduler.daemon import Daemon
    from scheduler.networks.memory import MemoryPublisher

    with socket.socket() as probe:  # a free port on 127.0.0.1
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (site / "cal.yaml").write_text(CALENDAR + f'engine: {{serve: "127.0.0.1:{port}"}}\n')
    clock = FakeClock(T0)
    daemon = Daemon(str(site / "cal.yaml"), Ledger(f"sqlite:///{site / 'state.db'}"),
                    status_path=str(site / "status.yaml"), clock=clock, watch=False,
                    publishers={"x": MemoryPublisher("x")})
    daemon.start()
    try:
        deadline = time.monotonic() + 10
        while not daemon.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        health = httpx.get(f"http://127.0.0.1:{port}/healthz")
        while health.json()["ledger"] == "checking" and time.monotonic() < deadline:  # the watcher's first read
            time.sleep(0.02)
            health = httpx.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200 and health.json()["ready"]  # the engine's own start-up beat
        assert "Card payments" in httpx.get(f"http://127.0.0.1:{port}/").text
    finally:
        daemon.shutdown()
    assert not daemon._server_thread.is_alive()


@pytest.mark.slow
def test_herald_run_serve_serves_the_site_whatever_the_calendar_says(site):
    # the container: the engine and the site together, the calendar saying nothing of serving
    import socket

    from scheduler.daemon import Daemon
    from scheduler.networks.memory import MemoryPublisher

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert "engine:" not in (site / "cal.yaml").read_text()
    daemon = Daemon(str(site / "cal.yaml"), Ledger(f"sqlite:///{site / 'state.db'}"), status_path=str(site / "status.yaml"),
                    clock=FakeClock(T0), watch=False, publishers={"x": MemoryPublisher("x")}, serve=f"127.0.0.1:{port}")
    daemon.start()
    try:
        deadline = time.monotonic() + 10
        while not daemon.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "Card payments" in httpx.get(f"http://127.0.0.1:{port}/").text
    finally:
        daemon.shutdown()


def test_herald_run_passes_serve_to_the_engine_and_refuses_a_bad_address(site, monkeypatch, capsys):
    import scheduler.daemon

    seen = {}

    class Recorded:
        def __init__(self, *args, **kwargs):
            seen.update(kwargs)

        def run_forever(self):
            pass

    monkeypatch.setattr(scheduler.daemon, "Daemon", Recorded)
    args = ["run", "--calendar", str(site / "cal.yaml"), "--status", str(site / "status.yaml")]
    assert main([*args, "--serve", "0.0.0.0:8081"], clock=FakeClock(T0)) == 0
    assert seen["serve"] == "0.0.0.0:8081"
    seen.clear()
    assert main([*args, "--serve", "nowhere"], clock=FakeClock(T0)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert not seen and err[-1].endswith("--serve 'nowhere': write HOST:PORT, e.g. 127.0.0.1:8080"), err


def test_reading_pages_never_creates_a_ledger(site):
    web = client(site, FakeClock(T0))
    for path in ("/", "/incidents/pay/", "/live.json", "/metrics", "/healthz"):
        assert web.get(path).status_code in (200, 503), path
    assert web.get("/healthz").json()["ledger"] == "no ledger yet: no engine has run"
    assert not (site / "state.db").exists()
