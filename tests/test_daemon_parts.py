"""The daemon's parts under their supervisor: what the split must not change, and the races of a stop."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.schedulers.base import STATE_STOPPED

from scheduler.clock import FakeClock
from scheduler.daemon import Daemon
from scheduler.ledger import Ledger

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def quiet_calendar(tmp_path: Path) -> Path:
    """A calendar with nothing to send: the only jobs that run are the test's."""
    path = tmp_path / "content_calendar.yaml"
    path.write_text("brand: {name: Acme, timezone: UTC}\nnetworks:\n  site: {type: site}\nposts: []\n")
    return path


def test_a_job_due_as_the_engine_stops_leaves_no_traceback_in_the_schedulers_thread(tmp_path, monkeypatch):
    """APScheduler's shutdown marks the scheduler stopped before it takes its job-store lock; a
    one-shot job its thread had just started was then looked for among the *pending* jobs to be
    removed, and the thread died with JobLookupError (seen at a bounded stop)."""
    died: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: died.append(args.exc_value))
    daemon = Daemon(str(quiet_calendar(tmp_path)), Ledger(f"sqlite:///{tmp_path / 'state.db'}"), clock=FakeClock(T0),
                    watch=False)
    scheduler = daemon.scheduler
    scheduler.start()  # its thread only: no other job contends for its lock
    executor = scheduler._executors["default"]
    submit, empty = executor.submit_job, scheduler.remove_all_jobs
    in_round, emptying = threading.Event(), threading.Event()

    def remove_all_jobs(*args, **kwargs):
        emptying.set()
        return empty(*args, **kwargs)

    def submit_job(job, run_times):  # the scheduler's thread, between taking a due job and removing it
        # held here until the stop reached the scheduler: marked stopped (how the thread died), or
        # its store being emptied (which waits for this round to end)
        if job.id == "probe":
            in_round.set()
            deadline = time.monotonic() + 5
            while not emptying.is_set() and scheduler.state != STATE_STOPPED and time.monotonic() < deadline:
                time.sleep(0.01)
        return submit(job, run_times)

    monkeypatch.setattr(executor, "submit_job", submit_job)
    monkeypatch.setattr(scheduler, "remove_all_jobs", remove_all_jobs)
    scheduler.add_job(lambda: None, id="probe")  # a one-shot job, due now
    assert in_round.wait(5)
    daemon.shutdown()
    assert died == [], died
    assert not daemon.unfinished
