"""Recurrence and planning: pure functions of the calendar and a window, DST-correct."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from campaigns.calendar import loads
from campaigns.plan import plan, publication_key
from tests.conftest import calendar_text


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def instants(posts: str, start: datetime, end: datetime, tz: str = "Europe/Berlin") -> list[str]:
    calendar = loads(calendar_text(posts, tz))
    return [p.at.isoformat() for p in plan(calendar, start, end) if p.network == "site"]


def daily(time_: str, starts: str, extra: str = "") -> str:
    hour, minute = time_.split(":")
    return f"""
        - id: p
          kind: tip
          networks: [site]
          starts: {starts}
          rrule: FREQ=DAILY;BYHOUR={int(hour)};BYMINUTE={int(minute)}
          text: hi
          {extra}
        """


# Given a daily 02:30 post, when the clocks change, then RFC 5545 §3.3.5 decides:
# a time in the gap takes the offset from before the gap, a time in the fold its first instant.
DST_CASES = [
    ("Berlin, DST starts (gap)", "Europe/Berlin", "2027-03-27", utc(2027, 3, 27), utc(2027, 3, 30),
     ["2027-03-27T02:30:00+01:00", "2027-03-28T03:30:00+02:00", "2027-03-29T02:30:00+02:00"]),
    ("Berlin, DST ends (fold)", "Europe/Berlin", "2026-10-24", utc(2026, 10, 24), utc(2026, 10, 27),
     ["2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]),
    ("Sydney, DST starts in October (gap)", "Australia/Sydney", "2026-10-03", utc(2026, 10, 2), utc(2026, 10, 5),
     ["2026-10-03T02:30:00+10:00", "2026-10-04T03:30:00+11:00", "2026-10-05T02:30:00+11:00"]),
    ("Sydney, DST ends in April (fold)", "Australia/Sydney", "2026-04-04", utc(2026, 4, 3), utc(2026, 4, 6),
     ["2026-04-04T02:30:00+11:00", "2026-04-05T02:30:00+11:00", "2026-04-06T02:30:00+10:00"]),
    ("Santiago, DST starts at midnight (gap)", "America/Santiago", "2026-09-05", utc(2026, 9, 5, 12),
     utc(2026, 9, 8, 12), ["2026-09-06T01:30:00-03:00", "2026-09-07T00:30:00-03:00", "2026-09-08T00:30:00-03:00"]),
]


@pytest.mark.parametrize("name, tz, starts, start, end, expected", DST_CASES, ids=[c[0] for c in DST_CASES])
def test_daily_post_across_dst_changes(name, tz, starts, start, end, expected):
    at = "00:30" if tz == "America/Santiago" else "02:30"
    assert instants(daily(at, starts), start, end, tz) == expected


def test_hourly_rule_across_a_gap_posts_each_instant_once():
    posts = """
        - id: p
          kind: tip
          networks: [site]
          starts: 2027-03-28T00:30
          rrule: FREQ=HOURLY;COUNT=5
          text: hi
        """
    got = instants(posts, utc(2027, 3, 27), utc(2027, 3, 29))
    assert got == ["2027-03-28T00:30:00+01:00", "2027-03-28T01:30:00+01:00", "2027-03-28T03:30:00+02:00",
                   "2027-03-28T04:30:00+02:00"]  # 02:30 and 03:30 are the same instant: posted once


def test_leap_day_only_in_leap_years():
    posts = """
        - id: p
          kind: reminder
          networks: [site]
          starts: 2026-01-01
          rrule: FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=9;BYMINUTE=0
          text: hi
        """
    assert instants(posts, utc(2026, 1, 1), utc(2033, 1, 1)) == ["2028-02-29T09:00:00+01:00",
                                                                 "2032-02-29T09:00:00+01:00"]


def test_month_ends():
    base = """
        - id: p
          kind: reminder
          networks: [site]
          starts: 2027-01-01
          rrule: FREQ=MONTHLY;BYMONTHDAY={day};BYHOUR=9;BYMINUTE=0
          text: hi
        """
    days = lambda day: [s[:10] for s in instants(base.format(day=day), utc(2027, 1, 1), utc(2027, 5, 1))]  # noqa: E731
    assert days(31) == ["2027-01-31", "2027-03-31"]  # months without a 31st are skipped (RFC 5545)
    assert days(-1) == ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"]


def test_exdates_skip_a_whole_day_or_one_occurrence():
    posts = """
        - id: p
          kind: tip
          networks: [site]
          starts: 2026-12-21
          rrule: FREQ=DAILY;BYHOUR=9,17;BYMINUTE=0
          exdates: [2026-12-24, '2026-12-25T17:00']
          text: hi
        """
    assert instants(posts, utc(2026, 12, 23), utc(2026, 12, 26)) == [
        "2026-12-23T09:00:00+01:00", "2026-12-23T17:00:00+01:00", "2026-12-25T09:00:00+01:00"]


def test_times_to_the_second():
    posts = """
        - id: p
          kind: tip
          networks: [site]
          at: 2026-12-01T10:00:30
          text: hi
        - id: q
          kind: tip
          networks: [site]
          starts: 2026-12-01T10:15:45
          rrule: FREQ=DAILY;COUNT=2
          text: hi
        """
    assert instants(posts, utc(2026, 12, 1), utc(2026, 12, 3)) == [
        "2026-12-01T10:00:30+01:00", "2026-12-01T10:15:45+01:00", "2026-12-02T10:15:45+01:00"]


def test_campaign_window_bounds_a_recurring_post():
    posts = """
        - id: p
          kind: tip
          campaign: winter
          rrule: FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=9;BYMINUTE=0
          text: hi
        """
    got = instants(posts, utc(2026, 1, 1), utc(2028, 1, 1))
    assert [s[:10] for s in got] == ["2026-12-01", "2027-01-01", "2027-02-01"]  # ends: 2027-02-28


def test_post_time_zone_overrides_the_brand():
    posts = """
        - id: p
          kind: tip
          networks: [site]
          timezone: America/New_York
          at: 2026-12-01T18:00
          text: hi
        """
    assert instants(posts, utc(2026, 11, 30), utc(2026, 12, 3)) == ["2026-12-01T18:00:00-05:00"]


def test_variants_rotate_so_consecutive_posts_differ():
    calendar = loads(calendar_text("""
        - id: p
          kind: tip
          networks: [site, hooks]
          starts: 2026-12-01
          rrule: FREQ=DAILY;BYHOUR=9;BYMINUTE=0
          exdates: [2026-12-03]
          variants: ["A on {weekday}", "B on {weekday}", "C on {weekday}"]
          per_network: {hooks: {text: "only one for hooks"}}
        """))
    site = [p for p in plan(calendar, utc(2026, 12, 1), utc(2026, 12, 9)) if p.network == "site"]
    assert [p.text for p in site[:4]] == ["A on Tuesday", "B on Wednesday", "C on Friday", "A on Saturday"]
    assert all(a.text[0] != b.text[0] for a, b in zip(site, site[1:], strict=False))
    # The rotation is a property of the series, not of the window it is viewed through.
    later = [p for p in plan(calendar, utc(2026, 12, 5), utc(2026, 12, 9)) if p.network == "site"]
    assert [(p.key, p.variant) for p in later] == [(p.key, p.variant) for p in site if p.at >= utc(2026, 12, 5)]


def test_plan_is_deterministic_and_sorted():
    text = calendar_text("""
        - id: b
          kind: tip
          networks: [site, hooks]
          starts: 2026-12-01
          rrule: FREQ=DAILY;BYHOUR=9;BYMINUTE=0
          text: hi
        - id: a
          kind: tip
          networks: [hooks]
          at: 2026-12-02T09:00
          text: yo
        """)
    first = plan(loads(text), utc(2026, 12, 1), utc(2026, 12, 4))
    second = plan(loads(text), utc(2026, 12, 1), utc(2026, 12, 4))
    assert first == second
    assert [(p.at.day, p.network, p.post) for p in first][:5] == [
        (1, "hooks", "b"), (1, "site", "b"), (2, "hooks", "a"), (2, "hooks", "b"), (2, "site", "b")]


def test_key_survives_a_wording_change_but_not_a_time_change():
    def keys(text: str, at: str) -> list[str]:
        calendar = loads(calendar_text(f"""
            - id: p
              kind: tip
              networks: [site]
              at: {at}
              text: {text}
            """))
        return [p.key for p in plan(calendar, utc(2026, 1, 1), utc(2027, 1, 1))]

    assert keys("hello", "2026-12-01T10:00") == keys("hello, fixed typo", "2026-12-01T10:00")
    assert keys("hello", "2026-12-01T10:00") != keys("hello", "2026-12-01T10:05")
    assert keys("hello", "2026-12-01T10:00") == [publication_key("post:p", utc(2026, 12, 1, 9), "site")]


def test_utm_tags_go_on_brand_links_of_campaign_posts_only():
    calendar = loads(calendar_text("""
        - id: p
          kind: tip
          campaign: winter
          at: 2026-12-01T10:00
          text: "Track {links.order_tracking} or see https://other.example/x"
        - id: q
          kind: tip
          networks: [site]
          at: 2026-12-01T11:00
          text: "Help: {links.help}"
        """))
    texts = {(p.post, p.network): p.text for p in plan(calendar, utc(2026, 12, 1), utc(2026, 12, 2))}
    assert texts[("p", "site")] == ("Track https://acme.example/track?utm_source=site&utm_medium=social"
                                   "&utm_campaign=winter or see https://other.example/x")
    assert "utm_source=webhook" in texts[("p", "hooks")]
    assert texts[("q", "site")] == "Help: https://acme.example/help"


def test_disabled_posts_and_accounts_are_not_planned():
    calendar = loads(calendar_text("""
        - id: p
          kind: tip
          networks: [site]
          at: 2026-12-01T10:00
          enabled: false
          text: hi
        - id: q
          kind: tip
          networks: [site, hooks]
          at: 2026-12-01T10:00
          text: hi
          per_network: {hooks: {enabled: false}}
        """))
    assert [(p.post, p.network) for p in plan(calendar, utc(2026, 12, 1), utc(2026, 12, 2))] == [("q", "site")]


def test_occurrence_fields_and_southern_seasons():
    posts = """
        - id: p
          kind: tip
          networks: [site]
          at: 2027-01-15T09:00
          text: "{weekday} {day} {month} {year}, {date}, {date_iso} {time}, {season}"
        """
    north = plan(loads(calendar_text(posts)), utc(2027, 1, 1), utc(2027, 2, 1))
    south = plan(loads(calendar_text(posts, "Australia/Sydney")), utc(2027, 1, 1), utc(2027, 2, 1))
    assert north[0].text == "Friday 15 January 2027, 15 January 2027, 2027-01-15 09:00, winter"
    assert south[0].text.endswith("summer")


def test_a_year_of_weekly_posts_has_52_or_53_occurrences():
    posts = daily("10:00", "2026-01-01").replace("FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO")
    got = instants(posts, utc(2027, 1, 1), utc(2027, 1, 1) + timedelta(days=365))
    assert len(got) == 52 and len(set(got)) == 52


def test_kinds_are_a_str_enum_that_the_schema_and_json_agree_with():
    import json

    from campaigns.model import POST_KINDS, STATUS_KINDS, Kind
    from campaigns.schema import KINDS, calendar_schema

    calendar = loads(calendar_text("- id: a\n  kind: reminder\n  networks: [site]\n  at: 2026-12-01T10:00\n  text: hi\n"))
    (pub,) = plan(calendar, utc(2026, 11, 30), utc(2026, 12, 2))
    assert calendar.posts[0].kind is Kind.REMINDER and pub.kind == "reminder"
    assert json.loads(json.dumps(pub.as_json()))["kind"] == "reminder"
    assert tuple(POST_KINDS) == KINDS and calendar_schema()["properties"]["posts"]["items"]["properties"]["kind"] == {
        "enum": ["tip", "reminder", "announcement", "tracking"]}
    assert set(Kind) - set(POST_KINDS) == STATUS_KINDS == {"incident", "maintenance"}
    assert calendar.engine.hold_during_incidents == (Kind.TIP, Kind.ANNOUNCEMENT)
