"""The ``herald`` command.

One layer (:func:`main`) turns every error into a one-line message and an exit code;
:func:`program` is the program without error handling, and ``--traceback``
re-raises for debugging.

Exit codes: 0 success; 1 invalid input (every problem printed as FILE:LINE:COL);
2 bad command line; 3 a runtime failure (e.g. an output file that cannot be
written); 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any

from campaigns.calendar import check
from campaigns.errors import CalendarError, HeraldError, UsageError
from campaigns.model import Calendar
from campaigns.timeparse import TimeFormatError, parse_when

from .clock import Clock, SystemClock
from .files import write_atomic
from .ledger import Ledger, LedgerError, Record, default_url

DEFAULT_CALENDAR = "content_calendar.yaml"
DEFAULT_STATUS = "status.yaml"
log = logging.getLogger("herald")


class ExitStatus(IntEnum):
    OK = 0
    INVALID = 1
    USAGE = 2
    FAILURE = 3
    INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print usage and exit 2 itself
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="herald", description="Proactive customer service on social media.")
    parser.add_argument("--traceback", action="store_true", help="show the traceback of an error (debugging)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("validate", help="check the calendar and the status file; print every problem as FILE:LINE:COL")
    p.add_argument("file", nargs="?", default=DEFAULT_CALENDAR, help=f"calendar file (default {DEFAULT_CALENDAR})")
    p.add_argument("--status", default=DEFAULT_STATUS, help=f"status file (default {DEFAULT_STATUS}, if it exists)")
    p.add_argument("-q", "--quiet", action="store_true", help="print problems only")

    def window(p: argparse.ArgumentParser, days: int) -> None:
        p.add_argument("--calendar", default=DEFAULT_CALENDAR, help=f"calendar file (default {DEFAULT_CALENDAR})")
        p.add_argument("--from", dest="start", metavar="ISO",
                       help="window start: 2026-12-01 or 2026-12-01T10:00[+01:00] (default: now; "
                            "without an offset, in the brand's time zone)")
        p.add_argument("--days", type=_positive_int, default=days, help=f"window length in days (default {days})")

    p = sub.add_parser("plan", help="what will be published when, in time order")
    window(p, 7)
    p.add_argument("--json", action="store_true", help="one JSON object per line")

    p = sub.add_parser("lint", help="check every post in a window against the brand's voice guide")
    window(p, 28)
    p.add_argument("--status", default=DEFAULT_STATUS, help=f"status file (default {DEFAULT_STATUS}, if it exists)")
    p.add_argument("--json", action="store_true", help="one JSON object per finding")

    p = sub.add_parser("export-ical", help="the plan (and planned maintenance, incidents) as an iCalendar file")
    window(p, 90)
    p.add_argument("--status", default=DEFAULT_STATUS, help=f"status file (default {DEFAULT_STATUS}, if it exists)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")

    p = sub.add_parser("schema", help="print the JSON Schema of the calendar file (or, --status, the status file)")
    p.add_argument("--status", action="store_true", help="the status file's schema")

    def state(p: argparse.ArgumentParser, calendar: bool = True) -> None:
        if calendar:
            p.add_argument("--calendar", default=DEFAULT_CALENDAR, help=f"calendar file (default {DEFAULT_CALENDAR})")
        p.add_argument("--state", metavar="URL",
                       help="ledger database URL (default: sqlite:///.herald/state.db next to the calendar; "
                            "or postgresql://user@host/db)")

    p = sub.add_parser("run", help="the long-running engine: publish every planned post, exactly once")
    state(p)
    p.add_argument("--status", default=DEFAULT_STATUS, help=f"status file (default {DEFAULT_STATUS})")
    p.add_argument("--once", action="store_true", help="publish what is due now, then exit (for cron)")

    p = sub.add_parser("history", help="what the ledger recorded, newest first")
    state(p)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--limit", type=_positive_int, default=50)
    p.add_argument("--only", metavar="STATES", help="e.g. dead,held or retrying")
    p.add_argument("--network", metavar="NAME")

    p = sub.add_parser("retry", help="send a dead, skipped, held or stuck publication again")
    state(p)
    p.add_argument("key", help="publication key (or a unique prefix of it)")

    p = sub.add_parser("skip", help="never send this publication")
    state(p)
    p.add_argument("key", help="publication key (or a unique prefix of it)")
    p.add_argument("--reason", default="skipped by an operator")

    p = sub.add_parser("pause", help="hold due posts (a crisis stop): they are held, never failed")
    state(p)
    p.add_argument("--until", metavar="TIME", help="resume by itself at TIME (default: until `herald resume`)")
    p.add_argument("--reason", default="", help="shown in the startup summary and history")
    p.add_argument("--network", metavar="NAME", help="pause only this account")

    p = sub.add_parser("resume", help="end a pause; held posts go out or are skipped per engine: on_resume")
    state(p)
    p.add_argument("--network", metavar="NAME", help="resume only this account's pause")

    p = sub.add_parser("health", help="exit 0 if an engine's scheduler loop is alive, 1 if not")
    state(p)
    p.add_argument("--max-age", type=float, default=60.0, metavar="SECONDS",
                   help="a heartbeat older than this is unhealthy (default 60)")

    p = sub.add_parser("simulate", help="run the whole engine on a fake clock and an in-memory network")
    window(p, 7)

    def status_file(p: argparse.ArgumentParser) -> None:
        p.add_argument("--calendar", default=DEFAULT_CALENDAR, help=f"calendar file (default {DEFAULT_CALENDAR})")
        p.add_argument("--status", default=DEFAULT_STATUS, help=f"status file (default {DEFAULT_STATUS})")

    p = sub.add_parser("incident", help="declare, update or resolve an incident (edits the status file)")
    incident = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
    q = incident.add_parser("declare", help="a new incident, announced at once")
    status_file(q)
    q.add_argument("--title", required=True, help="what customers notice, e.g. 'Checkout errors'")
    q.add_argument("--impact", required=True, choices=["none", "minor", "major", "critical"])
    q.add_argument("-m", "--message", required=True, help="what we know and what we are doing")
    q.add_argument("--component", action="append", default=[], help="an affected component (repeatable)")
    q.add_argument("--network", action="append", default=[], help="tell only these accounts (default: all)")
    q.add_argument("--id", help="the incident id (default: from the title and the time)")
    q.add_argument("--next-update", metavar="DURATION", help="when the next update comes, e.g. 30m")
    for action, text in (("update", "a new update on an open incident"), ("resolve", "the incident is over")):
        q = incident.add_parser(action, help=text)
        status_file(q)
        q.add_argument("id", help="the incident id")
        if action == "update":
            q.add_argument("--state", required=True, choices=["investigating", "identified", "monitoring"])
        q.add_argument("-m", "--message", required=True)
        q.add_argument("--next-update", metavar="DURATION", help="when the next update comes, e.g. 30m")

    p = sub.add_parser("maintenance", help="plan or cancel a maintenance window (edits the status file)")
    maintenance = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
    q = maintenance.add_parser("add", help="a planned window, announced ahead, at its start and at its end")
    status_file(q)
    q.add_argument("--title", required=True)
    q.add_argument("--starts", required=True, metavar="TIME", help="e.g. 2026-12-06T03:00 (brand's time zone)")
    q.add_argument("--ends", required=True, metavar="TIME")
    q.add_argument("-m", "--message", default="", help="what customers should expect")
    q.add_argument("--component", action="append", default=[], help="an affected component (repeatable)")
    q.add_argument("--network", action="append", default=[], help="tell only these accounts (default: all)")
    q.add_argument("--remind", default="", metavar="DURATIONS", help="announce ahead, e.g. 24h,1h (the default)")
    q.add_argument("--id", help="the window's id (default: from the title and the start)")
    q = maintenance.add_parser("cancel", help="it will not happen (announced if the window was)")
    status_file(q)
    q.add_argument("id")

    p = sub.add_parser("networks", help="the network accounts: are their credentials there, and valid?")
    networks = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser, required=True)
    q = networks.add_parser("check", help="for each account: credentials present; with --live, valid (posts nothing)")
    q.add_argument("--calendar", default=DEFAULT_CALENDAR, help=f"calendar file (default {DEFAULT_CALENDAR})")
    q.add_argument("--live", action="store_true", help="ask each network whether the credentials work")

    p = sub.add_parser("status", help="what is declared now, and where each update was announced")
    status_file(p)
    p.add_argument("--state", dest="state_url", metavar="URL", help="ledger database URL")
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 3660:
        raise argparse.ArgumentTypeError("must be between 1 and 3660")
    return value


def main(argv: Sequence[str] | None = None, clock: Clock | None = None) -> int:
    args = None
    try:
        args = build_parser().parse_args(argv)
        logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        if not args.verbose:  # one line per publication is Herald's; APScheduler's per-job lines are noise
            logging.getLogger("apscheduler").setLevel(logging.WARNING)
        return program(args, clock or SystemClock())
    except KeyboardInterrupt:
        print("herald: interrupted", file=sys.stderr)
        return ExitStatus.INTERRUPTED
    except Exception as exc:
        if args is not None and args.traceback:
            raise
        if isinstance(exc, CalendarError):
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            return ExitStatus.INVALID
        if isinstance(exc, LedgerError):
            print(f"herald: {exc}", file=sys.stderr)
            return ExitStatus.FAILURE
        if isinstance(exc, HeraldError):
            message = str(exc)
            print(message if message.startswith("herald") else f"herald: {message}", file=sys.stderr)
            return ExitStatus(exc.exit_code)
        if isinstance(exc, OSError):
            print(f"herald: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""), file=sys.stderr)
            return ExitStatus.FAILURE
        print(f"herald: unexpected error: {type(exc).__name__}: {exc} (run with --traceback for details)",
              file=sys.stderr)
        return ExitStatus.FAILURE


def program(args: argparse.Namespace, clock: Clock) -> int:
    """The program without error handling."""
    if args.command is None:
        build_parser().print_help()
        return ExitStatus.USAGE
    handler = {
        "validate": cmd_validate,
        "plan": cmd_plan,
        "lint": cmd_lint,
        "export-ical": cmd_export_ical,
        "schema": cmd_schema,
        "run": cmd_run,
        "history": cmd_history,
        "retry": cmd_retry,
        "skip": cmd_skip,
        "pause": cmd_pause,
        "resume": cmd_resume,
        "health": cmd_health,
        "simulate": cmd_simulate,
        "incident": cmd_incident,
        "status": cmd_status,
        "maintenance": cmd_maintenance,
        "networks": cmd_networks,
    }[args.command]
    return handler(args, clock)


def load_calendar(path: str) -> Calendar:
    result = check(path)
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    if result.errors or result.calendar is None:
        raise CalendarError(result.errors)
    return result.calendar


def cmd_validate(args: argparse.Namespace, clock: Clock) -> int:
    from status.load import check as check_status

    result = check(args.file)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    if result.errors or result.calendar is None:
        print(f"{args.file}: {_count(len(result.errors), 'error')}", file=sys.stderr)
        return ExitStatus.INVALID
    cal = result.calendar
    if not args.quiet:
        counts = [_count(len(cal.posts), "post"), _count(len(cal.networks), "network"),
                  _count(len(cal.campaigns), "campaign")]
        if result.warnings:
            counts.append(_count(len(result.warnings), "warning"))
        print(f"{args.file}: ok ({', '.join(counts)})")
    if os.path.exists(args.status):
        status, problems = check_status(args.status, cal)
        for problem in problems:
            print(problem, file=sys.stderr)
        if status is None:
            errors = [p for p in problems if p.severity == "error"]
            print(f"{args.status}: {_count(len(errors), 'error')}", file=sys.stderr)
            return ExitStatus.INVALID
        if not args.quiet:
            print(f"{args.status}: ok ({_count(len(status.components), 'component')}, "
                  f"{_count(len(status.incidents), 'incident')}, {len(status.open_incidents())} open)")
    else:
        status = None
    if cal.brand.voice.declared:  # the guide is part of the calendar: its errors fail validation
        from campaigns.lint import DEFAULT_DAYS
        from status.lint import lint

        now = clock.now()
        report = lint(cal, now, now + timedelta(days=DEFAULT_DAYS), status)
        for problem in report.problems:
            print(problem, file=sys.stderr)
        if report.errors:
            print(f"{args.file}: {_count(len(report.errors), 'voice error')} (herald lint shows them all)",
                  file=sys.stderr)
            return ExitStatus.INVALID
        if not args.quiet:
            print(f"voice guide: ok ({_count(report.publications, 'publication')} in the next {DEFAULT_DAYS} days"
                  + (f", {_count(len(report.warnings), 'warning')})" if report.warnings else ")"))
    return ExitStatus.OK


def cmd_lint(args: argparse.Namespace, clock: Clock) -> int:
    from status.lint import lint
    from status.load import load as load_status

    calendar = load_calendar(args.calendar)
    status = load_status(args.status, calendar) if os.path.exists(args.status) else None
    start, end = window_of(args, calendar, clock)
    report = lint(calendar, start, end, status)
    for problem in report.problems:
        if args.json:
            rule, _, message = problem.message.partition(": ")
            print(json.dumps({"path": problem.path, "line": problem.line, "col": problem.col, "rule": rule,
                              "severity": problem.severity, "message": message, "suggestion": problem.hint},
                             ensure_ascii=False))
        else:
            print(problem)
    tz = calendar.brand.tz
    guide = "" if calendar.brand.voice.declared else " (no brand.voice: the built-in defaults)"
    print(f"{_count(len(report.errors), 'error')}, {_count(len(report.warnings), 'warning')} in "
          f"{_count(report.publications, 'publication')} from {start.astimezone(tz):%Y-%m-%d} "
          f"to {end.astimezone(tz):%Y-%m-%d}{guide}", file=sys.stderr)
    return ExitStatus.INVALID if report.errors else ExitStatus.OK


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def window_of(args: argparse.Namespace, calendar: Calendar, clock: Clock) -> tuple[datetime, datetime]:
    if args.start:
        try:
            when = parse_when(args.start)
        except TimeFormatError as exc:
            raise UsageError(f"--from: {exc}") from None
        tz = when.offset or calendar.brand.tz
        start = datetime.combine(when.date, when.time or datetime.min.time(), tz)
    else:
        start = clock.now()
    return start, start + timedelta(days=args.days)


def cmd_plan(args: argparse.Namespace, clock: Clock) -> int:
    from campaigns.plan import plan

    calendar = load_calendar(args.calendar)
    start, end = window_of(args, calendar, clock)
    publications = plan(calendar, start, end, _history(args.calendar, start, end))
    out = sys.stdout
    if args.json:
        for pub in publications:
            out.write(json.dumps(pub.as_json(), ensure_ascii=False) + "\n")
        return ExitStatus.OK
    tz = calendar.brand.tz
    print(f"{_count(len(publications), 'publication')} from {start.astimezone(tz):%Y-%m-%d %H:%M %Z} "
          f"to {end.astimezone(tz):%Y-%m-%d %H:%M %Z}", file=out)
    for pub in publications:
        local = pub.at.astimezone(tz)
        budget = f"{pub.length}/{pub.limit}" if pub.limit else f"{len(pub.text)} chars"
        variant = f"variant {pub.variant}/{pub.variants}, " if pub.variants > 1 else ""
        out.write(f"\n{local:%a %Y-%m-%d %H:%M %Z}  {pub.network:<10} {pub.post}  ({variant}{budget})  {pub.key}\n")
        for line in pub.text.splitlines() or [""]:
            out.write(f"    {line}\n")
        if pub.note:
            out.write(f"    note: {pub.note}\n")
    return ExitStatus.OK


def _history(calendar_path: str, start: datetime, end: datetime) -> Any:
    """The ledger's variant history, when there is a ledger (HERALD_STATE, or the calendar's own
    file): the plan then shows the variants the engine will really use. Never creates one."""
    url = os.environ.get("HERALD_STATE") or default_url(calendar_path)
    if url.startswith("sqlite:///") and not os.path.exists(url[len("sqlite:///"):]):
        return None
    ledger = Ledger(url)
    try:
        return ledger.variant_history(start, end)
    finally:
        ledger.close()


def cmd_export_ical(args: argparse.Namespace, clock: Clock) -> int:
    from campaigns.gcpause import paused_gc
    from campaigns.ical import export
    from status.ical import add_status
    from status.load import load as load_status

    calendar = load_calendar(args.calendar)
    status = load_status(args.status, calendar)
    start, end = window_of(args, calendar, clock)
    with paused_gc():
        vcal = export(calendar, start, end, clock.now())
        if add_status(vcal, status, calendar.brand.name, start, end, clock.now()):
            vcal.add_missing_timezones(first_date=(start - timedelta(days=1)).date(),
                                       last_date=(end + timedelta(days=1)).date())
        data = vcal.to_ical()
    if args.output:
        write_atomic(args.output, data)
        print(f"wrote {args.output} ({len(data):,} bytes)", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return ExitStatus.OK


def cmd_schema(args: argparse.Namespace, clock: Clock) -> int:
    from campaigns.schema import calendar_schema
    from status.schema import status_schema

    print(json.dumps(status_schema() if args.status else calendar_schema(), indent=2, ensure_ascii=False))
    return ExitStatus.OK


def open_ledger(args: argparse.Namespace) -> Ledger:
    return Ledger(args.state or os.environ.get("HERALD_STATE") or default_url(args.calendar))


def parse_time(text: str, option: str, calendar: Calendar | None = None) -> datetime:
    try:
        when = parse_when(text)
    except TimeFormatError as exc:
        raise UsageError(f"{option}: {exc}") from None
    tz = when.offset or (calendar.brand.tz if calendar else None)
    if tz is None:
        raise UsageError(f"{option}: give an offset, e.g. {text}+01:00 (no calendar to take the time zone from)")
    return datetime.combine(when.date, when.time or datetime.min.time(), tz)


def cmd_run(args: argparse.Namespace, clock: Clock) -> int:
    from .daemon import Daemon, stop_on_signals
    from .engine import Engine
    from .networks import build_publishers

    ledger = open_ledger(args)
    if args.once:
        from status.load import load as load_status

        if not os.path.exists(args.status):
            log.warning("no status file at %s: no incidents to announce", args.status)
        calendar = load_calendar(args.calendar)
        status = load_status(args.status, calendar)
        publishers = build_publishers(calendar, clock)
        from .daemon import engine_id

        engine = Engine(calendar, ledger, publishers, engine_id(), status=status)
        now = clock.now()
        engine.replan(now)
        outcomes = engine.run_due(now)
        failed = [o for o in outcomes if o.result in ("dead", "blocked")]
        log.info("done: %d publication(s) handled", len(outcomes))
        return ExitStatus.FAILURE if failed else ExitStatus.OK
    stop = threading.Event()
    with stop_on_signals(stop):  # from here on, SIGTERM means a clean stop, even during start-up
        daemon = Daemon(args.calendar, ledger, status_path=args.status, clock=clock, stop_event=stop)
        daemon.run_forever()
    return ExitStatus.OK


def _resolve(ledger: Ledger, key: str) -> Record:
    record = ledger.get(key)
    if record is not None:
        return record
    found = ledger.find(key) if len(key) >= 4 else []
    if len(found) == 1:
        return found[0]
    if not found:
        raise UsageError(f"no publication with key {key!r} in {ledger.safe_url} (see herald history)")
    raise UsageError(f"{key!r} matches {len(found)} publications; give more of the key")


def _row(record: Record, tz: Any) -> str:
    when = record.scheduled_at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if tz else record.scheduled_at.isoformat()
    extra = f" remote={record.remote_id}" if record.remote_id else ""
    note = f"  ({record.last_error})" if record.last_error and record.state != "sent" else ""
    tries = f" attempts={record.attempts}" if record.attempts > 1 else ""
    return f"{when}  {record.state:<9} {record.network:<10} {record.post}  {record.key}{extra}{tries}{note}"


def _brand_tz(path: str) -> Any:
    result = check(path) if os.path.exists(path) else None
    return result.calendar.brand.tz if result and result.calendar else UTC


def cmd_history(args: argparse.Namespace, clock: Clock) -> int:
    ledger = open_ledger(args)
    only = [s.strip() for s in args.only.split(",")] if args.only else None
    records = ledger.history(args.limit, only, args.network)
    if args.json:
        for record in records:
            sys.stdout.write(json.dumps(record.as_json(), ensure_ascii=False) + "\n")
        return ExitStatus.OK
    now = clock.now()
    tz = _brand_tz(args.calendar)
    for pause in ledger.active_pauses(now):
        print(f"PAUSED {pause.network or 'all networks'}: {pause.reason or 'no reason given'}")
    counts = ledger.counts()
    print(", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "the ledger is empty")
    for record in records:
        print(_row(record, tz))
    return ExitStatus.OK


def cmd_retry(args: argparse.Namespace, clock: Clock) -> int:
    ledger = open_ledger(args)
    record = _resolve(ledger, args.key)
    updated = ledger.operator_retry(record.key, clock.now())
    if updated is None:
        raise UsageError(f"{record.key} is {record.state}; only dead, skipped, held or retrying ones can be retried")
    print(f"{record.key}: will be sent again by the running engine (was {record.state})")
    return ExitStatus.OK


def cmd_skip(args: argparse.Namespace, clock: Clock) -> int:
    ledger = open_ledger(args)
    record = _resolve(ledger, args.key)
    if ledger.operator_skip(record.key, clock.now(), args.reason) is None:
        raise UsageError(f"{record.key} is {record.state} and cannot be skipped now")
    print(f"{record.key}: skipped ({args.reason})")
    return ExitStatus.OK


def cmd_pause(args: argparse.Namespace, clock: Clock) -> int:
    ledger = open_ledger(args)
    calendar = load_calendar(args.calendar) if os.path.exists(args.calendar) else None
    if args.network and calendar and args.network not in calendar.networks:
        raise UsageError(f"--network: no account {args.network!r} in {args.calendar}")
    until = parse_time(args.until, "--until", calendar) if args.until else None
    pause = ledger.pause(clock.now(), args.network, until, args.reason)
    scope = pause.network or "all networks"
    print(f"paused {scope}" + (f" until {until.isoformat()}" if until else " until `herald resume`")
          + (f": {args.reason}" if args.reason else ""))
    return ExitStatus.OK


def cmd_resume(args: argparse.Namespace, clock: Clock) -> int:
    from .engine import release_held

    ledger = open_ledger(args)
    now = clock.now()
    ended = ledger.resume(now, args.network)
    if not ended:
        print("nothing was paused" + (f" for {args.network}" if args.network else ""))
        return ExitStatus.OK
    calendar = load_calendar(args.calendar)
    still = ledger.active_pauses(now)
    outcomes = []
    for network in ({args.network} if args.network else {None}):
        if not any(p.network is None for p in still):
            outcomes += release_held(ledger, calendar, now, network)
    released = sum(o.result == "released" for o in outcomes)
    skipped = sum(o.result == "skipped" for o in outcomes)
    print(f"resumed {args.network or 'all networks'}: {released} held post(s) released, {skipped} skipped")
    return ExitStatus.OK


def cmd_health(args: argparse.Namespace, clock: Clock) -> int:
    ledger = open_ledger(args)
    now = clock.now()
    running = [e for e in ledger.engines() if e["stopped_at"] is None]
    alive = [e for e in running if (now - e["heartbeat_at"]).total_seconds() <= args.max_age]
    for engine in running:
        age = (now - engine["heartbeat_at"]).total_seconds()
        fired = engine["last_fire_at"].isoformat(timespec="seconds") if engine["last_fire_at"] else "never"
        state = "alive" if engine in alive else "NOT RESPONDING"
        print(f"{engine['id']}: {state}, last heartbeat {age:.0f}s ago, last publication {fired}")
    counts = ledger.counts()
    if counts.get("dead"):
        print(f"{counts['dead']} dead publication(s): see herald history --only dead")
    if not alive:
        print("unhealthy: no engine has recorded a heartbeat in the last "
              f"{args.max_age:g} s" + ("" if running else " (none is running)"))
        return ExitStatus.INVALID
    print("healthy")
    return ExitStatus.OK


def cmd_simulate(args: argparse.Namespace, clock: Clock) -> int:
    from .simulate import simulate

    logging.getLogger("herald.engine").setLevel(logging.ERROR)  # the outcomes are printed instead
    calendar = load_calendar(args.calendar)
    start, end = window_of(args, calendar, clock)
    for line in simulate(calendar, start, end):
        print(line)
    return ExitStatus.OK


def cmd_incident(args: argparse.Namespace, clock: Clock) -> int:
    from campaigns.schemacheck import did_you_mean
    from status import edit
    from status.load import load as load_status

    calendar = load_calendar(args.calendar)
    current = load_status(args.status, calendar)
    if args.action == "declare":
        for option, names, known in (("--component", args.component, current.components),
                                     ("--network", args.network, calendar.networks)):
            for name in names:
                if name not in known:
                    hint = did_you_mean(name, known) or (f"known: {', '.join(known)}" if known else
                                                         f"none defined in {args.status}")
                    raise UsageError(f"{option} {name}: not defined ({hint})")
    if calendar.brand.voice.declared:  # a message the engine would refuse is refused now, while someone is here
        from status.lint import checker_for

        state = {"declare": "investigating", "resolve": "resolved"}.get(args.action, getattr(args, "state", ""))
        errors = [f for f in checker_for(calendar, current).check(args.message, state, required=False)
                  if f.severity == "error"]
        if errors:
            raise UsageError("-m: the voice guide refuses this message: " + "; ".join(f.line() for f in errors))
    now = clock.now()
    previous = current.incident(args.id) if args.action != "declare" and args.id else None
    at = edit.stamp(now, calendar, previous.updates[-1].at if previous else None)
    if args.action == "declare":
        incident_id = args.id or f"{edit.slug(args.title)}-{now.astimezone(calendar.brand.tz):%Y%m%d-%H%M}"

        def change(data: Any) -> None:
            edit.declare(data, incident_id=incident_id, title=args.title, impact=args.impact,
                         components=args.component, networks=args.network, at=at, message=args.message,
                         next_update=args.next_update)
    else:
        incident_id = args.id
        state = args.state if args.action == "update" else "resolved"

        def change(data: Any) -> None:
            edit.add_update(edit.find_incident(data, incident_id), at, state, args.message, args.next_update)

    status = edit.edit(args.status, calendar, change)
    incident = status.incident(incident_id)
    names = incident.networks or tuple(n for n, a in calendar.networks.items() if a.enabled)
    print(f"{incident_id}: {incident.state} at {at} in {args.status}; a running engine announces it within "
          f"a second on {', '.join(names)}")
    return ExitStatus.OK


def cmd_networks(args: argparse.Namespace, clock: Clock) -> int:
    from .networks import build_publishers
    from .networks.base import ConfigError, PublishError

    calendar = load_calendar(args.calendar)
    bad = 0
    for name, account in calendar.networks.items():
        label = f"{name} ({account.rules.title})"
        if not account.enabled:
            print(f"{label}: disabled")
            continue
        try:
            publisher = build_publishers(_only(calendar, name), clock)[name]
        except ConfigError as exc:
            print(f"{label}: NOT READY: {str(exc).split(': ', 1)[-1]}")
            bad += 1
            continue
        mode = " (dry run)" if account.dry_run else ""
        if not args.live or account.dry_run:
            print(f"{label}: ready{mode}")
            continue
        try:
            print(f"{label}: {publisher.check_live()}")
        except PublishError as exc:
            print(f"{label}: FAILED: {exc.detail}")
            bad += 1
        finally:
            publisher.close()
    return ExitStatus.INVALID if bad else ExitStatus.OK


def _only(calendar: Calendar, name: str) -> Calendar:
    import dataclasses

    return dataclasses.replace(calendar, networks={name: calendar.networks[name]})


def cmd_maintenance(args: argparse.Namespace, clock: Clock) -> int:
    from campaigns.schemacheck import did_you_mean
    from status import edit
    from status.load import load as load_status

    calendar = load_calendar(args.calendar)
    current = load_status(args.status, calendar)
    if args.action == "cancel":
        edit.edit(args.status, calendar, lambda data: edit.cancel_maintenance(data, args.id))
        print(f"{args.id}: cancelled in {args.status}; if it was announced, the cancellation is announced")
        return ExitStatus.OK
    for option, names, known in (("--component", args.component, current.components),
                                 ("--network", args.network, calendar.networks)):
        for name in names:
            if name not in known:
                raise UsageError(f"{option} {name}: not defined ({did_you_mean(name, known) or 'see the file'})")
    starts, ends = parse_time(args.starts, "--starts", calendar), parse_time(args.ends, "--ends", calendar)
    if ends <= starts:
        raise UsageError("--ends must be after --starts")
    tz = calendar.brand.tz
    window_id = args.id or f"{edit.slug(args.title)}-{starts.astimezone(tz):%Y%m%d-%H%M}"
    remind = [r.strip() for r in args.remind.split(",") if r.strip()]
    status = edit.edit(args.status, calendar, lambda data: edit.add_maintenance(
        data, maintenance_id=window_id, title=args.title, starts=starts.isoformat(timespec="minutes"),
        ends=ends.isoformat(timespec="minutes"), components=args.component, networks=args.network,
        message=args.message, remind=remind))
    window = next(m for m in status.maintenance if m.id == window_id)
    ahead = ", ".join(f"{int(r.total_seconds() // 3600)}h" if r.total_seconds() % 3600 == 0 else str(r)
                      for r in window.remind)
    print(f"{window_id}: {window.starts.astimezone(tz):%Y-%m-%d %H:%M} to {window.ends.astimezone(tz):%H:%M %Z}; "
          f"announced {ahead} ahead, at the start and at the end")
    return ExitStatus.OK


def cmd_status(args: argparse.Namespace, clock: Clock) -> int:
    from status.announce import announcements
    from status.load import load as load_status

    calendar = load_calendar(args.calendar)
    status = load_status(args.status, calendar)
    tz = calendar.brand.tz
    if status.components:
        print("components:")
        for component in status.components.values():
            print(f"  {component.name:<24} {component.status.replace('_', ' ')}")
    open_ = status.open_incidents()
    print(f"{_count(len(open_), 'open incident')}" + (":" if open_ else ""))
    ledger = Ledger(args.state_url or os.environ.get("HERALD_STATE") or default_url(args.calendar))
    for incident in status.incidents[::-1][:10]:
        print(f"\n{incident.id}: {incident.title} ({incident.impact}, {incident.state})")
        pubs = announcements(calendar, status, incident.started, incident.updates[-1].at + timedelta(seconds=1))
        states = ledger.states([p.key for p in pubs])
        now = clock.now()
        for update in incident.updates:
            unsent = "not yet" if now - update.at <= calendar.engine.grace("incident") else \
                "never (older than its catch-up window when Herald saw it)"
            where = [f"{p.network}: {states.get(p.key, unsent)}" for p in pubs
                     if p.at == update.at.astimezone(tz) and p.post == incident.id]
            print(f"  {update.at.astimezone(tz):%Y-%m-%d %H:%M %Z}  {update.state:<13} {update.message[:70]}")
            print(f"      announced: {'; '.join(where) or 'no network'}")
    return ExitStatus.OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

