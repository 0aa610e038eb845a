"""iCal export: what a calendar client expands must be exactly what `herald plan` prints."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import pytest
import recurring_ical_events
from icalendar import Calendar as VCalendar

from campaigns.calendar import loads
from campaigns.ical import export
from campaigns.plan import Publication, plan
from tests.conftest import ROOT, calendar_text, missing_tool

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

SERIES = """
- id: weekly
  kind: tracking
  networks: [site, hooks]
  starts: 2026-01-05
  rrule: FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=10;BYMINUTE=0
  exdates: [2026-12-24, '2027-01-04T10:00']
  variants: ["Track {links.order_tracking}", "Status: {links.order_tracking}"]
- id: night-owl
  kind: tip
  networks: [site]
  starts: 2026-03-01
  rrule: FREQ=DAILY;BYHOUR=2;BYMINUTE=30
  text: "Night tip for {weekday}"
- id: last-workday
  kind: reminder
  networks: [site]
  timezone: America/New_York
  starts: 2026-01-01T18:00
  rrule: FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1
  text: late opening
- id: fortnightly
  kind: tip
  campaign: winter
  rrule: FREQ=WEEKLY;INTERVAL=2;BYDAY=WE;BYHOUR=9;BYMINUTE=30
  text: "{season} care"
- id: counted
  kind: tip
  networks: [site]
  starts: 2026-11-01T12:00:30
  rrule: FREQ=DAILY;INTERVAL=3;COUNT=40
  text: counted
- id: leap
  kind: reminder
  networks: [site]
  starts: 2024-01-01
  rrule: FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=12;BYMINUTE=0
  text: leap day
- id: once
  kind: announcement
  networks: [site, hooks]
  at: 2027-03-28T03:00
  text: one-off
"""


def expected_instants(publications: list[Publication]) -> dict[tuple[str, str], list[datetime]]:
    """(post, network) -> the UTC instants planned: what an expanded export must equal."""
    out: dict[tuple[str, str], list[datetime]] = {}
    for pub in publications:
        out.setdefault((pub.post, pub.network), []).append(pub.at.astimezone(UTC))
    return out


def expand(ics: bytes, start: datetime, end: datetime) -> dict[tuple[str, str], list[datetime]]:
    """What a client shows, by (post, network), as UTC instants (an independent expander)."""
    parsed = VCalendar.from_ical(ics)
    out: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for event in recurring_ical_events.of(parsed).between(start, end):
        key = (str(event["X-HERALD-POST"]), str(event["X-HERALD-NETWORK"]))
        out[key].append(event.decoded("dtstart").astimezone(UTC))
    return {k: sorted(v) for k, v in out.items()}


WINDOWS = [
    ("winter, Berlin", "Europe/Berlin", datetime(2026, 11, 23, tzinfo=UTC), 120),
    ("spring DST, Berlin", "Europe/Berlin", datetime(2027, 3, 1, tzinfo=UTC), 60),
    ("autumn DST, Berlin", "Europe/Berlin", datetime(2026, 10, 1, tzinfo=UTC), 60),
    ("a year, Sydney", "Australia/Sydney", datetime(2026, 3, 1, tzinfo=UTC), 400),
    ("leap years, New York", "America/New_York", datetime(2027, 6, 1, tzinfo=UTC), 1000),
]


@pytest.mark.parametrize("name, tz, start, days", WINDOWS, ids=[w[0] for w in WINDOWS])
@pytest.mark.slow
def test_expanded_export_equals_the_plan(name, tz, start, days):
    calendar = loads(calendar_text(SERIES, tz))
    end = start + (datetime(2026, 1, 2) - datetime(2026, 1, 1)) * days
    planned = expected_instants(plan(calendar, start, end))
    exported = expand(export(calendar, start, end, NOW).to_ical(), start, end)
    assert planned  # the window is not empty
    assert exported == planned


def test_dst_gap_and_fold_instances_are_pinned_in_utc():
    calendar = loads(calendar_text(SERIES))
    start, end = datetime(2027, 3, 26, tzinfo=UTC), datetime(2027, 3, 30, tzinfo=UTC)
    cal = export(calendar, start, end, NOW)
    events = [e for e in cal.walk("VEVENT") if str(e["X-HERALD-POST"]) == "night-owl"]
    series = [e for e in events if "RRULE" in e]
    pinned = [e for e in events if "RRULE" not in e]
    assert len(series) == 1 and len(pinned) == 1
    assert pinned[0].decoded("dtstart") == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 03:30 CEST
    assert b"DTSTART:20270328T013000Z" in pinned[0].to_ical()
    exdates = [d.dt for prop in [series[0]["EXDATE"]] for d in (prop if isinstance(prop, list) else [prop])
               for d in d.dts]
    assert [d.replace(tzinfo=None) for d in exdates] == [datetime(2027, 3, 28, 2, 30)]


def test_uids_are_stable_across_exports_and_windows():
    calendar = loads(calendar_text(SERIES))
    a = export(calendar, datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC), NOW)
    b = export(calendar, datetime(2026, 12, 8, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC),
               datetime(2026, 12, 8, tzinfo=UTC))
    uids = lambda cal: {str(e["UID"]) for e in cal.walk("VEVENT")}  # noqa: E731
    assert uids(a) == uids(b)
    assert "weekly.site@acme-furniture.herald" in uids(a)
    assert len({str(e["UID"]) for e in a.walk("VEVENT")}) == len(a.walk("VEVENT"))


def test_export_has_proper_vtimezones_and_full_texts():
    calendar = loads(calendar_text(SERIES))
    cal = export(calendar, datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC), NOW)
    zones = {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}
    assert zones == {"Europe/Berlin", "America/New_York"}
    berlin = next(tz for tz in cal.walk("VTIMEZONE") if str(tz["TZID"]) == "Europe/Berlin")
    assert {c.name for c in berlin.subcomponents} == {"STANDARD", "DAYLIGHT"}
    weekly = next(e for e in cal.walk("VEVENT") if str(e["UID"]) == "weekly.site@acme-furniture.herald")
    description = str(weekly["DESCRIPTION"])
    assert "Variant 1:\nTrack https://acme.example/track" in description
    assert "Variant 2:\nStatus: https://acme.example/track" in description
    assert "Repeats: FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=10;BYMINUTE=0" in description
    assert weekly.to_ical().count(b"DTSTART;TZID=Europe/Berlin:20261203T100000") == 1


def test_the_sample_calendar_exports_and_expands_to_its_plan():
    from campaigns.calendar import load

    calendar = load(str(ROOT / "content_calendar.yaml"))
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 7, 1, tzinfo=UTC)
    planned = expected_instants(plan(calendar, start, end))
    assert expand(export(calendar, start, end, NOW).to_ical(), start, end) == planned


JS = ROOT / "tests" / "js"


def _ical_js(ics: bytes, start: datetime, end: datetime) -> dict[tuple[str, str], list[datetime]]:
    """Expand with Thunderbird's ical.js (tests/js/expand.mjs); skip locally without Node, fail in CI."""
    import json
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None or not (JS / "node_modules" / "ical.js").exists():
        missing_tool("Node.js with ical.js", "install npm; `make test` then installs ical.js in tests/js")
    proc = subprocess.run([node, str(JS / "expand.mjs"), start.isoformat(), end.isoformat()],
                          input=ics, capture_output=True, check=True, timeout=120)
    out = {}
    for key, instants in json.loads(proc.stdout).items():
        if instants:
            post, network = key.split(" ")
            out[(post, network)] = [datetime.fromisoformat(i.replace("Z", "+00:00")) for i in instants]
    return out


ICAL_JS_WINDOWS = WINDOWS + [("two years, Santiago", "America/Santiago", datetime(2026, 1, 1, tzinfo=UTC), 700)]


@pytest.mark.parametrize("name, tz, start, days", ICAL_JS_WINDOWS, ids=[w[0] for w in ICAL_JS_WINDOWS])
@pytest.mark.slow
def test_thunderbird_ical_js_expands_the_export_to_the_plan(name, tz, start, days):
    calendar = loads(calendar_text(SERIES, tz))
    end = start + (datetime(2026, 1, 2) - datetime(2026, 1, 1)) * days
    planned = expected_instants(plan(calendar, start, end))
    assert _ical_js(export(calendar, start, end, NOW).to_ical(), start, end) == planned


def test_a_pinned_event_shows_its_own_text():
    calendar = loads(calendar_text(SERIES))
    cal = export(calendar, datetime(2027, 3, 26, tzinfo=UTC), datetime(2027, 3, 30, tzinfo=UTC), NOW)
    pinned = next(e for e in cal.walk("VEVENT") if str(e["X-HERALD-POST"]) == "night-owl" and "RRULE" not in e)
    assert str(pinned["SUMMARY"]) == "[site] Night tip for Sunday"
    assert "Pinned: 02:30 does not exist on 2027-03-28 (DST starts); goes out at 03:30 CEST" in str(pinned["DESCRIPTION"])


# -- status-file events: maintenance made by the CLI, times written by hand with an offset ------------
STATUS = """\
components:
  checkout: {name: Checkout}
maintenance:
  - id: offset-by-hand
    title: Offset written by hand
    starts: 2027-01-12T03:00+05:00
    ends: 2027-01-12T04:00+05:00
  - id: utc-by-hand
    title: UTC written by hand
    starts: 2027-01-13T03:00Z
    ends: 2027-01-13T04:00Z
incidents:
  - id: slow
    title: Slow pages
    impact: minor
    updates:
      - at: 2027-01-11T10:00-03:00
        state: investigating
        message: Looking into it.
      - at: 2027-01-11T11:00-03:00
        state: resolved
        message: Fixed.
"""


def _export_with_status(tmp_path, *cli: list[str]) -> tuple[bytes, datetime, datetime]:
    """The sample-like calendar (Europe/Berlin) and STATUS, edited by the given CLI commands,
    exported through `herald export-ical -o` as a person would."""
    from scheduler.cli import main
    from scheduler.clock import FakeClock

    calendar = tmp_path / "cal.yaml"
    calendar.write_text(calendar_text(SERIES), encoding="utf-8")
    status = tmp_path / "status.yaml"
    status.write_text(STATUS, encoding="utf-8")
    clock = FakeClock(datetime(2027, 1, 1, tzinfo=UTC))
    for command in cli:
        assert main([*command, "--calendar", str(calendar), "--status", str(status)], clock) == 0
    out = tmp_path / "export.ics"
    start, end = datetime(2027, 1, 5, tzinfo=UTC), datetime(2027, 1, 20, tzinfo=UTC)
    assert main(["export-ical", "--calendar", str(calendar), "--status", str(status), "--from", "2027-01-05T00:00Z",
                 "--days", "15", "-o", str(out)], clock) == 0
    return out.read_bytes(), start, end


STATUS_EVENTS = {
    ("cli-berlin", "status"): [datetime(2027, 1, 10, 2, 0, tzinfo=UTC)],  # 03:00 Berlin (+01:00)
    ("cli-new-york", "status"): [datetime(2027, 1, 14, 8, 0, tzinfo=UTC)],  # 03:00 New York (-05:00)
    ("offset-by-hand", "status"): [datetime(2027, 1, 11, 22, 0, tzinfo=UTC)],
    ("utc-by-hand", "status"): [datetime(2027, 1, 13, 3, 0, tzinfo=UTC)],
    ("slow", "status"): [datetime(2027, 1, 11, 13, 0, tzinfo=UTC)],
}
MAINTENANCE_BY_CLI = (
    ["maintenance", "add", "--id", "cli-berlin", "--title", "Database upgrade", "--starts", "2027-01-10T03:00",
     "--ends", "2027-01-10T04:00"],
    ["maintenance", "add", "--id", "cli-new-york", "--title", "Network work", "--starts",
     "2027-01-14T03:00 America/New_York", "--ends", "2027-01-14T04:00 America/New_York"],
)


def _status_only(found: dict) -> dict:
    return {k: v for k, v in found.items() if k[1] == "status"}


@pytest.mark.slow
def test_cli_maintenance_is_written_in_the_brand_zone_not_as_a_bare_offset(tmp_path):
    _export_with_status(tmp_path, *MAINTENANCE_BY_CLI)
    text = (tmp_path / "status.yaml").read_text()
    assert "starts: 2027-01-10T03:00\n" in text and "ends: 2027-01-10T04:00\n" in text
    assert "starts: 2027-01-14T09:00\n" in text  # 03:00 in New York is 09:00 in the brand's zone
    assert "+01:00" not in text


@pytest.mark.slow
def test_status_events_expand_to_the_right_instants_in_python(tmp_path):
    ics, start, end = _export_with_status(tmp_path, *MAINTENANCE_BY_CLI)
    assert b'TZID="UTC' not in ics and b"TZID=UTC+" not in ics  # no zone a VTIMEZONE cannot define
    assert _status_only(expand(ics, start, end)) == STATUS_EVENTS


@pytest.mark.slow
def test_status_events_expand_to_the_right_instants_in_thunderbird_ical_js(tmp_path):
    ics, start, end = _export_with_status(tmp_path, *MAINTENANCE_BY_CLI)
    assert _status_only(_ical_js(ics, start, end)) == STATUS_EVENTS


@pytest.mark.parametrize("starts, message", [
    ("2027-01-10T03:00 Mars/Olympus", "--starts: unknown time zone 'Mars/Olympus'; use an IANA name"),
    ("2027-01-10T03:00+01:00 Europe/Paris", "--starts: give an offset or a time zone, not both"),
    ("2027-03-28T02:30", "--starts: 2027-03-28T02:30 does not exist in Europe/Berlin (the clocks skip from 02:00 to 03:00)"),
    ("2026-10-25T02:30", "--starts: 2026-10-25T02:30 happens twice"),
])
def test_cli_times_that_name_no_single_instant_are_refused(tmp_path, capsys, starts, message):
    from scheduler.cli import main

    calendar = tmp_path / "cal.yaml"
    calendar.write_text(calendar_text(SERIES), encoding="utf-8")
    status = tmp_path / "status.yaml"
    status.write_text(STATUS, encoding="utf-8")
    before = status.read_text()
    code = main(["maintenance", "add", "--calendar", str(calendar), "--status", str(status), "--title", "Work",
                 "--starts", starts, "--ends", "2027-12-01T00:00"])
    assert code == 2 and message in capsys.readouterr().err
    assert status.read_text() == before
