"""Pauses: `herald pause` stops publishing to one network or all, until a time or `herald resume`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Engine

from .schema import autocommit, aware, pauses_table, to_db

C = pauses_table.c


@dataclass(frozen=True)
class Pause:
    id: int
    network: str | None
    reason: str
    created_at: datetime
    until: datetime | None

    def covers(self, network: str, now: datetime) -> bool:
        return (self.network is None or self.network == network) and (self.until is None or now < self.until)


class Pauses:
    """The pauses recorded in a ledger's database ``db``."""

    db: Engine

    def __init__(self, db: Engine):
        self.db = db

    def pause(self, now: datetime, network: str | None, until: datetime | None, reason: str) -> Pause:
        with self.db.begin() as c:
            stored = c.execute(insert(pauses_table).values(
                network=network, reason=reason, created_at=to_db(now), until=to_db(until)).returning(
                C.id, C.network, C.reason)).one()  # as stored: text made storable, secrets redacted
        return Pause(stored.id, stored.network, stored.reason, now, until)

    def active_pauses(self, now: datetime) -> list[Pause]:
        query = select(pauses_table).where(C.resumed_at.is_(None), or_(C.until.is_(None), C.until > to_db(now)))
        with autocommit(self.db).connect() as c:
            rows = c.execute(query.order_by(C.id)).all()
        return [Pause(r.id, r.network, r.reason, aware(r.created_at), aware(r.until)) for r in rows]

    def resume(self, now: datetime, network: str | None) -> list[Pause]:
        """End the active pauses for ``network`` (None: every pause)."""
        ended = [p for p in self.active_pauses(now) if network is None or p.network == network]
        if ended:
            with self.db.begin() as c:
                c.execute(update(pauses_table).where(C.id.in_([p.id for p in ended])).values(resumed_at=to_db(now)))
        return ended
