"""Bad input found by a black-box attack on the command line (issue input27): a FIFO given as
an input file, year 0, a byte order mark inside a file, export-site into the wrong folder, no
layout hint for a file that is one folder down, options before the command, out-of-range
durations, maintenance windows in the past or years long, and edits that changed a file's line
endings or dropped its byte order mark."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaigns.errors import CalendarError
from campaigns.yamlsource import load_text
from scheduler.cli import main
from scheduler.clock import FakeClock
from tests.conftest import ROOT
from tests.test_install import herald_without

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def herald(capsys, *argv: str, clock: FakeClock | None = None) -> tuple[int, str, str]:
    code = main(list(argv), clock=clock or FakeClock(T0))
    out, err = capsys.readouterr()
    return code, out, err


def run_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    folder.mkdir()
    for name in ("content_calendar.yaml", "status.yaml"):
        shutil.copy(ROOT / name, folder / name)
    return folder


# -- 1. a FIFO is refused, never read -------------------------------------------------------
@pytest.mark.parametrize("argv", [["validate", "{fifo}"], ["validate", "{cal}", "--status", "{fifo}"],
                                  ["plan", "--calendar", "{fifo}"],
                                  ["incident", "declare", "--calendar", "{cal}", "--status", "{fifo}", "--title", "Down",
                                   "--impact", "minor", "-m", "We are looking into it."]])
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path, argv):
    folder = run_folder(tmp_path)
    fifo = folder / "fifo.yaml"
    os.mkfifo(fifo)
    args = [a.format(fifo=fifo, cal=folder / "content_calendar.yaml") for a in argv]
    # (the subprocess's timeout only stops a hang from stopping the suite: a hang fails)
    proc = herald_without("no_module_blocked", *args, cwd=folder)
    assert proc.returncode in (1, 2) and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.splitlines()[0].endswith(f"{fifo}: is a FIFO, not a file"), proc.stderr
    assert fifo.exists() and not fifo.is_file()


# -- 2. year 0 is a year out of range, not an unexpected error -------------------------------
@pytest.mark.parametrize("argv", [["plan", "--from", "0000-01-01"], ["lint", "--from", "0000-01-01"],
                                  ["plan", "--from", "0000-01-01T10:00+01:00"]])
def test_year_zero_is_out_of_range(capsys, tmp_path, argv):
    folder = run_folder(tmp_path)
    code, out, err = herald(capsys, *argv, "--calendar", str(folder / "content_calendar.yaml"))
    assert (code, out) == (2, "")
    assert err.splitlines() == [err.strip()] and "a year from 1900 to 9000" in err, err


def test_maintenance_starting_in_year_zero_is_out_of_range(capsys, tmp_path):
    folder = run_folder(tmp_path)
    before = (folder / "status.yaml").read_bytes()
    code, out, err = herald(capsys, "maintenance", "add", "--calendar", str(folder / "content_calendar.yaml"),
                            "--title", "Upgrade", "--starts", "0000-12-10T03:00", "--ends", "2026-12-10T04:00")
    assert (code, out) == (2, "") and "--starts 0000-12-10T03:00: a year from 1900 to 9000" in err
    assert (folder / "status.yaml").read_bytes() == before


# -- 3. a byte order mark anywhere but first is located and named ----------------------------
def _bom_before_status_components(folder: Path) -> tuple[list[str], str, int]:
    """A byte order mark before the status file's ``components:`` key: the arguments, file and line."""
    status = folder / "status.yaml"
    text = status.read_text(encoding="utf-8")
    line = text[:text.index("components:")].count("\n") + 1
    status.write_text(text.replace("components:", "\ufeffcomponents:", 1), encoding="utf-8")
    return ["--status", str(status)], status.name, line


def _bom_on_its_own_calendar_line(folder: Path) -> tuple[list[str], str, int]:
    """A byte order mark on a line of its own at the calendar's end: the arguments, file and line."""
    cal = folder / "content_calendar.yaml"
    cal.write_text(cal.read_text(encoding="utf-8") + "\ufeff\n", encoding="utf-8")
    return [], cal.name, cal.read_text(encoding="utf-8").count("\n")


@pytest.mark.parametrize("place", [_bom_before_status_components, _bom_on_its_own_calendar_line],
                         ids=["inside-the-status-file", "own-line-of-the-calendar"])
def test_a_bom_inside_a_file_is_located(capsys, tmp_path, place):
    folder = run_folder(tmp_path)
    options, name, line = place(folder)
    code, out, err = herald(capsys, "validate", str(folder / "content_calendar.yaml"), *options)
    assert code == 1
    assert f"{name}:{line}:1: U+FEFF (byte order mark) is not allowed here" in err, err
    assert "did not find expected key" not in err


def test_a_leading_bom_and_the_escape_stay_allowed(capsys, tmp_path):
    folder = run_folder(tmp_path)
    cal = folder / "content_calendar.yaml"
    text = cal.read_text(encoding="utf-8")
    cal.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    code, out, err = herald(capsys, "validate", str(cal))
    assert code == 0, err
    assert load_text('a: "x\\ufeffy"\n', "f.yaml") == {"a": "x\ufeffy"}
    with pytest.raises(CalendarError, match="f.yaml:2:3: U.FEFF"):
        load_text('a: 1\nb:\ufeff 2\n', "f.yaml")


# -- 7. a duration out of range is said as the range -----------------------------------------
@pytest.mark.parametrize("value", ["100000d", "99999999999m"])
def test_a_huge_next_update_gets_the_range(capsys, tmp_path, value):
    folder = run_folder(tmp_path)
    code, out, err = herald(capsys, "incident", "declare", "--calendar", str(folder / "content_calendar.yaml"),
                            "--title", "Checkout errors", "--impact", "minor", "-m", "We are looking into it.",
                            "--next-update", value)
    assert (code, out) == (2, "")
    assert err == f"herald: --next-update {value}: between 1 minute and 7 days\n"


def test_year_zero_in_the_calendar_is_located(capsys, tmp_path):
    folder = run_folder(tmp_path)
    cal = folder / "content_calendar.yaml"
    text = cal.read_text(encoding="utf-8")
    line = text[:text.index("starts: 2026-12-01")].count("\n") + 1
    cal.write_text(text.replace("starts: 2026-12-01", "starts: 0000-12-01", 1), encoding="utf-8")
    code, out, err = herald(capsys, "validate", str(cal))
    assert code in (1, 2) and "unexpected error" not in err
    assert f"content_calendar.yaml:{line}:" in err and "there is no year 0" in err, err


# -- 9. an edit keeps the file's line endings and byte order mark ---------------------------
@pytest.mark.parametrize("bom, newline", [(b"\xef\xbb\xbf", b"\r\n"), (b"", b"\r\n"), (b"\xef\xbb\xbf", b"\n")])
def test_an_edit_keeps_line_endings_and_bom(capsys, tmp_path, bom, newline):
    folder = run_folder(tmp_path)
    status = folder / "status.yaml"
    status.write_bytes(bom + status.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", newline))
    code, out, err = herald(capsys, "incident", "declare", "--calendar", str(folder / "content_calendar.yaml"),
                            "--title", "Checkout errors", "--impact", "minor", "-m", "We are looking into it.")
    assert code == 0, err
    data = status.read_bytes()
    assert b"Checkout errors" in data
    assert data.startswith(bom) and data.count(b"\xef\xbb\xbf") == len(bom) // 3
    if newline == b"\r\n":  # every line break is CRLF: no LF alone, no CR alone
        assert data.count(b"\n") == data.count(b"\r\n") == data.count(b"\r") > 20
    else:
        assert b"\r" not in data


# -- 6. options before the command; --version with more words -------------------------------
def test_options_before_the_command_are_said_to_go_after_it(capsys):
    code, out, err = herald(capsys, "--state", "postgresql://u:secret@db.example/herald", "history")
    assert (code, out) == (2, "")
    assert err == "herald: options go after the command: herald history --state postgresql://***@db.example/herald\n"
    assert "secret" not in err


def test_an_unknown_command_without_options_is_still_no_such_command(capsys):
    code, out, err = herald(capsys, "histroy")
    assert code == 2 and "no such command 'histroy'" in err and "did you mean 'history'" in err


@pytest.mark.parametrize("argv", [["--version", "extra"], ["--version", "plan"], ["plan", "--version"]])
def test_version_takes_no_other_words(capsys, argv):
    code, out, err = herald(capsys, *argv)
    assert (code, out) == (2, "") and len(err.splitlines()) == 1, (out, err)


def test_version_alone_prints_the_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.startswith("herald ")


# -- 5. the layout hint: the calendar is one folder down --------------------------------------
@pytest.mark.parametrize("command", [["plan"], ["lint"], ["validate"], ["status"],
                                     ["incident", "declare", "--title", "Down", "--impact", "minor", "-m", "On it."]])
def test_a_calendar_one_folder_down_is_hinted(capsys, tmp_path, monkeypatch, command):
    run_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out, err = herald(capsys, *command)
    assert code in (1, 2)
    assert err.splitlines()[0] == ("content_calendar.yaml: file not found "
                                   f"(did you mean --calendar {os.path.join('run', 'content_calendar.yaml')}?)"), err


def test_no_hint_when_nothing_is_near(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = herald(capsys, "plan")
    assert code in (1, 2) and err.splitlines()[0] == "content_calendar.yaml: file not found", err


# -- 4. export-site refuses a file, an impossible folder, '' and a folder of other files -----
def _export(capsys, folder: Path, target: str) -> tuple[int, str, str]:
    return herald(capsys, "export-site", target, "--calendar", str(folder / "content_calendar.yaml"))


def test_export_site_to_a_file_is_refused(capsys, tmp_path):
    folder = run_folder(tmp_path)
    (tmp_path / "afile").write_text("keep me\n")
    code, out, err = _export(capsys, folder, str(tmp_path / "afile"))
    assert code == 2 and err == f"herald: {tmp_path / 'afile'}: is a file, not a folder\n"
    assert (tmp_path / "afile").read_text() == "keep me\n"


@pytest.mark.parametrize("target, said", [("", "herald export-site: give the folder to write, e.g. "
                                                 "herald export-site -o public/\n"),
                                           ("/proc/herald-no-such/x", "herald: /proc/herald-no-such/x: cannot make "
                                                                      "this folder (No such file or directory)\n")])
def test_export_site_to_no_folder_is_refused(capsys, tmp_path, monkeypatch, target, said):
    folder = run_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out, err = _export(capsys, folder, target)
    assert (code, err) == (2, said)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_export_site_into_the_calendars_folder_is_refused(capsys, tmp_path, monkeypatch):
    folder = run_folder(tmp_path)
    monkeypatch.chdir(folder)
    before = sorted(p.name for p in folder.iterdir())
    code, out, err = _export(capsys, folder, ".")
    assert code == 2 and len(err.splitlines()) == 1 and "content_calendar.yaml" in err and "public/" in err, err
    assert sorted(p.name for p in folder.iterdir()) == before


def test_export_site_again_into_its_own_folder(capsys, tmp_path):
    folder = run_folder(tmp_path)
    site = tmp_path / "site"
    assert _export(capsys, folder, str(site))[0] == 0
    assert _export(capsys, folder, str(site))[0] == 0  # a previous export is replaced
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine\n")
    code, out, err = _export(capsys, folder, str(tmp_path / "other"))
    assert code == 2 and "notes.txt" in err
    assert sorted(p.name for p in (tmp_path / "other").iterdir()) == ["notes.txt"]


# -- 8. maintenance windows: not in the past, not years long, dates said ---------------------
def _add_window(capsys, folder: Path, starts: str, ends: str) -> tuple[int, str, str]:
    return herald(capsys, "maintenance", "add", "--calendar", str(folder / "content_calendar.yaml"),
                  "--title", "Database upgrade", "--starts", starts, "--ends", ends)


@pytest.mark.parametrize("starts, ends, said", [
    ("1900-12-10T03:00", "1900-12-10T04:00", "--starts 1900-12-10T03:00: in the past"),
    ("2026-11-21T03:00", "2026-11-24T04:00", "--starts 2026-11-21T03:00: in the past"),
    ("2026-12-10T03:00", "2036-12-10T04:00", "a window of at most 14 days"),
    ("2026-12-10T03:00", "2026-12-24T04:00", "a window of at most 14 days"),
])
def test_a_window_in_the_past_or_too_long_is_refused(capsys, tmp_path, starts, ends, said):
    folder = run_folder(tmp_path)
    before = (folder / "status.yaml").read_bytes()
    code, out, err = _add_window(capsys, folder, starts, ends)
    assert (code, out) == (2, "") and said in err and len(err.splitlines()) == 1, err
    assert (folder / "status.yaml").read_bytes() == before


def test_a_window_that_began_within_the_hour_is_recorded_as_running(capsys, tmp_path):
    folder = run_folder(tmp_path)  # T0 is 08:00 in Berlin
    code, out, err = _add_window(capsys, folder, "2026-11-23T07:05", "2026-11-23T09:00")
    assert code == 0, err


def test_the_summary_dates_an_announcement_after_tomorrow(capsys, tmp_path):
    folder = run_folder(tmp_path)  # T0 is Monday 2026-11-23
    code, out, err = _add_window(capsys, folder, "2026-12-10T03:00", "2026-12-10T04:00")
    assert code == 0, err
    assert "2026-12-10 03:00 CET to 04:00 CET" in out and "when it ends (Thu 2026-12-10 04:00 CET)" in out, out
    code, out, err = _add_window(capsys, folder, "2026-11-24T03:00", "2026-11-25T04:00")
    assert code == 0, err
    assert "2026-11-24 03:00 CET to 2026-11-25 04:00 CET" in out and "when it starts (Tue 03:00 CET)" in out, out
