"""Pinterest, over requests (see :mod:`scheduler.networks.graph` for the shared error handling and tokens)."""

from __future__ import annotations

from typing import Any

import requests

from ..clock import Clock
from .base import OutgoingPost, Permanent, RemoteRef
from .credentials import Secrets
from .graph import _URL, _OAuthRefresh, _same


class PinterestPublisher(_OAuthRefresh):
    host = "https://api.pinterest.com"

    def __init__(self, name: str, options: dict[str, Any], secrets: Secrets, clock: Clock, base_dir: str = "."):
        super().__init__(name, "pinterest", options, secrets, clock, base_dir)
        self.board = options["board_id"]

    def oauth_post(self, form: dict[str, str]) -> requests.Response:
        return self.session.post(f"{self.base}/v5/oauth/token", data=form, timeout=self.timeout,
                                 auth=(self.secrets["CLIENT_ID"], self.secrets["CLIENT_SECRET"]))

    def publish(self, post: OutgoingPost) -> RemoteRef:
        image = post.image or {}
        if not image.get("url"):
            raise Permanent(self.name, "Pinterest pins need an image reachable by url (image: {url: …, alt: …})")
        link = next(iter(_URL.findall(post.text)), None)
        body = {"board_id": self.board, "title": (post.title or post.text)[:100], "description": post.text[:500],
                "alt_text": image.get("alt", "")[:500], "media_source": {"source_type": "image_url",
                                                                          "url": image["url"]}}
        if link:
            body["link"] = link
        data = self.request("POST", "/v5/pins", json=body)
        return RemoteRef(str(data["id"]), f"https://www.pinterest.com/pin/{data['id']}/")

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        data = self.request("GET", f"/v5/boards/{self.board}/pins", params={"page_size": 25})
        for pin in data.get("items", []):
            if _same(pin.get("description", ""), post.text[:500]):
                return RemoteRef(str(pin["id"]), f"https://www.pinterest.com/pin/{pin['id']}/")
        return None

    def check_live(self) -> str:
        data = self.request("GET", "/v5/user_account")
        return f"the token is valid ({data.get('username', 'account')})"
