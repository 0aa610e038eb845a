"""`herald suggest` against what a tester who never read its code found (issue 25, the black-box
attack of 2026-12-07): a crash when no request seeds an answer, help-centre links that would
publish credentials or are not web pages, a long CSV field, and a long word that took minutes."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaigns.suggest.answers import public_link, read_answers
from campaigns.suggest.clean import redact_ids
from scheduler.cli import main
from scheduler.clock import FakeClock
from tests.conftest import ROOT

CICLO = ROOT / "tests" / "data" / "suggest" / "ciclo"
CALENDAR = ROOT / "content_calendar.yaml"
CLOCK = FakeClock(datetime(2026, 12, 1, 7, 0, tzinfo=UTC))


def herald(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), clock=CLOCK)
    out, err = capsys.readouterr()
    return code, out, err


def _csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    lines = ["Ticket ID,Subject,Description,Created time"]
    lines += [f'{7000 + i},"{subject}","{body}",14/10/2026 10:00' for i, (subject, body) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_export_where_no_request_seeds_an_answer_is_analysed_not_a_crash(tmp_path, capsys):
    # two questions asked a hundred times each: no answer is seeded, the clusters are numbered after
    # the answer groups (they were numbered from 0 over them: IndexError, "unexpected error")
    rows = [("Q", "How long should I charge the battery?"), ("Q", "Where is my order?")] * 100
    requests = _csv(tmp_path / "two.csv", rows)
    code, _, err = herald(capsys, "suggest", "--requests", str(requests), "--answers",
                          str(CICLO / "zendesk_help_center.json"), "--calendar", str(CALENDAR), "--dry-run")
    assert "unexpected error" not in err and "Traceback" not in err
    assert code in (0, 1), err
    assert err.strip().splitlines()[-1].startswith("herald suggest:"), err


@pytest.mark.parametrize(("url", "published", "why"), [
    ("https://admin:hunter2@help.example/hc/articles/105-invoice", "https://help.example/hc/articles/105-invoice",
     "user name and password"),
    ("https://help.example/a/103?token=SECRET-1&utm_x=1", "https://help.example/a/103?utm_x=1", "secret query"),
    ("https://help.example/a/103?API_KEY=k&sig=s", "https://help.example/a/103", "secret query"),
    ("javascript:alert(document.cookie)", None, "javascript: link"),
    ("file:///etc/passwd", None, "file: link"),
    ('https://help.example/a/104-size"\n- evil: yes', None, "'\"'"),
    ("https://help.example/a/\u202eexe.txt", None, "U+202E"),
    ("https://help.example/a/b\u2028c", None, "U+2028"),
    ("help/returns", None, "not a whole web address"),
    ("https://help.example:99999/a", None, "not a web address"),
    ("https://help.example/hc/pl/articles/101-zwroty-i-zwrot-pieniędzy",
     "https://help.example/hc/pl/articles/101-zwroty-i-zwrot-pieniędzy", ""),
])
def test_a_help_centre_link_is_published_only_as_a_plain_web_address_without_credentials(url, published, why):
    link, reason = public_link(url)
    assert link == published
    assert why in reason


def _hostile_help_centre(path: Path) -> Path:
    doc = json.loads((CICLO / "zendesk_help_center.json").read_text(encoding="utf-8"))
    for article in doc["articles"]:
        if article.get("locale", "").startswith("en") and str(article["id"]).startswith("105"):
            article["html_url"] = "https://admin:hunter2@" + article["html_url"].split("://", 1)[1]
        if article.get("locale", "").startswith("en") and str(article["id"]).startswith("103"):
            article["html_url"] += "?token=SECRET-TOKEN-123&utm_x=1"
        if article.get("locale", "").startswith("en") and str(article["id"]).startswith("104"):
            article["html_url"] = "javascript:alert(document.cookie)"
            article["title"] = "Choosing your frame size \u202e"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_drafts_from_a_hostile_help_centre_carry_no_credentials_and_no_script_links(tmp_path, capsys):
    answers = _hostile_help_centre(tmp_path / "hc.json")
    calendar = tmp_path / "content_calendar.yaml"
    shutil.copy(CALENDAR, calendar)
    code, _, err = herald(capsys, "suggest", "--requests", str(CICLO / "zendesk_tickets.ndjson"), "--answers",
                          str(answers), "--calendar", str(calendar), "--append")
    assert code == 0, err
    written = calendar.read_text(encoding="utf-8")
    for secret in ("hunter2", "SECRET-TOKEN-123", "\u202e"):
        assert secret not in written
        assert secret not in err
    assert "javascript:" not in written
    # the kept links are shown whole (an article's slug is no secret)
    assert "<https://help.acme.example/hc/en-us/articles/105-" in err
    assert "taken out of the link" in err and "left out" in err and "javascript: link" in err
    # one warning, on one line, for each of the three English articles made hostile
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 3, warnings
    code, _, err = herald(capsys, "validate", "--calendar", str(calendar))
    assert code == 0, err


def test_a_left_out_link_is_shown_on_one_line(tmp_path, capsys):
    doc = {"articles": [{"id": 1, "title": "Returns", "body": "Send it back", "locale": "en-us",
                         "html_url": 'https://help.example/a/1"\n- evil: yes'}]}
    path = tmp_path / "hc.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    heard: list[str] = []
    assert read_answers(str(path), warn=heard.append) == []
    assert len(heard) == 1 and "\n" not in heard[0] and "\\u000a- evil: yes" in heard[0]


def test_a_csv_field_of_hundreds_of_kilobytes_is_read(tmp_path, capsys):
    rows = [("Where is my parcel?", "Hello, where is my order? " + "<p>" + "lorem ipsum " * 20_000 + "</p>")]
    rows += [("Where is my order?", f"My order {n} has not arrived yet, where is it?") for n in range(60)]
    requests = _csv(tmp_path / "big.csv", rows)
    code, _, err = herald(capsys, "suggest", "--requests", str(requests), "--calendar", str(CALENDAR), "--dry-run")
    assert "field limit" not in err and "unexpected error" not in err
    assert code == 0, err


def test_a_csv_field_over_the_limit_is_a_located_error(tmp_path, capsys):
    path = tmp_path / "huge.csv"
    path.write_text('Ticket ID,Subject,Description,Created time\n1,a,"' + "x" * 10_000_001 + '",14/10/2026 10:00\n',
                    encoding="utf-8")
    code, _, err = herald(capsys, "suggest", "--requests", str(path), "--calendar", str(CALENDAR), "--dry-run")
    assert code != 0
    assert err.strip() == f"{path}:2:1: a field longer than 10 MB"


def test_identifiers_are_found_at_the_start_of_a_word_only_and_a_long_word_is_read_once():
    # the same result as before for words with digits and addresses...
    assert redact_ids("mail a.b@c.de or order #12345 and abc123, 2 weeks 20% x@y") == "mail or order and 2 weeks 20% x@y"
    # ...and a word of 300,000 characters is read once (it was read from each of its characters: a
    # 50,000-character subject took 105 s of `herald suggest`, 3.4 s now)
    word = "x" * 300_000
    assert redact_ids(f"{word} a@b.cd {word}9") == word


def test_an_answer_title_is_read_without_control_and_bidirectional_characters(tmp_path):
    doc = {"articles": [{"id": 1, "title": "Returning\u0007 an item \u202eand\u2028 getting a refund",
                         "body": "Send it back", "locale": "en-us", "html_url": "https://help.example/a/1"}]}
    path = tmp_path / "hc.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    (answer,) = read_answers(str(path))
    assert answer.title == "Returning an item and getting a refund"
