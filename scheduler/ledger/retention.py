"""Retention: ``herald prune --older-than 180d`` deletes what nothing will read again.

Deleted: publications that are done (sent, skipped, dead) and last changed before the cutoff,
engine rows that stopped (or last beat) before it, and the status page's subscriber notices
dated and stored before it whose every delivery is done (sent, skipped, dead), with those
deliveries.  Kept, whatever their age:

- rows not done (claimed, retrying, held): an engine still acts on them;
- ``ambiguous`` rows: an earlier attempt may have reached the network, reconciliation needs them;
- the rows of the status items still open (``keep_posts``: open incidents, maintenance not
  over): a reply is threaded under the first post's remote id, and a changed or cancelled
  maintenance is recognised by what was announced of it;
- a notice with a delivery not done (pending, claimed, retrying), and its deliveries: an engine
  still sends it.  The subscribers themselves are not the ledger's to forget (``herald
  subscribers delete`` is).

The keys of deleted rows are old enough that the planner never plans them again (its
catch-up windows are hours, not months), so nothing is sent twice for having been forgotten;
a notice is made again only within the subscribers' ``catch_up`` of its date, so ``herald
prune`` deletes notices no younger than that (``notice_cutoff``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, not_, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from .publications import TERMINAL
from .schema import (
    PUBLISHED,
    deliveries_table,
    engines_table,
    meta_table,
    notices_table,
    publications_table,
    to_db,
)
from .subscribers import DeliveryState

P = publications_table.c
E = engines_table.c
N, D = notices_table.c, deliveries_table.c
OPEN_DELIVERIES = (DeliveryState.PENDING, DeliveryState.CLAIMED, DeliveryState.RETRYING)


@dataclass(frozen=True)
class Pruned:
    publications: int
    engines: int
    kept_open: int  # old done rows kept because their incident or maintenance is still open
    notices: int = 0  # subscriber notices
    deliveries: int = 0  # and their deliveries, one per subscriber


def _old_done(cutoff: datetime) -> ColumnElement[bool]:
    return and_(P.state.in_([str(s) for s in TERMINAL]), P.updated_at < to_db(cutoff), not_(P.ambiguous))


def _old_notices(cutoff: datetime) -> Any:
    """The keys of the notices dated and stored before ``cutoff`` whose every delivery is done."""
    return select(N.key).where(N.at < to_db(cutoff), N.created_at < to_db(cutoff), ~exists().where(
        D.notice == N.key, D.state.in_([str(s) for s in OPEN_DELIVERIES])))


def _prune_notices(c: Any, cutoff: datetime, dry_run: bool) -> tuple[int, int]:
    """(notices, deliveries) deleted (or with ``dry_run`` counted) in the transaction ``c``."""
    keys = _old_notices(cutoff)
    deliveries = D.notice.in_(keys.scalar_subquery())
    if dry_run:
        return (int(c.execute(select(func.count()).select_from(keys.subquery())).scalar_one()),
                int(c.execute(select(func.count()).select_from(deliveries_table).where(deliveries)).scalar_one()))
    n_deliveries = c.execute(delete(deliveries_table).where(deliveries)).rowcount
    return c.execute(delete(notices_table).where(N.key.in_(keys.scalar_subquery()))).rowcount, n_deliveries


def prune(db: Engine, cutoff: datetime, keep_posts: Iterable[str] = (), dry_run: bool = False,
          notice_cutoff: datetime | None = None) -> Pruned:
    """Delete (or with ``dry_run`` count) what the module's docstring says, in one transaction
    (notices dated before ``notice_cutoff``, default ``cutoff``)."""
    keep = sorted(set(keep_posts))
    publications = _old_done(cutoff)
    kept = and_(publications, P.post.in_(keep)) if keep else None
    if keep:
        publications = and_(publications, P.post.not_in(keep))
    engines = or_(E.stopped_at < to_db(cutoff), and_(E.stopped_at.is_(None), E.heartbeat_at < to_db(cutoff)))
    def count(table: Any, where: ColumnElement[bool]) -> int:
        return int(c.execute(select(func.count()).select_from(table).where(where)).scalar_one())

    with db.begin() as c:
        kept_open = count(publications_table, kept) if kept is not None else 0
        if dry_run:
            n_pub = count(publications_table, publications)
            n_eng = count(engines_table, engines)
        else:
            n_pub = c.execute(delete(publications_table).where(publications)).rowcount
            n_eng = c.execute(delete(engines_table).where(engines)).rowcount
            if c.execute(select(P.key).limit(1)).first() is None:  # emptied by Herald itself: not damage
                c.execute(delete(meta_table).where(meta_table.c.name == PUBLISHED))
        n_notices, n_deliveries = _prune_notices(c, notice_cutoff or cutoff, dry_run)
    return Pruned(publications=n_pub, engines=n_eng, kept_open=kept_open, notices=n_notices,
                  deliveries=n_deliveries)
