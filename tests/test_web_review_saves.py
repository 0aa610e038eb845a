"""The review room's diff is made once per pair of versions (issue 28: 13-15 s a request at
10,000 posts, every request), and a broken save shows the last save that loaded, not the copy
the server started with."""

from __future__ import annotations

import pytest

from scheduler.ledger import Ledger
from scheduler.ledger.reads import remember_calendar
from tests.test_web_review import CALENDAR, room, signed_in  # noqa: F401 - the fixture, shared

REWORDED = CALENDAR.replace("Winter sale: 20% off", "Winter sale: 25% off")


def record_running(url: str, commit: str, text: str) -> None:
    """Record ``text`` as the calendar the engine runs (at ``commit``), as the engine does."""
    ledger = Ledger(url)
    remember_calendar(ledger.db, commit, text)
    ledger.close()


@pytest.fixture
def reworded(room):  # noqa: F811
    """The room signed in, with the engine running the room's first calendar (abc123) and the file
    saved since with one post reworded (20% off is now 25% off)."""
    calendar, _status, url = room.files
    record_running(url, "abc123", CALENDAR)
    calendar.write_text(REWORDED)
    return signed_in(room)


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


def test_a_repeated_diff_is_not_made_again_until_a_side_changes(reworded, monkeypatch):
    calendar, _status, url = reworded.files
    calls = counted(monkeypatch)
    first = reworded.get("/review/diff").text
    assert "1 reworded" in first and calls == [1]
    assert reworded.get("/review/diff").text == first and calls == [1]  # nothing changed: the same page, not made again
    calendar.write_text(CALENDAR.replace("Winter sale: 20% off", "Winter sale: 30% off"))
    changed = reworded.get("/review/diff").text
    assert "30% off" in changed and calls == [1, 1]  # the file changed
    record_running(url, "def456", CALENDAR.replace("Winter sale: 20% off", "Winter sale: 30% off"))
    same = reworded.get("/review/diff").text
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


def test_an_entry_evicted_by_another_request_is_no_error(reworded, monkeypatch):
    from scheduler.web import review

    first = reworded.get("/review/diff")
    assert first.status_code == 200 and "1 reworded" in first.text
    monkeypatch.setattr(review, "_diff_pages", _Evicting(review._diff_pages))
    monkeypatch.setattr(review, "_other_sides", _Evicting(review._other_sides))
    again = reworded.get("/review/diff")
    assert again.status_code == 200 and "1 reworded" in again.text
