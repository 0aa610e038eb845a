"""Opening the ledger's database: never a silent fresh start.

A ledger that existed and is now empty, gone, damaged or missing its tables would make
Herald believe nothing was ever sent, and it would send again everything due in its
catch-up window.  So opening one stops with a :class:`BrokenLedger` naming the file and
what to do (restore it from a backup, or start over explicitly), unless the caller passes
``start_over=True`` (``herald run --new-ledger``): the broken file is then moved aside as
``<name>.broken-<UTC time>`` (with its ``-wal``/``-shm``, so SQLite can still read it) and a
new ledger is created.

SQLite (the default, ``.herald/state.db`` beside the calendar):

- Creation is atomic and race-free: under an exclusive file lock (``<name>.lock``) the
  schema is built in a temporary file created mode 0600 and renamed into place, then a
  marker (``<name>.marker``) records that the ledger exists.  Several processes opening a
  new ledger at once all succeed; a ``state.db`` that exists is always complete.
- A missing ``state.db`` with its marker, or with a write-ahead log left behind, was
  deleted; a 0-byte one was emptied; one without SQLite's header or that SQLite cannot read
  is damaged; one without Herald's tables is not (or no longer) a ledger.
- The file, its ``-wal`` and ``-shm`` are 0600 (older ledgers are tightened on open); the
  folder is created 0700, and a ``.herald`` folder readable by others is tightened.

On any backend, a ledger that recorded publications and has none now was emptied by hand
(``herald prune`` removes the high-water mark, ``herald_meta``'s ``published`` row, when it
empties it; the row is written in the transaction that creates the first publication, or by the
first recording of a ledger an older Herald filled: opening a ledger never writes it).

PostgreSQL: the schema is checked and created inside one transaction holding an advisory
lock, so engines starting together on an empty database all succeed; a database with some
of Herald's tables but not the core ones is refused the same way.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from filelock import FileLock, Timeout
from sqlalchemy import Connection, create_engine, event, insert, inspect, select
from sqlalchemy import text as sql_text
from sqlalchemy.engine import URL, Engine, ExceptionContext, make_url
from sqlalchemy.exc import IntegrityError, ProgrammingError, SQLAlchemyError

from campaigns.extras import POSTGRES
from scheduler import files, redaction

from ..errors import BrokenLedger, LedgerError
from .schema import (
    CORE_TABLES,
    PUBLISHED,
    SCHEMA_VERSION,
    TABLES,
    meta_table,
    metadata,
    migrate,
    publications_table,
)

log = logging.getLogger("herald.ledger")

SQLITE_HEADER = b"SQLite format 3\x00"
ADVISORY_LOCK = 0x48455241  # "HERA": one number every Herald takes while it sets the schema up
LOCK_TIMEOUT = 60.0  # seconds to wait for another process setting the same ledger up


@dataclass(frozen=True)
class Timeouts:
    """How long a ledger's database may keep a caller waiting (seconds): a database that accepts
    connections and never answers must not hang a process forever.

    - ``connect``: PostgreSQL's ``connect_timeout`` (the whole start-up, authentication included);
    - ``statement``: PostgreSQL's ``statement_timeout`` (and ``lock_timeout``), SQLite's busy timeout;
    - ``pool``: waiting for a free connection of the pool.
    """

    connect: float = 10.0
    statement: float = 60.0
    pool: float = 10.0


ENGINE_TIMEOUTS = Timeouts()  # an engine: a prune or the schema set-up may take a while
WEB_TIMEOUTS = Timeouts(connect=3.0, statement=5.0, pool=5.0)  # a web server answers in seconds or not at all


# What SQLite says of a damaged file, whenever it finds out
DAMAGE = ("database disk image is malformed", "file is not a database", "database corruption")


def redact_url(url: str) -> str:
    """A database URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable database URL>"


def default_url(calendar_path: str) -> str:
    directory = os.path.join(os.path.dirname(os.path.abspath(calendar_path)), ".herald")
    return f"sqlite:///{os.path.join(directory, 'state.db')}"


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite ledger URL (None: not SQLite, or in memory)."""
    parsed = _parse(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return None
    return os.path.abspath(parsed.database)


def open_database(url: str, *, start_over: bool = False, timeouts: Timeouts = ENGINE_TIMEOUTS) -> Engine:
    """An SQLAlchemy engine on a ledger whose schema is complete and current.

    :raises BrokenLedger: the ledger existed and is empty, gone, damaged or missing tables
    :raises LedgerError: a bad URL, an unreachable database, a ledger written by a newer Herald
    """
    parsed = _parse(url)
    redaction.register(parsed.password if isinstance(parsed.password, str) else None)
    path = sqlite_path(url)
    if path is not None:
        return _naming_errors(_open_sqlite_file(path, parsed, start_over, timeouts), path)
    where = redact_url(url)
    if parsed.drivername.startswith("sqlite"):  # in memory
        db = _sqlite_engine(parsed, timeouts)
        _guarded(where, lambda: _set_up(db, where, empty_is_new=True))
        return _naming_errors(db, where)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername == "postgresql+psycopg":
        POSTGRES.require(f"the PostgreSQL ledger {where}")  # else SQLAlchemy's ImportError, as a traceback
    db = create_engine(parsed, pool_pre_ping=True, pool_timeout=timeouts.pool,
                       connect_args=postgresql_connect_args(timeouts))
    postgresql_session_timeouts(db, timeouts)
    _guarded(where, lambda: _set_up_postgresql(db, where, start_over))
    return _naming_errors(db, where)


def _naming_errors(db: Engine, where: str) -> Engine:
    """From now on a database error is a LedgerError naming the ledger (an integrity error stays
    itself: it is how the store learns another engine created a row first)."""

    @event.listens_for(db, "handle_error")
    def _name_the_ledger(context: ExceptionContext) -> None:
        if context.is_pre_ping or isinstance(context.sqlalchemy_exception, IntegrityError):
            return
        detail = first_line(redaction.redact(str(context.original_exception)))
        if any(sign in detail for sign in DAMAGE):  # a damaged file: say what to do about it
            raise BrokenLedger(where, f"is damaged ({detail})") from context.sqlalchemy_exception
        raise LedgerError(f"the ledger {where}: {detail}") from context.sqlalchemy_exception

    return db


def first_line(text: str) -> str:
    """A driver's message on one line: libpq adds a hint on a second ("Is the server running on
    that host…"), and an error is one line."""
    lines = text.strip().splitlines()
    return lines[0].strip() if lines else ""


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except Exception:
        raise LedgerError(f"not a database URL: {redact_url(url)} "
                          "(e.g. sqlite:///state.db or postgresql://host/db)") from None


def _guarded(where: str, action: Any) -> Any:
    """Run ``action``; a database or file error becomes a LedgerError naming the ledger."""
    try:
        return action()
    except LedgerError:
        raise
    except SQLAlchemyError as exc:
        detail = getattr(exc, "orig", None) or exc
        raise LedgerError(f"cannot open the ledger {where}: {first_line(redaction.redact(str(detail)))}") from None
    except OSError as exc:
        raise LedgerError(f"cannot open the ledger {where}: {exc.strerror or exc}"
                          + (f": {exc.filename}" if exc.filename else "")) from None


def postgresql_connect_args(timeouts: Timeouts) -> dict[str, Any]:
    """libpq's connect timeout (whole seconds, at least 2 as libpq wants).  No ``options``
    start-up parameter: it would replace the URL's own ``?options=`` (a search_path) and
    PGOPTIONS, and PgBouncer in transaction mode refuses it; the statement and lock timeouts are
    SET on each new connection instead (:func:`postgresql_session_timeouts`)."""
    return {"connect_timeout": max(2, int(round(timeouts.connect)))}


def postgresql_session_timeouts(db: Engine, timeouts: Timeouts) -> None:
    """SET the session's statement and lock timeouts (milliseconds) on each new connection of
    ``db``, committed at once so that no later rollback undoes them."""
    ms = int(timeouts.statement * 1000)

    @event.listens_for(db, "connect", insert=True)
    def _timeouts(dbapi_connection: Any, _record: Any) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {ms}")
                cursor.execute(f"SET lock_timeout = {ms}")
        finally:
            dbapi_connection.autocommit = autocommit


def _sqlite_engine(parsed: URL, timeouts: Timeouts = ENGINE_TIMEOUTS) -> Engine:
    busy = min(timeouts.statement, 30.0)  # an engine waits for another writer up to 30 s, as before
    kwargs: dict[str, Any] = {"connect_args": {"timeout": busy}}
    if parsed.database and parsed.database != ":memory:":
        kwargs["pool_timeout"] = timeouts.pool
    db = create_engine(parsed, **kwargs)

    @event.listens_for(db, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers (herald history) never block the engine
        cursor.execute("PRAGMA synchronous=FULL")  # a recorded send survives a crash, even of the machine
        cursor.execute(f"PRAGMA busy_timeout={int(busy * 1000)}")
        cursor.close()

    return db


# -- the schema, on any backend --------------------------------------------------------
def _set_up(db: Engine, where: str, *, empty_is_new: bool, before: Any = None) -> None:
    """Check the schema and create or migrate it, in one transaction (``before(c)`` runs first:
    PostgreSQL takes its advisory lock there)."""
    with db.begin() as c:
        if before is not None:
            before(c)
        _set_up_schema(c, where, empty_is_new=empty_is_new)


def _set_up_schema(c: Connection, where: str, *, empty_is_new: bool) -> None:
    present = set(inspect(c).get_table_names()) & TABLES
    if not present:
        if not empty_is_new:
            raise BrokenLedger(where, "has none of Herald's tables (not a Herald ledger, or its tables were dropped)")
        metadata.create_all(c)
        c.execute(insert(meta_table).values(name="schema", value=str(SCHEMA_VERSION)))
        c.execute(insert(meta_table).values(name="created_at", value=datetime.now(UTC).isoformat()))
        return
    missing = CORE_TABLES - present
    if missing:
        raise BrokenLedger(where, f"is missing its tables ({', '.join(sorted(missing))})")
    metadata.create_all(c, checkfirst=True)  # tables later versions added
    found = c.execute(select(meta_table.c.value).where(meta_table.c.name == "schema")).scalar()
    if found is None or not str(found).isdigit():
        raise BrokenLedger(where, "has no schema version (its herald_meta table was emptied)")
    if int(found) > SCHEMA_VERSION:
        raise LedgerError(f"the ledger {where} was written by a newer Herald (schema {found}; this one knows "
                          f"{SCHEMA_VERSION}): upgrade Herald")
    if int(found) < SCHEMA_VERSION:
        log.info("ledger %s: migrating schema %s to %s", where, found, SCHEMA_VERSION)
        migrate(c, int(found))
    _check_high_water(c, where)


def _check_high_water(c: Connection, where: str) -> None:
    """A ledger that recorded publications and has none now had them deleted (by hand, not by
    ``herald prune``, which removes the mark when it empties the table): refused.  Only read: a
    ledger with publications and no mark (older than the mark) gets it from its next recording
    (:meth:`Publications._recorded`), not from a command that only reads it."""
    marked = c.execute(select(meta_table.c.value).where(meta_table.c.name == PUBLISHED)).first() is not None
    if marked and c.execute(select(publications_table.c.key).limit(1)).first() is None:
        raise BrokenLedger(where, "had publications and now has none (its herald_publications rows were deleted, "
                                  "not by herald prune)")


# -- PostgreSQL -------------------------------------------------------------------------
def _set_up_postgresql(db: Engine, where: str, start_over: bool) -> None:
    def lock(c: Connection) -> None:
        c.execute(sql_text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})

    try:
        for attempt in range(3):
            try:
                _set_up(db, where, empty_is_new=True, before=lock)
                break
            except (IntegrityError, ProgrammingError) as exc:
                # A Herald from before the advisory lock created the same tables at the same moment:
                # it has committed now (that is why this failed), so look again.
                if attempt == 2 or not ("already exists" in str(exc.orig) or "duplicate key" in str(exc.orig)):
                    raise
                log.info("ledger %s: created by another process at the same moment; looking again", where)
    except BrokenLedger as exc:
        if not start_over:
            raise
        aside = "herald_broken_" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ").lower()
        with db.begin() as c:  # the broken tables (and their indexes) move to a schema of their own
            lock(c)
            c.execute(sql_text(f'CREATE SCHEMA "{aside}"'))
            for name in sorted(set(inspect(c).get_table_names()) & TABLES):
                c.execute(sql_text(f'ALTER TABLE "{name}" SET SCHEMA "{aside}"'))
        log.warning("ledger %s %s: its tables were moved to the schema %s; starting a new ledger as asked "
                    "(posts due in the catch-up window may be sent again)", where, exc.problem, aside)
        _set_up(db, where, empty_is_new=True, before=lock)


# -- SQLite files ---------------------------------------------------------------------
def _companions(path: str) -> dict[str, str]:
    return {"wal": path + "-wal", "shm": path + "-shm", "marker": path + ".marker", "lock": path + ".lock"}


def _open_sqlite_file(path: str, parsed: URL, start_over: bool, timeouts: Timeouts = ENGINE_TIMEOUTS) -> Engine:
    names = _companions(path)
    folder = os.path.dirname(path)

    def prepare() -> None:
        _make_folder(folder)
        try:
            with FileLock(names["lock"], timeout=LOCK_TIMEOUT, mode=0o600):
                problem = _file_problem(path, names)
                if problem is None and os.path.exists(path):
                    problem = _table_problem(path, parsed, thorough=start_over)
                if problem is not None:
                    if not start_over:
                        raise BrokenLedger(path, problem)
                    _move_aside(path, names, problem)
                elif start_over and os.path.exists(path):
                    log.warning("the ledger %s is sound: kept (a new ledger is started only in place of a broken "
                                "one; move it away yourself to start over)", path)
                if not os.path.exists(path):
                    _create(path, parsed)
                _tighten(path, names)
                if not os.path.exists(names["marker"]):
                    _write_marker(path, names["marker"])
        except Timeout:
            raise LedgerError(f"cannot open the ledger {path}: another process has held {names['lock']} for "
                              f"{LOCK_TIMEOUT:.0f} s") from None

    _guarded(path, prepare)
    return _sqlite_engine(parsed, timeouts)


def _make_folder(folder: str) -> None:
    files.private_folder(folder)
    if os.path.basename(folder) == ".herald":  # Herald's own folder: ledger, sessions, tokens
        mode = files.narrow_mode(folder, 0o700)
        if mode is not None:
            log.info("%s was readable by others: now %o", folder, mode)


def missing_problem(path: str) -> str | None:
    """Why a SQLite ledger file that is not there is gone (its marker or write-ahead log says it
    existed), or None when it was never made: what a reader that must not create one asks."""
    return None if os.path.exists(path) else _file_problem(path, _companions(path))


def _file_problem(path: str, names: dict[str, str]) -> str | None:
    """What is wrong with the ledger file, judged from the files alone (None: nothing, or no ledger yet)."""
    if not os.path.exists(path):
        if os.path.exists(names["marker"]):
            return f"is gone (deleted or moved away; {_created(names['marker'])})"
        if os.path.exists(names["wal"]):
            return f"is gone (deleted or moved away), but its write-ahead log {names['wal']} is still there"
        return None
    if os.path.getsize(path) == 0:
        return "is empty (0 bytes)"
    with open(path, "rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            return "is damaged (not an SQLite database)"
    return None


def _created(marker: str) -> str:
    try:
        with open(marker, encoding="utf-8") as handle:
            return f"it was created {json.load(handle)['created_at']}"
    except (OSError, ValueError, KeyError, TypeError):
        return f"{marker} says it existed"


def _table_problem(path: str, parsed: URL, *, thorough: bool = False) -> str | None:
    """The file exists: what keeps it from being a readable ledger (it is migrated here if older).
    ``thorough`` (before starting over) also reads every page (SQLite's quick_check)."""
    db = _sqlite_engine(parsed)
    try:
        _set_up(db, path, empty_is_new=False)
        if thorough:
            with db.connect() as c:
                verdict = [str(row[0]) for row in c.exec_driver_sql("PRAGMA quick_check")]
            if verdict != ["ok"]:
                return f"is damaged ({'; '.join(verdict[:3])})"
    except BrokenLedger as exc:
        return exc.problem
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc)
        if "unable to open" in detail or "readonly" in detail:
            raise  # permissions, not damage: _guarded names the file
        return f"is damaged ({detail})"
    finally:
        db.dispose()
    return None


def _create(path: str, parsed: URL) -> None:
    """A complete new ledger appears at ``path`` at once: built in a 0600 temporary file, then renamed."""
    temporary = f"{path}.new-{os.getpid()}"
    files.new_private_file(temporary)
    db = create_engine(parsed.set(database=temporary))  # rollback journal: nothing left beside it after dispose
    try:
        _set_up(db, path, empty_is_new=True)
    finally:
        db.dispose()
    files.durable_rename(temporary, path)
    log.info("created a new ledger at %s", path)


def _write_marker(path: str, marker: str) -> None:
    note = {"ledger": path, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "why": "Herald keeps this file to notice if the ledger beside it disappears, and then refuses to start "
                   "over silently (it would send again what was already sent)."}
    files.write_atomic(marker, (json.dumps(note, indent=2) + "\n").encode(), mode=0o600)


def _tighten(path: str, names: dict[str, str]) -> None:
    for name in (path, names["wal"], names["shm"]):
        mode = files.narrow_mode(name, 0o600)
        if mode is not None:
            log.info("%s was readable by others: now %o", name, mode)


def _move_aside(path: str, names: dict[str, str], problem: str) -> None:
    """Start over: the broken ledger (and its -wal/-shm) moves to ``<path>.broken-<UTC time>``."""
    aside = f"{path}.broken-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    moved = [target for source, target in ((path, aside), (names["wal"], aside + "-wal"),
                                            (names["shm"], aside + "-shm")) if files.move(source, target)]
    files.remove(names["marker"])
    log.warning("the ledger %s %s: starting a new ledger as asked (%s); posts due in the catch-up window may be "
                "sent again", path, problem, f"the old one is at {', '.join(moved)}" if moved else "nothing to keep")
