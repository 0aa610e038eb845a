"""LinkedIn, over requests (see :mod:`scheduler.networks.graph` for the shared error handling and tokens)."""

from __future__ import annotations

import re
from typing import Any

import requests

from ..clock import Clock
from .base import OutgoingPost, RemoteRef, Transient
from .credentials import Secrets
from .graph import _URL, _OAuthRefresh, _same
from .media import image_bytes

_LITTLE_TEXT = re.compile(r"([\\|{}@\[\]()<>#*_~])")


class LinkedInPublisher(_OAuthRefresh):
    host = "https://api.linkedin.com"

    def __init__(self, name: str, options: dict[str, Any], secrets: Secrets, clock: Clock, base_dir: str = "."):
        super().__init__(name, "linkedin", options, secrets, clock, base_dir)
        self.author = options["author"]
        self.oauth_url = options.get("oauth_url", "https://www.linkedin.com/oauth/v2/accessToken")
        self.session.headers.update({"LinkedIn-Version": str(options.get("version", "202411")),
                                     "X-Restli-Protocol-Version": "2.0.0"})

    def oauth_post(self, form: dict[str, str]) -> requests.Response:
        return self.session.post(self.oauth_url, timeout=self.timeout, data={
            **form, "client_id": self.secrets["CLIENT_ID"], "client_secret": self.secrets["CLIENT_SECRET"]})

    @staticmethod
    def commentary(text: str) -> str:
        """LinkedIn's "little text" format: reserved characters are escaped with a backslash,
        except inside links (a UTM-tagged link is full of underscores)."""
        out, last = [], 0
        for match in _URL.finditer(text):
            out.append(_LITTLE_TEXT.sub(r"\\\1", text[last:match.start()]))
            out.append(match.group(0))
            last = match.end()
        out.append(_LITTLE_TEXT.sub(r"\\\1", text[last:]))
        return "".join(out)

    def publish(self, post: OutgoingPost) -> RemoteRef:
        body: dict[str, Any] = {
            "author": self.author, "commentary": self.commentary(post.text), "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False}
        if post.image:
            body["content"] = {"media": {"id": self.upload(post.image), "altText": post.image.get("alt", "")[:4086]}}
        data = self.request("POST", "/rest/posts", json=body)
        urn = data["_headers"].get("x-restli-id") or data["_headers"].get("X-RestLi-Id") or data.get("id", "")
        return RemoteRef(urn, f"https://www.linkedin.com/feed/update/{urn}/")

    def upload(self, image: dict[str, str]) -> str:
        """The Images API: initializeUpload, then PUT the bytes to the upload URL; the image's URN."""
        data, _name, mime = image_bytes(self.name, image, self.base_dir, self.timeout)
        started = self.request("POST", "/rest/images", params={"action": "initializeUpload"},
                               json={"initializeUploadRequest": {"owner": self.author}})
        value = started["value"]
        try:
            response = self.session.put(value["uploadUrl"], data=data, headers={"Content-Type": mime},
                                        timeout=self.timeout)
        except requests.RequestException:
            raise Transient(self.name, "cannot upload the image to LinkedIn") from None
        if response.status_code not in (200, 201):
            raise self.error(response)
        return str(value["image"])

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        data = self.request("GET", "/rest/posts", params={"author": self.author, "q": "author", "count": 20})
        for item in data.get("elements", []):
            if _same(item.get("commentary", ""), self.commentary(post.text)):
                return RemoteRef(item["id"], f"https://www.linkedin.com/feed/update/{item['id']}/")
        return None

    def check_live(self) -> str:
        self.request("GET", "/rest/posts", params={"author": self.author, "q": "author", "count": 1})
        return f"the token can read {self.author}'s posts"
