"""The herald command: one-line errors, exit codes, and the outputs planners use."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from icalendar import Calendar as VCalendar

from campaigns.schema import calendar_schema
from scheduler.cli import main
from scheduler.clock import FakeClock
from tests.conftest import ROOT

SAMPLE = str(ROOT / "content_calendar.yaml")
CLOCK = FakeClock(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), clock=CLOCK)
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_the_sample(capsys):
    status = str(ROOT / "status.yaml")
    assert run(capsys, "validate", SAMPLE, "--status", status) == (
        0, f"{SAMPLE}: ok (7 posts, 2 networks, 2 campaigns)\n{status}: ok (4 components, 1 incident, 0 open)\n"
           "voice guide: ok (11 publications in the next 28 days)\n", "")


def test_validate_reports_status_file_problems_too(capsys, tmp_path):
    bad = tmp_path / "status.yaml"
    bad.write_text("incidents:\n  - id: x\n    title: t\n    impact: severe\n    updates: []\n")
    code, _, err = run(capsys, "validate", SAMPLE, "--status", str(bad))
    assert code == 1 and f"{bad}:4:13: 'impact' cannot be 'severe'" in err


def test_validate_prints_every_problem_and_exits_1(capsys, tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(SAMPLE).read_text().replace("kind: tip", "kind: tipp").replace("2026-12-18T08:00", "2026-12-32T08:00"))
    code, out, err = run(capsys, "validate", str(bad))
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert lines[-1] == f"{bad}: 2 errors"
    assert any(line.startswith(f"{bad}:") and "cannot be 'tipp'" in line for line in lines)
    assert any("'2026-12-32T08:00' is not a date: December 2026 has 31 days" in line for line in lines)


def test_plan_json_lines(capsys):
    code, out, _ = run(capsys, "plan", "--calendar", SAMPLE, "--from", "2026-11-23", "--days", "14", "--json",
                          "--only", "calendar")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 7
    assert set(rows[0]) >= {"key", "post", "network", "at", "text"}
    assert rows[0]["at"] == "2026-11-23T10:00:00+01:00" and rows[0]["post"] == "track-your-order"
    assert len({r["key"] for r in rows}) == 7


def test_plan_text_shows_time_network_post_text_and_budget(capsys):
    code, out, _ = run(capsys, "plan", "--calendar", SAMPLE, "--days", "3")
    assert code == 0
    assert out.startswith("1 publication from 2026-11-23 08:00 CET to 2026-11-26 08:00 CET")
    assert "Mon 2026-11-23 10:00 CET  site       track-your-order  (variant 1/3, 144 chars)" in out
    assert "    Where is your sofa? Track any custom order in one click: https://acme.example/track?" in out


def test_export_ical_to_a_file(capsys, tmp_path: Path):
    target = tmp_path / "plan.ics"
    code, _, err = run(capsys, "export-ical", "--calendar", SAMPLE, "--from", "2026-12-01", "-o", str(target))
    assert code == 0 and err.startswith(f"wrote {target}")
    parsed = VCalendar.from_ical(target.read_bytes())
    assert len(parsed.walk("VEVENT")) >= 4


def test_status_schema_matches_the_committed_copy(capsys):
    from status.schema import status_schema

    code, out, _ = run(capsys, "schema", "--status")
    assert code == 0 and json.loads(out) == status_schema()
    assert json.loads((ROOT / "schema" / "status.schema.json").read_text()) == status_schema()


def test_schema_matches_the_committed_copy(capsys):
    code, out, _ = run(capsys, "schema")
    assert code == 0
    assert json.loads(out) == calendar_schema()
    committed = json.loads((ROOT / "schema" / "content_calendar.schema.json").read_text())
    assert committed == calendar_schema(), "run: herald schema > schema/content_calendar.schema.json"


@pytest.mark.parametrize("argv, message", [
    (["plan", "--days", "zero"], "herald plan: argument --days: 'zero' is not a whole number"),
    (["plan", "--calendar", SAMPLE, "--from", "tomorrow"], "herald: --from: 'tomorrow' is not a date or time"),
    (["frobnicate"], "herald: no such command 'frobnicate': choose from "),
])
def test_usage_errors_exit_2_with_one_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith(message)
    assert len(err.splitlines()) == 1


def test_missing_file(capsys):
    code, _, err = run(capsys, "validate", "nope.yaml")
    assert (code, err.splitlines()[0]) == (1, "nope.yaml: file not found")


HOSTILE = {
    "binary.yaml": b"\x00\x01\x02garbage",
    "latin1.yaml": b"brand: {name: caf\xe9}\n",
    "syntax.yaml": b"brand: [unclosed\n",
    "tags.yaml": b"brand: !!python/object/new:os.system [ls]\n",
    "list.yaml": b"- just\n- a list\n",
    "empty.yaml": b"",
    "huge-number.yaml": b"version: 1e999999\nbrand: {name: x, timezone: UTC}\nnetworks: {s: {type: site}}\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.slow
def test_hostile_input_through_the_real_command_never_shows_a_traceback(tmp_path: Path, name: str):
    path = tmp_path / name
    path.write_bytes(HOSTILE[name])
    herald = shutil.which("herald", path=str(Path(sys.executable).parent)) or "herald"
    proc = subprocess.run([herald, "validate", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[0].startswith(str(path))


# -- the CLI package: fast start, one ledger lookup, logging, errors by type -----------------------------------
@pytest.mark.slow
def test_the_cli_package_imports_nothing_heavy_before_a_command_runs():
    code = ("import sys, scheduler.cli as cli; cli.build_parser(); "
            "heavy = sorted(m for m in ('sqlalchemy', 'ruamel.yaml', 'twitter_text', 'jsonschema', 'apscheduler', "
            "'requests', 'icalendar', 'campaigns.calendar', 'status.load') if m in sys.modules); print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


STATUS_CHILD = """\
import contextlib, io, re, sys
sys.argv = ["herald", "status"]
from scheduler.cli import entry
with contextlib.redirect_stdout(io.StringIO()) as shown:
    try:
        entry()
    except SystemExit as exc:
        assert not exc.code, exc.code
import campaigns.days as days
compiled = sorted(name for name, value in vars(days).items() if name.startswith("_")
                  and (isinstance(value, re.Pattern) or "search" in getattr(value, "__dict__", {})))
loaded = sorted(m for m in ("jinja2", "regex", "feedgenerator", "starlette", "uvicorn", "sqlalchemy") if m in sys.modules)
print(loaded, compiled, "components:" in shown.getvalue(), file=sys.stderr)
"""


@pytest.mark.slow
def test_herald_status_renders_no_page_and_reads_no_post_text(tmp_path: Path):
    # issue 27 (herald status within 300 ms): it shows the status and the incidents; it imports
    # neither the page renderer's Jinja2 nor the feeds' or the server's libraries, and compiles
    # none of the patterns that read dates out of a post's text (but the hours' ranges it parses)
    for name in ("content_calendar.yaml", "status.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    proc = subprocess.run([sys.executable, "-c", STATUS_CHILD], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert proc.stderr.strip().splitlines()[-1] == "[] ['_RANGE'] True", proc.stderr


def test_herald_help_lists_every_command_group(capsys):
    code, out, _ = run(capsys)
    assert code == 2
    for command in ("validate", "plan", "lint", "export-ical", "schema", "run", "health", "simulate", "history",
                    "retry", "skip", "pause", "resume", "incident", "maintenance", "status", "networks"):
        assert f"    {command}" in out


def test_the_ledger_url_is_looked_up_in_one_place(monkeypatch, tmp_path):
    import argparse

    from scheduler.cli.common import ledger_url
    from scheduler.ledger import default_url

    calendar = str(tmp_path / "cal.yaml")
    monkeypatch.delenv("HERALD_STATE", raising=False)
    assert ledger_url(argparse.Namespace(calendar=calendar, state=None)) == default_url(calendar)
    monkeypatch.setenv("HERALD_STATE", "sqlite:///env.db")
    assert ledger_url(argparse.Namespace(calendar=calendar, state=None)) == "sqlite:///env.db"
    assert ledger_url(argparse.Namespace(calendar=calendar, state="postgresql://db/x")) == "postgresql://db/x"


def test_run_new_ledger_asks_the_ledger_to_start_over(monkeypatch, capsys, tmp_path):
    import scheduler.ledger

    seen = {}

    class Stop(Exception):
        pass

    def fake_ledger(url, **options):
        seen.update(url=url, **options)
        raise Stop

    monkeypatch.setattr(scheduler.ledger, "Ledger", fake_ledger)
    with pytest.raises(Stop):
        main(["--traceback", "run", "--new-ledger", "--once", "--calendar", SAMPLE, "--state", "sqlite:///x.db"],
             clock=CLOCK)
    assert seen == {"url": "sqlite:///x.db", "start_over": True}
    seen.clear()
    with pytest.raises(Stop):
        main(["--traceback", "run", "--once", "--calendar", SAMPLE, "--state", "sqlite:///y.db"], clock=CLOCK)
    assert seen == {"url": "sqlite:///y.db"}


def test_verbose_logging_is_redacted_keeps_library_chatter_bounded_and_leaves_nothing_behind(capsys):
    import logging

    from scheduler import redaction
    from scheduler.cli import logging_to_stderr

    root = logging.getLogger()
    before = (list(root.handlers), root.level, logging.getLogger("urllib3").level)
    redaction.register("s3cr3t-token-value")
    try:
        with logging_to_stderr(verbose=True):
            logging.getLogger("herald.test").debug("sending with %s", "s3cr3t-token-value")
            logging.getLogger("watchdog.observers.inotify").debug("inotify event")
            logging.getLogger("watchdog.observers").info("watching /srv")
            logging.getLogger("urllib3.connectionpool").debug("Starting new HTTPS connection")
            logging.getLogger("apscheduler.executors").debug("job ran")
        err = capsys.readouterr().err
        assert "sending with ***" in err and "s3cr3t" not in err and "watching /srv" in err and "job ran" in err
        assert "inotify event" not in err and "Starting new HTTPS connection" not in err
        with logging_to_stderr(verbose=False):
            logging.getLogger("herald.test").debug("details")
            logging.getLogger("apscheduler.executors").info("job ran")
            logging.getLogger("herald.test").info("published")
        err = capsys.readouterr().err
        assert "published" in err and "details" not in err and "job ran" not in err
    finally:
        redaction.forget_all()
    assert (list(root.handlers), root.level, logging.getLogger("urllib3").level) == before


@pytest.mark.parametrize("error, code", [
    ("campaigns.errors:UsageError", 2), ("campaigns.errors:ConfigError", 1), ("scheduler.errors:RuntimeFailure", 3),
    ("scheduler.errors:LedgerError", 3), ("scheduler.errors:StatusFileRace", 3),
])
def test_errors_map_to_exit_codes_by_type_and_are_redacted(monkeypatch, capsys, error, code):
    import importlib

    from scheduler import redaction
    from scheduler.cli import report

    module, name = error.split(":")
    cls = getattr(importlib.import_module(module), name)
    redaction.register("hunter2-password")
    try:
        exc = cls("status.yaml", "failed with hunter2-password") if name == "StatusFileRace" else cls(
            "failed with hunter2-password")
        assert report(exc) == code
        err = capsys.readouterr().err
        assert err.startswith("herald: ") and "hunter2" not in err and "***" in err
    finally:
        redaction.forget_all()


def test_both_schemas_are_valid_draft_7():
    from jsonschema import Draft7Validator

    from status.schema import status_schema

    Draft7Validator.check_schema(calendar_schema())  # the loaders check them only when a file has problems
    Draft7Validator.check_schema(status_schema())


def test_version_names_the_installed_release(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as stop:
        main(["--version"], clock=CLOCK)
    out, _ = capsys.readouterr()
    assert stop.value.code == 0 and out == f"herald {version('herald')}\n"


def test_validate_takes_calendar_as_every_other_command_does(capsys, tmp_path):
    """`herald validate --calendar FILE` was refused ("unrecognized arguments"); it means FILE,
    and the status file beside it is checked as with the positional form."""
    folder = tmp_path / "run"
    folder.mkdir()
    shutil.copy(SAMPLE, folder / "content_calendar.yaml")
    (folder / "status.yaml").write_text("components: {checkout: {name: Checkout}}\nincidents: [oops\n")
    code, _, err = run(capsys, "validate", "--calendar", str(folder / "content_calendar.yaml"))
    assert code == 1 and str(folder / "status.yaml") in err
    assert run(capsys, "validate", str(folder / "content_calendar.yaml"))[0] == 1
    code, _, err = run(capsys, "validate", str(folder / "content_calendar.yaml"), "--calendar", SAMPLE)
    assert code == 2 and "not allowed with" in err


def _commands():
    import argparse

    from scheduler.cli import build_parser

    def walk(parser, path=()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    yield from walk(child, (*path, name))
        if path:
            yield " ".join(path), parser

    return list(walk(build_parser()))


@pytest.mark.slow
def test_every_command_shows_an_example_that_parses_and_every_option_has_help():
    import argparse
    import shlex

    from scheduler.cli import build_parser
    from scheduler.cli.examples import EXAMPLES

    commands = _commands()
    assert sorted(EXAMPLES) == sorted(name for name, _ in commands)
    for name, parser in commands:
        text = parser.format_help()
        assert "example" in text and EXAMPLES[name][0] in text, name
        for action in parser._actions:
            if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                assert action.help, (name, action.option_strings or action.dest)
        for example in EXAMPLES[name]:
            argv = shlex.split(example)
            assert argv[0] == "herald"
            build_parser().parse_args(argv[1:])  # a UsageError here: the example names a missing option


def test_one_metavar_style_in_every_usage_line():
    """`--calendar CALENDAR` beside `--status FILE` was two styles: a value is named by what it is."""
    import re

    for name, parser in _commands():
        usage = parser.format_usage()
        assert "CALENDAR" not in usage and "DAYS" not in usage and "REASON" not in usage, (name, usage)
        for option, metavar in re.findall(r"(--[a-z-]+) ([A-Z][A-Z:_]*)", usage):
            assert metavar in {"FILE", "N", "TEXT", "NAME", "ID", "ISO", "DURATION",
                               "URL", "SECONDS", "STATES", "HOST:PORT", "FORMAT", "DIR"}, (name, option, metavar)


def test_plan_from_today_shows_an_announcement_made_a_moment_ago(capsys, tmp_path: Path):
    # Given an incident declared half an hour ago (at 07:30 in Berlin; the clock says 08:00 there)
    status = tmp_path / "status.yaml"
    status.write_text("components:\n  checkout: {name: Checkout}\nincidents:\n  - id: pay\n    title: Card payments fail\n"
                      "    impact: major\n    components: [checkout]\n    updates:\n      - at: 2026-11-23T07:30\n"
                      "        state: investigating\n        message: Some card payments fail.\n")
    plan = ("plan", "--calendar", SAMPLE, "--status", str(status), "--days", "1", "--only", "status")
    # When it is planned from now, nothing is left to show; from today, the announcement is there
    assert run(capsys, *plan)[1].startswith("0 publications from 2026-11-23 08:00 CET")
    code, out, err = run(capsys, *plan, "--from", "today")
    assert (code, err) == (0, "")
    assert out.startswith("1 publication (1 status announcement) from 2026-11-23 00:00 CET to 2026-11-24 00:00 CET\n\n"
                          "Mon 2026-11-23 07:30 CET")
    assert "status file: pay, incident update: investigating (major)" in out
