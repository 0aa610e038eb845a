"""The review room's month view of a 10,000-post calendar (issue 28: at most 1 s of server time).

    python bench/bench_review.py [--posts 10000] [--runs 7] [--month 2027-03]

Two measures, each the median of ``--runs`` runs, each with its ratio to the same measure of an
empty calendar (the same brand and accounts, no post) in the same process, so the figure carries
from machine to machine:

- **render**: what the server does for the page once it has the calendar: the month's plan and
  status announcements (:func:`scheduler.render.review.publications`) and the page
  (:func:`~scheduler.render.review.plan_page`: the cards, their lengths, the voice guide, the grid);
- **GET**: ``GET /review?view=month`` through the app in this process (Starlette's test client, a
  SQLite ledger), signed in: reading the file (checked again only when its text changed: the first
  request's check is printed apart), the status file, the ledger's rows of the month's keys, the page;
- **saved**: a planner's edit, paired: the month rendered once (warm), then ``--runs`` times one post
  of the file changed and saved (a fresh edit each time: reworded, or its ``at:`` moved a day, in
  turn, a March post each), the first GET after that save timed, then the next GET (nothing
  changed) timed against it: the first GET after a save checks the changed file and plans its month.

- **diff** (``--diff``): ``GET /review/diff`` against the running calendar the ledger records (the
  generated calendar with every tenth post reworded): the first request, the repeats (nothing
  changed: the page made once is served), and a request each minute later (the window moved: the
  two calendars' checks are kept, the comparison and the page made again).

Each render is also timed the first time (nothing of this calendar known yet: its plan, its voice
findings and its index of posts made; the process warmed first on a small calendar, as a server's
is); the week and a day of the same calendar are timed too, and the page sizes printed.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TOKEN = secrets.token_urlsafe(24)  # made per run: no token-like literal in the repository


def empty_calendar(text: str) -> str:
    """The generated calendar's head (brand, accounts, campaigns) without its posts."""
    return text.split("\nposts:\n")[0] + "\nposts: []\n"


def median_of(runs: int, action: Any) -> tuple[float, float, Any]:
    """The median wall time and the median CPU time of this process over ``runs`` calls, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = action()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls), statistics.median(cpus), result


def render(text: str, view: str, day: date, now: datetime, runs: int) -> dict[str, Any]:
    """The first render (nothing of this calendar known yet) and the median of the next ``runs``
    (its plan and voice findings remembered), in process: seconds, publications and page size."""
    from campaigns.calendar import loads
    from scheduler.render.review import Filters, Room, Window, plan_page, publications
    from status.load import loads as status_loads

    calendar = loads(text, "<bench>")
    status = status_loads("", calendar)
    room = Room(calendar, status, now, Window.around(view, day), Filters(), folder=str(ROOT))

    def once() -> tuple[int, str]:
        pubs = publications(room)
        return len(pubs), plan_page(room, pubs, {})

    first, first_cpu, _ = median_of(1, once)
    wall, cpu, (count, html) = median_of(runs, once)
    return {"first": first, "first_cpu": first_cpu, "wall": wall, "cpu": cpu, "count": count,
            "size": len(html.encode())}


@contextmanager
def signed_in(text: str, path: str, now: datetime) -> Iterator[tuple[Any, Path]]:
    """The app over ``text`` (an empty status file, a new SQLite ledger) and a client signed in to
    the review room as a browser does it; with the calendar file, for saves."""
    from starlette.testclient import TestClient

    from scheduler.clock import FakeClock
    from scheduler.ledger import Ledger
    from scheduler.web.app import create_app
    from scheduler.web.context import WebContext

    os.environ["HERALD_REVIEW_TOKEN"] = TOKEN
    with tempfile.TemporaryDirectory() as folder:
        calendar, status = Path(folder, "content_calendar.yaml"), Path(folder, "status.yaml")
        calendar.write_text(text)
        status.write_text("")
        url = f"sqlite:///{folder}/state.db"
        Ledger(url).close()
        ctx = WebContext.from_environment(str(calendar), str(status), url, FakeClock(now))
        with TestClient(create_app(ctx), follow_redirects=False) as client:
            form = client.get(path)
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
            client.post("/review/login", data={"token": TOKEN, "csrf": csrf, "next": "/review"})
            client.ctx = ctx  # type: ignore[attr-defined]
            yield client, calendar
        ctx.close()


def served(text: str, path: str, now: datetime, runs: int) -> dict[str, Any]:
    """The first GET (the file checked, nothing known of it), the second (the file's check
    remembered, the window planned) and the median of the next ``runs``, through the app."""
    with signed_in(text, path, now) as (client, _calendar):
        first, first_cpu, answer = median_of(1, lambda: client.get(path))
        assert answer.status_code == 200, answer.text[:200]
        wall, cpu, answer = median_of(runs, lambda: client.get(path))
    return {"first": first, "first_cpu": first_cpu, "wall": wall, "cpu": cpu, "count": 0,
            "size": len(answer.content)}


EDIT_AT = re.compile(r"^    at: 2027-03-(\d\d)T", re.MULTILINE)


def edited(text: str, number: int) -> str:
    """``text`` with one more post changed (the ``number``th edit): even edits reword a post (its
    first text or variant gets a word), odd ones move a one-off post of March by a day."""
    found = list(EDIT_AT.finditer(text))
    match = found[(number * 7919) % len(found)]  # a different post each time, spread over the file
    if number % 2:
        day = int(match.group(1))
        moved = f"    at: 2027-03-{day + 1 if day < 28 else day - 1:02d}T"
        return text[:match.start()] + moved + text[match.end():]
    quote = text.index('"', match.end())  # the post's (first) text, after its at:
    return text[:quote + 1] + f"Edit {number}: " + text[quote + 1:]


class Whole:
    """The review room as before issue 28's incremental path (the baseline, in the same process):
    every saved text checked whole, and its month planned and its texts checked from scratch."""

    def __enter__(self) -> None:
        import campaigns.calendar
        import scheduler.render.review

        self.check, self.context = campaigns.calendar.check, scheduler.render.review._same_context
        campaigns.calendar.check = lambda path, text=None, **options: self.check(  # type: ignore[assignment]
            path, text, **{**options, "incremental": False})
        scheduler.render.review._same_context = lambda old, new: False  # type: ignore[assignment]

    def __exit__(self, *exc: object) -> None:
        import campaigns.calendar
        import scheduler.render.review

        campaigns.calendar.check = self.check  # type: ignore[assignment]
        scheduler.render.review._same_context = self.context  # type: ignore[assignment]


def saved(text: str, path: str, now: datetime, runs: int, whole: bool = False) -> dict[str, Any]:
    """The first GET after each of ``runs`` saves of one edited post (CPU and wall), paired with the
    GET after it; the month rendered once before the first save.  ``whole``: the baseline (:class:`Whole`)."""
    from contextlib import nullcontext

    from campaigns.calendar import forget
    from scheduler.render import review
    from scheduler.web import review as web_review

    forget()  # nothing known of the file: the warm GET below checks it (and remembers it, incremental)
    review._memos.clear()
    web_review._drafts.clear()
    with Whole() if whole else nullcontext():
        return _saved(text, path, now, runs)


def _saved(text: str, path: str, now: datetime, runs: int) -> dict[str, Any]:
    firsts: list[tuple[float, float]] = []
    laters: list[tuple[float, float]] = []
    with signed_in(text, path, now) as (client, calendar):
        assert client.get(path).status_code == 200  # warm: this text checked, its month planned
        for number in range(runs):
            text = edited(text, number)
            calendar.write_text(text)
            for into in (firsts, laters):
                wall, cpu, answer = median_of(1, lambda: client.get(path))
                assert answer.status_code == 200, answer.text[:200]
                into.append((wall, cpu))
    return {"first": statistics.median(w for w, _ in firsts), "first_cpu": statistics.median(c for _, c in firsts),
            "wall": statistics.median(w for w, _ in laters), "cpu": statistics.median(c for _, c in laters),
            "count": 0, "size": len(answer.content), "firsts": firsts, "laters": laters}


def diffs(text: str, now: datetime, runs: int) -> dict[str, float]:
    """``GET /review/diff``: the first request, the median of ``runs`` repeats, and the median of
    ``runs`` requests each a minute after the one before (CPU seconds of this process)."""
    from datetime import timedelta

    from scheduler.ledger import Ledger
    from scheduler.ledger.reads import remember_calendar

    parts = text.split('text: "')
    running = parts[0] + "".join(('text: "Was: ' if n % 10 == 0 else 'text: "') + part
                                 for n, part in enumerate(parts[1:]))
    with signed_in(text, "/review/diff", now) as (client, calendar):
        ledger = Ledger(f"sqlite:///{calendar.parent}/state.db")
        remember_calendar(ledger.db, "bench", running)
        ledger.close()
        _first_wall, first, answer = median_of(1, lambda: client.get("/review/diff"))
        assert answer.status_code == 200 and "reworded" in answer.text, answer.text[:300]
        _wall, repeat, _ = median_of(runs, lambda: client.get("/review/diff"))
        clock = client.ctx.clock

        def later() -> Any:
            clock.advance(timedelta(minutes=1))
            return client.get("/review/diff")

        _wall, minute, _ = median_of(runs, later)
    return {"first": first, "repeat": repeat, "minute": minute, "size": len(answer.content)}


def row(name: str, found: dict[str, Any], empty: dict[str, Any]) -> str:
    count = f"{found['count']:,}" if found["count"] else ""
    return (f"{name:<40} {count:>7} {found['first']:>7.3f} {found['first_cpu']:>7.3f} {found['wall']:>7.3f} "
            f"{found['cpu']:>7.3f} {empty['wall']:>7.3f} {found['wall'] / empty['wall']:>6.0f}x "
            f"{found['size'] / 1024:>5.0f} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--month", default="2027-03", help="the month shown, YYYY-MM (the calendar's year is 2027)")
    parser.add_argument("--saved-only", action="store_true", help="only the first GET after a save")
    parser.add_argument("--diff", action="store_true", help="only GET /review/diff")
    args = parser.parse_args()

    from bench.generate import generate

    first = date.fromisoformat(args.month + "-01")
    now = datetime.combine(first, datetime.min.time(), UTC)
    text = generate(args.posts, start=date(2027, 1, 1))
    nothing = empty_calendar(text)
    print(f"{args.posts:,} posts ({len(text) / 1e6:.1f} MB), month {args.month}, median of {args.runs} runs after "
          "the first; wall and CPU seconds of this process")
    print(f"{'page':<40} {'pubs':>7} {'first':>7} {'cpu':>7} {'median':>7} {'cpu':>7} {'empty':>7} {'ratio':>7} "
          f"{'size':>8}")
    render(generate(500, start=date(2027, 1, 1)), "month", first, now, 1)  # the process warm, as a server's is
    path = f"/review?view=month&from={first.isoformat()}"
    if args.diff:
        found = diffs(text, now, args.runs)
        return print(f"GET /review/diff ({found['size'] / 1e6:.1f} MB page): first {found['first']:.3f} s CPU, "
                     f"repeated {found['repeat']:.3f} s CPU (median), a minute later {found['minute']:.3f} s CPU "
                     "(median)")
    if args.saved_only:
        return print_saved(text, path, now, args.runs)
    for view, day in (("month", first), ("week", first.replace(day=10)), ("day", first.replace(day=10))):
        print(row("render " + view, render(text, view, day, now, args.runs),
                  render(nothing, view, day, now, args.runs)))
    print(row("GET " + path, served(text, path, now, args.runs), served(nothing, path, now, args.runs)))
    print_saved(text, path, now, args.runs)
    print("(first: the first render of this calendar in a warm process (its plan, voice findings and index made), "
          "or the first GET, which checks the file too)")


def print_saved(text: str, path: str, now: datetime, runs: int) -> None:
    """The save case, the baseline and the incremental path taking turns (two rounds of ``runs`` edits each)."""
    found: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    for whole in (True, False, True, False):
        found[whole].append(saved(text, path, now, runs, whole))
    print(f"saved: one post edited and saved, {runs} edits a round, two rounds each, taking turns; the first GET "
          "after each save, against the next GET (nothing changed)")
    for whole, name in ((True, "whole check (before)"), (False, "incremental (now)")):
        firsts = [f for one in found[whole] for f in one["firsts"]]
        laters = [f for one in found[whole] for f in one["laters"]]
        first_wall, first_cpu = statistics.median(w for w, _ in firsts), statistics.median(c for _, c in firsts)
        wall, cpu = statistics.median(w for w, _ in laters), statistics.median(c for _, c in laters)
        found[whole] = [{"first_cpu": first_cpu, "first": first_wall}]
        print(f"  {name:<22} first GET after a save: median {first_wall:.3f} s wall, {first_cpu:.3f} s CPU "
              f"(max {max(c for _, c in firsts):.2f}); the GET after it {wall:.3f} s wall, {cpu:.3f} s CPU; "
              f"ratio {first_cpu / cpu:.1f}x CPU")
    print(f"  incremental against whole, first GET after a save: "
          f"{found[False][0]['first_cpu'] / found[True][0]['first_cpu']:.2f}x CPU, "
          f"{found[False][0]['first'] / found[True][0]['first']:.2f}x wall")


if __name__ == "__main__":
    main()
