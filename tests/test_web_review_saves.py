"""The review room's diff is made once per pair of versions (issue 28: 13-15 s a request at
10,000 posts, every request), and a broken save shows the last save that loaded, not the copy
the server started with."""

from __future__ import annotations

from scheduler.ledger import Ledger
from scheduler.ledger.reads import remember_calendar
from tests.test_web_review import CALENDAR, room, signed_in  # noqa: F401 - the fixture, shared


def counted(monkeypatch) -> list[int]:
    """How many times the room compares two calendars (the costly part of /review/diff)."""
    from scheduler.render import review

    calls: list[int] = []
    compare = review.compare_sides

    def counting(diff):
        calls.append(1)
        return compare(diff)

    monkeypatch.setattr(review, "compare_sides", counting)
    return calls


def test_a_repeated_diff_is_not_made_again_until_a_side_changes(room, monkeypatch):  # noqa: F811
    calendar, _status, url = room.files
    ledger = Ledger(url)
    remember_calendar(ledger.db, "abc123", CALENDAR)
    ledger.close()
    calendar.write_text(CALENDAR.replace("Winter sale: 20% off", "Winter sale: 25% off"))
    calls = counted(monkeypatch)
    signed_in(room)
    first = room.get("/review/diff").text
    assert "1 reworded" in first and calls == [1]
    assert room.get("/review/diff").text == first and calls == [1]  # nothing changed: the same page, not made again
    calendar.write_text(CALENDAR.replace("Winter sale: 20% off", "Winter sale: 30% off"))
    changed = room.get("/review/diff").text
    assert "30% off" in changed and calls == [1, 1]  # the file changed
    ledger = Ledger(url)
    remember_calendar(ledger.db, "def456", CALENDAR.replace("Winter sale: 20% off", "Winter sale: 30% off"))
    ledger.close()
    same = room.get("/review/diff").text
    assert "(def456)" in same and "0 reworded" in same and calls == [1, 1, 1]  # the running calendar changed


def test_a_broken_save_shows_the_last_save_that_loaded_not_the_start_up_copy(room):  # noqa: F811
    calendar, _status, _url = room.files
    signed_in(room)
    assert "keep it away from radiators" in room.get("/review?view=day&from=2026-12-03").text  # the server's first copy
    second = CALENDAR.replace("keep it away from radiators", "air the room every morning")
    calendar.write_text(second)
    assert "air the room every morning" in room.get("/review?view=day&from=2026-12-03").text  # a good save, seen in the room
    calendar.write_text(second.replace("brand:", "brand: [", 1))
    page = room.get("/review?view=day&from=2026-12-03").text
    assert "is broken on disk" in page
    assert "air the room every morning" in page and "keep it away from radiators" not in page
    diff = room.get("/review/diff").text
    assert "does not load" in diff


class _Evicting(dict):
    """A store whose entries another thread evicts right after a membership test (keep_newest on
    another request), the worst moment for a check-then-read."""

    def __contains__(self, key):
        found = super().__contains__(key)
        self.clear()
        return found


def test_an_entry_evicted_by_another_request_is_no_error(room, monkeypatch):  # noqa: F811
    from scheduler.web import review

    calendar, _status, url = room.files
    ledger = Ledger(url)
    remember_calendar(ledger.db, "abc123", CALENDAR)
    ledger.close()
    calendar.write_text(CALENDAR.replace("Winter sale: 20% off", "Winter sale: 25% off"))
    signed_in(room)
    first = room.get("/review/diff")
    assert first.status_code == 200 and "1 reworded" in first.text
    monkeypatch.setattr(review, "_diff_pages", _Evicting(review._diff_pages))
    monkeypatch.setattr(review, "_other_sides", _Evicting(review._other_sides))
    again = room.get("/review/diff")
    assert again.status_code == 200 and "1 reworded" in again.text
