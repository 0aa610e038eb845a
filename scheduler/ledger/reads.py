"""Read-only queries the status site needs: the announcements of one incident or window, what
was held while an incident was open, and the aggregates ``/metrics`` reports.  They read the
same publication rows as :mod:`.publications` and never write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Engine

from .publications import Record, State
from .schema import aware, publications_table, to_db

P = publications_table.c
STATUS_PREFIXES = ("incident:", "maintenance:")


def announcements(db: Engine, limit: int = 5000) -> list[Record]:
    """Every publication of an incident or a maintenance window (newest last), for their pages."""
    query = (select(publications_table).where(or_(*(P.source.startswith(p) for p in STATUS_PREFIXES)))
             .order_by(P.scheduled_at).limit(limit))
    with db.connect() as c:
        return [Record.from_row(r) for r in c.execute(query).all()]


def not_sent_between(db: Engine, start: datetime, end: datetime, limit: int = 200) -> list[Record]:
    """Planned posts due in [start, end) that an outage held or skipped (not status posts)."""
    query = (select(publications_table)
             .where(P.scheduled_at >= to_db(start), P.scheduled_at < to_db(end),
                    P.state.in_([State.HELD.value, State.SKIPPED.value]),
                    *(~P.source.startswith(p) for p in STATUS_PREFIXES))
             .order_by(P.scheduled_at).limit(limit))
    with db.connect() as c:
        return [Record.from_row(r) for r in c.execute(query).all()]


def sent_posts(db: Engine, networks: list[str], limit: int = 50) -> list[Record]:
    """The latest publications sent to these accounts (the site channel's own posts)."""
    if not networks:
        return []
    query = (select(publications_table).where(P.network.in_(networks), P.state == State.SENT.value)
             .order_by(P.scheduled_at.desc()).limit(limit))
    with db.connect() as c:
        return [Record.from_row(r) for r in c.execute(query).all()]


def latest_change(db: Engine) -> datetime | None:
    """When a publication row last changed (the live page polls for this)."""
    with db.connect() as c:
        return aware(c.execute(select(func.max(P.updated_at))).scalar())


def tallies(db: Engine) -> dict[str, Any]:
    """What ``/metrics`` computes from the ledger: rows by state and network, retries, lateness."""
    with db.connect() as c:
        by_state = [(s, n, int(k)) for s, n, k in c.execute(
            select(P.state, P.network, func.count()).group_by(P.state, P.network)).all()]
        retries = [(n, int(k or 0)) for n, k in c.execute(
            select(P.network, func.sum(P.attempts - 1)).where(P.attempts > 1).group_by(P.network)).all()]
        sent = c.execute(select(P.network, P.scheduled_at, P.sent_at, P.source)
                         .where(P.state == State.SENT.value, P.sent_at.is_not(None))).all()
    lateness = [(n, max(0.0, (aware(s) - aware(at)).total_seconds()), src) for n, at, s, src in sent]
    return {"by_state": by_state, "retries": retries, "lateness": lateness}


def records(db: Engine, keys: list[str]) -> dict[str, Record]:
    """The rows of these publication keys (those the ledger has), in bulk: the review room asks
    for a week's or a month's publications at once."""
    out: dict[str, Record] = {}
    for i in range(0, len(keys), 500):  # bounded IN lists, for every database
        query = select(publications_table).where(P.key.in_(keys[i:i + 500]))
        with db.connect() as c:
            out.update((r.key, Record.from_row(r)) for r in c.execute(query).all())
    return out


def running_calendar(db: Engine) -> tuple[str, str] | None:
    """(hash, text) of the calendar an engine loaded last (see :func:`remember_calendar`)."""
    from .schema import meta_table

    with db.connect() as c:
        row = c.execute(select(meta_table.c.value).where(meta_table.c.name == RUNNING)).scalar()
    if not row:
        return None
    digest, _, text = str(row).partition("\n")
    return digest, text


def remember_calendar(db: Engine, digest: str, text: str) -> None:
    """Record the calendar text an engine now runs (on start and on each reload), so that the
    review room can show what saving the file on disk would change."""
    from sqlalchemy import delete, insert

    from .schema import meta_table

    with db.begin() as c:
        c.execute(delete(meta_table).where(meta_table.c.name == RUNNING))
        c.execute(insert(meta_table).values(name=RUNNING, value=f"{digest}\n{text}"))


RUNNING = "running_calendar"
