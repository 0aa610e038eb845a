"""Engine commands: run, health, simulate."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from .common import (
    ExitStatus,
    calendar_option,
    count,
    existing_ledger,
    ledger_exists,
    ledger_url,
    load_calendar,
    no_ledger_yet,
    only_option,
    open_ledger,
    same_files,
    show,
    state_option,
    status_option,
    window_options,
)
from .times import window_of

if TYPE_CHECKING:
    from ..clock import Clock
    from ..ledger import Ledger

log = logging.getLogger("herald")


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="the long-running engine: publish every planned post, exactly once")
    calendar_option(p)
    state_option(p)
    status_option(p)
    p.add_argument("--once", action="store_true", help="publish what is due now, then exit (for cron)")
    p.add_argument("--new-ledger", action="store_true",
                   help="start over with a new, empty ledger when the old one is damaged or gone (the broken file "
                        "is kept aside; posts due in the catch-up window may be sent again)")
    p.add_argument("--serve", metavar="HOST:PORT",
                   help="serve the status site at HOST:PORT too, whatever the calendar's engine.serve says "
                        "(a container: --serve 0.0.0.0:8080)")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("health", help="exit 0 if an engine's scheduler loop is alive, 1 if not")
    calendar_option(p)
    state_option(p)
    p.add_argument("--max-age", type=seconds(1, MAX_AGE), default=60.0, metavar="SECONDS",
                   help=f"a heartbeat older than this is unhealthy (default 60; 1 to {MAX_AGE:,})")
    p.set_defaults(handler=cmd_health)

    p = sub.add_parser("simulate", help="run the whole engine on a fake clock and an in-memory network")
    window_options(p, 7)
    status_option(p, ", if it exists")
    only_option(p)
    p.set_defaults(handler=cmd_simulate)


MAX_AGE = 86_400  # seconds: an engine beats every few seconds; a day without a beat is no engine


def seconds(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a number of seconds in [low, high] (not NaN, not infinite), its range
    named when it is not."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
        if not low <= value <= high:  # NaN is in no range
            raise argparse.ArgumentTypeError(f"must be between {low:,g} and {high:,} seconds")
        return value
    return parse


def cmd_run(args: argparse.Namespace, clock: Clock) -> int:
    from ..daemon import Daemon, stop_on_signals

    def ledger() -> Ledger:  # opened once the calendar is read: the log is in its zone from the first line
        if args.new_ledger:
            return open_ledger(args, start_over=True)
        _refuse_a_lost_ledger(args)
        return open_ledger(args)

    if args.once:
        from status.load import load as load_status

        from ..daemon import engine_id
        from ..engine import Engine, Result
        from ..logformat import set_zone
        from ..networks import build_publishers

        calendar = load_calendar(args.calendar)
        set_zone(calendar.brand.tz)  # as the engine's log: ISO times with the brand's offset
        if not os.path.exists(args.status):
            log.warning("no status file at %s: no incidents to announce", args.status)
        status = load_status(args.status, calendar)
        publishers = build_publishers(calendar, clock)
        engine = Engine(calendar, ledger(), publishers, engine_id(), status=status)
        outcomes = engine.run_due(clock.now())
        failed = [o for o in outcomes if o.result in (Result.DEAD, Result.BLOCKED)]
        log.info("done: %d publication(s) handled", len(outcomes))
        return ExitStatus.FAILURE if failed else ExitStatus.OK
    if args.serve:
        from .web import can_serve

        can_serve(args.serve)  # a bad address or a short token: one line, exit 2, before anything starts
    stop = threading.Event()
    with stop_on_signals(stop):  # from here on, SIGTERM means a clean stop, even during start-up
        daemon = Daemon(args.calendar, ledger, status_path=args.status, clock=clock, stop_event=stop,
                        serve=args.serve)
        daemon.run_forever()
    return ExitStatus.OK


def _refuse_a_lost_ledger(args: argparse.Namespace) -> None:
    """A SQLite ledger about to be made (no file, no marker: ``rm -rf .herald``) beside a site
    channel that has published posts was lost, not never made: starting a fresh one would send
    everything in the catch-up window again.  Refused like a deleted ledger (``--new-ledger``
    decides otherwise)."""
    import json

    from ..errors import BrokenLedger
    from ..networks import base_dir_of

    url = ledger_url(args)
    if not url.startswith("sqlite:///") or ledger_exists(url):
        return
    calendar = load_calendar(args.calendar)
    for account in calendar.networks.values():
        if account.type != "site" or not account.enabled:
            continue
        store = os.path.join(base_dir_of(calendar), account.options.get("path", "public"), "site.json")
        try:
            with open(store, encoding="utf-8") as handle:
                posts = len(json.load(handle).get("items", []))
        except (OSError, ValueError, AttributeError):
            continue  # no site yet, or not one Herald wrote: nothing to go by
        if posts:
            raise BrokenLedger(url.removeprefix("sqlite:///"), f"looks lost: {count(posts, 'site post')} "
                               f"{'exists' if posts == 1 else 'exist'} in "
                               f"{store}, but there is no ledger (its folder was deleted?)",
                               run=f"herald run{same_files(args, status=True)}")


def cmd_health(args: argparse.Namespace, clock: Clock) -> int:
    ledger = existing_ledger(args)
    now = clock.now()
    if ledger is None:
        show(f"unhealthy: no engine has recorded a heartbeat (none is running; {no_ledger_yet(args)})")
        return ExitStatus.INVALID
    running = [e for e in ledger.engines() if e["stopped_at"] is None]
    alive = [e for e in running if (now - e["heartbeat_at"]).total_seconds() <= args.max_age]
    for engine in running:
        age = (now - engine["heartbeat_at"]).total_seconds()
        fired = engine["last_fire_at"].isoformat(timespec="seconds") if engine["last_fire_at"] else "never"
        state = "alive" if engine in alive else "NOT RESPONDING"
        show(f"{engine['id']}: {state}, last heartbeat {age:.0f}s ago, last publication {fired}")
    counts = ledger.counts()
    if counts.get("dead"):
        show(f"{counts['dead']} dead publication(s): see herald history{same_files(args)} --only dead")
    if not alive:
        show("unhealthy: no engine has recorded a heartbeat in the last "
             f"{args.max_age:g} s" + ("" if running else " (none is running)"))
        return ExitStatus.INVALID
    show("healthy")
    return ExitStatus.OK


def cmd_simulate(args: argparse.Namespace, clock: Clock) -> int:
    from ..simulate import simulate

    calendar = load_calendar(args.calendar)
    start, end = window_of(args, calendar, clock)
    status = None
    if args.only != "calendar" and os.path.exists(args.status):
        from status.load import load as load_status

        status = load_status(args.status, calendar)
    # the outcomes are printed instead of the engine's log; its throwaway ledger is no news.  (Only
    # for this run: left lowered, they silenced the engine's log for the rest of the process.)
    with _quieter({"herald.engine": logging.ERROR, "herald.ledger": logging.WARNING}):
        for line in simulate(calendar, start, end, status, only=args.only):
            print(line)
    return ExitStatus.OK


@contextlib.contextmanager
def _quieter(levels: dict[str, int]) -> Iterator[None]:
    loggers = {name: logging.getLogger(name) for name in levels}
    before = {name: logger.level for name, logger in loggers.items()}
    for name, logger in loggers.items():
        logger.setLevel(levels[name])
    try:
        yield
    finally:
        for name, logger in loggers.items():
            logger.setLevel(before[name])
