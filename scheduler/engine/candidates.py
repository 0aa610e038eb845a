"""The posts that may fall in a window: what the engine plans, instead of every post of the calendar.

:func:`campaigns.plan.plan` looks at every post (its accounts' variants hashed, its rule walked):
at 100,000 posts, 1.3 s of CPU for any window, however short, and the engine plans its 26-hour
window at start-up (before it is armed) and every hour after (on the thread of whichever account
wakes first).  Each post's publications depend on that post alone, so planning only the posts
that can have an occurrence in the window gives the same plan: a one-off whose time is a day or
more outside the window cannot, nor a rule that starts a day or more after it or ends a day or
more before it (a day: more than any zone's offset from UTC).  The one-offs are sorted by time
once per calendar, so a window finds its own with a binary search.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from campaigns.model import Calendar

MARGIN = timedelta(days=1)  # wall-clock times against UTC: more than any zone's offset


class Candidates:
    """One calendar's posts, indexed by when they can occur."""

    def __init__(self, calendar: Calendar):
        self.calendar = calendar
        once: list[tuple[datetime, int]] = []  # (time, naive: UTC or wall-clock, position)
        self.recurring: list[tuple[datetime, datetime | None, int]] = []  # (first, until: wall-clock, position)
        for position, post in enumerate(calendar.posts):
            series = post.series
            if series.rule is not None:
                self.recurring.append((series.dtstart, series.until, position))
            elif series.instant is not None:
                once.append((series.instant.astimezone(UTC).replace(tzinfo=None), position))
            else:
                once.append((series.dtstart, position))
        once.sort()
        self.times = [at for at, _ in once]
        self.positions = [position for _, position in once]

    def within(self, start: datetime, end: datetime) -> Calendar:
        """The calendar with only the posts that may have an occurrence in [start, end), in their order."""
        low = start.astimezone(UTC).replace(tzinfo=None) - MARGIN
        high = end.astimezone(UTC).replace(tzinfo=None) + MARGIN
        chosen = self.positions[bisect_left(self.times, low):bisect_right(self.times, high)]
        chosen += [position for first, until, position in self.recurring
                   if first <= high and (until is None or until >= low)]
        posts = self.calendar.posts
        return replace(self.calendar, posts=tuple(posts[position] for position in sorted(chosen)))


_last: Candidates | None = None  # the running calendar's (a reload makes another)
_lock = threading.Lock()


def candidates(calendar: Calendar, start: datetime, end: datetime) -> Calendar:
    """``calendar`` with only the posts that may fall in [start, end) (see the module's docstring)."""
    global _last
    with _lock:
        index = _last
        if index is None or index.calendar is not calendar:
            index = _last = Candidates(calendar)
    return index.within(start, end)
