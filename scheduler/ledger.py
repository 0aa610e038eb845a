"""The ledger: the durable record of every publication, keyed by its publication key.

One row per key with its state, attempts, lease, last error and the network's remote
id.  The same SQLAlchemy Core code runs on SQLite (the default: a file next to the
calendar) and PostgreSQL (several engines sharing one ledger).  Every state change is
a compare-and-swap on the row's ``version``, so two engines, or an engine and an
operator's ``herald retry``, can never both win the same row: no dialect-specific
locking, no home-made coordination.

States::

    claimed   an engine holds it (lease_owner, lease_until) and is sending it
    sent      the network accepted it (remote_id)
    retrying  failed or released; next_attempt_at says when it may be claimed again
    held      a pause stopped it; `herald resume` releases or skips it
    skipped   deliberately not published (too late to matter, removed, operator)
    dead      failed for good (last_error holds the API's message)

A ``claimed`` row whose lease expired, or a ``retrying`` row marked ``ambiguous``,
may have reached the network: the engine reconciles it before sending again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    event,
    func,
    insert,
    inspect,
    or_,
    select,
    update,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from campaigns.plan import VariantHistory

SCHEMA_VERSION = 2  # 2: the variant column (which wording went out, for fair rotation)


class State(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    RETRYING = "retrying"
    HELD = "held"
    SKIPPED = "skipped"
    DEAD = "dead"


TERMINAL = frozenset({State.SENT, State.SKIPPED, State.DEAD})

metadata = MetaData()
publications = Table(
    "herald_publications", metadata,
    Column("key", String(64), primary_key=True),
    Column("source", String(200), nullable=False),
    Column("post", String(200), nullable=False),
    Column("network", String(100), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("scheduled_at", DateTime, nullable=False, index=True),
    Column("state", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False, default=1),
    Column("attempts", Integer, nullable=False, default=0),
    Column("ambiguous", Boolean, nullable=False, default=False),
    Column("next_attempt_at", DateTime),
    Column("lease_owner", String(200)),
    Column("lease_until", DateTime),
    Column("last_error", Text),
    Column("remote_id", String(400)),
    Column("remote_url", Text),
    Column("text", Text),
    Column("variant", String(16)),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("sent_at", DateTime, index=True),
)
pauses = Table(
    "herald_pauses", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("network", String(100)),  # NULL: every network
    Column("reason", Text, nullable=False, default=""),
    Column("created_at", DateTime, nullable=False),
    Column("until", DateTime),  # NULL: until `herald resume`
    Column("resumed_at", DateTime),
)
engines = Table(
    "herald_engines", metadata,
    Column("id", String(200), primary_key=True),
    Column("started_at", DateTime, nullable=False),
    Column("heartbeat_at", DateTime, nullable=False),
    Column("last_fire_at", DateTime),
    Column("stopped_at", DateTime),
    Column("info", Text, nullable=False, default="{}"),
)
meta_table = Table(
    "herald_meta", metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)


def _db(when: datetime | None) -> datetime | None:
    """Aware -> naive UTC, the form stored (SQLite has no time zones)."""
    return None if when is None else when.astimezone(UTC).replace(tzinfo=None)


def _aware(when: datetime | None) -> datetime | None:
    return None if when is None else when.replace(tzinfo=UTC)


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
            scheduled_at=_aware(m["scheduled_at"]), state=State(m["state"]), version=m["version"],
            attempts=m["attempts"], ambiguous=bool(m["ambiguous"]), next_attempt_at=_aware(m["next_attempt_at"]),
            lease_owner=m["lease_owner"], lease_until=_aware(m["lease_until"]), last_error=m["last_error"],
            remote_id=m["remote_id"], remote_url=m["remote_url"], text=m["text"],
            created_at=_aware(m["created_at"]), updated_at=_aware(m["updated_at"]), sent_at=_aware(m["sent_at"]),
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


@dataclass(frozen=True)
class Pause:
    id: int
    network: str | None
    reason: str
    created_at: datetime
    until: datetime | None

    def covers(self, network: str, now: datetime) -> bool:
        return (self.network is None or self.network == network) and (self.until is None or now < self.until)


class LedgerError(RuntimeError):
    """The ledger cannot be opened or used (bad URL, unreachable database)."""


def redact_url(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable database URL>"


def default_url(calendar_path: str) -> str:
    directory = os.path.join(os.path.dirname(os.path.abspath(calendar_path)), ".herald")
    return f"sqlite:///{os.path.join(directory, 'state.db')}"


def _engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except Exception:
        raise LedgerError(f"not a database URL: {url!r} (e.g. sqlite:///state.db or postgresql://host/db)") from None
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers (herald history) never block the engine
            cursor.execute("PRAGMA synchronous=FULL")  # a recorded send survives a crash, even of the machine
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(parsed, pool_pre_ping=True)


class Ledger:
    def __init__(self, url: str):
        self.url = url
        self.engine = _engine(url)
        try:
            metadata.create_all(self.engine)
            with self.engine.begin() as c:
                found = c.execute(select(meta_table.c.value).where(meta_table.c.name == "schema")).scalar()
                if found is None:
                    c.execute(insert(meta_table).values(name="schema", value=str(SCHEMA_VERSION)))
                elif int(found) > SCHEMA_VERSION:
                    raise LedgerError(f"the ledger was written by a newer Herald (schema {found}); upgrade Herald")
                elif int(found) < SCHEMA_VERSION:
                    self._migrate(c, int(found))
        except IntegrityError:
            pass  # another engine created the schema row at the same moment
        except OperationalError as exc:
            raise LedgerError(f"cannot open the ledger at {self.safe_url}: {exc.orig}") from None

    @staticmethod
    def _migrate(c: Any, found: int) -> None:
        """Bring a ledger written by an older Herald up to SCHEMA_VERSION, in the same transaction."""
        columns = {col["name"] for col in inspect(c).get_columns("herald_publications")}
        if found < 2 and "variant" not in columns:
            c.execute(sql_text("ALTER TABLE herald_publications ADD COLUMN variant VARCHAR(16)"))
        c.execute(update(meta_table).where(meta_table.c.name == "schema").values(value=str(SCHEMA_VERSION)))

    @property
    def safe_url(self) -> str:
        return redact_url(self.url)

    def close(self) -> None:
        self.engine.dispose()

    # -- reading ---------------------------------------------------------------------
    def get(self, key: str) -> Record | None:
        with self.engine.connect() as c:
            row = c.execute(select(publications).where(publications.c.key == key)).first()
        return Record.from_row(row) if row else None

    def find(self, prefix: str) -> list[Record]:
        """Rows whose key starts with ``prefix`` (operators type a few characters)."""
        with self.engine.connect() as c:
            rows = c.execute(select(publications).where(publications.c.key.startswith(prefix)).limit(10)).all()
        return [Record.from_row(r) for r in rows]

    def states(self, keys: list[str]) -> dict[str, State]:
        out: dict[str, State] = {}
        with self.engine.connect() as c:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                rows = c.execute(select(publications.c.key, publications.c.state)
                                 .where(publications.c.key.in_(chunk))).all()
                out.update({k: State(s) for k, s in rows})
        return out

    def last_activity(self) -> datetime | None:
        """When an engine last showed life: its latest heartbeat or ledger write."""
        with self.engine.connect() as c:
            beat = c.execute(select(func.max(engines.c.heartbeat_at))).scalar()
            wrote = c.execute(select(func.max(publications.c.updated_at))).scalar()
        times = [t for t in (beat, wrote) if t is not None]
        return _aware(max(times)) if times else None

    def sent_sources(self, prefix: str) -> frozenset[str]:
        """Sources starting with ``prefix`` of which something was published."""
        query = select(publications.c.source).distinct().where(
            publications.c.source.startswith(prefix), publications.c.state == State.SENT)
        with self.engine.connect() as c:
            return frozenset(s for (s,) in c.execute(query).all())

    def history(self, limit: int = 50, states: list[str] | None = None, network: str | None = None) -> list[Record]:
        query = select(publications).order_by(publications.c.scheduled_at.desc(), publications.c.key).limit(limit)
        if states:
            query = query.where(publications.c.state.in_(states))
        if network:
            query = query.where(publications.c.network == network)
        with self.engine.connect() as c:
            return [Record.from_row(r) for r in c.execute(query).all()]

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as c:
            rows = c.execute(select(publications.c.state, func.count()).group_by(publications.c.state)).all()
        return {state: n for state, n in rows}

    def due_retries(self, until: datetime) -> list[Record]:
        """Rows an engine should (re)claim by ``until``: retrying, or claimed with an expired lease."""
        query = select(publications).where(or_(
            and_(publications.c.state == State.RETRYING, publications.c.next_attempt_at <= _db(until)),
            and_(publications.c.state == State.CLAIMED, publications.c.lease_until <= _db(until)),
        )).order_by(publications.c.scheduled_at)
        with self.engine.connect() as c:
            return [Record.from_row(r) for r in c.execute(query).all()]

    def sent_since(self, network: str, since: datetime) -> list[datetime]:
        """When ``network`` was last sent to (claims in flight count too), oldest first."""
        query = select(func.coalesce(publications.c.sent_at, publications.c.updated_at)).where(
            publications.c.network == network,
            or_(publications.c.state == State.SENT, publications.c.state == State.CLAIMED),
            func.coalesce(publications.c.sent_at, publications.c.updated_at) >= _db(since),
        ).order_by(func.coalesce(publications.c.sent_at, publications.c.updated_at))
        with self.engine.connect() as c:
            return [_aware(t) for (t,) in c.execute(query).all()]

    def variant_history(self, start: datetime, end: datetime) -> VariantHistory:
        """What rotation needs: per (post, account) the wordings sent before ``start`` (how
        often, and the last), and the wording of every row scheduled in [start, end)."""
        p = publications.c
        sent = and_(p.state == State.SENT, p.variant.is_not(None), p.scheduled_at < _db(start))
        counts: dict[tuple[str, str], dict[str, int]] = {}
        last: dict[tuple[str, str], str] = {}
        latest = select(p.post, p.network, func.max(p.scheduled_at).label("at")).where(sent).group_by(
            p.post, p.network).subquery()
        with self.engine.connect() as c:
            for post, network, variant, n in c.execute(
                    select(p.post, p.network, p.variant, func.count()).where(sent).group_by(
                        p.post, p.network, p.variant)):
                counts.setdefault((post, network), {})[variant] = n
            for post, network, variant in c.execute(select(p.post, p.network, p.variant).join(latest, and_(
                    p.post == latest.c.post, p.network == latest.c.network, p.scheduled_at == latest.c.at)).where(
                    sent)):
                last[(post, network)] = variant
            chosen = dict(c.execute(select(p.key, p.variant).where(
                p.variant.is_not(None), p.scheduled_at >= _db(start), p.scheduled_at < _db(end))).all())
        return VariantHistory(counts, last, chosen)

    def sent_texts(self, network: str, since: datetime, kinds_excluded: tuple[str, ...] = ()) -> list[
            tuple[datetime, str, str]]:
        """(sent at, post, text) of what ``network`` published since ``since``, newest first."""
        p = publications.c
        query = select(p.sent_at, p.post, p.text).where(
            p.network == network, p.state == State.SENT, p.sent_at >= _db(since), p.text.is_not(None),
            p.kind.not_in(kinds_excluded)).order_by(p.sent_at.desc())
        with self.engine.connect() as c:
            return [(_aware(at), post, body) for at, post, body in c.execute(query).all()]

    # -- state changes ----------------------------------------------------------------
    def _insert(self, item: Item, state: State, now: datetime, **values: Any) -> Record | None:
        row = {
            "key": item.key, "source": item.source, "post": item.post, "network": item.network,
            "kind": item.kind, "scheduled_at": _db(item.scheduled_at), "state": str(state), "version": 1,
            "attempts": 0, "ambiguous": False, "text": item.text or None, "variant": item.variant or None,
            "created_at": _db(now), "updated_at": _db(now), **values,
        }
        try:
            with self.engine.begin() as c:
                c.execute(insert(publications).values(**row))
        except IntegrityError:
            return None  # another engine created it first
        return self.get(item.key)

    def _swap(self, record: Record, now: datetime, **values: Any) -> Record | None:
        """Compare-and-swap: apply ``values`` only if the row is still at ``record.version``."""
        values = {k: (_db(v) if isinstance(v, datetime) else v) for k, v in values.items()}
        values.update(version=record.version + 1, updated_at=_db(now))
        with self.engine.begin() as c:
            result = c.execute(update(publications).where(
                publications.c.key == record.key, publications.c.version == record.version).values(**values))
        return self.get(record.key) if result.rowcount == 1 else None

    def claimed(self) -> list[Record]:
        with self.engine.connect() as c:
            rows = c.execute(select(publications).where(publications.c.state == State.CLAIMED)).all()
        return [Record.from_row(r) for r in rows]

    def claim(self, item: Item, owner: str, now: datetime, lease: timedelta,
              orphaned: Callable[[str], bool] | None = None) -> Claim | None:
        """Take the right to send ``item`` now, or None if it is done, held, not yet due, or taken.

        ``orphaned(owner)`` may declare a claim's owner gone before its lease ends (a process
        on this host that no longer exists)."""
        for _ in range(5):
            record = self.get(item.key)
            if record is None:
                created = self._insert(item, State.CLAIMED, now, attempts=1, lease_owner=owner,
                                       lease_until=_db(now + lease))
                if created is not None:
                    return Claim(created, ambiguous=False)
                continue
            expired = record.state == State.CLAIMED and (
                (record.lease_until is not None and record.lease_until <= now)
                or (orphaned is not None and record.lease_owner is not None and orphaned(record.lease_owner)))
            due = record.state == State.RETRYING and (record.next_attempt_at is None or record.next_attempt_at <= now)
            if not (expired or due):
                return None
            claimed = self._swap(record, now, state=str(State.CLAIMED), attempts=record.attempts + 1,
                                 lease_owner=owner, lease_until=now + lease, text=item.text or record.text,
                                 variant=item.variant or record.variant,
                                 ambiguous=record.ambiguous or expired)
            if claimed is not None:
                return Claim(claimed, ambiguous=record.ambiguous or expired)
        return None

    def _owned(self, key: str, owner: str) -> Record | None:
        record = self.get(key)
        if record is None or record.state != State.CLAIMED or record.lease_owner != owner:
            return None
        return record

    def mark_sent(self, key: str, owner: str, now: datetime, remote_id: str | None, remote_url: str | None) -> bool:
        record = self._owned(key, owner)
        return record is not None and self._swap(
            record, now, state=str(State.SENT), sent_at=now, remote_id=remote_id, remote_url=remote_url,
            lease_owner=None, lease_until=None, last_error=None, ambiguous=False, next_attempt_at=None) is not None

    def mark_retry(self, key: str, owner: str, now: datetime, error: str, at: datetime,
                   ambiguous: bool = False) -> bool:
        record = self._owned(key, owner)
        return record is not None and self._swap(
            record, now, state=str(State.RETRYING), next_attempt_at=at, last_error=error,
            lease_owner=None, lease_until=None, ambiguous=record.ambiguous or ambiguous) is not None

    def release(self, key: str, owner: str, now: datetime, *, undo_attempt: bool = True) -> bool:
        """Give a claim back (shutdown, rate limit) so it is retried at once: not a failure."""
        record = self._owned(key, owner)
        return record is not None and self._swap(
            record, now, state=str(State.RETRYING), next_attempt_at=now, lease_owner=None, lease_until=None,
            attempts=max(0, record.attempts - 1) if undo_attempt else record.attempts) is not None

    def postpone(self, key: str, owner: str, now: datetime, at: datetime, reason: str) -> bool:
        """Not sent yet and not a failure (e.g. the account's rate limit): try again at ``at``."""
        record = self._owned(key, owner)
        return record is not None and self._swap(
            record, now, state=str(State.RETRYING), next_attempt_at=at, last_error=reason,
            lease_owner=None, lease_until=None, attempts=max(0, record.attempts - 1)) is not None

    def mark_dead(self, key: str, owner: str, now: datetime, error: str) -> bool:
        record = self._owned(key, owner)
        return record is not None and self._swap(
            record, now, state=str(State.DEAD), last_error=error, lease_owner=None, lease_until=None,
            next_attempt_at=None) is not None

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
        query = select(publications).where(publications.c.state == State.HELD)
        if network:
            query = query.where(publications.c.network == network)
        with self.engine.connect() as c:
            return [Record.from_row(r) for r in c.execute(query.order_by(publications.c.scheduled_at)).all()]

    # -- pauses -------------------------------------------------------------------------
    def pause(self, now: datetime, network: str | None, until: datetime | None, reason: str) -> Pause:
        with self.engine.begin() as c:
            result = c.execute(insert(pauses).values(network=network, reason=reason, created_at=_db(now),
                                                     until=_db(until)))
            pause_id = result.inserted_primary_key[0]
        return Pause(pause_id, network, reason, now, until)

    def active_pauses(self, now: datetime) -> list[Pause]:
        query = select(pauses).where(pauses.c.resumed_at.is_(None),
                                     or_(pauses.c.until.is_(None), pauses.c.until > _db(now)))
        with self.engine.connect() as c:
            rows = c.execute(query.order_by(pauses.c.id)).all()
        return [Pause(r.id, r.network, r.reason, _aware(r.created_at), _aware(r.until)) for r in rows]

    def resume(self, now: datetime, network: str | None) -> list[Pause]:
        """End the active pauses for ``network`` (None: every pause)."""
        ended = [p for p in self.active_pauses(now) if network is None or p.network == network]
        if ended:
            with self.engine.begin() as c:
                c.execute(update(pauses).where(pauses.c.id.in_([p.id for p in ended])).values(resumed_at=_db(now)))
        return ended

    # -- heartbeats ----------------------------------------------------------------------
    def beat(self, engine_id: str, now: datetime, info: dict[str, Any], fired: bool = False,
             started: bool = False, stopped: bool = False) -> None:
        values: dict[str, Any] = {"heartbeat_at": _db(now), "info": json.dumps(info, default=str)}
        if fired:
            values["last_fire_at"] = _db(now)
        if stopped:
            values["stopped_at"] = _db(now)
        with self.engine.begin() as c:
            if started:
                c.execute(insert(engines).values(id=engine_id, started_at=_db(now), **values))
            else:
                c.execute(update(engines).where(engines.c.id == engine_id).values(**values))

    def engines(self) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            rows = c.execute(select(engines).order_by(engines.c.heartbeat_at.desc()).limit(20)).all()
        return [{
            "id": r.id, "started_at": _aware(r.started_at), "heartbeat_at": _aware(r.heartbeat_at),
            "last_fire_at": _aware(r.last_fire_at), "stopped_at": _aware(r.stopped_at), "info": json.loads(r.info),
        } for r in rows]
