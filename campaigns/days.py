"""Texts that talk about a day, checked against the day they go out and against the opening
hours and closures the calendar declares (``brand.hours``, ``brand.closed``).

Four voice-guide rules (:mod:`campaigns.voice` reports them; a guide sets their severity). The
day a publication goes out is its local date **in the brand's zone** at the moment it goes out,
the day its readers see on their calendars, even for a post with a ``timezone:`` of its own.

``wrong-day`` (error)
    The text pairs a word for the day it goes out with a day that is not that day: "today",
    "tonight", "this morning", "this afternoon", "this evening" mean the day it goes out,
    "tomorrow…" the next day, "yesterday" and "last night" the day before.  "Late opening
    tonight (Monday 30 November)" going out on Tuesday 1 December at 00:00 is one.  *Paired*
    means written next to each other with nothing between but spaces, brackets, commas, colons,
    dashes and at most two of "is", "it", "it's", "on", "the", "only" ("tonight (Monday 30 November)",
    "today, 30 Nov", "Today is Monday", "Monday 30 November (today)"), or the day heading the
    sentence before a colon or a dash ("Monday 30 November: late opening tonight").  Also a
    weekday written with a date that falls on another weekday ("Monday 10 December", when 10
    December is a Thursday), paired or not.  Words around "today"/"tomorrow"… move the day
    they mean: "the day after tomorrow", "the day before yesterday", "a week from today", "two
    days from now"… "a week today", "tomorrow week"; after "not", "instead of", "rather than", or
    with months or years ("a year ago today") they name no day.  A day written before what
    happens on it ("order today – Friday 11 December delivery": delivery, dispatch, shipping,
    collection, pick-up, arrival, deadline, orders, slots, appointments) is not paired.
``after-midnight`` (warning)
    "tonight" or "this evening", not paired with a day, in a post that goes out from 00:00 to
    03:59: readers cannot tell the night that is ending from the coming one.  A named day
    settles it (and is checked by ``wrong-day``: at 00:30 on Friday "tonight (Thursday 31
    December)" is a day late).
``closed-day`` (error)
    A sentence that says the shop is open or asks people in ("we're open", "open late", "late
    opening", "opens at", "come by", "drop in", "visit us", "visit our", "see you"…), and does not
    say "closed", "shut", "not open" or "cancelled", about a day the calendar declares closed
    (``brand.closed``, or ``closed`` in ``brand.hours`` for its weekday).  The sentence is about
    the days it names (not listed, not qualified: below), else about the days its "today",
    "tonight", "tomorrow"… mean; a sentence with neither is not checked.  A claim about the
    website, the app or the support ("visit us online", "our webshop is open", "see you at
    acme.example", a link) is not about the doors, unless its clause says so too ("in store",
    "in person", "at our showroom", "doors"); a link or "support" alone does not make a clause
    that names the place ("our showroom", "come by") an online one.  Times in an online clause
    ("but our chat is open until 9 pm") are not the doors' either.
``opening-hours`` (warning)
    In such a sentence, on a day whose hours are declared, an opening time before the day's
    first opening or a closing time after its last closing: "open from 9:00", "opens at 8.30
    am", "open until 8 pm", "closing at 21:00", "10:00-20:00".  Times are written with minutes
    (``9:30``, ``21:00``), with am/pm (``9 pm``, ``8.30 am``), or noon, midday and midnight; a bare
    ``9`` is not read.  Each time is checked against the days named in its clause (clauses are
    split at commas, brackets, "and", "or", "but", dashes), else in the clause before it: "open
    until 4 pm today, and on Monday until 7 pm" checks 7 pm against Monday; days that are not one
    date ("Monday to Friday", "from Monday", "weekdays", "usually") are not checked.  A sentence
    announcing an exception ("late opening", "open late",
    "late-night", "extended hours", "special hours", "early opening") is not checked for times.

How days are written (English only): weekday names (Monday; Mon, Tue, Tues, Wed, Thu, Thur,
Thurs, Fri, Sat, Sun capitalised and only before a date), dates ``30 November``, ``30th of
November``, ``November 30th``, ``30 Nov``, ``Nov. 30, 2026``, ``2026-11-30``, each with or
without a year (without one: the date nearest the day the post goes out; for the closures, the
first on or after it).  ``30/11`` only where the brand's language says which number is the day:
``en-US`` reads month first, plain ``en`` reads neither (both are written), any other
language or English of another region day first; ``24/7`` is never a date.

Not the post's own day, so never paired nor checked as such: weekdays or dates in a range or a
list ("Monday to Friday", "Monday-Saturday", "31 December - 1 January", "Monday and Tuesday"),
plurals ("on Mondays"), and a day after every, each, next, last, this, coming, following,
previous, past, since, until, till, by, before, after, from, through, between, except or
other ("every Monday", "since Monday", "sale starts after 3 December").  A date in the future
that is not paired with "today"/"tonight" is fine ("sale starts 3 December").

Texts are read as people see them: links are left out, HTML tags read as spaces, entities as
their characters, and invisible format characters (bidi marks and overrides, zero-width
characters, soft hyphens) are ignored; spans point back into the text as given.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property, lru_cache

from .errors import HoursError
from .lazyre import compile_lazily
from .networks import URL_RE

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = ("", "January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")

Ranges = tuple[tuple[int, int], ...]  # (opens, closes) in minutes after midnight, in order; () = closed
Raw = tuple[str, str, str, tuple[int, int]]  # rule, message, suggestion, span in the text as given

# -- the declaration ----------------------------------------------------------------------------

_CLOCK_24 = r"(?:[01]?[0-9]|2[0-3]):[0-5][0-9]"
_RANGE_24 = rf"{_CLOCK_24}-(?:{_CLOCK_24}|24:00)"
HOURS_PATTERN = rf"^(closed|{_RANGE_24}(,\s*{_RANGE_24})*)$"
HOURS_HINT = "a time range like 10:00-19:00 (several: 10:00-13:00, 14:00-19:00), or closed"
CLOSED_PATTERN = r"^([0-9]{4}-[0-9]{2}-[0-9]{2}(/[0-9]{4}-[0-9]{2}-[0-9]{2})?|[0-9]{2}-[0-9]{2}(/[0-9]{2}-[0-9]{2})?)$"
CLOSED_HINT = ("a date YYYY-MM-DD, MM-DD for every year, or a range of either: 2026-12-24/2026-12-26, "
               "12-24/12-26")
_RANGE = compile_lazily(r"([0-9]{1,2}):([0-9]{2})-([0-9]{1,2}):([0-9]{2})")


def parse_ranges(text: str) -> Ranges:
    """``"10:00-13:00, 14:00-19:00"`` as minutes, or ``()`` for ``"closed"``; HoursError saying why not."""
    if text.strip() == "closed":
        return ()
    out: list[tuple[int, int]] = []
    for part in (p.strip() for p in text.split(",")):
        found = _RANGE.fullmatch(part)
        if found is None:
            raise HoursError(f"{part!r} is not a time range", HOURS_HINT)
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        opens, closes = h1 * 60 + m1, h2 * 60 + m2
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or closes > 24 * 60:
            raise HoursError(f"{part!r} is not a time of day", HOURS_HINT)
        if closes <= opens:
            raise HoursError(f"{part!r} closes ({h2:02d}:{m2:02d}) before it opens ({h1:02d}:{m1:02d})",
                             "hours past midnight are not supported: close the day at 24:00")
        if out and opens < out[-1][1]:
            raise HoursError(f"{part!r} and the range before it overlap", "list the ranges in order, apart")
        out.append((opens, closes))
    return tuple(out)


def _month_day(text: str) -> tuple[int, int]:
    month, day = int(text[:2]), int(text[3:])
    try:
        date(2028, month, day)  # a leap year: 02-29 is a possible yearly closure
    except ValueError:
        raise HoursError(f"{text!r} is not a real date", CLOSED_HINT) from None
    return month, day


def _dated(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HoursError(f"{text!r} is not a real date", CLOSED_HINT) from None


Closure = tuple[date, date] | tuple[tuple[int, int], tuple[int, int]]


def parse_closure(text: str) -> Closure:
    """One item of ``brand.closed``: its first and last day, dates or (for every year) (month, day)."""
    first, _, last = text.strip().partition("/")
    last = last or first
    if len(first) != len(last) or len(first) not in (5, 10):
        raise HoursError(f"{text!r} is not a closure", CLOSED_HINT)
    if len(first) == 5:
        return _month_day(first), _month_day(last)  # (may wrap past the new year: 12-31/01-01)
    start, end = _dated(first), _dated(last)
    if end < start:
        raise HoursError(f"{text!r} ends before it starts", "write the first day, then the last")
    if (end - start).days > 366:
        raise HoursError(f"{text!r} is longer than a year", "list the years' closures apart")
    return start, end


@dataclass(frozen=True)
class Hours:
    """What the calendar declares: each weekday's opening ranges (None: not declared) and the
    closures (dated ranges, and month-day ranges of every year)."""

    weekly: tuple[Ranges | None, ...] = (None,) * 7
    dated: tuple[tuple[date, date], ...] = ()
    yearly: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = ()

    @classmethod
    def of(cls, weekly: Mapping[str, str] | None = None, closed: Iterable[str] = ()) -> Hours:
        """From the texts a calendar has (HoursError on the first that cannot be read)."""
        week: list[Ranges | None] = [None] * 7
        for key, text in (weekly or {}).items():
            if key not in WEEKDAY_KEYS:
                raise HoursError(f"{key!r} is not a weekday", "mon, tue, wed, thu, fri, sat or sun")
            week[WEEKDAY_KEYS.index(key)] = parse_ranges(text)
        dated: list[tuple[date, date]] = []
        yearly: list[tuple[tuple[int, int], tuple[int, int]]] = []
        for spec in closed:
            first, last = parse_closure(spec)
            if isinstance(first, date) and isinstance(last, date):
                dated.append((first, last))
            elif isinstance(first, tuple) and isinstance(last, tuple):
                yearly.append((first, last))
        return cls(tuple(week), tuple(dated), tuple(yearly))

    @property
    def declared(self) -> bool:
        return bool(self.dated or self.yearly or any(r is not None for r in self.weekly))

    def closure(self, day: date) -> bool:
        """Whether ``day`` is one of ``brand.closed``."""
        if any(first <= day <= last for first, last in self.dated):
            return True
        md = (day.month, day.day)
        return any(first <= md <= last if first <= last else (md >= first or md <= last)
                   for first, last in self.yearly)

    def on(self, day: date) -> Ranges | None:
        """The day's opening ranges: () when closed, None when nothing is declared for it."""
        return () if self.closure(day) else self.weekly[day.weekday()]

    def why_closed(self, day: date) -> str:
        return "brand.closed" if self.closure(day) else f"brand.hours: {WEEKDAY_KEYS[day.weekday()]}: closed"


def show_ranges(ranges: Ranges) -> str:
    return ", ".join(f"{_clock(a)}-{_clock(b)}" for a, b in ranges)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def numeric_order(language: str) -> str:
    """How the brand's language writes 30/11: "dm", "md" (en-US) or "" (plain en: either)."""
    if language == "en":
        return ""
    return "md" if language == "en-US" else "dm"


# -- reading a text -----------------------------------------------------------------------------

_HIDDEN = compile_lazily(r"<[^<>]{0,200}>|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
                         r"|[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_NOT_LETTER_AFTER = r"(?![^\W\d_])"
_NOT_LETTER_BEFORE = r"(?<![^\W\d_])"
_MONTH = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
          r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?" + _NOT_LETTER_AFTER)
_MONTHS = {name: n for n, names in enumerate((
    (), ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"), ("october", "oct"), ("november", "nov"),
    ("december", "dec"))) for name in names}
_ORDINAL = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+([0-9]{4})(?![0-9]))?"
# dates starting with a digit (the character before is checked apart: a pattern that starts with a
# digit is scanned for quickly), and those starting with a month's name (looked for only in texts
# that have one)
_DATE_DIGITS = compile_lazily(
        r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?![0-9])"
        rf"|([0-9]{{1,2}})(?:{_ORDINAL}(?:\s+of)?\s+({_MONTH}){_YEAR}"
        r"|/([0-9]{1,2})(?:/([0-9]{4}|[0-9]{2}))?(?![0-9/]))", re.IGNORECASE)
_DATE_MONTH = compile_lazily(rf"({_MONTH})\s+([0-9]{{1,2}}){_ORDINAL}(?![0-9]|[:.][0-9]){_NOT_LETTER_AFTER}{_YEAR}",
                             re.IGNORECASE)
_MONTH_KEYS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DEIXIS_KEYS = ("today", "tonight", "tomorrow", "this", "yesterday", "last", "it's", "it’s", "it is")
_ABBREVIATION_KEYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_NUMERIC = compile_lazily(r"[0-9][/-][0-9]")
_WEEKDAY = compile_lazily(_NOT_LETTER_BEFORE + r"(?:(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
                          r"|((?-i:Mon|Tues?|Wed|Thu(?:rs?)?|Fri|Sat|Sun))\.?)" + _NOT_LETTER_AFTER, re.IGNORECASE)
_ABBREVIATIONS = {"mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4, "sat": 5,
                  "sun": 6}
_JOIN = compile_lazily(r",?\s+(?:the\s+)?", re.IGNORECASE)  # between a weekday and its date
_LISTED = compile_lazily(r"\s*(?:-|–|—|/|&|to|through|thru|till|until|and|or)\s*", re.IGNORECASE)
_QUALIFIED = compile_lazily(_NOT_LETTER_BEFORE + r"(?:every|each|next|last|this|coming|following|previous|past|since"
                            r"|until|till|by|before|after|from|through|between|except|other)\s+(?:the\s+)?$",
                            re.IGNORECASE)
# "It's Friday!", "It is Friday": the day it is, called by its name (not "It's Friday's sale", "if it's Friday")
_IT_IS = (r"|(?<!if\s)(?<!when\s)(?<!unless\s)(?<!whenever\s)it(?:'s|’s|\s+is)"
          r"(?=\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday"
          r"|(?-i:Mon|Tues?|Wed|Thu(?:rs?)?|Fri|Sat|Sun))(?![\w'’])(?!\s+(?:tomorrow|next|again)))")
# "Today is Fri", "It's Fri": an abbreviation that is a weekday without a date after it
_SAYS_DAY = compile_lazily(_NOT_LETTER_BEFORE + r"(?:today|tonight|it)(?:'s|’s|\s+is)\s+$", re.IGNORECASE)
# "Today, the 11th": a day of the month written alone (the month is the nearest that has it)
_ORDINAL_DAY = compile_lazily(_NOT_LETTER_BEFORE + rf"the\s+([0-9]{{1,2}})(?:st|nd|rd|th)(?![^\W\d_])"
                              rf"(?!\s+(?:of\s+)?{_MONTH}(?![^\W\d_]))", re.IGNORECASE)
_DEIXIS = compile_lazily(_NOT_LETTER_BEFORE + r"(today|tonight|this\s+(?:morning|afternoon|evening)" + _IT_IS +
                         r"|tomorrow(?:\s+(?:morning|afternoon|evening|night))?|yesterday|last\s+night)"
                         + _NOT_LETTER_AFTER, re.IGNORECASE)
_NUMBERS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_UNIT_DAYS = {"day": 1, "week": 7, "fortnight": 14}
_SHIFTED = compile_lazily(_NOT_LETTER_BEFORE + r"(?:(?:the\s+)?day\s+(after|before)|(an?|zero|one|two|three|four|five"
                          r"|six|seven|eight|nine|ten|(?<![0-9])[0-9]{1,3})\s+(days?|weeks?|fortnights?|months?|years?)"
                          r"(?:\s+(from|after|before|ago))?)\s+$", re.IGNORECASE)
_SHIFTED_AFTER = compile_lazily(r"\s+(week|fortnight)" + _NOT_LETTER_AFTER, re.IGNORECASE)
# a day written before what happens on it, not as the name of the day the word means ("order
# today – Friday 11 December delivery")
_ATTRIBUTIVE = compile_lazily(r"\s+(?:deliver(?:y|ies)|dispatch(?:es)?|shipping|shipments?|collections?|pick-?ups?"
                              r"|arrivals?|deadlines?|orders?|slots?|appointments?)" + _NOT_LETTER_AFTER, re.IGNORECASE)
# "for two weeks from today", "valid for 30 days from today": a duration that starts today
_DURATION = compile_lazily(_NOT_LETTER_BEFORE + r"(?:for|lasts?|lasting)\s+$", re.IGNORECASE)
# "Tonight's late opening (Friday 11 December)": the day in brackets after what today's or
# tonight's is (a few words, none of them what is done on another day: "today's orders ship (Monday …)")
_POSSESSIVE = compile_lazily(r"(?:'s|’s)((?:\s+[^\W\d_]+(?:-[^\W\d_]+)?){1,3})\s*[(\[]\s*", re.IGNORECASE)
_ANOTHER_DAYS = compile_lazily(_NOT_LETTER_BEFORE + r"(?:deliver(?:y|ies)|dispatch(?:es)?|ship(?:s|ping|ments?)?"
                           r"|collections?|pick-?ups?|arrivals?|deadlines?|orders?|slots?|appointments?|photos?"
                           r"|news|post|recap|winners?)" + _NOT_LETTER_AFTER, re.IGNORECASE)
# "this Sunday", "this coming Sunday": the next such day, or today (not "every", "next", "last"…)
_THIS = compile_lazily(_NOT_LETTER_BEFORE + r"(?:this|this\s+coming|coming)\s+(?:the\s+)?$", re.IGNORECASE)
# "Happy Friday!": a greeting of the day the post goes out
_GREETING = compile_lazily(_NOT_LETTER_BEFORE + r"happy\s+$", re.IGNORECASE)
_BRACKETED = compile_lazily(r"\s*[(\[]")  # "not today (Friday 11 December)": the day is still called today
_NEGATED = compile_lazily(_NOT_LETTER_BEFORE + r"(?:not|instead\s+of|rather\s+than)\s+$", re.IGNORECASE)
_PUNCT = r"[\s,:()\[\]\-–—]*"
_GLUE = compile_lazily(_PUNCT + r"(?:(?:is|it|it's|it’s|on|the|only)" + _NOT_LETTER_AFTER + _PUNCT + r"){0,2}",
                       re.IGNORECASE)
_SPACES = compile_lazily(r"\s*")
_HEADING = compile_lazily(r"\s*[:–—]|\s+-\s")
_LEAD = compile_lazily(r"[\s\-–—•*#>\"'“‘(]*")
_BOUNDARY = compile_lazily(r"(?<![.!?])[.!?]+(?=\s+[^\s\da-z]|\s*$)|[;\n\r\u2028\u2029]+")
_OPEN = compile_lazily(_NOT_LETTER_BEFORE + r"(?:(?:we(?:'re|’re|\s+are|\s+will\s+be|'ll\s+be|’ll\s+be)|is|are|be"
                       r"|stays?|remains?|still|shop|store|showroom|doors)\s+open"
                       r"|open(?:s|ing)?\s+(?:late|early|today|tonight|this|tomorrow|on|from|until|till|at|again"
                       r"|as\s+usual)|open(?=\s[0-9]{1,2}(?:[:.][0-9]{2}|\s?[ap]\.?m))"  # open 10:00-19:00
                       r"|(?:late|early|late-night|evening|special)\s+opening"
                       r"|(?:come|drop|pop|stop)\s+(?:by|in|over|round|along|and)|visit\s+(?:us|our)|see\s+you"
                       r"|clos(?:es|ing)\s+at)" + _NOT_LETTER_AFTER, re.IGNORECASE)
_NOT_OPEN = compile_lazily(_NOT_LETTER_BEFORE + r"(?:closed|shut|not\s+open|no\s+late\s+opening|cancel+ed|closure)"
                           + _NOT_LETTER_AFTER, re.IGNORECASE)
_EXCEPTION = compile_lazily(_NOT_LETTER_BEFORE + r"(?:late\s+opening|open(?:ing)?\s+late|late[-\s]night|extended"
                            r"|special\s+(?:opening\s+)?hours|early\s+opening|open(?:ing)?\s+early)"
                            + _NOT_LETTER_AFTER, re.IGNORECASE)
# the parts of a sentence ("open today until 4 pm, and on Monday until 7 pm"): each one's hours are
# those of the days it names
_CLAUSE = compile_lazily(r"[,;()\[\]]|:(?=\s)|(?<!\s)\s+(?:and|or|but|while|whereas|plus)\s|\s[-–—]\s|[–—]",
                         re.IGNORECASE)  # (a run of spaces tried from its start only: linear)
_GENERIC = compile_lazily(_NOT_LETTER_BEFORE + r"(?:weekdays|weekends?|(?:mon|tues|wednes|thurs|fri|satur|sun)days"
                          r"|every\s+day|daily|usually|normally|otherwise|other\s+days|holidays?)" + _NOT_LETTER_AFTER,
                          re.IGNORECASE)
_LINK_MARK = "\u2002"  # what a link reads as: a space (an en space, to know it was a link)
_ONLINE = compile_lazily(_NOT_LETTER_BEFORE + r"(?:on-?line|web\s?(?:shop|store|site)|website|e-?(?:shop|store)"
                         r"|(?:our|the)\s+app|app\s+store|(?:live\s+)?chat|hotline|(?:by|on\s+the)\s+phone"
                         r"|(?<![a-z0-9-])[a-z0-9][a-z0-9-]{0,62}\.(?:example|com|net|org|shop|store|de|fr|nl|eu|io|co\.uk|uk))"
                         + _NOT_LETTER_AFTER, re.IGNORECASE)
# "support" and a link are online only in a clause that does not speak of the place ("our showroom
# is open today for support", "come by today for support")
_SUPPORT = compile_lazily(_NOT_LETTER_BEFORE + r"support" + _NOT_LETTER_AFTER, re.IGNORECASE)
_PLACE = compile_lazily(_NOT_LETTER_BEFORE + r"(?:(?:our|the)\s+(?:showroom|store|shop|branch)"
                        r"|(?:come|drop|pop|stop)\s+(?:by|in|over|round|along))" + _NOT_LETTER_AFTER, re.IGNORECASE)
_PHYSICAL = compile_lazily(_NOT_LETTER_BEFORE + r"(?:in[-\s]store|in\s+person|doors|(?:in|at|to)\s+(?:the|our)\s+"
                           r"(?:showroom|store|shop|branch))" + _NOT_LETTER_AFTER, re.IGNORECASE)
_CLOCK = (r"(?:[0-9]{1,2}(?:[:.][0-5][0-9])?\s*[ap]\.?m\.?" + _NOT_LETTER_AFTER
          + r"|[0-9]{1,2}:[0-5][0-9](?![0-9])|noon|midday|midnight"
          # 18h, 18h30, and 9 before "-18h" (9-18h)
          + r"|[0-9]{1,2}h(?:[0-5][0-9])?(?![^\W_])|[0-9]{1,2}(?=\s*[-–—]\s*[0-9]{1,2}h(?:[0-5][0-9])?(?![^\W_])))")
_TIMES = compile_lazily(rf"(?:from\s+)?(?<![0-9:.])({_CLOCK})\s*(?:-|–|—|to|until|till)\s*({_CLOCK})"
                        rf"|{_NOT_LETTER_BEFORE}(until|till|clos(?:es?|ing)\s+at|from|opens?\s+at|opening\s+at)\s+({_CLOCK})",
                        re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DayRef:
    """A day a text names: a weekday (0 = Monday), a date (month, day, year or 0), or both."""

    start: int
    end: int
    weekday: int | None
    month: int = 0
    day: int = 0
    year: int = 0
    listed: bool = False  # in a range or a list
    qualified: bool = False  # after every, next, since, until…

    def resolve(self, today: date, nearest: bool) -> date | None:
        """The date meant, seen from ``today``: the nearest one, or the first on or after it."""
        if not self.month and self.day:  # a day of the month alone: in the nearest month that has it
            months = [(today.year + (today.month - 2 + k) // 12, (today.month - 2 + k) % 12 + 1) for k in range(3)]
            return _pick([d for y, m in months if (d := _date(y, m, self.day)) is not None], today, nearest)
        if not self.month:
            assert self.weekday is not None
            shift = (self.weekday - today.weekday()) % 7
            return today + timedelta(days=shift - 7 if nearest and shift > 3 else shift)
        if self.year:
            return _date(self.year, self.month, self.day)
        return _pick([d for y in (today.year - 1, today.year, today.year + 1)
                      if (d := _date(y, self.month, self.day)) is not None], today, nearest)


def _pick(found: list[date], today: date, nearest: bool) -> date | None:
    """Of dates in order, the nearest to ``today``, or the first on or after it."""
    if nearest:
        return min(found, key=lambda d: abs((d - today).days), default=None)
    return next((d for d in found if d >= today), None)


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Deixis:
    start: int
    end: int
    shift: int  # days from the day the post goes out
    evening: bool  # tonight, this evening


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    claim: tuple[int, int] | None  # where it says the shop is open or asks people in
    exception: bool  # it announces a late or special opening (its times are not checked)
    clauses: tuple[tuple[int, bool], ...] = ()  # where each clause starts; whether it is about the website


@dataclass(frozen=True)  # (no slots: its cached properties)
class Parsed:
    """What a text says about days, read once (:func:`parse`) and checked for each day it goes out."""

    text: str  # as read (see :func:`clean`)
    where: tuple[int, ...] | None  # index in the text as given of each character read, and its end
    refs: tuple[DayRef, ...] = ()
    deixes: tuple[Deixis, ...] = ()
    pairs: tuple[tuple[int, int], ...] = ()  # (deixis, ref) written together
    sentences: tuple[Sentence, ...] = ()

    @cached_property
    def paired(self) -> frozenset[int]:
        """The days written with a "today"/"tonight"…"""
        return frozenset(ri for _, ri in self.pairs)

    def refs_in(self, start: int, end: int) -> range:
        """The indices of the days named from ``start`` to ``end``."""
        starts = self._starts[0]
        return range(bisect_left(starts, start), bisect_left(starts, end))

    def deixes_in(self, start: int, end: int) -> range:
        """The indices of the "today"/"tonight"… written from ``start`` to ``end``."""
        starts = self._starts[1]
        return range(bisect_left(starts, start), bisect_left(starts, end))

    @cached_property
    def _starts(self) -> tuple[list[int], list[int]]:
        return [r.start for r in self.refs], [dx.start for dx in self.deixes]

    def span(self, start: int, end: int) -> tuple[int, int]:
        if self.where is None:
            return start, end
        return self.where[start], self.where[end - 1] + 1 if end > start else self.where[start]

    def quote(self, start: int, end: int) -> str:
        return " ".join(self.text[start:end].split())


def clean(text: str) -> tuple[str, tuple[int, ...] | None]:
    """The text as people read it (links blanked, tags as spaces, entities as characters, invisible
    format characters dropped) and, when that changed more than the links, where each character was."""
    text = URL_RE.sub(lambda m: _LINK_MARK * len(m.group(0)), text)
    if _HIDDEN.search(text) is None:
        return text, None
    parts: list[str] = []
    where: list[int] = []
    last = 0
    for m in _HIDDEN.finditer(text):
        parts.append(text[last:m.start()])
        where.extend(range(last, m.start()))
        found = m.group(0)
        shown = " " if found[0] == "<" else html.unescape(found) if found[0] == "&" else ""
        parts.append(shown)
        where.extend([m.start()] * len(shown))
        last = m.end()
    parts.append(text[last:])
    where.extend(range(last, len(text) + 1))
    return "".join(parts), tuple(where)


def _starts_a_word(text: str, at: int, also: str = "") -> bool:
    if at == 0:
        return True
    before = text[at - 1]
    return not (before.isalnum() or before == "_" or before in also)


def _digit_date(m: re.Match[str], order: str) -> tuple[int, int, int] | None:
    """(year or 0, month, day) of a match of :data:`_DATE_DIGITS`, or None (30/11 in plain en, 24/7)."""
    g = m.groups()
    if g[0] is not None:
        return int(g[0]), int(g[1]), int(g[2])
    if g[4] is not None:
        return int(g[5] or 0), _MONTHS[g[4].lower().rstrip(".")], int(g[3])
    if not order or m.group(0) == "24/7":
        return None
    first, second = int(g[3]), int(g[6])
    day, month = (first, second) if order == "dm" else (second, first)
    year = (int(g[7]) if len(g[7]) == 4 else 2000 + int(g[7])) if g[7] else 0
    return year, month, day


def _dates(text: str, order: str, months: bool) -> list[DayRef]:
    """The dates written (``months``: whether the text has a month's name)."""
    found: list[tuple[int, int, tuple[int, int, int] | None]] = [
        (m.start(), m.end(), _digit_date(m, order)) for m in _DATE_DIGITS.finditer(text)
        if _starts_a_word(text, m.start(), "/.-:")]
    found += [(m.start(), m.end(), (int(m.group(3) or 0), _MONTHS[m.group(1).lower().rstrip(".")], int(m.group(2))))
              for m in (_DATE_MONTH.finditer(text) if months else ()) if _starts_a_word(text, m.start())]
    out = [DayRef(start, end, None, ymd[1], ymd[2], ymd[0]) for start, end, ymd in found
           if ymd is not None and _date(ymd[0] or 2028, ymd[1], ymd[2]) is not None]
    out.sort(key=lambda r: r.start)
    return out


def _refs(text: str, order: str, lower: str) -> list[DayRef]:
    """The days the text names, in order: weekdays joined to the date written after them."""
    months = any(k in lower for k in _MONTH_KEYS)
    dates = _dates(text, order, months) if months or _NUMERIC.search(text) else []
    if "the" in lower:
        dates = sorted(dates + _ordinal_days(text, dates), key=lambda r: r.start)
    weekdays = "day" in lower or ((bool(dates) or "it" in lower) and any(k in text for k in _ABBREVIATION_KEYS))
    out = _weekdays(text, dates) if weekdays else list(dates)
    return _marked(text, out)


def _ordinal_days(text: str, dates: list[DayRef]) -> list[DayRef]:
    """The days of the month written alone ("the 11th"), where no other date is."""
    taken = [(d.start, d.end) for d in dates]
    return [DayRef(m.start(1), m.end(), None, 0, int(m.group(1))) for m in _ORDINAL_DAY.finditer(text)
            if 1 <= int(m.group(1)) <= 31 and not any(a < m.end() and m.start() < b for a, b in taken)]


def _weekdays(text: str, dates: list[DayRef]) -> list[DayRef]:
    """The weekdays written, each joined to the date written right after it, and the other dates."""
    starts = [d.start for d in dates]
    out: list[DayRef] = []
    used: set[int] = set()
    for m in _WEEKDAY.finditer(text):
        weekday = (_WEEKDAY_NAMES.index(m.group(1).capitalize()) if m.group(1)
                   else _ABBREVIATIONS[m.group(2).lower()])
        i = bisect_left(starts, m.end())
        if i < len(dates) and dates[i].start - m.end() <= 12 and _JOIN.fullmatch(text, m.end(), dates[i].start):
            d = dates[i]
            out.append(DayRef(m.start(), d.end, weekday, d.month, d.day, d.year))
            used.add(i)
        elif m.group(1) or _SAYS_DAY.search(text, max(0, m.start() - 16), m.start()):
            # (an abbreviation is a weekday only before a date, or after "today is")
            out.append(DayRef(m.start(), m.end(), weekday))
    out += [d for i, d in enumerate(dates) if i not in used]
    out.sort(key=lambda r: r.start)
    return out


def _marked(text: str, refs: list[DayRef]) -> list[DayRef]:
    """Each day marked as listed (in a range or list with the one before or after it) or qualified."""
    listed = [False] * len(refs)
    for i in range(len(refs) - 1):
        a, b = refs[i], refs[i + 1]
        gap = text[a.end:b.start]
        weekdays_only = not a.month and not b.month
        if len(gap) <= 12 and (_LISTED.fullmatch(gap) or (weekdays_only and gap.strip() == ",")):
            listed[i] = listed[i + 1] = True
    out = []
    for ref, in_list in zip(refs, listed, strict=True):
        qualified = _QUALIFIED.search(text, max(0, ref.start - 24), ref.start) is not None
        out.append(DayRef(ref.start, ref.end, ref.weekday, ref.month, ref.day, ref.year, in_list, qualified))
    return out


def _deixes(text: str) -> list[Deixis]:
    out = []
    for m in _DEIXIS.finditer(text):
        word = m.group(1).lower()
        shift = 1 if word.startswith("tomorrow") else -1 if word in ("yesterday",) or word.startswith("last") else 0
        moved = _moved(text, m.start(), m.end())
        if moved is None:
            continue
        start, end, more = moved
        out.append(Deixis(start, end, shift + more,
                          not more and (word == "tonight" or word.endswith("evening") and shift == 0)))
    return out


def _moved(text: str, start: int, end: int) -> tuple[int, int, int] | None:
    """The span and the days added by the words around a "today"/"tomorrow"… ("the day after
    tomorrow", "a week from today", "tomorrow week"), or None when they make it no day of its own
    ("not today", "a year ago today")."""
    if _NEGATED.search(text, max(0, start - 16), start) and not _BRACKETED.match(text, end):
        return None
    before = _SHIFTED.search(text, max(0, start - 40), start)
    if before is not None and before.group(2) and _DURATION.search(text, max(0, before.start() - 16), before.start()):
        return start, end, 0
    after = _SHIFTED_AFTER.match(text, end)
    more = 0
    if before is not None:
        if before.group(1):
            more = 1 if before.group(1).lower() == "after" else -1
        else:
            unit = before.group(3).lower().rstrip("s")
            if unit not in _UNIT_DAYS:
                return None
            back = (before.group(4) or "").lower() in ("before", "ago")
            more = _count(before.group(2)) * _UNIT_DAYS[unit] * (-1 if back else 1)
        start = before.start()
    if after is not None:
        more += _UNIT_DAYS[after.group(1).lower()]
        end = after.end()
    return start, end, more


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS.index(word.lower()) if word.lower() in _NUMBERS else 1


def _pairable(text: str, start: int, end: int, ref: DayRef) -> bool:
    if ref.listed or ref.qualified:
        return False
    if end - start <= 24 and _GLUE.fullmatch(text, start, end) is not None:
        return True
    owned = _POSSESSIVE.fullmatch(text, start, end) if end - start <= 48 else None
    return owned is not None and _ANOTHER_DAYS.search(owned.group(1)) is None


def _pairs(text: str, refs: list[DayRef], deixes: list[Deixis], sentences: list[Sentence]) -> list[tuple[int, int]]:
    """Each "today"/"tonight"… and the day written next to it (after it, else before it), then the
    days heading a sentence ("Monday 30 November: …") and the first such word after them in it."""
    starts = [r.start for r in refs]
    heads = [s.start for s in sentences]
    out: list[tuple[int, int]] = []
    used: set[int] = set()
    for di, dx in enumerate(deixes):
        i = bisect_left(starts, dx.end)
        if i < len(refs) and i not in used and _pairable(text, dx.end, refs[i].start, refs[i]) and (
                _ATTRIBUTIVE.match(text, refs[i].end) is None or _opens(text, sentences, heads, dx.start)):
            out.append((di, i))
            used.add(i)
        elif i > 0 and i - 1 not in used and refs[i - 1].end <= dx.start and _pairable(
                text, refs[i - 1].end, dx.start, refs[i - 1]):
            out.append((di, i - 1))
            used.add(i - 1)
    _headings(text, refs, deixes, sentences, used, out)
    return sorted(out)


def _opens(text: str, sentences: list[Sentence], heads: list[int], at: int) -> bool:
    """Whether ``at`` opens its sentence ("Today, Friday 11 December orders…": the day is today's
    name, not that of the orders)."""
    i = bisect_right(heads, at) - 1
    return i >= 0 and _LEAD.fullmatch(text, sentences[i].start, at) is not None


def _headings(text: str, refs: list[DayRef], deixes: list[Deixis], sentences: list[Sentence], used: set[int],
              out: list[tuple[int, int]]) -> None:
    """The pairs of a day heading a sentence and the first "today"/"tonight"… after it, added to ``out``."""
    starts = [r.start for r in refs]
    paired = {di for di, _ in out}
    deixis_starts = [dx.start for dx in deixes]
    for sentence in sentences:
        i = bisect_left(starts, sentence.start)
        if i in used or not _heads(text, refs, i, sentence):
            continue
        di = bisect_left(deixis_starts, refs[i].end)
        while di < len(deixes) and di in paired:
            di += 1
        if di < len(deixes) and deixes[di].start < sentence.end:
            out.append((di, i))
            paired.add(di)


def _heads(text: str, refs: list[DayRef], i: int, sentence: Sentence) -> bool:
    """Whether day ``i`` opens the sentence, before a colon or a dash."""
    if i >= len(refs) or refs[i].start >= sentence.end or refs[i].listed or refs[i].qualified:
        return False
    ref = refs[i]
    return _LEAD.fullmatch(text, sentence.start, ref.start) is not None and _HEADING.match(text, ref.end) is not None


def _clauses(text: str, start: int, end: int, days: tuple[set[int], set[int]]) -> list[int]:
    """Where each clause of a sentence (``start``-``end``) starts (split at :data:`_CLAUSE`); an
    "and"/"or" between two days (``days``: where days end, where days start) lists them ("open
    today and tomorrow until 7 pm"), it does not split."""
    bounds = [start]
    for m in _CLAUSE.finditer(text, start, end):
        word = m.group(0).strip().lower()
        if word in ("and", "or") and m.start() in days[0] and _word_after(text, m.end()) in days[1]:
            continue
        bounds.append(m.end())
    return bounds


def _word_after(text: str, at: int) -> int:
    found = _SPACES.match(text, at)
    return found.end() if found is not None else at


def _online(text: str, start: int, end: int) -> bool:
    """Whether a clause is about the website, the app or the support ("visit us online today"),
    not the shop's doors (a closure concerns those only)."""
    if _PHYSICAL.search(text, start, end) is not None:
        return False
    if _ONLINE.search(text, start, end) is not None:
        return True
    return (_LINK_MARK in text[start:end] or _SUPPORT.search(text, start, end) is not None) and (
        _PLACE.search(text, start, end) is None)


def _sentences(text: str, days: tuple[set[int], set[int]]) -> list[Sentence]:
    bounds = [0]
    for m in _BOUNDARY.finditer(text):
        bounds.append(m.end())
    bounds.append(len(text))
    out = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        if end <= start:
            continue
        claims = list(_OPEN.finditer(text, start, end))
        if not claims:
            out.append(Sentence(start, end, None, False))
            continue
        starts = _clauses(text, start, end, days)
        clauses = tuple((first, _online(text, first, last))
                        for first, last in zip(starts, starts[1:] + [end], strict=True))
        claim = next((m for m in claims if not clauses[bisect_right(starts, m.start()) - 1][1]), None)
        if claim is not None and _NOT_OPEN.search(text, start, end) is not None:
            claim = None
        out.append(Sentence(start, end, claim.span() if claim else None,
                            claim is not None and _EXCEPTION.search(text, start, end) is not None, clauses))
    return out


@lru_cache(maxsize=8192)  # a plan's texts recur (a template on many days, on several accounts)
def parse(text: str, order: str) -> Parsed:
    """What ``text`` says about days (``order``: see :func:`numeric_order`)."""
    shown, where = clean(text)
    lower = shown.lower()  # (for what is there only: its length may differ)
    refs = _refs(shown, order, lower)
    deixes = _deixes(shown) if any(k in lower for k in _DEIXIS_KEYS) else []
    if not refs and not deixes:
        return Parsed(shown, where)
    days = ({r.end for r in refs} | {dx.end for dx in deixes}, {r.start for r in refs} | {dx.start for dx in deixes})
    sentences = _sentences(shown, days)
    pairs = _pairs(shown, refs, deixes, sentences)
    return Parsed(shown, where, tuple(refs), tuple(deixes), tuple(pairs), tuple(sentences))


# -- checking it against the day it goes out ------------------------------------------------------

def _day(d: date) -> str:
    return f"{_WEEKDAY_NAMES[d.weekday()]} {d.day} {_MONTH_NAMES[d.month]} {d.year}"


def _zone(local: datetime) -> str:
    return str(getattr(local.tzinfo, "key", "") or local.tzname() or "")


_NAME_IT = ", or name the day it goes out: {weekday} {date} do"


class DayChecker:
    """The four rules for one brand: its language (how it writes 30/11) and its declared hours."""

    def __init__(self, language: str = "en", hours: Hours | None = None):
        self.order = numeric_order(language)
        self.hours = hours if hours is not None and hours.declared else None

    def check(self, text: str, local: datetime) -> list[Raw]:
        """What is wrong with ``text`` going out at ``local`` (aware, in the brand's zone)."""
        parsed = parse(text, self.order)
        if not parsed.refs and not parsed.deixes:
            return []
        out: list[Raw] = []
        _weekday_and_date(parsed, local.date(), out)
        _wrong_days(parsed, local, out)
        _greetings(parsed, local, out)
        _after_midnight(parsed, local, out)
        if self.hours is not None:
            _against_hours(parsed, local.date(), self.hours, out)
        return out


def _weekday_and_date(parsed: Parsed, today: date, out: list[Raw]) -> None:
    for ref in parsed.refs:
        if ref.weekday is None or not ref.month:
            continue
        named = ref.resolve(today, nearest=True)
        if named is not None and named.weekday() != ref.weekday:
            out.append(("wrong-day", f"{parsed.quote(ref.start, ref.end)!r}: {named.day} {_MONTH_NAMES[named.month]} "
                                     f"{named.year} is a {_WEEKDAY_NAMES[named.weekday()]}, not a "
                                     f"{_WEEKDAY_NAMES[ref.weekday]}",
                        "fix the weekday or the date", parsed.span(ref.start, ref.end)))


def _wrong_days(parsed: Parsed, local: datetime, out: list[Raw]) -> None:
    today = local.date()
    for di, ri in parsed.pairs:
        dx, ref = parsed.deixes[di], parsed.refs[ri]
        meant = today + timedelta(days=dx.shift)
        named = ref.resolve(today, nearest=True)
        if named is None or (named == meant if ref.month or ref.day else ref.weekday == meant.weekday()):
            continue
        start, end = min(dx.start, ref.start), max(dx.end, ref.end)
        if "(" in parsed.text[start:end] and ")" not in parsed.text[start:end] and parsed.text[end:end + 1] == ")":
            end += 1
        word = parsed.quote(dx.start, dx.end).lower()
        then = f": {word} is {_day(meant)}" if dx.shift else ""
        if ref.month or ref.day:
            hint = f"post it on {_day(named - timedelta(days=dx.shift))} ({_zone(local)})"
        else:
            hint = f"post it on a {_WEEKDAY_NAMES[((ref.weekday or 0) - dx.shift) % 7]}"
        out.append(("wrong-day", f"{parsed.quote(start, end)!r}, but it goes out on {_day(today)} at "
                                 f"{local:%H:%M} ({_zone(local)}){then}", hint + _NAME_IT, parsed.span(start, end)))


def _greetings(parsed: Parsed, local: datetime, out: list[Raw]) -> None:
    """"Happy Friday" in a post that goes out on another day (unless its sentence says which:
    "Happy Friday tomorrow")."""
    today = local.date()
    for ref in parsed.refs:
        greeting = _GREETING.search(parsed.text, max(0, ref.start - 12), ref.start)
        if greeting is None or ref.weekday is None or ref.month or ref.listed or ref.weekday == today.weekday():
            continue
        sentence = next((s for s in parsed.sentences if s.start <= ref.start < s.end), None)
        if sentence is not None and any(parsed.deixes[i].shift for i in parsed.deixes_in(sentence.start, sentence.end)):
            continue
        start = greeting.start()
        out.append(("wrong-day", f"{parsed.quote(start, ref.end)!r}, but it goes out on {_day(today)} at "
                                 f"{local:%H:%M} ({_zone(local)})",
                    f"post it on a {_WEEKDAY_NAMES[ref.weekday]}" + _NAME_IT, parsed.span(start, ref.end)))


def _after_midnight(parsed: Parsed, local: datetime, out: list[Raw]) -> None:
    if local.hour >= 4:
        return
    paired = {di for di, _ in parsed.pairs}
    for di, dx in enumerate(parsed.deixes):
        if dx.evening and di not in paired:
            out.append(("after-midnight", f"{parsed.quote(dx.start, dx.end)!r} in a post that goes out at "
                                          f"{local:%H:%M} on {_day(local.date())} ({_zone(local)}): readers may "
                                          "take it for the night that is ending",
                        "name the evening, e.g. 'tonight ({weekday} {date})', or post it in the daytime",
                        parsed.span(dx.start, dx.end)))
            return


def _this(parsed: Parsed, ref: DayRef, today: date) -> date | None:
    """The day "this Sunday" (a weekday after "this" or "coming") means: the next one, or today."""
    if ref.weekday is None or ref.month or ref.listed or _THIS.search(parsed.text, max(0, ref.start - 24),
                                                                      ref.start) is None:
        return None
    return ref.resolve(today, nearest=False)


def _days_of(parsed: Parsed, sentence: Sentence, today: date) -> list[date]:
    """The days a sentence is about: those it names (not listed nor qualified, but "this Sunday"),
    else those its "today", "tonight", "tomorrow"… mean."""
    days = []
    for i in parsed.refs_in(sentence.start, sentence.end):
        ref = parsed.refs[i]
        named = _this(parsed, ref, today) if ref.qualified else None
        if not ref.listed and not ref.qualified:
            named = ref.resolve(today, nearest=i in parsed.paired)
        if named is not None:
            days.append(named)
    if not days:
        days = [today + timedelta(days=parsed.deixes[i].shift) for i in parsed.deixes_in(sentence.start, sentence.end)]
    return list(dict.fromkeys(days))


def _against_hours(parsed: Parsed, today: date, hours: Hours, out: list[Raw]) -> None:
    for sentence in parsed.sentences:
        if sentence.claim is None:
            continue
        days = _days_of(parsed, sentence, today)
        closed = next((day for day in days if hours.on(day) == ()), None)
        if closed is not None:
            out.append(("closed-day", f"{parsed.quote(*sentence.claim)!r} on {_day(closed)}, a day the calendar "
                                      f"declares closed ({hours.why_closed(closed)})",
                        "move the post, or say when you open again", parsed.span(*sentence.claim)))
        if days and not sentence.exception:
            _times(parsed, sentence, _clause_days(parsed, sentence, today), hours, out)


def _clause_days(parsed: Parsed, sentence: Sentence, today: date) -> list[tuple[int, list[date | None]]]:
    """Where each clause of a sentence starts and the days it names (None: a day that is not one
    date, "Monday to Friday", "weekdays", "from Monday"); a clause that names none has those of
    the clause before it (the first ones, those of the first clause that names a day)."""
    bounds = [start for start, _ in sentence.clauses]
    named = _named(parsed, sentence, today)
    where = [at for at, _ in named]
    clauses: list[tuple[int, list[date | None]]] = []
    for start, end in zip(bounds, bounds[1:] + [sentence.end], strict=True):
        days = list(dict.fromkeys(day for _, day in named[bisect_left(where, start):bisect_left(where, end)]))
        clauses.append((start, days or (clauses[-1][1] if clauses else [])))
    first = next((days for _, days in clauses if days), [])
    return [(start, days or first) for start, days in clauses]


def _named(parsed: Parsed, sentence: Sentence, today: date) -> list[tuple[int, date | None]]:
    """Where a sentence names a day, and the day (None: not one date), in order."""
    refs, deixes = parsed.refs, parsed.deixes
    named: list[tuple[int, date | None]] = [
        (refs[i].start, None if refs[i].listed or refs[i].qualified else refs[i].resolve(today, i in parsed.paired))
        for i in parsed.refs_in(sentence.start, sentence.end)]
    named += [(deixes[i].start, today + timedelta(days=deixes[i].shift))
              for i in parsed.deixes_in(sentence.start, sentence.end)]
    named += [(m.start(), None) for m in _GENERIC.finditer(parsed.text, sentence.start, sentence.end)]
    return sorted(named, key=lambda n: n[0])


def _times(parsed: Parsed, sentence: Sentence, clauses: list[tuple[int, list[date | None]]], hours: Hours,
           out: list[Raw]) -> None:
    """Opening times before the day's first opening, closing times after its last closing, each
    against the days its clause names."""
    starts = [start for start, _ in clauses]
    for m in _TIMES.finditer(parsed.text, sentence.start, sentence.end):
        if sentence.clauses[bisect_right(starts, m.start()) - 1][1]:
            continue  # the website's hours ("but our chat is open until 9 pm")
        if m.group(1):
            early, late = _minutes(m.group(1)), _minutes(m.group(2))
        elif m.group(3).lower() in ("until", "till") or m.group(3).lower().startswith("clos"):
            early, late = None, _minutes(m.group(4))
        else:
            early, late = _minutes(m.group(4)), None
        for day in clauses[bisect_right(starts, m.start()) - 1][1]:
            _time(parsed, m, day, hours, early, late, out)


def _time(parsed: Parsed, m: re.Match[str], day: date | None, hours: Hours, early: int | None, late: int | None,
          out: list[Raw]) -> None:
    ranges = hours.on(day) if day is not None else None
    if day is None or not ranges:
        return
    if (early is not None and early < ranges[0][0]) or (late is not None and late > ranges[-1][1]):
        out.append(("opening-hours", f"{parsed.quote(*m.span())!r} on {_day(day)}, outside the calendar's "
                                     f"hours for that day ({show_ranges(ranges)}: brand.hours: "
                                     f"{WEEKDAY_KEYS[day.weekday()]})",
                    "give the declared hours, or say it is a late or special opening", parsed.span(*m.span())))


_CLOCK_PARTS = compile_lazily(r"([0-9]{1,2})(?:[:.]([0-9]{2}))?(?:([ap])\.?m\.?)?")


def _minutes(text: str) -> int | None:
    """A time of day as written (9 pm, 8.30 am, 21:00, noon) in minutes after midnight, or None."""
    plain = re.sub(r"\s", "", text.lower())
    if plain[-1:].isdigit() and "h" in plain or plain.endswith("h"):  # 18h, 18h30
        plain = plain.replace("h", ":").rstrip(":")
    if plain in ("noon", "midday"):
        return 12 * 60
    if plain == "midnight":
        return 24 * 60
    found = _CLOCK_PARTS.fullmatch(plain)
    if found is None:
        return None
    hour, minute, half = int(found.group(1)), int(found.group(2) or 0), found.group(3)
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "p" else 0)
    elif hour > 24 or (hour == 24 and minute):
        return None
    return hour * 60 + minute
