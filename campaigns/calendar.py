"""Loading and validating ``content_calendar.yaml``: the loading API.

``check(path)`` returns a :class:`~campaigns.result.LoadResult` holding the
:class:`~campaigns.model.Calendar` (when it is valid) and *every* problem found, each at
its ``file:line:col``; ``load(path)`` and ``loads(text)`` return the calendar or raise
:class:`~campaigns.errors.CalendarError` listing every error (``LoadResult.unwrap``).
Structure (types, unknown keys, enums) is checked by the JSON Schema
(:mod:`campaigns.schema`); meaning (dates, zones, rules, references, templates, lengths)
by :mod:`campaigns.builder`.  Warnings (e.g. a recurring time that meets a DST change)
are kept on the result and never stop a load.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any

from . import recheck
from .builder import CalendarBuilder
from .errors import CalendarError, Problem
from .gcpause import paused_gc
from .model import Calendar
from .result import LoadResult
from .schema import calendar_schema
from .schemacheck import SchemaChecker
from .yamlparts import located
from .yamlsource import Loc, LocDict, LocList, load_file, load_text, read_file

__all__ = [
    "CalendarResult", "build", "check", "forget", "load", "loads",
]


@lru_cache(maxsize=1)
def _checker() -> SchemaChecker:
    return SchemaChecker(calendar_schema())


class CalendarResult(LoadResult[Calendar]):
    """A checked calendar: ``value`` (None unless valid) and every problem found."""


def check(path: str, text: str | None = None, *, draft: bool = False,
          posts: Callable[[int], bool] | None = None, incremental: bool = False) -> CalendarResult:
    """Validate the file at ``path`` (or ``text``, named ``path``); the calendar (if valid) with
    every error and warning found.  ``draft``: a post too long for a network is a warning, not
    an error, so that the review room can show a planner's unfinished file with its overflow
    marked (the engine never runs a draft: it loads without ``draft``).  ``posts``: only the
    posts at the indices it accepts are read (for a process that plans part of a calendar
    another one validates whole).  ``incremental``: the last version of ``path`` checked so is
    remembered, and what it shares with this one is reused (:mod:`campaigns.recheck`: each post whose
    text is unchanged is neither parsed nor built again), with exactly the result of a full check;
    a file longer than :data:`campaigns.recheck.MEMO_CHARS` is checked whole and not remembered."""
    with paused_gc():
        if incremental and posts is None:
            return _check_again(path, text, draft)
        try:
            data = load_file(path) if text is None else load_text(text, path)
        except CalendarError as exc:
            return CalendarResult(None, exc.problems)
        if posts is not None and isinstance(data, LocDict) and isinstance(data.get("posts"), LocList):
            every = data["posts"]
            part = data["posts"] = LocList(every.loc)
            for index, spec in enumerate(every):
                if posts(index):
                    part.append(spec)
                    part.item_locs.append(every.item_loc(index))
        return build(data, path, draft=draft)


def _check_again(path: str, text: str | None, draft: bool) -> CalendarResult:
    """:func:`check` of this version of ``path`` from what checking the last one made."""
    before, memo = recheck.remembered(path), recheck.Memo()
    try:
        text = read_file(path) if text is None else text
        if not recheck.fits(text):  # too long to remember (recheck.MEMO_CHARS): checked whole, as validate does
            recheck.forget(path)
            return build(load_text(text, path), path, draft=draft)
        data = located(text, path, recheck.SPLIT, "calendar", before, memo)
    except CalendarError as exc:
        return CalendarResult(None, exc.problems)  # (the last good version's parts stay remembered)
    result = build(data, path, draft=draft, make=partial(recheck.ReusingBuilder, before=before, memo=memo))
    recheck.remember(path, memo)
    return result


def forget(path: str | None = None) -> None:
    """Nothing remembered of ``path`` by incremental checks (of any file: None)."""
    recheck.forget(path)


def load(path: str) -> Calendar:
    """Load and validate the calendar at ``path``; raise CalendarError listing every error."""
    return check(path).unwrap(CalendarError)


def loads(text: str, path: str = "<calendar>") -> Calendar:
    """Like :func:`load`, from text."""
    return check(path, text).unwrap(CalendarError)


def build(data: object, path: str, *, draft: bool = False, make: Any = CalendarBuilder) -> CalendarResult:
    """The calendar from located data (see :mod:`campaigns.yamlsource`); ``make``: the builder's class."""
    if not isinstance(data, LocDict):
        loc = getattr(data, "loc", Loc(1, 1))
        problem = Problem(path, loc.line, loc.col, "the calendar must be a mapping with brand:, networks: and posts:")
        return CalendarResult(None, [problem])
    problems, bad = _checker().problems(data, path)
    builder = make(path, data, problems, bad)
    builder.draft = draft
    calendar = builder.calendar()
    return CalendarResult(calendar if not builder.has_errors() else None, problems)
