"""``herald diff`` looks for repeats only where the change is (campaigns/diffvoice.py); what it finds
there is what lint's whole repetition check finds (campaigns/lint.py, ``RecentIndex`` and its
exact oracle): the same pairs, later and earlier, with the same score."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import campaigns.lint as lint_module
from campaigns.calendar import loads
from campaigns.diffvoice import repeats_around, repeats_by_lint
from campaigns.lint import Collector, checker_for, repetition
from campaigns.plan import plan


@cache
def planned() -> tuple[Any, list[Any]]:
    """A generated calendar (near repeats everywhere: its texts share their phrases; word-for-word
    repeats from its recurring posts) planned over 30 days."""
    from bench.generate import generate

    calendar = loads(generate(400))
    start = datetime(2027, 3, 1, tzinfo=calendar.brand.tz)
    return calendar, plan(calendar, start, start + timedelta(days=30))


def lint_pairs(calendar: Any, pubs: list[Any]) -> set[tuple[str, str, float]]:
    """Every repeat lint's check meets, before it words them (and keeps one per pair of templates)."""
    met: set[tuple[str, str, float]] = set()

    class Recorder:
        def __init__(self, *_: Any):
            pass

        def __call__(self, later: Any, earlier: Any, score: float) -> None:
            met.add((later.key, earlier.key, score))

    original = lint_module._Repeats
    lint_module._Repeats = Recorder  # type: ignore[misc,assignment]
    try:
        repetition(calendar, pubs, checker_for(calendar), Collector())
    finally:
        lint_module._Repeats = original  # type: ignore[misc]
    return met


@cache
def every_pair() -> frozenset[tuple[str, str, float]]:
    return frozenset(lint_pairs(*planned()))


def keyed(repeats: list[Any]) -> set[tuple[str, str, float]]:
    return {(later.key, earlier.key, score) for later, earlier, score in repeats}


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_the_repeats_around_a_change_are_lints_own(data):
    calendar, pubs = planned()
    voice = calendar.brand.voice
    chosen = data.draw(st.sets(st.integers(0, len(pubs) - 1), max_size=30))
    changed = {pubs[n].key for n in chosen}
    expected = {pair for pair in every_pair() if pair[0] in changed or pair[1] in changed}
    assert keyed(repeats_around(pubs, changed, voice)) == expected
    assert keyed(repeats_by_lint(calendar, pubs, changed, checker_for(calendar))) == expected  # (when much changed)


def test_the_calendar_has_both_kinds_of_repeat():
    scores = {score for _, _, score in every_pair()}
    assert 1.0 in scores and any(score < 1.0 for score in scores) and len(every_pair()) > 100
