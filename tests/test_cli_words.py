"""Every word the CLI says is true (issue 12): did-you-mean for commands and option values, a
closed pipe handled quietly, history rows that say what they announced."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.clock import FakeClock
from tests.conftest import ROOT

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Berlin


def herald(capsys, clock, *argv) -> tuple[int, str, str]:
    code = main(list(argv), clock=clock)
    out, err = capsys.readouterr()
    return code, out, err


def given(tmp_path, calendar_text: str, status_text: str) -> tuple[Path, Path, tuple[str, ...]]:
    """The calendar and the status file in ``tmp_path``, and the options that name them."""
    calendar, status = tmp_path / "content_calendar.yaml", tmp_path / "status.yaml"
    calendar.write_text(calendar_text)
    status.write_text(status_text)
    return calendar, status, ("--calendar", str(calendar), "--status", str(status))


def test_a_mistyped_command_gets_a_suggestion_in_heralds_words(capsys):
    code, out, err = herald(capsys, FakeClock(T0), "valdate")
    assert code == 2 and out == ""
    assert "herald: no such command 'valdate': did you mean 'validate'?" in err
    assert "invalid choice" not in err


def test_a_mistyped_choice_gets_a_suggestion(capsys):
    code, _, err = herald(capsys, FakeClock(T0), "incident", "declare", "--title", "x", "--impact", "majr", "-m", "x")
    assert code == 2 and "--impact 'majr': did you mean 'major'?" in err


def test_history_only_refuses_an_unknown_state_with_a_suggestion(capsys, tmp_path):
    code, out, err = herald(capsys, FakeClock(T0), "history", "--only", "sentt", "--state",
                            f"sqlite:///{tmp_path / 'state.db'}")
    assert code == 2 and out == ""
    assert err.startswith("herald: --only sentt: not one of them; did you mean 'sent'?")
    assert not (tmp_path / "state.db").exists()  # refused before the ledger was opened


@pytest.mark.parametrize("argv", [["plan", "--days", "365"], ["export-ical", "--days", "365"]])
@pytest.mark.slow
def test_a_closed_pipe_ends_the_command_quietly(argv):
    proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", *argv, "--calendar",
                             str(ROOT / "content_calendar.yaml"), "--only", "calendar"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert err == "" and proc.returncode in (0, 141)


CALENDAR = """\
brand: {name: Acme, timezone: Europe/Berlin, links: {help: "https://acme.example/help"}}
networks:
  site: {type: site}
posts:
  - id: tip
    kind: tip
    networks: [site]
    at: 2026-12-01T10:00
    text: "Tip: measure the doorway before the sofa arrives."
"""
STATUS = """\
components:
  checkout: {name: Checkout}
maintenance:
  - id: db
    title: Database upgrade
    starts: 2026-12-02T10:00
    ends: 2026-12-02T11:00
incidents:
  - id: pay
    title: Card payments fail
    impact: minor
    updates:
      - at: 2026-12-01T09:58
        state: investigating
        message: Some card payments fail; we are looking into it.
      - at: 2026-12-01T09:59
        state: identified
        message: A certificate expired at our payment provider; a new one is being installed.
"""


@pytest.mark.slow
def test_history_rows_say_what_each_publication_announced(capsys, tmp_path):
    calendar, status, files = given(tmp_path, CALENDAR, STATUS)
    assert herald(capsys, FakeClock(T0 + timedelta(seconds=1)), "run", "--once", *files)[0] == 0
    code, out, _ = herald(capsys, FakeClock(T0 + timedelta(minutes=1)), "history", *files)
    assert code == 0
    rows = out.splitlines()[1:]
    assert any("tip  post (tip)" in r for r in rows)
    assert any(" pay  incident update: investigating " in r for r in rows)
    assert any(" pay  incident update: identified " in r for r in rows)
    assert any(" db  maintenance: reminder 24 hours ahead " in r for r in rows), rows
    code, out, _ = herald(capsys, FakeClock(T0 + timedelta(minutes=1)), "history", "--json", *files)
    whats = sorted(json.loads(line)["what"] for line in out.splitlines())
    assert whats == ["incident update: identified", "incident update: investigating",
                     "maintenance: reminder 24 hours ahead", "post (tip)"]
    # a day later: the 1-hour reminder, the start and the end, each named as docs/reference/cli.md names them
    for hours in (23, 24, 25):
        assert herald(capsys, FakeClock(T0 + timedelta(hours=hours, seconds=1)), "run", "--once", *files)[0] == 0
    code, out, _ = herald(capsys, FakeClock(T0 + timedelta(hours=25, seconds=1)), "history", "--json", *files)
    whats = [json.loads(line)["what"] for line in out.splitlines()]
    assert whats[:3] == ["maintenance: ends", "maintenance: starts", "maintenance: reminder 1 hour ahead"]


@pytest.mark.slow
def test_the_site_channel_feeds_title_each_announcement_by_what_it_says(capsys, tmp_path):
    """Every update of one incident used to have the incident's title: three identical entries."""
    calendar, status, files = given(tmp_path, CALENDAR, STATUS)
    for hours in (0, 23, 24, 25):
        assert herald(capsys, FakeClock(T0 + timedelta(hours=hours, seconds=1)), "run", "--once", *files)[0] == 0
    feed = json.loads((tmp_path / "public" / "feed.json").read_text())
    titles = [item["title"] for item in feed["items"]]
    window = "(Wed 2 Dec, 10:00-11:00 CET)"
    assert titles[:3] == ["Maintenance complete: Database upgrade", f"Maintenance under way: Database upgrade {window}",
                          f"Maintenance in 1 hour: Database upgrade {window}"], titles
    assert sorted(titles[3:5]) == [f"Maintenance in 24 hours: Database upgrade {window}",  # both at 10:00
                                   "Tip: measure the doorway before the sofa arrives."]
    assert titles[5:] == ["Identified: Card payments fail", "Investigating: Card payments fail"]
    from xml.etree import ElementTree

    atom = ElementTree.parse(tmp_path / "public" / "feed.atom").getroot()
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert [e.findtext("a:title", namespaces=ns) for e in atom.findall("a:entry", ns)] == titles


def test_status_speaks_in_the_effective_state_and_lists_resolved_incidents_apart(capsys, tmp_path):
    calendar, status = tmp_path / "content_calendar.yaml", tmp_path / "status.yaml"
    calendar.write_text(CALENDAR)
    long = "We found the cause of the failed card payments and are rolling out a fix to every checkout server now."
    status.write_text(textwrap.dedent(f"""\
        components:
          checkout: {{name: Checkout, status: operational}}
          search: {{name: Search}}
        incidents:
          - id: old
            title: Slow search
            impact: minor
            components: [search]
            updates:
              - {{at: '2026-11-30T10:00', state: investigating, message: Search is slow.}}
              - {{at: '2026-11-30T11:00', state: resolved, message: Search is fast again.}}
          - id: pay
            title: Card payments fail
            impact: major
            components: [checkout]
            updates:
              - {{at: '2026-12-01T09:58', state: identified, message: "{long}"}}
        """))
    code, out, err = herald(capsys, FakeClock(T0), "status", "--calendar", str(calendar), "--status", str(status))
    assert code == 0, err
    assert "  Checkout                 partial outage (declared operational)\n" in out
    assert "  Search                   operational\n" in out
    head, _, tail = out.partition("recently resolved (1):")
    assert "1 open incident:" in head and "pay: Card payments fail" in head and "old:" not in head
    assert "old: Slow search (minor, resolved)" in tail
    assert "We found the cause of the failed card payments and are rolling out a…\n" in out


@pytest.mark.slow
def test_maintenance_add_promises_only_the_announcements_that_will_go_out(capsys, tmp_path):
    calendar, status, files = given(tmp_path, CALENDAR, "components:\n  checkout: {name: Checkout}\nincidents: []\n")
    clock = FakeClock(T0)  # 10:00 Berlin; the window starts 3 minutes later
    code, out, _ = herald(capsys, clock, "maintenance", "add", *files, "--id", "soon", "--title", "DB upgrade",
                          "--starts", "2026-12-01T10:03", "--ends", "2026-12-01T11:00")
    assert code == 0
    assert out == ("soon: 2026-12-01 10:03 CET to 11:00 CET; announced on site when it starts (Tue 10:03 CET), when it "
                   "ends (Tue 11:00 CET); too late for 24 hours ahead, 1 hour ahead (already past, beyond the 30m catch-up "
                   "window)\n")
    # and the engine does what was said: both reminders skipped, each logged once
    import logging

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("herald").addHandler(handler)
    try:
        assert herald(capsys, FakeClock(T0 + timedelta(seconds=5)), "run", "--once", *files)[0] == 0
    finally:
        logging.getLogger("herald").removeHandler(handler)
    skipped = [r.getMessage() for r in records if "skipped" in r.getMessage()]
    keys = [line.split("key=")[1].split()[0] for line in skipped]  # one format: the per-publication line
    assert skipped and len(keys) == len(set(keys)) and all(" soon skipped " in line for line in skipped), skipped


def test_cli_edits_keep_each_comment_block_with_the_section_it_introduces(capsys, tmp_path):
    calendar, status, files = given(tmp_path, (ROOT / "content_calendar.yaml").read_text(), textwrap.dedent("""\
        components:
          checkout: {name: Checkout}
        incidents:
          - id: first
            title: First
            impact: minor
            updates:  # oldest first
              - at: 2026-11-10T08:05
                state: investigating
                message: One.  # inline, stays here

          # The second incident, kept for the record.
          - id: second
            title: Second
            impact: minor
            updates:
              - at: 2026-11-10T09:05
                state: investigating
                message: Two.

        # Planned maintenance: announced ahead.
        maintenance: []
        """))
    clock = FakeClock(T0)
    assert herald(capsys, clock, "incident", "declare", *files, "--id", "third", "--title", "Third", "--impact", "minor",
                  "-m", "Three.")[0] == 0
    assert herald(capsys, clock, "incident", "update", *files, "first", "--state", "identified", "-m", "One more.")[0] == 0
    text = status.read_text()
    # each comment still sits right above what it describes
    assert "\n\n# Planned maintenance: announced ahead.\nmaintenance:" in text
    assert "\n\n  # The second incident, kept for the record.\n  - id: second\n" in text
    assert text.index("- id: third") < text.index("# Planned maintenance")
    assert text.index("message: One more.") < text.index("# The second incident")
    assert "message: One.  # inline, stays here\n" in text and "updates:  # oldest first\n" in text


@pytest.mark.slow
def test_the_status_file_is_found_beside_the_calendar_not_in_the_current_folder(capsys, tmp_path, monkeypatch):
    """Like the ledger: `--calendar run/content_calendar.yaml` means run/status.yaml."""
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "content_calendar.yaml").write_text(CALENDAR)
    (folder / "status.yaml").write_text(STATUS)
    monkeypatch.chdir(tmp_path)
    clock = FakeClock(T0 + timedelta(minutes=1))
    code, out, _ = herald(capsys, clock, "status", "--calendar", "run/content_calendar.yaml")
    assert code == 0 and "1 open incident:" in out and "pay" in out
    code, out, _ = herald(capsys, clock, "plan", "--calendar", "run/content_calendar.yaml", "--only", "status")
    assert code == 0 and "db" in out
    code, out, err = herald(capsys, clock, "validate", "run/content_calendar.yaml")
    assert code == 0 and "run/status.yaml" in out + err
    assert herald(capsys, clock, "run", "--once", "--calendar", "run/content_calendar.yaml")[0] == 0
    code, out, _ = herald(capsys, clock, "history", "--calendar", "run/content_calendar.yaml")
    assert " pay  incident update: investigating " in out, out
    assert not (tmp_path / "status.yaml").exists() and not (tmp_path / ".status.yaml.lock").exists()


@pytest.mark.slow
def test_run_once_logs_in_the_brands_zone_as_the_engine_does(capsys, tmp_path):
    calendar, status = tmp_path / "content_calendar.yaml", tmp_path / "status.yaml"
    calendar.write_text(CALENDAR)  # Europe/Berlin: +01:00 in December, whatever the machine's zone
    status.write_text(STATUS)
    code, _, err = herald(capsys, FakeClock(T0 + timedelta(seconds=1)), "run", "--once", "--calendar", str(calendar))
    lines = err.splitlines()
    assert code == 0 and lines
    stamps = [datetime.fromisoformat(line.split(" ", 1)[0]) for line in lines]
    assert {s.utcoffset() for s in stamps} == {timedelta(hours=1)}, lines


def test_the_engine_logs_its_first_line_in_the_brands_zone(tmp_path, caplog):
    """The ledger is opened once the calendar is read: "created a new ledger" is in the brand's zone too."""
    import logging

    from scheduler.daemon import Daemon
    from scheduler.ledger import Ledger
    from scheduler.logformat import IsoFormatter, set_zone

    calendar = tmp_path / "content_calendar.yaml"
    calendar.write_text(CALENDAR)
    set_zone(None)
    formatted: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):  # formatted as it is logged, in the zone of that moment
            formatted.append(IsoFormatter("%(asctime)s %(message)s").format(record))

    keep = Keep()
    logging.getLogger().addHandler(keep)
    try:
        with caplog.at_level(logging.INFO):
            daemon = Daemon(str(calendar), lambda: Ledger(f"sqlite:///{tmp_path / 'state.db'}"),
                            clock=FakeClock(T0), watch=False)
            daemon.shutdown()
    finally:
        logging.getLogger().removeHandler(keep)
        set_zone(None)
    created = [line for line in formatted if "created a new ledger" in line]
    assert created and all(line.split(" ", 1)[0].endswith("+01:00") for line in formatted), formatted


@pytest.mark.slow
def test_option_values_are_checked_with_a_suggestion(capsys, tmp_path):
    calendar, status = tmp_path / "content_calendar.yaml", tmp_path / "status.yaml"
    calendar.write_text(CALENDAR)
    status.write_text(STATUS)
    files = ("--calendar", str(calendar))
    clock = FakeClock(T0 + timedelta(seconds=1))
    assert herald(capsys, clock, "run", "--once", *files)[0] == 0
    code, out, err = herald(capsys, clock, "history", "--network", "sitee", *files)
    assert (code, out) == (2, "") and err == "herald: --network sitee: not defined (did you mean 'site'?)\n"
    assert herald(capsys, clock, "history", "--network", "site", *files)[0] == 0
    code, out, err = herald(capsys, clock, "history", "--network", "", *files)
    assert (code, out) == (2, "") and err == "herald: --network '': not defined (known: site)\n", err
    assert herald(capsys, clock, "pause", "--network", "site", *files)[0] == 0
    code, out, err = herald(capsys, clock, "resume", "--network", "sitee", *files)
    assert (code, out) == (2, "") and err == "herald: --network sitee: not defined (did you mean 'site'?)\n"
    code, out, _ = herald(capsys, clock, "resume", "--network", "site", *files)
    assert code == 0 and out.startswith("resumed site")
    code, _, err = herald(capsys, clock, "history", "--limit", "5000", *files)
    assert code == 0, err
    code, _, err = herald(capsys, clock, "history", "--limit", "0", *files)
    assert code == 2 and err == "herald history: argument --limit: must be between 1 and 1,000,000\n"
    code, _, err = herald(capsys, clock, "incident", "update", "pay", "--state", "resolvd", "-m", "x", *files)
    assert code == 2 and "--state 'resolvd': an incident is resolved with `herald incident resolve pay -m …`" in err
    code, _, err = herald(capsys, clock, "incident", "update", "pay", "--state", "identifed", "-m", "x", *files)
    assert code == 2 and "--state 'identifed': did you mean 'identified'?" in err


@pytest.mark.slow
def test_history_of_an_account_the_calendar_no_longer_has_is_still_shown(capsys, tmp_path):
    calendar = tmp_path / "content_calendar.yaml"
    calendar.write_text(CALENDAR)
    clock = FakeClock(T0 + timedelta(seconds=1))
    assert herald(capsys, clock, "run", "--once", "--calendar", str(calendar))[0] == 0
    calendar.write_text(CALENDAR.replace("site: {type: site}", "shop: {type: site}").replace("[site]", "[shop]"))
    code, out, err = herald(capsys, clock, "history", "--network", "site", "--calendar", str(calendar))
    assert code == 0 and "tip  post (tip)" in out, err


@pytest.mark.parametrize("argv", [["validate"], ["plan", "--days", "1"], ["lint", "--days", "1"]])
@pytest.mark.slow
def test_a_closed_standard_output_neither_crashes_nor_lands_elsewhere(argv, tmp_path):
    """`herald plan >&-`: Python leaves sys.stdout None (a crash on the first print), and the next file
    opened would take descriptor 1, so that a print could land in it; the three are held open on /dev/null."""
    shutil = __import__("shutil")
    for name in ("content_calendar.yaml", "status.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    def run(redirect: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(f"exec {sys.executable} -m scheduler.cli {' '.join(argv)} {redirect}", shell=True,
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)

    closed, discarded = run(">&-"), run(">/dev/null")
    assert "Traceback" not in closed.stderr and "unexpected error" not in closed.stderr
    assert (closed.returncode, closed.stderr) == (discarded.returncode, discarded.stderr)


def test_an_items_own_indented_comment_stays_with_it_when_the_cli_appends(capsys, tmp_path):
    calendar, status, files = given(tmp_path, (ROOT / "content_calendar.yaml").read_text(), textwrap.dedent("""\
        components:
          checkout: {name: Checkout}

        # Planned maintenance
        maintenance:
          - id: old
            title: Old window
            starts: 2027-01-10T03:00
            ends: 2027-01-10T04:00
            # the vendor may run this one long
            # (both lines are about "old")

        # Incidents, newest last
        incidents: []
        """))
    assert herald(capsys, FakeClock(T0), "maintenance", "add", *files, "--id", "new", "--title", "New window",
                  "--starts", "2027-02-10T03:00", "--ends", "2027-02-10T04:00")[0] == 0
    text = status.read_text()
    assert ("    ends: 2027-01-10T04:00\n    # the vendor may run this one long\n    # (both lines are about \"old\")\n"
            "  - id: new\n") in text, text
    assert "\n\n# Incidents, newest last\nincidents: []" in text, text


@pytest.mark.parametrize("argv, said, exit_code", [
    (["history"], "the ledger is empty (no ledger yet at ", 0),
    (["history", "--json"], "", 0),
    (["engines"], "no engine has run (no ledger yet at ", 0),
    (["health"], "unhealthy: no engine has recorded a heartbeat", 1),
    (["resume"], "nothing was paused", 0),
])
def test_reading_commands_never_create_a_ledger(capsys, tmp_path, argv, said, exit_code):
    calendar = tmp_path / "content_calendar.yaml"
    calendar.write_text(CALENDAR)
    code, out, err = herald(capsys, FakeClock(T0), *argv, "--calendar", str(calendar))
    assert code == exit_code and out.startswith(said) if said else out == "", (out, err)
    assert "created a new ledger" not in err
    assert not (tmp_path / ".herald").exists()


@pytest.mark.slow
def test_history_names_a_changed_and_a_cancelled_window_and_the_reminders_of_a_moved_one(capsys, tmp_path):
    calendar, status, files = given(tmp_path, CALENDAR, STATUS)
    assert herald(capsys, FakeClock(T0 + timedelta(seconds=1)), "run", "--once", *files)[0] == 0  # 24 h reminder
    status.write_text(STATUS.replace("starts: 2026-12-02T10:00", "starts: 2026-12-02T09:30"))  # moved
    assert herald(capsys, FakeClock(T0 + timedelta(hours=1)), "run", "--once", *files)[0] == 0
    code, out, _ = herald(capsys, FakeClock(T0 + timedelta(hours=1)), "history", "--json", *files)
    whats = {json.loads(line)["what"] for line in out.splitlines()}
    assert {"maintenance: changed", "maintenance: reminder 24 hours ahead (the window before it moved)"} <= whats, whats
    status.write_text(STATUS.replace("starts: 2026-12-02T10:00", "starts: 2026-12-02T09:30")
                      .replace("    ends: 2026-12-02T11:00\n", "    ends: 2026-12-02T11:00\n    cancelled: true\n"))
    assert herald(capsys, FakeClock(T0 + timedelta(hours=2)), "run", "--once", *files)[0] == 0
    code, out, _ = herald(capsys, FakeClock(T0 + timedelta(hours=2)), "history", "--json", *files)
    whats = {json.loads(line)["what"] for line in out.splitlines()}
    assert {"maintenance: changed", "maintenance: cancelled"} <= whats, whats
    assert "maintenance" not in whats


@pytest.mark.slow
def test_a_section_comment_after_a_block_list_moves_with_the_section(capsys, tmp_path):
    calendar, status, files = given(tmp_path, (ROOT / "content_calendar.yaml").read_text(), textwrap.dedent("""\
        components:
          checkout: {name: Checkout}
        maintenance:
          - id: old
            title: Old window
            starts: 2027-01-10T03:00
            ends: 2027-01-10T04:00
            components:
              - checkout
            # old's own note

        # Incidents section
        incidents: []
        """))
    assert herald(capsys, FakeClock(T0), "maintenance", "add", *files, "--id", "new", "--title", "New window",
                  "--starts", "2027-02-10T03:00", "--ends", "2027-02-10T04:00")[0] == 0
    text = status.read_text()
    assert "      - checkout\n    # old's own note\n  - id: new\n" in text, text
    assert "\n\n# Incidents section\nincidents: []" in text, text


@pytest.mark.parametrize("command", ["retry", "skip"])
@pytest.mark.slow
def test_retry_and_skip_without_a_ledger_say_so_and_create_none(capsys, tmp_path, command):
    calendar = tmp_path / "content_calendar.yaml"
    calendar.write_text(CALENDAR)
    code, _, err = herald(capsys, FakeClock(T0), command, "abcd1234", "--calendar", str(calendar))
    assert code == 2 and err.startswith("herald: no publication with key 'abcd1234' (no ledger yet at "), err
    assert not (tmp_path / ".herald").exists()


@pytest.mark.slow
def test_pause_that_makes_the_ledger_logs_it_in_the_brands_zone(capsys, tmp_path):
    calendar = tmp_path / "content_calendar.yaml"
    calendar.write_text(CALENDAR)
    code, _, err = herald(capsys, FakeClock(T0), "pause", "--calendar", str(calendar))
    created = [line for line in err.splitlines() if "created a new ledger" in line]
    assert code == 0 and created and datetime.fromisoformat(created[0].split(" ", 1)[0]).utcoffset() == timedelta(hours=1)


@pytest.mark.slow
def test_status_without_a_ledger_says_no_engine_has_run(capsys, tmp_path):
    calendar, status = tmp_path / "content_calendar.yaml", tmp_path / "status.yaml"
    calendar.write_text(CALENDAR)
    status.write_text(STATUS)
    code, out, _ = herald(capsys, FakeClock(T0 + timedelta(minutes=5)), "status", "--calendar", str(calendar))
    assert code == 0 and "announced: site: not yet (no engine has run)" in out, out
    code, out, _ = herald(capsys, FakeClock(T0 + timedelta(days=2)), "status", "--calendar", str(calendar))
    assert code == 0 and "announced: site: never (older than its catch-up window; no engine has run)" in out, out
    assert "not yet" not in out and not (tmp_path / ".herald").exists()


@pytest.mark.slow
def test_a_closed_pipe_behind_dash_o_dev_stdout_ends_the_command_quietly(tmp_path):
    """`export-ical -o /dev/stdout | head -1` said "cannot write it: Broken pipe" and exited 3."""
    calendar = tmp_path / "content_calendar.yaml"
    posts = "".join(f"  - id: tip-{n}\n    kind: tip\n    networks: [site]\n    at: 2027-01-01T09:{n % 60:02d}\n"
                    f"    text: Tip number {n}, one of many, long enough to fill a pipe.\n" for n in range(600))
    calendar.write_text("brand: {name: Acme, timezone: UTC}\nnetworks:\n  site: {type: site}\nposts:\n" + posts)
    proc = subprocess.Popen([sys.executable, "-m", "scheduler.cli", "export-ical", "--calendar", str(calendar),
                             "--from", "2027-01-01", "--days", "2", "-o", "/dev/stdout"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    assert proc.stdout.readline().startswith(b"BEGIN:VCALENDAR")
    proc.stdout.close()  # as `| head -1` does; the calendar is far bigger than a pipe holds
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert err == "" and proc.returncode in (0, 141), err


def test_serve_logs_in_the_brands_zone_as_the_engine_does(tmp_path):
    """`herald serve` logged at +00:00 while the engine logged at the brand's +01:00."""
    import argparse

    from scheduler.cli.web import context
    from scheduler.logformat import log_time, set_zone

    calendar = tmp_path / "content_calendar.yaml"
    calendar.write_text(CALENDAR)
    args = argparse.Namespace(calendar=str(calendar), status=str(tmp_path / "status.yaml"), state=None)
    set_zone(None)
    try:
        ctx = context(args, FakeClock(T0))
        ctx.close()
        assert log_time(datetime(2026, 7, 1, 12, tzinfo=UTC)).endswith("+02:00")  # Berlin in summer
        assert log_time(datetime(2026, 12, 1, 12, tzinfo=UTC)).endswith("+01:00")
    finally:
        set_zone(None)
