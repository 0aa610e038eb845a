"""The public status site of ``herald serve`` (see :mod:`scheduler.web`).

Every page is rendered by :mod:`scheduler.render.site` from the status file, the calendar and the ledger,
never from files an engine wrote, so every server shows the same site; each page and API file
is kept in a :class:`PageCache` until what it shows changes.  Pages,
feeds and the API carry an ETag and answer ``If-None-Match`` with 304; the API files may be
read from any origin (CORS).  ``/live.json`` is what
the page's script polls (once a second) to refresh itself without a reload.  Also here:
``/calendar.ics`` (the plan and the status, behind a token derived from ``HERALD_REVIEW_TOKEN``), ``/healthz`` and
``/metrics``.  Nothing here writes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from prometheus_client import generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from ..render import STATIC, static_file
from ..render.site import API_FILES, LOGO_TYPES, Renderer, brand_css, favicon, logo_path
from .context import WebContext, calendar_token

READY_AGE = timedelta(seconds=60)  # an engine whose loop beat longer ago than this is not ready (as `herald health`)
CALENDAR_DAYS = (30, 180)  # /calendar.ics: the plan from 30 days back to 180 days ahead
TYPES = {"html": "text/html; charset=utf-8", "atom": "application/atom+xml; charset=utf-8",
         "json": "application/json", "feed": "application/feed+json; charset=utf-8",
         "ics": "text/calendar; charset=utf-8", "css": "text/css; charset=utf-8",
         "js": "text/javascript; charset=utf-8"}


def tagged(request: Request, body: str | bytes, media_type: str, cache: str = "no-cache") -> Response:
    """``body`` with a strong ETag, or 304 when the reader already has it."""
    data = body.encode() if isinstance(body, str) else body
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": cache}
    wanted = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
    if etag in wanted or "*" in wanted:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=media_type, headers=headers)


class Cached:
    """A rendered file: its bytes, their ETag (hashed once, at build time) and, for a large
    file, its gzip (compressed once, not per request)."""

    __slots__ = ("body", "etag", "gzipped", "key")

    def __init__(self, key: Any, body: bytes):
        import gzip

        self.key, self.body = key, body
        self.etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        self.gzipped = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= 1024 else None

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped or b"")


class PageCache:
    """Rendered pages and API files by name, each kept with the key it was built for (the files'
    stamps, the ledger stamps its part of the site depends on, the minute).  A request whose key
    matches is a dictionary lookup; a changed key rebuilds that one file, once: concurrent
    requests for it get the version before while it is built (a page a build behind, never a
    wait behind it), or, for a file never built, wait for the one build (single flight)
    instead of building it again.
    Bounded: at most ``max_bytes`` of bodies and ``max_entries`` files, the least recently
    used dropped first."""

    def __init__(self, max_bytes: int = 64 << 20, max_entries: int = 4096):
        self.max_bytes, self.max_entries = max_bytes, max_entries
        self._entries: OrderedDict[str, Cached] = OrderedDict()
        self._size = 0
        self._building: dict[tuple[str, Any], threading.Event] = {}
        self._lock = threading.Lock()
        self.builds = 0  # how many files were rendered (tests, benchmarks)

    def peek(self, name: str, key: Any) -> Cached | None:
        """The file if it is cached under ``key`` (never builds, never waits)."""
        with self._lock:
            entry = self._entries.get(name)
            if entry is None or entry.key != key:
                return None
            self._entries.move_to_end(name)
            return entry

    def get(self, name: str, key: Any, build: Callable[[], str | bytes]) -> Cached:
        while True:
            with self._lock:
                entry = self._entries.get(name)
                if entry is not None and entry.key == key:
                    self._entries.move_to_end(name)
                    return entry
                flight = self._building.get((name, key))
                if flight is None:
                    flight = self._building[(name, key)] = threading.Event()
                    break
                if entry is not None:  # being rebuilt: the version before, until the build is done
                    self._entries.move_to_end(name)
                    return entry
            flight.wait(30)  # another request builds it: take its result (or build, if it failed)
        try:
            self.builds += 1
            body = build()
            entry = Cached(key, body.encode() if isinstance(body, str) else body)
            with self._lock:
                old = self._entries.pop(name, None)
                self._size -= old.size if old is not None else 0
                if entry.size <= self.max_bytes // 4:  # one huge file never evicts everything
                    self._entries[name] = entry
                    self._size += entry.size
                while self._entries and (self._size > self.max_bytes or len(self._entries) > self.max_entries):
                    _, dropped = self._entries.popitem(last=False)
                    self._size -= dropped.size
            return entry
        finally:
            with self._lock:
                del self._building[(name, key)]
            flight.set()


def cached_response(request: Request, entry: Cached, media_type: str, cache: str = "no-cache",
                    headers: dict[str, str] | None = None) -> Response:
    headers = {"ETag": entry.etag, "Cache-Control": cache, "Vary": "Accept-Encoding", **(headers or {})}
    wanted = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
    if entry.etag in wanted or "*" in wanted:
        return Response(status_code=304, headers=headers)
    if entry.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(entry.gzipped, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(entry.body, media_type=media_type, headers=headers)


# What each part of the site reads of the ledger (the watcher's stamps in its cache key): only
# the home page, the site channel's own posts.  Where an update was announced and what an
# incident held are for ops (the review room's status page), never on a public page.
DEPENDS: dict[str, tuple[str, ...]] = {"index": ("site",), "history": (), "incident": (), "maintenance": (),
                                       "feed": (), "api": (), "ics": ()}
# The read-only files any other site may read from a browser (a widget on the shop's own pages).
CORS = {"Access-Control-Allow-Origin": "*", "Cross-Origin-Resource-Policy": "cross-origin"}


def routes(ctx: WebContext) -> list[BaseRoute]:
    return _Site(ctx).routes()


class _Site:
    """The site's endpoints over one context and one :class:`PageCache`."""

    def __init__(self, ctx: WebContext):
        self.ctx = ctx
        self.pages = ctx.pages = PageCache()
        ctx.watch  # noqa: B018 - the ledger watcher starts with the app, so its first read is done early
        self.statics = {name: Cached(None, static_file(name)) for name in STATIC}

    def routes(self) -> list[BaseRoute]:
        fast, page = self.fast, self.page
        return [
            Route("/", fast("index", "html", page(lambda r: r.index(), "html", "index"))),
            Route("/history/", fast("history", "html", page(lambda r: r.history_page(), "html", "history"))),
            Route("/incidents/{id}/", fast("incident", "html", self.incident)),
            Route("/maintenance/{id}/", fast("maintenance", "html", self.maintenance)),
            Route("/feed.atom", fast("feed", "atom", page(lambda r: r.atom(), "atom", "feed"))),
            Route("/feed.json", fast("feed", "feed", page(lambda r: r.json_feed(), "feed", "feed"))),
            Route("/status.ics", fast("ics", "ics", page(lambda r: r.status_ics(), "ics", "ics"))),
            Route("/api/v2/{path:path}", fast("api", "json", self.api)),
            Route("/static/{name}", self.static),
            Route("/brand.css", self.css),
            Route("/brand/logo", self.logo),
            Route("/favicon.svg", self.icon),
            Route("/favicon.ico", self.icon),  # asked for by browsers that read no <link rel=icon>
            Route("/live.json", self.live),
            Route("/calendar.ics", self.calendar_ics),
            Route("/healthz", self.healthz),
            Route("/metrics", self.metrics),
        ]

    # -- the cache in front of the pages ---------------------------------------------------------
    def fast(self, part: str, kind: str, slow: Callable[[Request], Response]) -> Callable[[Request], Any]:
        """``slow`` (in the thread pool) behind a fast path on the event loop: when the file this
        address names is in the cache under the current key (two stat calls and the watcher's
        snapshot: nothing blocks), it is answered at once, without a thread."""
        media = TYPES[kind]

        async def endpoint(request: Request) -> Response:
            from starlette.concurrency import run_in_threadpool

            if not DEPENDS[part] or self.ctx.watch.has_read():
                entry = self.pages.peek(request.url.path, self.key(part))
                if entry is not None:
                    return cached_response(request, entry, media, headers=CORS if part == "api" else None)
            return await run_in_threadpool(slow, request)
        return endpoint

    def key(self, part: str) -> tuple[Any, ...]:
        snap = self.ctx.watch.snapshot(wait_first=bool(DEPENDS[part]))
        return (self.ctx.files_stamp(), snap.stamp(*DEPENDS[part]) if DEPENDS[part] else (),
                self.ctx.clock.now().strftime("%Y%m%d%H%M"))

    def serve_cached(self, request: Request, part: str, kind: str, build: Callable[[], str | bytes]) -> Response:
        self.ctx.status()  # a broken save keeps the last good version; one that never loaded is a 503
        return cached_response(request, self.pages.get(request.url.path, self.key(part), build), TYPES[kind],
                               headers=CORS if part == "api" else None)

    def page(self, make: Callable[[Renderer], str | bytes], kind: str, part: str) -> Callable[[Request], Response]:
        def build() -> str | bytes:
            return make(Renderer(self.ctx.site_data(live=kind == "html", announced=[], posts=part == "index")))

        def endpoint(request: Request) -> Response:
            return self.serve_cached(request, part, kind, build)
        return endpoint

    # -- the pages named by an address -----------------------------------------------------------
    def incident(self, request: Request) -> Response:
        ident = request.path_params["id"]
        found = self.ctx.status().public().incident(ident)
        if found is None:
            return PlainTextResponse("Not found", status_code=404)

        def build() -> str | bytes:
            return Renderer(self.ctx.site_data(live=True, announced=[], posts=False)).incident_page(ident) or ""
        return self.serve_cached(request, "incident", "html", build)

    def maintenance(self, request: Request) -> Response:
        ident = request.path_params["id"]
        if not any(m.id == ident for m in self.ctx.status().maintenance):
            return PlainTextResponse("Not found", status_code=404)

        def build() -> str | bytes:
            return Renderer(self.ctx.site_data(live=True, announced=[], posts=False)).maintenance_page(ident) or ""
        return self.serve_cached(request, "maintenance", "html", build)

    def api(self, request: Request) -> Response:
        name = request.path_params["path"]
        if name not in API_FILES:
            return PlainTextResponse("Not found", status_code=404)

        def build() -> str | bytes:
            return json.dumps(Renderer(self.ctx.site_data(announced=[], posts=False)).api_file(name))
        return self.serve_cached(request, "api", "json", build)

    # -- the rest: files, the brand, liveness, the subscription, health, metrics -----------------
    def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.statics:
            return PlainTextResponse("Not found", status_code=404)
        return cached_response(request, self.statics[name], TYPES[name.rsplit(".", 1)[1]],
                               cache="public, max-age=300")

    def css(self, request: Request) -> Response:
        return tagged(request, brand_css(self.ctx.calendar().brand.color), TYPES["css"], cache="public, max-age=60")

    def logo(self, request: Request) -> Response:
        path = logo_path(self.ctx.calendar_path, self.ctx.calendar().brand.logo)
        if path is None:
            return PlainTextResponse("Not found", status_code=404)
        with open(path, "rb") as fh:
            return tagged(request, fh.read(), LOGO_TYPES[os.path.splitext(path)[1].lower()],
                          cache="public, max-age=300")

    def icon(self, request: Request) -> Response:
        return tagged(request, favicon(self.ctx.calendar().brand.color), "image/svg+xml", cache="public, max-age=300")

    def live(self, request: Request) -> Response:
        return JSONResponse({"version": self.ctx.version()}, headers={"Cache-Control": "no-store"})

    def calendar_ics(self, request: Request) -> Response:
        ctx = self.ctx
        if not ctx.review_token:
            return PlainTextResponse("The calendar subscription is off: set HERALD_REVIEW_TOKEN on the server.",
                                     status_code=404)
        given = request.query_params.get("token", "")
        if hmac.compare_digest(given.encode(), ctx.review_token.encode()):  # the room's own token: never in a link
            return PlainTextResponse("Forbidden: this link carries the review room's token; take the subscription "
                                     "link shown in the review room (and consider changing the token).",
                                     status_code=403)
        if not hmac.compare_digest(given.encode(), calendar_token(ctx.review_token).encode()):
            return PlainTextResponse("Forbidden: the link's token is wrong.", status_code=403)
        return tagged(request, plan_ics(ctx), TYPES["ics"], cache="private, no-cache")

    def healthz(self, request: Request) -> Response:
        return health(self.ctx)

    def metrics(self, request: Request) -> Response:
        from ..metrics import ENGINE
        from .metrics import exposition

        snap = self.ctx.watch.snapshot()  # as the watcher last read the ledger: a scrape reads no database
        # the ledger's part once per watcher read, this process' counters at each scrape
        ledger_part = self.pages.get("/metrics", (snap.read_at, snap.state), lambda: exposition(
            snap.tallies if snap.state == "ok" else None, snap.heartbeat, engine=False))
        body = ledger_part.body + generate_latest(ENGINE)
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8",
                        headers={"Cache-Control": "no-store"})


def plan_ics(ctx: WebContext) -> bytes:
    """The plan with maintenance and incidents, as ``herald export-ical --status`` writes it."""
    from campaigns.ical import export
    from status.ical import add_status

    calendar, status, now = ctx.calendar(), ctx.status(), ctx.clock.now()
    start, end = now - timedelta(days=CALENDAR_DAYS[0]), now + timedelta(days=CALENDAR_DAYS[1])
    vcal = export(calendar, start, end, now)
    if add_status(vcal, status, calendar.brand.name, start, end, now, status.status_page):
        vcal.add_missing_timezones(first_date=(start - timedelta(days=1)).date(),
                                   last_date=(end + timedelta(days=1)).date())
    return bytes(vcal.to_ical())


def health(ctx: WebContext) -> Response:
    """Alive: this process answers.  Ready: an engine's loop beat within READY_AGE and the ledger
    answers.  Read from the watcher's last snapshot: this never waits for the database, and never
    names it (no host, port, database or role: "database unreachable")."""
    now = ctx.clock.now()
    body: dict[str, Any] = {"alive": True, "ready": False, "ledger": "ok", "heartbeat_age_seconds": None}
    snap = ctx.watch.snapshot()
    if snap.state != "ok":
        body["ledger"] = {"none": "no ledger yet: no engine has run", "unknown": "checking",
                          "down": "database unreachable",
                          "broken": f"the ledger {snap.problem}: restore it from a backup, or start over with "
                                    "herald run --new-ledger"}.get(snap.state, snap.state)
        return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})
    if snap.heartbeat is not None:
        age = (now - snap.heartbeat).total_seconds()
        body["heartbeat_age_seconds"] = round(age, 1)
        body["ready"] = age <= READY_AGE.total_seconds()
    return JSONResponse(body, status_code=200 if body["ready"] else 503, headers={"Cache-Control": "no-store"})
