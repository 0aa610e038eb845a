"""The engine's cache of its checked calendar (issue 24, scheduler/calendarcache.py): a restart on the
same bytes with the same code unpickles what the last check found instead of checking again; a
changed calendar, other code, or an entry this user did not write alone is never served.  The
oracle is in-process loading (campaigns.calendar.check) of the file as it is; whether a load was
served from the cache is seen by its forks (a check forks a child; a hit forks none)."""

from __future__ import annotations

import gc
import logging
import os
import pickle
from pathlib import Path

import pytest

from campaigns import calendar as calendars
from campaigns import gcpause
from scheduler import calendarcache, loading
from scheduler.daemon.watch import first_load
from scheduler.ledger import Ledger
from tests.test_memory import BAD, WARNED

CHANGED = WARNED.replace("text: Day", "text: Daytime")


@pytest.fixture(autouse=True)
def frozen_back(monkeypatch):
    monkeypatch.setattr(gcpause, "PAUSING", True)
    monkeypatch.setattr(loading, "_spare_core", lambda: False)  # one child per check
    yield
    gc.unfreeze()


@pytest.fixture
def cal(tmp_path: Path) -> Path:
    path = tmp_path / "content_calendar.yaml"
    path.write_text(WARNED)
    return path


def checked(path: str):
    """``loading.check``, then its entry filed (on a thread of its own, after the check returns)."""
    result = loading.check(path)
    loading._kept()
    return result


def entries(cal: Path) -> list[Path]:
    loading._kept()  # the entry is filed on a thread of its own
    folder = cal.parent / ".herald" / "calendars"
    return sorted(folder.glob("*.pickle")) if folder.exists() else []


def same(result, path: Path) -> bool:
    """The result is exactly what checking the file as it is now gives."""
    here = calendars.check(str(path))
    return result.value == here.value and result.problems == here.problems


def test_a_restart_on_the_same_file_checks_nothing_and_has_the_same_warnings(cal, forks):
    first = checked(str(cal))
    assert len(forks) == 1 and first.warnings and same(first, cal)  # (warnings: what the test is about)
    (entry,) = entries(cal)
    assert entry.stat().st_mode & 0o777 == 0o600 and (cal.parent / ".herald").stat().st_mode & 0o777 == 0o700
    again = checked(str(cal))
    assert len(forks) == 1  # served from the cache
    assert same(again, cal) and [str(p) for p in again.problems] == [str(p) for p in first.problems]


def test_the_start_logs_the_same_lines_from_the_cache(cal, tmp_path, forks, caplog):
    logs = []
    for _ in range(2):
        caplog.clear()
        with caplog.at_level(logging.INFO):
            start = first_load(str(cal), None, lambda: Ledger(f"sqlite:///{tmp_path / 'state.db'}"))
        start.ledger.close()
        logs.append([(r.levelname, r.getMessage()) for r in caplog.records if r.name != "herald.ledger"])
    assert len(forks) == 1 and logs[0] == logs[1]
    assert any(level == "WARNING" and "2:30" in message for level, message in logs[0])


def test_a_changed_calendar_is_never_served_from_the_cache(cal, forks):
    checked(str(cal))
    cal.write_text(CHANGED)
    changed = checked(str(cal))
    assert len(forks) == 2 and same(changed, cal)
    assert changed.value != calendars.check("x", WARNED).value  # (the change shows in the calendar)
    cal.write_text(WARNED)  # back to the first bytes: the first entry serves again
    assert same(checked(str(cal)), cal) and len(forks) == 2


def test_the_same_bytes_under_another_name_are_checked_under_that_name(cal, forks):
    other = cal.parent / "other.yaml"
    other.write_bytes(cal.read_bytes())
    checked(str(cal))
    moved = checked(str(other))
    assert len(forks) == 2 and same(moved, other)  # every message names the file it came from


def test_other_code_is_never_served_from_the_cache(cal, forks, monkeypatch):
    checked(str(cal))
    monkeypatch.setattr(calendarcache, "fingerprint", lambda: "another Herald")
    assert same(checked(str(cal)), cal) and len(forks) == 2


def test_a_calendar_with_errors_is_never_kept(tmp_path, forks):
    path = tmp_path / "cal.yaml"
    path.write_text(BAD["duplicate and unknown network"])
    for _ in range(2):
        result = checked(str(path))
        assert result.errors and same(result, path)
    assert len(forks) == 2 and entries(path) == []


def test_a_save_during_the_check_is_not_filed_under_the_older_bytes(cal, forks, monkeypatch):
    checked = loading._checked

    def saved_meanwhile(path: str):
        found = checked(path)
        cal.write_text(CHANGED)
        return found

    monkeypatch.setattr(loading, "_checked", saved_meanwhile)
    checked(str(cal))
    assert entries(cal) == []


def test_the_newest_two_are_kept(cal, forks):
    third = WARNED.replace("Night owls", "Owls")
    for text in (WARNED, CHANGED, WARNED, third):  # the second WARNED is a hit: it counts as new
        cal.write_text(text)
        checked(str(cal))
    assert len(forks) == 3 and len(entries(cal)) == 2
    for text, checks in ((WARNED, 3), (third, 3), (CHANGED, 4)):  # CHANGED was the oldest: gone
        cal.write_text(text)
        assert same(checked(str(cal)), cal) and len(forks) == checks


class Planted:
    """What an attacker's pickle would run when unpickled."""

    ran = False

    def __reduce__(self):
        return (_ran, ())


def _ran() -> None:
    Planted.ran = True


def plant(entry: Path, payload: bytes, key: str | None = None) -> None:
    """Write ``payload`` as the entry with a header naming its key and digest (an entry as Herald
    writes it, in everything but who wrote it, or with another key)."""
    import hashlib

    header = b"%s %s %s\n" % (calendarcache.MAGIC, (key or entry.stem).encode(),
                              hashlib.sha256(payload).hexdigest().encode())
    entry.write_bytes(header + payload)


TAMPERED = ["other content", "a bit flipped", "other key", "readable by others", "a link", "a folder others write",
            "another owner"]


@pytest.mark.parametrize("how", TAMPERED)
def test_an_entry_not_written_by_this_user_alone_is_refused_and_rebuilt(how, cal, forks, caplog):
    checked(str(cal))
    (entry,) = entries(cal)
    good = entry.read_bytes()
    Planted.ran = False
    if how == "other content":  # another calendar's entry, as Herald wrote it, copied under this one's name
        other = cal.parent / "elsewhere" / cal.name
        other.parent.mkdir()
        other.write_text(CHANGED)
        checked(str(other))
        (foreign,) = entries(other)
        entry.write_bytes(foreign.read_bytes())
    elif how == "a bit flipped":
        entry.write_bytes(good[:-10] + bytes([good[-10] ^ 1]) + good[-9:])
    elif how == "other key":
        plant(entry, pickle.dumps(Planted()), key="0" * 64)
    elif how == "readable by others":
        plant(entry, pickle.dumps(Planted()))
        entry.chmod(0o644)
    elif how == "a link":
        real = entry.with_name("elsewhere")
        plant(real, pickle.dumps(Planted()), key=entry.stem)
        real.chmod(0o600)
        entry.unlink()
        entry.symlink_to(real)
    elif how == "a folder others write":
        plant(entry, pickle.dumps(Planted()))
        entry.parent.chmod(0o777)
    else:
        if os.geteuid() != 0:
            pytest.skip("giving a file to another user needs root")
        plant(entry, pickle.dumps(Planted()))
        os.chown(entry, 4242, -1)
    with caplog.at_level(logging.WARNING):
        refused = checked(str(cal))
        loading._kept()  # (the rebuilt entry is filed on a thread of its own)
    assert len(forks) == (3 if how == "other content" else 2)
    assert not Planted.ran and same(refused, cal)
    if how != "a folder others write":  # (that folder is not trusted: nothing is written there either)
        assert "ignoring the calendar cache" in caplog.text
        assert entry.is_file() and not entry.is_symlink() and entry.stat().st_mode & 0o777 == 0o600
        assert entry.stat().st_uid == os.geteuid() and entry.read_bytes() == good  # rebuilt
        checks = len(forks)
        checked(str(cal))
        assert len(forks) == checks


def test_a_folder_that_cannot_be_written_never_stops_a_load(cal, forks):
    (cal.parent / ".herald").write_text("not a folder")
    for count in (1, 2):
        assert same(checked(str(cal)), cal) and len(forks) == count


def test_a_missing_calendar_is_the_same_error(tmp_path, forks):
    path = tmp_path / "nowhere.yaml"
    assert checked(str(path)).problems == calendars.check(str(path)).problems
