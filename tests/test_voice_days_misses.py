"""Day-rule misses found by the review (issue 28), from its exact sentences: a day in brackets
after "Tonight's …", "this Sunday" on a declared closed Sunday, and "Happy Friday!" on a
Thursday; with the neighbouring texts that must stay quiet."""

from __future__ import annotations

import pytest

from campaigns.days import Hours
from tests.test_voice_days import WEEK, findings, rules

OPEN_SUNDAYS = Hours.of({**WEEK, "sun": "11:00-16:00"}, ["2026-12-13"])  # but closed on the 13th


def test_tonights_late_opening_on_friday_going_out_on_thursday_is_a_wrong_day():
    text = "Tonight's late opening (Friday 11 December)"
    [found] = findings(text, "2026-12-10T10:00")
    assert found.rule == "wrong-day" and "Thursday 10 December 2026" in found.message
    assert text[found.span[0]:found.span[1]].startswith("Tonight") and "Friday 11 December" in found.message
    assert findings(text, "2026-12-11T10:00") == []


def test_come_by_this_sunday_when_that_sunday_is_declared_closed_is_a_closed_day():
    [found] = findings("Come by this Sunday", "2026-12-10T10:00", hours=OPEN_SUNDAYS)
    assert found.rule == "closed-day" and "Sunday 13 December 2026" in found.message
    assert findings("Come by this Sunday", "2026-12-17T10:00", hours=OPEN_SUNDAYS) == []  # the 20th is open
    assert rules("Come by this Sunday", "2026-12-10T10:00", hours=Hours.of(WEEK, [])) == ["closed-day"]  # every Sunday


def test_happy_friday_going_out_on_a_thursday_is_a_wrong_day():
    text = "Happy Friday! ... open today"
    [found] = findings(text, "2026-12-10T10:00")
    assert found.rule == "wrong-day" and "Thursday 10 December 2026" in found.message
    assert text[found.span[0]:found.span[1]] == "Happy Friday"
    assert findings(text, "2026-12-11T10:00") == []


@pytest.mark.parametrize("text, when", [
    ("Tonight's late opening is the first since Monday", "2026-12-10T10:00"),
    ("Today's orders ship (Monday 14 December)", "2026-12-10T10:00"),
    ("Tonight's late opening (Thursday 10 December)", "2026-12-10T10:00"),
    ("Happy Friday tomorrow: the sale starts", "2026-12-10T10:00"),
    ("Come by this Saturday", "2026-12-10T10:00"),
    ("Visit our showroom every Sunday in spring", "2026-12-10T10:00"),
    ("We are closed this Sunday; come by on Monday", "2026-12-10T10:00"),
])
def test_what_stays_quiet(text, when):
    assert findings(text, when, hours=OPEN_SUNDAYS) == []
