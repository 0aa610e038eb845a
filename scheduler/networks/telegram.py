"""Telegram, for team and community chats.

- Telegram (``BOT_TOKEN``, ``chat_id`` in the calendar): ``sendMessage``; replies thread
  with ``reply_parameters``; ``{"ok": false, "error_code": 429, "parameters":
  {"retry_after": N}}``; 401 (bad token) and 403 (bot blocked or removed) stop the
  account; 400 ``chat not found`` or a too-long text is permanent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from campaigns.networks import BuiltinType

from ..clock import Clock
from ..errors import PublishError, RateLimited
from ..http import Response
from ..redaction import redact_url
from .base import OutgoingPost, RemoteRef, json_body
from .chat import ChatPublisher
from .credentials import Secrets
from .media import image_bytes


class TelegramPublisher(ChatPublisher):
    type_ = BuiltinType.TELEGRAM
    api_url = "https://api.telegram.org"

    def __init__(self, name: str, options: Mapping[str, Any], secrets: Secrets, clock: Clock, **kw: Any):
        super().__init__(name, options, secrets, clock, **kw)
        self.api_url = str(options.get("api_url", TelegramPublisher.api_url)).rstrip("/")

    def _method_url(self, method: str) -> str:
        return f"{self.api_url}/bot{self.secrets['BOT_TOKEN']}/{method}"

    def publish(self, post: OutgoingPost) -> RemoteRef:
        payload: dict[str, Any] = {"chat_id": self.options["chat_id"], "text": post.text,
                                   "link_preview_options": {"is_disabled": True}}
        if post.reply_to is not None and post.reply_to.id and post.reply_to.id.isdigit():
            payload["reply_parameters"] = {"message_id": int(post.reply_to.id), "allow_sending_without_reply": True}
        method, files = "sendMessage", None
        if post.image and len(post.text) <= 1024:  # a photo's caption holds 1,024 characters
            method = "sendPhoto"
            payload, files = self._photo(payload, post)
        response = self._post(self._method_url(method), payload, f"{redact_url(self.api_url)} ({method})", files)
        answer = json_body(response)
        if response.status_code == 200 and answer.get("ok"):
            result = answer.get("result") or {}
            return RemoteRef(str(result["message_id"]) if "message_id" in result else None)
        raise self.fail(response, f"Telegram answered HTTP {response.status_code}: "
                                  f"{answer.get('description') or response.text.strip()[:200]}")

    def _photo(self, payload: dict[str, Any], post: OutgoingPost) -> tuple[dict[str, Any], Any]:
        """The message as a photo with the text as its caption: the image by its address, or
        uploaded (a multipart form, whose fields are JSON-encoded)."""
        assert post.image is not None
        payload = {k: v for k, v in payload.items() if k not in ("text", "link_preview_options")}
        payload["caption"] = post.text
        if post.image.get("url"):
            payload["photo"] = post.image["url"]
            return payload, None
        data, name, mime = image_bytes(self.name, post.image, self.base_dir, http=self.http)
        form = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in payload.items()}
        return form, {"photo": (name, data, mime)}

    def fail(self, response: Response, message: str) -> PublishError:
        retry_after = (json_body(response).get("parameters") or {}).get("retry_after")
        if response.status_code == 429 and retry_after is not None:  # Telegram's own wait, in the body
            return RateLimited(self.name, self.clock.now() + timedelta(seconds=float(retry_after)), message)
        return super().fail(response, message)

    def check_live(self) -> str:
        response = self._get(self._method_url("getMe"), f"{redact_url(self.api_url)} (getMe)")
        answer = json_body(response)
        if response.status_code == 200 and answer.get("ok"):
            return f"the bot token is valid (@{(answer.get('result') or {}).get('username', '?')})"
        raise self.fail(response, f"Telegram answered HTTP {response.status_code}: "
                                  f"{answer.get('description') or response.text.strip()[:200]}")

