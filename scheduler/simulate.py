"""``herald simulate``: the whole engine on a fake clock and an in-memory network.

Days of schedule run in seconds: the clock jumps from one due time to the next, the
engine decides and acts exactly as in production (ledger, catch-up, rotation,
retries), and every outcome is printed as it would be logged.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime

from campaigns.model import Calendar

from .clock import FakeClock
from .engine import HORIZON, Engine
from .ledger import Ledger
from .networks.memory import MemoryPublisher


def simulate(calendar: Calendar, start: datetime, end: datetime) -> Iterator[str]:
    clock = FakeClock(start)
    tz = calendar.brand.tz
    with tempfile.TemporaryDirectory(prefix="herald-sim-") as folder:
        ledger = Ledger(f"sqlite:///{folder}/simulation.db")
        publishers = {name: MemoryPublisher(name, account.type) for name, account in calendar.networks.items()
                      if account.enabled}
        engine = Engine(calendar, ledger, publishers, owner="simulation")
        planned_until = start
        count = 0
        while True:
            now = clock.now()
            if now >= planned_until - HORIZON / 4:
                engine.replan(now)
                planned_until = now + HORIZON
            due = [p.at for p in engine.pending() if p.at > now]
            retries = [r.next_attempt_at for r in ledger.due_retries(end) if r.next_attempt_at]
            upcoming = [t for t in due + retries if t > now]
            for outcome in engine.run_due(now):
                count += 1
                text = engine.planned[outcome.key].text if outcome.key in engine.planned else ""
                yield (f"{outcome.at.astimezone(tz):%a %Y-%m-%d %H:%M %Z}  {outcome.network:<10} "
                       f"{outcome.post:<24} {outcome.result:<9} {text}")
            following = min(upcoming, default=None)
            if following is None and planned_until < end:
                clock.set(planned_until - HORIZON / 4)
                continue
            if following is None or following >= end:
                break
            clock.set(following)
        ledger.close()
        sent = sum(len(p.sent) for p in publishers.values())
        yield f"simulated {start.astimezone(tz):%Y-%m-%d %H:%M} to {end.astimezone(tz):%Y-%m-%d %H:%M}: " \
              f"{sent} sent, {count} outcome(s)"
