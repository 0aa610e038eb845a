"""A real ``herald run`` SIGKILLed between two subscribers (the second one's mail on the wire):
after a restart each subscriber has the update exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scheduler.ledger import Ledger
from scheduler.ledger.subscribers import Subscribers
from tests.mailserver import MailServer
from tests.test_subscribers import KEY, calendar_text, status_text

pytestmark = pytest.mark.slow  # two real engines, and a claim's lease to wait out


def _engine(folder: Path, ledger_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HERALD_STATUS_MAIL_SIGNING_KEY": KEY, "PYTHONPATH": str(Path(__file__).parent.parent)}
    log = open(folder / "engine.log", "ab")  # noqa: SIM115 - the child writes it
    return subprocess.Popen([sys.executable, "-m", "scheduler.cli", "run", "--calendar", str(folder / "cal.yaml"),
                             "--status", str(folder / "status.yaml"), "--state", ledger_url],
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)


def test_an_engine_killed_between_two_subscribers_sends_each_the_update_once(tmp_path: Path):
    mail = MailServer(hold_after=1)  # the second message's DATA is never answered: it is on the wire
    ledger_url = f"sqlite:///{tmp_path / 'state.db'}"
    try:
        (tmp_path / "cal.yaml").write_text(calendar_text(mail.port))
        now = datetime.now(UTC)
        ledger = Ledger(ledger_url)
        store = Subscribers(ledger.db)
        for who in ("ann@example.com", "bob@example.com"):
            store.add_confirmed("email", who, [], now)
        (tmp_path / "status.yaml").write_text(status_text((now.isoformat(), "investigating", "Cards fail.")))
        first = _engine(tmp_path, ledger_url)
        assert mail.holding.wait(30), (tmp_path / "engine.log").read_text()[-2000:]
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert len(mail.messages) == 1 and store.counts() == {"sent": 1, "claimed": 1}
        mail.hold_after = None
        second = _engine(tmp_path, ledger_url)
        try:
            messages = mail.wait_for(2, timeout=40)  # after the dead engine's lease (9 s here)
            time.sleep(2)  # and nothing more comes
            assert sorted(m["To"] for m in mail.messages) == ["ann@example.com", "bob@example.com"], messages
            assert store.counts() == {"sent": 2}
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(10) == 0
        ledger.close()
    finally:
        mail.close()
