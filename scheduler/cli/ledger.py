"""Ledger commands: history, retry, skip, pause, resume."""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from campaigns.errors import UsageError

from .common import (
    ExitStatus,
    calendar_option,
    check_choices,
    check_names,
    check_reason,
    existing_ledger,
    load_calendar,
    no_ledger_yet,
    open_ledger,
    same_files,
    show,
    state_option,
    status_option,
    whole_number,
)
from .times import parse_time

if TYPE_CHECKING:
    from campaigns.model import Calendar

    from ..clock import Clock
    from ..ledger import Ledger, Record


def register(sub: Any) -> None:
    def ledger_parser(name: str, help: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, help=help)
        calendar_option(p)
        state_option(p)
        return p

    p = ledger_parser("history", "what the ledger recorded, newest first")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--limit", type=whole_number(1, 1_000_000), default=50, help="at most this many rows (default 50)")
    p.add_argument("--only", metavar="STATES",
                   help="comma-separated: claimed, sent, retrying, held, skipped, dead (e.g. dead,held)")
    p.add_argument("--network", metavar="NAME", help="only this account's rows (one the calendar or the ledger knows)")
    status_option(p, ", if it exists: names what each incident or maintenance row announced")
    p.set_defaults(handler=cmd_history)

    p = ledger_parser("retry", "send a dead, skipped, held or stuck publication again")
    p.add_argument("key", help="publication key (or a unique prefix of it)")
    p.set_defaults(handler=cmd_retry)

    p = ledger_parser("skip", "never send this publication")
    p.add_argument("key", help="publication key (or a unique prefix of it)")
    p.add_argument("--reason", default="skipped by an operator", help="why, kept in the ledger and shown by history")
    p.set_defaults(handler=cmd_skip)

    p = ledger_parser("pause", "hold due posts (a crisis stop): they are held, never failed")
    p.add_argument("--until", metavar="ISO",
                   help="resume by itself then, e.g. 2026-12-06T18:00 (default: until `herald resume`)")
    p.add_argument("--reason", default="", help="shown in the startup summary and history")
    p.add_argument("--network", metavar="NAME", help="pause only this account")
    p.set_defaults(handler=cmd_pause)

    p = ledger_parser("resume", "end a pause; held posts go out or are skipped per engine: on_resume")
    p.add_argument("--network", metavar="NAME", help="resume only this account's pause")
    p.set_defaults(handler=cmd_resume)


def _resolve(ledger: Ledger, key: str, hint: str = "") -> Record:
    record = ledger.get(key)
    if record is not None:
        return record
    found = ledger.find(key) if len(key) >= 4 else []
    if len(found) == 1:
        return found[0]
    if not found:
        raise UsageError(f"no publication with key {key!r} in {ledger.safe_url} (see herald history{hint})")
    raise UsageError(f"{key!r} matches {len(found)} publications; give more of the key")


def _row(record: Record, tz: Any, what: str) -> str:
    when = record.scheduled_at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z") if tz else record.scheduled_at.isoformat()
    extra = f" remote={record.remote_id}" if record.remote_id else ""
    note = f"  ({record.last_error})" if record.last_error and record.state != "sent" else ""
    tries = f" attempts={record.attempts}" if record.attempts > 1 else ""
    return (f"{when}  {record.state:<9} {record.network:<10} {record.post}  {what}  {record.key}{extra}{tries}"
            f"{note}")


def _what(args: argparse.Namespace, ledger: Ledger, records: list[Record],
          calendar_of: Callable[[], Calendar | None]) -> dict[str, str]:
    """What each row is, in words: ``post (tip)``, and for the status file's rows the words of
    :func:`status.announce.describe` (``incident update: investigating``, ``maintenance: starts``…).
    Status rows are named by planning the status file's announcements around their times and
    matching keys (the ledger keeps the key, not the role); a row the file no longer explains
    keeps its kind."""
    from campaigns.model import STATUS_KINDS

    what = {r.key: f"post ({r.kind})" if r.kind not in STATUS_KINDS else r.kind for r in records}
    announced = [r for r in records if r.kind in STATUS_KINDS]
    if not announced or not os.path.exists(args.status):
        return what
    from datetime import timedelta

    from status.announce import announcements, describe
    from status.load import check as check_status

    calendar = calendar_of()
    status = check_status(args.status, calendar).value if calendar is not None else None
    if calendar is None or status is None:
        return what
    start = min(r.scheduled_at for r in announced)
    end = max(r.scheduled_at for r in announced) + timedelta(seconds=1)
    # what was announced of each window is what makes a moved or cancelled one news (as in the
    # engine); such news is planned at "now", and its key does not depend on when: plan it in range
    sent = ledger.sent_sources("maintenance:")
    for pub in announcements(calendar, status, start, end, now=start, announced=sent):
        if pub.key in what:
            what[pub.key] = describe(pub)
    _name_unplanned(what, announced, status)
    return what


def _name_unplanned(what: dict[str, str], announced: list[Record], status: Any) -> None:
    """Name the rows the file plans no more: a window moved, or cancelled after a change."""
    from status.announce import describe_recorded

    current = {m.id: m.source for m in status.maintenance}
    for record in announced:
        if what[record.key] == "maintenance":
            window = record.source.removeprefix("maintenance:").partition("@")[0]
            what[record.key] = describe_recorded(record.key, record.source, record.network, record.scheduled_at,
                                                 current.get(window)) or "maintenance"


def _check_network(args: argparse.Namespace, calendar: Calendar | None, also: set[str]) -> None:
    """``--network`` must name an account of the calendar or one the ledger knows (a removed
    account's history, a pause of one): a typo is refused with the nearest name, not answered
    with nothing."""
    known = set(calendar.networks) if calendar is not None else set()
    check_names("--network", [args.network], sorted(known | also), args.calendar)


def _calendar_of(path: str) -> Callable[[], Calendar | None]:
    """The calendar at ``path`` if it is there and valid, read once and only if asked for (a
    command that reads the ledger needs it for some of its words, never to run)."""
    @functools.cache
    def calendar() -> Calendar | None:
        from campaigns.calendar import check

        return check(path).value if os.path.exists(path) else None
    return calendar


def cmd_history(args: argparse.Namespace, clock: Clock) -> int:
    from ..ledger.publications import State
    from ..redaction import redact

    only = check_choices("--only", args.only, [str(s) for s in State]) if args.only is not None else None
    calendar = _calendar_of(args.calendar)
    ledger = existing_ledger(args)
    if ledger is None:
        if args.network is not None:
            _check_network(args, calendar(), set())
        if not args.json:
            show(f"the ledger is empty ({no_ledger_yet(args)})")
        return ExitStatus.OK
    if args.network is not None:
        _check_network(args, calendar(), ledger.networks())
    records = ledger.history(args.limit, only, args.network)
    what = _what(args, ledger, records, calendar)
    if args.json:
        for record in records:
            row = {**record.as_json(), "what": what[record.key]}
            sys.stdout.write(redact(json.dumps(row, ensure_ascii=False)) + "\n")
        return ExitStatus.OK
    _show_history(ledger, records, what, calendar(), clock.now())
    return ExitStatus.OK


def _show_history(ledger: Ledger, records: list[Record], what: dict[str, str], calendar: Calendar | None,
                  now: datetime) -> None:
    tz = calendar.brand.tz if calendar is not None else UTC
    for pause in ledger.active_pauses(now):
        show(f"PAUSED {pause.network or 'all networks'}: {pause.reason or 'no reason given'}")
    counts = ledger.counts()
    show(", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "the ledger is empty")
    for record in records:
        show(_row(record, tz, what[record.key]))


def cmd_retry(args: argparse.Namespace, clock: Clock) -> int:
    ledger = existing_ledger(args)
    if ledger is None:
        raise UsageError(f"no publication with key {args.key!r} ({no_ledger_yet(args)})")
    record = _resolve(ledger, args.key, same_files(args))
    updated = ledger.operator_retry(record.key, clock.now())
    if updated is None:
        raise UsageError(f"{record.key} is {record.state}; only dead, skipped, held or retrying ones can be retried")
    if engine_running(ledger, clock.now()):
        show(f"{record.key}: will be sent again by the running engine (was {record.state})")
    else:
        show(f"{record.key}: will be sent again at the next `herald run{same_files(args, status=True)}` (no engine "
             f"is running; was {record.state})")
    return ExitStatus.OK


# An engine whose heartbeat is older than this is not running (`herald health`'s default --max-age)
RUNNING_WITHIN = 60.0


def engine_running(ledger: Ledger, now: datetime) -> bool:
    """Whether an engine beats on this ledger now (one that stopped, or stopped beating, will not
    pick anything up until it runs again)."""
    return any(e["stopped_at"] is None and (now - e["heartbeat_at"]).total_seconds() <= RUNNING_WITHIN
               for e in ledger.engines())


def cmd_skip(args: argparse.Namespace, clock: Clock) -> int:
    args.reason = check_reason("--reason", args.reason)
    ledger = existing_ledger(args)
    if ledger is None:
        raise UsageError(f"no publication with key {args.key!r} ({no_ledger_yet(args)})")
    record = _resolve(ledger, args.key, same_files(args))
    if ledger.operator_skip(record.key, clock.now(), args.reason) is None:
        raise UsageError(f"{record.key} is {record.state} and cannot be skipped now")
    show(f"{record.key}: skipped ({args.reason})")
    return ExitStatus.OK


def cmd_pause(args: argparse.Namespace, clock: Clock) -> int:
    calendar = load_calendar(args.calendar) if os.path.exists(args.calendar) else None
    if calendar is not None:  # read first: a ledger made now is logged in the brand's zone
        from ..logformat import set_zone

        set_zone(calendar.brand.tz)
    args.reason = check_reason("--reason", args.reason)
    until = _pause_scope(args, calendar, clock)  # every check first: a refused pause leaves no ledger behind
    ledger = open_ledger(args)
    pause = ledger.pause(clock.now(), args.network, until, args.reason)
    scope = pause.network or "all networks"
    resume = f"herald resume{same_files(args)}" + (f" --network {pause.network}" if pause.network else "")
    show(f"paused {scope}" + (f" until {until.isoformat()}" if until else f" until `{resume}`")
         + (f": {args.reason}" if args.reason else ""))
    return ExitStatus.OK


def _pause_scope(args: argparse.Namespace, calendar: Any, clock: Clock) -> datetime | None:
    """The pause's end (None: until `herald resume`), its options checked: an empty ``--network``
    or ``--until`` (an unset variable) is refused rather than read as "all" or "for ever", and an
    end already past would pause nothing."""
    if args.network is not None and not args.network.strip():
        raise UsageError("--network: empty; name an account, or leave --network out to pause them all")
    if args.network and calendar:
        check_names("--network", [args.network], calendar.networks, args.calendar)
    if args.until is None:
        return None
    if not args.until.strip():
        raise UsageError("--until: empty; give a time, or leave --until out to pause until `herald resume`")
    until = parse_time(args.until, "--until", calendar)
    if until <= clock.now():
        raise UsageError(f"--until {args.until}: already past, so nothing would be paused; give a later time")
    return until


def cmd_resume(args: argparse.Namespace, clock: Clock) -> int:
    ledger = existing_ledger(args)
    now = clock.now()
    if ledger is None:
        if args.network is not None:
            _check_network(args, _calendar_of(args.calendar)(), set())
        show("nothing was paused" + (f" for {args.network}" if args.network else "") + f" ({no_ledger_yet(args)})")
        return ExitStatus.OK
    if args.network is not None:
        _check_network(args, _calendar_of(args.calendar)(), {p.network for p in ledger.active_pauses(now) if p.network})
    ended = ledger.resume(now, args.network)
    if not ended:
        show("nothing was paused" + (f" for {args.network}" if args.network else ""))
        return ExitStatus.OK
    waiting = len(ledger.held(args.network))
    # One path: the engine releases (or skips, per engine: on_resume and catch-up) what the pause held.
    show(f"resumed {args.network or 'all networks'}: {waiting} held post(s) go out or are skipped at the "
         "engine's next heartbeat (within 15 s; at the next start if no engine is running)")
    return ExitStatus.OK
