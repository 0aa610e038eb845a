"""The words of status announcements and of `herald maintenance add` (issue 12, the review's
wording items): no doubled or trailing spaces where a message is left out, a message always ends
its sentence before "Next update by", "1 minute", DST-ambiguous and skipped times said with their
zones, both readings offered, never written as a bare offset, and ids without "--"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from campaigns.calendar import loads as load_calendar
from scheduler.cli import main
from scheduler.clock import FakeClock
from status import edit
from status.announce import announcements
from status.load import loads as load_status

CALENDAR = """\
brand: {name: Acme, timezone: Europe/Berlin, links: {status: "https://status.acme.example", help: "https://acme.example/help"}}
networks:
  site: {type: site}
  x: {type: x}
posts: []
"""


def texts(status_text: str, start: datetime, days: int = 3) -> list[str]:
    calendar = load_calendar(CALENDAR, "content_calendar.yaml")
    status = load_status(status_text, calendar, "status.yaml")
    return [p.text for p in announcements(calendar, status, start, start + timedelta(days=days),
                                          now=start)]


def test_maintenance_without_a_message_has_no_doubled_or_trailing_space():
    found = texts("maintenance:\n  - id: db\n    title: Database upgrade\n    starts: 2026-12-02T10:00\n"
                  "    ends: 2026-12-02T11:00\n", datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    assert found and all("  " not in t and t == t.strip() and " ." not in t for t in found), found


def test_an_ops_message_without_a_full_stop_ends_its_sentence_before_the_next():
    found = texts("incidents:\n  - id: pay\n    title: Card payments fail\n    impact: minor\n    updates:\n"
                  "      - at: 2026-12-01T10:00\n        state: investigating\n"
                  "        message: Some card payments fail\n", datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    assert found and all("Some card payments fail. Next update by" in t for t in found), found
    found = texts("incidents:\n  - id: pay\n    title: Card payments fail\n    impact: minor\n    updates:\n"
                  "      - at: 2026-12-01T10:00\n        state: investigating\n"
                  "        message: Is checkout down for you?\n", datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    assert all("Is checkout down for you? Next update by" in t for t in found), found


def test_a_one_minute_reminder_says_one_minute():
    found = texts("maintenance:\n  - id: db\n    title: Database upgrade\n    starts: 2026-12-02T10:00\n"
                  "    ends: 2026-12-02T11:00\n    remind: [1m]\n", datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    assert any("in 1 minute:" in t for t in found) and not any("1 minutes" in t for t in found), found


@pytest.mark.parametrize("title", ["A" * 39 + " b", "Zahlungsausfälle — überall", "!!!"])
def test_generated_ids_never_hold_a_double_hyphen(title):
    assert "--" not in f"{edit.slug(title)}-20261201-1000" and re.fullmatch(r"[a-z0-9-]+", edit.slug(title))
    assert edit.slug("Zahlungsausfälle — überall") == "zahlungsausfalle-uberall"


def herald(capsys, tmp_path, *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--calendar", str(tmp_path / "content_calendar.yaml"), "--status",
                 str(tmp_path / "status.yaml")], clock=FakeClock(datetime(2027, 10, 1, 8, 0, tzinfo=UTC)))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path):
    (tmp_path / "content_calendar.yaml").write_text(CALENDAR)
    (tmp_path / "status.yaml").write_text("maintenance: []\n")
    return tmp_path


def test_a_time_the_clocks_skip_is_refused_with_both_readings(capsys, files):
    code, _, err = herald(capsys, files, "maintenance", "add", "--title", "DB", "--starts", "2027-03-28T02:30",
                          "--ends", "2027-03-28T04:00")
    assert code == 2
    assert ("2027-03-28T02:30 does not exist in Europe/Berlin (the clocks skip from 02:00 to 03:00); give the "
            "offset you mean: 2027-03-28T02:30+01:00 (03:30 CEST) or 2027-03-28T02:30+02:00 (01:30 CET)") in err, err


def test_a_repeated_hour_is_written_in_utc_with_its_wall_clock_time_and_said_with_zones(capsys, files):
    code, out, err = herald(capsys, files, "maintenance", "add", "--title", "DB", "--starts",
                            "2027-10-31T02:30+01:00", "--ends", "2027-10-31T04:00", "--remind", "1h")
    assert code == 0, err
    text = (files / "status.yaml").read_text()
    assert "starts: 2027-10-31T01:30Z # 02:30 CET (the second 02:30 that night)" in text, text
    assert "ends: 2027-10-31T04:00\n" in text
    assert "+01:00" not in text and "+02:00" not in text
    # the reminder an hour earlier is 02:30 too, the first one: the zones tell them apart
    assert "1 hour ahead (Sun 2027-10-31 02:30 CEST), when it starts (Sun 2027-10-31 02:30 CET)" in out, out
    calendar = load_calendar(CALENDAR, "content_calendar.yaml")
    window = load_status(text, calendar, "status.yaml").maintenance[0]
    assert window.starts == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)


def test_announcements_in_the_repeated_hour_are_in_time_order_and_say_both_zones(capsys, files):
    (files / "status.yaml").write_text(
        "maintenance:\n"
        "  - id: early\n    title: Early\n    starts: 2027-10-31T00:40Z\n    ends: 2027-10-31T01:45Z\n    remind: [10m]\n"
        "  - id: late\n    title: Late\n    starts: 2027-10-31T01:10Z\n    ends: 2027-10-31T01:50Z\n    remind: []\n")
    code, out, err = herald(capsys, files, "plan", "--from", "2027-10-31", "--days", "1", "--only", "status")
    assert code == 0, err
    starts = [line.split("  ")[0] for line in out.splitlines() if line.startswith("Sun")]
    assert list(dict.fromkeys(starts))[:3] == ["Sun 2027-10-31 02:30 CEST", "Sun 2027-10-31 02:40 CEST",
                                               "Sun 2027-10-31 02:10 CET"], starts
    # a window across the change says both zones: 02:30 CEST to 02:45 CET is 75 minutes, not 15
    assert "02:40 CEST-02:45 CET" in out, out


def test_ids_fall_back_to_their_kind_and_sharp_s_is_ss():
    assert edit.slug("日本語", "maintenance") == "maintenance" and edit.slug("---") == "incident"
    assert edit.slug("Größe Straße") == "grosse-strasse"


def test_a_message_in_another_script_keeps_its_own_full_stop():
    found = texts("incidents:\n  - id: pay\n    title: 決済\n    impact: minor\n    updates:\n"
                  "      - at: 2026-12-01T10:00\n        state: investigating\n        message: 調査中です。\n",
                  datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    assert found and all("調査中です。 Next update by" in t for t in found), found


def test_a_bad_id_is_refused_before_the_file_is_touched(capsys, files):
    before = (files / "status.yaml").read_text()
    code, _, err = herald(capsys, files, "maintenance", "add", "--id", "ünï", "--title", "DB", "--starts",
                          "2027-10-12T03:00", "--ends", "2027-10-12T04:00")
    assert code == 2 and err.startswith("herald maintenance add: argument --id: 'ünï': letters, digits, '.', '_' and '-'"), err
    assert (files / "status.yaml").read_text() == before


def test_remind_may_be_given_more_than_once_and_seconds_are_said_as_seconds(capsys, files):
    code, out, err = herald(capsys, files, "maintenance", "add", "--title", "DB", "--starts", "2027-10-12T03:00",
                            "--ends", "2027-10-12T04:00", "--remind", "24h", "--remind", "90s,1h")
    assert code == 0, err
    assert "remind: [24h, 90s, 1h]" in (files / "status.yaml").read_text()
    assert "90 seconds ahead" in out and "1 minute" not in out, out


def declare_at(capsys, folder, now: datetime) -> tuple[int, str, str]:
    """`herald incident declare` on the two files in ``folder`` at ``now``."""
    code = main(["incident", "declare", "--title", "Checkout down", "--impact", "minor", "-m", "Looking into it.",
                 "--calendar", str(folder / "content_calendar.yaml"), "--status", str(folder / "status.yaml")],
                clock=FakeClock(now))
    out, err = capsys.readouterr()
    return code, out, err


def test_an_incident_declared_in_the_repeated_hour_is_said_in_the_brands_time(capsys, files):
    code, out, err = declare_at(capsys, files, datetime(2027, 10, 31, 1, 40, tzinfo=UTC))
    assert code == 0, err
    assert "investigating at 2027-10-31 02:40:00 CET (the second 02:40 that night)" in out, out
    assert "at: '2027-10-31T01:40:00Z' # 02:40 CET (the second 02:40 that night)" in (files / "status.yaml").read_text()


def test_slugs_spell_letters_without_a_decomposition():
    assert edit.slug("Łódź Øresund Œuvre Æon") == "lodz-oresund-oeuvre-aeon"


def test_a_zero_reminder_is_refused(capsys, files):
    code, _, err = herald(capsys, files, "maintenance", "add", "--title", "DB", "--starts", "2027-10-12T03:00",
                          "--ends", "2027-10-12T04:00", "--remind", "0s")
    assert code == 2 and "--remind 0s" in err and "longer than 0" in err, err


def test_the_time_said_and_its_note_are_both_in_the_brands_zone(capsys, tmp_path):
    """A status file in New York's zone, a brand in Berlin: 06:40Z on 7 Nov 2027 is New York's repeated
    01:40, but Berlin's plain 07:40, and the CLI speaks in the brand's zone."""
    (tmp_path / "content_calendar.yaml").write_text(CALENDAR)
    (tmp_path / "status.yaml").write_text("timezone: America/New_York\nincidents: []\n")
    code, out, err = declare_at(capsys, tmp_path, datetime(2027, 11, 7, 6, 40, tzinfo=UTC))
    assert code == 0, err
    assert "investigating at 2027-11-07 07:40:00 CET in " in out, out


def test_a_zero_reminder_in_the_file_is_refused_where_it_is():
    from campaigns.errors import StatusFileError

    calendar = load_calendar(CALENDAR, "content_calendar.yaml")
    with pytest.raises(StatusFileError) as info:
        load_status("maintenance:\n  - id: db\n    title: DB\n    starts: 2026-12-02T10:00\n"
                    "    ends: 2026-12-02T11:00\n    remind: [24h, 0s]\n", calendar, "status.yaml")
    assert [str(p) for p in info.value.problems] == [
        "status.yaml:6:19: '0s': must be longer than 0 (e.g. 24h or 30m)"]


def test_a_recorded_announcement_of_a_window_gone_from_the_file_does_not_say_it_moved():
    from campaigns.plan import publication_key
    from status.announce import describe_recorded

    starts = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    source = f"maintenance:db@{starts.timestamp():.0f}-{(starts + timedelta(hours=1)).timestamp():.0f}"
    at = starts - timedelta(hours=24)
    key = publication_key(f"{source}:remind:86400", starts, "site")
    assert describe_recorded(key, source, "site", at, None) == \
        "maintenance: reminder 24 hours ahead (a window no longer in the file)"
    assert describe_recorded(key, source, "site", at, "maintenance:db@1-2") == \
        "maintenance: reminder 24 hours ahead (the window before it moved)"
    assert describe_recorded(key, source, "site", at, source) == "maintenance: reminder 24 hours ahead"
    assert describe_recorded("other", source, "site", at, None) is None


def test_a_cancellation_since_withdrawn_is_still_named():
    from campaigns.plan import publication_key
    from status.announce import describe_recorded

    starts = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    current = f"maintenance:db@{starts.timestamp():.0f}-{(starts + timedelta(hours=1)).timestamp():.0f}"
    key = publication_key("maintenance:db:cancelled", starts, "site")
    assert describe_recorded(key, "maintenance:db", "site", starts, current) == \
        "maintenance: cancelled (the cancellation was withdrawn since)"
    assert describe_recorded(key, "maintenance:db", "site", starts, None) is None
