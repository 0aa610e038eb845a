"""`plan`, `plan --json`, `simulate` and `export-ical` show the status file's publications (incident
updates, follow-ups, maintenance reminders, starts and ends) beside the calendar's posts, each
naming where it comes from; `--only calendar|status` filters; `-o` never invents folders."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import recurring_ical_events
from icalendar import Calendar as VCalendar

from scheduler.cli import main
from scheduler.clock import FakeClock
from tests.conftest import ROOT

SAMPLE = str(ROOT / "content_calendar.yaml")
CLOCK = FakeClock(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))

STATUS = """\
components:
  checkout: {name: Checkout}
maintenance:
  - id: db-upgrade
    title: Database upgrade
    starts: 2026-11-25T03:00
    ends: 2026-11-25T04:00
    components: [checkout]
incidents:
  - id: pay
    title: Card payments fail
    impact: major
    components: [checkout]
    follow_up: 2h
    updates:
      - at: 2026-11-23T09:00
        state: investigating
        message: We are looking into failed card payments.
      - at: 2026-11-23T09:30
        state: resolved
        message: Card payments work again.
"""


@pytest.fixture
def status(tmp_path):
    path = tmp_path / "status.yaml"
    path.write_text(STATUS)
    return str(path)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), clock=CLOCK)
    out, err = capsys.readouterr()
    return code, out, err


def plan_rows(capsys, status: str, *extra: str) -> list[dict]:
    code, out, err = run(capsys, "plan", "--calendar", SAMPLE, "--status", status, "--from", "2026-11-23",
                         "--days", "3", "--json", *extra)
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_plan_json_lists_status_announcements_with_their_source_and_state(capsys, status):
    rows = plan_rows(capsys, status)
    announcements = [r for r in rows if r["origin"] == "status"]
    # incident: 2 updates + the follow-up; maintenance: 24h and 1h reminders, start, end (one site account)
    assert [(r["post"], r.get("incident_state"), r["role"]) for r in announcements] == [
        ("pay", "investigating", "investigating"), ("pay", "resolved", "resolved"),
        ("pay", "resolved", "follow_up"), ("db-upgrade", None, "maintenance.reminder"),
        ("db-upgrade", None, "maintenance.reminder"), ("db-upgrade", None, "maintenance.start"),
        ("db-upgrade", None, "maintenance.end")]
    assert announcements[0]["source"].startswith("incident:pay") or "pay" in announcements[0]["source"]
    assert announcements[1]["thread_root"] == announcements[0]["key"]  # threaded under the first post
    assert [r["at"] for r in announcements[3:]] == ["2026-11-24T03:00:00+01:00", "2026-11-25T02:00:00+01:00",
                                                    "2026-11-25T03:00:00+01:00", "2026-11-25T04:00:00+01:00"]
    assert {r["origin"] for r in rows} == {"calendar", "status"}
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)  # one time order


def test_only_filters_by_origin(capsys, status):
    everything = plan_rows(capsys, status)
    calendar = plan_rows(capsys, status, "--only", "calendar")
    announced = plan_rows(capsys, status, "--only", "status")
    assert calendar and announced
    assert {r["origin"] for r in calendar} == {"calendar"} and {r["origin"] for r in announced} == {"status"}
    assert sorted(r["key"] for r in everything) == sorted(r["key"] for r in calendar + announced)


def test_a_wrong_only_value_is_refused_with_a_suggestion(capsys, status):
    code, out, err = run(capsys, "plan", "--calendar", SAMPLE, "--status", status, "--only", "stauts")
    assert code == 2 and out == ""
    assert "'stauts' is neither calendar nor status (did you mean 'status'?)" in err


def test_plan_text_says_what_each_announcement_is(capsys, status):
    code, out, _ = run(capsys, "plan", "--calendar", SAMPLE, "--status", status, "--from", "2026-11-23", "--days", "3")
    assert code == 0
    assert out.splitlines()[0].startswith("8 publications (7 status announcements) from 2026-11-23 00:00 CET")
    assert "    status file: db-upgrade, maintenance: reminder 24 hours ahead\n" in out
    assert "    status file: pay, incident update: investigating (major)\n" in out
    assert "    status file: pay, incident follow-up (major)\n" in out


@pytest.mark.slow
def test_simulate_runs_the_status_announcements_too(capsys, status):
    import logging

    levels = [logging.getLogger(name).level for name in ("herald.engine", "herald.ledger")]
    code, out, _ = run(capsys, "simulate", "--calendar", SAMPLE, "--status", status, "--from", "2026-11-23",
                       "--days", "3", "--only", "status")
    lines = out.splitlines()
    assert code == 0 and lines[-1].endswith("shown (--only status)")
    assert any("db-upgrade" in line and "sent" in line and "maintenance (maintenance starts)" in line for line in lines)
    assert any("pay" in line and "incident (investigating (major))" in line for line in lines)
    assert not any("track-your-order" in line for line in lines)
    # the engine's log, quieted for the simulation, speaks again afterwards (it silenced a later run)
    assert [logging.getLogger(name).level for name in ("herald.engine", "herald.ledger")] == levels


def test_export_ical_has_an_event_per_announcement_at_its_planned_instant(capsys, status, tmp_path):
    target = tmp_path / "plan.ics"
    code, _, err = run(capsys, "export-ical", "--calendar", SAMPLE, "--status", status, "--from", "2026-11-23",
                       "--days", "3", "--only", "status", "-o", str(target))
    assert code == 0, err
    start, end = datetime(2026, 11, 22, 23, 0, tzinfo=UTC), datetime(2026, 11, 25, 23, 0, tzinfo=UTC)
    events = recurring_ical_events.of(VCalendar.from_ical(target.read_bytes())).between(start, end)
    exported = sorted((str(e["X-HERALD-POST"]), str(e["X-HERALD-NETWORK"]), e.decoded("dtstart").astimezone(UTC))
                      for e in events if str(e["X-HERALD-NETWORK"]) != "status")
    planned = sorted((r["post"], r["network"], datetime.fromisoformat(r["at"]).astimezone(UTC))
                     for r in plan_rows(capsys, status, "--only", "status"))
    assert exported == planned and len(exported) == 7
    assert not any(str(e["X-HERALD-POST"]) == "track-your-order" for e in events)  # --only status


def test_export_to_a_missing_folder_creates_nothing_and_says_so(capsys, tmp_path):
    target = tmp_path / "no" / "such" / "plan.ics"
    code, out, err = run(capsys, "export-ical", "--calendar", SAMPLE, "-o", str(target))
    assert code == 3 and out == ""
    assert err == f"herald: -o {target}: no folder {target.parent} (create it first)\n"
    assert not (tmp_path / "no").exists()


def test_a_failed_export_names_the_target_not_a_temporary_file(capsys, tmp_path, monkeypatch):
    import scheduler.files

    def refuse(path, data, mode=0o644):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".plan.ics.x1y2.tmp"))

    monkeypatch.setattr(scheduler.files, "write_atomic", refuse)
    target = tmp_path / "plan.ics"
    code, _, err = run(capsys, "export-ical", "--calendar", SAMPLE, "-o", str(target))
    assert code == 3 and err == f"herald: -o {target}: cannot write it: Permission denied\n"
    assert ".tmp" not in err


def test_plan_json_streams_exactly_what_the_publications_say(capsys, status):
    """orjson's lines decode to the same objects json.dumps gave (keys, order, unicode, nulls)."""
    from campaigns.calendar import load
    from campaigns.plan import plan

    rows = plan_rows(capsys, status, "--only", "calendar")
    calendar = load(SAMPLE)
    expected = [json.loads(json.dumps(p.as_json(), ensure_ascii=False))
                for p in plan(calendar, datetime(2026, 11, 22, 23, 0, tzinfo=UTC),
                              datetime(2026, 11, 25, 23, 0, tzinfo=UTC))]
    assert rows == expected


def test_export_into_a_fifo_writes_through_it_and_leaves_it_a_fifo(capsys, tmp_path):
    """`-o /dev/stdout`, a FIFO, a device: written in place, never replaced by a regular file."""
    import os
    import stat
    import threading

    fifo = tmp_path / "feed"
    os.mkfifo(fifo)
    link = tmp_path / "link.ics"
    link.symlink_to(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, _, err = run(capsys, "export-ical", "--calendar", SAMPLE, "--days", "2", "-o", str(link))
    reader.join(timeout=10)
    assert code == 0, err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and link.is_symlink()
    assert got and got[0].startswith(b"BEGIN:VCALENDAR") and got[0].rstrip().endswith(b"END:VCALENDAR")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_export_into_a_character_device_keeps_the_device(capsys, tmp_path):
    import os
    import stat

    null = tmp_path / "null"
    try:
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    code, _, err = run(capsys, "export-ical", "--calendar", SAMPLE, "--days", "2", "-o", str(null))
    assert code == 0, err
    assert stat.S_ISCHR(os.stat(null).st_mode) and os.stat(null).st_rdev == os.makedev(1, 3)


def test_a_dangling_link_to_a_missing_folder_is_refused_and_creates_nothing(capsys, tmp_path):
    link = tmp_path / "plan.ics"
    link.symlink_to(tmp_path / "gone" / "deeper" / "plan.ics")
    code, out, err = run(capsys, "export-ical", "--calendar", SAMPLE, "-o", str(link))
    assert code == 3 and out == ""
    assert err == f"herald: -o {link}: no folder {tmp_path / 'gone' / 'deeper'} (create it first)\n"
    assert not (tmp_path / "gone").exists()


def test_a_read_only_file_system_is_named_as_such(capsys, tmp_path):
    import subprocess

    mnt = tmp_path / "ro"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("mounting a read-only file system needs root")
    try:
        code, _, err = run(capsys, "export-ical", "--calendar", SAMPLE, "-o", str(mnt / "plan.ics"))
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
    assert code == 3 and err == f"herald: -o {mnt / 'plan.ics'}: read-only file system\n"


@pytest.mark.slow
def test_an_unwritable_folder_is_refused_before_any_work(capsys, tmp_path):
    """Refused before any work, in one line.  Root writes anywhere, so as root the command runs
    without the capabilities that bypass file permissions (still uid 0: it reads the checkout
    and its virtualenv even when they sit in a 0700 folder, as `mktemp -d` makes them)."""
    import os
    import shutil
    import subprocess
    import sys

    folder = tmp_path / "locked"
    folder.mkdir(mode=0o555)
    try:
        if os.geteuid() != 0:
            code, _, err = run(capsys, "export-ical", "--calendar", SAMPLE, "-o", str(folder / "plan.ics"))
        else:
            if not shutil.which("setpriv"):
                pytest.skip("as root this needs setpriv (util-linux) to drop CAP_DAC_OVERRIDE")
            done = subprocess.run(["setpriv", "--inh-caps=-dac_override,-dac_read_search",
                                   "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-m",
                                   "scheduler.cli", "export-ical", "--calendar", SAMPLE, "-o",
                                   str(folder / "plan.ics")], capture_output=True, text=True, cwd=tmp_path)
            code, err = done.returncode, done.stderr
        assert code == 3 and err == f"herald: -o {folder / 'plan.ics'}: permission denied\n", err
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


@pytest.mark.slow
def test_export_to_dev_stderr_shares_the_stream_with_the_message(tmp_path):
    """`-o /dev/stderr` writes through descriptor 2 (not a second opening of the file it is
    redirected to, which would overwrite the calendar with the "wrote" line)."""
    import subprocess
    import sys

    err = tmp_path / "err.txt"
    with err.open("wb") as fh:
        done = subprocess.run([sys.executable, "-m", "scheduler.cli", "export-ical", "--calendar", SAMPLE, "--days",
                               "2", "-o", "/dev/stderr"], stdout=subprocess.DEVNULL, stderr=fh, cwd=tmp_path)
    assert done.returncode == 0
    text = err.read_bytes().decode()
    calendar, said = text.split("END:VCALENDAR\r\n")
    assert calendar.startswith("BEGIN:VCALENDAR\r\n")
    written = len((calendar + "END:VCALENDAR\r\n").encode())
    assert said == f"wrote /dev/stderr ({written:,} bytes)\n"


@pytest.mark.parametrize("spelling", ["link", "//dev/stderr", "/proc/thread-self/fd/2", "proc-link", "chain",
                                      "the log itself"])
@pytest.mark.slow
def test_a_link_to_a_standard_stream_writes_through_it(tmp_path, spelling):
    """A link to /dev/stderr (or any other way to name it) is the stream, not a file to replace:
    the log it is redirected to keeps what it held before (it was renamed over, losing it)."""
    import subprocess
    import sys

    target = spelling
    if spelling == "link":
        (tmp_path / "link").symlink_to("/dev/stderr")
        target = str(tmp_path / "link")
    elif spelling == "proc-link":  # a link to /proc/self, then fd/2 below it
        (tmp_path / "me").symlink_to("/proc/self")
        target = str(tmp_path / "me" / "fd" / "2")
    elif spelling == "chain":  # a relative link reached through a linked folder
        (tmp_path / "a" / "b").mkdir(parents=True)
        (tmp_path / "a" / "s").symlink_to("/dev/stderr")
        (tmp_path / "a" / "b" / "x").symlink_to("../s")
        (tmp_path / "L").symlink_to(tmp_path / "a" / "b")
        target = str(tmp_path / "L" / "x")
    elif spelling == "the log itself":
        target = str(tmp_path / "err.log")
    log = tmp_path / "err.log"
    log.write_text("PREVIOUS\n")
    with log.open("ab") as fh:
        done = subprocess.run([sys.executable, "-m", "scheduler.cli", "export-ical", "--calendar", SAMPLE, "--days",
                               "2", "-o", target], stdout=subprocess.DEVNULL, stderr=fh, cwd=tmp_path)
    assert done.returncode == 0
    text = log.read_bytes().decode()
    assert text.startswith("PREVIOUS\nBEGIN:VCALENDAR") and text.endswith(" bytes)\n"), text[:200]


def test_a_file_under_dev_is_replaced_like_any_file(capsys, tmp_path):
    """/dev/shm/plan.ics is a file: replaced, not appended to (only the streams are written through)."""
    import os
    import uuid

    if not os.access("/dev/shm", os.W_OK):
        pytest.skip("no writable /dev/shm")
    target = f"/dev/shm/herald-test-{uuid.uuid4().hex}.ics"
    try:
        for _ in range(2):
            assert run(capsys, "export-ical", "--calendar", SAMPLE, "--days", "2", "-o", target)[0] == 0
        with open(target) as fh:
            assert fh.read().count("BEGIN:VCALENDAR") == 1
    finally:
        os.unlink(target)


def _closed_descriptor() -> int:
    """A descriptor number this process has not open (a fixed one, 97, was open in a long run)."""
    import os

    for fd in range(300, 100_000):
        try:
            os.fstat(fd)
        except OSError:
            return fd
    raise AssertionError("no closed descriptor")


@pytest.mark.parametrize("make, said", [
    (lambda p: p.mkdir(), "is a folder; name the file to write"),
    (lambda p: None, "no such open descriptor"),
    (lambda p: p.parent.write_text("x"), "not a folder"),
    (lambda p: None, "file name too long"),
    (lambda p: None, "not a folder: /dev/null"),
    (lambda p: None, "names a folder; name the file to write"),
])
def test_an_impossible_output_is_refused_before_any_work_in_its_own_words(capsys, tmp_path, make, said):
    target = {"is a folder; name the file to write": tmp_path / "folder",
              "no such open descriptor": f"/dev/fd/{_closed_descriptor()}",
              "not a folder": tmp_path / "a.ics" / "x.ics",
              "file name too long": tmp_path / ("n" * 260 + ".ics"),
              "not a folder: /dev/null": "/dev/null/out.ics",
              "names a folder; name the file to write": "/dev/stderr/"}[said]
    if not isinstance(target, str):
        make(target)
    code, out, err = run(capsys, "export-ical", "--calendar", SAMPLE, "--days", "2", "-o", str(target))
    assert code == 3 and out == "" and err.startswith(f"herald: -o {target}: {said}"), err


def test_a_socket_is_refused_before_any_work(capsys, tmp_path):
    import socket

    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    try:
        code, _, err = run(capsys, "export-ical", "--calendar", SAMPLE, "--days", "2", "-o", str(path))
    finally:
        server.close()
    assert code == 3 and err == f"herald: -o {path}: is a socket; name a file, a device or a pipe\n"


@pytest.mark.parametrize("name", ["n" * 245 + ".ics", "€" * 83 + ".ics"])  # 249 characters; 253 bytes
def test_a_long_name_the_file_system_takes_is_written(capsys, tmp_path, name):
    target = tmp_path / name  # legal; its temporary twin's name must be too
    assert run(capsys, "export-ical", "--calendar", SAMPLE, "--days", "2", "-o", str(target))[0] == 0
    assert target.read_bytes().startswith(b"BEGIN:VCALENDAR")


@pytest.mark.parametrize("ending", ["/.", "/.."])
def test_a_path_ending_in_a_dot_folder_is_refused(capsys, tmp_path, ending):
    target = str(tmp_path / "x.ics") + ending
    code, _, err = run(capsys, "export-ical", "--calendar", SAMPLE, "--days", "2", "-o", target)
    assert code == 3 and err == f"herald: -o {target}: names a folder; name the file to write\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_descriptor_open_for_reading_is_refused_before_any_work(tmp_path):
    import subprocess
    import sys

    (tmp_path / "in.txt").write_text("")
    with (tmp_path / "in.txt").open("rb") as reading:  # subprocess.DEVNULL would be open for writing too
        done = subprocess.run([sys.executable, "-m", "scheduler.cli", "export-ical", "--calendar", SAMPLE, "-o",
                               "/dev/stdin"], stdin=reading, capture_output=True, text=True, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (3, "herald: -o /dev/stdin: descriptor 0 is open for reading only\n")
