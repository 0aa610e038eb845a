"""Engine benchmarks: lateness, idle CPU, memory, crash safety.

    python bench/bench_engine.py [--quick]

- lateness: a real `herald run` publishes N announcements due at whole seconds over
  N/10 seconds to a local webhook receiver; lateness = receipt time - scheduled time.
  Three runs; p50/p99 of each and the median of those.
- idle: CPU time (user+system, from /proc) of `herald run` with the 10,000-post
  benchmark calendar loaded (its year starting in 400 days, so nothing is due), over
  60 s after start-up.
- memory: resident set size of `herald run` with 10,000 and 100,000 posts loaded,
  against the RSS of the same process with an empty calendar (the baseline).
- crash: bench/crash.py with 100 posts and up to 60 SIGKILLs, each after the engine started,
  against a receiver taking 0.2 s per delivery (so kills fall mid-send).
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.crash import crash_run  # noqa: E402
from bench.generate import generate  # noqa: E402
from tests.receiver import Receiver  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
TICKS = os.sysconf("SC_CLK_TCK")


def start_engine(folder: Path, calendar: Path, status: Path | None = None) -> subprocess.Popen:
    log = open(folder / "engine.log", "a")  # noqa: SIM115
    return subprocess.Popen([sys.executable, "-m", "scheduler.cli", "run", "--calendar", str(calendar),
                             *(["--status", str(status)] if status else []),
                             "--state", f"sqlite:///{folder / 'state.db'}"], cwd=folder, stdout=log, stderr=log,
                            env=ENV)


def wait_started(folder: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while " started: " not in (folder / "engine.log").read_text():
        if time.monotonic() > deadline:
            raise RuntimeError((folder / "engine.log").read_text()[-2000:])
        time.sleep(0.1)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=30)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def lateness(posts: int) -> dict:
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp, Receiver() as receiver:
        folder = Path(tmp)
        calendar = folder / "content_calendar.yaml"
        calendar.write_text("brand: {name: Bench, timezone: UTC}\nnetworks:\n"
                            f"  hooks: {{type: webhook, url: '{receiver.url}/in'}}\nposts: []\n")
        proc = start_engine(folder, calendar)
        wait_started(folder)
        first = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
        lines = ["brand: {name: Bench, timezone: UTC}", "networks:",
                 f"  hooks: {{type: webhook, url: '{receiver.url}/in'}}", "posts:"]
        for i in range(posts):
            at = first + timedelta(seconds=i // 10)
            lines += [f"  - id: p{i}", "    kind: announcement", "    networks: [hooks]",
                      f"    at: '{at.strftime('%Y-%m-%dT%H:%M:%SZ')}'", f"    text: 'Post {i}'"]
        calendar.write_text("\n".join(lines) + "\n")  # picked up by the live reload
        ok = receiver.wait_for(posts, timeout=posts / 10 + 30)
        stop(proc)
        late = [(d["at"] - datetime.fromisoformat(d["body"]["scheduled_at"]).timestamp()) * 1000
                for d in receiver.accepted.values()]
    return {"posts": posts, "all_arrived": ok, "p50_ms": percentile(late, 50), "p99_ms": percentile(late, 99),
            "max_ms": max(late)}


def loaded(posts: int, idle_seconds: float) -> dict:
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        folder = Path(tmp)
        calendar = folder / "content_calendar.yaml"
        later = (datetime.now(UTC) + timedelta(days=400)).date()  # loaded, but nothing due
        text = generate(posts, start=later) if posts else \
            "brand: {name: Empty, timezone: UTC}\nnetworks: {site: {type: site}}\n"
        for kind in ("x", "mastodon", "bluesky"):  # no credentials here: these accounts run dry
            text = text.replace(f"{{type: {kind}", f"{{type: {kind}, dry_run: true")
        calendar.write_text(text)
        began = time.monotonic()
        proc = start_engine(folder, calendar)
        wait_started(folder)
        startup = time.monotonic() - began
        time.sleep(2)
        cpu0, rss = cpu_seconds(proc.pid), rss_mb(proc.pid)
        time.sleep(idle_seconds)
        cpu = cpu_seconds(proc.pid) - cpu0
        stop(proc)
    return {"posts": posts, "startup_s": round(startup, 2), "rss_mb": round(rss, 1),
            "idle_cpu_s": round(cpu, 3), "idle_window_s": idle_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    parser.add_argument("--skip-lateness", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    posts = 60 if args.quick else 300
    runs = [] if args.skip_lateness else [lateness(posts) for _ in range(1 if args.quick else 3)]
    print(f"lateness over {posts} publications to a local webhook, {len(runs)} run(s):")
    for r in runs:
        print(f"  p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms, "
              f"all arrived: {r['all_arrived']}")
    if runs:
        print(f"  median p50 {statistics.median(r['p50_ms'] for r in runs):.1f} ms, "
              f"median p99 {statistics.median(r['p99_ms'] for r in runs):.1f} ms (target p99 < 100 ms)")
    idle = 10.0 if args.quick else 60.0
    base = loaded(0, 5.0)
    rows = [loaded(n, idle if n == 10_000 else 5.0) for n in ((1000,) if args.quick else (10_000, 100_000))]
    print(f"\nloaded engine (baseline: empty calendar, RSS {base['rss_mb']} MB, start-up {base['startup_s']} s):")
    for r in rows:
        extra = (f", idle CPU {r['idle_cpu_s']} s over {r['idle_window_s']:.0f} s (target < 0.5 s)"
                 if r["idle_window_s"] == idle else "")
        print(f"  {r['posts']:>7,} posts: RSS {r['rss_mb']} MB ({r['rss_mb'] / base['rss_mb']:.1f}x baseline), "
              f"start-up {r['startup_s']} s{extra}")
    with tempfile.TemporaryDirectory() as tmp:
        crash = crash_run(Path(tmp), posts=40 if args.quick else 100, kills=10 if args.quick else 60, seed=42,
                          spread=8.0 if args.quick else 25.0, receiver_delay=0.2)
    print(f"\ncrash safety: {crash['kills']} SIGKILLs, each after start-up ({crash['engine_starts']} engine starts), "
          f"while publishing {crash['posts']} posts: {crash['lost']} lost, {crash['accepted_twice']} delivered "
          f"twice ({crash['wire_repeats']} extra deliveries), {crash['reconciled']} reconciled; "
          f"ledger {crash['ledger']}; SIGTERM stop in {crash['stop_seconds']} s (exit {crash['exit_code']})")
    print(json.dumps({"lateness": runs, "loaded": [base, *rows], "crash": crash}), file=sys.stderr)


if __name__ == "__main__":
    main()
