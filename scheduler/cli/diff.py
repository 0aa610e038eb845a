"""``herald diff OLD NEW``: what a change to the calendar does to the next weeks of publications.

OLD and NEW are each a file or a git revision (:mod:`scheduler.gitrev`): ``main:content_calendar.yaml``,
``HEAD~1:site/content_calendar.yaml``, or a bare ``main`` meaning ``main:`` and the
``content_calendar.yaml`` of ``--calendar-dir``.  A name ending in ``.yaml`` or ``.yml`` that is
not a revision's path is a file.  Both are read as drafts (a text too long for its network is
shown, not refused), planned over the window and checked by the voice guide
(:func:`campaigns.calendardiff.side`); :func:`campaigns.calendardiff.compare` pairs them and
:mod:`campaigns.diffreport` writes the result as text, Markdown or JSON.

For a big calendar a forked child (:mod:`scheduler.forked`) reads, plans and checks OLD while this
process does NEW; if the child fails, this process does OLD itself (and reports its errors).

Exit codes: 0 computed (with or without changes; 1 with ``--exit-code`` when there are changes,
as ``git diff --exit-code``); 1 an invalid calendar (every error at ``FILE:LINE:COL``, a
revision's named ``REV:PATH:LINE:COL``), a file or revision that is not there; 2 a bad command
line (a revision name that is not one); 3 git missing or failing.
"""

from __future__ import annotations

import argparse
import os
import pickle
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .common import DEFAULT_CALENDAR, DEFAULT_STATUS, ExitStatus, positive_int, show

if TYPE_CHECKING:
    from campaigns.calendardiff import Side, Window
    from campaigns.model import Calendar

    from ..clock import Clock
    from ..forked import Child

FORMATS = ("text", "markdown", "json")
DEFAULT_DAYS = 30


def register(sub: Any) -> None:
    p = sub.add_parser("diff", help="what a change to the calendar does to the coming publications: added, "
                                    "removed, moved, reworded, and what it makes worse")
    p.add_argument("old", metavar="OLD", help="the calendar before: a file or a git revision (main, HEAD~1, "
                                              "main:content_calendar.yaml)")
    p.add_argument("new", metavar="NEW", help="the calendar after: a file or a git revision")
    p.add_argument("--days", type=positive_int, default=DEFAULT_DAYS,
                   help=f"window length in days (default {DEFAULT_DAYS})")
    p.add_argument("--from", dest="start", metavar="ISO",
                   help="window start: 2026-12-01 or 2026-12-01T10:00[+01:00] (default: now; without an offset, "
                        "in the brand's time zone)")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="text (default), markdown (for a pull-request comment) or json")
    p.add_argument("--exit-code", action="store_true",
                   help="exit 1 when anything changed (as git diff --exit-code); 0 when nothing did")
    p.add_argument("--calendar-dir", metavar="DIR", default=".",
                   help=f"the calendar's folder in the git repository (default: here): git runs there, and a bare "
                        f"revision means its {DEFAULT_CALENDAR}")
    p.add_argument("--status", metavar="FILE", default="",
                   help=f"the status file whose maintenance windows count (default {DEFAULT_STATUS} in the "
                        "calendar's folder, if it exists)")
    p.set_defaults(handler=cmd_diff)


@dataclass(frozen=True)
class Source:
    """One side as read: what messages call it (a file, or ``REV:PATH``) and its text."""

    name: str
    text: str


def source(operand: str, folder: str) -> Source:
    """OLD or NEW as given on the command line, read."""
    from campaigns.yamlsource import MAX_BYTES, decode, read_file

    from .. import gitrev

    rev, colon, _ = operand.partition(":")
    if os.path.exists(operand) or not gitrev.is_revision_name(rev) or (
            not colon and operand.endswith((".yaml", ".yml"))):
        return Source(operand, read_file(operand))
    where = gitrev.revision(operand, folder)
    return Source(where.name, decode(gitrev.read(where, MAX_BYTES), where.name))


def load(found: Source) -> Calendar:
    """The calendar of ``found`` as a draft; CalendarError with every error, located, if it has any."""
    from campaigns.calendar import check
    from campaigns.errors import CalendarError

    result = check(found.name, found.text, draft=True)
    if result.value is None or result.errors:
        raise CalendarError(result.errors or result.problems)
    return result.value


def _load_new(new: Source, old: Source) -> Calendar:
    """NEW's calendar; when it is invalid, OLD's errors too if it is (each error, both sides)."""
    from campaigns.errors import CalendarError

    try:
        return load(new)
    except CalendarError as invalid:
        try:
            load(old)
        except CalendarError as also:
            raise CalendarError(also.problems + invalid.problems) from None
        raise


def cmd_diff(args: argparse.Namespace, clock: Clock) -> int:
    import campaigns.calendar  # noqa: F401 - (imported once, before the child is forked: both need them)
    import campaigns.diffvoice  # noqa: F401
    from campaigns.calendardiff import compare, side
    from campaigns.diffreport import as_json, markdown, text
    from campaigns.networks import NETWORK_TYPES

    len(NETWORK_TYPES)  # (other packages' network types, read once)

    from .. import forked
    from .times import window_of

    clock = forked.Frozen(clock.now())  # (one "now" for this process and its child)
    new, old = source(args.new, args.calendar_dir), source(args.old, args.calendar_dir)
    child = None
    if max(len(old.text), len(new.text)) >= forked.PARALLEL_FROM_CHARS and forked.can_fork():
        child = forked.Child.start("herald-diff", lambda fd: _old_side(args, clock, old, fd))
    try:
        calendar = _load_new(new, old)
        start, end = window_of(args, calendar, clock)
        after = side(calendar, start, end, new.name, check=False)  # (its findings: where the change is)
        before = _collect(child, after) if child is not None else None
        if before is None:
            before = side(load(old), start, end, old.name, later=True)  # (its findings: where the change is)
    finally:
        if child is not None:
            child.close()
    diff = compare(before, after, calendar, _windows(args, calendar))
    show({"text": text, "markdown": markdown, "json": as_json}[args.format](diff).rstrip("\n"))
    return ExitStatus.INVALID if args.exit_code and diff.changed else ExitStatus.OK


def _windows(args: argparse.Namespace, calendar: Calendar) -> list[Window]:
    """The maintenance windows announced in the status file (none when there is no file)."""
    from campaigns.calendardiff import Window
    from status.load import load as load_status

    path = args.status or os.path.join(args.calendar_dir, DEFAULT_STATUS)
    if not args.status and not os.path.exists(path):
        return []
    status = load_status(path, calendar)
    return [Window(m.id, m.title, m.starts, m.ends) for m in status.maintenance if not m.cancelled]


def _old_side(args: argparse.Namespace, clock: Clock, old: Source, fd: int) -> None:  # pragma: no cover - child
    """In the child: OLD read, planned and checked, handed to ``fd`` (its window starts by OLD's
    brand zone: the parent checks it is its own)."""
    from campaigns.calendardiff import side

    from ..forked import result_file
    from .times import window_of

    calendar = load(old)
    start, end = window_of(args, calendar, clock)
    found = side(calendar, start, end, old.name)
    with result_file(fd) as fh:
        pickle.dump(pack(found), fh, protocol=pickle.HIGHEST_PROTOCOL)


def pack(found: Side) -> tuple[Any, ...]:
    """A side as tuples of its values: pickled a third faster than the objects, and read back faster."""
    from dataclasses import fields

    from campaigns.plan import Publication

    names = [f.name for f in fields(Publication)]
    publications = [tuple(getattr(p, name) for name in names) for p in found.publications]
    findings = [(p.path, p.line, p.col, p.message, p.hint, p.severity, p.code, p.posts) for p in found.findings]
    return found.name, found.start, found.end, found.zone, publications, findings, found.setting


def unpack(packed: tuple[Any, ...]) -> Side:
    from campaigns.calendardiff import Side
    from campaigns.errors import Problem
    from campaigns.plan import Publication

    name, start, end, zone, publications, findings, setting = packed
    return Side(name, start, end, zone, [Publication(*values) for values in publications],
                [Problem(*values) for values in findings], setting)


def _collect(child: Child, after: Side) -> Side | None:
    """The child's side of OLD, or None when it failed or planned another window (then this
    process does OLD)."""
    from ..forked import read_all

    fd = child.collect()
    if fd is None:
        return None
    try:
        found = unpack(pickle.loads(read_all(fd)))  # noqa: S301 - our own child's result, through an anonymous memfd
    except (EOFError, ValueError, TypeError, pickle.UnpicklingError):
        return None
    if (found.start, found.end) != (after.start, after.end):
        return None
    return found
