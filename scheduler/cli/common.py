"""What every command group shares: the parser class, exit codes, output through redaction,
the one ledger-URL lookup, the one check of component and network names, the check of an
``-o`` target (times on the command line are in :mod:`.times`).

Light on purpose: nothing here imports more than the standard library and
:mod:`campaigns.errors` at the top (``herald --help`` must start fast).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any, TextIO

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
    # The extra a command needs (``herald suggest``: campaigns.extras.SUGGEST): when it is not
    # installed, that is said first, before any mistake in the command's options (one line).
    needs: Any = None

    def error(self, message: str) -> None:  # type: ignore[override]  # argparse would print usage and exit 2
        if self.needs is not None:
            self.needs.require(self.prog)
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
                   help="window start: today, 2026-12-01 or 2026-12-01T10:00[+01:00] (default: now; "
                        "a day is its midnight; without an offset, in the brand's time zone)")
    p.add_argument("--days", type=positive_int, default=days, help=f"window length in days (default {days})")


ORIGINS = ("calendar", "status")


def _origin(text: str) -> str:
    if text in ORIGINS:
        return text
    from campaigns.schemacheck import did_you_mean

    hint = did_you_mean(text, list(ORIGINS)) or f"choose {' or '.join(ORIGINS)}"
    raise argparse.ArgumentTypeError(f"{text!r} is neither calendar nor status ({hint})")


def only_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--only", type=_origin, metavar="{" + ",".join(ORIGINS) + "}",
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
        return _supported(str(explicit), "--state" if getattr(args, "state", None) else "HERALD_STATE")
    folder = os.path.join(os.path.dirname(os.path.abspath(args.calendar)), ".herald")
    return f"sqlite:///{os.path.join(folder, 'state.db')}"


# The databases the ledger is kept in (SQLAlchemy's names, with or without the driver Herald uses)
LEDGER_SCHEMES = ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg")


def _supported(url: str, option: str) -> str:
    """``url``, if it names a database Herald keeps its ledger in; else a UsageError naming the two
    it does (and only the URL's scheme: the rest may hold a password)."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme.lower() in LEDGER_SCHEMES:
        if scheme.lower().startswith("sqlite"):
            _sqlite_file(rest, option)
        return url
    said = f"{scheme}://" if sep else "this"
    raise UsageError(f"{option}: {said} is not a database Herald keeps its ledger in; write sqlite:///PATH "
                     "(a file on this machine) or postgresql://USER@HOST/DB (several engines)")


def _sqlite_file(rest: str, option: str) -> None:
    """An explicit SQLite ledger must be a file in a folder that exists: a ledger in memory is
    empty at every start, and a folder made up from a mistyped path is a fresh ledger that sends
    everything again (only the default ``.herald`` folder beside the calendar is made)."""
    path = rest.removeprefix("/").partition("?")[0]
    if path in ("", ":memory:") or path.startswith("file::memory:"):
        raise UsageError(f"{option}: a ledger in memory forgets what was sent when the command ends (every run "
                         "would send it again); give a file: sqlite:///PATH")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"{option}: no folder {folder}: create it first, or check the path")


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
    """The command's ledger; a broken one (gone, emptied, damaged) is refused with a hint that
    names the options this invocation needed (``herald run --calendar FILE --new-ledger``)."""
    from ..errors import BrokenLedger
    from ..ledger import Ledger

    try:
        return Ledger(ledger_url(args), **options)
    except BrokenLedger as exc:
        if not exc.can_start_over:
            raise
        raise BrokenLedger(exc.where, exc.problem, run=f"herald run{same_files(args, status=True)}") from None


def same_files(args: argparse.Namespace, *, status: bool = False) -> str:
    """The options a command suggested in a hint needs to find the files and the ledger this
    invocation used (``--calendar``, ``--state`` and, with ``status``, ``--status``, each only when
    it is not the default), each preceded by a space and quoted for a shell; "" in the default
    layout; a ledger URL with a password is written ``"$HERALD_STATE"``, never echoed."""
    calendar = getattr(args, "calendar", None) or DEFAULT_CALENDAR
    state = getattr(args, "state", None)
    if state and _has_password(state):  # never echoed (it would be masked, so not runnable either)
        state = "$HERALD_STATE"
    given = [("--calendar", calendar if calendar != DEFAULT_CALENDAR else None), ("--state", state)]
    if status and getattr(args, "status", None):
        neighbour = os.path.join(os.path.dirname(calendar), DEFAULT_STATUS)
        given.append(("--status", args.status if os.path.abspath(args.status) != os.path.abspath(neighbour) else None))
    return "".join(f" {option} {_quoted(value)}" for option, value in given if value)


def _has_password(url: str) -> bool:
    from urllib.parse import urlsplit

    try:
        return bool(urlsplit(url).password)
    except ValueError:  # not a URL Herald could open anyway: say nothing of it
        return True


def _quoted(value: str) -> str:
    import shlex

    return '"$HERALD_STATE"' if value == "$HERALD_STATE" else shlex.quote(value)


def ledger_exists(url: str) -> bool:
    """Whether a command that only reads the ledger should open it: False for a SQLite ledger that
    was never made (reading must not create one); True when its file is there, and when it is not
    but its marker or write-ahead log says it was (opening it then says it is gone, as `herald
    run` does, instead of "no ledger yet")."""
    if not url.startswith("sqlite:///"):
        return True
    path = url[len("sqlite:///"):]
    return any(os.path.exists(name) for name in (path, path + ".marker", path + "-wal"))


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
    a channel is a UsageError naming it (see :mod:`campaigns.textsafety`), and so is any other
    character the status file would not keep as written (see :func:`_refuse_hidden`) and any that
    turns the text around (U+202A-U+202E, U+2066-U+2069: shown reversed on a terminal, a page or a
    post).  Only what is typed here: a bidi control in a file is a voice-guide finding."""
    text = _without_controls(option, text)
    _refuse_bidi(option, text)
    _refuse_hidden(option, text)
    return text


def check_reason(option: str, text: str | None) -> str | None:
    """An operator's reason (``pause``, ``skip``): kept in the ledger and echoed on the terminal,
    so checked as :func:`check_text` checks ``-m``; none given is no reason."""
    return text if not text else check_text(option, text)


def _refuse_bidi(option: str, text: str) -> None:
    from campaigns.textsafety import BIDI, codepoint

    found = list(dict.fromkeys(BIDI.findall(text)))
    if found:
        raise UsageError(f"{option}: the text contains {', '.join(map(codepoint, found))}, characters that turn "
                         "the text around (it would be shown reversed); remove them")


def _without_controls(option: str, text: str) -> str:
    from campaigns.textsafety import describe, forbidden

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():  # "   " said nothing, as "" says nothing: the engine would refuse the post
        raise UsageError(f"{option}: empty; write what customers should know")
    bad = list(dict.fromkeys(char for _, char in forbidden(text)))
    if bad:
        raise UsageError(f"{option}: the text contains control characters ({', '.join(map(describe, bad))}); "
                         "remove them (line breaks and tabs are fine)")
    return text


def _refuse_hidden(option: str, text: str) -> None:
    """The characters the alert intake folds (:func:`status.edit.unsafe`: U+2028, U+2029, a BOM…)
    refused, but for the line breaks and tabs a text may hold: one rule for both ways into the
    status file.  (Written raw, YAML would read U+2028 as a line break, and the loader refuses it.)"""
    from campaigns.textsafety import describe
    from status.edit import unsafe

    hidden = unsafe(text, allowed="\n\t")
    if hidden:
        raise UsageError(f"{option}: the text contains {', '.join(map(describe, hidden))}, invisible characters "
                         "a status file cannot keep as written; write a line break instead, or remove them")


def check_title(option: str, text: str) -> str:
    """A title: text as :func:`check_text` takes it, on one line (it becomes a mail's Subject, a
    log line, a feed entry's title and a terminal row) and without characters that turn the text
    around (U+202A-U+202E, U+2066-U+2069: a title shown reversed)."""
    from campaigns.textsafety import describe_title_problem

    text = _without_controls(option, text)
    problem = describe_title_problem(text)
    if problem:
        raise UsageError(f"{option}: {problem}")
    _refuse_hidden(option, text)
    return text


def output_target(path: str) -> str:
    """Check where ``-o`` writes before any work is done (:func:`scheduler.files.output_problem`);
    a refusal is a RuntimeFailure naming the path as given, in the words of its cause."""
    from scheduler.files import output_problem

    from ..errors import RuntimeFailure

    problem = output_problem(path)
    if problem is not None:
        raise RuntimeFailure(f"-o {path}: {problem}")
    return path


def write_output_file(path: str, data: bytes | str) -> None:
    """Write a command's output where :func:`output_target` allowed; a failure names the target,
    never a temporary file."""
    from scheduler import files

    from ..errors import RuntimeFailure

    try:
        files.write_output(path, data)
    except BrokenPipeError:
        raise  # -o /dev/stdout | head: the reader went away, as with standard output (quietly)
    except OSError as exc:
        raise RuntimeFailure(f"-o {path}: cannot write it: {exc.strerror or exc}") from None
