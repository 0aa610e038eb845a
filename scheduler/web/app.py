"""The web application: every part contributes its routes (``routes(ctx)``), and one
middleware sets the security headers on every response.

The Content-Security-Policy allows only Herald's own files: no inline script or style, no
third-party origin, no framing; pages fetch only from the same origin (the live refresh).
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import intake, review, site, subscribe
from .context import WebContext

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every HTTP response (a plain ASGI middleware: it never
    buffers a body, so streamed responses stay streamed)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, with_headers)


MAX_QUERY = 8192  # bytes of query string: the room's longest address is far shorter


class QueryLimit:
    """A request whose query string is longer than :data:`MAX_QUERY` bytes is answered 414 at once,
    with one line, before any route, sign-in or file is read (an attack sent 100,000 characters)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        size = len(scope.get("query_string", b"")) if scope["type"] == "http" else 0
        if size > MAX_QUERY:
            reason = f"URI too long: a query string of {size:,} bytes; this server reads at most {MAX_QUERY:,}\n"
            await PlainTextResponse(reason, status_code=414)(scope, receive, send)
            return
        await self.app(scope, receive, send)


MAX_HEADER = 8192  # bytes of one header line (name and value): a cookie, a token or an address fits
MAX_HEADERS = 32768  # bytes of all of a request's headers together
MAX_BODY = 8192  # bytes of a body a route without a cap of its own takes (forms are far smaller)


def body_caps() -> dict[str, int]:
    """Path prefix -> the most bytes of body its route reads: each the cap the route itself
    applies as it reads (the alert intake's, the sign-in form's, the subscription forms')."""
    return {"/intake/": intake.MAX_BODY, "/review/login": review.FORM_LIMIT, "/subscribe/": subscribe.BODY_LIMIT}


class RequestLimits:
    """A request whose header is larger than :data:`MAX_HEADER` bytes (or whose headers are larger
    than :data:`MAX_HEADERS` together) is answered 431, and one whose declared ``Content-Length``
    is over its route's cap (:func:`body_caps`) 413, at once, before any route runs or a byte of
    the body is read, and the connection is closed (the body the client may still send is not
    waited for).  A chunked body is capped by the route as it reads."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self.caps = sorted(body_caps().items(), key=lambda item: -len(item[0]))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self.refusal(scope) if scope["type"] == "http" else None
        if refusal is None:
            await self.app(scope, receive, send)
            return
        status, reason = refusal
        answer = PlainTextResponse(reason + "\n", status_code=status, headers={"connection": "close"})
        await answer(scope, receive, send)

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        sizes = [len(name) + len(value) + 2 for name, value in headers]
        if sizes and max(sizes) > MAX_HEADER:
            return 431, f"Request header fields too large: one of {max(sizes):,} bytes; this server reads at most " \
                        f"{MAX_HEADER:,}"
        if sum(sizes) > MAX_HEADERS:
            return 431, f"Request header fields too large: {sum(sizes):,} bytes; this server reads at most " \
                        f"{MAX_HEADERS:,}"
        declared = next((value for name, value in headers if name == b"content-length"), b"").strip()
        cap = next((cap for prefix, cap in self.caps if scope["path"].startswith(prefix)), MAX_BODY)
        if declared.isdigit() and int(declared) > cap:
            return 413, f"Content too large: a body of {int(declared):,} bytes; this address takes at most {cap:,}"
        return None


def unavailable(request: Request, exc: Exception) -> Response:
    """A file that never loaded (there is no last good version yet): one line, 503, no traceback."""
    from ..redaction import redact

    first = redact(str(exc)).splitlines()[0] if str(exc) else type(exc).__name__
    return PlainTextResponse(f"Unavailable: {first}", status_code=503, headers={"Retry-After": "10"})


def create_app(ctx: WebContext) -> Starlette:
    from starlette.middleware import Middleware
    from starlette.middleware.gzip import GZipMiddleware

    from campaigns.errors import HeraldError

    routes = [*site.routes(ctx), *review.routes(ctx), *intake.routes(ctx), *subscribe.routes(ctx)]
    middleware = [Middleware(SecurityHeaders), Middleware(RequestLimits), Middleware(QueryLimit),
                  Middleware(GZipMiddleware, minimum_size=1024)]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HeraldError: unavailable, 404: not_found})
    app.router.redirect_slashes = False  # Starlette's would build an absolute URL from the Host header
    app.state.ctx = ctx
    app.state.review_warm = review.warm(ctx)  # the review room's calendar check, ready before its first page
    return app


async def not_found(request: Request, exc: Exception) -> Response:
    """404, or a relative redirect to the same path with(out) its trailing slash when that is a
    page (``/history`` -> ``/history/``): the Location is never built from the Host header, and
    a ``token`` in the query is not carried along."""
    from urllib.parse import urlencode

    from starlette.responses import RedirectResponse
    from starlette.routing import Match

    path = request.url.path
    other = path[:-1] if path.endswith("/") else path + "/"
    if path != "/" and not other.startswith("//"):
        scope = {**request.scope, "path": other}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
            return RedirectResponse(other + (f"?{query}" if query else ""), status_code=307)
    detail = getattr(exc, "detail", None) or "Not Found"
    return PlainTextResponse(str(detail), status_code=getattr(exc, "status_code", 404))


HEADER_TIMEOUT = 10.0  # seconds a client has to send a whole request header (and, from its last byte, its body)
KEEP_ALIVE = 5  # seconds an idle keep-alive connection is kept
LIMIT_CONCURRENCY = 1000  # connections and requests at once; beyond, 503 (keep it below the open-file limit)


def serve(app: Any, host: str, port: int, *, header_timeout: float = HEADER_TIMEOUT, keep_alive: int = KEEP_ALIVE,
          limit_concurrency: int = LIMIT_CONCURRENCY) -> Any:
    """A uvicorn server for ``app`` (not started): ``herald serve`` runs it, ``herald run`` in a thread.

    Slow clients cannot hold connections: a request header must arrive within ``header_timeout``
    (:class:`SlowClientGuard`), an idle keep-alive connection closes after ``keep_alive`` seconds,
    and at most ``limit_concurrency`` connections are served at once (uvicorn answers 503 beyond).
    No access log: ``/calendar.ics?token=`` carries its token in the address."""
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off",
                            server_header=False, http=guarded_protocol(header_timeout),
                            timeout_keep_alive=keep_alive, limit_concurrency=limit_concurrency)
    return uvicorn.Server(config)


def guarded_protocol(timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol class (``http="auto"``) behind a :class:`SlowClientGuard`.  uvicorn
    takes a protocol class as ``http=`` and builds it with keyword arguments; the guard passes
    them on unchanged and sees only the bytes, so it depends on no private part of uvicorn."""
    from uvicorn.config import HTTP_PROTOCOLS
    from uvicorn.importer import import_from_string

    inner: type[asyncio.Protocol] = import_from_string(HTTP_PROTOCOLS["auto"])

    class Guarded(SlowClientGuard):
        def __init__(self, **kwargs: Any):
            super().__init__(inner(**kwargs), timeout, kwargs.get("_loop"))

    return Guarded


class SlowClientGuard(asyncio.Protocol):
    """An asyncio protocol in front of an HTTP/1.1 protocol: it forwards every event, and closes
    the connection of a client that is too slow to send a request.

    - From the connection's start, and from the first byte of each later request, the request
      header (up to its blank line) must arrive within ``timeout`` seconds, however it trickles
      in; a connection that sends nothing at all is closed after ``timeout`` too.
    - A body announced by ``Content-Length`` (or chunked) must keep arriving: ``timeout`` seconds
      at most between two reads.  A chunked body ends where its framing says (the last chunk,
      its trailers and the blank line after them), however the reads split it.
    - Between requests (the server answering, or a keep-alive connection idle) no clock runs
      here: the answer takes what it takes, and uvicorn's ``timeout_keep_alive`` closes idle
      connections.

    Only the bytes are read (to find the header's end and the body's length); the protocol
    behind gets them unchanged."""

    def __init__(self, inner: asyncio.Protocol, timeout: float, loop: asyncio.AbstractEventLoop | None = None):
        self.inner = inner
        self.timeout = timeout
        self.loop = loop or asyncio.get_event_loop()
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.head = bytearray()  # the current request's header so far (None of it once complete)
        self.phase = "head"  # head: reading a header; body: reading a body; idle: between requests
        self.body_left = 0  # bytes of a Content-Length body still to come
        self.chunked = False
        self.chunk_left = 0  # bytes of the current chunk (with its CRLF) still to come
        self.trailers = False  # past the last chunk: trailer lines until a blank one
        self.line = bytearray()  # a chunk-size or trailer line so far

    # -- the protocol -----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._arm()
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self._watch(data)
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def __getattr__(self, name: str) -> Any:  # anything else uvicorn asks of its protocol
        return getattr(self.inner, name)

    # -- the clock --------------------------------------------------------------------------
    def _arm(self) -> None:
        self._disarm()
        self.timer = self.loop.call_later(self.timeout, self._too_slow)

    def _disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _too_slow(self) -> None:
        self.timer = None
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()  # no answer owed: the request never arrived

    def _watch(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self.phase == "idle":  # the first byte of the next request starts its header's clock
                self.phase = "head"
                self._arm()
            if self.phase == "head":
                before = len(self.head)
                self.head += view
                end = self.head.find(b"\r\n\r\n", max(0, before - 3))
                if end < 0:
                    if len(self.head) > 65536:  # uvicorn refuses such a header itself; stop copying
                        self.head = self.head[-3:]
                    return
                used = end + 4 - before
                view = view[used:]
                self._header_done(bytes(self.head[:end]))
                self.head = bytearray()
            elif self.phase == "body":
                if self.chunked:
                    view = self._chunks(view)
                    continue
                used = min(len(view), self.body_left)
                self.body_left -= used
                view = view[used:]
                if self.body_left == 0:
                    self.phase = "idle"
                    self._disarm()
                else:
                    self._arm()

    def _chunks(self, view: memoryview) -> memoryview:
        """Follow a chunked body's framing (sizes, data, the last chunk, trailers, the blank line
        that ends them), however its reads split it; returns what follows the body (the next
        request's first bytes) or nothing."""
        while view:
            if self.chunk_left:  # a chunk's data and the CRLF after it
                used = min(len(view), self.chunk_left)
                self.chunk_left -= used
                view = view[used:]
                continue
            end = bytes(view[:4096]).find(b"\n")  # a line: a chunk's size, or a trailer
            if end < 0:
                self.line += view
                view = view[len(view):]
                if len(self.line) > 8192:  # not a chunked body uvicorn will accept: it answers it
                    return self._body_done(view)
                break
            line = bytes(self.line + view[:end]).strip()
            self.line = bytearray()
            view = view[end + 1:]
            if self.trailers:
                if not line:
                    return self._body_done(view)
                continue
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:  # a malformed size: uvicorn refuses the request itself
                return self._body_done(view)
            if size:
                self.chunk_left = size + 2
            else:
                self.trailers = True
        self._arm()
        return view

    def _body_done(self, rest: memoryview) -> memoryview:
        self.phase = "idle"
        self._disarm()
        return rest

    def _header_done(self, head: bytes) -> None:
        length, chunked = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length" and value.strip().isdigit():
                length = int(value.strip())
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        self.chunked, self.body_left = chunked, length
        self.chunk_left, self.trailers, self.line = 0, False, bytearray()
        if chunked or length:
            self.phase = "body"
            self._arm()
        else:
            self.phase = "idle"
            self._disarm()
