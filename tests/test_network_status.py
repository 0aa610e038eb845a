"""One status-to-error rule for every HTTP publisher: the same answer means the same thing on
every network, unless the API says more in its own codes (tested with each network)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scheduler.clock import FakeClock
from scheduler.errors import AuthFailed, Permanent, RateLimited, Transient
from scheduler.networks import publisher_class
from scheduler.networks.base import OutgoingPost
from scheduler.networks.webhook import WebhookPublisher
from tests.fakeapi import FakeApi

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
OPTIONS = {"telegram": {"chat_id": "-1"}, "facebook": {"page_id": "1"}, "threads": {"user_id": "1"},
           "instagram": {"user_id": "1"}, "linkedin": {"author": "urn:li:organization:1"},
           "pinterest": {"board_id": "1"}}
NETWORKS = ["webhook", "slack", "discord", "teams", "telegram", "facebook", "threads", "linkedin", "pinterest"]


def publisher(network: str, api: FakeApi, tmp_path):
    clock = FakeClock(NOW)
    if network == "webhook":
        return WebhookPublisher("acct", {"url": api.url + "/in"}, clock)
    secrets = {"ACCESS_TOKEN": "tok", "PAGE_ACCESS_TOKEN": "tok", "BOT_TOKEN": "1:T",
               "WEBHOOK_URL": api.url + "/hook/1/T"}
    return publisher_class(network)("acct", {**OPTIONS.get(network, {}), "api_url": api.url}, secrets, clock,
                                    base_dir=str(tmp_path))


def post(api: FakeApi) -> OutgoingPost:
    image = {"url": api.url + "/img/s.png", "alt": "A sofa"}  # Pinterest needs one; Discord, LinkedIn upload it
    return OutgoingPost(key="k" * 32, source="post:p", post="p", kind="announcement", network="acct",
                        network_type="t", scheduled_at=NOW, text="Hello", image=image)


@pytest.mark.parametrize("network", NETWORKS)
@pytest.mark.parametrize("status, headers, error, check", [
    (429, {"Retry-After": "120"}, RateLimited, lambda e: e.retry_at == NOW + timedelta(seconds=120)),
    (503, {"Retry-After": "30"}, Transient, lambda e: e.ambiguous and e.retry_after == 30),
    (500, {}, Transient, lambda e: e.ambiguous),
    (408, {}, Transient, lambda e: not e.ambiguous),
    (401, {}, AuthFailed, lambda e: True),
    (422, {}, Permanent, lambda e: "422" in str(e)),
])
def test_the_same_answer_means_the_same_on_every_network(api, tmp_path, network, status, headers, error, check):
    def handle(method, path, request_headers, body):
        if path == "/img/s.png":
            return 200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n"
        return status, headers, "plain words, no API error body"

    api.handler = handle
    with pytest.raises(error) as info:
        publisher(network, api, tmp_path).publish(post(api))
    assert check(info.value), info.value


@pytest.mark.parametrize("network", ["facebook", "threads", "instagram"])
@pytest.mark.parametrize("status, headers, code, error, check", [
    # a Graph error body whose code says nothing more reads like any other answer with that status
    (429, {"Retry-After": "120"}, 999, RateLimited, lambda e: e.retry_at == NOW + timedelta(seconds=120)),
    (408, {}, 999, Transient, lambda e: not e.ambiguous),
    (403, {}, 999, AuthFailed, lambda e: True),
    (502, {}, 999, Transient, lambda e: e.ambiguous),
    # Meta's own codes refine it
    (400, {}, 190, AuthFailed, lambda e: True),
    (400, {}, 4, RateLimited, lambda e: e.retry_at == NOW + timedelta(minutes=15)),
    (400, {}, 506, Permanent, lambda e: "duplicate" in str(e)),
])
def test_graph_error_bodies_follow_the_same_rule_where_their_code_adds_nothing(api, tmp_path, network, status,
                                                                                headers, code, error, check):
    import json

    def handle(method, path, request_headers, body):
        if path == "/img/s.png":
            return 200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n"
        answer = {"error": {"message": "something", "type": "OAuthException", "code": code}}
        return status, {**headers, "Content-Type": "application/json"}, json.dumps(answer)

    api.handler = handle
    with pytest.raises(error) as info:
        publisher(network, api, tmp_path).publish(post(api))
    assert check(info.value), info.value
