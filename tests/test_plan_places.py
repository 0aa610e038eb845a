"""A wall time placed by a day's offset (campaigns.plan._place's shortcut) is where zoneinfo puts it,
and written as zoneinfo's aware time writes itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from campaigns.plan import _place

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Sao_Paulo", "Asia/Tokyo", "UTC"]


def test_every_quarter_hour_of_two_years_is_placed_as_zoneinfo_places_it() -> None:
    for name in ZONES:
        tz, days = ZoneInfo(name), {}
        local = datetime(2026, 1, 1)
        while local < datetime(2028, 1, 1):
            utc, at, note, instant, iso = _place(local, tz, days)
            expected = local.replace(tzinfo=tz).astimezone(UTC)
            assert utc == expected and utc.tzinfo is UTC, (name, local)
            assert at == expected.astimezone(tz) and at.utcoffset() == expected.astimezone(tz).utcoffset()
            assert instant == expected.strftime("%Y-%m-%dT%H:%M:%SZ")
            assert iso == expected.astimezone(tz).isoformat(), (name, local)
            assert (note == "") == (at.replace(tzinfo=None) == local and
                                    local.replace(tzinfo=tz, fold=1).utcoffset() == at.utcoffset()), (name, local)
            local += timedelta(minutes=15)
