"""Start-up cost of the commands people wait for, end to end as a user runs them.

Each command runs as a fresh process (median of several runs) on a scratch copy of the
sample files; the ratio is against a bare ``python -c pass`` timed in the same run.
``herald status`` is timed without a ledger and with one (after ``herald run --once``).

    python bench/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERALD = str(Path(sys.executable).with_name("herald"))


def timed(command: list[str], cwd: Path, runs: int) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for name in ("content_calendar.yaml", "status.yaml"):
            shutil.copy(ROOT / name, work / name)
        files = ["--calendar", "content_calendar.yaml", "--status", "status.yaml"]
        bare = timed([sys.executable, "-c", "pass"], work, args.runs)
        rows = [("python -c pass", bare)]
        rows.append(("herald --help", timed([HERALD, "--help"], work, args.runs)))
        validate = [HERALD, "validate", "content_calendar.yaml", "--status", "status.yaml"]
        rows.append(("herald validate", timed(validate, work, args.runs)))
        rows.append(("herald status (no ledger yet)", timed([HERALD, "status", *files], work, args.runs)))
        subprocess.run([HERALD, "run", "--once", *files], cwd=work, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        rows.append(("herald status (with a ledger)", timed([HERALD, "status", *files], work, args.runs)))
        rows.append(("herald history", timed([HERALD, "history", "--calendar", "content_calendar.yaml"], work,
                                             args.runs)))
    print(f"median of {args.runs} runs each, a fresh process per run")
    print(f"{'command':<32}{'wall':>10}{'x bare python':>16}")
    for name, seconds in rows:
        print(f"{name:<32}{seconds * 1000:>8.0f} ms{seconds / bare:>15.1f}x")


if __name__ == "__main__":
    main()
