"""Signals: SIGTERM and SIGINT only record that they came; the main thread acts on them."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# Signals received, by id() of the stop event they are for.  A dict item assignment takes no
# Python lock, unlike Event.set(): a handler runs between two bytecodes of the main thread, and if
# that thread held the event's lock (entering or leaving Event.wait), set() would deadlock on it.
_signalled: dict[int, int] = {}
POLL = 0.25  # seconds: how often the main thread looks for a signal (one that another thread received too)


@contextmanager
def stop_on_signals(event: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT only record that they came (huey's rule: the main loop acts, here
    :func:`wait_for_stop`, which then sets ``event``)."""
    def handler(signum: int, frame: Any) -> None:
        _signalled[id(event)] = signum

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def stop_requested(event: threading.Event) -> bool:
    """True once ``event`` is set or a signal for it came (see :func:`stop_on_signals`)."""
    if id(event) in _signalled:
        event.set()
    return event.is_set()


def wait_for_stop(event: threading.Event, poll: float = POLL) -> None:
    """Wait until :meth:`Daemon.stop` or a signal: with a timeout, so that a signal the kernel gave
    to another thread (which cannot interrupt this wait) is seen within ``poll`` seconds."""
    while not stop_requested(event):
        event.wait(poll)
    _signalled.pop(id(event), None)
