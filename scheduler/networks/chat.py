"""Team and community chats: Slack, Discord and Microsoft Teams incoming webhooks, and Telegram bots.

None of them honours an idempotency key and none lets a webhook list what it posted, so
``safe_to_resend`` is False: after an ambiguous failure the engine asks a person instead
of risking a duplicate. Each maps its API's real answers to Herald's errors:

- Slack (``WEBHOOK_URL``): 200 ``ok``; 400 ``invalid_payload``/``no_text`` (permanent);
  403 ``invalid_token``/``action_prohibited`` and 404 ``no_service``/``channel_not_found``,
  410 ``channel_is_archived`` (the webhook is gone: auth); 429 with ``Retry-After``; 5xx.
- Discord (``WEBHOOK_URL``): ``?wait=true`` returns the message (its id, for replies in
  threads); 429 with a JSON ``retry_after`` (seconds) and ``X-RateLimit-Reset-After``;
  401/403/404 ``Unknown Webhook`` (auth); 400 with a JSON error (permanent).
- Teams (``WEBHOOK_URL``, a Workflows or connector webhook): 200/202; 400 (permanent);
  401/403/404 (auth); 429 with ``Retry-After``; 5xx.
- Telegram (``BOT_TOKEN``, ``chat_id`` in the calendar): ``sendMessage``; replies thread
  with ``reply_parameters``; ``{"ok": false, "error_code": 429, "parameters":
  {"retry_after": N}}``; 401 (bad token) and 403 (bot blocked or removed) stop the
  account; 400 ``chat not found`` or a too-long text is permanent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests

from ..clock import Clock
from .base import (
    AuthFailed,
    OutgoingPost,
    Permanent,
    Publisher,
    RateLimited,
    RemoteRef,
    Transient,
    redact_url,
)
from .credentials import Secrets
from .webhook import USER_AGENT, retry_at_from


class _HttpChat(Publisher):
    safe_to_resend = False
    api_url = ""

    def __init__(self, name: str, type_: str, options: dict[str, Any], secrets: Secrets, clock: Clock,
                 session: requests.Session | None = None):
        super().__init__(name, type_)
        self.options = options
        self.secrets = secrets
        self.clock = clock
        self.timeout = float(options.get("timeout", 10))
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def _post(self, url: str, payload: dict[str, Any], shown: str) -> requests.Response:
        try:
            return self.session.post(url, json=payload, timeout=self.timeout)
        except requests.ConnectTimeout:
            raise Transient(self.name, f"connecting to {shown} timed out") from None
        except requests.Timeout:
            raise Transient(self.name, f"{shown} did not answer within {self.timeout:g} s", ambiguous=True) from None
        except requests.ConnectionError as exc:
            raise Transient(self.name, f"cannot reach {shown}", ambiguous="refused" not in str(exc)) from None

    def _fail(self, response: requests.Response, message: str) -> None:
        status = response.status_code
        if status == 429:
            raise RateLimited(self.name, retry_at_from(response.headers, self.clock.now()), message)
        if status >= 500 or status == 408:
            raise Transient(self.name, message, ambiguous=status >= 500)
        if status in (401, 403, 404, 410):
            raise AuthFailed(self.name, message)
        raise Permanent(self.name, message)

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        return None  # a webhook cannot list what it posted

    def close(self) -> None:
        self.session.close()


class SlackPublisher(_HttpChat):
    def __init__(self, name: str, options: dict[str, Any], secrets: Secrets, clock: Clock, **kw: Any):
        super().__init__(name, "slack", options, secrets, clock, **kw)

    def publish(self, post: OutgoingPost) -> RemoteRef:
        url = self.secrets["WEBHOOK_URL"]
        response = self._post(url, {"text": post.text, "unfurl_links": False}, "the Slack webhook")
        if response.status_code == 200:
            return RemoteRef(post.key)
        self._fail(response, f"Slack answered HTTP {response.status_code}: {response.text.strip()[:200]}")
        raise AssertionError  # _fail always raises


    def check_live(self) -> str:
        # Slack answers an empty message with 400 "no_text" when the webhook is valid, and posts nothing.
        response = self._post(self.secrets["WEBHOOK_URL"], {}, "the Slack webhook")
        if response.status_code == 400 and "no_text" in response.text:
            return "the webhook is valid"
        self._fail(response, f"Slack answered HTTP {response.status_code}: {response.text.strip()[:200]}")
        raise AssertionError


class TeamsPublisher(_HttpChat):
    def __init__(self, name: str, options: dict[str, Any], secrets: Secrets, clock: Clock, **kw: Any):
        super().__init__(name, "teams", options, secrets, clock, **kw)

    def publish(self, post: OutgoingPost) -> RemoteRef:
        card = {"type": "message", "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                        "version": "1.4", "body": [{"type": "TextBlock", "text": post.text, "wrap": True}]},
        }]}
        response = self._post(self.secrets["WEBHOOK_URL"], card, "the Teams webhook")
        if response.status_code in (200, 202):
            return RemoteRef(post.key)
        self._fail(response, f"Teams answered HTTP {response.status_code}: {response.text.strip()[:200]}")
        raise AssertionError


class DiscordPublisher(_HttpChat):
    def __init__(self, name: str, options: dict[str, Any], secrets: Secrets, clock: Clock, **kw: Any):
        super().__init__(name, "discord", options, secrets, clock, **kw)

    def publish(self, post: OutgoingPost) -> RemoteRef:
        url = self.secrets["WEBHOOK_URL"]
        payload: dict[str, Any] = {"content": post.text, "allowed_mentions": {"parse": []}}
        if post.reply_to is not None:
            payload["message_reference"] = {"message_id": post.reply_to.id, "fail_if_not_exists": False}
        response = self._post(url + ("&" if "?" in url else "?") + "wait=true", payload, "the Discord webhook")
        if response.status_code in (200, 204):
            data = response.json() if response.content else {}
            return RemoteRef(str(data.get("id") or post.key))
        detail = response.text.strip()[:200]
        if response.status_code == 429:
            try:
                after = float(response.json().get("retry_after", 0))
                raise RateLimited(self.name, self.clock.now() + timedelta(seconds=after), f"Discord: {detail}")
            except ValueError:
                pass
        self._fail(response, f"Discord answered HTTP {response.status_code}: {detail}")
        raise AssertionError


    def check_live(self) -> str:
        try:
            response = self.session.get(self.secrets["WEBHOOK_URL"], timeout=self.timeout)
        except requests.RequestException:
            raise Transient(self.name, "cannot reach the Discord webhook") from None
        if response.status_code == 200:
            return f"the webhook is valid ({response.json().get('name', 'unnamed')})"
        self._fail(response, f"Discord answered HTTP {response.status_code}: {response.text.strip()[:200]}")
        raise AssertionError


class TelegramPublisher(_HttpChat):
    api_url = "https://api.telegram.org"

    def __init__(self, name: str, options: dict[str, Any], secrets: Secrets, clock: Clock, **kw: Any):
        super().__init__(name, "telegram", options, secrets, clock, **kw)
        self.api_url = options.get("api_url", TelegramPublisher.api_url).rstrip("/")

    def publish(self, post: OutgoingPost) -> RemoteRef:
        payload: dict[str, Any] = {"chat_id": self.options["chat_id"], "text": post.text,
                                   "link_preview_options": {"is_disabled": True}}
        if post.reply_to is not None and post.reply_to.id.isdigit():
            payload["reply_parameters"] = {"message_id": int(post.reply_to.id), "allow_sending_without_reply": True}
        url = f"{self.api_url}/bot{self.secrets['BOT_TOKEN']}/sendMessage"
        response = self._post(url, payload, f"{redact_url(self.api_url)} (sendMessage)")
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code == 200 and data.get("ok"):
            result = data.get("result") or {}
            return RemoteRef(str(result.get("message_id", post.key)))
        detail = f"Telegram: {data.get('description') or response.text.strip()[:200]}"
        retry_after = (data.get("parameters") or {}).get("retry_after")
        if response.status_code == 429 and retry_after is not None:
            raise RateLimited(self.name, self.clock.now() + timedelta(seconds=float(retry_after)), detail)
        self._fail(response, detail)
        raise AssertionError

    def check_live(self) -> str:
        try:
            response = self.session.get(f"{self.api_url}/bot{self.secrets['BOT_TOKEN']}/getMe", timeout=self.timeout)
        except requests.RequestException:
            raise Transient(self.name, "cannot reach Telegram") from None
        data = response.json() if response.content else {}
        if response.status_code == 200 and data.get("ok"):
            return f"the bot token is valid (@{(data.get('result') or {}).get('username', '?')})"
        self._fail(response, f"Telegram: {data.get('description') or response.status_code}")
        raise AssertionError
