"""Benchmark: `herald suggest` on 10,000 and 100,000 tickets: wall time and peak memory.

    python bench/bench_suggest.py [--sizes 10000,100000] [--repeat 3]

Tickets come from the test corpus's generator (tests/data/suggest/make_corpus.py: five
topics in English and German, unique order numbers in every ticket, noise), written as a
Zendesk NDJSON export.  Each run is a fresh process (`herald suggest --dry-run` on the sample
calendar with the test help centre), so its peak memory is its own (ru_maxrss of the child,
measured by a wrapper process).
The baseline in the same run is a fresh process that only parses the same file with
`json.loads` line by line: the ratio says what the analysis costs on top of reading.
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
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

BASELINE = "import json,sys\nfor line in open(sys.argv[1], encoding='utf-8'): json.loads(line)\n"


def _run(argv: list[str]) -> float:
    """Wall seconds of one child process."""
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def _fresh_peak(argv: list[str]) -> float:
    """Peak MB of one child measured alone (a wrapper process reports its own child's)."""
    code = ("import resource,subprocess,sys\nsubprocess.run(sys.argv[1:],check=True,stdout=subprocess.DEVNULL,"
            "stderr=subprocess.DEVNULL)\nprint(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *argv], check=True, capture_output=True, text=True, cwd=ROOT)
    return int(out.stdout) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "tests" / "data" / "suggest"))
    from make_corpus import write_ndjson

    herald = str(Path(sys.executable).with_name("herald"))
    data = ROOT / "tests" / "data" / "suggest"
    print("| tickets | file | suggest (median) | peak memory | json.loads only | ratio |")
    print("|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            path = os.path.join(tmp, f"tickets-{size}.ndjson")
            write_ndjson(path, size)
            suggest = [herald, "suggest", "--requests", path, "--answers", str(data / "help_center.json"),
                       "--calendar", str(ROOT / "content_calendar.yaml"), "--starts", "2026-11-24", "--dry-run"]
            baseline = [sys.executable, "-c", BASELINE, path]
            walls = [_run(suggest) for _ in range(args.repeat)]
            bases = [_run(baseline) for _ in range(args.repeat)]
            peak = max(_fresh_peak(suggest) for _ in range(2))
            wall, base = statistics.median(walls), statistics.median(bases)
            mb = os.path.getsize(path) / 1e6
            print(f"| {size:,} | {mb:.0f} MB | {wall:.2f} s | {peak:.0f} MB | {base:.2f} s | {wall / base:.1f}x |",
                  flush=True)


if __name__ == "__main__":
    main()
