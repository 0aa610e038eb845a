"""``/metrics`` in Prometheus' text format (prometheus-client).

Two sources: what the ledger knows (publications by state and network type, lateness,
retries, how fast incidents were announced), kept in memory by :class:`Tallies` and updated
by the web server's ledger watcher in the background (a scrape reads no database; every
server counts the same ledger, so they agree); and what only a running engine sees
(rate-limit waits, reload errors, feed poll errors), counted in :mod:`scheduler.metrics` by
the daemon and the feed reader and reported by the server of the same process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from ..metrics import ENGINE

LATENESS_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0)
REACTION_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)
PAGE = 5000  # sent rows read at a time
OVERLAP = timedelta(minutes=10)  # a send recorded late (a slow commit, another engine's clock) is still counted once


class Tallies:
    """The ledger's side of /metrics, kept in memory by the web server's ledger watcher
    (:class:`scheduler.web.context.LedgerWatch`): gauges from its one aggregate pass, and
    histograms that only ever add the sends recorded since the last read (by the sent_at
    index: a scrape reads no rows at all).

    Labels carry the network *type* (``x``, ``mastodon``, ``webhook``…), never an account's
    name; the internal accounts that hear of alert drafts, and the announcements of drafts,
    are left out of every metric (a draft is not public, nor when it was announced)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_state: dict[tuple[str, str], int] = {}
        self.retries: dict[str, int] = {}
        self.lateness: dict[str, list[float]] = {}  # type -> bucket counts..., +Inf count, sum
        self.reaction: dict[str, list[float]] = {}
        self.watermark: datetime | None = None  # the latest sent_at counted
        self.seen: dict[str, datetime] = {}  # keys counted with sent_at within OVERLAP of the watermark
        self.ready = False

    def update(self, db: Any, over: Any, types: dict[str, str], hidden: frozenset[str] = frozenset(),
               drafts: frozenset[str] = frozenset(), each: Any = None) -> None:
        """Take the gauges from ``over`` and count the sends recorded since the last update;
        ``each(row)`` sees every new row (key, network, scheduled_at, sent_at, source, state)."""
        by_state, retries = _by_state(over, types, hidden), _retries(over, types, hidden)
        with self.lock:
            self.by_state, self.retries = by_state, retries
            since = self.watermark - OVERLAP if self.watermark is not None else None
        self._count_since(db, since, types, hidden, drafts, each)
        with self.lock:
            self.ready = True

    def _count_since(self, db: Any, since: datetime | None, types: dict[str, str], hidden: frozenset[str],
                     drafts: frozenset[str], each: Any) -> None:
        """The new sends, a page at a time by a (sent_at, key) cursor, each counted once: the
        lock is held per page, never while the database is read or ``each`` runs."""
        from ..ledger.reads import sent_since

        after: str | None = None
        while True:
            rows = sent_since(db, since, PAGE, after)
            with self.lock:
                fresh = [r for r in rows if r[0] not in self.seen]  # ``seen`` only de-duplicates
            if each is not None:
                for row in fresh:
                    each(row)
            with self.lock:
                self._count(fresh, types, hidden, drafts)
                if rows:
                    self._advance(rows[-1][3])
            if len(rows) < PAGE:
                break
            since, after = rows[-1][3], rows[-1][0]

    def _count(self, fresh: list[tuple[str, str, datetime, datetime, str, str]], types: dict[str, str],
               hidden: frozenset[str], drafts: frozenset[str]) -> None:
        """Rows not counted before, remembered as seen; the public sends among them go into the
        lateness histogram, and those announcing an incident into the reaction one too."""
        for key, network, at, sent, source, state in fresh:
            self.seen[key] = sent
            if state != "sent" or network in hidden or source in drafts:
                continue
            late = max(0.0, (sent - at).total_seconds())
            _observe(self.lateness, _kind(types, network), late, LATENESS_BUCKETS)
            if source.startswith("incident:"):
                _observe(self.reaction, _kind(types, network), late, REACTION_BUCKETS)

    def _advance(self, latest: datetime) -> None:
        """The watermark moves on to the latest send read; ``seen`` keeps only the keys within
        OVERLAP of it (older ones are never read again)."""
        self.watermark = max(self.watermark or latest, latest)
        floor = self.watermark - OVERLAP
        self.seen = {k: t for k, t in self.seen.items() if t >= floor}

    def families(self) -> Iterator[Any]:
        with self.lock:
            rows = GaugeMetricFamily("herald_publications", "Publications in the ledger by state and network type",
                                     labels=["state", "network"])
            for (state, network), n in sorted(self.by_state.items()):
                rows.add_metric([state, network], n)
            retries = GaugeMetricFamily("herald_retries", "Extra attempts made beyond the first, by network type",
                                        labels=["network"])
            for network, n in sorted(self.retries.items()):
                retries.add_metric([network], n)
            lateness = _histogram("herald_publication_lateness_seconds",
                                  "Sent minus scheduled time of sent publications", self.lateness, LATENESS_BUCKETS)
            reaction = _histogram("herald_incident_reaction_seconds",
                                  "From an incident update to its announcement being sent", self.reaction,
                                  REACTION_BUCKETS)
        yield rows
        yield retries
        yield lateness
        yield reaction


def _kind(types: dict[str, str], network: str) -> str:
    """A metric's label: the account's network type, never its name."""
    return types.get(network, "unknown")


def _by_state(over: Any, types: dict[str, str], hidden: frozenset[str]) -> dict[tuple[str, str], int]:
    """Publications by (state, network type), the hidden accounts left out."""
    by_state: dict[tuple[str, str], int] = {}
    for state, network, n, _latest in [*over.status, *over.other]:
        if network not in hidden:
            by_state[(state, _kind(types, network))] = by_state.get((state, _kind(types, network)), 0) + n
    return by_state


def _retries(over: Any, types: dict[str, str], hidden: frozenset[str]) -> dict[str, int]:
    """Extra attempts by network type, the hidden accounts left out (and types with none)."""
    retries: dict[str, int] = {}
    for network, n in over.retries.items():
        if network not in hidden and n:
            retries[_kind(types, network)] = retries.get(_kind(types, network), 0) + n
    return retries


def _observe(table: dict[str, list[float]], network: str, value: float, buckets: tuple[float, ...]) -> None:
    counts = table.setdefault(network, [0.0] * (len(buckets) + 2))
    for n, bound in enumerate(buckets):
        if value <= bound:
            counts[n] += 1
    counts[len(buckets)] += 1  # +Inf
    counts[len(buckets) + 1] += value  # sum


def _histogram(name: str, doc: str, table: dict[str, list[float]], buckets: tuple[float, ...]) -> Any:
    family = HistogramMetricFamily(name, doc, labels=["network"])
    for network, counts in sorted(table.items()):
        family.add_metric([network], [*((str(b), counts[n]) for n, b in enumerate(buckets)),
                                      ("+Inf", counts[len(buckets)])], sum_value=counts[len(buckets) + 1])
    return family


class _Collected(Collector):
    def __init__(self, tallies: Tallies | None, heartbeat: datetime | None):
        self.tallies, self.heartbeat = tallies, heartbeat

    def collect(self) -> Iterator[Any]:
        if self.tallies is not None:
            yield from self.tallies.families()
        beat = GaugeMetricFamily("herald_last_heartbeat_timestamp_seconds",
                                 "When an engine's scheduler loop last beat (Unix time)")
        beat.add_metric([], self.heartbeat.timestamp() if self.heartbeat else 0.0)
        yield beat


def exposition(tallies: Tallies | None, heartbeat: datetime | None = None, *, engine: bool = True) -> bytes:
    """The text of one scrape: the ledger's metrics as the watcher last read them (None: the
    ledger has not answered yet) and (``engine``) this process' counters.  No database is read here."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collected(tallies if tallies is not None and tallies.ready else None, heartbeat))
    return bytes(generate_latest(registry) + (generate_latest(ENGINE) if engine else b""))
