"""Edges of the command line an attack found: every refusal is one line with its exit code, says
what to write instead, names no Python module and no password, and changes nothing."""

from __future__ import annotations

import shutil
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.clock import FakeClock
from tests.conftest import ROOT

UNREACHABLE = "postgresql://herald:s3cret-pw@127.0.0.1:1/herald"  # nothing listens on port 1


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    for sample in ("content_calendar.yaml", "status.yaml"):
        shutil.copy(ROOT / sample, tmp_path / sample)
    return tmp_path / "content_calendar.yaml"


def one_line(capsys) -> tuple[str, str]:
    out, err = capsys.readouterr()
    assert len(err.splitlines()) == 1, err
    return out, err


@pytest.mark.parametrize("refused", [["--until", "garbage"], ["--until", "2026-02-30"], ["--network", "nope"],
                                     ["--until", "2025-12-31T18:00"],  # a year's typo: already past, pauses nothing
                                     ["--until", ""], ["--until", " "],  # an unset variable: not "for ever"
                                     ["--network", ""]])  # not "every network"
def test_a_refused_pause_creates_no_ledger(shop, capsys, refused):
    clock = FakeClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    assert main(["pause", "--calendar", str(shop), *refused], clock=clock) == 2
    one_line(capsys)
    assert not (shop.parent / ".herald").exists()
    assert main(["pause", "--calendar", str(shop), "--until", "2026-12-31T18:00"], clock=clock) == 0  # an accepted one does
    assert (shop.parent / ".herald" / "state.db").exists()


@pytest.mark.parametrize("bind", ["256.1.1.1:8080", "192.0.2.1:8080"])
def test_serve_at_an_address_this_machine_does_not_have_is_one_line_and_exit_2(shop, capsys, bind):
    """256.1.1.1 is no address, 192.0.2.1 (TEST-NET-1) no address of this machine (no resolver is
    asked about either: tests touch no network)."""
    assert main(["serve", "--calendar", str(shop), "--bind", bind]) == 2
    out, err = one_line(capsys)
    assert err.startswith(f"herald: --bind '{bind}'") and "serving" not in out + err


def test_serve_on_a_port_in_use_is_one_line_and_never_says_it_serves(shop, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        bind = f"127.0.0.1:{taken.getsockname()[1]}"
        assert main(["serve", "--calendar", str(shop), "--bind", bind]) == 3
    out, err = one_line(capsys)
    assert "in use" in err and "serving" not in out + err and "Errno" not in err


@pytest.mark.parametrize("command", [["history"], ["status"], ["engines"], ["serve"], ["run", "--once"]])
def test_a_ledger_url_of_another_database_names_the_two_herald_supports(shop, capsys, command):
    if command == ["serve"]:  # on a free port: the default 8080 may be another server's here
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            command = ["serve", "--bind", f"127.0.0.1:{free.getsockname()[1]}"]
    code = main([*command, "--calendar", str(shop), "--state", "mysql://u:s3cret-pw@localhost/db"])
    out, err = one_line(capsys)
    assert code == 2 and out == ""
    assert "sqlite:///" in err and "postgresql://" in err and "mysql" in err
    assert "s3cret-pw" not in err and "module" not in err.lower() and "MySQLdb" not in err


def test_the_environments_ledger_url_is_named_as_such(shop, capsys, monkeypatch):
    monkeypatch.setenv("HERALD_STATE", "oracle://scott:tiger@db/orcl")
    assert main(["history", "--calendar", str(shop)]) == 2
    _, err = one_line(capsys)
    assert "HERALD_STATE" in err and "tiger" not in err and "oracledb" not in err


@pytest.fixture
def psycopg():
    pytest.importorskip("psycopg", reason="the postgres extra")


@pytest.mark.parametrize("command", [["history"], ["engines"], ["pause"], ["run", "--once"]])
def test_an_unreachable_postgresql_is_one_line_without_its_password(shop, capsys, psycopg, command):
    assert main([*command, "--calendar", str(shop), "--state", UNREACHABLE]) == 3
    _, err = one_line(capsys)
    assert "s3cret-pw" not in err and "127.0.0.1:1" in err


def test_status_with_an_unreachable_postgresql_fails_in_one_line_before_showing_anything(shop, capsys, psycopg):
    """It showed the components, then exited with the ledger's error (0 through a pipe's last command)."""
    assert main(["status", "--calendar", str(shop), "--state", UNREACHABLE]) == 3
    out, err = one_line(capsys)
    assert out == "" and "s3cret-pw" not in err


@pytest.mark.parametrize("argv", [["plan", "--from", "0001-01-01"], ["plan", "--from", "9999-12-31", "--days", "2"],
                                  ["lint", "--from", "0001-01-01"], ["export-ical", "--from", "0001-01-01"],
                                  ["simulate", "--from", "9999-12-31"]])
def test_a_time_at_the_edge_of_the_calendar_is_refused_in_one_line_not_an_internal_error(shop, capsys, argv):
    assert main([*argv, "--calendar", str(shop)]) == 2  # was exit 3: "unexpected error: OverflowError"
    _, err = one_line(capsys)
    assert "a year from 1900 to 9000" in err and "Error" not in err
