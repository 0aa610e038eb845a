"""X, through tweepy: API v2 ``create_tweet`` with OAuth 1.0a user context.

- Replies set ``in_reply_to_tweet_id`` (threads); images are uploaded first through the
  v1.1 media endpoint with their alt text.
- X has no idempotency key, but it can be asked: ``find_recent`` reads the account's
  latest posts and compares texts with links normalised (X rewrites every link to
  ``https://t.co/…``), so an ambiguous send is reconciled before any retry.
- tweepy sends on Herald's session (:class:`scheduler.http.SdkSession`, given to its
  ``Client`` and to the ``API`` that uploads media): each request has the account's
  deadline (``timeout``, default 10 s) for its whole answer, the size caps and the
  same-host redirect rule, and fails with Herald's errors.
- Errors go through :data:`scheduler.errors.SDK_ERRORS` and the shared rule (429 waits
  for ``x-rate-limit-reset``, 401 and 403 stop the account, 5xx and timeouts retry, other
  4xx such as a too-long text are permanent with X's message), refined for X's own
  refusal of identical text ("duplicate content", a 403): permanent, and said so.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import tweepy

from campaigns.networks import BuiltinType

from ..clock import Clock
from ..errors import Permanent, PublishError
from ..http import SdkSession
from .base import AccountPublisher, OutgoingPost, RemoteRef, sdk_error, transport_errors
from .credentials import Secrets

T = TypeVar("T")

_URL = re.compile(r"https?://\S+")
_WORDS = {401: "X refused the credentials ({})", 403: "X does not permit this ({}); check the app's permissions"}


def normalise(text: str) -> str:
    """A post's text without links (X shows t.co ones) or spacing and entity differences."""
    return " ".join(_URL.sub(" ", html.unescape(text)).split())


def _message(exc: tweepy.HTTPException) -> str:
    parts = [*exc.api_messages] or [str(e.get("message", "")) for e in exc.api_errors if isinstance(e, dict)]
    try:
        body = exc.response.json()
        parts = parts or [str(body.get("detail") or body.get("title") or "")]
    except ValueError:
        pass
    text = "; ".join(p for p in parts if p) or exc.response.reason or "error"
    return f"HTTP {exc.response.status_code}: {text}"


class XPublisher(AccountPublisher):
    def __init__(self, name: str, options: Mapping[str, Any], secrets: Secrets, clock: Clock, *, base_dir: str = "."):
        super().__init__(name, BuiltinType.X)
        self.clock = clock
        self.base_dir = base_dir
        self.timeout = float(options.get("timeout", 10))
        self.session = SdkSession(deadline=self.timeout)
        keys = dict(consumer_key=secrets["API_KEY"], consumer_secret=secrets["API_SECRET"],
                    access_token=secrets["ACCESS_TOKEN"], access_token_secret=secrets["ACCESS_TOKEN_SECRET"])
        # Both send on their public ``session`` attribute (tweepy 4.17.0: ``Client.request`` and
        # ``API.request`` call ``self.session.request``; ``API`` closes it after each call, which only
        # drops idle connections).
        self.client = tweepy.Client(**keys, wait_on_rate_limit=False)
        self.client.session = self.session
        self.media_api = tweepy.API(tweepy.OAuth1UserHandler(
            keys["consumer_key"], keys["consumer_secret"], keys["access_token"], keys["access_token_secret"]))
        self.media_api.session = self.session
        self.me: str | None = None

    def _call(self, action: Callable[[], T]) -> T:
        try:  # tweepy's API wraps a failed send in a TweepyException: read as the error it wraps
            with transport_errors(self.name, "X", self.timeout):
                return action()
        except tweepy.HTTPException as exc:
            raise self.error(exc) from None

    def error(self, exc: tweepy.HTTPException) -> PublishError:
        """By :data:`scheduler.errors.SDK_ERRORS` (an answer: by its status), but for X's own
        refusal of identical text, a 403 that no other fix would help."""
        status, message = exc.response.status_code, _message(exc)
        if status == 403 and "duplicate" in message.lower():
            return Permanent(self.name, f"X refuses identical text in a row ({message}); vary the wording")
        words = _WORDS.get(status, "X: {}").format(message)
        return sdk_error(self.name, exc, lambda _: (status, words), headers=exc.response.headers,
                         now=self.clock.now(), wait=900)

    def publish(self, post: OutgoingPost) -> RemoteRef:
        media_ids = None
        if post.image and post.image.get("path"):
            media_ids = [self._upload(post.image)]
        response = self._call(lambda: self.client.create_tweet(
            text=post.text, in_reply_to_tweet_id=post.reply_to.id if post.reply_to else None, media_ids=media_ids,
            user_auth=True))
        tweet_id = str(response.data["id"])
        return RemoteRef(tweet_id, f"https://x.com/i/web/status/{tweet_id}")

    def _upload(self, image: dict[str, str]) -> str:
        path = image["path"] if os.path.isabs(image["path"]) else os.path.join(self.base_dir, image["path"])
        if not os.path.exists(path):
            raise Permanent(self.name, f"image {image['path']} does not exist")
        media = self._call(lambda: self.media_api.media_upload(path))
        if image.get("alt"):
            self._call(lambda: self.media_api.create_media_metadata(media.media_id, image["alt"][:1000]))
        return str(media.media_id)

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        if self.me is None:
            self.me = str(self._call(lambda: self.client.get_me(user_auth=True)).data["id"])
        response = self._call(lambda: self.client.get_users_tweets(self.me, max_results=20, user_auth=True))
        wanted = normalise(post.text)
        for tweet in response.data or []:
            if normalise(tweet["text"]) == wanted:
                return RemoteRef(str(tweet["id"]), f"https://x.com/i/web/status/{tweet['id']}")
        return None

    def check_live(self) -> str:
        me = self._call(lambda: self.client.get_me(user_auth=True)).data
        self.me = str(me["id"])
        return f"the credentials are valid (@{me['username']})"

    def close(self) -> None:
        self.session.close()
