"""The web application: every part contributes its routes (``routes(ctx)``), and one
middleware sets the security headers on every response.

The Content-Security-Policy allows only Herald's own files: no inline script or style, no
third-party origin, no framing; pages fetch only from the same origin (the live refresh).
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import intake, review, site
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


def unavailable(request: Request, exc: Exception) -> Response:
    """A file that never loaded (there is no last good version yet): one line, 503, no traceback."""
    from ..redaction import redact

    first = redact(str(exc)).splitlines()[0] if str(exc) else type(exc).__name__
    return PlainTextResponse(f"Unavailable: {first}", status_code=503, headers={"Retry-After": "10"})


def create_app(ctx: WebContext) -> Starlette:
    from starlette.middleware import Middleware
    from starlette.middleware.gzip import GZipMiddleware

    from campaigns.errors import HeraldError

    routes = [*site.routes(ctx), *review.routes(ctx), *intake.routes(ctx)]
    middleware = [Middleware(SecurityHeaders), Middleware(GZipMiddleware, minimum_size=1024)]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={HeraldError: unavailable})
    app.state.ctx = ctx
    return app


def serve(app: Any, host: str, port: int) -> Any:
    """A uvicorn server for ``app`` (not started): ``herald serve`` runs it, ``herald run`` in a thread."""
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off",
                            server_header=False)
    return uvicorn.Server(config)
