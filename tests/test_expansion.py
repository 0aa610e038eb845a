"""campaigns.expansion gives exactly dateutil's times, over random rules and windows.

dateutil is the oracle: each rule is parsed as the calendar parses it
(campaigns.recurrence.parse_rule) and both expansions are compared up to a random stop.
The adapter that reads a rule's parts from dateutil's text is held to fixed answers, so a
dateutil that writes its rules differently fails here, loudly, rather than plans quietly.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from campaigns.expansion import expand, shape_of
from campaigns.recurrence import RuleError, parse_rule

DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
UTC_ZONE = ZoneInfo("UTC")


def _listed(values: list[int]) -> str:
    return ",".join(map(str, values))


@st.composite
def rules(draw: st.DrawFn) -> str:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={freq}"]
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(1, 5))}")
    if draw(st.integers(0, 4)) == 0:
        parts.append(f"WKST={draw(st.sampled_from(DAYS))}")
    if draw(st.integers(0, 3)) == 0:
        parts.append(f"BYMONTH={_listed(draw(st.lists(st.integers(1, 12), min_size=1, max_size=3)))}")
    if draw(st.integers(0, 2)) == 0:
        days = draw(st.lists(st.integers(1, 31) | st.integers(-31, -1), min_size=1, max_size=3))
        parts.append(f"BYMONTHDAY={_listed(days)}")
    day_shape = draw(st.integers(0, 3))
    if day_shape == 2 and any(part.startswith("BYMONTHDAY") for part in parts):
        day_shape = 1  # (the fifth Monday on the first of the month never comes: dateutil would look until 9999)
    if day_shape == 1:
        parts.append(f"BYDAY={','.join(draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=4, unique=True)))}")
    elif day_shape == 2:
        largest = 53 if freq == "YEARLY" and not any(part.startswith("BYMONTH=") for part in parts) else 5
        n = draw(st.integers(-largest, largest).filter(bool))
        parts.append(f"BYDAY={n}{draw(st.sampled_from(DAYS))}")
    if draw(st.booleans()):
        parts.append(f"BYHOUR={_listed(draw(st.lists(st.integers(0, 23), min_size=1, max_size=3)))}")
    if draw(st.booleans()):
        parts.append(f"BYMINUTE={_listed(draw(st.lists(st.sampled_from([0, 15, 30, 59]), min_size=1, max_size=2)))}")
    if draw(st.integers(0, 5)) == 0:
        parts.append(f"BYSECOND={_listed(draw(st.lists(st.integers(0, 59), min_size=1, max_size=2)))}")
    if draw(st.integers(0, 3)) == 0:
        parts.append(f"BYSETPOS={_listed(draw(st.lists(st.integers(-8, 8).filter(bool), min_size=1, max_size=3)))}")
    ending = draw(st.integers(0, 4))
    if ending == 0:
        parts.append(f"COUNT={draw(st.integers(0, 40))}")
    elif ending == 1:
        until = datetime(2026, 1, 1) + timedelta(hours=draw(st.integers(0, 24 * 900)))
        parts.append(f"UNTIL={until:%Y%m%dT%H%M%S}")
    return ";".join(draw(st.permutations(parts)))


starts = st.datetimes(datetime(2024, 1, 1), datetime(2028, 12, 31))


def _dateutil(rule, stop: datetime) -> list[datetime]:  # type: ignore[no-untyped-def]
    out = []
    for at in rule:
        if at > stop:
            break
        out.append(at)
    return out


@settings(max_examples=200, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(rules(), starts, st.integers(0, 1500))
def test_expand_is_dateutil(text: str, start: datetime, days: int) -> None:
    try:
        parsed = parse_rule(text, start, UTC_ZONE, has_time=True)
    except RuleError:
        return
    shape = shape_of(parsed.rule, start)
    assert shape.plain
    stop = start + timedelta(days=days, hours=days % 24)
    assert expand(shape, start, stop) == _dateutil(parsed.rule, stop), text


@pytest.mark.parametrize(("text", "expected"), [
    ("FREQ=WEEKLY", dict(freq=WEEKLY, weekdays=(2,), hours=(10,), minutes=(15,), seconds=(7,), interval=1)),
    ("FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR,MO;BYSETPOS=1,-2;BYHOUR=9,7",
     dict(freq=MONTHLY, interval=2, weekdays=(0,), nth_weekdays=((4, -1),), setpos=(-2, 1), hours=(7, 9))),
    ("FREQ=YEARLY;COUNT=3", dict(freq=YEARLY, count=3, months=(6,), monthdays=(3,))),
    ("FREQ=DAILY;WKST=SU;BYMONTHDAY=1,-1;UNTIL=20270301T100000",
     dict(freq=DAILY, wkst=6, monthdays=(1,), negative_monthdays=(-1,), until=datetime(2027, 3, 1, 10))),
    ("FREQ=WEEKLY;BYDAY=2TU", dict(weekdays=(1,), nth_weekdays=())),
])
def test_shape_reads_dateutils_text(text: str, expected: dict[str, object]) -> None:
    """If dateutil ever writes its rules' text otherwise, this fails before any plan does."""
    start = datetime(2026, 6, 3, 10, 15, 7)
    shape = shape_of(parse_rule(text, start, UTC_ZONE, has_time=True).rule, start)
    assert {name: getattr(shape, name) for name in expected} == expected
    assert shape.plain


def test_rules_within_the_day_are_left_to_dateutil() -> None:
    start = datetime(2026, 6, 3, 10, 15)
    assert not shape_of(parse_rule("FREQ=HOURLY;INTERVAL=6", start, UTC_ZONE, has_time=True).rule, start).plain
    assert not shape_of(parse_rule("FREQ=YEARLY;BYYEARDAY=100", start, UTC_ZONE, has_time=True).rule, start).plain


def _by_rrulestr(text: str, start: datetime):  # type: ignore[no-untyped-def]
    from dateutil.rrule import rrulestr

    rule = rrulestr(text, dtstart=start, cache=False)
    return rule, shape_of(rule, start)


@settings(max_examples=400, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(rules(), starts, st.sampled_from(["as written", "lower case", "signed"]))
def test_a_rule_read_without_rrulestr_is_rrulestrs(text: str, start: datetime, spelling: str) -> None:
    """The rules calendars write are read by recurrence._plain, not rrulestr: the same rule (its
    text, as dateutil writes it, is the same) with the same parts, or None (rrulestr reads it)."""
    from campaigns.recurrence import _plain

    if spelling == "lower case":
        text = text.lower()
    elif spelling == "signed":
        text = text.replace("=1", "=+1").replace(",1", ",+1")
    try:
        expected = _by_rrulestr(text, start)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        assert _plain(text, start) is None, text
        return
    fast = _plain(text, start)
    if fast is not None:
        assert (str(fast[0]), fast[1]) == (str(expected[0]), expected[1]), text


@pytest.mark.parametrize("text", [
    "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9", "freq=monthly;byday=-1fr;byhour=9;byminute=30", "FREQ=DAILY;UNTIL=20270301",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=8", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;BYHOUR=17",
    "FREQ=WEEKLY;INTERVAL=2;WKST=SU;BYDAY=TU,TH;BYHOUR=10;COUNT=12", "FREQ=MONTHLY;BYDAY=+2SA;BYHOUR=11",
])
def test_the_rules_calendars_write_are_read_without_rrulestr(text):
    from campaigns.recurrence import _plain

    start = datetime(2027, 1, 4, 10, 15)
    fast = _plain(text, start)
    assert fast is not None
    expected = _by_rrulestr(text, start)
    assert (str(fast[0]), fast[1]) == (str(expected[0]), expected[1])


@pytest.mark.parametrize("text", [
    "FREQ=DAILY;BYHOUR=24", "FREQ=DAILY;BYHOUR=9;BYHOUR=10", "FREQ=WEEKLY;BYDAY=0MO", "FREQ=DAILY;UNTIL=20270231",
    "FREQ=DAILY; BYHOUR=9", "FREQ=HOURLY", "FREQ=YEARLY;BYWEEKNO=3", "FREQ=DAILY;BYSETPOS=0", "FREQ=DAILY;COUNT=0",
    "FREQ=DAILY;BYMONTHDAY=0", "FREQ=DAILY;", "BYHOUR=9", "FREQ=DAILY;BYDAY=MO(+1)", "FREQ=DAILY;INTERVAL=-1",
])
def test_any_other_rule_is_rrulestrs_to_read(text):
    """Each is wrong, or fine but not one _plain reads: rrulestr reads it (and says what is wrong)."""
    from campaigns.recurrence import _plain

    assert _plain(text, datetime(2027, 1, 4, 10, 15)) is None


def test_the_generated_calendars_rules_are_all_read_without_rrulestr():
    """(Not vacuous: the rules of a calendar of many distinct rules all take the fast reading, and
    are rrulestr's.)"""
    import gzip

    from campaigns.calendar import loads
    from campaigns.recurrence import _plain
    from tests.conftest import DATA

    calendar = loads(gzip.decompress((DATA / "golden" / "many-rules-300.yaml.gz").read_bytes()).decode())
    series = [post.series for post in calendar.posts if post.series.rule is not None]
    assert len({s.rule_text for s in series}) > 50
    for one in series:
        fast = _plain(one.rule_text, one.dtstart)
        assert fast is not None, one.rule_text
        assert str(fast[0]) == str(_by_rrulestr(one.rule_text, one.dtstart)[0])
