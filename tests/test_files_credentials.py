"""A link carrying a user name and password is refused wherever the files people edit hold it:
a post's text published as it is, an incident's message, a network's address.  Secrets come
from the environment or the secrets file, never from the calendar (the ``--append`` of
`herald suggest` wrote such links from a help centre before; tests/test_suggest_attack25.py)."""

from __future__ import annotations

import pytest

from scheduler.cli import main

CALENDAR = """brand: {name: Shop, timezone: UTC}
networks:
  site: {type: site}
posts:
  - id: a
    kind: tip
    networks: [site]
    at: 2027-01-05T10:00
    text: TEXT
"""
STATUS = """incidents:
  - id: db
    title: Database trouble
    impact: minor
    components: [checkout]
    updates:
      - at: 2026-12-07T10:00:00Z
        status: investigating
        message: MESSAGE
"""


def _validate(capsys, tmp_path, calendar: str, status: str | None = None) -> tuple[int, str]:
    (tmp_path / "c.yaml").write_text(calendar, encoding="utf-8")
    argv = ["validate", "--calendar", str(tmp_path / "c.yaml")]
    if status is not None:
        (tmp_path / "s.yaml").write_text(status, encoding="utf-8")
        argv += ["--status", str(tmp_path / "s.yaml")]
    code = main(argv)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("text", "column"), [
    ('"Your invoice: https://admin:hunter2@help.example/invoice"', 26),
    ("Your invoice at https://admin:hunter2@help.example/invoice", 27),
    ("'Your invoice: https://admin:hunter2@help.example/invoice'", 26),
    ('"Log in at ftp://u:p@files.example/"', 22),
])
def test_a_post_with_a_link_holding_a_password_is_refused_at_its_place(capsys, tmp_path, text, column):
    code, err = _validate(capsys, tmp_path, CALENDAR.replace("TEXT", text))
    assert code != 0
    first = err.splitlines()[0]
    assert first.startswith(f"{tmp_path / 'c.yaml'}:9:{column}: a link with a user name and password"), err
    assert "hunter2" not in err and "u:p@" not in err.replace(text, "")


@pytest.mark.parametrize("text", [
    '"Write to help@example.com or see https://help.example/a?x=1"',
    '"Our page https://help.example/@shop and mailto:team@example.com"',
    '"Time: 10:30 @ https://example.com/x"',
])
def test_addresses_and_links_without_credentials_pass(capsys, tmp_path, text):
    code, err = _validate(capsys, tmp_path, CALENDAR.replace("TEXT", text))
    assert code == 0, err


def test_an_incident_message_with_a_link_holding_a_password_is_refused(capsys, tmp_path):
    code, err = _validate(capsys, tmp_path, CALENDAR.replace("TEXT", "Hello"),
                          STATUS.replace("MESSAGE", "We look at https://ops:pw123@grafana.example/d/db now."))
    assert code != 0
    assert f"{tmp_path / 's.yaml'}:9:" in err and "a link with a user name and password" in err
    assert "pw123" not in err
