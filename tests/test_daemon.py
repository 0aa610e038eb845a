"""The daemon: its parts (timers, watching the two files, peers, feeds, hosting) under one supervisor;
reloads go through Engine.swap."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from watchdog.events import FileClosedEvent, FileCreatedEvent, FileModifiedEvent, FileMovedEvent

from scheduler.clock import FakeClock
from scheduler.daemon import Daemon, Settling, _FileChanged, read_settled
from scheduler.engine import Result
from scheduler.ledger import Ledger
from scheduler.networks.webhook import WebhookPublisher
from tests.receiver import Receiver

pytestmark = pytest.mark.slow  # real engine processes and threads on real time

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def calendar(path: Path, networks: str, posts: str) -> Path:
    path.write_text("brand: {name: Acme, timezone: UTC}\nnetworks:\n" + textwrap.indent(textwrap.dedent(networks), "  ")
                    + "posts:\n" + textwrap.indent(textwrap.dedent(posts), "  "))
    return path


TWO_POSTS = """\
- id: first
  kind: announcement
  networks: [hooks, other]
  at: 2026-12-01T09:00Z
  text: first
- id: second
  kind: announcement
  networks: [hooks, other]
  at: 2026-12-01T10:00Z
  text: second
"""


def posts(receiver: Receiver) -> list[str]:
    return [d["body"]["post"] for d in receiver.deliveries]


# -- reloading ------------------------------------------------------------------------------------
def test_a_reloaded_calendar_posts_to_the_new_url_and_closes_removed_accounts(tmp_path, monkeypatch):
    closed: list[str] = []
    close = WebhookPublisher.close
    monkeypatch.setattr(WebhookPublisher, "close", lambda self: (closed.append(self.name), close(self))[1])
    with Receiver() as old, Receiver() as new, Receiver() as other:
        path = calendar(tmp_path / "content_calendar.yaml", f"""\
            hooks: {{type: webhook, url: "{old.url}/in"}}
            other: {{type: webhook, url: "{other.url}/in"}}
            """, TWO_POSTS)
        clock = FakeClock(T0)
        daemon = Daemon(str(path), Ledger(f"sqlite:///{tmp_path / 'state.db'}"), clock=clock, watch=False)
        try:
            # Given a running engine that has posted the first post to both accounts
            assert [o.result for o in daemon.wake("hooks") + daemon.wake("other")] == [Result.SENT, Result.SENT]
            assert (posts(old), posts(other)) == (["first"], ["first"])
            # When the webhook's url changes and the other account is removed
            calendar(path, f'hooks: {{type: webhook, url: "{new.url}/in"}}\n', TWO_POSTS.replace("hooks, other", "hooks"))
            assert daemon.reload()
            clock.set(T0 + timedelta(hours=1))
            # Then the next post goes to the new url, nothing to the removed account, and both old publishers are closed
            assert [(o.post, o.network, o.result) for o in daemon.wake("hooks")] == [("second", "hooks", Result.SENT)]
            assert daemon.wake("other") == []
            assert (posts(old), posts(new), posts(other)) == (["first"], ["second"], ["first"])
            assert sorted(closed) == ["hooks", "other"]
            assert set(daemon.engine.publishers) == {"hooks"}
        finally:
            daemon.shutdown()


def test_any_failure_while_reloading_is_one_line_and_the_engine_keeps_serving(tmp_path, monkeypatch, caplog):
    with Receiver() as receiver:
        path = calendar(tmp_path / "content_calendar.yaml", f'hooks: {{type: webhook, url: "{receiver.url}/in"}}\n',
                        TWO_POSTS.replace("hooks, other", "hooks"))
        status = tmp_path / "status.yaml"
        status.write_text("incidents: []\n")
        clock = FakeClock(T0)
        daemon = Daemon(str(path), Ledger(f"sqlite:///{tmp_path / 'state.db'}"), status_path=str(status), clock=clock,
                        watch=False, settling=Settling(quiet=0.0, patience=0.0))
        try:
            good = daemon.engine.calendar, daemon.engine.status

            def broken(*args, **kwargs):
                raise TypeError("'<' not supported between instances of 'int' and 'str'")

            monkeypatch.setattr("scheduler.daemon.check", broken)
            monkeypatch.setattr("scheduler.daemon.check_status", broken)
            caplog.set_level(logging.INFO)
            assert daemon.reload() is False and daemon.reload_status() is False
            lines = [r for r in caplog.records if r.levelno >= logging.ERROR]
            assert [r.getMessage().split("; ")[-1] for r in lines] == [
                "still running the last good calendar", "still running the last good status"]
            assert all(r.exc_info is None for r in lines)  # no traceback
            assert (daemon.engine.calendar, daemon.engine.status) == good
            assert [o.post for o in daemon.wake("hooks")] == ["first"]  # and it keeps serving
        finally:
            daemon.shutdown()


def test_a_broken_file_fixed_again_is_logged_as_valid_again_and_errors_come_in_line_order(tmp_path, caplog):
    with Receiver() as receiver:
        good = TWO_POSTS.replace("hooks, other", "hooks")
        path = calendar(tmp_path / "content_calendar.yaml", f'hooks: {{type: webhook, url: "{receiver.url}/in"}}\n', good)
        before = path.read_text()
        status = tmp_path / "status.yaml"
        status.write_text("incidents: []\n")
        daemon = Daemon(str(path), Ledger(f"sqlite:///{tmp_path / 'state.db'}"), status_path=str(status),
                        clock=FakeClock(T0), watch=False, settling=Settling(quiet=0.0, patience=0.0))
        try:
            caplog.set_level(logging.INFO, logger="herald.daemon")
            # Given a save with two mistakes: an impossible date (found by the builder) above an unknown
            # key (found by the schema)
            path.write_text(before.replace("2026-12-01T09:00Z", "2026-02-30T09:00Z").replace("text: second",
                                                                                                "txet: second"))
            status.write_text("incidents: [\n")
            assert daemon.reload() is False and daemon.reload_status() is False
            errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
            lines = [int(m.split(":")[1]) for m in errors if m.startswith(str(path) + ":")]
            assert len(lines) == 2 and lines == sorted(lines)
            assert errors[-1].endswith("still running the last good status")
            caplog.clear()
            # When both files are saved back as they were
            path.write_text(before)
            status.write_text("incidents: []\n")
            assert daemon.reload() and daemon.reload_status()
            # Then the log says so, one line each, and the last line no longer says broken
            said = [r.getMessage() for r in caplog.records]
            assert said == [f"{path} is valid again; running it (nothing changed since the last good version)",
                            f"{status} is valid again; running it (nothing changed since the last good version)"]
            caplog.clear()
            assert daemon.reload() and not caplog.records  # once, not on every later save
        finally:
            daemon.shutdown()


# -- settled reads --------------------------------------------------------------------------------
class SlowWriter:
    """A file an editor writes over (fake) time: ``versions`` are (seconds, content)."""

    def __init__(self, *versions: tuple[float, bytes]):
        self.versions = versions
        self.now = 0.0
        self.reads = 0

    def read(self) -> bytes:
        self.reads += 1
        return [content for at, content in self.versions if at <= self.now][-1]

    def wait(self, seconds: float) -> bool:
        self.now += seconds
        return False

    def monotonic(self) -> float:
        return self.now


FULL = b"incidents:\n  - id: pay\n    title: Card payments fail\n"
SETTLING = Settling(quiet=0.15, patience=2.0, unfinished=5.0)


@pytest.mark.parametrize("versions, expected, reads", [
    ([(0, FULL)], FULL, 2),  # a finished save: two agreeing reads
    ([(0, b""), (0.2, FULL)], FULL, 4),  # truncated first: the empty read is not adopted
    ([(0, b""), (0.1, FULL[:30]), (0.5, FULL)], FULL, 6),  # half written and unparsable, then complete
    ([(0, FULL[:-10]), (0.1, FULL)], FULL, 3),  # still changing when first read
    ([(0, b"")], b"", 15),  # really emptied: counts once patience runs out (an empty status file)
    ([(0, b"incidents: [\n")], b"incidents: [\n", 15),  # really broken: the loader reports where
    # the first half of a two-step save parses (the cut falls inside the message): not adopted, the
    # whole is, even when the second half comes a second later or the writer paused 4 s
    ([(0, FULL[:-12]), (1.0, FULL)], FULL, 9),
    ([(0, FULL[:-12]), (4.0, FULL)], FULL, 28),
    ([(0, b"a: 1")], b"a: 1", 35),  # a file that really ends without a line break: after `unfinished`
])
def test_a_save_is_read_once_it_has_settled(versions, expected, reads):
    writer = SlowWriter(*versions)
    assert read_settled(writer.read, writer.wait, writer.monotonic, settling=SETTLING) == expected
    assert writer.reads == reads


def test_settling_gives_up_when_the_engine_stops():
    assert read_settled(lambda: b"", lambda seconds: True, lambda: 0.0, settling=SETTLING) is None


def test_the_watcher_reacts_only_to_the_files_herald_reads(tmp_path):
    seen: list[tuple[str, bool]] = []
    cal, status, log = (str(tmp_path / n) for n in ("content_calendar.yaml", "status.yaml", "herald.log"))
    handler = _FileChanged({cal, status}, lambda path, closed: seen.append((path, closed)))
    for event in (FileModifiedEvent(log), FileClosedEvent(log), FileMovedEvent(cal, log),
                  FileCreatedEvent(str(tmp_path / ".status.yaml.swp"))):
        handler.dispatch(event)
    assert seen == []  # a log file next to the calendar (its own writes) costs nothing
    for event in (FileModifiedEvent(cal), FileClosedEvent(cal), FileMovedEvent(str(tmp_path / "tmp123"), status),
                  FileCreatedEvent(status)):
        handler.dispatch(event)
    assert seen == [(cal, False), (cal, True), (status, True), (status, True)]


def test_the_daemon_quiets_watchdogs_own_debug_lines(tmp_path):
    path = calendar(tmp_path / "content_calendar.yaml", "site: {type: site}\n", "[]\n")
    logging.getLogger("watchdog").setLevel(logging.DEBUG)
    daemon = Daemon(str(path), Ledger(f"sqlite:///{tmp_path / 'state.db'}"))
    daemon.start()
    try:
        assert not logging.getLogger("watchdog.observers.inotify_buffer").isEnabledFor(logging.DEBUG)
    finally:
        daemon.stop()
        daemon.shutdown()


STATUS = """\
components:
  checkout: {{name: Checkout}}
incidents:
  - id: pay
    title: Card payments fail
    impact: major
    components: [checkout]
    networks: [hooks]
    updates:
      - at: {first}
        state: investigating
        message: We're on it.
"""
UPDATE = """\
      - at: {second}
        state: identified
        message: The card processor times out for some customers; we are switching to the backup processor now.
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="close events (inotify) tell when a save is complete")
def test_a_save_written_in_two_chunks_is_announced_whole_and_nothing_counts_as_removed(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = {"first": (now - timedelta(seconds=20)).isoformat(), "second": (now - timedelta(seconds=10)).isoformat()}
    with Receiver() as receiver:
        path = calendar(tmp_path / "content_calendar.yaml", f'hooks: {{type: webhook, url: "{receiver.url}/in"}}\n',
                        "[]\n")
        status = tmp_path / "status.yaml"
        status.write_text(STATUS.format(**stamp))
        daemon = Daemon(str(path), Ledger(f"sqlite:///{tmp_path / 'state.db'}"), status_path=str(status))
        daemon.start()
        try:
            assert receiver.wait_for(1, timeout=10)
            # An editor truncates the file, writes the first half, dawdles, writes the rest and closes it.
            whole = (STATUS + UPDATE).format(**stamp)
            cut = whole.index("for some customers")
            editor = ("import sys, time\nf = open(sys.argv[1], 'w')\nf.write(sys.argv[2]); f.flush()\n"
                      "time.sleep(0.6)\nf.write(sys.argv[3]); f.close()\n")
            subprocess.run([sys.executable, "-c", editor, str(status), whole[:cut], whole[cut:]], check=True)
            assert receiver.wait_for(2, timeout=10)
            assert "switching to the backup processor now" in receiver.deliveries[1]["body"]["text"]
            assert len(receiver.deliveries) == 2
            assert not [r for r in caplog.records if "was removed" in r.getMessage()]
        finally:
            daemon.stop()
            daemon.shutdown()


# -- feeds and signals --------------------------------------------------------------------------------
class BlockingReader:
    """A feed reader whose provider never answers, and that does not even heed the cancel event."""

    def __init__(self) -> None:
        self.started = threading.Semaphore(0)
        self.calls = 0
        self.cancelled: threading.Event | None = None
        self.release = threading.Event()

    def due(self, feed, now) -> bool:
        return True

    def poll(self, feed, now, cancel: threading.Event | None = None) -> bool:
        self.calls += 1
        self.cancelled = cancel
        self.started.release()
        self.release.wait(30)
        return False

    def incidents(self, status):
        return ()

    def close(self) -> None:
        pass


def test_a_feed_that_never_answers_blocks_neither_the_heartbeat_nor_a_second_poll(tmp_path):
    path = calendar(tmp_path / "content_calendar.yaml", "site: {type: site}\n", "[]\n")
    status = tmp_path / "status.yaml"
    status.write_text("feeds:\n  - {id: slow, url: 'http://127.0.0.1:9/feed.json', every: 30s}\n")
    reader = BlockingReader()
    ledger = Ledger(f"sqlite:///{tmp_path / 'state.db'}")
    clock = FakeClock(T0)
    daemon = Daemon(str(path), ledger, status_path=str(status), clock=clock, watch=False, feeds=reader)  # type: ignore[arg-type]
    ledger.beat(daemon.id, T0, {}, started=True)
    daemon.poll_feeds(T0)
    assert reader.started.acquire(timeout=5)
    clock.advance(15)
    daemon.tick()  # returns although the feed still hangs: it polls in its own worker
    assert ledger.engines()[0]["heartbeat_at"] == T0 + timedelta(seconds=15)
    assert reader.calls == 1  # never two polls of one feed at once
    began = time.monotonic()
    daemon.shutdown()  # the feed is told to stop, and not waited for beyond a short bound
    assert time.monotonic() - began < 2 and reader.cancelled is not None and reader.cancelled.is_set()
    reader.release.set()


class Trickle(BaseHTTPRequestHandler):
    """A status feed that sends its answer one byte at a time, for ever."""

    asked = threading.Event()

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        Trickle.asked.set()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        try:
            while True:
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass


def test_sigterm_stops_the_engine_within_5_seconds_whatever_a_feed_does(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        path = calendar(tmp_path / "content_calendar.yaml", "site: {type: site}\n", "[]\n")
        (tmp_path / "status.yaml").write_text(
            f"feeds:\n  - {{id: slow, url: 'http://127.0.0.1:{server.server_address[1]}/feed.json', every: 30s}}\n")
        log = tmp_path / "engine.log"
        with open(log, "w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "run", "--calendar", str(path),
                                     "--status", str(tmp_path / "status.yaml")], cwd=tmp_path, stdout=out,
                                    stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            assert Trickle.asked.wait(30), log.read_text()
            deadline = time.monotonic() + 30
            while " started: " not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)  # noqa: ASYNC251  (waiting for the child's start-up line, not scheduling)
            began = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=15)
            took = time.monotonic() - began
        finally:
            if proc.poll() is None:
                proc.kill()
        assert code == 0 and took < 5, (took, log.read_text()[-2000:])
        assert "Traceback" not in log.read_text()
    finally:
        server.shutdown()
        server.server_close()


def test_each_account_waits_for_its_own_next_wakeup_and_an_idle_run_never_spins(tmp_path):
    with Receiver() as receiver:
        path = calendar(tmp_path / "content_calendar.yaml", f"""\
            hooks: {{type: webhook, url: "{receiver.url}/in"}}
            other: {{type: webhook, url: "{receiver.url}/in"}}
            """, TWO_POSTS.replace("networks: [hooks, other]\n  at: 2026-12-01T09:00Z", "networks: [hooks]\n  at: "
                                   "2026-12-01T09:00Z"))
        clock = FakeClock(T0)  # the scheduler's real clock is days before: nothing fires during the test
        daemon = Daemon(str(path), Ledger(f"sqlite:///{tmp_path / 'state.db'}"), clock=clock, watch=False)
        daemon.scheduler.start(paused=True)
        try:
            daemon.arm_all()
            times = {job.id: job.next_run_time for job in daemon.scheduler.get_jobs()}
            assert times == {"wake:hooks": T0, "wake:other": T0 + timedelta(hours=1)}
            daemon.arm("hooks", idle=True)  # due now, but the last run acted on nothing: not before a second
            assert daemon.scheduler.get_job("wake:hooks").next_run_time == T0 + timedelta(seconds=1)
        finally:
            daemon.shutdown()


SIGNALS = """
import os, signal, threading, time
from scheduler.daemon import stop_on_signals, stop_requested, wait_for_stop

event = threading.Event()
with stop_on_signals(event):
    # 1. a signal while this thread holds the event's lock (as on entering Event.wait): no deadlock
    with event._cond:
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10000):
            pass
    assert stop_requested(event)

event = threading.Event()
with stop_on_signals(event):
    # 2. a signal the kernel gives to another thread: the main thread's wait still ends
    def other():
        time.sleep(0.3)
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)
    threading.Thread(target=other, daemon=True).start()
    wait_for_stop(event)
    assert event.is_set()
print("stopped")
"""


def test_a_stop_signal_is_never_lost_or_deadlocked_whatever_thread_receives_it():
    done = subprocess.run([sys.executable, "-c", SIGNALS], capture_output=True, text=True, timeout=20,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (done.returncode, done.stdout.strip()) == (0, "stopped"), done.stderr


def test_log_lines_time_everything_in_the_brands_zone_with_its_offset(tmp_path):
    from scheduler.cli import logging_to_stderr
    from scheduler.engine import Outcome

    path = calendar(tmp_path / "content_calendar.yaml", 'hooks: {type: webhook, url: "http://127.0.0.1:9/in"}\n',
                    TWO_POSTS.replace("hooks, other", "hooks"))
    path.write_text(path.read_text().replace("timezone: UTC", "timezone: America/New_York"))
    with logging_to_stderr(False) as handler:
        daemon = Daemon(str(path), Ledger(f"sqlite:///{tmp_path / 'state.db'}"), clock=FakeClock(T0), watch=False)
        try:
            record = logging.LogRecord("herald.engine", logging.INFO, __file__, 1, "%s", (
                Outcome("k", "first", "hooks", T0, Result.SENT).line(T0),), None)
            record.created = T0.timestamp()
            line = handler.format(record)
        finally:
            daemon.shutdown()
    # the timestamp and the publication's time: both ISO 8601, both in New York's zone, with the offset
    assert line.startswith("2026-12-01T04:00:00.000-05:00 INFO herald.engine: 2026-12-01T04:00:00-05:00 hooks first")


def test_a_job_that_plans_its_next_run_while_the_engine_stops_does_not_hang_the_stop(tmp_path, monkeypatch):
    """APScheduler's shutdown(wait=True) holds its job-store lock while it waits for running jobs;
    a job that re-arms itself at that moment (add_job needs the same lock) used to wait for it forever."""
    with Receiver() as receiver:
        path = calendar(tmp_path / "content_calendar.yaml", f'hooks: {{type: webhook, url: "{receiver.url}/in"}}\n',
                        TWO_POSTS.replace("hooks, other", "hooks"))
        daemon = Daemon(str(path), Ledger(f"sqlite:///{tmp_path / 'state.db'}"), clock=FakeClock(T0), watch=False)
        daemon.start()
        executor = daemon.scheduler._executors["default"]
        stopping, in_arm = threading.Event(), threading.Event()
        shutdown = executor.shutdown

        def executor_shutdown(wait=True):  # called with the scheduler's job-store lock held
            stopping.set()
            shutdown(wait)

        monkeypatch.setattr(executor, "shutdown", executor_shutdown)
        next_wakeup = daemon.engine.next_wakeup

        def slow_next_wakeup(now, network=None):  # the job is between "still running?" and add_job
            in_arm.set()
            stopping.wait(5)
            return next_wakeup(now, network)

        monkeypatch.setattr(daemon.engine, "next_wakeup", slow_next_wakeup)
        daemon.scheduler.add_job(daemon.wake, args=["hooks"], id="probe")
        assert in_arm.wait(5)
        stopper = threading.Thread(target=daemon.shutdown, daemon=True)
        stopper.start()
        stopper.join(10)
        assert not stopper.is_alive(), "the engine hung while stopping"


# -- the status reaction (issue 24) -----------------------------------------------------------------
def test_a_status_save_is_announced_before_the_site_is_shown_it(tmp_path):
    """The accounts with a new announcement are run first; the site is shown the new status (and
    writes its files) after that, so the announcement never waits for the site's work."""
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = {"first": (now - timedelta(seconds=20)).isoformat(), "second": (now - timedelta(seconds=10)).isoformat()}
    with Receiver() as receiver:
        path = calendar(tmp_path / "content_calendar.yaml",
                        f'hooks: {{type: webhook, url: "{receiver.url}/in"}}\nsite: {{type: site}}\n', "[]\n")
        status = tmp_path / "status.yaml"
        status.write_text(STATUS.format(**stamp).replace("networks: [hooks]", "networks: [hooks, site]"))
        daemon = Daemon(str(path), Ledger(f"sqlite:///{tmp_path / 'state.db'}"), status_path=str(status),
                        watch=False, settling=Settling(quiet=0.0, patience=0.0))
        watchdog_level = logging.getLogger("watchdog").level  # start() quiets it: as it was, for the next tests
        daemon.start()
        try:
            assert receiver.wait_for(1, timeout=10)
            site = daemon.engine.publishers["site"]
            shown: list[list[str]] = []
            real = site.on_status
            site.on_status = lambda *args: shown.append(
                [d["body"]["text"] for d in receiver.deliveries]) or real(*args)
            status.write_text((STATUS + UPDATE).format(**stamp).replace("networks: [hooks]",
                                                                        "networks: [hooks, site]"))
            assert daemon.reload_status(quiet=0.0)
            assert len(shown) == 1
            assert any("switching to the backup processor" in text for text in shown[0])
        finally:
            daemon.stop()
            daemon.shutdown()
            logging.getLogger("watchdog").setLevel(watchdog_level)


def test_a_save_renamed_into_place_is_told_apart(tmp_path):
    """A rename into place is atomic: the daemon reads such a save at once (see Settling)."""
    seen: list[tuple[str, bool]] = []
    renamed: list[str] = []
    status = str(tmp_path / "status.yaml")
    handler = _FileChanged({status}, lambda path, closed: seen.append((path, closed)), renamed.append)
    for event in (FileClosedEvent(status), FileMovedEvent(str(tmp_path / ".status.yaml.tmp"), status),
                  FileModifiedEvent(status)):
        handler.dispatch(event)
    assert seen == [(status, True), (status, True), (status, False)]
    assert renamed == [status]
