"""Discord, for team and community chats.

- Discord (``WEBHOOK_URL``): ``?wait=true`` returns the message (its id, for replies in
  threads); 429 with a JSON ``retry_after`` (seconds) and ``X-RateLimit-Reset-After``;
  401/403/404 ``Unknown Webhook`` (auth); 400 with a JSON error (permanent).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import requests

from ..clock import Clock
from .base import OutgoingPost, RateLimited, RemoteRef, Transient
from .chat import _HttpChat
from .credentials import Secrets
from .media import image_bytes


class DiscordPublisher(_HttpChat):
    def __init__(self, name: str, options: dict[str, Any], secrets: Secrets, clock: Clock, **kw: Any):
        super().__init__(name, "discord", options, secrets, clock, **kw)

    def publish(self, post: OutgoingPost) -> RemoteRef:
        url = self.secrets["WEBHOOK_URL"]
        payload: dict[str, Any] = {"content": post.text, "allowed_mentions": {"parse": []}}
        if post.reply_to is not None:
            payload["message_reference"] = {"message_id": post.reply_to.id, "fail_if_not_exists": False}
        files = None
        if post.image:  # an attachment, with its alt text as the description
            data, name, mime = image_bytes(self.name, post.image, self.base_dir)
            payload["attachments"] = [{"id": 0, "filename": name, "description": post.image.get("alt", "")[:1024]}]
            files = {"files[0]": (name, data, mime)}
            payload = {"payload_json": json.dumps(payload)}
        response = self._post(url + ("&" if "?" in url else "?") + "wait=true", payload, "the Discord webhook", files)
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
