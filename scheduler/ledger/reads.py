"""Read-only queries the status site needs: the announcements of one incident or window, what
was held while an incident was open, and the one aggregate pass (:func:`overview`) and the
new sends (:func:`sent_since`) behind the web server's page stamps and ``/metrics``.  They read the
same publication rows as :mod:`.publications` and never write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal_column, or_, select
from sqlalchemy.engine import Engine

from .publications import Record, State
from .schema import aware, publications_table, to_db

P = publications_table.c
STATUS_PREFIXES = ("incident:", "maintenance:")


def announcements(db: Engine, limit: int | None = None) -> list[Record]:
    """Every publication of an incident or a maintenance window (oldest first), for the history
    and an export (``limit``: at most that many, the oldest)."""
    query = (select(publications_table).where(or_(*(P.source.startswith(p) for p in STATUS_PREFIXES)))
             .order_by(P.scheduled_at, P.key))
    if limit is not None:
        query = query.limit(limit)
    with db.connect() as c:
        return [Record.from_row(r) for r in c.execute(query).all()]


def announcements_of(db: Engine, sources: list[str], since: datetime | None = None) -> list[Record]:
    """All the publications of these incidents and maintenance windows (oldest first), however
    many the ledger holds of others: ``incident:ID`` is one incident's source, ``maintenance:ID@``
    (ending in ``@``) every window of maintenance ID.  ``since``: none scheduled before (the
    incident's start, a window's first reminder): the scheduled_at index then bounds the read."""
    exact = [s for s in sources if not s.endswith("@")]
    prefixes = [s for s in sources if s.endswith("@")]
    after = [P.scheduled_at >= to_db(since)] if since is not None else []
    out: list[Record] = []
    with db.connect() as c:
        for i in range(0, len(exact), 500):  # bounded IN lists, for every database
            out += [Record.from_row(r) for r in c.execute(
                select(publications_table).where(P.source.in_(exact[i:i + 500]), *after)).all()]
        for i in range(0, len(prefixes), 50):
            out += [Record.from_row(r) for r in c.execute(
                select(publications_table).where(or_(*(P.source.startswith(p, autoescape=True)
                                                       for p in prefixes[i:i + 50])), *after)).all()]
    out.sort(key=lambda r: (r.scheduled_at, r.key))
    return out


@dataclass(frozen=True)
class Overview:
    """One aggregate read of the whole table (see :func:`overview`): per (state, network), the
    rows' count, extra attempts and latest change, apart for status announcements."""

    status: list[tuple[str, str, int, Any]]  # (state, network, rows, latest updated_at) of incident/maintenance posts
    other: list[tuple[str, str, int, Any]]  # the same of every other publication
    retries: dict[str, int]  # network -> attempts beyond the first


def overview(db: Engine) -> Overview:
    """The watcher's one aggregate query (a single pass, grouped by state, network and kind of
    source), from which the web server derives the stamps that invalidate its pages and the
    gauges of /metrics, instead of reading rows per request or per scrape."""
    is_status = case(*((P.source.like(f"{p}%"), 1) for p in STATUS_PREFIXES), else_=0).label("is_status")
    extra = func.sum(case((P.attempts > 1, P.attempts - 1), else_=0))
    query = (select(P.state, P.network, is_status, func.count(), extra, func.max(P.updated_at))
             .group_by(P.state, P.network, literal_column("is_status")))
    status: list[tuple[str, str, int, Any]] = []
    other: list[tuple[str, str, int, Any]] = []
    retries: dict[str, int] = {}
    with db.connect() as c:
        for state, network, flag, count, more, latest in c.execute(query).all():
            (status if flag else other).append((str(state), str(network), int(count), str(latest)))
            retries[network] = retries.get(network, 0) + int(more or 0)
    return Overview(status, other, retries)


def sent_since(db: Engine, since: datetime | None, limit: int = 5000,
               after: str | None = None) -> list[tuple[str, str, datetime, datetime, str, str]]:
    """(key, network, scheduled_at, sent_at, source, state) of publications with a sent_at at or
    after ``since`` (all when None), in (sent_at, key) order, at most ``limit``: /metrics counts new
    sends by the sent_at index instead of reading every sent row at each scrape (the caller keeps
    the rows whose state is ``sent``).  ``after``: the key of the last row of the previous page,
    whose sent_at is ``since``; the page then starts after that (sent_at, key) cursor, so that
    any number of sends with the same or close times are read a page at a time to the end."""
    # by the sent_at index alone (a state filter would let a database prefer the state index and
    # sort every sent row for each page); a row with a sent_at that is no longer sent is skipped here
    query = select(P.key, P.network, P.scheduled_at, P.sent_at, P.source, P.state)
    if since is None:
        query = query.where(P.sent_at.is_not(None))
    else:
        query = query.where(P.sent_at >= to_db(since))
        if after is not None:
            query = query.where(or_(P.sent_at > to_db(since), P.key > after))
    query = query.order_by(P.sent_at, P.key).limit(limit)
    with db.connect() as c:
        rows = c.execute(query).all()
    return [(k, n, aware(at), aware(s), src, str(state)) for k, n, at, s, src, state in rows]


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
    # newest first by the scheduled_at index, until enough are found: the network and state
    # columns are compared as expressions (``|| ''``) so that SQLite, which has no statistics,
    # does not pick their indexes and sort every sent row of the account
    query = (select(publications_table).where(P.network.concat("").in_(networks),
                                              P.state.concat("") == State.SENT.value)
             .order_by(P.scheduled_at.desc()).limit(limit))
    with db.connect() as c:
        return [Record.from_row(r) for r in c.execute(query).all()]


def latest_change(db: Engine) -> datetime | None:
    """When a publication row last changed (the live page polls for this)."""
    with db.connect() as c:
        return aware(c.execute(select(func.max(P.updated_at))).scalar())


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


def remember_calendar(db: Engine, digest: str, text: str | bytes) -> bool:
    """Record the calendar text an engine now runs (on start and on each reload), so that the
    review room can show what saving the file on disk would change.  Nothing is written (nor
    ``text`` decoded, when it is the file's bytes) when the ledger already holds the text of that
    digest: a restart on an unchanged calendar does not rewrite 29 MB and its fsync at 100,000
    posts; the digest is also kept in a row of its own (``RUNNING_DIGEST``), so that knowing it
    reads a few bytes, not the text.  True if written."""
    from sqlalchemy import delete, insert

    from .schema import meta_table

    names = meta_table.c.name
    with db.connect() as c:
        held = c.execute(select(meta_table.c.value).where(names == RUNNING_DIGEST)).scalar()
    if held == digest:
        return False
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    # The values go with the execution, never in the statement: SQLAlchemy caches a compiled
    # statement with the statement it was compiled from, which would keep the first calendar's
    # whole text (28 MB at 100,000 posts) for as long as the process runs.
    with db.begin() as c:
        c.execute(delete(meta_table).where(names.in_([RUNNING, RUNNING_DIGEST])))
        c.execute(insert(meta_table), [{"name": RUNNING, "value": f"{digest}\n{text}"},
                                       {"name": RUNNING_DIGEST, "value": digest}])
    return True


RUNNING = "running_calendar"
RUNNING_DIGEST = "running_calendar_digest"
