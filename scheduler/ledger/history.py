"""What the content layer asks of the past: the planner's variant history (fair rotation of
wordings) and lint's text history (repetition checks against what went out)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Engine

from .publications import State
from .schema import publications_table, to_db

if TYPE_CHECKING:
    from campaigns.plan import VariantHistory

P = publications_table.c


def variant_history(db: Engine, start: datetime, end: datetime) -> VariantHistory:
    """What rotation needs: per (post, account) the wordings sent before ``start`` (how
    often, and the last), and the wording of every row scheduled in [start, end)."""
    from campaigns.plan import VariantHistory  # the planner's (heavy) modules only when it asks

    sent = and_(P.state == State.SENT, P.variant.is_not(None), P.scheduled_at < to_db(start))
    counts: dict[tuple[str, str], dict[str, int]] = {}
    last: dict[tuple[str, str], str] = {}
    latest = select(P.post, P.network, func.max(P.scheduled_at).label("at")).where(sent).group_by(
        P.post, P.network).subquery()
    with db.connect() as c:
        for post, network, variant, n in c.execute(
                select(P.post, P.network, P.variant, func.count()).where(sent).group_by(P.post, P.network, P.variant)):
            counts.setdefault((post, network), {})[variant] = n
        for post, network, variant in c.execute(select(P.post, P.network, P.variant).join(latest, and_(
                P.post == latest.c.post, P.network == latest.c.network, P.scheduled_at == latest.c.at)).where(sent)):
            last[(post, network)] = variant
        chosen = dict(c.execute(select(P.key, P.variant).where(
            P.variant.is_not(None), P.scheduled_at >= to_db(start), P.scheduled_at < to_db(end))).all())
    return VariantHistory(counts, last, chosen)


def sent_texts(db: Engine, network: str, since: datetime,
               kinds_excluded: tuple[str, ...] = ()) -> list[tuple[datetime, str, str]]:
    """(sent at, post, text) of what ``network`` published since ``since``, newest first."""
    query = select(P.sent_at, P.post, P.text).where(
        P.network == network, P.state == State.SENT, P.sent_at >= to_db(since), P.text.is_not(None),
        P.kind.not_in(kinds_excluded)).order_by(P.sent_at.desc())
    with db.connect() as c:
        return [(at.replace(tzinfo=UTC), post, body) for at, post, body in c.execute(query).all()]
