"""What a long-running engine keeps of its calendar (issue 24): the calendar loaded in a forked
child (scheduler/loading.py) is the one in-process loading builds, with the same problems; what
is kept holds no YAML nodes, located data or file text; templates are compiled when first
rendered; names are shared; the loaded objects are frozen out of the collector's walks; the
collector's pause is counted across threads; the ledger keeps no calendar text in SQLAlchemy's
statement cache.  The oracles are in-process loading (campaigns.calendar.check) and the
objects reachable from what is kept, walked here."""

from __future__ import annotations

import gc
import os
from datetime import date
from pathlib import Path

import pytest
from ruamel.yaml.nodes import Node

from bench.generate import generate
from campaigns import calendar as calendars
from campaigns import gcpause
from campaigns.gcpause import paused_gc
from campaigns.templates import compiled
from campaigns.yamlsource import LocDict, LocList
from scheduler import calendarcache, loading
from tests.conftest import ROOT, calendar_text

BAD = {
    "syntax": "brand: {name: Acme\nposts: []\n",
    "template": calendar_text("""
        - id: a
          kind: tip
          networks: [site]
          at: 2027-01-10T10:00
          text: "Track it: {links.order_trackin}"
    """),
    "duplicate id": calendar_text("""
        - id: a
          kind: tip
          networks: [site]
          at: 2027-01-10T10:00
          text: One
        - id: a
          kind: tip
          networks: [site]
          at: 2027-01-11T10:00
          text: Two
    """),
    "duplicate and unknown network": calendar_text("""
        - id: a
          kind: tip
          networks: [site]
          at: 2027-01-10T10:00
          text: One
        - id: a
          kind: tip
          networks: [sitte]
          at: 2027-01-11T10:00
          text: Two
    """),
    "DST gap": calendar_text("""
        - id: a
          kind: tip
          networks: [site]
          at: 2027-03-28T02:30
          text: One
    """),
}


WARNED = calendar_text("""
    - id: night
      kind: tip
      networks: [site]
      starts: 2027-01-01
      rrule: "FREQ=DAILY;BYHOUR=2;BYMINUTE=30"
      text: Night owls
    - id: day
      kind: tip
      networks: [site, hooks]
      at: 2027-01-10T10:00
      text: Day
    - id: evening
      kind: tip
      campaign: winter
      at: 2027-01-10T19:00
      text: Evening
""")


@pytest.fixture(params=["one child", "two children"])
def children(request, monkeypatch) -> int:
    """How many children load a calendar with no error (two when a core is idle)."""
    monkeypatch.setattr(loading, "_spare_core", lambda: request.param == "two children")
    return 1 if request.param == "one child" else 2


@pytest.fixture
def big(tmp_path: Path) -> Path:
    path = tmp_path / "content_calendar.yaml"
    path.write_text(generate(400, start=date(2027, 1, 1)))
    return path


@pytest.fixture
def frozen_back(monkeypatch):
    """Whatever a test freezes goes back to the collector after it; the pure layer's pauses switch
    the collector again (as in a one-shot command).  Every load checks its file: no calendar is
    served from the cache (tests/test_calendarcache.py)."""
    monkeypatch.setattr(gcpause, "PAUSING", True)
    monkeypatch.setattr(calendarcache, "key", lambda path: None)
    yield
    gc.unfreeze()


def reachable(root: object) -> list[object]:
    seen: set[int] = set()
    out, stack = [], [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type):
            continue
        seen.add(id(obj))
        out.append(obj)
        stack.extend(gc.get_referents(obj))
    return out


def test_the_children_load_the_calendar_loading_here_builds(big, children, forks, frozen_back):
    here = calendars.check(str(big))
    there = loading.check(str(big))
    assert len(forks) == children
    assert there.value is not None and there.value == here.value
    assert there.problems == here.problems
    assert [p.series.rule_text for p in there.value.posts] == [p.series.rule_text for p in here.value.posts]
    assert sum(p.recurring for p in there.value.posts) > 50  # (the rules came over, not just their text)


def test_the_sample_calendar_comes_over_whole(children, forks, frozen_back):
    path = str(ROOT / "content_calendar.yaml")
    here, there = calendars.check(path), loading.check(path)
    assert len(forks) == children and there.value == here.value and there.problems == here.problems


def test_warnings_come_over_once_each(tmp_path, children, forks, frozen_back):
    path = tmp_path / "cal.yaml"
    path.write_text(WARNED)
    here, there = calendars.check(str(path)), loading.check(str(path))
    assert here.warnings and not here.errors  # (the oracle has what this test is about)
    assert len(forks) == children and there.value == here.value and there.problems == here.problems


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_calendar_gives_the_same_problems(name, tmp_path, children, forks, frozen_back):
    path = tmp_path / "cal.yaml"
    path.write_text(BAD[name])
    here, there = calendars.check(str(path)), loading.check(str(path))
    assert len(forks) == (1 if children == 1 else 3)  # (after an error in a share, one child checks the whole)
    assert there.errors and there.value is None
    assert there.problems == here.problems
    for problem in there.errors:
        text = str(problem)
        assert "\n" not in text and text.startswith(f"{path}:{problem.line}:{problem.col}: ")


def test_a_missing_file_is_the_same_error(tmp_path, forks, frozen_back):
    path = str(tmp_path / "nowhere.yaml")
    assert loading.check(path).problems == calendars.check(path).problems


def test_without_a_child_it_loads_here(big, monkeypatch, frozen_back):
    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    assert loading.check(str(big)).value == calendars.check(str(big)).value


def test_a_child_that_fails_leaves_the_load_to_this_process(big, children, forks, monkeypatch, frozen_back):
    def broken(fd: int, result: object) -> None:
        raise RuntimeError("the child failed")

    monkeypatch.setattr(loading, "_write", broken)  # (the child inherits the patch)
    assert loading.check(str(big)).value == calendars.check(str(big)).value
    assert forks


@pytest.mark.parametrize("where", ["child", "here"])
def test_what_is_kept_holds_no_nodes_located_data_or_text(where, big, forks, monkeypatch, frozen_back):
    if where == "here":
        monkeypatch.setattr(loading, "_in_children", lambda path, shares: None)
    calendar = loading.check(str(big)).value
    kept = reachable(calendar)
    assert not [o for o in kept if isinstance(o, Node | LocDict | LocList)]
    # no text longer than a post's longest template (100-odd characters here): not the file's, nor a part
    assert max(len(o) for o in kept if isinstance(o, str)) < 200


def test_templates_are_compiled_when_first_rendered(big, forks, frozen_back):
    compiled.cache_clear()
    calendar = loading.check(str(big)).value
    assert compiled.cache_info().currsize == 0  # (the child compiled them all to check them)
    post = calendar.posts[0]
    template = next(iter(post.texts.values()))[0]
    values = {name: "x" for name in template.fields}
    assert compiled.cache_info().currsize == 1
    first = template.render(values)
    assert template.render(values) == first and compiled.cache_info().currsize == 1
    assert compiled.cache_info().maxsize is not None  # bounded


def test_repeated_names_are_one_object(big, children, forks, frozen_back):
    calendar = loading.check(str(big)).value
    for share in range(children):  # (each child built every other post: one table each)
        posts = calendar.posts[share::children]
        lists: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for post in posts:
            lists.setdefault(post.networks, []).append(post.networks)
        repeated = [same for same in lists.values() if len(same) > 1]
        assert repeated and all(all(t is same[0] for t in same) for same in repeated)
        names = {id(name) for post in posts for name in (*post.networks, *post.texts)}
        assert len(names) <= len(calendar.networks)


def test_the_loaded_calendar_is_frozen(big, forks, frozen_back):
    gc.unfreeze()
    calendar = loading.check(str(big)).value
    assert gc.get_freeze_count() > len(calendar.posts)
    assert not gc.is_tracked(calendar) or not any(o is calendar for o in gc.get_objects())


def test_a_reload_leaves_no_cyclic_garbage_frozen(big, forks, frozen_back):
    """Found by the cold review: every load froze whatever cyclic garbage was pending, for good."""
    import weakref

    class Cycle:
        pass

    def garbage() -> weakref.ref[Cycle]:
        cycle = Cycle()
        cycle.me = cycle  # type: ignore[attr-defined]
        return weakref.ref(cycle)

    gc.disable()  # (no collection by chance before the load: the garbage is pending, as it may be)
    try:
        gone = garbage()
        loading.check(str(big))
    finally:
        gc.enable()
    gc.collect()
    assert gone() is None


def test_a_child_that_never_ends_is_given_up_and_the_load_done_here(big, children, forks, monkeypatch,
                                                                     frozen_back):
    """Found by the cold review: a child that hangs (a lock another thread held at the fork) held
    the reload forever; it is waited for a bounded time, killed, and the load done here."""
    import time

    monkeypatch.setattr(loading, "CHILD_PATIENCE", 0.5)
    monkeypatch.setattr(loading, "_load_alone", lambda path, posts: time.sleep(60))  # (the child inherits it)
    began = time.monotonic()
    result = loading.check(str(big))
    assert result.value is not None and time.monotonic() - began < 20


def test_after_a_load_only_the_scheduler_switches_the_collector(big, forks, frozen_back):
    loading.check(str(big))
    assert gc.isenabled()
    with paused_gc():  # what planning on the engine's thread does: the collector stays on
        assert gc.isenabled()


def test_a_one_shot_command_still_pauses_the_collector(frozen_back):
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_schedulers_pauses_switch_the_collector_one_at_a_time_whatever_pausing_says(monkeypatch):
    import threading

    monkeypatch.setattr(gcpause, "PAUSING", False)
    switch = threading.Lock()
    with paused_gc():
        assert gc.isenabled()  # the pure layer's pause: nothing
    with paused_gc(switch):
        assert not gc.isenabled() and switch.locked()
    assert gc.isenabled() and not switch.locked()


def test_the_ledger_keeps_no_calendar_text_in_the_statement_cache(tmp_path):
    from sqlalchemy.sql.elements import BindParameter

    from scheduler.ledger import Ledger
    from scheduler.ledger.reads import remember_calendar, running_calendar

    ledger = Ledger(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        for number in range(2):
            remember_calendar(ledger.db, f"hash{number}", f"posts: []  # calendar {number}\n" * 100)
        assert running_calendar(ledger.db) == ("hash1", "posts: []  # calendar 1\n" * 100)
        gc.collect()
        kept = [o for o in gc.get_objects() if isinstance(o, BindParameter)
                and isinstance(o.value, str) and "# calendar" in o.value]
        assert kept == []
    finally:
        ledger.close()
