"""A process opening a ledger (tests/test_ledger_file.py starts several at once); kept apart from
the test module so each process starts quickly (it imports the ledger and nothing else)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def open_and_claim(url: str, barrier: Any, index: int, results: Any) -> None:
    """Wait for the others, open the ledger at ``url`` (creating it if new) and claim one row."""
    try:
        from scheduler.ledger import Item, Ledger

        barrier.wait(60)
        ledger = Ledger(url)
        item = Item(key=f"p{index}", source="post:p", post="p", network="site", kind="tip", scheduled_at=T0)
        claim = ledger.claim(item, f"engine-{index}", T0, timedelta(seconds=60))
        ledger.close()
        results.put((index, "ok" if claim is not None else "no claim"))
    except Exception as exc:  # reported to the test, which shows it
        results.put((index, f"{type(exc).__name__}: {exc}"))
