"""Local HTTP servers on 127.0.0.1 that misbehave on purpose (a trickled answer, a huge body,
a compression bomb, a redirect elsewhere): for the HTTP layer's tests and the networks' limits."""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MB = 1024 * 1024


class Server:
    """A local HTTP server; ``routes`` maps a path to a function of the request handler
    (``"*"``: every path without a route of its own)."""

    def __init__(self, host: str = "127.0.0.1"):
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
        self.hits: list[str] = []
        self.peers: list[tuple[str, int]] = []  # the client's address of each request
        self.arrived: list[float] = []  # time.monotonic() when each request's head was read
        self.stop = threading.Event()  # ends trickling handlers when the test is over
        self.written = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def handle_one(self):
                server.arrived.append(time.monotonic())
                server.hits.append(self.path)
                server.peers.append(self.client_address)
                route = server.routes.get(self.path.split("?")[0], server.routes.get("*"))
                if route is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError, OSError):
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_DELETE = handle_one  # noqa: N815

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # a client that hung up on purpose
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.server.server_address[1]}{path}"

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def reply(body: bytes, status: int = 200, headers: dict[str, str] | None = None):
    def route(h: BaseHTTPRequestHandler):
        length = int(h.headers.get("Content-Length") or 0)
        if length:
            h.rfile.read(length)
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return route


def body_trickle(stop: threading.Event, length: bool = True, count: int = 60):
    """A handler sending a ``count``-byte body a byte every 50 ms (60: 3 s), declared or
    close-delimited: each read gets a byte soon, so only a total deadline ends it."""
    def handle(h):
        h.send_response(200)
        if length:
            h.send_header("Content-Length", str(count))
        else:
            h.send_header("Connection", "close")
        h.end_headers()
        for _ in range(count):
            if stop.wait(0.05):
                return
            h.wfile.write(b"x")

    return handle


def huge(server: Server, size: int = 50 * MB, declared: bool = True):
    """A handler answering ``size`` bytes, their length declared or not (close-delimited),
    counting in ``server.written`` what it managed to send before the client hung up."""
    def handle(h):
        h.send_response(200)
        if declared:
            h.send_header("Content-Length", str(size))
        else:
            h.send_header("Connection", "close")
        h.end_headers()
        chunk = b"x" * 65536
        for _ in range(size // len(chunk)):
            h.wfile.write(chunk)
            server.written += len(chunk)

    return handle


def redirect(location: str, status: int = 302):
    return reply(b"", status, {"Location": location})


def bomb(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MB)
    return b"".join([*(packer.compress(zeros) for _ in range(size // MB)), packer.flush()])
