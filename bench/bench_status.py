"""Reaction time: from `herald incident declare` returning to the first network request for it.

    python bench/bench_status.py [--declarations 30]

A real `herald run` with 10 webhook accounts, each on its own local receiver, and a
status.yaml.  Each round declares a new incident with status.edit (exactly what
`herald incident declare` does, without its process start-up) and times until the
first receiver gets a request for it, and until all ten have.  Prints p50/p99 over
the rounds; target p99 < 500 ms.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_engine import ENV, percentile, stop, wait_started  # noqa: E402
from tests.receiver import Receiver  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--declarations", type=int, default=30)
    args = parser.parse_args()
    from campaigns.calendar import load
    from scheduler.statusfile import edit as edit_file
    from status import edit

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        receivers = [stack.enter_context(Receiver()) for _ in range(10)]
        calendar = folder / "content_calendar.yaml"
        calendar.write_text("brand: {name: Bench, timezone: UTC}\nnetworks:\n" + "".join(
            f"  hook{i}: {{type: webhook, url: '{r.url}/in'}}\n" for i, r in enumerate(receivers)) + "posts: []\n")
        status = folder / "status.yaml"
        status.write_text("components:\n  checkout: {name: Checkout}\nincidents: []\n")
        log = open(folder / "engine.log", "a")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "run", "--calendar", str(calendar),
                                 "--status", str(status), "--state", f"sqlite:///{folder / 'state.db'}"],
                                cwd=folder, stdout=log, stderr=log, env=ENV)
        wait_started(folder)
        cal = load(str(calendar))
        first, all_ten = [], []
        for n in range(args.declarations):
            edit_file(str(status), cal, lambda data, status, n=n: edit.declare(
                data, incident_id=f"incident-{n}", title=f"Problem {n}", impact="major", components=["checkout"],
                networks=[], at=edit.stamp(datetime.now(UTC), status), message="We're on it.", next_update=None))
            returned = time.monotonic()
            while not any(len(r.accepted) > n for r in receivers):
                if time.monotonic() - returned > 10:
                    raise SystemExit((folder / "engine.log").read_text()[-2000:])
                time.sleep(0.001)
            first.append((time.monotonic() - returned) * 1000)
            for receiver in receivers:
                receiver.wait_for(n + 1, timeout=10)
            all_ten.append((time.monotonic() - returned) * 1000)
            time.sleep(0.2)  # let the engine settle between declarations
        stop(proc)
    print(f"reaction time over {args.declarations} declarations, 10 webhook accounts on local receivers:")
    print(f"  first request: p50 {percentile(first, 50):.0f} ms, p99 {percentile(first, 99):.0f} ms "
          f"(median {statistics.median(first):.0f} ms; target p99 < 500 ms)")
    print(f"  all ten:       p50 {percentile(all_ten, 50):.0f} ms, p99 {percentile(all_ten, 99):.0f} ms")


if __name__ == "__main__":
    main()
