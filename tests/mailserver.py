"""A real SMTP server on the loopback (aiosmtpd) that keeps every message it accepted.

``hold_after``: accept that many messages, then keep the next one's DATA waiting (never
answered) until ``release()``: a test kills the engine while a message is on the wire."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MailServer:
    def __init__(self, hold_after: int | None = None):
        self.messages: list[EmailMessage] = []
        self.hold_after = hold_after
        self.holding = threading.Event()  # a message is being held
        self._release = threading.Event()
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook
        with self.lock:
            held = self.hold_after is not None and len(self.messages) >= self.hold_after
        if held:
            self.holding.set()
            while not self._release.is_set():
                await asyncio.sleep(0.05)
            return "451 try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def release(self) -> None:
        self._release.set()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        with self.lock:
            raise AssertionError(f"{len(self.messages)} message(s) arrived, {count} expected")

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def close(self) -> None:
        self._release.set()
        self.controller.stop()
