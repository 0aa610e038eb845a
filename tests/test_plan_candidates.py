"""The engine plans only the posts that can fall in its window (scheduler/engine/candidates.py): the
same publications, in the same order, as planning every post.  The oracle is campaigns.plan.plan
of the whole calendar, over windows at every scale (minutes to weeks, across DST changes, before,
inside and after the calendar's year), of a calendar with rules of every kind in several zones,
one-offs written with and without an offset, and posts that end."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from bench.generate import generate
from campaigns.calendar import loads
from campaigns.plan import plan
from scheduler.engine.candidates import candidates

ENDS = """
  - id: ends
    kind: tip
    networks: [site]
    starts: 2027-01-01T23:30
    ends: 2027-03-01
    rrule: "FREQ=DAILY"
    text: Until March
  - id: offset
    kind: tip
    networks: [site]
    at: 2027-03-28T01:30:00+05:00
    text: Written with its offset
  - id: late-night
    kind: tip
    networks: [site]
    at: 2027-03-27T23:59
    text: Just before the day after
"""


@pytest.fixture(scope="module")
def calendar():
    text = generate(600, start=date(2027, 1, 1), many_rules=True)
    return loads(text.replace("posts:\n", "posts:\n" + ENDS.lstrip("\n"), 1))


def windows():
    rng = random.Random(24)
    starts = [datetime(2026, 12, 30, tzinfo=UTC), datetime(2027, 3, 27, 22, tzinfo=UTC),
              datetime(2027, 10, 30, 23, tzinfo=UTC), datetime(2028, 2, 1, tzinfo=UTC)]
    starts += [datetime(2027, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(525_600)) for _ in range(12)]
    lengths = [timedelta(minutes=1), timedelta(hours=1), timedelta(hours=26), timedelta(days=8)]
    return [(start, start + length) for start in starts for length in lengths]


@pytest.mark.parametrize(("start", "end"), windows())
def test_the_posts_that_can_fall_in_a_window_plan_as_every_post_does(calendar, start, end):
    assert plan(candidates(calendar, start, end), start, end) == plan(calendar, start, end)


def test_a_window_sees_few_posts(calendar):
    start = datetime(2027, 6, 1, 12, tzinfo=UTC)
    within = candidates(calendar, start, start + timedelta(hours=26)).posts
    one_offs = [p for p in calendar.posts if p.series.rule is None]
    assert plan(calendar, start, start + timedelta(hours=26))  # (the window has publications)
    assert len([p for p in within if p.series.rule is None]) < len(one_offs) / 20
    assert "ends" not in {p.id for p in within} and any(p.series.rule is not None for p in within)
    before = datetime(2026, 1, 1, tzinfo=UTC)
    assert candidates(calendar, before, before + timedelta(hours=26)).posts == ()
