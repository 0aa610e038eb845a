"""Reaction time of a status save: from status.yaml saved to the first webhook request for it,
against a floor measured in the same run.

    python bench/bench_reaction.py [--incidents 2 451 2000] [--runs 15] [--no-site]

A real `herald run` (a webhook account on a local receiver, and with ``site`` a `site` account
too) over a status.yaml of N incidents and 50 maintenance windows.  Each run saves the file with
one more incident declared (appended, as `herald incident declare` does; written to a temporary
file and renamed into place, as editors and `statusfile.edit` do) and times until the receiver
gets the engine's request for it.  The floor: a watchdog script in its own process that POSTs to
the same receiver when it sees the save, the least any watcher of the file could do.
``measure()`` is the one measurement (bench/scale.py calls it too).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_engine import ENV, cpu_seconds, percentile, stop, wait_started  # noqa: E402
from tests.receiver import Receiver  # noqa: E402

COMPONENTS = 12
MAINTENANCE = 50

# The floor: the least a watcher of the file does, in a process of its own (watchdog, as herald
# uses; one POST per save, on a kept-alive connection).
FLOOR = r"""
import http.client, json, os, sys, threading
from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

path, port = os.path.abspath(sys.argv[1]), int(sys.argv[2])
connection = http.client.HTTPConnection("127.0.0.1", port)

class Saved(FileSystemEventHandler):
    def dispatch(self, event):
        if event.event_type == "moved" and os.fsdecode(event.dest_path) == path:
            body = json.dumps({"floor": True}).encode()
            connection.request("POST", "/floor", body, {"Content-Type": "application/json"})
            connection.getresponse().read()

observer = Observer()
observer.schedule(Saved(), os.path.dirname(path))
observer.start()
print("watching", flush=True)
threading.Event().wait()
"""


def status_text(incidents: int, now: datetime, declared: int = 0) -> str:
    """A status file of ``incidents`` incidents over the past (the last 3 open), ``MAINTENANCE``
    windows from a month ago to four months ahead, and ``declared`` incidents declared now."""
    out = ["timezone: UTC", "status_page: https://status.bench.example", "components:"]
    out += [f"  c{n}: {{name: Component number {n}}}" for n in range(COMPONENTS)]
    out.append("incidents:")
    for n in range(incidents):
        start = now - timedelta(hours=8 * (incidents - n) + 24)
        out += [f"  - id: inc-{n}", f"    title: Incident number {n} with a realistic title",
                f"    impact: {['minor', 'major', 'critical'][n % 3]}", f"    components: [c{n % COMPONENTS}]",
                "    updates:", f"      - at: '{start:%Y-%m-%dT%H:%M:%SZ}'",
                "        state: investigating",
                f"        message: Incident {n}, some customers see errors. We are looking into it."]
        if n < incidents - 3:
            out += [f"      - at: '{start + timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}'", "        state: resolved",
                    "        message: Fixed; everything works again."]
    for n in range(declared):
        out += [f"  - id: bench-{n}", f"    title: Bench round {n}", "    impact: major", "    components: [c0]",
                "    updates:", f"      - at: '{now:%Y-%m-%dT%H:%M:%SZ}'", "        state: investigating",
                "        message: We are looking into it."]
    out.append("maintenance:")
    for n in range(MAINTENANCE):
        starts = now + timedelta(days=n * 3 - 30)
        out += [f"  - id: m{n}", f"    title: Planned upgrade {n}", f"    starts: '{starts:%Y-%m-%dT%H:%M:%SZ}'",
                f"    ends: '{starts + timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}'", "    message: Checkout may be slow.",
                f"    components: [c{n % COMPONENTS}]"]
    return "\n".join(out) + "\n"


def save(path: Path, text: str) -> None:
    """Written beside it and renamed into place: a complete save, as editors make."""
    temporary = path.with_name(f".{path.name}.saving")
    temporary.write_text(text)
    os.replace(temporary, path)


def quiet(pid: int, timeout: float = 600.0) -> None:
    """Until the engine process is idle (under 2% of a core over half a second): start-up, the
    site's first write and the previous run's work are done."""
    deadline = time.monotonic() + timeout
    before = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        if now - before < 0.01:
            return
        before = now


@contextmanager
def engine(folder: Path, receiver: Receiver, incidents: int, site: bool, now: datetime,
           tree: Path = ROOT) -> Iterator[Any]:
    calendar = folder / "content_calendar.yaml"
    accounts = f"  hook: {{type: webhook, url: '{receiver.url}/in'}}\n"
    if site:
        accounts += "  site: {type: site}\n"
    calendar.write_text("brand: {name: Bench, timezone: UTC}\nnetworks:\n" + accounts + "posts: []\n")
    status = folder / "status.yaml"
    save(status, status_text(incidents, now))
    log = open(folder / "engine.log", "a")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "run", "--calendar", str(calendar),
                             "--status", str(status), "--state", f"sqlite:///{folder / 'state.db'}"],
                            cwd=folder, stdout=log, stderr=log, env={**ENV, "PYTHONPATH": str(tree)})
    try:
        wait_started(folder)
        quiet(proc.pid)
        yield proc
    finally:
        stop(proc)
        log.close()


def _arrived(receiver: Receiver, since: int, test: Any, timeout: float = 30.0) -> float:
    """The receipt time of the first delivery from index ``since`` on that passes ``test``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with receiver.lock:
            for delivery in receiver.deliveries[since:]:
                if test(delivery):
                    return float(delivery["at"])
        time.sleep(0.0005)
    raise TimeoutError("no delivery")


def measure(incidents: int, site: bool, runs: int, gap: float = 0.3, tree: Path = ROOT) -> dict[str, Any]:
    """Save → first webhook request, ``runs`` times, for a status file of ``incidents`` incidents
    (and 50 maintenance windows), with or without a `site` account; the floor in the same runs.
    ``tree``: the checkout whose herald runs (another one measures a version before).
    Milliseconds: {"incidents", "site", "runs", "herald": [...], "floor": [...], "herald_median",
    "herald_p99", "floor_median", "ratio"} (ratio: the medians')."""
    now = datetime.now(UTC).replace(microsecond=0)
    herald: list[float] = []
    floor: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, Receiver() as receiver:
        folder = Path(tmp)
        with engine(folder, receiver, incidents, site, now, tree) as proc:
            status = folder / "status.yaml"
            port = str(receiver.server.server_address[1])
            watcher = subprocess.Popen([sys.executable, "-c", FLOOR, str(status), port], stdout=subprocess.PIPE,
                                       env=ENV, text=True)
            try:
                assert watcher.stdout is not None and watcher.stdout.readline().strip() == "watching"
                for n in range(runs):
                    text = status_text(incidents, now, declared=n + 1)
                    since = len(receiver.deliveries)
                    save(status, text)
                    saved = time.time()
                    title = f"Bench round {n}"
                    herald.append((_arrived(receiver, since, lambda d, t=title: t in str(d["body"].get("text")))
                                   - saved) * 1000)
                    floor.append((_arrived(receiver, since, lambda d: d["body"].get("floor") is True) - saved) * 1000)
                    time.sleep(gap)
                    quiet(proc.pid)
            finally:
                watcher.terminate()
                watcher.wait(timeout=10)
    return {"incidents": incidents, "site": site, "runs": runs, "herald": herald, "floor": floor,
            "herald_median": statistics.median(herald), "herald_p99": percentile(herald, 99),
            "floor_median": statistics.median(floor), "ratio": statistics.median(herald) / statistics.median(floor)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, nargs="+", default=[2, 451, 2000])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-site", action="store_true", help="only without a site account")
    parser.add_argument("--json", action="store_true", help="print each measurement as JSON")
    parser.add_argument("--before", type=Path, metavar="TREE",
                        help="also measure the herald of this checkout (e.g. a worktree of main), run for run")
    args = parser.parse_args()
    print(f"save -> first webhook request, {args.runs} saves each (load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print("| herald | incidents | site account | median | p99 | floor median | ratio |")
    print("|---|---:|---|---:|---:|---:|---:|")
    trees = [("this tree", ROOT)] + ([(f"{args.before}", args.before)] if args.before else [])
    for incidents in args.incidents:
        for site in (False,) if args.no_site else (False, True):
            for name, tree in trees:
                result = measure(incidents, site, args.runs, tree=tree)
                if args.json:
                    print(json.dumps(result))
                print(f"| {name} | {incidents:,} | {'yes' if site else 'no'} | {result['herald_median']:.0f} ms | "
                      f"{result['herald_p99']:.0f} ms | {result['floor_median']:.1f} ms | {result['ratio']:.0f}x |",
                      flush=True)


if __name__ == "__main__":
    main()
