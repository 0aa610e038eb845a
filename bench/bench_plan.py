"""Benchmark: `herald plan --json` for a year of a big calendar, end to end as a user runs it.

    python bench/bench_plan.py [--posts 10000] [--repeat 5]

Runs the real command in a fresh process (start-up, loading and validating the calendar,
planning, rendering, encoding, writing to a pipe) `--repeat` times and prints the median
wall time, the lines written, and the ratio to the baseline measured in the same command:
`herald validate` of the same file (start-up plus loading, no planning and no output).
Goal (issue 12): under 3 s for a year of 10,000 posts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
HERALD = [sys.executable, "-m", "scheduler.cli"]


def timed(argv: list[str], repeat: int, cwd: str) -> tuple[float, int]:
    """Median wall time of ``argv`` with its output written to a file, as ``herald plan --json >
    plan.jsonl`` does (a pipe read by this process would time this process's reading too, on the
    same cores), and the lines written."""
    times, lines = [], 0
    target = os.path.join(cwd, "out.jsonl")
    for _ in range(repeat):
        with open(target, "wb") as out:
            began = time.perf_counter()
            subprocess.run(argv, cwd=cwd, stdout=out, stderr=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - began)
        with open(target, "rb") as written:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: written.read(1 << 20), b""))
    return statistics.median(times), lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from bench.generate import generate

    with tempfile.TemporaryDirectory(prefix="herald-bench-plan-") as folder:  # no ledger, no status file
        path = os.path.join(folder, "calendar.yaml")
        Path(path).write_text(generate(args.posts))
        env_root = str(HERE.parent)
        os.environ["PYTHONPATH"] = env_root
        baseline, _ = timed([*HERALD, "validate", path, "-q"], args.repeat, folder)
        plan, lines = timed([*HERALD, "plan", "--calendar", path, "--from", "2027-01-01", "--days", "365", "--json"],
                            args.repeat, folder)
    print(f"{args.posts:,} posts, a year: {lines:,} publications")
    print(f"herald validate (baseline)  {baseline:6.2f} s  (median of {args.repeat})")
    print(f"herald plan --json          {plan:6.2f} s  ({plan / baseline:.1f}x the baseline; "
          f"{lines / plan:,.0f} lines/s)")


if __name__ == "__main__":
    main()
