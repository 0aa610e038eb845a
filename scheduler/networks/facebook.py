"""Facebook Pages, over the Graph API (see :mod:`scheduler.networks.graph` for the shared error handling and tokens)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from campaigns.networks import BuiltinType

from ..clock import Clock
from .base import OutgoingPost, RemoteRef
from .credentials import Secrets
from .graph import MetaPublisher


class FacebookPublisher(MetaPublisher):
    host = "https://graph.facebook.com/v21.0"
    type_ = BuiltinType.FACEBOOK

    def __init__(self, name: str, options: Mapping[str, Any], secrets: Secrets, clock: Clock, *,
                 base_dir: str = "."):
        super().__init__(name, options, secrets, clock, base_dir=base_dir)
        self.page = options["page_id"]

    def publish(self, post: OutgoingPost) -> RemoteRef:
        if post.reply_to is not None:
            return self.comment(post)
        image = (post.image or {}).get("url")
        if image:
            data = self.call("POST", f"/{self.page}/photos", data=self.params(url=image, message=post.text))
            post_id = str(data.get("post_id") or data["id"])
        else:
            data = self.call("POST", f"/{self.page}/feed", data=self.params(message=post.text))
            post_id = str(data["id"])
        return RemoteRef(post_id, f"https://www.facebook.com/{post_id}")

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        return self.find_in(f"/{self.page}/posts", "message", post, "permalink_url")

    def check_live(self) -> str:
        data = self.call("GET", f"/{self.page}", params=self.params(fields="id,name"))
        return f"the page token is valid ({data.get('name', self.page)})"
