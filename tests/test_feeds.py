"""Upstream status feeds, read from a local server that answers like Statuspage and RSS providers."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from status.feeds import FeedReader, with_feeds
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
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):  # noqa: N802
                upstream.requests.append(dict(self.headers))
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
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v2/incidents.json"


@pytest.fixture
def upstream():
    server = Upstream()
    yield server
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


def test_feed_announcements_are_threaded_and_keyed_like_ours(upstream, tmp_path):
    from scheduler.engine import Engine
    from scheduler.ledger import Ledger
    from scheduler.networks.memory import MemoryPublisher

    upstream.body = json.dumps(INCIDENTS).encode()
    status = status_for(upstream.url)
    reader = FeedReader()
    reader.poll(status.feeds[0], NOW)
    site = MemoryPublisher("site", "site")
    engine = Engine(CALENDAR, Ledger(f"sqlite:///{tmp_path / 'db'}"), {"site": site}, "t",
                    status=with_feeds(status, reader))
    engine.replan(NOW)
    engine.run_due(NOW)
    assert [p.text.split(":")[0] for p, _ in site.sent] == ["We're investigating a problem with Checkout",
                                                            "Update on PayFast"]
    reader.poll(status.feeds[0], NOW + timedelta(minutes=2))  # polled again: nothing new, nothing repeated
    engine.replan(NOW + timedelta(minutes=2), status=with_feeds(status, reader))
    assert engine.run_due(NOW + timedelta(minutes=2)) == [] and len(site.sent) == 2


def test_feed_mistakes_in_the_status_file():
    from status.load import check

    problems = check("s.yaml", CALENDAR, "feeds:\n  - id: f\n    url: https://a.example/x.json\n    every: 5s\n").problems
    assert [str(p) for p in problems] == ["s.yaml:4:12: poll a feed at most every 30 s (providers rate-limit polling)"]
