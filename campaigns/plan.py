"""Planning: the calendar's publications in a time window, in time order.

``plan(calendar, start, end)`` is pure and deterministic: the same calendar and
window always give the same publications with the same keys, so a restart, a
reload or a second engine recognises work already done.

The publication key is ``sha256(source, occurrence instant in UTC, account)``: it
does not depend on the wording, so fixing a typo in a scheduled post never makes
an already-published occurrence go out again.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any

from .expansion import expand, shape_of
from .gcpause import paused_gc
from .model import STATUS_KINDS, Calendar, Campaign, Kind, Post, Series
from .networks import CONTENT_WARNING, NETWORK_TYPES, BuiltinType
from .render import finish, render_values
from .templates import Template, compiled, occurrence_values
from .timeparse import zone
from .xlength import load_url_extractor


def publication_key(source: str, at: datetime, account: str) -> str:
    """The deterministic identity of one publication: what, when (UTC, to the second), where."""
    return _key(source, _instant(at), account)


def utc_instant(at: datetime) -> str:
    """``at`` in UTC to the second, as keys are made of it and plans sort by it."""
    return _instant(at)


def _instant(at: datetime) -> str:
    u = at.astimezone(UTC)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"


def _key(source: str, instant: str, account: str) -> str:
    return hashlib.sha256(f"{source}\x1f{instant}\x1f{account}".encode()).hexdigest()[:32]


@dataclass(slots=True)  # not frozen (a setattr call per field): made 135,000 times for a year of a big calendar
class Occurrence:
    index: int  # position in the series (0-based), which picks the variant
    at: datetime  # aware, in the post's zone
    local: datetime  # the wall-clock time as the rule produced it (naive)
    note: str = ""  # e.g. a DST gap or fold, and what Herald does about it
    instant: str = ""  # ``at`` in UTC to the second, as keys and sorting use it (see _instant)
    iso: str = ""  # ``at.isoformat()``, when known (posts share their times: made once per time)


@dataclass(slots=True)  # not frozen: a frozen dataclass costs a setattr call per field, 250k times a year
class Publication:
    key: str
    source: str
    post: str
    kind: Kind  # a post's kind, or incident / maintenance for status announcements
    network: str  # the account name from networks:
    network_type: str
    at: datetime  # aware, in the post's zone
    text: str
    variant: int  # 1-based, of `variants`
    variants: int
    limit: int | None
    campaign: str | None = None
    note: str = ""
    thread_root: str | None = None  # key of the first post of this thread on the same account
    variant_id: str = ""  # which wording, by its text: what the ledger records to rotate fairly
    role: str = ""  # what the voice guide requires of it: the kind, or the incident state (resolved…)
    incident_state: str = ""  # incident updates: investigating, identified, monitoring, resolved
    content_warning: str = ""  # Mastodon's: shown before the text, counted with it toward the limit
    # the posts to reply under instead, in order, when ``thread_root`` never went out (a maintenance
    # window's later announcements: the thread's root is the first of them the account sent)
    thread_fallbacks: tuple[str, ...] = ()

    @property
    def length(self) -> int | None:
        """The text's length as its network counts it, its content warning with it (computed on
        demand: the engine does not need it)."""
        limit = NETWORK_TYPES[self.network_type].limit
        if self.limit is None or limit is None:
            return None
        return limit.measure(self.text, self.content_warning)

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key, "post": self.post, "kind": str(self.kind), "network": self.network,
            "network_type": self.network_type, "at": self.at.isoformat(), "text": self.text,
            "variant": self.variant, "variants": self.variants, "length": self.length, "limit": self.limit,
            "campaign": self.campaign, "source": self.source, **({"note": self.note} if self.note else {}),
            **({"thread_root": self.thread_root} if self.thread_root else {}),
            "origin": "status" if self.kind in STATUS_KINDS else "calendar",
            **({"incident_state": self.incident_state} if self.incident_state else {}),
            **({"content_warning": self.content_warning} if self.content_warning else {}),
            **({"role": self.role} if self.kind in STATUS_KINDS and self.role else {}),
        }


class JsonLines:
    """Each publication's :meth:`Publication.as_json` as one line of JSON: exactly the bytes
    ``orjson.dumps(pub.as_json())`` gives, without building a dict per line.  A year of a big
    calendar is hundreds of thousands of lines, made of a few thousand texts and the same few
    fields per post and account: those are encoded once and the lines assembled from them.
    ``prefix`` is put in front of the line (e.g. a sort key)."""

    def __init__(self) -> None:
        import orjson

        self.dumps = orjson.dumps
        self.frames: dict[tuple[str, str], tuple[str, str, str]] = {}
        self.lengths: dict[tuple[str, str], str] = {}  # (of the accounts with a limit: the others' is null)
        self.times: dict[int, tuple[datetime, str]] = {}  # by id: publications share their times

    def line(self, pub: Publication, prefix: str = "") -> str:
        if pub.kind in STATUS_KINDS or pub.thread_root or pub.incident_state or pub.content_warning:
            return prefix + self.dumps(pub.as_json()).decode()
        frame = self.frames.get((pub.source, pub.network))
        if frame is None:
            frame = self.frames[pub.source, pub.network] = self._frame(pub)
        text = pub.text  # (nearly every text is another: none is kept, and most need no escaping)
        text = f'"{text}"' if _ESCAPED.search(text) is None else self.dumps(text).decode()
        length = "null" if pub.limit is None else self.length(pub.text, pub.network_type)
        at = self.times.get(id(pub.at))
        if at is None or at[0] is not pub.at:
            at = self.times[id(pub.at)] = (pub.at, pub.at.isoformat())
        note = f',"note":{self.dumps(pub.note).decode()}' if pub.note else ""
        return (f'{prefix}{{"key":"{pub.key}"{frame[0]}{at[1]}","text":{text},"variant":{pub.variant}'
                f'{frame[1]}{length}{frame[2]}{note},"origin":"calendar"}}')

    def _frame(self, pub: Publication) -> tuple[str, str, str]:
        return self.frame(pub.post, pub.kind, pub.network, pub.network_type, pub.variants, pub.limit, pub.campaign,
                          pub.source)

    def frame(self, post: str, kind: Kind, network: str, network_type: str, variants: int, limit: int | None,
              campaign: str | None, source: str) -> tuple[str, str, str]:
        """The fields that are the same for every line of one post on one account: what goes
        before the time, between the variant and the length, and after the length."""
        def j(value: object) -> str:
            return self.dumps(value).decode()
        return (f',"post":{j(post)},"kind":{j(str(kind))},"network":{j(network)},'
                f'"network_type":{j(network_type)},"at":"',
                f',"variants":{variants},"length":',
                f',"limit":{j(limit)},"campaign":{j(campaign)},"source":{j(source)}')

    def length(self, text: str, network_type: str) -> str:
        """The ``length`` field of a text on a network with a limit (measured once per text)."""
        length = self.lengths.get((text, network_type))
        if length is None:
            limit = NETWORK_TYPES[network_type].limit
            length = self.lengths[text, network_type] = "null" if limit is None else str(limit.measure(text))
        return length


# what orjson escapes in a string (and lone surrogates, which it refuses): a text without any is itself in quotes
_ESCAPED = re.compile(r'["\\\x00-\x1f\ud800-\udfff]')


def variant_id(template: Template) -> str:
    return hashlib.sha256(template.source.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class VariantHistory:
    """What the ledger knows about variants: for each (post, account), how often each
    wording (by :func:`variant_id`) went out before the window and which went out last;
    and the wording each publication in the window already has (sent or on its way)."""

    counts: dict[tuple[str, str], dict[str, int]]
    last: dict[tuple[str, str], str]
    chosen: dict[str, str]


def choose_variant(counts: list[int], last: int | None, preferred: int) -> int:
    """The least-used variant that is not the one last published, nearest after ``preferred``
    in rotation order.  From no history this is plain rotation (occurrence index mod n)."""
    n = len(counts)
    best = None
    for step in range(n):
        i = (preferred + step) % n
        if i == last and n > 1:
            continue
        if best is None or counts[i] < counts[best]:
            best = i
    return best if best is not None else 0


# a wall-clock time placed in its zone: (UTC, aware local, DST note, the UTC instant as text, the local in ISO 8601)
_Placed = tuple[datetime, datetime, str, str, str]


class Memo:
    """What the posts of one plan share, computed once: where each wall-clock time falls in its
    zone (posts share their times of day), and each rule's expansion (posts made from one
    template share their rule and start)."""

    def __init__(self) -> None:
        self.placed: dict[object, dict[datetime, _Placed]] = {}
        self.days: dict[object, dict[date, timedelta | None]] = {}  # per zone: see _plain_offset
        self.expanded: dict[tuple[str, datetime, datetime], list[datetime]] = {}

    def expand(self, series: Series, stop: datetime) -> list[datetime]:
        """The rule's wall-clock times up to ``stop`` (inclusive), as dateutil gives them (and, for
        the rules it covers, as :func:`campaigns.expansion.expand` gives them much faster)."""
        key = (series.rule_text, series.dtstart, stop)
        found = self.expanded.get(key)
        if found is None:
            found = self.expanded[key] = _expand(series, stop)
        return found


def _expand(series: Series, stop: datetime) -> list[datetime]:
    assert series.rule is not None
    shape = series.shape or shape_of(series.rule, series.dtstart)
    if shape.plain:
        return expand(shape, series.dtstart, stop)
    out = []
    for local in series.rule or ():
        if local > stop:
            break
        out.append(local)
    return out


def occurrences(post: Post, start: datetime, end: datetime, memo: Memo | None = None) -> Iterator[Occurrence]:
    """The post's occurrences with start <= at < end (aware datetimes), in order (``memo``: see
    :class:`Memo`)."""
    for found in _occurrences(post, start, end, memo or Memo()):
        yield Occurrence(*found)


# an Occurrence's fields, as a tuple (a year's plan goes through a hundred thousand and more)
_Found = tuple[int, datetime, datetime, str, str, str]


def _occurrences(post: Post, start: datetime, end: datetime, memo: Memo) -> Iterator[_Found]:
    series = post.series
    tz = series.tz
    if series.rule is None:
        at = series.instant.astimezone(tz) if series.instant else series.dtstart.replace(tzinfo=tz)
        if start <= at < end:
            yield 0, at, series.dtstart, "", "", ""
        return
    # Wall-clock bound past which no occurrence can fall inside the window (offsets < 1 day).
    stop = end.astimezone(tz).replace(tzinfo=None) + timedelta(days=1)
    if series.until is not None:
        stop = min(stop, series.until)
    known = memo.placed.setdefault(tz, {})
    days = memo.days.setdefault(tz, {})
    times = memo.expand(series, stop)
    # the times long before the window are only counted (the index picks the variant)
    first = bisect_left(times, start.astimezone(tz).replace(tzinfo=None) - _MARGIN)
    index, previous = _counted(series, times[:first], days)
    excluded = _exclusion(series)
    # (compared in UTC: aware times of two zones compare through both offsets, of one zone at once)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    for local in times[first:]:
        if excluded is not None and excluded(local):
            continue
        where = known.get(local)
        if where is None:
            where = known[local] = _place(local, tz, days)
        utc = where[0]
        if utc <= previous:
            continue  # a gap time shifted onto an instant the rule already produced: once only
        previous = utc
        if utc >= end:
            break
        if utc >= start:
            yield index, where[1], local, where[2], where[3], where[4]
        index += 1


def _exclusion(series: Series) -> Callable[[datetime], bool] | None:
    """Whether a time the rule gives is left out (before ``not_before``, or an exdate), or None
    when none is."""
    not_before, ex_days, ex_times = series.not_before, series.ex_days, series.ex_times
    if not_before is None and not ex_days and not ex_times:
        return None

    def excluded(local: datetime) -> bool:
        return (not_before is not None and local < not_before) or local.date() in ex_days or local in ex_times
    return excluded


_MARGIN = timedelta(days=2)  # more than any change of a zone's offset: a wall time this far before is before


def _counted(series: Series, times: list[datetime], days: dict[date, timedelta | None]) -> tuple[int, datetime]:
    """How many of ``times`` (all before the window) are occurrences, and the UTC instant of the
    last: exactly what the loop of :func:`occurrences` counts, without placing each in the zone
    beyond its day's offset."""
    excluded, tz = _exclusion(series), series.tz
    index = 0
    previous = datetime.min
    for local in times:
        if excluded is not None and excluded(local):
            continue
        day = local.date()
        offset = days.get(day, _UNKNOWN)
        if offset is _UNKNOWN:
            offset = days[day] = _plain_offset(day, tz)
        utc = local - offset if offset is not None else _place(local, tz, days)[0].replace(tzinfo=None)
        if utc > previous:
            previous = utc
            index += 1
    return index, previous.replace(tzinfo=UTC)


def _place(local: datetime, tz: Any, days: dict[date, timedelta | None]) -> _Placed:
    """fold=0 is RFC 5545's reading of gaps and folds; the round trip through UTC turns a skipped
    wall time (02:30) into the real one (03:30 summer time).  On a day the clocks do not change
    (``days``: the zone's, filled as met) the UTC time is the wall time less the day's offset: a
    calendar of many rules places a hundred thousand distinct wall times a year."""
    day = local.date()
    offset = days.get(day, _UNKNOWN)
    if offset is _UNKNOWN:
        offset = days[day] = _plain_offset(day, tz)
    if offset is not None and not local.microsecond:
        naive = local - offset
        at = local.replace(tzinfo=tz)
        written = local.isoformat()
        suffix = _SUFFIXES.get(offset)  # (the offset as isoformat writes it: once per offset)
        if suffix is None:
            suffix = _SUFFIXES[offset] = at.isoformat()[len(written):]
        return naive.replace(tzinfo=UTC), at, "", naive.isoformat() + "Z", written + suffix
    wall = local.replace(tzinfo=tz)
    utc = wall.astimezone(UTC)
    at = utc.astimezone(tz)
    note = ""
    if at.hour != local.hour or at.minute != local.minute:
        note = _dst_note(local, at, "gap")
    elif wall.replace(fold=1).utcoffset() != at.utcoffset():
        note = _dst_note(local, at, "fold")
    return utc, at, note, _instant(utc), at.isoformat()


_UNKNOWN = timedelta.min  # (not an offset any zone has)
_SUFFIXES: dict[timedelta, str] = {}  # a UTC offset as isoformat writes it after the wall time ("+01:00")


def _plain_offset(day: date, tz: Any) -> timedelta | None:
    """The zone's UTC offset all through ``day`` when the clocks do not change on it (neither end
    of the day is skipped or repeated, and both have one offset), else None."""
    ends = (datetime.combine(day, time(), tz), datetime.combine(day + timedelta(days=1), time(), tz))
    offsets = {at.replace(fold=fold).utcoffset() for at in ends for fold in (0, 1)}
    return offsets.pop() if len(offsets) == 1 else None


def _dst_note(local: datetime, at: datetime, kind: str) -> str:
    if kind == "gap":
        return (f"{local:%H:%M} does not exist on {local:%Y-%m-%d} (DST starts); "
                f"goes out at {at:%H:%M %Z} (RFC 5545)")
    return f"{local:%H:%M} happens twice on {local:%Y-%m-%d} (DST ends); goes out at the first ({at:%H:%M %Z})"


def is_southern(tz_name: str) -> bool:
    """Whether seasons are those of the southern hemisphere: its summer time is in January."""
    tz = zone(tz_name)
    january = datetime(2026, 1, 15, tzinfo=tz).utcoffset()
    july = datetime(2026, 7, 15, tzinfo=tz).utcoffset()
    return bool(january and july and january > july) or tz_name.startswith("Australia/")


def plan(calendar: Calendar, start: datetime, end: datetime,
         history: VariantHistory | None = None) -> list[Publication]:
    """Every publication with start <= at < end, sorted by instant, then network, then post.

    Variants rotate per post and account.  With the ledger's ``history`` the rotation
    continues from what was really published: never the wording that went out last on
    that account, and the least-used one first (a new variant goes out soon; a skipped
    or held occurrence does not make the next one repeat its predecessor)."""
    return [row[-1] for row in plan_rows(calendar, start, end, history)]


# the fields of templates.occurrence_values that depend on the time of day (the rest, on the day)
_TIME_FIELDS = ("time", "part_of_day")
Row = tuple[str, str, str, int, Publication]  # (UTC instant as text, account, post, number, publication)
# the same for lines of JSON (see plan_lines): (UTC instant as text, account, "\0", post: one string, the line)
LineRow = tuple[str, str]


def plan_rows(calendar: Calendar, start: datetime, end: datetime, history: VariantHistory | None = None,
              *, emit_from: datetime | None = None) -> list[Row]:
    """:func:`plan` with each publication's sort key (its rows sort, as tuples, in the plan's
    order).  ``emit_from``: only the rows at or after it, exactly as the whole window's plan has
    them (the variants rotate from ``start`` all the same): consecutive parts of a window can be
    planned apart and put end to end."""
    return _planned(calendar, start, end, history, emit_from, None)  # type: ignore[return-value]


def prepare(calendar: Calendar) -> None:
    """Load what planning ``calendar`` needs whatever part of a window is planned: a process about
    to fork a helper for part of the plan loads it once, for both (X's URL extractor, for the
    lengths of texts with links: 0.3 s to import)."""
    if any(account.enabled and account.type == BuiltinType.X for account in calendar.networks.values()):
        load_url_extractor()


def plan_lines(calendar: Calendar, start: datetime, end: datetime, history: VariantHistory | None = None,
               *, emit_from: datetime | None = None) -> list[LineRow]:
    """:func:`plan_rows` with each publication's line of JSON in its place, exactly what
    :meth:`JsonLines.line` makes of it (so ``orjson.dumps(pub.as_json())``), made without the
    publication: a year of a big calendar is hundreds of thousands of lines (``plan --json``)."""
    return _planned(calendar, start, end, history, emit_from, JsonLines())  # type: ignore[return-value]


def _planned(calendar: Calendar, start: datetime, end: datetime, history: VariantHistory | None,
             emit_from: datetime | None, lines: JsonLines | None) -> list[Row] | list[LineRow]:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("plan() needs aware datetimes")
    if emit_from is not None and history is None:  # without a ledger nothing carries over: skip the part
        start, emit_from = max(start, emit_from), None
    with paused_gc():
        return _plan(calendar, (start, end, history, _instant(emit_from) if emit_from else ""), lines)


def _plan(calendar: Calendar, window: tuple[datetime, datetime, VariantHistory | None, str],
          lines: JsonLines | None) -> list[Row] | list[LineRow]:
    start, end, history, emit_from = window
    rows: list[Any] = []
    memo = Memo()
    values = _Values(calendar)
    for post in calendar.posts:
        if not post.enabled:
            continue
        accounts = [calendar.networks[n] for n in post.networks if n in post.texts and calendar.networks[n].enabled]
        if not accounts:
            continue
        how = (start, end, memo, values, history, emit_from)
        if lines is None:
            _post_rows(calendar, post, accounts, how, rows)
        elif any(post.option(a.name, CONTENT_WARNING) for a in accounts):  # (a line of its own: as_json's)
            made: list[Row] = []
            _post_rows(calendar, post, accounts, how, made)
            rows.extend((f"{instant}{name}\x00{pid}", lines.line(pub)) for instant, name, pid, _, pub in made)
        else:
            _post_lines(calendar, post, accounts, how, (rows, lines))
    if lines is None:
        rows.sort()  # by the UTC instant string (time order), account, post; the count keeps it off the publications
    else:  # the same order: the instants have one width, and "\0" is in no name (no control character is)
        rows.sort(key=itemgetter(0))
    return rows


class _Values:
    """The template values of a wall-clock time, each computed once per plan: ``at(local)``; and,
    for templates that name no field of the time of day, the day's alone: ``day(date)`` (a hundred
    thousand wall times a year fall on a few hundred days)."""

    def __init__(self, calendar: Calendar):
        brand = calendar.brand
        southern = is_southern(brand.timezone)

        @lru_cache(maxsize=1024)
        def on_day(day: date) -> dict[str, str]:
            return render_values(brand, occurrence_values(datetime.combine(day, time()), southern))

        @lru_cache(maxsize=1024)
        def at_time(hour: int, minute: int) -> dict[str, str]:
            values = occurrence_values(datetime(2000, 1, 1, hour, minute), southern)
            return {name: values[name] for name in _TIME_FIELDS}

        @lru_cache(maxsize=8192)  # posts share times of day: render values once per wall-clock time
        def values_at(local: datetime) -> dict[str, str]:
            # (many rules: a hundred thousand wall times a year, on a few hundred days at a few dozen times)
            return {**on_day(local.date()), **at_time(local.hour, local.minute)}

        self.at, self.day = values_at, on_day

    def formats(self, targets: list[_Target]) -> tuple[list[list[str]], Callable[[datetime], dict[str, str]] | None]:
        """Per target, its templates' %-formats (Template.render's); and ``at`` when one of them names a
        field of the time of day, else None (then the day's values, ``day``, render every one alike)."""
        parsed = [[compiled(t.source) for t in target[3]] for target in targets]
        timed = any(name in _TIME_FIELDS for texts in parsed for _, fields, _ in texts for name in fields)
        return [[text for text, _, _ in texts] for texts in parsed], self.at if timed else None


# per account of a post, what every occurrence shares: the account, its name and type, the templates,
# how many, their variant ids, the limit's maximum, the key's tail (see _key) and, for lines of JSON,
# the frame (JsonLines.frame), and its content warning
_Target = tuple[Any, str, str, tuple[Template, ...], int, list[str], "int | None", bytes, tuple[str, str, str], str]


def _targets(post: Post, accounts: list[Any], lines: JsonLines | None = None, *,
             with_ids: bool = True) -> list[_Target]:
    """Per account, what every occurrence shares (:data:`_Target`); without ``ids`` the variant ids
    are left out (a plan without the ledger's history never reads them)."""
    targets = []
    ids: dict[int, list[str]] = {}  # (accounts without wording of their own share the post's)
    for account in accounts:
        templates = post.texts[account.name]
        limit = account.rules.limit
        maximum = limit.maximum if limit else None
        frame = ("", "", "") if lines is None else lines.frame(post.id, post.kind, account.name, account.type,
                                                               len(templates), maximum, post.campaign, post.source)
        if id(templates) not in ids:
            ids[id(templates)] = [variant_id(t) for t in templates] if with_ids else []
        targets.append((account, account.name, account.type, templates, len(templates), ids[id(templates)],
                        maximum, f"\x1f{account.name}".encode(), frame,
                        post.option(account.name, CONTENT_WARNING) or ""))
    return targets


def _campaign(calendar: Calendar, post: Post) -> Campaign | None:
    return calendar.campaigns.get(post.campaign) if post.campaign else None


def _occurring(post: Post, start: datetime, end: datetime, memo: Memo) -> Iterator[_Found] | None:
    """The post's occurrences in the window (as tuples), or None when it has none: what a post's rows
    share is made only for the posts that have some (in a window of a few weeks, a few of them)."""
    found = _occurrences(post, start, end, memo)
    first = next(found, None)
    return None if first is None else chain((first,), found)


def _post_rows(calendar: Calendar, post: Post, accounts: list[Any], how: tuple[Any, ...], rows: list[Row]) -> None:
    """One post's rows, added to ``rows`` (``how``: the window, the memo, the values, the history and where
    the rows begin, as :func:`_plan` has them)."""
    start, end, memo, known, history, emit_from = how
    values_at = known.at
    brand = calendar.brand
    campaign = _campaign(calendar, post)
    source, pid, kind = post.source, post.id, post.kind
    sha256 = hashlib.sha256
    found = _occurring(post, start, end, memo)
    if found is None:
        return
    targets = _targets(post, accounts)  # (the loop below runs a few hundred thousand times a year)
    rotation: dict[str, tuple[list[int], list[int | None]]] = {}
    for index, at, local, note, instant, _ in found:
        values = values_at(local)
        instant = instant or _instant(at)
        head = f"{source}\x1f{instant}".encode()  # the key's text up to the account (see _key)
        if history is not None and instant < emit_from:  # another part's: only the rotation moves on
            _rotate_only(history, rotation, targets, pid, head, index)
            continue
        for account, name, network_type, templates, count, ids, maximum, tail, _, warning in targets:
            key = sha256(head + tail).hexdigest()[:32]
            number = index % count if history is None else _rotate(history, rotation, ids, pid, name, key, index)
            text = templates[number].render(values)
            if campaign is not None:
                text = finish(text, brand, campaign, account)
            rows.append((instant, name, pid, len(rows), Publication(
                key, source, pid, kind, name, network_type, at, text, number + 1, count, maximum,
                post.campaign, note, None, ids[number], kind, content_warning=warning)))


def _post_lines(calendar: Calendar, post: Post, accounts: list[Any], how: tuple[Any, ...],
                into: tuple[list[LineRow], JsonLines]) -> None:
    """:func:`_post_rows` with each publication's line of JSON (:meth:`JsonLines.line`) in its place."""
    start, end, memo, known, history, emit_from = how
    rows, lines = into
    found = _occurring(post, start, end, memo)
    if found is None:
        return
    targets = _targets(post, accounts, lines, with_ids=history is not None)
    brand = calendar.brand
    campaign = _campaign(calendar, post)
    source, pid = post.source, post.id
    sha256, dumps, escaped, lengths, length = hashlib.sha256, lines.dumps, _ESCAPED.search, lines.lengths, lines.length
    formats, values_at = known.formats(targets)
    on_day = known.day
    rotation: dict[str, tuple[list[int], list[int | None]]] = {}
    for index, at, local, note, instant, iso in found:
        values = values_at(local) if values_at is not None else on_day(local.date())
        instant = instant or _instant(at)
        head = f"{source}\x1f{instant}".encode()  # the key's text up to the account (see _key)
        if history is not None and instant < emit_from:  # another part's: only the rotation moves on
            _rotate_only(history, rotation, targets, pid, head, index)
            continue
        written = iso or at.isoformat()
        noted = f',"note":{dumps(note).decode()}' if note else ""
        for target, texts in zip(targets, formats, strict=True):
            account, name, network_type, _, count, ids, maximum, tail, frame, _ = target
            key = sha256(head + tail).hexdigest()[:32]
            number = index % count if history is None else _rotate(history, rotation, ids, pid, name, key, index)
            text = finish(texts[number] % values, brand, campaign, account)  # (no campaign: the text as it is)
            quoted = f'"{text}"' if escaped(text) is None else dumps(text).decode()
            size = "null" if maximum is None else (lengths.get((text, network_type)) or length(text, network_type))
            rows.append((f"{instant}{name}\x00{pid}", f'{{"key":"{key}"{frame[0]}{written}","text":{quoted},"variant":'
                         f'{number + 1}{frame[1]}{size}{frame[2]}{noted},"origin":"calendar"}}'))


def _rotate_only(history: VariantHistory, rotation: dict[str, _Rotation], targets: list[_Target], post: str,
                 head: bytes, index: int) -> None:
    """An occurrence before the rows begin: the variants rotate as if it were planned."""
    for _, name, _, _, _, ids, _, tail, _, _ in targets:
        _rotate(history, rotation, ids, post, name, hashlib.sha256(head + tail).hexdigest()[:32], index)


_Rotation = tuple[list[int], list[int | None]]  # per account: uses of each variant, the last one chosen


def _rotate(history: VariantHistory, rotation: dict[str, _Rotation], ids: list[str], post: str, account: str,
            key: str, index: int) -> int:
    state = rotation.get(account)
    if state is None:
        used = history.counts.get((post, account), {})
        previous = history.last.get((post, account))
        state = rotation[account] = ([used.get(i, 0) for i in ids],
                                     [ids.index(previous) if previous in ids else None])
    counts, last = state
    chosen = history.chosen.get(key)
    number = ids.index(chosen) if chosen in ids else choose_variant(counts, last[0], index % len(ids))
    counts[number] += 1
    last[0] = number
    return number
