"""Facebook Pages, over requests (see :mod:`scheduler.networks.graph` for the shared error handling and tokens)."""

from __future__ import annotations

from typing import Any

from ..clock import Clock
from .base import OutgoingPost, RemoteRef
from .credentials import Secrets
from .graph import _Meta


class FacebookPublisher(_Meta):
    host = "https://graph.facebook.com/v21.0"

    def __init__(self, name: str, options: dict[str, Any], secrets: Secrets, clock: Clock, base_dir: str = "."):
        super().__init__(name, "facebook", options, secrets, clock, base_dir)
        self.page = options["page_id"]

    def publish(self, post: OutgoingPost) -> RemoteRef:
        if post.reply_to is not None:
            data = self.request("POST", f"/{post.reply_to.id}/comments", data=self.params(message=post.text))
            return RemoteRef(str(data["id"]), post.reply_to.url)
        image = (post.image or {}).get("url")
        if image:
            data = self.request("POST", f"/{self.page}/photos", data=self.params(url=image, message=post.text))
            post_id = str(data.get("post_id") or data["id"])
        else:
            data = self.request("POST", f"/{self.page}/feed", data=self.params(message=post.text))
            post_id = str(data["id"])
        return RemoteRef(post_id, f"https://www.facebook.com/{post_id}")

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        return self.find_in(f"/{self.page}/posts", "message", post, "permalink_url")

    def check_live(self) -> str:
        data = self.request("GET", f"/{self.page}", params=self.params(fields="id,name"))
        return f"the page token is valid ({data.get('name', self.page)})"
