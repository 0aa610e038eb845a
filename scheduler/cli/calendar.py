"""Calendar commands: validate, plan, lint, export-ical, schema."""

from __future__ import annotations

import argparse
import json
import marshal
import os
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .common import (
    DEFAULT_CALENDAR,
    ExitStatus,
    count,
    load_calendar,
    only_option,
    output_target,
    planned,
    say,
    show,
    status_option,
    variant_history,
    window_options,
    write_output_file,
)
from .times import window_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from campaigns.lint import Elsewhere, Found

    from ..clock import Clock
    from ..forked import Child


def register(sub: Any) -> None:
    p = sub.add_parser("validate", help="check the calendar and the status file; print every problem as FILE:LINE:COL")
    where = p.add_mutually_exclusive_group()
    where.add_argument("file", nargs="?", default=None, help=f"calendar file (default {DEFAULT_CALENDAR})")
    where.add_argument("--calendar", metavar="FILE",
                       help="the calendar file, as every other command names it (the same as FILE)")
    status_option(p, ", if it exists")
    p.add_argument("-q", "--quiet", action="store_true", help="print problems only")
    p.set_defaults(handler=cmd_validate)

    p = sub.add_parser("plan", help="what will be published when, in time order: calendar posts and the status "
                                    "file's announcements")
    window_options(p, 7)
    status_option(p, ", if it exists")
    only_option(p)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(handler=cmd_plan)

    p = sub.add_parser("lint", help="check every post in a window against the brand's voice guide")
    window_options(p, 28)
    status_option(p, ", if it exists")
    p.add_argument("--json", action="store_true", help="one JSON object per finding")
    p.set_defaults(handler=cmd_lint)

    p = sub.add_parser("export-ical", help="the plan (and planned maintenance, incidents) as an iCalendar file")
    window_options(p, 90)
    status_option(p, ", if it exists")
    only_option(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")
    p.set_defaults(handler=cmd_export_ical)

    p = sub.add_parser("schema", help="print the JSON Schema of the calendar file (or, --status, the status file)")
    p.add_argument("--status", action="store_true", help="the status file's schema")
    p.set_defaults(handler=cmd_schema)


def cmd_validate(args: argparse.Namespace, clock: Clock) -> int:
    from campaigns.calendar import check
    from campaigns.networks import require_extras

    args.file = args.calendar or args.file or DEFAULT_CALENDAR
    result = check(args.file)
    for problem in result.problems:
        say(problem)
    cal = result.value
    if cal is None or result.errors:
        say(f"{args.file}: {count(len(result.errors), 'error')}")
        return ExitStatus.INVALID
    require_extras(cal.networks.values())  # an account whose SDK is not installed: which extra, exit 2
    if not args.quiet:
        counts = [count(len(cal.posts), "post"), count(len(cal.networks), "network"),
                  count(len(cal.campaigns), "campaign")]
        if result.warnings:
            counts.append(count(len(result.warnings), "warning"))
        show(f"{args.file}: ok ({', '.join(counts)})")
    checked = _validate_status(args, cal)
    if checked is False:
        return ExitStatus.INVALID
    if cal.brand.voice.declared and not _validate_voice(args, cal, checked, clock):  # its errors fail validation
        return ExitStatus.INVALID
    return ExitStatus.OK


def _validate_status(args: argparse.Namespace, cal: Any) -> Any:
    """The status file checked against the calendar, when there is one: its Status, None (no file)
    or False (it has errors, said)."""
    from status.load import check as check_status

    if not os.path.exists(args.status):
        return None
    checked = check_status(args.status, cal)
    for problem in checked.problems:
        say(problem)
    if not checked.ok or checked.value is None:
        say(f"{args.status}: {count(len(checked.errors), 'error')}")
        return False
    status = checked.value
    if not args.quiet:
        show(f"{args.status}: ok ({count(len(status.components), 'component')}, "
             f"{count(len(status.incidents), 'incident')}, {len(status.open_incidents())} open)")
    return status


def _validate_voice(args: argparse.Namespace, cal: Any, status: Any, clock: Clock) -> bool:
    """The voice guide over the next DEFAULT_DAYS of publications: False when it finds errors (said)."""
    from campaigns.lint import DEFAULT_DAYS
    from status.lint import lint

    now = clock.now()
    report = lint(cal, now, now + timedelta(days=DEFAULT_DAYS), status)
    for problem in report.problems:
        say(problem)
    if report.errors:
        say(f"{args.file}: {count(len(report.errors), 'voice error')} (herald lint shows them all)")
        return False
    if not args.quiet:
        show(f"voice guide: ok ({count(report.publications, 'publication')} in the next {DEFAULT_DAYS} days"
             + (f", {count(len(report.warnings), 'warning')})" if report.warnings else ")"))
    return True


def _status_if_any(path: str, calendar: Any) -> Any:
    if not os.path.exists(path):
        return None
    from status.load import load as load_status

    return load_status(path, calendar)


def cmd_lint(args: argparse.Namespace, clock: Clock) -> int:
    from campaigns.yamlsource import read_file

    from .. import forked

    text = read_file(args.calendar)
    calendar = load_calendar(args.calendar, text)
    status = _status_if_any(args.status, calendar)
    start, end = window_of(args, calendar, clock)
    helpers: list[Child] = []
    # big: once the window is planned, a forked child checks some accounts' repeats
    elsewhere = _elsewhere(helpers) if len(text) >= forked.PARALLEL_FROM_CHARS and forked.can_fork() else None
    del text
    try:
        report = _lint(calendar, (start, end), status, elsewhere)
    finally:
        for child in helpers:
            child.close()
    lines = []
    for problem in report.problems:
        if args.json:
            rule, _, message = problem.message.partition(": ")
            lines.append(json.dumps({"path": problem.path, "line": problem.line, "col": problem.col, "rule": rule,
                                     "severity": problem.severity, "message": message, "suggestion": problem.hint},
                                    ensure_ascii=False))
        else:
            lines.append(str(problem))
    if lines:  # in one write (and one redaction pass): a big calendar has tens of thousands of findings
        show("\n".join(lines))
    tz = calendar.brand.tz
    guide = "" if calendar.brand.voice.declared else " (no brand.voice: the built-in defaults)"
    say(f"{count(len(report.errors), 'error')}, {count(len(report.warnings), 'warning')} in "
        f"{count(report.publications, 'publication')} from {start.astimezone(tz):%Y-%m-%d} "
        f"to {end.astimezone(tz):%Y-%m-%d}{guide}")
    return ExitStatus.INVALID if report.errors else ExitStatus.OK


def _lint(calendar: Any, window: tuple[Any, Any], status: Any, elsewhere: Any) -> Any:
    """The lint of the calendar, with the status file's messages when there is one (without, the
    calendar's alone: :mod:`status.lint` adds nothing then, and is not imported)."""
    if status is None:
        from campaigns.lint import lint as lint_calendar

        return lint_calendar(calendar, *window, elsewhere=elsewhere)
    from status.lint import lint

    return lint(calendar, *window, status, elsewhere=elsewhere)


def _problem(fields: tuple[Any, ...]) -> Any:
    """A Problem as the lint child handed it over (marshal carries plain values only)."""
    from campaigns.errors import Code, Problem

    path, line, col, message, hint, severity, code, posts = fields
    return Problem(path, line, col, message, hint, severity, Code(code), tuple(posts))


def _lint_child(work: Callable[[], Found], accounts: list[str], fd: int) -> None:  # pragma: no cover - child
    """In the child (scheduler/forked.py): the repetition check of ``accounts`` (``work``, on the
    calendar and the plan the parent made before the fork), written to ``fd`` with the accounts."""
    from ..forked import result_file

    found = [(key, (p.path, p.line, p.col, p.message, p.hint, p.severity, str(p.code), p.posts))
             for key, p in work()]
    with result_file(fd) as fh:
        fh.write(marshal.dumps((accounts, found)))


def _elsewhere(started: list[Child]) -> Elsewhere:
    """``elsewhere`` for :func:`campaigns.lint.lint`: the work started in a forked child (kept in
    ``started``, for the caller to close), then its findings for exactly the accounts asked, or
    None when it could not start, failed or checked other accounts (then this process checks them)."""
    from ..forked import Child, read_all

    def start(work: Callable[[], Found], accounts: list[str]) -> Callable[[], Found | None]:
        child = Child.start("herald-lint", lambda fd: _lint_child(work, accounts, fd))
        if child is not None:
            started.append(child)

        def collect() -> Found | None:
            fd = child.collect() if child is not None else None
            if fd is None:
                return None
            try:
                checked, found = marshal.loads(read_all(fd))
            except (EOFError, ValueError, TypeError):
                return None
            if checked != accounts:
                return None
            return [(key, _problem(fields)) for key, fields in found]

        return collect

    return start


def cmd_plan(args: argparse.Namespace, clock: Clock) -> int:
    from campaigns.model import STATUS_KINDS

    if args.json:
        from .planjson import cmd_plan_json

        return cmd_plan_json(args, clock)
    calendar = load_calendar(args.calendar)
    start, end = window_of(args, calendar, clock)
    out = sys.stdout
    publications, status = planned(args, calendar, start, end, clock.now(), variant_history(args, start, end))
    tz = calendar.brand.tz
    announced = sum(1 for p in publications if p.kind in STATUS_KINDS)
    what = f" ({count(announced, 'status announcement')})" if announced else ""
    out.write(f"{count(len(publications), 'publication')}{what} from {start.astimezone(tz):%Y-%m-%d %H:%M %Z} "
              f"to {end.astimezone(tz):%Y-%m-%d %H:%M %Z}\n")
    for pub in publications:
        out.write(_planned_lines(pub, tz, status))
    return ExitStatus.OK


def _planned_lines(pub: Any, tz: Any, status: Any) -> str:
    """One publication as ``herald plan`` shows it: when, where, its budget and key, its text."""
    from campaigns.model import STATUS_KINDS
    from status.announce import describe

    local = pub.at.astimezone(tz)
    budget = f"{pub.length}/{pub.limit}" if pub.limit else f"{len(pub.text)} chars"
    variant = f"variant {pub.variant}/{pub.variants}, " if pub.variants > 1 else ""
    lines = [f"\n{local:%a %Y-%m-%d %H:%M %Z}  {pub.network:<10} {pub.post}  ({variant}{budget})  {pub.key}\n"]
    if pub.kind in STATUS_KINDS:
        incident = status.incident(pub.post) if pub.kind == "incident" and status is not None else None
        impact = f" ({incident.impact})" if incident is not None else ""
        lines.append(f"    status file: {pub.post}, {describe(pub)}{impact}\n")
    lines.extend(f"    {line}\n" for line in pub.text.splitlines() or [""])
    if pub.note and pub.kind not in STATUS_KINDS:
        lines.append(f"    note: {pub.note}\n")
    return "".join(lines)


def cmd_export_ical(args: argparse.Namespace, clock: Clock) -> int:
    from campaigns.gcpause import paused_gc
    from campaigns.ical import add_timezones, export
    from campaigns.model import STATUS_KINDS
    from status.ical import add_announcements, add_status

    calendar = load_calendar(args.calendar)
    start, end = window_of(args, calendar, clock)
    now = clock.now()
    target = output_target(args.output) if args.output else None
    only = args.only
    with paused_gc():
        vcal = export(calendar, start, end, now) if only != "status" else export(calendar, start, start, now)
        if only != "calendar":
            announced, status = planned(args, calendar, start, end, now, only="status")
            if status is not None:
                add_status(vcal, status, calendar.brand.name, start, end, now)
                add_announcements(vcal, [p for p in announced if p.kind in STATUS_KINDS], calendar.brand.name, now)
                add_timezones(vcal, start, end)
        data = vcal.to_ical()
    if target:
        write_output_file(target, data)
        say(f"wrote {target} ({len(data):,} bytes)")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return ExitStatus.OK


def cmd_schema(args: argparse.Namespace, clock: Clock) -> int:
    if args.status:
        from status.schema import status_schema as schema
    else:
        from campaigns.schema import calendar_schema as schema
    print(json.dumps(schema(), indent=2, ensure_ascii=False))
    return ExitStatus.OK
