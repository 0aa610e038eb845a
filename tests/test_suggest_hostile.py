"""``herald suggest`` on hostile input a black-box tester found (issue 25's attack): control
characters in customer text, thank-you closings under real questions, malformed CSV, dates
no calendar has."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaigns.suggest.readers import read_requests
from scheduler.cli import main
from scheduler.clock import FakeClock
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "suggest"
SAMPLE = ROOT / "content_calendar.yaml"
CLOCK = FakeClock(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))
# Every kind of invisible character the tester put in customer text: C0 and C1 controls,
# bidi overrides and isolates.
HIDDEN = "\x00\x07\x1b\x7f\x85\x9b\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), clock=CLOCK)
    out, err = capsys.readouterr()
    return code, out, err


def _visible(text: str) -> bool:
    return not any(c in text for c in HIDDEN + "\u2028\u2029")


def test_control_characters_are_left_out_of_csv_requests_and_line_separators_break_lines(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('question,count\n"Where is my ref\x07und?\u2028It\u202e\x00 was\tdue\x1b[31m",3\n',
                    encoding="utf-8")
    [request] = read_requests(str(path))
    assert request.text == "Where is my refund?\nIt was\tdue[31m"
    assert request.title == request.text


def test_control_characters_are_left_out_of_json_tickets(tmp_path):
    path = tmp_path / "t.ndjson"
    ticket = {"id": 7, "subject": "Ref\u0007und\u202e", "description": "Where\u0000 is it?\u2029Thanks\x85Ann",
              "tags": ["re\x07turns"], "via": {"channel": "we\x00b"}}
    path.write_text(json.dumps(ticket) + "\n", encoding="utf-8")
    [request] = read_requests(str(path))
    assert (request.title, request.body) == ("Refund", "Where is it?\nThanks\nAnn")
    assert request.tags == ("returns",) and request.channel == "web"


def _hostile_tickets(tmp_path: Path) -> Path:
    """The sample tickets with a BEL inside 'refund' and 'order' and a NUL and a bidi override in every ticket."""
    path = tmp_path / "tickets.ndjson"
    text = (DATA / "tickets.ndjson").read_text(encoding="utf-8")
    text = text.replace("refund", "ref\\u0007und").replace("order", "or\\u0000der").replace(
        '"description": "', '"description": "\\u202e')
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["--json", "--dry-run", "--append"])
def test_control_characters_in_customer_text_never_block_the_output(capsys, tmp_path, mode):
    calendar = tmp_path / "content_calendar.yaml"
    calendar.write_text(SAMPLE.read_text())
    extra = {"--json": ["--json", "-"], "--dry-run": ["--dry-run", "--explain", "--json", str(tmp_path / "a.json")],
             "--append": ["--append", "--json", str(tmp_path / "a.json")]}[mode]
    code, out, err = run(capsys, "suggest", "--requests", str(_hostile_tickets(tmp_path)), "--answers",
                         str(DATA / "help_center.json"), "--calendar", str(calendar), "--starts", "2026-11-24", *extra)
    assert code == 0, err
    assert "does not validate" not in err and _visible(out + err)
    doc = json.loads(out if mode == "--json" else (tmp_path / "a.json").read_text())
    assert _visible(json.dumps(doc, ensure_ascii=False))
    if mode == "--append":
        assert "- id: suggest-" in calendar.read_text() and _visible(calendar.read_text())


@pytest.mark.slow
def test_a_draft_that_does_not_validate_is_reported_with_its_topic_and_the_rest_is_written(capsys, tmp_path,
                                                                                           monkeypatch):
    """An answer's title (not the customers' words) carrying a control character: that topic's
    post is left out and named with the reason; the other posts are written.  (Titles are read
    without control characters now, tests/test_suggest_attack25.py; this is the net behind that,
    so the reading is made to keep them.)"""
    import campaigns.suggest.answers

    monkeypatch.setattr(campaigns.suggest.answers, "_clean_title", lambda title: title)
    answers = json.loads((DATA / "help_center.json").read_text())
    refund = next(a for a in answers["articles"] if a["id"] == 101)
    refund["title"] = "Returning an item\u0007 and getting a refund"
    path = tmp_path / "help_center.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    target = tmp_path / "draft.yaml"
    code, out, err = run(capsys, "suggest", "--requests", str(DATA / "tickets.ndjson"), "--answers", str(path),
                         "--calendar", str(SAMPLE), "--starts", "2026-11-24", "-o", str(target))
    assert code == 0, err
    assert str(SAMPLE) + ":" not in err.replace(f"{SAMPLE}: ", "")  # no line and column in the user's calendar
    left_out = [line for line in err.splitlines() if "U+0007" in line]
    assert left_out and all("return" in line.lower() for line in left_out), err
    drafted = target.read_text()
    assert drafted.count("- id: suggest-") == 3 and "\\a" not in drafted and "\x07" not in drafted


HEADER = "Ticket ID,Subject,Description,Status,Created time\n"
ROWS = "".join(f"{n},Where is my order {n},Where is it?,Closed,2026-09-{n:02d} 10:00:00\n" for n in range(1, 9))


@pytest.mark.parametrize(("tail", "line", "message"), [
    ('100,"unterminated,desc,Closed,2026-09-01 10:00:00\n', 10, "a quoted field is never closed"),
    ("77,Where is my order\n", 10, "2 fields where the header has 5"),
])
def test_malformed_csv_rows_are_named_by_file_and_line(capsys, tmp_path, tail, line, message):
    path = tmp_path / "t.csv"
    path.write_text(HEADER + ROWS + tail)
    code, out, err = run(capsys, "suggest", "--requests", str(path), "--calendar", str(SAMPLE))
    assert code == 1 and out == ""
    assert err.startswith(f"{path}:{line}:") and message in err and err.count("\n") == 1, err


def test_a_date_no_calendar_has_is_a_date_that_cannot_be_read(capsys, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(HEADER + ROWS + "77,Where is my order,Where?,Closed,32/13/2026 99:99\n")
    code, out, err = run(capsys, "suggest", "--requests", str(path), "--calendar", str(SAMPLE))
    assert code == 1 and out == ""
    assert err.startswith(f"{path}:10:5: cannot read the date '32/13/2026 99:99'") and "day first" not in err, err
