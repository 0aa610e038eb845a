"""Mastodon, through Mastodon.py.

- ``POST /api/v1/statuses`` with the publication key as ``Idempotency-Key``: Mastodon
  returns the same status for a repeated key (for an hour), so a re-send after a crash
  cannot duplicate; replies set ``in_reply_to_id`` (threads); images are uploaded with
  their alt text first (``image: {path, alt}``).
- ``find_recent`` reads the account's latest statuses and compares texts with links
  and markup normalised (Mastodon returns HTML with its own link markup).
- Mastodon.py's own rate-limit waiting is off (``ratelimit_method="throw"``): the engine
  schedules the retry at ``X-RateLimit-Reset``. No request is made at start-up.
- Errors: 401 (token revoked or expired) stops the account; 422 (validation, e.g. too
  long) and 404 are permanent; 429 waits for the reset; 5xx and network errors retry.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from ..clock import Clock
from ..redaction import redact_url
from .base import (
    AccountPublisher,
    AuthFailed,
    OutgoingPost,
    Permanent,
    PublishError,
    RateLimited,
    RemoteRef,
    Transient,
    status_error,
)
from .credentials import Secrets

if TYPE_CHECKING:
    from campaigns.model import Calendar

_TAG = re.compile(r"<[^>]+>")
_URL = re.compile(r"https?://\S+")
_ANCHOR = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.DOTALL)


def _anchor(match: re.Match[str]) -> str:
    """Hashtags and mentions are anchors too: keep their text; drop links (shown shortened)."""
    attrs = match.group(1)
    return match.group(2) if ("hashtag" in attrs or "mention" in attrs) else " "


def normalise(text: str) -> str:
    """Text as Mastodon shows it, without markup, links or spacing differences: our plain text
    and the HTML Mastodon returns for it normalise to the same string."""
    text = _ANCHOR.sub(_anchor, text.replace("<br>", "\n").replace("</p>", "\n"))
    plain = html.unescape(_TAG.sub("", text))
    return " ".join(_URL.sub(" ", plain).split())


class MastodonPublisher(AccountPublisher):
    def __init__(self, name: str, options: Mapping[str, Any], secrets: Secrets, clock: Clock, *, base_dir: str = ".",
                 language: str = "en", session: requests.Session | None = None):
        super().__init__(name, "mastodon")
        self.clock = clock
        self.base_dir = base_dir
        self.language = language
        self.visibility = options.get("visibility", "public")
        self.api = Mastodon(access_token=secrets["ACCESS_TOKEN"], api_base_url=options["instance"],
                            ratelimit_method="throw", request_timeout=float(options.get("timeout", 10)),
                            version_check_mode="none", session=session, user_agent="Herald/0.1")
        self.account_id: str | None = None

    @classmethod
    def calendar_options(cls, calendar: Calendar) -> dict[str, Any]:
        return {"language": calendar.brand.language}

    def describe(self) -> str:
        return f"{self.name} (mastodon at {redact_url(str(self.api.api_base_url))})"

    def _error(self, exc: MastodonError) -> PublishError:
        if isinstance(exc, MastodonRatelimitError):
            reset = getattr(self.api, "ratelimit_reset", None)
            at = datetime.fromtimestamp(reset, UTC) if reset else self.clock.now() + timedelta(minutes=5)
            return RateLimited(self.name, max(at, self.clock.now()), "Mastodon: HTTP 429")
        if isinstance(exc, MastodonUnauthorizedError):
            return AuthFailed(self.name, f"Mastodon refused the access token ({_api_message(exc)})")
        if isinstance(exc, MastodonNetworkError):
            return Transient(self.name, "cannot reach the Mastodon instance, or it timed out", ambiguous=True)
        status = _status(exc)
        if status is not None:  # the shared rule for the rest (422 and 404 permanent, 5xx retried)
            return status_error(self.name, status, f"Mastodon: {_api_message(exc)}", now=self.clock.now())
        if isinstance(exc, MastodonServerError):
            return Transient(self.name, f"Mastodon server error ({_api_message(exc)})", ambiguous=True)
        if isinstance(exc, MastodonNotFoundError | MastodonAPIError):
            return Permanent(self.name, f"Mastodon: {_api_message(exc)}")
        return Transient(self.name, f"Mastodon: {type(exc).__name__}", ambiguous=True)

    def publish(self, post: OutgoingPost) -> RemoteRef:
        try:
            media = [self._upload(post.image)] if post.image and post.image.get("path") else None
            status = self.api.status_post(post.text, in_reply_to_id=post.reply_to.id if post.reply_to else None,
                                          media_ids=media, visibility=self.visibility, language=self.language,
                                          idempotency_key=post.key)
        except MastodonError as exc:
            raise self._error(exc) from None
        return RemoteRef(str(status["id"]), status.get("url"))

    def _upload(self, image: dict[str, str]) -> Any:
        path = image["path"] if os.path.isabs(image["path"]) else os.path.join(self.base_dir, image["path"])
        if not os.path.exists(path):
            raise Permanent(self.name, f"image {image['path']} does not exist")
        return self.api.media_post(path, description=image.get("alt"))

    def check_live(self) -> str:
        try:
            account = self.api.account_verify_credentials()
        except MastodonError as exc:
            raise self._error(exc) from None
        self.account_id = str(account["id"])
        return f"the access token is valid (@{account.get('acct', '?')})"

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        try:
            if self.account_id is None:
                self.account_id = str(self.api.account_verify_credentials()["id"])
            recent = self.api.account_statuses(self.account_id, limit=40)
        except MastodonError as exc:
            raise self._error(exc) from None
        wanted = normalise(post.text)
        for status in recent:
            if normalise(status.get("content", "")) == wanted:
                return RemoteRef(str(status["id"]), status.get("url"))
        return None

    def close(self) -> None:
        session = getattr(self.api, "session", None)
        if session is not None:
            session.close()


def _status(exc: MastodonError) -> int | None:
    """The HTTP status Mastodon.py put in the exception's arguments (message, status, reason, error)."""
    return next((a for a in exc.args if isinstance(a, int) and 100 <= a <= 599), None)


def _api_message(exc: MastodonError) -> str:
    args = [a for a in exc.args if isinstance(a, str | int)]
    # Mastodon.py raises (message, status code, reason, error text)
    text = str(args[-1]) if args else type(exc).__name__
    code = next((a for a in args if isinstance(a, int)), None)
    return f"HTTP {code}: {text}" if code else text
