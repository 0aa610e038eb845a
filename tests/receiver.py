"""A local webhook receiver that behaves like a careful real endpoint (127.0.0.1 only).

- records every delivery, and accepts each Idempotency-Key once (a repeat answers 409
  "already received", as receivers that honour idempotency keys do);
- checks the HMAC signature when given a secret;
- answers GET /lookup?key=… with 200 or 404 (Herald's reconciliation endpoint);
- can be scripted: a queue of (status, headers, body) answers, or a delay, per request;
- can answer 409 without an id (``bare_conflicts``), as receivers that keep only the keys
  do, and can claim to have received some deliveries before (``received_before``, a
  predicate on the body: those are recorded and answered with that 409).

Run standalone (the crash benchmark does): python tests/receiver.py PORT_FILE LOG_FILE
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Receiver:
    def __init__(self, secret: bytes | None = None, log_path: str | None = None):
        self.secret = secret
        self.deliveries: list[dict] = []  # every POST, duplicates included
        self.accepted: dict[str, dict] = {}  # by Idempotency-Key
        self.answers: deque[tuple[int, dict, str]] = deque()
        self.delay = 0.0
        self.bare_conflicts = False
        self.received_before: Callable[[dict], bool] | None = None
        self.lock = threading.Lock()
        self.event = threading.Condition(self.lock)
        self.log = open(log_path, "a", buffering=1) if log_path else None  # noqa: SIM115
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _send(self, status: int, body: str = "", headers: dict | None = None) -> None:
                data = body.encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802
                parts = urlsplit(self.path)
                key = parse_qs(parts.query).get("key", [""])[0]
                with receiver.lock:
                    found = receiver.accepted.get(key)
                if parts.path == "/lookup" and found:
                    self._send(200, json.dumps({"id": found["id"]}))
                else:
                    self._send(404, json.dumps({"error": "not found"}))

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.delay:
                    time.sleep(receiver.delay)
                key = self.headers.get("Idempotency-Key", "")
                with receiver.lock:
                    scripted = receiver.answers.popleft() if receiver.answers else None
                if scripted is not None:
                    status, headers, text = scripted
                    self._send(status, text, headers)
                    return
                if receiver.secret is not None:
                    stamp = self.headers.get("X-Herald-Timestamp", "")
                    expected = hmac.new(receiver.secret, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                    if not hmac.compare_digest(self.headers.get("X-Herald-Signature", ""), f"sha256={expected}"):
                        self._send(401, json.dumps({"error": "bad signature"}))
                        return
                payload = json.loads(body)
                with receiver.event:
                    record = {"key": key, "body": payload, "headers": dict(self.headers), "at": time.time()}
                    receiver.deliveries.append(record)
                    duplicate = key in receiver.accepted
                    earlier = not duplicate and receiver.received_before is not None and \
                        receiver.received_before(payload)
                    if not duplicate:
                        record["id"] = f"msg-{len(receiver.accepted) + 1}"
                        receiver.accepted[key] = record
                    receiver.event.notify_all()
                if receiver.log:
                    receiver.log.write(json.dumps({"key": key, "at": record["at"], "duplicate": duplicate,
                                                   "scheduled_at": payload.get("scheduled_at")}) + "\n")
                if earlier or (duplicate and receiver.bare_conflicts):
                    self._send(409, json.dumps({"error": "already received"}))
                elif duplicate:
                    self._send(409, json.dumps({"error": "already received", "id": receiver.accepted[key]["id"]}))
                else:
                    self._send(201, json.dumps({"id": record["id"]}))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` distinct keys were accepted (an event, not a fixed sleep)."""
        deadline = time.monotonic() + timeout
        with self.event:
            while len(self.accepted) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.event.wait(left)
        return True


if __name__ == "__main__":
    with Receiver(log_path=sys.argv[2]) as running:
        with open(sys.argv[1], "w") as fh:
            fh.write(str(running.server.server_address[1]))
        threading.Event().wait()
