"""What the incremental check and the review room remember is bounded (issue 28: 56 MB traced for a
10,000-post calendar's memo, some 430 MB at 100,000 posts, and the review room's voice findings
kept from calendar to calendar, growing with every save).

- ``campaigns.recheck``: the remembered versions hold at most :data:`campaigns.recheck.MEMO_CHARS`
  characters of file text in all (the memo is about 12 times its text); a longer file is checked
  whole, as ``herald validate`` checks it, and nothing of it is kept.  The oracle is the full check.
- ``scheduler.render.review``: the voice findings a calendar's pages remember by text (kept across
  saves while the brand is the same) are dropped once they pass :data:`FINDINGS_KEPT`, as the day
  rules' findings are past theirs.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import campaigns.builder as builder_module
from bench.generate import generate
from campaigns import recheck
from campaigns.calendar import check, forget
from scheduler.render import review
from scheduler.render.review import Filters, Room, Window, plan_page, publications
from status.load import loads as status_loads

SAMPLE = (Path(__file__).resolve().parent.parent / "content_calendar.yaml").read_text()


def kept_chars() -> int:
    return sum(len(memo.text) for memo in list(recheck._MEMOS.values()))


def test_remembered_versions_hold_at_most_the_budget_of_text(monkeypatch: Any) -> None:
    monkeypatch.setattr(recheck, "MEMO_CHARS", len(SAMPLE) * 3 // 2)
    forget()
    for path in ("/srv/a.yaml", "/srv/b.yaml", "/srv/c.yaml"):
        got = check(path, SAMPLE, incremental=True)
        assert got.problems == check(path, SAMPLE).problems and got.value == check(path, SAMPLE).value
        assert 0 < kept_chars() <= recheck.MEMO_CHARS
    assert recheck.remembered("/srv/c.yaml") is not None  # the newest kept
    assert recheck.remembered("/srv/a.yaml") is None
    forget()


def test_a_file_over_the_budget_is_checked_whole_and_not_kept(monkeypatch: Any) -> None:
    monkeypatch.setattr(recheck, "MEMO_CHARS", len(SAMPLE) - 1)
    forget()
    built: list[Any] = []
    real = builder_module.CalendarBuilder.post
    monkeypatch.setattr(builder_module.CalendarBuilder, "post",
                        lambda self, *args: built.append(args) or real(self, *args))
    edited = SAMPLE.replace('text: "', 'text: "Edited: ', 1)
    for text in (SAMPLE, edited):
        got = check("/srv/big.yaml", text, incremental=True)
        expected = check("/srv/big.yaml", text)
        assert [str(p) for p in got.problems] == [str(p) for p in expected.problems]
        assert got.value == expected.value
        assert recheck.remembered("/srv/big.yaml") is None and kept_chars() == 0
    forget()


def test_within_the_budget_an_edit_builds_one_post_again(monkeypatch: Any) -> None:
    """The common case keeps its speed: a 10,000-post calendar (2.9 MB) fits the default budget twice."""
    text = generate(300, start=date(2027, 1, 1))
    assert len(generate(10_000, start=date(2027, 1, 1))) * 2 <= recheck.MEMO_CHARS
    forget()
    check("/srv/kept.yaml", text, incremental=True)
    built: list[Any] = []
    real = builder_module.CalendarBuilder.post
    monkeypatch.setattr(builder_module.CalendarBuilder, "post",
                        lambda self, *args: built.append(args) or real(self, *args))
    edited = re.sub(r'text: "', 'text: "Edited: ', text, count=1)
    got = check("/srv/kept.yaml", edited, incremental=True)
    assert got.value == check("/srv/kept.yaml", edited).value
    built.clear()
    check("/srv/kept.yaml", edited.replace('text: "Edited: ', 'text: "Edited again: ', 1), incremental=True)
    assert len(built) == 1
    forget()


def test_the_review_rooms_findings_stay_under_their_cap_across_saves(monkeypatch: Any) -> None:
    monkeypatch.setattr(review, "FINDINGS_KEPT", 50)
    review._memos.clear()
    forget()
    text = generate(60, start=date(2027, 1, 1))
    now = datetime(2027, 3, 1, tzinfo=UTC)
    largest = 0
    for number in range(12):
        text = re.sub(r'text: "', f'text: "Save {number}: ', text, count=len(re.findall('text: "', text)))
        calendar = check("/srv/room.yaml", text, incremental=True).value
        shown = Room(calendar, status_loads("", calendar), now, Window.around("month", date(2027, 3, 1)), Filters())
        pubs = publications(shown)
        plan_page(shown, pubs, {})
        page_texts = len({p.text for p in pubs})
        largest = max(largest, page_texts)
        assert len(review._memo(calendar).findings) <= review.FINDINGS_KEPT + page_texts
    assert largest < review.FINDINGS_KEPT  # (the cap, not one page, is what bounds them)
    review._memos.clear()
    forget()
