"""Slack, for team and community chats.

- Slack (``WEBHOOK_URL``): 200 ``ok``; 400 ``invalid_payload``/``no_text`` (permanent);
  403 ``invalid_token``/``action_prohibited`` and 404 ``no_service``/``channel_not_found``,
  410 ``channel_is_archived`` (the webhook is gone: auth); 429 with ``Retry-After``; 5xx.
"""

from __future__ import annotations

from campaigns.networks import BuiltinType

from .base import OutgoingPost, RemoteRef
from .chat import ChatPublisher

SHOWN = "the Slack webhook"


class SlackPublisher(ChatPublisher):
    type_ = BuiltinType.SLACK

    def publish(self, post: OutgoingPost) -> RemoteRef:
        url = self.secrets["WEBHOOK_URL"]
        response = self._post(url, {"text": post.text, "unfurl_links": False}, SHOWN)
        if response.status_code == 200:
            return RemoteRef(post.key)  # Slack gives no id; the key names the message in the ledger
        raise self.fail(response, f"Slack answered HTTP {response.status_code}: {response.text.strip()[:200]}")

    def check_live(self) -> str:
        # Slack answers an empty message with 400 "no_text" when the webhook is valid, and posts nothing.
        response = self._post(self.secrets["WEBHOOK_URL"], {}, SHOWN)
        if response.status_code == 400 and "no_text" in response.text:
            return "the webhook is valid"
        raise self.fail(response, f"Slack answered HTTP {response.status_code}: {response.text.strip()[:200]}")
