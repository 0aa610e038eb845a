"""Where people wait: ``herald validate`` and ``herald lint`` of a 10,000-post calendar, end to end.

    python bench/bench_commands.py [--posts 10000] [--runs 5]

Each command runs as a fresh process, as a user runs it (median of ``--runs``).  The
baseline, timed in the same run, is parsing the same file with libyaml (ruamel.yaml's C
loader, ``YAML(typ="safe", pure=False).load``), also as a fresh process, so both sides pay
the interpreter's start-up; the in-process times (check() against the bare parse) are
printed too.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HERALD = str(Path(sys.executable).with_name("herald"))
PARSE = "import sys, ruamel.yaml; ruamel.yaml.YAML(typ='safe', pure=False).load(open(sys.argv[1], encoding='utf-8'))"


def timed(command: list[str], cwd: Path, runs: int) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def in_process(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import ruamel.yaml

    from bench.generate import generate
    from campaigns.calendar import check

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        path = work / "cal.yaml"
        path.write_text(generate(args.posts, start=date(2027, 1, 1)), encoding="utf-8")
        size = path.stat().st_size
        parse = timed([sys.executable, "-c", PARSE, str(path)], work, args.runs)
        validate = timed([HERALD, "validate", str(path), "--status", "none.yaml"], work, args.runs)
        lint = timed([HERALD, "lint", "--calendar", str(path), "--status", "none.yaml", "--from", "2027-03-01"],
                     work, args.runs)
        yaml = ruamel.yaml.YAML(typ="safe", pure=False)
        text = path.read_text(encoding="utf-8")
        parse_in = in_process(lambda: yaml.load(text), args.runs)
        check_in = in_process(lambda: check(str(path)), args.runs)
    print(f"{args.posts:,} posts ({size:,} bytes), "
          f"median of {args.runs} runs, a fresh process per run")
    print(f"{'':<44}{'wall':>10}{'x libyaml':>12}")
    for name, seconds, base in (("libyaml parse (python -c ...)", parse, parse),
                                ("herald validate", validate, parse),
                                ("herald lint (28 days from 2027-03-01)", lint, parse),
                                ("in process: libyaml parse", parse_in, parse_in),
                                ("in process: campaigns.calendar.check", check_in, parse_in)):
        print(f"{name:<44}{seconds:>8.2f} s{seconds / base:>11.2f}x")


if __name__ == "__main__":
    main()
