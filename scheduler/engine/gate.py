"""The gate every send passes (see :meth:`Engine.stop`): once closed, no send starts; the sends
that passed it are in flight until their outcome is recorded."""

from __future__ import annotations

import threading

from campaigns.plan import Publication


class Gate:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._closed = False
        self._in_flight: dict[str, Publication] = {}

    def close(self) -> list[Publication]:
        """Let nothing more through; returns the sends in flight, in time order.  Idempotent."""
        with self._lock:
            self._closed = True
            return sorted(self._in_flight.values(), key=lambda p: (p.at.timestamp(), p.network, p.post))

    @property
    def closed(self) -> bool:
        return self._closed

    def enter(self, pub: Publication) -> bool:
        """Pass ``pub`` through (True: it is in flight until :meth:`leave`), unless the gate is closed."""
        with self._lock:
            if self._closed:
                return False
            self._in_flight[pub.key] = pub
            return True

    def leave(self, pub: Publication) -> None:
        with self._lock:
            self._in_flight.pop(pub.key, None)

    def in_flight(self) -> list[Publication]:
        with self._lock:
            return list(self._in_flight.values())
