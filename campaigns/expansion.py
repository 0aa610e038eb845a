"""A recurrence rule's wall-clock times, without dateutil's general machinery.

dateutil walks every rule through per-year masks of every kind of part; a calendar of
thousands of distinct rules spends a large share of its plan there.  :func:`expand` produces
the same times for the rules a calendar writes (DAILY to YEARLY with INTERVAL, WKST, COUNT,
UNTIL, BYMONTH, BYMONTHDAY from either end, BYDAY with nth weekdays, BYHOUR, BYMINUTE,
BYSECOND, BYSETPOS), period by period; :func:`shape_of` returns None for the rest (BYYEARDAY,
BYWEEKNO, BYEASTER, rules within the day), which dateutil expands.  ``tests/test_expansion.py``
holds the two equal over random rules.

:func:`shape_of` is the one place that reads a dateutil rule's parts: from its public text
(``str(rule)``), with the defaults dateutil derives from the start filled in as it does.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule

_FREQS = {"YEARLY": YEARLY, "MONTHLY": MONTHLY, "WEEKLY": WEEKLY, "DAILY": DAILY,
          "HOURLY": 4, "MINUTELY": 5, "SECONDLY": 6}
_DAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_UNSUPPORTED = frozenset({"BYYEARDAY", "BYWEEKNO", "BYEASTER"})


@dataclass(frozen=True)
class Shape:
    """A rule's parts as dateutil holds them (its defaults from the start filled in)."""

    freq: int
    interval: int
    count: int | None
    until: datetime | None
    wkst: int
    months: tuple[int, ...]
    monthdays: tuple[int, ...]  # positive
    negative_monthdays: tuple[int, ...]
    weekdays: tuple[int, ...]  # plain (an nth weekday in a DAILY or WEEKLY rule is plain)
    nth_weekdays: tuple[tuple[int, int], ...]  # (weekday, n)
    hours: tuple[int, ...]  # (a rule within the day: the start's, as for RuleParts)
    minutes: tuple[int, ...]
    seconds: tuple[int, ...]
    setpos: tuple[int, ...]
    plain: bool  # no part expand() leaves to dateutil (nor an nth weekday dateutil fails on)


@lru_cache(maxsize=4096)  # (read when the calendar is loaded, and again by the plan)
def shape_of(rule: rrule, dtstart: datetime) -> Shape:
    """The parts of ``rule`` (read from ``dtstart``), from the text dateutil writes of it."""
    body = next(line for line in str(rule).splitlines() if line.startswith("RRULE:"))[6:]
    return shape_from(dict(part.split("=", 1) for part in body.split(";")), dtstart)


def shape_from(written: dict[str, str], dtstart: datetime) -> Shape:
    """A rule's parts from ``written`` (each part's name and value, as dateutil writes them: upper
    case, UNTIL as %Y%m%dT%H%M%S), read from ``dtstart``."""
    freq = _FREQS[written["FREQ"]]
    months, monthdays, plain_days, nth_days = _days(written, freq, dtstart)

    def default(name: str, value: int) -> tuple[int, ...]:
        return _ints(written.get(name)) or (value,)

    return Shape(
        freq=freq, interval=int(written.get("INTERVAL", 1)),
        count=int(written["COUNT"]) if "COUNT" in written else None,
        until=_until(written["UNTIL"]) if "UNTIL" in written else None, wkst=_DAYS[written.get("WKST", "MO")],
        months=months, monthdays=tuple(d for d in monthdays if d > 0),
        negative_monthdays=tuple(d for d in monthdays if d < 0), weekdays=plain_days, nth_weekdays=nth_days,
        hours=default("BYHOUR", dtstart.hour), minutes=default("BYMINUTE", dtstart.minute),
        seconds=default("BYSECOND", dtstart.second), setpos=_ints(written.get("BYSETPOS")),
        plain=freq <= DAILY and not _UNSUPPORTED & written.keys()
        and all(abs(n) <= (5 if freq == MONTHLY or months else 53) for _, n in nth_days),
    )


_Days = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[tuple[int, int], ...]]


def _days(written: dict[str, str], freq: int, dtstart: datetime) -> _Days:
    """(months, month days, plain weekdays, nth weekdays), with dateutil's defaults: a rule
    that names no day takes the start's (its weekday, day of the month, month)."""
    plain_days, nth_days = _weekdays(written.get("BYDAY", ""), freq)
    months = _ints(written.get("BYMONTH"))
    monthdays = _ints(written.get("BYMONTHDAY"))
    if not (monthdays or plain_days or nth_days or _UNSUPPORTED & written.keys()):
        if freq == YEARLY:
            months = months or (dtstart.month,)
            monthdays = (dtstart.day,)
        elif freq == MONTHLY:
            monthdays = (dtstart.day,)
        elif freq == WEEKLY:
            plain_days = (dtstart.weekday(),)
    return months, monthdays, plain_days, nth_days


def _until(text: str) -> datetime:
    """UNTIL as dateutil writes it, %Y%m%dT%H%M%S (read by slices: strptime is slow)."""
    return datetime(int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[9:11]), int(text[11:13]), int(text[13:15]))


def _ints(text: str | None) -> tuple[int, ...]:
    return tuple(sorted({int(v) for v in text.split(",")})) if text else ()


def _weekdays(text: str, freq: int) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
    """BYDAY as (plain weekdays, (weekday, n) pairs); below MONTHLY an nth weekday is plain."""
    plain: set[int] = set()
    nth: set[tuple[int, int]] = set()
    for item in filter(None, text.split(",")):
        day, n = _DAYS[item[-2:]], int(item[:-2] or 0)
        if n and freq <= MONTHLY:
            nth.add((day, n))
        else:
            plain.add(day)
    return tuple(sorted(plain)), tuple(sorted(nth))


def expand(shape: Shape, dtstart: datetime, stop: datetime) -> list[datetime]:
    """The rule's times from ``dtstart`` up to ``stop`` (inclusive), as dateutil gives them."""
    dtstart = dtstart.replace(microsecond=0)
    limit = stop if shape.until is None else min(stop, shape.until)
    deltas = sorted(timedelta(hours=h, minutes=m, seconds=s)
                    for h in shape.hours for m in shape.minutes for s in shape.seconds)
    periods = _periods(shape, dtstart.date().toordinal(), limit.date().toordinal())
    at_day = datetime.fromordinal
    if shape.setpos:
        times = [at for days in periods for at in _selected(shape.setpos, days, deltas)]
    else:  # (the periods' days, in order, at every time: then those from the start to the limit)
        times = [at_day(day) + delta for days in periods for day in days for delta in deltas]
    chosen = times[bisect_left(times, dtstart):bisect_right(times, limit)]
    return chosen if shape.count is None else chosen[:shape.count]


def _selected(setpos: tuple[int, ...], days: list[int], deltas: list[timedelta]) -> list[datetime]:
    """The times BYSETPOS picks of a period's days (day ordinals) at every time, in order."""
    picked: set[datetime] = set()
    width, total = len(deltas), len(days) * len(deltas)
    for pos in setpos:
        flat = pos - 1 if pos > 0 else total + pos
        if 0 <= flat < total:
            picked.add(datetime.fromordinal(days[flat // width]) + deltas[flat % width])
    return sorted(picked)


def _periods(shape: Shape, first: int, last: int) -> Iterator[list[int]]:
    """Each period's days (ordinals) that the rule's day parts keep, in order, until a period
    starts after ``last``."""
    if shape.freq == DAILY:
        yield from _daily(shape, first, last)
    elif shape.freq == WEEKLY:
        yield from _weekly(shape, first, last)
    else:
        start = date.fromordinal(first)
        year, month = start.year, start.month
        while date(year, month if shape.freq == MONTHLY else 1, 1).toordinal() <= last:
            if shape.freq == MONTHLY:
                if not shape.months or month in shape.months:
                    yield _month_days(shape, year, month)
                year, month = year + (month - 1 + shape.interval) // 12, (month - 1 + shape.interval) % 12 + 1
            else:
                yield [day for m in (shape.months or range(1, 13)) for day in _month_days(shape, year, m, True)]
                year += shape.interval


def _daily(shape: Shape, first: int, last: int) -> Iterator[list[int]]:
    """A DAILY rule's periods, the days it keeps (a period without one selects nothing)."""
    weekdays = [not shape.weekdays or n in shape.weekdays for n in range(7)]
    other = shape.months or shape.monthdays or shape.negative_monthdays
    for ordinal in range(first, last + 1, shape.interval):
        if weekdays[(ordinal - 1) % 7] and (not other or _keeps(shape, date.fromordinal(ordinal))):
            yield [ordinal]


def _weekly(shape: Shape, first: int, last: int) -> Iterator[list[int]]:
    """dateutil's weeks: the first from the start to the day before WKST, then whole weeks."""
    week_start = first - ((first - 1) % 7 - shape.wkst) % 7
    offsets = sorted((day - shape.wkst) % 7 for day in shape.weekdays or range(7))
    other = shape.months or shape.monthdays or shape.negative_monthdays
    while week_start <= last:
        days = [week_start + k for k in offsets if week_start + k >= first]
        if other:
            days = [day for day in days if _keeps(shape, date.fromordinal(day))]
        yield days
        week_start += 7 * shape.interval


def _keeps(shape: Shape, day: date) -> bool:
    """The month parts that apply to a day of a DAILY or WEEKLY rule (weekdays are kept already)."""
    if shape.months and day.month not in shape.months:
        return False
    if shape.monthdays or shape.negative_monthdays:
        length = calendar.monthrange(day.year, day.month)[1]
        return day.day in shape.monthdays or day.day - length - 1 in shape.negative_monthdays
    return True


def _month_days(shape: Shape, year: int, month: int, in_year: bool = False) -> list[int]:
    """A month's days (ordinals) the rule keeps (``in_year``: a YEARLY rule's, whose nth
    weekdays count in the year unless BYMONTH is given)."""
    weekday, length = calendar.monthrange(year, month)
    numbers = _numbers(shape, weekday, length)
    base = date(year, month, 1).toordinal() - 1
    days = [base + d for d in numbers]
    if shape.nth_weekdays:
        whole_year = in_year and not shape.months
        nth = _nth_range(shape, date(year, 1 if whole_year else month, 1),
                         date(year, 12, 31) if whole_year else date(year, month, length))
        days = [day for day in days if day in nth]
    return days


def _numbers(shape: Shape, weekday: int, length: int) -> list[int]:
    """The days of a month (of ``length`` days, its first a ``weekday``) its month days and plain
    weekdays keep."""
    if shape.monthdays or shape.negative_monthdays:
        numbers = sorted({d for d in shape.monthdays if d <= length}
                         | {length + 1 + d for d in shape.negative_monthdays if -d <= length})
    else:
        numbers = list(range(1, length + 1))
    if shape.weekdays:
        numbers = [d for d in numbers if (weekday + d - 1) % 7 in shape.weekdays]
    return numbers


def _nth_range(shape: Shape, first: date, last: date) -> set[int]:
    """The days (ordinals) the nth weekdays name within [first, last]."""
    found = set()
    low, high = first.toordinal(), last.toordinal()
    for weekday, n in shape.nth_weekdays:
        if n < 0:
            ordinal = high + (n + 1) * 7
            ordinal -= ((ordinal - 1) % 7 - weekday) % 7
        else:
            ordinal = low + (n - 1) * 7
            ordinal += (7 - (ordinal - 1) % 7 + weekday) % 7
        if low <= ordinal <= high:
            found.add(ordinal)
    return found
