"""The subscription endpoints of the status site: the form (``/subscribe/``), the confirmation
(``/subscribe/confirm``) and the unsubscribe link (``/subscribe/unsubscribe``, which also takes
RFC 8058's one-click POST from mail clients).  Served only when the calendar has
``engine.subscribers``; 404 otherwise.

Abuse: the form carries a CSRF token (double submit: a random cookie and an HMAC of it, no server
state); a client may post :data:`PER_CLIENT` requests per :data:`WINDOW` (then 429); an address
gets :data:`PER_ADDRESS` confirmation mails per :data:`WINDOW` (more are dropped without a word).
Whether an address is new, waiting, subscribed or rate limited, the answer is the same page at
once: the ledger write and the mail happen afterwards on the :class:`Outbox`'s thread, so neither
the words nor the timing tell.  A link in a mail only shows a button: a scanner following links
confirms and unsubscribes nothing; the button's POST does.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ..redaction import redact
from .context import WebContext

if TYPE_CHECKING:
    from campaigns.subscribers import SubscriberSettings

    from ..subscribers.secrets import Keys

log = logging.getLogger("herald.web")

WINDOW = 3600.0  # seconds
PER_CLIENT = 10  # form posts per client (IP address) per WINDOW
PER_ADDRESS = 3  # confirmation mails per address per WINDOW
BODY_LIMIT = 8192
COOKIE = "herald_csrf"
OUTBOX = 1000  # confirmation mails waiting at most; more are dropped (the answer is the same)


def routes(ctx: WebContext) -> list[BaseRoute]:
    part = _Subscribe(ctx)
    return [Route("/subscribe/", part.form, methods=["GET", "POST"]),
            Route("/subscribe/confirm", part.confirm, methods=["GET", "POST"]),
            Route("/subscribe/unsubscribe", part.unsubscribe, methods=["GET", "POST"])]


class Window:
    """Requests per key within a sliding window; bounded (the oldest keys forgotten first)."""

    def __init__(self, limit: int, seconds: float = WINDOW, keys: int = 100_000):
        self.limit, self.seconds, self.keys = limit, seconds, keys
        self.hits: OrderedDict[str, list[float]] = OrderedDict()
        self.lock = threading.Lock()

    def allow(self, key: str, now: float) -> bool:
        with self.lock:
            recent = [t for t in self.hits.pop(key, []) if now - t < self.seconds]
            allowed = len(recent) < self.limit
            if allowed:
                recent.append(now)
            self.hits[key] = recent
            while len(self.hits) > self.keys:
                self.hits.popitem(last=False)
            return allowed


@dataclass(frozen=True)
class Request_:
    address: str
    components: tuple[str, ...]


class Outbox:
    """One thread that stores each request and mails its confirmation link, in order."""

    def __init__(self, ctx: WebContext):
        self.ctx = ctx
        self.queue: queue.Queue[Request_] = queue.Queue(OUTBOX)
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        self.mailer: Any = None

    def put(self, item: Request_) -> None:
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="herald-subscribe-mail", daemon=True)
                self.thread.start()
        try:
            self.queue.put_nowait(item)
        except queue.Full:
            log.warning("subscription requests: %d waiting already; one dropped", OUTBOX)

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            try:
                self._one(item)
            except Exception as exc:  # a down ledger or mail server: this request is lost, the next may go
                log.error("subscription request not handled: %s: %s", type(exc).__name__,
                          redact(str(exc)).splitlines()[0] if str(exc) else "")

    def _one(self, item: Request_) -> None:
        from ..ledger.subscribers import Subscribers
        from ..subscribers.dispatch import base_url
        from ..subscribers.mail import Mailer, confirmation_message
        from ..subscribers.tokens import digest, new_token

        settings, keys = _settings(self.ctx)
        if settings is None or keys is None:
            return
        calendar, status, now = self.ctx.calendar(), self.ctx.status(), self.ctx.clock.now()
        token = new_token()
        Subscribers(self.ctx.ledger().db).request("email", item.address, item.components, digest(token),
                                                  now + settings.confirm_within, now)
        names = [status.components[c].name for c in item.components if c in status.components]
        if self.mailer is None or self.mailer.settings != settings:
            self.mailer = Mailer(settings, keys)
        self.mailer.send(confirmation_message(settings, base_url(calendar, status, settings), calendar.brand.name,
                                              item.address, token, ", ".join(names) or "all components"))
        self.mailer.close()


_KEYS: dict[Any, Any] = {}


def _settings(ctx: WebContext) -> tuple[SubscriberSettings | None, Keys | None]:
    """The calendar's subscriber settings and their keys (read once per settings; None: off, or
    the keys cannot be read, which is logged)."""
    from campaigns.errors import ConfigError

    from ..subscribers.secrets import read

    settings = ctx.calendar().engine.subscribers
    if settings is None:
        return None, None
    if settings not in _KEYS:
        try:
            _KEYS[settings] = read(settings, base_dir=os.path.dirname(os.path.abspath(ctx.calendar_path)))
        except ConfigError as exc:
            log.error("%s", exc)
            return settings, None
    return settings, _KEYS[settings]


async def _fields(request: Request) -> dict[str, list[str]]:
    """The urlencoded form, at most BODY_LIMIT bytes (more: nothing)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > BODY_LIMIT:
            return {}
    out: dict[str, list[str]] = {}
    for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        out.setdefault(name, []).append(value)
    return out


def _first(fields: dict[str, list[str]], name: str) -> str:
    return (fields.get(name) or [""])[0]


class _Subscribe:
    def __init__(self, ctx: WebContext):
        self.ctx = ctx
        self.clients = Window(PER_CLIENT)
        self.addresses = Window(PER_ADDRESS)
        self.outbox = Outbox(ctx)

    def _page(self, step: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        from ..render.site import SiteData
        from ..render.subscribe import page

        data = SiteData(self.ctx.calendar(), self.ctx.status().public(), self.ctx.clock.now())
        return HTMLResponse(page(data, step, **values), status_code=status_code,
                            headers={"Cache-Control": "no-store"})

    async def form(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        settings, keys = await run_in_threadpool(_settings, self.ctx)
        if settings is None or keys is None:
            return PlainTextResponse("Not Found", status_code=404)
        if request.method == "POST":
            return await self._post(request, keys)
        return await run_in_threadpool(self._form_page, request, keys)

    def _form_page(self, request: Request, keys: Keys) -> Response:
        from ..subscribers.tokens import csrf_token

        cookie = request.cookies.get(COOKIE) or secrets.token_urlsafe(16)
        response = self._page("form", csrf=csrf_token(keys.signing_key, cookie, self.ctx.clock.now()),
                              email=request.query_params.get("email", "")[:254])
        response.set_cookie(COOKIE, cookie, max_age=7200, path="/subscribe/", httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    async def _post(self, request: Request, keys: Keys) -> Response:
        from starlette.concurrency import run_in_threadpool

        from campaigns.subscribers import ADDRESS

        from ..subscribers.tokens import csrf_ok

        fields = await _fields(request)
        if not csrf_ok(keys.signing_key, request.cookies.get(COOKIE, ""), _first(fields, "csrf"), self.ctx.clock.now()):
            return PlainTextResponse("The form has expired: reload the page and try again.", status_code=403)
        address = _first(fields, "email").strip().lower()
        if len(address) > 254 or not ADDRESS.match(address):
            return PlainTextResponse("That is not an email address: go back and check it.", status_code=400)
        if not self.clients.allow(request.client.host if request.client else "-", time.monotonic()):
            return PlainTextResponse("Too many requests from your address: try again in an hour.", status_code=429)
        known = self.ctx.status().components
        chosen = tuple(sorted({c for c in fields.get("component", []) if c in known}))
        if self.addresses.allow(address, time.monotonic()):
            self.outbox.put(Request_(address, chosen))
        return await run_in_threadpool(
            self._page, "accepted", message="If this address can receive mail, a link to confirm the subscription "
                                            "is on its way. Nothing is sent until it is followed.")

    async def confirm(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        settings, keys = await run_in_threadpool(_settings, self.ctx)
        if settings is None or keys is None:
            return PlainTextResponse("Not Found", status_code=404)
        if request.method == "GET":
            token = request.query_params.get("t", "")[:200]
            return await run_in_threadpool(
                self._page, "confirm", action="/subscribe/confirm", fields=(("t", token),), button="Confirm",
                message="Confirm that you want status updates at this address.")
        token = _first(await _fields(request), "t")[:200]
        return await run_in_threadpool(self._confirmed, token)

    def _confirmed(self, token: str) -> Response:
        from ..ledger.subscribers import Subscribers
        from ..subscribers.tokens import digest

        found = Subscribers(self.ctx.ledger().db).confirm(digest(token), self.ctx.clock.now()) if token else None
        if found is None:
            return self._page("invalid", 410, message="The link has expired or was used already. "
                                                      "Subscribe again to get a new one.")
        return self._page("confirmed", message="You will get the next status update by email. "
                                               "Every message has a link to unsubscribe.")

    async def unsubscribe(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        from ..subscribers.tokens import unsubscribe_ok

        settings, keys = await run_in_threadpool(_settings, self.ctx)
        if settings is None or keys is None:
            return PlainTextResponse("Not Found", status_code=404)
        ident, token = request.query_params.get("s", "")[:64], request.query_params.get("t", "")[:128]
        if not unsubscribe_ok(keys.signing_key, ident, token):
            return await run_in_threadpool(self._page, "invalid", 404, message="This unsubscribe link is not one "
                                                                                "of ours, or it was cut short.")
        if request.method == "GET":
            return await run_in_threadpool(
                self._page, "unsubscribe", action="/subscribe/unsubscribe?" + request.url.query, button="Unsubscribe",
                message="Stop all status updates to this address?")
        return await run_in_threadpool(self._unsubscribed, ident)

    def _unsubscribed(self, ident: str) -> Response:
        from ..ledger.subscribers import Subscribers

        Subscribers(self.ctx.ledger().db).delete(ident)
        return self._page("unsubscribed", message="You will get no more status updates. Your address was deleted.")
