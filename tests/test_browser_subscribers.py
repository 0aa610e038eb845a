"""Subscribing in a real headless Chromium: the footer's form, the components chosen, the link
from the mail a real SMTP server received, the next update by mail, one-click unsubscribe from
that mail, then nothing more; axe-core finds nothing on the subscription pages."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.clock import FakeClock
from scheduler.ledger import Ledger
from scheduler.subscribers.dispatch import SubscriberDuty
from scheduler.web.app import create_app, serve
from scheduler.web.context import WebContext
from tests.mailserver import MailServer
from tests.test_browser_site import axe_violations, chromium, shots  # noqa: F401 - the fixture
from tests.test_subscribers import KEY, calendar_text, status_text

pytestmark = pytest.mark.slow

PAGE = "https://status.acme.example"


@pytest.fixture
def served(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HERALD_STATUS_MAIL_SIGNING_KEY", KEY)
    mail = MailServer()
    (tmp_path / "cal.yaml").write_text(calendar_text(mail.port))
    (tmp_path / "status.yaml").write_text(status_text())
    ledger = f"sqlite:///{tmp_path / 'state.db'}"
    Ledger(ledger).close()
    ctx = WebContext(str(tmp_path / "cal.yaml"), str(tmp_path / "status.yaml"), ledger)
    server = serve(create_app(ctx), "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}", tmp_path, ctx, mail
    finally:
        server.should_exit = True
        thread.join(5)
        ctx.close()
        mail.close()


def _link(message, pattern: str, base: str) -> str:
    return re.search(pattern, message.get_body(("plain",)).get_content())[0].replace(PAGE, base)


def test_subscribe_confirm_receive_unsubscribe_in_the_browser(chromium, served):  # noqa: F811 - the fixture
    base, folder, ctx, mail = served
    page = chromium.new_page(viewport={"width": 390, "height": 900})
    page.goto(base + "/")
    page.get_by_label("Get status updates by email").fill("ann@example.com")
    page.locator(".subscribe-form button").click()
    page.wait_for_url("**/subscribe/?email=*")
    assert page.locator("#email").input_value() == "ann@example.com"
    page.get_by_label("Checkout").check()
    shots(page, "subscribe-form")
    assert axe_violations(page) == []
    page.locator(".subscribe-page button").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    (confirmation,) = mail.wait_for(1)
    page.goto(_link(confirmation, rf"{re.escape(PAGE)}/subscribe/confirm\?t=\S+", base))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Subscribed").wait_for()

    clock = FakeClock(datetime.now(UTC))
    duty = SubscriberDuty(ctx.calendar, ctx.status, ctx.ledger().db, clock, "engine", threading.Event(),
                          base_dir=str(folder))
    (folder / "status.yaml").write_text(status_text((clock.now().isoformat(), "investigating", "Cards fail.")))
    assert duty.step() == 1
    update = mail.wait_for(2)[1]
    assert update["To"] == "ann@example.com" and "Cards fail." in update.get_body(("plain",)).get_content()
    page.goto(_link(update, rf"{re.escape(PAGE)}/subscribe/unsubscribe\?\S+", base))
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("heading", name="Unsubscribed").wait_for()
    assert axe_violations(page) == []
    later = clock.advance(60)
    (folder / "status.yaml").write_text(status_text((clock.now().isoformat(), "investigating", "Cards fail."),
                                                    (later.isoformat(), "resolved", "Fixed.")))
    assert duty.step() == 0 and len(mail.messages) == 2
    page.close()
