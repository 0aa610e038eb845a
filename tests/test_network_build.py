"""How publishers are built from the calendar's accounts, and rebuilt or closed on a reload."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaigns.calendar import loads
from campaigns.errors import ConfigError
from scheduler.clock import FakeClock
from scheduler.networks import build_publishers, close_unused
from scheduler.networks.base import OutgoingPost
from tests.receiver import Receiver

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def calendar(tmp_path: Path, networks: str, brand: str = "Acme"):
    text = f"brand: {{name: {brand}, timezone: UTC}}\nnetworks:\n{networks}"
    path = tmp_path / "content_calendar.yaml"
    path.write_text(text)
    return loads(text, str(path))


def post(key: str = "a" * 32) -> OutgoingPost:
    return OutgoingPost(key=key, source="post:p", post="p", kind="announcement", network="hooks",
                        network_type="webhook", scheduled_at=NOW, text="Hello")


class Closing:
    """Records which publishers were closed, by wrapping their close()."""

    def __init__(self, publishers):
        self.closed: list[str] = []
        for name, publisher in publishers.items():
            original = publisher.close

            def close(name=name, original=original):
                self.closed.append(name)
                original()

            publisher.close = close


def test_an_unchanged_account_keeps_its_publisher(tmp_path):
    networks = "  site: {type: site}\n  hooks: {type: webhook, url: 'http://127.0.0.1:9/in'}\n  team: {type: slack}\n"
    env = {"HERALD_TEAM_WEBHOOK_URL": "http://127.0.0.1:9/services/T0/B0/abcdefghijklmnop"}
    first = build_publishers(calendar(tmp_path, networks), FakeClock(NOW), env)
    closing = Closing(first)
    again = build_publishers(calendar(tmp_path, networks), FakeClock(NOW), env, previous=first)
    assert all(again[name] is first[name] for name in first)
    assert close_unused(first, again) == [] and closing.closed == []


def test_a_changed_option_credential_or_calendar_field_rebuilds_only_that_publisher(tmp_path):
    networks = "  site: {type: site}\n  hooks: {type: webhook, url: 'http://127.0.0.1:9/in'}\n  team: {type: slack}\n"
    env = {"HERALD_TEAM_WEBHOOK_URL": "http://127.0.0.1:9/services/T0/B0/abcdefghijklmnop"}
    first = build_publishers(calendar(tmp_path, networks), FakeClock(NOW), env)
    closing = Closing(first)

    # the webhook's url changes: a new webhook publisher; the others are kept
    moved = networks.replace("9/in", "9/elsewhere")
    second = build_publishers(calendar(tmp_path, moved), FakeClock(NOW), env, previous=first)
    assert second["hooks"] is not first["hooks"] and second["hooks"].url == "http://127.0.0.1:9/elsewhere"
    assert second["site"] is first["site"] and second["team"] is first["team"]
    close_unused(first, second)
    assert closing.closed == ["hooks"]

    # a credential's value changes: the Slack publisher is rebuilt with it
    env2 = {"HERALD_TEAM_WEBHOOK_URL": "http://127.0.0.1:9/services/T0/B0/qrstuvwxyzabcdef"}
    third = build_publishers(calendar(tmp_path, moved), FakeClock(NOW), env2, previous=second)
    assert third["team"] is not second["team"] and third["team"].secrets["WEBHOOK_URL"].endswith("qrstuvwxyzabcdef")
    assert third["hooks"] is second["hooks"]

    # the brand's name (the site's title) changes: the site is rebuilt, nothing else
    fourth = build_publishers(calendar(tmp_path, moved, brand="Acme Furniture"), FakeClock(NOW), env2,
                              previous=third)
    assert fourth["site"] is not third["site"] and fourth["site"].title == "Acme Furniture"
    assert fourth["hooks"] is third["hooks"] and fourth["team"] is third["team"]


def test_a_removed_or_disabled_account_has_its_publisher_closed(tmp_path):
    networks = "  hooks: {type: webhook, url: 'http://127.0.0.1:9/in'}\n  other: {type: webhook, url: 'http://127.0.0.1:9/b'}\n"
    first = build_publishers(calendar(tmp_path, networks), FakeClock(NOW), {})
    closing = Closing(first)
    fewer = "  hooks: {type: webhook, url: 'http://127.0.0.1:9/in', enabled: false}\n"
    second = build_publishers(calendar(tmp_path, fewer), FakeClock(NOW), {}, previous=first)
    assert second == {}
    assert sorted(p.name for p in close_unused(first, second)) == ["hooks", "other"]
    assert sorted(closing.closed) == ["hooks", "other"]


def test_overrides_are_kept_and_never_closed(tmp_path):
    from scheduler.networks.memory import MemoryPublisher

    networks = "  hooks: {type: webhook, url: 'http://127.0.0.1:9/in'}\n"
    fake = MemoryPublisher("hooks")
    first = build_publishers(calendar(tmp_path, networks), FakeClock(NOW), {}, overrides={"hooks": fake})
    second = build_publishers(calendar(tmp_path, networks), FakeClock(NOW), {}, overrides={"hooks": fake},
                              previous=first)
    assert second["hooks"] is fake and close_unused(first, second) == []


def test_after_a_reload_a_changed_webhook_url_gets_the_posts(tmp_path):
    # Reproduces the reported bug: the engine said "reloaded" and kept posting to the old URL.
    with Receiver() as old, Receiver() as new:
        first = build_publishers(calendar(tmp_path, f"  hooks: {{type: webhook, url: '{old.url}/in'}}\n"),
                                 FakeClock(NOW), {})
        first["hooks"].publish(post("1" * 32))
        second = build_publishers(calendar(tmp_path, f"  hooks: {{type: webhook, url: '{new.url}/in'}}\n"),
                                  FakeClock(NOW), {}, previous=first)
        close_unused(first, second)
        second["hooks"].publish(post("2" * 32))
        assert [d["key"] for d in old.deliveries] == ["1" * 32]
        assert [d["key"] for d in new.deliveries] == ["2" * 32]


def test_a_failed_rebuild_names_the_account_and_leaves_nothing_open(tmp_path, monkeypatch):
    from scheduler.networks.webhook import WebhookPublisher

    closed = []
    monkeypatch.setattr(WebhookPublisher, "close", lambda self: closed.append(self.name))
    networks = "  hooks: {type: webhook, url: 'http://127.0.0.1:9/in'}\n  team: {type: slack}\n"
    with pytest.raises(ConfigError, match="set HERALD_TEAM_WEBHOOK_URL"):
        build_publishers(calendar(tmp_path, networks), FakeClock(NOW), {})
    assert closed == ["hooks"]


def test_every_network_type_is_built_from_its_account(tmp_path):
    networks = ("  x: {type: x}\n  masto: {type: mastodon, instance: 'https://social.example'}\n"
                "  sky: {type: bluesky, handle: acme.example}\n  fb: {type: facebook, page_id: '1'}\n"
                "  ig: {type: instagram, user_id: '1'}\n  th: {type: threads, user_id: '1'}\n"
                "  pin: {type: pinterest, board_id: '1'}\n  li: {type: linkedin, author: 'urn:li:organization:1'}\n"
                "  slack: {type: slack}\n  dc: {type: discord}\n  teams: {type: teams}\n"
                "  tg: {type: telegram, chat_id: '1'}\n  site: {type: site}\n"
                "  hook: {type: webhook, url: 'http://127.0.0.1:9/in'}\n  dry: {type: x, dry_run: true}\n")
    env = {f"HERALD_{name.upper()}_{key}": "value-123456" for name in
           ("x", "masto", "sky", "fb", "ig", "th", "pin", "li", "slack", "dc", "teams", "tg")
           for key in ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET", "APP_PASSWORD",
                       "PAGE_ACCESS_TOKEN", "WEBHOOK_URL", "BOT_TOKEN")}
    built = build_publishers(calendar(tmp_path, networks), FakeClock(NOW), env)
    assert {name: p.type for name, p in built.items()} == {
        "x": "x", "masto": "mastodon", "sky": "bluesky", "fb": "facebook", "ig": "instagram", "th": "threads",
        "pin": "pinterest", "li": "linkedin", "slack": "slack", "dc": "discord", "teams": "teams", "tg": "telegram",
        "site": "site", "hook": "webhook", "dry": "x"}
    assert type(built["dry"]).__name__ == "DryRunOnly"
    assert built["masto"].language == "en" and built["sky"].language == "en"
    close_unused(built, {})
