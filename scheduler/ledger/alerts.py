"""The alert intake's memory across restarts: per fingerprint, whether it fires, since when
(``for:``), the newest event accepted (replays and out-of-order payloads change nothing)
and the incident it opened.

Kept in the ledger, not in ``status.yaml``: an alert waiting out its ``for:`` or flapping
must not rewrite the file people edit (a thousand alerts a minute would be a thousand
saves), and the engines already share the ledger.  The table is created when missing,
like every table but the core ones, so no schema version change is needed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from status.alerts import Tracked

from .schema import alerts_table, to_db

C = alerts_table.c


def load(db: Engine) -> dict[str, Tracked]:
    with db.connect() as c:
        rows = c.execute(select(C.fingerprint, C.data)).all()
    return {r.fingerprint: Tracked.from_dict(json.loads(r.data)) for r in rows}


def save(db: Engine, tracked: dict[str, Tracked], fingerprints: Iterable[str], now: datetime) -> None:
    """Store ``fingerprints`` as ``tracked`` has them (absent: forgotten), in one transaction."""
    keys = list(fingerprints)
    if not keys:
        return
    rows = [{"fingerprint": fp, "data": json.dumps(tracked[fp].to_dict()), "updated_at": to_db(now)}
            for fp in keys if fp in tracked]
    with db.begin() as c:
        c.execute(delete(alerts_table).where(C.fingerprint.in_(keys)))
        if rows:
            c.execute(insert(alerts_table), rows)
