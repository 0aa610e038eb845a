"""Maintenance updates (issue 26): ``in_progress``, ``verifying``, ``completed`` and a delay that
moves ``ends``, each with a message, from ``status.yaml`` (``updates:`` on a window) and the
command line (``herald maintenance update|delay|complete``); on the page, in the API
(``incident_updates`` as Statuspage lists them), the feeds, ``status.ics`` and the networks
(threaded under the window's first announcement, each update once per account)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from campaigns.calendar import loads as load_calendar
from scheduler.cli import main
from scheduler.clock import FakeClock
from status.announce import announcements
from status.load import loads
from tests.conftest import calendar_text
from tests.test_web_site import CALENDAR, client

WINDOW = """\
status_page: https://status.acme.example
components:
  checkout: {name: Checkout}
maintenance:
  - id: db
    title: Database upgrade
    starts: 2026-12-05T02:00
    ends: 2026-12-05T03:00
    components: [checkout]
    message: Checkout is unavailable for up to an hour.
"""
UPDATES = [
    "      - at: 2026-12-05T02:05\n        state: in_progress\n"
    "        message: We're copying the data to the new servers.\n",
    "      - at: 2026-12-05T02:50\n        state: in_progress\n"
    "        message: Copying the data takes longer than we planned.\n        ends: 2026-12-05T03:30\n",
    "      - at: 2026-12-05T03:20\n        state: verifying\n"
    "        message: The new servers are up; we're checking every way to pay.\n",
    "      - at: 2026-12-05T03:25\n        state: completed\n        message: Checkout works again on the new servers.\n",
]


def window(updates: int = 4) -> str:
    return WINDOW + ("    updates:\n" + "".join(UPDATES[:updates]) if updates else "")


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in Berlin in December (UTC+1), as UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC) - timedelta(hours=1)


@pytest.fixture
def site(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("HERALD_REVIEW_TOKEN", raising=False)
    (tmp_path / "cal.yaml").write_text(CALENDAR)
    (tmp_path / "status.yaml").write_text(window())
    return tmp_path


# -- the file --------------------------------------------------------------------------------------
def test_a_windows_updates_are_read_with_their_states_messages_and_the_delay():
    from status.maintenance import maintenance_state, planned_end, window_end

    m = loads(window()).maintenance[0]
    assert [(u.state, u.ends is not None) for u in m.updates] == [
        ("in_progress", False), ("in_progress", True), ("verifying", False), ("completed", False)]
    assert planned_end(m) == datetime(2026, 12, 5, 3, 30, tzinfo=UTC)  # (read in UTC: no calendar)
    assert window_end(m) == datetime(2026, 12, 5, 3, 25, tzinfo=UTC)  # completed before its planned end
    states = [maintenance_state(m, datetime(2026, 12, 5, h, mi, tzinfo=UTC))
              for h, mi in ((1, 0), (2, 0), (2, 55), (3, 21), (3, 26))]
    assert states == ["scheduled", "in_progress", "in_progress", "verifying", "completed"]
    late = loads(window(2)).maintenance[0]
    assert window_end(late) == datetime(2026, 12, 5, 3, 30, tzinfo=UTC)
    assert maintenance_state(late, datetime(2026, 12, 5, 3, 10, tzinfo=UTC)) == "in_progress"  # delayed: still on


@pytest.mark.parametrize("update, expected", [
    ("      - {at: '2026-12-05T02:10', state: in_progress, message: Later.}\n"
     "      - {at: '2026-12-05T02:10', state: verifying, message: Same time.}\n", "13:14: update at 2026-12-05T02:10 "
                                                                                  "is not after the previous one"),
    ("      - {at: '2026-12-05T02:10', state: completed, message: Done.}\n"
     "      - {at: '2026-12-05T02:20', state: verifying, message: After.}\n", "13:41: maintenance 'db' was completed"),
    ("      - {at: '2026-12-05T02:10', state: scheduled, message: Soon.}\n", "12:41: a window that has started"),
    ("      - {at: '2026-12-05T02:10', state: completed, message: Done., ends: '2026-12-05T04:00'}\n",
     "12:74: a completed update moves no end"),
    ("      - {at: '2026-12-05T02:10', state: in_progress, message: Slow., ends: '2026-12-05T02:05'}\n",
     "12:76: ends (2026-12-05T02:05) is not after the update"),
    ("      - {at: '2026-12-05T03:10', state: in_progress, message: Still on.}\n", "12:14: the window ended at "),
    ("      - {at: '2026-12-05T02:10', state: running, message: Hm.}\n", "12:41: "),
    ("      - {at: '2026-12-05T01:10', state: completed, message: Done before it began.}\n",
     "12:41: a window cannot be completed before it starts"),
    ("      - {at: '2026-12-05T01:40', state: in_progress, message: We started early.}\n"
     "      - {at: '2026-12-05T01:50', state: scheduled, message: Paused; we start as planned.}\n",
     "13:41: the work began at 2026-12-05T01:40"),
    # after the end (03:00) the window's "complete" went out: neither a completion nor a delay follows it
    ("      - {at: '2026-12-05T03:10', state: completed, message: Done now.}\n", "12:14: the window ended at "),
    ("      - {at: '2026-12-05T03:10', state: in_progress, message: More., ends: '2026-12-05T04:00'}\n",
     "12:14: the window ended at "),
])
def test_a_wrong_maintenance_update_is_a_located_error(update, expected):
    from campaigns.errors import InvalidInput

    with pytest.raises(InvalidInput) as found:
        loads(window(0) + "    updates:\n" + update, path="status.yaml")
    assert any(line.startswith(f"status.yaml:{expected}") for line in str(found.value).splitlines()), str(found.value)


# -- the API: incident_updates on scheduled maintenances, as Statuspage lists them -------------------
def test_a_completed_window_in_the_api_has_its_whole_timeline_newest_first(site):
    web = client(site, FakeClock(berlin(5, 3, 40)))
    (m,) = web.get("/api/v2/scheduled-maintenances.json").json()["scheduled_maintenances"]
    assert m["status"] == "completed"
    assert [(u["status"], u["display_at"], u["body"]) for u in m["incident_updates"]] == [
        ("completed", "2026-12-05T03:25:00+01:00", "Checkout works again on the new servers."),
        ("verifying", "2026-12-05T03:20:00+01:00", "The new servers are up; we're checking every way to pay."),
        ("in_progress", "2026-12-05T02:50:00+01:00", "Copying the data takes longer than we planned."),
        ("in_progress", "2026-12-05T02:05:00+01:00", "We're copying the data to the new servers."),
        ("in_progress", "2026-12-05T02:00:00+01:00", "The maintenance has started."),
        ("scheduled", "2026-12-04T02:00:00+01:00", "Checkout is unavailable for up to an hour.")]
    assert {u["status"] for u in m["incident_updates"]} <= {"scheduled", "in_progress", "verifying", "completed"}
    assert (m["scheduled_for"], m["scheduled_until"]) == ("2026-12-05T02:00:00+01:00", "2026-12-05T03:30:00+01:00")
    assert m["resolved_at"] == "2026-12-05T03:25:00+01:00" and m["updated_at"] == m["resolved_at"]
    assert m["incident_updates"][1]["affected_components"] == [
        {"code": "checkout", "name": "Checkout", "old_status": "under_maintenance", "new_status": "under_maintenance"}]
    assert m["incident_updates"][0]["affected_components"][0]["new_status"] == "operational"


def test_a_window_without_updates_still_shows_its_start_and_end_once_it_is_over(site):
    (site / "status.yaml").write_text(window(0))
    (m,) = client(site, FakeClock(berlin(5, 4))).get("/api/v2/scheduled-maintenances.json").json()[
        "scheduled_maintenances"]
    assert [u["status"] for u in m["incident_updates"]] == ["completed", "in_progress", "scheduled"]


def test_while_verifying_the_window_is_active_and_its_components_under_maintenance(site):
    web = client(site, FakeClock(berlin(5, 3, 22)))
    summary = web.get("/api/v2/summary.json").json()
    assert [m["status"] for m in summary["scheduled_maintenances"]] == ["verifying"]
    assert [m["id"] for m in web.get("/api/v2/scheduled-maintenances/active.json").json()[
        "scheduled_maintenances"]] == ["db"]
    assert [c["status"] for c in summary["components"]] == ["under_maintenance"]
    assert summary["status"]["indicator"] == "maintenance"


# -- the page ----------------------------------------------------------------------------------------
def test_the_maintenance_page_shows_its_timeline_and_the_home_page_the_latest_word(site):
    (site / "status.yaml").write_text(window(2))
    web = client(site, FakeClock(berlin(5, 2, 55)))
    page = web.get("/maintenance/db/").text
    timeline = re.findall(r'<strong class="state">([^<]+)</strong> · <time datetime="([^"]+)"', page)
    assert timeline == [("Delayed", "2026-12-05T02:50:00+01:00"), ("In progress", "2026-12-05T02:05:00+01:00"),
                        ("In progress", "2026-12-05T02:00:00+01:00"), ("Scheduled", "2026-12-04T02:00:00+01:00")]
    assert "Copying the data takes longer than we planned." in page
    assert '<time datetime="2026-12-05T03:30:00+01:00">' in page  # the end it now expects
    home = web.get("/").text
    active = home[home.index('id="active-h"'):home.index('id="comp-h"')]
    assert "Database upgrade" in active and "Copying the data takes longer than we planned." in active


# -- the feeds ---------------------------------------------------------------------------------------
ATOM = {"a": "http://www.w3.org/2005/Atom"}


def _atom(site: Path, now: datetime) -> dict[str, tuple[str, str, str]]:
    feed = ET.fromstring(client(site, FakeClock(now)).get("/feed.atom").content)
    return {e.findtext("a:id", "", ATOM): (e.findtext("a:updated", "", ATOM), e.findtext("a:title", "", ATOM),
                                           e.findtext("a:content", "", ATOM))
            for e in feed.findall("a:entry", ATOM) if "maintenance" in e.findtext("a:id", "", ATOM)}


def test_each_update_is_a_feed_entry_and_the_windows_entry_is_updated_at_its_last_update_never_when_read(site):
    first, later = _atom(site, berlin(5, 4)), _atom(site, berlin(7, 9))
    assert first == later  # whenever it is read
    (window_id,) = [k for k in first if "@" in k]
    assert first[window_id][0] == "2026-12-05T03:25:00+01:00"  # its last update
    updates = sorted(v for k, v in first.items() if k != window_id)
    assert [(at, title) for at, title, _ in updates] == [
        ("2026-12-05T02:05:00+01:00", "In progress: Database upgrade"),
        ("2026-12-05T02:50:00+01:00", "Delayed: Database upgrade"),
        ("2026-12-05T03:20:00+01:00", "Verifying: Database upgrade"),
        ("2026-12-05T03:25:00+01:00", "Completed: Database upgrade")]
    items = json.loads(client(site, FakeClock(berlin(5, 4))).get("/feed.json").text)["items"]
    assert sum(1 for i in items if i["id"].startswith("maintenance:db:update:")) == 4


# -- status.ics ----------------------------------------------------------------------------------------
def test_a_delay_moves_the_events_end_and_raises_its_sequence(site):
    from icalendar import Calendar

    def event(updates: int) -> object:
        (site / "status.yaml").write_text(window(updates))
        body = client(site, FakeClock(berlin(5, 2, 55))).get("/status.ics").content
        return next(e for e in Calendar.from_ical(body).walk("VEVENT") if str(e["uid"]).startswith("maintenance.db@"))

    planned, delayed, done = event(0), event(2), event(4)
    assert planned["dtend"].dt == berlin(5, 3) and int(planned.get("sequence", 0)) == 0
    assert delayed["dtend"].dt == berlin(5, 3, 30) and int(delayed["sequence"]) == 1
    assert done["dtend"].dt == berlin(5, 3, 25) and int(done["sequence"]) == 2  # it ended earlier than that
    assert "Copying the data takes longer than we planned." in str(delayed["description"])


# -- the networks: threaded under the window's first announcement, once per account ---------------------
NETWORK_CALENDAR = load_calendar(calendar_text("- {id: tip, kind: tip, networks: [site], at: '2026-11-01T10:00', "
                                               "text: Sofa care tip}"))


def pubs_of(text: str) -> list:
    status = loads(text, NETWORK_CALENDAR)
    return [p for p in announcements(NETWORK_CALENDAR, status, berlin(1, 0), berlin(9, 0), {"site", "x"})
            if p.post == "db"]


def test_each_update_is_one_publication_per_account_replying_under_the_first_reminder():
    pubs = pubs_of(window())
    x = [p for p in pubs if p.network == "x"]
    assert [p.role for p in x] == ["maintenance.reminder", "maintenance.reminder", "maintenance.start",
                                   "maintenance.in_progress", "maintenance.delayed", "maintenance.verifying",
                                   "maintenance.completed"]  # no end of its own: the completion says it
    root = x[0]
    assert all(p.thread_root == root.key for p in x[1:]) and root.thread_root is None
    assert [p.thread_fallbacks for p in x[:3]] == [(), (), (x[1].key,)]  # if the first never went out
    assert len({p.key for p in pubs}) == len(pubs) == 14
    assert "We're copying the data to the new servers." in x[3].text
    assert "03:30" in x[4].text and "Copying the data takes longer than we planned." in x[4].text
    # the keys hold when a message is corrected and when a later update comes
    fixed = pubs_of(window().replace("to the new servers.\n", "to the new database servers.\n", 1))
    assert [p.key for p in fixed] == [p.key for p in pubs]
    early = {p.key for p in pubs_of(window(1))}
    assert early <= {p.key for p in pubs} | {p.key for p in pubs_of(window(1)) if p.role == "maintenance.end"}


def test_the_end_post_moves_with_a_delay_and_an_update_before_the_start_replaces_the_start_post():
    ends = {n: [p.at for p in pubs_of(window(n)) if p.role == "maintenance.end" and p.network == "x"]
            for n in (0, 2)}
    assert ends == {0: [berlin(5, 3)], 2: [berlin(5, 3, 30)]}
    early = window(0) + "    updates:\n      - at: 2026-12-05T01:55\n        state: in_progress\n        message: We started.\n"
    assert [p.role for p in pubs_of(early) if p.network == "x"][2:] == ["maintenance.in_progress", "maintenance.end"]


def _hooked_run(tmp_path: Path, text: str, times: list[datetime]) -> tuple[list[dict], dict]:
    """The webhook bodies a window's announcements send when the engine runs at ``times``."""
    from tests.receiver import Receiver

    with Receiver() as receiver:
        calendar = tmp_path / "cal.yaml"
        calendar.write_text("brand: {name: Acme, timezone: Europe/Berlin}\n"
                            f"networks:\n  site: {{type: site}}\n  hooks: {{type: webhook, url: '{receiver.url}/in'}}\n"
                            "posts: []\n")
        status = tmp_path / "status.yaml"
        status.write_text(text.replace("    components: [checkout]\n", "    components: [checkout]\n    networks: [hooks]\n"))
        common = ["--calendar", str(calendar), "--status", str(status), "--state", f"sqlite:///{tmp_path / 'l.db'}"]
        for when in times:
            assert main(["run", "--once", *common], clock=FakeClock(when)) == 0
        bodies = [json.loads(d["body"]) if isinstance(d.get("body"), str) else d["body"] for d in receiver.deliveries]
        return bodies, dict(receiver.accepted)


def test_a_delay_before_the_start_is_announced_as_a_change_to_the_plan_not_as_running_late():
    text = window(0) + "    updates:\n      - {at: '2026-12-04T10:00', state: scheduled, message: We need more time., " \
                       "ends: '2026-12-05T04:00'}\n"
    status = loads(text, NETWORK_CALENDAR)
    (moved,) = [p for p in pubs_of(text) if p.network == "x" and p.at == berlin(4, 10)]
    assert moved.role == "maintenance.changed" and "taking longer" not in moved.text
    assert moved.text == "Change to planned maintenance: Database upgrade now runs Sat 5 Dec, 02:00-04:00 CET. " \
                         "We need more time."
    from status.announce import headline
    from status.notices import notices

    assert headline(moved, status, NETWORK_CALENDAR.brand.tz).startswith("Maintenance rescheduled: Database upgrade")
    (notice,) = [n for n in notices(status, berlin(4, 9), berlin(4, 11))]
    assert notice.subject == "Rescheduled: Database upgrade"
    # after the start the same delay runs late
    late = window(0) + "    updates:\n      - {at: '2026-12-05T02:50', state: in_progress, message: Slow., " \
                       "ends: '2026-12-05T04:00'}\n"
    (slow,) = [p for p in pubs_of(late) if p.network == "x" and p.at == berlin(5, 2, 50)]
    assert slow.role == "maintenance.delayed" and "taking longer than planned" in slow.text


def test_the_networks_get_each_update_once_as_a_reply_to_the_first_announcement(tmp_path):
    bodies, accepted = _hooked_run(tmp_path, window(), [
        berlin(4, 2), berlin(5, 1), berlin(5, 2), berlin(5, 2, 5), berlin(5, 2, 50), berlin(5, 2, 50),
        berlin(5, 3, 20), berlin(5, 3, 25), berlin(5, 3, 25)])
    root = bodies[0]
    assert root["reply_to"] is None and "in 24 hours" in root["text"]
    replies = [b for b in bodies if "Database upgrade" in b["text"] and b is not root and b["reply_to"]]
    # the 1 h reminder, the start and the four updates
    assert len(replies) == 6 and {b["reply_to"] for b in replies} == {accepted[root["key"]]["id"]}
    assert len({b["key"] for b in bodies}) == len(bodies)  # each once, though the engine ran twice at 02:50 and 03:25


def test_a_window_first_seen_after_its_first_reminder_threads_under_the_first_announcement_sent(tmp_path):
    # the engine first runs 6 h before the start: the 24 h reminder never goes out, the 1 h one does
    bodies, accepted = _hooked_run(tmp_path, window(), [berlin(4, 20), berlin(5, 1), berlin(5, 2), berlin(5, 2, 5),
                                                         berlin(5, 2, 50), berlin(5, 3, 20), berlin(5, 3, 25)])
    root = bodies[0]
    assert "in 1 hour" in root["text"] and root["reply_to"] is None
    assert len(bodies) == 6 and all(b["reply_to"] == accepted[root["key"]]["id"] for b in bodies[1:])
    assert {b["thread_key"] for b in bodies} == {root["key"]}


# -- the command line ----------------------------------------------------------------------------------
def test_update_delay_and_complete_write_the_windows_updates(site, capsys):
    (site / "status.yaml").write_text(window(0))
    common = ["--calendar", str(site / "cal.yaml"), "--status", str(site / "status.yaml")]
    assert main(["maintenance", "update", "db", *common, "--state", "in_progress", "-m", "We've started."],
                clock=FakeClock(berlin(5, 2, 1))) == 0
    assert main(["maintenance", "delay", "db", *common, "--by", "30m", "-m", "It takes longer."],
                clock=FakeClock(berlin(5, 2, 40))) == 0
    out = capsys.readouterr().out
    assert "db: in_progress at 2026-12-05 02:01:00 CET" in out and "now ends 2026-12-05 03:30 CET" in out
    assert main(["maintenance", "delay", "db", *common, "--until", "2026-12-05T03:45", "-m", "A little more."],
                clock=FakeClock(berlin(5, 3, 10))) == 0
    assert main(["maintenance", "update", "db", *common, "--state", "verifying", "-m", "Checking."],
                clock=FakeClock(berlin(5, 3, 20))) == 0
    assert main(["maintenance", "complete", "db", *common, "-m", "All done."], clock=FakeClock(berlin(5, 3, 30))) == 0
    text = (site / "status.yaml").read_text()
    assert "        ends: 2026-12-05T03:30\n" in text and "        ends: 2026-12-05T03:45\n" in text
    m = loads(text, load_calendar(CALENDAR)).maintenance[0]
    assert [(u.state, u.message) for u in m.updates] == [
        ("in_progress", "We've started."), ("in_progress", "It takes longer."), ("in_progress", "A little more."),
        ("verifying", "Checking."), ("completed", "All done.")]


@pytest.mark.parametrize("argv, words", [
    (["update", "nope", "--state", "in_progress", "-m", "x"], "no maintenance window 'nope' in the status file"),
    (["update", "db", "--state", "in-progress", "-m", "x"], "--state 'in-progress': did you mean 'in_progress'?"),
    (["delay", "db", "-m", "x"], "one of the arguments --until --by is required"),
    (["delay", "db", "--by", "-30m", "-m", "x"], "--by"),
    (["delay", "db", "--until", "2026-12-05T02:30", "-m", "x"], "--until 2026-12-05T02:30: the window would end"),
    # an earlier end is no delay: it was announced as "taking longer than planned" (the attack)
    (["delay", "db", "--until", "2026-12-05T02:55", "-m", "x"], "not later than the end planned now (2026-12-05 03:00"),
    (["update", "db", "--state", "in_progress", "-m", "   "], "-m: empty"),  # said nothing; the engine refused it
])
def test_a_wrong_maintenance_command_is_one_line_exit_2_and_writes_nothing(site, capsys, argv, words):
    (site / "status.yaml").write_text(window(1))
    before = (site / "status.yaml").read_text()
    common = ["--calendar", str(site / "cal.yaml"), "--status", str(site / "status.yaml")]
    code = main(["maintenance", argv[0], argv[1], *common, *argv[2:]], clock=FakeClock(berlin(5, 2, 40)))
    err = capsys.readouterr().err
    assert code == 2 and words in err and len(err.strip().splitlines()) <= 2, err  # (argparse adds its usage line)
    assert (site / "status.yaml").read_text() == before


def test_a_window_that_has_not_started_cannot_be_completed_only_cancelled(site, capsys):
    (site / "status.yaml").write_text(window(0))
    common = ["--calendar", str(site / "cal.yaml"), "--status", str(site / "status.yaml")]
    assert main(["maintenance", "complete", "db", *common, "-m", "Done."], clock=FakeClock(berlin(5, 1))) == 2
    assert "herald maintenance cancel db" in capsys.readouterr().err


def test_herald_status_lists_the_open_and_upcoming_windows_as_the_page_reads_them(site, capsys):
    (site / "status.yaml").write_text(window(2) + WINDOW.split("maintenance:\n")[1].replace("id: db", "id: later")
                                      .replace("2026-12-05", "2026-12-12").replace("Database upgrade", "Disk swap")
                                      + WINDOW.split("maintenance:\n")[1].replace("id: db", "id: old")
                                      .replace("2026-12-05", "2026-11-20").replace("Database upgrade", "Old work"))
    common = ["--calendar", str(site / "cal.yaml"), "--status", str(site / "status.yaml")]
    assert main(["status", *common], clock=FakeClock(berlin(5, 2, 55))) == 0
    out = capsys.readouterr().out
    assert "2 maintenance windows:\n" in out and "old" not in out and "Old work" not in out  # over: not listed
    assert "  db  Database upgrade: In progress, Sat 05 Dec 2026, 02:00 CET to Sat 05 Dec 2026, 03:30 CET\n" \
           "    last update Sat 05 Dec 2026, 02:50 CET: Copying the data takes longer than we planned.\n" in out
    assert "  later  Disk swap: Scheduled, Sat 12 Dec 2026, 02:00 CET to Sat 12 Dec 2026, 03:00 CET\n" in out


def test_the_command_line_names_only_the_accounts_that_announce_it(site, capsys):
    # Instagram needs an image in every post: announcements skip it, so the CLI does not promise it
    (site / "cal.yaml").write_text(CALENDAR.replace("  x: {type: x}\n",
                                                    "  x: {type: x}\n  insta: {type: instagram, user_id: '1789'}\n"))
    (site / "status.yaml").write_text(window(0))
    common = ["--calendar", str(site / "cal.yaml"), "--status", str(site / "status.yaml")]
    assert main(["maintenance", "update", "db", *common, "--state", "in_progress", "-m", "Started."],
                clock=FakeClock(berlin(5, 2, 1))) == 0
    assert main(["incident", "declare", "--title", "Slow", "--impact", "minor", "--id", "slow", "-m", "Slow.", *common],
                clock=FakeClock(berlin(5, 2, 2))) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.rsplit(" on ", 1)[1] for line in out if "announces it" in line] == ["site, x", "site, x"], out


def test_scheduled_after_the_work_began_is_refused_on_the_command_line(site, capsys):
    (site / "status.yaml").write_text(window(0) + "    updates:\n      - at: 2026-12-05T01:40\n"
                                      "        state: in_progress\n        message: We started early.\n")
    before = (site / "status.yaml").read_text()
    common = ["--calendar", str(site / "cal.yaml"), "--status", str(site / "status.yaml")]
    assert main(["maintenance", "update", "db", *common, "--state", "scheduled", "-m", "Paused."],
                clock=FakeClock(berlin(5, 1, 50))) == 2
    err = capsys.readouterr().err
    assert "the work on maintenance 'db' began at 2026-12-05 01:40 CET" in err and len(err.strip().splitlines()) == 1, err
    assert (site / "status.yaml").read_text() == before


def test_a_window_past_its_end_takes_no_completion_or_delay_unless_a_delay_came_in_time(site, capsys):
    (site / "status.yaml").write_text(window(1))  # ends 03:00, no delay
    before = (site / "status.yaml").read_text()
    common = ["--calendar", str(site / "cal.yaml"), "--status", str(site / "status.yaml")]
    for argv in (["complete", "db", "-m", "Done now."], ["delay", "db", "--by", "30m", "-m", "More."],
                 ["update", "db", "--state", "verifying", "-m", "Checking."]):
        assert main(["maintenance", *argv, *common], clock=FakeClock(berlin(5, 3, 10))) == 2
        err = capsys.readouterr().err
        assert "maintenance 'db' is over: it ended at 2026-12-05 03:00 CET" in err, err
        assert "herald incident declare" in err and len(err.strip().splitlines()) == 1, err
    assert (site / "status.yaml").read_text() == before
    # delayed to 03:30 in time: at 03:10 it is still going on
    assert main(["maintenance", "delay", "db", *common, "--by", "30m", "-m", "More."],
                clock=FakeClock(berlin(5, 2, 50))) == 0
    assert main(["maintenance", "complete", "db", *common, "-m", "Done."], clock=FakeClock(berlin(5, 3, 10))) == 0
    ends = [p for p in pubs_of((site / "status.yaml").read_text()) if p.network == "x"
            and p.role in ("maintenance.end", "maintenance.completed")]
    assert [(p.role, p.at) for p in ends] == [("maintenance.completed", berlin(5, 3, 10))]  # one "complete"


def test_work_begun_before_the_start_puts_the_components_under_maintenance_from_then(site):
    (site / "status.yaml").write_text(window(0) + "    updates:\n      - at: 2026-12-05T01:40\n"
                                      "        state: in_progress\n        message: We started early.\n")
    from status.components import spans

    status = loads((site / "status.yaml").read_text(), load_calendar(CALENDAR))
    (span,) = spans(status, berlin(5, 0), berlin(5, 4), berlin(5, 4))
    assert (span.start, span.end, span.state) == (berlin(5, 1, 40), berlin(5, 3), "under_maintenance")
    summary = client(site, FakeClock(berlin(5, 1, 45))).get("/api/v2/summary.json").json()
    assert [c["status"] for c in summary["components"]] == ["under_maintenance"]


def test_a_completed_window_takes_no_more_updates(site, capsys):
    common = ["--calendar", str(site / "cal.yaml"), "--status", str(site / "status.yaml")]
    before = (site / "status.yaml").read_text()
    for argv in (["complete", "db", "-m", "Again."], ["delay", "db", "--by", "1h", "-m", "More."]):
        assert main(["maintenance", *argv, *common], clock=FakeClock(berlin(5, 3, 40))) == 2
        assert "was completed at" in capsys.readouterr().err
    assert (site / "status.yaml").read_text() == before


# -- subscribers hear of each update once ----------------------------------------------------------------
def test_each_update_is_a_notice_with_its_own_key():
    from status.notices import notices

    status = loads(window())
    found = [n for n in notices(status, datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 9, tzinfo=UTC))
             if n.path == "maintenance/db/"]
    assert [n.subject for n in found] == [
        "Maintenance in 24 hours: Database upgrade", "Maintenance in 1 hour: Database upgrade",
        "Maintenance under way: Database upgrade", "In progress: Database upgrade", "Delayed: Database upgrade",
        "Verifying: Database upgrade", "Completed: Database upgrade"]
    assert len({n.key for n in found}) == 7 and found[4].message == "Copying the data takes longer than we planned."
