"""Day-rule misses found by the review (issue 28), from its exact sentences: a day in brackets
after "Tonight's …", "this Sunday" on a declared closed Sunday, and "Happy Friday!" on a
Thursday; with the neighbouring texts that must stay quiet."""

from __future__ import annotations

import pytest

from campaigns.days import Hours
from tests.test_voice_days import HOURS, WEEK, findings, rules

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


# -- the black-box attack (issue 28): posts going out on Saturday 12 December 2026 at 09:00 ---------

SATURDAY = "2026-12-12T09:00"


@pytest.mark.parametrize("text, said", [
    ("It's Friday! Come by until 4 pm.", "It's Friday"),
    ("It's Friday, so the showroom is open late tonight until 9 pm.", "It's Friday"),
    ("Today is Fri.", "Today is Fri"),
    ("Today (Fri 11 Dec)", "Today (Fri 11 Dec)"),
    ("Today, the 11th, we're open 10 am to 4 pm.", "Today, the 11th"),
])
def test_a_friday_text_going_out_on_saturday_is_a_wrong_day(text, said):
    found = findings(text, SATURDAY, hours=HOURS)
    assert [f.rule for f in found] == ["wrong-day"]
    assert text[found[0].span[0]:found[0].span[1]].startswith(said) and "Saturday 12 December 2026" in found[0].message
    assert findings(text, "2026-12-11T09:00", hours=HOURS) == []  # on the Friday: right


def test_hours_written_9_18h_are_checked_against_the_day():
    [found] = findings("Open today 9-18h.", SATURDAY, hours=HOURS)
    assert found.rule == "opening-hours" and "10:00-16:00" in found.message
    assert findings("Open today 10-16h.", SATURDAY, hours=HOURS) == []
    assert findings("Open today 10h-16h.", SATURDAY, hours=HOURS) == []
    assert rules("Open today 10h-18h30.", SATURDAY, hours=HOURS) == ["opening-hours"]


@pytest.mark.parametrize("text", [
    "It's Friday's sale we mean",
    "Since Friday, the 11th edition of our catalogue is out",
    "Order by the 11th for delivery before Christmas",
    "If it's Friday, we're open until 7 pm",
    "When it is Friday, come by",
])
def test_what_stays_quiet_on_saturday(text):
    assert findings(text, SATURDAY, hours=HOURS) == []


def test_its_friday_tomorrow_on_a_thursday_is_right():
    assert findings("It's Friday tomorrow: the sale starts", "2026-12-10T09:00", hours=HOURS) == []
