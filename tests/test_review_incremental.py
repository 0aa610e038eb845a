"""The review room's first page after a save plans only what the save changed (issue 28): the month
of the calendar before the save is known, so the new calendar's month keeps the rows of every post
that is the same (or only moved to other lines) and plans the changed and new posts; the voice
guide's findings are kept by text while the brand is the same.

The oracle is the plan from scratch (``campaigns.plan.plan`` of the new calendar) and the page
rendered with nothing remembered; the edits are random single- and multi-post edits of a generated
calendar (reworded, moved a day, deleted, added, renamed, the brand changed, lines shifted).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import campaigns.plan as plan_module
from bench.generate import generate
from campaigns.calendar import check, forget
from campaigns.plan import plan
from scheduler.render import review
from scheduler.render.review import Filters, Room, Window, plan_page, publications
from status.load import loads as status_loads

TEXT = generate(300, start=date(2027, 1, 1))
MONTH = date(2027, 3, 1)
NOW = datetime(2027, 3, 1, tzinfo=UTC)
PATH = "/srv/review-incremental.yaml"


def room(calendar: Any) -> Room:
    return Room(calendar, status_loads("", calendar), NOW, Window.around("month", MONTH), Filters())


def expected(calendar: Any) -> list[Any]:
    tz = calendar.brand.tz
    return plan(calendar, datetime.combine(MONTH, time(0), tz), datetime.combine(date(2027, 4, 1), time(0), tz))


def post_span(text: str, number: int) -> tuple[int, int]:
    starts = [m.start() for m in re.finditer(r"^  - id: ", text, re.MULTILINE)]
    first = starts[number % len(starts)]
    later = [s for s in starts if s > first]
    return first, later[0] if later else len(text)


def reword(text: str, number: int) -> str:
    first, end = post_span(text, number)
    quote = text.find('"', text.find("text: ", first, end) if "text: " in text[first:end] else
                      text.find("      - ", first, end))
    return text if quote < 0 or quote > end else text[:quote + 1] + "Reworded: " + text[quote + 1:]


def move(text: str, number: int) -> str:
    first, end = post_span(text, number)
    found = re.compile(r"(at|starts): 2027-(\d\d)-(\d\d)").search(text, first, end)
    if found is None:
        return text
    day = int(found.group(3))
    return text[:found.start(3)] + f"{day + 1 if day < 28 else day - 1:02d}" + text[found.end(3):]


def delete(text: str, number: int) -> str:
    first, end = post_span(text, number)
    return text[:first] + text[end:]


def add(text: str, number: int) -> str:
    first, end = post_span(text, number)
    copy = re.sub(r"^  - id: (\S+)", rf"  - id: \1-copy{number}", text[first:end], count=1, flags=re.MULTILINE)
    return text[:end] + copy + text[end:]


def rename(text: str, number: int) -> str:
    first, _ = post_span(text, number)
    return text[:first] + re.sub(r"^  - id: (\S+)", rf"  - id: renamed-{number}", text[first:], count=1,
                                 flags=re.MULTILINE)


def shift(text: str, number: int) -> str:
    first, _ = post_span(text, number)
    return text[:first] + "  # a comment: every post after it a line down\n" + text[first:]


def brand(text: str, number: int) -> str:
    return text.replace("https://bench.example/help", f"https://bench.example/help/{number}", 1)


EDITS = {"reword": reword, "move": move, "delete": delete, "add": add, "rename": rename, "shift": shift,
         "brand": brand}


def edited(text: str, changes: list[tuple[str, int]]) -> str:
    for kind, number in changes:
        text = EDITS[kind](text, number)
    return text


def same_as_from_scratch(texts: list[str]) -> None:
    """Each version's month, rendered after the version before's, is the plan and the page from scratch."""
    forget(PATH)
    review._memos.clear()
    for text in texts:
        calendar = check(PATH, text, draft=True, incremental=True).value
        if calendar is None:  # (two posts of one id: refused, and the room shows the last good calendar)
            assert check(PATH, text, draft=True).value is None
            continue
        got = room(calendar)
        pubs = publications(got)
        assert pubs == expected(calendar)
        page = plan_page(got, pubs, {})
        review._memos.clear()  # the oracle: nothing remembered
        fresh = room(calendar)
        assert page == plan_page(fresh, publications(fresh), {})
        review._memos.clear()
        publications(room(calendar))  # what the next version is rendered after


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.tuples(st.sampled_from(sorted(EDITS)), st.integers(0, 299)), min_size=1, max_size=4),
                min_size=1, max_size=2))
def test_random_edits_plan_the_month_as_from_scratch(versions):
    texts = [TEXT]
    for changes in versions:
        texts.append(edited(texts[-1], changes))
    same_as_from_scratch(texts)


@pytest.mark.parametrize("kind", sorted(EDITS))
def test_each_edit_plans_the_month_as_from_scratch(kind):
    same_as_from_scratch([TEXT, edited(TEXT, [(kind, 17), (kind, 123)]), TEXT])


def test_only_the_changed_posts_are_planned_again(monkeypatch):
    """A post reworded: the month after the save plans that post alone; a comment line added above
    half the posts moves them, and none of them is planned again."""
    reworded = reword(TEXT, 40)
    moved = shift(reworded, 150)
    wanted = [expected(check(PATH, text, draft=True).value) for text in (reworded, moved)]
    forget(PATH)
    review._memos.clear()
    publications(room(check(PATH, TEXT, draft=True, incremental=True).value))
    planned: list[int] = []
    real = plan_module.plan_rows
    monkeypatch.setattr(plan_module, "plan_rows", lambda calendar, *a, **k: planned.append(len(calendar.posts))
                        or real(calendar, *a, **k))
    assert publications(room(check(PATH, reworded, draft=True, incremental=True).value)) == wanted[0]
    assert planned == [1]
    planned.clear()
    assert publications(room(check(PATH, moved, draft=True, incremental=True).value)) == wanted[1]
    assert planned == []


def test_a_crowded_day_shows_the_first_previews_of_each_account_and_links_to_the_rest(monkeypatch):
    """A day of more publications on an account than the page previews: the first ones of each
    account, in time order, and a link to that account's day with all of them (issue 28: a day of
    thousands of publications stays a page a browser opens)."""
    from collections import Counter

    monkeypatch.setattr(review, "DAY_PREVIEWS_PER_ACCOUNT", 12)  # (the day of 1,000 posts: a few dozen each)
    crowded = generate(1000, start=date(2027, 1, 1))
    calendar = check("/srv/crowded.yaml", crowded, draft=True).value
    day = date(2027, 3, 10)
    window = Window.around("day", day)

    def page(filters: Filters) -> tuple[str, list[Any]]:
        shown = Room(calendar, status_loads("", calendar), NOW, window, filters)
        pubs = publications(shown)
        return plan_page(shown, pubs, {}), pubs

    html, pubs = page(Filters())
    per_account = Counter(p.network for p in pubs)
    cap = review.DAY_PREVIEWS_PER_ACCOUNT
    busy = [name for name, count in per_account.items() if count > cap]
    assert busy, "the generated day has an account with more publications than the page previews"
    keys = re.findall(r'<article id="p-([0-9a-f]+)"', html)
    shown = Counter(p.network for p in pubs if p.key in set(keys))
    for name, count in per_account.items():
        assert shown[name] == min(count, cap)
        first = [p.key for p in pubs if p.network == name][:cap]
        assert [k for k in keys if k in set(first)] == first
    for name in busy:
        link = f"/review?view=day&amp;from={day.isoformat()}&amp;network={name}"
        assert link in html and f"{per_account[name] - cap} more" in html
    alone, pubs_alone = page(Filters(network=busy[0]))
    assert len(re.findall(r'<article id="p-', alone)) == per_account[busy[0]] == len(pubs_alone)


def test_a_page_after_the_day_findings_were_forgotten_is_the_page_from_scratch(monkeypatch):
    """Found by a review: past the cap, the remembered day findings were cleared after this page's
    missing ones were listed, and the cards then looked up the others (KeyError, a 500)."""
    monkeypatch.setattr(review, "DAY_FINDINGS_KEPT", 10)
    review._memos.clear()
    calendar = check(PATH, TEXT, draft=True, incremental=True).value
    month = room(calendar)
    plan_page(month, publications(month), {})  # remembers far more than 10
    week = Room(calendar, status_loads("", calendar), NOW, Window.around("week", date(2027, 3, 8)), Filters())
    page = plan_page(week, publications(week), {})
    review._memos.clear()
    fresh = Room(calendar, status_loads("", calendar), NOW, Window.around("week", date(2027, 3, 8)), Filters())
    assert page == plan_page(fresh, publications(fresh), {})
