"""The site channel writes only the files a change touches, off the engine's path.

Writes are counted by patching ``write_atomic`` where the channel calls it; a slow renderer is a
writer that waits on an event (no timing)."""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

import scheduler.files as files_module
import scheduler.networks.site as site_module
import scheduler.networks.sitewriter as writer_module
from bench.bench_site_channel import NOW, calendar, many, one_changed, post
from scheduler.clock import FakeClock
from scheduler.engine import Engine
from scheduler.ledger import Ledger
from scheduler.networks.site import SitePublisher
from scheduler.networks.sitewriter import MARKS, Background, indexed

INCIDENTS = 200
SHARED = {"index.html", "history/index.html", "status.ics"} | {
    f"api/v2/{name}" for name in ("summary.json", "status.json", "components.json", "incidents.json",
                                  "incidents/unresolved.json", "scheduled-maintenances.json",
                                  "scheduled-maintenances/upcoming.json", "scheduled-maintenances/active.json")}


class Writes:
    """The paths written through ``write_atomic`` by the channel, relative to its folder."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, folder: Path):
        self.folder, self.paths = str(folder), []
        original = writer_module.write_atomic

        def recorded(path: str, data: bytes | str, mode: int = 0o644) -> None:
            self.paths.append(os.path.relpath(path, self.folder))
            original(path, data, mode)

        for module in (writer_module, site_module, files_module):  # wherever the channel may call it
            monkeypatch.setattr(module, "write_atomic", recorded)

    def take(self) -> list[str]:
        out, self.paths = self.paths, []
        return out


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def site(tmp_path, clock):
    made = SitePublisher("site", {}, clock, base_dir=str(tmp_path), title="Bench", background=True)
    yield made
    made.close()


@pytest.fixture
def shown(site, clock):
    """The site showing a status of many incidents (its first, complete write done)."""
    status = many(INCIDENTS)
    site.on_status(status, calendar(), clock.now())
    site.flush()
    return status


def folder(tmp_path: Path) -> Path:
    return tmp_path / "public"


@pytest.mark.slow
def test_the_first_write_on_a_fresh_folder_writes_every_file(site, tmp_path, clock, monkeypatch):
    writes = Writes(monkeypatch, folder(tmp_path))
    site.on_status(many(INCIDENTS), calendar(), clock.now())
    site.flush()
    written = set(writes.take())
    assert {f"incidents/inc-{n}/index.html" for n in range(INCIDENTS)} <= written
    assert SHARED | {"feed.atom", "feed.json", "static/site.css", "brand.css", "maintenance/m0/index.html"} <= written


@pytest.mark.slow
def test_a_post_writes_the_home_page_the_feeds_and_site_json_only(site, shown, tmp_path, clock, monkeypatch):
    writes = Writes(monkeypatch, folder(tmp_path))
    clock.advance(timedelta(minutes=1))
    site.publish(post(1))
    assert sorted(writes.take()) == ["feed.atom", "feed.json", "index.html", "site.json"]
    assert "Update 1." in (folder(tmp_path) / "index.html").read_text()
    clock.advance(timedelta(minutes=1))
    site.publish(post(1))  # the same key again: its entry replaced, the same few files
    assert sorted(writes.take()) == ["feed.atom", "feed.json", "index.html", "site.json"]
    assert [i["key"] for i in site.items()] == [post(1).key]


@pytest.mark.slow
def test_a_status_change_to_one_incident_rewrites_its_page_and_the_shared_ones(site, shown, tmp_path, clock,
                                                                                monkeypatch):
    pages = folder(tmp_path) / "incidents"
    before = {p.name: (p / "index.html").stat() for p in pages.iterdir()}
    writes = Writes(monkeypatch, folder(tmp_path))
    clock.advance(timedelta(minutes=1))
    changed = one_changed(shown, INCIDENTS - 2, clock.now())
    site.on_status(changed, calendar(), clock.now())
    site.flush()
    written = set(writes.take())
    assert written == SHARED | {f"incidents/inc-{INCIDENTS - 2}/index.html", MARKS}
    assert "Still watching" in (pages / f"inc-{INCIDENTS - 2}" / "index.html").read_text()
    after = {p.name: (p / "index.html").stat() for p in pages.iterdir()}
    touched = {name for name, st in after.items()
               if (st.st_ino, st.st_mtime_ns) != (before[name].st_ino, before[name].st_mtime_ns)}
    assert touched == {f"inc-{INCIDENTS - 2}"}


@pytest.mark.slow
def test_a_window_whose_state_moved_on_with_the_clock_gets_its_page_with_the_next_change(site, shown, tmp_path,
                                                                                         clock, monkeypatch):
    writes = Writes(monkeypatch, folder(tmp_path))
    clock.advance(timedelta(hours=2))  # window m10 (now to an hour later) is over
    site.publish(post(4))
    written = set(writes.take())
    assert "maintenance/m10/index.html" in written and "history/index.html" in written
    assert not [p for p in written if p.startswith(("incidents/", "maintenance/m9/"))]
    assert "Completed" in (folder(tmp_path) / "maintenance" / "m10" / "index.html").read_text()


@pytest.mark.slow
def test_an_incident_moved_in_the_file_keeps_its_page(site, shown, tmp_path, clock, monkeypatch):
    writes = Writes(monkeypatch, folder(tmp_path))
    moved = replace(shown, incidents=tuple(replace(i, line=i.line + 3) for i in shown.incidents))
    site.on_status(moved, calendar(), clock.now())
    site.flush()
    assert not [p for p in writes.take() if p.startswith("incidents/")]


@pytest.mark.slow
def test_unchanged_bytes_are_never_rewritten(site, shown, tmp_path, clock, monkeypatch):
    writes = Writes(monkeypatch, folder(tmp_path))
    site.on_status(shown, calendar(), clock.now())  # the same status again
    site.on_status(replace(shown), calendar(), clock.now())  # an equal copy, as a reload makes
    site.flush()
    assert writes.take() == []
    # a restart: a new channel on the same folder, same moment: its first write compares with
    # what is in the folder, so nothing is written
    site.close()
    again = SitePublisher("site", {}, clock, base_dir=str(tmp_path), title="Bench", background=True)
    try:
        again.on_status(shown, calendar(), clock.now())
        again.flush()
    finally:
        again.close()
    assert writes.take() == []


@pytest.mark.slow
def test_a_restart_writes_only_what_changed_while_it_was_down(site, shown, tmp_path, clock, monkeypatch):
    site.close()
    writes = Writes(monkeypatch, folder(tmp_path))
    clock.advance(timedelta(minutes=10))  # (an hour: window m10 would end, and its page change too)
    again = SitePublisher("site", {}, clock, base_dir=str(tmp_path), title="Bench", background=True)
    try:
        again.on_status(one_changed(shown, 3, clock.now()), calendar(), clock.now())
        again.flush()
    finally:
        again.close()
    written = set(writes.take())
    assert "incidents/inc-3/index.html" in written and MARKS in written
    assert written <= SHARED | {"incidents/inc-3/index.html", MARKS, "feed.atom", "feed.json"}


@pytest.mark.slow
def test_marks_in_the_folder_that_make_no_sense_mean_a_complete_write(site, shown, tmp_path, clock, monkeypatch):
    site.close()
    (folder(tmp_path) / MARKS).write_text('{"version": 1, "incidents": {"inc-1": 7}, "maintenance": {}}')
    writes = Writes(monkeypatch, folder(tmp_path))
    clock.advance(timedelta(minutes=1))
    again = SitePublisher("site", {}, clock, base_dir=str(tmp_path), title="Bench", background=True)
    try:
        again.on_status(shown, calendar(), clock.now())
        again.flush()
    finally:
        again.close()
    assert {f"incidents/inc-{n}/index.html" for n in range(INCIDENTS)} | {MARKS} <= set(writes.take())


@pytest.mark.slow
def test_removed_incidents_lose_their_pages_also_across_a_restart(site, shown, tmp_path, clock):
    pages = folder(tmp_path) / "incidents"
    fewer = replace(shown, incidents=shown.incidents[1:])
    site.on_status(fewer, calendar(), clock.now())
    site.flush()
    assert not (pages / "inc-0").exists() and (pages / "inc-1" / "index.html").exists()
    site.close()
    again = SitePublisher("site", {}, clock, base_dir=str(tmp_path), title="Bench", background=True)
    try:
        again.on_status(replace(fewer, incidents=fewer.incidents[1:]), calendar(), clock.now())
        again.flush()
    finally:
        again.close()
    assert not (pages / "inc-1").exists() and len(list(pages.iterdir())) == INCIDENTS - 2


@pytest.mark.slow
def test_a_brand_change_rewrites_every_page_whose_bytes_change(site, shown, tmp_path, clock, monkeypatch):
    writes = Writes(monkeypatch, folder(tmp_path))
    cal = calendar()
    site.on_status(shown, replace(cal, brand=replace(cal.brand, links={"help": "https://x.example/h"})), clock.now())
    site.flush()
    assert writes.take() == []  # a field no page shows
    site.on_status(shown, replace(cal, brand=replace(cal.brand, color="#123456")), clock.now())
    site.flush()
    assert writes.take() == ["brand.css", "favicon.svg", MARKS]  # every page rendered again: only these differ
    site.on_status(shown, replace(cal, brand=replace(cal.brand, timezone="America/New_York")), clock.now())
    site.flush()
    written = set(writes.take())  # every time shown moves to another zone
    assert {"index.html", "history/index.html"} | {f"incidents/inc-{n}/index.html" for n in range(INCIDENTS)} <= written


@pytest.mark.slow
def test_a_status_change_does_not_wait_for_the_site(tmp_path, clock):
    """The engine's status reaction returns while the writer is still busy (a writer held on an event)."""
    site = SitePublisher("site", {}, clock, base_dir=str(tmp_path), title="Bench", background=True)
    started, release = threading.Event(), threading.Event()
    real = site.writer.write

    def slow(state):
        started.set()
        assert release.wait(30), "never released"
        return real(state)

    site.background.work = slow
    status = many(20)
    engine = Engine(calendar(), Ledger(f"sqlite:///{tmp_path / 'state.db'}"), {"site": site}, "t", status=status)
    try:
        engine.swap(clock.now(), status=one_changed(status, 19, clock.now()))  # calls on_status, under its lock
        assert started.wait(30)  # the writer is at work, and the engine has already moved on
        assert site.background.busy and not (folder(tmp_path) / "index.html").exists()
        engine.swap(clock.now(), status=one_changed(status, 18, clock.now()))  # again: still returns at once
    finally:
        release.set()
        site.close()  # waits for what is pending
    assert "Still watching" in (folder(tmp_path) / "incidents" / "inc-18" / "index.html").read_text()


@pytest.mark.slow
def test_the_publisher_a_reload_builds_takes_over_the_folders_writer(tmp_path, clock):
    old = SitePublisher("site", {}, clock, base_dir=str(tmp_path), title="Bench", background=True)
    new = SitePublisher("site", {"title": "Bench 2"}, clock, base_dir=str(tmp_path), title="x", background=True)
    try:
        assert new.writer is old.writer and new.background is old.background  # one writer: in order
        old.on_status(many(5), calendar(), clock.now())
        new.on_status(many(6), calendar(), clock.now())
        old.close()  # as the daemon closes the replaced one: pending work written, the thread kept
        new.publish(post(1))
        assert (folder(tmp_path) / "incidents" / "inc-5" / "index.html").exists()
        assert "<title>Bench 2 status</title>" in (folder(tmp_path) / "index.html").read_text()
    finally:
        new.close()
    again = SitePublisher("site", {}, clock, base_dir=str(tmp_path), title="Bench", background=True)
    assert again.writer is not new.writer  # the last one closed: its thread stopped
    again.close()


@pytest.mark.slow
def test_a_reload_that_rebuilds_the_site_shows_the_new_publisher_the_status(tmp_path, clock):
    """Through Engine.swap, as the daemon reloads a calendar whose site settings changed: the new
    publisher is shown the (unchanged) status, so its first write keeps every incident page."""
    old = SitePublisher("site", {}, clock, base_dir=str(tmp_path), title="Bench", background=True)
    engine = Engine(calendar(), Ledger(f"sqlite:///{tmp_path / 'state.db'}"), {"site": old}, "t", status=many(5))
    engine.replan(clock.now())
    old.flush()
    pages = folder(tmp_path) / "incidents"
    assert (pages / "inc-4" / "index.html").exists()
    new = SitePublisher("site", {"title": "Bench 2"}, clock, base_dir=str(tmp_path), title="x", background=True)
    try:
        engine.swap(clock.now(), calendar=calendar(), publishers={"site": new})  # the status did not change
        old.close()  # as the daemon closes the replaced one
        new.publish(post(1))  # its first publication
        new.flush()
        home = (folder(tmp_path) / "index.html").read_text()
        assert "<title>Bench 2 status</title>" in home and "Update 1." in home
        assert len(list(pages.iterdir())) == 5 and (pages / "inc-4" / "index.html").exists()
    finally:
        new.close()


@pytest.mark.slow
def test_a_site_built_for_an_engine_writes_no_page_before_it_was_shown_a_status(tmp_path, clock):
    from campaigns.model import Account

    first = SitePublisher("site", {}, clock, base_dir=str(tmp_path), title="Bench", background=True)
    first.on_status(many(5), calendar(), clock.now())
    first.close()
    pages = folder(tmp_path) / "incidents"
    assert len(list(pages.iterdir())) == 5
    built = SitePublisher.from_account(Account("site", "site", {"title": "Other"}), calendar(), clock=clock, env={},
                                       base_dir=str(tmp_path))
    try:
        built.publish(post(2))  # stored (found again), but no page from an empty status
        built.flush()
        assert built.find_recent(post(2)) is not None
        assert len(list(pages.iterdir())) == 5
        built.on_status(many(5), calendar(), clock.now())  # then: the status and the item
        built.flush()
        assert "Update 2." in (folder(tmp_path) / "index.html").read_text() and len(list(pages.iterdir())) == 5
    finally:
        built.close()


def test_pending_changes_coalesce_and_the_latest_state_wins():
    done, started, release = [], threading.Event(), threading.Event()

    def work(state):
        started.set()
        assert release.wait(30)
        done.append(state)

    background = Background("t", work)
    background.submit(1)
    assert started.wait(30)
    writer = [t for t in threading.enumerate() if t.name == "herald-site-t"]
    assert len(writer) == 1 and not writer[0].daemon  # a process ending writes what it handed over first
    for state in (2, 3, 4):  # while 1 is being written
        background.submit(state)
    release.set()
    background.flush()
    assert done == [1, 4]
    writer[0].join(30)  # idle: the thread ends (the next state starts another)
    assert not writer[0].is_alive()
    background.submit(5)
    background.close()
    assert done == [1, 4, 5] and background.closed


def test_close_with_a_timeout_gives_up_on_a_slow_write_and_drops_what_is_pending():
    """The stop's bound (SIGTERM during a full write): what is unwritten is rewritten at the next
    start, since the folder's marks are written last."""
    done, started, release = [], threading.Event(), threading.Event()

    def work(state):
        started.set()
        release.wait(60)
        done.append(state)

    background = Background("t", work)
    background.submit(1)
    assert started.wait(30)
    background.submit(2)  # pending behind the slow one
    assert background.close(timeout=0.1) is False  # gave up: the write still runs
    assert background.closed
    release.set()
    for thread in [t for t in threading.enumerate() if t.name == "herald-site-t"]:
        thread.join(30)
    assert done == [1]  # the pending state was dropped, not written after the stop
    finished = Background("u", done.append)
    finished.submit(3)
    assert finished.close(timeout=30) is True and done == [1, 3]


@pytest.mark.slow
def test_a_write_killed_before_its_marks_is_done_again_at_the_next_start(site, shown, tmp_path, clock, monkeypatch):
    """The marks file is the last file a write puts: a process that dies before it (a bounded stop
    gave up on the writer) leaves the old marks, so the next start rewrites what changed."""
    site.close()
    real = writer_module.write_atomic
    count = {"n": 0}

    def dies(path, data, mode=0o644):  # the process is gone at its first changed file
        count["n"] += 1
        assert not path.endswith(MARKS), "the marks before the pages"
        raise SystemExit("killed")

    monkeypatch.setattr(writer_module, "write_atomic", dies)
    renamed = replace(calendar(), brand=replace(calendar().brand, color="#123456"))  # a full write
    killed = writer_module.SiteWriter(str(folder(tmp_path)))
    with pytest.raises(SystemExit):
        killed.write(writer_module.SiteState(renamed, shown, [], clock.now(), settings=("Bench", "", "en")))
    assert "#123456" not in (folder(tmp_path) / MARKS).read_text()  # the old marks: the write is not done
    monkeypatch.setattr(writer_module, "write_atomic", real)
    again = SitePublisher("site", {}, clock, base_dir=str(tmp_path), title="Bench", background=True)
    try:
        writes = Writes(monkeypatch, folder(tmp_path))
        again.on_status(shown, renamed, clock.now())
        again.flush()
    finally:
        again.close()
    written = set(writes.take())
    assert "brand.css" in written and MARKS in written  # done again, completely
    assert "#123456" in (folder(tmp_path) / "brand.css").read_text() and "#123456" in (folder(tmp_path) / MARKS).read_text()


@pytest.mark.slow
def test_a_failed_write_is_logged_and_the_next_change_writes_the_pages(site, shown, tmp_path, clock, monkeypatch,
                                                                       caplog):
    real = site.writer.files

    def broken(state, change):
        raise OSError("disk full")

    monkeypatch.setattr(site.writer, "files", broken)
    clock.advance(timedelta(minutes=1))
    with caplog.at_level(logging.ERROR, logger="herald.site"):
        ref = site.publish(post(7))  # stored, though its pages could not be written
    assert ref.id == post(7).key and site.find_recent(post(7)) is not None
    assert "could not write the site" in caplog.text and "Update 7." not in (folder(tmp_path) / "index.html").read_text()
    monkeypatch.setattr(site.writer, "files", real)
    site.on_status(one_changed(shown, 5, clock.now()), calendar(), clock.now())
    site.flush()
    assert "Update 7." in (folder(tmp_path) / "index.html").read_text()
    assert "Still watching" in (folder(tmp_path) / "incidents" / "inc-5" / "index.html").read_text()


def test_a_published_item_is_found_after_a_crash_before_its_pages(tmp_path, clock, monkeypatch):
    """site.json is durable before the pages: a crash while they are written loses nothing."""
    site = SitePublisher("site", {}, clock, base_dir=str(tmp_path), title="Bench", background=True)
    started, never = threading.Event(), threading.Event()

    def stuck(state):  # the process dies while writing the pages
        started.set()
        never.wait(30)

    site.background.work = stuck
    sending = threading.Thread(target=site.publish, args=(post(3),), daemon=True)
    sending.start()
    assert started.wait(30)
    stored = json.loads((folder(tmp_path) / "site.json").read_text())
    assert [i["key"] for i in stored["items"]] == [post(3).key]
    monkeypatch.setattr(writer_module, "_SHARED", {})  # another process: not the stuck writer
    after = SitePublisher("site", {}, clock, base_dir=str(tmp_path), title="Bench", background=True)  # restarted
    try:
        assert after.find_recent(post(3)) is not None  # the engine reconciles: no second send
        after.on_status(many(3), calendar(), clock.now())
        after.flush()
        assert "Update 3." in (folder(tmp_path) / "index.html").read_text()
    finally:
        after.close()
        never.set()
        sending.join(30)
        site.close()


def test_a_publication_returns_once_its_item_is_stored_and_shown(site, tmp_path):
    ref = site.publish(post(2))
    assert ref.id == post(2).key
    assert [i["key"] for i in json.loads((folder(tmp_path) / "site.json").read_text())["items"]] == [post(2).key]
    assert "Update 2." in (folder(tmp_path) / "index.html").read_text()  # no flush needed


@pytest.mark.slow
def test_close_writes_what_is_pending_and_the_channel_still_works_after(tmp_path, clock):
    site = SitePublisher("site", {}, clock, base_dir=str(tmp_path), title="Bench", background=True)
    site.on_status(many(5), calendar(), clock.now())
    site.close()
    assert (folder(tmp_path) / "incidents" / "inc-4" / "index.html").exists()
    site.publish(post(9))  # after close: written in the caller's thread
    assert "Update 9." in (folder(tmp_path) / "index.html").read_text()


def test_the_renderer_looks_incidents_up_once_per_status():
    status = many(50)
    fast = indexed(status)
    assert fast.incidents == status.incidents and fast.incident("inc-7") is status.incidents[7]
    assert fast.open_incidents() == status.open_incidents() and fast.public() is fast
    assert indexed(fast) is fast
