"""Opening the ledger: created race-free and private; a ledger that existed and is now empty,
gone, damaged or missing its tables stops Herald with the file named and what to do, never
a silent fresh start (which would send again everything due in the catch-up window)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from campaigns.errors import HeraldError
from scheduler.errors import BrokenLedger, LedgerError, RuntimeFailure
from scheduler.ledger import SCHEMA_VERSION, Item, Ledger, State

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def item(key: str = "k1") -> Item:
    return Item(key=key, source="post:p", post="p", network="site", kind="tip", scheduled_at=T0, text="hello")


def a_used_ledger(path: Path) -> str:
    """A ledger that existed and recorded a sent post; closed as an engine stopping would leave it."""
    url = f"sqlite:///{path}"
    ledger = Ledger(url)
    ledger.claim(item(), "a", T0, LEASE)
    ledger.mark_sent("k1", "a", T0, "remote-1", None)
    ledger.close()
    return url


def refusal(url: str) -> str:
    with pytest.raises(BrokenLedger) as caught:
        Ledger(url)
    return str(caught.value)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# -- never a silent fresh start ---------------------------------------------------------------
def test_an_emptied_ledger_stops_herald_naming_the_file_and_what_to_do(tmp_path: Path):
    path = tmp_path / ".herald" / "state.db"
    url = a_used_ledger(path)
    path.write_bytes(b"")
    message = refusal(url)
    assert message.startswith(f"the ledger {path} is empty (0 bytes); Herald will not start over on its own")
    assert "restore it from a backup" in message and "`herald run --new-ledger`" in message
    assert "moved aside as state.db.broken-<UTC time>" in message and "catch-up window may be sent again" in message
    assert path.stat().st_size == 0  # left as it was, for the operator to look at


def test_the_ledger_error_is_a_herald_runtime_failure_with_exit_code_3(tmp_path: Path):
    path = tmp_path / "state.db"
    url = a_used_ledger(path)
    path.write_bytes(b"")
    with pytest.raises(LedgerError) as caught:
        Ledger(url)
    assert isinstance(caught.value, RuntimeFailure) and isinstance(caught.value, HeraldError)
    assert caught.value.exit_code == 3 and caught.value.where == str(path)


def test_a_deleted_ledger_is_noticed_by_the_marker_beside_it(tmp_path: Path):
    path = tmp_path / ".herald" / "state.db"
    url = a_used_ledger(path)
    assert (tmp_path / ".herald" / "state.db.marker").exists()
    path.unlink()
    message = refusal(url)
    assert message.startswith(f"the ledger {path} is gone (deleted or moved away; it was created 20")
    assert not path.exists()  # nothing created in its place


def test_a_deleted_ledger_is_noticed_by_its_write_ahead_log(tmp_path: Path):
    path = tmp_path / "state.db"
    url = a_used_ledger(path)
    wal = tmp_path / "state.db-wal"
    wal.write_bytes(b"\x37\x7f\x06\x82" + bytes(28))  # a WAL header an engine killed mid-write left behind
    path.unlink()
    (tmp_path / "state.db.marker").unlink()  # even without the marker
    message = refusal(url)
    assert f"is gone (deleted or moved away), but its write-ahead log {wal} is still there" in message


def test_a_garbage_file_is_refused_as_damaged(tmp_path: Path):
    path = tmp_path / "state.db"
    url = a_used_ledger(path)
    path.write_bytes(b"this is not a database\n" * 100)
    assert f"the ledger {path} is damaged (not an SQLite database)" in refusal(url)


def test_a_file_with_a_sqlite_header_and_garbage_after_it_is_refused_as_damaged(tmp_path: Path):
    path = tmp_path / "state.db"
    url = a_used_ledger(path)
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    message = refusal(url)
    assert message.startswith(f"the ledger {path} is damaged (") and "--new-ledger" in message


@pytest.mark.slow
def test_a_ledger_with_damaged_data_pages_says_what_to_do_and_can_be_started_over(tmp_path: Path):
    # An intact header and schema, garbage in the data pages: opening works, reading does not.
    path = tmp_path / "state.db"
    url = f"sqlite:///{path}"
    ledger = Ledger(url)
    for n in range(300):
        key = f"k{n}"
        ledger.claim(Item(key=key, source="post:p", post="p", network="site", kind="tip", scheduled_at=T0,
                          text="x" * 200), "a", T0, LEASE)
        ledger.mark_sent(key, "a", T0, f"remote-{n}", None)
    ledger.close()
    data = bytearray(path.read_bytes())
    assert not (tmp_path / "state.db-wal").exists() and len(data) > 64 * 1024  # checkpointed: rows in the file
    data[len(data) // 3:2 * len(data) // 3] = os.urandom(len(data) // 3)  # like `dd … conv=notrunc`
    path.write_bytes(bytes(data))
    with pytest.raises(LedgerError) as caught:
        damaged = Ledger(url)
        damaged.history(limit=1000)
    assert isinstance(caught.value, BrokenLedger), caught.value
    assert str(caught.value).startswith(f"the ledger {path} is damaged (") and "--new-ledger" in str(caught.value)
    fresh = Ledger(url, start_over=True)  # quick_check finds the damage: moved aside, not "sound: kept"
    assert fresh.history() == [] and list(tmp_path.glob("state.db.broken-*"))
    fresh.close()


def test_a_ledger_missing_its_tables_is_refused(tmp_path: Path):
    path = tmp_path / "state.db"
    url = a_used_ledger(path)
    with sqlite3.connect(path) as con:
        con.execute("DROP TABLE herald_publications")
    assert f"the ledger {path} is missing its tables (herald_publications)" in refusal(url)


def test_a_sqlite_file_that_is_not_a_ledger_is_refused(tmp_path: Path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE notes (body TEXT)")
    assert "has none of Herald's tables" in refusal(f"sqlite:///{path}")
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT name FROM sqlite_master").fetchall() == [("notes",)]  # untouched


def test_a_ledger_that_cannot_be_read_names_the_file(tmp_path: Path):
    path = tmp_path / "state.db"
    path.mkdir()  # (permissions do not stop root, who runs CI: a directory in its place does)
    with pytest.raises(LedgerError) as caught:
        Ledger(f"sqlite:///{path}")
    assert str(caught.value).startswith(f"cannot open the ledger {path}: ")


def test_a_ledger_from_a_newer_herald_is_refused(tmp_path: Path):
    path = tmp_path / "state.db"
    url = a_used_ledger(path)
    with sqlite3.connect(path) as con:
        con.execute("UPDATE herald_meta SET value = ? WHERE name = 'schema'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(LedgerError) as caught:
        Ledger(url)
    assert f"the ledger {path} was written by a newer Herald (schema {SCHEMA_VERSION + 1}" in str(caught.value)


def test_a_postgresql_ledger_missing_its_tables_is_refused_without_its_password():
    from tests.conftest import _fresh_postgres_url

    url = make_url(_fresh_postgres_url()).set(password="pg-s3cret-word")  # trust auth: any password is accepted
    url_text = url.render_as_string(hide_password=False)
    Ledger(url_text).close()
    engine = create_engine(url.set(drivername="postgresql+psycopg"))
    with engine.begin() as c:
        c.execute(text("DROP TABLE herald_publications"))
    engine.dispose()
    message = refusal(url_text)
    assert "is missing its tables (herald_publications)" in message
    assert "pg-s3cret-word" not in message and ":***@" in message


def test_a_bad_url_is_refused_without_its_password():
    with pytest.raises(LedgerError) as caught:
        Ledger("postgresql://herald:s3cret-pass@[bad")
    assert "s3cret" not in str(caught.value) and caught.value.exit_code == 3


# -- starting over, explicitly ------------------------------------------------------------------
def test_start_over_moves_the_broken_file_aside_and_says_what_it_means(tmp_path: Path, caplog):
    path = tmp_path / "state.db"
    url = a_used_ledger(path)
    path.write_bytes(b"")
    with caplog.at_level(logging.WARNING, logger="herald.ledger"):
        ledger = Ledger(url, start_over=True)
    (aside,) = tmp_path.glob("state.db.broken-*")
    assert aside.name.startswith("state.db.broken-20") and aside.stat().st_size == 0
    assert ledger.get("k1") is None and ledger.claim(item(), "a", T0, LEASE) is not None
    assert "posts due in the catch-up window may be sent again" in caplog.text and str(aside) in caplog.text
    ledger.close()
    Ledger(url).close()  # the new ledger opens as any other, marker and all


@pytest.mark.slow
def test_start_over_after_a_deletion_moves_the_write_ahead_log_aside_too(tmp_path: Path):
    path = tmp_path / "state.db"
    url = a_used_ledger(path)
    (tmp_path / "state.db-wal").write_bytes(b"stale")
    path.unlink()
    ledger = Ledger(url, start_over=True)
    assert not (tmp_path / "state.db-wal").exists() or (tmp_path / "state.db-wal").read_bytes() != b"stale"
    (aside,) = tmp_path.glob("state.db.broken-*-wal")
    assert aside.read_bytes() == b"stale"
    assert ledger.counts() == {}
    ledger.close()


def test_start_over_keeps_a_sound_ledger(tmp_path: Path):
    path = tmp_path / "state.db"
    url = a_used_ledger(path)
    ledger = Ledger(url, start_over=True)
    assert ledger.get("k1").state == State.SENT and not list(tmp_path.glob("*.broken-*"))
    ledger.close()


def test_start_over_on_postgresql_moves_the_broken_tables_to_a_schema_of_their_own():
    from tests.conftest import _fresh_postgres_url

    url = _fresh_postgres_url()
    Ledger(url).close()
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as c:
        c.execute(text("DROP TABLE herald_meta"))
    ledger = Ledger(url, start_over=True)
    assert ledger.claim(item(), "a", T0, LEASE) is not None
    ledger.close()
    with engine.begin() as c:
        (aside,) = c.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'herald_broken_%'")).scalars()
        moved = set(c.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": aside}).scalars())
        c.execute(text(f'DROP SCHEMA "{aside}" CASCADE'))
    engine.dispose()
    assert moved == {"herald_publications", "herald_pauses", "herald_engines", "herald_alerts", "herald_subscribers",
                     "herald_notices", "herald_deliveries"}


# -- created right ------------------------------------------------------------------------------
def test_a_new_ledger_and_its_folder_are_private(tmp_path: Path):
    folder = tmp_path / ".herald"
    ledger = Ledger(f"sqlite:///{folder / 'state.db'}")
    ledger.claim(item(), "a", T0, LEASE)  # the -wal and -shm exist while it is open
    assert mode(folder) == 0o700
    for name in ("state.db", "state.db-wal", "state.db-shm", "state.db.marker"):
        assert mode(folder / name) == 0o600, name
    ledger.close()


def test_an_old_ledger_gains_a_marker_and_is_made_private(tmp_path: Path):
    folder = tmp_path / ".herald"
    path = folder / "state.db"
    a_used_ledger(path)
    (folder / "state.db.marker").unlink()  # as a Herald before markers left it
    os.chmod(path, 0o644)
    os.chmod(folder, 0o755)
    ledger = Ledger(f"sqlite:///{path}")
    assert ledger.get("k1").state == State.SENT
    assert (mode(path), mode(folder)) == (0o600, 0o700) and (folder / "state.db.marker").exists()
    ledger.close()


@pytest.mark.slow
def test_several_processes_creating_a_new_ledger_at_once_all_succeed(ledger_url: str):
    from tests.ledger_worker import open_and_claim

    processes = 4
    context = multiprocessing.get_context("spawn")  # fresh processes, as separate `herald` commands would be
    barrier, results = context.Barrier(processes), context.Queue()
    workers = [context.Process(target=open_and_claim, args=(ledger_url, barrier, i, results))
               for i in range(processes)]
    for worker in workers:
        worker.start()
    outcomes = dict(results.get(timeout=120) for _ in workers)
    for worker in workers:
        worker.join(30)
    assert outcomes == {i: "ok" for i in range(processes)}
    ledger = Ledger(ledger_url)
    assert ledger.counts() == {"claimed": processes}
    ledger.close()


def test_a_database_error_while_running_names_the_ledger(tmp_path: Path):
    path = tmp_path / "state.db"
    ledger = Ledger(f"sqlite:///{path}")
    with sqlite3.connect(path) as con:
        con.execute("DROP TABLE herald_pauses")  # damaged under a running engine
    with pytest.raises(LedgerError) as caught:
        ledger.active_pauses(T0)
    assert str(caught.value) == f"the ledger {path}: no such table: herald_pauses"
    assert ledger.claim(item(), "a", T0, LEASE) is not None  # the rest still works; races still resolve
    ledger.close()


def test_herald_shows_a_broken_ledger_in_one_line_and_exits_3(tmp_path: Path, capsys):
    import shutil

    from scheduler.cli import main
    from scheduler.clock import FakeClock
    from tests.conftest import ROOT

    shutil.copy(ROOT / "content_calendar.yaml", tmp_path / "cal.yaml")
    path = tmp_path / ".herald" / "state.db"
    a_used_ledger(path)
    path.write_bytes(b"garbage" * 500)
    code = main(["history", "--calendar", str(tmp_path / "cal.yaml")], clock=FakeClock(T0))
    err = capsys.readouterr().err
    assert code == 3 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"herald: the ledger {path} is damaged (not an SQLite database)")


@pytest.mark.slow
def test_a_postgresql_ledger_created_at_the_same_moment_without_the_lock_is_tolerated(caplog):
    """An older Herald (no advisory lock) creates the tables while this one starts: this one waits
    for it, meets "already exists", and opens what the other created."""
    import threading

    from scheduler.ledger import metadata
    from scheduler.ledger.schema import meta_table
    from tests.conftest import _fresh_postgres_url

    url = _fresh_postgres_url()
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    outcome: list[object] = []
    with engine.connect() as other:
        transaction = other.begin()
        metadata.create_all(other)  # not committed yet
        other.execute(meta_table.insert().values(name="schema", value=str(SCHEMA_VERSION)))
        opener = threading.Thread(target=lambda: outcome.append(Ledger(url)))
        caplog.set_level(logging.INFO, logger="herald.ledger")
        opener.start()
        with engine.connect() as watch:  # wait until the opener is blocked behind the uncommitted tables
            for _ in range(10_000):
                waiting = watch.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                             " AND wait_event_type = 'Lock'")).scalar()
                if waiting or not opener.is_alive():
                    break
        transaction.commit()
        opener.join(60)
    engine.dispose()
    (ledger,) = outcome
    assert "created by another process at the same moment; looking again" in caplog.text
    assert isinstance(ledger, Ledger) and ledger.claim(item(), "a", T0, LEASE) is not None
    ledger.close()
