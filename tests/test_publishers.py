"""Publishers against local servers: the webhook against a receiver on 127.0.0.1, the site on disk."""

from __future__ import annotations

import hashlib
import hmac
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from campaigns.errors import ConfigError
from scheduler.clock import FakeClock
from scheduler.errors import AuthFailed, Permanent, RateLimited, Transient
from scheduler.networks.base import OutgoingPost
from scheduler.networks.memory import MemoryPublisher
from scheduler.networks.site import SitePublisher
from scheduler.networks.webhook import WebhookPublisher
from tests.receiver import Receiver

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def post(key: str = "a" * 32, text: str = "Track it: https://acme.example/track") -> OutgoingPost:
    return OutgoingPost(key=key, source="post:p", post="p", kind="tracking", network="hooks",
                        network_type="webhook", scheduled_at=NOW, text=text, links={"help": "https://acme.example/h"})


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture(params=["memory", "webhook", "site"])
def publisher(request, receiver, tmp_path):
    clock = FakeClock(NOW)
    if request.param == "memory":
        return MemoryPublisher("hooks")
    if request.param == "webhook":
        return WebhookPublisher("hooks", {"url": receiver.url + "/in", "lookup_url": receiver.url + "/lookup"}, clock)
    return SitePublisher("site", {}, clock, base_dir=str(tmp_path), title="Acme")


# -- the contract every publisher keeps ------------------------------------------------------
def test_contract_publish_then_find_recent(publisher):
    assert publisher.find_recent(post()) is None
    ref = publisher.publish(post())
    assert ref.id
    assert publisher.find_recent(post()) is not None


def test_contract_find_recent_does_not_confuse_posts(publisher):
    publisher.publish(post("b" * 32))
    assert publisher.find_recent(post("c" * 32)) is None


# -- webhook -------------------------------------------------------------------------------------
def test_webhook_sends_the_documented_body_and_headers(receiver):
    clock = FakeClock(NOW)
    hook = WebhookPublisher("hooks", {"url": receiver.url + "/in", "secret_env": "HOOK_SECRET"}, clock,
                            env={"HOOK_SECRET": "s3cret"})
    receiver.secret = b"s3cret"
    ref = hook.publish(post())
    (delivery,) = receiver.deliveries
    assert ref.id == "msg-1"
    assert delivery["headers"]["Idempotency-Key"] == "a" * 32
    assert set(delivery["body"]) >= {"key", "post", "kind", "network", "scheduled_at", "text", "links"}
    assert delivery["body"]["scheduled_at"] == "2026-12-01T09:00:00+00:00"
    stamp = delivery["headers"]["X-Herald-Timestamp"]
    assert stamp == str(int(NOW.timestamp()))
    raw = hook.body(post())
    assert delivery["headers"]["X-Herald-Signature"] == "sha256=" + hmac.new(
        b"s3cret", stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()


def test_webhook_repeat_is_recognised_by_its_idempotency_key(receiver):
    hook = WebhookPublisher("hooks", {"url": receiver.url + "/in"}, FakeClock(NOW))
    first, second = hook.publish(post()), hook.publish(post())
    assert first.id == second.id == "msg-1" and len(receiver.accepted) == 1 and len(receiver.deliveries) == 2


def test_webhook_missing_secret_names_the_variable():
    with pytest.raises(ConfigError, match="set the environment variable HOOK_SECRET"):
        WebhookPublisher("hooks", {"url": "http://127.0.0.1:1/in", "secret_env": "HOOK_SECRET"}, FakeClock(NOW),
                         env={})


@pytest.mark.parametrize("status, headers, body, error, check", [
    (429, {"Retry-After": "120"}, '{"error": "slow down"}', RateLimited,
     lambda e: e.retry_at == NOW + timedelta(seconds=120)),
    (429, {"Retry-After": "Tue, 01 Dec 2026 09:30:00 GMT"}, "", RateLimited,
     lambda e: e.retry_at == NOW + timedelta(minutes=30)),
    (429, {"X-RateLimit-Reset": str(int((NOW + timedelta(minutes=5)).timestamp()))}, "", RateLimited,
     lambda e: e.retry_at == NOW + timedelta(minutes=5)),
    (503, {"Retry-After": "30"}, "maintenance", Transient, lambda e: e.retry_after == 30 and e.ambiguous),
    (500, {}, '{"message": "boom"}', Transient, lambda e: "HTTP 500: boom" in str(e)),
    (408, {}, "", Transient, lambda e: not e.ambiguous),
    (401, {}, '{"error": "token expired"}', AuthFailed, lambda e: "token expired" in str(e)),
    (403, {}, "", AuthFailed, lambda e: True),
    (422, {}, '{"error": "text too long"}', Permanent, lambda e: str(e) == "hooks: HTTP 422: text too long"),
    (400, {}, "<html>bad</html>", Permanent, lambda e: "HTTP 400" in str(e)),
])
def test_webhook_maps_each_answer_to_the_right_error(receiver, status, headers, body, error, check):
    receiver.answers.append((status, headers, body))
    hook = WebhookPublisher("hooks", {"url": receiver.url + "/in?token=SECRET-TOKEN"}, FakeClock(NOW))
    with pytest.raises(error) as info:
        hook.publish(post())
    assert check(info.value)
    assert "SECRET-TOKEN" not in str(info.value)


def test_webhook_timeout_is_transient_and_ambiguous(receiver):
    receiver.delay = 1.0
    hook = WebhookPublisher("hooks", {"url": receiver.url + "/in", "timeout": 0.2}, FakeClock(NOW))
    with pytest.raises(Transient) as info:
        hook.publish(post())
    assert info.value.ambiguous and "did not answer within 0.2 s" in str(info.value)


def test_webhook_connection_refused_is_transient_not_ambiguous():
    hook = WebhookPublisher("hooks", {"url": "http://127.0.0.1:9/in"}, FakeClock(NOW))
    with pytest.raises(Transient) as info:
        hook.publish(post())
    assert not info.value.ambiguous


# -- site -------------------------------------------------------------------------------------------
def test_site_escapes_user_text_and_links_urls(tmp_path: Path):
    site = SitePublisher("site", {"title": "Acme <status>"}, FakeClock(NOW), base_dir=str(tmp_path), title="x")
    site.publish(post(text='<script>alert("x")</script> & more: https://acme.example/track?a=1&b=2'))
    html = (tmp_path / "public" / "index.html").read_text()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in html
    assert '<a href="https://acme.example/track?a=1&amp;b=2">' in html
    assert "<title>Acme &lt;status&gt; status</title>" in html and '<html lang="en">' in html


def test_site_feeds_are_valid_and_carry_every_item(tmp_path: Path):
    site = SitePublisher("site", {"base_url": "https://status.acme.example"}, FakeClock(NOW), base_dir=str(tmp_path),
                         title="Acme")
    for i in range(3):
        site.publish(post(key=f"{i}" * 32, text=f"Update {i} <b>"))
    site.publish(post(key="1" * 32, text="Update 1, corrected"))  # same key: replaced, not added
    atom = ET.parse(tmp_path / "public" / "feed.atom").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = atom.findall("a:entry", ns)
    assert len(entries) == 3
    assert {e.find("a:content", ns).text for e in entries} == {"Update 0 <b>", "Update 1, corrected", "Update 2 <b>"}
    assert {e.find("a:content", ns).get("type") for e in entries} == {"text"}  # "<b>" is text, not markup
    feed = json.loads((tmp_path / "public" / "feed.json").read_text())
    assert feed["version"] == "https://jsonfeed.org/version/1.1" and len(feed["items"]) == 3
    assert feed["items"][0]["url"].startswith("https://status.acme.example/#")


# -- webhook threads: reply_to is the first post's remote id, never a publication key ---------------------------------
def test_webhook_409_without_an_id_asks_the_lookup_endpoint_for_it(receiver):
    hook = WebhookPublisher("hooks", {"url": receiver.url + "/in", "lookup_url": receiver.url + "/lookup"},
                            FakeClock(NOW))
    receiver.bare_conflicts = True
    first = hook.publish(post())
    again = hook.publish(post())  # 409 {"error": "already received"}: no id in it
    assert first.id == again.id == "msg-1"


def test_webhook_409_without_an_id_and_no_lookup_records_no_id_not_the_key(receiver):
    hook = WebhookPublisher("hooks", {"url": receiver.url + "/in"}, FakeClock(NOW))
    receiver.bare_conflicts = True
    hook.publish(post())
    assert hook.publish(post()).id is None


def test_webhook_2xx_without_an_id_records_no_id(receiver):
    receiver.answers.append((202, {}, ""))
    hook = WebhookPublisher("hooks", {"url": receiver.url + "/in"}, FakeClock(NOW))
    assert hook.publish(post()).id is None


def test_webhook_body_carries_the_thread_key_and_the_first_posts_id(receiver):
    from scheduler.networks.base import RemoteRef

    hook = WebhookPublisher("hooks", {"url": receiver.url + "/in"}, FakeClock(NOW))
    hook.publish(OutgoingPost(**{**post("b" * 32).__dict__, "reply_to": RemoteRef("msg-0"), "thread_key": "a" * 32}))
    (delivery,) = receiver.deliveries
    assert delivery["body"]["thread_key"] == "a" * 32 and delivery["body"]["reply_to"] == "msg-0"


INCIDENT = """\
incidents:
  - id: pay
    title: Card payments fail
    impact: major
    updates:
      - {at: '2026-12-01T08:55:00Z', state: investigating, message: Some card payments fail. We're on it.}
      - {at: '2026-12-01T08:56:00Z', state: identified, message: A certificate expired; renewing it.}
      - {at: '2026-12-01T08:58:00Z', state: resolved, message: Card payments work again.}
"""


@pytest.mark.parametrize("lookup", [True, False])
def test_replies_on_a_webhook_thread_under_the_first_posts_id_even_after_a_409_without_id(receiver, tmp_path,
                                                                                           lookup):
    # Reported: a receiver answering 409 without an id made Herald record the publication key as
    # the remote id, so later updates carried reply_to = a key instead of the first post's id.
    from campaigns.calendar import loads as load_calendar
    from scheduler.engine import Engine
    from scheduler.ledger import Ledger
    from status.load import loads as load_status

    receiver.received_before = lambda body: body["reply_to"] is None and "on it" in body["text"]
    options = {"url": receiver.url + "/in", **({"lookup_url": receiver.url + "/lookup"} if lookup else {})}
    hook = WebhookPublisher("hooks", options, FakeClock(NOW))
    calendar = load_calendar("brand: {name: Acme, timezone: UTC}\nnetworks:\n"
                             f"  hooks: {{type: webhook, url: '{receiver.url}/in'}}\nposts: []\n")
    engine = Engine(calendar, Ledger(f"sqlite:///{tmp_path / 'state.db'}"), {"hooks": hook}, "t",
                    status=load_status(INCIDENT, calendar))
    engine.replan(NOW)
    assert [o.result for o in engine.run_due(NOW)] == ["sent"] * 3
    first, *replies = receiver.deliveries
    keys = {d["key"] for d in receiver.deliveries}
    assert first["body"]["reply_to"] is None and len(replies) == 2
    for reply in replies:
        assert reply["body"]["reply_to"] not in keys  # never a publication key
        assert reply["body"]["reply_to"] == ("msg-1" if lookup else None)
