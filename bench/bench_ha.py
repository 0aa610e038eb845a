"""High availability, for real: several `herald run` processes on one PostgreSQL ledger, SIGKILLed
at random and restarted, with a PostgreSQL restart in the middle.

- ``ha_run``: ``engines`` engines publish ``posts`` announcements due over ``spread`` seconds to a
  local webhook receiver (tests/receiver.py); every ``kill_every`` seconds (a random pick in the
  range) a random engine is SIGKILLed and started again at once; ``restart_db`` (if given) is
  called half-way.  Figures come from what happened: the receiver's deliveries (lost, keys per
  post, deliveries per key, arrival times) and the claims the killed engine held at the moment
  it died (read from the ledger right after the kill): their lateness is the failover time.
- ``throughput``: ``posts`` due at once, 1, 2 or 4 engines, publications per second (and on
  PostgreSQL the transactions and tuples fetched per publication); ``scaling`` takes turns over
  1, 2 and 4 engines and reports the medians and their ratio to 1 engine's, and beside it the
  machine's own ratio in the same rounds (``machine_rate``: a fixed pure-Python loop in N processes
  at once against one), the ceiling of the engines' on this machine at that moment.
- ``growth``: the ledger's bytes per 10,000 publications on SQLite and PostgreSQL.
- ``ThrowawayPostgres``: a PostgreSQL cluster of its own (initdb in a temporary folder, another
  port) that can be restarted without touching the machine's server; removed at the end.

    python bench/bench_ha.py            # 3 engines, 1,000 posts over 2 minutes, throughput, growth
    python bench/bench_ha.py --quick    # 3 engines, 150 posts over 25 s
    python bench/bench_ha.py --server postgresql://postgres@127.0.0.1:5432/test --throughput-only --runs 5

Used by tests/test_ha.py (2 engines, a few kills, on the test run's own database).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.crash import write_calendar  # noqa: E402
from tests.receiver import Receiver  # noqa: E402


def _p(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


class Engines:
    """``herald run`` processes on one calendar and ledger, each with its own log."""

    def __init__(self, workdir: Path, calendar: Path, url: str, root: Path = ROOT):
        self.workdir = workdir
        self.command = [sys.executable, "-m", "scheduler.cli", "run", "--calendar", str(calendar), "--state", url]
        self.env = {**os.environ, "PYTHONPATH": str(root)}  # the engines run this checkout's code
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.logs: dict[int, Path] = {}

    def start(self, slot: int) -> subprocess.Popen[bytes]:
        """Start engine ``slot``; it registers as host ``node-SLOT``, so its peers treat it as another
        machine (no looking up its pid: only its heartbeat and its lock session tell them it died)."""
        self.logs[slot] = self.workdir / f"engine-{slot}.log"
        with open(self.logs[slot], "a") as log:
            proc = subprocess.Popen(self.command, cwd=self.workdir, stdout=log, stderr=log,
                                    env={**self.env, "HERALD_HOST": f"node-{slot}"})
        self.procs[slot] = proc
        return proc

    def kill(self, slot: int) -> int:
        proc = self.procs[slot]
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return proc.pid

    def stop_all(self, timeout: float = 15.0) -> list[int | None]:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes: list[int | None] = []
        for proc in self.procs.values():
            try:
                codes.append(proc.wait(timeout=timeout))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                codes.append(None)
        return codes

    def text(self) -> str:
        return "".join(p.read_text() for p in self.logs.values() if p.exists())


def _claims_of(url: str, slot: int, pid: int) -> list[str]:
    """The keys the engine process ``pid`` of slot ``slot`` held claimed in the ledger."""
    from scheduler.ledger import Ledger

    ledger = Ledger(url)
    try:
        prefix = f"node-{slot}:{pid}:"
        return [r.key for r in ledger.claimed() if (r.lease_owner or "").startswith(prefix)]
    finally:
        ledger.close()


def _a_holder(url: str, group: Engines, rng: random.Random, until: float, default: int) -> int:
    """An engine slot that holds a claim right now, watched for until ``until`` (a claim lives only
    while its post is being sent: a single look would often fall between two); ``default`` if none
    did by then."""
    from scheduler.ledger import Ledger

    ledger = Ledger(url)
    try:
        while True:
            owners = {(r.lease_owner or "") for r in ledger.claimed()}
            holders = [s for s, proc in group.procs.items()
                       if any(o.startswith(f"node-{s}:{proc.pid}:") for o in owners)]
            if holders or time.monotonic() >= until:
                return rng.choice(holders) if holders else default
            time.sleep(0.01)
    finally:
        ledger.close()


def _counts(url: str) -> dict[str, int]:
    from scheduler.ledger import Ledger

    ledger = Ledger(url)
    try:
        return ledger.counts()
    finally:
        ledger.close()


def ha_run(workdir: Path, url: str, engines: int = 3, posts: int = 1000, spread: float = 120.0, lead: float = 5.0,
           kill_every: tuple[float, float] = (5.0, 15.0), restart_db: Callable[[], None] | None = None,
           seed: int = 14, receiver_delay: float = 0.05, tail: float = 60.0, target_claims: bool = False) -> dict:
    """Run the kill test (see the module's docstring); the figures as a dict.  ``target_claims``:
    kill an engine that holds a claim at that moment (when one does), so that every run has a
    takeover to measure; otherwise the victim is chosen at random, as a real outage chooses."""
    from campaigns.calendar import load
    from campaigns.plan import plan

    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    calendar = workdir / "content_calendar.yaml"
    kills: list[dict] = []
    with Receiver() as receiver:
        receiver.delay = receiver_delay
        receiver.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        first = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lead)
        write_calendar(calendar, receiver.url, posts, first, spread)
        due = {p.key: p.at.timestamp() for p in plan(load(str(calendar)), first - timedelta(hours=1),
                                                       first + timedelta(hours=1))}
        group = Engines(workdir, calendar, url)
        for slot in range(engines):
            group.start(slot)
        began = time.monotonic()
        end = began + lead + spread
        restart_at = began + lead + spread / 2 if restart_db is not None else None
        restarted: float | None = None
        try:
            while time.monotonic() < end:
                gap = rng.uniform(*kill_every)
                if restart_at is not None and restarted is None and time.monotonic() + gap > restart_at:
                    receiver.wait_for(len(due), timeout=max(0.0, restart_at - time.monotonic()))
                    restarted = time.time()
                    assert restart_db is not None
                    restart_db()
                    continue
                if receiver.wait_for(len(due), timeout=min(gap, max(0.0, end - time.monotonic()))):
                    break
                if time.monotonic() >= end:
                    break
                slot = rng.randrange(engines)
                if target_claims:
                    slot = _a_holder(url, group, rng, until=min(end, time.monotonic() + 3.0), default=slot)
                pid = group.kill(slot)
                at = time.time()
                kills.append({"slot": slot, "at": at, "claims": _claims_of(url, slot, pid)})
                group.start(slot)
            arrived = receiver.wait_for(len(due), timeout=tail)
            settled = _wait_recorded(url, len(due), timeout=tail)
        finally:
            codes = group.stop_all()
        per_key: dict[str, int] = {}
        first_at: dict[str, float] = {}
        keys_per_text: dict[str, set[str]] = {}
        for d in receiver.deliveries:
            per_key[d["key"]] = per_key.get(d["key"], 0) + 1
            first_at.setdefault(d["key"], d["at"])
            keys_per_text.setdefault(str(d["body"].get("text")), set()).add(d["key"])
    late = {k: first_at[k] - due[k] for k in due if k in first_at}
    taken = {k for kill in kills for k in kill["claims"]}
    # claims the killed engine held that had not reached the receiver when it died: sent by a peer
    unsent = [late[k] for kill in kills for k in kill["claims"] if k in late and first_at[k] > kill["at"]]
    window = {k for k, t in due.items() for kill in kills if kill["at"] <= t < kill["at"] + 10}
    after_restart = [late[k] for k, t in due.items() if restarted is not None and restarted <= t < restarted + 10
                     and k in late]
    text = group.text()
    worst = sorted(late.items(), key=lambda kv: -kv[1])[:5]
    return {
        "worst_late": [{"late_s": round(v, 2), "due_after_start_s": round(due[k] - first.timestamp(), 1),
                        "taken_over": k in taken} for k, v in worst],
        "engines": engines, "posts": len(due), "kills": len(kills), "db_restarted": restarted is not None,
        "arrived_all": arrived, "recorded_all": settled, "lost": len(set(due) - set(first_at)),
        "unexpected": len(set(first_at) - set(due)),
        "posts_with_several_keys": sum(1 for keys in keys_per_text.values() if len(keys) > 1),
        "keys_delivered_twice": sum(1 for n in per_key.values() if n > 1),
        "wire_repeats": sum(n - 1 for n in per_key.values() if n > 1),
        "taken_over": len(taken), "reconciled": text.count(" reconciled "),
        "p50_late_taken_over_s": _p([late[k] for k in taken if k in late], 0.5),
        "p99_late_taken_over_s": _p([late[k] for k in taken if k in late], 0.99),
        "max_late_taken_over_s": _p([late[k] for k in taken if k in late], 1.0),
        "taken_over_unsent": len(unsent), "max_late_taken_over_unsent_s": _p(unsent, 1.0),
        "p99_late_due_within_10s_of_a_kill_s": _p([late[k] for k in window if k in late], 0.99),
        "p99_late_all_s": _p(list(late.values()), 0.99),
        "p99_late_after_db_restart_s": _p(after_restart, 0.99) if restarted is not None else None,
        "exit_codes": codes, "tracebacks": text.count("Traceback"), "ledger": _counts(url),
    }


def _wait_recorded(url: str, count: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if _counts(url) == {"sent": count}:
                return True
        time.sleep(0.2)  # other processes are working: wall-clock polling is the point here
    return False


def throughput(workdir: Path, url: str, engines: int, posts: int = 300, lead: float = 20.0,
               root: Path = ROOT) -> dict:
    """``posts`` due at once on one account, ``engines`` engines: publications per second, from the
    first delivery to the last (the receiver answers at once: the ledger and the engines are measured),
    and on PostgreSQL what the ledger did for each publication: transactions committed and tuples
    fetched (``pg_stat_database``: the whole run: start-up, heartbeats and stop included).  The posts
    are due ``lead`` seconds after the engines are started: long enough for all of them to be up
    on a busy 2-core machine (``started_in_time`` says whether they were), so that the figure is
    N engines publishing, not one catching up while the others start."""
    from campaigns.calendar import load
    from campaigns.plan import plan

    workdir.mkdir(parents=True, exist_ok=True)
    calendar = workdir / "content_calendar.yaml"
    before = _db_stats(url)
    with Receiver() as receiver:
        first = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lead)
        write_calendar(calendar, receiver.url, posts, first, 1.0)
        count = len(plan(load(str(calendar)), first - timedelta(hours=1), first + timedelta(hours=1)))
        group = Engines(workdir, calendar, url, root)
        for slot in range(engines):
            group.start(slot)
        try:
            in_time = _all_started(group, until=first.timestamp())
            time.sleep(max(0.0, first.timestamp() - 0.3 - time.time()))
            backends = _backends(url)
            cpu_before = _cpu(group, backends)
            done = receiver.wait_for(count, timeout=120)
            cpu_after = _cpu(group, backends)
        finally:
            group.stop_all()
        times = sorted(d["at"] for d in receiver.deliveries)
        repeats = len(receiver.deliveries) - len(receiver.accepted)
    span = times[-1] - times[0] if len(times) > 1 else float("nan")
    out = {"engines": engines, "posts": count, "started_in_time": in_time, "all_arrived": done,
           "seconds": round(span, 2),
           "per_second": round(count / span, 1) if span else None, "wire_repeats": repeats}
    after = _db_stats(url)
    if before is not None and after is not None:
        out.update({f"{name}_per_publication": round((after[name] - before[name]) / count, 1) for name in after})
    spent = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    out.update({f"cpu_ms_per_publication_{name}": round(spent[name] * 1000 / count, 2) for name in CPU_PARTS})
    # how many of the machine's cores were busy while the publications went out: with everything, and
    # with this run's processes (engines, PostgreSQL, the receiver); the rest was other work on the machine
    out["busy_cores_all"] = round(spent["machine"] / spent["wall"], 2)
    out["busy_cores_run"] = round(sum(spent[name] for name in CPU_PARTS) / spent["wall"], 2)
    return out


CPU_PARTS = ("engines", "postgres_backends", "postgres_other", "receiver")


def _backends(url: str) -> list[int]:
    """The PostgreSQL backends (pids) connected to this database, but the one asking (empty on SQLite)."""
    if not url.startswith("postgresql"):
        return []
    from sqlalchemy import create_engine, text

    db = create_engine(url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    try:
        with db.connect() as c:
            return list(c.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND pid <> pg_backend_pid()")).scalars())
    finally:
        db.dispose()


def _cpu(group: Engines, backends: list[int]) -> dict[str, float]:
    """CPU seconds so far (user + system) of the engines, of their PostgreSQL backends (while the engine
    runs; a backend started later is not counted), of every other PostgreSQL process (the WAL writer,
    the checkpointer...), and of this process (the receiver's threads, and little else while it waits)."""
    import resource

    ticks = os.sysconf("SC_CLK_TCK")

    def of(pid: int) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / ticks

    others = [int(d.name) for d in Path("/proc").iterdir() if d.name.isdigit() and int(d.name) not in backends
              and _is_postgres(d)]
    me = resource.getrusage(resource.RUSAGE_SELF)
    cpu = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = sum(cpu) - cpu[3] - cpu[4]  # all but idle and iowait
    return {"engines": sum(of(p.pid) for p in group.procs.values()), "postgres_backends": sum(map(of, backends)),
            "postgres_other": sum(map(of, others)), "receiver": me.ru_utime + me.ru_stime,
            "machine": busy / ticks, "wall": time.time()}


def _is_postgres(folder: Path) -> bool:
    try:
        return (folder / "comm").read_text().strip() == "postgres"
    except OSError:
        return False


def _all_started(group: Engines, until: float) -> bool:
    """Wait until every engine of ``group`` has logged its start-up line and, when there are several,
    that it shares the work among all of them (each has seen the others' lock sessions); False if
    one had not by ``until``: then the figure is partly one engine catching up while others start."""
    sharing = f" among {len(group.logs)} live engine(s)" if len(group.logs) > 1 else " started: "
    while not all(path.exists() and " started: " in (text := path.read_text()) and sharing in text
                  for path in group.logs.values()):
        if time.time() >= until:
            return False
        time.sleep(0.05)  # polling the children's logs, not scheduling anything
    return True


def _db_stats(url: str) -> dict[str, int] | None:
    """This database's transactions (committed, and all), and tuples fetched so far (PostgreSQL; None on SQLite).
    Each backend reports its counts when it ends: read once the engines have stopped."""
    if not url.startswith("postgresql"):
        return None
    from sqlalchemy import create_engine, text

    db = create_engine(url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    try:
        with db.connect() as c:
            time.sleep(0.5)  # the stopped engines' backends flush their counts as they exit
            row = c.execute(text("SELECT xact_commit, xact_rollback, tup_fetched FROM pg_stat_database "
                                 "WHERE datname = current_database()")).one()
        # a read is a transaction too: SQLAlchemy ends it with a rollback, as it does a refused insert
        return {"transactions": int(row[0]) + int(row[1]), "xact_commit": int(row[0]), "tup_fetched": int(row[2])}
    finally:
        db.dispose()


def growth(url: str, rows: int = 10_000) -> int:
    """Bytes the ledger grows by for ``rows`` sent publications (written the engine's way: claim, mark sent)."""
    from scheduler.ledger import Item, Ledger

    ledger = Ledger(url)
    try:
        before = _size(ledger)
        now = datetime.now(UTC)
        for i in range(rows):
            key = f"{i:064x}"[-64:]
            item = Item(key=key, source=f"calendar:post-{i}", post=f"post-{i}", network="hooks", kind="announcement",
                        scheduled_at=now, text=f"Announcement number {i}: our service is back, thank you for waiting",
                        variant="1")
            ledger.claim(item, "host:1:abcdef", now, timedelta(minutes=2))
            ledger.mark_sent(key, "host:1:abcdef", now, f"msg-{i}", f"https://example.com/m/{i}")
        if ledger.db.dialect.name == "postgresql":
            with ledger.db.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                from sqlalchemy import text

                c.execute(text("VACUUM ANALYZE herald_publications"))
        return _size(ledger) - before
    finally:
        ledger.close()


def _size(ledger: object) -> int:
    from sqlalchemy import text

    db = ledger.db  # type: ignore[attr-defined]
    with db.connect() as c:
        if db.dialect.name == "postgresql":
            return int(c.execute(text("SELECT pg_total_relation_size('herald_publications')")).scalar())
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = c.exec_driver_sql("PRAGMA page_count").scalar()
        free = c.exec_driver_sql("PRAGMA freelist_count").scalar()
        size = c.exec_driver_sql("PRAGMA page_size").scalar()
        return int((pages - free) * size)


class ThrowawayPostgres:
    """A PostgreSQL cluster of our own in a temporary folder, on a free port: restartable without
    touching the machine's server (other work uses that one); stopped and removed on exit."""

    def __init__(self) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        initdb = shutil.which("initdb") or (str(found[-1]) if found else None)
        if initdb is None:
            raise RuntimeError("initdb not found (apt-get install postgresql)")
        self.bin = Path(initdb).parent
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.folder = Path(tempfile.mkdtemp(prefix="herald-pg-"))
        self.data = self.folder / "data"
        self.user = "postgres" if os.geteuid() == 0 else None  # PostgreSQL refuses to run as root

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def __enter__(self) -> ThrowawayPostgres:
        if self.user:
            shutil.chown(self.folder, self.user)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "server.log"), "-w", "start")

    def restart(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        self.start()

    def database(self, name: str) -> str:
        from sqlalchemy import create_engine, text

        admin = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres",
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


class ServerDatabases:
    """Databases of our own on a PostgreSQL server that is not ours (``--server URL``: the machine's
    server, trust auth), uniquely named and dropped on exit; it is never restarted."""

    restart = None

    def __init__(self, url: str):
        self.url = url.replace("postgresql://", "postgresql+psycopg://")
        self.prefix = f"herald_bench_{os.getpid()}_{random.randrange(16**6):06x}"
        self.names: list[str] = []

    def __enter__(self) -> ServerDatabases:
        return self

    def _admin(self, statement: str) -> None:
        from sqlalchemy import create_engine, text

        admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as c:
                c.execute(text(statement))
        finally:
            admin.dispose()

    def database(self, name: str) -> str:
        from sqlalchemy import make_url

        full = f"{self.prefix}_{name}"
        self._admin(f'CREATE DATABASE "{full}"')
        self.names.append(full)
        return make_url(self.url).set(database=full).render_as_string(hide_password=False).replace(
            "postgresql+psycopg://", "postgresql://")

    def __exit__(self, *exc: object) -> None:
        for name in self.names:
            with contextlib.suppress(Exception):
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def _folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="herald-ha-") as folder:
        yield Path(folder)


def scaling(folder: Path, pg: ThrowawayPostgres | ServerDatabases, runs: int, posts: int,
            counts: tuple[int, ...] = (1, 2, 4), root: Path = ROOT, tag: str = "") -> dict[str, object]:
    """``throughput`` with 1, 2 and 4 engines, ``runs`` rounds taking turns (a machine that gets busier
    meanwhile weighs on every count alike); the medians, and the ratio of each to 1 engine's."""
    results: dict[int, list[dict]] = {n: [] for n in counts}
    for r in range(runs):
        for n in counts:
            result = throughput(folder / f"{tag}tp{n}-{r}", pg.database(f"{tag}tp{n}_{r}"), n, posts=posts, root=root)
            result["machine_per_second"] = machine_rate(n)
            print(json.dumps({"root": str(root), **result}), flush=True)
            results[n].append(result)
    return _summary(results, counts[0])


# The floor of the engines' scaling, measured in the same rounds: how much more pure-Python work N
# processes get done on this machine than one (a fixed loop of dict, string and hashing work, the
# kind an engine does between its statements; no I/O, no GIL shared). On 2 idle cores this is at most
# 2 for any N >= 2; vCPUs that share a physical core, or other work on the machine, make it less.
FLOOR_LOOP = """
import hashlib, json, sys, time
start = time.perf_counter()
for i in range(int(sys.argv[1])):
    row = {"key": f"post-{i}:webhook:2026-12-07T10:00:00+00:00", "state": "claimed", "n": i}
    hashlib.blake2b(json.dumps(row, sort_keys=True).encode(), digest_size=8).hexdigest()
print(time.perf_counter() - start)
"""
FLOOR_ITERATIONS = 60_000


def machine_rate(processes: int, iterations: int = FLOOR_ITERATIONS) -> float:
    """Loop iterations per second that ``processes`` copies of :data:`FLOOR_LOOP` complete together,
    started at once (wall time from the first start to the last exit, start-up included alike)."""
    start = time.perf_counter()
    children = [subprocess.Popen([sys.executable, "-c", FLOOR_LOOP, str(iterations)], stdout=subprocess.DEVNULL)
                for _ in range(processes)]
    for child in children:
        child.wait()
    return round(processes * iterations / (time.perf_counter() - start), 1)


def _summary(results: dict[int, list[dict[str, Any]]], base: int) -> dict[str, object]:
    """The medians of ``scaling``'s runs, and their ratio to ``base`` engines'."""
    # a run whose engines were not all up and sharing when the posts fell due is left out (unless all were)
    results = {n: [x for x in rs if x["started_in_time"]] or rs for n, rs in results.items()}
    median = {n: statistics.median(x["per_second"] for x in rs if x["per_second"]) for n, rs in results.items()}
    everything = [x for rs in results.values() for x in rs]
    machine = {n: statistics.median(x["machine_per_second"] for x in rs) for n, rs in results.items()
               if all("machine_per_second" in x for x in rs)}
    out: dict[str, object] = {"per_second_median": median,
                              "ratio_vs_1_engine": {n: round(v / median[base], 2) for n, v in median.items()},
                              "machine_ratio_vs_1_process": {n: round(v / machine[base], 2)
                                                             for n, v in machine.items()},
                              "lost_or_doubled": sum(not x["all_arrived"] or x["wire_repeats"] > 0 for x in everything)}
    out.update(_figure_medians(results))
    return out


def _figure_medians(results: dict[int, list[dict[str, Any]]]) -> dict[str, object]:
    """Each count's median of the ledger's and the CPU's figures (those every run has)."""
    everything = [x for rs in results.values() for x in rs]
    names = ("transactions_per_publication", "xact_commit_per_publication", "tup_fetched_per_publication",
             *(f"cpu_ms_per_publication_{part}" for part in CPU_PARTS), "busy_cores_all", "busy_cores_run")
    return {f"{name}_median": _medians(results, name) for name in names if all(name in x for x in everything)}


def _compared(folder: Path, pg: ThrowawayPostgres | ServerDatabases, runs: int, posts: int,
              other: Path) -> dict[str, object]:
    """``scaling`` for this checkout and ``other``, one round of each in turn (paired: a machine that
    gets busier weighs on both alike)."""
    rounds: dict[str, list[dict[str, object]]] = {"this": [], "other": []}
    for r in range(runs):
        for name, root in (("this", ROOT), ("other", other)):
            rounds[name].append(scaling(folder, pg, 1, posts, root=root, tag=f"{name}{r}_"))
    return {name: {key: _merged([x[key] for x in done]) for key in done[0]} for name, done in rounds.items()}


def _merged(values: list[Any]) -> object:
    """The median of each count's figure over the rounds (``scaling``'s outputs of one round each)."""
    if isinstance(values[0], dict):
        return {n: statistics.median(v[n] for v in values) for n in values[0]}
    return sum(values) if all(isinstance(v, int) for v in values) else values


def _medians(results: dict[int, list[dict]], name: str) -> dict[int, float]:
    return {n: statistics.median(x[name] for x in rs) for n, rs in results.items()}


def _options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="3 engines, 150 posts over 25 s")
    parser.add_argument("--server", metavar="URL",
                        help="databases of our own on this PostgreSQL server instead of a throwaway cluster "
                             "(never restarted: the failover run then has no PostgreSQL restart)")
    parser.add_argument("--throughput-only", action="store_true", help="only the 1 / 2 / 4 engines throughput")
    parser.add_argument("--runs", type=int, help="throughput rounds (default 3, 1 with --quick)")
    parser.add_argument("--posts", type=int, help="publications due at once per throughput run (default 300)")
    parser.add_argument("--compare", metavar="CHECKOUT", type=Path,
                        help="another checkout of Herald (e.g. `git worktree add /tmp/before HEAD~3`): the "
                             "throughput of its engines too, each round right after this one's, same harness")
    return parser.parse_args(argv)


def main(argv: list[str]) -> None:
    args = _options(argv)
    quick = args.quick
    out: dict[str, object] = {}
    server = ServerDatabases(args.server) if args.server else ThrowawayPostgres()
    with server as pg, _folder() as folder:
        if not args.throughput_only:
            if quick:
                out["failover"] = ha_run(folder / "ha", pg.database("ha"), engines=3, posts=150, spread=25.0,
                                         kill_every=(4.0, 8.0), restart_db=pg.restart, receiver_delay=0.2, tail=40.0)
            else:
                out["failover"] = ha_run(folder / "ha", pg.database("ha"), engines=3, posts=1000, spread=120.0,
                                         restart_db=pg.restart, receiver_delay=0.2)
            print(json.dumps(out["failover"]), flush=True)
        runs, posts = args.runs or (1 if quick else 3), args.posts or (150 if quick else 300)
        if args.compare is None:
            out.update(scaling(folder, pg, runs, posts))
        else:
            out["compared"] = _compared(folder, pg, runs, posts, args.compare.resolve())
        if not args.throughput_only:
            rows = 2_000 if quick else 10_000
            sqlite_bytes = growth(f"sqlite:///{folder / 'growth.db'}", rows)
            pg_bytes = growth(pg.database("growth"), rows)
            out["bytes_per_10000_publications"] = {"sqlite": sqlite_bytes * 10_000 // rows,
                                                   "postgresql": pg_bytes * 10_000 // rows}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
