"""An in-memory network, for simulations and tests (like dramatiq's stub broker)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from .base import OutgoingPost, Publisher, RemoteRef

if TYPE_CHECKING:
    from campaigns.model import Account, Calendar

    from ..clock import Clock


class MemoryPublisher(Publisher):
    """Keeps what it was sent. ``fail`` may raise for a post (scripted failures in tests);
    ``lose_reply`` simulates a request that reached the network but whose answer was lost."""

    def __init__(self, name: str, type_: str = "memory", fail: Callable[[OutgoingPost, int], None] | None = None):
        super().__init__(name, type_)
        self.sent: list[tuple[OutgoingPost, RemoteRef]] = []
        self.fail = fail
        self.calls = 0
        self.lock = threading.Lock()

    @classmethod
    def from_account(cls, account: Account, calendar: Calendar, *, clock: Clock, env: Mapping[str, str],
                     base_dir: str) -> MemoryPublisher:
        """A stand-in for ``account`` that keeps what it is sent (simulations)."""
        return cls(account.name, account.type)

    def publish(self, post: OutgoingPost) -> RemoteRef:
        with self.lock:
            self.calls += 1
            calls = self.calls
        if self.fail is not None:
            self.fail(post, calls)
        ref = RemoteRef(f"{self.name}-{len(self.sent) + 1}", f"memory://{self.name}/{post.key}")
        with self.lock:
            self.sent.append((post, ref))
        return ref

    def find_recent(self, post: OutgoingPost) -> RemoteRef | None:
        with self.lock:
            return next((ref for sent, ref in reversed(self.sent) if sent.key == post.key), None)

    def texts(self) -> list[str]:
        return [post.text for post, _ in self.sent]
