"""The first second after start-up (issue 24): what the engine does then stays off the path of due sends."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import scheduler.ledger.reads as reads
from scheduler.clock import FakeClock
from scheduler.daemon import Daemon
from scheduler.ledger import Ledger
from scheduler.networks.memory import MemoryPublisher

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CALENDAR = """brand: {name: Acme, timezone: UTC}
networks:
  hooks: {type: webhook, url: 'http://127.0.0.1:9/in'}
posts:
  - {id: due, kind: announcement, networks: [hooks], at: '2026-12-01T09:00:00Z', text: 'Due now'}
"""


def calendar_file(tmp_path: Path, text: str = CALENDAR) -> Path:
    path = tmp_path / "content_calendar.yaml"
    path.write_text(text)
    return path


def test_a_due_post_goes_out_before_the_running_calendar_is_recorded(tmp_path, monkeypatch):
    """Recording the calendar's text in the ledger (29 MB with its fsync at 100,000 posts) is off
    the path of due sends: a post due at start goes out while that record is still being written."""
    writing, release = threading.Event(), threading.Event()
    remember = reads.remember_calendar

    def slow_record(db, digest, text):
        writing.set()
        assert release.wait(10)
        return remember(db, digest, text)

    monkeypatch.setattr(reads, "remember_calendar", slow_record)
    ledger = Ledger(f"sqlite:///{tmp_path / 'state.db'}")
    hooks = MemoryPublisher("hooks")
    daemon = Daemon(str(calendar_file(tmp_path)), ledger, clock=FakeClock(T0), publishers={"hooks": hooks},
                    watch=False)
    try:
        assert writing.wait(10)
        outcomes = daemon.engine.run_due(T0)
        assert [o.post for o in outcomes] == ["due"] and [p.post for p, _ in hooks.sent] == ["due"]
        assert reads.running_calendar(ledger.db) is None  # not recorded yet
        release.set()
        assert daemon.watcher.stamp.recorded(10)
        digest, text = reads.running_calendar(ledger.db) or ("", "")
        assert digest == daemon.calendar_hash and text == CALENDAR
    finally:
        release.set()
        daemon.watcher.stamp.recorded(10)
        ledger.close()


def test_a_restart_on_an_unchanged_calendar_writes_no_text_and_a_reload_records_the_last_take(tmp_path):
    """The ledger already holds the text of that digest: nothing is written again; takes in a row
    leave the last one recorded."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        assert reads.remember_calendar(ledger.db, "abc123", "posts: []\n")
        assert not reads.remember_calendar(ledger.db, "abc123", "posts: []\n")
        assert reads.remember_calendar(ledger.db, "def456", "posts: [] # edited\n")
        assert reads.running_calendar(ledger.db) == ("def456", "posts: [] # edited\n")
        path = calendar_file(tmp_path)
        daemon = Daemon(str(path), ledger, clock=FakeClock(T0), publishers={"hooks": MemoryPublisher("hooks")},
                        watch=False)
        stamp = daemon.watcher.stamp
        path.write_text(CALENDAR + "  # edited\n")
        stamp.take()
        assert stamp.recorded(10)
        assert reads.running_calendar(ledger.db) == (stamp.hash, CALENDAR + "  # edited\n")
    finally:
        ledger.close()


def test_the_calendars_index_of_posts_is_built_before_the_engine_starts_not_by_the_first_send(tmp_path):
    """The first due post's send looks its post up by id: the index (100,000 entries at that size) is
    built while the calendar loads, at start and at a reload, not then."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'state.db'}")
    path = calendar_file(tmp_path)
    try:
        daemon = Daemon(str(path), ledger, clock=FakeClock(T0), publishers={"hooks": MemoryPublisher("hooks")},
                        watch=False)
        assert "_posts_by_id" in vars(daemon.engine.calendar)
        path.write_text(CALENDAR.replace("Due now", "Due at once"))
        assert daemon.reload()
        assert "_posts_by_id" in vars(daemon.engine.calendar) and daemon.engine.calendar.post("due") is not None
        daemon.watcher.stamp.recorded(10)
    finally:
        ledger.close()


def test_knowing_the_recorded_digest_reads_no_text(tmp_path):
    """The digest is kept in a row of its own: a restart does not read 29 MB back to compare."""
    from sqlalchemy import select

    from scheduler.ledger.schema import meta_table

    ledger = Ledger(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        assert reads.remember_calendar(ledger.db, "abc123", b"posts: []\n")  # bytes: decoded if written
        with ledger.db.connect() as c:
            digest = c.execute(select(meta_table.c.value).where(meta_table.c.name == reads.RUNNING_DIGEST)).scalar()
        assert digest == "abc123" and reads.running_calendar(ledger.db) == ("abc123", "posts: []\n")
    finally:
        ledger.close()


BACKLOG = """brand: {name: Acme, timezone: UTC}
networks:
  hooks: {type: webhook, url: 'http://127.0.0.1:9/in'}
engine:
  catch_up: {announcement: 1h}
posts:
""" + "".join(f"  - {{id: late-{i}, kind: announcement, networks: [hooks], at: '2026-12-01T08:59:{50 + i}Z', "
              f"text: 'Late {i}'}}\n" for i in range(5)) + \
    "  - {id: now, kind: announcement, networks: [hooks], at: '2026-12-01T09:00:00Z', text: 'Now'}\n"


def test_a_post_due_now_goes_before_a_catch_up_backlog_which_goes_a_round_at_a_time(tmp_path):
    """A backlog (posts due during start-up) is sent a few at a time, what is due on time first: a
    post due now never waits for the whole catch-up; each is still sent once, oldest first among the late."""
    from campaigns.calendar import check
    from scheduler.engine import Engine

    calendar = check(str(calendar_file(tmp_path, BACKLOG))).value
    assert calendar is not None
    ledger = Ledger(f"sqlite:///{tmp_path / 'state.db'}")
    hooks = MemoryPublisher("hooks")
    engine = Engine(calendar, ledger, {"hooks": hooks}, "me", backlog=2)
    try:
        rounds = [[o.post for o in engine.run_due(T0, "hooks")] for _ in range(4)]
        assert rounds == [["now", "late-0", "late-1"], ["late-2", "late-3"], ["late-4"], []]
        assert sorted(p.post for p, _ in hooks.sent) == ["late-0", "late-1", "late-2", "late-3", "late-4", "now"]
        assert engine.next_wakeup(T0, "hooks") != T0  # nothing left due
        alone = Engine(calendar, Ledger(f"sqlite:///{tmp_path / 'other.db'}"), {"hooks": MemoryPublisher("hooks")},
                       "me")
        assert [o.post for o in alone.run_due(T0, "hooks")] == [f"late-{i}" for i in range(5)] + ["now"]
        alone.ledger.close()
    finally:
        ledger.close()


class Shown(MemoryPublisher):
    """A publisher that notes when it is shown a status (the site's full write) among its sends."""

    def __init__(self, name: str, log: list[str]):
        super().__init__(name)
        self.log = log

    def on_status(self, status, calendar, now) -> None:
        self.log.append(f"{self.name} shown the status")

    def publish(self, post):
        self.log.append(f"sent {post.post}")
        return super().publish(post)


def test_the_site_is_shown_the_status_after_the_first_seconds_sends(tmp_path):
    """The daemon starts its engine with showing off: the first plan shows no publisher the status
    (the site's first full write); a second after "started" a job shows it, after the sends due then."""
    from datetime import timedelta

    from scheduler.daemon.timers import FIRST_SECOND

    log: list[str] = []
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)  # (the job stays pending)
    ledger = Ledger(f"sqlite:///{tmp_path / 'state.db'}")
    text = CALENDAR.replace("2026-12-01T09:00:00Z", later.isoformat())
    daemon = Daemon(str(calendar_file(tmp_path, text)), ledger, clock=FakeClock(later), watch=False,
                    publishers={"hooks": Shown("hooks", log)})
    try:
        daemon.start()
        show = next(job for job in daemon.scheduler.get_jobs() if job.name == "show the status")
        assert show.next_run_time == later + FIRST_SECOND and not daemon.engine.showing
        daemon.engine.run_due(later, "hooks")
        show.func()
        assert log == ["sent due", "hooks shown the status"] and daemon.engine.showing
        daemon.engine.replan(later)  # from then on, as before
        assert log == ["sent due", "hooks shown the status"]
    finally:
        daemon.stop()
        daemon.shutdown()
        daemon.watcher.stamp.recorded(10)
        ledger.close()
