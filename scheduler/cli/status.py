"""Status commands: incident (declare, update, resolve), maintenance (add, cancel), status.

Every change to the status file goes through :func:`scheduler.statusfile.edit` (locked,
re-read, validated, atomic, verified); each change computes its update time from the
file as read under the lock, so concurrent commands get distinct, ordered times.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from campaigns.errors import UsageError

from .common import (
    ExitStatus,
    Parser,
    calendar_option,
    check_names,
    check_text,
    count,
    ledger_exists,
    ledger_url,
    load_calendar,
    open_ledger,
    parse_duration_option,
    parse_time,
    show,
    state_option,
    status_option,
)

if TYPE_CHECKING:
    from campaigns.model import Calendar
    from status.model import Status

    from ..clock import Clock

IMPACTS = ("none", "minor", "major", "critical")  # status.model.Impact (not imported here: a fast --help)
OPEN_STATES = ("investigating", "identified", "monitoring")


def register(sub: Any) -> None:
    def files(p: argparse.ArgumentParser) -> None:
        calendar_option(p)
        status_option(p)

    p = sub.add_parser("incident", help="declare, update or resolve an incident (edits the status file)")
    incident = p.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser, required=True)
    q = incident.add_parser("declare", help="a new incident, announced at once")
    files(q)
    q.add_argument("--title", required=True, help="what customers notice, e.g. 'Checkout errors'")
    q.add_argument("--impact", required=True, choices=IMPACTS)
    q.add_argument("-m", "--message", required=True, help="what we know and what we are doing")
    q.add_argument("--component", action="append", default=[], help="an affected component (repeatable)")
    q.add_argument("--network", action="append", default=[], help="tell only these accounts (default: all)")
    q.add_argument("--id", help="the incident id (default: from the title and the time)")
    q.add_argument("--next-update", metavar="DURATION", help="when the next update comes, e.g. 30m")
    q.set_defaults(handler=cmd_incident)
    for action, text in (("update", "a new update on an open incident"), ("resolve", "the incident is over")):
        q = incident.add_parser(action, help=text)
        files(q)
        q.add_argument("id", help="the incident id")
        if action == "update":
            q.add_argument("--state", required=True, choices=OPEN_STATES)
        q.add_argument("-m", "--message", required=True)
        q.add_argument("--next-update", metavar="DURATION", help="when the next update comes, e.g. 30m")
        q.set_defaults(handler=cmd_incident)

    p = sub.add_parser("maintenance", help="plan or cancel a maintenance window (edits the status file)")
    maintenance = p.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser, required=True)
    q = maintenance.add_parser("add", help="a planned window, announced ahead, at its start and at its end")
    files(q)
    q.add_argument("--title", required=True)
    q.add_argument("--starts", required=True, metavar="TIME", help="e.g. 2026-12-06T03:00 (brand's time zone)")
    q.add_argument("--ends", required=True, metavar="TIME")
    q.add_argument("-m", "--message", default="", help="what customers should expect")
    q.add_argument("--component", action="append", default=[], help="an affected component (repeatable)")
    q.add_argument("--network", action="append", default=[], help="tell only these accounts (default: all)")
    q.add_argument("--remind", default="", metavar="DURATIONS", help="announce ahead, e.g. 24h,1h (the default)")
    q.add_argument("--id", help="the window's id (default: from the title and the start)")
    q.set_defaults(handler=cmd_maintenance)
    q = maintenance.add_parser("cancel", help="it will not happen (announced if the window was)")
    files(q)
    q.add_argument("id")
    q.set_defaults(handler=cmd_maintenance)

    p = sub.add_parser("status", help="what is declared now, and where each update was announced")
    files(p)
    state_option(p)
    p.set_defaults(handler=cmd_status)


def _load(args: argparse.Namespace) -> tuple[Calendar, Status]:
    from status.load import load as load_status

    calendar = load_calendar(args.calendar)
    return calendar, load_status(args.status, calendar)


def _check_names(args: argparse.Namespace, calendar: Calendar, status: Status) -> None:
    check_names("--component", args.component, status.components, args.status)
    check_names("--network", args.network, calendar.networks, args.calendar)


def cmd_incident(args: argparse.Namespace, clock: Clock) -> int:
    from status import edit
    from status.model import UpdateState

    from ..statusfile import edit as edit_file

    args.message = check_text("-m", args.message)
    if args.action == "declare":
        args.title = check_text("--title", args.title)
    if args.next_update is not None:
        parse_duration_option("--next-update", args.next_update)
    calendar, current = _load(args)
    state = UpdateState.INVESTIGATING if args.action == "declare" else (
        UpdateState(args.state) if args.action == "update" else UpdateState.RESOLVED)
    if args.action == "declare":
        _check_names(args, calendar, current)
    if calendar.brand.voice.declared:  # a message the engine would refuse is refused now, while someone is here
        from status.lint import checker_for

        errors = [f for f in checker_for(calendar, current).check(args.message, state, required=False)
                  if f.severity == "error"]
        if errors:
            raise UsageError("-m: the voice guide refuses this message: " + "; ".join(f.line() for f in errors))
    now = clock.now()
    written: dict[str, str] = {}
    if args.action == "declare":
        incident_id = args.id or f"{edit.slug(args.title)}-{now.astimezone(calendar.brand.tz):%Y%m%d-%H%M}"

        def change(data: Any, fresh: Status) -> None:
            written["at"] = edit.stamp(now, calendar)
            edit.declare(data, incident_id=incident_id, title=args.title, impact=args.impact,
                         components=args.component, networks=args.network, at=written["at"], message=args.message,
                         next_update=args.next_update)
    else:
        incident_id = args.id

        def change(data: Any, fresh: Status) -> None:
            target = edit.find_incident(data, incident_id)
            written["at"] = edit.next_stamp(now, calendar, fresh.incident(incident_id))
            edit.add_update(target, written["at"], state, args.message, args.next_update)

    status = edit_file(args.status, calendar, change)
    incident = status.incident(incident_id)
    if incident is None:  # pragma: no cover - edit_file verified the file it wrote
        raise UsageError(f"{incident_id}: not in {args.status} after writing it")
    names = incident.networks or tuple(n for n, a in calendar.networks.items() if a.enabled)
    show(f"{incident_id}: {incident.state} at {written['at']} in {args.status}; a running engine announces it within "
         f"a second on {', '.join(names)}")
    return ExitStatus.OK


def cmd_maintenance(args: argparse.Namespace, clock: Clock) -> int:
    from campaigns.durations import DURATION_HINT
    from status import edit

    from ..statusfile import edit as edit_file

    if args.action == "cancel":
        calendar, _current = _load(args)
        edit_file(args.status, calendar, lambda data, fresh: edit.cancel_maintenance(data, args.id))
        show(f"{args.id}: cancelled in {args.status}; if it was announced, the cancellation is announced")
        return ExitStatus.OK
    args.message = check_text("-m", args.message)
    args.title = check_text("--title", args.title)
    remind = [r.strip() for r in args.remind.split(",") if r.strip()]
    for text in remind:
        parse_duration_option("--remind", text)
    if args.remind.strip() and not remind:
        raise UsageError(f"--remind: {args.remind!r} lists no durations; write {DURATION_HINT}, e.g. 24h,1h")
    calendar, current = _load(args)
    _check_names(args, calendar, current)
    starts, ends = parse_time(args.starts, "--starts", calendar), parse_time(args.ends, "--ends", calendar)
    if ends <= starts:
        raise UsageError("--ends must be after --starts")
    tz = calendar.brand.tz
    window_id = args.id or f"{edit.slug(args.title)}-{starts.astimezone(tz):%Y%m%d-%H%M}"
    status = edit_file(args.status, calendar, lambda data, fresh: edit.add_maintenance(
        data, maintenance_id=window_id, title=args.title, starts=starts.isoformat(timespec="minutes"),
        ends=ends.isoformat(timespec="minutes"), components=args.component, networks=args.network,
        message=args.message, remind=remind))
    window = next(m for m in status.maintenance if m.id == window_id)
    ahead = ", ".join(_duration(r) for r in window.remind)
    show(f"{window_id}: {window.starts.astimezone(tz):%Y-%m-%d %H:%M} to {window.ends.astimezone(tz):%H:%M %Z}; "
         f"announced {ahead} ahead, at the start and at the end")
    return ExitStatus.OK


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0 and (unit != "d" or seconds >= 2 * 86400):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def cmd_status(args: argparse.Namespace, clock: Clock) -> int:
    from status.announce import announcements

    calendar, status = _load(args)
    tz = calendar.brand.tz
    if status.components:
        show("components:")
        for component in status.components.values():
            show(f"  {component.name:<24} {component.status.replace('_', ' ')}")
    open_ = status.open_incidents()
    show(f"{count(len(open_), 'open incident')}" + (":" if open_ else ""))
    recent = status.incidents[::-1][:10]
    ledger = open_ledger(args) if recent and ledger_exists(ledger_url(args)) else None  # reading never creates one
    now = clock.now()
    for incident in recent:
        show(f"\n{incident.id}: {incident.title} ({incident.impact}, {incident.state})")
        pubs = announcements(calendar, status, incident.started, incident.updates[-1].at + timedelta(seconds=1))
        states: dict[str, Any] = ledger.states([p.key for p in pubs]) if ledger is not None else {}
        for update in incident.updates:
            unsent = "not yet" if now - update.at <= calendar.engine.grace("incident") else \
                "never (older than its catch-up window when Herald saw it)"
            where = [f"{p.network}: {states.get(p.key, unsent)}" for p in pubs
                     if p.at == update.at.astimezone(tz) and p.post == incident.id]
            show(f"  {_local(update.at, tz)}  {update.state:<13} {update.message[:70]}")
            show(f"      announced: {'; '.join(where) or 'no network'}")
    if ledger is not None:
        ledger.close()
    return ExitStatus.OK


def _local(at: datetime, tz: Any) -> str:
    return f"{at.astimezone(tz):%Y-%m-%d %H:%M %Z}"
