"""Several engines on one PostgreSQL ledger share the new publications instead of racing for them.

Every engine plans the same publications.  Were each to try every key, all but one would pay a
read, a refused insert and another read per key for nothing, and more engines would publish
less.  So each key has one *owner* among the live engines, found by rendezvous hashing (the
engine whose hash of ``(engine, key)`` is the highest): every engine computes the same owner
from the same list, with no messages, and when an engine joins or leaves only the keys it
owned (or comes to own) move.  An engine acts on a new key at once if it owns it, and on
another's only once it is :data:`LATE` beyond its time (or beyond when the engine saw the
current live engines first, if later): so a key whose owner is slow, stuck, or not yet known to
be dead still goes out, a little late.

The live engines are those whose lock session holds their liveness lock
(:meth:`scheduler.ledger.cluster.Cluster.live`; a killed process loses it at once, and its peers
see that at their next heartbeat and take its share).  Nothing here decides who sends: the
ledger's compare-and-swap claim stays the final word, so two engines that disagree for a moment
on who is live (one just started, one just died) only race for a few keys as before, and never
send one twice.  On SQLite there are no lock sessions: each engine is alone in its share and
tries every key, as before.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# A new publication not this engine's is tried by it once this late: below the 4 s after which a
# silent peer is declared dead (daemon.DEAD_AFTER), above the time one engine of a few takes to
# send its share of a few hundred posts due at once.
LATE = timedelta(seconds=3)


def weight(engine_id: str, key: str) -> int:
    """The rendezvous weight of ``engine_id`` for ``key``: the same on every machine and run."""
    return int.from_bytes(hashlib.blake2b(f"{engine_id}\0{key}".encode(), digest_size=8).digest(), "big")


@dataclass(frozen=True)
class Share:
    """Engine ``me``'s share of the keys among the live ``engines`` (``me`` counts as live), as this
    engine has seen them ``since`` then (None: always)."""

    me: str
    engines: frozenset[str] = field(default_factory=frozenset)
    since: datetime | None = field(default=None, compare=False)

    @classmethod
    def among(cls, me: str, live: Iterable[str], since: datetime | None = None) -> Share:
        return cls(me, frozenset({me, *live}), since)

    @property
    def shared(self) -> bool:
        """False when this engine is alone (or on SQLite): every key is its own."""
        return len(self.engines) > 1

    def owner(self, key: str) -> str:
        """The live engine that acts on ``key`` first."""
        if not self.shared:
            return self.me
        return max(self.engines, key=lambda engine: (weight(engine, key), engine))

    def first(self, key: str, anyone: bool = False) -> bool:
        """Whether this engine acts on ``key`` at its time (its own, or ``anyone``'s), not once it is late."""
        return anyone or self.owner(key) == self.me

    def acts_at(self, key: str, at: datetime, anyone: bool = False, grace: timedelta | None = None) -> datetime:
        """When this engine acts on the new publication ``key`` due ``at``: then if it is its own
        (or ``anyone``'s: what every engine should try at once), else :data:`LATE` after, counted
        from when this share began if that is later (a backlog found at a start, or when an
        engine joined, is each engine's own for LATE before the others help).  With ``grace``, the
        publication's catch-up window, the others wait at most half of it: a post whose owner died
        unnoticed is sent by another engine, not skipped as too late."""
        if self.first(key, anyone):
            return at
        wait = LATE if grace is None else min(LATE, grace / 2)
        return max(at, self.since or at) + wait

    def mine(self, key: str, at: datetime, now: datetime, anyone: bool = False,
             grace: timedelta | None = None) -> bool:
        """Whether this engine acts on the new publication ``key`` due ``at`` at ``now``."""
        return self.acts_at(key, at, anyone, grace) <= now
