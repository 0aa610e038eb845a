"""Recurring posts: RFC 5545 rules read strictly, checked statically, and their DST meetings.

``parse_rule`` turns the text of ``rrule:`` into a dateutil rule from a local (floating)
start, or raises :class:`RuleError` saying what is wrong; it also refuses rules that can
never produce a date (dateutil would otherwise search period by period up to the year
9999).  ``dst_meetings`` says which of a rule's times of day the clocks skip or repeat in
a zone.  Pure: no clock is read here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr, weekday, weekdays

from .errors import RuleError
from .expansion import Shape, shape_from, shape_of
from .timeparse import When, zone

_RRULE_UNTIL = re.compile(r"UNTIL=(\d{8}T\d{6})Z", re.IGNORECASE)
_RRULE_PART = re.compile(r"(?:^|;)(BYHOUR|BYMINUTE|BYSECOND|FREQ|COUNT|UNTIL|BYSETPOS)=([^;]*)", re.IGNORECASE)
FINE_FREQS = frozenset({"HOURLY", "MINUTELY", "SECONDLY"})
RULE_HINT = "see RFC 5545, e.g. FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=10;BYMINUTE=0"
_LONGEST_MONTH = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


@dataclass(frozen=True)
class RuleParts:
    """A parsed rule's parts, with dateutil's defaults filled in from the start."""

    freq: int
    months: tuple[int, ...]
    monthdays: tuple[int, ...]  # positive days of the month
    negative_monthdays: tuple[int, ...]
    weekdays: int  # how many BYDAY entries (plain and numbered)
    hours: tuple[int, ...]
    minutes: tuple[int, ...]
    seconds: tuple[int, ...]
    setpos: tuple[int, ...]


@dataclass(frozen=True)
class Rule:
    rule: rrule
    text: str  # the rule as dateutil read it (UNTIL in local time)
    fine: bool  # repeats within the day (HOURLY, MINUTELY, SECONDLY)
    parts: RuleParts
    shape: Shape  # for campaigns.expansion.expand


def rule_parts(shape: Shape) -> RuleParts:
    """What the static checks read of a rule (its parts come from :func:`expansion.shape_of`,
    the one reader of dateutil's rules)."""
    return RuleParts(
        freq=shape.freq, months=shape.months, monthdays=shape.monthdays,
        negative_monthdays=shape.negative_monthdays, weekdays=len(shape.weekdays) + len(shape.nth_weekdays),
        hours=shape.hours, minutes=shape.minutes, seconds=shape.seconds, setpos=shape.setpos,
    )


@lru_cache(maxsize=4096)  # posts made from one template share their rule and start: read it once
def parse_rule(text: str, dtstart: datetime, tz: ZoneInfo, *, has_time: bool) -> Rule:
    """The rule written in ``text`` from the local start ``dtstart``; raise RuleError if unusable.
    ``has_time``: whether the start gives a time of day (otherwise the rule must)."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if "DTSTART" in body.upper() or "\n" in body:
        raise RuleError("rrule: holds only the rule (FREQ=…;BYDAY=…)", "give the first date with starts:")
    written = {k.upper(): v for k, v in _RRULE_PART.findall(body)}
    if "FREQ" not in written:
        raise RuleError("rrule has no FREQ", "start it with FREQ=DAILY, FREQ=WEEKLY, FREQ=MONTHLY or FREQ=YEARLY")
    if "COUNT" in written and "UNTIL" in written:
        raise RuleError("rrule has both COUNT and UNTIL; RFC 5545 allows one")
    fine = written["FREQ"].upper() in FINE_FREQS
    if not has_time and "BYHOUR" not in written and not fine:
        raise RuleError("recurring post has no time of day",
                        "add BYHOUR=10;BYMINUTE=0 to the rule, or give starts: with a time (2026-12-01T10:00)")
    # UNTIL in UTC ('Z') is read as that instant in the post's zone (dtstart is local).
    body = _RRULE_UNTIL.sub(lambda m: "UNTIL=" + datetime.strptime(m.group(1), "%Y%m%dT%H%M%S")
                            .replace(tzinfo=UTC).astimezone(tz).strftime("%Y%m%dT%H%M%S"), body)
    rule, shape = read_rule(body, dtstart)
    parts = rule_parts(shape)
    if not can_occur(parts):
        raise RuleError("this rrule never produces a date (e.g. the 30th of February)")
    return Rule(rule, body, fine, parts, shape)


def read_rule(body: str, dtstart: datetime) -> tuple[rrule, Shape]:
    """The dateutil rule ``body`` (no ``RRULE:``, UNTIL in local time) says from ``dtstart``, and its
    parts; RuleError saying what is wrong.  The rules calendars write are read here (:func:`_plain`)
    and given to dateutil's constructor; the rest, and every rule with anything odd about it, are
    read by ``rrulestr`` (whose message a wrong rule gets)."""
    plain = _plain(body, dtstart)
    if plain is not None:
        return plain
    try:
        rule = rrulestr(body, dtstart=dtstart, cache=False)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise RuleError(f"invalid rrule: {_rrule_message(exc)}", RULE_HINT) from None
    if not isinstance(rule, rrule):  # pragma: no cover - a set needs RDATE/EXDATE lines, refused above
        raise RuleError("rrule: holds one rule", RULE_HINT)
    return rule, shape_of(rule, dtstart)


_PLAIN_RULE = re.compile(r"[A-Za-z]+=[A-Za-z0-9+,-]+(?:;[A-Za-z]+=[A-Za-z0-9+,-]+)*")
_PLAIN_FREQS = {"YEARLY": YEARLY, "MONTHLY": MONTHLY, "WEEKLY": WEEKLY, "DAILY": DAILY}
_WEEKDAYS = {day.__repr__(): day for day in weekdays}  # "MO": MO ...
_BYDAY = re.compile(r"([+-]?[0-9]{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
# the lists read here, and the values each may hold (anything else is rrulestr's to read)
_LISTS = {"BYMONTH": ("bymonth", 1, 12, False), "BYMONTHDAY": ("bymonthday", 1, 31, True),
          "BYHOUR": ("byhour", 0, 23, False), "BYMINUTE": ("byminute", 0, 59, False),
          "BYSECOND": ("bysecond", 0, 59, False), "BYSETPOS": ("bysetpos", 1, 366, True)}


def _plain(body: str, dtstart: datetime) -> tuple[rrule, Shape] | None:
    """The rule and its parts read without ``rrulestr``: for a rule of the parts :mod:`campaigns.expansion`
    expands (DAILY to YEARLY), each once, every value in its range; None for any other (``rrulestr``
    reads those, and says what is wrong with them).  The arguments are those ``rrulestr`` gives
    dateutil's constructor, and the parts those :func:`~campaigns.expansion.shape_of` reads from the
    rule's text (``tests/test_expansion.py`` holds both to ``rrulestr``'s)."""
    if _PLAIN_RULE.fullmatch(body) is None:
        return None
    written: dict[str, str] = {}
    for part in body.upper().split(";"):
        name, value = part.split("=")
        if name in written:
            return None
        written[name] = value
    arguments = _arguments(written)
    if arguments is None:
        return None
    try:
        rule = rrule(dtstart=dtstart, cache=False, **arguments)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        return None
    until = arguments.get("until")
    if isinstance(until, datetime):  # (as dateutil writes it)
        written["UNTIL"] = until.strftime("%Y%m%dT%H%M%S")
    return rule, shape_from(written, dtstart)


def _arguments(written: dict[str, str]) -> dict[str, object] | None:
    """dateutil's constructor's arguments for ``written`` (upper case), as ``rrulestr`` makes them;
    None when a part or value is not one :func:`_plain` reads."""
    out: dict[str, object] = {}
    for name, value in written.items():
        argument = _argument(name, value)
        if argument is None:
            return None
        out[argument[0]] = argument[1]
    return out if "freq" in out else None


def _argument(name: str, value: str) -> tuple[str, object] | None:
    """One part's argument (its name and value), or None."""
    if name in _LISTS:
        key, low, high, negative = _LISTS[name]
        numbers = _numbers(value, low, high, negative)
        return (key, numbers) if numbers is not None else None
    if name == "FREQ" and value in _PLAIN_FREQS:
        return "freq", _PLAIN_FREQS[value]
    if name in ("INTERVAL", "COUNT") and value.isdigit() and int(value) >= 1:
        return name.lower(), int(value)
    if name == "WKST" and value in _WEEKDAYS:
        return "wkst", _WEEKDAYS[value].weekday
    if name == "UNTIL":
        until = _until(value)
        return ("until", until) if until is not None else None
    if name == "BYDAY":
        days = _days_of(value)
        return ("byweekday", days) if days is not None else None
    return None


_UNTIL = re.compile(r"[0-9]{8}(?:T[0-9]{6})?")


def _until(value: str) -> datetime | None:
    """UNTIL as a day (its midnight) or a day and time, %Y%m%d[T%H%M%S], as dateutil's parser reads it."""
    if _UNTIL.fullmatch(value) is None:
        return None
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%S" if "T" in value else "%Y%m%d")
    except ValueError:
        return None


def _numbers(value: str, low: int, high: int, negative: bool) -> list[int] | None:
    """The comma-separated whole numbers of ``value``, each from ``low`` to ``high`` (or as far
    below zero, when ``negative``); None if any is not."""
    out = []
    for item in value.split(","):
        if not item.lstrip("+-").isdigit() or item.count("+") + item.count("-") > 1:
            return None
        number = int(item)
        if not (low <= number <= high or (negative and -high <= number <= -low)):
            return None
        out.append(number)
    return out


def _days_of(value: str) -> list[weekday] | None:
    """BYDAY's weekdays (an nth one with its n, never 0), as ``rrulestr`` reads them."""
    out = []
    for item in value.split(","):
        match = _BYDAY.fullmatch(item)
        if match is None or (match.group(1) is not None and int(match.group(1)) == 0):
            return None
        day = _WEEKDAYS[match.group(2)]
        out.append(day(int(match.group(1))) if match.group(1) is not None else day)
    return out


def _rrule_message(exc: Exception) -> str:
    message = str(exc) or type(exc).__name__
    return message.replace("unknown parameter name", "unknown part").rstrip(".")


def can_occur(parts: RuleParts) -> bool:
    """False for rules that can never produce a date, checked statically."""
    months = parts.months or tuple(range(1, 13))
    if parts.monthdays and not parts.negative_monthdays and all(
            day > _LONGEST_MONTH[m] for m in months for day in parts.monthdays):
        return False
    if parts.setpos:
        # The most candidates one period can hold; a BYSETPOS beyond it never selects anything.
        times = len(parts.hours) * len(parts.minutes) * len(parts.seconds)
        days = {YEARLY: 366, MONTHLY: 31, WEEKLY: 7, DAILY: 1}.get(parts.freq, 1)
        if parts.freq in (YEARLY, MONTHLY, WEEKLY) and parts.weekdays and not parts.monthdays:
            days = min(days, parts.weekdays * {YEARLY: 53, MONTHLY: 5, WEEKLY: 1}[parts.freq])
        if parts.freq <= DAILY and all(abs(pos) > days * times for pos in parts.setpos):
            return False
    return True


@lru_cache(maxsize=4096)
def dst_meetings(rule: Rule, tz: ZoneInfo) -> dict[str, str]:
    """The rule's times of day that meet a DST change in ``tz``: {'gap' | 'fold': 'HH:MM'};
    for a rule repeating within the day, {'within': ''} when the zone changes clocks at all."""
    windows = transition_windows(tz.key)
    if rule.fine:
        return {"within": ""} if windows else {}
    met: dict[str, str] = {}
    for hour in rule.parts.hours:
        for minute in rule.parts.minutes:
            for kind, low, high in windows:
                if low <= (hour, minute) < high:
                    met.setdefault(kind, f"{hour:02d}:{minute:02d}")
    return met


def sort_key(when: When, end: bool = False) -> datetime:
    """A date or time as a naive local datetime (an end date: the last moment of its day)."""
    naive = when.naive()
    if when.is_date and end:
        naive += timedelta(days=1) - timedelta(microseconds=1)
    return naive


def local_bound(when: When, tz: ZoneInfo, end: bool = False) -> datetime:
    """A starts/ends value as a local wall-clock bound (an ends date includes its whole day)."""
    exact = when.exact()
    if exact is not None:
        return exact.astimezone(tz).replace(tzinfo=None)
    return sort_key(when, end)


@lru_cache(maxsize=256)
def transition_windows(tz_name: str) -> tuple[tuple[str, tuple[int, int], tuple[int, int]], ...]:
    """Local times of day at which ``tz_name`` skips (gap) or repeats (fold) the clock,
    over the years around now, as (kind, (h, m) from, (h, m) to) — pure, data from tzdata."""
    tz = zone(tz_name)
    windows: set[tuple[str, tuple[int, int], tuple[int, int]]] = set()
    probe = datetime(2020, 1, 1, tzinfo=UTC)
    end = datetime(2040, 1, 1, tzinfo=UTC)
    step = timedelta(days=7)
    offset = probe.astimezone(tz).utcoffset() or timedelta(0)
    while probe < end:
        nxt = probe + step
        after = nxt.astimezone(tz).utcoffset() or timedelta(0)
        if after != offset:
            low, high = probe, nxt  # binary search to the minute
            while high - low > timedelta(minutes=1):
                mid = low + (high - low) / 2
                if mid.astimezone(tz).utcoffset() == offset:
                    low = mid
                else:
                    high = mid
            change = high.replace(second=0, microsecond=0)
            delta = after - offset
            wall_before = (change + offset).replace(tzinfo=None)
            if delta > timedelta(0):
                start, stop, kind = wall_before, wall_before + delta, "gap"
            else:
                start, stop, kind = wall_before + delta, wall_before, "fold"
            if start.date() == stop.date() or stop.time() == datetime.min.time():
                hi = (24, 0) if stop.date() != start.date() else (stop.hour, stop.minute)
                windows.add((kind, (start.hour, start.minute), hi))
            offset = after
        probe = nxt
    return tuple(sorted(windows))
