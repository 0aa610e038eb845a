"""Herald's HTTP limits hold on every network, the ones that send through an SDK too.

Each built-in network type's publisher (``campaigns.networks.BUILTIN_NETWORKS``) is pointed at
a local server on 127.0.0.1 that misbehaves: it trickles the body past the deadline (a byte every 50 ms, so no single read
waits long enough for a per-read timeout), answers 50 MB (declared, or close-delimited),
answers a gzip bomb, or redirects to another host. Each must fail with Herald's publish
error for that case, within the deadline and a small margin, without reading the oversized
body and without following the redirect. A network type added to ``BUILTIN_NETWORKS`` without a
driver here fails, named.
"""

from __future__ import annotations

import base64
import functools
import json
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from requests.adapters import HTTPAdapter

from campaigns.networks import BUILTIN_NETWORKS
from scheduler.clock import FakeClock
from scheduler.errors import Permanent, PublishError, Transient
from scheduler.http import DEFAULT_MAX_BYTES, DEFAULT_MAX_DECODED
from scheduler.networks import publisher_class
from scheduler.networks.base import OutgoingPost, Publisher
from tests.badserver import MB, Server, body_trickle, bomb, huge, redirect, reply

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DEADLINE = 1.0  # seconds: every publisher's ``timeout`` here
MARGIN = 1.0  # seconds past the deadline a failure may take to arrive
HUGE = 50 * MB

#: Channels that send nothing over the network (the site writes files): checked to open no connection.
SENDS_NOTHING = ("site",)


def _post(image_url: bool = False, image: dict[str, str] | None = None) -> OutgoingPost:
    if image_url:
        image = {"url": "https://images.acme.example/sofa.png", "alt": "A sofa"}
    return OutgoingPost(key="k" * 32, source="incident:pay", post="pay", kind="incident", network="n",
                        network_type="t", scheduled_at=NOW, text="Card payments work again.", image=image)


class ToServer(HTTPAdapter):
    """Sends every https request to the local server instead (X's hosts are not configurable)."""

    def __init__(self, base: str):
        super().__init__()
        self.base = base

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        request.url = self.base + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().send(request, **kwargs)


def _x(url: str, base_dir: str) -> Publisher:
    from scheduler.networks.x import XPublisher

    publisher = XPublisher("n", {"timeout": DEADLINE}, {"API_KEY": "ck", "API_SECRET": "cs", "ACCESS_TOKEN": "at",
                                                        "ACCESS_TOKEN_SECRET": "ats"}, FakeClock(NOW), base_dir=base_dir)
    publisher.session.mount("https://", ToServer(url))
    return publisher


def _mastodon(url: str, base_dir: str) -> Publisher:
    from scheduler.networks.mastodon import MastodonPublisher

    return MastodonPublisher("n", {"instance": url, "timeout": DEADLINE}, {"ACCESS_TOKEN": "tok"}, FakeClock(NOW),
                             base_dir=base_dir)


def _bluesky(url: str, base_dir: str) -> Publisher:
    from scheduler.networks.bluesky import BlueskyPublisher

    return BlueskyPublisher("n", {"handle": "acme.example", "service": url, "timeout": DEADLINE},
                            {"APP_PASSWORD": "app-pass"}, FakeClock(NOW), base_dir=base_dir)


def _webhook(url: str, base_dir: str) -> Publisher:
    from scheduler.networks.webhook import WebhookPublisher

    return WebhookPublisher("n", {"url": url + "/in", "timeout": DEADLINE}, FakeClock(NOW), env={})


def _rest(network: str, options: dict[str, str], secrets: dict[str, str]) -> Callable[[str, str], Publisher]:
    """A publisher of ``network`` with its API at the local server (``api_url``)."""
    def build(url: str, base_dir: str) -> Publisher:
        cls = publisher_class(network)
        return cls(  # type: ignore[call-arg]
            "n", {**options, "api_url": url, "timeout": DEADLINE}, secrets, FakeClock(NOW), base_dir=base_dir)

    return build


def _chat(network: str) -> Callable[[str, str], Publisher]:
    """A webhook chat (Slack, Discord, Teams) posting to the local server."""
    def build(url: str, base_dir: str) -> Publisher:
        cls = publisher_class(network)
        return cls("n", {"timeout": DEADLINE}, {"WEBHOOK_URL": url + "/hook/SECRET"},  # type: ignore[call-arg]
                   FakeClock(NOW), base_dir=base_dir)

    return build


#: network type -> (a publisher of it sending to the server at a URL, does its post carry an image url)
DRIVERS: dict[str, tuple[Callable[[str, str], Publisher], bool]] = {
    "webhook": (_webhook, False),
    "x": (_x, False),
    "mastodon": (_mastodon, False),
    "bluesky": (_bluesky, False),
    "facebook": (_rest("facebook", {"page_id": "1234"}, {"PAGE_ACCESS_TOKEN": "tok"}), False),
    "instagram": (_rest("instagram", {"user_id": "1789"}, {"ACCESS_TOKEN": "tok"}), True),
    "threads": (_rest("threads", {"user_id": "42"}, {"ACCESS_TOKEN": "tok"}), False),
    "pinterest": (_rest("pinterest", {"board_id": "987"}, {"ACCESS_TOKEN": "tok"}), True),
    "linkedin": (_rest("linkedin", {"author": "urn:li:organization:5515715"}, {"ACCESS_TOKEN": "tok"}), False),
    "telegram": (_rest("telegram", {"chat_id": "-100123"}, {"BOT_TOKEN": "123:SECRET"}), False),
    "slack": (_chat("slack"), False),
    "discord": (_chat("discord"), False),
    "teams": (_chat("teams"), False),
}

PUBLISHERS = [record.name for record in BUILTIN_NETWORKS]
NETWORKS = [network for network in PUBLISHERS if network not in SENDS_NOTHING]


@functools.cache
def _bomb() -> bytes:
    return bomb(200 * MB)  # about 200 KB on the wire, within the size cap; 200 MB once inflated


def _answer_trickle(server: Server, other: Server) -> None:
    server.routes["*"] = body_trickle(server.stop, count=200)  # 10 s, a byte every 50 ms


def _answer_huge(server: Server, other: Server) -> None:
    server.routes["*"] = huge(server, HUGE)


def _answer_huge_undeclared(server: Server, other: Server) -> None:
    server.routes["*"] = huge(server, HUGE, declared=False)


def _answer_bomb(server: Server, other: Server) -> None:
    server.routes["*"] = reply(_bomb(), headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})


def _answer_redirect(server: Server, other: Server) -> None:
    other.routes["*"] = reply(b'{"id": "1"}', headers={"Content-Type": "application/json"})
    server.routes["*"] = redirect(other.url("/elsewhere", host="localhost"), 307)


#: case -> (how the server answers, the error Herald must raise, what its message says)
CASES: dict[str, tuple[Callable[[Server, Server], None], type[PublishError], tuple[str, ...]]] = {
    "trickle-past-deadline": (_answer_trickle, Transient, (f"did not answer within {DEADLINE:g} s",)),
    "over-size-cap": (_answer_huge, Transient, (
        "the answer from http://127.0.0.1:PORT/", f"is larger than {DEFAULT_MAX_BYTES} bytes; refused")),
    "over-size-cap-undeclared": (_answer_huge_undeclared, Transient, (
        "the answer from http://127.0.0.1:PORT/", f"is larger than {DEFAULT_MAX_BYTES} bytes; refused")),
    "gzip-bomb": (_answer_bomb, Transient, (
        "the decompressed answer from http://127.0.0.1:PORT/", f"is larger than {DEFAULT_MAX_DECODED} bytes; refused")),
    "cross-host-redirect": (_answer_redirect, Permanent, ("redirects to another host (127.0.0.1:PORT -> localhost:",)),
}


@pytest.fixture
def server():
    running = Server()
    yield running
    running.close()


@pytest.fixture
def other():
    running = Server()
    yield running
    running.close()


def test_every_network_is_driven_here_or_sends_nothing():
    missing = sorted(set(PUBLISHERS) - set(DRIVERS) - set(SENDS_NOTHING))
    assert not missing, f"networks without a driver in tests/test_network_limits.py: {', '.join(missing)}"
    assert set(DRIVERS) | set(SENDS_NOTHING) == set(PUBLISHERS)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("network", NETWORKS)
def test_each_limit_holds_on_each_network(network, case, server, other, tmp_path: Path):
    if network not in DRIVERS:
        pytest.fail(f"{network}: no driver in tests/test_network_limits.py DRIVERS; add one so its limits are tested")
    build, image_url = DRIVERS[network]
    answer, error, words = CASES[case]
    answer(server, other)
    publisher = build(server.url(""), str(tmp_path))
    assert type(publisher) is publisher_class(network)
    try:
        began = time.monotonic()
        with pytest.raises(error) as caught:
            publisher.publish(_post(image_url))
        took = time.monotonic() - began
    finally:
        publisher.close()
    port = str(server.server.server_address[1])
    assert all(word.replace("PORT", port) in str(caught.value) for word in words), caught.value
    assert took < DEADLINE + MARGIN, f"{network} took {took:.2f} s to fail"
    assert server.hits, "the request never reached the server"
    if case == "trickle-past-deadline":
        assert took >= DEADLINE * 0.9 and caught.value.ambiguous  # cut by the deadline; it may have been received
    if case.startswith("over-size-cap"):
        assert server.written < HUGE // 2, f"{server.written} of {HUGE} bytes went out"
    if case == "cross-host-redirect":
        assert other.hits == []


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000""1f15c4890000000d49444154789c636000"
                    "0000000500010d0a2db40000000049454e44ae426082")


def _jwt(expires: datetime) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'ES256K'})}.{part({'sub': 'did:plc:acme', 'exp': int(expires.timestamp())})}.sig"


def _bluesky_session(server: Server, access_expires: datetime) -> None:
    """createSession answers (once), with an access token expiring at ``access_expires``."""
    later = datetime.now(UTC) + timedelta(days=60)
    session = {"did": "did:plc:acme", "handle": "acme.example", "accessJwt": _jwt(access_expires),
               "refreshJwt": _jwt(later), "active": True}
    server.routes["/xrpc/com.atproto.server.createSession"] = reply(json.dumps(session).encode(),
                                                                    headers={"Content-Type": "application/json"})


def _mastodon_instance(server: Server) -> None:
    """The instance tells its version (Mastodon.py asks it before the first upload)."""
    version = {"uri": "social.example", "version": "4.3.0", "api_versions": {"mastodon": 2}}
    for path in ("/api/v1/instance/", "/api/v2/instance/"):
        server.routes[path] = reply(json.dumps(version).encode(), headers={"Content-Type": "application/json"})


#: the SDKs' other requests: (network, what the first misbehaving request is, its path)
SDK_PATHS = [
    ("x", "media upload", "/1.1/media/upload.json"),
    ("mastodon", "version probe", "/api/v1/instance/"),
    ("mastodon", "media upload", "/api/v2/media"),
    ("bluesky", "blob upload", "/xrpc/com.atproto.repo.uploadBlob"),
    ("bluesky", "session refresh", "/xrpc/com.atproto.server.refreshSession"),
]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize(("network", "what", "path"), SDK_PATHS, ids=[f"{n}-{w}" for n, w, _ in SDK_PATHS])
def test_the_sdks_uploads_and_session_refreshes_keep_the_limits(network, what, path, case, server, other,
                                                                 tmp_path: Path):
    (tmp_path / "sofa.png").write_bytes(PNG)
    answer, error, words = CASES[case]
    answer(server, other)
    if network == "bluesky":  # logs in first; its access token expired already when the refresh is tested
        now = datetime.now(UTC)
        _bluesky_session(server, now - timedelta(minutes=1) if what == "session refresh" else now + timedelta(hours=2))
    if (network, what) == ("mastodon", "media upload"):
        _mastodon_instance(server)
    publisher = DRIVERS[network][0](server.url(""), str(tmp_path))
    post = _post(image={"path": "sofa.png", "alt": "A sofa"} if what != "session refresh" else None)
    try:
        with pytest.raises(error) as caught:
            publisher.publish(post)
        failed = time.monotonic()
    finally:
        publisher.close()
    port = str(server.server.server_address[1])
    assert all(word.replace("PORT", port) in str(caught.value) for word in words), caught.value
    assert server.hits[-1].split("?")[0] == path, server.hits  # and the post itself was never sent
    took = failed - server.arrived[-1]  # the requests before it (a login, the version) answered normally
    assert took < DEADLINE + MARGIN, f"{network} took {took:.2f} s to fail after its {what} arrived"
    if case.startswith("over-size-cap"):
        assert server.written < HUGE // 2, f"{server.written} of {HUGE} bytes went out"
    if case == "cross-host-redirect":
        assert other.hits == []


def test_mastodon_asks_the_version_once_and_an_instance_before_4_0_still_gets_images(server, tmp_path: Path):
    """Mastodon.py, left to itself, asks an instance that does not tell its version again and
    again until Python's recursion limit; Herald asks once."""
    (tmp_path / "sofa.png").write_bytes(PNG)
    post = _post(image={"path": "sofa.png", "alt": "A sofa"})
    server.routes["/api/v1/instance/"] = reply(b'{"error": "down"}', 503, {"Content-Type": "application/json"})
    with pytest.raises(Transient, match="HTTP 503"):
        _mastodon(server.url(""), str(tmp_path)).publish(post)
    assert server.hits == ["/api/v1/instance/"]

    server.hits.clear()
    json_reply = functools.partial(reply, headers={"Content-Type": "application/json"})
    server.routes["/api/v1/instance/"] = json_reply(b'{"uri": "old.example", "version": "3.5.3"}')
    server.routes["/api/v2/media"] = json_reply(b'{"id": "7", "type": "image"}')
    server.routes["/api/v1/statuses"] = json_reply(b'{"id": "8", "url": "https://old.example/@acme/8"}')
    assert _mastodon(server.url(""), str(tmp_path)).publish(post).id == "8"
    assert server.hits == ["/api/v1/instance/", "/api/v2/instance/", "/api/v2/media", "/api/v1/statuses"]


def test_the_site_channel_opens_no_connection(tmp_path: Path, monkeypatch):
    """The site writes files and sends nothing: no HTTP limit to keep, so none is tested
    above; this proves it stays so."""
    from scheduler.networks.site import SitePublisher

    attempts: list[object] = []

    def refuse(sock: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("the site channel must not connect")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    for network in SENDS_NOTHING:
        publisher = publisher_class(network)("site", {}, FakeClock(NOW), base_dir=str(tmp_path),  # type: ignore[call-arg]
                                             title="Acme")
        assert isinstance(publisher, SitePublisher)
        ref = publisher.publish(_post())
        assert ref.id == "k" * 32 and (tmp_path / "public" / "index.html").exists()
    assert attempts == []
