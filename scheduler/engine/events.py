"""Outcomes as events, the way huey has its signals: the engine publishes each outcome once and
any number of listeners hear it (the log first, then the daemon's metrics and heartbeat, and
whatever else subscribes).  A listener may ask for some results only.  A listener that raises
is logged and skipped: it never stops the engine, nor the listeners after it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from .model import QUIET, Outcome, Result

log = logging.getLogger("herald.engine")


@dataclass(frozen=True)
class Event:
    """One outcome as its listeners hear it: what happened, and when the engine acted (``now``)."""

    outcome: Outcome
    now: datetime

    @property
    def result(self) -> Result:
        return self.outcome.result


Listener = Callable[[Event], None]


class Events:
    """The listeners of one engine's outcomes, called in the order they subscribed, on the thread
    that acted (a send pool's worker, the daemon's timer): a listener is quick or hands off."""

    def __init__(self) -> None:
        # Replaced, never changed in place: publishing reads it without a lock while others subscribe.
        self._listeners: tuple[tuple[Listener, frozenset[Result] | None], ...] = ()
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener, *results: Result) -> Callable[[], None]:
        """Call ``listener`` with every outcome from now on (only those of ``results``, if given);
        returns the function that unsubscribes it."""
        entry = (listener, frozenset(results) or None)
        with self._lock:
            self._listeners = (*self._listeners, entry)

        def unsubscribe() -> None:
            with self._lock:
                self._listeners = tuple(e for e in self._listeners if e is not entry)
        return unsubscribe

    def publish(self, outcome: Outcome, now: datetime) -> Outcome:
        """Tell every listener that wants it; returns ``outcome`` (so a step can end with it)."""
        event = Event(outcome, now)
        for listener, results in self._listeners:
            if results is not None and outcome.result not in results:
                continue
            try:
                listener(event)
            except Exception:  # a listener's bug never stops publishing
                log.exception("outcome listener failed")
        return outcome


def log_outcome(event: Event) -> None:
    """The engine's own listener: one line per outcome, a warning for those a person should see."""
    level = logging.INFO if event.result in QUIET else logging.WARNING
    log.log(level, "%s", event.outcome.line(event.now))
