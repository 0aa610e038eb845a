"""Credentials never reach a log, even at DEBUG with every library's request logging on, nor an
error message; a secrets file others can read is refused."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaigns.calendar import loads
from campaigns.errors import ConfigError
from campaigns.model import Account
from scheduler import redaction
from scheduler.clock import FakeClock
from scheduler.errors import PublishError
from scheduler.networks import build_publishers
from scheduler.networks.base import OutgoingPost
from scheduler.networks.credentials import credentials
from tests.fakeapi import FakeApi
from tests.receiver import Receiver
from tests.test_networks import ToLocal, XServer

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

X_KEYS = {"API_KEY": "xck-PLANTED-4471", "API_SECRET": "xcs-PLANTED-4472", "ACCESS_TOKEN": "xat-PLANTED-4473",
          "ACCESS_TOKEN_SECRET": "xats-PLANTED-4474"}
SLACK_SECRET = "slackPLANTEDhook5501"
TELEGRAM_TOKEN = "4242:tg-PLANTED-secret-77"
HOOK_TOKEN = "hook-PLANTED-token-9911"
PLANTED = [*X_KEYS.values(), SLACK_SECRET, TELEGRAM_TOKEN, HOOK_TOKEN]


@pytest.fixture(autouse=True)
def _fresh_registry():
    redaction.forget_all()
    yield
    redaction.forget_all()


@pytest.fixture
def debug_log():
    """DEBUG from every logger into a buffer, through the redaction filter, as `herald -v` runs."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    redaction.install([handler])
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def post(text: str, key: str = "k" * 32) -> OutgoingPost:
    return OutgoingPost(key=key, source="post:p", post="p", kind="announcement", network="n", network_type="t",
                        scheduled_at=NOW, text=text)


def test_credentials_stay_out_of_debug_logs_and_error_messages(tmp_path: Path, debug_log):
    api, hooks = FakeApi(), Receiver()
    with hooks:
        text = (f"brand: {{name: Acme, timezone: UTC}}\nnetworks:\n  x: {{type: x}}\n  team: {{type: slack}}\n"
                "  alerts: {type: telegram, chat_id: '-100123'}\n"
                f"  hooks: {{type: webhook, url: '{hooks.url}/in?token={HOOK_TOKEN}&channel=ops'}}\n")
        (tmp_path / "content_calendar.yaml").write_text(text)
        env = {**{f"HERALD_X_{k}": v for k, v in X_KEYS.items()},
               "HERALD_TEAM_WEBHOOK_URL": f"{api.url}/services/T0/B0/{SLACK_SECRET}",
               "HERALD_ALERTS_BOT_TOKEN": TELEGRAM_TOKEN}
        publishers = build_publishers(loads(text, str(tmp_path / "content_calendar.yaml")), FakeClock(NOW), env)
        publishers["x"].session.mount("https://", ToLocal(api.url).adapter)
        publishers["alerts"].api_url = api.url
        messages: list[str] = []

        x_server = XServer(api, consumer_key=X_KEYS["API_KEY"], token=X_KEYS["ACCESS_TOKEN"])
        publishers["x"].publish(post("One"))
        publishers["x"].check_live()
        x_server.script.append((503, {}, {"title": "Service Unavailable", "detail": "down", "status": 503}))
        with pytest.raises(PublishError) as info:
            publishers["x"].publish(post("Two"))
        messages.append(str(info.value))

        def chat(method, path, headers, body):
            if path.startswith("/bot") and path.endswith("/getMe"):
                return 200, {}, {"ok": True, "result": {"username": "acme_bot"}}
            if path.startswith("/bot"):
                if b"fail" in body:
                    return 400, {}, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
                return 200, {}, {"ok": True, "result": {"message_id": 5}}
            if b"fail" in body:
                return 404, {}, "no_service"
            return (200, {}, "ok") if b'"text"' in body else (400, {}, "no_text")

        api.handler = chat
        for name in ("team", "alerts"):
            publishers[name].publish(post("Hello"))
            publishers[name].check_live()
            with pytest.raises(PublishError) as info:
                publishers[name].publish(post("fail"))
            messages.append(str(info.value))

        publishers["hooks"].publish(post("Hello"))
        hooks.answers.append((401, {}, '{"error": "bad token"}'))
        with pytest.raises(PublishError) as info:
            publishers["hooks"].publish(post("Again", key="q" * 32))
        messages.append(str(info.value))
        assert f"{hooks.url}/in?*** refused the credentials" in str(info.value)  # the URL shown, its secret not
        messages.append(publishers["hooks"].describe())
    api.close()

    log = debug_log.getvalue()
    assert "POST /bot" in log and "/sendMessage" in log  # urllib3's request lines were captured...
    assert "oauth_consumer_key" in log  # ...and requests_oauthlib's
    for secret in PLANTED:
        assert secret not in log, f"{secret} in the log"
        for message in messages:
            assert secret not in message, f"{secret} in {message!r}"


def test_a_secrets_file_others_can_read_is_refused_like_ssh_does(tmp_path: Path):
    secrets = tmp_path / "team.env"
    secrets.write_text(f"HERALD_TEAM_WEBHOOK_URL=https://hooks.slack.example/services/T0/B0/{SLACK_SECRET}\n")
    secrets.chmod(0o644)
    account = Account("team", "slack", {"secrets_file": "team.env"})
    with pytest.raises(ConfigError) as info:
        credentials(account, env={}, base_dir=str(tmp_path))
    message = str(info.value)
    assert "permissions 0644 for secrets_file team.env are too open" in message
    assert f"chmod 600 {secrets}" in message and "HERALD_ALLOW_READABLE_SECRETS=1" in message
    assert SLACK_SECRET not in message
    allowed = credentials(account, env={"HERALD_ALLOW_READABLE_SECRETS": "1"}, base_dir=str(tmp_path))
    assert allowed["WEBHOOK_URL"].endswith(SLACK_SECRET)
    secrets.chmod(0o600)
    assert credentials(account, env={}, base_dir=str(tmp_path))["WEBHOOK_URL"].endswith(SLACK_SECRET)


def test_every_credential_read_is_registered_as_a_secret(tmp_path: Path):
    env = {"HERALD_TEAM_WEBHOOK_URL": f"https://hooks.slack.example/services/T0/B0/{SLACK_SECRET}"}
    credentials(Account("team", "slack", {}), env=env)
    assert SLACK_SECRET not in redaction.redact(f'"POST /services/T0/B0/{SLACK_SECRET} HTTP/1.1" 200')


def test_a_webhook_signing_secret_is_registered(tmp_path: Path):
    from scheduler.networks.webhook import WebhookPublisher

    WebhookPublisher("hooks", {"url": "http://127.0.0.1:9/in", "secret_env": "HOOK_SECRET"}, FakeClock(NOW),
                     env={"HOOK_SECRET": "sign-PLANTED-3131"})
    assert "sign-PLANTED-3131" not in redaction.redact("secret is sign-PLANTED-3131")


@pytest.mark.slow
def test_refreshed_tokens_and_bluesky_session_tokens_are_registered_when_they_arrive(tmp_path: Path):
    from scheduler.networks.rest import TokenStore
    from tests.test_networks import BlueskyServer, bluesky

    store = TokenStore(str(tmp_path), "li", "configured-PLANTED-1", NOW)
    store.save("refreshed-PLANTED-2", NOW, 3600, "refresh-PLANTED-3")
    shown = redaction.redact("configured-PLANTED-1 refreshed-PLANTED-2 refresh-PLANTED-3")
    assert "PLANTED" not in shown

    api = FakeApi()
    try:
        BlueskyServer(api)
        pub = bluesky(api, tmp_path)
        pub.publish(post("Hello"))
        session = pub.client._session
        assert session.access_jwt not in redaction.redact(f"Bearer {session.access_jwt}")
        assert session.refresh_jwt not in redaction.redact(session.refresh_jwt)
    finally:
        api.close()
