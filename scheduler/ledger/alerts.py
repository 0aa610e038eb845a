"""The alert intake's memory: per fingerprint, whether it fires, since when (``for:``), the
newest event accepted (replays and out-of-order payloads change nothing), the incident it
opened, and tombstones of resolved alerts.

Kept in the ledger, not in ``status.yaml``: an alert waiting out its ``for:`` or flapping
must not rewrite the file people edit (a thousand alerts a minute would be a thousand
saves), and the engines already share the ledger.  The table is created when missing,
like every table but the core ones, so no schema version change is needed.

The ledger is the truth for every server: each decision reads the rows (:func:`load`) and
writes back only what it changed, as a compare-and-swap on the rows' stored text
(:func:`save` with ``expected``).  When another server changed one of them meanwhile,
:class:`Conflict` is raised, nothing is stored, and the decision is made again on what is
stored now, so two servers sharing a ledger never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from status.alerts import Tracked

from .schema import alerts_table, to_db

C = alerts_table.c


class Conflict(RuntimeError):
    """Another server changed an alert's row since it was read: decide again."""


def rows(db: Engine) -> dict[str, tuple[Tracked, str]]:
    """Every row: fingerprint -> (what is tracked, the stored text a compare-and-swap compares)."""
    with db.connect() as c:
        found = c.execute(select(C.fingerprint, C.data)).all()
    return {r.fingerprint: (Tracked.from_dict(json.loads(r.data)), r.data) for r in found}


def load(db: Engine) -> dict[str, Tracked]:
    return {fingerprint: item for fingerprint, (item, _) in rows(db).items()}


def encode(item: Tracked) -> str:
    return json.dumps(item.to_dict(), sort_keys=True)


def save(db: Engine, tracked: Mapping[str, Tracked], fingerprints: Iterable[str], now: datetime,
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
        with db.begin() as c:
            c.execute(delete(alerts_table).where(C.fingerprint.in_(keys)))
            if new:
                c.execute(insert(alerts_table), [{"fingerprint": fp, "data": data, "updated_at": stamp}
                                                 for fp, data in new.items()])
        return
    try:
        with db.begin() as c:
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


def waiting(db: Engine) -> bool:
    """Whether an alert fires and has not acted yet (its ``for:`` timer must run)."""
    return any(item.firing and not item.acted for item in load(db).values())
