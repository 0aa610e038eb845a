"""The ledger: the durable record of every publication, keyed by its publication key.

The same SQLAlchemy Core code runs on SQLite (the default: a file next to the calendar)
and PostgreSQL (several engines sharing one ledger).  Its parts, each a module:

- :mod:`.opening` — opening the database: created race-free and private (0600), never a
  silent fresh start when a ledger that existed is empty, gone or damaged.
- :mod:`.schema` — the tables, the schema version and migrations; text any backend can
  store, messages redacted.
- :mod:`.publications` — the publication store: the state machine, claims, history queries.
- :mod:`.pauses` — `herald pause` / `herald resume`.
- :mod:`.registry` — the engine registry: heartbeats of running Herald processes.
- :mod:`.cluster` — several engines on one PostgreSQL: liveness and duties as advisory locks.
- :mod:`.retention` — ``herald prune``: what may be deleted, and what must stay.
- :mod:`.history` — the planner's variant history and lint's text history.

:class:`Ledger` puts them together over one database (``Ledger.db``, SQLAlchemy's engine).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from ..errors import BrokenLedger, LedgerError
from . import history
from .opening import ENGINE_TIMEOUTS, WEB_TIMEOUTS, Timeouts, default_url, open_database, redact_url, sqlite_path
from .pauses import Pause, Pauses
from .publications import TERMINAL, Claim, Item, Publications, Record, State
from .registry import EngineRegistry
from .retention import Pruned, prune
from .schema import SCHEMA_VERSION, aware, metadata, publications_table

if TYPE_CHECKING:
    from campaigns.plan import VariantHistory

__all__ = [
    "SCHEMA_VERSION", "TERMINAL", "BrokenLedger", "Claim", "EngineRegistry", "Item", "Ledger", "LedgerError",
    "Pause", "Pauses", "Pruned", "Publications", "Record", "State", "Timeouts", "WEB_TIMEOUTS", "default_url",
    "metadata", "redact_url",
]


class Ledger(Publications, Pauses, EngineRegistry):
    """A ledger opened at ``url``: its publications, pauses and engines over one database.

    :param timeouts: how long the database may keep a caller waiting (connect, statement, pool);
        ``herald serve`` passes :data:`WEB_TIMEOUTS`.
    :param start_over: in place of a ledger that existed and is now empty, gone or damaged,
        move the broken file aside and start a new one (``herald run --new-ledger``).
        Without it, such a ledger raises :class:`BrokenLedger`.
    :raises LedgerError: the ledger cannot be opened; the message names the file or the
        database (without its password) and what to do.
    """

    def __init__(self, url: str, *, start_over: bool = False, timeouts: Timeouts = ENGINE_TIMEOUTS):
        self.url = url
        self.db = open_database(url, start_over=start_over, timeouts=timeouts)
        self.path = sqlite_path(url)  # the SQLite file, or None

    @property
    def safe_url(self) -> str:
        return redact_url(self.url)

    @property
    def where(self) -> str:
        """The ledger as messages name it: its file, or its URL without the password."""
        return self.path or self.safe_url

    def close(self) -> None:
        self.db.dispose()

    def last_activity(self) -> datetime | None:
        """When an engine last showed life: its latest heartbeat or ledger write."""
        with self.db.connect() as c:
            wrote = aware(c.execute(select(func.max(publications_table.c.updated_at))).scalar())
        times = [t for t in (self.last_heartbeat(), wrote) if t is not None]
        return max(times) if times else None

    def prune(self, cutoff: datetime, keep_posts: Iterable[str] = (), dry_run: bool = False,
              notice_cutoff: datetime | None = None) -> Pruned:
        return prune(self.db, cutoff, keep_posts, dry_run, notice_cutoff)

    def variant_history(self, start: datetime, end: datetime) -> VariantHistory:
        return history.variant_history(self.db, start, end)

    def sent_texts(self, network: str, since: datetime,
                   kinds_excluded: tuple[str, ...] = ()) -> list[tuple[datetime, str, str]]:
        return history.sent_texts(self.db, network, since, kinds_excluded)
