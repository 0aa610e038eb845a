"""Upstream status feeds, read from a local server that answers like Statuspage and RSS providers."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scheduler.feeds import FeedReader, with_feeds
from status.load import loads
from tests.test_status import CALENDAR

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

# The shape of Statuspage's public GET /api/v2/incidents.json (fields as in its API documentation).
INCIDENTS = {
    "page": {"id": "abc", "name": "PayFast", "url": "https://status.payfast.example", "time_zone": "Etc/UTC",
             "updated_at": "2026-12-01T08:55:00.000Z"},
    "incidents": [{
        "id": "p31zjtct2jer", "name": "Elevated API errors", "status": "identified", "impact": "major",
        "created_at": "2026-12-01T08:40:00.000Z", "updated_at": "2026-12-01T08:55:00.000Z",
        "shortlink": "https://stspg.io/x",
        "incident_updates": [
            {"id": "u2", "status": "identified", "body": "A database failover is in progress.",
             "created_at": "2026-12-01T08:55:00.000Z", "display_at": "2026-12-01T08:55:00.000Z"},
            {"id": "u1", "status": "investigating", "body": "We see elevated error rates on card payments.",
             "created_at": "2026-12-01T08:40:00.000Z", "display_at": "2026-12-01T08:40:00.000Z"},
        ],
    }, {"id": "maint1", "name": "Planned work", "status": "scheduled", "impact": "maintenance",
        "created_at": "2026-12-01T08:00:00.000Z", "incident_updates": []}],
}
RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>ShipIt Status</title><link>https://status.shipit.example</link>
<item><title>Tracking delays</title><description>Investigating delays in tracking updates</description>
<pubDate>Tue, 01 Dec 2026 08:30:00 GMT</pubDate><guid>https://status.shipit.example/incidents/42</guid></item>
</channel></rss>"""


class Upstream:
    """Serves scripted answers; honours If-None-Match like a real provider."""

    def __init__(self):
        self.body, self.type, self.status, self.etag = b"", "application/json", 200, '"v1"'
        self.requests: list[dict] = []
        self.route = None  # a function of the handler that answers instead (the attacks)
        self.stop = threading.Event()
        self.written = 0
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                upstream.requests.append(dict(self.headers))
                if upstream.route is not None:
                    try:
                        upstream.route(self)
                    except OSError:  # the reader hung up on purpose
                        self.close_connection = True
                    return
                if upstream.status == 200 and self.headers.get("If-None-Match") == upstream.etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(upstream.status)
                self.send_header("Content-Type", upstream.type)
                self.send_header("ETag", upstream.etag)
                self.send_header("Content-Length", str(len(upstream.body)))
                self.end_headers()
                self.wfile.write(upstream.body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v2/incidents.json"


@pytest.fixture
def upstream():
    server = Upstream()
    yield server
    server.stop.set()
    server.server.shutdown()
    server.server.server_close()


def status_for(url: str, kind: str = "", extra: str = ""):
    return loads(f"""\
components:
  checkout: {{name: Checkout}}
feeds:
  - id: payfast
    url: {url}
    components: [checkout]
{('    type: ' + kind) if kind else ''}
{extra}""", CALENDAR)


def test_statuspage_incidents_become_ours_and_304s_cost_nothing(upstream):
    upstream.body = json.dumps(INCIDENTS).encode()
    status = status_for(upstream.url)
    reader = FeedReader()
    assert reader.poll(status.feeds[0], NOW) is True
    (incident,) = with_feeds(status, reader).incidents
    assert (incident.id, incident.title, incident.impact) == ("payfast-p31zjtct2jer", "PayFast: Elevated API errors",
                                                              "major")
    assert [u.state for u in incident.updates] == ["investigating", "identified"] and incident.components == ("checkout",)
    assert reader.poll(status.feeds[0], NOW + timedelta(minutes=2)) is False
    assert upstream.requests[-1]["If-None-Match"] == '"v1"'  # conditional GET, answered 304


def test_a_feed_that_is_down_or_returns_garbage_keeps_our_state_and_backs_off(upstream):
    upstream.body = json.dumps(INCIDENTS).encode()
    status = status_for(upstream.url)
    feed = status.feeds[0]
    reader = FeedReader()
    reader.poll(feed, NOW)
    before = with_feeds(status, reader)
    upstream.status, upstream.etag = 503, '"v2"'
    assert reader.poll(feed, NOW + timedelta(minutes=2)) is False
    assert reader.states["payfast"].next_poll == NOW + timedelta(minutes=2) + timedelta(minutes=4)  # 2 min x 2
    upstream.status, upstream.body = 200, b"<html>oops</html>"
    assert reader.poll(feed, NOW + timedelta(minutes=6)) is False
    assert reader.states["payfast"].last_error == "the answer is not JSON"
    assert reader.states["payfast"].next_poll == NOW + timedelta(minutes=6) + timedelta(minutes=8)
    assert with_feeds(status, reader) == before  # nothing cleared


def test_a_summary_feed_that_drops_an_incident_closes_ours(upstream):
    upstream.body = json.dumps(INCIDENTS).encode()
    status = status_for(upstream.url)
    reader = FeedReader()
    reader.poll(status.feeds[0], NOW)
    upstream.body, upstream.etag = json.dumps({"page": INCIDENTS["page"], "incidents": []}).encode(), '"v3"'
    assert reader.poll(status.feeds[0], NOW + timedelta(minutes=10)) is True
    (incident,) = with_feeds(status, reader).incidents
    assert incident.resolved and incident.updates[-1].at == NOW + timedelta(minutes=10)


def test_rss_items_become_incidents(upstream):
    upstream.body, upstream.type = RSS.encode(), "application/rss+xml"
    status = status_for(upstream.url, "rss")
    reader = FeedReader()
    assert reader.poll(status.feeds[0], NOW)
    (incident,) = with_feeds(status, reader).incidents
    assert incident.title == "ShipIt Status: Tracking delays" and incident.state == "investigating"
    assert incident.started == datetime(2026, 12, 1, 8, 30, tzinfo=UTC) and incident.impact == "minor"


def test_a_feed_can_only_mark_components(upstream):
    upstream.body = json.dumps(INCIDENTS).encode()
    status = status_for(upstream.url, extra="    create_incidents: false\n")
    reader = FeedReader()
    reader.poll(status.feeds[0], NOW)
    combined = with_feeds(status, reader)
    assert combined.incidents == () and combined.components["checkout"].status == "partial_outage"


def announced(upstream, tmp_path, answer: dict):
    """The feed answering ``answer``, polled once, through an engine publishing to a memory site:
    (status, reader, engine, site) after the engine ran what was due."""
    from scheduler.engine import Engine
    from scheduler.ledger import Ledger
    from scheduler.networks.memory import MemoryPublisher

    upstream.body = json.dumps(answer).encode()
    status = status_for(upstream.url)
    reader = FeedReader()
    reader.poll(status.feeds[0], NOW)
    site = MemoryPublisher("site", "site")
    engine = Engine(CALENDAR, Ledger(f"sqlite:///{tmp_path / 'db'}"), {"site": site}, "t",
                    status=with_feeds(status, reader))
    engine.replan(NOW)
    engine.run_due(NOW)
    return status, reader, engine, site


def test_feed_announcements_are_threaded_and_keyed_like_ours(upstream, tmp_path):
    status, reader, engine, site = announced(upstream, tmp_path, INCIDENTS)
    assert [p.text.split(":")[0] for p, _ in site.sent] == ["We're investigating a problem with Checkout",
                                                            "Update on PayFast"]
    reader.poll(status.feeds[0], NOW + timedelta(minutes=2))  # polled again: nothing new, nothing repeated
    engine.replan(NOW + timedelta(minutes=2), status=with_feeds(status, reader))
    assert engine.run_due(NOW + timedelta(minutes=2)) == [] and len(site.sent) == 2


def test_feed_mistakes_in_the_status_file():
    from status.load import check

    problems = check("s.yaml", CALENDAR, "feeds:\n  - id: f\n    url: https://a.example/x.json\n    every: 5s\n").problems
    assert [str(p) for p in problems] == ["s.yaml:4:12: poll a feed at most every 30 s (providers rate-limit polling)"]


# -- hostile upstreams: a feed can neither stall nor exhaust the engine ------------------------------------------------

MB = 1024 * 1024


def many_incidents(count: int, start: int = 0, resolved: bool = False) -> dict:
    def one(n: int) -> dict:
        at = (NOW - timedelta(minutes=300 - n)).isoformat().replace("+00:00", "Z")
        update = {"id": f"u{n}", "status": "resolved" if resolved else "investigating", "body": f"Problem {n}.",
                  "created_at": at, "display_at": at}
        return {"id": f"inc{n:04d}", "name": f"Problem {n}", "status": update["status"], "impact": "minor",
                "created_at": at, "incident_updates": [update]}

    return {"page": INCIDENTS["page"], "incidents": [one(n) for n in range(start, start + count)]}


@pytest.mark.slow
def test_a_gzip_bomb_is_refused_with_memory_bounded(upstream):
    import tracemalloc
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = b"".join([*(packer.compress(bytes(MB)) for _ in range(300)), packer.flush()])  # 300 MB in ~300 KB

    def answer(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(bomb)))
        h.end_headers()
        h.wfile.write(bomb)

    upstream.route = answer
    status = status_for(upstream.url)
    reader = FeedReader()
    tracemalloc.start()
    try:
        assert reader.poll(status.feeds[0], NOW) is False
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "decompressed answer" in reader.states["payfast"].last_error and "larger than 10485760" in \
        reader.states["payfast"].last_error
    assert peak < 40 * MB, peak
    assert reader.states["payfast"].next_poll == NOW + timedelta(minutes=4)  # backs off like any failure


def test_a_50_mb_body_is_refused_at_the_cap_without_reading_it_all(upstream):
    def answer(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Connection", "close")  # no length: only reading tells the size
        h.end_headers()
        chunk = b" " * 65536
        for _ in range(50 * MB // 65536):
            h.wfile.write(chunk)
            upstream.written += len(chunk)

    upstream.route = answer
    status = status_for(upstream.url)
    reader = FeedReader()
    assert reader.poll(status.feeds[0], NOW) is False
    assert "larger than 2097152 bytes" in reader.states["payfast"].last_error
    assert upstream.written < 20 * MB


@pytest.mark.slow
def test_a_feed_trickling_a_byte_at_a_time_is_cut_at_the_deadline(upstream):
    import time

    def answer(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", "60")
        h.end_headers()
        for _ in range(60):  # 3 s if nobody stops it
            if upstream.stop.wait(0.05):
                return
            h.wfile.write(b" ")

    upstream.route = answer
    status = status_for(upstream.url)
    reader = FeedReader(deadline=0.5)
    start = time.monotonic()
    assert reader.poll(status.feeds[0], NOW) is False
    assert time.monotonic() - start < 1.5
    assert "did not answer completely within 0.5 s" in reader.states["payfast"].last_error


def test_a_poll_in_progress_stops_when_cancelled(upstream):
    import time

    upstream.route = lambda h: upstream.stop.wait(30)
    status = status_for(upstream.url)
    reader = FeedReader(deadline=30)
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    start = time.monotonic()
    assert reader.poll(status.feeds[0], NOW, cancel=cancel) is False
    assert time.monotonic() - start < 1.0
    assert reader.states["payfast"].failures == 0  # a shutdown is not the provider's failure


def test_a_redirect_to_another_host_is_refused_and_never_fetched(upstream):
    decoy = Upstream()  # stands for a metadata address
    try:
        decoy.body = json.dumps(INCIDENTS).encode()

        def answer(h):
            h.send_response(302)
            h.send_header("Location", f"http://localhost:{decoy.server.server_address[1]}/latest/meta-data")
            h.send_header("Content-Length", "0")
            h.end_headers()

        upstream.route = answer
        status = status_for(upstream.url)
        reader = FeedReader()
        assert reader.poll(status.feeds[0], NOW) is False
        assert decoy.requests == []
        error = reader.states["payfast"].last_error
        assert "redirects to another host" in error and "127.0.0.1" in error and "localhost" in error
    finally:
        decoy.stop.set()
        decoy.server.shutdown()
        decoy.server.server_close()


def test_200_incidents_become_at_most_six_and_later_polls_stay_quiet(upstream):
    upstream.body = json.dumps(many_incidents(200)).encode()
    status = status_for(upstream.url)
    feed = status.feeds[0]
    reader = FeedReader()
    assert reader.poll(feed, NOW) is True
    incidents = with_feeds(status, reader).incidents
    assert len(incidents) == 6
    summary = next(i for i in incidents if "more" in i.id)
    assert summary.title == "PayFast: 195 more incidents reported" and not summary.resolved
    assert "https://status.payfast.example" in summary.updates[0].message
    # the five announced are the most recent ones
    assert sorted(i.id for i in incidents if i is not summary) == [f"payfast-inc{n:04d}" for n in range(195, 200)]

    upstream.etag = '"v2"'  # the same list again, and again with updates to summarised ones: nothing new
    assert reader.poll(feed, NOW + timedelta(minutes=2)) is False
    again = many_incidents(200)
    again["incidents"][0]["incident_updates"].append(
        {"id": "x", "status": "identified", "body": "Found it.", "created_at": "2026-12-01T08:59:00Z"})
    upstream.body, upstream.etag = json.dumps(again).encode(), '"v3"'
    reader.poll(feed, NOW + timedelta(minutes=4))
    assert with_feeds(status, reader).incidents == incidents

    fresh_reader = FeedReader()  # a restart: the same answer gives the same incidents (and keys)
    fresh_reader.poll(feed, NOW + timedelta(minutes=6))
    assert {i.id: i.updates[0] for i in with_feeds(status, fresh_reader).incidents} == \
        {i.id: i.updates[0] for i in incidents}

    seven = many_incidents(200)
    seven["incidents"] += many_incidents(7, start=200)["incidents"]  # seven more: five + one new summary
    upstream.body, upstream.etag = json.dumps(seven).encode(), '"v4"'
    assert reader.poll(feed, NOW + timedelta(minutes=8)) is True
    later = with_feeds(status, reader).incidents
    assert len(later) == 12 and sum("more" in i.id for i in later) == 2
    assert next(i for i in later if i.id == summary.id) == summary  # the first summary did not change

    upstream.body, upstream.etag = json.dumps({"page": INCIDENTS["page"], "incidents": []}).encode(), '"v5"'
    assert reader.poll(feed, NOW + timedelta(minutes=10)) is True  # all gone: every one resolved, once
    closed = with_feeds(status, reader).incidents
    assert all(i.resolved for i in closed) and len(closed) == 12
    assert [u.state for u in next(i for i in closed if i.id == summary.id).updates] == ["investigating", "resolved"]
    upstream.etag = '"v6"'
    assert reader.poll(feed, NOW + timedelta(minutes=12)) is False
    assert with_feeds(status, reader).incidents == closed


@pytest.mark.slow
def test_200_incidents_make_a_bounded_number_of_publications(upstream, tmp_path):
    *_, site = announced(upstream, tmp_path, many_incidents(200))
    assert 1 <= len(site.sent) <= 6


def test_one_more_than_the_cap_is_announced_without_a_summary(upstream):
    upstream.body = json.dumps(many_incidents(6)).encode()
    status = status_for(upstream.url)
    reader = FeedReader()
    reader.poll(status.feeds[0], NOW)
    incidents = with_feeds(status, reader).incidents
    assert len(incidents) == 6 and not any("more" in i.id for i in incidents)


def test_control_characters_are_removed_with_one_warning(upstream, caplog):
    raw = json.dumps(INCIDENTS)
    raw = raw.replace("Elevated API errors", "Elevated\\u0000 API\\u001b[31m errors\\u007f\\ufffe\\ud800")
    raw = raw.replace("A database failover", "A data\\u0007base\\r failover\\uffff")
    raw = raw.replace('"name": "PayFast"', '"name": "Pay\\u0008Fast"')
    upstream.body = raw.encode()
    status = status_for(upstream.url)
    reader = FeedReader()
    with caplog.at_level("WARNING", logger="herald.feeds"):
        reader.poll(status.feeds[0], NOW)
    (incident,) = with_feeds(status, reader).incidents
    assert incident.title == "PayFast: Elevated API[31m errors"
    # a lone CR is a line break (old Mac style), as everywhere in Herald: it becomes LF, not nothing
    assert incident.updates[1].message == "A database\n failover is in progress."
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == ["status feed payfast: removed 8 control character(s) from its text"]


def test_rss_text_loses_its_control_characters_too(upstream, caplog):
    upstream.body = RSS.replace("Tracking delays</title>", "Tracking&#x1b; delays&#127;</title>").encode()
    upstream.type = "application/rss+xml"
    status = status_for(upstream.url, "rss")
    reader = FeedReader()
    with caplog.at_level("WARNING", logger="herald.feeds"):
        reader.poll(status.feeds[0], NOW)
    (incident,) = with_feeds(status, reader).incidents
    assert incident.title == "ShipIt Status: Tracking delays"
    assert any("status feed payfast: removed" in r.getMessage() for r in caplog.records)
