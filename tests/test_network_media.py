"""Images given by url are fetched through the publisher's HTTP client: its deadline, a size cap,
and a message that names the image without its secrets."""

from __future__ import annotations

import gzip
import threading
from datetime import UTC, datetime

import pytest

from scheduler.clock import FakeClock
from scheduler.errors import Permanent, Transient
from scheduler.networks import media
from scheduler.networks.base import OutgoingPost
from scheduler.networks.discord import DiscordPublisher
from tests.fakeapi import FakeApi

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def image_post(url: str) -> OutgoingPost:
    return OutgoingPost(key="k" * 32, source="post:p", post="p", kind="announcement", network="community",
                        network_type="discord", scheduled_at=NOW, text="New sofa", image={"url": url, "alt": "A sofa"})


def discord(api: FakeApi, timeout: float = 10) -> DiscordPublisher:
    return DiscordPublisher("community", {"timeout": timeout}, {"WEBHOOK_URL": api.url + "/api/webhooks/1/T"},
                            FakeClock(NOW))


def test_an_image_fetch_keeps_the_accounts_deadline(api):
    release = threading.Event()

    def handle(method, path, headers, body):
        if path.startswith("/img"):
            release.wait(5)  # answers only when the test is over
        return 200, {}, {"id": "1"}

    api.handler = handle
    try:
        with pytest.raises(Transient) as info:
            discord(api, timeout=0.2).publish(image_post(api.url + "/img/sofa.png?sig=IMAGE-SIGNATURE-42"))
    finally:
        release.set()
    assert "did not answer within 0.2 s" in str(info.value) and "IMAGE-SIGNATURE-42" not in str(info.value)
    assert not any(r["path"].startswith("/api/webhooks") for r in api.requests)  # nothing posted without it


def test_an_image_over_the_cap_is_refused_even_compressed(api, monkeypatch):
    monkeypatch.setattr(media, "MAX_IMAGE_BYTES", 1000)
    bomb = gzip.compress(b"\0" * 100_000)  # 100 kB inflated from a few hundred bytes

    def handle(method, path, headers, body):
        if path == "/img/big.png":
            return 200, {"Content-Type": "image/png"}, b"x" * 2000
        if path == "/img/bomb.png":
            return 200, {"Content-Type": "image/png", "Content-Encoding": "gzip"}, bomb
        return 200, {}, {"id": "1"}

    api.handler = handle
    for name in ("big", "bomb"):
        with pytest.raises(Permanent, match="is over 20 MB"):
            discord(api).publish(image_post(f"{api.url}/img/{name}.png"))
