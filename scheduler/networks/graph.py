"""Meta's Graph APIs (Facebook Pages, Instagram, Threads), Pinterest v5 and LinkedIn's Posts API, with requests.

Meta's three share one error format, ``{"error": {"message", "type", "code",
"error_subcode", "fbtrace_id"}}``, mapped here: code 190 (expired or invalid token) and
10/200-299 (permissions) stop the account; 4, 17, 32, 613 and 80001-80014 (rate limits)
wait (``X-Business-Use-Case-Usage`` gives ``estimated_time_to_regain_access`` in
minutes); 506 (duplicate post) and 100 (invalid parameter) are permanent; 1, 2 and 5xx
retry.

- Facebook Page: ``POST /{page}/feed`` (``/photos`` with an image); a thread's later
  updates are comments on the first post.
- Instagram: a container (``POST /{user}/media`` with ``image_url`` and caption), then
  ``POST /{user}/media_publish``; later updates are comments. Needs an image url.
- Threads: a container (``POST /{user}/threads``, ``reply_to_id`` for replies), then
  ``/threads_publish``.
- Pinterest: ``POST /v5/pins`` on the account's board, with an image url; no threads.
- LinkedIn: ``POST /rest/posts`` with ``LinkedIn-Version`` and the Rest.li protocol
  header; commentary escaped as LinkedIn's "little text" format requires; no threads.

None honours an idempotency key, but each can list recent posts: ``find_recent``
compares texts, so ambiguous sends are reconciled.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import requests

from ..clock import Clock
from .base import AuthFailed, OutgoingPost, Permanent, Publisher, RateLimited, RemoteRef, Transient
from .credentials import Secrets
from .webhook import USER_AGENT, retry_at_from

_URL = re.compile(r"https?://\S+")
RATE_CODES = {4, 17, 32, 613} | set(range(80001, 80015))


def _same(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return " ".join(_URL.sub(" ", text or "").split())

    return norm(a) == norm(b)


class _Http(Publisher):
    host = ""

    def __init__(self, name: str, type_: str, options: dict[str, Any], secrets: Secrets, clock: Clock):
        super().__init__(name, type_)
        self.options = options
        self.secrets = secrets
        self.clock = clock
        self.timeout = float(options.get("timeout", 10))
        self.base = options.get("api_url", self.host).rstrip("/")
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.session.request(method, self.base + path, timeout=self.timeout, **kwargs)
        except requests.ConnectTimeout:
            raise Transient(self.name, f"connecting to {self.type} timed out") from None
        except requests.Timeout:
            raise Transient(self.name, f"{self.type} did not answer in time", ambiguous=True) from None
        except requests.ConnectionError as exc:
            raise Transient(self.name, f"cannot reach {self.type}", ambiguous="refused" not in str(exc)) from None
        if 200 <= response.status_code < 300:
            if not response.content:
                return {"_headers": dict(response.headers)}
            try:
                data = response.json()
            except ValueError:
                return {"_headers": dict(response.headers)}
            if isinstance(data, dict):
                data["_headers"] = dict(response.headers)
            return data
        raise self.error(response)

    def error(self, response: requests.Response) -> Exception:
        status = response.status_code
        detail = f"HTTP {status}: {response.text.strip()[:200]}"
        if status == 429:
            return RateLimited(self.name, retry_at_from(response.headers, self.clock.now(), 900), detail)
        if status >= 500:
            return Transient(self.name, detail, ambiguous=True)
        if status in (401, 403):
            return AuthFailed(self.name, detail)
        return Permanent(self.name, detail)

    def close(self) -> None:
        self.session.close()


class _Meta(_Http):
    """The Graph API family: the token as ``access_token``, Meta's error format."""

    def params(self, **values: Any) -> dict[str, Any]:
        return {**{k: v for k, v in values.items() if v is not None}, "access_token": self.token}

    @property
    def token(self) -> str:
        return self.secrets.get("PAGE_ACCESS_TOKEN") or self.secrets["ACCESS_TOKEN"]

    def error(self, response: requests.Response) -> Exception:
        try:
            error = response.json().get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        if not error:
            return super().error(response)
        code = int(error.get("code") or 0)
        detail = f"{error.get('type', 'error')} {code}: {error.get('message', '')}".strip()
        if code == 190 or code == 10 or 200 <= code <= 299:
            return AuthFailed(self.name, detail)
        if code in RATE_CODES or response.status_code == 429:
            minutes = 15
            usage = response.headers.get("X-Business-Use-Case-Usage")
            if usage:
                try:
                    found = [v.get("estimated_time_to_regain_access", 0)
                             for items in json.loads(usage).values() for v in items]
                    minutes = max(found + [1])
                except (ValueError, AttributeError, TypeError):
                    pass
            return RateLimited(self.name, self.clock.now() + timedelta(minutes=minutes), detail)
        if code == 506:
            return Permanent(self.name, f"{detail} (the network refuses a duplicate post; vary the wording)")
        if code in (1, 2) or response.status_code >= 500:
            return Transient(self.name, detail, ambiguous=True)
        return Permanent(self.name, detail)

    def find_in(self, path: str, field: str, post: OutgoingPost, url_field: str = "permalink") -> RemoteRef | None:
        data = self.request("GET", path, params=self.params(fields=f"id,{field},{url_field}", limit=25))
        for item in data.get("data", []):
            if _same(item.get(field, ""), post.text):
                return RemoteRef(str(item["id"]), item.get(url_field))
        return None


class FacebookPublisher(_Meta):
    host = "https://graph.facebook.com/v21.0"

    def __init__(self, name: str, options: dict[str, Any], secrets: Secrets, clock: Clock):
        super().__init__(name, "facebook", options, secrets, clock)
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


class InstagramPublisher(_Meta):
    host = "https://graph.facebook.com/v21.0"

    def __init__(self, name: str, options: dict[str, Any], secrets: Secrets, clock: Clock):
        super().__init__(name, "instagram", options, secrets, clock)
        self.user = options["user_id"]

    def publish(self, post: OutgoingPost) -> RemoteRef:
        if post.reply_to is not None:
            data = self.request("POST", f"/{post.reply_to.id}/comments", data=self.params(message=post.text))
            return RemoteRef(str(data["id"]), post.reply_to.url)
        image = post.image or {}
        if not image.get("url"):
            raise Permanent(self.name, "Instagram posts need an image reachable by url (image: {url: …, alt: …})")
        container = self.request("POST", f"/{self.user}/media", data=self.params(
            image_url=image["url"], caption=post.text, alt_text=image.get("alt")))
        published = self.request("POST", f"/{self.user}/media_publish",
                                 data=self.params(creation_id=container["id"]))
        return RemoteRef(str(published["id"]), None)

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        return self.find_in(f"/{self.user}/media", "caption", post)


class ThreadsPublisher(_Meta):
    host = "https://graph.threads.net/v1.0"

    def __init__(self, name: str, options: dict[str, Any], secrets: Secrets, clock: Clock):
        super().__init__(name, "threads", options, secrets, clock)
        self.user = options.get("user_id", "me")

    def publish(self, post: OutgoingPost) -> RemoteRef:
        image = (post.image or {}).get("url")
        container = self.request("POST", f"/{self.user}/threads", data=self.params(
            media_type="IMAGE" if image else "TEXT", image_url=image, text=post.text,
            alt_text=(post.image or {}).get("alt") if image else None,
            reply_to_id=post.reply_to.id if post.reply_to else None))
        published = self.request("POST", f"/{self.user}/threads_publish",
                                 data=self.params(creation_id=container["id"]))
        return RemoteRef(str(published["id"]), None)

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        return self.find_in(f"/{self.user}/threads", "text", post)


class PinterestPublisher(_Http):
    host = "https://api.pinterest.com"

    def __init__(self, name: str, options: dict[str, Any], secrets: Secrets, clock: Clock):
        super().__init__(name, "pinterest", options, secrets, clock)
        self.board = options["board_id"]
        self.session.headers["Authorization"] = f"Bearer {secrets['ACCESS_TOKEN']}"

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


_LITTLE_TEXT = re.compile(r"([\\|{}@\[\]()<>#*_~])")


class LinkedInPublisher(_Http):
    host = "https://api.linkedin.com"

    def __init__(self, name: str, options: dict[str, Any], secrets: Secrets, clock: Clock):
        super().__init__(name, "linkedin", options, secrets, clock)
        self.author = options["author"]
        self.session.headers.update({"Authorization": f"Bearer {secrets['ACCESS_TOKEN']}",
                                     "LinkedIn-Version": str(options.get("version", "202411")),
                                     "X-Restli-Protocol-Version": "2.0.0"})

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
        body = {"author": self.author, "commentary": self.commentary(post.text), "visibility": "PUBLIC",
                "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                                 "thirdPartyDistributionChannels": []},
                "lifecycleState": "PUBLISHED", "isReshareDisabledByAuthor": False}
        data = self.request("POST", "/rest/posts", json=body)
        urn = data["_headers"].get("x-restli-id") or data["_headers"].get("X-RestLi-Id") or data.get("id", "")
        return RemoteRef(urn, f"https://www.linkedin.com/feed/update/{urn}/")

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        data = self.request("GET", "/rest/posts", params={"author": self.author, "q": "author", "count": 20})
        for item in data.get("elements", []):
            if _same(item.get("commentary", ""), self.commentary(post.text)):
                return RemoteRef(item["id"], f"https://www.linkedin.com/feed/update/{item['id']}/")
        return None
