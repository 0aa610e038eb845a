"""Hostile upstream feeds against a real engine: peak memory and SIGTERM-to-exit time.

    python bench/bench_feeds.py [--quick] [--runs N] [--root PATH]

A real `herald run` (``python -m scheduler.cli run``) on a temporary small calendar (one
site account) and a status.yaml whose ``feeds:`` point at a local feed server on
127.0.0.1 that plays the attacks:

- ``bomb``: a gzip bomb (1 GiB of zeros in about 1 MB of gzip);
- ``huge``: a 50 MB body without a Content-Length;
- ``many``: a Statuspage answer listing 200 ongoing incidents;
- ``trickle``: an answer that trickles one byte a second, for ever.

The feeds are polled in that order; once the trickle has started and 3 s more have
passed, the engine gets SIGTERM. Figures: the engine's peak resident memory (VmHWM from
/proc/<pid>/status, read until it exits) and the SIGTERM-to-exit time (the engine is
killed after 60 s: "> 60 s"). Baseline: the same command with one well-behaved feed
(``good``). A third run has the ``many`` feed alone for 8 s and counts the publications
its 200 incidents became (ledger rows). Median of ``--runs`` runs each.

``--root`` runs the engine from another checkout (e.g. ``/work/main``) for a before/after
comparison; the feed server and this script stay the same.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MB = 1024 * 1024
KILL_AFTER = 60.0


def bomb(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(MB)
    return b"".join([*(packer.compress(block) for _ in range(size // MB)), packer.flush()])


def statuspage(count: int, now: datetime, prefix: str = "inc") -> bytes:
    incidents = []
    for n in range(count):
        at = (now - timedelta(minutes=count - n)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        incidents.append({"id": f"{prefix}{n:04d}", "name": f"Problem {n}", "status": "investigating",
                          "impact": "minor", "created_at": at,
                          "incident_updates": [{"id": f"u{n}", "status": "investigating", "body": f"Problem {n}.",
                                                "created_at": at, "display_at": at}]})
    return json.dumps({"page": {"id": "p", "name": "Upstream", "url": "https://status.upstream.example"},
                       "incidents": incidents}).encode()


class HostileFeeds:
    """The attacks, one path each, on 127.0.0.1."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.hits: dict[str, float] = {}  # path -> first time asked
        self.bomb = bomb(1024 * MB)
        self.now = datetime.now(UTC)
        self.many = statuspage(200, self.now)
        self.good = statuspage(1, self.now, "ok")
        feeds = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                feeds.hits.setdefault(path.strip("/"), time.monotonic())
                try:
                    getattr(feeds, "serve_" + path.strip("/"), feeds.serve_missing)(self)
                except OSError:  # the engine hung up, as it should
                    self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # type: ignore[method-assign]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{path}"

    @staticmethod
    def _head(h: BaseHTTPRequestHandler, length: int | None, **extra: str) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        for key, value in extra.items():
            h.send_header(key.replace("_", "-"), value)
        if length is None:
            h.send_header("Connection", "close")
        else:
            h.send_header("Content-Length", str(length))
        h.end_headers()

    def serve_bomb(self, h: BaseHTTPRequestHandler) -> None:
        self._head(h, len(self.bomb), Content_Encoding="gzip")
        h.wfile.write(self.bomb)

    def serve_huge(self, h: BaseHTTPRequestHandler) -> None:
        self._head(h, None)
        chunk = b" " * 65536
        for _ in range(50 * MB // len(chunk)):
            h.wfile.write(chunk)

    def serve_many(self, h: BaseHTTPRequestHandler) -> None:
        self._head(h, len(self.many))
        h.wfile.write(self.many)

    def serve_good(self, h: BaseHTTPRequestHandler) -> None:
        self._head(h, len(self.good))
        h.wfile.write(self.good)

    def serve_trickle(self, h: BaseHTTPRequestHandler) -> None:
        self._head(h, None)
        while not self.stop.wait(1.0):
            h.wfile.write(b" ")

    def serve_missing(self, h: BaseHTTPRequestHandler) -> None:
        h.send_response(404)
        h.send_header("Content-Length", "0")
        h.end_headers()

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def files(folder: Path, feeds: HostileFeeds, paths: list[str]) -> tuple[Path, Path]:
    calendar = folder / "content_calendar.yaml"
    calendar.write_text("brand: {name: Bench, timezone: UTC}\nnetworks:\n  site: {type: site}\nposts: []\n")
    status = folder / "status.yaml"
    lines = ["version: 1", "components:", "  api: {name: API}", "feeds:"]
    for path in paths:
        lines += [f"  - id: {path}", f"    url: {feeds.url(path)}", "    type: statuspage", "    every: 30s",
                  "    components: [api]"]
    status.write_text("\n".join(lines) + "\n")
    return calendar, status


def peak_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def one_run(feeds: HostileFeeds, paths: list[str], root: Path, settle: float = 3.0) -> dict:
    feeds.hits.clear()
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        folder = Path(tmp)
        calendar, status = files(folder, feeds, paths)
        log_path = folder / "engine.log"
        with open(log_path, "a") as log:
            proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "run", "--calendar", str(calendar),
                                     "--status", str(status), "--state", f"sqlite:///{folder / 'state.db'}"],
                                    cwd=folder, stdout=log, stderr=log, env={**os.environ, "PYTHONPATH": str(root)})
        peak = 0.0
        began = time.monotonic()
        last = paths[-1]
        # wait until the last feed has been asked for, then `settle` s more (the trickle is under way)
        while proc.poll() is None and (last not in feeds.hits or time.monotonic() - feeds.hits[last] < settle):
            peak = max(peak, peak_mb(proc.pid))
            if time.monotonic() - began > 120:
                break
            time.sleep(0.05)
        reached = last in feeds.hits
        polled_in = (feeds.hits[last] - began) if reached else None
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        while proc.poll() is None and time.monotonic() - sent < KILL_AFTER:
            peak = max(peak, peak_mb(proc.pid))
            time.sleep(0.02)
        stopped = time.monotonic() - sent
        killed = proc.poll() is None
        if killed:
            proc.kill()
        proc.wait()
        publications = 0
        try:
            with sqlite3.connect(folder / "state.db") as db:
                publications = db.execute("select count(*) from herald_publications where source like 'incident:many-%'"
                                          ).fetchone()[0]
        except sqlite3.Error:
            pass
        text = log_path.read_text(errors="replace")
    return {"peak_mb": round(peak, 1), "stop_s": None if killed else round(stopped, 2), "exit": proc.returncode,
            "feeds_reached_s": round(polled_in, 1) if polled_in is not None else None,
            "publications_from_200": publications, "warnings": text.count(" WARNING ") + text.count("WARNING:"),
            "log_tail": text[-3000:] if killed or not reached else ""}


def summary(runs: list[dict]) -> dict:
    stops = [r["stop_s"] for r in runs]
    return {"peak_mb": statistics.median(r["peak_mb"] for r in runs),
            "stop_s": statistics.median(stops) if None not in stops else None,
            "publications_from_200": max(r["publications_from_200"] for r in runs)}


def show(label: str, s: dict) -> str:
    stop = f"{s['stop_s']:.2f} s" if s["stop_s"] is not None else f"> {KILL_AFTER:.0f} s (killed)"
    return f"  {label:<26} peak RSS {s['peak_mb']:>7.1f} MB   SIGTERM to exit {stop}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one run each")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose engine runs (default: this one)")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    feeds = HostileFeeds()
    try:
        baseline = [one_run(feeds, ["good"], args.root) for _ in range(runs)]
        hostile = [one_run(feeds, ["bomb", "huge", "many", "trickle"], args.root) for _ in range(runs)]
        many = [one_run(feeds, ["many"], args.root, settle=8.0) for _ in range(runs)]
    finally:
        feeds.close()
    base, bad, flood = summary(baseline), summary(hostile), summary(many)
    print(f"hostile feeds against `herald run` from {args.root}, median of {runs} run(s):")
    print(show("baseline (one good feed)", base))
    print(show("bomb, 50 MB, 200, trickle", bad))
    print(f"  peak RSS {bad['peak_mb'] / base['peak_mb']:.2f}x baseline")
    print(f"  200 incidents listed by one feed (alone, 8 s): {flood['publications_from_200']} publication(s)")
    print(json.dumps({"root": str(args.root), "baseline": baseline, "hostile": hostile, "many": many}),
          file=sys.stderr)


if __name__ == "__main__":
    main()
