"""``herald plan --json``: every publication as a line of JSON, on every core the machine lends.

A year of a 10,000-post calendar is a quarter of a million lines.  Planning and encoding are
pure computation, so a big calendar is done by two processes: once the calendar is loaded (and
the status file and the ledger read), a forked child plans and encodes the second part of the
window while this process plans, encodes and writes the first; the child's lines follow.  The
child works on the calendar as the fork left it (copy-on-write, with the collector off: no page
is copied but those reference counts touch), so the file is parsed once.  The parts are exactly
the whole plan cut in two (:func:`campaigns.plan.plan_lines` with ``emit_from``: with a ledger,
the child replays the variant rotation of the first part) and both use one "now", so the output
is byte for byte the serial one (a test compares them).  The child hands its lines over in an
anonymous in-memory file, which the kernel copies to the output (``sendfile``); if it fails for
any reason, this process plans its part itself.

The lines are made with the plan (:func:`campaigns.plan.plan_lines`: no publication is made) and
written a few thousand at a time.

The status file's announcements (few) are merged in by time, exactly as
:func:`scheduler.cli.common.planned` orders them: at the same instant, posts first.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from campaigns.plan import JsonLines, LineRow, Publication, plan_lines, prepare, utc_instant

from .. import forked
from ..clock import Clock
from ..forked import Child, Frozen
from .common import load_calendar, planned, variant_history
from .times import window_of

if TYPE_CHECKING:
    from campaigns.model import Calendar

_INSTANT = len("2027-01-01T00:00:00Z")  # every UTC instant of a plan has this width
_CHUNK = 4096


def cmd_plan_json(args: argparse.Namespace, clock: Clock) -> int:
    from campaigns.yamlsource import read_file

    clock = Frozen(clock.now())
    only = getattr(args, "only", None)
    text = read_file(args.calendar)
    out = _Output(sys.stdout)
    helper = None
    try:
        calendar = load_calendar(args.calendar, text)
        start, end = window_of(args, calendar, clock)
        announced = planned(args, calendar, start, end, clock.now(), only="status")[0]  # (a broken file stops us)
        if only == "calendar":
            announced = []
        status = [(utc_instant(p.at), p) for p in announced]  # in time order
        if only == "status":
            out.lines(line for _, line in _merged([], status, JsonLines()))
            return 0
        history = variant_history(args, start, end)
        if len(text) >= forked.PARALLEL_FROM_CHARS and forked.can_fork():
            del text  # (the child has no use for it)
            prepare(calendar)
            helper = Child.start("herald-plan", lambda fd: _child(calendar, (start, end, history), fd))
        if helper is None:
            out.lines(_encoded(plan_lines(calendar, start, end, history), status))
            return 0
        _halves(out, helper, (calendar, start, end, history), status)
        return 0
    finally:
        if helper is not None:
            helper.close()
        out.flush()


def _halves(out: _Output, helper: Child, plan_args: tuple[Any, datetime, datetime, Any],
            status: list[tuple[str, Publication]]) -> None:
    """This process's half written, then the child's (planned here if the child failed), with the
    announcements merged in by time."""
    calendar, start, end, history = plan_args
    middle = _middle(start, end)
    early = [s for s in status if s[0] < utc_instant(middle)]
    out.lines(_encoded(plan_lines(calendar, start, middle, history), early))
    late = status[len(early):]  # after every line of this half; among the child's, or before them
    done = helper.collect()  # (the child has been working all along: this waits for what is left)
    theirs = _Handover(done) if done is not None else None
    if theirs is None:  # the child failed: its half is planned here
        out.lines(_encoded(plan_lines(calendar, start, end, history, emit_from=middle), late))
        return
    first = theirs.first_instant()
    before = [s for s in late if first is None or s[0] < first]
    out.lines(line for _, line in _merged([], before, JsonLines()))
    if len(before) == len(late):
        out.copy(theirs)
    else:  # announcements among the child's lines: merged line by line (rare: a window's far end)
        out.lines(line for _, line in _merged(theirs.rows(), late[len(before):], JsonLines()))


def _middle(start: datetime, end: datetime) -> datetime:
    """Where the child's half begins, to the second (a plan's instants are whole seconds, so no
    publication is on both sides): a little past the middle of the window, as the child walks
    each rule from its start through this process's half too."""
    return (start + (end - start) * SHARE).replace(microsecond=0)


SHARE = 0.55  # of the window, this process's: both finish together (measured on a year of 10,000 posts)


def _encoded(rows: list[LineRow], status: list[tuple[str, Publication]]) -> Iterable[str]:
    if not status:  # (the lines as they are: a year is hundreds of thousands)
        return [row[1] for row in rows]
    return (text for _, text in _merged(((row[0][:_INSTANT], row[1]) for row in rows), status, JsonLines()))


def _merged(lines: Iterable[tuple[str, str]], status: list[tuple[str, Publication]],
            encode: JsonLines) -> Iterator[tuple[str, str]]:
    """(instant, line) of the calendar's lines with the announcements' put after the calendar's
    of the same instant (a stable sort by time, posts first)."""
    pending = iter(status)
    upcoming = next(pending, None)
    for instant, line in lines:
        while upcoming is not None and upcoming[0] < instant:
            yield upcoming[0], encode.line(upcoming[1])
            upcoming = next(pending, None)
        yield instant, line
    while upcoming is not None:
        yield upcoming[0], encode.line(upcoming[1])
        upcoming = next(pending, None)


class _Output:
    """Standard output for many lines: written in chunks, as UTF-8 bytes when it takes them."""

    def __init__(self, out: IO[str]):
        self.out = out
        self.buffer: IO[bytes] | None = getattr(out, "buffer", None)
        self.out.flush()

    def lines(self, lines: Iterable[str]) -> None:
        if isinstance(lines, list):
            for begin in range(0, len(lines), _CHUNK):
                self.write(lines[begin:begin + _CHUNK])
            return
        chunk: list[str] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= _CHUNK:
                self.write(chunk)
                chunk = []
        self.write(chunk)

    def write(self, chunk: list[str]) -> None:
        if not chunk:
            return
        if self.buffer is not None:
            self.buffer.write("\n".join(chunk).encode())
            self.buffer.write(b"\n")
        else:
            self.out.write("\n".join(chunk) + "\n")

    def copy(self, part: _Handover) -> None:
        """The child's lines as they are: by the kernel (sendfile) when the output is a file or pipe."""
        if part.size == 0:
            return
        if self.buffer is None:
            self.out.write(part.read().decode())
            return
        self.buffer.flush()
        try:
            target = self.buffer.fileno()
            while part.size:
                sent = os.sendfile(target, part.fd, part.offset, part.size)
                if sent == 0:
                    break
                part.offset, part.size = part.offset + sent, part.size - sent
        except BrokenPipeError:
            raise
        except (OSError, ValueError, io.UnsupportedOperation):
            pass  # no descriptor, or one sendfile cannot write to: the rest is written below
        if part.size:
            self.buffer.write(part.read())

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            if self.buffer is not None:
                self.buffer.flush()
            self.out.flush()


class _Handover:
    """The child's half in the in-memory file: its line count, instants, then the lines."""

    def __init__(self, fd: int):
        self.fd = fd
        with os.fdopen(os.dup(fd), "rb") as fh:
            fh.seek(0)
            self.count = int(fh.readline())
            self.instants_at = fh.tell()
            self.offset = self.instants_at + self.count * _INSTANT
            self.size = os.fstat(fd).st_size - self.offset

    def first_instant(self) -> str | None:
        return os.pread(self.fd, _INSTANT, self.instants_at).decode() if self.count else None

    def read(self) -> bytes:
        """The lines (from ``offset``), as bytes, each ending in a line break."""
        chunks = []
        offset, left = self.offset, self.size
        while left > 0:
            chunk = os.pread(self.fd, min(left, 1 << 24), offset)
            if not chunk:
                break
            chunks.append(chunk)
            offset, left = offset + len(chunk), left - len(chunk)
        return b"".join(chunks)

    def lines(self) -> list[str]:
        return self.read().decode().split("\n")[:-1]  # (JSON may hold U+2028 raw: not splitlines())

    def rows(self) -> list[tuple[str, str]]:
        instants = os.pread(self.fd, self.count * _INSTANT, self.instants_at).decode()
        return list(zip([instants[i:i + _INSTANT] for i in range(0, len(instants), _INSTANT)],
                        self.lines(), strict=True))


def _child(calendar: Calendar, window: tuple[datetime, datetime, Any], fd: int) -> None:  # pragma: no cover - see above
    """In the child: the lines of the window's second part (after :func:`_middle`), as
    :class:`_Handover` reads them, written to ``fd``."""
    start, end, history = window
    rows = plan_lines(calendar, start, end, history, emit_from=_middle(start, end))
    with forked.result_file(fd) as fh:
        fh.write(f"{len(rows)}\n".encode())
        fh.write("".join(row[0][:_INSTANT] for row in rows).encode())
        for begin in range(0, len(rows), _CHUNK):
            fh.write(("\n".join([row[1] for row in rows[begin:begin + _CHUNK]]) + "\n").encode())
