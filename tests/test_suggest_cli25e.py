"""`herald suggest` against a black-box tester's findings (issue 25, round e): a calendar with a
byte-order mark that could never be appended to, CRLF calendars left with mixed line endings,
a UTF-8 file read silently as Latin-1, "unexpected error" for extreme dates and non-text codecs,
a lone surrogate refusing a whole export, temporary files a killed run left behind, and
hostile help-centre titles."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from campaigns.errors import InvalidInput
from campaigns.suggest.answers import read_answers
from campaigns.suggest.readers import read_requests
from scheduler.cli import main
from tests.test_suggest_attack25 import CICLO, CLOCK, herald

TICKETS = CICLO / "zendesk_tickets.ndjson"
HELP = CICLO / "zendesk_help_center.json"


def _problem(path: Path, encoding: str = "utf-8") -> str:
    with pytest.raises(InvalidInput) as caught:
        list(read_requests(str(path), encoding))
    assert len(caught.value.problems) == 1
    return str(caught.value.problems[0])


# 1. the calendar's byte-order mark and line endings


def test_a_calendar_saved_with_a_byte_order_mark_is_appended_to_and_keeps_it(tmp_path, capsys):
    calendar = tmp_path / "calendar.yaml"
    calendar.write_bytes(b"\xef\xbb\xbf" + (CICLO / "calendar.yaml").read_bytes())
    code, _, err = herald(capsys, "suggest", "--requests", str(TICKETS), "--calendar", str(calendar), "--append")
    assert code == 0, err
    data = calendar.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\xef\xbb\xbf") == 1
    assert b"suggest-order-tracking" in data
    assert main(["validate", "--calendar", str(calendar)], clock=CLOCK) == 0, capsys.readouterr().err


def test_a_crlf_calendar_stays_crlf_after_append(tmp_path, capsys):
    calendar = tmp_path / "calendar.yaml"
    text = "# Ciclo's calendar\n" + (CICLO / "calendar.yaml").read_text(encoding="utf-8")
    calendar.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    code, _, err = herald(capsys, "suggest", "--requests", str(TICKETS), "--calendar", str(calendar), "--append")
    assert code == 0, err
    data = calendar.read_bytes()
    assert b"suggest-order-tracking" in data and b"# Ciclo's calendar\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n"), "mixed line endings"


def test_a_killed_append_leaves_no_temporary_file_for_good(tmp_path, capsys):
    calendar = tmp_path / "calendar.yaml"
    calendar.write_bytes((CICLO / "calendar.yaml").read_bytes())
    stale, fresh = tmp_path / ".calendar.yaml.k3j_h5g6.tmp", tmp_path / ".calendar.yaml.zzzzzzzz.tmp"
    other, elses = tmp_path / ".calendar.yaml.notours", tmp_path / ".other.yaml.abcdefgh.tmp"
    old = time.time() - 3600
    for path in (stale, fresh, other, elses):
        path.write_text("partial", encoding="utf-8")
        if path is not fresh:
            os.utime(path, (old, old))
    code, _, err = herald(capsys, "suggest", "--requests", str(TICKETS), "--calendar", str(calendar), "--append")
    assert code == 0, err
    assert not stale.exists(), "a stale temporary twin of the calendar is left"
    assert fresh.exists() and other.exists() and elses.exists(), "only the calendar's own stale twins go"


def test_a_killed_output_run_leaves_no_temporary_file_for_good(tmp_path, capsys):
    output = tmp_path / "draft.yaml"
    stale = tmp_path / ".draft.yaml.abcdefgh.tmp"
    stale.write_text("partial", encoding="utf-8")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    code, _, err = herald(capsys, "suggest", "--requests", str(TICKETS), "--calendar", str(CICLO / "calendar.yaml"),
                          "-o", str(output))
    assert code == 0, err
    assert output.exists() and not stale.exists()


# 2. encodings


PORTUGUESE = "question,count\nQual é o endereço de entrega?,3\nPosso mudar o endereço da encomenda?,2\n"


@pytest.mark.parametrize("encoding", ["latin-1", "iso-8859-1", "cp1252", "latin_1"])
def test_utf8_read_as_a_single_byte_encoding_is_refused_not_garbled(tmp_path, encoding):
    path = tmp_path / "pt.csv"
    path.write_text(PORTUGUESE, encoding="utf-8")
    message = _problem(path, encoding)
    assert message.startswith(f"{path}:2:"), message
    assert "--encoding utf-8" in message and "\n" not in message, message


def test_a_single_byte_file_is_still_read_in_its_encoding(tmp_path):
    path = tmp_path / "pt.csv"
    path.write_bytes(PORTUGUESE.encode("latin-1"))
    assert [r.text for r in read_requests(str(path), "latin-1")][0] == "Qual é o endereço de entrega?"


def test_two_bad_bytes_in_a_utf8_file_are_located_not_blamed_on_a_single_byte_encoding(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("question,count\nWaar is mijn bestelling? Ik heb één vraag over de retour,3\n"
                     "Qual é o endereço de entrega? Não chegou,2\n".encode()
                     + b"Posso mudar o endere\xe7o? S\xe3o Paulo,2\n")
    message = _problem(path)
    assert message.startswith(f"{path}:4:21: byte 0xe7"), message
    assert "cp125" not in message and "iso8859" not in message and "--encoding" not in message, message
    assert "4:21" in message and "4:26" in message, message  # both bad bytes' places


def test_utf16_named_for_a_utf8_file_is_refused(tmp_path):
    path = tmp_path / "pt.csv"
    path.write_text(PORTUGUESE, encoding="utf-8")
    for encoding in ("utf-16", "utf-16-le", "utf-32"):
        message = _problem(path, encoding)
        assert str(path) in message and "--encoding utf-8" in message, message


def test_utf16_named_for_a_utf16_file_reads_it(tmp_path):
    path = tmp_path / "pt.csv"
    path.write_text(PORTUGUESE, encoding="utf-16")
    assert len(list(read_requests(str(path), "utf-16"))) == 2


@pytest.mark.parametrize("encoding", ["rot13", "base64", "hex", "zlib", "nosuchcodec"])
def test_an_encoding_that_is_no_text_encoding_is_a_usage_error_up_front(tmp_path, capsys, encoding):
    code, _, err = herald(capsys, "suggest", "--requests", str(tmp_path / "none.csv"), "--calendar",
                          str(CICLO / "calendar.yaml"), "--encoding", encoding)
    assert code == 2, err
    assert "--encoding" in err and "unexpected error" not in err and len(err.strip().splitlines()) == 1, err


def test_utf16_on_a_utf8_export_is_no_unexpected_error(capsys):
    code, _, err = herald(capsys, "suggest", "--requests", str(TICKETS), "--calendar", str(CICLO / "calendar.yaml"),
                          "--encoding", "utf-16")
    assert code == 1, err
    assert f"{TICKETS}:" in err and "--encoding utf-8" in err and "unexpected" not in err, err


# 3. dates


@pytest.mark.parametrize("written", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59-05:00"])
def test_a_created_at_at_the_ends_of_time_is_a_located_error(tmp_path, capsys, written):
    path = tmp_path / "tickets.ndjson"
    lines = TICKETS.read_text(encoding="utf-8").splitlines()[:50]
    lines.append(json.dumps({"id": 1, "subject": "Where is my order?", "created_at": written}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = herald(capsys, "suggest", "--requests", str(path), "--calendar", str(CICLO / "calendar.yaml"))
    assert code == 1, err
    assert f"{path}:51:1:" in err and written in err and "unexpected" not in err, err


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("option", ["--starts", "--from", "--to"])
def test_a_day_option_at_the_ends_of_time_is_refused_up_front(tmp_path, capsys, option, day):
    code, _, err = herald(capsys, "suggest", "--requests", str(tmp_path / "none.csv"), "--calendar",
                          str(CICLO / "calendar.yaml"), option, day)
    assert code == 2, err
    assert option in err and "none.csv" not in err, err


def test_from_after_to_is_a_usage_error(tmp_path, capsys):
    code, _, err = herald(capsys, "suggest", "--requests", str(tmp_path / "none.csv"), "--calendar",
                          str(CICLO / "calendar.yaml"), "--from", "2026-12-01", "--to", "2026-11-01")
    assert code == 2, err
    assert "--from" in err and "--to" in err, err


# 4. a lone surrogate


def test_a_lone_surrogate_is_read_as_a_replacement_character(tmp_path):
    ticket = '{"id": 1, "subject": "Where is my order \\ud83d now?", "created_at": "2026-11-02T10:00:00Z"}'
    lines = tmp_path / "t.ndjson"
    lines.write_text(ticket + "\n", encoding="utf-8")
    document = tmp_path / "t.json"
    document.write_text('{"tickets": [' + ticket + "]}", encoding="utf-8")
    for path in (lines, document):
        [request] = read_requests(str(path))
        assert request.text == "Where is my order \ufffd now?"


def test_an_export_with_a_lone_surrogate_is_analysed(tmp_path, capsys):
    path = tmp_path / "tickets.ndjson"
    ticket = '{"id": 1, "subject": "Where is my order \\udc00 now?", "created_at": "2026-11-02T10:00:00Z"}'
    path.write_text(TICKETS.read_text(encoding="utf-8") + ticket + "\n", encoding="utf-8")
    code, out, err = herald(capsys, "suggest", "--requests", str(path), "--calendar", str(CICLO / "calendar.yaml"))
    assert code == 0, err
    assert "suggest-order-tracking" in out


# 6. hostile help-centre titles


def _help_centre(tmp_path: Path, title: str) -> Path:
    doc = json.loads(HELP.read_text(encoding="utf-8"))
    for article in doc["articles"]:
        if str(article["id"]).startswith("105") and article.get("locale", "").startswith("en"):
            article["title"] = title
    path = tmp_path / "help.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_an_escape_sequence_in_a_title_is_left_out_whole(tmp_path):
    path = _help_centre(tmp_path, "Downloading \x1b[2Jyour\x1b]0;pwned\x07 invoice\x9b31m")
    [title] = [a.title for a in read_answers(str(path)) if a.title.startswith("Downloading")]
    assert title == "Downloading your invoice"


def test_a_huge_title_is_shortened_where_it_is_printed(tmp_path, capsys):
    path = _help_centre(tmp_path, "Downloading your invoice " + "very " * 20_000 + "long")
    code, out, err = herald(capsys, "suggest", "--requests", str(TICKETS), "--answers", str(path),
                            "--calendar", str(CICLO / "calendar.yaml"), "--explain")
    assert code == 0, err
    assert "Downloading your invoice very" in err
    assert max(map(len, err.splitlines())) < 400 and max(map(len, out.splitlines())) < 1000


def test_a_title_with_braces_is_published_as_written(tmp_path, capsys):
    path = _help_centre(tmp_path, "Downloading your {brand.name} invoice")
    code, out, err = herald(capsys, "suggest", "--requests", str(TICKETS), "--answers", str(path),
                            "--calendar", str(CICLO / "calendar.yaml"))
    assert code == 0, err
    assert "Downloading your {{brand.name}} invoice" in out
