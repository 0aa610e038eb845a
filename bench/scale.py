"""Herald at scale: each path a person or a service waits on, against its floor measured in the same run.

    python bench/scale.py            # 2 / 451 / 2,000 incidents, 1k / 10k / 100k posts, median of 5
    python bench/scale.py --quick    # 2 / 451 incidents, 1k / 10k posts, median of 2
    python bench/scale.py --only plan,lint

Rows (the floor, measured in the same run, in brackets):

- status: ``status.yaml`` saved -> the first webhook request for it, with N incidents in the file,
  with and without a ``site`` account [a watchdog script that POSTs to the same receiver on the save];
- rss: the engine's resident memory with N posts loaded [an empty engine];
- startup: the engine's start-up with N posts;
- lateness: posts due in the first second after a 100k-post engine started: receipt - due;
- throughput: publications per second, 1 / 2 / 4 engines on one PostgreSQL [1 engine];
  and the machine's ceiling for that ratio in the same run: the iterations per second of a fixed
  pure-Python loop in 1 / 2 / 4 processes at once [1 process] (at most 2x on 2 idle cores);
- plan: ``herald plan --days 365 --json``, 10k posts of many rules (``generate.py --many-rules``)
  [the libyaml parse of the file];
- lint: ``herald lint``, 28 days, the same calendar [the libyaml parse of the file];
  both also in CPU (the command and its child, against the parse's), the steadier figure here.

Each figure is the median of ``--runs``; commands run as fresh processes, as a user runs them.
The machinery is the other bench scripts' (engine start and stop, the receiver, the HA
throughput run, the plan timing), imported.  PostgreSQL: the server on 127.0.0.1:5432 (trust
auth, database ``test``), on a database of this run's own, dropped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_commands import PARSE  # noqa: E402
from bench.bench_engine import ENV, rss_mb, start_engine, stop, wait_started  # noqa: E402
from bench.bench_plan import HERALD  # noqa: E402
from bench.generate import generate  # noqa: E402
from tests.receiver import Receiver  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
Row = tuple[str, str, float | None, float | None, str]  # (path, size, value, floor, unit)


# -- status save → first webhook -----------------------------------------------------------------

def status_reaction(incidents: int, site: bool, runs: int) -> dict[str, float]:
    """{'herald': ms, 'floor': ms}, medians.  The one place that picks the machinery: the status
    reaction's own benchmark (bench/bench_reaction.py) when it is there, else the one below."""
    try:
        from bench.bench_reaction import measure  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        measure = _reaction
    return dict(measure(incidents, site, runs))


WATCHDOG = """
import sys, time, urllib.request, uuid
from pathlib import Path
from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer
folder, url = Path(sys.argv[1]), sys.argv[2]
class Post(FileSystemEventHandler):
    def on_any_event(self, event):
        name = Path(getattr(event, "dest_path", "") or event.src_path).name
        if name == "status.yaml" and event.event_type != "opened":
            headers = {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
            try:
                urllib.request.urlopen(urllib.request.Request(url, b"{}", headers), timeout=5).read()
            except OSError as exc:
                print(exc, file=sys.stderr)
observer = Observer(); observer.schedule(Post(), str(folder)); observer.start()
print("watching", flush=True)
time.sleep(3600)
"""


def _reaction(incidents: int, site: bool, runs: int) -> dict[str, float]:
    """bench_status.py's measure with ``incidents`` resolved incidents already in the file: a real
    `herald run`, a declaration saved with status.edit, the time to the receiver's first request."""
    from campaigns.calendar import load
    from scheduler.statusfile import edit as edit_file
    from status import edit

    herald, floor = [], []
    with tempfile.TemporaryDirectory() as tmp, Receiver() as receiver:
        folder = Path(tmp)
        calendar = folder / "content_calendar.yaml"
        calendar.write_text("brand: {name: Bench, timezone: UTC}\nnetworks:\n"
                            f"  hook: {{type: webhook, url: '{receiver.url}/in'}}\n"
                            + ("  web: {type: site}\n" if site else "") + "posts: []\n")
        status = folder / "status.yaml"
        status.write_text("components:\n  checkout: {name: Checkout}\nincidents: []\n")
        cal = load(str(calendar))

        def history(data: Any, st: Any) -> None:
            old = edit.stamp(datetime.now(UTC) - timedelta(days=30), st)  # (long past: nothing goes out for them)
            for n in range(incidents):
                edit.declare(data, incident_id=f"old-{n}", title=f"Old problem {n}", impact="minor",
                             components=["checkout"], networks=[], at=old, message="We're on it.", next_update=None)

        edit_file(str(status), cal, history)
        proc = start_engine(folder, calendar, status)
        try:
            wait_started(folder)
            _quiet(receiver)
            for n in range(runs):
                herald.append(_declare_and_wait(receiver, lambda n=n: edit_file(str(status), cal, lambda data, st: (
                    edit.declare(data, incident_id=f"new-{n}", title=f"Problem {n}", impact="major",
                                 components=["checkout"], networks=[], at=edit.stamp(datetime.now(UTC), st),
                                 message="We're on it.", next_update=None)))))
                _quiet(receiver)
        finally:
            stop(proc)
        watcher = subprocess.Popen([sys.executable, "-c", WATCHDOG, str(folder), f"{receiver.url}/in"],
                                   stdout=subprocess.PIPE, env=ENV)
        try:
            assert watcher.stdout is not None and watcher.stdout.readline()
            text = status.read_bytes()
            for _ in range(runs):
                floor.append(_declare_and_wait(receiver, lambda: status.write_bytes(text)))
                _quiet(receiver)
        finally:
            watcher.kill()
            watcher.wait()
    return {"herald": statistics.median(herald), "floor": statistics.median(floor)}


def _declare_and_wait(receiver: Receiver, save: Callable[[], object]) -> float:
    before = len(receiver.deliveries)
    save()
    saved = time.monotonic()
    while len(receiver.deliveries) == before:
        if time.monotonic() - saved > 30:
            raise RuntimeError("no request within 30 s of the save")
        time.sleep(0.0005)
    return (time.monotonic() - saved) * 1000


def _quiet(receiver: Receiver, for_seconds: float = 0.5) -> None:
    """Until the receiver has had no request for ``for_seconds`` (an announcement's replies are done)."""
    count, since = len(receiver.deliveries), time.monotonic()
    while time.monotonic() - since < for_seconds:
        time.sleep(0.05)
        if len(receiver.deliveries) != count:
            count, since = len(receiver.deliveries), time.monotonic()


# -- the engine with many posts ------------------------------------------------------------------

def engine_loaded(posts: int, runs: int) -> dict[str, float]:
    """{'rss_mb', 'startup_s'}, medians: `herald run` with ``posts`` loaded, nothing due."""
    rss, startup = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
            folder = Path(tmp)
            calendar = folder / "content_calendar.yaml"
            calendar.write_text(_quiet_calendar(posts))
            began = time.monotonic()
            proc = start_engine(folder, calendar)
            try:
                wait_started(folder)
                startup.append(time.monotonic() - began)
                time.sleep(1)
                rss.append(rss_mb(proc.pid))
            finally:
                stop(proc)
    return {"rss_mb": statistics.median(rss), "startup_s": statistics.median(startup)}


def _quiet_calendar(posts: int, extra_network: str = "") -> str:
    """bench/generate.py's calendar with its year 400 days ahead (nothing due), the networks that
    need credentials dry; an empty calendar for 0."""
    later = (datetime.now(UTC) + timedelta(days=400)).date()
    empty = "brand: {name: Empty, timezone: UTC}\nnetworks:\n  site: {type: site}\nposts: []\n"
    text = generate(posts, start=later) if posts else empty
    for kind in ("x", "mastodon", "bluesky"):
        text = text.replace(f"{{type: {kind}", f"{{type: {kind}, dry_run: true")
    return text.replace("networks:\n", f"networks:\n{extra_network}", 1) if extra_network else text


def first_second_lateness(posts: int, startup_s: float, due: int = 20) -> dict[str, float]:
    """``due`` posts due over the first second after the engine is expected to have started
    (``startup_s``, measured for this size): receipt - due, in ms, of those due after it did."""
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp, Receiver() as receiver:
        folder = Path(tmp)
        calendar = folder / "content_calendar.yaml"
        launch = datetime.now(UTC)
        first = launch + timedelta(seconds=startup_s * 1.1 + 1)
        lines = [_quiet_calendar(posts, f"  due: {{type: webhook, url: '{receiver.url}/in'}}\n").rstrip("\n")]
        for i in range(due):
            at = first + timedelta(seconds=i / due)
            lines += [f"  - id: due-{i}", "    kind: announcement", "    networks: [due]",
                      f"    at: '{at.strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3]}Z'", f"    text: 'Due {i}'"]
        calendar.write_text("\n".join(lines) + "\n")
        proc = start_engine(folder, calendar)
        try:
            wait_started(folder)
            started = time.time()
            receiver.wait_for(due, timeout=startup_s + 60)
        finally:
            stop(proc)
        late = sorted((d["at"] - datetime.fromisoformat(d["body"]["scheduled_at"]).timestamp()) * 1000
                      for d in receiver.accepted.values()
                      if datetime.fromisoformat(d["body"]["scheduled_at"]).timestamp() >= started)
    return {"p50_ms": statistics.median(late) if late else float("nan"),
            "max_ms": late[-1] if late else float("nan"), "counted": len(late)}


# -- several engines on one PostgreSQL -------------------------------------------------------------

@contextlib.contextmanager
def scratch_database() -> Iterator[Callable[[], str]]:
    """A maker of uniquely named databases on the local server; all dropped at the end."""
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"herald_scale_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return f"postgresql://postgres@127.0.0.1:5432/{name}"

    try:
        yield make
    finally:
        with admin.connect() as c:
            for name in made:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def publications_per_second(engines: int, runs: int, posts: int) -> float:
    from bench.bench_ha import throughput

    rates = []
    with scratch_database() as database, tempfile.TemporaryDirectory() as tmp:
        for r in range(runs):
            result = throughput(Path(tmp) / f"tp{engines}-{r}", database(), engines, posts=posts)
            if result["per_second"]:
                rates.append(result["per_second"])
    return statistics.median(rates) if rates else float("nan")


# -- plan and lint of a calendar of many rules -----------------------------------------------------

def plan_and_lint(posts: int, runs: int) -> dict[str, float]:
    """{'parse', 'plan', 'lint'}: seconds of wall time, and {'parse_cpu', 'plan_cpu', 'lint_cpu'}: seconds
    of CPU (user + system of the process and the children it waited for: the steadier figure on a
    shared machine), medians, each a fresh process, on one file."""
    with tempfile.TemporaryDirectory(prefix="herald-scale-") as tmp:
        folder = Path(tmp)
        path = folder / "calendar.yaml"
        path.write_text(generate(posts, start=date(2027, 1, 1), many_rules=True), encoding="utf-8")
        commands = {
            "parse": [sys.executable, "-c", PARSE, str(path)],
            "plan": [*HERALD, "plan", "--calendar", str(path), "--status", "none.yaml", "--from", "2027-01-01",
                     "--days", "365", "--json"],
            "lint": [*HERALD, "lint", "--calendar", str(path), "--status", "none.yaml", "--from", "2027-03-01"],
        }
        samples: dict[str, list[float]] = {}
        for _ in range(runs):  # interleaved: the machine's load falls on all three alike
            for name, argv in commands.items():
                wall, cpu = _timed_cpu(argv, folder)
                samples.setdefault(name, []).append(wall)
                samples.setdefault(f"{name}_cpu", []).append(cpu)
    return {name: statistics.median(values) for name, values in samples.items()}


def _timed_cpu(argv: list[str], folder: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one run, its output written to a file (as ``plan > plan.jsonl``)."""
    import resource

    with open(folder / "out", "wb") as out:
        before, began = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        subprocess.run(argv, cwd=folder, stdout=out, stderr=subprocess.DEVNULL, check=False,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
        wall, after = time.perf_counter() - began, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


# -- the table ---------------------------------------------------------------------------------------

def rows(only: set[str], quick: bool, runs: int) -> Iterator[Row]:
    posts = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    if "status" in only:
        for incidents in (2, 451) if quick else (2, 451, 2_000):
            for site in (False, True):
                r = status_reaction(incidents, site, runs)
                yield (f"status save -> first webhook{' (with site)' if site else ''}", f"{incidents:,} incidents",
                       r["herald"], r["floor"], "ms")
    loaded: dict[int, dict[str, float]] = {}
    if only & {"rss", "startup", "lateness"}:
        loaded = {n: engine_loaded(n, runs) for n in (0, *posts)}
    if "rss" in only:
        for n in posts[1:]:
            yield "engine RSS", f"{n:,} posts", loaded[n]["rss_mb"], loaded[0]["rss_mb"], "MB"
    if "startup" in only:
        for n in posts:
            yield "engine start-up", f"{n:,} posts", loaded[n]["startup_s"], None, "s"
    if "lateness" in only:
        n = posts[-1]
        late = first_second_lateness(n, loaded[n]["startup_s"])
        yield "lateness, due in the first second", f"{n:,} posts (p50)", late["p50_ms"], None, "ms"
        yield "lateness, due in the first second", f"{n:,} posts (max of {late['counted']})", late["max_ms"], None, "ms"
    if "throughput" in only:
        tp_posts = 150 if quick else 300
        one = publications_per_second(1, runs, tp_posts)
        for engines in (1, 2, 4):
            rate = one if engines == 1 else publications_per_second(engines, runs, tp_posts)
            yield "publications per second", f"{engines} engine(s)", rate, one, "/s"
        # the ceiling of that ratio on this machine now: pure-Python work N processes get done against one
        from bench.bench_ha import machine_rate

        alone = statistics.median(machine_rate(1) for _ in range(runs))
        for processes in (1, 2, 4):
            rate = alone if processes == 1 else statistics.median(machine_rate(processes) for _ in range(runs))
            yield "the machine: Python loop iterations per second", f"{processes} process(es)", rate, alone, "/s"
    if only & {"plan", "lint"}:
        pl = plan_and_lint(10_000, runs)
        for name, what in (("plan", "plan --days 365 --json (many rules)"), ("lint", "lint, 28 days (many rules)")):
            if name in only:
                yield what, "10,000 posts", pl[name], pl["parse"], "s"
                yield f"{what}, CPU", "10,000 posts", pl[f"{name}_cpu"], pl["parse_cpu"], "s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer runs")
    parser.add_argument("--runs", type=int, help="median of this many (default 5; 2 with --quick)")
    parser.add_argument("--only", default="status,rss,startup,lateness,throughput,plan,lint",
                        help="comma-separated rows to run")
    args = parser.parse_args()
    runs = args.runs or (2 if args.quick else 5)
    print(f"median of {runs} run(s){' (--quick)' if args.quick else ''}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the start", flush=True)
    print(f"{'path':<42}{'size':<26}{'value':>12}{'floor':>12}{'ratio':>8}", flush=True)
    for path, size, value, floor, unit in rows(set(args.only.split(",")), args.quick, runs):
        ratio = f"{value / floor:.2f}x" if value is not None and floor else ""
        shown = f"{value:.2f} {unit}" if value is not None else "-"
        base = f"{floor:.2f} {unit}" if floor is not None else ""
        print(f"{path:<42}{size:<26}{shown:>12}{base:>12}{ratio:>8}", flush=True)


if __name__ == "__main__":
    main()
