"""A title is one line (an attack: a line break in an incident's title made every subscriber's mail
fail to build, retried for ever, and forged log lines; U+202E showed it reversed).  Refused on
the command line and in the file; a notice's subject that still carries one (an upstream feed's
title) becomes one Subject line, never a second header."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from campaigns.subscribers import SubscriberSettings
from scheduler.cli import main
from scheduler.ledger.subscribers import Subscriber
from scheduler.subscribers.mail import notice_message
from scheduler.subscribers.secrets import Keys
from status.notices import Notice
from tests.conftest import ROOT

BAD = ["Checkout errors\nBcc: evil@evil.example", "Checkout\u2028errors", "Checkout\u2029errors",
       "Checkout\x85errors", "\u202eCheckout errors", "Checkout \u2066errors\u2069", "Checkout\rerrors"]


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    for sample in ("content_calendar.yaml", "status.yaml"):
        shutil.copy(ROOT / sample, tmp_path / sample)
    return tmp_path


@pytest.mark.parametrize("title", BAD, ids=[f"U+{ord(next(c for c in t if not c.isprintable() or ord(c) > 0x2000)):04X}"
                                            for t in BAD])
def test_a_title_that_is_not_one_line_is_refused_on_the_command_line_and_nothing_is_written(shop, capsys, title):
    before = (shop / "status.yaml").read_bytes()
    files = ["--calendar", str(shop / "content_calendar.yaml"), "--status", str(shop / "status.yaml")]
    code = main(["incident", "declare", "--title", title, "--impact", "major", "--component", "checkout",
                 "-m", "Card payments fail for some customers.", *files])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "--title" in err and "one line" in err or "control characters" in err
    code = main(["maintenance", "add", "--title", title, "--starts", "2027-01-12T02:00", "--ends", "2027-01-12T03:00",
                 *files])
    assert code == 2
    assert (shop / "status.yaml").read_bytes() == before


@pytest.mark.parametrize("char", ["\u2028", "\u202e", "\u2066"])
def test_a_title_in_the_file_that_is_not_one_line_is_a_located_error(shop, capsys, char):
    status = shop / "status.yaml"
    text = status.read_text()
    assert "title: Payment system upgrade" in text
    escaped = f"\\u{ord(char):04X}"  # as a YAML escape (a raw U+2028 is a line break to YAML: another finding)
    status.write_text(text.replace("title: Payment system upgrade", f'title: "Payment {escaped}system upgrade"'))
    line = next(n for n, row in enumerate(status.read_text().splitlines(), 1) if "Payment" in row and "title" in row)
    code = main(["validate", str(shop / "content_calendar.yaml"), "--status", str(status)])
    err = capsys.readouterr()
    assert code == 1
    assert f"status.yaml:{line}:" in err.out + err.err and "one line of text" in err.out + err.err


def test_a_notice_subject_with_a_line_break_is_one_subject_line_and_no_other_header():
    settings = SubscriberSettings(account="mail", sender="Acme status <status@acme.example>")
    notice = Notice("k" * 64, "status", datetime(2026, 12, 1, 9, tzinfo=UTC),
                    "Investigating: Checkout errors\nBcc: evil@evil.example", "Cards fail.", ("checkout",),
                    "Checkout", "incidents/x/")
    subscriber = Subscriber("s1", "email", "ann@example.com", ("checkout",), datetime(2026, 12, 1, tzinfo=UTC),
                            datetime(2026, 12, 1, tzinfo=UTC))
    message = notice_message(settings, Keys(b"k" * 32), "https://status.acme.example/", "Acme", notice, subscriber)
    raw = message.as_bytes()
    assert message["Subject"] == "[Acme status] Investigating: Checkout errors Bcc: evil@evil.example"
    headers = raw.split(b"\n\n", 1)[0]
    assert message["Bcc"] is None and b"\nBcc:" not in headers
