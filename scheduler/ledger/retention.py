"""Retention: ``herald prune --older-than 180d`` deletes what nothing will read again.

Deleted: publications that are done (sent, skipped, dead) and last changed before the cutoff,
and engine rows that stopped (or last beat) before it.  Kept, whatever their age:

- rows not done (claimed, retrying, held): an engine still acts on them;
- ``ambiguous`` rows: an earlier attempt may have reached the network, reconciliation needs them;
- the rows of the status items still open (``keep_posts``: open incidents, maintenance not
  over): a reply is threaded under the first post's remote id, and a changed or cancelled
  maintenance is recognised by what was announced of it.

The keys of deleted rows are old enough that the planner never plans them again (its
catch-up windows are hours, not months), so nothing is sent twice for having been forgotten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, not_, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from .publications import TERMINAL
from .schema import engines_table, publications_table, to_db

P = publications_table.c
E = engines_table.c


@dataclass(frozen=True)
class Pruned:
    publications: int
    engines: int
    kept_open: int  # old done rows kept because their incident or maintenance is still open


def _old_done(cutoff: datetime) -> ColumnElement[bool]:
    return and_(P.state.in_([str(s) for s in TERMINAL]), P.updated_at < to_db(cutoff), not_(P.ambiguous))


def prune(db: Engine, cutoff: datetime, keep_posts: Iterable[str] = (), dry_run: bool = False) -> Pruned:
    """Delete (or with ``dry_run`` count) what the module's docstring says, in one transaction."""
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
    return Pruned(publications=n_pub, engines=n_eng, kept_open=kept_open)
