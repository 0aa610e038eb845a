"""Instagram, over the Graph API (see :mod:`scheduler.networks.graph` for the shared error handling and tokens)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from campaigns.networks import BuiltinType

from ..clock import Clock
from ..errors import Permanent
from .base import OutgoingPost, RemoteRef
from .credentials import Secrets
from .graph import MetaPublisher


class InstagramPublisher(MetaPublisher):
    host = "https://graph.facebook.com/v21.0"
    type_ = BuiltinType.INSTAGRAM

    def __init__(self, name: str, options: Mapping[str, Any], secrets: Secrets, clock: Clock, *,
                 base_dir: str = "."):
        super().__init__(name, options, secrets, clock, base_dir=base_dir)
        self.user = options["user_id"]

    def publish(self, post: OutgoingPost) -> RemoteRef:
        if post.reply_to is not None:
            return self.comment(post)
        image = post.image or {}
        if not image.get("url"):
            raise Permanent(self.name, "Instagram posts need an image reachable by url (image: {url: …, alt: …})")
        container = self.call("POST", f"/{self.user}/media", data=self.params(
            image_url=image["url"], caption=post.text, alt_text=image.get("alt")))
        published = self.call("POST", f"/{self.user}/media_publish",
                              data=self.params(creation_id=container["id"]))
        return RemoteRef(str(published["id"]), None)

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        return self.find_in(f"/{self.user}/media", "caption", post)

    def check_live(self) -> str:
        data = self.call("GET", f"/{self.user}", params=self.params(fields="id,username"))
        return f"the token is valid (@{data.get('username', self.user)})"
