"""The status site's smaller promises (issue 26): uptime per component, component groups, day
bars that open their incidents, the API's shortlinks and CORS, ``og:`` tags, a favicon, the logo
in its own aspect, a brand colour readable as link text (and ``herald validate`` saying so),
``status.ics`` for subscribers, and an Atom entry for upcoming maintenance that keeps its date."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.cli import main
from scheduler.clock import FakeClock
from status.load import loads
from tests.test_web_site import CALENDAR, STATUS, T0, client


@pytest.fixture
def site(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("HERALD_REVIEW_TOKEN", raising=False)
    (tmp_path / "cal.yaml").write_text(CALENDAR)
    (tmp_path / "status.yaml").write_text(STATUS)
    return tmp_path


def incident(ident: str, impact: str, start: str, end: str | None, component: str = "checkout") -> str:
    updates = f"      - {{at: '{start}', state: investigating, message: Looking.}}\n"
    if end:
        updates += f"      - {{at: '{end}', state: resolved, message: Fixed.}}\n"
    return (f"  - id: {ident}\n    title: {ident}\n    impact: {impact}\n    components: [{component}]\n"
            f"    updates:\n{updates}")


# -- uptime --------------------------------------------------------------------------------------
def test_uptime_counts_a_major_outage_whole_a_partial_one_at_30_percent_and_overlaps_once():
    from scheduler.render.site import uptime

    text = ("timezone: UTC\ncomponents:\n  checkout: {name: Checkout}\n  search: {name: Search}\nincidents:\n"
            + incident("down", "critical", "2026-11-10T00:00", "2026-11-10T09:00")
            + incident("inside", "major", "2026-11-10T01:00", "2026-11-10T02:00")  # within the outage: once
            + incident("slow", "major", "2026-11-20T00:00", "2026-11-20T10:00")
            + incident("meh", "minor", "2026-11-21T00:00", "2026-11-22T00:00")  # degraded: not down
            + incident("elsewhere", "critical", "2026-11-23T00:00", "2026-11-23T05:00", "search")
            + incident("open", "critical", "2026-12-01T00:00", None, "search"))
    status = loads(text)
    end = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    start = end - timedelta(days=90)
    minutes = 90 * 24 * 60
    assert uptime(status, "checkout", start, end) == pytest.approx(1 - (9 * 60 + 0.3 * 10 * 60) / minutes)
    assert uptime(status, "search", start, end) == pytest.approx(1 - (5 + 6) * 60 / minutes)  # open: until now
    assert uptime(status, "nothing", start, end) == 1.0


def test_each_component_shows_its_uptime_over_90_days(site):
    page = client(site, FakeClock(T0)).get("/").text
    # checkout: a major incident open since 09:00 UTC, 25 minutes at 30 %; tracking's was minor
    assert re.findall(r"<span>([\d.]+) % uptime</span>", page) == ["99.99", "100.00"]


# -- component groups ----------------------------------------------------------------------------
GROUPED = STATUS.replace("  checkout: {name: Checkout}\n  tracking: {name: Delivery tracking}\n",
                         "  checkout: {name: Checkout, group: Shop}\n  tracking: {name: Delivery tracking}\n"
                         "  search: {name: Search, group: Shop}\n")


def test_components_of_a_group_are_listed_together_under_its_worst_state(site):
    (site / "status.yaml").write_text(GROUPED)
    assert main(["validate", "--calendar", str(site / "cal.yaml"), "--status", str(site / "status.yaml")]) == 0
    web = client(site, FakeClock(T0))
    page = web.get("/").text
    group = re.search(r'<li class="cgroup">\s*<div class="row"><h3 class="name">Shop</h3>'
                      r'<span class="cstate (\w+)" data-state="(\w+)">(.*?)</ul>\s*</li>', page, re.S)
    assert group and group.groups()[:2] == ("major", "partial_outage")  # checkout's state, the worst of the two
    assert re.findall(r'<span class="name">([\w ]+)</span>', group.group(3)) == ["Checkout", "Search"]
    assert page.index('class="cgroup"') < page.index(">Delivery tracking<")  # where its first member stands
    components = web.get("/api/v2/components.json").json()["components"]
    shop = next(c for c in components if c["group"])
    assert (shop["name"], shop["components"], shop["status"]) == ("Shop", ["checkout", "search"], "partial_outage")
    assert {c["id"]: c["group_id"] for c in components if not c["group"]} == {
        "checkout": shop["id"], "search": shop["id"], "tracking": None}


def test_a_group_is_text():
    from campaigns.errors import InvalidInput

    with pytest.raises(InvalidInput, match="group"):
        loads("components:\n  checkout: {name: Checkout, group: 3}\n")


# -- the day bars --------------------------------------------------------------------------------
def test_a_day_of_several_incidents_opens_the_history_of_its_month(site):
    (site / "status.yaml").write_text(STATUS.replace("maintenance:", incident("also", "minor", "2026-12-01T09:00",
                                                                              "2026-12-01T09:30") + "maintenance:"))
    page = client(site, FakeClock(T0)).get("/").text
    days = re.findall(r'<li class="(\w+) ev"><a href="([^"]+)" aria-label="([^"]+)"', page)
    assert ("major", "/history/#m-2026-12", "01 Dec 2026: Major incident: Card payments &lt;b&gt;fail&lt;/b&gt;; "
            "also") in days


# -- the API: shortlinks and CORS ----------------------------------------------------------------
def test_each_incident_and_window_in_the_api_links_its_own_page(site):
    summary = client(site, FakeClock(T0)).get("/api/v2/summary.json").json()
    assert [i["shortlink"] for i in summary["incidents"]] == ["https://status.acme.example/incidents/pay/"]
    assert [m["shortlink"] for m in summary["scheduled_maintenances"]] == [
        "https://status.acme.example/maintenance/db/"]


def test_the_api_files_may_be_read_by_any_site_the_pages_may_not(site):
    web = client(site, FakeClock(T0))
    for _ in range(2):  # built, then from the cache's fast path
        api = web.get("/api/v2/summary.json")
        assert api.headers["access-control-allow-origin"] == "*"
        assert api.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "access-control-allow-origin" not in web.get("/").headers
    assert web.get("/").headers["cross-origin-resource-policy"] == "same-origin"


# -- og: tags, the favicon, the logo ---------------------------------------------------------------
def test_pages_carry_og_tags_naming_their_own_address(site):
    web = client(site, FakeClock(T0))
    page = web.get("/incidents/pay/").text
    tags = dict(re.findall(r'<meta property="og:(\w+)" content="([^"]*)">', page))
    assert tags["url"] == "https://status.acme.example/incidents/pay/"
    assert tags["title"] == "Card payments &lt;b&gt;fail&lt;/b&gt; · Acme Furniture status"
    assert tags["description"].startswith("Our payment provider has an outage.")
    assert tags["site_name"] == "Acme Furniture status" and tags["type"] == "website"


def test_the_favicon_is_served_in_the_brand_colour(site):
    web = client(site, FakeClock(T0))
    assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in web.get("/").text
    for path in ("/favicon.svg", "/favicon.ico"):
        icon = web.get(path)
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
        assert 'fill="#7a1fa2"' in icon.text


def test_the_logo_keeps_its_own_aspect(site):
    (site / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 32"/>')
    (site / "cal.yaml").write_text(CALENDAR.replace("  color:", "  logo: logo.svg\n  color:"))
    page = client(site, FakeClock(T0)).get("/").text
    img = re.search(r'<img src="/brand/logo"[^>]*>', page)
    assert img and 'height="32"' in img.group(0) and "width=" not in img.group(0)
    css = (Path(__file__).parents[1] / "scheduler" / "render" / "static" / "site.css").read_text()
    assert ".brand img { height: 2rem; width: auto;" in css


# -- the brand colour ------------------------------------------------------------------------------
def test_contrast_ratios_are_wcags():
    from campaigns.contrast import contrast, readable

    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # the lightest grey at AA
    assert contrast("#777777", "#ffffff") < 4.5
    assert readable("#0b5fff") == "#0b5fff"  # already readable: kept
    darker = readable("#f5c400")
    assert 4.5 <= contrast(darker, "#ffffff") < 4.7 and darker != "#f5c400"


def test_validate_says_a_brand_colour_too_light_to_read_and_which_would_do(site, capsys):
    (site / "cal.yaml").write_text(CALENDAR.replace('"#7a1fa2"', '"#f5c400"'))
    assert main(["validate", "--calendar", str(site / "cal.yaml"), "--status", str(site / "status.yaml")]) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "#f5c400" in line]
    assert len(lines) == 1 and lines[0].startswith(f"{site / 'cal.yaml'}:4:10: warning: brand colour #f5c400 ")
    assert "1.6:1" in lines[0] and "4.5:1" in lines[0] and "uses #8e7200 instead" in lines[0]
    web = client(site, FakeClock(T0))
    assert web.get("/brand.css").text == ":root { --accent: #8e7200; }\n"  # the site reads at AA all the same
    (site / "cal.yaml").write_text(CALENDAR)
    assert main(["validate", "--calendar", str(site / "cal.yaml")]) == 0
    assert "brand colour" not in capsys.readouterr().err


# -- status.ics ------------------------------------------------------------------------------------
def test_status_ics_asks_to_be_read_again_links_each_event_and_leaves_an_open_incident_open(site):
    from icalendar import Calendar

    web = client(site, FakeClock(T0))
    body = web.get("/status.ics").content
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT5M\r\n" in body and b"X-PUBLISHED-TTL:PT5M\r\n" in body
    events = {str(e["uid"]).split("@")[0]: e for e in Calendar.from_ical(body).walk("VEVENT")}
    assert {k: str(e["url"]) for k, e in events.items()} == {
        "incident.pay": "https://status.acme.example/incidents/pay/",
        "incident.old": "https://status.acme.example/incidents/old/",
        "maintenance.db": "https://status.acme.example/maintenance/db/"}
    assert "DTEND" not in events["incident.pay"]  # open: no end, rather than "now"
    assert events["incident.old"]["dtend"].dt == datetime(2026, 10, 3, 9, 0, tzinfo=UTC)
    later = client(site, FakeClock(T0 + timedelta(minutes=7))).get("/status.ics").content
    assert [e for e in Calendar.from_ical(later).walk("VEVENT") if str(e["uid"]).startswith("incident.pay@")
            and "DTEND" not in e]


# -- the Atom feed ---------------------------------------------------------------------------------
def test_the_atom_entry_of_upcoming_maintenance_keeps_its_date_whenever_it_is_read(site):
    ns = {"a": "http://www.w3.org/2005/Atom"}

    def maintenance_entry(now: datetime) -> tuple[str, str]:
        feed = ET.fromstring(client(site, FakeClock(now)).get("/feed.atom").content)
        entry = next(e for e in feed.findall("a:entry", ns) if "maintenance:db" in e.findtext("a:id", "", ns))
        return entry.findtext("a:updated", "", ns), entry.findtext("a:published", "", ns)

    first = maintenance_entry(T0)
    assert first == maintenance_entry(T0 + timedelta(hours=3)) == maintenance_entry(T0 + timedelta(days=3))
    assert first[0] == "2026-12-04T02:00:00+01:00"  # announced 24 h before it starts
