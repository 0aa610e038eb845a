"""Network publishers against local servers that answer like the real APIs."""

from __future__ import annotations

import json
import re
import socket
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import pytest
from jsonschema import Draft202012Validator

from campaigns.errors import ConfigError
from campaigns.model import Account
from campaigns.networks import NETWORK_TYPES
from scheduler.clock import FakeClock
from scheduler.errors import AuthFailed, Permanent, RateLimited, Transient
from scheduler.networks.base import OutgoingPost, RemoteRef
from scheduler.networks.credentials import credentials
from scheduler.networks.discord import DiscordPublisher
from scheduler.networks.mastodon import MastodonPublisher, normalise
from scheduler.networks.slack import SlackPublisher
from scheduler.networks.teams import TeamsPublisher
from scheduler.networks.telegram import TelegramPublisher
from tests.conftest import reference
from tests.fakeapi import FakeApi

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def post(text: str = "Card payments work again.", reply_to: RemoteRef | None = None) -> OutgoingPost:
    return OutgoingPost(key="k" * 32, source="incident:pay", post="pay", kind="incident", network="n",
                        network_type="t", scheduled_at=NOW, text=text, reply_to=reply_to)


# -- credentials -------------------------------------------------------------------------------------------------
def test_credentials_come_from_the_environment_and_missing_ones_are_named():
    account = Account("x-main", "x", {})
    with pytest.raises(ConfigError) as info:
        credentials(account, env={"HERALD_X_MAIN_API_KEY": "a"})
    assert str(info.value) == ("network 'x-main' (x) needs credentials: set HERALD_X_MAIN_API_SECRET, "
                               "HERALD_X_MAIN_ACCESS_TOKEN, HERALD_X_MAIN_ACCESS_TOKEN_SECRET (or put them in its "
                               "secrets_file)")
    found = credentials(Account("social", "mastodon", {"env_prefix": "MASTO_"}), env={"MASTO_ACCESS_TOKEN": "s3cr3t"})
    assert found["ACCESS_TOKEN"] == "s3cr3t" and "s3cr3t" not in repr(found) and "s3cr3t" not in str(found)


def test_credentials_from_a_secrets_file_the_environment_winning(tmp_path):
    (tmp_path / "team.env").write_text("HERALD_TEAM_WEBHOOK_URL=https://hooks.slack.example/file\n")
    (tmp_path / "team.env").chmod(0o600)
    account = Account("team", "slack", {"secrets_file": "team.env"})
    assert credentials(account, env={}, base_dir=str(tmp_path))["WEBHOOK_URL"] == "https://hooks.slack.example/file"
    env = {"HERALD_TEAM_WEBHOOK_URL": "https://hooks.slack.example/env"}
    assert credentials(account, env=env, base_dir=str(tmp_path))["WEBHOOK_URL"].endswith("/env")


# -- Slack (docs: api.slack.com/messaging/webhooks, "Handling errors") --------------------------------------------
def slack(api: FakeApi) -> SlackPublisher:
    return SlackPublisher("team", {}, {"WEBHOOK_URL": api.url + "/services/T0/B0/SECRET"}, FakeClock(NOW))


@pytest.mark.parametrize("status, body, headers, error", [
    (429, "rate_limited", {"Retry-After": "30"}, RateLimited),
    (403, "invalid_token", {}, AuthFailed),
    (404, "no_service", {}, AuthFailed),
    (410, "channel_is_archived", {}, AuthFailed),
    (400, "invalid_payload", {}, Permanent),
    (500, "rollup_error", {}, Transient),
])
def test_slack_errors(api, status, body, headers, error):
    api.handler = lambda *a: (status, headers, body)
    with pytest.raises(error) as info:
        slack(api).publish(post())
    assert "SECRET" not in str(info.value)


def test_slack_posts_text_and_checks_without_posting(api):
    api.handler = lambda m, p, h, b: (200, {}, "ok") if json.loads(b).get("text") else (400, {}, "no_text")
    assert slack(api).publish(post()).id == "k" * 32
    assert json.loads(api.requests[0]["body"]) == {"text": "Card payments work again.", "unfurl_links": False}
    assert slack(api).check_live() == "the webhook is valid"
    assert not slack(api).safe_to_resend


# -- Discord (docs: discord.com/developers/docs/resources/webhook, topics/rate-limits) ----------------------------------
def discord(api: FakeApi) -> DiscordPublisher:
    return DiscordPublisher("community", {}, {"WEBHOOK_URL": api.url + "/api/webhooks/1/TOKEN"}, FakeClock(NOW))


def test_discord_returns_the_message_id_and_replies_by_reference(api):
    api.handler = lambda m, p, h, b: (200, {}, {"id": "1180000000000000001", "content": json.loads(b)["content"]})
    ref = discord(api).publish(post(reply_to=RemoteRef("1179999999999999999")))
    sent = api.requests[0]
    assert ref.id == "1180000000000000001" and sent["path"].endswith("?wait=true")
    assert json.loads(sent["body"])["message_reference"] == {"message_id": "1179999999999999999",
                                                            "fail_if_not_exists": False}
    assert json.loads(sent["body"])["allowed_mentions"] == {"parse": []}  # never ping @everyone


def test_discord_rate_limit_uses_retry_after_from_the_body(api):
    api.handler = lambda *a: (429, {"X-RateLimit-Reset-After": "1.5"},
                              {"message": "You are being rate limited.", "retry_after": 1.5, "global": False})
    with pytest.raises(RateLimited) as info:
        discord(api).publish(post())
    assert info.value.retry_at == NOW + timedelta(seconds=1.5)


def test_discord_unknown_webhook_stops_the_account(api):
    api.handler = lambda *a: (404, {}, {"message": "Unknown Webhook", "code": 10015})
    with pytest.raises(AuthFailed, match="Unknown Webhook"):
        discord(api).publish(post())


# -- Teams (docs: learn.microsoft.com, "Create incoming webhooks with Workflows") -----------------------------------------
def test_teams_sends_an_adaptive_card(api):
    api.handler = lambda *a: (202, {}, "")
    teams = TeamsPublisher("ops", {}, {"WEBHOOK_URL": api.url + "/workflows/abc"}, FakeClock(NOW))
    teams.publish(post())
    card = json.loads(api.requests[0]["body"])
    assert card["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["attachments"][0]["content"]["body"][0]["text"] == "Card payments work again."
    api.handler = lambda *a: (400, {}, "Bad payload")
    with pytest.raises(Permanent):
        teams.publish(post())


# -- Telegram (docs: core.telegram.org/bots/api#sendmessage, #making-requests) --------------------------------------------
def telegram(api: FakeApi) -> TelegramPublisher:
    return TelegramPublisher("alerts", {"chat_id": "-100123", "api_url": api.url}, {"BOT_TOKEN": "123:SECRET"},
                             FakeClock(NOW))


def test_telegram_send_message_and_thread_replies(api):
    api.handler = lambda *a: (200, {}, {"ok": True, "result": {"message_id": 77, "chat": {"id": -100123}}})
    ref = telegram(api).publish(post(reply_to=RemoteRef("76")))
    sent = api.requests[0]
    assert ref.id == "77" and sent["path"] == "/bot123:SECRET/sendMessage"
    body = json.loads(sent["body"])
    assert body["chat_id"] == "-100123" and body["reply_parameters"] == {"message_id": 76,
                                                                         "allow_sending_without_reply": True}


@pytest.mark.parametrize("status, payload, error", [
    (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 5",
           "parameters": {"retry_after": 5}}, RateLimited),
    (401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, AuthFailed),
    (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}, AuthFailed),
    (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}, Permanent),
    (502, "<html>Bad Gateway</html>", Transient),
])
def test_telegram_errors(api, status, payload, error):
    api.handler = lambda *a: (status, {}, payload)
    with pytest.raises(error) as info:
        telegram(api).publish(post())
    assert "SECRET" not in str(info.value)
    if error is RateLimited:
        assert info.value.retry_at == NOW + timedelta(seconds=5)


def test_telegram_live_check_asks_get_me(api):
    api.handler = lambda *a: (200, {}, {"ok": True, "result": {"id": 1, "is_bot": True, "username": "acme_bot"}})
    assert telegram(api).check_live() == "the bot token is valid (@acme_bot)"
    assert api.requests[0]["path"] == "/bot123:SECRET/getMe"


# -- Mastodon, through Mastodon.py (requests checked against the Mastodon OpenAPI description) ---------------------------
def _text_status_validator() -> Draft202012Validator:
    schema = json.loads(reference("mastodon-openapi", "schema.json").read_text())
    return Draft202012Validator({"$ref": "#/components/schemas/TextStatus", "components": schema["components"]})


class MastodonServer:
    """POST /api/v1/statuses and the reads find_recent needs, like Mastodon 4.x."""

    def __init__(self, api: FakeApi):
        self.api, self.statuses, self.by_key, self.media = api, [], {}, []
        self.validator = _text_status_validator()
        self.script: list[tuple[int, dict, object]] = []
        api.handler = self.handle

    def handle(self, method, path, headers, body):
        if headers.get("Authorization") != "Bearer tok":
            return 401, {}, {"error": "The access token is invalid"}
        if self.script:
            return self.script.pop(0)
        if path.startswith("/api/v2/instance") or path.startswith("/api/v1/instance"):  # Mastodon.py asks the version
            return 200, {}, {"domain": "social.example", "uri": "social.example", "version": "4.3.0",
                             "api_versions": {"mastodon": 2}}
        if method == "POST" and path == "/api/v2/media":  # multipart: file + description
            assert b'name="file"' in body and b'name="description"' in body
            self.media.append({"id": str(22348641 + len(self.media)), "type": "image",
                               "description": body.split(b'name="description"')[1].split(b"\r\n\r\n")[1]
                               .split(b"\r\n")[0].decode()})
            return 200, {}, {**self.media[-1], "url": "https://files.social.example/1.png", "preview_url": None}
        if method == "POST" and path == "/api/v1/statuses":
            pairs = parse_qsl(body.decode())
            media_ids = [v for k, v in pairs if k == "media_ids[]"]
            form = {k: v for k, v in pairs if k != "media_ids[]"}
            form["sensitive"] = form.get("sensitive") in ("1", "true", "True")
            if media_ids:
                assert all(any(m["id"] == i for m in self.media) for i in media_ids)
            errors = [e.message for e in self.validator.iter_errors(form)]
            if errors:
                return 422, {}, {"error": f"Validation failed: {errors[0]}"}
            if len(form["status"]) + len(form.get("spoiler_text", "")) > 500:  # the warning counts (ASCII here)
                return 422, {}, {"error": "Validation failed: Text character limit of 500 exceeded"}
            key = headers.get("Idempotency-Key")
            if key in self.by_key:
                return 200, {}, self.by_key[key]
            status = {"id": str(110000 + len(self.statuses)), "url": f"https://social.example/@acme/{len(self.statuses)}",
                      "content": f"<p>{form['status']}</p>", "in_reply_to_id": form.get("in_reply_to_id"),
                      "spoiler_text": form.get("spoiler_text", ""),
                      "media_ids": media_ids,
                      "created_at": "2026-12-01T09:00:00.000Z", "account": {"id": "9", "acct": "acme"}}
            self.statuses.append(status)
            self.by_key[key] = status
            return 200, {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299",
                         "X-RateLimit-Reset": "2026-12-01T09:05:00.000Z"}, status
        if path == "/api/v1/accounts/verify_credentials":
            return 200, {}, {"id": "9", "acct": "acme", "username": "acme"}
        if path.startswith("/api/v1/accounts/9/statuses"):
            return 200, {}, list(reversed(self.statuses))
        return 404, {}, {"error": "Record not found"}


def mastodon(api: FakeApi, token: str = "tok") -> MastodonPublisher:
    return MastodonPublisher("social", {"instance": api.url}, {"ACCESS_TOKEN": token}, FakeClock(NOW))


def test_mastodon_posts_replies_and_honours_the_idempotency_key(api):
    server = MastodonServer(api)
    pub = mastodon(api)
    first = pub.publish(post("Checkout errors: we're on it."))
    reply = pub.publish(OutgoingPost(**{**post("Resolved.").__dict__, "key": "r" * 32, "reply_to": first}))
    assert server.statuses[1]["in_reply_to_id"] == first.id
    again = pub.publish(post("Checkout errors: we're on it."))  # a re-send after a crash: same key
    assert again.id == first.id and len(server.statuses) == 2 and reply.url.startswith("https://social.example/")
    assert api.requests[0]["headers"]["Idempotency-Key"] == "k" * 32


def test_mastodon_sends_the_content_warning_as_spoiler_text(api):
    server = MastodonServer(api)
    pub = mastodon(api)
    pub.publish(OutgoingPost(**{**post("Parcels are two days late.").__dict__, "content_warning": "Delivery delays"}))
    pub.publish(OutgoingPost(**{**post("No warning.").__dict__, "key": "n" * 32}))
    assert [s["spoiler_text"] for s in server.statuses] == ["Delivery delays", ""]
    assert "spoiler_text" not in dict(parse_qsl(api.requests[-1]["body"].decode()))  # none sent without one


def test_mastodon_counts_the_content_warning_toward_500_as_herald_does(api):
    server = MastodonServer(api)
    limit = NETWORK_TYPES["mastodon"].limit
    text, warning = "x" * 480, "w" * 21
    assert limit.overflow(text) is None and limit.overflow(text, warning) == "501/500 characters (1 over)"
    with pytest.raises(Permanent, match="character limit"):
        mastodon(api).publish(OutgoingPost(**{**post(text).__dict__, "content_warning": warning}))
    mastodon(api).publish(OutgoingPost(**{**post(text).__dict__, "content_warning": warning[:20]}))
    assert len(server.statuses) == 1


@pytest.mark.slow
def test_mastodon_find_recent_matches_text_through_html_and_links(api):
    server = MastodonServer(api)
    pub = mastodon(api)
    pub.publish(post("Track it: https://acme.example/track?utm_source=mastodon & more"))
    server.statuses[0]["content"] = ('<p>Track it: <a href="https://acme.example/track"><span>acme.example/track'
                                     '</span></a> &amp; more</p>')
    assert pub.find_recent(post("Track it: https://acme.example/track?utm_source=mastodon & more")) is not None
    assert pub.find_recent(post("Something else")) is None
    assert normalise("<p>a<br>b</p>") == "a b"
    tagged = '<p>New <a href="https://social.example/tags/sofa" class="mention hashtag" rel="tag">#<span>sofa</span></a></p>'
    assert normalise(tagged) == normalise("New #sofa")


@pytest.mark.parametrize("status, headers, body, error", [
    (429, {"X-RateLimit-Reset": "2026-12-01T09:05:00.000Z", "X-RateLimit-Remaining": "0"}, {"error": "Too many requests"},
     RateLimited),
    (422, {}, {"error": "Validation failed: Text character limit of 500 exceeded"}, Permanent),
    (503, {}, {"error": "Service Unavailable"}, Transient),
    (500, {}, {"error": "Internal Server Error"}, Transient),
    (404, {}, {"error": "Record not found"}, Permanent),
])
@pytest.mark.slow
def test_mastodon_errors(api, status, headers, body, error):
    server = MastodonServer(api)
    server.script.append((status, headers, body))
    with pytest.raises(error) as info:
        mastodon(api).publish(post())
    if error is RateLimited:  # Mastodon.py corrects the reset by the server's clock skew (Date header)
        assert abs(info.value.retry_at - datetime(2026, 12, 1, 9, 5, tzinfo=UTC)) < timedelta(seconds=5)


def test_mastodon_revoked_token_stops_the_account(api):
    MastodonServer(api)
    with pytest.raises(AuthFailed, match="access token"):
        mastodon(api, token="revoked").publish(post())
    assert mastodon(api).check_live() == "the access token is valid (@acme)"


def test_networks_check_names_what_is_missing(tmp_path, capsys, monkeypatch):
    from scheduler.cli import main

    calendar = tmp_path / "content_calendar.yaml"
    calendar.write_text("brand: {name: Acme, timezone: UTC}\nnetworks:\n  site: {type: site}\n"
                        "  social: {type: mastodon, instance: 'https://social.example'}\n"
                        "  team: {type: slack}\n  x: {type: x, dry_run: true}\n  old: {type: discord, enabled: false}\n")
    monkeypatch.setenv("HERALD_SOCIAL_ACCESS_TOKEN", "tok")
    monkeypatch.delenv("HERALD_TEAM_WEBHOOK_URL", raising=False)
    code = main(["networks", "check", "--calendar", str(calendar)], clock=FakeClock(NOW))
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out == ["site (Status page): ready", "social (Mastodon): ready",
                   "team (Slack): NOT READY: set HERALD_TEAM_WEBHOOK_URL (or put them in its secrets_file)",
                   "x (X): NOT READY (dry run): set HERALD_X_API_KEY, HERALD_X_API_SECRET, HERALD_X_ACCESS_TOKEN, "
                   "HERALD_X_ACCESS_TOKEN_SECRET (or put them in its secrets_file)", "old (Discord): disabled"]


# -- X, through tweepy (responses shaped like the recorded exchanges in shared/reference/tweepy-cassettes) ---------------
class ToLocal:
    """A requests transport adapter that sends X's hosts to the local server."""

    def __init__(self, target: str):
        from requests.adapters import HTTPAdapter

        class Adapter(HTTPAdapter):
            def send(self, request, **kwargs):
                for host in ("https://api.twitter.com", "https://upload.twitter.com"):
                    if request.url.startswith(host):
                        request.url = target + request.url[len(host):]
                return super().send(request, **kwargs)

        self.adapter = Adapter()


class XServer:
    """POST /2/tweets, GET /2/users/me and /2/users/:id/tweets, like X API v2."""

    def __init__(self, api: FakeApi, consumer_key: str = "ck", token: str = "at"):
        self.tweets: list[dict] = []
        self.media: list[dict] = []
        self.script: list[tuple[int, dict, object]] = []
        self.consumer_key, self.token = consumer_key, token
        api.handler = self.handle

    def handle(self, method, path, headers, body):
        from twitter_text import parse_tweet

        auth = headers.get("Authorization", "")
        if not auth.startswith("OAuth ") or f'oauth_consumer_key="{self.consumer_key}"' not in auth \
                or f'oauth_token="{self.token}"' not in auth or "oauth_signature=" not in auth:
            return 401, {}, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
        if self.script:
            return self.script.pop(0)
        limits = {"x-rate-limit-limit": "200", "x-rate-limit-remaining": "199", "x-rate-limit-reset": "1796115600"}
        if method == "POST" and path.startswith("/1.1/media/upload.json"):  # v1.1 simple upload, multipart
            assert b'name="media"' in body and headers["Content-Type"].startswith("multipart/form-data")
            self.media.append({"id": str(710511363345354753 + len(self.media)), "alt": None})
            return 200, {}, {"media_id": int(self.media[-1]["id"]), "media_id_string": self.media[-1]["id"],
                             "size": len(body), "expires_after_secs": 86400,
                             "image": {"image_type": "image/png", "w": 1, "h": 1}}
        if method == "POST" and path.startswith("/1.1/media/metadata/create.json"):
            data = json.loads(body)
            next(m for m in self.media if m["id"] == str(data["media_id"]))["alt"] = data["alt_text"]["text"]
            return 200, {}, ""
        if method == "POST" and path == "/2/tweets":
            data = json.loads(body)
            text = data["text"]
            if not parse_tweet(text).valid:  # X's own counting (twitter-text), not Herald's
                return 400, {}, {"errors": [{"message": "Your Tweet text is too long."}], "title": "Invalid Request",
                                 "detail": "One or more parameters to your request was invalid.", "type": "about:blank"}
            if self.tweets and self.tweets[-1]["text"] == text:
                return 403, {}, {"detail": "You are not allowed to create a Tweet with duplicate content.",
                                 "type": "about:blank", "title": "Forbidden", "status": 403}
            tweet = {"id": str(1456012973835788293 + len(self.tweets)), "text": text,
                     "reply_to": (data.get("reply") or {}).get("in_reply_to_tweet_id"),
                     "media": (data.get("media") or {}).get("media_ids")}
            self.tweets.append(tweet)
            return 201, limits, {"data": {"id": tweet["id"], "text": text}}
        if path.startswith("/2/users/me"):
            return 200, limits, {"data": {"id": "1072250532645998596", "name": "Acme", "username": "acme"}}
        if path.startswith("/2/users/1072250532645998596/tweets"):
            shown = [{"id": t["id"], "text": re.sub(r"https?://\S+", "https://t.co/abc123", t["text"]).replace("&", "&amp;"),
                      "edit_history_tweet_ids": [t["id"]]} for t in reversed(self.tweets)]
            return 200, limits, {"data": shown, "meta": {"result_count": len(shown)}}
        return 404, {}, {"title": "Not Found Error", "detail": "Sorry, that page does not exist.", "status": 404}


def x_publisher(api: FakeApi):
    from scheduler.networks.x import XPublisher

    pub = XPublisher("x", {}, {"API_KEY": "ck", "API_SECRET": "cs", "ACCESS_TOKEN": "at", "ACCESS_TOKEN_SECRET": "ats"},
                     FakeClock(NOW))
    pub.session.mount("https://", ToLocal(api.url).adapter)
    return pub



def test_x_posts_and_threads_replies(api):
    server = XServer(api)
    pub = x_publisher(api)
    first = pub.publish(post("We're investigating checkout errors."))
    pub.publish(OutgoingPost(**{**post("Resolved: checkout works again.").__dict__, "reply_to": first}))
    assert first.id == "1456012973835788293" and first.url == "https://x.com/i/web/status/1456012973835788293"
    assert server.tweets[1]["reply_to"] == first.id
    assert json.loads(api.requests[0]["body"]) == {"text": "We're investigating checkout errors."}


def test_x_refuses_duplicate_text_and_says_so(api):
    XServer(api)
    pub = x_publisher(api)
    pub.publish(post("Same words"))
    with pytest.raises(Permanent, match="X refuses identical text in a row"):
        pub.publish(post("Same words"))


def test_x_find_recent_sees_through_t_co_links(api):
    XServer(api)
    pub = x_publisher(api)
    pub.publish(post("Track your order: https://acme.example/track?utm_source=x & more"))
    assert pub.find_recent(post("Track your order: https://acme.example/track?utm_source=x & more")) is not None
    assert pub.find_recent(post("Something else")) is None
    assert pub.check_live() == "the credentials are valid (@acme)"


@pytest.mark.parametrize("status, headers, body, error", [
    (429, {"x-rate-limit-reset": str(int((NOW + timedelta(minutes=15)).timestamp()))},
     {"title": "Too Many Requests", "detail": "Too Many Requests", "status": 429}, RateLimited),
    (403, {}, {"detail": "You are not permitted to perform this action.", "title": "Forbidden", "status": 403},
     AuthFailed),
    (503, {}, {"title": "Service Unavailable", "detail": "Service Unavailable", "status": 503}, Transient),
])
def test_x_errors(api, status, headers, body, error):
    server = XServer(api)
    server.script.append((status, headers, body))
    with pytest.raises(error) as info:
        x_publisher(api).publish(post())
    if error is RateLimited:
        assert info.value.retry_at == NOW + timedelta(minutes=15)


def test_x_bad_credentials_and_over_long_text(api):
    XServer(api)
    from scheduler.networks.x import XPublisher

    wrong = XPublisher("x", {}, {"API_KEY": "nope", "API_SECRET": "cs", "ACCESS_TOKEN": "at",
                                 "ACCESS_TOKEN_SECRET": "ats"}, FakeClock(NOW))
    wrong.session.mount("https://", ToLocal(api.url).adapter)
    with pytest.raises(AuthFailed):
        wrong.publish(post())
    with pytest.raises(Permanent, match="Your Tweet text is too long"):
        x_publisher(api).publish(post("日本" * 150))


# -- Bluesky, through the atproto SDK (requests checked against the lexicons in shared/reference/bluesky-lexicons) -----
def _jwt(exp: datetime, sub: str = "did:plc:acme") -> str:
    import base64

    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'ES256K', 'typ': 'at+jwt'})}.{part({'scope': 'com.atproto.access', 'sub': sub, 'exp': int(exp.timestamp()), 'iat': int(exp.timestamp()) - 7200})}.sig"


class BlueskyServer:
    """An XRPC server playing bsky.social for createSession, refreshSession, createRecord, getAuthorFeed."""

    def __init__(self, api: FakeApi):
        from uniseg.graphemecluster import grapheme_clusters

        # extended grapheme clusters by another implementation of UAX #29 than the one Herald counts with (regex)
        self.graphemes = lambda text: len(list(grapheme_clusters(text)))
        lexicon = json.loads(reference("bluesky-lexicons", "app.bsky.feed.post.json").read_text())
        self.text_rules = lexicon["defs"]["main"]["record"]["properties"]["text"]
        self.sessions = 0
        self.records: list[dict] = []
        self.script: list[tuple[int, dict, object]] = []
        self.revoked = False
        api.handler = self.handle

    def _session(self) -> dict:
        self.sessions += 1
        later = datetime.now(UTC) + timedelta(hours=2)
        return {"did": "did:plc:acme", "handle": "acme.example", "accessJwt": _jwt(later),
                "refreshJwt": _jwt(later + timedelta(days=60)), "active": True}

    def handle(self, method, path, headers, body):
        if path.startswith("/xrpc/com.atproto.server.createSession"):
            data = json.loads(body)
            if data.get("password") != "app-pass-1234":
                return 401, {}, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
            return 200, {}, self._session()
        if not headers.get("Authorization", "").startswith("Bearer ") or self.revoked:
            self.revoked = False
            return 401, {}, {"error": "ExpiredToken", "message": "Token has been revoked"}
        if self.script:
            return self.script.pop(0)
        if path.startswith("/xrpc/com.atproto.repo.uploadBlob"):
            assert body.startswith(b"\x89PNG")
            return 200, {}, {"blob": {"$type": "blob", "ref": {"$link": "bafkreiabc"}, "mimeType": "image/png",
                                      "size": len(body)}}
        if path.startswith("/xrpc/com.atproto.repo.createRecord"):
            data = json.loads(body)
            record = data["record"]
            text = record["text"]
            if self.graphemes(text) > self.text_rules["maxGraphemes"] or len(text.encode()) > self.text_rules["maxLength"]:
                return 400, {}, {"error": "InvalidRecord", "message": "Record/text must not be longer than 300 graphemes"}
            for facet in record.get("facets") or []:
                start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
                span = text.encode()[start:end].decode()
                for feature in facet["features"]:
                    if feature["$type"] == "app.bsky.richtext.facet#link" and span != feature["uri"]:
                        return 400, {}, {"error": "InvalidRecord", "message": f"facet does not cover its link: {span}"}
            assert record["$type"] == "app.bsky.feed.post" and record["createdAt"]
            rkey = f"3kabc{len(self.records)}"
            uri = f"at://did:plc:acme/app.bsky.feed.post/{rkey}"
            self.records.append({"uri": uri, "cid": f"bafyrei{len(self.records)}", "record": record})
            return 200, {}, {"uri": uri, "cid": self.records[-1]["cid"]}
        if path.startswith("/xrpc/app.bsky.feed.getAuthorFeed"):
            return 200, {}, {"feed": [{"post": {"uri": r["uri"], "cid": r["cid"], "record": r["record"],
                                                "author": {"did": "did:plc:acme", "handle": "acme.example"},
                                                "indexedAt": "2026-12-01T09:00:00.000Z"}}
                                      for r in reversed(self.records)]}
        return 400, {}, {"error": "MethodNotImplemented", "message": path}


def bluesky(api: FakeApi, tmp_path, password: str = "app-pass-1234"):
    from scheduler.networks.bluesky import BlueskyPublisher

    return BlueskyPublisher("sky", {"handle": "acme.example", "service": api.url}, {"APP_PASSWORD": password},
                            FakeClock(NOW), base_dir=str(tmp_path))


def test_bluesky_posts_with_byte_offset_facets_after_non_ascii_text(api, tmp_path):
    server = BlueskyServer(api)
    ref = bluesky(api, tmp_path).publish(_with("Größe & Lieferung 🛋️: https://acme.example/track #sofa",
                                               link_card={"title": "Track"}))  # (nothing fetched)
    (record,) = [r["record"] for r in server.records]
    kinds = sorted(f["features"][0]["$type"] for f in record["facets"])
    assert kinds == ["app.bsky.richtext.facet#link", "app.bsky.richtext.facet#tag"]
    assert ref.id == "at://did:plc:acme/app.bsky.feed.post/3kabc0|bafyrei0"
    assert ref.url == "https://bsky.app/profile/acme.example/post/3kabc0"


def _with(text: str, **fields) -> OutgoingPost:
    return OutgoingPost(**{**post(text).__dict__, **fields})


@pytest.fixture
def page():
    """A web page on 127.0.0.1 that a post links to (its answer set per test)."""
    server = FakeApi()
    yield server
    server.close()


def _html(head: str) -> tuple[int, dict, str]:
    return 200, {"Content-Type": "text/html; charset=utf-8"}, f"<!doctype html><html><head>{head}</head><body>x</body>"


def test_bluesky_attaches_a_link_card_from_the_linked_pages_og_tags(api, tmp_path, page):
    server = BlueskyServer(api)
    page.handler = lambda *a: _html('<title>Ignored</title><meta property="og:title" content="Sofa &amp; Co &#8211; '
                                    'deliveries"><meta property="og:description" content="Where\u2028is  it?\u202e '
                                    '&lt;b&gt;now&lt;/b&gt;">')
    bluesky(api, tmp_path).publish(post(f"Where is my sofa? {page.url}/track?id=1 today"))
    embed = server.records[0]["record"]["embed"]
    assert embed == {"$type": "app.bsky.embed.external", "external": {
        "$type": "app.bsky.embed.external#external", "uri": f"{page.url}/track?id=1", "title": "Sofa & Co – deliveries",
        "description": "Where is it? <b>now</b>"}}
    lexicon = json.loads(reference("bluesky-lexicons", "app.bsky.embed.external.json").read_text())
    assert set(lexicon["defs"]["external"]["required"]) <= set(embed["external"])
    assert [r["path"] for r in page.requests] == ["/track?id=1"]


def test_bluesky_takes_the_title_when_the_page_has_no_og_tags(api, tmp_path, page):
    server = BlueskyServer(api)
    page.handler = lambda *a: _html("<title>\n  Acme   help\n</title><meta name=description content='Answers'>")
    bluesky(api, tmp_path).publish(post(f"Help: {page.url}/help"))
    assert server.records[0]["record"]["embed"]["external"] | {"$type": ""} == {
        "$type": "", "uri": f"{page.url}/help", "title": "Acme help", "description": "Answers"}


def test_the_calendars_link_card_is_used_and_nothing_is_fetched(api, tmp_path, page):
    server = BlueskyServer(api)
    bluesky(api, tmp_path).publish(_with(f"Track: {page.url}/t", link_card={"title": "Track your order"}))
    assert server.records[0]["record"]["embed"]["external"]["title"] == "Track your order"
    assert server.records[0]["record"]["embed"]["external"]["description"] == ""
    assert page.requests == []


@pytest.mark.parametrize("answer", [
    "down", (500, {"Content-Type": "text/html"}, "<title>Oops</title>"),
    (200, {"Content-Type": "text/html"}, "<html><head><title>" + "x" * (10 * 1024 * 1024) + "</title></head></html>"),
    (200, {"Content-Type": "application/pdf"}, "%PDF-1.7"), (200, {"Content-Type": "text/html"}, "<p>no head</p>"),
], ids=["down", "500", "10MB", "pdf", "untitled"])
def test_bluesky_posts_without_a_card_when_the_page_gives_none(api, tmp_path, page, answer, caplog):
    server = BlueskyServer(api)
    url = page.url
    if answer == "down":
        with socket.socket() as closed:  # a port nothing listens on
            closed.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    else:
        page.handler = lambda *a: answer
    with caplog.at_level("INFO", logger="herald.networks"):
        bluesky(api, tmp_path).publish(post(f"Track: {url}/t"))
    assert "embed" not in server.records[0]["record"]
    lines = [r.getMessage() for r in caplog.records if "no link card" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith(f"sky: no link card for {url}/t (")


def test_bluesky_makes_no_card_for_a_post_with_an_image_or_without_a_link(api, tmp_path, page):
    server = BlueskyServer(api)
    pub = bluesky(api, tmp_path)
    pub.publish(_with(f"Look: {page.url}/t", image=image_post(tmp_path).image))
    pub.publish(_with("No link here.", key="n" * 32))
    assert server.records[0]["record"]["embed"]["$type"] == "app.bsky.embed.images"
    assert "embed" not in server.records[1]["record"] and page.requests == []


def test_bluesky_replies_carry_root_and_parent_refs(api, tmp_path):
    server = BlueskyServer(api)
    pub = bluesky(api, tmp_path)
    first = pub.publish(post("Checkout errors: we're on it."))
    pub.publish(OutgoingPost(**{**post("Resolved.").__dict__, "reply_to": first}))
    reply = server.records[1]["record"]["reply"]
    strong_ref = {"uri": "at://did:plc:acme/app.bsky.feed.post/3kabc0", "cid": "bafyrei0",
                  "$type": "com.atproto.repo.strongRef"}  # com.atproto.repo.strongRef: uri + cid
    assert reply["root"] == reply["parent"] == strong_ref


def test_bluesky_reuses_its_session_across_restarts(api, tmp_path):
    server = BlueskyServer(api)
    bluesky(api, tmp_path).publish(post("one"))
    bluesky(api, tmp_path).publish(post("two"))  # a restarted engine: the saved session, no new login
    assert server.sessions == 1
    saved = tmp_path / ".herald" / "bluesky-sky.session"
    assert saved.exists() and oct(saved.stat().st_mode & 0o777) == "0o600"
    server.revoked = True  # revoked under us: one fresh login, then the post goes out
    bluesky(api, tmp_path).publish(post("three"))
    assert server.sessions == 2 and len(server.records) == 3


def test_bluesky_errors(api, tmp_path):
    server = BlueskyServer(api)
    with pytest.raises(AuthFailed, match="refused the app password"):
        bluesky(api, tmp_path, password="wrong").publish(post())
    pub = bluesky(api, tmp_path)
    with pytest.raises(Permanent, match="300 graphemes"):
        pub.publish(post("é" * 301))
    server.script.append((429, {"ratelimit-reset": str(int((NOW + timedelta(minutes=5)).timestamp()))},
                          {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}))
    with pytest.raises(RateLimited) as info:
        pub.publish(post())
    assert info.value.retry_at == NOW + timedelta(minutes=5)
    server.script.append((502, {}, {"error": "UpstreamFailure", "message": "bad gateway"}))
    with pytest.raises(Transient):
        pub.publish(post())
    assert pub.find_recent(post("é" * 301)) is None


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000""1f15c4890000000d49444154789c636000"
                    "0000000500010d0a2db40000000049454e44ae426082")


def image_post(tmp_path) -> OutgoingPost:
    (tmp_path / "sofa.png").write_bytes(PNG)
    return OutgoingPost(**{**post("Our new sofa is in the showroom.").__dict__,
                           "image": {"path": "sofa.png", "alt": "A green velvet sofa in the showroom"}})


def test_x_posts_an_image_with_its_alt_text(api, tmp_path):
    server = XServer(api)
    pub = x_publisher(api)
    pub.base_dir = str(tmp_path)
    pub.publish(image_post(tmp_path))
    assert server.media == [{"id": "710511363345354753", "alt": "A green velvet sofa in the showroom"}]
    assert server.tweets[0]["media"] == ["710511363345354753"]


def test_mastodon_posts_an_image_with_its_alt_text(api, tmp_path):
    server = MastodonServer(api)
    pub = mastodon(api)
    pub.base_dir = str(tmp_path)
    pub.publish(image_post(tmp_path))
    assert server.media[0]["description"] == "A green velvet sofa in the showroom"
    assert server.statuses[0]["media_ids"] == [server.media[0]["id"]]


# -- through the engine: an incident's first post and its threaded reply, on each network ---------------------------------
INCIDENT = """\
components:
  checkout: {name: Checkout}
incidents:
  - id: pay
    title: Card payments fail
    impact: major
    components: [checkout]
    updates:
      - {at: '2026-12-01T08:55:00Z', state: investigating, message: Some card payments fail. We're on it.}
      - {at: '2026-12-01T08:58:00Z', state: resolved, message: Card payments work again.}
"""


def _engine_on(tmp_path, account: Account, publisher):
    from campaigns.calendar import loads as load_calendar
    from scheduler.engine import Engine
    from scheduler.ledger import Ledger
    from status.load import loads as load_status

    extra = {"x": "", "mastodon": ", instance: 'https://social.example'", "bluesky": ", handle: acme.example",
             "telegram": ", chat_id: '-100123'", "discord": "", "facebook": ", page_id: '1234'",
             "threads": ", user_id: '42'", "linkedin": ", author: 'urn:li:organization:5515715'"}[account.type]
    calendar = load_calendar("brand: {name: Acme, timezone: UTC}\n"
                             f"networks:\n  {account.name}: {{type: {account.type}{extra}}}\nposts: []\n")
    engine = Engine(calendar, Ledger(f"sqlite:///{tmp_path / 'state.db'}"), {account.name: publisher}, "t",
                    status=load_status(INCIDENT, calendar))
    engine.replan(NOW)
    return engine


def _x(api, tmp_path):
    server = XServer(api)
    return x_publisher(api), lambda: [t["reply_to"] for t in server.tweets], lambda: [t["id"] for t in server.tweets]


def _mastodon(api, tmp_path):
    server = MastodonServer(api)
    return (mastodon(api), lambda: [s["in_reply_to_id"] for s in server.statuses],
            lambda: [s["id"] for s in server.statuses])


def _bluesky(api, tmp_path):
    server = BlueskyServer(api)
    return (bluesky(api, tmp_path), lambda: [(r["record"].get("reply") or {}).get("root", {}).get("uri")
                                            for r in server.records],
            lambda: [r["uri"] for r in server.records])


def _telegram(api, tmp_path):
    sent = []

    def handle(method, path, headers, body):
        data = json.loads(body)
        sent.append(data)
        return 200, {}, {"ok": True, "result": {"message_id": 100 + len(sent)}}

    api.handler = handle
    return (telegram(api), lambda: [(d.get("reply_parameters") or {}).get("message_id") for d in sent],
            lambda: [100 + i + 1 for i in range(len(sent))])


def _discord(api, tmp_path):
    sent = []

    def handle(method, path, headers, body):
        sent.append(json.loads(body))
        return 200, {}, {"id": str(1180000000000000000 + len(sent))}

    api.handler = handle
    return (discord(api), lambda: [(d.get("message_reference") or {}).get("message_id") for d in sent],
            lambda: [str(1180000000000000000 + i + 1) for i in range(len(sent))])


@pytest.mark.parametrize("network, setup", [("x", _x), ("mastodon", _mastodon), ("bluesky", _bluesky),
                                            ("telegram", _telegram), ("discord", _discord)])
@pytest.mark.slow
def test_an_incident_thread_through_the_engine(api, tmp_path, network, setup):
    publisher, replies_to, ids = setup(api, tmp_path)
    engine = _engine_on(tmp_path, Account(publisher.name, network, {}), publisher)
    outcomes = engine.run_due(NOW)
    assert [o.result for o in outcomes] == ["sent", "sent"], outcomes
    first_id = ids()[0]
    assert replies_to() == [None, int(first_id) if network == "telegram" else first_id]
    # A restarted engine finds both in the ledger: nothing goes out twice.
    assert engine.run_due(NOW + timedelta(minutes=1)) == [] and len(ids()) == 2


# -- Meta's Graph APIs, Pinterest, LinkedIn (shapes from developers.facebook.com/docs/graph-api, the Instagram and
#    Threads content-publishing guides, developers.pinterest.com/docs/api/v5, learn.microsoft.com/linkedin Posts API) --
class GraphServer:
    def __init__(self, api: FakeApi, token: str = "tok"):
        self.token, self.objects, self.script = token, [], []
        api.handler = self.handle

    def add(self, kind: str, **fields) -> dict:
        self.objects.append({"id": f"{kind}_{len(self.objects) + 1}", "kind": kind, **fields})
        return self.objects[-1]

    def handle(self, method, path, headers, body):
        from urllib.parse import urlsplit

        parts = urlsplit(path)
        form = dict(parse_qsl(body.decode())) if body else dict(parse_qsl(parts.query))
        if parts.path == "/refresh_access_token" and form.get("access_token") == self.token:
            assert form["grant_type"] == "th_refresh_token"
            self.token = self.token + "+"  # a new long-lived token
            self.refreshes = getattr(self, "refreshes", 0) + 1
            return 200, {}, {"access_token": self.token, "token_type": "bearer", "expires_in": 5183944}
        if form.get("access_token") != self.token:
            return 400, {}, {"error": {"message": "Error validating access token: Session has expired",
                                       "type": "OAuthException", "code": 190, "error_subcode": 463,
                                       "fbtrace_id": "AbCdEf"}}
        if self.script:
            return self.script.pop(0)
        segments = parts.path.strip("/").split("/")
        if method == "POST" and segments[-1] in ("feed", "photos"):
            obj = self.add("post", message=form["message"], image=form.get("url"))
            return 200, {}, ({"id": obj["id"]} if segments[-1] == "feed" else {"id": "photo_1", "post_id": obj["id"]})
        if method == "POST" and segments[-1] == "comments":
            return 200, {}, {"id": self.add("comment", on=segments[-2], message=form["message"])["id"]}
        if method == "POST" and segments[-1] in ("media", "threads"):
            return 200, {}, {"id": self.add("container", **form)["id"]}
        if method == "POST" and segments[-1] in ("media_publish", "threads_publish"):
            container = next(o for o in self.objects if o["id"] == form["creation_id"])
            return 200, {}, {"id": self.add("published", container=container)["id"]}
        if method == "GET" and segments[-1] in ("posts", "media", "threads"):
            field = {"posts": "message", "media": "caption", "threads": "text"}[segments[-1]]
            items = [{"id": o["id"], field: o.get("message") or o["container"].get("caption") or o["container"].get("text")}
                     for o in self.objects if o["kind"] in ("post", "published")]
            return 200, {}, {"data": items}
        return 400, {}, {"error": {"message": "Unsupported request", "type": "GraphMethodException", "code": 100}}


def graph(api, cls, tmp_path, **options):
    """A Graph publisher whose token files (Threads refreshes its token) go under tmp_path."""
    return cls("acct", {"api_url": api.url, **options}, {"PAGE_ACCESS_TOKEN": "tok", "ACCESS_TOKEN": "tok"},
               FakeClock(NOW), base_dir=str(tmp_path))


def test_facebook_posts_photos_and_threads_as_comments(api, tmp_path):
    from scheduler.networks.facebook import FacebookPublisher

    server = GraphServer(api)
    page = graph(api, FacebookPublisher, tmp_path, page_id="1234")
    first = page.publish(post("Checkout errors: we're on it."))
    page.publish(OutgoingPost(**{**post("Resolved.").__dict__, "reply_to": first}))
    photo = page.publish(OutgoingPost(**{**post("New sofa").__dict__, "image": {"url": "https://acme.example/s.png",
                                                                              "alt": "A sofa"}}))
    assert [o["kind"] for o in server.objects] == ["post", "comment", "post"]
    assert server.objects[1]["on"] == first.id and server.objects[2]["image"] == "https://acme.example/s.png"
    assert photo.id == server.objects[2]["id"]
    assert page.find_recent(post("Checkout errors: we're on it.")).id == first.id


@pytest.mark.parametrize("error, headers, expected", [
    ({"message": "Error validating access token", "type": "OAuthException", "code": 190}, {}, AuthFailed),
    ({"message": "(#4) Application request limit reached", "type": "OAuthException", "code": 4},
     {"X-Business-Use-Case-Usage": json.dumps({"1234": [{"type": "pages", "call_count": 100,
                                                         "estimated_time_to_regain_access": 7}]})}, RateLimited),
    ({"message": "Duplicate status message", "type": "OAuthException", "code": 506}, {}, Permanent),
    ({"message": "An unknown error occurred", "type": "OAuthException", "code": 1}, {}, Transient),
])
def test_graph_errors(api, error, headers, expected, tmp_path):
    from scheduler.networks.facebook import FacebookPublisher

    server = GraphServer(api)
    server.script.append((400 if error["code"] != 4 else 403, headers, {"error": {**error, "fbtrace_id": "x"}}))
    with pytest.raises(expected) as info:
        graph(api, FacebookPublisher, tmp_path, page_id="1234").publish(post())
    if expected is RateLimited:
        assert info.value.retry_at == NOW + timedelta(minutes=7)
    if expected is Permanent:
        assert "refuses a duplicate post" in str(info.value)


def test_instagram_container_then_publish_and_needs_an_image_url(api, tmp_path):
    from scheduler.networks.instagram import InstagramPublisher

    server = GraphServer(api)
    insta = graph(api, InstagramPublisher, tmp_path, user_id="1789")
    with pytest.raises(Permanent, match="need an image reachable by url"):
        insta.publish(post())
    insta.publish(OutgoingPost(**{**post("New sofa").__dict__, "image": {"url": "https://acme.example/s.png",
                                                                       "alt": "A green sofa"}}))
    container = server.objects[0]
    assert container["image_url"] == "https://acme.example/s.png" and container["alt_text"] == "A green sofa"
    assert server.objects[1]["kind"] == "published" and insta.find_recent(post("New sofa")) is not None


def test_threads_replies_through_reply_to_id(api, tmp_path):
    from scheduler.networks.threads import ThreadsPublisher

    server = GraphServer(api)
    threads = graph(api, ThreadsPublisher, tmp_path, user_id="42")
    first = threads.publish(post("We're on it."))
    threads.publish(OutgoingPost(**{**post("Fixed.").__dict__, "reply_to": first}))
    assert server.objects[0]["media_type"] == "TEXT" and server.objects[2]["reply_to_id"] == first.id


def test_pinterest_pins_need_an_image_and_link_back(api):
    from scheduler.networks.pinterest import PinterestPublisher

    pins = []

    def handle(method, path, headers, body):
        if headers.get("Authorization") != "Bearer tok":
            return 401, {}, {"code": 2, "message": "Authentication failed."}
        if method == "POST" and path == "/v5/pins":
            pins.append(json.loads(body))
            return 201, {}, {"id": "813744226420795884", "board_id": pins[-1]["board_id"]}
        return 200, {}, {"items": [{"id": "813744226420795884", "description": p["description"]} for p in pins]}

    api.handler = handle
    pin = PinterestPublisher("pins", {"api_url": api.url, "board_id": "549755885175"}, {"ACCESS_TOKEN": "tok"},
                             FakeClock(NOW))
    with pytest.raises(Permanent):
        pin.publish(post())
    ref = pin.publish(OutgoingPost(**{**post("Care tips: https://acme.example/care").__dict__,
                                      "image": {"url": "https://acme.example/s.png", "alt": "Oiled oak"}}))
    assert ref.url == "https://www.pinterest.com/pin/813744226420795884/"
    assert pins[0]["media_source"] == {"source_type": "image_url", "url": "https://acme.example/s.png"}
    assert pins[0]["link"] == "https://acme.example/care" and pins[0]["alt_text"] == "Oiled oak"
    assert pin.find_recent(post("Care tips: https://acme.example/care")) is not None


def test_linkedin_posts_with_its_headers_and_escaped_commentary(api):
    from scheduler.networks.linkedin import LinkedInPublisher

    sent = []

    def handle(method, path, headers, body):
        if method == "POST":
            assert headers["LinkedIn-Version"] == "202411" and headers["X-Restli-Protocol-Version"] == "2.0.0"
            sent.append(json.loads(body))
            return 201, {"x-restli-id": "urn:li:share:7100000000000000000"}, b""
        return 429, {"Retry-After": "60"}, {"status": 429, "message": "Too Many Requests"}

    api.handler = handle
    linked = LinkedInPublisher("li", {"api_url": api.url, "author": "urn:li:organization:5515715"},
                               {"ACCESS_TOKEN": "tok"}, FakeClock(NOW))
    ref = linked.publish(post("Delivery (4-6 weeks) for #custom orders"))
    assert ref.id == "urn:li:share:7100000000000000000"
    assert sent[0]["commentary"] == r"Delivery \(4-6 weeks\) for \#custom orders"
    tagged = "Care (tips): https://acme.example/care?utm_source=linkedin&utm_campaign=winter_care"
    assert LinkedInPublisher.commentary(tagged) == r"Care \(tips\): " + tagged.split(": ", 1)[1]
    assert sent[0]["author"] == "urn:li:organization:5515715" and sent[0]["lifecycleState"] == "PUBLISHED"
    with pytest.raises(RateLimited):
        linked.find_recent(post())


def _facebook(api, tmp_path):
    from scheduler.networks.facebook import FacebookPublisher

    server = GraphServer(api)
    return (graph(api, FacebookPublisher, tmp_path, page_id="1234"),
            lambda: [o.get("on") for o in server.objects], lambda: [o["id"] for o in server.objects])


def _threads(api, tmp_path):
    from scheduler.networks.threads import ThreadsPublisher

    server = GraphServer(api)
    published = lambda: [o for o in server.objects if o["kind"] == "published"]  # noqa: E731
    return (graph(api, ThreadsPublisher, tmp_path, user_id="42"),
            lambda: [p["container"].get("reply_to_id") for p in published()], lambda: [p["id"] for p in published()])


@pytest.mark.parametrize("network, setup", [("facebook", _facebook), ("threads", _threads)])
def test_an_incident_thread_through_the_engine_on_meta(api, tmp_path, network, setup):
    test_an_incident_thread_through_the_engine(api, tmp_path, network, setup)


def test_on_a_network_without_threads_later_updates_link_back_to_the_first_post(api, tmp_path):
    from scheduler.networks.linkedin import LinkedInPublisher

    sent = []

    def handle(method, path, headers, body):
        sent.append(json.loads(body)["commentary"])
        return 201, {"x-restli-id": f"urn:li:share:71000000000000000{len(sent)}"}, b""

    api.handler = handle
    linked = LinkedInPublisher("li", {"api_url": api.url, "author": "urn:li:organization:5515715"},
                               {"ACCESS_TOKEN": "tok"}, FakeClock(NOW))
    engine = _engine_on(tmp_path, Account("li", "linkedin", {}), linked)
    assert [o.result for o in engine.run_due(NOW)] == ["sent", "sent"]
    assert sent[1].endswith("First post: https://www.linkedin.com/feed/update/urn:li:share:710000000000000001/")
    assert "First post" not in sent[0]



# -- expiring tokens ---------------------------------------------------------------------------------------------------
def test_threads_refreshes_its_long_lived_token_monthly_and_stores_it(api, tmp_path):
    from scheduler.networks.threads import ThreadsPublisher

    server = GraphServer(api)
    clock = FakeClock(NOW)
    options = {"api_url": api.url, "user_id": "42"}
    first = ThreadsPublisher("th", options, {"ACCESS_TOKEN": "tok"}, clock, base_dir=str(tmp_path))
    first.publish(post("one"))
    assert getattr(server, "refreshes", 0) == 0  # a fresh token: nothing to do
    clock.advance(timedelta(days=31))
    restarted = ThreadsPublisher("th", options, {"ACCESS_TOKEN": "tok"}, clock, base_dir=str(tmp_path))
    restarted.publish(post("two"))  # a month on, after a restart: refreshed first, then posted
    assert server.refreshes == 1 and server.token == "tok+"
    stored = tmp_path / ".herald" / "tokens" / "th.json"
    assert json.loads(stored.read_text())["access_token"] == "tok+" and oct(stored.stat().st_mode & 0o777) == "0o600"
    again = ThreadsPublisher("th", options, {"ACCESS_TOKEN": "tok"}, clock, base_dir=str(tmp_path))
    again.publish(post("three"))  # uses the stored token
    assert server.refreshes == 1
    replaced = ThreadsPublisher("th", options, {"ACCESS_TOKEN": "tok+"}, clock, base_dir=str(tmp_path))
    assert replaced.token == "tok+"  # an operator's new token wins over the store


def test_an_expired_token_is_refreshed_once_then_the_post_goes_out(api, tmp_path):
    from scheduler.networks.threads import ThreadsPublisher

    server = GraphServer(api)
    pub = ThreadsPublisher("th", {"api_url": api.url, "user_id": "42"}, {"ACCESS_TOKEN": "tok"}, FakeClock(NOW),
                           base_dir=str(tmp_path))
    server.script.append((400, {}, {"error": {"message": "Error validating access token: Session has expired",
                                              "type": "OAuthException", "code": 190}}))
    pub.publish(post("after expiry"))
    assert server.refreshes == 1 and [o["kind"] for o in server.objects] == ["container", "published"]


def test_linkedin_refreshes_with_its_refresh_token_or_stops_the_account(api, tmp_path):
    from scheduler.networks.linkedin import LinkedInPublisher

    tokens = {"current": "old"}
    refreshed = []

    def handle(method, path, headers, body):
        if path == "/oauth/v2/accessToken":
            form = dict(parse_qsl(body.decode()))
            refreshed.append(form)
            tokens["current"] = "new"
            return 200, {}, {"access_token": "new", "expires_in": 5184000, "refresh_token": "rt2",
                             "refresh_token_expires_in": 31536000}
        if headers.get("Authorization") != f"Bearer {tokens['current']}" or tokens["current"] == "old":
            return 401, {}, {"status": 401, "serviceErrorCode": 65601, "code": "REVOKED_ACCESS_TOKEN",
                             "message": "The token used in the request has been revoked by the user"}
        return 201, {"x-restli-id": "urn:li:share:1"}, b""

    api.handler = handle
    secrets = {"ACCESS_TOKEN": "old", "REFRESH_TOKEN": "rt1", "CLIENT_ID": "cid", "CLIENT_SECRET": "csecret"}
    options = {"api_url": api.url, "author": "urn:li:organization:1", "oauth_url": api.url + "/oauth/v2/accessToken"}
    pub = LinkedInPublisher("li", options, secrets, FakeClock(NOW), base_dir=str(tmp_path))
    assert pub.publish(post()).id == "urn:li:share:1"
    assert refreshed[0] == {"grant_type": "refresh_token", "refresh_token": "rt1", "client_id": "cid",
                            "client_secret": "csecret"}
    assert json.loads((tmp_path / ".herald" / "tokens" / "li.json").read_text())["refresh_token"] == "rt2"
    tokens["current"] = "old"
    plain = LinkedInPublisher("li2", options, {"ACCESS_TOKEN": "old"}, FakeClock(NOW), base_dir=str(tmp_path))
    with pytest.raises(AuthFailed, match="revoked"):
        plain.publish(post())



# -- images on the rest -------------------------------------------------------------------------------------------------
def test_bluesky_posts_an_image_with_alt_text(api, tmp_path):
    server = BlueskyServer(api)
    pub = bluesky(api, tmp_path)
    pub.publish(image_post(tmp_path))
    embed = server.records[0]["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert embed["images"][0]["alt"] == "A green velvet sofa in the showroom"
    assert embed["images"][0]["image"]["ref"] == {"$link": "bafkreiabc"}


def test_telegram_sends_a_photo_with_its_caption(api, tmp_path):
    sent = []

    def handle(method, path, headers, body):
        sent.append((path, headers.get("Content-Type", ""), body))
        return 200, {}, {"ok": True, "result": {"message_id": 5}}

    api.handler = handle
    tg = TelegramPublisher("alerts", {"chat_id": "-100123", "api_url": api.url}, {"BOT_TOKEN": "123:SECRET"},
                           FakeClock(NOW), base_dir=str(tmp_path))
    tg.publish(image_post(tmp_path))  # a file: multipart
    tg.publish(OutgoingPost(**{**post("By url").__dict__, "image": {"url": "https://acme.example/s.png", "alt": "x"}}))
    assert sent[0][0].endswith("/sendPhoto") and sent[0][1].startswith("multipart/form-data")
    assert b'name="caption"' in sent[0][2] and b"\x89PNG" in sent[0][2]
    assert json.loads(sent[1][2]) == {"chat_id": "-100123", "caption": "By url", "photo": "https://acme.example/s.png"}


def test_discord_attaches_the_image_with_its_description(api, tmp_path):
    sent = []

    def handle(method, path, headers, body):
        sent.append(body)
        return 200, {}, {"id": "1"}

    api.handler = handle
    dc = DiscordPublisher("community", {}, {"WEBHOOK_URL": api.url + "/api/webhooks/1/TOKEN"}, FakeClock(NOW),
                          base_dir=str(tmp_path))
    dc.publish(image_post(tmp_path))
    body = sent[0]
    assert b'name="files[0]"; filename="sofa.png"' in body
    payload = json.loads(body.split(b'name="payload_json"\r\n\r\n')[1].split(b"\r\n--")[0])
    assert payload["attachments"] == [{"id": 0, "filename": "sofa.png",
                                       "description": "A green velvet sofa in the showroom"}]


def test_linkedin_uploads_the_image_then_posts_it(api, tmp_path):
    from scheduler.networks.linkedin import LinkedInPublisher

    calls = []

    def handle(method, path, headers, body):
        calls.append((method, path))
        if path.startswith("/rest/images"):
            assert json.loads(body) == {"initializeUploadRequest": {"owner": "urn:li:organization:1"}}
            return 200, {}, {"value": {"uploadUrlExpiresAt": 1796115600000, "uploadUrl": api.url + "/upload/abc",
                                       "image": "urn:li:image:C4E10AQ"}}
        if path == "/upload/abc":
            assert body.startswith(b"\x89PNG") and method == "PUT"
            return 201, {}, b""
        calls.append(json.loads(body))
        return 201, {"x-restli-id": "urn:li:share:9"}, b""

    api.handler = handle
    li = LinkedInPublisher("li", {"api_url": api.url, "author": "urn:li:organization:1"}, {"ACCESS_TOKEN": "tok"},
                           FakeClock(NOW), base_dir=str(tmp_path))
    li.publish(image_post(tmp_path))
    assert calls[0] == ("POST", "/rest/images?action=initializeUpload") and calls[1] == ("PUT", "/upload/abc")
    assert calls[-1]["content"] == {"media": {"id": "urn:li:image:C4E10AQ",
                                              "altText": "A green velvet sofa in the showroom"}}


# -- an image post through the engine, from a calendar post's image ----------------------------------------------------
@pytest.mark.parametrize("network, setup", [("x", _x), ("mastodon", _mastodon), ("bluesky", _bluesky)])
@pytest.mark.slow
def test_a_calendar_post_with_an_image_through_the_engine(api, tmp_path, network, setup):
    from campaigns.calendar import loads as load_calendar
    from scheduler.engine import Engine
    from scheduler.ledger import Ledger

    publisher, _replies, ids = setup(api, tmp_path)
    publisher.base_dir = str(tmp_path)
    (tmp_path / "sofa.png").write_bytes(PNG)
    extra = {"x": "", "mastodon": ", instance: 'https://social.example'", "bluesky": ", handle: acme.example"}[network]
    calendar = load_calendar(f"""brand: {{name: Acme, timezone: UTC}}
networks:
  {publisher.name}: {{type: {network}{extra}}}
posts:
  - id: new-sofa
    kind: announcement
    networks: [{publisher.name}]
    at: '2026-12-01T08:59:00Z'
    text: Our new sofa is in the showroom.
    image: {{path: sofa.png, alt: A green velvet sofa}}
""")
    engine = Engine(calendar, Ledger(f"sqlite:///{tmp_path / 'state.db'}"), {publisher.name: publisher}, "t")
    engine.replan(NOW)
    assert [o.result for o in engine.run_due(NOW)] == ["sent"] and len(ids()) == 1
    upload = {"x": "/1.1/media/upload.json", "mastodon": "/api/v2/media",
              "bluesky": "/xrpc/com.atproto.repo.uploadBlob"}[network]
    assert any(r["path"].startswith(upload) for r in api.requests)  # the image went up first...
    assert any(b"A green velvet sofa" in r["body"] for r in api.requests)  # ...with its alt text


def _slack(api, tmp_path):
    sent = []
    api.handler = lambda m, p, h, b: (sent.append(json.loads(b)), (200, {}, "ok"))[1]
    return slack(api), lambda: [None for _ in sent], lambda: ["k" for _ in sent]


def _teams(api, tmp_path):
    sent = []
    api.handler = lambda m, p, h, b: (sent.append(json.loads(b)), (202, {}, ""))[1]
    return (TeamsPublisher("ops", {}, {"WEBHOOK_URL": api.url + "/workflows/abc"}, FakeClock(NOW)),
            lambda: [None for _ in sent], lambda: ["k" for _ in sent])


@pytest.mark.parametrize("network, setup", [("slack", _slack), ("teams", _teams)])
def test_an_incident_through_the_engine_on_chats_without_threads(api, tmp_path, network, setup):
    from campaigns.calendar import loads as load_calendar
    from scheduler.engine import Engine
    from scheduler.ledger import Ledger
    from status.load import loads as load_status

    publisher, _replies, ids = setup(api, tmp_path)
    calendar = load_calendar(f"brand: {{name: Acme, timezone: UTC}}\nnetworks:\n  {publisher.name}: {{type: {network}}}\n")
    engine = Engine(calendar, Ledger(f"sqlite:///{tmp_path / 'state.db'}"), {publisher.name: publisher}, "t",
                    status=load_status(INCIDENT, calendar))
    engine.replan(NOW)
    assert [o.result for o in engine.run_due(NOW)] == ["sent", "sent"] and len(ids()) == 2
    assert engine.run_due(NOW + timedelta(minutes=1)) == []


def _image_server(api):
    """One server for the url-image networks; serves the image itself too (LinkedIn fetches it)."""
    seen = []

    def handle(method, path, headers, body):
        seen.append({"method": method, "path": path, "body": body})
        if path == "/img/sofa.png":
            return 200, {"Content-Type": "image/png"}, PNG
        if path.startswith("/rest/images"):
            return 200, {}, {"value": {"uploadUrl": api.url + "/upload/1", "image": "urn:li:image:1"}}
        if path.startswith("/upload/"):
            return 201, {}, b""
        if path.startswith("/rest/posts"):
            return 201, {"x-restli-id": "urn:li:share:1"}, b""
        if path.startswith("/v5/pins"):
            return 201, {}, {"id": "813744226420795884"}
        if "/bot" in path:
            return 200, {}, {"ok": True, "result": {"message_id": 1}}
        if path.startswith("/api/webhooks"):
            return 200, {}, {"id": "1"}
        return 200, {}, {"id": f"obj_{len(seen)}", "post_id": f"post_{len(seen)}"}

    api.handler = handle
    return seen


@pytest.mark.parametrize("network, extra, expected", [
    ("facebook", ", page_id: '1234'", "url=http"),
    ("instagram", ", user_id: '1789'", "image_url=http"),
    ("threads", ", user_id: '42'", "media_type=IMAGE"),
    ("pinterest", ", board_id: '5497'", '"source_type": "image_url"'),
    ("linkedin", ", author: 'urn:li:organization:1'", '"urn:li:image:1"'),
    ("telegram", ", chat_id: '-100123'", '"photo": "http'),
    ("discord", "", 'name="files[0]"'),
])
@pytest.mark.slow
def test_an_image_post_by_url_through_the_engine(api, tmp_path, network, extra, expected):
    from campaigns.calendar import loads as load_calendar
    from scheduler.engine import Engine
    from scheduler.ledger import Ledger
    from scheduler.networks import publisher_class

    seen = _image_server(api)
    calendar = load_calendar(f"""brand: {{name: Acme, timezone: UTC}}
networks:
  acct: {{type: {network}{extra}}}
posts:
  - id: new-sofa
    kind: announcement
    networks: [acct]
    at: '2026-12-01T08:59:00Z'
    text: Our new sofa is in the showroom.
    image: {{url: '{api.url}/img/sofa.png', alt: A green velvet sofa}}
""")
    account = calendar.networks["acct"]
    secrets = {"ACCESS_TOKEN": "tok", "PAGE_ACCESS_TOKEN": "tok", "BOT_TOKEN": "1:T",
               "WEBHOOK_URL": api.url + "/api/webhooks/1/T"}
    publisher = publisher_class(network)("acct", {**account.options, "api_url": api.url}, secrets, FakeClock(NOW),
                                base_dir=str(tmp_path))
    engine = Engine(calendar, Ledger(f"sqlite:///{tmp_path / 'state.db'}"), {"acct": publisher}, "t")
    engine.replan(NOW)
    assert [o.result for o in engine.run_due(NOW)] == ["sent"]
    bodies = " ".join(r["body"].decode(errors="replace") for r in seen)
    assert expected in bodies or expected in " ".join(r["path"] for r in seen)


def test_instagram_replies_are_comments_on_the_first_post(api, tmp_path):
    from scheduler.networks.instagram import InstagramPublisher

    server = GraphServer(api)
    insta = graph(api, InstagramPublisher, tmp_path, user_id="1789")
    first = insta.publish(OutgoingPost(**{**post("New sofa").__dict__, "image": {"url": "https://acme.example/s.png",
                                                                              "alt": "A sofa"}}))
    insta.publish(OutgoingPost(**{**post("Now in three colours.").__dict__, "reply_to": first}))
    assert server.objects[-1]["kind"] == "comment" and server.objects[-1]["on"] == first.id


# -- stored tokens and sessions: written atomically, mode 600, under a unique temporary name -------------------------
def test_the_token_store_and_the_bluesky_session_do_not_use_a_fixed_temporary_name(api, tmp_path):
    from scheduler.networks.threads import ThreadsPublisher

    # A fixed "<file>.tmp" (a second writer's, or a leftover that is not a file) broke both writes.
    (tmp_path / ".herald" / "tokens" / "th.json.tmp").mkdir(parents=True)
    (tmp_path / ".herald" / "bluesky-sky.session.tmp").mkdir(parents=True)
    GraphServer(api)
    ThreadsPublisher("th", {"api_url": api.url, "user_id": "42"}, {"ACCESS_TOKEN": "tok"}, FakeClock(NOW),
                     base_dir=str(tmp_path))
    stored = tmp_path / ".herald" / "tokens" / "th.json"
    assert json.loads(stored.read_text())["access_token"] == "tok" and stored.stat().st_mode & 0o777 == 0o600
    BlueskyServer(api)
    bluesky(api, tmp_path).publish(post("one"))
    session = tmp_path / ".herald" / "bluesky-sky.session"
    assert session.read_text() and session.stat().st_mode & 0o777 == 0o600


def test_every_row_of_the_sdk_error_table_names_an_exception_the_installed_sdk_raises():
    import importlib

    from scheduler.errors import SDK_ERRORS, HttpError, RateLimited, sdk_error_class

    for name, _herald, _when in SDK_ERRORS:
        module, _, cls = name.rpartition(".")
        assert issubclass(getattr(importlib.import_module(module), cls), Exception), name
    from mastodon import MastodonNotFoundError, MastodonRatelimitError

    assert sdk_error_class(MastodonRatelimitError)[0] is RateLimited  # type: ignore[index]
    assert sdk_error_class(MastodonNotFoundError)[0] is None  # by its status, through MastodonAPIError's row
    assert sdk_error_class(HttpError) is None
