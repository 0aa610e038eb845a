"""Bidirectional overrides, embeddings and isolates (U+202A-U+202E, U+2066-U+2069) make a text
read differently from its source ("Trojan Source"): like the control characters, they are
located errors of the file, written raw (in a text or a comment) or as escapes; the marks
(U+200E, U+200F) that right-to-left writing needs are not."""

from __future__ import annotations

import pytest

from campaigns.errors import CalendarError
from campaigns.yamlsource import load_text


def problems_of(text: str) -> list[str]:
    with pytest.raises(CalendarError) as caught:
        load_text(text, "f.yaml")
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("text, expected", [
    ('a: "pay \u202eusd 01"\n', "f.yaml:1:9: U+202E (right-to-left override) is not allowed"),
    ("a: x\u2066y\u2069\n", "f.yaml:1:5: U+2066 (left-to-right isolate) is not allowed"),
    ("a: 1 # admin \u202e\u2066 comment\u2069\u2066\n", "f.yaml:1:14: U+202E (right-to-left override) is not allowed"),
    ('a: "x\\u202Ey"\n', "f.yaml:1:6: U+202E (right-to-left override) is not allowed"),
    ('a: "x\\u2067y"\n', "f.yaml:1:6: U+2067 (right-to-left isolate) is not allowed"),
    ("b: 1\na: |\n  line\n  x\u202ay\n", "f.yaml:4:4: U+202A (left-to-right embedding) is not allowed"),
])
def test_bidi_controls_are_located_errors(text, expected):
    messages = problems_of(text)
    assert any(m.startswith(expected) for m in messages), messages
    assert all("\n" not in m for m in messages) and any("Trojan Source" in m for m in messages)


def test_direction_marks_are_fine():
    assert load_text('a: "\u05e9\u05dc\u05d5\u05dd \u200eSofa 3000\u200f"\nb: "x\\u200Fy"\n', "f.yaml") == {
        "a": "\u05e9\u05dc\u05d5\u05dd \u200eSofa 3000\u200f", "b": "x\u200fy"}


def test_a_bidi_override_in_a_post_fails_validation_where_it_is(write_calendar):
    from campaigns.calendar import check

    path = write_calendar('- id: a\n  kind: tip\n  networks: [site]\n  at: 2026-12-01T10:00\n'
                          '  text: "Refund \u202e00.001\u202c EUR"\n')
    for incremental in (False, True):
        result = check(str(path), incremental=incremental)
        assert result.value is None
        assert [str(p).replace(str(path), "cal.yaml").split(":")[:3] for p in result.errors] == [
            ["cal.yaml", "19", "19"], ["cal.yaml", "19", "26"]]


def test_a_message_with_a_bidi_override_is_refused_on_the_command_line_and_nothing_is_written(tmp_path, capsys):
    """The file would refuse it: the command line refuses it before writing it there."""
    import shutil

    from scheduler.cli import main
    from tests.conftest import ROOT

    for sample in ("content_calendar.yaml", "status.yaml"):
        shutil.copy(ROOT / sample, tmp_path / sample)
    before = (tmp_path / "status.yaml").read_bytes()
    code = main(["incident", "declare", "--title", "Checkout errors", "--impact", "major", "--component", "checkout",
                 "-m", "Refunds of \u202e00.001\u202c EUR", "--calendar", str(tmp_path / "content_calendar.yaml"),
                 "--status", str(tmp_path / "status.yaml")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "U+202E (right-to-left override)" in err, err
    assert (tmp_path / "status.yaml").read_bytes() == before
