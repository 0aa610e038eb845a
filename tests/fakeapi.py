"""A scriptable local HTTP API on 127.0.0.1 for publisher tests: each test installs a
handler ``(method, path, headers, body) -> (status, headers, body)`` that answers the way
the real API does (shapes from each API's published documentation, named in the tests)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = Callable[[str, str, dict, bytes], tuple[int, dict, Any]]


class FakeApi:
    def __init__(self) -> None:
        self.handler: Handler = lambda method, path, headers, body: (404, {}, {"error": "no handler"})
        self.requests: list[dict[str, Any]] = []
        api = self

        class Request(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                headers = dict(self.headers)
                api.requests.append({"method": self.command, "path": self.path, "headers": headers, "body": body})
                status, extra, payload = api.handler(self.command, self.path, headers, body)
                data = payload if isinstance(payload, bytes) else (
                    payload.encode() if isinstance(payload, str) else json.dumps(payload).encode())
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                if "Content-Type" not in extra:
                    self.send_header("Content-Type", "application/json" if not isinstance(payload, str)
                                     else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Request)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
