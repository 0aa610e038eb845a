"""The counters only a running engine sees (rate-limit waits, reload errors, feed poll errors),
in one Prometheus registry.

The daemon and the feed reader count here; the web server of the same process reports them at
``/metrics`` beside what the ledger knows (:mod:`scheduler.web.metrics`).  A module of its own so
that counting needs nothing of the web server.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

ENGINE = CollectorRegistry(auto_describe=True)  # the counters a running engine records
RATE_LIMIT_WAITS = Counter("herald_rate_limit_waits", "Publications postponed by an account's rate limit",
                           ["network"], registry=ENGINE)
RELOAD_ERRORS = Counter("herald_reload_errors", "Saves of the calendar or status file that could not be adopted",
                        ["file"], registry=ENGINE)
FEED_POLL_ERRORS = Counter("herald_feed_poll_errors", "Failed polls of upstream status feeds", ["feed"],
                           registry=ENGINE)


def rate_limit_wait(network: str) -> None:
    RATE_LIMIT_WAITS.labels(network).inc()


def reload_error(path: str) -> None:
    RELOAD_ERRORS.labels(path).inc()


def feed_poll_error(feed: str) -> None:
    FEED_POLL_ERRORS.labels(feed).inc()
