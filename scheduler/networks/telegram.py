"""Telegram, for team and community chats.

- Telegram (``BOT_TOKEN``, ``chat_id`` in the calendar): ``sendMessage``; replies thread
  with ``reply_parameters``; ``{"ok": false, "error_code": 429, "parameters":
  {"retry_after": N}}``; 401 (bad token) and 403 (bot blocked or removed) stop the
  account; 400 ``chat not found`` or a too-long text is permanent.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import requests

from ..clock import Clock
from .base import OutgoingPost, RateLimited, RemoteRef, Transient, redact_url
from .chat import _HttpChat
from .credentials import Secrets
from .media import image_bytes


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
        method, files = "sendMessage", None
        if post.image and len(post.text) <= 1024:  # a photo's caption holds 1,024 characters
            method = "sendPhoto"
            payload = {k: v for k, v in payload.items() if k not in ("text", "link_preview_options")}
            payload["caption"] = post.text
            if post.image.get("url"):
                payload["photo"] = post.image["url"]
            else:
                data, name, mime = image_bytes(self.name, post.image, self.base_dir)
                files = {"photo": (name, data, mime)}
                payload = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in payload.items()}
        url = f"{self.api_url}/bot{self.secrets['BOT_TOKEN']}/{method}"
        response = self._post(url, payload, f"{redact_url(self.api_url)} ({method})", files)
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
