"""``herald simulate``: the whole engine on a fake clock and an in-memory network.

Days of schedule run in seconds: the clock jumps from one wake-up to the next exactly as the
daemon would wait (:meth:`Engine.next_wakeup`), the engine decides and acts exactly as in
production (:meth:`Engine.run_due`: ledger, catch-up, rotation, retries, holds), and every
outcome is printed as it would be logged.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta, tzinfo

from campaigns.model import STATUS_KINDS, Calendar
from campaigns.plan import Publication
from status.model import Status

from .clock import FakeClock
from .engine import Engine, Outcome
from .ledger import Ledger
from .networks.memory import MemoryPublisher

STEP = timedelta(seconds=1)  # a wake-up that acted on nothing moves the clock on at least this much


def simulate(calendar: Calendar, start: datetime, end: datetime, status: Status | None = None,
             only: str | None = None) -> Iterator[str]:
    """Each outcome as a line, then a summary.  ``status``: the status file's announcements go
    out too (and hold what a major incident holds), as in production; ``only`` keeps the lines
    of the calendar's posts or of the status file's announcements."""
    clock = FakeClock(start)
    tz = calendar.brand.tz
    with tempfile.TemporaryDirectory(prefix="herald-sim-") as folder:
        ledger = Ledger(f"sqlite:///{folder}/simulation.db")
        publishers = {name: MemoryPublisher(name, account.type) for name, account in calendar.networks.items()
                      if account.enabled}
        engine = Engine(calendar, ledger, publishers, owner="simulation", status=status)
        count = 0
        while True:
            now = clock.now()
            outcomes = engine.run_due(now)
            for outcome in outcomes:
                line = _line(outcome, engine.planned.get(outcome.key), tz, only)
                if line is not None:
                    count += 1
                    yield line
            following = engine.next_wakeup(now)
            if following is None or following >= end:
                break
            clock.set(max(following, now + STEP) if not outcomes else max(following, now))
        ledger.close()
        sent = sum(len(p.sent) for p in publishers.values())
        yield f"simulated {start.astimezone(tz):%Y-%m-%d %H:%M} to {end.astimezone(tz):%Y-%m-%d %H:%M}: " \
              f"{sent} sent, {count} outcome(s)" + (f" shown (--only {only})" if only else "")


def _line(outcome: Outcome, pub: Publication | None, tz: tzinfo, only: str | None) -> str | None:
    """An outcome as the simulation shows it; None when ``only`` keeps the other origin's lines."""
    origin = "status" if pub is not None and pub.kind in STATUS_KINDS else "calendar"
    if only is not None and origin != only:
        return None
    what = f"{pub.kind} ({pub.note}): " if pub is not None and origin == "status" else ""
    text = pub.text if pub is not None else ""
    return (f"{outcome.at.astimezone(tz):%a %Y-%m-%d %H:%M %Z}  {outcome.network:<10} "
            f"{outcome.post:<24} {outcome.result:<9} {what}{text}")
