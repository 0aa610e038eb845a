"""The one base for building a model from located YAML (the calendar's and the status file's).

A builder walks the located data once (see :mod:`campaigns.yamlsource`), collects every
problem at its ``file:line:column`` and builds model values from what is sound.  The
checks both files need are written here once:

- ``error`` / ``warning``: a problem at a place, with a hint saying what would be right;
- ``ok(*where)``: whether the schema already reported the value at that path (so a
  value is never reported twice, once for its form and once for its meaning);
- ``when`` / ``local_time`` / ``instant``: dates and times, DST-checked: a wall-clock
  time the clocks skip or repeat is an error naming both readings;
- ``duration`` / ``rate``: any bad value (``soon``, ``30 minutes``, ``2x``, a number
  too large for a ``timedelta``) is a located problem, never an exception;
- ``reference`` / ``references``: names that must exist elsewhere in the file, with a
  "did you mean" when a near name exists.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .durations import parse_duration, parse_rate
from .errors import Code, DurationError, Problem, TimeFormatError
from .schemacheck import did_you_mean
from .timeparse import When, describe_offsets, local_time_kind, parse_when, zone
from .yamlsource import Loc, LocDict, LocList

Where = tuple[object, ...]


class LocatedBuilder:
    """Collects problems for one file; subclasses build its model."""

    def __init__(self, path: str, problems: list[Problem] | None = None, bad: Collection[Where] = frozenset()):
        self.path = path
        self.problems: list[Problem] = [] if problems is None else problems
        self.bad = bad

    # -- reporting -----------------------------------------------------------------
    def error(self, loc: Loc, message: str, hint: str = "", code: Code = Code.OTHER) -> None:
        self.problems.append(Problem(self.path, loc.line, loc.col, message, hint, code=code))

    def unique_id(self, seen: dict[str, int], spec: LocDict, what: str, hint: str = "") -> bool:
        """True the first time ``spec``'s id is seen; else a located "duplicate id" error (the one
        rule for post, incident and maintenance ids)."""
        ident, loc = str(spec["id"]), spec.value_loc("id")
        if ident in seen:
            self.error(loc, f"duplicate {what} id {ident!r} (first at line {seen[ident]})", hint)
            return False
        seen[ident] = loc.line
        return True

    def warning(self, loc: Loc, message: str, hint: str = "", code: Code = Code.OTHER) -> None:
        self.problems.append(Problem(self.path, loc.line, loc.col, message, hint, "warning", code))

    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def ok(self, *where: object) -> bool:
        """True when the schema found nothing wrong at this exact path."""
        return tuple(where) not in self.bad

    # -- times ---------------------------------------------------------------------
    def when(self, container: LocDict, key: str, *where: object) -> When | None:
        """A date or time as written (not yet placed in a zone), or None after reporting why not."""
        value = container.get(key)
        if not isinstance(value, str) or not self.ok(*where, key):
            return None
        try:
            return parse_when(value)
        except TimeFormatError as exc:
            self.error(container.value_loc(key), str(exc))
            return None

    def local_time(self, loc: Loc, text: str, naive: datetime, tz: ZoneInfo) -> bool:
        """Whether the wall-clock time ``naive`` happens exactly once in ``tz``; report it if not."""
        kind = local_time_kind(naive, tz)
        if kind == "ok":
            return True
        first, second = describe_offsets(naive, tz)
        if kind == "gap":
            self.error(loc, f"{text} does not exist in {tz.key}: the clocks skip it (DST starts)",
                       f"pick another time, or give an offset, e.g. {first}")
        else:
            self.error(loc, f"{text} happens twice in {tz.key} (DST ends): {first} and {second}",
                       f"add the offset you mean, e.g. {first}")
        return False

    def instant(self, container: LocDict, key: str, tz: ZoneInfo | str, *where: object) -> datetime | None:
        """An exact (aware) instant: a time of day, with an offset or in ``tz`` (DST-checked)."""
        when = self.when(container, key, *where)
        if when is None:
            return None
        loc, text = container.value_loc(key), str(container[key])
        if when.time is None:
            self.error(loc, f"{key}: {text} has no time of day", f"write e.g. {when.date.isoformat()}T09:00")
            return None
        exact = when.exact()
        if exact is not None:
            return exact
        tz = zone(tz) if isinstance(tz, str) else tz
        naive = when.naive()
        return naive.replace(tzinfo=tz) if self.local_time(loc, text, naive, tz) else None

    def zone(self, container: LocDict, key: str, hint: str = "use an IANA name such as Europe/Berlin") -> (
            ZoneInfo | None):
        name = container.get(key)
        if not isinstance(name, str):
            return None
        try:
            return zone(name)
        except TimeFormatError as exc:
            self.error(container.value_loc(key), str(exc), hint)
            return None

    # -- durations -----------------------------------------------------------------
    def duration(self, container: LocDict, key: str, *where: object) -> timedelta | None:
        """The duration at ``key`` (None when absent or reported as wrong)."""
        if key not in container or not self.ok(*where, key):
            return None
        return self.duration_at(container.value_loc(key), container[key])

    def duration_at(self, loc: Loc, value: object) -> timedelta | None:
        try:
            return parse_duration(value)
        except DurationError as exc:
            self.error(loc, f"{value!r} is not a duration", exc.hint)
            return None

    def durations(self, container: LocDict, key: str, *where: object) -> tuple[timedelta, ...] | None:
        """A list of durations longer than 0 (None when absent), such as how long ahead to remind;
        each bad item is reported and left out."""
        items = container.get(key)
        if not isinstance(items, LocList) or not self.ok(*where, key):
            return None
        out = []
        for index, item in enumerate(items):
            if self.ok(*where, key, index):
                value = self.duration_at(items.item_loc(index), item)
                if value is not None and value <= timedelta(0):
                    self.error(items.item_loc(index), f"{item!r}: must be longer than 0", "e.g. 24h or 30m")
                elif value is not None:
                    out.append(value)
        return tuple(out)

    def rate(self, container: LocDict, key: str, *where: object) -> tuple[int, timedelta] | None:
        if key not in container or not self.ok(*where, key):
            return None
        try:
            return parse_rate(container[key])
        except DurationError as exc:
            self.error(container.value_loc(key), f"{container[key]!r} is not a rate", exc.hint)
            return None

    # -- references ----------------------------------------------------------------
    def reference(self, loc: Loc, name: str, known: Collection[str], what: str, *,
                  section: str = "", hint: Callable[[str], str] | None = None) -> bool:
        """Whether ``name`` is one of ``known``; if not, an error with a "did you mean"
        (or the list of names there are, or where to define one)."""
        if name in known:
            return True
        advice = (hint(name) if hint else "") or did_you_mean(name, known) or (
            f"defined {what}s: {', '.join(known)}" if known else f"define it under {section or what + 's'}:")
        self.error(loc, f"unknown {what} {name!r}", advice)
        return False

    def references(self, container: LocDict, key: str, known: Collection[str], what: str, *where: object,
                   section: str = "", hint: Callable[[str], str] | None = None) -> tuple[str, ...]:
        """The names listed at ``key`` that exist; every other one is reported where it is written."""
        names = container.get(key)
        if not isinstance(names, LocList) or not self.ok(*where, key):
            return ()
        good = []
        schema_found = bool(self.bad)
        for index, name in enumerate(names):
            if not isinstance(name, str) or (schema_found and not self.ok(*where, key, index)):
                continue
            if name in known or self.reference(names.item_loc(index), name, known, what, section=section, hint=hint):
                good.append(name)
        return tuple(good)



# -- reading located data whose structure the schema has already checked ------------------------------------------

def text_at(container: LocDict, key: str, default: str = "") -> str:
    """The text at ``key``, or ``default`` when it is absent or not text."""
    value = container.get(key)
    return value if isinstance(value, str) else default


def mapping_at(container: LocDict, key: str) -> LocDict:
    """The mapping at ``key``, or an empty one (placed at the container) when it is absent or not a mapping."""
    value = container.get(key)
    return value if isinstance(value, LocDict) else LocDict(container.loc)


def list_at(container: LocDict, key: str) -> LocList:
    """The list at ``key``, or an empty one when it is absent or not a list."""
    value = container.get(key)
    return value if isinstance(value, LocList) else LocList(container.loc)


def texts_at(container: LocDict, key: str) -> tuple[str, ...]:
    """The texts listed at ``key`` (anything else in the list is left out)."""
    return tuple(v for v in list_at(container, key) if isinstance(v, str))
