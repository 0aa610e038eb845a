"""The command line refuses what it cannot do, says so in one line, and its hints work as
written (issue 27): a PostgreSQL ledger that is missing its extra or does not answer stops
`serve` and `export-site` as it stops `run`; a ledger that existed and was deleted is reported
as gone, not as "no ledger yet"; nonsense durations and ages are refused; the hints name the
options the invocation needed; one metavar style; the suggest extra before its options; a
review token or an intake token too short to be one."""

from __future__ import annotations

import argparse
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.clock import FakeClock
from tests.conftest import ROOT
from tests.test_install import herald_without, one_line

T0 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
UNREACHABLE = "postgresql://herald@127.0.0.1:1/ledger"  # nothing listens on port 1 of this machine


def herald(capsys, *argv: str, clock: FakeClock | None = None) -> tuple[int, str, str]:
    code = main(list(argv), clock=clock or FakeClock(T0))
    out, err = capsys.readouterr()
    return code, out, err


def samples(tmp_path: Path) -> tuple[str, ...]:
    """The sample calendar and status file in a folder of their own (not the default names'
    folder), and the option that names them."""
    folder = tmp_path / "run"
    folder.mkdir()
    for name in ("content_calendar.yaml", "status.yaml"):
        shutil.copy(ROOT / name, folder / name)
    return ("--calendar", str(folder / "content_calendar.yaml"))


# -- 1. serve and export-site refuse a PostgreSQL ledger they cannot use -------------------
@pytest.fixture
def no_server(monkeypatch):
    """`herald serve` must stop before it serves: a test that reached the server would hang."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("the server was started")
    monkeypatch.setattr("scheduler.web.app.serve", refuse)


@pytest.mark.parametrize("command", [["serve", "--bind", "127.0.0.1:47391"], ["export-site", "site"]])
def test_serve_and_export_site_stop_at_an_unreachable_ledger(capsys, tmp_path, no_server, command):
    code, out, err = herald(capsys, *command[:1], *[c if c != "site" else str(tmp_path / "site") for c in command[1:]],
                            *samples(tmp_path), "--state", UNREACHABLE)
    assert code == 3, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("herald: cannot open the ledger postgresql://***@127.0.0.1:1/ledger: ")
    assert not (tmp_path / "site").exists()


@pytest.mark.slow
@pytest.mark.parametrize("command", ["serve", "export-site"])
def test_serve_and_export_site_name_the_postgres_extra(tmp_path, command):
    calendar = samples(tmp_path)[1]
    target = [str(tmp_path / "site")] if command == "export-site" else ["--bind", "127.0.0.1:47391"]
    proc = herald_without("psycopg", command, *target, "--calendar", calendar,
                          "--state", "postgresql://herald:s3cret@127.0.0.1:1/ledger")
    assert one_line(proc) == ("herald: the PostgreSQL ledger postgresql://***@127.0.0.1:1/ledger needs the postgres "
                              "extra: pip install 'herald[postgres]'")


# -- 2. a ledger that existed and was deleted -------------------------------------------------
def deleted_ledger(capsys, tmp_path: Path) -> tuple[str, ...]:
    options = samples(tmp_path)
    assert herald(capsys, "pause", *options, "--reason", "storm")[0] == 0  # makes the ledger
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        (tmp_path / "run" / ".herald" / name).unlink(missing_ok=True)
    return options


@pytest.mark.parametrize("command", ["history", "status", "health"])
def test_a_deleted_ledger_is_reported_as_gone(capsys, tmp_path, command):
    options = deleted_ledger(capsys, tmp_path)
    code, out, err = herald(capsys, command, *options)
    path = tmp_path / "run" / ".herald" / "state.db"
    assert code == 3, (out, err)
    assert "no ledger yet" not in out + err
    assert err.startswith(f"herald: the ledger {path} is gone (deleted or moved away")
    assert not path.exists()  # reading never creates one


def test_the_gone_ledger_hint_names_the_calendar(capsys, tmp_path):
    options = deleted_ledger(capsys, tmp_path)
    code, _, err = herald(capsys, "history", *options)
    assert code == 3 and f"`herald run --calendar {options[1]} --new-ledger`" in err
    code, _, err = herald(capsys, "run", "--once", *options)
    assert code == 3 and f"`herald run --calendar {options[1]} --new-ledger`" in err


# -- 3. nonsense durations and ages ---------------------------------------------------------
@pytest.mark.parametrize("value, word", [("0m", "0m"), ("9999d", "9999d"), ("30s", "30s"), ("8d", "8d")])
def test_next_update_must_be_a_minute_to_a_week_away(capsys, tmp_path, value, word):
    options = samples(tmp_path)
    status = (tmp_path / "run" / "status.yaml").read_text()
    code, out, err = herald(capsys, "incident", "declare", *options, "--title", "Checkout errors", "--impact", "minor",
                            "-m", "We are looking into it.", "--next-update", value)
    assert (code, out) == (2, "")
    assert err == f"herald: --next-update {word}: between 1 minute and 7 days\n"
    assert (tmp_path / "run" / "status.yaml").read_text() == status


@pytest.mark.parametrize("value", ["-5", "0", "nan", "inf", "86401"])
def test_health_max_age_must_be_a_positive_number_of_seconds(capsys, tmp_path, value):
    code, out, err = herald(capsys, "health", *samples(tmp_path), "--max-age", value)
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and "--max-age" in err and "between 1 and 86,400" in err


def test_the_bounds_are_in_the_help(capsys):
    code, out, _ = _help(capsys, "health")
    assert "1 to 86,400" in " ".join(out.split())
    code, out, _ = _help(capsys, "incident", "declare")
    assert "1 minute to 7 days" in " ".join(out.split())


def _help(capsys, *command: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as ended:
        main([*command, "--help"])
    out, err = capsys.readouterr()
    return int(ended.value.code or 0), out, err


# -- 4. hints that work as written ----------------------------------------------------------
def test_the_pause_hint_names_the_calendar(capsys, tmp_path):
    options = samples(tmp_path)
    code, out, _ = herald(capsys, "pause", *options, "--reason", "storm")
    assert (code, out) == (0, f"paused all networks until `herald resume --calendar {options[1]}`: storm\n")
    code, out, _ = herald(capsys, "pause", *options, "--network", "site")
    assert out == f"paused site until `herald resume --calendar {options[1]} --network site`\n"


def test_the_pause_hint_needs_no_option_in_the_default_layout(capsys, tmp_path, monkeypatch):
    samples(tmp_path)
    monkeypatch.chdir(tmp_path / "run")
    code, out, _ = herald(capsys, "pause")
    assert (code, out) == (0, "paused all networks until `herald resume`\n")


def test_retry_says_when_no_engine_will_pick_it_up(capsys, tmp_path):
    from scheduler.ledger import Ledger

    options = samples(tmp_path)
    url = f"sqlite:///{tmp_path / 'run' / '.herald' / 'state.db'}"
    herald(capsys, "pause", *options)
    herald(capsys, "run", "--once", *options, clock=FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)))
    ledger = Ledger(url)
    (held, *_) = ledger.history(states=["held"])
    code, out, _ = herald(capsys, "skip", *options, held.key)
    code, out, _ = herald(capsys, "retry", *options, held.key)
    assert code == 0
    assert out == (f"{held.key}: will be sent again at the next `herald run --calendar {options[1]}` (no engine is "
                   "running; was skipped)\n")
    ledger.beat("engine-1", T0 - timedelta(seconds=10), {}, started=True)
    herald(capsys, "skip", *options, held.key)
    code, out, _ = herald(capsys, "retry", *options, held.key)
    assert out == f"{held.key}: will be sent again by the running engine (was skipped)\n"
    ledger.close()


# -- 5. one metavar style ---------------------------------------------------------------------
def _commands() -> list[tuple[str, argparse.ArgumentParser]]:
    from scheduler.cli import build_parser

    def walk(parser, path=()):
        yield " ".join(path) or "herald", parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    yield from walk(child, (*path, name))

    return list(walk(build_parser()))


METAVAR = re.compile(r"[A-Z][A-Z0-9_:=]*|\{[a-z_]+(,[a-z_]+)+\}")


def test_every_argument_has_help_and_one_metavar_style():
    """UPPERCASE metavars, choices written {a,b} (never a|b), help for every positional, option and
    sub-command list, and an example in every command's epilog."""
    for name, parser in _commands():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            what = (name, action.option_strings or action.dest)
            assert action.help and action.help.strip(), what
            if action.nargs == 0:
                continue
            shown = parser._get_formatter()._metavar_formatter(action, action.dest.upper())(1)[0]
            if not action.option_strings or action.metavar is not None or action.choices is not None:
                assert METAVAR.fullmatch(str(shown)), (what, shown)
            assert "|" not in str(shown), what
            if action.choices is not None and not isinstance(action, argparse._SubParsersAction):
                assert shown == "{" + ",".join(map(str, action.choices)) + "}", (what, shown)  # the choices, shown
        if name != "herald" and not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
            assert parser.epilog and "example" in parser.epilog and "herald " in parser.epilog, name


# One metavar per kind of value, whatever the command: a date or a time is ISO (2026-12-01 or
# 2026-12-01T10:00), a length of time DURATION (30m, 24h, 180d), a folder DIR, a file FILE.
KINDS = {"--from": "ISO", "--to": "ISO", "--until": "ISO", "--starts": "ISO", "--ends": "ISO",
         "--next-update": "DURATION", "--by": "DURATION", "--older-than": "DURATION", "--remind": "DURATION"}
SYNONYMS = {"DATE", "TIME", "DATETIME", "WHEN", "AGE", "DURATIONS", "PERIOD", "DIRECTORY", "FOLDER", "PATH"}


def test_one_metavar_per_kind_of_value_and_one_epilog_header():
    for name, parser in _commands():
        for action in parser._actions:
            what = (name, action.option_strings or action.dest)
            assert action.metavar not in SYNONYMS, what
            for option in action.option_strings:
                if option in KINDS:
                    assert action.metavar == KINDS[option], what
            assert not re.search(r"\w\|\w", action.help or ""), what  # a choice is {a,b}, never a|b
        if parser.epilog:
            assert parser.epilog.startswith("examples:\n"), name  # one header, one example or more


def test_export_site_writes_to_o_dir_as_export_ical_writes_to_o_file(capsys, tmp_path):
    parser = dict(_commands())["export-site"]
    output = next(a for a in parser._actions if "-o" in a.option_strings)
    assert output.metavar == "DIR" and "--output" in output.option_strings
    code, _, err = herald(capsys, "export-site", "-o", str(tmp_path / "site"), *samples(tmp_path))
    assert code == 0, err
    assert (tmp_path / "site" / "index.html").is_file()
    (tmp_path / "2").mkdir()
    code, _, err = herald(capsys, "export-site", str(tmp_path / "old"), *samples(tmp_path / "2"))
    assert code == 0 and (tmp_path / "old" / "index.html").is_file(), err  # the positional, kept


@pytest.mark.parametrize("argv", [["export-site"], ["export-site", "a", "-o", "b"]])
def test_export_site_needs_one_folder(capsys, tmp_path, argv):
    code, out, err = herald(capsys, *argv, *samples(tmp_path))
    assert (code, out) == (2, "") and len(err.splitlines()) == 1 and "-o DIR" in err, err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


# -- 6. the suggest extra before its options -----------------------------------------------------
@pytest.mark.slow
def test_suggest_without_its_extra_says_so_before_a_missing_option(tmp_path):
    proc = herald_without("sklearn", "suggest", cwd=tmp_path)
    assert one_line(proc) == "herald suggest needs the suggest extra: pip install 'herald[suggest]'"


def test_suggest_with_its_extra_names_the_missing_option(capsys):
    pytest.importorskip("sklearn")
    code, _, err = herald(capsys, "suggest")
    assert code == 2 and "--requests" in err and len(err.splitlines()) == 1


# -- 7. the review token ---------------------------------------------------------------------
def test_a_short_review_token_is_refused_without_showing_it(capsys, tmp_path, monkeypatch, no_server):
    monkeypatch.setenv("HERALD_REVIEW_TOKEN", "abc123")
    code, out, err = herald(capsys, "serve", "--bind", "127.0.0.1:47391", *samples(tmp_path))
    assert (code, out) == (2, "")
    assert err == ("herald: HERALD_REVIEW_TOKEN is shorter than 16 characters: choose a long random one, e.g. "
                   "`openssl rand -hex 24`\n")
    assert "abc123" not in err


# -- 8. the intake token ---------------------------------------------------------------------
def test_a_short_intake_token_is_refused_without_showing_it(capsys, tmp_path, monkeypatch, no_server):
    monkeypatch.delenv("HERALD_REVIEW_TOKEN", raising=False)
    monkeypatch.setenv("HERALD_INTAKE_TOKEN", "s3cr3t-15-chars")
    code, out, err = herald(capsys, "serve", "--bind", "127.0.0.1:47391", *samples(tmp_path))
    assert (code, out) == (2, "")
    assert err == ("herald: HERALD_INTAKE_TOKEN is shorter than 16 characters: choose a long random one, e.g. "
                   "`openssl rand -hex 24`\n")
    assert "s3cr3t" not in err


def test_an_intake_token_of_16_characters_is_taken(monkeypatch, tmp_path):
    from scheduler.web.context import WebContext

    monkeypatch.delenv("HERALD_REVIEW_TOKEN", raising=False)
    monkeypatch.setenv("HERALD_INTAKE_TOKEN", "s3cr3t-16-chars!")
    ctx = WebContext.from_environment(str(ROOT / "content_calendar.yaml"), str(ROOT / "status.yaml"),
                                      f"sqlite:///{tmp_path / 'state.db'}")
    assert ctx.intake_token == "s3cr3t-16-chars!"
    ctx.close()


# -- a short token and the engine (review: it stopped the engine after making the ledger) ------------
def test_run_serve_with_a_short_token_stops_before_the_engine_starts(capsys, tmp_path, monkeypatch, no_server):
    monkeypatch.setenv("HERALD_REVIEW_TOKEN", "abc123")
    files = samples(tmp_path)
    code, out, err = herald(capsys, "run", "--serve", "127.0.0.1:47392", *files)
    assert (code, out) == (2, "")
    assert err.startswith("herald: HERALD_REVIEW_TOKEN is shorter than 16 characters") and err.count("\n") == 1
    assert not (tmp_path / "run" / ".herald").exists()  # no ledger made, nothing started


def test_a_calendar_that_serves_with_a_short_token_leaves_the_engine_running(tmp_path, monkeypatch, caplog, no_server):
    """engine.serve in the calendar: the site is a side job, so a short token costs the site (said
    in the log, once, without the token), not the engine."""
    from scheduler.daemon.hosting import SiteHost

    monkeypatch.setenv("HERALD_INTAKE_TOKEN", "short-one")
    host = SiteHost(str(ROOT / "content_calendar.yaml"), str(ROOT / "status.yaml"), f"sqlite:///{tmp_path}/s.db",
                    FakeClock(T0))
    host.start("127.0.0.1:47393")  # would raise, or reach the refused server, before
    assert host.server is None
    said = [r.getMessage() for r in caplog.records if "HERALD_INTAKE_TOKEN" in r.getMessage()]
    assert len(said) == 1 and "not served" in said[0] and "short-one" not in said[0]


def test_a_hint_never_echoes_a_ledger_password():
    """A hint is a command to copy: a masked password would not run, so a URL with one is named
    by its variable (review)."""
    import argparse

    from scheduler.cli.common import same_files

    with_password = argparse.Namespace(calendar="run/content_calendar.yaml", state="postgresql://u:s3cret@db/herald")
    assert same_files(with_password) == ' --calendar run/content_calendar.yaml --state "$HERALD_STATE"'
    without = argparse.Namespace(calendar=None, state="postgresql://u@db/herald")
    assert same_files(without) == " --state postgresql://u@db/herald"


# -- 9. characters that turn a text around, in every text option ---------------------------------
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


@pytest.mark.parametrize("char", BIDI)
@pytest.mark.parametrize("command", [
    ["incident", "declare", "--title", "Checkout errors", "--impact", "major", "-m", "Card {} payments fail."],
    ["incident", "declare", "--title", "Checkout {} errors", "--impact", "major", "-m", "Card payments fail."],
    ["maintenance", "add", "--title", "Database upgrade", "--starts", "2026-12-10T02:00", "--ends",
     "2026-12-10T03:00", "-m", "Checkout {} pauses."],
])
def test_a_bidi_control_in_a_status_text_is_refused_and_the_file_is_unchanged(capsys, tmp_path, command, char):
    options = samples(tmp_path)
    status = Path(options[1]).with_name("status.yaml")
    before = status.read_bytes()
    code, out, err = herald(capsys, *[c.replace("{}", char) for c in command], *options)
    assert (code, out) == (2, "") and len(err.splitlines()) == 1, err
    assert f"U+{ord(char):04X}" in err and char not in err
    assert status.read_bytes() == before


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u2028", "\ufeff", "\x85", "\x1b"])
@pytest.mark.parametrize("command", [["pause", "--reason", "Storm{}<script>"], ["skip", "3f2a9c", "--reason", "a{}b"]])
def test_a_reason_goes_through_the_text_check_and_is_never_echoed_raw(capsys, tmp_path, command, char):
    options = samples(tmp_path)
    code, out, err = herald(capsys, *[c.replace("{}", char) for c in command], *options)
    assert (code, out) == (2, "") and len(err.splitlines()) == 1, err
    assert char not in err and "--reason" in err
    assert not (Path(options[1]).parent / ".herald").exists()  # no ledger made for a refused pause
