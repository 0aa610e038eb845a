"""``/metrics`` in Prometheus' text format (prometheus-client).

Two sources: what the ledger knows (publications by state and network, lateness, retries,
how fast incidents were announced), computed at each scrape so every engine's server agrees;
and what only a running engine sees (rate-limit waits, reload errors, feed poll errors),
counted here by the daemon through :func:`rate_limit_wait`, :func:`reload_error` and
:func:`feed_poll_error` and reported by the server of the same process.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from ..ledger import Ledger

ENGINE = CollectorRegistry(auto_describe=True)  # the counters a running engine records
RATE_LIMIT_WAITS = Counter("herald_rate_limit_waits", "Publications postponed by an account's rate limit",
                           ["network"], registry=ENGINE)
RELOAD_ERRORS = Counter("herald_reload_errors", "Saves of the calendar or status file that could not be adopted",
                        ["file"], registry=ENGINE)
FEED_POLL_ERRORS = Counter("herald_feed_poll_errors", "Failed polls of upstream status feeds", ["feed"],
                           registry=ENGINE)

LATENESS_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0)
REACTION_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)


def rate_limit_wait(network: str) -> None:
    RATE_LIMIT_WAITS.labels(network).inc()


def reload_error(path: str) -> None:
    RELOAD_ERRORS.labels(path).inc()


def feed_poll_error(feed: str) -> None:
    FEED_POLL_ERRORS.labels(feed).inc()


def _histogram(name: str, doc: str, values: list[tuple[str, float]], buckets: tuple[float, ...]) -> Any:
    family = HistogramMetricFamily(name, doc, labels=["network"])
    for network in sorted({n for n, _ in values}):
        mine = [v for n, v in values if n == network]
        counts = [(str(b), sum(1 for v in mine if v <= b)) for b in buckets] + [("+Inf", len(mine))]
        family.add_metric([network], counts, sum_value=sum(mine))
    return family


class LedgerCollector(Collector):
    """Computes the ledger's metrics at each scrape (read-only)."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger

    def collect(self) -> Iterator[Any]:
        from ..ledger.reads import tallies

        data = tallies(self.ledger.db)
        rows = GaugeMetricFamily("herald_publications", "Publications in the ledger by state and network",
                                 labels=["state", "network"])
        for state, network, n in data["by_state"]:
            rows.add_metric([state, network], n)
        yield rows
        retries = GaugeMetricFamily("herald_retries", "Extra attempts made beyond the first, by network",
                                    labels=["network"])
        for network, n in data["retries"]:
            retries.add_metric([network], n)
        yield retries
        yield _histogram("herald_publication_lateness_seconds", "Sent minus scheduled time of sent publications",
                         [(n, late) for n, late, _ in data["lateness"]], LATENESS_BUCKETS)
        yield _histogram("herald_incident_reaction_seconds",
                         "From an incident update to its announcement being sent",
                         [(n, late) for n, late, src in data["lateness"] if src.startswith("incident:")],
                         REACTION_BUCKETS)
        beat = self.ledger.last_heartbeat()
        heartbeat = GaugeMetricFamily("herald_last_heartbeat_timestamp_seconds",
                                      "When an engine's scheduler loop last beat (Unix time)")
        heartbeat.add_metric([], beat.timestamp() if beat else 0.0)
        yield heartbeat


def exposition(ledger: Ledger | None) -> bytes:
    """The text of one scrape: the ledger's metrics (when it answers) and this process' counters."""
    registry = CollectorRegistry(auto_describe=False)
    if ledger is not None:
        registry.register(LedgerCollector(ledger))
    return bytes(generate_latest(registry) + generate_latest(ENGINE))
