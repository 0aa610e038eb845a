"""Cluster commands: engines (who runs, what each does and holds), prune (retention)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from campaigns.errors import UsageError

from .common import (
    ExitStatus,
    calendar_option,
    count,
    existing_ledger,
    no_ledger_yet,
    open_ledger,
    show,
    state_option,
    status_option,
)
from .times import parse_duration_option

if TYPE_CHECKING:
    from ..clock import Clock

SHORTEST_RETENTION = timedelta(days=7)  # longer than any catch-up window: a pruned key is never planned again


def register(sub: Any) -> None:
    p = sub.add_parser("engines", help="every engine on the ledger: alive or dead, calendar, duties, claims")
    calendar_option(p)
    state_option(p)
    p.add_argument("--json", action="store_true", help="one JSON object per engine, one per line")
    p.set_defaults(handler=cmd_engines)

    p = sub.add_parser("prune", help="delete old sent/skipped/dead rows and stopped engines from the ledger")
    calendar_option(p)
    state_option(p)
    status_option(p, ": its open incidents and maintenance are kept")
    p.add_argument("--older-than", required=True, metavar="DURATION", help="e.g. 180d: what last changed before then")
    p.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
    p.set_defaults(handler=cmd_prune)


def engine_rows(ledger: Any, now: Any) -> list[dict[str, Any]]:
    """What ``herald engines`` shows, one dict per engine (the 20 that beat last)."""
    from ..ledger.cluster import cluster_view
    from ..ledger.registry import newest_calendar

    engines = ledger.engines()
    locks = cluster_view(ledger.db, [e["id"] for e in engines])
    claims: dict[str, list[str]] = {}
    for record in ledger.claimed():
        claims.setdefault(record.lease_owner or "", []).append(record.key)
    rows = [_engine_row(e, locks, claims, now) for e in engines]
    newest = newest_calendar([e for e, row in zip(engines, rows, strict=True) if row["alive"]])
    for row in rows:
        row["older_calendar"] = bool(row["alive"] and newest and row["calendar_hash"] not in (None, newest))
    return rows


def _engine_row(e: dict[str, Any], locks: dict[str, Any] | None, claims: dict[str, list[str]],
                now: Any) -> dict[str, Any]:
    from ..daemon import DEAD_AFTER

    info = e["info"]
    session, duties = locks.get(e["id"], (False, [])) if locks is not None else (None, info.get("duties", []))
    fresh = e["stopped_at"] is None and now - e["heartbeat_at"] < DEAD_AFTER
    # On PostgreSQL a late heartbeat with the lock session still held is a slow engine, not a dead one.
    alive = e["stopped_at"] is None and (fresh or bool(session))
    return {
        "id": e["id"], "host": info.get("host", e["id"].partition(":")[0]), "pid": info.get("pid"),
        "alive": alive, "stopped": e["stopped_at"].isoformat() if e["stopped_at"] else None,
        "heartbeat_age_s": max(0.0, round((now - e["heartbeat_at"]).total_seconds(), 1)),  # never "-0s"
        "lock_session": session, "calendar_hash": info.get("calendar_hash"), "older_calendar": False,
        "duties": duties if alive else [], "claims": sorted(claims.get(e["id"], [])),
    }


def cmd_engines(args: argparse.Namespace, clock: Clock) -> int:
    ledger = existing_ledger(args)
    rows = engine_rows(ledger, clock.now()) if ledger is not None else []
    if args.json:
        for row in rows:
            sys.stdout.write(json.dumps(row) + "\n")
        return ExitStatus.OK
    if not rows:
        show("no engine has run on this ledger" if ledger is not None else f"no engine has run ({no_ledger_yet(args)})")
        return ExitStatus.OK
    for row in rows:
        state = "alive" if row["alive"] else ("stopped" if row["stopped"] else "DEAD")
        calendar = f"calendar {row['calendar_hash'] or '?'}" + (" (OLDER CALENDAR)" if row["older_calendar"] else "")
        duties = ", ".join(row["duties"]) or "none"
        held = count(len(row["claims"]), "claim") + (f" ({', '.join(k[:12] for k in row['claims'][:5])})"
                                                      if row["claims"] else "")
        show(f"{row['id']}  host {row['host']}  pid {row['pid']}  {state}, heartbeat {row['heartbeat_age_s']:g}s ago"
             f"  {calendar}  duties: {duties}  holds {held}")
    return ExitStatus.OK


def _open_items(args: argparse.Namespace, now: Any) -> set[str]:
    """The ids of the incidents still open and the maintenance not over: their rows stay."""
    if not os.path.exists(args.status):
        return set()
    from campaigns.errors import StatusFileError
    from status.load import check as check_status
    from status.maintenance import window_end

    from .common import load_calendar

    status = check_status(args.status, load_calendar(args.calendar)).unwrap(StatusFileError)
    return {i.id for i in status.open_incidents()} | {m.id for m in status.maintenance if window_end(m) > now}


def _catch_up(args: argparse.Namespace) -> timedelta:
    """How old an update may be and still be made a subscriber notice (the calendar's ``catch_up``):
    a notice younger than that is never pruned (it would be made and sent again)."""
    if not args.calendar or not os.path.exists(args.calendar):
        return timedelta(0)
    from .common import load_calendar

    settings = load_calendar(args.calendar).engine.subscribers
    return settings.catch_up if settings is not None else timedelta(0)


def cmd_prune(args: argparse.Namespace, clock: Clock) -> int:
    age = parse_duration_option("--older-than", args.older_than)
    if age < SHORTEST_RETENTION:
        raise UsageError(f"--older-than {args.older_than}: at least 7d (catch-up may still plan younger keys)")
    now = clock.now()
    keep = _open_items(args, now)
    ledger = open_ledger(args)
    pruned = ledger.prune(now - age, keep, dry_run=args.dry_run, notice_cutoff=now - max(age, _catch_up(args)))
    verb = "would delete" if args.dry_run else "deleted"
    show(f"{verb} {count(pruned.publications, 'publication')}, {count(pruned.engines, 'stopped engine')} and "
         f"{count(pruned.notices, 'subscriber notice')} ({pruned.deliveries} "
         f"{'delivery' if pruned.deliveries == 1 else 'deliveries'}) "
         f"older than {args.older_than}; kept {pruned.kept_open} of open incidents or maintenance, and every "
         "row not done or ambiguous")
    return ExitStatus.OK
