"""The served site against a hung database and slow clients: the database has connect and
statement timeouts, /healthz and /static never wait for it (nor name it), and a client that
never finishes its request header is disconnected without keeping others out."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from scheduler.clock import FakeClock
from scheduler.ledger import WEB_TIMEOUTS, Timeouts
from scheduler.ledger.opening import postgresql_connect_args
from scheduler.web.app import SlowClientGuard, create_app, serve
from scheduler.web.context import WebContext, calendar_token
from tests.test_web_site import CALENDAR, STATUS, T0


class Silent:
    """A "database" on 127.0.0.1 that accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def silent() -> Iterator[Silent]:
    server = Silent()
    yield server
    server.close()


@pytest.fixture
def site(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("HERALD_REVIEW_TOKEN", raising=False)
    (tmp_path / "cal.yaml").write_text(CALENDAR)
    (tmp_path / "status.yaml").write_text(STATUS)
    return tmp_path


def test_postgresql_connections_have_connect_and_statement_timeouts():
    args = postgresql_connect_args(WEB_TIMEOUTS)
    assert args == {"connect_timeout": 3}  # no start-up "options": PgBouncer refuses them, and they replace the URL's
    assert postgresql_connect_args(Timeouts(connect=0.5))["connect_timeout"] == 2  # libpq's least


@pytest.mark.slow
def test_postgresql_timeouts_keep_the_urls_options_and_pgoptions(monkeypatch):
    """The statement and lock timeouts are SET on each new connection: the URL's ``options``
    (here a search_path) and PGOPTIONS still apply, and the tables land in that schema."""
    import uuid

    from sqlalchemy import create_engine, text

    from scheduler.ledger import Ledger
    from tests.conftest import _fresh_postgres_url

    url = _fresh_postgres_url()
    schema = f"herald_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    ledger = Ledger(f"{url}?options=-csearch_path%3D{schema}", timeouts=Timeouts(statement=7.0))
    try:
        with ledger.db.connect() as c:
            assert c.execute(text("SHOW search_path")).scalar() == schema
            assert c.execute(text("SHOW statement_timeout")).scalar() == "7s"
            assert c.execute(text("SHOW lock_timeout")).scalar() == "7s"
        with admin.connect() as c:
            tables = set(c.execute(text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
                                   {"s": schema}).scalars())
        assert "herald_publications" in tables
        # a pooled connection keeps its timeouts after a transaction is rolled back
        with ledger.db.connect() as c:
            c.rollback()
            assert c.execute(text("SHOW statement_timeout")).scalar() == "7s"
        ledger.close()
        # without options in the URL, PGOPTIONS applies (libpq reads it when no options are given)
        monkeypatch.setenv("PGOPTIONS", "-c work_mem=7MB")
        ledger = Ledger(url, timeouts=Timeouts(statement=7.0))
        with ledger.db.connect() as c:
            assert c.execute(text("SHOW work_mem")).scalar() == "7MB"
            assert c.execute(text("SHOW statement_timeout")).scalar() == "7s"
    finally:
        ledger.close()
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.slow
def test_a_hung_database_neither_stops_healthz_and_static_nor_shows_its_address(site, silent):
    url = f"postgresql://secret_role@127.0.0.1:{silent.port}/secret_db"
    ctx = WebContext(str(site / "cal.yaml"), str(site / "status.yaml"), url, FakeClock(T0),
                     timeouts=Timeouts(connect=2, statement=2, pool=2))
    web = TestClient(create_app(ctx))
    try:
        # the watcher is connecting (the database took the connection and says nothing), yet:
        deadline = time.monotonic() + 10
        while not silent.accepted and time.monotonic() < deadline:
            time.sleep(0.01)
        assert silent.accepted, "the watcher never tried the database"
        assert web.get("/static/site.css").status_code == 200
        health = web.get("/healthz")
        assert health.status_code == 503 and health.json()["ledger"] in ("checking", "database unreachable")
        ctx.refresh()  # the connect timeout ends the attempt: a LedgerError, said without names
        health = web.get("/healthz")
        assert health.status_code == 503 and health.json()["ledger"] == "database unreachable"
        for secret in (str(silent.port), "127.0.0.1", "secret_db", "secret_role"):
            assert secret not in health.text
        page = web.get("/")  # pages show the files while the ledger is down
        assert page.status_code == 200 and "Card payments" in page.text
    finally:
        ctx.close()


def _server(site: Path, **options):  # noqa: ANN003
    ctx = WebContext(str(site / "cal.yaml"), str(site / "status.yaml"), f"sqlite:///{site / 'state.db'}",
                     FakeClock(T0))
    server = serve(create_app(ctx), "127.0.0.1", 0, **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    return server, thread, ctx, server.servers[0].sockets[0].getsockname()[1]


@pytest.mark.slow
def test_a_client_that_never_finishes_its_header_is_disconnected_and_others_are_served(site):
    server, thread, ctx, port = _server(site, header_timeout=0.5)
    slow = []
    try:
        for _ in range(40):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            slow.append(s)
        assert httpx.get(f"http://127.0.0.1:{port}/static/site.css", timeout=10).status_code == 200
        for s in slow:
            s.settimeout(10)
            assert s.recv(1024) == b"", "a half-sent header was not cut off"  # closed by the server
        # a fresh connection that sends nothing at all is cut off too
        idle = socket.create_connection(("127.0.0.1", port))
        idle.settimeout(10)
        assert idle.recv(1024) == b""
        idle.close()
        # a keep-alive connection whose second request trickles in is cut off the same way
        s = socket.create_connection(("127.0.0.1", port))
        s.settimeout(10)
        s.sendall(b"GET /static/site.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert s.recv(65536).startswith(b"HTTP/1.1 200")
        s.sendall(b"GET / HTTP/1.1\r\nHo")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        assert b"HTTP/1.1 200" not in data
        s.close()
    finally:
        for s in slow:
            s.close()
        server.should_exit = True
        thread.join(10)
        ctx.close()


def test_the_server_caps_connections_and_keep_alive(site):
    server = serve(create_app(WebContext(str(site / "cal.yaml"), str(site / "status.yaml"),
                                         f"sqlite:///{site / 'state.db'}", FakeClock(T0))), "127.0.0.1", 0)
    assert server.config.limit_concurrency and server.config.timeout_keep_alive <= 10
    assert server.config.access_log is False  # /calendar.ics?token= must not reach a log


@pytest.mark.slow
def test_the_calendar_subscription_token_reaches_no_log(site, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    ctx = WebContext(str(site / "cal.yaml"), str(site / "status.yaml"), f"sqlite:///{site / 'state.db'}",
                     FakeClock(T0), review_token="calendar-token-4f1e")
    server = serve(create_app(ctx), "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        feed = calendar_token("calendar-token-4f1e")
        assert httpx.get(f"http://127.0.0.1:{port}/calendar.ics?token={feed}").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/calendar.ics?token={feed}-wrong").status_code == 403
    finally:
        server.should_exit = True
        thread.join(10)
        ctx.close()
    server_side = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]  # not the client's
    assert server_side is not None and not [r for r in server_side if "calendar-token-4f1e" in r.getMessage()
                                            or feed in r.getMessage()]


class _Timer:
    def __init__(self, callback) -> None:  # noqa: ANN001
        self.callback, self.cancelled = callback, False

    def cancel(self) -> None:
        self.cancelled = True


class _Timers:
    """The guard's event loop, for its clock alone: ``expire()`` is that much time passing."""

    def __init__(self) -> None:
        self.pending: list[_Timer] = []

    def call_later(self, delay: float, callback, *args) -> _Timer:  # noqa: ANN001, ANN002
        timer = _Timer(lambda: callback(*args))
        self.pending.append(timer)
        return timer

    def expire(self) -> None:
        due, self.pending = self.pending, []
        for timer in due:
            if not timer.cancelled:
                timer.callback()


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.aborted = False

    def abort(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.aborted


class _Inner(asyncio.Protocol):
    def __init__(self) -> None:
        self.received = b""

    def data_received(self, data: bytes) -> None:
        self.received += data


def _guard() -> tuple[SlowClientGuard, _Timers, _Transport, _Inner]:
    timers, transport, inner = _Timers(), _Transport(), _Inner()
    guard = SlowClientGuard(inner, 10.0, timers)  # type: ignore[arg-type]
    guard.connection_made(transport)
    return guard, timers, transport, inner


HEAD = b"POST /api/alerts HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize("writes", [
    [HEAD + b"5\r\nhello\r\n0\r\n\r", b"\n"],  # the last chunk's terminator split across two writes
    [HEAD + b"5\r\nhel", b"lo\r\n0\r", b"\n\r\n"],
    [HEAD + b"5\r\nhello\r\n0\r\nX-Checksum: 1\r\n", b"\r\n"],  # with a trailer
    [HEAD + b"5;ext=1\r\nhello\r\n", b"0\r\nX-Checksum: 1\r\n\r\n"],
    [HEAD + b"3\r\n0\r\n\r\n0\r\n\r\n"],  # a chunk whose data looks like the end
])
def test_a_chunked_body_ends_at_its_last_chunk_however_it_is_split_and_a_slow_answer_is_not_cut_off(writes):
    guard, timers, transport, inner = _guard()
    for data in writes:
        guard.data_received(data)
    assert inner.received == b"".join(writes)  # passed on unchanged
    timers.expire()  # the application takes longer than the guard's timeout to answer
    assert not transport.aborted
    # the next request on the connection starts the header's clock again
    guard.data_received(b"GET / HTTP/1.1\r\nHo")
    timers.expire()
    assert transport.aborted


def test_a_chunked_body_that_stops_arriving_is_cut_off_and_a_pipelined_request_is_watched():
    guard, timers, transport, _inner = _guard()
    guard.data_received(HEAD + b"5\r\nhello\r\n0\r\n")  # the blank line ending the body never comes
    timers.expire()
    assert transport.aborted
    guard, timers, transport, _inner = _guard()
    guard.data_received(HEAD + b"0\r\n\r\nGET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # two requests in one read
    timers.expire()
    assert not transport.aborted


def test_healthz_is_ready_before_the_watcher_has_read_a_large_calendar(site, monkeypatch):
    """At 10x (100,000 posts, a 16.8 MB calendar) /healthz stayed 503 for minutes after the
    engine served: the watcher parsed the calendar and the status file before it published the
    heartbeat it had already read."""
    from datetime import UTC, datetime

    from scheduler.ledger import Ledger

    ledger = Ledger(f"sqlite:///{site / 'state.db'}")
    ledger.beat("h:1:a", datetime.now(UTC), {"host": "h", "pid": 1}, started=True)
    ctx = WebContext(str(site / "cal.yaml"), str(site / "status.yaml"), f"sqlite:///{site / 'state.db'}")
    reading, release = threading.Event(), threading.Event()
    real = ctx.calendar

    def slow_calendar():
        if threading.current_thread() is not threading.main_thread():  # the watcher's thread, or ours
            reading.set()
            release.wait(30)
        return real()

    monkeypatch.setattr(ctx, "calendar", slow_calendar)
    thread = threading.Thread(target=ctx.watch.refresh, name="refresher")
    try:
        thread.start()
        assert reading.wait(30)
        snap = ctx.watch.snapshot()
        assert snap.state == "ok" and snap.heartbeat is not None  # published before the calendar was read
    finally:
        release.set()
        thread.join(30)
        ctx.close()
        ledger.close()


def test_a_status_file_caught_mid_save_is_not_served_until_it_is_whole(site):
    """Found by the attack: while an editor saved status.yaml in place (truncated, then written),
    the site said "All Systems Operational" with no incidents. An empty file, or one that stops
    mid-line, is not adopted until it has stayed so for the patience a save gets; a whole one is
    adopted at once."""
    import os

    from scheduler.web.context import MID_SAVE_PATIENCE

    ctx = WebContext(str(site / "cal.yaml"), str(site / "status.yaml"), f"sqlite:///{site / 'state.db'}",
                     FakeClock(T0))
    status = site / "status.yaml"
    whole = status.read_text()
    before = ctx.status()
    assert before.incidents
    status.write_text("")  # truncated: the editor is about to write
    assert ctx.status() is before
    status.write_text(whole[: len(whole) // 2].rstrip("\n"))  # half of it, mid-line
    assert ctx.status() is before
    status.write_text(whole + "\n# saved\n")  # whole again: at once
    assert ctx.status() is not before and ctx.status().incidents == before.incidents
    status.write_text("")  # emptied on purpose: adopted once it stayed empty for the patience
    gone = time.time() - MID_SAVE_PATIENCE - 1
    os.utime(status, (gone, gone))
    assert not ctx.status().incidents
