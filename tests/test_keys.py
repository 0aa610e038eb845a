"""Publication keys are pinned, literally: the ledger knows what was published by them, so a
change to how a key is made would re-post everything after an upgrade.  If one of these
fails, the key format changed: that needs a ledger migration, not a new literal here."""

from __future__ import annotations

from datetime import UTC, datetime

from campaigns.calendar import loads
from campaigns.plan import plan
from tests.conftest import calendar_text

POSTS = """
- id: launch
  kind: announcement
  networks: [site]
  at: 2026-12-01T10:00
  text: The winter collection is here.
- id: night-owl
  kind: tip
  networks: [site]
  starts: 2027-03-21
  rrule: FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=30
  text: Sunday tip.
- id: everywhere
  kind: reminder
  networks: [site, x, masto]
  at: 2026-12-24T09:15+01:00
  text: Last orders for Christmas ship today.
"""


def keys(start: datetime, end: datetime) -> list[tuple[str, str, str, str]]:
    calendar = loads(calendar_text(POSTS))
    return sorted((p.post, p.network, p.at.astimezone(UTC).isoformat(), p.key) for p in plan(calendar, start, end))


def test_a_one_off_post_keeps_its_key():
    assert keys(datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)) == [
        ("launch", "site", "2026-12-01T09:00:00+00:00", "234fd014588fac807d0e75c111b28982"),
    ]


def test_a_recurring_post_keeps_its_keys_across_a_dst_change():
    # 02:30 does not exist in Berlin on 2027-03-28: that one goes out at 03:30 CEST, 01:30 UTC
    assert keys(datetime(2027, 3, 20, tzinfo=UTC), datetime(2027, 4, 5, tzinfo=UTC)) == [
        ("night-owl", "site", "2027-03-21T01:30:00+00:00", "79b6824992b98622048168c67aed9b42"),
        ("night-owl", "site", "2027-03-28T01:30:00+00:00", "2f8a597d0642728a8125518694f359e7"),
        ("night-owl", "site", "2027-04-04T00:30:00+00:00", "ec11ded1c528b59b263ce61912c099b9"),
    ]


def test_the_key_is_the_sha256_of_source_utc_instant_and_account():
    # written out by hand, independently of campaigns.plan: the format the ledger holds
    import hashlib

    assert hashlib.sha256(b"post:launch\x1f2026-12-01T09:00:00Z\x1fsite").hexdigest()[:32] == (
        "234fd014588fac807d0e75c111b28982")


def test_each_network_account_has_its_own_key():
    assert keys(datetime(2026, 12, 24, tzinfo=UTC), datetime(2026, 12, 25, tzinfo=UTC)) == [
        ("everywhere", "masto", "2026-12-24T08:15:00+00:00", "74b3df1c52d6ba0176512630367ac91a"),
        ("everywhere", "site", "2026-12-24T08:15:00+00:00", "5fa807435cd9c99fb1e6073b2a4a00a3"),
        ("everywhere", "x", "2026-12-24T08:15:00+00:00", "f4049276bcf681ab403a1f7fe5fad687"),
    ]
