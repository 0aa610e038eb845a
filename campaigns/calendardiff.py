"""What a change to the calendar does to its publications: the model behind ``herald diff`` and
the review room's ``/review/diff``.

Each revision is a :class:`Side`: its plan over the window (:func:`campaigns.plan.plan`, the
engine's own) and the voice guide's findings on it (:func:`campaigns.lint.lint`).
:func:`compare` pairs the two plans' publications by post id and account, then by occurrence:

1. the same instant is the same publication: *reworded* when its text differs;
2. what is left on the same local day (in the post's own zone) is paired in time order: *moved*;
3. what is left then is paired in time order at the one offset between the two lists that moves
   them least (a weekly post from Monday to Tuesday, with a week more or less at the window's
   edges; an offset that pairs one fewer, one more left at each edge, if it moves them less, so
   that a window's length never changes how a move is paired): *moved*.  The rest is *added* or *removed*.

A post whose id changed is a different post: its publications are removed and added.  A
publication moved into or out of the window shows as added or removed (the other side is
outside it).

Besides the publications, the diff lists what the change makes worse, each only where the new
revision has it and the old one did not: the voice guide's findings (:mod:`campaigns.diffvoice`:
looked for where the change is, told apart by what they say, never by their line and column,
which move with every edit above them), texts over their network's length
(:class:`campaigns.networks.Limit`; a calendar is read as a draft for this, so that a text too
long is shown, not refused), publications that now go out in an announced maintenance window,
and publications that now go out at night (:data:`NIGHT`, in the post's own zone).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from enum import StrEnum
from functools import partial

from .errors import Problem
from .model import Calendar
from .networks import NETWORK_TYPES
from .plan import Publication, plan

# Night: from 22:00 to 07:00 on the clock of the post's own zone (the brand's, unless the post
# names another): when a post reaches people asleep and nobody is at the desk to answer it.
NIGHT = (22, 7)


class Change(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    MOVED = "moved"
    REWORDED = "reworded"


@dataclass(frozen=True)
class Window:
    """An announced maintenance window (the status file's, as the caller read it: this layer
    knows nothing of ``status/``)."""

    id: str
    title: str
    starts: datetime
    ends: datetime

    def holds(self, at: datetime) -> bool:
        return self.starts <= at < self.ends


@dataclass
class Side:
    """One revision of the calendar over the window: its plan and its text findings."""

    name: str
    start: datetime
    end: datetime
    zone: str  # the brand's time zone
    publications: list[Publication]
    findings: list[Problem]  # the voice guide's text rules' (no repetition: see campaigns.diffvoice)
    setting: object = None  # what text findings depend on besides the texts (diffvoice.setting)
    calendar: Calendar | None = None  # (later: its findings are looked for where the change is)


def side(calendar: Calendar, start: datetime, end: datetime, name: str | None = None, *,
         check: bool = True, later: bool = False) -> Side:
    """``calendar``'s plan of [start, end) and, with ``check`` (the old side's), the findings of the
    voice guide's text rules on it; with ``later`` too, those are left for :func:`compare` to look
    for on the posts the change touches only (the side keeps its calendar for that)."""
    from .diffvoice import setting, text_findings

    publications = plan(calendar, start, end)
    now = check and not later
    findings = text_findings(calendar, publications, None, per_post=True) if now else []  # (each post's)
    return Side(name or calendar.path, start, end, calendar.brand.timezone, publications, findings,
                setting(calendar), calendar if check and later else None)


@dataclass(frozen=True)
class Entry:
    """One publication the change touches: ``old`` and ``new`` as each revision has it (None
    where that revision has none)."""

    change: Change
    old: Publication | None
    new: Publication | None

    @property
    def pub(self) -> Publication:
        found = self.new or self.old
        assert found is not None
        return found

    @property
    def reworded(self) -> bool:
        return self.old is not None and self.new is not None and self.old.text != self.new.text


@dataclass(frozen=True)
class Flag:
    """A publication the change makes worse, and how: ``312/280 characters (32 over)``, the
    maintenance window's title and hours, the local time at night."""

    pub: Publication
    detail: str
    window: Window | None = None


@dataclass
class CalendarDiff:
    old: str  # what each side is called: a file, or REV:PATH
    new: str
    start: datetime
    end: datetime
    tz: tzinfo  # the brand's zone (the new revision's), where days begin
    entries: list[Entry] = field(default_factory=list)
    findings: list[Problem] = field(default_factory=list)  # the voice guide's, new in NEW
    too_long: list[Flag] = field(default_factory=list)
    maintenance: list[Flag] = field(default_factory=list)
    night: list[Flag] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        found = {str(change): 0 for change in Change}
        for entry in self.entries:
            found[entry.change] += 1
        return {**found, "voice": len(self.findings), "too_long": len(self.too_long),
                "maintenance": len(self.maintenance), "night": len(self.night)}

    @property
    def changed(self) -> bool:
        return any(self.counts().values())

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)

    def days(self) -> list[tuple[date, list[Entry]]]:
        """The entries by day in the brand's zone (a move on the day it now goes out), in time order."""
        by_day: dict[date, list[Entry]] = defaultdict(list)
        for entry in self.entries:
            by_day[self.local(entry.pub.at).date()].append(entry)
        return sorted(by_day.items())


def compare(old: Side, new: Side, calendar: Calendar, windows: Iterable[Window] = ()) -> CalendarDiff:
    """What changes from ``old`` to ``new`` (both planned over the same window; ``calendar`` is the
    new one, whose brand zone days are in and whose voice guide checks it), with ``windows`` the
    maintenance windows announced."""
    from .diffvoice import new_findings, text_findings

    quiet: list[tuple[Publication, Publication]] = []  # same text and time, another kind, campaign…
    entries = _entries(old.publications, new.publications, quiet)
    before = old.findings if old.calendar is None else partial(text_findings, old.calendar, old.publications,
                                                               per_post=True)
    findings = new_findings(before, old.setting, old.publications, calendar, new.publications,
                            [*((e.old, e.new) for e in entries), *quiet])
    diff = CalendarDiff(old.name, new.name, new.start, new.end, calendar.brand.tz, entries, findings)
    _flag(diff, [w for w in windows if w.ends > new.start and w.starts < new.end])
    return diff


# -- pairing the publications ------------------------------------------------------------------

_Key = tuple[str, str]  # (post id, account)


def _entries(old: list[Publication], new: list[Publication],
             quiet: list[tuple[Publication, Publication]]) -> list[Entry]:
    """The publications the change adds, removes, moves or rewords; into ``quiet``, those it
    changes otherwise (kind, campaign…: not listed, but their findings are looked for)."""
    olds: dict[_Key, list[Publication]] = defaultdict(list)
    news: dict[_Key, list[Publication]] = defaultdict(list)
    for pub in old:
        olds[pub.post, pub.network].append(pub)
    for pub in new:
        news[pub.post, pub.network].append(pub)
    out: list[Entry] = []
    for key in olds.keys() | news.keys():
        _pair(olds.get(key, []), news.get(key, []), out, quiet)
    out.sort(key=lambda e: (e.pub.at.timestamp(), e.pub.network, e.pub.post, e.change))
    return out


def _pair(olds: list[Publication], news: list[Publication], out: list[Entry],
          quiet: list[tuple[Publication, Publication]]) -> None:
    """The entries of one post on one account (both lists in time order)."""
    by_instant = {p.key: p for p in olds}  # (a key is the post, the instant and the account)
    left: list[Publication] = []
    for pub in news:
        before = by_instant.pop(pub.key, None)
        if before is None:
            left.append(pub)
        elif before.text != pub.text:
            out.append(Entry(Change.REWORDED, before, pub))
        elif before != pub:
            quiet.append((before, pub))
    if not by_instant and not left:
        return
    gone = [p for p in olds if p.key in by_instant]
    gone, left = _same_day(gone, left, out)
    gone, left = _aligned(gone, left, out)
    out.extend(Entry(Change.REMOVED, p, None) for p in gone)
    out.extend(Entry(Change.ADDED, None, p) for p in left)


def _same_day(olds: list[Publication], news: list[Publication],
              out: list[Entry]) -> tuple[list[Publication], list[Publication]]:
    """Moves within a day (in the post's zone), paired in time order; what is left of each."""
    if not olds or not news:
        return olds, news
    days: dict[date, list[Publication]] = defaultdict(list)
    for pub in news:
        days[pub.at.date()].append(pub)
    gone = []
    paired: set[int] = set()
    for pub in olds:
        candidates = days.get(pub.at.date())
        if candidates:
            moved = candidates.pop(0)
            paired.add(id(moved))
            out.append(Entry(Change.MOVED, pub, moved))
        else:
            gone.append(pub)
    return gone, [p for p in news if id(p) not in paired]


_MAX_ALIGNING = 250_000  # distances summed to find the offset, at most


def _aligned(olds: list[Publication], news: list[Publication],
             out: list[Entry]) -> tuple[list[Publication], list[Publication]]:
    """The two lists paired in order at the offset that moves them least; what is left.

    Every shift of one list against the other that pairs all but one at most of the most it can
    pair is a candidate (a week more or less at each of the window's edges); of those, the one whose
    pairs move least on average wins, so that the same move is paired the same way in any window."""
    if not olds or not news:
        return olds, news
    size = min(len(olds), len(news))
    old_times = [p.at.timestamp() for p in olds]
    new_times = [p.at.timestamp() for p in news]
    least = max(1, size - 1)
    shifts = range(-(len(news) - least), len(olds) - least + 1)  # old[a + i] with new[b + i], a - b = shift
    if len(shifts) * size > _MAX_ALIGNING:  # (a rule that now posts far more or less often: from the start)
        shifts = range(0, 1)
    a, b, count = min((_overlap(shift, len(olds), len(news)) for shift in shifts),
                      key=lambda o: (sum(abs(old_times[o[0] + i] - new_times[o[1] + i]) for i in range(o[2])) / o[2],
                                     -o[2]))
    out.extend(Entry(Change.MOVED, olds[a + i], news[b + i]) for i in range(count))
    return olds[:a] + olds[a + count:], news[:b] + news[b + count:]


def _overlap(shift: int, olds: int, news: int) -> tuple[int, int, int]:
    """Where each list starts, and how many are paired, with ``olds`` and ``news`` shifted by ``shift``."""
    a, b = max(shift, 0), max(-shift, 0)
    return a, b, min(olds - a, news - b)


# -- what the change makes worse -------------------------------------------------------------------

def _flag(diff: CalendarDiff, windows: list[Window]) -> None:
    over: dict[tuple[str, str], str | None] = {}

    def too_long(pub: Publication) -> str | None:
        if pub.limit is None:
            return None
        key = (pub.text, pub.network_type)
        if key not in over:
            limit = NETWORK_TYPES[pub.network_type].limit
            over[key] = limit.overflow(pub.text, pub.content_warning) if limit is not None else None
        return over[key]

    for entry in diff.entries:
        new, old = entry.new, entry.old
        if new is None:
            continue
        found = too_long(new)
        if found and (old is None or not too_long(old)):
            diff.too_long.append(Flag(new, found))
        if entry.change == Change.REWORDED:
            continue  # (at the same instant as before)
        window = next((w for w in windows if w.holds(new.at)), None)
        if window is not None and (old is None or not window.holds(old.at)):
            diff.maintenance.append(Flag(new, f"{window.title} ({_span(window, diff.tz)})", window))
        if at_night(new.at) and (old is None or not at_night(old.at)):
            diff.night.append(Flag(new, f"{new.at:%H:%M %Z}"))


def at_night(at: datetime) -> bool:
    """Whether ``at`` is at night (:data:`NIGHT`) on its own zone's clock."""
    starts, ends = NIGHT
    return at.hour >= starts or at.hour < ends


def _span(window: Window, tz: tzinfo) -> str:
    starts, ends = window.starts.astimezone(tz), window.ends.astimezone(tz)
    last = f"{ends:%H:%M %Z}" if ends.date() == starts.date() else f"{ends:%a %Y-%m-%d %H:%M %Z}"
    return f"{starts:%a %Y-%m-%d %H:%M}-{last}"
