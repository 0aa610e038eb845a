"""The public status site of ``herald serve`` (see :mod:`scheduler.web`).

Every page is rendered per request by :mod:`.render` from the status file, the calendar and
the ledger, never from files an engine wrote, so every server shows the same site.  Pages,
feeds and the API carry an ETag and answer ``If-None-Match`` with 304.  ``/live.json`` is what
the page's script polls (once a second) to refresh itself without a reload.  Also here:
``/calendar.ics`` (the plan and the status, behind ``HERALD_REVIEW_TOKEN``), ``/healthz`` and
``/metrics``.  Nothing here writes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

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


def routes(ctx: WebContext) -> list[BaseRoute]:
    from .render import STATIC, Renderer, static_file

    def page(make: Callable[[Renderer], str | bytes | None], kind: str) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            body = make(Renderer(ctx.site_data(live=kind == "html")))
            if body is None:
                return PlainTextResponse("Not found", status_code=404)
            return tagged(request, body, TYPES[kind])
        return endpoint

    def with_request(fn: Callable[[Renderer, Request], str | None]) -> Callable[[Request], Response]:
        def endpoint(request: Request) -> Response:
            body = fn(Renderer(ctx.site_data(live=True, held_for=request.path_params["id"])), request)
            if body is None:
                return PlainTextResponse("Not found", status_code=404)
            return tagged(request, body, TYPES["html"])
        return endpoint

    def api(request: Request) -> Response:
        data = Renderer(ctx.site_data()).api().get(request.path_params["path"])
        if data is None:
            return PlainTextResponse("Not found", status_code=404)
        return tagged(request, json.dumps(data), TYPES["json"])

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return PlainTextResponse("Not found", status_code=404)
        return tagged(request, static_file(name), TYPES[name.rsplit(".", 1)[1]], cache="public, max-age=300")

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
        given = request.query_params.get("token", "")
        if not hmac.compare_digest(given.encode(), ctx.review_token.encode()):
            return PlainTextResponse("Forbidden: the link's token is wrong.", status_code=403)
        return tagged(request, plan_ics(ctx), TYPES["ics"], cache="private, no-cache")

    def healthz(request: Request) -> Response:
        return health(ctx)

    def metrics(request: Request) -> Response:
        from .metrics import exposition

        try:
            body = exposition(ctx.existing_ledger())
        except Exception:  # noqa: BLE001 - the ledger down: this process' counters alone
            body = exposition(None)
        return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8")

    return [
        Route("/", page(lambda r: r.index(), "html")),
        Route("/history/", page(lambda r: r.history_page(), "html")),
        Route("/incidents/{id}/", with_request(lambda r, q: r.incident_page(q.path_params["id"]))),
        Route("/maintenance/{id}/", with_request(lambda r, q: r.maintenance_page(q.path_params["id"]))),
        Route("/feed.atom", page(lambda r: r.atom(), "atom")),
        Route("/feed.json", page(lambda r: r.json_feed(), "feed")),
        Route("/status.ics", page(lambda r: r.status_ics(), "ics")),
        Route("/api/v2/{path:path}", api),
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
    """Alive: this process answers.  Ready: an engine's loop beat within READY_AGE and the ledger answers."""
    now = ctx.clock.now()
    body: dict[str, Any] = {"alive": True, "ready": False, "ledger": "ok", "heartbeat_age_seconds": None}
    try:
        ledger = ctx.existing_ledger()
        if ledger is None:
            body["ledger"] = "no ledger yet: no engine has run"
            return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})
        beat = ledger.last_heartbeat()
    except Exception as exc:  # noqa: BLE001 - reported, not raised: this is the health check
        from ..redaction import redact

        body["ledger"] = redact(f"{type(exc).__name__}: {exc}").splitlines()[0][:200]
        return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})
    if beat is not None:
        age = (now - beat).total_seconds()
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
