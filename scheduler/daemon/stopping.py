"""The stop's two waits, bounded by the supervisor's budget (:data:`scheduler.daemon.STOP_BUDGET`)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from campaigns.plan import Publication

from ..engine import Engine
from ..networks.site import SitePublisher

log = logging.getLogger("herald.daemon")

# Within STOP_GRACE, a send is not waited for longer than its network's HTTP deadline (its ``timeout``)
# and RECORD_TIME more; a local one (the site channel: a render, nothing on the wire) RECORD_TIME.
RECORD_TIME = 1.0


def wait_for_sends(engine: Engine, closer: threading.Thread | None, until: float) -> list[Publication]:
    """Wait for ``closer`` (the scheduler's shutdown, which waits for the running jobs) and for
    every send in flight (the status reaction sends on threads of its own, outside the jobs)
    until the monotonic time ``until`` (one budget for all the sends in flight, see STOP_GRACE), or
    until every send in flight is past its own bound (RECORD_TIME); return the sends given up on
    (none: all done), and say so: they stay claimed."""
    bounds: dict[str, float] = {}
    while (closer is not None and closer.is_alive()) or engine.in_flight():
        flying = engine.in_flight()
        now = time.monotonic()
        for p in flying:
            timeout = getattr(engine.publishers.get(p.network), "timeout", 0)
            bounds.setdefault(p.key, now + float(timeout or 0) + RECORD_TIME)
        if now >= until or (flying and all(now >= bounds[p.key] for p in flying)):
            if flying:
                log.warning("stopping: %d send(s) still running past the stop's bound, left claimed for the next "
                            "start to reconcile before any re-send: %s", len(flying),
                            ", ".join(f"{p.post} on {p.network}" for p in flying))
            return flying
        pause = max(0.0, min(0.05, until - now))
        if closer is not None and closer.is_alive():
            closer.join(pause)
        else:
            time.sleep(pause)
    return []


def close_publishers(engine: Engine, left: Callable[[], float]) -> bool:
    """Close every publisher that has no send in flight; a site's pending write gets what is ``left()``
    of the budget.  True if a site write was left unfinished (the next start writes it)."""
    unfinished = False
    for publisher in engine.publishers.values():
        if any(p.network == publisher.name for p in engine.in_flight()):
            continue
        if not isinstance(publisher, SitePublisher):
            publisher.close()
            continue
        publisher.close(timeout=left())  # a full write pending: rewritten at the next start
        if publisher.unfinished:
            unfinished = True
            log.warning("stopping: the site %s was still being written; the next start writes it",
                        publisher.directory)
    return unfinished
