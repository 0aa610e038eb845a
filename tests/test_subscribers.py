"""Status page subscribers: the ledger rows (SQLite and PostgreSQL), the form and its abuse
guards, double opt-in through a real SMTP server on the loopback, a webhook signed and retried,
one-click unsubscribe, and every notice delivered once per subscriber."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from campaigns.calendar import check
from scheduler.clock import FakeClock
from scheduler.ledger import Ledger
from scheduler.ledger.subscribers import DeliveryState, Subscribers
from scheduler.subscribers.dispatch import SubscriberDuty
from scheduler.subscribers.tokens import digest
from status.notices import Notice
from tests.mailserver import MailServer
from tests.receiver import Receiver

KEY = "s3cr3t-signing-key-" + "x" * 24
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def calendar_text(port: int, extra: str = "") -> str:
    return f"""\
brand:
  name: Acme
  timezone: Europe/Berlin
  links: {{status: "https://status.acme.example/"}}
networks:
  site: {{type: site}}
engine:
  subscribers:
    account: status_mail
    from: Acme status <status@acme.example>
    smtp: {{host: 127.0.0.1, port: {port}, security: none, timeout: 2s}}
    rate: 1000/second
{extra}"""


def status_text(*updates: tuple[str, str, str]) -> str:
    lines = ["components:", "  checkout: {name: Checkout}", "  tracking: {name: Delivery tracking}"]
    if updates:
        lines += ["incidents:", "  - id: pay", "    title: Card payments fail", "    impact: major",
                  "    components: [checkout]", "    updates:"]
        lines += [f"      - {{at: '{at}', state: {state}, message: '{message}'}}" for at, state, message in updates]
    return "\n".join(lines) + "\n"


def notice(key: str = "n1", components: tuple[str, ...] = ()) -> Notice:
    return Notice(key, "incident:pay", NOW, "Investigating: Card payments fail", "We look.", components,
                  "Checkout", "incidents/pay/")


# -- the ledger ---------------------------------------------------------------------------------
def test_a_confirmation_works_once_before_it_expires_and_the_ledger_keeps_no_token(ledger):
    store = Subscribers(ledger.db)
    store.request("email", "ann@example.com", ["checkout"], digest("tok"), NOW + timedelta(hours=1), NOW)
    assert store.confirm(digest("wrong"), NOW) is None
    assert store.confirm(digest("tok"), NOW + timedelta(hours=2)) is None  # expired
    store.request("email", "ann@example.com", ["checkout"], digest("tok2"), NOW + timedelta(hours=1), NOW)
    person = store.confirm(digest("tok2"), NOW)
    assert person is not None and person.components == ("checkout",) and person.confirmed_at == NOW
    assert store.confirm(digest("tok2"), NOW) is None  # used
    with ledger.db.connect() as c:
        row = c.execute(text("SELECT * FROM herald_subscribers")).mappings().one()
    assert "tok2" not in json.dumps({k: str(v) for k, v in row.items()})
    assert row["token_hash"] is None


def test_a_notice_fans_out_once_to_the_confirmed_subscribers_of_its_components(ledger):
    store = Subscribers(ledger.db)
    for who, comps in (("a@x.io", ["checkout"]), ("b@x.io", ["tracking"]), ("c@x.io", [])):
        store.request("email", who, comps, digest(who), NOW + timedelta(hours=1), NOW)
        store.confirm(digest(who), NOW)
    store.request("email", "pending@x.io", [], digest("p"), NOW + timedelta(hours=1), NOW)  # never confirmed
    assert store.fan_out(notice(components=("checkout",)), NOW) == 2
    assert store.fan_out(notice(components=("checkout",)), NOW) is None  # a second engine: nothing more
    assert store.counts() == {"pending": 2}


def test_two_engines_claiming_at_once_never_share_a_delivery(ledger):
    store = Subscribers(ledger.db)
    for n in range(20):
        store.add_confirmed("email", f"p{n}@x.io", [], NOW)
    store.fan_out(notice(), NOW)
    taken: list[list[str]] = [[], []]

    def claim(i: int) -> None:
        while batch := store.claim(f"engine{i}", NOW, timedelta(seconds=30), 3):
            for d in batch:
                taken[i].append(d.subscriber.id)
                assert store.record(d, DeliveryState.SENT, NOW)

    threads = [threading.Thread(target=claim, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(taken[0] + taken[1]) == sorted(s.id for s in store.all())
    assert store.counts() == {"sent": 20}


def test_a_claim_whose_engine_died_is_sent_by_another_after_its_lease(ledger):
    store = Subscribers(ledger.db)
    store.add_confirmed("email", "a@x.io", [], NOW)
    store.fan_out(notice(), NOW)
    assert len(store.claim("dead", NOW, timedelta(seconds=10), 5)) == 1
    assert store.claim("alive", NOW + timedelta(seconds=5), timedelta(seconds=10), 5) == []
    again = store.claim("alive", NOW + timedelta(seconds=11), timedelta(seconds=10), 5)
    assert len(again) == 1 and again[0].ambiguous


def test_prune_deletes_old_notices_and_their_deliveries_by_the_ledgers_retention_and_keeps_what_is_due(ledger):
    """``herald prune`` kept every notice and delivery row for ever: a year of updates to 10,000
    subscribers is millions of rows nothing reads again."""
    store = Subscribers(ledger.db)
    old = NOW - timedelta(days=400)
    for who in ("a@x.io", "b@x.io"):
        store.add_confirmed("email", who, [], old)

    def stored(key: str, at: datetime, deliver: bool) -> None:
        assert store.fan_out(Notice(key, "incident:pay", at, "Resolved: Card payments fail", "Fixed.", (),
                                    "Checkout", "incidents/pay/"), at) == 2
        if deliver:  # (a claim takes every due row: the undelivered notice's are given back)
            for d in store.claim("e", at, timedelta(seconds=30), 10):
                assert store.record(d, DeliveryState.SENT if d.notice.key == key else DeliveryState.PENDING, at)

    stored("done-long-ago", old, deliver=True)
    stored("still-due", old, deliver=False)  # never sent (the engine was away): an engine still acts on it
    stored("recent", NOW - timedelta(days=3), deliver=True)
    dry = ledger.prune(NOW - timedelta(days=180), dry_run=True)
    assert (dry.notices, dry.deliveries) == (1, 2) and store.known(["done-long-ago"]) == {"done-long-ago"}
    pruned = ledger.prune(NOW - timedelta(days=180))
    assert (pruned.notices, pruned.deliveries) == (1, 2)
    assert store.known(["done-long-ago", "still-due", "recent"]) == {"still-due", "recent"}
    assert store.counts() == {"pending": 2, "sent": 2}
    assert sorted(s.address for s in store.all()) == ["a@x.io", "b@x.io"]  # subscribers are not the ledger's to prune


def test_herald_prune_says_how_many_notices_it_deleted(ledger, tmp_path, capsys):
    from scheduler.cli import main

    store = Subscribers(ledger.db)
    old = NOW - timedelta(days=400)
    store.add_confirmed("email", "a@x.io", [], old)
    store.fan_out(Notice("n-old", "incident:pay", old, "Resolved: Card payments fail", "Fixed.", (), "Checkout",
                         "incidents/pay/"), old)
    for d in store.claim("e", old, timedelta(seconds=30), 10):
        store.record(d, DeliveryState.DEAD, old, error="550 no such user")
    assert main(["prune", "--older-than", "180d", "--state", ledger.url, "--status", str(tmp_path / "none.yaml")],
                clock=FakeClock(NOW)) == 0
    assert "1 subscriber notice (1 delivery)" in capsys.readouterr().out
    assert store.known(["n-old"]) == set()


def test_herald_prune_keeps_the_notices_an_engine_would_make_again(ledger, tmp_path, capsys):
    """A notice is made from an update dated within the subscribers' catch_up: one pruned younger
    than that would be made, and mailed, again."""
    from scheduler.cli import main

    (tmp_path / "cal.yaml").write_text(calendar_text(2525, "    catch_up: 30d\n"))
    store = Subscribers(ledger.db)
    at = NOW - timedelta(days=20)
    store.add_confirmed("email", "a@x.io", [], at)
    store.fan_out(Notice("n-20d", "incident:pay", at, "Resolved: Card payments fail", "Fixed.", (), "Checkout",
                         "incidents/pay/"), at)
    for d in store.claim("e", at, timedelta(seconds=30), 10):
        store.record(d, DeliveryState.SENT, at)
    args = ["prune", "--older-than", "7d", "--state", ledger.url, "--calendar", str(tmp_path / "cal.yaml"),
            "--status", str(tmp_path / "none.yaml")]
    assert main(args, clock=FakeClock(NOW)) == 0
    assert store.known(["n-20d"]) == {"n-20d"} and "0 subscriber notices" in capsys.readouterr().out
    assert main(args, clock=FakeClock(NOW + timedelta(days=11))) == 0
    assert store.known(["n-20d"]) == set()


def test_delete_forgets_the_subscriber_and_its_deliveries(ledger):
    store = Subscribers(ledger.db)
    person = store.add_confirmed("email", "a@x.io", [], NOW)
    store.fan_out(notice(), NOW)
    assert store.delete(person.id)
    assert store.all() == [] and store.counts() == {}


def test_a_schema_4_ledger_is_migrated_to_5_with_the_subscriber_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'state.db'}"
    Ledger(url).close()
    import sqlite3

    con = sqlite3.connect(tmp_path / "state.db")
    for table in ("herald_deliveries", "herald_notices", "herald_subscribers"):
        con.execute(f"DROP TABLE {table}")
    con.execute("UPDATE herald_meta SET value = '4' WHERE name = 'schema'")
    con.commit()
    con.close()
    ledger = Ledger(url)
    with ledger.db.connect() as c:
        assert c.execute(text("SELECT value FROM herald_meta WHERE name = 'schema'")).scalar() == "5"
        assert c.execute(text("SELECT count(*) FROM herald_subscribers")).scalar() == 0
    ledger.close()


# -- the calendar ------------------------------------------------------------------------------------
def test_bad_subscriber_settings_are_located_errors(tmp_path):
    path = tmp_path / "cal.yaml"
    path.write_text(calendar_text(25).replace("Acme status <status@acme.example>", "nobody")
                    .replace("timeout: 2s", "timeout: 0s").replace("security: none", "security: ssl"))
    problems = [str(p) for p in check(str(path)).problems]
    assert any(p.endswith("cal.yaml:10:11: from: 'nobody' is not a mail address (write e.g. status@acme.example "
                          "or Acme status <status@acme.example>)") for p in problems), problems
    assert any(":11:" in p and "'ssl'" in p for p in problems), problems
    assert any(":11:" in p and "timeout: must be longer than 0" in p for p in problems), problems


# -- the whole path: form, mail, confirmation, notices, unsubscribe -------------------------------------------
@pytest.fixture
def mail():
    server = MailServer()
    yield server
    server.close()


@pytest.fixture
def shop(tmp_path: Path, mail: MailServer, monkeypatch, ledger_url: str):
    from starlette.testclient import TestClient

    from scheduler.web.app import create_app
    from scheduler.web.context import WebContext

    monkeypatch.setenv("HERALD_STATUS_MAIL_SIGNING_KEY", KEY)
    (tmp_path / "cal.yaml").write_text(calendar_text(mail.port))
    (tmp_path / "status.yaml").write_text(status_text())
    Ledger(ledger_url).close()
    ctx = WebContext(str(tmp_path / "cal.yaml"), str(tmp_path / "status.yaml"), ledger_url)
    client = TestClient(create_app(ctx), base_url="https://status.acme.example")
    yield tmp_path, client, ctx
    client.close()
    ctx.close()


def _subscribe(client, address: str, *components: str):
    page = client.get("/subscribe/", params={"email": address})
    assert page.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]
    return client.post("/subscribe/", data={"csrf": csrf, "email": address, "component": list(components)})


def _duty(folder: Path, ctx, clock: FakeClock, stop: threading.Event | None = None) -> SubscriberDuty:
    return SubscriberDuty(ctx.calendar, lambda: ctx.status(), ctx.ledger().db, clock, "engine-1",
                          stop or threading.Event(), base_dir=str(folder))


def _link(message, pattern: str) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(pattern, body)[0]


def test_subscribe_confirm_receive_unsubscribe_then_nothing_more(shop, mail):
    folder, client, ctx = shop
    answer = _subscribe(client, "Ann@Example.com", "checkout")
    assert answer.status_code == 200 and "Check your inbox" in answer.text
    (confirmation,) = mail.wait_for(1)
    assert confirmation["To"] == "ann@example.com" and confirmation.get_body(("html",)) is not None
    link = _link(confirmation, r"https://status\.acme\.example/subscribe/confirm\?t=\S+")
    button = client.get(link.removeprefix("https://status.acme.example"))
    assert "Confirm" in button.text and Subscribers(ctx.ledger().db).all()[0].confirmed_at is None  # a GET confirms nothing
    token = re.search(r'name="t" value="([^"]+)"', button.text)[1]
    assert "Subscribed" in client.post("/subscribe/confirm", data={"t": token}).text

    clock = FakeClock(datetime.now(UTC))
    (folder / "status.yaml").write_text(status_text((clock.now().isoformat(), "investigating", "Cards fail.")))
    assert _duty(folder, ctx, clock).step() == 1
    update = mail.wait_for(2)[1]
    assert update["Subject"] == "[Acme status] Investigating: Card payments fail"
    assert update["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Cards fail." in update.get_body(("plain",)).get_content()
    assert "Cards fail." in update.get_body(("html",)).get_content()
    leave = update["List-Unsubscribe"].strip("<>").removeprefix("https://status.acme.example")
    assert _duty(folder, ctx, clock).step() == 0  # sent once

    one_click = client.post(leave, content=b"List-Unsubscribe=One-Click",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert one_click.status_code == 200 and "Unsubscribed" in one_click.text
    assert Subscribers(ctx.ledger().db).all() == []
    later = clock.advance(60)
    (folder / "status.yaml").write_text(status_text((NOW.isoformat(), "investigating", "Cards fail."),
                                                    (later.isoformat(), "resolved", "Fixed.")))
    assert _duty(folder, ctx, clock).step() == 0
    assert len(mail.messages) == 2


def test_the_answer_never_tells_whether_an_address_is_subscribed(shop, mail):
    folder, client, ctx = shop
    Subscribers(ctx.ledger().db).add_confirmed("email", "known@example.com", [], NOW)
    def page(answer: httpx.Response, address: str) -> tuple[int, str]:
        """The answer less the address and the page's own "as of" time (two requests may fall
        in two seconds: the answers must differ in nothing else)."""
        return answer.status_code, re.sub(r"<time [^>]*>[^<]*</time>", "", answer.text.replace(address, ""))

    known, new = _subscribe(client, "known@example.com"), _subscribe(client, "new@example.com")
    assert page(known, "known") == page(new, "new")
    for _ in range(5):  # an address rate limited gets the same answer too
        again = _subscribe(client, "new@example.com")
        assert page(again, "new") == page(new, "new")


def test_the_form_needs_its_csrf_token_and_limits_each_client(shop):
    folder, client, ctx = shop
    client.get("/subscribe/")
    assert client.post("/subscribe/", data={"email": "a@example.com"}).status_code == 403
    assert client.post("/subscribe/", data={"email": "a@example.com", "csrf": "1.abc"}).status_code == 403
    codes = [_subscribe(client, f"p{n}@example.com").status_code for n in range(12)]
    assert codes[:10] == [200] * 10 and codes[10:] == [429, 429]


def test_the_page_shows_the_form_only_when_subscribers_are_on(shop, tmp_path):
    folder, client, ctx = shop
    assert 'action="/subscribe/"' in client.get("/").text
    (folder / "cal.yaml").write_text("brand: {name: Acme, timezone: Europe/Berlin}\nnetworks:\n  site: {type: site}\n")
    import os
    os.utime(folder / "cal.yaml", (1, 1))
    assert client.get("/subscribe/").status_code == 404


def test_a_webhook_is_signed_retried_and_disabled_after_repeated_failures(shop, capsys):
    from scheduler.cli import main
    from scheduler.subscribers.tokens import webhook_secret

    folder, client, ctx = shop
    with Receiver() as receiver:
        store = Subscribers(ctx.ledger().db)
        assert main(["subscribers", "add-webhook", receiver.url + "/hook", "--calendar", str(folder / "cal.yaml"),
                     "--state", ctx.ledger_url]) == 0
        person = store.all()[0]
        secret = webhook_secret(KEY.encode(), person.id)
        assert secret in capsys.readouterr().out
        receiver.secret = secret.encode()  # the receiver refuses (401) a body whose signature is not this
        clock = FakeClock(datetime.now(UTC))
        (folder / "status.yaml").write_text(status_text((clock.now().isoformat(), "investigating", "Cards fail.")))
        assert _duty(folder, ctx, clock).step() == 1
        (got,) = receiver.deliveries
        assert got["body"]["notice"]["message"] == "Cards fail."
        assert got["headers"]["X-Herald-Signature"].startswith("sha256=")
        receiver.answers.extend([(500, {}, "")] * 40)
        for n in range(12):  # updates keep failing: retried with backoff, then the webhook is disabled
            at = clock.advance(3600)
            (folder / "status.yaml").write_text(status_text((at.isoformat(), "identified", f"Step {n}.")))
            _duty(folder, ctx, clock).step()
        assert store.get(person.id).disabled_at is not None
        assert main(["status", "--calendar", str(folder / "cal.yaml"), "--status", str(folder / "status.yaml"),
                     "--state", ctx.ledger_url]) == 0
        assert f"webhook subscribers disabled after repeated failures: 1: {person.id}" in capsys.readouterr().out


def test_export_and_delete_serve_a_data_protection_request(shop, capsys):
    from scheduler.cli import main

    folder, client, ctx = shop
    Subscribers(ctx.ledger().db).add_confirmed("email", "ann@example.com", ["checkout"], NOW)
    args = ["--calendar", str(folder / "cal.yaml"), "--state", ctx.ledger_url]
    assert main(["subscribers", "export", "ann@example.com", *args]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["address"] == "ann@example.com" and exported["components"] == ["checkout"]
    assert main(["subscribers", "delete", "ann@example.com", *args]) == 0
    assert main(["subscribers", "list", *args]) == 0
    assert "ann@example.com" not in capsys.readouterr().out
