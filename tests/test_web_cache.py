"""The served site's cost per request: pages and API files are built once per change of what
they show (files, the ledger rows they read, the minute), one file at a time, and served from
a bounded cache; /metrics reads no rows per scrape and names no account; the incident page
shows all of an incident's announcements."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, insert
from starlette.testclient import TestClient

from scheduler.clock import FakeClock
from scheduler.ledger import Item, Ledger, State
from scheduler.ledger.schema import publications_table, to_db
from scheduler.render.site import API_FILES, Renderer
from scheduler.web.app import create_app
from scheduler.web.context import WebContext
from scheduler.web.metrics import LATENESS_BUCKETS
from scheduler.web.site import PageCache
from tests.test_web_site import CALENDAR, STATUS, T0, sent


@pytest.fixture
def site(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("HERALD_REVIEW_TOKEN", raising=False)
    (tmp_path / "cal.yaml").write_text(CALENDAR)
    (tmp_path / "status.yaml").write_text(STATUS)
    return tmp_path


def served(folder: Path, clock: FakeClock) -> tuple[TestClient, WebContext]:
    ctx = WebContext(str(folder / "cal.yaml"), str(folder / "status.yaml"), f"sqlite:///{folder / 'state.db'}", clock)
    return TestClient(create_app(ctx)), ctx


def many_incidents(n: int) -> str:
    lines = ["components:", "  checkout: {name: Checkout}", "incidents:"]
    for k in range(n):
        start = T0 - timedelta(days=1 + k % 300, minutes=k)
        lines += [f"  - id: i{k}", f"    title: Incident {k}", "    impact: minor", "    components: [checkout]",
                  "    updates:", f"      - at: {start.isoformat(timespec='minutes')}", "        state: investigating",
                  "        message: Looking.", f"      - at: {(start + timedelta(minutes=30)).isoformat(timespec='minutes')}",
                  "        state: resolved", "        message: Fixed."]
    return "\n".join(lines) + "\n"


def count_statements(ctx: WebContext) -> list[str]:
    seen: list[str] = []
    db = ctx.ledger().db

    @event.listens_for(db, "before_cursor_execute")
    def _seen(conn, cursor, statement, *args):  # noqa: ANN001
        seen.append(statement)

    return seen


def test_a_page_is_built_once_and_then_served_from_the_cache_without_the_database(site):
    Ledger(f"sqlite:///{site / 'state.db'}").close()
    clock = FakeClock(T0)
    web, ctx = served(site, clock)
    ctx.refresh()
    statements = count_statements(ctx)
    first = web.get("/incidents/pay/")
    builds = ctx.pages.builds
    statements.clear()
    for _ in range(5):
        again = web.get("/incidents/pay/")
        assert again.text == first.text
    assert ctx.pages.builds == builds and statements == []  # cache hits: no render, no query
    assert web.get("/", headers={"If-None-Match": web.get("/").headers["etag"]}).status_code == 304
    # a new minute, or a save of the status file, builds it again
    builds = ctx.pages.builds
    clock.advance(timedelta(minutes=1))
    web.get("/incidents/pay/")
    assert ctx.pages.builds == builds + 1


@pytest.mark.slow
def test_a_ledger_write_rebuilds_only_the_pages_that_show_it(site):
    url = f"sqlite:///{site / 'state.db'}"
    ledger = Ledger(url)
    web, ctx = served(site, FakeClock(T0))
    ctx.refresh()
    for path in ("/", "/incidents/pay/", "/api/v2/summary.json", "/feed.json", "/history/"):
        web.get(path)
    builds = ctx.pages.builds
    # a calendar post sent to X: no page shows it
    sent(ledger, "d" * 32, "post:sofa-tip", "sofa-tip", "x", "tip", T0 - timedelta(minutes=15), "https://x.example/9",
         T0 - timedelta(minutes=15))
    ctx.refresh()
    for path in ("/", "/incidents/pay/", "/api/v2/summary.json", "/feed.json", "/history/"):
        web.get(path)
    assert ctx.pages.builds == builds
    # an announcement of the incident: where it was announced is for ops, on no public page
    sent(ledger, "e" * 32, "incident:pay", "pay", "x", "status", T0 - timedelta(minutes=5), "https://x.example/10",
         T0 - timedelta(minutes=5))
    ctx.refresh()
    for path in ("/", "/incidents/pay/", "/api/v2/summary.json", "/feed.json", "/history/"):
        assert "x.example/10" not in web.get(path).text
    assert ctx.pages.builds == builds
    # a post of the site channel: the front page lists it, nothing else changes
    sent(ledger, "f" * 32, "post:sofa-tip", "sofa-tip", "site", "tip", T0 - timedelta(minutes=2), "",
         T0 - timedelta(minutes=2))
    ctx.refresh()
    for path in ("/", "/incidents/pay/", "/api/v2/summary.json", "/feed.json", "/history/"):
        web.get(path)
    assert ctx.pages.builds == builds + 1
    ledger.close()


@pytest.mark.slow
def test_the_watchers_cheap_reads_alone_rebuild_the_pages_a_new_send_shows(site, monkeypatch):
    """Between two aggregate passes (every 15 s, or longer on a large ledger) the watcher only
    reads the new sends: an announcement or a site post among them changes the stamps at once."""
    from scheduler.web.context import LedgerWatch

    monkeypatch.setattr(LedgerWatch, "overview_interval", 1e9)  # no aggregate pass after the first
    url = f"sqlite:///{site / 'state.db'}"
    ledger = Ledger(url)
    web, ctx = served(site, FakeClock(T0))
    ctx.watch.refresh(full=False)
    overview_at = ctx.watch._overview_at
    for path in ("/", "/incidents/pay/", "/history/", "/api/v2/summary.json"):
        web.get(path)
    builds = ctx.pages.builds
    sent(ledger, "e" * 32, "incident:pay", "pay", "x", "status", T0 - timedelta(minutes=5), "https://x.example/10",
         T0 - timedelta(minutes=5))
    ctx.watch.refresh(full=False)
    assert ctx.watch._overview_at == overview_at  # the cheap path only
    for path in ("/", "/incidents/pay/", "/history/", "/api/v2/summary.json"):
        assert "x.example/10" not in web.get(path).text  # an announcement is for ops: no public page changes
    assert ctx.pages.builds == builds
    # a post sent to the site channel: the front page shows it, the incident page does not change
    builds = ctx.pages.builds
    sent(ledger, "f" * 32, "post:sofa-tip", "sofa-tip", "site", "tip", T0 - timedelta(minutes=2), "",
         T0 - timedelta(minutes=2))
    ctx.watch.refresh(full=False)
    assert ctx.watch._overview_at == overview_at
    web.get("/")
    web.get("/incidents/pay/")
    assert ctx.pages.builds == builds + 1
    ledger.close()


def test_concurrent_requests_for_a_stale_page_build_it_once(site):
    cache = PageCache()
    started, release = threading.Event(), threading.Event()
    calls = []

    def build() -> str:
        calls.append(1)
        started.set()
        release.wait(10)
        return "body"

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("/", 1, build).body)) for _ in range(8)]
    threads[0].start()
    started.wait(10)
    for t in threads[1:]:
        t.start()
    release.set()
    for t in threads:
        t.join(10)
    assert results == [b"body"] * 8 and len(calls) == 1


def test_the_cache_is_bounded_least_recently_used_first():
    cache = PageCache(max_bytes=10_000, max_entries=5)
    for n in range(20):
        cache.get(f"/incidents/{n}/", 1, lambda: "x" * 1000)
    assert len(cache._entries) <= 5 and cache._size <= 10_000
    cache = PageCache(max_bytes=4_000, max_entries=100)
    for n in range(20):
        cache.get(f"/incidents/{n}/", 1, lambda: "x" * 900)
    assert cache._size <= 4_000 and "/incidents/19/" in cache._entries and "/incidents/0/" not in cache._entries


@pytest.mark.slow
def test_an_unknown_incident_is_a_404_and_not_cached(site):
    web, ctx = served(site, FakeClock(T0))
    for n in range(50):
        assert web.get(f"/incidents/nope-{n}/").status_code == 404
    assert web.get("/api/v2/nothing.json").status_code == 404
    assert not any("nope" in name for name in ctx.pages._entries)


def test_each_api_file_is_computed_alone_and_equals_the_whole_api(site):
    (site / "status.yaml").write_text(many_incidents(120) + STATUS.split("incidents:")[0].split("components:")[0])
    ctx = WebContext(str(site / "cal.yaml"), str(site / "status.yaml"), f"sqlite:///{site / 'state.db'}",
                     FakeClock(T0))
    renderer = Renderer(ctx.site_data(announced=[], posts=False))
    whole = renderer.api()
    assert set(whole) == set(API_FILES)
    for name in API_FILES:
        assert renderer.api_file(name) == whole[name], name
    (site / "status.yaml").write_text(STATUS)
    renderer = Renderer(ctx.site_data(announced=[], posts=False))
    for name, data in renderer.api().items():
        assert renderer.api_file(name) == data, name


def test_an_api_file_does_not_build_the_other_api_files(site, monkeypatch):
    import status.statuspage

    def whole(*args, **kwargs):  # noqa: ANN002, ANN003
        raise AssertionError("every API file was computed for one")

    monkeypatch.setattr(status.statuspage, "api_files", whole)
    web, _ctx = served(site, FakeClock(T0))
    assert web.get("/api/v2/summary.json").json()["incidents"][0]["id"] == "pay"


@pytest.mark.slow
def test_the_ops_page_shows_an_incidents_announcements_however_many_others_there_are(site):
    url = f"sqlite:///{site / 'state.db'}"
    ledger = Ledger(url)
    old = T0 - timedelta(days=200)
    rows = [{"key": f"{n:032x}", "source": f"incident:other{n % 7}", "post": "other", "network": "x",
             "kind": "status", "scheduled_at": to_db(old + timedelta(seconds=n)), "state": "sent", "version": 2,
             "attempts": 1, "ambiguous": False, "created_at": to_db(old), "updated_at": to_db(old),
             "sent_at": to_db(old + timedelta(seconds=n + 1)), "remote_url": f"https://x.example/o{n}"}
            for n in range(5001)]
    with ledger.db.begin() as c:
        c.execute(insert(publications_table), rows)
    sent(ledger, "f" * 32, "incident:pay", "pay", "x", "status", datetime(2026, 12, 1, 9, 20, tzinfo=UTC),
         "https://x.example/acme/newest", T0)
    ledger.close()
    from tests.test_web_review import TOKEN, signed_in

    ctx = WebContext(str(site / "cal.yaml"), str(site / "status.yaml"), url, FakeClock(T0), review_token=TOKEN)
    with TestClient(create_app(ctx), follow_redirects=False) as web:
        ops = signed_in(web).get("/review/status").text
    incident = ops[ops.index('id="incident-pay"'):]
    assert 'href="https://x.example/acme/newest"' in incident[:incident.index("</article>")]


def test_metrics_read_no_rows_per_scrape_and_name_no_account(site):
    (site / "cal.yaml").write_text(CALENDAR.replace("  x: {type: x}", "  x: {type: x}\n  ops-chat: {type: webhook, "
                                                    "url: 'https://chat.internal.example/hook'}"))
    (site / "status.yaml").write_text(STATUS.replace("maintenance:", """alerts:
  - component: checkout
    labels: {service: checkout}
    severity:
      critical: {action: draft, announce: ops-chat}
maintenance:"""))
    url = f"sqlite:///{site / 'state.db'}"
    ledger = Ledger(url)
    first = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    sent(ledger, "a" * 32, "incident:pay", "pay", "x", "status", first, "https://x.example/1", first)
    sent(ledger, "b" * 32, "incident:drafted", "drafted", "ops-chat", "status", first, "", first)
    ledger.settle(Item("c" * 32, "post:sofa-tip", "sofa-tip", "x", "tip", first), State.HELD, T0, "held")
    web, ctx = served(site, FakeClock(T0))
    ctx.refresh()
    statements = count_statements(ctx)
    text = web.get("/metrics").text
    assert statements == []  # the scrape itself reads nothing
    assert 'herald_publications{network="x",state="sent"} 1.0' in text
    assert 'herald_incident_reaction_seconds_bucket{le="5.0",network="x"} 1.0' in text
    assert "ops-chat" not in text and "webhook" not in text  # neither the internal account nor its draft
    # a new send is counted at the next read by the sent_at index, not by reading every sent row
    sent(ledger, "e" * 32, "incident:pay", "pay", "x", "status", first, "https://x.example/2", first)
    ctx.refresh()
    reads_of_sent = [s for s in statements if "ORDER BY herald_publications.sent_at" in s]
    assert reads_of_sent and all("sent_at >=" in s for s in reads_of_sent)
    assert 'herald_incident_reaction_seconds_count{network="x"} 2.0' in web.get("/metrics").text
    ledger.close()


@pytest.mark.slow
def test_a_backlog_of_more_than_a_page_of_sends_within_the_overlap_does_not_freeze_the_tallies(site):
    from scheduler.ledger.reads import overview
    from scheduler.web.metrics import Tallies

    ledger = Ledger(f"sqlite:///{site / 'state.db'}")
    start = T0 - timedelta(hours=1)

    def row(key: str, sent_at: datetime) -> dict:
        return {"key": key, "source": "post:drain", "post": "drain", "network": "x", "kind": "tip",
                "scheduled_at": to_db(start), "state": "sent", "version": 2, "attempts": 1, "ambiguous": False,
                "created_at": to_db(start), "updated_at": to_db(sent_at), "sent_at": to_db(sent_at)}

    # a drained backlog: 6,000 sends within 5 minutes (more than a page, all inside the overlap)
    with ledger.db.begin() as c:
        c.execute(insert(publications_table), [row(f"a{n:031x}", start + timedelta(milliseconds=50 * n))
                                                for n in range(6000)])
    tallies, seen = Tallies(), []
    tallies.update(ledger.db, overview(ledger.db), {"x": "x"}, each=lambda r: seen.append(r[0]))
    assert len(seen) == 6000 and len(set(seen)) == 6000
    # ten later sends are all read, once, and a further update reads nothing again
    with ledger.db.begin() as c:
        c.execute(insert(publications_table), [row(f"b{n:031x}", start + timedelta(minutes=6, seconds=n))
                                                for n in range(10)])
    seen.clear()
    tallies.update(ledger.db, overview(ledger.db), {"x": "x"}, each=lambda r: seen.append(r[0]))
    assert sorted(seen) == [f"b{n:031x}" for n in range(10)]
    seen.clear()
    tallies.update(ledger.db, overview(ledger.db), {"x": "x"}, each=lambda r: seen.append(r[0]))
    assert seen == []
    assert tallies.lateness["x"][len(LATENESS_BUCKETS)] == 6010
    ledger.close()


def test_unresolved_incidents_older_than_the_fifty_latest_are_still_unresolved_in_the_api(site):
    from status.statuspage import api_files

    old_open = ("  - id: forgotten\n    title: Still open\n    impact: minor\n    components: [checkout]\n"
                "    updates:\n      - at: 2025-01-05T10:00\n        state: investigating\n        message: Looking.\n")
    (site / "status.yaml").write_text(many_incidents(60) + old_open)
    web, ctx = served(site, FakeClock(T0))
    for path in ("incidents/unresolved.json", "summary.json"):
        assert [i["id"] for i in web.get(f"/api/v2/{path}").json()["incidents"]] == ["forgotten"], path
    assert len(web.get("/api/v2/incidents.json").json()["incidents"]) == 50  # the list itself: the 50 latest
    status, brand = ctx.status().public(), ctx.calendar().brand
    whole = api_files(status, brand.name, brand.timezone, T0)
    assert [i["id"] for i in whole["incidents/unresolved.json"]["incidents"]] == ["forgotten"]


def test_after_a_save_one_thread_parses_the_status_file_while_the_others_wait_for_it(site, monkeypatch):
    import time

    import status.load

    ctx = WebContext(str(site / "cal.yaml"), str(site / "status.yaml"), f"sqlite:///{site / 'state.db'}",
                     FakeClock(T0))
    ctx.status()
    (site / "status.yaml").write_text(STATUS.replace("Card payments", "Card payments now"))
    real, calls, release = status.load.check, [], threading.Event()

    def check(*args, **kwargs):  # noqa: ANN002, ANN003
        calls.append(1)
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(status.load, "check", check)
    titles: list[str] = []
    threads = [threading.Thread(target=lambda: titles.append(ctx.status().incidents[0].title)) for _ in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10  # until every thread parses (one parse each) or waits for the one parse
    while len(calls) + getattr(ctx._status, "waiting", 0) < 8 and time.monotonic() < deadline:
        time.sleep(0.001)
    release.set()
    for t in threads:
        t.join(10)
    assert len(calls) == 1 and titles == ["Card payments now <b>fail</b>"] * 8


def test_a_status_file_that_never_loaded_is_parsed_again_at_the_next_request(site):
    from campaigns.errors import InvalidInput

    (site / "status.yaml").write_text(STATUS.replace("components: [checkout]", "components: [nowhere]", 1))
    ctx = WebContext(str(site / "cal.yaml"), str(site / "status.yaml"), f"sqlite:///{site / 'state.db'}",
                     FakeClock(T0))
    for _ in range(2):
        with pytest.raises(InvalidInput):
            ctx.status()
    assert ctx._status.flight is None and ctx._status.waiting == 0


def test_while_a_page_is_rebuilt_other_requests_get_the_version_before_at_once():
    """50 clients on an incident page waited behind each rebuild (the minute, a new send): p99 1 s
    in bench_hold. One request builds; the others are served the previous version meanwhile."""
    cache = PageCache()
    cache.get("/", 1, lambda: "old")
    started, release = threading.Event(), threading.Event()

    def build() -> str:
        started.set()
        release.wait(10)
        return "new"

    builder = threading.Thread(target=lambda: cache.get("/", 2, build))
    builder.start()
    started.wait(10)
    assert cache.get("/", 2, lambda: "built twice").body == b"old"  # not blocked: release is not set
    release.set()
    builder.join(10)
    assert cache.get("/", 2, lambda: "built twice").body == b"new"
