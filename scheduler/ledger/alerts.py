"""The alert intake's memory: per fingerprint, whether it fires, since when (``for:``), the
newest event accepted (replays and out-of-order payloads change nothing), the incident it
opened, and tombstones of resolved alerts.

Kept in the ledger, not in ``status.yaml``: an alert waiting out its ``for:`` or flapping
must not rewrite the file people edit (a thousand alerts a minute would be a thousand
saves), and the engines already share the ledger.  The table is created when missing,
like every table but the core ones, so no schema version change is needed.

The ledger is the truth for every server, and its decisions are serialised across servers:
each is made in one transaction (:func:`deciding`) that first takes the intake's database lock
(PostgreSQL: ``pg_advisory_xact_lock``; SQLite: the database's write lock, taken by an
update, matching no row, as the transaction's first statement), then reads the rows
(:func:`rows`), decides, writes ``status.yaml`` and stores what changed (:func:`save`), and
commits.  A decision therefore reads every row (its siblings', the other alerts of its
component) as the previous decision, on any server, committed them: a decision that only
checked the rows it wrote let two servers resolving the two alerts of one incident each see
the other still firing, and the incident stayed open.  :func:`save` still compares the rows
it changes with the text read (``expected``, :class:`Conflict`), a second guard.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from status.alerts import Tracked

from ..errors import Conflict
from .schema import alerts_table, to_db

LOCK_KEY = 0x48455241_4C440001  # PostgreSQL advisory lock key of the intake's decisions ("HERALD", 1)

C = alerts_table.c


@contextlib.contextmanager
def _within(db: Engine | Connection) -> Iterator[Connection]:
    """``db``'s transaction when it is a connection (a decision's), else a new one."""
    if isinstance(db, Connection):
        yield db
        return
    with db.begin() as c:
        yield c


@contextlib.contextmanager
def deciding(db: Engine) -> Iterator[Connection]:
    """One decision's transaction, holding the intake's lock from its start to its commit (or
    rollback, when the block raises): decisions on every server sharing the ledger take turns.

    Waiting for the lock is bounded by the ledger's statement/lock timeout (PostgreSQL) or busy
    timeout (SQLite); past it the database's error is raised and nothing was decided."""
    with db.begin() as c:
        if c.dialect.name == "postgresql":
            c.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        else:  # SQLite: the first statement writes (no row: no fingerprint is empty), so the
            # write lock is taken here, waiting up to the busy timeout, and held to the commit
            c.execute(update(alerts_table).where(C.fingerprint == "").values(updated_at=C.updated_at))
        yield c


def rows(db: Engine | Connection) -> dict[str, tuple[Tracked, str]]:
    """Every row: fingerprint -> (what is tracked, the stored text a compare-and-swap compares)."""
    with _within(db) as c:
        found = c.execute(select(C.fingerprint, C.data)).all()
    return {r.fingerprint: (Tracked.from_dict(json.loads(r.data)), r.data) for r in found}


def load(db: Engine | Connection) -> dict[str, Tracked]:
    return {fingerprint: item for fingerprint, (item, _) in rows(db).items()}


def encode(item: Tracked) -> str:
    return json.dumps(item.to_dict(), sort_keys=True)


def save(db: Engine | Connection, tracked: Mapping[str, Tracked], fingerprints: Iterable[str], now: datetime,
         expected: Mapping[str, str | None] | None = None) -> None:
    """Store ``fingerprints`` as ``tracked`` has them (absent: forgotten), in one transaction.

    With ``expected`` (fingerprint -> the text read, None: no row), each row is changed only if
    it still holds that text, else :class:`Conflict` and nothing is stored."""
    keys = list(dict.fromkeys(fingerprints))
    if not keys:
        return
    new = {fp: encode(tracked[fp]) for fp in keys if fp in tracked}
    stamp = to_db(now)
    if expected is None:
        with _within(db) as c:
            c.execute(delete(alerts_table).where(C.fingerprint.in_(keys)))
            if new:
                c.execute(insert(alerts_table), [{"fingerprint": fp, "data": data, "updated_at": stamp}
                                                 for fp, data in new.items()])
        return
    try:
        with _within(db) as c:
            for fp in keys:
                old, data = expected.get(fp), new.get(fp)
                if old is None:
                    if data is not None:
                        c.execute(insert(alerts_table).values(fingerprint=fp, data=data, updated_at=stamp))
                    continue
                if data is None:
                    done = c.execute(delete(alerts_table).where(C.fingerprint == fp, C.data == old)).rowcount
                else:
                    done = c.execute(update(alerts_table).where(C.fingerprint == fp, C.data == old).values(
                        data=data, updated_at=stamp)).rowcount
                if done != 1:
                    raise Conflict(f"alert {fp!r} was changed by another server")
    except IntegrityError:
        raise Conflict("an alert was first stored by another server meanwhile") from None


def waiting(db: Engine | Connection) -> bool:
    """Whether an alert fires and has not acted yet (its ``for:`` timer must run)."""
    return any(item.firing and not item.acted for item in load(db).values())
