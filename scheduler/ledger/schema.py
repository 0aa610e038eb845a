"""The ledger's tables, its schema version and migrations, and what every value passes through on its way in.

Text columns use :class:`SafeString`/:class:`SafeText`: any Python string can be stored on
either backend.  NUL (PostgreSQL refuses it) and lone surrogates (not encodable as UTF-8)
become U+FFFD at this boundary, in values and in query parameters alike, so a lookup by a
key finds the row stored under it.  Messages (``last_error``, a pause's reason) use
:class:`Message`, which also passes them through :func:`scheduler.redaction.redact`: no
credential reaches the ledger, ``herald history`` or an export.
"""

from __future__ import annotations

import re
import weakref
from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Dialect,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

from scheduler.redaction import redact

SCHEMA_VERSION = 5  # 2: the variant column (which wording went out, for fair rotation); 3: remote_id TEXT;
# 4: an index on source (an incident page reads its own announcements, not a scan of every row);
# 5: the status page's subscribers, their notices and one delivery row per subscriber and notice

REPLACEMENT = "\ufffd"


def storable(text: str) -> str:
    """``text`` as every backend can store and every terminal can show it: NUL, lone
    surrogates and the other control characters (terminal escapes from a receiver's error
    text, say) replaced by U+FFFD (a surrogate pair becomes the character it encodes; tab,
    line feed and carriage return stay)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _UNSTORABLE.sub(REPLACEMENT, text)


# campaigns.textsafety.FORBIDDEN but carriage return (a receiver's CRLF is kept as it came)
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


class SafeString(TypeDecorator[str]):
    """VARCHAR that stores any string (see :func:`storable`)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return storable(str(value)) if value is not None else None


class SafeText(SafeString):
    """TEXT that stores any string (see :func:`storable`)."""

    impl = Text
    cache_ok = True


class Message(SafeText):
    """A stored message: any string, with every secret redacted."""

    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return redact(storable(str(value))) if value is not None else None


metadata = MetaData()
publications_table = Table(
    "herald_publications", metadata,
    Column("key", SafeString(64), primary_key=True),
    Column("source", SafeString(200), nullable=False, index=True),
    Column("post", SafeString(200), nullable=False),
    Column("network", SafeString(100), nullable=False, index=True),
    Column("kind", SafeString(40), nullable=False),
    Column("scheduled_at", DateTime, nullable=False, index=True),
    Column("state", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False, default=1),
    Column("attempts", Integer, nullable=False, default=0),
    Column("ambiguous", Boolean, nullable=False, default=False),
    Column("next_attempt_at", DateTime),
    Column("lease_owner", SafeString(200)),
    Column("lease_until", DateTime),
    Column("last_error", Message),
    Column("remote_id", SafeText),  # whatever the network answers: no length can break the ledger
    Column("remote_url", SafeText),
    Column("text", SafeText),
    Column("variant", SafeString(16)),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("sent_at", DateTime, index=True),
)
pauses_table = Table(
    "herald_pauses", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("network", SafeString(100)),  # NULL: every network
    Column("reason", Message, nullable=False, default=""),
    Column("created_at", DateTime, nullable=False),
    Column("until", DateTime),  # NULL: until `herald resume`
    Column("resumed_at", DateTime),
)
# One row per engine process (the user-facing word; see registry.py): heartbeats for `herald health`.
engines_table = Table(
    "herald_engines", metadata,
    Column("id", SafeString(200), primary_key=True),
    Column("started_at", DateTime, nullable=False),
    Column("heartbeat_at", DateTime, nullable=False),
    Column("last_fire_at", DateTime),
    Column("stopped_at", DateTime),
    Column("info", SafeText, nullable=False, default="{}"),  # built by Herald (pid, host), JSON kept intact
)
# The alert intake's memory (scheduler/ledger/alerts.py): one row per alert fingerprint.
alerts_table = Table(
    "herald_alerts", metadata,
    Column("fingerprint", SafeString(200), primary_key=True),
    Column("data", SafeText, nullable=False),  # status.alerts.Tracked as JSON
    Column("updated_at", DateTime, nullable=False),
)
# The status page's subscribers (scheduler/ledger/subscribers.py): only what sending needs.  No token
# is stored, only the SHA-256 of the pending confirmation's; links and webhook signatures are keyed
# by the signing key in the secrets store.
subscribers_table = Table(
    "herald_subscribers", metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),  # email | webhook
    Column("address", SafeString(500), nullable=False, unique=True),  # a mail address (lower case) or a URL
    Column("components", SafeText, nullable=False, default="[]"),  # JSON list; empty: every component
    Column("pending_components", SafeText),  # what the confirmation waiting for a click would set
    Column("token_hash", String(64)),  # SHA-256 (hex) of that confirmation's token
    Column("token_expires", DateTime),
    Column("created_at", DateTime, nullable=False),
    Column("confirmed_at", DateTime, index=True),  # NULL: never confirmed (gets nothing)
    Column("failures", Integer, nullable=False, default=0),  # a webhook's failed attempts in a row
    Column("disabled_at", DateTime),
    Column("last_error", Message),
)
# One row per update customers hear of (an incident update, a maintenance reminder, start or end).
notices_table = Table(
    "herald_notices", metadata,
    Column("key", String(64), primary_key=True),
    Column("source", SafeString(200), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("data", SafeText, nullable=False),  # status.notices.Notice as JSON: what every delivery says
    Column("created_at", DateTime, nullable=False, index=True),
)
# One row per subscriber and notice: claimed, then recorded, compare-and-swap on version.
deliveries_table = Table(
    "herald_deliveries", metadata,
    Column("notice", String(64), primary_key=True),
    Column("subscriber", String(32), primary_key=True, index=True),
    Column("state", String(16), nullable=False),  # pending claimed sent retrying dead skipped
    Column("version", Integer, nullable=False, default=1),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime, nullable=False, index=True),
    Column("lease_owner", SafeString(200)),
    Column("lease_until", DateTime),
    Column("last_error", Message),
    Column("updated_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
)
meta_table = Table(
    "herald_meta", metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

TABLES = frozenset(metadata.tables)
# A ledger has at least these from its first version on; the others are created when missing.
CORE_TABLES = frozenset({publications_table.name, meta_table.name})


# The ledger's high-water mark: a meta row written in the transaction that creates the first
# publication row (in a ledger an older Herald filled, by this process's first recording), removed
# only by ``herald prune`` when it leaves no publication; never written by opening the ledger (a
# command that only reads it writes nothing).  A ledger with the mark and no publication had its
# rows deleted behind Herald's back (it would send them again).
PUBLISHED = "published"


def set_published(c: Connection) -> None:
    """Write the high-water mark (in the caller's transaction), unless it is there already."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if c.dialect.name == "postgresql" else sqlite
    c.execute(dialect.insert(meta_table).values(name=PUBLISHED, value="publications recorded")
              .on_conflict_do_nothing(index_elements=[meta_table.c.name]))


def mark_if_published(c: Connection) -> None:
    """Write the high-water mark if the ledger holds publications (one an older Herald filled)."""
    if c.execute(select(publications_table.c.key).limit(1)).first() is not None:
        set_published(c)


_AUTOCOMMIT: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def autocommit(db: Engine) -> Engine:
    """``db`` with every statement its own transaction: for a read or a change that is one
    statement (no BEGIN, and no COMMIT or ROLLBACK, round trips around it)."""
    found = _AUTOCOMMIT.get(db)
    if found is None:
        found = _AUTOCOMMIT[db] = db.execution_options(isolation_level="AUTOCOMMIT")
    return found


@overload
def to_db(when: datetime) -> datetime: ...
@overload
def to_db(when: None) -> None: ...
def to_db(when: datetime | None) -> datetime | None:
    """Aware -> naive UTC, the form stored (SQLite has no time zones)."""
    return None if when is None else when.astimezone(UTC).replace(tzinfo=None)


@overload
def aware(when: datetime) -> datetime: ...
@overload
def aware(when: None) -> None: ...
def aware(when: datetime | None) -> datetime | None:
    """Naive UTC as stored -> aware UTC."""
    return None if when is None else when.replace(tzinfo=UTC)


def migrate(c: Connection, found: int) -> None:
    """Bring a ledger written by an older Herald up to SCHEMA_VERSION, in the caller's transaction."""
    columns = {col["name"] for col in inspect(c).get_columns(publications_table.name)}
    if found < 2 and "variant" not in columns:
        c.execute(sql_text("ALTER TABLE herald_publications ADD COLUMN variant VARCHAR(16)"))
    if found < 3 and c.dialect.name == "postgresql":  # SQLite never enforced the old VARCHAR(400)
        c.execute(sql_text("ALTER TABLE herald_publications ALTER COLUMN remote_id TYPE TEXT"))
    if found < 4:  # the name SQLAlchemy gives the index a new ledger gets (index=True)
        c.execute(sql_text("CREATE INDEX IF NOT EXISTS ix_herald_publications_source ON herald_publications (source)"))
    if found < 5:  # the subscribers' tables: created by create_all(checkfirst) before this runs
        metadata.create_all(c, tables=[subscribers_table, notices_table, deliveries_table], checkfirst=True)
    c.execute(update(meta_table).where(meta_table.c.name == "schema").values(value=str(SCHEMA_VERSION)))
