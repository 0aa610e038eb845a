"""The day rules' defects a cold review of issue 28 found, each written both ways: the text the
reviewer gave and the neighbour that must keep its answer.  Stall cases are in
tests/test_voice_days.py (hostile text)."""

from __future__ import annotations

import pytest

from tests.test_voice_days import HOURS, findings

TUESDAY = "2026-12-08T10:00"  # Tuesday 8 December 2026
SATURDAY = "2026-12-05T09:00"  # 10:00-16:00; weekdays 10:00-19:00; Sunday closed
SUNDAY = "2026-12-06T10:00"  # declared closed


def rules(text: str, when: str) -> list[str]:
    return sorted(f.rule for f in findings(text, when, hours=HOURS))


# -- a duration "for N days from today" starts today: the shift does not apply (HIGH 2) ----------

@pytest.mark.parametrize("text", [
    "Our sale runs for two weeks from today (Tuesday 8 December)",
    "Free returns for 30 days from today (Tuesday 8 December)",
    "Valid for 7 days from today, Tuesday 8 December",
    "For one week from tonight (Tuesday 8 December) we open late",
    "The offer lasts two weeks from today (Tuesday 8 December)",
    "Free returns for 100 days from today (Tuesday 8 December)",
    "100 days from today (Thursday 18 March 2027) the guarantee ends",
])
def test_a_duration_from_today_names_today(text):
    assert rules(text, TUESDAY) == [], text


@pytest.mark.parametrize("text", [
    "Our sale runs for two weeks from today (Friday 11 December)",
    "Free returns for 30 days from today (Tuesday 5 January)",
    "Valid for 7 days from today, Tuesday 15 December",
    "100 days from today (Thursday 11 March 2027) the guarantee ends",
    "Two weeks from today (Tuesday 8 December): last orders for Christmas",
])
def test_a_duration_from_another_day_is_still_a_wrong_day(text):
    assert rules(text, TUESDAY) == ["wrong-day"], text


# -- "not today (Friday)" still calls Friday today; "Today, Friday … orders" too (MEDIUM 3) --------

@pytest.mark.parametrize("text", [
    "Not today (Friday 11 December) but tomorrow: the sale starts",
    "Rather than today (Friday 11 December), we'll open on Saturday",
    "Why not today (Friday 11 December)?",
    "Tomorrow, Friday 11 December deliveries are free",
    "Today, Friday 11 December orders get a free cushion",
])
def test_a_day_paired_with_today_is_checked_after_not_and_before_a_noun(text):
    assert rules(text, TUESDAY) == ["wrong-day"], text


@pytest.mark.parametrize("text", [
    "Not today (Tuesday 8 December) but tomorrow: the sale starts",
    "Not today: Friday 11 December is the late opening",
    "Not tonight – Friday 11 December, from 6 pm",
    "Tomorrow, Wednesday 9 December deliveries are free",
    "Order today, Friday 11 December deliveries are almost full",
    "Order today – Friday 11 December delivery guaranteed",
])
def test_not_today_and_a_delivery_day_are_still_not_a_wrong_day(text):
    assert rules(text, TUESDAY) == [], text


# -- closed-day: the showroom is the doors, even with a link or "support" (MEDIUM 3) -------------

@pytest.mark.parametrize("text", [
    "Our showroom is open today for support with your order",
    "Come by today for expert support choosing your sofa",
    "Visit our showroom today https://acme.example/showroom",
    "Our store is open today, see https://acme.example/store",
])
def test_the_showroom_with_a_link_or_support_is_a_closed_day(text):
    assert rules(text, SUNDAY) == ["closed-day"], text


@pytest.mark.parametrize("text", [
    "Our support is open today: chat with us",
    "Visit us at https://acme.example/sale today",
    "Our shop is open online today, the showroom opens again on Monday",
    "Chat with us today: our support is open until 6 pm",
])
def test_support_and_links_alone_still_are_online(text):
    assert rules(text, SUNDAY) == [], text


# -- opening-hours: a list of days is one clause; online times are not the doors' (MEDIUM 3) -----

@pytest.mark.parametrize("text, expected", [
    ("Open today and tomorrow until 7 pm", ["closed-day", "opening-hours"]),
    ("Today and Monday: open 10:00-19:00", ["opening-hours"]),
    ("We're open today until 7 pm but our chat is open until 9 pm", ["opening-hours"]),
    ("Open today until 4 pm and tomorrow until 7 pm", ["closed-day"]),
])
def test_a_list_of_days_keeps_today_in_its_clause(text, expected):
    assert rules(text, SATURDAY) == expected, text


@pytest.mark.parametrize("text", [
    "Open today and Monday until 4 pm",
    "We're open today until 4 pm but our chat is open until 7 pm",
    "We're open today until 4 pm and our webshop until midnight",
])
def test_times_of_the_online_shop_are_not_the_doors(text):
    assert rules(text, SATURDAY) == [], text


# -- "December 12:00" is a time after a date, not 12 December (MEDIUM 3) -------------------------

def test_a_day_number_before_a_colon_and_minutes_is_a_time():
    assert rules("Open on Monday 7 December 12:00-18:00", SATURDAY) == []
    assert rules("Open on Monday 7 December 10:30-18:00", SATURDAY) == []
    [found] = findings("Open today 10:00-16:00, on Friday 11 December 10:00-20:00", SATURDAY, hours=HOURS)
    assert found.rule == "opening-hours" and "Friday 11 December 2026" in found.message, found.message
    assert rules("Open on December 12 from 10:00 until 8 pm", SATURDAY) == ["opening-hours"]
