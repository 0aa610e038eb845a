"""Benchmark: `herald lint` over the generated calendars, and how the repetition check grows.

    python bench/bench_lint.py [--sizes 1000,2500,5000,10000] [--days 28] [--repeat 3]

For each size (posts, from bench/generate.py) it lints a window of ``--days`` days
``--repeat`` times and prints the median of: the whole lint, the repetition check alone
(prefix-filtered candidates, scored by exact Jaccard), and the publications and distinct
texts checked.  Ratios are against the smallest size in the same command: with an
index the repetition cost follows the number of publications (ratio per publication
near 1), where comparing every pair on an account would grow with its square.  As a
baseline in the same process it also times the all-pairs comparison of the smallest
size's texts, and estimates it for the largest.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,2500,5000,10000")
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from bench.generate import generate
    from campaigns import lint as lint_module
    from campaigns.calendar import loads
    from campaigns.gcpause import paused_gc
    from campaigns.plan import plan
    from campaigns.similarity import jaccard, normalize, shingles

    start = datetime(2027, 3, 1, tzinfo=UTC)
    end = start + timedelta(days=args.days)
    rows = []
    baseline_pairs = None
    for size in (int(s) for s in args.sizes.split(",")):
        calendar = loads(generate(size, start=date(2027, 1, 1)), f"<{size}>")
        totals, reps = [], []
        original = lint_module.repetition

        def timed(*a, _acc=reps, _original=original, **k):
            t = time.perf_counter()
            _original(*a, **k)
            _acc.append(time.perf_counter() - t)

        lint_module.repetition = timed
        try:
            for _ in range(args.repeat):
                t = time.perf_counter()
                with paused_gc():  # as `herald lint` runs: one-shot commands run without the cyclic GC
                    report = lint_module.lint(calendar, start, end)
                totals.append(time.perf_counter() - t)
        finally:
            lint_module.repetition = original
        pubs = plan(calendar, start, end)
        by_account: dict[str, set[str]] = defaultdict(set)
        for p in pubs:
            by_account[p.network].add(normalize(p.text))
        distinct = sum(len(v) for v in by_account.values())
        pairs = sum(len(v) * (len(v) - 1) // 2 for v in by_account.values())
        if baseline_pairs is None:  # all pairs, for comparison, on the smallest size only
            sets = {t: shingles(t) for texts in by_account.values() for t in texts}
            t = time.perf_counter()
            for texts in by_account.values():
                items = [sets[x] for x in texts]
                for i in range(len(items)):
                    for j in range(i + 1, len(items)):
                        jaccard(items[i], items[j])
            baseline_pairs = (pairs, time.perf_counter() - t)
        rows.append((size, len(pubs), distinct, pairs, statistics.median(totals), statistics.median(reps),
                     len(report.problems)))

    _table(rows, baseline_pairs or (0, 0.0), args.days, args.repeat)


def _table(rows: list[tuple[int, int, int, int, float, float, int]], baseline_pairs: tuple[int, float],
           days: int, repeat: int) -> None:
    first = rows[0]
    print(f"lint over {days} days, median of {repeat}")
    print(f"{'posts':>7} {'pubs':>7} {'texts':>7} {'lint s':>8} {'repeat s':>9} {'x pubs':>7} {'x repeat':>9} "
          f"{'repeat us/pub':>14} {'findings':>9}")
    for size, pubs, distinct, _pairs, total, rep, found in rows:
        print(f"{size:>7} {pubs:>7} {distinct:>7} {total:>8.2f} {rep:>9.3f} {pubs / first[1]:>7.2f} "
              f"{rep / first[5]:>9.2f} {rep / pubs * 1e6:>14.1f} {found:>9}")
    pairs0, seconds0 = baseline_pairs
    last = rows[-1]
    print(f"all pairs at {first[0]} posts: {pairs0} comparisons in {seconds0:.2f} s; at {last[0]} posts it would be "
          f"{last[3]} comparisons, about {seconds0 * last[3] / max(pairs0, 1):.0f} s")


if __name__ == "__main__":
    main()
