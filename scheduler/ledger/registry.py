"""The engine registry: one row per running Herald process ("engine", the word `herald health`
uses), with its heartbeats.  Not the :class:`scheduler.engine.Engine` class, nor SQLAlchemy's
engine (``Ledger.db``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine

from .schema import aware, engines_table, to_db

C = engines_table.c
RECENT = timedelta(days=1)  # engines whose claims may still be in the ledger: older rows are not looked at


class EngineRegistry:
    """The engine rows of a ledger's database ``db``."""

    db: Engine

    def __init__(self, db: Engine):
        self.db = db

    def beat(self, engine_id: str, now: datetime, info: dict[str, Any], fired: bool = False,
             started: bool = False, stopped: bool = False) -> None:
        values: dict[str, Any] = {"heartbeat_at": to_db(now), "info": json.dumps(info, default=str)}
        if fired:
            values["last_fire_at"] = to_db(now)
        if stopped:
            values["stopped_at"] = to_db(now)
        with self.db.begin() as c:
            if started:
                c.execute(insert(engines_table).values(id=engine_id, started_at=to_db(now), **values))
            else:
                c.execute(update(engines_table).where(C.id == engine_id).values(**values))

    def engines(self) -> list[dict[str, Any]]:
        """The 20 engines that beat last, latest first."""
        with self.db.connect() as c:
            rows = c.execute(select(engines_table).order_by(C.heartbeat_at.desc()).limit(20)).all()
        return [{
            "id": r.id, "started_at": aware(r.started_at), "heartbeat_at": aware(r.heartbeat_at),
            "last_fire_at": aware(r.last_fire_at), "stopped_at": aware(r.stopped_at), "info": json.loads(r.info),
        } for r in rows]

    def dead_engines(self, now: datetime, dead_after: timedelta, live: Callable[[list[str]], set[str]]) -> set[str]:
        """Engines that stopped, or whose heartbeat is older than ``dead_after`` and whose lock
        session is gone (``live`` says which of the stale ones still hold their liveness lock:
        those are slow, not dead).  Their claims may be taken over at once."""
        with self.db.connect() as c:
            rows = c.execute(select(C.id, C.heartbeat_at, C.stopped_at).where(
                C.heartbeat_at >= to_db(now - RECENT))).all()
        stopped = {r.id for r in rows if r.stopped_at is not None}
        stale = [r.id for r in rows if r.stopped_at is None and aware(r.heartbeat_at) < now - dead_after]
        return stopped | (set(stale) - live(stale) if stale else set())

    def last_heartbeat(self) -> datetime | None:
        with self.db.connect() as c:
            return aware(c.execute(select(func.max(C.heartbeat_at))).scalar())


def newest_calendar(engines: list[dict[str, Any]]) -> str | None:
    """The calendar hash of the engine whose calendar file is the newest (by the file's time),
    among ``engines`` (the live ones): the one an engine with another hash is behind."""
    known = [e["info"] for e in engines if e["info"].get("calendar_hash")]
    if not known:
        return None
    return str(max(known, key=lambda i: (float(i.get("calendar_mtime") or 0), i["calendar_hash"]))["calendar_hash"])
