"""Peers and takeover: this engine among the others on its ledger.

The heartbeat records liveness in the ledger (what ``herald health`` and ``herald engines`` read),
keeps the engine's lock session (:mod:`scheduler.ledger.cluster`: its liveness lock and its duties,
on PostgreSQL), declares dead the peers whose heartbeat stopped ``DEAD_AFTER`` ago and whose lock
session is gone, and wakes the accounts where they held claims: a standby takes them over
(reconciling first: they may have been on the wire) within seconds, not when the 2-minute lease
ends.  It shares the new publications among the live engines (:mod:`scheduler.ledger.share`) and
wakes every account when that share changes: a dead engine's share is taken at the next heartbeat
after its lock session ended.  After its own ledger connection came back (a restarted PostgreSQL),
an engine waits ``DEAD_AFTER`` before judging peers: they need the same time to beat again.  It
also says when this engine's calendar differs from the newest one among live engines.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..engine import Engine
from ..ledger import Ledger
from ..ledger.cluster import Cluster
from ..ledger.registry import newest_calendar
from ..ledger.share import Share
from .timers import HEARTBEAT

if TYPE_CHECKING:
    from .watch import Stamp

log = logging.getLogger("herald.daemon")

DEAD_AFTER = timedelta(seconds=4)  # a peer whose heartbeat is this old, and whose lock session is gone, is dead
FIRED_BEAT = timedelta(seconds=5)  # at most one extra ledger write this often for sends, not one per post


def engine_host() -> str:
    """The machine's name as engines record it: ``HERALD_HOST`` if set (containers that all have one
    host name; bench/bench_ha.py, whose engines play separate machines), else the host name."""
    return os.environ.get("HERALD_HOST") or socket.gethostname()


def engine_id() -> str:
    return f"{engine_host()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Peers:
    """The heartbeat, the lock session, the claims of dead peers and the calendars of live ones."""

    def __init__(self, ledger: Ledger, engine: Engine, engine_id: str, stamp: Stamp, jobs: Callable[[], int],
                 arm: Callable[[str, datetime], None]):
        self.ledger = ledger
        self.engine = engine
        self.id = engine_id
        self.stamp = stamp  # the running calendar's hash, kept up to date by the watcher
        self.jobs = jobs  # how many jobs the timers hold
        self.arm = arm  # wakes an account where a dead peer held claims
        self.cluster = Cluster(ledger.db, self.id)
        self.connected_since: datetime | None = None  # since when the heartbeat has been reaching the ledger
        self.older_calendar: str | None = None  # the newer calendar hash last reported, if any
        self.last_fire_beat: datetime | None = None

    def info(self) -> dict[str, Any]:
        """What the heartbeat records (``herald engines`` shows it)."""
        return {"pid": os.getpid(), "host": engine_host(), "calendar": os.path.abspath(self.stamp.path),
                "calendar_hash": self.stamp.hash, "calendar_mtime": self.stamp.mtime,
                "duties": sorted(self.cluster.duties), "older_calendar": self.older_calendar is not None,
                "jobs": self.jobs()}

    def join(self, now: datetime) -> None:
        """At start: the lock session (or an error: the heartbeat tries again), the first beat."""
        try:
            self.cluster.hold()
        except Exception as exc:
            log.error("could not open the lock session (%s: %s); trying again at the next heartbeat",
                      type(exc).__name__, exc)
        self.engine.reads_feeds = "feeds" in self.cluster.duties
        self.ledger.beat(self.id, now, self.info(), started=True)
        self.connected_since = now
        self._warn_if_not_alone(now)
        try:
            self._share(now, self.ledger.engines())
        except Exception as exc:
            log.error("could not look at the other engines (%s: %s); trying every key until the next heartbeat",
                      type(exc).__name__, exc)

    def pulse(self, now: datetime) -> bool:
        """The heartbeat (see the module's docstring); False when it did not reach the ledger."""
        try:
            duties = self.cluster.hold()
            self.ledger.beat(self.id, now, self.info())
        except Exception as exc:
            if self.connected_since is not None:
                log.error("heartbeat failed (%s: %s); still running, trying again every %gs", type(exc).__name__,
                          exc, HEARTBEAT)
            self.connected_since = None
            return False
        if self.connected_since is None:
            log.info("heartbeat reaches the ledger again")
            self.connected_since = now
        self.engine.reads_feeds = "feeds" in duties
        try:
            self.look_at_peers(now)
        except Exception as exc:
            log.error("could not look at the other engines (%s: %s); still running", type(exc).__name__, exc)
        return True

    def look_at_peers(self, now: datetime) -> None:
        """Take over the claims of engines that died; share the new publications among the live
        ones; say when this engine's calendar is not the newest."""
        engines = self.ledger.engines()
        if self.connected_since is not None and now - self.connected_since >= DEAD_AFTER:
            self._take_over(now)
        self._share(now, engines)
        live = [e for e in engines if e["stopped_at"] is None and e["id"] not in self.engine.dead_owners
                and now - e["heartbeat_at"] < DEAD_AFTER]
        self._compare_calendars(newest_calendar(live))

    def _take_over(self, now: datetime) -> None:
        """Declare dead the peers found dead (see the module's docstring) and wake the accounts where
        those found just now held claims."""
        dead = frozenset(self.ledger.dead_engines(now, DEAD_AFTER, self.cluster.live) - {self.id})
        newly = dead - self.engine.dead_owners
        self.engine.dead_owners = dead
        if not newly:
            return
        held = [r for r in self.ledger.claimed() if r.lease_owner in newly]
        for owner in sorted({r.lease_owner or "" for r in held}):
            log.warning("engine %s is dead (no heartbeat for %ds, no lock session): taking over its %d "
                        "claim(s)", owner, DEAD_AFTER.total_seconds(), sum(1 for r in held if r.lease_owner == owner))
        for network in sorted({r.network for r in held}):
            if network in self.engine.publishers:
                self.arm(network, now)

    def _share(self, now: datetime, engines: list[dict[str, Any]]) -> None:
        """Share the new publications among the engines whose lock session is alive (PostgreSQL;
        see :mod:`scheduler.ledger.share`); when the share changed (an engine joined, or died: its
        session ended), wake every account, so that what is now this engine's and due goes out."""
        if not self.cluster.shared:
            return  # SQLite: no lock sessions, every engine tries every key
        running = [e["id"] for e in engines if e["stopped_at"] is None]
        share = Share.among(self.id, self.cluster.live(running), since=now)
        if share == self.engine.share:  # the same engines (since when is not compared)
            return
        log.info("sharing the new publications among %d live engine(s)", len(share.engines))
        self.engine.share = share
        for network in sorted(self.engine.publishers):
            self.arm(network, now)

    def _compare_calendars(self, newest: str | None) -> None:
        """Say once when the newest calendar among live engines is not this one's, and once when it is again."""
        older = newest if newest is not None and newest != self.stamp.hash else None
        if older == self.older_calendar:
            return
        if older is not None:
            log.warning("OLDER CALENDAR: this engine runs calendar %s, another live engine runs the newer %s; "
                        "update %s here", self.stamp.hash, older, self.stamp.path)
        else:
            log.info("calendar %s: the same as the other live engines'", self.stamp.hash)
        self.older_calendar = older

    def _warn_if_not_alone(self, now: datetime) -> None:
        """On SQLite, engines cannot share the work across machines: say so when a second one starts."""
        if self.cluster.shared:
            return
        others = [e for e in self.ledger.engines() if e["id"] != self.id and e["stopped_at"] is None
                  and now - e["heartbeat_at"] < DEAD_AFTER * 4]
        if others:
            log.warning("another engine (%s) runs on this SQLite ledger: engines on one SQLite file never post "
                        "twice, but only PostgreSQL gives failover in seconds and one feed reader per cluster "
                        "(herald run --state postgresql://...)", ", ".join(e["id"] for e in others))

    def fired(self, now: datetime) -> None:
        """A send was made: recorded with the heartbeat, at most once per FIRED_BEAT."""
        if self.last_fire_beat is None or now - self.last_fire_beat >= FIRED_BEAT:
            self.last_fire_beat = now
            self.ledger.beat(self.id, now, self.info(), fired=True)

    def leave(self, now: datetime, keep: set[str]) -> list[str]:
        """At the stop: give back this engine's claims but ``keep`` (sends that may still land:
        released, one could be sent again without reconciling), record the stop, end the lock
        session; the claims given back."""
        mine = [r.key for r in self.ledger.claimed() if r.lease_owner == self.id and r.key not in keep]
        self.engine.release_claims(mine, now)
        self.ledger.beat(self.id, now, self.info(), stopped=True)
        self.cluster.close()
        return mine
