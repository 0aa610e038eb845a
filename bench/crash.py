"""Crash safety, for real: kill -9 a running `herald run` at random moments, restart it, repeat.

A local webhook receiver (tests/receiver.py, honouring Idempotency-Key and answering
Herald's reconciliation lookups) records every delivery; it takes ``receiver_delay``
seconds over each one, so a kill often falls while a post is on the wire (sent, not yet
recorded: the case reconciliation is for).  The calendar holds ``posts`` announcements
due over ``spread`` seconds; the engine is started, and once it has *started* (its
start-up line is in the log) killed with SIGKILL after a random 0.3-1.6 s, and
restarted, ``kills`` times or until every post has arrived; a last run must deliver the
rest and stop cleanly on SIGTERM.

Every figure comes from what really happened: ``engine_starts`` and ``reconciled`` from
the engine's log, ``accepted_twice`` (keys the receiver saw more than once: a receiver
without idempotency keys would have shown them twice) and ``wire_repeats`` (extra
deliveries) from the receiver's deliveries per key.

Used by tests/test_crash.py and bench/bench_engine.py (more posts, more kills).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.receiver import Receiver  # noqa: E402


def write_calendar(path: Path, url: str, posts: int, first: datetime, spread: float) -> None:
    lines = [
        "brand: {name: Crash Test, timezone: UTC}",
        "networks:",
        f"  hooks: {{type: webhook, url: '{url}/in', lookup_url: '{url}/lookup', timeout: 5}}",
        "posts:",
    ]
    for i in range(posts):
        at = first + timedelta(seconds=spread * i / posts)
        lines += [f"  - id: p{i}", "    kind: announcement", "    networks: [hooks]",
                  f"    at: '{at.strftime('%Y-%m-%dT%H:%M:%SZ')}'", f"    text: 'Announcement number {i}'"]
    path.write_text("\n".join(lines) + "\n")


def _wait_started(log_path: Path, starts: int, proc: subprocess.Popen, timeout: float = 30.0) -> bool:
    """Wait until the engine logged its start-up line (the ``starts``+1-th); False if it exited or never did."""
    deadline = time.monotonic() + timeout
    while log_path.read_text().count(" started: ") <= starts:
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.02)  # polling the child's log file, not scheduling anything
    return True


def crash_run(workdir: Path, posts: int = 40, kills: int = 12, seed: int = 1, lead: float = 2.0,
              spread: float = 6.0, final_timeout: float = 60.0, receiver_delay: float = 0.1) -> dict:
    from campaigns.calendar import load
    from campaigns.plan import plan

    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    calendar = workdir / "content_calendar.yaml"
    state = f"sqlite:///{workdir / 'state.db'}"
    log_path = workdir / "engine.log"
    log = open(log_path, "a")  # noqa: SIM115
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "scheduler.cli", "run", "--calendar", str(calendar), "--state", state]
    with Receiver() as receiver:
        receiver.delay = receiver_delay
        # a killed engine leaves the receiver writing to a closed socket: not worth a traceback each time
        receiver.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        first = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lead)
        write_calendar(calendar, receiver.url, posts, first, spread)
        expected = {p.key for p in plan(load(str(calendar)), first - timedelta(hours=1), first + timedelta(hours=1))}
        killed = 0
        for _ in range(kills):
            starts = log_path.read_text().count(" started: ")
            proc = subprocess.Popen(command, cwd=workdir, stdout=log, stderr=log, env=env)
            if not _wait_started(log_path, starts, proc):
                proc.kill()
                proc.wait()
                raise RuntimeError(f"the engine did not start: {log_path.read_text()[-2000:]}")
            done = receiver.wait_for(len(expected), timeout=rng.uniform(0.3, 1.6))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed += 1
            if done:
                break
        starts = log_path.read_text().count(" started: ")
        proc = subprocess.Popen(command, cwd=workdir, stdout=log, stderr=log, env=env)
        _wait_started(log_path, starts, proc)  # SIGTERM a running engine, not one still importing
        arrived = receiver.wait_for(len(expected), timeout=final_timeout)
        # Everything reached the receiver, perhaps from engines that were killed before recording
        # it: give the last engine time to reconcile their claims before stopping it.
        settled = _wait_recorded(state, len(expected), timeout=final_timeout)
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = None
        stop_s = time.monotonic() - began
        accepted = set(receiver.accepted)
        # An oracle that is not the planner: the texts the calendar was written with, one each.
        texts = sorted(str(d["body"].get("text")) for d in receiver.accepted.values())
        written = sorted(f"Announcement number {i}" for i in range(posts))
        per_key: dict[str, int] = {}
        for delivery in receiver.deliveries:
            per_key[delivery["key"]] = per_key.get(delivery["key"], 0) + 1
    log.close()
    from scheduler.ledger import Ledger

    ledger = Ledger(state)
    counts = ledger.counts()
    ledger.close()
    text = log_path.read_text()
    return {
        "ledger": counts, "reconciled": text.count(" reconciled "), "engine_starts": text.count(" started: "),
        "posts": len(expected), "kills": killed, "arrived_all": arrived,
        "lost": len(expected - accepted), "unexpected": len(accepted - expected),
        "texts_as_written": texts == written,
        "accepted_twice": sum(1 for n in per_key.values() if n > 1),
        "wire_repeats": sum(n - 1 for n in per_key.values() if n > 1),
        "exit_code": code, "stop_seconds": round(stop_s, 2), "recorded_before_stop": settled,
    }


def _wait_recorded(state: str, count: int, timeout: float) -> bool:
    """True once the ledger records ``count`` publications as sent (polled, read-only)."""
    from scheduler.ledger import Ledger

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ledger = Ledger(state)
        try:
            if ledger.counts() == {"sent": count}:
                return True
        finally:
            ledger.close()
        time.sleep(0.2)  # a real engine in another process: wall-clock polling is the point here
    return False


if __name__ == "__main__":
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        print(json.dumps(crash_run(Path(folder), kills=int(sys.argv[1]) if len(sys.argv) > 1 else 12)))
