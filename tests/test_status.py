"""status.yaml: validation, announcements, threads, holds, and the on-call commands."""

from __future__ import annotations

import random
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from campaigns.calendar import loads as load_calendar
from scheduler.cli import main
from scheduler.clock import FakeClock
from scheduler.engine import Engine
from scheduler.ledger import Ledger, State
from scheduler.networks.memory import MemoryPublisher
from status.announce import announcements
from status.load import check, loads
from tests.conftest import ROOT, calendar_text

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
CALENDAR = load_calendar(calendar_text("""
- id: sofa-tip
  kind: tip
  networks: [site, x]
  starts: 2026-11-01
  rrule: FREQ=DAILY;BYHOUR=10;BYMINUTE=30
  text: "Sofa care tip"
- id: track
  kind: tracking
  networks: [site]
  starts: 2026-11-01
  rrule: FREQ=DAILY;BYHOUR=10;BYMINUTE=30
  text: "Track your order {links.order_tracking}"
"""))

STATUS = """\
status_page: https://status.acme.example
components:
  checkout: {name: Checkout}
  tracking: {name: Delivery tracking}
incidents:
  - id: pay
    title: Card payments fail
    impact: major
    components: [checkout]
    networks: [site, x]
    updates:
      - at: 2026-12-01T10:00
        state: investigating
        message: Some card payments fail at checkout. We're looking into it with our payment provider.
      - at: 2026-12-01T10:20
        state: identified
        message: Our payment provider has an outage. We're switching to the backup provider.
        next_update: 15m
"""


def problems(text: str) -> list[str]:
    result = check("s.yaml", CALENDAR, text)
    assert result.value is None and not result.ok
    return [str(p) for p in result.problems]


@pytest.mark.parametrize("text, expected", [
    (STATUS.replace("components: [checkout]", "components: [chekout]"),
     "s.yaml:9:18: unknown component 'chekout' (did you mean 'checkout'?)"),
    (STATUS.replace("networks: [site, x]", "networks: [site, tweeter]"), "s.yaml:10:22: unknown network 'tweeter'"),
    (STATUS.replace("state: identified", "state: fixed"), "s.yaml:16:16: 'state' cannot be 'fixed'"),
    (STATUS.replace("at: 2026-12-01T10:20", "at: 2026-12-01T09:20"),
     "s.yaml:15:13: update at 2026-12-01T09:20 is not after the previous one (2026-12-01T10:00:00+01:00)"),
    (STATUS.replace("state: investigating", "state: resolved"), "s.yaml:16:16: incident 'pay' was resolved at"),
    (STATUS.replace("at: 2026-12-01T10:00", "at: 2027-03-28T02:30"), "s.yaml:12:13: 2027-03-28T02:30 does not exist"),
    (STATUS + STATUS.split("incidents:\n")[1], "duplicate incident id 'pay'"),
    (STATUS.replace("impact: major", "impact: huge"), "'impact' cannot be 'huge'"),
])
def test_status_mistakes_are_reported_where_they_are(text, expected):
    assert any(expected in line for line in problems(text)), problems(text)


@pytest.mark.parametrize("value", ["0m", "30s", "59s", "8d", "169h", "9999d"])
def test_a_next_update_is_a_minute_to_a_week_away_as_the_option_is(value):
    """The file's own `next_update` has the bounds of `herald incident update --next-update`: a
    promise customers read ("next update at 10:20") is never "now" or months away."""
    found = problems(STATUS.replace("next_update: 15m", f"next_update: {value}"))
    assert found == [f"s.yaml:18:22: next_update {value}: between 1 minute and 7 days (e.g. 30m or 2h)"]


@pytest.mark.parametrize("value", ["1m", "60s", "7d", "168h"])
def test_a_next_update_at_the_bounds_is_taken(value):
    result = check("s.yaml", CALENDAR, STATUS.replace("next_update: 15m", f"next_update: {value}"))
    assert result.ok, result.problems
    from campaigns.durations import parse_duration
    assert result.value.incidents[0].updates[1].next_update == parse_duration(value)


def test_missing_or_empty_status_file_means_no_incidents(tmp_path):
    assert check(str(tmp_path / "none.yaml"), CALENDAR).unwrap().incidents == ()
    for text in ("# nothing yet\n", "", "---\n# nothing yet\n", "~\n"):
        (tmp_path / "empty.yaml").write_text(text)
        assert check(str(tmp_path / "empty.yaml"), CALENDAR).unwrap().incidents == ()


def test_the_sample_status_file_is_valid():
    from campaigns.calendar import load

    result = check(str(ROOT / "status.yaml"), load(str(ROOT / "content_calendar.yaml")))
    assert result.ok and result.problems == [] and len(result.unwrap().components) == 4


def test_updates_become_threaded_announcements_with_honest_words():
    status = loads(STATUS, CALENDAR)
    pubs = announcements(CALENDAR, status, T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert [(p.network, p.note) for p in pubs] == [("site", "investigating (major)"), ("x", "investigating (major)"),
                                                   ("site", "identified (major)"), ("x", "identified (major)")]
    first, reply = pubs[0], pubs[2]
    assert first.thread_root is None and reply.thread_root == first.key
    assert first.text == ("We're investigating a problem with Checkout: Card payments fail. We're sorry for the "
                          "disruption. Some card payments fail at checkout. We're looking into it with our payment "
                          "provider. Next update by 10:30 CET.")
    assert reply.text.endswith("Next update by 10:35 CET.")  # next_update: 15m
    again = announcements(CALENDAR, loads(STATUS.replace("outage.", "outage!"), CALENDAR), T0 - timedelta(hours=1),
                          T0 + timedelta(hours=1))
    assert [p.key for p in again] == [p.key for p in pubs]  # wording edits never re-announce


def test_a_long_update_is_shortened_to_fit_x_with_a_link():
    long = STATUS.replace("We're looking into it with our payment provider.", "Detail. " * 60)
    x_post = [p for p in announcements(CALENDAR, loads(long, CALENDAR), T0 - timedelta(hours=1),
                                       T0 + timedelta(minutes=1)) if p.network == "x"][0]
    assert x_post.length <= 280 and x_post.text.endswith("Detail… Next update by 10:30 CET. Details: https://status.acme.example")


def test_brand_templates_override_the_defaults():
    calendar = load_calendar(calendar_text("- id: a\n  kind: tip\n  networks: [site]\n  at: 2026-12-01T10:00\n  text: hi\n")
                             .replace("  timezone: Europe/Berlin\n", "  timezone: Europe/Berlin\n  status_templates:\n"
                                      "    investigating.major: 'Heads-up from {brand.name}: {title}. {message}'\n"))
    pubs = announcements(calendar, loads(STATUS, calendar), T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert pubs[0].text.startswith("Heads-up from Acme Furniture: Card payments fail. Some card payments fail")


def make_engine(tmp_path, status_text: str):
    status = loads(status_text, CALENDAR)
    site, x = MemoryPublisher("site", "site"), MemoryPublisher("x", "x")
    engine = Engine(CALENDAR, Ledger(f"sqlite:///{tmp_path / 'state.db'}"), {"site": site, "x": x}, "test",
                    rng=random.Random(1), status=status)
    return engine, site, x


def test_updates_are_replies_under_the_first_post(tmp_path):
    engine, site, x = make_engine(tmp_path, STATUS)
    engine.replan(T0 + timedelta(minutes=25))
    engine.run_due(T0 + timedelta(minutes=25))
    (root, root_ref), (reply, _) = x.sent[:2]
    assert root.reply_to is None and reply.reply_to == root_ref
    assert reply.title == "Card payments fail" and reply.extra["incident"]["state"] == "identified"


def test_a_reply_waits_for_its_first_post(tmp_path):
    engine, site, x = make_engine(tmp_path, STATUS)
    engine.replan(T0 + timedelta(minutes=25))
    (reply,) = [p for p in engine.pending(T0 + timedelta(minutes=25)) if p.network == "x" and p.thread_root]
    outcome = engine.fire(reply, T0 + timedelta(minutes=25))
    assert (outcome.result, outcome.message) == ("postponed", "waiting for the first post of its thread")
    assert x.sent == []


def test_a_reply_whose_first_post_is_too_old_to_be_sent_goes_out_alone(tmp_path):
    engine, site, x = make_engine(tmp_path, STATUS.replace("at: 2026-12-01T10:00", "at: 2026-11-30T10:00"))
    now = T0 + timedelta(minutes=25)
    engine.replan(now)  # the first update (a day old) is outside the plan; the reply is not
    outcomes = [o for o in engine.run_due(now) if o.network == "x"]
    assert [o.result for o in outcomes] == ["sent"] and x.sent[0][0].reply_to is None


def test_promotional_posts_are_held_during_a_major_incident_and_released_after(tmp_path):
    engine, site, x = make_engine(tmp_path, STATUS)
    now = T0 + timedelta(minutes=31)  # 10:31: the daily 10:30 posts are due
    engine.replan(now)
    outcomes = {(o.post, o.network): o for o in engine.run_due(now)}
    assert outcomes[("sofa-tip", "site")].result == "held"
    assert outcomes[("sofa-tip", "site")].message == "held: incident pay (major) is open"
    assert outcomes[("track", "site")].result == "sent"  # service information keeps flowing
    resolved = STATUS + "      - at: 2026-12-01T10:40\n        state: resolved\n        message: Payments work again.\n"
    engine.replan(now + timedelta(minutes=10), status=loads(resolved, CALENDAR))
    outcomes = {(o.post, o.network): o.result for o in engine.run_due(now + timedelta(minutes=10))}
    assert outcomes[("sofa-tip", "site")] == "sent"  # released by the engine once the incident is resolved
    assert "Sofa care tip" in site.texts()


def test_posts_about_an_affected_component_are_held_too(tmp_path):
    calendar = load_calendar(calendar_text("""
- id: checkout-reminder
  kind: reminder
  networks: [site]
  components: [checkout]
  at: 2026-12-01T10:30
  text: "Pay in instalments at checkout"
"""))
    status = loads(STATUS, calendar)
    engine = Engine(calendar, Ledger(f"sqlite:///{tmp_path / 'db'}"), {"site": MemoryPublisher("site")}, "t",
                    status=status)
    engine.replan(T0 + timedelta(minutes=31))
    assert [o.result for o in engine.run_due(T0 + timedelta(minutes=31)) if o.post == "checkout-reminder"] == ["held"]


# -- the on-call commands --------------------------------------------------------------------------------------
def folder(tmp_path: Path) -> tuple[Path, Path]:
    calendar = tmp_path / "content_calendar.yaml"
    calendar.write_text("brand: {name: Acme, timezone: Europe/Berlin}\nnetworks: {site: {type: site}}\nposts: []\n")
    status = tmp_path / "status.yaml"
    status.write_text(textwrap.dedent("""\
        # Our components. Keep this comment!
        components:
            checkout: {name: Checkout}   # the payment step
        incidents: []
        """))
    return calendar, status


def run(capsys, clock, *argv):
    code = main(list(argv), clock=clock)
    out, err = capsys.readouterr()
    return code, out, err


def test_declare_update_resolve_edit_the_file_in_place(tmp_path, capsys):
    calendar, status = folder(tmp_path)
    clock = FakeClock(T0)
    common = ("--calendar", str(calendar), "--status", str(status))
    code, out, _ = run(capsys, clock, "incident", "declare", *common, "--title", "Checkout errors", "--impact", "major",
                       "--component", "checkout", "-m", "Card payments fail.")
    assert code == 0 and out.startswith("checkout-errors-20261201-1000: investigating at 2026-12-01 10:00:00 CET in ")
    clock.advance(600)
    run(capsys, clock, "incident", "update", *common, "checkout-errors-20261201-1000", "--state", "identified",
        "-m", "Provider outage.", "--next-update", "15m")
    clock.advance(600)
    run(capsys, clock, "incident", "resolve", *common, "checkout-errors-20261201-1000", "-m", "Fixed.")
    text = status.read_text()
    assert text.startswith("# Our components. Keep this comment!\ncomponents:\n    checkout: {name: Checkout}   # the payment step\n")
    loaded = loads(text, load_calendar(calendar.read_text()))
    (incident,) = loaded.incidents
    assert [u.state for u in incident.updates] == ["investigating", "identified", "resolved"]
    code, _, err = run(capsys, clock, "incident", "resolve", *common, "checkout-errors-20261201-1000", "-m", "again")
    assert code == 2 and "was resolved at" in err and status.read_text() == text  # nothing written


def test_a_bad_command_never_writes_the_file(tmp_path, capsys):
    calendar, status = folder(tmp_path)
    before = status.read_text()
    code, _, err = run(capsys, FakeClock(T0), "incident", "declare", "--calendar", str(calendar), "--status",
                       str(status), "--title", "x", "--impact", "major", "--component", "chekout", "-m", "m")
    assert code == 2 and err.strip() == "herald: --component chekout: not defined (did you mean 'checkout'?)"
    code, _, err = run(capsys, FakeClock(T0), "incident", "update", "--calendar", str(calendar), "--status",
                       str(status), "nope", "--state", "identified", "-m", "m")
    assert code == 2 and "no incident 'nope'" in err
    assert status.read_text() == before


@pytest.mark.slow
def test_status_command_shows_where_each_update_went(tmp_path, capsys):
    calendar, status = folder(tmp_path)
    clock = FakeClock(T0)
    common = ("--calendar", str(calendar), "--status", str(status))
    run(capsys, clock, "incident", "declare", *common, "--title", "Checkout errors", "--impact", "minor",
        "--id", "pay", "-m", "Card payments fail.")
    run(capsys, clock, "run", "--once", *common)
    code, out, _ = run(capsys, clock, "status", *common)
    assert "1 open incident:" in out and "pay: Checkout errors (minor, investigating)" in out
    assert "announced: site: sent" in out
    ledger = Ledger(f"sqlite:///{tmp_path / '.herald' / 'state.db'}")
    assert [r.state for r in ledger.history() if r.kind == "incident"] == [State.SENT]


RESOLVED = STATUS + "      - at: 2026-12-01T10:40\n        state: resolved\n        message: Payments work again.\n"


def test_a_follow_up_asks_in_the_same_thread_after_the_resolution():
    pubs = announcements(CALENDAR, loads(RESOLVED, CALENDAR), T0, T0 + timedelta(hours=4))
    follow = [p for p in pubs if p.note == "follow-up" and p.network == "site"]
    assert len(follow) == 1 and follow[0].at == datetime(2026, 12, 1, 11, 40, tzinfo=UTC)  # 2 h after 10:40 CET
    assert follow[0].thread_root == pubs[0].key
    assert follow[0].text == ("Following up on Card payments fail: is everything working for you again? If not, reply "
                              "here or tell us at https://acme.example/help and we'll look into it.")
    off = loads(RESOLVED.replace("    impact: major\n", "    impact: major\n    follow_up: false\n"), CALENDAR)
    assert not [p for p in announcements(CALENDAR, off, T0, T0 + timedelta(hours=4)) if p.note == "follow-up"]


MAINTENANCE = """\
components:
  checkout: {name: Checkout}
maintenance:
  - id: db
    title: Database upgrade
    starts: 2026-12-05T02:00
    ends: 2026-12-05T03:00
    components: [checkout]
    networks: [site]
    message: Checkout is unavailable for up to an hour.
"""


def maintenance_pubs(text: str, now: datetime, announced: frozenset[str] = frozenset()):
    status = loads(text, CALENDAR)
    return announcements(CALENDAR, status, now - timedelta(days=1), now + timedelta(days=10), None, now, announced)


def test_maintenance_is_announced_ahead_at_the_start_and_at_the_end():
    pubs = maintenance_pubs(MAINTENANCE, T0)
    assert [(p.at.strftime("%d %H:%M"), p.note) for p in pubs] == [
        ("04 02:00", "maintenance in 24 hours"), ("05 01:00", "maintenance in 1 hour"),
        ("05 02:00", "maintenance starts"), ("05 03:00", "maintenance ends")]
    assert pubs[0].text == ("Planned maintenance in 24 hours: Database upgrade, Sat 5 Dec, 02:00-03:00 CET. "
                            "Checkout is unavailable for up to an hour.")
    assert pubs[2].text.endswith("We expect to be done by 03:00 CET.")
    assert len({p.key for p in pubs}) == 4


def test_a_changed_window_is_announced_as_a_change_once_the_old_one_was_announced():
    old = maintenance_pubs(MAINTENANCE, T0)
    moved = MAINTENANCE.replace("T02:00", "T04:00").replace("T03:00", "T05:00")
    quietly = maintenance_pubs(moved, T0)  # nothing was announced yet: just the new reminders
    assert not [p for p in quietly if p.note == "maintenance changed"]
    noticed = T0 + timedelta(days=3, hours=3)  # after the 24 h reminder went out for the old window
    changed = maintenance_pubs(moved, noticed, frozenset({old[0].source}))
    (change,) = [p for p in changed if p.note == "maintenance changed"]
    assert change.at == noticed and change.text.startswith("Change to planned maintenance: Database upgrade now runs "
                                                           "Sat 5 Dec, 04:00-05:00 CET.")
    later = maintenance_pubs(moved, noticed + timedelta(hours=1), frozenset({old[0].source}))
    assert [p.key for p in later if p.note == "maintenance changed"] == [change.key]  # noticed again: same key


def test_a_cancellation_is_announced_only_if_the_window_was():
    cancelled = MAINTENANCE + "    cancelled: true\n"
    assert maintenance_pubs(cancelled, T0) == []
    old = maintenance_pubs(MAINTENANCE, T0)
    (news,) = maintenance_pubs(cancelled, T0 + timedelta(days=3), frozenset({old[0].source}))
    assert news.text == ('Cancelled: the planned maintenance "Database upgrade" (Sat 5 Dec, 02:00-03:00 CET) '
                         "will not take place.")


def test_a_reminder_that_is_already_late_when_the_window_is_added_is_skipped(tmp_path):
    status = loads(MAINTENANCE, CALENDAR)
    site = MemoryPublisher("site", "site")
    ledger = Ledger(f"sqlite:///{tmp_path / 'db'}")
    ledger.beat("earlier-engine", datetime(2026, 12, 3, tzinfo=UTC), {}, started=True)  # down since 3 Dec
    engine = Engine(CALENDAR, ledger, {"site": site}, "t", status=status)
    now = datetime(2026, 12, 5, 0, 30, tzinfo=UTC)  # 01:30 CET: the 24 h reminder is 23.5 h late
    engine.replan(now)
    outcomes = [(o.result, engine.planned[o.key].note) for o in engine.run_due(now) if o.key in engine.planned]
    assert ("skipped", "maintenance in 24 hours") in outcomes and ("sent", "maintenance in 1 hour") in outcomes


def test_maintenance_mistakes():
    assert any("ends (2026-12-05T01:00) is not after starts" in p for p in problems(
        MAINTENANCE.replace("ends: 2026-12-05T03:00", "ends: 2026-12-05T01:00")))
    assert any("unknown component 'chekout'" in p for p in problems(MAINTENANCE.replace("[checkout]", "[chekout]")))


def test_statuspage_v2_shape_and_states():
    import json

    from status.statuspage import api_files

    status = loads(STATUS + MAINTENANCE.split("components:\n  checkout: {name: Checkout}\n")[1], CALENDAR)
    files = api_files(status, "Acme Furniture", "Europe/Berlin", T0 + timedelta(minutes=30))
    summary = files["summary.json"]
    assert set(summary) == {"page", "status", "components", "incidents", "scheduled_maintenances"}
    assert summary["page"]["id"] == "acme-furniture" and summary["page"]["time_zone"] == "Europe/Berlin"
    assert summary["status"] == {"indicator": "major", "description": "Partial System Outage"}
    assert {c["id"]: c["status"] for c in summary["components"]} == {"checkout": "partial_outage",
                                                                     "tracking": "operational"}
    (incident,) = summary["incidents"]
    assert incident["status"] == "identified" and incident["impact"] == "major"
    assert [u["status"] for u in incident["incident_updates"]] == ["identified", "investigating"]  # newest first
    assert set(incident) >= {"id", "name", "status", "created_at", "updated_at", "monitoring_at", "resolved_at",
                             "impact", "shortlink", "started_at", "page_id", "incident_updates", "components"}
    (planned,) = files["scheduled-maintenances/upcoming.json"]["scheduled_maintenances"]
    assert planned["status"] == "scheduled" and planned["scheduled_for"] == "2026-12-05T02:00:00+01:00"
    during = api_files(status, "Acme", "UTC", datetime(2026, 12, 5, 1, 30, tzinfo=UTC))
    assert during["scheduled-maintenances/active.json"]["scheduled_maintenances"][0]["status"] == "in_progress"
    json.dumps(files)  # every file serialises


@pytest.mark.slow
def test_the_site_shows_the_status_and_its_feeds_carry_every_update(tmp_path):
    import json

    from scheduler.networks.site import SitePublisher

    status = loads(STATUS, CALENDAR)
    clock = FakeClock(T0 + timedelta(minutes=25))
    site = SitePublisher("site", {}, clock, base_dir=str(tmp_path), title="Acme status")
    engine = Engine(CALENDAR, Ledger(f"sqlite:///{tmp_path / 'db'}"), {"site": site, "x": MemoryPublisher("x")},
                    "t", status=status)
    engine.replan(clock.now())
    engine.run_due(clock.now())
    html = (tmp_path / "public" / "index.html").read_text()
    assert 'class="overall major" id="overall"><span class="icon" aria-hidden="true">!</span> Partial System Outage' in html
    assert ('<span class="name">Checkout</span><span class="cstate major" data-state="partial_outage">'
            '<span class="icon" aria-hidden="true">!</span> Partial outage</span>') in html
    assert html.index("Our payment provider has an outage") < html.index("Some card payments fail at checkout")
    feed = json.loads((tmp_path / "public" / "feed.json").read_text())
    assert [i["title"] for i in feed["items"]] == ["Identified: Card payments fail", "Investigating: Card payments fail"]
    summary = json.loads((tmp_path / "public" / "api" / "v2" / "summary.json").read_text())
    assert summary["status"]["indicator"] == "major"


def test_maintenance_and_incidents_are_in_the_ical_export(tmp_path, capsys):
    from icalendar import Calendar as VCalendar

    calendar, status = folder(tmp_path)
    status.write_text(MAINTENANCE.replace("    networks: [site]\n", "") + "  - id: old\n    title: Old window\n"
                      "    starts: 2026-12-02T02:00\n    ends: 2026-12-02T03:00\n    cancelled: true\n"
                      + STATUS.split("incidents:\n")[1].replace("networks: [site, x]", "networks: [site]")
                      .replace("  - id: pay", "incidents:\n  - id: pay"))
    out_file = tmp_path / "plan.ics"
    code, _, err = run(capsys, FakeClock(T0), "export-ical", "--calendar", str(calendar), "--status", str(status),
                       "--from", "2026-12-01", "--days", "10", "-o", str(out_file))
    assert code == 0, err
    events = {str(e["UID"]): e for e in VCalendar.from_ical(out_file.read_bytes()).walk("VEVENT")}
    window = events["maintenance.db@acme.herald"]
    assert str(window["SUMMARY"]) == "[maintenance] Database upgrade" and str(window["STATUS"]) == "CONFIRMED"
    assert window.decoded("dtstart") == datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    assert str(events["maintenance.old@acme.herald"]["STATUS"]) == "CANCELLED"
    incident = events["incident.pay@acme.herald"]
    assert str(incident["SUMMARY"]) == "[incident, major, ongoing] Card payments fail"
    assert "identified: Our payment provider has an outage" in str(incident["DESCRIPTION"])


def test_maintenance_add_and_cancel_edit_the_file(tmp_path, capsys):
    calendar, status = folder(tmp_path)
    common = ("--calendar", str(calendar), "--status", str(status))
    code, out, err = run(capsys, FakeClock(T0), "maintenance", "add", *common, "--title", "Payment upgrade",
                         "--starts", "2026-12-06T03:00", "--ends", "2026-12-06T04:00", "--component", "checkout",
                         "-m", "Checkout pauses for an hour.")
    assert code == 0, err
    assert out.strip() == ("payment-upgrade-20261206-0300: 2026-12-06 03:00 CET to 04:00 CET; announced on site "
                           "24 hours ahead (Sat 2026-12-05 03:00 CET), 1 hour ahead (Sun 2026-12-06 02:00 CET), when it "
                           "starts (Sun 2026-12-06 03:00 CET), when it ends (Sun 2026-12-06 04:00 CET)")
    code, out, _ = run(capsys, FakeClock(T0), "maintenance", "cancel", *common, "payment-upgrade-20261206-0300")
    loaded = loads(status.read_text(), load_calendar(calendar.read_text()))
    (window,) = loaded.maintenance
    assert window.cancelled and window.starts == datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    assert status.read_text().startswith("# Our components. Keep this comment!\n")
    code, _, err = run(capsys, FakeClock(T0), "maintenance", "cancel", *common, "payment-upgrade-20261206-0300")
    assert code == 2 and "already cancelled" in err


def test_image_only_networks_are_left_out_of_announcements():
    pubs = announcements(CALENDAR, loads(STATUS.replace("    networks: [site, x]\n", ""), CALENDAR),
                         T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert "insta" not in {p.network for p in pubs} and {"site", "x", "masto", "sky", "hooks"} <= {p.network for p in pubs}
    assert any("insta (Instagram) needs an image in every post" in p for p in problems(
        STATUS.replace("networks: [site, x]", "networks: [site, insta]")))


# -- keys, states and typed values ------------------------------------------------------------------------------
RESOLVED_1H = STATUS.replace("    networks: [site, x]\n", "    networks: [site, x]\n    follow_up: 1h\n") + (
    "      - at: 2026-12-01T11:00\n        state: resolved\n        message: Fixed.\n")


def test_publication_keys_are_pinned_so_no_refactoring_re_announces_an_update():
    pubs = announcements(CALENDAR, loads(RESOLVED_1H, CALENDAR), T0 - timedelta(hours=1), T0 + timedelta(hours=5))
    assert [(p.network, p.role, p.incident_state, p.key) for p in pubs] == [
        ("site", "investigating", "investigating", "43e5a960b36c21ed3090c75aab632b2e"),
        ("x", "investigating", "investigating", "172abf9272c1877f9a18728d9d87e333"),
        ("site", "identified", "identified", "6ef86129573339734c3a86b267c3ef65"),
        ("x", "identified", "identified", "9ae5fd9d23b49f9a312bda4989bfb7ff"),
        ("site", "resolved", "resolved", "9c685606faba1c36ff1c05fd7ba008e9"),
        ("x", "resolved", "resolved", "52b422e645894fa3f7386ef63b539967"),
        ("site", "follow_up", "resolved", "72337f339699644525cb72626647c7aa"),
        ("x", "follow_up", "resolved", "469f544f96e21864a0ebb462cd18669a"),
    ]
    reminders = maintenance_pubs(MAINTENANCE, T0)[:2]
    assert [(p.note, p.key) for p in reminders] == [("maintenance in 24 hours", "d1ee5ab56a6caf629abba6972b7a11f8"),
                                                   ("maintenance in 1 hour", "fe5d5a7bd9bc7f7c06d837da6766dda0")]


def test_impacts_and_states_are_enums_that_read_as_their_words():
    from status.model import Impact, UpdateState

    incident = loads(RESOLVED_1H, CALENDAR).incident("pay")
    assert incident.impact is Impact.MAJOR and incident.impact == "major" and f"{incident.impact}" == "major"
    assert [u.state for u in incident.updates] == [UpdateState.INVESTIGATING, UpdateState.IDENTIFIED,
                                                   UpdateState.RESOLVED]
    assert incident.resolved and Impact.MAJOR.holds_posts and not Impact.MINOR.holds_posts


FEED = "feeds:\n  - id: f\n    url: https://a.example/x.json\n    every: {}\n"


@pytest.mark.parametrize("text, expected", [
    (STATUS.replace("next_update: 15m", "next_update: soon"),
     "s.yaml:18:22: 'next_update': 'soon' is not in the expected form (e.g. 30m or 1h)"),
    (STATUS.replace("next_update: 15m", "next_update: 30 minutes"), "s.yaml:18:22: 'next_update': '30 minutes' is not"),
    (STATUS.replace("next_update: 15m", "next_update: 99999999999999999999d"),
     "s.yaml:18:22: '99999999999999999999d' is not a duration (a duration like 90s, 30m, 6h or 2d, at most 100 years)"),
    (STATUS.replace("    networks: [site, x]\n", "    networks: [site, x]\n    follow_up: 2x\n"), "s.yaml:11:16: "),
    (STATUS.replace("    networks: [site, x]\n", "    networks: [site, x]\n    follow_up: 999999999999d\n"),
     "s.yaml:11:16: '999999999999d' is not a duration"),
    (MAINTENANCE + "    remind: [soon]\n", "s.yaml:11:14: "),
    (MAINTENANCE + "    remind: [24h, 99999999999999999999d]\n", "s.yaml:11:19: '99999999999999999999d' is not a duration"),
    (FEED.format("often"), "s.yaml:4:12: 'every': 'often' is not in the expected form (e.g. 2m)"),
    (FEED.format("99999999999999999999d"), "s.yaml:4:12: '99999999999999999999d' is not a duration"),
    ("incidents: " + "[" * 20000 + "]" * 20000 + "\n", "s.yaml:1:"),
    (lambda: "incidents:\n" + "".join("  " * n + "- \n" for n in range(20000)), "s.yaml:"),  # 400 MB: made when run
])
@pytest.mark.slow
def test_a_mistyped_value_is_a_located_problem_never_an_exception(text, expected):
    found = problems(text() if callable(text) else text)
    assert any(line.startswith(expected) for line in found), found


@pytest.mark.parametrize("value", ["soon", "30 minutes", "99999999999999999999d"])
def test_validate_locates_a_mistyped_duration_and_exits_1(tmp_path, capsys, value):
    calendar, status = folder(tmp_path)
    status.write_text(status.read_text().replace("incidents: []", textwrap.dedent(f"""\
        incidents:
          - id: pay
            title: Card payments fail
            impact: major
            updates:
              - at: 2026-12-01T10:00
                state: investigating
                message: We're on it.
                next_update: {value}
        """)))
    code, _, err = run(capsys, FakeClock(T0), "validate", str(calendar), "--status", str(status))
    assert code == 1 and f"{status}:12:22: " in err and "unexpected error" not in err, err


@pytest.mark.parametrize("argv, expected", [
    (("incident", "update", "pay", "--state", "identified", "-m", "Found it.", "--next-update", "soon"),
     "herald: --next-update: 'soon' is not a duration; write a duration like 90s, 30m, 6h or 2d"),
    (("incident", "update", "pay", "--state", "identified", "-m", "Found it.", "--next-update",
      "99999999999999999999d"), "herald: --next-update 99999999999999999999d: between 1 minute and 7 days"),
    (("incident", "declare", "--title", "x", "--impact", "minor", "-m", "ok", "--next-update", "30 minutes"),
     "herald: --next-update: '30 minutes' is not a duration"),
    (("incident", "update", "pay", "--state", "identified", "-m", "Found \x1b[2Jit.\x07"),
     "herald: -m: the text contains control characters (U+001B (escape), U+0007 (bell)); remove them (line breaks "
     "and tabs are fine)"),
    (("incident", "declare", "--title", "x", "--impact", "minor", "-m", "nul\x00 and \v"),
     "herald: -m: the text contains control characters (U+0000 (NUL), U+000B (vertical tab))"),
    (("maintenance", "add", "--title", "DB", "--starts", "2026-12-06T03:00", "--ends", "2026-12-06T04:00",
      "--remind", "24h,soon"), "herald: --remind: 'soon' is not a duration"),
    (("maintenance", "add", "--title", "DB\x1b[31m", "--starts", "2026-12-06T03:00", "--ends", "2026-12-06T04:00"),
     "herald: --title: the text contains control characters (U+001B (escape))"),
    (("incident", "declare", "--title", "Down\x07", "--impact", "minor", "-m", "ok"),
     "herald: --title: the text contains control characters (U+0007 (bell))"),
])
def test_a_bad_value_on_the_command_line_exits_2_with_a_sentence_and_writes_nothing(tmp_path, capsys, argv,
                                                                                     expected):
    calendar, status = folder(tmp_path)
    run(capsys, FakeClock(T0), "incident", "declare", "--calendar", str(calendar), "--status", str(status),
        "--title", "Card payments fail", "--impact", "major", "--id", "pay", "-m", "We're on it.")
    before = status.read_text()
    code, _, err = run(capsys, FakeClock(T0), *argv, "--calendar", str(calendar), "--status", str(status))
    assert code == 2 and err.startswith(expected) and len(err.strip().splitlines()) == 1, err
    assert status.read_text() == before


def test_an_incident_update_is_timed_after_the_last_one_in_the_file(tmp_path, capsys):
    calendar, status = folder(tmp_path)
    common = ("--calendar", str(calendar), "--status", str(status))
    run(capsys, FakeClock(T0), "incident", "declare", *common, "--title", "Card payments fail", "--impact", "major",
        "--id", "pay", "-m", "We're on it.")
    # a hand edit put an update a minute ahead of the on-call person's clock
    status.write_text(status.read_text() + "      - at: '2026-12-01T10:01:00+01:00'\n"
                                           "        state: identified\n        message: Found it.\n")
    code, out, err = run(capsys, FakeClock(T0), "incident", "update", *common, "pay", "--state", "monitoring",
                         "-m", "Fixed, watching.")
    assert code == 0, err
    assert out.startswith("pay: monitoring at 2026-12-01 10:01:01 CET in ")


@pytest.mark.parametrize("value", ["soon", "99999999999999999999d"])
@pytest.mark.slow
def test_a_running_engine_keeps_the_last_good_status_when_a_duration_is_mistyped(tmp_path, caplog, value):
    from scheduler.daemon import Daemon

    calendar, status = folder(tmp_path)
    main(["incident", "declare", "--calendar", str(calendar), "--status", str(status), "--title", "Card payments fail",
          "--impact", "major", "--id", "pay", "-m", "We're on it."], clock=FakeClock(T0))
    daemon = Daemon(str(calendar), Ledger(f"sqlite:///{tmp_path / 'state.db'}"), status_path=str(status),
                    clock=FakeClock(T0), watch=False)
    good = daemon.file_status
    status.write_text(status.read_text() + f"        next_update: {value}\n")
    assert daemon.reload_status() is False  # no exception: the problem is logged where it is
    assert daemon.file_status == good and good.incident("pay") is not None
    assert any(f"{status}:12:22: " in r.getMessage() for r in caplog.records), [r.getMessage() for r in caplog.records]


def test_status_reads_no_ledger_into_existence_and_a_pasted_message_keeps_its_line_breaks(tmp_path, capsys):
    calendar, status = folder(tmp_path)
    common = ("--calendar", str(calendar), "--status", str(status))
    code, _, err = run(capsys, FakeClock(T0), "incident", "declare", *common, "--title", "Checkout errors",
                       "--impact", "minor", "--id", "pay", "-m", "Card payments fail.\r\nWe're on it.")
    assert code == 0, err
    assert loads(status.read_text(), load_calendar(calendar.read_text())).incident("pay").updates[0].message == (
        "Card payments fail.\nWe're on it.")
    code, out, _ = run(capsys, FakeClock(T0), "status", *common)
    assert code == 0 and "announced: site: not yet" in out
    assert not (tmp_path / ".herald").exists()


def test_resolve_refuses_a_next_update_it_would_write_and_never_use(tmp_path, capsys):
    calendar, status = folder(tmp_path)
    clock = FakeClock(T0)
    common = ("--calendar", str(calendar), "--status", str(status))
    run(capsys, clock, "incident", "declare", *common, "--title", "Checkout errors", "--impact", "major",
        "--component", "checkout", "-m", "Card payments fail.", "--id", "pay")
    before = status.read_text()
    code, _, err = run(capsys, clock, "incident", "resolve", *common, "pay", "-m", "Fixed.", "--next-update", "30m")
    assert code == 2 and "unrecognized arguments: --next-update 30m" in err and status.read_text() == before
