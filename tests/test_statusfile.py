"""The one path that edits status.yaml: concurrent commands, hand edits, symlinks, modes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime

import pytest

from campaigns.calendar import loads as load_calendar
from campaigns.errors import StatusFileError, UsageError
from scheduler import statusfile
from scheduler.errors import StatusFileBusy, StatusFileRace
from scheduler.statusfile import edit, locked
from status import edit as transforms
from status.load import loads
from tests.conftest import ROOT

CALENDAR_TEXT = "brand: {name: Acme, timezone: Europe/Berlin}\nnetworks: {site: {type: site}}\nposts: []\n"
CALENDAR = load_calendar(CALENDAR_TEXT)
STATUS = textwrap.dedent("""\
    # Our components. Keep this comment!
    components:
        checkout: {name: Checkout}   # the payment step
    incidents:
      - id: pay
        title: Card payments fail
        impact: major
        updates:
          - at: 2026-12-01T10:00:00+01:00
            state: investigating
            message: We're on it.
    """)
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def update(message: str, now: datetime = NOW):
    """An update on 'pay', timed from the file as read under the lock (like `herald incident update`)."""
    def change(data, fresh):
        at = transforms.next_stamp(now, fresh, fresh.incident("pay"))
        transforms.add_update(transforms.find_incident(data, "pay"), at, "identified", message, None)
    return change


@pytest.mark.slow
def test_concurrent_update_commands_all_land_in_order_with_distinct_times(tmp_path):
    # Given a status file with an open incident, and 5 on-call people each running 10 updates at once
    (tmp_path / "content_calendar.yaml").write_text(CALENDAR_TEXT)
    status = tmp_path / "status.yaml"
    status.write_text(STATUS)
    workers, rounds = 5, 10
    results: list[tuple[str, int, str, str]] = []
    lock = threading.Lock()

    def worker(w: int) -> None:
        for r in range(rounds):
            message = f"worker {w} update {r}."
            proc = subprocess.run(
                [sys.executable, "-m", "scheduler.cli", "incident", "update", "pay", "--state", "identified",
                 "-m", message, "--calendar", str(tmp_path / "content_calendar.yaml"), "--status", str(status)],
                capture_output=True, text=True, cwd=ROOT, timeout=120)
            with lock:
                results.append((message, proc.returncode, proc.stdout, proc.stderr))

    # When they all run concurrently (real processes)
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # Then every reported success is in the file, each person's updates in their order, all at distinct times
    saved = [m for m, code, _, _ in results if code == 0]
    failed = [(code, err) for _, code, _, err in results if code != 0]
    incident = loads(status.read_text(), CALENDAR).incident("pay")
    assert incident is not None
    in_file = [u.message for u in incident.updates[1:]]
    print(f"\n{len(results)} commands run, {len(saved)} reported saved, {len(in_file)} found in the file")
    assert sorted(in_file) == sorted(saved)
    for w in range(workers):
        mine = [m for m in in_file if m.startswith(f"worker {w} ")]
        assert mine == sorted(mine, key=lambda m: int(m.split()[-1].rstrip(".")))
    times = [u.at for u in incident.updates]
    assert times == sorted(times) and len(set(times)) == len(times)
    # and a failure, if any, is one clear sentence, never a traceback or a confusing ordering error
    for code, err in failed:
        assert code in (2, 3) and err.startswith("herald: ") and "Traceback" not in err and "not after" not in err
    assert not failed, failed  # with the lock, nobody has to fail
    assert status.read_text().startswith("# Our components. Keep this comment!\n")


def test_a_hand_edit_saved_while_a_command_runs_is_merged_not_overwritten(tmp_path):
    status = tmp_path / "status.yaml"
    status.write_text(STATUS)

    def hand_edit() -> None:  # someone saves in their editor between our read and our write
        if "maintenance" not in status.read_text():
            status.write_text(status.read_text().replace("incidents:", "# edited by hand\nmaintenance:\n"
                                                          "  - {id: db, title: DB upgrade, starts: '2026-12-06T03:00',"
                                                          " ends: '2026-12-06T04:00'}\nincidents:"))

    saved = edit(str(status), CALENDAR, update("Found it."), before_write=hand_edit)
    text = status.read_text()
    assert "# edited by hand" in text and "id: db" in text and "Found it." in text
    assert [m.id for m in saved.maintenance] == ["db"]
    assert [u.message for u in saved.incident("pay").updates] == ["We're on it.", "Found it."]


def test_a_hand_edit_that_breaks_the_file_meanwhile_makes_the_command_refuse(tmp_path):
    status = tmp_path / "status.yaml"
    status.write_text(STATUS)
    broken = STATUS.replace("impact: major", "impact: huge")

    with pytest.raises(StatusFileRace) as caught:
        edit(str(status), CALENDAR, update("Found it."), before_write=lambda: status.write_text(broken))
    assert status.read_text() == broken  # the hand edit is kept as it was saved
    assert "was saved by someone else while this command ran and is not valid now; nothing was written" in str(
        caught.value) and "'impact' cannot be 'huge'" in str(caught.value)
    assert caught.value.exit_code == 3


def test_a_hand_edit_the_change_no_longer_applies_to_is_reported(tmp_path):
    status = tmp_path / "status.yaml"
    status.write_text(STATUS)
    resolved = STATUS + ("      - at: 2026-12-01T10:10:00+01:00\n        state: resolved\n"
                         "        message: Fixed.\n")
    with pytest.raises(UsageError, match="was resolved at"):
        edit(str(status), CALENDAR, update("Found it."), before_write=lambda: status.write_text(resolved))
    assert status.read_text() == resolved


def test_a_file_that_keeps_changing_is_left_alone(tmp_path):
    status = tmp_path / "status.yaml"
    status.write_text(STATUS)
    counter = iter(range(100))

    def keep_editing() -> None:
        status.write_text(STATUS + f"# save {next(counter)}\n")

    with pytest.raises(StatusFileRace, match="kept changing while this command ran"):
        edit(str(status), CALENDAR, update("Found it."), before_write=keep_editing)
    assert "Found it." not in status.read_text()


def test_updates_in_the_same_second_get_distinct_ordered_times(tmp_path):
    status = tmp_path / "status.yaml"
    status.write_text(STATUS.replace("2026-12-01T10:00:00+01:00", "2026-12-01T10:30:00+01:00"))
    for n in range(3):
        edit(str(status), CALENDAR, update(f"update {n}."))  # the clock says 10:30:00 each time
    times = [u.at.isoformat() for u in loads(status.read_text(), CALENDAR).incident("pay").updates]
    assert times == ["2026-12-01T10:30:00+01:00", "2026-12-01T10:30:01+01:00", "2026-12-01T10:30:02+01:00",
                     "2026-12-01T10:30:03+01:00"]


def test_a_symlinked_status_file_stays_a_symlink_and_keeps_its_mode(tmp_path):
    real = tmp_path / "config" / "status.yaml"
    real.parent.mkdir()
    real.write_text(STATUS)
    os.chmod(real, 0o640)
    link = tmp_path / "status.yaml"
    link.symlink_to(real)

    edit(str(link), CALENDAR, update("Found it."))
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "Found it." in real.read_text()
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o640
    assert statusfile.lock_path(str(link)) == str(real.parent / ".status.yaml.lock")


def test_an_invalid_change_writes_nothing(tmp_path):
    status = tmp_path / "status.yaml"
    status.write_text(STATUS)

    def bad(data, fresh):
        transforms.add_update(transforms.find_incident(data, "pay"), "2026-12-01T09:00:00+01:00", "identified",
                              "Earlier than the first.", None)

    with pytest.raises(StatusFileError, match="is not after the previous one"):
        edit(str(status), CALENDAR, bad)
    assert status.read_text() == STATUS


def test_an_invalid_file_is_not_edited(tmp_path):
    status = tmp_path / "status.yaml"
    status.write_text(STATUS.replace("impact: major", "impact: huge"))
    with pytest.raises(StatusFileError) as caught:
        edit(str(status), CALENDAR, update("Found it."))
    assert str(caught.value).startswith(f"{status}:7:13: 'impact' cannot be 'huge'")


def test_a_new_status_file_gets_a_header(tmp_path):
    status = tmp_path / "status.yaml"
    edit(str(status), CALENDAR, lambda data, fresh: transforms.declare(
        data, incident_id="pay", title="Card payments fail", impact="major", components=[], networks=[],
        at=transforms.stamp(NOW, fresh), message="We're on it.", next_update="30m"))
    text = status.read_text()
    assert text.startswith(transforms.HEADER) and "next_update: 30m" in text
    assert stat.S_IMODE(os.stat(status).st_mode) == 0o644


def test_a_command_waits_for_the_lock_then_gives_up_with_a_sentence(tmp_path):
    status = tmp_path / "status.yaml"
    status.write_text(STATUS)
    clock = iter([0.0, 0.5, 1.0, 31.0])
    waiting = locked(str(status), sleep=lambda s: None, monotonic=lambda: next(clock))
    with locked(str(status)), pytest.raises(StatusFileBusy) as caught, waiting:
        pass  # pragma: no cover
    assert "another herald command has been editing it for 31 s" in str(caught.value)
    with locked(str(status)):  # released: the next command gets it at once
        pass


def test_times_are_written_as_wall_clock_in_the_file_zone_and_a_dst_fold_in_utc_with_a_note():
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    assert transforms.written_time(datetime(2026, 12, 1, 9, 30, tzinfo=UTC), berlin) == "2026-12-01T10:30:00"
    assert transforms.written_time(datetime(2026, 7, 1, 9, 30, tzinfo=UTC), berlin, "minutes") == "2026-07-01T11:30"
    # 02:30 happens twice on 2026-10-25 in Berlin: UTC says which, never a bare offset; a note says the rest
    first, second = datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert transforms.written_time(first, berlin) == "2026-10-25T00:30:00Z"
    assert transforms.written_time(first, berlin).note == "02:30 CEST (the first 02:30 that night)"
    assert transforms.written_time(second, berlin) == "2026-10-25T01:30:00Z"
    assert transforms.written_time(second, berlin).note == "02:30 CET (the second 02:30 that night)"
