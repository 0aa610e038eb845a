"""Threads, over the Graph API (see :mod:`scheduler.networks.graph` for the shared error handling and tokens)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from campaigns.networks import BuiltinType

from ..clock import Clock
from ..errors import AuthFailed
from .base import OutgoingPost, RemoteRef, json_body
from .credentials import Secrets
from .graph import MetaPublisher


class ThreadsPublisher(MetaPublisher):
    host = "https://graph.threads.net/v1.0"
    refresh_every = timedelta(days=30)  # long-lived tokens last 60 days; each refresh restarts that
    type_ = BuiltinType.THREADS

    def __init__(self, name: str, options: Mapping[str, Any], secrets: Secrets, clock: Clock, *,
                 base_dir: str = "."):
        super().__init__(name, options, secrets, clock, base_dir=base_dir)
        self.user = options.get("user_id", "me")

    def can_refresh(self) -> bool:
        return True

    def refresh(self) -> None:
        root = self.base.rsplit("/v1.0", 1)[0]
        response = self._request("GET", f"{root}/refresh_access_token",
                                 params={"grant_type": "th_refresh_token", "access_token": self.token})
        data = json_body(response)
        if not data.get("access_token"):
            raise AuthFailed(self.name, "Threads answered the token refresh without a token; authorise Herald again")
        assert self.tokens is not None
        self.tokens.save(str(data["access_token"]), self.clock.now(), data.get("expires_in"))

    def publish(self, post: OutgoingPost) -> RemoteRef:
        image = (post.image or {}).get("url")
        container = self.call("POST", f"/{self.user}/threads", data=self.params(
            media_type="IMAGE" if image else "TEXT", image_url=image, text=post.text,
            alt_text=(post.image or {}).get("alt") if image else None,
            reply_to_id=post.reply_to.id if post.reply_to else None))
        published = self.call("POST", f"/{self.user}/threads_publish",
                              data=self.params(creation_id=container["id"]))
        return RemoteRef(str(published["id"]), None)

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        return self.find_in(f"/{self.user}/threads", "text", post)

    def check_live(self) -> str:
        data = self.call("GET", f"/{self.user}", params=self.params(fields="id,username"))
        return f"the token is valid (@{data.get('username', self.user)})"
