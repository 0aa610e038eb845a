"""campaigns.plan.occurrences against a plain reading of the rule: dateutil's times placed in the
zone one by one (fold=0, RFC 5545's gaps and folds), a time the clocks shift onto an instant already
produced dropped, exdates left out, and every occurrence numbered from the rule's start.  Windows
start anywhere, long after the start too (where the plan only counts the times before the window)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.calendar import loads
from campaigns.plan import occurrences
from tests.conftest import calendar_text

ZONES = ["Europe/Berlin", "America/Sao_Paulo", "Australia/Lord_Howe", "America/New_York", "Asia/Tokyo"]
RULES = ["FREQ=DAILY;BYHOUR=2,3;BYMINUTE=30", "FREQ=DAILY;BYHOUR=1,2;BYMINUTE=0,45",
         "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=30", "FREQ=MONTHLY;BYDAY=-1SU;BYHOUR=0,2,3;BYMINUTE=15",
         "FREQ=DAILY;INTERVAL=3;BYHOUR=23;BYMINUTE=59", "FREQ=YEARLY;BYMONTH=3,10;BYDAY=SU;BYHOUR=2;BYMINUTE=30",
         "FREQ=HOURLY;INTERVAL=5"]


def _reference(rule, tz: ZoneInfo, start: datetime, end: datetime,  # type: ignore[no-untyped-def]
               exdays: set[date]) -> list[tuple[int, datetime]]:
    out, index, previous = [], 0, datetime.min.replace(tzinfo=UTC)
    for local in rule:
        if local.date() in exdays:
            continue
        utc = local.replace(tzinfo=tz).astimezone(UTC)
        if utc <= previous:
            continue
        previous = utc
        if utc >= end:
            break
        if utc >= start:
            out.append((index, utc))
        index += 1
    return out


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ZONES), st.sampled_from(RULES), st.integers(0, 700), st.integers(1, 60),
       st.lists(st.integers(0, 400), max_size=3))
def test_occurrences_are_the_rules_times_placed_one_by_one(zone: str, rule: str, later: int, days: int,
                                                          exdates: list[int]) -> None:
    first = date(2026, 1, 1)
    skipped = sorted({first + timedelta(days=n) for n in exdates})
    exdate_line = f"exdates: [{', '.join(map(str, skipped))}]" if skipped else ""
    calendar = loads(calendar_text(f"""
        - id: p
          kind: tip
          networks: [site]
          timezone: {zone}
          starts: {first}T10:00
          rrule: "{rule}"
          {exdate_line}
          text: hi
        """))
    post = calendar.posts[0]
    tz = ZoneInfo(zone)
    start = datetime(2026, 1, 1, tzinfo=tz) + timedelta(days=later)
    end = start + timedelta(days=days)
    got = [(occ.index, occ.at.astimezone(UTC)) for occ in occurrences(post, start, end)]
    assert got == _reference(post.series.rule, tz, start, end, set(skipped))
