"""Several engines on one PostgreSQL ledger: who is alive and who does the once-per-cluster duties.

PostgreSQL's session-level advisory locks do both, with no consensus of our own: each engine
keeps one dedicated connection (its *lock session*) on which it holds

- its **liveness lock** (``ENGINE_CLASS``, a hash of its id): held as long as the process and
  its connection live.  When the process dies its socket closes and PostgreSQL drops the lock
  at once; when its machine dies, the server-side TCP keepalives set on the session (a few
  seconds) end it.  A peer whose heartbeat is stale *and* whose liveness lock is free is dead;
  one whose heartbeat is late but whose session still holds the lock is only slow, and keeps
  its claims (so a busy machine never has its sends taken over mid-way);
- its **duties** (``DUTY_CLASS``, a hash of the duty's name, e.g. ``feeds``): taken with
  ``pg_try_advisory_lock``, so exactly one live engine holds each; when it dies the lock is
  free and the next engine to try takes it over.

``pg_locks`` shows every session's advisory locks, which is what ``herald engines`` reads
for the duties each engine holds.  On SQLite (one machine) there is nothing to share: every
engine does every duty, as before, and :attr:`Cluster.shared` is False.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Iterable

from sqlalchemy import Connection, text
from sqlalchemy.engine import Engine

log = logging.getLogger("herald.cluster")

ENGINE_CLASS = 0x48524C44  # "HRLD": the first key of every engine's liveness lock
DUTY_CLASS = ENGINE_CLASS + 1  # ... and of every duty's lock
DUTIES = ("feeds",)  # what exactly one engine of a cluster does
# Server-side keepalives of the lock session (seconds): a machine that vanished without closing
# its socket loses its locks after about idle + interval * count.
KEEPALIVE = {"tcp_keepalives_idle": 2, "tcp_keepalives_interval": 1, "tcp_keepalives_count": 2}


def lock_key(name: str) -> int:
    """A name's 32-bit lock key, as ``pg_locks.objid`` shows it (unsigned)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big")


def _signed(key: int) -> int:
    """The same 32 bits as the int4 that pg_advisory_lock(int4, int4) takes."""
    return key - 2**32 if key >= 2**31 else key


class Cluster:
    """The lock session of engine ``engine_id`` on ledger ``db`` (see the module's docstring)."""

    def __init__(self, db: Engine, engine_id: str):
        self.db = db
        self.engine_id = engine_id
        self.shared = db.dialect.name == "postgresql"
        self._conn: Connection | None = None
        self._duties: set[str] = set()
        self._lock = threading.Lock()  # the session is one connection: one statement at a time

    @property
    def duties(self) -> frozenset[str]:
        """The duties this engine holds (on SQLite: all of them)."""
        return frozenset(self._duties) if self.shared else frozenset(DUTIES)

    def _session(self) -> Connection:
        if self._conn is None:
            conn = self.db.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                for name, value in KEEPALIVE.items():
                    conn.execute(text(f"SET {name} = {int(value)}"))
                got = conn.execute(text("SELECT pg_try_advisory_lock(:c, :k)"),
                                   {"c": ENGINE_CLASS, "k": _signed(lock_key(self.engine_id))}).scalar()
            except Exception:
                conn.invalidate()
                conn.close()
                raise
            if not got:  # only a peer probing it this instant: try again at the next beat
                conn.invalidate()
                conn.close()
                raise RuntimeError("the engine's liveness lock is busy")
            self._conn = conn
        return self._conn

    def _drop(self) -> None:
        """Forget a broken session: its locks died with it (a restarted server, a cut connection)."""
        if self._conn is not None:
            with contextlib.suppress(Exception):  # already broken: nothing more to release
                self._conn.invalidate()  # never back into the pool: a pooled session would keep the locks
                self._conn.close()
        self._conn = None
        if self._duties:
            log.warning("lost the lock session: gave up duties %s", ", ".join(sorted(self._duties)))
        self._duties.clear()

    def hold(self, wanted: Iterable[str] = DUTIES) -> frozenset[str]:
        """Keep the lock session alive (reconnecting if it broke) and try to take each ``wanted``
        duty not held yet; the duties held.  Raises if the database cannot be reached."""
        if not self.shared:
            return self.duties
        with self._lock:
            try:
                conn = self._session()
                conn.execute(text("SELECT 1"))
                for duty in wanted:
                    if duty in self._duties:
                        continue
                    if conn.execute(text("SELECT pg_try_advisory_lock(:c, :k)"),
                                    {"c": DUTY_CLASS, "k": _signed(lock_key(duty))}).scalar():
                        self._duties.add(duty)
                        log.info("took over duty %s", duty)
            except Exception:
                self._drop()
                raise
            return frozenset(self._duties)

    def live(self, engine_ids: Iterable[str]) -> set[str]:
        """Those of ``engine_ids`` whose lock session holds their liveness lock (on SQLite: all)."""
        ids = list(engine_ids)
        if not self.shared:
            return set(ids)
        held = {key for key, _pid in _advisory_locks(self.db, ENGINE_CLASS)}
        return {i for i in ids if lock_key(i) in held}

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(Exception):  # broken: the server dropped the locks already
                    self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
            self._drop()


def _advisory_locks(db: Engine, cls: int) -> list[tuple[int, int]]:
    """(key, backend pid) of every granted two-key advisory lock of class ``cls`` in this database."""
    query = text("SELECT objid::bigint, pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                 "AND objsubid = 2 AND classid::bigint = :c "
                 "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
    with db.connect() as c:
        return [(int(k), int(p)) for k, p in c.execute(query, {"c": cls}).all()]


def cluster_view(db: Engine, engine_ids: Iterable[str]) -> dict[str, tuple[bool, list[str]]] | None:
    """For ``herald engines``: per engine id, whether its liveness lock is held and the duties its
    lock session holds, as PostgreSQL itself says.  None on SQLite (no lock sessions)."""
    if db.dialect.name != "postgresql":
        return None
    engines = {key: pid for key, pid in _advisory_locks(db, ENGINE_CLASS)}
    by_key = {lock_key(d): d for d in DUTIES}
    duties: dict[int, list[str]] = {}
    for key, pid in _advisory_locks(db, DUTY_CLASS):
        if key in by_key:
            duties.setdefault(pid, []).append(by_key[key])
    out: dict[str, tuple[bool, list[str]]] = {}
    for engine_id in engine_ids:
        session = engines.get(lock_key(engine_id))
        out[engine_id] = (session is not None, sorted(duties.get(session, [])) if session is not None else [])
    return out
