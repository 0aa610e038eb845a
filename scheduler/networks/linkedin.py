"""LinkedIn's Posts API (see :mod:`scheduler.networks.rest` for the shared error handling and tokens).

``POST /rest/posts`` with ``LinkedIn-Version`` and the Rest.li protocol header; the new
post's URN comes back in the ``x-restli-id`` header; commentary escaped as LinkedIn's
"little text" format requires; no threads. Images go up through the Images API first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from campaigns.networks import BuiltinType

from ..clock import Clock
from ..http import Response
from .base import OutgoingPost, RemoteRef, json_body
from .credentials import Secrets
from .media import image_bytes
from .rest import URL_RE, OAuthRefreshPublisher, same_text

_LITTLE_TEXT = re.compile(r"([\\|{}@\[\]()<>#*_~])")


class LinkedInPublisher(OAuthRefreshPublisher):
    host = "https://api.linkedin.com"
    type_ = BuiltinType.LINKEDIN

    def __init__(self, name: str, options: Mapping[str, Any], secrets: Secrets, clock: Clock, *,
                 base_dir: str = "."):
        super().__init__(name, options, secrets, clock, base_dir=base_dir)
        self.author = options["author"]
        self.oauth_url = options.get("oauth_url", "https://www.linkedin.com/oauth/v2/accessToken")
        self.headers.update({"LinkedIn-Version": str(options.get("version", "202411")),
                             "X-Restli-Protocol-Version": "2.0.0"})

    def oauth_post(self, form: dict[str, str]) -> Response:
        return self.http.post(self.oauth_url, data={
            **form, "client_id": self.secrets["CLIENT_ID"], "client_secret": self.secrets["CLIENT_SECRET"]})

    @staticmethod
    def commentary(text: str) -> str:
        """LinkedIn's "little text" format: reserved characters are escaped with a backslash,
        except inside links (a UTM-tagged link is full of underscores)."""
        out, last = [], 0
        for match in URL_RE.finditer(text):
            out.append(_LITTLE_TEXT.sub(r"\\\1", text[last:match.start()]))
            out.append(match.group(0))
            last = match.end()
        out.append(_LITTLE_TEXT.sub(r"\\\1", text[last:]))
        return "".join(out)

    def publish(self, post: OutgoingPost) -> RemoteRef:
        payload: dict[str, Any] = {
            "author": self.author, "commentary": self.commentary(post.text), "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False}
        if post.image:
            payload["content"] = {"media": {"id": self.upload(post.image),
                                            "altText": post.image.get("alt", "")[:4086]}}
        response = self.request("POST", "/rest/posts", json=payload)
        urn = response.headers.get("x-restli-id") or str(json_body(response).get("id") or "") or None
        return RemoteRef(urn, f"https://www.linkedin.com/feed/update/{urn}/" if urn else None)

    def upload(self, image: dict[str, str]) -> str:
        """The Images API: initializeUpload, then PUT the bytes to the upload URL; the image's URN."""
        data, _name, mime = image_bytes(self.name, image, self.base_dir, http=self.http)
        started = json_body(self.request("POST", "/rest/images", params={"action": "initializeUpload"},
                                    json={"initializeUploadRequest": {"owner": self.author}}))
        value = started["value"]
        self.request("PUT", value["uploadUrl"], data=data, headers={"Content-Type": mime})
        return str(value["image"])

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        data = json_body(self.request("GET", "/rest/posts", params={"author": self.author, "q": "author", "count": 20}))
        for item in data.get("elements", []):
            if same_text(item.get("commentary", ""), self.commentary(post.text)):
                return RemoteRef(item["id"], f"https://www.linkedin.com/feed/update/{item['id']}/")
        return None

    def check_live(self) -> str:
        self.request("GET", "/rest/posts", params={"author": self.author, "q": "author", "count": 1})
        return f"the token can read {self.author}'s posts"
