"""Alert intake: from an alert's POST to the first public request, flapping, and a sustained load.

    python bench/bench_intake.py [--quick]

A real `herald run` (the engine, one webhook account on a local receiver) and the web
server's intake (uvicorn on 127.0.0.1, a process of its own) over one status.yaml and one
ledger.  Three measurements:

1. reaction: 50 alerts with ``for: 0`` (each fired, announced, then resolved), time from
   the POST returning to the receiver's first request for it; p50/p99 (goal p99 <= 1 s,
   including the file write and the engine's reaction);
2. flapping: 50 fire/resolve cycles in a minute on a component with ``for: 30s`` -> the
   number of incidents (at most one; zero expected, as no cycle lasts 30 s);
3. load: 1,000 alerts a minute for 5 minutes (--quick: 1 minute) on a ``mark`` component,
   with a probe alert on the ``declare`` component every 20 s: the engine's and the
   server's memory, and the probe's reaction time, per minute.
"""

from __future__ import annotations

import argparse
import json
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_engine import ENV, percentile, rss_mb, stop, wait_started  # noqa: E402
from tests.receiver import Receiver  # noqa: E402

TOKEN = secrets.token_urlsafe(24)  # made per run: no credential-shaped text in the repository
STATUS = """\
components:
  checkout: {name: Checkout}
  search: {name: Search}
  website: {name: Website}
alerts:
  - component: checkout
    labels: {service: checkout}
    severity: {default: {action: declare, for: 0s}}
  - component: search
    labels: {service: search}
    severity: {default: {action: declare, for: 30s}}
  - component: website
    labels: {service: website}
    severity: {default: {action: mark}}
follow_up: false
"""


def serve(calendar: str, status: str, ledger: str, port: int) -> None:
    """The server side (a process of its own): the web app with the intake, on 127.0.0.1."""
    import logging

    import uvicorn

    from scheduler.web.app import create_app
    from scheduler.web.context import WebContext

    logging.basicConfig(level=logging.ERROR)
    ctx = WebContext(calendar, status, ledger, intake_token=TOKEN)
    uvicorn.run(create_app(ctx), host="127.0.0.1", port=port, log_level="error", access_log=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Bench:
    def __init__(self, folder: Path, receiver: Receiver):
        import httpx

        self.folder, self.receiver = folder, receiver
        self.calendar = folder / "content_calendar.yaml"
        self.calendar.write_text("brand: {name: Bench, timezone: UTC}\nnetworks:\n"
                                 f"  hooks: {{type: webhook, url: '{receiver.url}/in'}}\nposts: []\n")
        self.status = folder / "status.yaml"
        self.status.write_text(STATUS)
        ledger = f"sqlite:///{folder / 'state.db'}"
        log = open(folder / "engine.log", "a")  # noqa: SIM115
        self.engine = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "run", "--calendar", str(self.calendar),
                                        "--status", str(self.status), "--state", ledger], cwd=folder, stdout=log,
                                       stderr=log, env=ENV)
        wait_started(folder)
        port = free_port()
        self.server = subprocess.Popen([sys.executable, __file__, "--serve", str(self.calendar), str(self.status),
                                        ledger, str(port)], cwd=folder, stdout=log, stderr=log, env=ENV)
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30,
                                   headers={"Authorization": f"Bearer {TOKEN}"})
        deadline = time.monotonic() + 60
        while True:
            try:
                self.client.post("/intake/generic", content=b"[]")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise SystemExit((folder / "engine.log").read_text()[-2000:]) from None
                time.sleep(0.1)

    def alert(self, ident: str, status: str, service: str, at: datetime | None = None) -> None:
        body = {"id": ident, "status": status, "labels": {"service": service},
                "at": (at or datetime.now(UTC)).isoformat()}
        answer = self.client.post("/intake/generic", content=json.dumps(body))
        answer.raise_for_status()

    def reaction(self, ident: str) -> float:
        """ms from the firing POST returning to the receiver's first request for it (then resolved)."""
        before = len(self.receiver.accepted)
        self.alert(ident, "firing", "checkout")
        returned = time.monotonic()
        if not self.receiver.wait_for(before + 1, timeout=10):
            raise SystemExit((self.folder / "engine.log").read_text()[-2000:])
        took = (time.monotonic() - returned) * 1000
        time.sleep(0.05)
        self.alert(ident, "resolved", "checkout")
        self.receiver.wait_for(before + 2, timeout=10)
        return took

    def declared(self, n: int) -> float:
        """The baseline: ms from a person's declaration (statusfile.edit returning) to the first request."""
        from campaigns.calendar import load
        from scheduler.statusfile import edit as edit_file
        from status import edit

        calendar = load(str(self.calendar))
        before = len(self.receiver.accepted)
        edit_file(str(self.status), calendar, lambda data, _status: edit.declare(
            data, incident_id=f"by-hand-{n}", title=f"Problem {n}", impact="minor", components=[], networks=[],
            at=edit.stamp(datetime.now(UTC), calendar), message="We're on it.", next_update=None))
        returned = time.monotonic()
        self.receiver.wait_for(before + 1, timeout=10)
        took = (time.monotonic() - returned) * 1000
        time.sleep(0.2)
        return took

    def incidents(self, component: str) -> int:
        return self.status.read_text().count(f"id: {component}-alert-")

    def close(self) -> None:
        self.client.close()
        stop(self.server)
        stop(self.engine)


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 minute of load instead of 5, flapping in 10 s")
    parser.add_argument("--alerts", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp, Receiver() as receiver:
        bench = Bench(Path(tmp), receiver)
        try:
            run(bench, args)
        finally:
            bench.close()


def run(bench: Bench, args: argparse.Namespace) -> None:
    times = [bench.reaction(f"probe-{n}") for n in range(args.alerts)]
    base = [bench.declared(n) for n in range(20)]
    print(f"reaction, {args.alerts} alerts with for: 0 (POST -> first public request):")
    print(f"  p50 {percentile(times, 50):.0f} ms, p99 {percentile(times, 99):.0f} ms (goal p99 <= 1000 ms); "
          f"baseline, 20 declarations written with statusfile.edit like `herald incident declare`: "
          f"p50 {percentile(base, 50):.0f} ms, p99 {percentile(base, 99):.0f} ms "
          f"(ratio of medians {statistics.median(times) / statistics.median(base):.2f})")

    span = 10.0 if args.quick else 60.0
    start = time.monotonic()
    for cycle in range(50):
        bench.alert("flappy", "firing", "search")
        time.sleep(span / 100)
        bench.alert("flappy", "resolved", "search")
        time.sleep(max(0.0, start + (cycle + 1) * span / 50 - time.monotonic()))
    print(f"flapping, 50 fire/resolve cycles in {span:.0f} s with for: 30s: {bench.incidents('search')} incident(s)")

    minutes = 1 if args.quick else 5
    per_minute, stop_at = 1000, time.monotonic() + minutes * 60
    sent = [0]

    def load() -> None:
        n = 0
        while time.monotonic() < stop_at:
            began = time.monotonic()
            bench.alert(f"load-{n}", "firing", "website")  # about 20 firing at a time: each lasts 1.2 s
            if n >= 20:
                bench.alert(f"load-{n - 20}", "resolved", "website")
            n += 1
            sent[0] = n
            time.sleep(max(0.0, 60 / per_minute - (time.monotonic() - began)))

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    rows = []
    minute = 0
    probes: list[float] = []
    while worker.is_alive():
        time.sleep(20)
        probes.append(bench.reaction(f"load-probe-{len(probes)}"))
        if len(probes) % 3 == 0 or not worker.is_alive():
            minute += 1
            rows.append((minute, sent[0], rss_mb(bench.engine.pid), rss_mb(bench.server.pid),
                         statistics.median(probes[-3:])))
    worker.join()
    print(f"load, {per_minute} alerts a minute for {minutes} min, a probe alert every 20 s:")
    print("  minute  alerts sent  engine RSS  server RSS  probe reaction (median of the minute)")
    for minute, count, engine_mb, server_mb, probe in rows:
        print(f"  {minute:>6}  {count:>11}  {engine_mb:>7.1f} MB  {server_mb:>7.1f} MB  {probe:>6.0f} ms")


if __name__ == "__main__":
    main()
