"""Times and durations given on the command line, and the window options that use them.

A wall-clock time is read in the brand's zone unless an offset or an IANA zone is given; one
that does not exist or happens twice in its zone is refused with both of its readings.
"""

from __future__ import annotations

import argparse
import re
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from campaigns.errors import UsageError

if TYPE_CHECKING:
    from campaigns.model import Calendar

    from ..clock import Clock


YEARS = (1900, 9000)  # what a time on the command line may name: room for any window after it


def parse_time(text: str, option: str, calendar: Calendar | None = None) -> datetime:
    """A time given on the command line: ``2026-12-06T03:00`` (the brand's zone), with an offset
    (``+01:00``, ``Z``), or followed by an IANA zone name (``2026-12-06T03:00 America/New_York``).
    A wall-clock time that does not exist or happens twice in its zone is refused with both readings."""
    from campaigns.errors import TimeFormatError
    from campaigns.timeparse import parse_when

    text, named = _named_zone(text, option)
    year = re.match(r"\s*(\d+)-", text)
    if year and not YEARS[0] <= int(year[1]) <= YEARS[1]:  # (year 0 is no date at all to Python)
        raise UsageError(f"{option} {text}: a year from {YEARS[0]} to {YEARS[1]}")
    try:
        when = parse_when(text)
    except TimeFormatError as exc:
        raise UsageError(f"{option}: {exc}") from None
    if named is not None and when.offset is not None:
        raise UsageError(f"{option}: give an offset or a time zone, not both")
    if not YEARS[0] <= when.date.year <= YEARS[1]:  # year 1 or 9999 overflows a window or a zone's offset
        raise UsageError(f"{option} {text}: a year from {YEARS[0]} to {YEARS[1]}")
    tz = when.offset or named or (calendar.brand.tz if calendar else None)
    if tz is None:
        raise UsageError(f"{option}: give an offset, e.g. {text}+01:00 (no calendar to take the time zone from)")
    if when.offset is None and when.time is not None:
        _check_wall_clock(text, option, when.naive(), tz)
    return datetime.combine(when.date, when.time or datetime.min.time(), tz)


def _named_zone(text: str, option: str) -> tuple[str, tzinfo | None]:
    """``text`` without a trailing IANA zone name, and that zone (None when there is none)."""
    from campaigns.errors import TimeFormatError
    from campaigns.timeparse import zone

    head, _, tail = text.strip().rpartition(" ")
    if not head or not ("/" in tail or tail.upper() == "UTC"):
        return text, None
    try:
        return head, zone(tail)
    except TimeFormatError as exc:
        raise UsageError(f"{option}: {exc}; use an IANA name such as Europe/Berlin") from None


def _check_wall_clock(text: str, option: str, naive: datetime, tz: Any) -> None:
    """Refuse a wall-clock time the clocks skip or pass twice in ``tz``."""
    from campaigns.timeparse import describe_offsets, local_time_kind

    kind = local_time_kind(naive, tz)
    if kind == "gap":
        raise UsageError(f"{option}: " + skipped_time(text, naive, tz))
    if kind != "ok":
        first, second = describe_offsets(naive, tz)
        raise UsageError(f"{option}: {text} happens twice ({first} and {second}) in {tz}; "
                         f"give the offset you mean, e.g. {first}")


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
    """The window ``--from`` (default now; ``today``: midnight of today in the brand's zone, so an
    announcement made a moment ago and not yet sent is in it) and ``--days`` say."""
    text = args.start
    if text == "today":
        text = clock.now().astimezone(calendar.brand.tz).date().isoformat()
    start = parse_time(text, "--from", calendar) if text else clock.now()
    return start, start + timedelta(days=args.days)


def parse_duration_option(option: str, text: str, bounds: tuple[timedelta, timedelta, str] | None = None) -> timedelta:
    """A duration given on the command line (``30m``, ``2h``); a UsageError saying what is wrong.
    ``bounds``: the lowest and highest allowed and how to say them ("between 1 minute and 7
    days"), said for any value out of them, however large."""
    from campaigns.durations import DURATION_FORM, parse_duration
    from campaigns.errors import DurationError

    try:
        value = parse_duration(text)
    except DurationError as exc:
        if bounds is not None and DURATION_FORM.fullmatch(text.strip()):  # well written, too long for a timedelta
            raise UsageError(f"{option} {text}: {bounds[2]}") from None
        raise UsageError(f"{option}: {exc}") from None
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        raise UsageError(f"{option} {text}: {bounds[2]}")
    return value
