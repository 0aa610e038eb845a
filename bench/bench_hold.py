"""Does a busy status site hold the engine back, and does SIGTERM stop it at once? (issue 22)

    python bench/bench_hold.py [--incidents 2000] [--rows 300000] [--clients 50] [--seconds 20]
                               [--overdue 10000] [--runs 3]
    python bench/bench_hold.py --quick     # 200 incidents, 20,000 rows, 10 clients, 5 s, 1,000 overdue
    python bench/bench_hold.py --only stop --root /tmp/before   # the stop figures of another checkout

One working folder: a status file with ``--incidents`` incidents (resolved ones over two years,
plus three open minor ones, which hold nothing), a SQLite ledger with ``--rows`` publication rows
(written in bulk through the ledger's own table: sent, skipped and dead calendar posts over a year,
and every incident's announcements), and a calendar with a ``site`` account and a webhook account
to a local receiver (tests/receiver.py), a post to both every 2 s, and ``engine.serve`` so that
the real ``herald run`` process serves the status site too.  Everything is on 127.0.0.1.

1. Pages: for each URL in turn, ``--clients`` threads (keep-alive connections, one request at a
   time each) GET it for ``--seconds``; p50/p99 latency and completed requests per second.  The
   baseline, in the same run and the same way: a constant page from a tiny Starlette app under
   uvicorn in a process of its own (the floor of uvicorn + Starlette + these clients).
2. Lateness: ``sent_at - scheduled_at`` from the ledger, p50/p99 for each account, of the posts due
   while the pages were hammered, against those due in a quiet window of the same length before.
3. Stop: ``--overdue`` posts to both accounts, all overdue (within their catch-up), the webhook
   answering in 0.2 s; once the engine is catching up, SIGTERM; seconds from the signal to the
   process' exit, median of ``--runs``.  Baseline: the same engine with nothing due.  Also checked
   from the logs and the receiver: deliveries after "stopping" that were not named in flight
   (must be 0), and the exit code.

Prints a table; nothing is asserted.  At the default sizes it runs in about 7 minutes on the shared
2-core machine while the pages are as slow as they are (2026-12-06), most of it the ledger set-up
and the requests the clients gave up on; with fast pages, about 4.
``--root`` runs the engine from another checkout (a before/after comparison); ``--only`` runs
one part (``pages``: 1 and 2, ``stop``: 3).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.receiver import Receiver  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
EVERY = 2  # seconds between the calendar's posts while the pages are measured
STOPPING = re.compile(r"^(\S+) INFO herald\.daemon: stopping: (.*)$", re.MULTILINE)
BASELINE_APP = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

async def ok(request):
    return PlainTextResponse("ok")

app = Starlette(routes=[Route("/", ok)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False, lifespan="off")
"""


# -- the data ------------------------------------------------------------------------------------
def status_text(incidents: int, now: datetime) -> str:
    """``incidents`` incidents on 12 components: all but three resolved (an hour after they began,
    spread over two years), three open minor ones (they hold no post)."""
    rng = random.Random(incidents)
    lines = ["status_page: https://status.bench.example", "components:"]
    lines += [f"  c{n}: {{name: Component number {n}}}" for n in range(12)]
    lines.append("incidents:")
    opened = min(3, incidents)
    for n in range(incidents - opened):
        start = (now - timedelta(days=2, minutes=rng.randrange(0, 730 * 1440))).replace(second=0, microsecond=0)
        lines += [f"  - id: past-{n}", f"    title: Past incident number {n} with a realistic title",
                  f"    impact: {['minor', 'major', 'critical'][n % 3]}", f"    components: [c{n % 12}]",
                  "    updates:", f"      - at: {start.isoformat(timespec='minutes')}", "        state: investigating",
                  "        message: Some customers see errors. We are looking into it.",
                  f"      - at: {(start + timedelta(hours=1)).isoformat(timespec='minutes')}",
                  "        state: resolved", "        message: Fixed; everything works again."]
    for n in range(opened):
        start = (now - timedelta(minutes=30 + 20 * n)).replace(second=0, microsecond=0)
        lines += [f"  - id: open-{n}", f"    title: Slow searches for some customers ({n})", "    impact: minor",
                  f"    components: [c{n}]", "    updates:", f"      - at: {start.isoformat(timespec='minutes')}",
                  "        state: identified", "        message: A search node is overloaded; we are moving traffic."]
    return "\n".join(lines) + "\n"


def fill_ledger(url: str, rows: int, incidents: int, now: datetime) -> None:
    """``rows`` publication rows, inserted in bulk into the ledger's table (an engine would take
    hours to write them): every incident's two updates on both accounts, the rest calendar posts
    of the past year on three accounts, 95 % sent, 3 % skipped, 2 % dead.  The ledger is created
    by :class:`Ledger`; the rows go in through the driver, with times in SQLAlchemy's SQLite form
    (ASCII text and UTC times: nothing for the ledger's own bind processing to change)."""
    from scheduler.ledger import Ledger
    from scheduler.ledger.schema import publications_table

    def to_db(when: datetime) -> str:
        return f"{when.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}"

    rng = random.Random(rows)
    ledger = Ledger(url)
    batch: list[dict] = []

    def row(i: int, source: str, post: str, network: str, kind: str, at: datetime, state: str) -> dict:
        sent = at + timedelta(seconds=rng.uniform(0.02, 0.4)) if state == "sent" else None
        return {"key": hashlib.sha256(f"{i}".encode()).hexdigest()[:32], "source": source, "post": post,
                "network": network, "kind": kind, "scheduled_at": to_db(at), "state": state, "version": 3,
                "attempts": 1 if state != "skipped" else 0, "ambiguous": 0,
                "last_error": {"skipped": "2h late; tip posts go out at most 1h late",
                               "dead": "gave up after 8 attempts: 503 Service Unavailable"}.get(state),
                "remote_id": f"msg-{i}" if sent else None, "remote_url": None,
                "text": f"Bench publication number {i}: track your order in one click, no need to call.",
                "variant": "1", "created_at": to_db(at), "updated_at": to_db(sent or at),
                "sent_at": to_db(sent) if sent else None}

    def flush() -> None:
        if batch:
            names = list(batch[0])
            with ledger.db.begin() as c:
                c.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MB: five indexes, random keys
                c.exec_driver_sql(f"INSERT INTO {publications_table.name} ({', '.join(names)}) "
                                  f"VALUES ({', '.join('?' for _ in names)})",
                                  [tuple(r[n] for n in names) for r in batch])
            batch.clear()

    written = 0
    status_rows = min(rows, max(0, incidents - 3) * 4)
    day = random.Random(incidents)  # the same instants status_text chose
    for n in range(status_rows // 4):
        start = (now - timedelta(days=2, minutes=day.randrange(0, 730 * 1440))).replace(second=0, microsecond=0)
        for at in (start, start + timedelta(hours=1)):
            for network in ("site", "hooks"):
                batch.append(row(written, f"incident:past-{n}", f"past-{n}", network, "incident", at, "sent"))
                written += 1
        if len(batch) >= 5000:
            flush()
    while written < rows:
        at = now - timedelta(days=1, seconds=rng.randrange(0, 365 * 86400))
        draw = rng.random()
        state = "sent" if draw < 0.95 else "skipped" if draw < 0.98 else "dead"
        post = f"p{rng.randrange(600)}"
        batch.append(row(written, f"post:{post}", post, rng.choice(("site", "hooks", "x")),
                         rng.choice(("tip", "reminder", "announcement", "tracking")), at, state))
        written += 1
        if len(batch) >= 5000:
            flush()
    flush()
    ledger.close()


def calendar_text(url: str, port: int, first: datetime, posts: int, every: int) -> str:
    lines = ["brand: {name: Hold Bench, timezone: UTC}", "networks:", "  site: {type: site}",
             f"  hooks: {{type: webhook, url: '{url}/in', lookup_url: '{url}/lookup', timeout: 5}}",
             f"engine: {{serve: '127.0.0.1:{port}'}}", "posts:"]
    for i in range(posts):
        at = first + timedelta(seconds=every * i)
        lines += [f"  - id: p{i}", "    kind: announcement", "    networks: [site, hooks]",
                  f"    at: '{at:%Y-%m-%dT%H:%M:%SZ}'",
                  f"    text: 'Announcement number {i}: deliveries run as planned today.'"]
    return "\n".join(lines) + "\n"


# -- processes -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if (proc is not None and proc.poll() is not None) or time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what}")
        time.sleep(0.05)


def answers(port: int, path: str = "/") -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", path)
        ok = conn.getresponse().status < 500
        conn.close()
        return ok
    except OSError:
        return False


class Engine:
    """One real ``herald run`` on the folder's calendar, status and ledger, logging to engine.log."""

    root = ROOT  # the checkout whose engine runs (--root)

    def __init__(self, folder: Path):
        self.folder = folder
        self.log = folder / "engine.log"
        self.log.touch()
        self.starts = self.log.read_text().count(" started: ")
        self.offset = self.log.stat().st_size
        with open(self.log, "a") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "scheduler.cli", "run", "--calendar", str(folder / "content_calendar.yaml"),
                 "--status", str(folder / "status.yaml"), "--state", f"sqlite:///{folder / 'state.db'}"],
                cwd=folder, stdout=out, stderr=subprocess.STDOUT, env={**ENV, "PYTHONPATH": str(self.root)})

    def text(self) -> str:
        with open(self.log) as fh:
            fh.seek(self.offset)
            return fh.read()

    def wait_started(self, timeout: float = 240) -> None:
        wait_for(lambda: " started: " in self.text(), timeout, f"the engine's start-up ({self.log})", self.proc)

    def terminate(self, bound: float = 90) -> tuple[float, int | None]:
        began = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code: int | None = self.proc.wait(timeout=bound)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = None
        return time.monotonic() - began, code


# -- the clients ---------------------------------------------------------------------------------
def hammer(port: int, path: str, clients: int, seconds: float, timeout: float) -> dict:
    """``clients`` threads GET ``path`` over keep-alive connections for ``seconds`` (none starts a
    request after that; each is bounded by ``timeout``: one that times out counts as ``timeout``
    long, so a percentile that falls on one is printed as "> timeout")."""
    latencies: list[float] = []
    kinds: dict[str, int] = {}
    lock = threading.Lock()
    start = threading.Event()
    began = [0.0]
    last = [0.0]
    ok = [0]

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        start.wait()
        end = began[0] + seconds
        mine: list[float] = []
        failed: dict[str, int] = {}
        good = 0
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    good += 1
                    mine.append(time.perf_counter() - t0)
                else:
                    failed[str(response.status)] = failed.get(str(response.status), 0) + 1
            except (OSError, http.client.HTTPException) as exc:
                kind = "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
                failed[kind] = failed.get(kind, 0) + 1
                if kind == "timeout":
                    mine.append(timeout)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.close()
        with lock:
            latencies.extend(mine)
            ok[0] += good
            for kind, n in failed.items():
                kinds[kind] = kinds.get(kind, 0) + n
            last[0] = max(last[0], time.perf_counter())

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    began[0] = time.perf_counter()
    start.set()
    for thread in threads:
        thread.join(seconds + timeout + 5)
    wall = max(last[0], began[0] + seconds) - began[0]
    return {"path": path, "n": ok[0], "errors": kinds, "p50": percentile(latencies, 0.50),
            "p99": percentile(latencies, 0.99), "rps": ok[0] / wall if wall else 0.0, "timeout": timeout}


def drain(port: int, bound: float = 60.0) -> float:
    """Wait until the site answers /healthz within a second again (requests the clients gave up on
    are still being rendered): the next page must not pay for this one.  Returns the seconds waited
    (``bound`` at most: then the next page's figures include what is left of this one)."""
    began = time.monotonic()
    while time.monotonic() - began < bound:
        t0 = time.monotonic()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=bound)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            conn.close()
        except OSError:
            pass
        if time.monotonic() - t0 < 1.0:
            break
    return time.monotonic() - began


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def lateness(url: str, start: datetime, end: datetime, first: datetime) -> dict[str, dict]:
    """Per account, of the posts due in [start, end) (one every EVERY s from ``first``): how many
    were due, how many were sent, and p50/p99 of sent_at - scheduled_at, where a post not sent yet
    counts as "now - scheduled_at" at least (a percentile that falls on one is printed with ">")."""
    from sqlalchemy import select

    from scheduler.ledger import Ledger
    from scheduler.ledger.schema import publications_table, to_db

    P = publications_table.c  # noqa: N806
    now = datetime.now(UTC)
    due = [first + timedelta(seconds=EVERY * i) for i in range(int((end - first).total_seconds()) // EVERY + 2)]
    due = [at for at in due if start <= at < end]
    ledger = Ledger(url)
    try:
        out = {}
        for network in ("site", "hooks"):
            with ledger.db.connect() as c:
                rows = c.execute(select(P.scheduled_at, P.sent_at).where(
                    P.network == network, P.state == "sent", P.source.like("post:%"),
                    P.scheduled_at >= to_db(start), P.scheduled_at < to_db(end))).all()
            sent = {at.replace(tzinfo=UTC): (s - at).total_seconds() for at, s in rows}
            late = sorted((sent[at], False) if at in sent else ((now - at).total_seconds(), True) for at in due)
            out[network] = {"due": len(due), "sent": len(sent), "p50": _pick(late, 0.5), "p99": _pick(late, 0.99)}
        return out
    finally:
        ledger.close()


def _pick(ordered: list[tuple[float, bool]], q: float) -> tuple[float, bool] | None:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else None


# -- the measurements ----------------------------------------------------------------------------
def pages_and_lateness(folder: Path, receiver: Receiver, args: argparse.Namespace) -> tuple[list[dict], dict]:
    port, base_port = free_port(), free_port()
    paths = ["/", "/incidents/past-0/", "/api/v2/summary.json", "/metrics"]
    quiet = float(args.seconds)
    # posts every EVERY s from the start on, enough for the quiet window, every page and their tails
    budget = quiet * (len(paths) + 2) + (2 * args.timeout + 120) * (len(paths) + 1) + 120
    first = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=10)
    (folder / "content_calendar.yaml").write_text(calendar_text(receiver.url, port, first, int(budget / EVERY) + 1,
                                                                EVERY))
    engine = Engine(folder)
    baseline = subprocess.Popen([sys.executable, "-c", BASELINE_APP, str(base_port)], env=ENV)
    try:
        engine.wait_started()
        wait_for(lambda: answers(port, "/healthz"), 120, "the status site", engine.proc)
        wait_for(lambda: answers(base_port), 60, "the baseline app", baseline)
        for path in paths:  # warm: templates compiled, files read
            answers(port, path)
        now = datetime.now(UTC)
        if now < first:  # the quiet window starts with the first post
            time.sleep((first - now).total_seconds())
        quiet_start = datetime.now(UTC)
        time.sleep(quiet)
        quiet_end = datetime.now(UTC)
        results = [dict(hammer(base_port, "/", args.clients, args.seconds, args.timeout),
                        path="baseline: constant page")]
        print(f"  baseline: {fmt_row(results[0])}", flush=True)
        hammered_start = datetime.now(UTC)
        for path in paths:
            result = hammer(port, path, args.clients, args.seconds, args.timeout)
            result["drain"] = drain(port)
            results.append(result)
            print(f"  {path}: {fmt_row(result)}; drained in {result['drain']:.1f} s", flush=True)
        hammered_end = datetime.now(UTC)
        time.sleep(15)  # the posts due at the very end are sent and recorded
        late: dict = {"quiet": lateness(engine_url(folder), quiet_start, quiet_end, first),
                      "hammered": lateness(engine_url(folder), hammered_start, hammered_end, first)}
        took, code = engine.terminate()
        late["stop_after_hammering"] = (took, code)
    finally:
        if engine.proc.poll() is None:
            engine.proc.kill()
        baseline.terminate()
        baseline.wait(10)
    return results, late


def engine_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'state.db'}"


def ms(value: float | None, timeout: float) -> str:
    if value is None:
        return "-"
    return f"> {timeout:g} s" if value >= timeout else f"{value * 1000:,.1f} ms"


def fmt_row(r: dict) -> str:
    errors = ", ".join(f"{n} {kind}" for kind, n in sorted(r["errors"].items())) or "no errors"
    return (f"p50 {ms(r['p50'], r['timeout'])}, p99 {ms(r['p99'], r['timeout'])}, {r['rps']:,.1f} req/s "
            f"({r['n']} ok; {errors})")


def stop_times(folder: Path, receiver: Receiver, args: argparse.Namespace) -> dict:
    """SIGTERM with nothing due (baseline) and with ``--overdue`` posts overdue, ``--runs`` times each."""
    port = free_port()
    now = datetime.now(UTC).replace(microsecond=0)
    spread = max(1, 5 * 3600 // max(1, args.overdue))  # at most five hours back: within their 6 h catch-up
    idle = calendar_text(receiver.url, port, now + timedelta(days=2), args.overdue, spread)
    receiver.delay = 0.2
    figures: dict[str, list] = {"idle": [], "overdue": [], "codes": [], "after_stopping": [], "in_flight": [],
                                "sent_before": []}
    for run in range(args.runs):
        if run < max(1, args.runs // 2):  # the baseline: fewer runs (each start takes long at full size)
            (folder / "content_calendar.yaml").write_text(idle)
            engine = Engine(folder)
            engine.wait_started()
            wait_for(lambda: answers(port, "/healthz"), 120, "the status site", engine.proc)
            took, code = engine.terminate()
            figures["idle"].append(took)
            figures["codes"].append(code)
        # the same posts, now overdue (moved by a minute at each run: new keys, the whole backlog again)
        first = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=spread * args.overdue + 60 * run)
        (folder / "content_calendar.yaml").write_text(calendar_text(receiver.url, port, first, args.overdue, spread))
        arrivals: list[tuple[float, str]] = []
        mark = len(receiver.deliveries)
        engine = Engine(folder)
        engine.wait_started()
        wait_for(lambda mark=mark: len(receiver.deliveries) >= mark + 10, 120, "the catch-up", engine.proc)
        took, code = engine.terminate()
        figures["overdue"].append(took)
        figures["codes"].append(code)
        text = engine.text()
        stopping = STOPPING.findall(text)
        if stopping:
            stamp, said = stopping[-1]
            stopped_at = datetime.fromisoformat(stamp).timestamp()
            named = set(re.findall(r"(\S+) on hooks", said))
            arrivals = [(d["at"] - receiver.delay, d["body"]["post"]) for d in receiver.deliveries[mark:]]
            figures["after_stopping"].append(sum(1 for at, post in arrivals if at > stopped_at and post not in named))
            figures["in_flight"].append(said)
            figures["sent_before"].append(sum(1 for at, _ in arrivals if at <= stopped_at))
    receiver.delay = 0.0
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0, help="per page, and the quiet window")
    parser.add_argument("--timeout", type=float, default=15.0, help="a request's bound (seconds)")
    parser.add_argument("--overdue", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="SIGTERM measurements (median)")
    parser.add_argument("--quick", action="store_true", help="small sizes: a minute or so")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose engine runs (default: this one)")
    parser.add_argument("--only", choices=("all", "pages", "stop"), default="all")
    args = parser.parse_args()
    Engine.root = args.root
    if args.quick:
        args.incidents, args.rows, args.clients, args.seconds, args.overdue, args.runs = 200, 20_000, 10, 5, 1000, 1
        args.timeout = 10.0
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as name, Receiver() as receiver:
        receiver.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        folder = Path(name)
        now = datetime.now(UTC)
        (folder / "status.yaml").write_text(status_text(args.incidents, now))
        t0 = time.monotonic()
        fill_ledger(engine_url(folder), args.rows, args.incidents, now)
        print(f"setup: {args.incidents:,} incidents, {args.rows:,} ledger rows written in "
              f"{time.monotonic() - t0:.1f} s; {args.clients} clients, {args.seconds:g} s per page", flush=True)
        pages, late = pages_and_lateness(folder, receiver, args) if args.only != "stop" else ([], {})
        stops = stop_times(folder, receiver, args) if args.only != "pages" else {}
    print(f"engine from {args.root}")
    if pages:
        print_pages(pages, late, args)
    if stops:
        print_stops(stops, args)
    print(f"total {time.monotonic() - began:.0f} s")


def print_pages(pages: list[dict], late: dict, args: argparse.Namespace) -> None:
    base = pages[0]
    print()
    print(f"| page ({args.clients} clients, {args.seconds:g} s each) | p50 | p99 | req/s | "
          "p50 / baseline | p99 / baseline | req/s / baseline | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in pages:
        def ratio(a: float | None, b: float | None, r: dict = r) -> str:
            if a is None or not b:
                return "-"
            return f"> {a / b:,.3g}" if a >= r["timeout"] else f"{a / b:,.3g}"

        errors = ", ".join(f"{n} {kind}" for kind, n in sorted(r["errors"].items())) or "0"
        print(f"| {r['path']} | {ms(r['p50'], r['timeout'])} | {ms(r['p99'], r['timeout'])} | {r['rps']:,.1f} | "
              f"{ratio(r['p50'], base['p50'])} | {ratio(r['p99'], base['p99'])} | {r['rps'] / base['rps']:,.3g} | "
              f"{errors} |")
    print()
    print("| lateness (sent - scheduled, from the ledger) | quiet: sent/due, p50, p99 | "
          "pages hammered: sent/due, p50, p99 | p99 ratio |")
    print("|---|---|---|---:|")

    def sec(value: tuple[float, bool] | None) -> str:
        return "-" if value is None else f"{'> ' if value[1] else ''}{value[0]:,.3f} s"

    for network in ("site", "hooks"):
        q, h = late["quiet"][network], late["hammered"][network]
        ratio = "-"
        if q["p99"] and h["p99"] and q["p99"][0]:
            ratio = f"{'> ' if h['p99'][1] else ''}{h['p99'][0] / q['p99'][0]:,.1f}"
        print(f"| {network} posts | {q['sent']}/{q['due']}, {sec(q['p50'])}, {sec(q['p99'])} | "
              f"{h['sent']}/{h['due']}, {sec(h['p50'])}, {sec(h['p99'])} | {ratio} |")
    took, code = late["stop_after_hammering"]
    print(f"\nSIGTERM after the page runs (posts every {EVERY} s): {took:.2f} s to exit, exit code {code}")


def print_stops(stops: dict, args: argparse.Namespace) -> None:
    print()
    idle, over = statistics.median(stops["idle"]), statistics.median(stops["overdue"])
    print("| SIGTERM to exit (median of the runs) | seconds | runs | ratio |")
    print("|---|---:|---|---:|")
    print(f"| nothing due (baseline) | {idle:.2f} | {', '.join(f'{t:.2f}' for t in stops['idle'])} | 1.0 |")
    print(f"| {args.overdue:,} posts overdue (x2 accounts), catching up | {over:.2f} | "
          f"{', '.join(f'{t:.2f}' for t in stops['overdue'])} | {over / idle:.1f} |")
    print()
    print(f"exit codes: {stops['codes']}; deliveries after 'stopping' not named in flight: {stops['after_stopping']}; "
          f"delivered before 'stopping': {stops['sent_before']}")
    for said in stops["in_flight"]:
        print(f"  stopping: {said}")


if __name__ == "__main__":
    main()
