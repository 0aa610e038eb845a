"""Mastodon, through Mastodon.py.

- ``POST /api/v1/statuses`` with the publication key as ``Idempotency-Key``: Mastodon
  returns the same status for a repeated key (for an hour), so a re-send after a crash
  cannot duplicate; replies set ``in_reply_to_id`` (threads); images are uploaded with
  their alt text first (``image: {path, alt}``); a post's ``content_warning`` is its
  ``spoiler_text`` (the text folded behind it).
- ``find_recent`` reads the account's latest statuses and compares texts with links
  and markup normalised (Mastodon returns HTML with its own link markup).
- Mastodon.py's own rate-limit waiting is off (``ratelimit_method="throw"``): the engine
  schedules the retry at ``X-RateLimit-Reset``. No request is made at start-up.
- Mastodon.py sends on Herald's session (:class:`scheduler.http.SdkSession`, its public
  ``session=``): each request, media uploads too, has the account's deadline (``timeout``,
  default 10 s) for its whole answer, the size caps and the same-host redirect rule.
- Errors, by :data:`scheduler.errors.SDK_ERRORS`: 401 (token revoked or expired) stops the
  account; 422 (validation, e.g. too long) and 404 are permanent; 429 waits for the reset;
  5xx and network errors retry.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonUnauthorizedError,
)

from campaigns.networks import BuiltinType

from ..clock import Clock
from ..errors import Permanent, PublishError
from ..http import SdkSession
from ..redaction import redact_url
from .base import AccountPublisher, OutgoingPost, RemoteRef, sdk_error, transport_errors
from .credentials import Secrets

if TYPE_CHECKING:
    from campaigns.model import Calendar

T = TypeVar("T")

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
                 language: str = "en"):
        super().__init__(name, BuiltinType.MASTODON)
        self.clock = clock
        self.base_dir = base_dir
        self.language = language
        self.visibility = options.get("visibility", "public")
        self.timeout = float(options.get("timeout", 10))
        self.session = SdkSession(deadline=self.timeout)
        self.api = Mastodon(access_token=secrets["ACCESS_TOKEN"], api_base_url=options["instance"],
                            ratelimit_method="throw", request_timeout=self.timeout,
                            version_check_mode="none", session=self.session, user_agent="Herald/0.1")
        self.account_id: str | None = None
        self.version_known = False

    @classmethod
    def calendar_options(cls, calendar: Calendar) -> dict[str, Any]:
        return {"language": calendar.brand.language}

    def describe(self) -> str:
        return f"{self.name} (mastodon at {redact_url(str(self.api.api_base_url))})"

    def _error(self, exc: MastodonError) -> PublishError:
        """By :data:`scheduler.errors.SDK_ERRORS`; a rate limit ends at the reset Mastodon.py read
        from the last answer (``ratelimit_reset``, epoch seconds), else in 5 minutes."""
        reset = getattr(self.api, "ratelimit_reset", None)
        return sdk_error(self.name, exc, _say, now=self.clock.now(),
                         headers={"X-RateLimit-Reset": str(reset)} if reset else {}, wait=300)

    def _call(self, action: Callable[[], T]) -> T:
        """One or more Mastodon.py calls, their errors as Herald's: a failed send (which Mastodon.py
        wraps in a MastodonNetworkError, and that in a MastodonVersionError when it was asking
        the version) by the shared transport rule, the API's refusals by :meth:`_error`."""
        try:
            with transport_errors(self.name, "the Mastodon instance", self.timeout):
                return action()
        except MastodonError as exc:
            raise self._error(exc) from None

    def publish(self, post: OutgoingPost) -> RemoteRef:
        media = [self._upload(post.image)] if post.image and post.image.get("path") else None
        status = self._call(lambda: self.api.status_post(
            post.text, in_reply_to_id=post.reply_to.id if post.reply_to else None, media_ids=media,
            visibility=self.visibility, language=self.language, idempotency_key=post.key,
            spoiler_text=post.content_warning or None))
        return RemoteRef(str(status["id"]), status.get("url"))

    def _upload(self, image: dict[str, str]) -> Any:
        path = image["path"] if os.path.isabs(image["path"]) else os.path.join(self.base_dir, image["path"])
        if not os.path.exists(path):
            raise Permanent(self.name, f"image {image['path']} does not exist")
        self._learn_version()
        return self._call(lambda: self.api.media_post(path, description=image.get("alt")))

    def _learn_version(self) -> None:
        """Mastodon.py picks the media endpoint by the instance's version, asked at the first
        upload; when the instance does not tell it, Mastodon.py asks again and again (2.3.3:
        ``retrieve_mastodon_version`` and ``verify_minimum_version`` call each other up to the
        recursion limit, each request with its whole deadline). Asked here once instead: a
        failed send fails the upload. An instance without ``/api/v2/instance`` (before 4.0)
        told its version all the same, by ``/api/v1/instance``."""
        if self.version_known:
            return
        try:
            self._call(lambda: self.api.retrieve_mastodon_version(fail_hard=True))
        except PublishError:
            if (self.api.mastodon_major, self.api.mastodon_minor, self.api.mastodon_patch) == (1, 0, 0):
                raise  # still Mastodon.py's first guess: /api/v1/instance did not answer
        self.version_known = True

    def check_live(self) -> str:
        account = self._call(self.api.account_verify_credentials)
        self.account_id = str(account["id"])
        return f"the access token is valid (@{account.get('acct', '?')})"

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        if self.account_id is None:
            self.account_id = str(self._call(self.api.account_verify_credentials)["id"])
        account_id = self.account_id
        recent = self._call(lambda: self.api.account_statuses(account_id, limit=40))
        wanted = normalise(post.text)
        for status in recent:
            if normalise(status.get("content", "")) == wanted:
                return RemoteRef(str(status["id"]), status.get("url"))
        return None

    def close(self) -> None:
        self.session.close()


def _say(exc: BaseException) -> tuple[int | None, str]:
    """The HTTP status a Mastodon.py exception carries, and its message."""
    status = _status(exc)
    if isinstance(exc, MastodonRatelimitError):
        return status, "Mastodon: HTTP 429"
    if isinstance(exc, MastodonUnauthorizedError):
        return status, f"Mastodon refused the access token ({_api_message(exc)})"
    if isinstance(exc, MastodonNetworkError):
        return status, "cannot reach the Mastodon instance, or it timed out"
    if isinstance(exc, MastodonAPIError) or status is not None:
        return status, f"Mastodon: {_api_message(exc)}"
    return status, f"Mastodon: {type(exc).__name__}"


def _status(exc: BaseException) -> int | None:
    """The HTTP status Mastodon.py put in the exception's arguments (message, status, reason, error)."""
    return next((a for a in exc.args if isinstance(a, int) and 100 <= a <= 599), None)


def _api_message(exc: BaseException) -> str:
    args = [a for a in exc.args if isinstance(a, str | int)]
    # Mastodon.py raises (message, status code, reason, error text)
    text = str(args[-1]) if args else type(exc).__name__
    code = next((a for a in args if isinstance(a, int)), None)
    return f"HTTP {code}: {text}" if code else text
