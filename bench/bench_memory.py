"""A running engine's memory, start-up and first-second lateness at a calendar's size (issue 24).

    python bench/bench_memory.py 100000 [--root /work/main]

A real `herald run` loads the generated calendar (its year starting in 400 days, so none of
it is due) plus 1,200 webhook announcements due at 10 per second, the first ``--due-from`` seconds
after launch (about the start-up); those due more than 5 s before it are skipped (``catch_up:
announcement: 5s``), so that no burst of catch-up is sent ahead of the first second's.  Start-up: launch
to the "started" log line.  RSS: 2 s after it.
Lateness: receipt time - scheduled time of the announcements due in the first second after
"started" (those due before it are caught up, not counted; how many were is printed: those less
than a second late go out with the first second's, the older a round of 6 at a time between them,
so a figure with many is partly the catch-up's); ``after_catch_up``: those of the first second due
after the catch-up's last send was out, and how late they were at most.
``--log FILE`` keeps the measured engine's log (``--verbose``: at debug level, ``herald -v run``).
``--root``: the checkout whose code runs (another branch's, to compare in the same session).
Start-up CPU: user + system time of the engine and its loading children at "started" (steadier
than wall time on a shared machine).
``--restart S``: a restart on an unchanged calendar (what an engine's cache of its checked calendar
serves, scheduler/calendarcache.py): an engine is started and stopped on the same files first, and
the measured one launched S seconds after the calendar was written (S more than the first start-up).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.bench_engine import TICKS, rss_mb  # noqa: E402
from bench.generate import generate  # noqa: E402
from tests.receiver import Receiver  # noqa: E402

DUE = 1200  # announcements, 10 per second


def run(posts: int, root: Path, due_from: float, restart: float | None = None, keep_log: Path | None = None,
        verbose: bool = False) -> dict:
    """One engine's figures; with ``restart`` (seconds), an engine started and stopped on the same
    files first (its start-up is ``first_startup_s``), the measured one launched ``restart`` seconds
    after the calendar was written: a restart on an unchanged calendar."""
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp, Receiver() as receiver:
        folder = Path(tmp)
        calendar = folder / "content_calendar.yaml"
        written = time.time()
        first = datetime.fromtimestamp(written, UTC).replace(microsecond=0) + timedelta(
            seconds=due_from + (restart or 0))
        calendar.write_text(_calendar(posts, receiver.url, first))
        earlier = None
        if restart is not None:
            proc, began, started, _ = _launch(folder, calendar, root, verbose)
            _cache_written(folder, proc)
            proc.terminate()
            proc.wait(timeout=30)
            earlier = round(started - began, 2)
            if time.time() > written + restart:
                raise RuntimeError(f"the first start took {earlier} s: give --restart more than that")
            time.sleep(written + restart - time.time())
        proc, began, started, cpu = _launch(folder, calendar, root, verbose)
        time.sleep(2)
        rss = rss_mb(proc.pid)
        time.sleep(max(0.0, started + 4 - time.time()))  # the first second's, delivered
        proc.terminate()
        proc.wait(timeout=30)
        sent = [(datetime.fromisoformat(d["body"]["scheduled_at"]).timestamp(), d["at"])
                for d in receiver.accepted.values()]
        late = sorted((at - due) * 1000 for due, at in sent if started <= due < started + 1)
        # the first second's posts due once the catch-up's last send was out: the engine's own lateness
        clear = max([started, *(at for due, at in sent if due < started)])
        fresh = sorted((at - due) * 1000 for due, at in sent if clear <= due < started + 1)
        if keep_log is not None:  # the measured engine's log (with --verbose, its debug lines: where the time went)
            keep_log.write_text((folder / "engine.log").read_text())
    return {"posts": posts, **({"first_startup_s": earlier} if earlier is not None else {}),
            "startup_s": round(started - began, 2), "startup_cpu_s": round(cpu, 2),
            "rss_mb": round(rss, 1),
            "caught_up": sum(due < started for due, _ in sent),  # sent at start-up, ahead of the first second's
            "first_second": len(late), "first_second_max_ms": round(late[-1], 1) if late else None,
            "after_catch_up": len(fresh), "after_catch_up_max_ms": round(fresh[-1], 1) if fresh else None}


def _cache_written(folder: Path, proc: subprocess.Popen, patience: float = 120.0) -> None:
    """Wait for the first engine to file its checked calendar (a thread of its own writes it after
    "started"): stopped before, the restart would check the file again (a 26 s-of-CPU "restart")."""
    until = time.time() + patience
    entries = folder / ".herald" / "calendars"
    while time.time() < until and proc.poll() is None:
        if any(entries.glob("*.pickle")):
            time.sleep(0.5)  # (renamed into place when whole)
            return
        time.sleep(0.1)


def _calendar(posts: int, url: str, first: datetime) -> str:
    later = (datetime.now(UTC) + timedelta(days=400)).date()
    text = generate(posts, start=later) if posts else \
        "brand: {name: Empty, timezone: UTC}\nnetworks:\n  hooks: {type: webhook, url: 'http://x/in'}\nposts:\n"
    for kind in ("x", "mastodon", "bluesky"):  # no credentials here: these accounts run dry
        text = text.replace(f"{{type: {kind}", f"{{type: {kind}, dry_run: true")
    for placeholder in ("http://127.0.0.1:8099/in", "http://x/in"):
        text = text.replace(placeholder, f"{url}/in")
    due = [first + timedelta(milliseconds=100 * i) for i in range(DUE)]
    text += "".join(f"  - {{id: due-{i}, kind: announcement, networks: [hooks], "
                    f"at: '{at.isoformat(timespec='milliseconds').replace('+00:00', 'Z')}', text: 'Due {i}'}}\n"
                    for i, at in enumerate(due))
    # those due more than 5 s before start-up are skipped, not sent at once: no burst ahead of the first second
    return text + "engine:\n  catch_up: {announcement: 5s}\n"


def _launch(folder: Path, calendar: Path, root: Path, verbose: bool = False) -> tuple[subprocess.Popen, float, float,
                                                                                      float]:
    """`herald run` started: the process, when it was launched, when it logged "started", and the CPU
    time (user + system) it and its children (the calendar's loaders) had used by then."""
    log = folder / "engine.log"
    log.write_text("")
    began = time.time()
    with open(log, "a") as out:
        proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", *(["-v"] if verbose else []), "run",
                                 "--calendar", str(calendar),
                                 "--state", f"sqlite:///{folder / 'state.db'}"], cwd=folder, stdout=out,
                                stderr=out, env={**os.environ, "PYTHONPATH": str(root)})
    while " started: " not in log.read_text():
        if proc.poll() is not None or time.time() - began > 600:
            raise RuntimeError(log.read_text()[-2000:])
        time.sleep(0.02)
    started = time.time()
    fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return proc, began, started, sum(int(f) for f in fields[11:15]) / TICKS  # utime, stime, cutime, cstime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("posts", type=int, nargs="+")
    parser.add_argument("--root", type=Path, default=HERE.parent)
    parser.add_argument("--due-from", type=float, default=3.0,
                        help="seconds from launch to the first announcement: at most the start-up")
    parser.add_argument("--restart", type=float, metavar="SECONDS",
                        help="measure a restart on an unchanged calendar: an engine started and stopped first, "
                             "the measured one launched this long after the calendar was written (more than the "
                             "first start-up)")
    parser.add_argument("--log", type=Path, metavar="FILE", help="keep the measured engine's log there")
    parser.add_argument("--verbose", action="store_true", help="the engine logs at debug level (herald -v run)")
    args = parser.parse_args()
    for posts in args.posts:
        print(json.dumps(run(posts, args.root, args.due_from, args.restart, args.log, args.verbose)), flush=True)


if __name__ == "__main__":
    main()
