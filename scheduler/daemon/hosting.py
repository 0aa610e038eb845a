"""Hosting the web app: ``engine.serve: HOST:PORT`` in the calendar (or ``herald run --serve``, which
wins) serves the status site from this process too (the same app as ``herald serve``, alert intake
included: it reads the files and the ledger, not this engine), on a thread of its own."""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..clock import Clock

log = logging.getLogger("herald.daemon")


class SiteHost:
    """The web server, when the calendar asks for one; it is a side job: the engine runs on without it."""

    def __init__(self, calendar_path: str, status_path: str, ledger_url: str, clock: Clock, serve: str | None = None):
        self.calendar_path = calendar_path
        self.serve = serve  # herald run --serve HOST:PORT: served whatever the calendar says
        self.status_path = status_path
        self.ledger_url = ledger_url
        self.clock = clock
        self.server: Any = None
        self.thread: threading.Thread | None = None

    def start(self, bind: str | None) -> None:
        """Serve at ``bind`` (``HOST:PORT``; none: nothing to serve), or where ``herald run --serve`` said."""
        bind = self.serve or bind
        if not bind or self.server is not None:
            return
        from campaigns.errors import UsageError

        from ..web.app import create_app, serve
        from ..web.context import WebContext

        host, _, port = bind.rpartition(":")
        try:
            ctx = WebContext.from_environment(self.calendar_path, self.status_path, self.ledger_url, self.clock)
        except UsageError as exc:  # a short token (the calendar's engine.serve): the site only is lost
            log.error("the status site is not served at %s: %s; the engine runs on without it", bind, exc)
            return
        self.server = serve(create_app(ctx), host.strip("[]"), int(port))
        self.thread = threading.Thread(target=self._serve, args=(bind,), name="herald-web", daemon=True)
        self.thread.start()
        log.info("serving the status site at http://%s/", bind)

    def _serve(self, bind: str) -> None:
        try:
            self.server.run()
        except (SystemExit, Exception) as exc:  # the site is a side job: the engine keeps publishing
            log.error("could not serve the status site at %s (%s); the engine runs on without it", bind,
                      type(exc).__name__)

    def ask_to_exit(self) -> None:
        if self.server is not None:
            self.server.should_exit = True

    def join(self, timeout: float) -> None:
        if self.thread is not None:
            self.thread.join(timeout)
