"""Bluesky, through the atproto SDK.

- Sessions are reused, never created per post: Bluesky allows about 100 ``createSession``
  calls a day per account. The session (its tokens) is kept in
  ``.herald/bluesky-<account>.session`` next to the calendar (mode 600), reused on every
  start, and refreshed by the SDK before it expires (each refresh is saved). Only when
  there is none, or it was revoked, does Herald log in with the app password.
- Posts carry rich-text facets for links and hashtags, detected by the SDK with the
  UTF-8 byte offsets the lexicon requires; replies set root and parent strong refs
  (``uri`` + ``cid``) to the thread's first post.
- A post without an image gets a link card (``app.bsky.embed.external``) for its text's
  first link, as Bluesky's own clients make one: the calendar's ``link_card`` title and
  description when it gives them, else the linked page's (:mod:`.linkcard`: its ``og:``
  tags, fetched with a 3 s deadline and a 1 MB cap); no card when that fails (one line in
  the log), never a failed post.
- No idempotency key, but it can be asked: ``find_recent`` reads the author feed and
  compares texts.
- The SDK's httpx client sends through Herald's HTTP layer (the public
  ``Request(transport=…)``, :func:`scheduler.http.httpx_transport`): each request, the
  session's refresh and blob uploads too, has the account's deadline (``timeout``, default
  10 s) for its whole answer, the size caps and the same-host redirect rule; the
  session's tokens are registered as secrets and saved mode 600.
- Errors, by :data:`scheduler.errors.SDK_ERRORS`: 429 waits for ``ratelimit-reset``; 401
  that a fresh login cannot fix stops the account; other statuses go through the shared
  rule (400, an invalid record or a too long text, is permanent with Bluesky's message;
  5xx retry); network errors retry.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from atproto import Client, client_utils, models
from atproto_client.exceptions import (
    AtProtocolError,
    BadRequestError,
    NetworkError,
    RequestErrorBase,
    UnauthorizedError,
)
from atproto_client.request import Request

from campaigns.networks import BuiltinType

from ..clock import Clock
from ..errors import AuthFailed, PublishError
from ..files import write_atomic
from ..http import HttpClient, httpx_transport
from ..redaction import register
from .base import AccountPublisher, OutgoingPost, RemoteRef, sdk_error, transport_errors
from .credentials import Secrets
from .linkcard import MAX_DESCRIPTION, MAX_TITLE, LinkCard, clean, fetch_card, first_link
from .media import image_bytes

if TYPE_CHECKING:
    from campaigns.model import Calendar

T = TypeVar("T")


def _ref(remote_id: str) -> models.ComAtprotoRepoStrongRef.Main:
    uri, _, cid = remote_id.partition("|")
    return models.ComAtprotoRepoStrongRef.Main(uri=uri, cid=cid)


def _detail(exc: RequestErrorBase) -> str:
    response = exc.response
    if response is None:
        return type(exc).__name__
    content = response.content
    if hasattr(content, "message") or hasattr(content, "error"):
        return f"HTTP {response.status_code}: {getattr(content, 'error', '')} {getattr(content, 'message', '')}".strip()
    return f"HTTP {response.status_code}"


def _say(exc: BaseException) -> tuple[int | None, str]:
    """The HTTP status an atproto exception carries, and its message."""
    if isinstance(exc, NetworkError):
        return None, "cannot reach Bluesky"
    if isinstance(exc, RequestErrorBase) and exc.response is not None:
        return exc.response.status_code, f"Bluesky: {_detail(exc)}"
    return None, f"Bluesky: {type(exc).__name__}"


class BlueskyPublisher(AccountPublisher):
    def __init__(self, name: str, options: Mapping[str, Any], secrets: Secrets, clock: Clock, *, base_dir: str = ".",
                 language: str = "en"):
        super().__init__(name, BuiltinType.BLUESKY)
        self.clock = clock
        self.base_dir = base_dir
        self.handle = options["handle"]
        self.password = secrets["APP_PASSWORD"]
        self.language = language
        service = options.get("service", "https://bsky.social").rstrip("/")
        self.timeout = float(options.get("timeout", 10))
        self.http = HttpClient(deadline=self.timeout)  # the SDK's requests, and images given by url
        self.request = Request(transport=httpx_transport(self.http))
        self.client = Client(base_url=f"{service}/xrpc", request=self.request)
        self.session_path = os.path.join(base_dir, ".herald", f"bluesky-{name}.session")
        self.client.on_session_change(self._save)  # the SDK's public word on its session
        self.session: Any = None  # the session the SDK last told of (created, imported or refreshed)
        self.logged_in = False

    @classmethod
    def calendar_options(cls, calendar: Calendar) -> dict[str, Any]:
        return {"language": calendar.brand.language}

    def _save(self, event: Any, session: Any) -> None:
        """Keep the session the SDK tells of, at a login, an import or a refresh (its tokens are
        secrets: registered, and written mode 600)."""
        self.session = session
        exported = session.export()
        register(exported, getattr(session, "access_jwt", None), getattr(session, "refresh_jwt", None))
        write_atomic(self.session_path, exported, mode=0o600)

    def _login(self, fresh: bool = False) -> None:
        if self.logged_in and not fresh:
            return
        try:
            if not fresh and os.path.exists(self.session_path):
                with open(self.session_path) as fh:
                    saved = fh.read().strip()
                register(saved)
                self.client.login(session_string=saved, fetch_bsky_profile=False)
            else:
                self.client.login(self.handle, self.password, fetch_bsky_profile=False)  # told to _save
        except UnauthorizedError as exc:
            if not fresh:  # a revoked or expired saved session: one real login
                return self._login(fresh=True)
            message = f"Bluesky refused the app password for {self.handle} ({_detail(exc)})"
            raise AuthFailed(self.name, message) from None
        except BadRequestError as exc:
            if not fresh and os.path.exists(self.session_path):
                return self._login(fresh=True)
            raise AuthFailed(self.name, f"Bluesky refused the login for {self.handle} ({_detail(exc)})") from None
        except AtProtocolError as exc:
            raise self._error(exc) from None
        self.logged_in = True

    def _error(self, exc: AtProtocolError) -> PublishError:
        """By :data:`scheduler.errors.SDK_ERRORS`; a rate limit ends at Bluesky's ``ratelimit-reset``."""
        response = exc.response if isinstance(exc, RequestErrorBase) else None
        reset = response.headers.get("ratelimit-reset") or response.headers.get("RateLimit-Reset") if response else None
        headers = {"X-RateLimit-Reset": str(reset)} if reset else {}  # epoch seconds: the one parser
        return sdk_error(self.name, exc, _say, now=self.clock.now(), headers=headers, wait=300)

    def _call(self, action: Callable[[], T]) -> T:
        """``action`` after logging in; a failed send (the SDK passes Herald's transport errors
        on) by the shared rule."""
        with transport_errors(self.name, "Bluesky", self.timeout):
            return self._logged_in(action)

    def _logged_in(self, action: Callable[[], T]) -> T:
        self._login()
        try:
            return action()
        except UnauthorizedError:
            self._login(fresh=True)  # the session was revoked under us: log in once, try once more
            try:
                return action()
            except AtProtocolError as exc:
                raise self._error(exc) from None
        except AtProtocolError as exc:
            raise self._error(exc) from None

    def publish(self, post: OutgoingPost) -> RemoteRef:
        reply = None
        if post.reply_to is not None and post.reply_to.id and "|" in post.reply_to.id:
            root = _ref(post.reply_to.id)
            reply = models.AppBskyFeedPost.ReplyRef(root=root, parent=root)
        facets = client_utils.detect_facets(post.text) or None
        embed = None
        if post.image:
            data, _name, _mime = image_bytes(self.name, post.image, self.base_dir, http=self.http)
            blob = self._call(lambda: self.client.upload_blob(data)).blob
            embed = models.AppBskyEmbedImages.Main(images=[models.AppBskyEmbedImages.Image(
                alt=post.image.get("alt", ""), image=blob)])
        else:
            embed = self._link_card(post)
        created = self._call(lambda: self.client.send_post(post.text, reply_to=reply, facets=facets, embed=embed,
                                                           langs=[self.language], profile_identify=self._did()))
        rkey = created.uri.rsplit("/", 1)[-1]
        return RemoteRef(f"{created.uri}|{created.cid}", f"https://bsky.app/profile/{self.handle}/post/{rkey}")

    def _link_card(self, post: OutgoingPost) -> models.AppBskyEmbedExternal.Main | None:
        """The card of the text's first link: the calendar's ``link_card`` words if it gives
        them (nothing fetched), else the linked page's; None when there is no link or no card."""
        uri = first_link(post.text)
        if uri is None:
            return None
        given = post.link_card
        card = (LinkCard(uri, clean(given.get("title", ""), MAX_TITLE), clean(given.get("description", ""),
                                                                                 MAX_DESCRIPTION))
                if given else fetch_card(self.http, uri, self.name))
        if card is None or not card.title:
            return None
        return models.AppBskyEmbedExternal.Main(external=models.AppBskyEmbedExternal.External(
            uri=card.uri, title=card.title, description=card.description))

    def _did(self) -> str:
        """Whose repository posts go to: the session's DID (no profile fetch is needed for it)."""
        return str(self.session.did) if self.session is not None else self.handle

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        feed = self._call(lambda: self.client.get_author_feed(self._did(), limit=30))
        wanted = " ".join(post.text.split())
        for item in feed.feed:
            record = item.post.record
            if " ".join(getattr(record, "text", "").split()) == wanted:
                rkey = item.post.uri.rsplit("/", 1)[-1]
                return RemoteRef(f"{item.post.uri}|{item.post.cid}",
                                 f"https://bsky.app/profile/{self.handle}/post/{rkey}")
        return None

    def check_live(self) -> str:
        with transport_errors(self.name, "Bluesky", self.timeout):
            self._login()
        return f"logged in as {self.handle} (session reused and refreshed, not re-created per post)"

    def close(self) -> None:
        self.request.close()
        self.http.close()
