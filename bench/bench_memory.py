"""A running engine's memory, start-up and first-second lateness at a calendar's size (issue 24).

    python bench/bench_memory.py 100000 [--root /work/main]

A real `herald run` loads the generated calendar (its year starting in 400 days, so none of
it is due) plus 1,200 webhook announcements due at 10 per second, the first ``--due-from`` seconds
after launch (about the start-up); those due more than 5 s before it are skipped (``catch_up:
announcement: 5s``), so that no burst of catch-up is sent ahead of the first second's.  Start-up: launch
to the "started" log line.  RSS: 2 s after it.
Lateness: receipt time - scheduled time of the announcements due in the first second after
"started" (those due before it are caught up, not counted; how many were is printed: they go
out first, so a figure with many is the catch-up's, not the engine's).  ``--root``: the checkout whose
code runs (another branch's, to compare in the same session).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.bench_engine import rss_mb  # noqa: E402
from bench.generate import generate  # noqa: E402
from tests.receiver import Receiver  # noqa: E402

DUE = 1200  # announcements, 10 per second


def run(posts: int, root: Path, due_from: float) -> dict:
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp, Receiver() as receiver:
        folder = Path(tmp)
        calendar = folder / "content_calendar.yaml"
        later = (datetime.now(UTC) + timedelta(days=400)).date()
        text = generate(posts, start=later) if posts else \
            "brand: {name: Empty, timezone: UTC}\nnetworks:\n  hooks: {type: webhook, url: 'http://x/in'}\nposts:\n"
        for kind in ("x", "mastodon", "bluesky"):  # no credentials here: these accounts run dry
            text = text.replace(f"{{type: {kind}", f"{{type: {kind}, dry_run: true")
        for url in ("http://127.0.0.1:8099/in", "http://x/in"):
            text = text.replace(url, f"{receiver.url}/in")
        first = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=due_from)
        due = [first + timedelta(milliseconds=100 * i) for i in range(DUE)]
        text += "".join(f"  - {{id: due-{i}, kind: announcement, networks: [hooks], "
                        f"at: '{at.isoformat(timespec='milliseconds').replace('+00:00', 'Z')}', text: 'Due {i}'}}\n"
                        for i, at in enumerate(due))
        # those due more than 5 s before start-up are skipped, not sent at once: no burst ahead of the first second
        text += "engine:\n  catch_up: {announcement: 5s}\n"
        calendar.write_text(text)
        log = folder / "engine.log"
        began = time.time()
        with open(log, "a") as out:
            proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "run", "--calendar", str(calendar),
                                     "--state", f"sqlite:///{folder / 'state.db'}"], cwd=folder, stdout=out,
                                    stderr=out, env={**os.environ, "PYTHONPATH": str(root)})
        while " started: " not in log.read_text():
            if proc.poll() is not None or time.time() - began > 600:
                raise RuntimeError(log.read_text()[-2000:])
            time.sleep(0.02)
        started = time.time()
        time.sleep(2)
        rss = rss_mb(proc.pid)
        time.sleep(max(0.0, started + 4 - time.time()))  # the first second's, delivered
        proc.terminate()
        proc.wait(timeout=30)
        sent = [(datetime.fromisoformat(d["body"]["scheduled_at"]).timestamp(), d["at"])
                for d in receiver.accepted.values()]
        late = sorted((at - due) * 1000 for due, at in sent if started <= due < started + 1)
    return {"posts": posts, "startup_s": round(started - began, 2), "rss_mb": round(rss, 1),
            "caught_up": sum(due < started for due, _ in sent),  # sent at start-up, ahead of the first second's
            "first_second": len(late), "first_second_max_ms": round(late[-1], 1) if late else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("posts", type=int, nargs="+")
    parser.add_argument("--root", type=Path, default=HERE.parent)
    parser.add_argument("--due-from", type=float, default=3.0,
                        help="seconds from launch to the first announcement: at most the start-up")
    args = parser.parse_args()
    for posts in args.posts:
        print(json.dumps(run(posts, args.root, args.due_from)), flush=True)


if __name__ == "__main__":
    main()
