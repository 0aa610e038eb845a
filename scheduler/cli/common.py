"""What every command group shares: the parser class, exit codes, output through redaction,
the one ledger-URL lookup, the one check of component and network names, time options.

Light on purpose: nothing here imports more than the standard library and
:mod:`campaigns.errors` at the top (``herald --help`` must start fast).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from campaigns.errors import UsageError

if TYPE_CHECKING:
    from campaigns.model import Calendar
    from scheduler.ledger import Ledger

    from ..clock import Clock

DEFAULT_CALENDAR = "content_calendar.yaml"
DEFAULT_STATUS = "status.yaml"

Handler = Callable[[argparse.Namespace, "Clock"], int]
SubParsers = "argparse._SubParsersAction[Parser]"


class ExitStatus(IntEnum):
    OK = 0
    INVALID = 1
    USAGE = 2
    FAILURE = 3
    INTERRUPTED = 130
    BROKEN_PIPE = 141  # 128 + SIGPIPE: what a Unix tool whose reader went away exits with


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]  # argparse would print usage and exit 2
        raise UsageError(f"{self.prog}: {message}")

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """A value outside an option's choices (or an unknown command) in Herald's words, with
        the nearest choice, like every other mistake Herald reports; argparse says only
        "invalid choice"."""
        if action.choices is not None and value not in action.choices:
            raise UsageError(f"{self.prog}: {describe_choice(action)} {value!r}: "
                             + suggestion(str(value), [str(c) for c in action.choices]))


def describe_choice(action: argparse.Action) -> str:
    """How a choice-like argument is named in a message: its option (``--impact``) or its role."""
    if action.option_strings:
        return max(action.option_strings, key=len)
    return "no such command" if isinstance(action, argparse._SubParsersAction) else f"no such {action.dest}"


def suggestion(value: str, choices: Sequence[str]) -> str:
    """``did you mean 'x'?`` and the list of choices, or just the list (the one wording of
    every did-you-mean on the command line)."""
    from campaigns.schemacheck import did_you_mean

    hint = did_you_mean(value, choices)
    listed = f"choose from {', '.join(choices)}"
    return f"{hint} ({listed})" if hint else listed


def check_choices(option: str, text: str, choices: Sequence[str]) -> list[str]:
    """A comma-separated option value (``--only dead,held``) whose every item is one of
    ``choices``; else a UsageError naming the first unknown item with the nearest choice."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise UsageError(f"{option}: {text!r} names nothing; {suggestion('', choices)}")
    for item in items:
        if item not in choices:
            raise UsageError(f"{option} {item}: not one of them; {suggestion(item, choices)}")
    return items


def say(message: object, file: TextIO | None = None) -> None:
    """Print a line for a person, on stderr by default, with every secret redacted."""
    from ..redaction import redact

    print(redact(message), file=file if file is not None else sys.stderr)


def show(message: object) -> None:
    """A line of a command's output (stdout), redacted."""
    say(message, sys.stdout)


def count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number in [low, high], its range named when it is not."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low:,} and {high:,}")
        return value
    return parse


positive_int = whole_number(1, 3660)  # days, topics


def identifier(text: str) -> str:
    """An argparse type: an id as both files write them (checked before any file is touched)."""
    import re

    from campaigns.schema import ID_PATTERN

    if not re.fullmatch(ID_PATTERN, text):
        raise argparse.ArgumentTypeError(f"{text!r}: letters, digits, '.', '_' and '-' (ASCII), starting with a "
                                         "letter or digit, at most 100 characters")
    return text


def calendar_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--calendar", default=DEFAULT_CALENDAR, metavar="FILE",
                   help=f"calendar file (default {DEFAULT_CALENDAR})")


def status_option(p: argparse.ArgumentParser, note: str = "") -> None:
    p.add_argument("--status", metavar="FILE",
                   help=f"status file (default {DEFAULT_STATUS} beside the calendar{note})")


def settle_defaults(args: argparse.Namespace) -> None:
    """Defaults that depend on other options: the status file is the calendar's neighbour (as
    the ledger is), so `--calendar run/content_calendar.yaml` means run/status.yaml."""
    if getattr(args, "status", False) is None:
        calendar = getattr(args, "calendar", None) or getattr(args, "file", None) or DEFAULT_CALENDAR
        args.status = os.path.join(os.path.dirname(calendar), DEFAULT_STATUS)


def state_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--state", metavar="URL",
                   help="ledger database URL (default: $HERALD_STATE, or sqlite:///.herald/state.db next to the "
                        "calendar; or postgresql://user@host/db)")


def window_options(p: argparse.ArgumentParser, days: int) -> None:
    calendar_option(p)
    p.add_argument("--from", dest="start", metavar="ISO",
                   help="window start: 2026-12-01 or 2026-12-01T10:00[+01:00] (default: now; "
                        "without an offset, in the brand's time zone)")
    p.add_argument("--days", type=positive_int, default=days, help=f"window length in days (default {days})")


ORIGINS = ("calendar", "status")


def _origin(text: str) -> str:
    if text in ORIGINS:
        return text
    from campaigns.schemacheck import did_you_mean

    hint = did_you_mean(text, list(ORIGINS)) or f"choose {' or '.join(ORIGINS)}"
    raise argparse.ArgumentTypeError(f"{text!r} is neither calendar nor status ({hint})")


def only_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--only", type=_origin, metavar="calendar|status",
                   help="only the calendar's posts, or only the status file's announcements (default: both)")


def planned(args: argparse.Namespace, calendar: Calendar, start: datetime, end: datetime, now: datetime,
            history: Any = None, only: str | None = None) -> tuple[list[Any], Any]:
    """Every publication in [start, end) in time order, as the engine will make them: the
    calendar's posts and the status file's announcements (incident updates, follow-ups,
    maintenance reminders, starts and ends), filtered by ``only`` (default ``--only``); and the
    status (or None)."""
    from campaigns.plan import plan

    status = None
    if getattr(args, "status", None) and os.path.exists(args.status):
        from status.load import load as load_status

        status = load_status(args.status, calendar)
    only = only or getattr(args, "only", None)
    publications = plan(calendar, start, end, history) if only != "status" else []
    if status is not None and only != "calendar":
        from status.announce import announcements

        publications = sorted([*publications, *announcements(calendar, status, start, end, now=now)],
                              key=lambda p: p.at.timestamp())  # instants, not wall clocks (DST folds)
    return publications, status


# -- the ledger ---------------------------------------------------------------------------
def ledger_url(args: argparse.Namespace) -> str:
    """The ledger of a command: --state, else $HERALD_STATE, else the calendar's own file
    (``.herald/state.db`` beside it: :func:`scheduler.ledger.default_url`, spelled out here so
    that finding the ledger does not import SQLAlchemy; a test keeps the two equal)."""
    explicit = getattr(args, "state", None) or os.environ.get("HERALD_STATE")
    if explicit:
        return str(explicit)
    folder = os.path.join(os.path.dirname(os.path.abspath(args.calendar)), ".herald")
    return f"sqlite:///{os.path.join(folder, 'state.db')}"


def variant_history(args: argparse.Namespace, start: datetime, end: datetime) -> Any:
    """The ledger's variant history, when there is a ledger: a plan then shows the variants the
    engine will really use.  Never creates a ledger."""
    if not ledger_exists(ledger_url(args)):
        return None
    ledger = open_ledger(args)
    try:
        return ledger.variant_history(start, end)
    finally:
        ledger.close()


def open_ledger(args: argparse.Namespace, **options: Any) -> Ledger:
    from ..ledger import Ledger

    return Ledger(ledger_url(args), **options)


def ledger_exists(url: str) -> bool:
    """False for a SQLite ledger whose file is not there (reading must not create one)."""
    return not url.startswith("sqlite:///") or os.path.exists(url[len("sqlite:///"):])


def existing_ledger(args: argparse.Namespace) -> Ledger | None:
    """The ledger for a command that only reads it (history, engines, health, resume): None when
    there is none yet, which such a command reports as empty instead of creating one."""
    return open_ledger(args) if ledger_exists(ledger_url(args)) else None


def no_ledger_yet(args: argparse.Namespace) -> str:
    return f"no ledger yet at {ledger_url(args).removeprefix('sqlite:///')}: nothing has been published"


# -- input files --------------------------------------------------------------------------
def load_calendar(path: str, text: str | None = None) -> Calendar:
    """The calendar at ``path`` (or ``text``, read from it), its warnings said; CalendarError if invalid."""
    from campaigns.calendar import check
    from campaigns.errors import CalendarError

    result = check(path, text)
    for warning in result.warnings:
        say(warning)
    return result.unwrap(CalendarError)


def check_names(option: str, names: Iterable[str], known: Collection[str], where: str) -> None:
    """The one check of names given on the command line (``--component``, ``--network``):
    each must be defined; else a UsageError with the nearest name or the known ones."""
    from campaigns.schemacheck import did_you_mean

    for name in names:
        if name not in known:
            hint = did_you_mean(name, list(known)) or (f"known: {', '.join(known)}" if known else
                                                      f"none defined in {where}")
            shown = name if name and name.strip() == name else repr(name)  # an empty name must show
            raise UsageError(f"{option} {shown}: not defined ({hint})")


def check_text(option: str, text: str) -> str:
    """Text for a post given on the command line, with pasted CRLF/CR line breaks as LF; a
    control character (a terminal escape, a bell, a NUL…) that would reach customers or break
    a channel is a UsageError naming it (see :mod:`campaigns.textsafety`)."""
    from campaigns.textsafety import describe, forbidden

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = list(dict.fromkeys(char for _, char in forbidden(text)))
    if bad:
        raise UsageError(f"{option}: the text contains control characters ({', '.join(map(describe, bad))}); "
                         "remove them (line breaks and tabs are fine)")
    return text


def parse_time(text: str, option: str, calendar: Calendar | None = None) -> datetime:
    """A time given on the command line: ``2026-12-06T03:00`` (the brand's zone), with an offset
    (``+01:00``, ``Z``), or followed by an IANA zone name (``2026-12-06T03:00 America/New_York``).
    A wall-clock time that does not exist or happens twice in its zone is refused with both readings."""
    from campaigns.timeparse import TimeFormatError, describe_offsets, local_time_kind, parse_when, zone

    named = None
    head, _, tail = text.strip().rpartition(" ")
    if head and ("/" in tail or tail.upper() == "UTC"):
        try:
            named = zone(tail)
        except TimeFormatError as exc:
            raise UsageError(f"{option}: {exc}; use an IANA name such as Europe/Berlin") from None
        text = head
    try:
        when = parse_when(text)
    except TimeFormatError as exc:
        raise UsageError(f"{option}: {exc}") from None
    if named is not None and when.offset is not None:
        raise UsageError(f"{option}: give an offset or a time zone, not both")
    tz = when.offset or named or (calendar.brand.tz if calendar else None)
    if tz is None:
        raise UsageError(f"{option}: give an offset, e.g. {text}+01:00 (no calendar to take the time zone from)")
    if when.offset is None and when.time is not None:
        naive = when.naive()
        kind = local_time_kind(naive, tz)  # type: ignore[arg-type]
        if kind == "gap":
            raise UsageError(f"{option}: " + skipped_time(text, naive, tz))
        if kind != "ok":
            first, second = describe_offsets(naive, tz)  # type: ignore[arg-type]
            raise UsageError(f"{option}: {text} happens twice ({first} and {second}) in {tz}; "
                             f"give the offset you mean, e.g. {first}")
    return datetime.combine(when.date, when.time or datetime.min.time(), tz)


def skipped_time(text: str, naive: datetime, tz: Any) -> str:
    """Why a wall-clock time the clocks skip is refused, with both of its readings: at the
    offset before the change and at the one after, each said in the zone's own time."""
    from datetime import UTC

    from campaigns.timeparse import local_time_kind

    start = naive.replace(second=0, microsecond=0)
    while local_time_kind(start - timedelta(minutes=1), tz) == "gap":
        start -= timedelta(minutes=1)
    before, after = naive.replace(tzinfo=tz, fold=0).utcoffset(), naive.replace(tzinfo=tz, fold=1).utcoffset()
    assert before is not None and after is not None
    jump = start + (before - after if before > after else after - before)
    readings = []
    for offset in (before, after):
        hours, rest = divmod(abs(int(offset.total_seconds())) // 60, 60)
        written = f"{text}{'+' if offset >= timedelta(0) else '-'}{abs(hours):02d}:{rest:02d}"
        local = (naive - offset).replace(tzinfo=UTC).astimezone(tz)
        readings.append(f"{written} ({local:%H:%M %Z})")
    return (f"{text} does not exist in {tz} (the clocks skip from {start:%H:%M} to {jump:%H:%M}); "
            f"give the offset you mean: {readings[0]} or {readings[1]}")


def window_of(args: argparse.Namespace, calendar: Calendar, clock: Clock) -> tuple[datetime, datetime]:
    start = parse_time(args.start, "--from", calendar) if args.start else clock.now()
    return start, start + timedelta(days=args.days)


def parse_duration_option(option: str, text: str) -> timedelta:
    """A duration given on the command line (``30m``, ``2h``); a UsageError saying what is wrong."""
    from campaigns.durations import DurationError, parse_duration

    try:
        return parse_duration(text)
    except DurationError as exc:
        raise UsageError(f"{option}: {exc}") from None


def output_target(path: str) -> str:
    """Check where ``-o`` writes before any work is done: one of this process's streams, a
    device or a FIFO is written through; a file's folder must exist (a typo in a path, or a link
    to nowhere, must not silently create folders) and take a new file. Every refusal names the
    path as given, in the words of its cause."""
    import stat
    import tempfile

    from campaigns.errors import RuntimeFailure
    from scheduler.files import own_stream, temporary_prefix

    def refuse(reason: str) -> NoReturn:
        raise RuntimeFailure(f"-o {path}: {reason}")

    if path.endswith("/") or os.path.basename(path) in (".", ".."):
        refuse("names a folder; name the file to write")
    fd = own_stream(path)
    if fd is not None:
        import fcntl

        try:
            flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        except OSError:
            refuse(f"no such open descriptor ({fd})")
        if flags & os.O_ACCMODE == os.O_RDONLY:
            refuse(f"descriptor {fd} is open for reading only")
        return path
    try:
        mode: int | None = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except NotADirectoryError:
        parent = os.path.dirname(os.path.abspath(path))
        while parent != os.path.dirname(parent) and not (os.path.lexists(parent) and not os.path.isdir(parent)):
            parent = os.path.dirname(parent)
        refuse(f"not a folder: {parent}")
    except OSError as exc:
        refuse(_os_reason(exc))
    if mode is not None and stat.S_ISDIR(mode):
        refuse("is a folder; name the file to write")
    if mode is not None and stat.S_ISSOCK(mode):
        refuse("is a socket; name a file, a device or a pipe")
    if mode is not None and not stat.S_ISREG(mode):  # a device or a FIFO: written through
        if not os.access(path, os.W_OK):
            refuse("permission denied")
        return path
    real = os.path.realpath(path)  # through links: the folder that will hold the file
    folder = os.path.dirname(real)
    if not os.path.isdir(folder):
        if os.path.exists(folder):
            refuse(f"not a folder: {folder}")
        refuse(f"no folder {folder} (create it first)")
    try:  # the one honest test of "can this file be made here": make its temporary twin
        fd, probe = tempfile.mkstemp(prefix=temporary_prefix(real), suffix=".tmp", dir=folder)
    except OSError as exc:
        refuse(_os_reason(exc))
    os.close(fd)
    os.unlink(probe)
    if mode is not None and not os.access(real, os.W_OK):
        refuse("permission denied")
    return path


def _os_reason(exc: OSError) -> str:
    import errno

    return {errno.EROFS: "read-only file system", errno.ENOSPC: "no space left on the device",
            errno.EDQUOT: "disk quota exceeded", errno.ENAMETOOLONG: "file name too long",
            errno.ENOTDIR: "a part of the path is not a folder", errno.ELOOP: "too many levels of links",
            errno.EACCES: "permission denied", errno.EPERM: "permission denied"}.get(
        exc.errno or 0, (exc.strerror or str(exc)).lower())


def write_output_file(path: str, data: bytes | str) -> None:
    """Write a command's output where :func:`output_target` allowed; a failure names the target,
    never a temporary file."""
    from campaigns.errors import RuntimeFailure
    from scheduler import files

    try:
        files.write_output(path, data)
    except BrokenPipeError:
        raise  # -o /dev/stdout | head: the reader went away, as with standard output (quietly)
    except OSError as exc:
        raise RuntimeFailure(f"-o {path}: cannot write it: {exc.strerror or exc}") from None
