"""The review room's look (issue 28): the month as a seven-column grid of chips, the week as hours
by days, the day as previews that look like each network (what a network's version cuts of the
main text, images from a URL or a file next to the calendar served safely), account labels, the
refused-file banner, thread wording by the network's capabilities, and hostile calendar text."""

from __future__ import annotations

import re
import struct
import zlib
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest
from starlette.testclient import TestClient

from scheduler.clock import FakeClock
from scheduler.ledger import Ledger
from scheduler.web.app import create_app
from scheduler.web.context import WebContext
from tests.test_web_review import TOKEN, signed_in

T0 = datetime(2026, 12, 1, 9, 25, tzinfo=UTC)  # Tuesday 1 December, 10:25 in Berlin
HOSTILE = ("<img src=x onerror=alert(1)> \u202eevil\u202c line\u2028separator "
           + "Unbreakable" * 30 + " {links.help}")

CALENDAR = """\
brand:
  name: Acme Furniture
  timezone: Europe/Berlin
  language: en-GB
  links: {track: "https://acme.example.com/track", help: "https://acme.example.com/help"}
networks:
  site: {type: site}
  x: {type: x, handle: acme}
  mastodon: {type: mastodon, instance: "https://social.example", handle: acme}
  sky: {type: bluesky, handle: acme.example}
  linkedin: {type: linkedin, author: "urn:li:organization:1234567"}
  facebook: {type: facebook, page_id: "1234567890"}
  insta: {type: instagram, user_id: "1234567890"}
  slack: {type: slack}
  discord: {type: discord}
  teams: {type: teams}
  telegram: {type: telegram, chat_id: "-1001234567890"}
campaigns:
  winter: {title: Winter care, starts: 2026-11-01, ends: 2027-02-28}
posts:
  - id: sofa-guide
    kind: tip
    campaign: winter
    networks: [x, mastodon, sky, linkedin, facebook, slack, discord, teams, telegram]
    at: 2026-12-03T10:00
    text: "Our winter sofa guide: keep it away from radiators.\\nAir the room every day.\\nBrush the fabric once a \
week.\\nTurn the cushions now and then.\\nWool throws help too.\\nTen more years of comfort.\\nRead it all: {links.help}"
    per_network:
      x: {text: "Our winter sofa guide: keep it away from radiators. {links.help}"}
    image: {path: media/sofa.png, alt: "A grey sofa by a window, a radiator a metre away"}
  - id: armchair
    kind: announcement
    networks: [insta, facebook, x]
    at: 2026-12-03T12:00
    text: "The winter armchair is here.\\nSolid oak, wool cushions, made to order in 4-6 weeks."
    image: {url: "https://images.acme.example/armchair.png", alt: "An oak armchair with blue wool cushions"}
  - id: track
    kind: tracking
    networks: [sky, mastodon]
    at: 2026-12-03T14:00
    text: "Where is your sofa? Track it in one click: {links.track}"
  - id: delays
    kind: announcement
    networks: [sky, mastodon]
    at: 2026-12-03T15:00
    content_warning: "Delivery delays <b>"
    link_card: {title: "Deliveries this week", description: "Which <areas> wait longer, and why"}
    text: "Parcels to the north are two days late. Details: {links.help}"
  - id: hourly
    kind: reminder
    networks: [site]
    rrule: "FREQ=DAILY;BYHOUR=9,11,13,15,17,19;BYMINUTE=0"
    starts: 2026-12-14
    text: "Our shop is open until 20:00 today."
  - id: hostile
    kind: tip
    networks: [site, mastodon]
    at: 2026-12-03T16:00
    text: "HOSTILE_TEXT"
""".replace("HOSTILE_TEXT", HOSTILE.replace("\u202e", "\\u202E").replace("\u202c", "\\u202C")
            .replace("\u2028", "\\u2028"))

STATUS = """\
components:
  booking: {name: Online booking}
incidents:
  - id: booking
    title: Online booking is down
    impact: minor
    components: [booking]
    networks: [x, linkedin, site]
    updates:
      - at: 2026-12-03T08:00
        state: investigating
        message: "Online booking fails for every customer since 08:00. We are working with our provider on a fix \
and will tell you here as soon as it works again. In the meantime you can still book by phone."
      - at: 2026-12-03T08:40
        state: identified
        message: Our provider found the fault and is rolling out a fix.
      - at: 2026-12-03T09:30
        state: resolved
        message: Online booking works again.
maintenance:
  - id: db
    title: "<b>Database</b> upgrade DatabaseUpgradeWithoutAnySpaceAtAllThatGoesOnAndOnAndOnAndOnAndOnAndOn"
    starts: 2026-12-10T03:00
    ends: 2026-12-10T04:00
    components: [booking]
"""


def png(width: int = 48, height: int = 48) -> bytes:
    """A small PNG (a gradient), written without any imaging library."""
    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in (x * 5 % 256, y * 5 % 256, 160))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def make_room(tmp_path, monkeypatch, calendar: str = CALENDAR, status: str = STATUS, now: datetime = T0):
    monkeypatch.setenv("HERALD_REVIEW_TOKEN", TOKEN)
    (tmp_path / "media").mkdir(exist_ok=True)
    (tmp_path / "media" / "sofa.png").write_bytes(png())
    (tmp_path / "content_calendar.yaml").write_text(calendar)
    (tmp_path / "status.yaml").write_text(status)
    url = f"sqlite:///{tmp_path / 'state.db'}"
    Ledger(url).close()
    return WebContext.from_environment(str(tmp_path / "content_calendar.yaml"), str(tmp_path / "status.yaml"), url,
                                       FakeClock(now))


@pytest.fixture
def client(tmp_path, monkeypatch):
    ctx = make_room(tmp_path, monkeypatch)
    with TestClient(create_app(ctx), follow_redirects=False) as client:
        client.folder = tmp_path  # type: ignore[attr-defined]
        yield signed_in(client)


class Cells(HTMLParser):
    """The month table's rows: the number of header cells and of cells in each row."""

    def __init__(self) -> None:
        super().__init__()
        self.table = 0
        self.rows: list[list[str]] = []
        self.headers = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag == "table" and "month" in classes:
            self.table += 1
        elif self.table and tag == "tr":
            self.rows.append([])
        elif self.table and tag == "th":
            self.headers += 1
        elif self.table and tag == "td":
            self.rows[-1].append(classes)

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.table:
            self.table -= 1


def article(page: str, label: str) -> str:
    return page.split(f'aria-label="{label}"')[1].split("</article>")[0]


# -- the month ---------------------------------------------------------------------------------
def test_the_month_is_a_grid_of_seven_columns_from_monday_with_chips_and_overflow(client):
    page = client.get("/review?view=month&from=2026-12-10").text
    cells = Cells()
    cells.feed(page)
    assert cells.headers == 7 and len(cells.rows) == 6  # the header row and five weeks (30 Nov to 3 Jan)
    assert all(len(row) == 7 for row in cells.rows[1:])
    assert cells.rows[1][0] == "outside"  # Monday 30 November is the previous month's
    headers = re.findall(r'<abbr title="(\w+)">', page)
    assert headers == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    # a chip: local time, the network's icon and label, the kind, and a link to its preview on the day's page
    chip = re.search(r'<a class="chip calendar[^"]*" href="[^"]+" title="hourly[^>]*>(.*?)</a>', page).group(0)
    assert '<time datetime="2026-12-14T09:00:00+01:00">09:00</time>' in chip and '<use href="#i-site"/>' in chip
    assert '<span class="kind">reminder</span>' in chip and "/review?view=day&amp;from=2026-12-14#p-" in chip
    # six posts a day from the 14th: four chips, then "+2 more" that opens the day
    day = re.search(r'<td[^>]*>\s*<a class="dnum" href="/review\?view=day&amp;from=2026-12-15".*?</td>', page,
                    re.S).group(0)
    assert day.count('<a class="chip ') == 4
    assert '<a class="more" href="/review?view=day&amp;from=2026-12-15">+2 more' in day
    assert '<a class="dnum" href="/review?view=day&amp;from=2026-12-01" aria-current="date">' in page  # today


def test_weeks_start_on_the_brands_regions_first_day(tmp_path, monkeypatch):
    from scheduler.render.grid import first_weekday

    assert (first_weekday("en"), first_weekday("en-GB"), first_weekday("en-US"), first_weekday("ar-EG")) == (0, 0, 6, 5)
    ctx = make_room(tmp_path, monkeypatch, CALENDAR.replace("language: en-GB", "language: en-US"))
    with TestClient(create_app(ctx), follow_redirects=False) as client:
        page = signed_in(client).get("/review?view=month&from=2026-12-10").text
    assert re.findall(r'<abbr title="(\w+)">', page)[:2] == ["Sunday", "Monday"]
    cells = Cells()
    cells.feed(page)
    assert cells.rows[1][:2] == ["outside", "outside"] and len(cells.rows) == 6  # Sun 29 Nov, Mon 30 Nov


def test_filters_narrow_the_grid_and_its_links_keep_them(client):
    page = client.get("/review?view=month&from=2026-12-01&network=x").text
    assert "#i-site" not in page.split("<table")[1] and page.count('class="chip') >= 2
    assert "/review?view=day&amp;from=2026-12-03&amp;network=x#p-" in page


# -- the week ------------------------------------------------------------------------------------
def test_the_default_week_starts_today_in_the_brands_zone(tmp_path, monkeypatch):
    sunday_night = datetime(2026, 12, 5, 23, 30, tzinfo=UTC)  # Sunday 6 December 00:30 in Berlin
    ctx = make_room(tmp_path, monkeypatch, now=sunday_night)
    with TestClient(create_app(ctx), follow_redirects=False) as client:
        page = signed_in(client).get("/review").text
    assert "6 Dec to 12 Dec 2026" in page


def test_the_week_has_a_column_per_day_and_the_hours_down_the_side(client):
    page = client.get("/review?view=week&from=2026-12-14").text
    table = page.split('<table class="week">')[1].split("</table>")[0]
    head = table.split("</thead>")[0]
    assert head.count('<th scope="col"') == 8  # the time column and seven days
    assert "Mon 14 Dec" in head and "Sun 20 Dec" in head
    rows = re.findall(r'<th scope="row" class="hour">(\d\d:00)</th>', table)
    assert rows[0] == "08:00" and "19:00" in rows and rows == sorted(rows)
    nine = table.split(">09:00</th>")[1].split("</tr>")[0]
    assert nine.count("<td>") == 7 and nine.count('<a class="chip ') == 7
    # the list a phone shows: every day, with its chips
    daylist = page.split('<ol class="daylist">')[1].split("</ol>")[0]
    assert daylist.count("<h2>") == 7 and daylist.count('<a class="chip ') == 7 * 6


# -- the day: previews ---------------------------------------------------------------------------
def test_mastodon_folds_the_text_behind_its_content_warning_and_counts_it(client):
    page = client.get("/review?view=day&from=2026-12-03").text
    masto = article(page, "delays on mastodon at 15:00")
    assert "Public</p>" in masto and "no content warning" not in masto
    fold = masto.split('<details class="pv-cwfold">')[1].split("</details>")[0]
    summary, folded = fold.split("</summary>")
    assert '<span class="cw" dir="auto">Delivery delays &lt;b&gt;</span> <span class="meta">Show more</span>' in summary
    assert "Parcels to the north are two days late." in folded
    used = int(re.search(r"Length: (\d+)/500 characters", masto).group(1))
    text = "Parcels to the north are two days late. Details: "
    assert used == len(text) + 23 + len("Delivery delays <b>")
    assert "the content warning counted with the text" in masto
    assert "pv-cwfold" not in article(page, "track on mastodon at 14:00")


def test_bluesky_shows_the_calendars_link_card(client):
    page = client.get("/review?view=day&from=2026-12-03").text
    sky = article(page, "delays on sky at 15:00")
    card = sky.split('<div class="pv-linkcard">')[1].split("</div>")[0]
    assert '<p class="meta">acme.example.com</p>' in card
    assert "<strong>Deliveries this week</strong>" in card and "Which &lt;areas&gt; wait longer, and why" in card
    assert "Link card from the calendar" in card and "pv-cwfold" not in sky  # no content warning on Bluesky


def test_each_network_has_its_own_preview(client):
    page = client.get("/review?view=day&from=2026-12-03").text
    x = article(page, "sofa-guide on x at 10:00")
    assert 'class="pv post net-x"' in x and "@acme" in x
    assert re.search(r"\d+/280 weighted characters \(\d+ left\) · 1 link counted as 23 each", x)
    mastodon = article(page, "sofa-guide on mastodon at 10:00")
    assert "@acme@social.example" in mastodon and "Public · no content warning" in mastodon
    assert re.search(r"\d+/500 characters", mastodon) and "1 link counted as 23 each" in mastodon
    sky = article(page, "sofa-guide on sky at 10:00")
    assert re.search(r"\d+/300 graphemes", sky) and "pv-linkcard" not in sky  # an image: no card
    track = article(page, "track on sky at 14:00")  # the room fetches nothing: the host, and the title when sent
    assert re.search(r'<div class="pv-linkcard"><p class="meta">acme\.example\.com</p>.*title fetched when sent', track)
    linkedin = article(page, "sofa-guide on linkedin at 10:00")
    assert '<details class="more"><summary>…see more</summary>' in linkedin
    assert "pv-linkcard" not in linkedin and "pv-cwfold" not in linkedin  # neither on a network without them
    facebook = article(page, "sofa-guide on facebook at 10:00")
    assert '<details class="more"><summary>… See more</summary>' in facebook
    insta = article(page, "armchair on insta at 12:00")
    assert 'class="pv square net-instagram"' in insta and 'class="pv-image square"' in insta
    assert "The winter armchair is here.<details class=\"more\"><summary>… more</summary>" in insta
    for chat in ("slack", "discord", "teams", "telegram"):
        assert f'class="pv chat net-{chat}"' in article(page, f"sofa-guide on {chat} at 10:00")


def test_images_show_themselves_with_their_alt_text_where_the_network_takes_them(client):
    page = client.get("/review?view=day&from=2026-12-03").text
    sky = article(page, "sofa-guide on sky at 10:00")
    assert '<img src="/review/media?path=media%2Fsofa.png" alt="A grey sofa by a window, a radiator a metre away"' \
        in sky and "Alt text: A grey sofa by a window" in sky
    insta = article(page, "armchair on insta at 12:00")
    assert '<img src="https://images.acme.example/armchair.png"' in insta and 'referrerpolicy="no-referrer"' in insta
    # capabilities from the records: X takes files only, Slack posts text only
    assert "Image not sent: X takes images from a path only" in article(page, "armchair on x at 12:00")
    assert "Image not sent: Slack posts text only" in article(page, "sofa-guide on slack at 10:00")
    assert "img-src 'self' https: http:" in client.get("/review").headers["content-security-policy"]


def test_a_networks_version_says_what_it_cuts_of_the_main_text(client):
    page = client.get("/review?view=day&from=2026-12-03").text
    x = article(page, "sofa-guide on x at 10:00")
    assert "its own wording for x (per_network)" in x and "Air the room every day." in x.split("Cut: ")[1]
    assert "Differs from the main text" not in article(page, "sofa-guide on mastodon at 10:00")
    # the incident post: X's version silently dropped "you can still book by phone"
    incident = article(page, "booking on x at 08:00")
    assert "shortened to fit X&#39;s 280 weighted characters" in incident
    cut = incident.split("Cut: ")[1].split("</p>")[0]
    assert "you can still book by phone" in re.sub(r"</?del>", "", cut)
    assert "Differs from the main text" not in article(page, "booking on site at 08:00")


def test_thread_wording_follows_the_networks_capabilities(client):
    page = client.get("/review?view=day&from=2026-12-03").text
    assert "Thread: starts the thread: later updates reply to it" in article(page, "booking on x at 08:00")
    reply = article(page, "booking on x at 08:40")
    assert "Thread: a reply in the thread of the first post" in reply and 'class="pv-root"' in reply
    assert "Online booking fails for every customer" in reply.split('class="pv-root"')[1]
    linkedin = article(page, "booking on linkedin at 08:40")
    assert "a reply in the thread" not in linkedin and 'class="pv-root"' not in linkedin
    assert "a separate post that links to the first post (LinkedIn has no threads)" in linkedin
    assert "LinkedIn has no threads, so later updates are separate posts" in article(page, "booking on linkedin at 08:00")


def test_account_labels_say_the_name_once_and_the_type_when_it_differs():
    from campaigns.networks import NETWORK_TYPES
    from scheduler.render.previews import account_label

    assert account_label("mastodon", NETWORK_TYPES["mastodon"]) == "mastodon"
    assert account_label("masto", NETWORK_TYPES["mastodon"]) == "masto (Mastodon)"
    assert account_label("insta", NETWORK_TYPES["instagram"]) == "insta (Instagram)"


def test_the_pages_never_say_an_accounts_name_twice(client):
    page = client.get("/review?view=day&from=2026-12-03").text
    assert "mastodon mastodon" not in page and '<span class="net">mastodon</span>' in page
    assert '<span class="net">insta (Instagram)</span>' in page


def test_hostile_text_is_escaped_and_isolated(client):
    page = client.get("/review?view=day&from=2026-12-03").text
    hostile = article(page, "hostile on site at 16:00")
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in hostile
    assert 'class="pv-text" dir="auto"' in hostile  # bidi controls stay inside their text
    assert "\u202eevil" in hostile and "Unbreakable" * 30 in hostile
    month = client.get("/review?view=month&from=2026-12-01").text
    assert "<img src=x" not in month and "<b>Database</b>" not in month
    assert "<bdi>&lt;b&gt;Database&lt;/b&gt; upgrade DatabaseUpgrade" in month  # an overlay, isolated (a title
    # cannot carry U+202E: tests/test_titles_one_line.py)


# -- serving a post's image --------------------------------------------------------------------
def test_a_posts_image_file_is_served_only_from_the_calendars_folder(client):
    answer = client.get("/review/media?path=media/sofa.png")
    assert answer.status_code == 200 and answer.content == png() and answer.headers["content-type"] == "image/png"
    assert answer.headers["content-security-policy"] == "default-src 'none'; sandbox"
    folder = client.folder
    (folder / "notes.txt").write_text("secret")
    (folder / ".herald").mkdir()
    (folder / ".herald" / "cached.png").write_bytes(png())
    (folder / "media" / "link.png").symlink_to("/etc/hostname")
    for path in ("../../etc/passwd", "/etc/hostname", "notes.txt", "content_calendar.yaml", ".herald/cached.png",
                 "media/link.png", "media/../../x.png", "media/none.png", "", "media%00.png"):
        assert client.get("/review/media", params={"path": path}).status_code == 404, path
    client.cookies.clear()
    assert client.get("/review/media?path=media/sofa.png").status_code == 401  # behind the sign-in


def test_the_refused_file_banner_says_error(client):
    folder = client.folder
    text = (folder / "content_calendar.yaml").read_text()
    (folder / "content_calendar.yaml").write_text(text.replace(
        'x: {text: "Our winter sofa guide: keep it away from radiators. {links.help}"}',
        'x: {text: "' + "Far too long for X. " * 20 + '"}'))
    page = client.get("/review?view=week&from=2026-12-03").text
    banner = page.split('<div class="warn" role="alert">')[1].split("</div>")[0]
    assert ": error: post &#39;sofa-guide&#39; is too long for x" in banner and "warning" not in banner


def test_unknown_view_is_a_400_naming_the_views(client):
    answer = client.get("/review?view=year")
    assert answer.status_code == 400 and "choose day, month, week" in answer.text


def test_a_day_page_with_nothing_planned_says_so(client):
    page = client.get(f"/review?view=day&from={date(2026, 12, 2).isoformat()}").text
    assert "Nothing planned." in page and "Wednesday 2 December 2026" in page


def test_capabilities_come_from_the_networks_record_not_its_name():
    """Another package's network type: what it can do is its record's; it looks plain."""
    from dataclasses import replace as changed

    from campaigns.networks import NETWORK_TYPES, Limit, NetworkType
    from campaigns.plan import Publication
    from scheduler.render import previews

    pigeon = NetworkType(name="pigeon", title="Carrier pigeon", publisher="pigeons:Publisher",
                         limit=Limit(40, "characters"), images=("url",), internal=True)
    pub = Publication("k", "incident:i", "i", "incident", "loft", "pigeon", T0, "Coo: see https://acme.example.com",
                      1, 1, 40, thread_root="root", incident_state="identified")
    assert previews.thread(pub, pigeon, "first")["shape"] == "separate"
    assert "Carrier pigeon has no threads" in previews.thread(pub, pigeon, "first")["words"]
    assert previews.thread(pub, changed(NETWORK_TYPES["x"], name="pigeon"), "first")["shape"] == "reply"
    assert previews.layout(pigeon) == "chat" and previews.layout(NETWORK_TYPES["webhook"]) == "post"
    assert previews.layout(NETWORK_TYPES["instagram"]) == "square"
    assert previews.image({"path": "a.png", "alt": "A"}, pigeon, "/nowhere")["why"] == \
        "not sent: Carrier pigeon takes images from a url only"
    assert previews.counter(pub, pigeon)["note"] == ""  # its counter counts a link as its characters
    assert previews.LOOKS.get("pigeon", previews.PLAIN) is previews.PLAIN


def test_folds_cut_where_each_feed_does():
    from scheduler.render.previews import LOOKS, PLAIN, fold

    text = "One.\nTwo.\nThree.\nFour.\nFive.\nSix."
    assert fold(text, LOOKS["linkedin"]) == ("One.\nTwo.\nThree.", "\nFour.\nFive.\nSix.")
    assert fold(text, LOOKS["facebook"]) == ("One.\nTwo.\nThree.\nFour.\nFive.", "\nSix.")
    assert fold(text, LOOKS["instagram"]) == ("One.", "Two.\nThree.\nFour.\nFive.\nSix.")
    assert fold(text, PLAIN) == (text, "")
    words = "word " * 100
    shown, rest = fold(words, LOOKS["linkedin"])
    assert len(shown) <= 210 and shown + rest == words and not shown.endswith("wor")


def test_the_word_diff_names_what_a_version_cuts_and_adds():
    from scheduler.render.previews import word_diff

    found = word_diff("Book online now. You can still book by phone.", "Book online now…")
    assert found["cut"] == ["You can still book by phone."] and found["added"] == ["…"]
    assert "".join(text for _, text in found["segments"]) == "Book online now. You can still book by phone."


def test_the_file_is_checked_again_only_when_its_text_changes(client, monkeypatch):
    import campaigns.calendar
    import scheduler.web.review

    calls = []
    check = campaigns.calendar.check

    def counted(path, **options):
        if options.get("draft"):  # the room's read of the file (the server's last good version is its own)
            calls.append(path)
        return check(path, **options)

    monkeypatch.setattr(campaigns.calendar, "check", counted)
    monkeypatch.setattr(scheduler.web.review, "_drafts", {})  # nothing known of the file yet
    client.get("/review?view=week&from=2026-12-03")
    client.get("/review?view=month&from=2026-12-03")
    assert len(calls) == 1
    path = client.folder / "content_calendar.yaml"
    path.write_text(path.read_text().replace("Our shop is open until 20:00 today.", "Open until 21:00 today."))
    page = client.get("/review?view=day&from=2026-12-14").text
    assert len(calls) == 2 and "Open until 21:00 today." in page


def test_the_review_pages_policy_is_the_sites_but_for_images():
    from scheduler.web.app import CSP
    from scheduler.web.review import REVIEW_CSP

    assert CSP.replace("img-src 'self'", "img-src 'self' https: http:") == REVIEW_CSP


def test_the_benchmark_runs_and_prints_each_page(monkeypatch, capsys):
    """bench/bench_review.py, small: its figures are in bench/README.md, measured at 10,000 posts."""
    import sys

    from bench import bench_review

    monkeypatch.setenv("HERALD_REVIEW_TOKEN", "restored-after-the-test")  # the benchmark sets its own
    monkeypatch.setattr(sys, "argv", ["bench_review.py", "--posts", "150", "--runs", "1"])
    bench_review.main()
    out = capsys.readouterr().out
    for page in ("render month", "render week", "render day", "GET /review?view=month&from=2027-03-01"):
        assert re.search(re.escape(page) + r".* \d+\.\d{3} .*x +\d+ KB", out), page
    for mode in ("whole check (before)", "incremental (now)"):  # the first GET after a save, paired
        assert re.search(re.escape(mode) + r" +first GET after a save: median \d+\.\d{3} s wall", out), mode


def test_the_plan_and_the_announcements_come_in_time_order(tmp_path, monkeypatch):
    from campaigns.calendar import load
    from scheduler.render.review import Filters, Room, Window, publications
    from status.load import check

    ctx = make_room(tmp_path, monkeypatch)
    calendar = load(ctx.calendar_path)
    status = check(ctx.status_path, calendar).value
    for view in ("month", "week", "day"):
        room = Room(calendar, status, T0, Window.around(view, date(2026, 12, 3)), Filters())
        pubs = publications(room)
        assert {p.kind for p in pubs} >= ({"incident", "tip"} if view != "month" else {"maintenance", "reminder"})
        assert pubs == sorted(pubs, key=lambda p: (p.at.timestamp(), p.network, p.post))
        assert publications(room) == pubs  # the second time from what the first remembered


def test_a_text_naming_another_day_is_flagged_on_its_card(tmp_path, monkeypatch):
    """The day rules (campaigns.days) depend on the day a publication goes out, so the room checks
    each card at its own time: the same text is right on Monday and wrong on Tuesday."""
    calendar = CALENDAR.split("posts:\n")[0] + """posts:
  - id: late
    kind: reminder
    networks: [site]
    rrule: "FREQ=DAILY;BYHOUR=18;BYMINUTE=0;COUNT=2"
    starts: 2026-11-30
    text: "Late opening tonight (Monday 30 November): come by until 21:00."
"""
    ctx = make_room(tmp_path, monkeypatch, calendar, now=datetime(2026, 11, 30, 8, tzinfo=UTC))
    with TestClient(create_app(ctx), follow_redirects=False) as client:
        monday = signed_in(client).get("/review?view=day&from=2026-11-30").text
        tuesday = client.get("/review?view=day&from=2026-12-01").text
    assert "wrong-day" not in monday and "Late opening tonight" in monday
    assert "wrong-day" in tuesday and "Tuesday 1 December" in tuesday
