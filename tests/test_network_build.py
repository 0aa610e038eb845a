"""How publishers are built from the calendar's accounts, and rebuilt or closed on a reload; and
the contract every registered network type keeps (each test iterates the registry, so a new
record, built in or from another package, is held to it without a line here)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from campaigns.calendar import loads
from campaigns.errors import ConfigError
from campaigns.networks import NETWORK_TYPES, Resend
from scheduler.clock import FakeClock
from scheduler.networks import build_publishers, close_unused, publisher_class, publisher_of
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


def accounts(types) -> str:
    """One account per network type, named ``acct_<type>``, with an example of each required field."""
    return "".join(f"  acct_{t.name}: " + json.dumps({"type": t.name, **{key: t.fields[key]["examples"][0]
                                                                         for key in t.required}}) + "\n"
                   for t in types)


def secrets_of(types, leave_out: str = "") -> dict[str, str]:
    return {f"HERALD_ACCT_{t.name.upper()}_{key}": "value-123456" for t in types for key in t.secrets
            if key != leave_out}


@pytest.mark.slow
def test_every_network_type_is_built_from_its_account(tmp_path):
    types = list(NETWORK_TYPES.values())
    networks = accounts(types) + "  dry: {type: x, dry_run: true}\n"
    built = build_publishers(calendar(tmp_path, networks), FakeClock(NOW), secrets_of(types))
    assert {name: p.type for name, p in built.items()} == {**{f"acct_{t.name}": t.name for t in types}, "dry": "x"}
    assert all(type(built[f"acct_{t.name}"]) is publisher_class(t.name) for t in types)
    assert type(built["dry"]).__name__ == "DryRunOnly"
    assert built["acct_mastodon"].language == "en" and built["acct_bluesky"].language == "en"
    close_unused(built, {})


@pytest.mark.parametrize("kind", [t for t in NETWORK_TYPES.values() if t.secrets], ids=lambda t: t.name)
@pytest.mark.slow
def test_every_credential_a_record_names_is_required(tmp_path, kind):
    for secret in kind.secrets:
        with pytest.raises(ConfigError, match=f"set HERALD_ACCT_{kind.name.upper()}_{secret}"):
            build_publishers(calendar(tmp_path, accounts([kind])), FakeClock(NOW), secrets_of([kind], secret))


@pytest.mark.parametrize("kind", list(NETWORK_TYPES.values()), ids=lambda t: t.name)
def test_every_record_fits_its_publisher_and_the_shared_account_schema(kind):
    cls = publisher_class(kind.name)  # imported, a Publisher, and of the record's mind about re-sending
    assert cls.safe_to_resend == (kind.resend is not Resend.NEVER)
    for other in NETWORK_TYPES.values():  # one account schema holds every type's fields: a name means one thing
        assert all(other.fields[key] == schema for key, schema in kind.fields.items() if key in other.fields)
    for key in kind.required:  # what the contract tests build its account with is a valid value
        Draft7Validator(kind.fields[key]).validate(kind.fields[key]["examples"][0])


def test_a_record_whose_class_contradicts_it_is_refused_by_name():
    site = NETWORK_TYPES["site"]
    cases = [
        (replace(site, resend=Resend.NEVER), "record says re-sends are 'never' but SitePublisher.safe_to_resend is True"),
        (replace(site, publisher="scheduler.networks.base:fingerprint"), "is not a Publisher subclass"),
        (replace(site, publisher="no_such_module:Publisher"),
         "cannot be imported (ModuleNotFoundError: No module named 'no_such_module')"),
    ]
    for record, message in cases:
        with pytest.raises(ConfigError, match=re.escape(message)):
            publisher_of(record)


def test_what_a_network_is_allowed_comes_from_its_record_not_a_list_elsewhere(monkeypatch):
    """Issue 23: the draft targets (status/model.py) and the networks that refuse a duplicate
    (campaigns/lint.py) were lists of their own, so another package's chat could never take a
    draft. Both read the records now."""
    from dataclasses import replace

    import campaigns.networks
    from campaigns import lint
    from campaigns.networks import BUILTIN_NETWORKS, Registry
    from status.model import internal_types

    assert internal_types() == ("discord", "slack", "teams", "telegram", "webhook")
    assert lint._refusal("x") == "; X refuses identical posts" and lint._refusal("mastodon") == ""
    chat = replace(NETWORK_TYPES["slack"], name="coop_chat", title="Coop chat")
    strict = replace(NETWORK_TYPES["slack"], name="strict_net", title="Strict", internal=False,
                     refuses_duplicates=True)
    registry = Registry([*BUILTIN_NETWORKS, chat, strict], group="herald.none")  # as entry points would add them
    monkeypatch.setattr(campaigns.networks, "NETWORK_TYPES", registry)
    monkeypatch.setattr(lint, "NETWORK_TYPES", registry)
    assert "coop_chat" in internal_types() and "strict_net" not in internal_types()
    assert lint._refusal("strict_net") == "; Strict refuses identical posts"
