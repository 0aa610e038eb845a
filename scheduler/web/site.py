"""The public status site of ``herald serve`` (see :mod:`scheduler.web`).

Every page is rendered by :mod:`.render` from the status file, the calendar and the ledger,
never from files an engine wrote, so every server shows the same site; each page and API file
is kept in a :class:`PageCache` until what it shows changes.  Pages,
feeds and the API carry an ETag and answer ``If-None-Match`` with 304.  ``/live.json`` is what
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
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .context import WebContext

READY_AGE = timedelta(seconds=60)  # an engine whose loop beat longer ago than this is not ready (as `herald health`)
CALENDAR_DAYS = (30, 180)  # /calendar.ics: the plan from 30 days back to 180 days ahead
LOGO_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".webp": "image/webp", ".jpg": "image/jpeg",
              ".jpeg": "image/jpeg", ".gif": "image/gif"}
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


def brand_css(colour: str) -> str:
    """The brand's accent as a stylesheet (a file, so the CSP needs no inline styles)."""
    from .render import _safe_colour

    return f":root {{ --accent: {colour if _safe_colour(colour) else '#0b5fff'}; }}\n"


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


def cached_response(request: Request, entry: Cached, media_type: str, cache: str = "no-cache") -> Response:
    headers = {"ETag": entry.etag, "Cache-Control": cache, "Vary": "Accept-Encoding"}
    wanted = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
    if entry.etag in wanted or "*" in wanted:
        return Response(status_code=304, headers=headers)
    if entry.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        return Response(entry.gzipped, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(entry.body, media_type=media_type, headers=headers)


# What each part of the site reads of the ledger (the watcher's stamps in its cache key):
# a calendar post sent to X changes none of them; an announcement changes the pages showing it.
DEPENDS = {"index": ("status", "site"), "history": ("status",), "incident": ("status", "held"),
           "maintenance": ("status",), "feed": (), "api": (), "ics": ()}


def routes(ctx: WebContext) -> list[BaseRoute]:
    from .render import API_FILES, STATIC, Renderer, static_file

    pages = ctx.pages = PageCache()
    ctx.watch  # noqa: B018 - the ledger watcher starts with the app, so its first read is done early
    statics = {name: Cached(None, static_file(name)) for name in STATIC}

    def fast(part: str, kind: str, slow: Callable[[Request], Response]) -> Callable[[Request], Any]:
        """``slow`` (in the thread pool) behind a fast path on the event loop: when the file this
        address names is in the cache under the current key (two stat calls and the watcher's
        snapshot: nothing blocks), it is answered at once, without a thread."""
        media = TYPES[kind]

        async def endpoint(request: Request) -> Response:
            from starlette.concurrency import run_in_threadpool

            if not DEPENDS[part] or ctx.watch.has_read():
                entry = pages.peek(request.url.path, key(part))
                if entry is not None:
                    return cached_response(request, entry, media)
            return await run_in_threadpool(slow, request)
        return endpoint

    def key(part: str) -> tuple[Any, ...]:
        snap = ctx.watch.snapshot(wait_first=bool(DEPENDS[part]))
        return (ctx.files_stamp(), snap.stamp(*DEPENDS[part]) if DEPENDS[part] else (),
                ctx.clock.now().strftime("%Y%m%d%H%M"))

    def serve_cached(request: Request, name: str, part: str, kind: str, build: Callable[[], str | bytes]) -> Response:
        ctx.status()  # a broken save keeps the last good version; one that never loaded is a 503
        return cached_response(request, pages.get(name, key(part), build), TYPES[kind])

    def page(make: Callable[[Renderer], str | bytes], kind: str, part: str,
             announced: Callable[[Any], tuple[list[str] | None, datetime | None]] = lambda status: (None, None),
             ) -> Callable[[Request], Response]:
        def build() -> str | bytes:
            sources, since = announced(ctx.status().public())
            return make(Renderer(ctx.site_data(live=kind == "html", announced=sources, since=since,
                                               posts=part == "index")))

        def endpoint(request: Request) -> Response:
            return serve_cached(request, request.url.path, part, kind, build)
        return endpoint

    def front(status: Any) -> tuple[list[str], datetime | None]:
        """The announcements the front page shows: open and recently resolved incidents', and
        the windows' of maintenance not completed a week ago; and the earliest they can be."""
        from .render import RECENT

        now = ctx.clock.now()
        incidents = [i for i in status.incidents if not i.resolved or now - i.updates[-1].at <= RECENT]
        windows = [m for m in status.maintenance if m.ends >= now - RECENT]
        starts = [i.started for i in incidents] + [m.starts - max(m.remind, default=timedelta(0)) - timedelta(days=1)
                                                  for m in windows]
        sources = [i.source for i in incidents] + [f"maintenance:{m.id}@" for m in windows]
        return sources, min(starts) if starts else None

    def nothing(status: Any) -> tuple[list[str], None]:
        return [], None

    def incident(request: Request) -> Response:
        ident = request.path_params["id"]
        found = ctx.status().public().incident(ident)
        if found is None:
            return PlainTextResponse("Not found", status_code=404)

        def build() -> str | bytes:
            data = ctx.site_data(live=True, held_for=ident, announced=[found.source], posts=False,
                                 since=found.started)
            return Renderer(data).incident_page(ident) or ""
        return serve_cached(request, request.url.path, "incident", "html", build)

    def maintenance(request: Request) -> Response:
        ident = request.path_params["id"]
        if not any(m.id == ident for m in ctx.status().maintenance):
            return PlainTextResponse("Not found", status_code=404)

        def build() -> str | bytes:
            data = ctx.site_data(live=True, announced=[f"maintenance:{ident}@"], posts=False)
            return Renderer(data).maintenance_page(ident) or ""
        return serve_cached(request, request.url.path, "maintenance", "html", build)

    def api(request: Request) -> Response:
        name = request.path_params["path"]
        if name not in API_FILES:
            return PlainTextResponse("Not found", status_code=404)

        def build() -> str | bytes:
            return json.dumps(Renderer(ctx.site_data(announced=[], posts=False)).api_file(name))
        return serve_cached(request, request.url.path, "api", "json", build)

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in statics:
            return PlainTextResponse("Not found", status_code=404)
        return cached_response(request, statics[name], TYPES[name.rsplit(".", 1)[1]], cache="public, max-age=300")

    def css(request: Request) -> Response:
        return tagged(request, brand_css(ctx.calendar().brand.color), TYPES["css"], cache="public, max-age=60")

    def logo(request: Request) -> Response:
        path = logo_path(ctx.calendar_path, ctx.calendar().brand.logo)
        if path is None:
            return PlainTextResponse("Not found", status_code=404)
        with open(path, "rb") as fh:
            return tagged(request, fh.read(), LOGO_TYPES[os.path.splitext(path)[1].lower()],
                          cache="public, max-age=300")

    def live(request: Request) -> Response:
        return JSONResponse({"version": ctx.version()}, headers={"Cache-Control": "no-store"})

    def calendar_ics(request: Request) -> Response:
        if not ctx.review_token:
            return PlainTextResponse("The calendar subscription is off: set HERALD_REVIEW_TOKEN on the server.",
                                     status_code=404)
        from .context import calendar_token

        given = request.query_params.get("token", "")
        if hmac.compare_digest(given.encode(), ctx.review_token.encode()):  # the room's own token: never in a link
            return PlainTextResponse("Forbidden: this link carries the review room's token; take the subscription "
                                     "link shown in the review room (and consider changing the token).",
                                     status_code=403)
        if not hmac.compare_digest(given.encode(), calendar_token(ctx.review_token).encode()):
            return PlainTextResponse("Forbidden: the link's token is wrong.", status_code=403)
        return tagged(request, plan_ics(ctx), TYPES["ics"], cache="private, no-cache")

    def healthz(request: Request) -> Response:
        return health(ctx)

    def metrics(request: Request) -> Response:
        from .metrics import ENGINE, exposition

        snap = ctx.watch.snapshot()  # as the watcher last read the ledger: a scrape reads no database
        # the ledger's part once per watcher read, this process' counters at each scrape
        ledger_part = pages.get("/metrics", (snap.read_at, snap.state), lambda: exposition(
            snap.tallies if snap.state == "ok" else None, snap.heartbeat, engine=False))
        body = ledger_part.body + generate_latest(ENGINE)
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8",
                        headers={"Cache-Control": "no-store"})

    return [
        Route("/", fast("index", "html", page(lambda r: r.index(), "html", "index", front))),
        Route("/history/", fast("history", "html", page(lambda r: r.history_page(), "html", "history"))),
        Route("/incidents/{id}/", fast("incident", "html", incident)),
        Route("/maintenance/{id}/", fast("maintenance", "html", maintenance)),
        Route("/feed.atom", fast("feed", "atom", page(lambda r: r.atom(), "atom", "feed", nothing))),
        Route("/feed.json", fast("feed", "feed", page(lambda r: r.json_feed(), "feed", "feed", nothing))),
        Route("/status.ics", fast("ics", "ics", page(lambda r: r.status_ics(), "ics", "ics", nothing))),
        Route("/api/v2/{path:path}", fast("api", "json", api)),
        Route("/static/{name}", static),
        Route("/brand.css", css),
        Route("/brand/logo", logo),
        Route("/live.json", live),
        Route("/calendar.ics", calendar_ics),
        Route("/healthz", healthz),
        Route("/metrics", metrics),
    ]


def logo_path(calendar_path: str, logo: str) -> str | None:
    """The logo file, only inside the calendar's folder and only an image type."""
    if not logo:
        return None
    folder = os.path.dirname(os.path.abspath(calendar_path))
    path = os.path.realpath(os.path.join(folder, logo))
    if not path.startswith(os.path.realpath(folder) + os.sep) or os.path.splitext(path)[1].lower() not in LOGO_TYPES:
        return None
    return path if os.path.isfile(path) else None


def plan_ics(ctx: WebContext) -> bytes:
    """The plan with maintenance and incidents, as ``herald export-ical --status`` writes it."""
    from campaigns.ical import export
    from status.ical import add_status

    calendar, status, now = ctx.calendar(), ctx.status(), ctx.clock.now()
    start, end = now - timedelta(days=CALENDAR_DAYS[0]), now + timedelta(days=CALENDAR_DAYS[1])
    vcal = export(calendar, start, end, now)
    if add_status(vcal, status, calendar.brand.name, start, end, now):
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
                          "down": "database unreachable"}.get(snap.state, snap.state)
        return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})
    if snap.heartbeat is not None:
        age = (now - snap.heartbeat).total_seconds()
        body["heartbeat_age_seconds"] = round(age, 1)
        body["ready"] = age <= READY_AGE.total_seconds()
    return JSONResponse(body, status_code=200 if body["ready"] else 503, headers={"Cache-Control": "no-store"})


def write_site(directory: str, renderer: Any, css: str, logo: str | None) -> list[str]:
    """Every file of the site under ``directory`` (each written atomically); their paths.
    ``herald export-site`` and the ``site`` channel both write through here."""
    from ..files import write_atomic

    files = renderer.site_files()
    files["brand.css"] = css
    if logo:
        with open(logo, "rb") as fh:
            files["brand/logo"] = fh.read()
    for name, body in files.items():
        write_atomic(os.path.join(directory, name), body)
    return sorted(files)
