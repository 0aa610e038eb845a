"""The status page's subscribers, the notices they hear of and one delivery row per subscriber and
notice (tables in :mod:`.schema`, schema 5).

A notice reaches its subscribers exactly once, on SQLite and PostgreSQL, with any number of engines:

- :meth:`Subscribers.fan_out` inserts the notice and a ``pending`` delivery for every confirmed
  subscriber of its components in one transaction, and only if the notice was not there (an
  insert that does nothing on conflict): two engines seeing the same update make one set of rows;
- :meth:`Subscribers.claim` takes a batch of due rows for one engine (a compare-and-swap of their
  state, a lease that ends); :meth:`Subscribers.record` then records each one sent, retrying,
  dead or skipped, only while the claim is still that engine's;
- a claim whose lease ended (its engine died) is due again: a row is never skipped.  The one
  delivery that was on the wire when an engine died may have arrived: it goes again with the same
  ``Message-ID`` (mail) or ``X-Herald-Delivery`` (webhook), so that its receiver can tell.

What is stored of a subscriber is what sending needs: the address, the components, when it was
confirmed, and the SHA-256 of a pending confirmation's token (never the token).  Unsubscribing
and ``herald subscribers delete`` delete the row and its deliveries.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from status.notices import Notice

from .schema import aware, deliveries_table, notices_table, subscribers_table, to_db

S, N, D = subscribers_table.c, notices_table.c, deliveries_table.c


class DeliveryState(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    RETRYING = "retrying"
    DEAD = "dead"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Subscriber:
    id: str
    kind: str  # email | webhook
    address: str
    components: tuple[str, ...]
    created_at: datetime
    confirmed_at: datetime | None
    failures: int = 0
    disabled_at: datetime | None = None
    last_error: str | None = None

    @classmethod
    def from_row(cls, m: Any) -> Subscriber:
        return cls(m["id"], m["kind"], m["address"], tuple(json.loads(m["components"] or "[]")),
                   aware(m["created_at"]), aware(m["confirmed_at"]), m["failures"], aware(m["disabled_at"]),
                   m["last_error"])

    def as_json(self) -> dict[str, Any]:
        """What ``herald subscribers export`` gives of it: everything the ledger holds, no token."""
        return {"id": self.id, "kind": self.kind, "address": self.address, "components": list(self.components),
                "created_at": self.created_at.isoformat(),
                "confirmed_at": self.confirmed_at.isoformat() if self.confirmed_at else None,
                "failures": self.failures, "disabled_at": self.disabled_at.isoformat() if self.disabled_at else None,
                "last_error": self.last_error}


@dataclass(frozen=True)
class Delivery:
    """A claimed row, with what sending it needs."""

    notice: Notice
    subscriber: Subscriber
    owner: str  # the claim's owner (the engine and the batch)
    attempts: int
    ambiguous: bool  # it was claimed before, by an engine that did not record it: it may have arrived


_SUBSCRIBER_COLUMNS = (S.id, S.kind, S.address, S.components, S.created_at, S.confirmed_at, S.failures,
                       S.disabled_at, S.last_error)


def _insert(c: Connection, table: Any) -> Any:
    """An INSERT that does nothing when the row exists (both dialects)."""
    dialect = postgresql if c.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


class Subscribers:
    """The subscriber rows, notices and deliveries of a ledger's database ``db``."""

    def __init__(self, db: Engine):
        self.db = db

    # -- subscribing -----------------------------------------------------------------------
    def request(self, kind: str, address: str, components: Iterable[str], token_hash: str, expires: datetime,
                now: datetime) -> None:
        """A confirmation is waiting for ``address`` (new, or one changing its components): the
        link with the token whose hash is ``token_hash`` confirms it until ``expires``."""
        pending = {"pending_components": json.dumps(sorted(set(components))), "token_hash": token_hash,
                   "token_expires": to_db(expires)}
        for _ in range(2):  # a second request for a new address at the same moment: update it instead
            with self.db.begin() as c:
                if c.execute(update(subscribers_table).where(S.address == address).values(**pending)).rowcount:
                    return
                try:
                    with c.begin_nested():
                        c.execute(insert(subscribers_table).values(
                            id=secrets.token_hex(16), kind=kind, address=address, components="[]",
                            created_at=to_db(now), failures=0, **pending))
                    return
                except IntegrityError:
                    continue

    def confirm(self, token_hash: str, now: datetime) -> Subscriber | None:
        """Confirm the request whose token has ``token_hash`` if it has not expired; the token
        is forgotten (a link works once)."""
        with self.db.begin() as c:
            row = c.execute(select(S.id, S.pending_components).where(
                S.token_hash == token_hash, S.token_expires > to_db(now))).first()
            if row is None:
                return None
            c.execute(update(subscribers_table).where(S.id == row.id, S.token_hash == token_hash).values(
                components=row.pending_components or "[]", pending_components=None, token_hash=None,
                token_expires=None, confirmed_at=func.coalesce(S.confirmed_at, to_db(now)), disabled_at=None,
                failures=0))
        return self.get(row.id)

    def add_confirmed(self, kind: str, address: str, components: Iterable[str], now: datetime) -> Subscriber:
        """A subscriber an operator adds (a webhook): confirmed at once."""
        ident = secrets.token_hex(16)
        with self.db.begin() as c:
            c.execute(insert(subscribers_table).values(
                id=ident, kind=kind, address=address, components=json.dumps(sorted(set(components))),
                created_at=to_db(now), confirmed_at=to_db(now), failures=0))
        found = self.get(ident)
        assert found is not None
        return found

    def get(self, ident: str) -> Subscriber | None:
        with self.db.connect() as c:
            row = c.execute(select(*_SUBSCRIBER_COLUMNS).where(S.id == ident)).first()
        return Subscriber.from_row(row._mapping) if row else None

    def find(self, who: str) -> list[Subscriber]:
        """Subscribers whose id or address is ``who`` (an address in any case)."""
        with self.db.connect() as c:
            rows = c.execute(select(*_SUBSCRIBER_COLUMNS).where(
                or_(S.id == who, S.address == who, S.address == who.strip().lower()))).all()
        return [Subscriber.from_row(r._mapping) for r in rows]

    def all(self, confirmed_only: bool = False) -> list[Subscriber]:
        query = select(*_SUBSCRIBER_COLUMNS).order_by(S.created_at, S.id)
        if confirmed_only:
            query = query.where(S.confirmed_at.is_not(None))
        with self.db.connect() as c:
            return [Subscriber.from_row(r._mapping) for r in c.execute(query).all()]

    def delete(self, ident: str) -> bool:
        """Forget a subscriber and its deliveries (unsubscribing; a data-protection request)."""
        with self.db.begin() as c:
            c.execute(delete(deliveries_table).where(D.subscriber == ident))
            return bool(c.execute(delete(subscribers_table).where(S.id == ident)).rowcount)

    def forget_unconfirmed(self, now: datetime) -> int:
        """Delete the requests never confirmed whose link has expired: an address nobody
        confirmed is not kept."""
        with self.db.begin() as c:
            return c.execute(delete(subscribers_table).where(
                S.confirmed_at.is_(None), S.token_expires <= to_db(now))).rowcount

    # -- notices ---------------------------------------------------------------------------
    def known(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        with self.db.connect() as c:
            return {k for (k,) in c.execute(select(N.key).where(N.key.in_(keys))).all()} if keys else set()

    def fan_out(self, notice: Notice, now: datetime) -> int | None:
        """Store ``notice`` and a pending delivery for each confirmed, enabled subscriber it
        concerns, in one transaction; None if the notice was stored already (by any engine)."""
        with self.db.begin() as c:
            added = c.execute(_insert(c, notices_table).values(
                key=notice.key, source=notice.source, at=to_db(notice.at), data=json.dumps(notice.to_dict()),
                created_at=to_db(now)).returning(N.key)).first()  # (rowcount is -1 on psycopg here)
            if added is None:
                return None
            rows = c.execute(select(S.id, S.components).where(
                S.confirmed_at.is_not(None), S.disabled_at.is_(None))).all()
            wanted = [r.id for r in rows if notice.concerns(tuple(json.loads(r.components or "[]")))]
            stamp = to_db(now)
            for start in range(0, len(wanted), 1000):
                c.execute(insert(deliveries_table), [
                    {"notice": notice.key, "subscriber": ident, "state": DeliveryState.PENDING, "version": 1,
                     "attempts": 0, "next_attempt_at": stamp, "updated_at": stamp}
                    for ident in wanted[start:start + 1000]])
        return len(wanted)

    # -- deliveries ------------------------------------------------------------------------
    def claim(self, engine: str, now: datetime, lease: timedelta, limit: int) -> list[Delivery]:
        """Up to ``limit`` due deliveries, claimed for ``engine`` until ``now + lease``: pending or
        retrying ones whose time has come, and claims whose lease ended (their engine died)."""
        owner = f"{engine}#{secrets.token_hex(4)}"
        due = or_(and_(D.state.in_([DeliveryState.PENDING, DeliveryState.RETRYING]),
                       D.next_attempt_at <= to_db(now)),
                  and_(D.state == DeliveryState.CLAIMED, D.lease_until <= to_db(now)))
        with self.db.begin() as c:
            rows = c.execute(select(D.notice, D.subscriber, D.version, D.state).where(due)
                             .order_by(D.next_attempt_at, D.notice, D.subscriber).limit(limit)).all()
            won = []
            for row in rows:  # compare-and-swap: another engine's claim of the same row wins once
                if c.execute(update(deliveries_table).where(
                        D.notice == row.notice, D.subscriber == row.subscriber, D.version == row.version).values(
                        state=DeliveryState.CLAIMED, version=row.version + 1, lease_owner=owner,
                        lease_until=to_db(now + lease), updated_at=to_db(now))).rowcount:
                    won.append((row.notice, row.subscriber, row.state == DeliveryState.CLAIMED))
        return self._deliveries(won, owner)

    def _deliveries(self, won: list[tuple[str, str, bool]], owner: str) -> list[Delivery]:
        if not won:
            return []
        with self.db.connect() as c:
            notices = {r.key: Notice.from_dict(json.loads(r.data)) for r in c.execute(
                select(N.key, N.data).where(N.key.in_({n for n, _, _ in won}))).all()}
            people = {r.id: Subscriber.from_row(r._mapping) for r in c.execute(
                select(*_SUBSCRIBER_COLUMNS).where(S.id.in_({s for _, s, _ in won}))).all()}
            attempts = {(r.notice, r.subscriber): r.attempts for r in c.execute(
                select(D.notice, D.subscriber, D.attempts).where(D.lease_owner == owner)).all()}
        return [Delivery(notices[n], people[s], owner, attempts.get((n, s), 0), ambiguous)
                for n, s, ambiguous in won if n in notices and s in people]

    def record(self, delivery: Delivery, state: DeliveryState, now: datetime, *, error: str | None = None,
               retry_at: datetime | None = None) -> bool:
        """Record a claimed delivery's end (or its next attempt), if the claim is still ours."""
        values: dict[str, Any] = {"state": state, "version": D.version + 1, "lease_owner": None, "lease_until": None,
                                  "updated_at": to_db(now), "last_error": error}
        if state == DeliveryState.SENT:
            values["sent_at"] = to_db(now)
        if state in (DeliveryState.RETRYING, DeliveryState.DEAD):
            values["attempts"] = D.attempts + 1
        if retry_at is not None:
            values["next_attempt_at"] = to_db(retry_at)
        with self.db.begin() as c:
            return bool(c.execute(update(deliveries_table).where(
                D.notice == delivery.notice.key, D.subscriber == delivery.subscriber.id,
                D.state == DeliveryState.CLAIMED, D.lease_owner == delivery.owner).values(**values)).rowcount)

    def release(self, deliveries: Iterable[Delivery], now: datetime) -> None:
        """Give back claims never tried (a stop): due again at once, for any engine."""
        for delivery in deliveries:
            self.record(delivery, DeliveryState.PENDING, now, retry_at=now)

    def counts(self) -> dict[str, int]:
        with self.db.connect() as c:
            return dict(c.execute(select(D.state, func.count()).group_by(D.state)).all())

    def sent_to(self, ident: str) -> list[str]:
        """The notices sent to a subscriber (their keys), oldest first."""
        with self.db.connect() as c:
            return [k for (k,) in c.execute(select(D.notice).where(
                D.subscriber == ident, D.state == DeliveryState.SENT).order_by(D.sent_at)).all()]

    # -- a webhook's health ----------------------------------------------------------------
    def failed(self, ident: str, error: str, disable_after: int, now: datetime) -> bool:
        """Count a webhook's failure; True when this one disables it."""
        with self.db.begin() as c:
            c.execute(update(subscribers_table).where(S.id == ident).values(
                failures=S.failures + 1, last_error=error))
            return bool(c.execute(update(subscribers_table).where(
                S.id == ident, S.failures >= disable_after, S.disabled_at.is_(None)).values(
                disabled_at=to_db(now))).rowcount)

    def succeeded(self, ident: str) -> None:
        with self.db.begin() as c:
            c.execute(update(subscribers_table).where(S.id == ident, S.failures > 0).values(failures=0))

    def disabled(self) -> list[Subscriber]:
        with self.db.connect() as c:
            return [Subscriber.from_row(r._mapping) for r in c.execute(
                select(*_SUBSCRIBER_COLUMNS).where(S.disabled_at.is_not(None)).order_by(S.disabled_at)).all()]
