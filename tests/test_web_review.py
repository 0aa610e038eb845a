"""The planners' review room (/review, /review/diff): behind a token, every publication of a week
or a month as it will look, with its budget, voice findings, ledger state and holds; filters;
incidents and maintenance overlaid; what saving the calendar would change."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from scheduler.clock import FakeClock
from scheduler.ledger import Ledger
from scheduler.ledger.reads import remember_calendar
from scheduler.web.app import create_app
from scheduler.web.context import WebContext

T0 = datetime(2026, 12, 1, 9, 25, tzinfo=UTC)  # Tuesday 10:25 in Berlin, during the incident below
TOKEN = "review-token-for-tests-7f3a"

LONG = "Our winter sofa guide: " + "keep it away from radiators, air the room daily, brush the fabric weekly. " * 5

TEMPLATE = """\
brand:
  name: Acme Furniture
  timezone: Europe/Berlin
  links: {track: "https://acme.example/track"}
networks:
  site: {type: site}
  x: {type: x}
campaigns:
  winter: {title: Winter care, starts: 2026-11-01, ends: 2027-02-28}
posts:
  - id: sofa-guide
    kind: tip
    campaign: winter
    networks: [x]
    at: 2026-12-03T10:00
    text: "{text}"
  - id: sale
    kind: announcement
    networks: [site]
    at: 2026-12-01T15:00
    text: "Winter sale: 20% off every armchair <script>alert(1)</script>"
  - id: track
    kind: tracking
    networks: [site]
    at: 2026-12-02T09:00
    text: "Where is your sofa? {links.track}"
"""

CALENDAR = TEMPLATE.replace("{text}", "Our winter sofa guide: keep it away from radiators. {links.track}")
DRAFT = TEMPLATE.replace("{text}", LONG)  # a planner's unfinished save: too long for X

STATUS = """\
components:
  checkout: {name: Checkout}
maintenance:
  - id: db
    title: Database upgrade
    starts: 2026-12-04T03:00
    ends: 2026-12-04T04:00
incidents:
  - id: pay
    title: Card payments fail
    impact: major
    components: [checkout]
    updates:
      - at: 2026-12-01T10:00
        state: investigating
        message: Some card payments fail at checkout. We are on it and post again by 10:30.
"""


@pytest.fixture
def room(tmp_path, monkeypatch):
    monkeypatch.setenv("HERALD_REVIEW_TOKEN", TOKEN)
    calendar, status = tmp_path / "content_calendar.yaml", tmp_path / "status.yaml"
    calendar.write_text(CALENDAR)
    status.write_text(STATUS)
    url = f"sqlite:///{tmp_path / 'state.db'}"
    Ledger(url).close()
    ctx = WebContext.from_environment(str(calendar), str(status), url, FakeClock(T0))
    with TestClient(create_app(ctx), follow_redirects=False) as client:
        client.files = (calendar, status, url)  # type: ignore[attr-defined]
        yield client


def sign_in(client: TestClient, token: str = TOKEN, path: str = "/review?view=week", **headers: str):
    """The sign-in as a browser does it: the form (with its CSRF token and cookie), then a POST."""
    form = client.get(path)
    assert form.status_code == 401
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    nxt = re.search(r'name="next" value="([^"]+)"', form.text).group(1).replace("&amp;", "&")
    return client.post("/review/login", data={"token": token, "csrf": csrf, "next": nxt}, headers=headers)


def signed_in(client: TestClient) -> TestClient:
    answer = sign_in(client)
    assert answer.status_code == 303 and answer.headers["location"] == "/review?view=week"
    cookie = [c for c in answer.headers.get_list("set-cookie") if c.startswith("herald_review=")][0]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/review" in cookie
    assert TOKEN not in cookie  # an HMAC under the token, not the token
    return client


def test_the_room_needs_the_token(room):
    assert room.get("/review").status_code == 401
    assert sign_in(room, "wrong").status_code == 401
    assert not any(c.startswith("herald_review=") for c in sign_in(room, "wrong").headers.get_list("set-cookie"))
    room.cookies.set("herald_review", "wrong")
    assert room.get("/review").status_code == 401
    room.cookies.clear()
    assert signed_in(room).get("/review").status_code == 200


def test_the_token_is_never_taken_from_an_address(room):
    answer = room.get(f"/review?view=week&token={TOKEN}")  # the old GET sign-in, as a proxy would log it
    assert answer.status_code == 400 and "location" not in answer.headers
    assert not any(c.startswith("herald_review=") for c in answer.headers.get_list("set-cookie"))
    assert 'method="post"' in answer.text and TOKEN not in answer.text
    assert room.get("/review").status_code == 401  # not signed in by it


def test_the_sign_in_form_needs_its_csrf_token_and_this_origin(room):
    form = room.get("/review")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    assert room.post("/review/login", data={"token": TOKEN, "csrf": "forged", "next": "/review"}).status_code == 403
    answer = room.post("/review/login", data={"token": TOKEN, "csrf": csrf, "next": "/review"},
                       headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403
    answer = room.post("/review/login", data={"token": TOKEN, "csrf": csrf, "next": "/review"},
                       headers={"Sec-Fetch-Site": "cross-site", "Origin": "null"})
    assert answer.status_code == 403
    room.cookies.clear()
    assert room.post("/review/login", data={"token": TOKEN, "csrf": csrf, "next": "/review"}).status_code == 403
    assert room.get("/review/login").status_code == 405  # no GET sign-in
    # the return address is a page of the room, relative, whatever the form said
    answer = sign_in(room, path="/review")
    assert answer.headers["location"] == "/review"
    room.cookies.clear()
    form = room.get("/review")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    answer = room.post("/review/login", data={"token": TOKEN, "csrf": csrf, "next": "//evil.example/review"},
                       headers={"Origin": "http://testserver"})
    assert answer.status_code == 303 and answer.headers["location"] == "/review"


@pytest.mark.slow
def test_over_https_the_session_cookie_is_secure(room):
    room.base_url = "https://testserver"
    answer = sign_in(room, path="/review")
    cookie = [c for c in answer.headers.get_list("set-cookie") if c.startswith("herald_review=")][0]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


@pytest.mark.slow
def test_redirects_are_relative_and_never_carry_the_token(room):
    answer = room.get(f"/review/?token={TOKEN}&view=month", headers={"Host": "evil.example"})
    assert answer.status_code in (301, 302, 303, 307, 308)
    assert answer.headers["location"] == "/review?view=month"
    answer = room.get("/history", headers={"Host": "evil.example"})
    assert answer.headers["location"] == "/history/"


@pytest.mark.parametrize("query", ["from=9999-12-31&view=month", "from=9999-12-31", "from=0001-01-01",
                                   "from=garbage", "view=nonsense", "from=2026-02-30"])
def test_bad_query_values_are_a_400_with_a_sentence(room, query):
    answer = signed_in(room).get(f"/review?{query}")
    assert answer.status_code == 400 and answer.text.endswith(tuple("abcdefghijklmnopqrstuvwxyz0123456789)"))
    assert query.split("&")[0].split("=")[0] + "=" in answer.text and "Traceback" not in answer.text


def test_without_a_token_configured_the_room_is_off(tmp_path, monkeypatch):
    monkeypatch.delenv("HERALD_REVIEW_TOKEN", raising=False)
    (tmp_path / "c.yaml").write_text(CALENDAR)
    ctx = WebContext.from_environment(str(tmp_path / "c.yaml"), str(tmp_path / "s.yaml"), "sqlite:///:memory:",
                                      FakeClock(T0))
    with TestClient(create_app(ctx)) as client:
        answer = client.get("/review")
        assert answer.status_code == 503 and "HERALD_REVIEW_TOKEN" in answer.text


def test_the_week_shows_each_publication_as_it_will_look(room):
    calendar, _status, _url = room.files
    calendar.write_text(DRAFT)
    week = signed_in(room).get("/review").text
    assert "1 Dec to 7 Dec 2026" in week  # the default week starts today
    assert "The engine refuses this file as it is" in week and "113 over" in week
    # the week's chips flag the post over budget, and the one that will be held
    assert re.search(r'<a class="chip calendar over[^"]*" href="/review\?view=day&amp;from=2026-12-03#p-', week)
    assert re.search(r'<a class="chip calendar held" href="/review\?view=day&amp;from=2026-12-01#p-', week)
    assert "<strong>Incident:</strong>" not in week and "<bdi>Card payments fail</bdi>" in week  # overlaid on its days
    assert "<script>alert(1)</script>" not in week
    page = room.get("/review?view=day&from=2026-12-01").text + room.get("/review?view=day&from=2026-12-03").text \
        + room.get("/review?view=day&from=2026-12-02").text
    # the too-long post, its overflow marked and its budget
    guide = page.split('aria-label="sofa-guide on x at 10:00"')[1].split("</article>")[0]
    assert 'class="card calendar over' in page and '<mark class="overflow"' in guide
    assert "over)" in guide and "Length: " in guide
    # held: a promotional post while a major incident is open
    sale = page.split('aria-label="sale on site at 15:00"')[1].split("</article>")[0]
    assert "Will be <strong>held</strong>: held while Card payments fail (major) is open" in sale
    # user text escaped, never markup
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # the status file's publications and overlays
    assert "From the status file: investigating (major)" in page
    assert "<strong>Incident:</strong> <bdi>Card payments fail</bdi>" in page
    page += room.get("/review?view=day&from=2026-12-04").text
    assert "<strong>Maintenance:</strong> <bdi>Database upgrade</bdi> · 03:00–04:00" in page
    assert "From the status file: maintenance in 24 hours" in page
    # a link with its UTM tags
    assert "https://acme.example/track?utm_" not in page  # the draft's guide has no link; the tracking post:
    assert '<a href="https://acme.example/track">https://acme.example/track</a>' in page
    assert room.get("/review").headers["content-security-policy"].startswith("default-src 'none'")


def test_the_ledger_says_what_happened(room):
    from campaigns.calendar import load
    from campaigns.plan import plan
    from scheduler.ledger import Item, State

    calendar, _status, url = room.files
    cal = load(str(calendar))
    pub = next(p for p in plan(cal, T0 - timedelta(days=2), T0 + timedelta(days=7)) if p.post == "track")
    ledger = Ledger(url)
    item = Item(pub.key, pub.source, pub.post, pub.network, str(pub.kind), pub.at)
    ledger.settle(item, State.SKIPPED, T0, "skipped by an operator: wrong week")
    ledger.close()
    page = signed_in(room).get("/review?view=day&from=2026-12-02").text
    track = page.split('aria-label="track on site at 09:00"')[1].split("</article>")[0]
    assert "Ledger: <strong>skipped</strong>" in track and "skipped by an operator: wrong week" in track


def test_filters_and_the_month_view(room):
    client = signed_in(room)
    page = client.get("/review?view=month&from=2026-12-10&network=x").text
    assert "1 Dec to 31 Dec 2026" in page
    assert 'title="sofa-guide · x"' in page and 'title="sale · site"' not in page  # the chips
    page = client.get("/review?campaign=winter").text
    assert 'title="sofa-guide · x"' in page and 'title="track · site"' not in page
    page = client.get("/review?kind=incident").text
    assert 'title="pay · site"' in page and 'title="sale · site"' not in page
    page = client.get("/review?view=day&from=2026-12-01&kind=incident").text
    assert 'aria-label="pay on site' in page and 'aria-label="sale on site' not in page
    answer = client.get("/review?network=mastodn")
    assert answer.status_code == 400 and "network=mastodn: not in the calendar" in answer.text
    answer = client.get("/review?campaign=wintr")
    assert answer.status_code == 400 and "did you mean 'winter'" in answer.text


def test_the_diff_shows_what_a_save_would_add_remove_move_and_reword(room):
    calendar, _status, url = room.files
    running = CALENDAR
    ledger = Ledger(url)
    remember_calendar(ledger.db, "abc123", running)
    ledger.close()
    calendar.write_text(running.replace("at: 2026-12-02T09:00", "at: 2026-12-02T11:00")
                        .replace("Winter sale: 20% off", "Winter sale: 25% off")
                        + "  - {id: extra, kind: tip, networks: [site], at: '2026-12-05T12:00', text: New tip}\n")
    page = signed_in(room).get("/review/diff").text
    assert "(abc123)" in page
    assert "1 added, 0 removed, 1 moved, 1 reworded" in page
    moved = page.split('<li class="moved">')[1].split("</li>")[0]
    assert "11:00" in moved and "track" in moved and "was <time" in moved and "Wed 2 Dec 09:00" in moved
    reworded = page.split('<li class="reworded">')[1].split("</li>")[0]
    assert "<del class=\"text\">Winter sale: 20% off" in reworded and "<ins class=\"text\">Winter sale: 25% off" in reworded
    added = page.split('<h2 id="day-2026-12-05">')[1].split("</section>")[0]
    assert '<li class="added">' in added and "New tip" in added
    calendar.write_text("posts: [\n")
    page = room.get("/review/diff").text
    assert "does not load" in page and "content_calendar.yaml:" in page and "Error:" in page


def test_a_link_carries_its_campaign_utm_tags(room):
    page = signed_in(room).get("/review?view=day&from=2026-12-03&campaign=winter").text
    assert "https://acme.example/track?utm_" in page


def test_an_engine_records_the_calendar_it_runs(tmp_path, monkeypatch):
    for name in ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET"):
        monkeypatch.setenv(f"HERALD_X_{name}", f"test-{name.lower()}-value")
    from scheduler.daemon import Daemon
    from scheduler.ledger.reads import running_calendar

    calendar = tmp_path / "content_calendar.yaml"
    calendar.write_text(CALENDAR)
    url = f"sqlite:///{tmp_path / 'state.db'}"
    ledger = Ledger(url)
    daemon = Daemon(str(calendar), ledger, clock=FakeClock(T0))
    try:
        assert daemon.watcher.stamp.recorded(10)  # (recorded on a thread of its own)
        digest, text = running_calendar(ledger.db)
        assert text == CALENDAR and digest == daemon.calendar_hash
    finally:
        ledger.close()


def test_behind_a_proxy_that_rewrites_host_the_public_urls_origin_signs_in(room):
    """nginx's default ``proxy_set_header Host $proxy_host`` hands Herald its own address: the
    origin of the status file's ``status_page`` (or a site account's ``base_url``) is accepted."""
    calendar, status, _url = room.files
    status.write_text("status_page: https://status.acme.example\n" + STATUS)
    calendar.write_text(CALENDAR.replace("  site: {type: site}",
                                         "  site: {type: site, base_url: 'https://www.acme.example/news/'}"))
    behind = {"Host": "127.0.0.1:8080"}
    for origin in ("https://evil.example", "http://status.acme.example", "https://status.acme.example.evil.example"):
        room.cookies.clear()
        assert sign_in(room, Origin=origin, **behind).status_code == 403, origin
    for origin in ("https://status.acme.example", "https://www.acme.example", "http://127.0.0.1:8080"):
        room.cookies.clear()
        assert sign_in(room, Origin=origin, **behind).status_code == 303, origin



def test_the_maintenance_overlay_shows_the_window_as_delayed_or_ended_early(room):
    _calendar, status, _url = room.files
    client = signed_in(room)
    window = STATUS.replace("    ends: 2026-12-04T04:00\n", "    ends: 2026-12-04T04:00\n    updates:\n"
                            "      - {at: '2026-12-04T03:50', state: in_progress, message: Slow., ends: '2026-12-04T04:30'}\n")
    for text, shown in ((window, "03:00–04:30"), (window.replace(
            "ends: '2026-12-04T04:30'}\n", "ends: '2026-12-04T04:30'}\n"
            "      - {at: '2026-12-04T04:10', state: completed, message: Done.}\n"), "03:00–04:10")):
        status.write_text(text)
        page = client.get("/review?view=day&from=2026-12-04").text
        assert f"<strong>Maintenance:</strong> <bdi>Database upgrade</bdi> · {shown}" in page


def test_the_calendar_feed_takes_a_token_derived_from_the_review_token_shown_in_the_room(room):
    import hashlib
    import hmac

    feed = hmac.new(TOKEN.encode(), b"calendar.ics", hashlib.sha256).hexdigest()
    assert room.get(f"/calendar.ics?token={TOKEN}").status_code == 403  # the room's own token is never in a link
    assert room.get(f"/calendar.ics?token={feed}").status_code == 200
    page = signed_in(room).get("/review?view=week").text
    assert f'href="/calendar.ics?token={feed}"' in page and TOKEN not in page
    room.cookies.clear()
    assert feed not in room.get("/review").text  # the sign-in form does not show it


def test_the_too_long_warning_is_found_by_its_code_not_its_wording(room, monkeypatch):
    """Issue 23: the room picked the engine's refusal out of the draft's warnings by the words
    "is too long for"; reworded, it still shows, and a warning worded alike but of another code does not."""
    from dataclasses import replace

    import campaigns.calendar
    from campaigns.errors import Code

    calendar, _status, _url = room.files
    calendar.write_text(DRAFT)
    check = campaigns.calendar.check

    def reworded(path, **options):
        result = check(path, **options)
        if options.get("draft"):  # the room's read of the draft (the engine's own read refuses it)
            assert any(p.code == Code.TOO_LONG for p in result.warnings)  # where the warning is made
        problems = [replace(p, message="exceeds X's 280 (113 over)") if p.code == Code.TOO_LONG
                    else p for p in result.problems]
        problems.append(replace(problems[0], message="post 'sale' is too long for site? no", code=Code.OTHER,
                                severity="warning"))
        return replace(result, problems=problems)

    monkeypatch.setattr(campaigns.calendar, "check", reworded)
    page = signed_in(room).get("/review").text
    assert "The engine refuses this file as it is" in page and "exceeds X&#39;s 280 (113 over)" in page
    assert "is too long for site? no" not in page


def test_a_fixed_file_takes_its_broken_banner_down(room):
    """Found by an attack: once the calendar had been broken on disk, the banner stayed after the
    file was fixed (the server's own copy is read again only when asked for)."""
    calendar, _status, _url = room.files
    signed_in(room)
    good = calendar.read_text()
    calendar.write_text(good.replace("brand:", "brand: [", 1))
    assert "is broken on disk" in room.get("/review?view=week").text
    calendar.write_text(good.replace("Card payments", "Card payments", 1) + "\n# fixed\n")
    fixed = room.get("/review?view=week").text
    assert "is broken on disk" not in fixed
