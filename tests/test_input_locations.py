"""Every bad input file is one line ``file:line:column: message`` at the place an editor (and
``git diff``) shows, whatever bytes the file holds (issue 27): line breaks only YAML reads
(NEL, U+2028, U+2029), NUL bytes, UTF-16 and undecodable bytes, a file over the size cap; and
the command line writes no text into ``status.yaml`` that the file would not keep as written."""

from __future__ import annotations

import codecs
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaigns.errors import CalendarError, UsageError
from campaigns.yamlsource import MAX_BYTES, decode, load_text
from scheduler.cli import main
from scheduler.cli.common import check_text, check_title
from scheduler.clock import FakeClock
from status.edit import visible
from tests.conftest import ROOT

CALENDAR = (ROOT / "content_calendar.yaml").read_text(encoding="utf-8")
STATUS = (ROOT / "status.yaml").read_text(encoding="utf-8")
CLOCK = FakeClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
YAML_ONLY_BREAKS = {"\u2028": "U+2028 (line separator)", "\u2029": "U+2029 (paragraph separator)",
                    "\x85": "U+0085 (next line, NEL)"}


def herald(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), clock=CLOCK)
    out, err = capsys.readouterr()
    return code, out, err


def editor_place(text: str, index: int) -> tuple[int, int]:
    """Where an editor shows ``text[index]`` of a file whose only line breaks are LF."""
    before = text[:index]
    return before.count("\n") + 1, index - before.rfind("\n")


def files(tmp_path: Path, calendar: str = CALENDAR, status: str = STATUS) -> tuple[Path, Path]:
    cal, stat = tmp_path / "content_calendar.yaml", tmp_path / "status.yaml"
    cal.write_text(calendar, encoding="utf-8")
    stat.write_text(status, encoding="utf-8")
    return cal, stat


def located_lines(err: str, path: Path) -> list[str]:
    lines = err.splitlines()
    assert lines and all(line.startswith(str(path)) for line in lines), err
    assert "Traceback" not in err
    return [line for line in lines if line.startswith(f"{path}:") and line[len(str(path)) + 1:][:1].isdigit()]


# --- 1. line breaks only YAML reads --------------------------------------------------------------


@pytest.mark.parametrize("char", list(YAML_ONLY_BREAKS))
def test_a_yaml_only_line_break_in_a_comment_is_refused_where_the_editor_shows_it(capsys, tmp_path, char):
    # Given a calendar with the character in a comment, and an unclosed quote further down
    text = CALENDAR.replace("# Everything customers", f"# Everything{char} customers", 1)
    text = text.replace("  name: Acme Furniture\n", '  name: "Acme Furniture\n', 1)
    cal, stat = files(tmp_path, calendar=text)
    # When it is validated
    code, out, err = herald(capsys, "validate", str(cal), "--status", str(stat))
    # Then the character is named where the editor shows it, and nothing is reported at a
    # place YAML's own line count made up
    line, col = editor_place(text, text.index(char))
    assert code == 1 and out == ""
    hint = "remove it" if char == "\x85" else f"remove it, or write it as the escape \\u{ord(char):04x} inside double quotes"
    assert located_lines(err, cal) == [
        f"{cal}:{line}:{col}: {YAML_ONLY_BREAKS[char]} is not allowed here: YAML reads it as a line break, "
        f"editors do not ({hint})"]


@pytest.mark.parametrize("char", list(YAML_ONLY_BREAKS))
def test_a_yaml_only_line_break_in_a_status_text_is_refused_not_altered(capsys, tmp_path, char):
    # Given a status file whose incident message holds the character, in quotes, and a key
    # missing its ':' two lines further down
    text = STATUS.replace("message: Tracking is up to date again for every order.",
                          f'message: "Tracking is up to date{char}again for every order."', 1)
    text = text.replace("maintenance:\n", "maintenance:\n  oops\n", 1)
    cal, stat = files(tmp_path, status=text)
    for argv in (["validate", str(cal), "--status", str(stat)], ["status", "--calendar", str(cal)]):
        # When it is validated, or shown
        code, out, err = herald(capsys, *argv)
        # Then the character is the one problem, where the editor shows it
        line, col = editor_place(text, text.index(char))
        assert code == 1, argv
        (problem,) = located_lines(err, stat)
        assert problem.startswith(f"{stat}:{line}:{col}: {YAML_ONLY_BREAKS[char]} is not allowed here"), problem


def test_the_escape_keeps_a_line_separator_in_a_text():
    assert load_text('a: "one\\u2028two"\n', "f.yaml") == {"a": "one\u2028two"}


def test_every_yaml_only_line_break_is_named_in_a_file_with_cr_line_breaks():
    text = "a: 1\r# x\u2028\rb: 2\x85\r"
    with pytest.raises(CalendarError) as info:
        load_text(text, "f.yaml")
    assert [(p.line, p.col) for p in info.value.problems] == [(2, 4), (3, 5)]


def test_a_raw_control_character_is_placed_as_an_editor_counts_cr_line_breaks():
    with pytest.raises(CalendarError) as info:
        load_text("a: 1\rb: x\x07y\r", "f.yaml")
    assert str(info.value).startswith("f.yaml:2:5: U+0007 (bell) is not allowed")


# --- 2. the command line writes only what the file keeps ------------------------------------------


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\ufeff"])
@pytest.mark.parametrize("command", [
    ("incident", "declare", "--title", "Checkout errors", "--impact", "major", "-m", "one{}two"),
    ("incident", "update", "tracking-delays-2026-11-10", "--state", "monitoring", "-m", "one{}two"),
    ("maintenance", "add", "--title", "Upgrade", "--starts", "2026-12-10T02:00", "--ends", "2026-12-10T03:00",
     "-m", "one{}two"),
    ("maintenance", "add", "--title", "Up{}grade", "--starts", "2026-12-10T02:00", "--ends", "2026-12-10T03:00"),
], ids=["declare", "update", "maintenance-message", "maintenance-title"])
def test_a_text_option_with_a_character_the_file_would_not_keep_is_refused(capsys, tmp_path, command, char):
    cal, stat = files(tmp_path)
    argv = [word.format(char) for word in command]
    code, out, err = herald(capsys, *argv[:2], "--calendar", str(cal), *argv[2:])
    assert code == 2 and out == "", err
    assert len(err.splitlines()) == 1 and f"U+{ord(char):04X}" in err, err
    assert stat.read_text(encoding="utf-8") == STATUS  # nothing written


def test_the_command_line_refuses_every_character_the_alert_intake_folds():
    # The intake folds (status.edit.visible) what a status file must not hold as written; the
    # command line refuses the same characters, but for the line breaks and tabs a message may hold
    for number in [*range(0x0, 0xA0), 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF, 0xD800]:
        char = chr(number)
        if char in "\n\t\r" or visible(f"a{char}b") == f"a{char}b":
            continue
        with pytest.raises(UsageError):
            check_text("-m", f"a{char}b")
        with pytest.raises(UsageError):
            check_title("--title", f"a{char}b")
    assert check_text("-m", "a\nb\tc") == "a\nb\tc"


# --- 3. files that are not UTF-8 text, or too big ---------------------------------------------------


def problem_of(data: bytes) -> str:
    with pytest.raises(CalendarError) as info:
        decode(data, "f.yaml")
    (problem,) = info.value.problems
    return str(problem)


def test_a_nul_byte_is_named_at_its_line_and_column():
    assert problem_of("a: 1\nb: é\x00\n".encode()) == (
        "f.yaml:2:5: NUL byte (U+0000): not a text file (save it as UTF-8 YAML)")


@pytest.mark.parametrize("encoding, bom", [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
                                           ("utf-16-le", b""), ("utf-16-be", b"")])
def test_a_utf16_file_says_so_at_its_start(encoding, bom):
    assert problem_of(bom + "version: 1\nbrand: {name: Acme}\n".encode(encoding)) == (
        "f.yaml:1:1: the file is UTF-16 text, not UTF-8 (save it as UTF-8: most editors offer it under Save with Encoding)")


def test_a_utf32_file_says_so():
    assert problem_of(codecs.BOM_UTF32_LE + "version: 1\n".encode("utf-32-le")).startswith(
        "f.yaml:1:1: the file is UTF-32 text, not UTF-8")


def test_an_undecodable_byte_is_placed_in_characters_as_an_editor_counts():
    # "é" is two bytes but one column; CR ends a line for an editor
    assert problem_of("a: 1\rb: café \xff".encode("utf-8", "surrogateescape")[:-2] + b"\xff\n").startswith(
        "f.yaml:2:9: not valid UTF-8 text (byte 0xFF)")


def test_a_file_over_the_cap_names_its_size_and_the_cap(capsys, tmp_path):
    cal, stat = files(tmp_path)
    with open(cal, "ab") as fh:
        fh.truncate(MAX_BYTES + 1024 * 1024)  # sparse: no disk used
    code, out, err = herald(capsys, "validate", str(cal), "--status", str(stat))
    assert code == 1 and "Traceback" not in err
    assert err.splitlines()[0] == (f"{cal}: file is 65.0 MiB (68,157,440 bytes); the limit is 64 MiB "
                                   "(split it or remove old posts)")
    assert os.path.getsize(cal) == 68_157_440
