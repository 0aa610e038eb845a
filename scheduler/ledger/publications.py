"""The publication store: one row per publication key, its state machine, claims and history queries.

States::

    claimed   an engine holds it (lease_owner, lease_until) and is sending it
    sent      the network accepted it (remote_id)
    retrying  failed or released; next_attempt_at says when it may be claimed again
    held      a pause stopped it; `herald resume` releases or skips it
    skipped   deliberately not published (too late to matter, removed, operator)
    dead      failed for good (last_error holds the API's message)

Every state change is a compare-and-swap on the row's ``version``, so two engines, or an
engine and an operator's ``herald retry``, can never both win the same row: no
dialect-specific locking, no home-made coordination.  Each is one statement (an insert that
does nothing on a key already there, an update whose ``WHERE`` is the compare, both returning
the row) run on its own (autocommit): one round trip, where a read, a write and a read back
took a transaction each.  A claim is taken right before its send, one at a time: were claims
taken in batches, an engine that died holding one would leave every unsent claim of it to be
reconciled as if it had been on the wire.  A ``claimed`` row whose lease expired, or a
``retrying`` row marked ``ambiguous``, may have reached the network: the engine reconciles it
before sending again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from .schema import autocommit, aware, mark_if_published, publications_table, set_published, storable, to_db

P = publications_table.c


class State(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    RETRYING = "retrying"
    HELD = "held"
    SKIPPED = "skipped"
    DEAD = "dead"


TERMINAL = frozenset({State.SENT, State.SKIPPED, State.DEAD})


@dataclass(frozen=True)
class Record:
    key: str
    source: str
    post: str
    network: str
    kind: str
    scheduled_at: datetime
    state: State
    version: int
    attempts: int
    ambiguous: bool
    next_attempt_at: datetime | None
    lease_owner: str | None
    lease_until: datetime | None
    last_error: str | None
    remote_id: str | None
    remote_url: str | None
    text: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    variant: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> Record:
        m = row._mapping
        return cls(
            key=m["key"], source=m["source"], post=m["post"], network=m["network"], kind=m["kind"],
            scheduled_at=aware(m["scheduled_at"]), state=State(m["state"]), version=m["version"],
            attempts=m["attempts"], ambiguous=bool(m["ambiguous"]), next_attempt_at=aware(m["next_attempt_at"]),
            lease_owner=m["lease_owner"], lease_until=aware(m["lease_until"]), last_error=m["last_error"],
            remote_id=m["remote_id"], remote_url=m["remote_url"], text=m["text"],
            created_at=aware(m["created_at"]), updated_at=aware(m["updated_at"]), sent_at=aware(m["sent_at"]),
            variant=m["variant"],
        )

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in self.__dict__.items():
            out[name] = value.isoformat() if isinstance(value, datetime) else value
        out["state"] = str(self.state)
        return out


@dataclass(frozen=True)
class Item:
    """What the ledger needs to know about a publication to create its row."""

    key: str
    source: str
    post: str
    network: str
    kind: str
    scheduled_at: datetime
    text: str = ""
    variant: str = ""


@dataclass(frozen=True)
class Claim:
    record: Record
    ambiguous: bool  # it may already have reached the network: reconcile before sending


def _lease_expired(record: Record, now: datetime, orphaned: Callable[[str], bool] | None) -> bool:
    """A claim its engine can no longer be sending: its lease ran out, or ``orphaned`` says its
    owner is gone (asked only while the lease still runs)."""
    return record.state == State.CLAIMED and (
        (record.lease_until is not None and record.lease_until <= now)
        or (orphaned is not None and record.lease_owner is not None and orphaned(record.lease_owner)))


def _retry_due(record: Record, now: datetime) -> bool:
    """A retry whose time came (one without a time is due at once)."""
    return record.state == State.RETRYING and (record.next_attempt_at is None or record.next_attempt_at <= now)


def _new_row(item: Item, state: State, now: datetime, **values: Any) -> dict[str, Any]:
    return {
        "key": item.key, "source": item.source, "post": item.post, "network": item.network,
        "kind": item.kind, "scheduled_at": to_db(item.scheduled_at), "state": str(state), "version": 1,
        "attempts": 0, "ambiguous": False, "text": item.text or None, "variant": item.variant or None,
        "created_at": to_db(now), "updated_at": to_db(now), **values,
    }


class Publications:
    """The publication rows of a ledger's database ``db``."""

    db: Engine
    _marked = False  # the high-water mark is known to be there (written or checked by this process)

    def __init__(self, db: Engine):
        self.db = db

    @property
    def _auto(self) -> Engine:
        return autocommit(self.db)

    def _recorded(self) -> None:
        """After a change to a publication row: the ledger's high-water mark, once a process, for a
        ledger an older Herald filled (a new row writes it in its own transaction)."""
        if not self._marked:
            with self.db.begin() as c:
                mark_if_published(c)
            self._marked = True

    def _insert_new(self, rows: list[dict[str, Any]]) -> list[Record]:
        """Insert ``rows``, but those whose key is there already (left as they are), in one
        statement; the rows inserted."""
        dialect = postgresql if self.db.dialect.name == "postgresql" else sqlite
        # the rows as parameters, never in the statement: its compiled form is cached (and many rows
        # go as one statement all the same: SQLAlchemy's "insertmanyvalues")
        statement = dialect.insert(publications_table).on_conflict_do_nothing(
            index_elements=[P.key]).returning(*publications_table.c)
        with self.db.begin() as c:  # the rows and the ledger's high-water mark, together
            created = [Record.from_row(r) for r in c.execute(statement, rows if len(rows) > 1 else rows[0]).all()]
            if created:
                set_published(c)
                self._marked = True
            return created

    # -- reading ---------------------------------------------------------------------
    def get(self, key: str) -> Record | None:
        with self._auto.connect() as c:
            row = c.execute(select(publications_table).where(P.key == key)).first()
        return Record.from_row(row) if row else None

    def find(self, prefix: str) -> list[Record]:
        """Rows whose key starts with ``prefix`` (operators type a few characters)."""
        with self.db.connect() as c:
            rows = c.execute(select(publications_table).where(P.key.startswith(prefix)).limit(10)).all()
        return [Record.from_row(r) for r in rows]

    def states(self, keys: list[str]) -> dict[str, State]:
        out: dict[str, State] = {}
        with self._auto.connect() as c:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                rows = c.execute(select(P.key, P.state)
                                 .where(P.key.in_(chunk))).all()
                out.update({k: State(s) for k, s in rows})
        return out

    def sent_sources(self, prefix: str) -> frozenset[str]:
        """Sources starting with ``prefix`` of which something was published."""
        query = select(P.source).distinct().where(
            P.source.startswith(prefix), P.state == State.SENT)
        with self.db.connect() as c:
            return frozenset(s for (s,) in c.execute(query).all())

    def history(self, limit: int = 50, states: list[str] | None = None, network: str | None = None) -> list[Record]:
        query = select(publications_table).order_by(P.scheduled_at.desc(), P.key).limit(limit)
        if states:
            query = query.where(P.state.in_(states))
        if network:
            query = query.where(P.network == network)
        with self.db.connect() as c:
            return [Record.from_row(r) for r in c.execute(query).all()]

    def networks(self) -> set[str]:
        """Every account the ledger has a row for (accounts since removed from the calendar too)."""
        with self.db.connect() as c:
            return {n for (n,) in c.execute(select(P.network).distinct()).all()}

    def counts(self) -> dict[str, int]:
        with self.db.connect() as c:
            rows = c.execute(select(P.state, func.count()).group_by(P.state)).all()
        return {state: n for state, n in rows}

    def due_retries(self, until: datetime) -> list[Record]:
        """Rows an engine should (re)claim by ``until``: retrying, or claimed with an expired lease."""
        query = select(publications_table).where(or_(
            and_(P.state == State.RETRYING, P.next_attempt_at <= to_db(until)),
            and_(P.state == State.CLAIMED, P.lease_until <= to_db(until)),
        )).order_by(P.scheduled_at)
        with self._auto.connect() as c:
            return [Record.from_row(r) for r in c.execute(query).all()]

    def sent_since(self, network: str, since: datetime) -> list[datetime]:
        """When ``network`` was last sent to (claims in flight count too), oldest first."""
        query = select(func.coalesce(P.sent_at, P.updated_at)).where(
            P.network == network,
            or_(P.state == State.SENT, P.state == State.CLAIMED),
            func.coalesce(P.sent_at, P.updated_at) >= to_db(since),
        ).order_by(func.coalesce(P.sent_at, P.updated_at))
        with self._auto.connect() as c:
            return [aware(t) for (t,) in c.execute(query).all()]

    # -- state changes ----------------------------------------------------------------
    def _insert(self, item: Item, state: State, now: datetime, **values: Any) -> Record | None:
        """Create ``item``'s row; None if another engine created it first."""
        created = self._insert_new([_new_row(item, state, now, **values)])
        return created[0] if created else None

    def _swap(self, record: Record, now: datetime, **values: Any) -> Record | None:
        """Compare-and-swap: apply ``values`` only if the row is still at ``record.version``."""
        values = {k: (to_db(v) if isinstance(v, datetime) else v) for k, v in values.items()}
        values.update(version=record.version + 1, updated_at=to_db(now))
        with self._auto.connect() as c:
            row = c.execute(update(publications_table).where(
                P.key == record.key, P.version == record.version).values(**values)
                .returning(*publications_table.c)).first()
        if row is None:
            return None
        self._recorded()
        return Record.from_row(row)

    def _swap_owned(self, key: str, owner: str, now: datetime, **values: Any) -> bool:
        """Compare-and-swap on a claim: apply ``values`` only if ``key`` is still claimed by
        ``owner`` (the compare is the statement's ``WHERE``, the version moves on as any swap's)."""
        values = {k: (to_db(v) if isinstance(v, datetime) else v) for k, v in values.items()}
        values.update(version=P.version + 1, updated_at=to_db(now))
        with self._auto.connect() as c:
            row = c.execute(update(publications_table).where(
                P.key == key, P.state == str(State.CLAIMED), P.lease_owner == storable(owner))
                .values(**values).returning(P.key)).first()
        if row is None:
            return False
        self._recorded()
        return True

    def claimed(self) -> list[Record]:
        with self._auto.connect() as c:
            rows = c.execute(select(publications_table).where(P.state == State.CLAIMED)).all()
        return [Record.from_row(r) for r in rows]

    def claim(self, item: Item, owner: str, now: datetime, lease: timedelta,
              orphaned: Callable[[str], bool] | None = None, new: bool = True) -> Claim | None:
        """Take the right to send ``item`` now, or None if it is done, held, not yet due, or taken.

        ``orphaned(owner)`` may declare a claim's owner gone before its lease ends (a process
        on this host that no longer exists).  ``new``: the row is most likely not there yet (a
        publication no engine acted on), so its creation is tried first; else (a retry) its row
        is read first.  Either way the answer is the same."""
        for _ in range(5):
            if new:
                created = self._insert(item, State.CLAIMED, now, attempts=1, lease_owner=owner,
                                       lease_until=to_db(now + lease))
                if created is not None:
                    return Claim(created, ambiguous=False)
            record = self.get(item.key)
            new = record is None  # gone meanwhile (pruned): create it next time round
            if record is None:
                continue
            expired = _lease_expired(record, now, orphaned)
            due = _retry_due(record, now)
            if not (expired or due):
                return None
            claimed = self._swap(record, now, state=str(State.CLAIMED), attempts=record.attempts + 1,
                                 lease_owner=owner, lease_until=now + lease, text=item.text or record.text,
                                 variant=item.variant or record.variant,
                                 ambiguous=record.ambiguous or expired)
            if claimed is not None:
                return Claim(claimed, ambiguous=record.ambiguous or expired)
        return None

    def mark_sent(self, key: str, owner: str, now: datetime, remote_id: str | None, remote_url: str | None) -> bool:
        return self._swap_owned(
            key, owner, now, state=str(State.SENT), sent_at=now, remote_id=remote_id, remote_url=remote_url,
            lease_owner=None, lease_until=None, last_error=None, ambiguous=False, next_attempt_at=None)

    def mark_retry(self, key: str, owner: str, now: datetime, error: str, at: datetime,
                   ambiguous: bool = False) -> bool:
        more = {"ambiguous": True} if ambiguous else {}  # an ambiguous claim stays ambiguous
        return self._swap_owned(key, owner, now, state=str(State.RETRYING), next_attempt_at=at, last_error=error,
                                lease_owner=None, lease_until=None, **more)

    def release(self, key: str, owner: str, now: datetime, *, undo_attempt: bool = True) -> bool:
        """Give a claim back (shutdown, rate limit) so it is retried at once: not a failure."""
        return self._swap_owned(key, owner, now, state=str(State.RETRYING), next_attempt_at=now, lease_owner=None,
                                lease_until=None, attempts=_one_attempt_less() if undo_attempt else P.attempts)

    def postpone(self, key: str, owner: str, now: datetime, at: datetime, reason: str) -> bool:
        """Not sent yet and not a failure (e.g. the account's rate limit): try again at ``at``."""
        return self._swap_owned(key, owner, now, state=str(State.RETRYING), next_attempt_at=at, last_error=reason,
                                lease_owner=None, lease_until=None, attempts=_one_attempt_less())

    def mark_dead(self, key: str, owner: str, now: datetime, error: str) -> bool:
        return self._swap_owned(key, owner, now, state=str(State.DEAD), last_error=error, lease_owner=None,
                                lease_until=None, next_attempt_at=None)

    def settle(self, item: Item, state: State, now: datetime, reason: str) -> bool:
        """Record ``item`` as skipped or held without sending it (creating its row if needed).
        Only a row nobody holds and that is not done can be settled."""
        if state not in (State.SKIPPED, State.HELD):
            raise ValueError(state)
        for _ in range(5):
            record = self.get(item.key)
            if record is None:
                if self._insert(item, state, now, last_error=reason) is not None:
                    return True
                continue
            if record.state in TERMINAL or record.state == state:
                return False
            if record.state == State.CLAIMED and record.lease_until and record.lease_until > now:
                return False
            if self._swap(record, now, state=str(state), last_error=reason, lease_owner=None, lease_until=None,
                          next_attempt_at=None) is not None:
                return True
        return False

    # -- operators --------------------------------------------------------------------
    def operator_retry(self, key: str, now: datetime) -> Record | None:
        """Send a dead, skipped, held or retrying publication again as soon as an engine can."""
        record = self.get(key)
        if record is None or record.state in (State.SENT, State.CLAIMED):
            return None
        # The operator checked: whatever was ambiguous about earlier attempts is settled.
        return self._swap(record, now, state=str(State.RETRYING), next_attempt_at=now, ambiguous=False,
                          last_error=f"retry requested by an operator; was {record.state}: {record.last_error or ''}"
                          .rstrip(": "))

    def operator_skip(self, key: str, now: datetime, reason: str) -> Record | None:
        record = self.get(key)
        if record is None or record.state in (State.SENT, State.SKIPPED):
            return None
        if record.state == State.CLAIMED and record.lease_until and record.lease_until > now:
            return None
        return self._swap(record, now, state=str(State.SKIPPED), last_error=reason, lease_owner=None,
                          lease_until=None, next_attempt_at=None)

    def held(self, network: str | None = None) -> list[Record]:
        query = select(publications_table).where(P.state == State.HELD)
        if network:
            query = query.where(P.network == network)
        with self._auto.connect() as c:
            return [Record.from_row(r) for r in c.execute(query.order_by(P.scheduled_at)).all()]


def _one_attempt_less() -> Any:
    """The row's attempts less the one not made, never below 0 (as the row has it when the
    statement runs)."""
    return case((P.attempts > 0, P.attempts - 1), else_=0)
