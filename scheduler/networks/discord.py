"""Discord, for team and community chats.

- Discord (``WEBHOOK_URL``): ``?wait=true`` returns the message (its id, for replies in
  threads); 429 with a JSON ``retry_after`` (seconds) and ``X-RateLimit-Reset-After``;
  401/403/404 ``Unknown Webhook`` (auth); 400 with a JSON error (permanent).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from campaigns.networks import BuiltinType

from ..errors import PublishError, RateLimited
from ..http import Response
from .base import OutgoingPost, RemoteRef, json_body
from .chat import ChatPublisher
from .media import image_bytes

SHOWN = "the Discord webhook"


class DiscordPublisher(ChatPublisher):
    type_ = BuiltinType.DISCORD

    def publish(self, post: OutgoingPost) -> RemoteRef:
        url = self.secrets["WEBHOOK_URL"]
        payload: dict[str, Any] = {"content": post.text, "allowed_mentions": {"parse": []}}
        if post.reply_to is not None and post.reply_to.id:
            payload["message_reference"] = {"message_id": post.reply_to.id, "fail_if_not_exists": False}
        files = None
        if post.image:  # an attachment, with its alt text as the description
            data, name, mime = image_bytes(self.name, post.image, self.base_dir, http=self.http)
            payload["attachments"] = [{"id": 0, "filename": name, "description": post.image.get("alt", "")[:1024]}]
            files = {"files[0]": (name, data, mime)}
            payload = {"payload_json": json.dumps(payload)}
        response = self._post(url + ("&" if "?" in url else "?") + "wait=true", payload, SHOWN, files)
        if response.status_code in (200, 204):
            message = json_body(response)
            return RemoteRef(str(message["id"]) if message.get("id") else None)
        raise self.fail(response, f"Discord answered HTTP {response.status_code}: {response.text.strip()[:200]}")

    def fail(self, response: Response, message: str) -> PublishError:
        if response.status_code == 429:  # Discord's own wait, in seconds, in the body
            try:
                after = float(json_body(response)["retry_after"])
            except (KeyError, ValueError, TypeError):
                pass
            else:
                return RateLimited(self.name, self.clock.now() + timedelta(seconds=after), message)
        return super().fail(response, message)

    def check_live(self) -> str:
        response = self._get(self.secrets["WEBHOOK_URL"], SHOWN)
        if response.status_code == 200:
            return f"the webhook is valid ({json_body(response).get('name', 'unnamed')})"
        raise self.fail(response, f"Discord answered HTTP {response.status_code}: {response.text.strip()[:200]}")
