"""Benchmark: `herald diff` of two 10,000-post calendars over 30 days against `herald plan` of the
same window (issue 28: at most 2x).

    python bench/bench_diff.py [--posts 10000] [--days 30] [--repeat 5] [--one-core] [--baseline DIR]

The old calendar is `bench/generate.py`'s; the new one is the old one with a pull request's worth
of changes to 1 % of its posts (a third reworded, a third moved, a sixth removed; and as many
posts added as removed, plus one). Each command runs in a fresh process as a planner runs it,
its output written to a file; the figures are the median wall time and the median CPU time (user
and system, the forked child's included) of `--repeat` runs, the commands alternating, and the
ratios of the medians. Measured too: the same diff with both sides
read from git revisions (`herald diff HEAD~1 HEAD`), and two unrelated calendars of that size
(every publication changes).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
HERALD = [sys.executable, "-m", "scheduler.cli"]
START = "2027-03-01"  # inside bench/generate.py's year


def changed(text: str) -> tuple[str, dict[str, int]]:
    """``text`` (bench/generate.py's) with 1 % of its posts changed, and how many of each change."""
    blocks = re.split(r"(?m)^(?=  - id: post-)", text)
    head, posts = blocks[0], blocks[1:]
    done = {"reworded": 0, "moved": 0, "removed": 0, "added": 0}
    out = [head]
    for number, block in enumerate(posts):
        if number % 300 == 0:
            block = re.sub(r'\(#(\d+)\)"', r'(#\1, now with a new ending)"', block)
            done["reworded"] += 1
        elif number % 300 == 100:
            block = re.sub(r"at: (\d{4}-\d{2}-)(\d{2})T",
                           lambda m: f"at: {m.group(1)}{min(28, int(m.group(2)) + 1):02d}T", block)
            block = re.sub(r"BYHOUR=(\d+)", lambda m: f"BYHOUR={(int(m.group(1)) + 2) % 24}", block)
            done["moved"] += 1
        elif number % 600 == 200:
            done["removed"] += 1
            continue
        out.append(block)
    for extra in range(done["removed"] + 1):
        out.append(f'  - id: added-{extra}\n    kind: tip\n    networks: [site, x]\n'
                   f'    at: 2027-03-{1 + extra % 28:02d}T{8 + extra % 12:02d}:30\n'
                   f'    text: "A new tip for March, number {extra}: oil the oak before spring."\n')
        done["added"] += 1
    return "".join(out), done


def timed(argv: list[str], cwd: str, code: str = "") -> tuple[float, float]:
    """Wall time and CPU time (user + system, the command's forked child included) of one run
    (``code``: the checkout whose code runs, this one's by default)."""
    target = os.path.join(cwd, "out.txt")
    env = {**os.environ, "PYTHONPATH": code} if code else None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(target, "wb") as out:
        began = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, stdout=out, stderr=subprocess.PIPE, check=False, env=env)
        elapsed = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)}: exit {done.returncode}: {done.stderr.decode()[-500:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def git(folder: str, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True, env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--one-core", action="store_true",
                        help="run every command on one core (taskset -c 0): herald diff then works alone, without "
                             "its child")
    parser.add_argument("--baseline", metavar="DIR",
                        help="another checkout (e.g. a `git worktree` of the commit before a change): its `herald "
                             "diff` runs too, in the same turns, for a paired comparison")
    args = parser.parse_args()
    from bench.generate import generate

    os.environ["PYTHONPATH"] = str(HERE.parent)
    window = ["--from", START, "--days", str(args.days)]
    herald = ["taskset", "-c", "0", *HERALD] if args.one_core else HERALD
    with tempfile.TemporaryDirectory(prefix="herald-bench-diff-") as folder:
        old = generate(args.posts)
        new, done = changed(old)
        Path(folder, "old.yaml").write_text(old)
        Path(folder, "new.yaml").write_text(new)
        Path(folder, "other.yaml").write_text(generate(args.posts, seed=11))
        git(folder, "init", "-q", "-b", "main")
        Path(folder, "content_calendar.yaml").write_text(old)
        git(folder, "add", "content_calendar.yaml")
        git(folder, "commit", "-q", "-m", "old")
        Path(folder, "content_calendar.yaml").write_text(new)
        git(folder, "commit", "-q", "-am", "new")
        commands = {
            "plan": [*herald, "plan", "--calendar", "new.yaml", *window],
            "diff": [*herald, "diff", "old.yaml", "new.yaml", *window],
            "diff HEAD~1 HEAD": [*herald, "diff", "HEAD~1", "HEAD", *window],
            "diff, unrelated calendars": [*herald, "diff", "other.yaml", "new.yaml", *window],
        }
        if args.baseline:
            commands["diff (baseline)"] = commands["diff"]
            commands["diff, unrelated (baseline)"] = commands["diff, unrelated calendars"]
        times: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, argv in commands.items():
                wall, used = timed(argv, folder, args.baseline if "baseline" in name else "")
                times[name].append(wall)
                cpu[name].append(used)
    medians = {name: statistics.median(found) for name, found in times.items()}
    cpus = {name: statistics.median(found) for name, found in cpu.items()}
    print(f"{args.posts:,} posts, {args.days} days from {START}; the change: "
          + ", ".join(f"{n} {what}" for what, n in done.items()) + f"; load average {os.getloadavg()[0]:.1f}")
    for name, median in medians.items():
        print(f"herald {name:<28} wall {median:6.2f} s {median / medians['plan']:4.2f}x plan   "
              f"CPU {cpus[name]:6.2f} s {cpus[name] / cpus['plan']:4.2f}x plan   (wall of each run: "
              + ", ".join(f"{t:.2f}" for t in times[name]) + ")")
    met = "met" if medians["diff"] <= 2 * medians["plan"] else "NOT met"
    print(f"goal: herald diff <= 2x herald plan (wall): {met}")


if __name__ == "__main__":
    main()
