"""Teams, for team and community chats.

- Teams (``WEBHOOK_URL``, a Workflows or connector webhook): 200/202; 400 (permanent);
  401/403/404 (auth); 429 with ``Retry-After``; 5xx.
"""

from __future__ import annotations

from campaigns.networks import BuiltinType

from .base import OutgoingPost, RemoteRef
from .chat import ChatPublisher


class TeamsPublisher(ChatPublisher):
    type_ = BuiltinType.TEAMS

    def publish(self, post: OutgoingPost) -> RemoteRef:
        card = {"type": "message", "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                        "version": "1.4", "body": [{"type": "TextBlock", "text": post.text, "wrap": True}]},
        }]}
        response = self._post(self.secrets["WEBHOOK_URL"], card, "the Teams webhook")
        if response.status_code in (200, 202):
            return RemoteRef(post.key)  # Teams gives no id; the key names the message in the ledger
        raise self.fail(response, f"Teams answered HTTP {response.status_code}: {response.text.strip()[:200]}")

    def check_live(self) -> str:
        return "a Teams webhook cannot be checked without posting; its URL is set"
