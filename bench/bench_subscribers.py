"""An update reaches 10,000 email subscribers through a real SMTP server on the loopback
(aiosmtpd, in this process's own thread), each once: the time to store the notice and its
10,000 delivery rows (one transaction), and to claim, send and record every one.

    python bench/bench_subscribers.py [N] [sqlite|postgresql]
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scheduler.clock import SystemClock  # noqa: E402
from scheduler.ledger import Ledger  # noqa: E402
from scheduler.ledger.schema import subscribers_table  # noqa: E402
from scheduler.ledger.subscribers import Subscribers  # noqa: E402
from scheduler.subscribers.dispatch import SubscriberDuty  # noqa: E402
from tests.mailserver import MailServer  # noqa: E402
from tests.test_subscribers import KEY, calendar_text, status_text  # noqa: E402


def main(count: int = 10_000, backend: str = "sqlite") -> None:
    from campaigns.calendar import check
    from status.load import load

    os.environ["HERALD_STATUS_MAIL_SIGNING_KEY"] = KEY
    mail = MailServer()
    folder = Path(tempfile.mkdtemp(prefix="herald-bench-subs-"))
    if backend == "sqlite":
        url = f"sqlite:///{folder / 'state.db'}"
    else:
        from tests.conftest import _fresh_postgres_url
        url = _fresh_postgres_url()
    (folder / "cal.yaml").write_text(calendar_text(mail.port))
    now = datetime.now(UTC)
    (folder / "status.yaml").write_text(status_text((now.isoformat(), "investigating", "Cards fail.")))
    calendar = check(str(folder / "cal.yaml")).unwrap()
    status = load(str(folder / "status.yaml"), calendar)
    ledger = Ledger(url)
    stamp = now.replace(tzinfo=None)
    with ledger.db.begin() as c:
        c.execute(subscribers_table.insert(), [
            {"id": f"{n:032x}", "kind": "email", "address": f"s{n}@example.com", "components": "[]",
             "created_at": stamp, "confirmed_at": stamp, "failures": 0} for n in range(count)])
    duty = SubscriberDuty(lambda: calendar, lambda: status, ledger.db, SystemClock(), "bench", threading.Event(),
                          base_dir=str(folder))
    started = time.perf_counter()
    sent = duty.step()
    took = time.perf_counter() - started
    mail.wait_for(count, timeout=60)
    received = Counter(m["To"] for m in mail.messages)
    once = len(received) == count and set(received.values()) == {1}
    print(f"{backend}: {count:,} subscribers: {sent:,} sent in {took:.1f} s ({sent / took:,.0f}/s); "
          f"each once: {once}; ledger: {Subscribers(ledger.db).counts()}")
    ledger.close()
    mail.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000, sys.argv[2] if len(sys.argv) > 2 else "sqlite")
