"""Dates and times as planners write them, read strictly and localised honestly.

Accepted: ``2026-12-01`` (a date), ``2026-12-01T10:00`` or ``2026-12-01 10:00:30``
(a local time in the post's zone), with an optional ``Z`` or ``+01:00`` offset
(an exact instant).  Everything is pure: no clock is read here.
"""

from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import TimeFormatError

_DATE = r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
_TIME = r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?)?"
_OFFSET = r"(?P<tz>Z|z|[+-]\d{2}(?::?\d{2})?)?"
_DATETIME_RE = re.compile(rf"^{_DATE}(?:[Tt ]+{_TIME}\s*{_OFFSET})?$")

_MONTHS = [
    "", "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
]


@dataclass(frozen=True, slots=True)
class When:
    """A date, a local (floating) time, or an exact instant, as written."""

    date: date
    time: time | None = None  # None: a whole day
    offset: timezone | None = None  # given explicitly: an exact instant

    @property
    def is_date(self) -> bool:
        return self.time is None

    def naive(self) -> datetime:
        return datetime.combine(self.date, self.time or time(0))

    def exact(self) -> datetime | None:
        """The exact instant, when written with a time and an offset; else None."""
        if self.time is None or self.offset is None:
            return None
        return datetime.combine(self.date, self.time, self.offset)


def parse_when(text: str) -> When:
    """Read a date or datetime as a planner wrote it; raise TimeFormatError with a precise reason."""
    match = _DATETIME_RE.match(text.strip())
    if not match:
        raise TimeFormatError(
            f"{text!r} is not a date or time; write 2026-12-01, 2026-12-01T10:00 or 2026-12-01T10:00+01:00"
        )
    y, m, d = int(match["y"]), int(match["m"]), int(match["d"])
    if y == 0:  # (four digits, so 0 is the only year Python has no date for)
        raise TimeFormatError(f"{text!r} is not a date: there is no year 0")
    if not 1 <= m <= 12:
        raise TimeFormatError(f"{text!r} is not a date: there is no month {m}")
    last = _calendar.monthrange(y, m)[1]
    if not 1 <= d <= last:
        raise TimeFormatError(f"{text!r} is not a date: {_MONTHS[m]} {y} has {last} days")
    day = date(y, m, d)
    if match["H"] is None:
        return When(day)
    hour, minute, second = int(match["H"]), int(match["M"]), int(match["S"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise TimeFormatError(f"{text!r} is not a time of day: hours go to 23, minutes and seconds to 59")
    micro = int((match["f"] or "0").ljust(6, "0"))
    offset = _parse_offset(match["tz"], text) if match["tz"] else None
    return When(day, time(hour, minute, second, micro), offset)


def _parse_offset(tz: str, text: str) -> timezone:
    if tz in ("Z", "z"):
        return UTC
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise TimeFormatError(f"{text!r} has an impossible UTC offset {tz}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name``; raise TimeFormatError for an unknown one."""
    if not name or name != name.strip() or ".." in name or name.startswith("/"):
        raise TimeFormatError(f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise TimeFormatError(f"unknown time zone {name!r}") from None


def local_time_kind(naive: datetime, tz: ZoneInfo) -> str:
    """'ok', 'gap' (the wall-clock time does not exist that day) or 'fold' (it happens twice)."""
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return "ok"
    back = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return "gap" if back != naive else "fold"


def describe_offsets(naive: datetime, tz: ZoneInfo) -> tuple[str, str]:
    """The two readings of a gap or fold time, as ISO strings with their offsets."""
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC).astimezone(tz)
    return first.isoformat(timespec="minutes"), second.isoformat(timespec="minutes")


def month_name(month: int) -> str:
    return _MONTHS[month]
