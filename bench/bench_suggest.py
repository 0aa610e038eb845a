"""Benchmark: `herald suggest` on 10,000 and 100,000 tickets: wall time, CPU and peak memory.

    python bench/bench_suggest.py [--sizes 10000,100000] [--repeat 3] [--varied]

Tickets come from the test corpus's generator (tests/data/suggest/make_corpus.py: five
topics in English and German, unique order numbers in every ticket, noise), written as a
Zendesk NDJSON export.  That corpus has few different texts once the numbers are left out.
``--varied`` makes every ticket different, as a real export's are: each ticket's description
gets 4 to 12 stop words of its own language appended (the stop-words package's English list, or
its German one for make_corpus's German tickets) and, at a random place among them, one made-up
name of 5,000 (a capital and 2 to 9 lowercase ASCII letters, like a product's or a person's):
counts, words and places drawn with ``random.Random(25)``, the names with ``random.Random(2525)``
(see :func:`varied`).  The words keep each ticket in its language and its topic; the name gives
the vocabulary the long tail a real export has.

Each run is a fresh process (`herald suggest --dry-run` on the sample calendar with the test
help centre, this checkout's code: ``PYTHONPATH`` is set to it), started by a small wrapper
process that reports its own child's wall time, CPU (user + system, ``getrusage(RUSAGE_CHILDREN)``)
and peak memory (``ru_maxrss``), so each figure is that run's alone.  The baseline in the same
run is a fresh process that only parses the same file with `json.loads` line by line: the ratio
(wall against wall) says what the analysis costs on top of reading.  Figures are medians of
``--repeat`` runs, with their range.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import string
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

BASELINE = "import json,sys\nfor line in open(sys.argv[1], encoding='utf-8'): json.loads(line)\n"
# runs argv[1:] and prints its wall seconds, CPU seconds (user + system) and peak RSS (KB)
WRAPPER = ("import resource,subprocess,sys,time\nt=time.perf_counter()\nsubprocess.run(sys.argv[1:],check=True,"
           "stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL)\nw=time.perf_counter()-t\n"
           "u=resource.getrusage(resource.RUSAGE_CHILDREN)\nprint(w,u.ru_utime+u.ru_stime,u.ru_maxrss)")
VOCABULARY = 5000  # made-up names the varied corpus draws from
APPENDED = (4, 12)  # how many words each varied ticket gets (inclusive)


def vocabulary(size: int = VOCABULARY, seed: int = 2525) -> list[str]:
    """``size`` made-up names: a capital and 2 to 9 lowercase ASCII letters (fixed seed)."""
    rng = random.Random(seed)
    return ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 10))).capitalize() for _ in range(size)]


def _pools() -> tuple[list[str], list[str]]:
    """English and German words that say nothing of a topic: the stop-words package's lists."""
    from stop_words import get_stop_words

    return sorted(get_stop_words("en")), sorted(get_stop_words("de"))


def varied(n: int, seed: int = 25) -> Iterator[dict[str, object]]:
    """make_corpus's ``n`` tickets, every one different: each description gets 4 to 12 stop words
    of its own language and one made-up name among them."""
    from make_corpus import tickets

    rng = random.Random(seed)
    names = vocabulary()
    english, german = _pools()
    for _, ticket in tickets(n):
        pool = german if "de" in ticket["tags"] else english
        extra = rng.choices(pool, k=rng.randint(*APPENDED))
        extra.insert(rng.randrange(len(extra) + 1), rng.choice(names))
        yield {**ticket, "description": f"{ticket['description']} {' '.join(extra)}"}


def write_varied(path: str, n: int) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for ticket in varied(n):
            f.write(json.dumps(ticket, ensure_ascii=False) + "\n")


def measure(argv: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak MB of one fresh child process."""
    out = subprocess.run([sys.executable, "-c", WRAPPER, *argv], check=True, capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})  # this checkout's code
    wall, cpu, peak = out.stdout.split()
    return float(wall), float(cpu), int(peak) / 1024


def _figure(values: list[float], unit: str, digits: int = 2) -> str:
    """The median and, with several runs, the range."""
    median = f"{statistics.median(values):.{digits}f} {unit}"
    if len(values) < 2:
        return median
    return f"{median} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--varied", action="store_true",
                        help="every ticket different: 4-12 made-up words appended to each (see the module's doc)")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "tests" / "data" / "suggest"))
    from make_corpus import write_ndjson

    herald = str(Path(sys.executable).with_name("herald"))
    data = ROOT / "tests" / "data" / "suggest"
    print(f"corpus: {'varied (every ticket different)' if args.varied else 'make_corpus'}; "
          f"median of {args.repeat} runs (range)")
    print("| tickets | file | suggest wall | suggest CPU | peak memory | json.loads only | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            path = os.path.join(tmp, f"tickets-{size}.ndjson")
            if args.varied:
                write_varied(path, size)
            else:
                write_ndjson(path, size)
            suggest = [herald, "suggest", "--requests", path, "--answers", str(data / "help_center.json"),
                       "--calendar", str(ROOT / "content_calendar.yaml"), "--starts", "2026-11-24", "--dry-run"]
            baseline = [sys.executable, "-c", BASELINE, path]
            runs = [measure(suggest) for _ in range(args.repeat)]
            bases = [measure(baseline)[0] for _ in range(args.repeat)]
            walls, cpus, peaks = ([r[k] for r in runs] for k in range(3))
            wall, base = statistics.median(walls), statistics.median(bases)
            mb = os.path.getsize(path) / 1e6
            print(f"| {size:,} | {mb:.0f} MB | {_figure(walls, 's')} | {_figure(cpus, 's')} | "
                  f"{_figure(peaks, 'MB', 0)} | {_figure(bases, 's')} | {wall / base:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
