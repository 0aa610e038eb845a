"""One HTTP client layer for everything Herald sends or fetches (publishers, status feeds).

``requests`` does the protocol; this module adds what it does not:

- **A total deadline per request** (connect + headers + body). Per-read timeouts let a
  server that trickles one byte a second hold a request forever. Here every socket a
  request uses is registered with a watch; when the deadline passes (or the caller's
  ``cancel`` event is set) the watch shuts the socket down (``shutdown(SHUT_RDWR)``),
  which wakes the blocked read at once. The sockets are registered by urllib3
  connection classes that :func:`scheduler.urllib3watch.instrument` installs on every
  ``HTTPAdapter`` the session uses (also an adapter a test mounted), so any session works
  (urllib3's internals this needs are in that one module). One limit: name
  resolution (``getaddrinfo``) has no socket to shut; a hung resolver is bounded by the
  system resolver's own timeout, and the request fails at once when it returns.
- **Size caps**: the body is streamed and refused past ``max_bytes`` (a Content-Length
  above the cap is refused before reading); gzip/deflate are inflated here, step by
  step with ``zlib.decompressobj().decompress(data, max_length)``, and refused past
  ``max_decoded``: a compression bomb never inflates more than the cap.
- **Redirects only to the same host** (scheme http or https; http → https on the same
  host is an upgrade and allowed), at most ``max_redirects`` hops; anything else raises
  :class:`RedirectRefused` naming both hosts.
- **Typed transport failures**: :class:`ConnectFailed` (nothing was delivered),
  :class:`ConnectionLost`, :class:`DeadlineExceeded`, :class:`Cancelled` (``ambiguous``
  when the request may have reached the server). Messages show URLs only through
  :func:`scheduler.redaction.redact_url`.
- **One status classifier** (:func:`classify`) and **one Retry-After parser**
  (:func:`retry_at`), so every publisher reads a status code the same way.
- **The SDKs send through it too**: :class:`SdkSession` is a ``requests.Session`` whose
  every request goes through an :class:`HttpClient` on that same session (tweepy's
  ``Client``/``API`` and Mastodon.py take one), and :func:`httpx_transport` is an httpx
  transport doing the same for an httpx client (atproto's ``Request(transport=…)``). So
  the SDKs' requests, media uploads and token refreshes included, have the deadline, the
  caps and the redirect rule, and fail with this module's errors, which the SDKs pass on
  (Mastodon.py and tweepy's v1.1 ``API`` as the context of their own exception).

A request returns a :class:`Response` (status, case-insensitive headers, the decoded
bytes, the final URL); it never raises for an HTTP status: the caller classifies it.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json as jsonlib
import logging
import math
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions
from requests.structures import CaseInsensitiveDict

from . import urllib3watch
from .errors import (
    BadResponse,
    Cancelled,
    ConnectFailed,
    ConnectionLost,
    DeadlineExceeded,
    RedirectRefused,
    ResponseTooLarge,
    TooManyRedirects,
    TransportError,
)
from .redaction import redact_url

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("herald.http")

USER_AGENT = "Herald/0.1 (+https://herald.example)"
DEFAULT_DEADLINE = 30.0  # seconds, connect + headers + body
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_DECODED = 20 * 1024 * 1024
DEFAULT_MAX_REDIRECTS = 3
CHUNK = 64 * 1024
CANCEL_POLL = 0.05  # seconds between looks at the cancel event while a request runs
REDIRECTS = (301, 302, 303, 307, 308)


# -- status codes and Retry-After ---------------------------------------------------------------------------------


class Verdict(Enum):
    """The status classifier's verdict: what a status code means for the caller (a publisher may
    refine it with the API's own codes)."""

    OK = "ok"  # 2xx
    RATE_LIMITED = "rate-limited"  # 429: wait for retry_at(...)
    TRANSIENT = "transient"  # 408, 425: retry; the request was not acted on
    TRANSIENT_AMBIGUOUS = "transient-ambiguous"  # 5xx: retry, but it may have been acted on
    AUTH = "auth"  # 401, 403: credentials refused; stop the account
    PERMANENT = "permanent"  # any other status: the same request would fail the same way

    @property
    def transient(self) -> bool:
        return self in (Verdict.TRANSIENT, Verdict.TRANSIENT_AMBIGUOUS)

    @property
    def ambiguous(self) -> bool:
        return self is Verdict.TRANSIENT_AMBIGUOUS


def classify(status: int) -> Verdict:
    """The one reading of an HTTP status code (see :class:`Verdict`)."""
    if 200 <= status < 300:
        return Verdict.OK
    if status == 429:
        return Verdict.RATE_LIMITED
    if status >= 500:
        return Verdict.TRANSIENT_AMBIGUOUS
    if status in (408, 425):
        return Verdict.TRANSIENT
    if status in (401, 403):
        return Verdict.AUTH
    return Verdict.PERMANENT


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if str(key).lower() == lowered and value is not None:
            return str(value).strip()
    return None


def retry_at(headers: Mapping[str, Any], now: datetime, default: float = 60.0) -> datetime:
    """When to try again after a 429/503: ``Retry-After`` (seconds or an HTTP date), else
    ``X-RateLimit-Reset`` / ``x-rate-limit-reset`` (epoch seconds, or seconds from now when
    small), else ``now + default`` seconds. Never earlier than ``now``; values that are not
    numbers or dates, or out of range, are ignored."""
    value = _header(headers, "Retry-After")
    if value:
        when = _after_seconds(now, value)
        if when is None:
            try:
                date = parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError, OverflowError):
                date = None
            if date is not None:
                return max(now, date if date.tzinfo else date.replace(tzinfo=UTC))
        else:
            return when
    reset = _header(headers, "X-RateLimit-Reset")
    if reset:
        try:
            stamp = float(reset)
        except ValueError:
            stamp = math.nan
        if math.isfinite(stamp) and stamp > 1e9:
            try:
                return max(now, datetime.fromtimestamp(stamp, UTC))
            except (OverflowError, OSError, ValueError):
                pass
        elif math.isfinite(stamp):
            when = _after_seconds(now, reset)
            if when is not None:
                return when
    return now + timedelta(seconds=default)


def _after_seconds(now: datetime, text: str) -> datetime | None:
    try:
        seconds = float(text)
    except ValueError:
        return None
    if not math.isfinite(seconds):
        return None
    try:
        return now + timedelta(seconds=max(0.0, seconds))
    except OverflowError:
        return None


# -- the response -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    """A complete answer: the body is already read, decompressed and within the caps."""

    status: int
    headers: CaseInsensitiveDict[str]
    content: bytes
    url: str  # the final URL, after same-host redirects
    elapsed: float = 0.0  # seconds
    history: tuple[str, ...] = field(default=())  # the URLs redirected from

    @property
    def status_code(self) -> int:
        return self.status

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def verdict(self) -> Verdict:
        return classify(self.status)

    @property
    def encoding(self) -> str:
        for part in (self.headers.get("Content-Type") or "").split(";")[1:]:
            key, _, value = part.partition("=")
            if key.strip().lower() == "charset" and value.strip().strip("\"'"):
                return value.strip().strip("\"'")
        return "utf-8"

    @property
    def text(self) -> str:
        try:
            return self.content.decode(self.encoding, "replace")
        except LookupError:  # an unknown charset name
            return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON; raises ``ValueError`` when it is not."""
        return jsonlib.loads(self.content.decode("utf-8-sig") if self.content[:3] == b"\xef\xbb\xbf"
                             else self.content)


# -- deadline and cancellation: a watch over the sockets of one request ----------------------------------------------

_current = threading.local()


def _shutdown(sock: Any) -> None:
    raw = sock if isinstance(sock, socket.socket) else getattr(sock, "socket", None)
    if isinstance(raw, socket.socket):
        with contextlib.suppress(OSError):
            socket.socket.shutdown(raw, socket.SHUT_RDWR)  # the plain call, also for an SSLSocket


class _Watch:
    """The sockets one request uses; shuts them down at the deadline or on cancel."""

    def __init__(self, deadline: float, cancel: threading.Event | None):
        self.deadline = deadline
        self.expires = time.monotonic() + deadline
        self.cancel = cancel
        self.lock = threading.Lock()
        self.sockets: list[Any] = []
        self.fired: str | None = None  # "deadline" | "cancelled"
        self.sent = False  # bytes of the request may have left
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="herald-http-watch", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def remaining(self) -> float:
        return self.expires - time.monotonic()

    def register(self, sock: Any) -> None:
        if sock is None:
            return
        with self.lock:
            if self.fired:
                _shutdown(sock)
            else:
                self.sockets.append(sock)

    def fire(self, why: str) -> None:
        with self.lock:
            if self.fired or self.done.is_set():
                return
            self.fired = why
            for sock in self.sockets:
                _shutdown(sock)

    def finish(self) -> str | None:
        """Stop watching; what fired, if anything did."""
        with self.lock:
            self.done.set()
            self.sockets.clear()
            return self.fired

    def _run(self) -> None:
        while not self.done.is_set():
            if self.cancel is not None and self.cancel.is_set():
                self.fire("cancelled")
                return
            left = self.remaining()
            if left <= 0:
                self.fire("deadline")
                return
            self.done.wait(min(left, CANCEL_POLL) if self.cancel is not None else left)


def _watch() -> _Watch | None:
    return getattr(_current, "watch", None)


# the pool classes whose connections register their sockets with the current request's watch
# (urllib3's internals, in their one adapter: scheduler/urllib3watch.py)
_POOLS = urllib3watch.watched_pools(_watch)


# -- bounded decompression ----------------------------------------------------------------------------------------


class _Inflate:
    """One content coding (gzip or deflate), inflated at most ``limit`` bytes, in steps."""

    def __init__(self, coding: str, limit: int, url: str, status: int):
        self.coding, self.limit, self.url, self.status = coding, limit, url, status
        self.produced = 0
        self.started = False
        self.obj = self._new()

    def _new(self, raw_deflate: bool = False) -> Any:
        if self.coding == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(-zlib.MAX_WBITS if raw_deflate else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Inflate one piece of the body, as it arrives, so that a bomb is stopped at ``limit``
        bytes of output instead of after it filled the memory."""
        pending = data
        while pending:
            if self.obj.eof and not self._next_member(pending):
                return  # trailing bytes after the stream (or padding): ignored, as browsers do
            out = self._inflate(pending)
            if out is None:
                continue  # the same bytes again, as raw deflate
            self.started = True
            if out:
                self._count(out)
                yield out
            if self.obj.eof:
                pending = self.obj.unused_data
            elif self.obj.unconsumed_tail or len(out) == CHUNK:
                pending = self.obj.unconsumed_tail
                if not pending:  # output may still be waiting inside zlib
                    yield from self._drain()
                    return
            else:
                return

    def _next_member(self, rest: bytes) -> bool:
        """Whether the bytes after a finished stream start another one (a gzip file may hold
        several members, each a stream; then a fresh decompressor takes them)."""
        if self.coding != "gzip" or not rest.strip(b"\0"):
            return False
        self.obj = self._new()
        return True

    def _inflate(self, pending: bytes) -> bytes | None:
        """At most CHUNK bytes of output, or None when the stream turned out to be raw deflate:
        some servers send "deflate" without its zlib header, which shows on the first bytes only."""
        try:
            out: bytes = self.obj.decompress(pending, CHUNK)
        except zlib.error:
            if self.coding == "deflate" and not self.started:
                self.obj, self.started = self._new(raw_deflate=True), True
                return None
            raise BadResponse(self.url, f"the answer from {redact_url(self.url)} is not valid "
                                        f"{self.coding} data") from None
        return out

    def _count(self, out: bytes) -> None:
        """The cap on decoded bytes, checked before a piece is handed on."""
        self.produced += len(out)
        if self.produced > self.limit:
            raise ResponseTooLarge(self.url, self.limit, self.status, decoded=True)

    def _drain(self) -> Iterator[bytes]:
        """The output zlib still holds once all input is consumed, CHUNK bytes at a time (a full
        chunk means there may be more)."""
        more = self.obj.decompress(b"", CHUNK)
        while more:
            self._count(more)
            yield more
            more = self.obj.decompress(b"", CHUNK) if len(more) == CHUNK else b""


class _Decoder:
    """The Content-Encoding chain, undone in reverse order, each step bounded."""

    def __init__(self, header: str, limit: int, url: str, status: int):
        codings = [c.strip().lower() for c in header.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        self.stages: list[_Inflate] = []
        for coding in reversed(codings):
            name = "gzip" if coding in ("gzip", "x-gzip") else coding
            if name not in ("gzip", "deflate"):
                raise BadResponse(url, f"{redact_url(url)} answered with an unsupported Content-Encoding "
                                       f"{coding!r} (gzip and deflate are accepted)")
            self.stages.append(_Inflate(name, limit, url, status))

    def feed(self, data: bytes) -> Iterator[bytes]:
        return self._through(0, data)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self.stages):
            yield data
            return
        for piece in self.stages[index].feed(data):
            yield from self._through(index + 1, piece)


# -- the client ---------------------------------------------------------------------------------------------------


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def same_host(url: str, target: str) -> bool:
    """A redirect Herald follows: same scheme, host and port, or http → https on the same
    host's default ports (an upgrade)."""
    try:
        (s1, h1, p1), (s2, h2, p2) = _origin(url), _origin(target)
    except ValueError:
        return False
    if s2 not in ("http", "https") or not h2 or h1 != h2:
        return False
    return (s1, p1) == (s2, p2) or (s1, p1, s2, p2) == ("http", 80, "https", 443)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps: causes, contexts, urllib3's ``reason``, requests' ``args[0]``."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for inner in (current.__cause__, current.__context__, getattr(current, "reason", None),
                      *(a for a in current.args[:1] if isinstance(a, BaseException))):
            if isinstance(inner, BaseException):
                todo.append(inner)


def _reason(exc: BaseException) -> str:
    """A short, secret-free reason for a transport failure (never the exception's text: it holds URLs)."""
    chain = list(_causes(exc))
    for kind, reason in ((ConnectionRefusedError, "connection refused"), (socket.gaierror, "name not resolved"),
                         (ConnectionResetError, "connection reset"), (ssl.SSLError, "TLS error")):
        if any(isinstance(e, kind) for e in chain):
            return reason
    names = " ".join(type(e).__name__ for e in chain)
    for marker, reason in (("NameResolution", "name not resolved"), ("SSL", "TLS error"), ("Timeout", "timed out"),
                           ("RemoteDisconnected", "closed without an answer"), ("IncompleteRead", "answer cut short")):
        if marker in names:
            return reason
    return type(exc).__name__


def _redirected(status: int, method: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The method and body a redirect is followed with, as browsers do: a 303, or a 301/302 after
    anything but GET or HEAD, becomes a GET without a body (a HEAD stays a HEAD); any other resends
    the body, without the params, since the Location already holds the query."""
    if status == 303 or (status in (301, 302) and method not in ("GET", "HEAD")):
        return ("HEAD" if method == "HEAD" else "GET"), {}
    return method, {k: v for k, v in body.items() if k != "params"}


class HttpClient:
    """Requests with a total deadline, size caps, same-host redirects and cancellation.

    ``session``: a ``requests.Session`` (or subclass, e.g. an OAuth session) to send with;
    created when not given. Every HTTPAdapter it uses is instrumented for the deadline."""

    def __init__(self, session: requests.Session | None = None, *, user_agent: str = USER_AGENT,
                 deadline: float = DEFAULT_DEADLINE, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_decoded: int = DEFAULT_MAX_DECODED, max_redirects: int = DEFAULT_MAX_REDIRECTS):
        self.session = session if session is not None else requests.Session()
        if user_agent:
            self.session.headers["User-Agent"] = user_agent
        self.session.headers["Accept-Encoding"] = "gzip, deflate"  # the codings decoded here, with caps
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.max_decoded = max_decoded
        self.max_redirects = max_redirects

    def get(self, url: str, **kwargs: Any) -> Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Response:
        return self.request("POST", url, **kwargs)

    def request(self, method: str, url: str, *, params: Any = None, headers: Mapping[str, str] | None = None,
                data: Any = None, json: Any = None, files: Any = None, auth: Any = None,
                deadline: float | None = None, max_bytes: int | None = None, max_decoded: int | None = None,
                cancel: threading.Event | None = None) -> Response:
        """Send one request and read its whole answer, within ``deadline`` seconds in all
        (redirects included).

        :raises ConnectFailed, ConnectionLost, DeadlineExceeded, Cancelled: transport failures
        :raises ResponseTooLarge, BadResponse, RedirectRefused, TooManyRedirects:
        """
        limit = self.deadline if deadline is None else deadline
        watch = _Watch(limit, cancel)
        if cancel is not None and cancel.is_set():
            raise Cancelled(url, ambiguous=False)
        started = time.monotonic()
        history: list[str] = []
        current_url, current_method = url, method.upper()
        body: dict[str, Any] = {"params": params, "data": data, "json": json, "files": files}
        caps = (self.max_bytes if max_bytes is None else max_bytes,
                self.max_decoded if max_decoded is None else max_decoded)
        watch.start()
        try:
            while True:
                status, answer_headers, content, final = self._once(current_method, current_url, headers, body,
                                                                    auth, watch, *caps)
                location = answer_headers.get("Location")
                if status not in REDIRECTS or not location:
                    return Response(status, answer_headers, content, final, time.monotonic() - started,
                                    tuple(history))
                current_url = self._follow(url, final, location, history)
                current_method, body = _redirected(status, current_method, body)
        finally:
            watch.finish()

    def _follow(self, url: str, final: str, location: str, history: list[str]) -> str:
        """The redirect's target, once it is allowed: only to the same host (a token sent to one
        host must not reach another) and at most ``max_redirects`` times (a loop ends)."""
        target = urljoin(final, location)
        if not same_host(final, target):
            raise RedirectRefused(final, target)
        if len(history) >= self.max_redirects:
            raise TooManyRedirects(url, self.max_redirects)
        log.debug("following a redirect from %s to %s", redact_url(final), redact_url(target))
        history.append(final)
        return target

    def _once(self, method: str, url: str, headers: Mapping[str, str] | None, body: dict[str, Any], auth: Any,
              watch: _Watch, max_bytes: int, max_decoded: int) -> tuple[int, CaseInsensitiveDict[str], bytes, str]:
        try:
            urllib3watch.instrument(self.session.get_adapter(url), _POOLS)
        except requests.exceptions.InvalidSchema:
            raise ConnectFailed(url, "not an http or https URL") from None
        left = watch.remaining()
        if left <= 0:
            raise DeadlineExceeded(url, watch.deadline, ambiguous=watch.sent)
        _current.watch = watch
        response: requests.Response | None = None
        try:
            try:
                response = self.session.request(method, url, headers=dict(headers or {}), auth=auth, stream=True,
                                                allow_redirects=False, timeout=(left, left), **body)
            except requests.exceptions.InvalidURL:
                raise ConnectFailed(url, "an invalid URL") from None
            except (requests.RequestException, OSError) as exc:
                raise self._transport_error(url, exc, watch, connecting=True) from None
            final = response.url or url
            answer_headers = CaseInsensitiveDict(dict(response.headers))
            content = self._read(response, final, watch, max_bytes, max_decoded)
            return response.status_code, answer_headers, content, final
        finally:
            _current.watch = None
            if response is not None:
                response.close()

    def _read(self, response: requests.Response, url: str, watch: _Watch, max_bytes: int, max_decoded: int) -> bytes:
        status = response.status_code
        declared = response.headers.get("Content-Length")
        if declared and declared.strip().isdigit() and int(declared) > max_bytes:
            raise ResponseTooLarge(url, max_bytes, status, decoded=False)
        decoder = _Decoder(response.headers.get("Content-Encoding") or "", max_decoded, url, status)
        raw = response.raw
        out = bytearray()
        received = 0
        try:
            while True:
                chunk = raw.read(CHUNK, decode_content=False)
                if watch.fired:
                    break
                if not chunk:
                    break
                received += len(chunk)
                if received > max_bytes:
                    raise ResponseTooLarge(url, max_bytes, status, decoded=False)
                for piece in decoder.feed(chunk):
                    out += piece
        except (requests.RequestException, OSError, urllib3.exceptions.HTTPError, http.client.HTTPException) as exc:
            raise self._transport_error(url, exc, watch, connecting=False) from None
        fired = watch.fired
        if fired:  # a shut-down socket can look like a clean end of a body without a length
            raise self._fired(url, watch, fired)
        return bytes(out)

    def _fired(self, url: str, watch: _Watch, why: str) -> TransportError:
        if why == "cancelled":
            return Cancelled(url, ambiguous=watch.sent)
        return DeadlineExceeded(url, watch.deadline, ambiguous=watch.sent)

    def _transport_error(self, url: str, exc: BaseException, watch: _Watch, *, connecting: bool) -> TransportError:
        if watch.fired:
            return self._fired(url, watch, watch.fired)
        if connecting and (isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError)
                           or (isinstance(exc, requests.ConnectionError) and not watch.sent)):
            return ConnectFailed(url, _reason(exc))
        return ConnectionLost(url, _reason(exc))

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the SDKs' sessions and transports ----------------------------------------------------------------------------

#: Headers that describe the bytes on the wire, not the decoded body an SDK is handed.
_WIRE_HEADERS = ("content-encoding", "content-length", "transfer-encoding")
#: What an SDK's request may ask for that Herald decides instead: the deadline, reading the whole
#: answer within the caps, following redirects only on the same host.
_REPLACED_BY_HERALD = ("timeout", "stream", "allow_redirects")
_PASSED_ON = ("params", "data", "json", "files", "headers", "auth")


def _decoded_headers(answer: Response) -> dict[str, str]:
    """The answer's headers as they describe its decoded bytes (the codings are undone here)."""
    headers = {name: value for name, value in answer.headers.items() if name.lower() not in _WIRE_HEADERS}
    headers["Content-Length"] = str(len(answer.content))
    return headers


class SdkSession(requests.Session):
    """A ``requests.Session`` for an SDK that sends on a session of its own (tweepy,
    Mastodon.py): each of its requests is sent by ``self.http``, an :class:`HttpClient` on
    this same session (its adapters, mounted ones too, and its headers), and handed back as
    a complete ``requests.Response``. The SDK's ``timeout``, ``stream`` and
    ``allow_redirects`` are replaced by Herald's rules; a proxy, cookies or TLS options are
    refused (``TypeError``) rather than ignored."""

    def __init__(self, *, deadline: float = DEFAULT_DEADLINE, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_decoded: int = DEFAULT_MAX_DECODED, max_redirects: int = DEFAULT_MAX_REDIRECTS):
        super().__init__()
        self.http = HttpClient(self, deadline=deadline, max_bytes=max_bytes, max_decoded=max_decoded,
                               max_redirects=max_redirects)

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if _watch() is not None:  # self.http sending one hop on this thread: the plain session does it
            return super().request(method, url, *args, **kwargs)
        if args:
            raise TypeError("SdkSession.request takes its options by name")
        for name in _REPLACED_BY_HERALD:
            kwargs.pop(name, None)
        if not kwargs.get("proxies"):  # tweepy's API passes {} when no proxy is set
            kwargs.pop("proxies", None)
        refused = sorted(set(kwargs) - set(_PASSED_ON))
        if refused:
            raise TypeError(f"SdkSession does not support {', '.join(refused)}")
        answer = self.http.request(method, url.decode() if isinstance(url, bytes) else url, **kwargs)
        return _as_requests_response(answer, method)


def _as_requests_response(answer: Response, method: str) -> requests.Response:
    """A complete ``requests.Response`` of ``answer``, its body already read (as requests
    does for a request that does not stream), so the SDK never touches a socket."""
    out = requests.Response()
    out.status_code = answer.status
    out.headers = CaseInsensitiveDict(_decoded_headers(answer))
    out.raw = io.BytesIO(answer.content)
    out.content  # noqa: B018  (reads raw: the response is complete and closing it loses nothing)
    out.url = answer.url
    out.reason = http.client.responses.get(answer.status, "")
    out.encoding = requests.utils.get_encoding_from_headers(out.headers)
    out.elapsed = timedelta(seconds=answer.elapsed)
    out.request = requests.Request(method, answer.url).prepare()
    return out


def httpx_transport(client: HttpClient) -> httpx.BaseTransport:
    """An httpx transport that sends every request with ``client`` (atproto's client is an
    ``httpx.Client``: ``atproto_client.request.Request(transport=…)``). Same-host redirects
    are followed inside ``client``, so httpx never sees one; the answer is complete and
    decoded. Closing the transport leaves ``client`` to its owner. httpx is imported here,
    not at the top: only an account that uses it pays for it."""
    import httpx

    # requests writes these itself; the codings asked for are the ones decoded here (gzip, deflate)
    unsent = ("host", "connection", "content-length", "transfer-encoding", "accept-encoding")

    class Transport(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in request.headers.raw
                       if name.decode("latin-1").lower() not in unsent}  # the names as the SDK spelled them
            answer = client.request(request.method, str(request.url), headers=headers, data=request.read() or None)
            return httpx.Response(answer.status, headers=_decoded_headers(answer), content=answer.content,
                                  request=request)

    return Transport()
