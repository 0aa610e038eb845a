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
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import IntEnum

from campaigns.calendar import check
from campaigns.errors import CalendarError, HeraldError, UsageError
from campaigns.model import Calendar
from campaigns.timeparse import TimeFormatError, parse_when

from .clock import Clock, SystemClock
from .files import write_atomic

DEFAULT_CALENDAR = "content_calendar.yaml"
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

    p = sub.add_parser("validate", help="check the calendar; print every problem as FILE:LINE:COL")
    p.add_argument("file", nargs="?", default=DEFAULT_CALENDAR, help=f"calendar file (default {DEFAULT_CALENDAR})")
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

    p = sub.add_parser("export-ical", help="the plan as an iCalendar file for review in a calendar app")
    window(p, 90)
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")

    sub.add_parser("schema", help="print the JSON Schema of the calendar file")
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
        "export-ical": cmd_export_ical,
        "schema": cmd_schema,
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
    result = check(args.file)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    if result.errors or result.calendar is None:
        print(f"{args.file}: {_count(len(result.errors), 'error')}", file=sys.stderr)
        return ExitStatus.INVALID
    if not args.quiet:
        cal = result.calendar
        counts = [_count(len(cal.posts), "post"), _count(len(cal.networks), "network"),
                  _count(len(cal.campaigns), "campaign")]
        if result.warnings:
            counts.append(_count(len(result.warnings), "warning"))
        print(f"{args.file}: ok ({', '.join(counts)})")
    return ExitStatus.OK


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
    publications = plan(calendar, start, end)
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


def cmd_export_ical(args: argparse.Namespace, clock: Clock) -> int:
    from campaigns.ical import to_ical

    calendar = load_calendar(args.calendar)
    start, end = window_of(args, calendar, clock)
    data = to_ical(calendar, start, end, clock.now())
    if args.output:
        write_atomic(args.output, data)
        print(f"wrote {args.output} ({len(data):,} bytes)", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return ExitStatus.OK


def cmd_schema(args: argparse.Namespace, clock: Clock) -> int:
    from campaigns.schema import calendar_schema

    print(json.dumps(calendar_schema(), indent=2, ensure_ascii=False))
    return ExitStatus.OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

