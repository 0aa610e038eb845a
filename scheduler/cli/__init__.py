"""The ``herald`` command.

One layer (:func:`main`) turns every error into a one-line message and an exit code
(by type: :attr:`campaigns.errors.HeraldError.exit_code`); :func:`program` is the
program without error handling, and ``--traceback`` re-raises for debugging.  Every
message shown to a person passes through :func:`scheduler.redaction.redact`.

Exit codes: 0 success; 1 invalid input (every problem printed as FILE:LINE:COL);
2 bad command line; 3 a runtime failure (e.g. an output file that cannot be
written, the ledger); 130 interrupted; 141 the reader of the output went away (a
closed pipe, said nothing about).

Each command group lives in its own module and registers its own subparsers
(``calendar``: validate, plan, lint, export-ical, schema; ``engine``: run, health,
simulate; ``diff``: diff; ``ledger``: history, retry, skip, pause, resume; ``status``: incident,
maintenance, status; ``networks``: check; ``engines``: engines, prune).  Nothing heavy is imported here or at the
top of those modules: a command imports what it needs when it runs, so ``herald
--help`` and ``herald status`` start fast.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from campaigns.errors import HeraldError, InvalidInput, UsageError
from campaigns.extras import missing, providing

from . import calendar, diff, engine, engines, ledger, networks, status, subscribers, suggest, web
from .common import ExitStatus, Parser, say, settle_defaults

if TYPE_CHECKING:
    from ..clock import Clock

__all__ = ["ExitStatus", "build_parser", "entry", "main", "program"]

GROUPS = (calendar, diff, engine, ledger, status, networks, engines, suggest, web, subscribers)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="herald", description="Proactive customer service on social media.")
    parser.add_argument("--version", action=_Version, help="print Herald's version and exit")
    parser.add_argument("--traceback", action="store_true", help="show the traceback of an error (debugging)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser,
                                help="what to do (herald COMMAND --help)")
    for group in GROUPS:
        group.register(sub)
    _finish(parser)
    return parser


METAVARS = {"days": "N", "limit": "N", "top": "N", "reason": "TEXT", "title": "TEXT", "message": "TEXT",
            "component": "NAME", "network": "NAME", "encoding": "NAME", "id": "ID"}


def _finish(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> None:
    """Every command's ``--help`` the same way: one metavar style (FILE, N, TEXT, NAME…, never an
    option's own name in capitals) and an example at the end (:mod:`.examples`)."""
    from .examples import epilog

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                _finish(child, (*path, name))
        elif action.nargs != 0 and action.metavar is None and action.choices is None:  # options and positionals
            action.metavar = METAVARS.get(action.dest, action.dest.upper())
    if path:
        parser.epilog = epilog(" ".join(path))
        parser.formatter_class = argparse.RawDescriptionHelpFormatter


class _Version(argparse.Action):
    """``--version``: the installed version is read (importlib.metadata: 30-100 ms of imports)
    only when asked for, not each time the parser is built."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, help: str | None = None):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> NoReturn:
        parser._print_message(f"herald {_version()}\n", sys.stdout)
        parser.exit()


def _check_order(parser: argparse.ArgumentParser, words: list[str]) -> None:
    """Two mistakes argparse words badly: a command's options given before the command (argparse
    takes the option's value for the command: "no such command 'postgresql://…'"), and
    ``--version`` with more words (argparse prints the version and ignores them)."""
    top = {name for action in parser._actions for name in action.option_strings}
    commands = next(a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    first = next((i for i, word in enumerate(words) if not word.startswith("-")), len(words))
    if "--version" in words[:first] and len(words) > 1:
        raise UsageError("herald --version takes no other words")
    if first < len(words) and words[first] not in commands:
        _options_first(words, first, top, commands)


def _options_first(words: list[str], first: int, top: set[str], commands: Any) -> None:
    """``herald --state URL history``: the line to type instead (the option after the command)."""
    misplaced = [w for w in words[:first] if w.split("=")[0] not in top]
    command = next((w for w in words[first:] if w in commands), None)
    if misplaced and command is not None:
        mine = [w for w in words[:first] if w in top]  # herald's own (-v, --traceback) stay before it
        rest = [w for w in words if w not in mine and w is not command]
        raise UsageError(f"options go after the command: herald {' '.join([*mine, command, *rest])}")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("herald")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the ``sys.stderr`` of the moment (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


class _Bounds(logging.Filter):
    """What libraries may say on the command's stderr: one line per publication is Herald's;
    APScheduler's per-job lines only with -v; watchdog (every inotify event) and urllib3 (every
    connection) at INFO at most even with -v, so that -v stays readable."""

    def __init__(self, verbose: bool):
        super().__init__()
        quiet = logging.INFO if verbose else logging.WARNING
        self.floors = {"apscheduler": logging.DEBUG if verbose else logging.WARNING, "watchdog": quiet,
                       "urllib3": quiet}

    def filter(self, record: logging.LogRecord) -> bool:
        floor = self.floors.get(record.name.partition(".")[0])
        return floor is None or record.levelno >= floor


@contextlib.contextmanager
def logging_to_stderr(verbose: bool) -> Iterator[logging.Handler]:
    """Logging for one run of the command: one redacting handler on stderr, library chatter
    bounded; taken down again afterwards (a test calling :func:`main` leaves nothing behind)."""
    from ..logformat import IsoFormatter, set_zone
    from ..redaction import install

    root = logging.getLogger()
    handler = _StderrHandler()
    handler.setFormatter(IsoFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_Bounds(verbose))
    install([handler])
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        set_zone(None)  # the brand's zone was this run's


def main(argv: Sequence[str] | None = None, clock: Clock | None = None) -> int:
    args = None
    try:
        parser = build_parser()
        words = list(sys.argv[1:] if argv is None else argv)
        _check_order(parser, words)
        args = parser.parse_args(words)
        settle_defaults(args)
        if clock is None:
            from ..clock import SystemClock

            clock = SystemClock()
        with logging_to_stderr(args.verbose):
            code = program(args, clock)
            sys.stdout.flush()  # a closed pipe shows here, not at the interpreter's exit
            return code
    except BrokenPipeError:
        return reader_gone()
    except KeyboardInterrupt:
        say("herald: interrupted")
        return ExitStatus.INTERRUPTED
    except Exception as exc:
        if args is not None and args.traceback:
            raise
        return report(exc)


def reader_gone() -> int:
    """The reader of our output went away (``herald history | head -3``): stop quietly, as Unix
    tools do, and point stdout at /dev/null so that the interpreter's last flush says nothing."""
    with contextlib.suppress(OSError, ValueError):  # ValueError: a stdout without a descriptor (tests)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return ExitStatus.BROKEN_PIPE


def report(exc: BaseException) -> int:
    """Print ``exc`` for a person (redacted, one line per problem) and return its exit code."""
    if isinstance(exc, InvalidInput):
        for problem in exc.problems:
            say(problem)
        return exc.exit_code
    if isinstance(exc, HeraldError):
        message = str(exc)
        say(message if message.startswith("herald") else f"herald: {message}")
        return exc.exit_code
    if isinstance(exc, ModuleNotFoundError) and (extra := providing(exc.name)) is not None:
        return report(missing(f"herald: {exc.name} is not installed; this", [extra]))  # one no check foresaw
    if isinstance(exc, OSError):
        say(f"herald: {exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""))
        return ExitStatus.FAILURE
    say(f"herald: unexpected error: {type(exc).__name__}: {exc} (run with --traceback for details)")
    return ExitStatus.FAILURE


def program(args: argparse.Namespace, clock: Clock) -> int:
    """The program without error handling."""
    if args.command is None:
        build_parser().print_help()
        return ExitStatus.USAGE
    if args.command in SERVICES:
        return int(args.handler(args, clock))
    if _process_ends_with_command:  # the collector stays off: the process ends with the command
        gc.disable()
        return int(args.handler(args, clock))
    from campaigns.gcpause import paused_gc

    with paused_gc():  # called in a longer-lived process (tests): the collector resumes afterwards
        return int(args.handler(args, clock))


# Commands that run until stopped keep the cyclic garbage collector; every other command runs
# without it.  It only ever pays off over time: a year's plan or a big calendar is hundreds of
# thousands of objects without cycles, and each collection walks all of them (importing
# twitter-text after planning took 0.96 s with it, 0.21 s without; and the first collection
# after turning it back on walks everything made meanwhile: 0.3-0.4 s after a year's plan).
SERVICES = frozenset({"run", "serve"})
_process_ends_with_command = False


def hold_standard_streams() -> None:
    """Started with a standard stream closed (``herald plan >&-``, some supervisors): Python
    leaves ``sys.stdout`` None, so the first print crashed, and the next file opened (the ledger,
    a lock) would take descriptor 1 or 2, where a print or a log line would then be written. Each
    closed one of the three is held open on /dev/null: its output is discarded, as the caller asked."""
    for fd, name, mode in ((0, "stdin", os.O_RDONLY), (1, "stdout", os.O_WRONLY), (2, "stderr", os.O_WRONLY)):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, mode)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            if getattr(sys, name) is None:
                setattr(sys, name, open(fd, "r" if fd == 0 else "w", encoding="utf-8", closefd=False))  # noqa: SIM115 (the process's own stream)


def entry() -> NoReturn:
    """The ``herald`` executable: :func:`main`, then exit with its code."""
    global _process_ends_with_command
    _process_ends_with_command = True
    hold_standard_streams()
    code = main()
    gc.freeze()  # the interpreter's last collection at exit would walk everything the command made
    sys.exit(code)
