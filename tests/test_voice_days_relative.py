"""False positives of the day rules found by a black-box attack (issue 28), and their neighbours:
relative days ("the day after tomorrow", "a week from today") shift the day a named day must be,
a closure concerns the shop's doors and not its website, and an hours clause that names another
day belongs to that day.  Each case is written both ways: what must not be flagged, and the true
positive next to it that still must be."""

from __future__ import annotations

import pytest

from tests.test_voice_days import HOURS, findings


def rules(text: str, when: str) -> list[str]:
    return [f.rule for f in findings(text, when, hours=HOURS)]


TUESDAY = "2026-12-08T10:00"  # Tuesday 8 December 2026

# -- wrong-day: relative days -----------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "The day after tomorrow (Thursday 10 December) we open late",
    "The day after tomorrow, Thursday 10 December, the winter sale starts",
    "Day after tomorrow: Thursday 10 December, late opening until 9 pm",
    "The day before yesterday (Sunday 6 December) we sold the last oak table",
    "A week from today (Tuesday 15 December) the sale ends",
    "One week from today, Tuesday 15 December, the sale ends",
    "Two weeks from today (Tuesday 22 December): last orders for Christmas",
    "Three days from today (Friday 11 December) we open late",
    "Two days from now (Thursday 10 December) the sale starts",
    "A week tomorrow (Wednesday 16 December) we open late",
    "A week today (Tuesday 15 December) the sale ends",
    "Tomorrow week (Wednesday 16 December) we open late",
    "A week ago today (Tuesday 1 December) we opened the showroom",
    "Two days after tomorrow (Friday 11 December) the sale starts",
    "Not today: Friday 11 December is the late opening",
    "Not tonight – Friday 11 December, from 6 pm",
    "Order by Friday 11 December for delivery on Monday",
    "Order today for delivery on Friday 11 December",
    "Next Monday (14 December) the winter sale starts",
    "This weekend (Saturday 12 December) we open late",
    "In two days (Thursday 10 December) the sale starts",
    "Yesterday (Monday 7 December) we sold out",
    "Tomorrow night (Wednesday 9 December): late opening",
    "Order today – Friday 11 December delivery guaranteed",
    "Order today, Friday 11 December deliveries are almost full",
    "Order tonight: Friday delivery for every sofa in stock",
])
def test_a_day_the_text_says_is_another_day_is_not_a_wrong_day(text):
    assert rules(text, TUESDAY) == [], text


@pytest.mark.parametrize("text, when", [
    ("The day after tomorrow (Friday 11 December) we open late", TUESDAY),
    ("The day before yesterday (Monday 7 December) we sold out", TUESDAY),
    ("A week from today (Monday 14 December) the sale ends", TUESDAY),
    ("Tomorrow (Thursday 10 December) we open late", TUESDAY),
    ("Late opening tonight (Monday 30 November)", "2026-12-01T00:00"),
    ("Today (Friday 11 December) only: 20% off", TUESDAY),
    ("Starting today, Friday 11 December, 20% off", TUESDAY),
    ("Order today, Friday 11 December, for delivery on Monday", TUESDAY),
    ("Tonight it's Friday: late opening", TUESDAY),
    ("Today is Friday 11 December: the sale starts", TUESDAY),
    ("Not today but tomorrow (Friday 11 December)", TUESDAY),
])
def test_a_day_the_text_calls_today_still_is_a_wrong_day(text, when):
    assert rules(text, when) == ["wrong-day"], text


# -- closed-day: online is not the shop's doors -----------------------------------------------

SUNDAY = "2026-12-06T10:00"  # declared closed (sun: closed)


@pytest.mark.parametrize("text, when", [
    ("Visit us online today", SUNDAY),
    ("Visit our webshop today: free delivery on every sofa", SUNDAY),
    ("Visit our website today for the winter sale", SUNDAY),
    ("Visit our online shop today", SUNDAY),
    ("Our webshop is open today, 24/7", SUNDAY),
    ("Our online store is open today", SUNDAY),
    ("We're open online today", SUNDAY),
    ("See you online today", SUNDAY),
    ("Visit our online showroom today", SUNDAY),
    ("Chat with us today: our support is open until 6 pm", SUNDAY),
    ("Visit us at acme.example today", SUNDAY),
    ("Visit us at https://acme.example/sale today", SUNDAY),
    ("Visit us online on Christmas Day (25 December)", "2026-12-18T10:00"),
    ("Our shop is open online today, the showroom opens again on Monday", SUNDAY),
])
def test_online_is_not_a_contradiction_of_a_closed_day(text, when):
    assert rules(text, when) == [], text


@pytest.mark.parametrize("text", [
    "Visit us today",
    "Visit our showroom today",
    "Come by the store today; or shop online",
    "Come by today or order online",
    "We're open today from 10:00",
    "Visit our store today or shop online",
    "Shop online or visit us in store today",
    "Visit us in person or online today",
    "See you today at the showroom",
    "Doors open today at 10:00",
])
def test_the_shops_doors_on_a_closed_day_still_are_a_closed_day(text):
    assert rules(text, SUNDAY) == ["closed-day"], text


# -- opening-hours: a clause that names another day is that day's --------------------------------

SATURDAY = "2026-12-05T09:00"  # 10:00-16:00; weekdays 10:00-19:00; Sunday closed


@pytest.mark.parametrize("text", [
    "We're open until 4 pm today, and on Monday until 7 pm",
    "Open today until 4 pm, and on Monday until 7 pm",
    "Open today 10:00-16:00, Monday to Friday 10:00-19:00",
    "Open today until 4 pm (weekdays until 7 pm)",
    "We're open today until 4 pm, on weekdays until 7 pm",
    "Open today until 4 pm and next Monday until 7 pm",
    "We're open until 4 pm today and until 7 pm from Monday",
    "Open until 4 pm today, weekdays 10:00-19:00",
    "Open today from 10:00 and until 4 pm",
    "Open today until 4 pm, on Monday 7 December until 7 pm",
    "Open today until 4 pm (usually until 4 pm on Saturdays, 7 pm on weekdays)",
])
def test_hours_of_another_day_are_not_checked_against_the_posts_day(text):
    assert rules(text, SATURDAY) == [], text


@pytest.mark.parametrize("text, expected", [
    ("Open until 7 pm today", ["opening-hours"]),
    ("Open today until 7 pm, and on Monday until 7 pm", ["opening-hours"]),
    ("Open on Monday until 8 pm, today until 4 pm", ["opening-hours"]),
    ("Open today until 4 pm, and on Monday until 8 pm", ["opening-hours"]),
    ("Open today from 9:00 and on Monday from 10:00", ["opening-hours"]),
    ("Open today until 4 pm and tomorrow until 7 pm", ["closed-day"]),
])
def test_hours_of_the_day_named_are_checked_against_that_day(text, expected):
    assert rules(text, SATURDAY) == expected, text
