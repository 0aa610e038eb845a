"""Post templates: plain text with ``{field}`` placeholders and nothing else.

A template can name only the brand's values and the occurrence's date fields, by
their full dotted name (``{links.order_tracking}`` is looked up as that whole
string, never as attribute access), and cannot carry conversions or format specs
(``{date!r}``, ``{x:>999999}``).  So a template like ``{links.__class__}`` is a
validation error, never a leak, and no template can make rendering slow or large.
``{{`` and ``}}`` write literal braces.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import TemplateError
from .networks import URL_RE
from .schemacheck import did_you_mean
from .timeparse import month_name

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SEASONS_NORTH = ("winter", "winter", "spring", "spring", "spring", "summer",
                  "summer", "summer", "autumn", "autumn", "autumn", "winter")

# Occurrence fields, with a description for docs/reference/calendar.md and `herald schema`.
OCCURRENCE_FIELDS = {
    "weekday": "day of the week, e.g. Monday",
    "day": "day of the month, e.g. 1",
    "month": "month name, e.g. December",
    "year": "e.g. 2026",
    "date": "e.g. 1 December 2026",
    "date_iso": "e.g. 2026-12-01",
    "time": "local time, e.g. 10:00",
    "season": "winter, spring, summer or autumn (in the brand's hemisphere)",
    "part_of_day": "morning, afternoon or evening",
}
# The longest value each occurrence field can take, for worst-case length checks.
_LONGEST = {
    "weekday": "Wednesday", "day": "30", "month": "September", "year": "2026",
    "date": "30 September 2026", "date_iso": "2026-09-30", "time": "10:00", "season": "summer",
    "part_of_day": "afternoon",
}


# Compiled templates kept (see :func:`compiled`): a few hundred bytes each, whatever the calendar's size.
COMPILED_CACHE = 4096


@dataclass(frozen=True, slots=True)
class Template:
    """A checked template as written: its text and where.  What rendering needs (the
    %-format) is made from the text when it is first rendered and kept in a bounded cache
    (:func:`compiled`), so a loaded calendar holds one string per template, not its parse:
    only the posts that are due ever have one."""

    source: str
    line: int = 0  # where it was written, for findings about it (0: not from a file)
    col: int = 0

    @property
    def fields(self) -> tuple[str, ...]:
        return compiled(self.source)[1]

    def render(self, values: dict[str, str]) -> str:
        return compiled(self.source)[0] % values

    def __reduce__(self) -> tuple[type[Template], tuple[str, int, int]]:
        """Pickled as its three values: a calendar loaded in a child process comes over pickled,
        and the dataclass's own way for slots runs a Python loop over its fields per template."""
        return Template, (self.source, self.line, self.col)


_NO_BAD_FIELD = (-1, "")


@lru_cache(maxsize=COMPILED_CACHE)
def compiled(source: str) -> tuple[str, tuple[str, ...], tuple[int, str]]:
    """What rendering ``source`` needs: its %-format ("Track it: %(links.order_tracking)s":
    rendered in C, 250,000 times a year) and its fields, with the first field that has a
    conversion or format spec (its index and why it is refused; -1 when none has).  Bounded:
    planning goes post by post, so the few templates of the post at hand are what is asked for
    again, and a loaded calendar's templates that are never due are never held compiled."""
    try:
        parsed = list(string.Formatter().parse(source))
    except ValueError as exc:
        raise TemplateError(f"template is not well formed: {exc}; write {{{{ and }}}} for literal braces") from None
    printf: list[str] = []
    fields: list[str] = []
    bad = _NO_BAD_FIELD
    for literal, name, spec, conversion in parsed:
        printf.append(literal.replace("%", "%%"))
        if name is None:
            continue
        if (conversion or spec) and bad is _NO_BAD_FIELD:
            bad = (len(fields), f"template field {{{name}{'!' + conversion if conversion else ''}"
                                f"{':' + spec if spec else ''}}} has a conversion or format; "
                                "only plain {field} is allowed")
        printf.append(f"%({name})s")
        fields.append(name)
    return "".join(printf), tuple(fields), bad


def compile_template(source: str, known: frozenset[str] | set[str], line: int = 0, col: int = 0) -> Template:
    """Check ``source``; raise TemplateError naming the first bad field and the allowed ones."""
    _, fields, (bad, why) = compiled(source)
    if bad < 0 and known.issuperset(fields):
        return Template(source, line, col)
    for index, name in enumerate(fields):
        if index == bad:
            raise TemplateError(why)
        if name not in known:
            suggestion = did_you_mean(name, known)
            shown = ", ".join("{" + k + "}" for k in sorted(known))
            raise TemplateError(
                f"unknown template field {{{name}}}" + (f"; {suggestion}" if suggestion else f"; known fields: {shown}")
            )
    return Template(source, line, col)


def occurrence_values(local: datetime, southern: bool = False) -> dict[str, str]:
    season = _SEASONS_NORTH[(local.month + 5) % 12] if southern else _SEASONS_NORTH[local.month - 1]
    month = month_name(local.month)
    return {
        "weekday": _WEEKDAYS[local.weekday()],
        "day": str(local.day),
        "month": month,
        "year": str(local.year),
        "date": f"{local.day} {month} {local.year}",
        "date_iso": local.date().isoformat(),
        "time": f"{local.hour:02d}:{local.minute:02d}",
        "season": season,
        "part_of_day": "morning" if local.hour < 12 else "afternoon" if local.hour < 18 else "evening",
    }


def event_day(spec: str, today: date) -> date:
    """The day of event ``spec`` (YYYY-MM-DD, or MM-DD: every year) on or after ``today``;
    a dated event in the past stays in the past."""
    if len(spec) > 5:
        return date.fromisoformat(spec)
    month, day = int(spec[:2]), int(spec[3:])
    for year in (today.year, today.year + 1, today.year + 2, today.year + 3, today.year + 4):
        try:
            candidate = date(year, month, day)
        except ValueError:  # 02-29 outside a leap year
            continue
        if candidate >= today:
            return candidate
    raise ValueError(f"no date {spec}")


def countdown_values(events: dict[str, str], today: date) -> dict[str, str]:
    out = {}
    for name, spec in events.items():
        days = (event_day(spec, today) - today).days
        out[f"days_until.{name}"] = str(days)
        out[f"countdown.{name}"] = ("today" if days == 0 else "tomorrow" if days == 1
                                    else f"in {days} days" if days > 1 else f"{-days} days ago")
    return out


def longest_countdown_values(events: dict[str, str]) -> dict[str, str]:
    return {**{f"days_until.{n}": "365" for n in events}, **{f"countdown.{n}": "in 365 days" for n in events}}


def longest_occurrence_values() -> dict[str, str]:
    return dict(_LONGEST)


def tag_links(text: str, hosts: frozenset[str], params: dict[str, str]) -> str:
    """Add UTM ``params`` to every link in ``text`` whose host is the brand's; keep any already set."""
    if not params or not hosts:
        return text
    wanted = tuple(params.items())
    return URL_RE.sub(lambda match: _tagged(match.group(0), hosts, wanted), text)


@lru_cache(maxsize=1024)  # a calendar's texts link to a few pages, from a few campaigns
def _tagged(url: str, hosts: frozenset[str], params: tuple[tuple[str, str], ...]) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host not in hosts:
        return url
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {k for k, _ in query}
    query += [(k, v) for k, v in params if k not in present]
    return urlunsplit(parts._replace(query=urlencode(query)))
