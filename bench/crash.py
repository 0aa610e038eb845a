"""Crash safety, for real: kill -9 a running `herald run` at random moments, restart it, repeat.

A local webhook receiver (tests/receiver.py, honouring Idempotency-Key and answering
Herald's reconciliation lookups) records every delivery.  The calendar holds
``posts`` announcements due over a few seconds; the engine is started, killed with
SIGKILL after a random 0.3-1.6 s, and restarted, ``kills`` times or until every post
has arrived; a last run must deliver the rest and stop cleanly on SIGTERM.

Used by tests/test_crash.py (a dozen kills) and bench/bench_engine.py (more).
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


def crash_run(workdir: Path, posts: int = 40, kills: int = 12, seed: int = 1, lead: float = 2.0,
              spread: float = 6.0, final_timeout: float = 60.0) -> dict:
    from campaigns.calendar import load
    from campaigns.plan import plan

    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    calendar = workdir / "content_calendar.yaml"
    state = f"sqlite:///{workdir / 'state.db'}"
    log = open(workdir / "engine.log", "a")  # noqa: SIM115
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "scheduler.cli", "run", "--calendar", str(calendar), "--state", state]
    with Receiver() as receiver:
        first = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lead)
        write_calendar(calendar, receiver.url, posts, first, spread)
        expected = {p.key for p in plan(load(str(calendar)), first - timedelta(hours=1), first + timedelta(hours=1))}
        killed = 0
        for _ in range(kills):
            proc = subprocess.Popen(command, cwd=workdir, stdout=log, stderr=log, env=env)
            done = receiver.wait_for(len(expected), timeout=rng.uniform(0.3, 1.6))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed += 1
            if done:
                break
        starts = (workdir / "engine.log").read_text().count(" started: ")
        proc = subprocess.Popen(command, cwd=workdir, stdout=log, stderr=log, env=env)
        arrived = receiver.wait_for(len(expected), timeout=final_timeout)
        deadline = time.monotonic() + 15  # SIGTERM a running engine, not one still importing
        while (workdir / "engine.log").read_text().count(" started: ") == starts and time.monotonic() < deadline:
            time.sleep(0.05)
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = None
        stop_s = time.monotonic() - began
        accepted = set(receiver.accepted)
        per_key: dict[str, int] = {}
        for delivery in receiver.deliveries:
            per_key[delivery["key"]] = per_key.get(delivery["key"], 0) + 1
    log.close()
    from scheduler.ledger import Ledger

    ledger = Ledger(state)
    counts = ledger.counts()
    ledger.close()
    text = (workdir / "engine.log").read_text()
    return {
        "ledger": counts, "reconciled": text.count(" reconciled "), "engine_starts": text.count(" started: "),
        "posts": len(expected), "kills": killed, "arrived_all": arrived,
        "lost": len(expected - accepted), "unexpected": len(accepted - expected),
        "accepted_twice": 0,  # the receiver accepts a key once; repeats are counted below
        "wire_repeats": sum(n - 1 for n in per_key.values() if n > 1),
        "exit_code": code, "stop_seconds": round(stop_s, 2),
    }


if __name__ == "__main__":
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        print(json.dumps(crash_run(Path(folder), kills=int(sys.argv[1]) if len(sys.argv) > 1 else 12)))
