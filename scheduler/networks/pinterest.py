"""Pinterest API v5 (see :mod:`scheduler.networks.rest` for the shared error handling and tokens).

``POST /v5/pins`` on the account's board, with an image url; no threads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from campaigns.networks import BuiltinType

from ..clock import Clock
from ..errors import Permanent
from ..http import Response
from .base import OutgoingPost, RemoteRef, json_body
from .credentials import Secrets
from .rest import URL_RE, OAuthRefreshPublisher, same_text


class PinterestPublisher(OAuthRefreshPublisher):
    host = "https://api.pinterest.com"
    type_ = BuiltinType.PINTEREST

    def __init__(self, name: str, options: Mapping[str, Any], secrets: Secrets, clock: Clock, *,
                 base_dir: str = "."):
        super().__init__(name, options, secrets, clock, base_dir=base_dir)
        self.board = options["board_id"]

    def oauth_post(self, form: dict[str, str]) -> Response:
        return self.http.post(f"{self.base}/v5/oauth/token", data=form,
                              auth=(self.secrets["CLIENT_ID"], self.secrets["CLIENT_SECRET"]))

    def publish(self, post: OutgoingPost) -> RemoteRef:
        image = post.image or {}
        if not image.get("url"):
            raise Permanent(self.name, "Pinterest pins need an image reachable by url (image: {url: …, alt: …})")
        link = next(iter(URL_RE.findall(post.text)), None)
        pin: dict[str, Any] = {
            "board_id": self.board, "title": (post.title or post.text)[:100], "description": post.text[:500],
            "alt_text": image.get("alt", "")[:500], "media_source": {"source_type": "image_url", "url": image["url"]}}
        if link:
            pin["link"] = link
        data = json_body(self.request("POST", "/v5/pins", json=pin))
        return RemoteRef(str(data["id"]), f"https://www.pinterest.com/pin/{data['id']}/")

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        data = json_body(self.request("GET", f"/v5/boards/{self.board}/pins", params={"page_size": 25}))
        for pin in data.get("items", []):
            if same_text(pin.get("description", ""), post.text[:500]):
                return RemoteRef(str(pin["id"]), f"https://www.pinterest.com/pin/{pin['id']}/")
        return None

    def check_live(self) -> str:
        data = json_body(self.request("GET", "/v5/user_account"))
        return f"the token is valid ({data.get('username', 'account')})"
