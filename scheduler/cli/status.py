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
    check_title,
    count,
    existing_ledger,
    identifier,
    ledger_exists,
    ledger_url,
    load_calendar,
    open_ledger,
    show,
    state_option,
    status_option,
    suggestion,
)
from .times import parse_duration_option, parse_time

if TYPE_CHECKING:
    from collections.abc import Callable

    from campaigns.model import Calendar
    from status.model import Status

    from ..clock import Clock

NEXT_UPDATE_HELP = "when the next update comes, e.g. 30m (1 minute to 7 days: 1m to 7d)"
IMPACTS = ("none", "minor", "major", "critical")  # status.model.Impact (not imported here: a fast --help)
OPEN_STATES = ("investigating", "identified", "monitoring")
WINDOW_STATES = ("scheduled", "in_progress", "verifying", "completed")  # status.model.MaintenanceState
COMPONENT_STATES = ("operational", "degraded_performance", "partial_outage", "major_outage")  # an update's


def _files(p: argparse.ArgumentParser) -> None:
    calendar_option(p)
    status_option(p)


def register(sub: Any) -> None:
    _register_incident(sub)
    _register_maintenance(sub)
    p = sub.add_parser("status", help="what is declared now, and where each update was announced")
    _files(p)
    state_option(p)
    p.set_defaults(handler=cmd_status)


def _register_incident(sub: Any) -> None:
    files = _files
    p = sub.add_parser("incident", help="declare, update or resolve an incident (edits the status file)")
    incident = p.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser, required=True,
                                help="what to do (herald incident ACTION --help)")
    q = incident.add_parser("declare", help="a new incident, announced at once")
    files(q)
    q.add_argument("--title", required=True, help="what customers notice, e.g. 'Checkout errors'")
    q.add_argument("--impact", required=True, choices=IMPACTS,
                   help="how bad it is for customers (major and critical hold promotional posts)")
    q.add_argument("-m", "--message", required=True, help="what we know and what we are doing")
    q.add_argument("--component", action="append", default=[], help="an affected component (repeatable)")
    q.add_argument("--network", action="append", default=[], help="tell only these accounts (default: all)")
    q.add_argument("--id", type=identifier, help="the incident id (default: from the title and the time)")
    q.add_argument("--next-update", metavar="DURATION", help=NEXT_UPDATE_HELP)
    _component_status_option(q)
    q.set_defaults(handler=cmd_incident)
    for action, text in (("update", "a new update on an open incident"), ("resolve", "the incident is over")):
        q = incident.add_parser(action, help=text)
        files(q)
        q.add_argument("id", help="the incident id")
        if action == "update":
            q.add_argument("--state", required=True, metavar="{" + ",".join(OPEN_STATES) + "}",
                           help="where the incident stands (to end it: herald incident resolve)")
            q.add_argument("--next-update", metavar="DURATION", help=NEXT_UPDATE_HELP)
        else:  # a resolved incident has no next update: the option would be written and never used
            q.set_defaults(next_update=None)
        q.add_argument("-m", "--message", required=True, help="what customers read in this update")
        _component_status_option(q)
        q.set_defaults(handler=cmd_incident)

    q = incident.add_parser("confirm", help="make a draft incident from the alert intake public, announced at once")
    files(q)
    q.add_argument("id", help="the draft incident's id")
    q.add_argument("--network", action="append", default=[], help="tell only these accounts (default: all)")
    q.set_defaults(handler=cmd_confirm)


def _component_status_option(q: argparse.ArgumentParser) -> None:
    q.add_argument("--component-status", action="append", default=[], metavar="NAME=STATE",
                   help="a component's state as of this update, e.g. checkout=operational (repeatable; "
                        "one of " + ", ".join(COMPONENT_STATES) + "; default: what an earlier update set, else "
                        "the impact's)")


def component_states(values: list[str], resolved: bool) -> dict[str, str]:
    """``--component-status`` values as {component: state}, each ``COMPONENT=STATE`` with a state
    an update may set (a resolution only operational); else a UsageError naming the value."""
    out: dict[str, str] = {}
    for value in values:
        component, sep, state = (part.strip() for part in value.partition("="))
        if not sep or not component or not state:
            raise UsageError(f"--component-status {value}: write COMPONENT=STATE, e.g. checkout=operational")
        if state not in COMPONENT_STATES:
            raise UsageError(f"--component-status {value}: {state!r} is not a component state; "
                             + suggestion(state, COMPONENT_STATES))
        if resolved and state != "operational":
            raise UsageError(f"--component-status {value}: a resolved incident leaves its components operational; "
                             "to keep it open, `herald incident update` it")
        out[component] = state
    return out


def _register_maintenance(sub: Any) -> None:
    files = _files
    p = sub.add_parser("maintenance", help="plan or cancel a maintenance window (edits the status file)")
    maintenance = p.add_subparsers(dest="action", metavar="ACTION", parser_class=Parser, required=True,
                                   help="what to do (herald maintenance ACTION --help)")
    q = maintenance.add_parser("add", help="a planned window, announced ahead, at its start and at its end")
    files(q)
    q.add_argument("--title", required=True, help="what customers will notice, e.g. 'Database upgrade'")
    q.add_argument("--starts", required=True, metavar="ISO",
                   help="e.g. 2026-12-06T03:00 (the brand's time zone), 2026-12-06T03:00 Europe/Paris or "
                        "2026-12-06T03:00+01:00; written in the status file's zone")
    q.add_argument("--ends", required=True, metavar="ISO", help="as --starts")
    q.add_argument("-m", "--message", default="", help="what customers should expect")
    q.add_argument("--component", action="append", default=[], help="an affected component (repeatable)")
    q.add_argument("--network", action="append", default=[], help="tell only these accounts (default: all)")
    q.add_argument("--remind", action="append", default=[], metavar="DURATION",
                   help="announce ahead, e.g. 24h,1h (comma-separated, the default; repeatable)")
    q.add_argument("--id", type=identifier, help="the window's id (default: from the title and the start)")
    q.set_defaults(handler=cmd_maintenance)
    q = maintenance.add_parser("cancel", help="it will not happen (announced if the window was)")
    files(q)
    q.add_argument("id", help="the window's id (herald status lists them)")
    q.set_defaults(handler=cmd_maintenance)
    _register_window_updates(maintenance)


def _register_window_updates(maintenance: Any) -> None:
    """``herald maintenance update|delay|complete``: what ops say during a window, announced at once."""
    for action, text in (("update", "how a window goes (in progress, verifying, completed), announced at once"),
                         ("delay", "the window runs late: its new end, announced at once"),
                         ("complete", "the work is done, announced at once")):
        q = maintenance.add_parser(action, help=text)
        _files(q)
        q.add_argument("id", help="the window's id (herald status lists them)")
        if action == "update":
            q.add_argument("--state", required=True, metavar="{" + ",".join(WINDOW_STATES) + "}",
                           help="where the window stands (scheduled only before it starts)")
        if action == "delay":
            when = q.add_mutually_exclusive_group(required=True)
            when.add_argument("--until", metavar="ISO", help="the new end, e.g. 2026-12-06T04:30 (as --starts)")
            when.add_argument("--by", metavar="DURATION", help="this much later than the end planned now, e.g. 30m")
        q.add_argument("-m", "--message", required=True, help="what customers read in this update")
        q.set_defaults(handler=cmd_window_update)


def _load(args: argparse.Namespace) -> tuple[Calendar, Status]:
    from status.load import load as load_status

    calendar = load_calendar(args.calendar)
    return calendar, load_status(args.status, calendar)


def _check_names(args: argparse.Namespace, calendar: Calendar, status: Status) -> None:
    check_names("--component", args.component, status.components, args.status)
    check_names("--network", args.network, calendar.networks, args.calendar)


def cmd_incident(args: argparse.Namespace, clock: Clock) -> int:
    from status.model import UpdateState

    from ..statusfile import edit as edit_file

    _check_incident_args(args)
    calendar, current = _load(args)
    state = UpdateState.INVESTIGATING if args.action == "declare" else (
        UpdateState(args.state) if args.action == "update" else UpdateState.RESOLVED)
    if args.action == "declare":
        _check_names(args, calendar, current)
    check_names("--component-status", args.component_status, current.components, args.status)
    _check_voice(args.message, state, calendar, current)
    incident_id, change = _incident_change(args, calendar, state, clock.now())
    status = edit_file(args.status, calendar, change)
    incident = status.incident(incident_id)
    if incident is None:  # pragma: no cover - edit_file verified the file it wrote
        raise UsageError(f"{incident_id}: not in {args.status} after writing it")
    names = _told(calendar, incident.networks)
    at = incident.updates[-1].at.astimezone(calendar.brand.tz)
    from status import edit

    when = f"{at:%Y-%m-%d %H:%M:%S %Z}" + edit.repeated_hour(at)
    show(f"{incident_id}: {incident.state} at {when} in {args.status}; "
         f"a running engine announces it within a second on {names}")
    return ExitStatus.OK


def _told(calendar: Calendar, wanted: tuple[str, ...]) -> str:
    """The accounts an incident or window naming ``wanted`` is announced on, as the announcements
    choose them (:func:`status.announce.accounts`: no Instagram or Pinterest, no disabled account)."""
    from status.announce import accounts

    return ", ".join(a.name for a in accounts(calendar, wanted)) or "no account (none enabled takes text posts)"


def _check_incident_args(args: argparse.Namespace) -> None:
    """The options of ``incident declare|update|resolve`` checked before any file is read."""
    if args.action == "update" and args.state not in OPEN_STATES:
        from campaigns.schemacheck import did_you_mean

        if did_you_mean(args.state, [*OPEN_STATES, "resolved"]) == "did you mean 'resolved'?":
            raise UsageError(f"--state {args.state!r}: an incident is resolved with "
                             f"`herald incident resolve {args.id} -m …`")
        raise UsageError(f"--state {args.state!r}: " + suggestion(args.state, OPEN_STATES))
    args.message = check_text("-m", args.message)
    if args.action == "declare":
        args.title = check_title("--title", args.title)
    args.component_status = component_states(args.component_status, args.action == "resolve")
    if args.next_update is not None:
        from status.model import NEXT_UPDATE  # the file's own bounds

        parse_duration_option("--next-update", args.next_update, (*NEXT_UPDATE, "between 1 minute and 7 days"))


def _check_voice(message: str, state: Any, calendar: Calendar, current: Status) -> None:
    """A message the engine would refuse is refused now, while someone is here."""
    if not calendar.brand.voice.declared:
        return
    from campaigns.errors import Severity
    from status.lint import checker_for

    errors = [f for f in checker_for(calendar, current).check(message, state, required=False)
              if f.severity == Severity.ERROR]
    if errors:
        raise UsageError("-m: the voice guide refuses this message: " + "; ".join(f.line() for f in errors))


def _incident_change(args: argparse.Namespace, calendar: Calendar, state: Any,
                     now: datetime) -> tuple[str, Callable[[Any, Status], None]]:
    """The incident's id and the edit of the status data that declares or updates it."""
    from status import edit

    if args.action == "declare":
        incident_id = args.id or f"{edit.slug(args.title)}-{now.astimezone(calendar.brand.tz):%Y%m%d-%H%M}"

        def declare(data: Any, fresh: Status) -> None:
            edit.declare(data, incident_id=incident_id, title=args.title, impact=args.impact,
                         components=args.component, networks=args.network, at=edit.stamp(now, fresh),
                         message=args.message, next_update=args.next_update, states=args.component_status)
        return incident_id, declare

    def update(data: Any, fresh: Status) -> None:
        target = edit.find_incident(data, args.id)
        edit.add_update(target, edit.next_stamp(now, fresh, fresh.incident(args.id)), state, args.message,
                        args.next_update, args.component_status)
    return args.id, update


def cmd_confirm(args: argparse.Namespace, clock: Clock) -> int:
    """``herald incident confirm ID``: the draft the alert intake prepared goes public."""
    from status.alerts import confirm

    from ..statusfile import edit as edit_file

    calendar, _current = _load(args)
    check_names("--network", args.network, calendar.networks, args.calendar)
    now = clock.now()
    status = edit_file(args.status, calendar, lambda data, fresh: confirm(data, fresh, args.id, now, calendar,
                                                                           args.network))
    incident = status.incident(args.id)
    names = _told(calendar, incident.networks if incident else ())
    show(f"{args.id}: confirmed in {args.status}; a running engine announces it within a second on {names}")
    return ExitStatus.OK


def cmd_maintenance(args: argparse.Namespace, clock: Clock) -> int:
    from campaigns.durations import DURATION_HINT
    from campaigns.timeparse import zone
    from status import edit

    from ..statusfile import edit as edit_file

    if args.action == "cancel":
        calendar, _current = _load(args)
        edit_file(args.status, calendar, lambda data, fresh: edit.cancel_maintenance(data, args.id))
        show(f"{args.id}: cancelled in {args.status}; if it was announced, the cancellation is announced")
        return ExitStatus.OK
    args.message = check_text("-m", args.message) if args.message else ""  # (optional here: none by default)
    args.title = check_title("--title", args.title)
    remind = [r.strip() for given in args.remind for r in given.split(",") if r.strip()]
    for text in remind:
        if parse_duration_option("--remind", text) <= timedelta(0):
            raise UsageError(f"--remind {text}: must be longer than 0 (e.g. 24h or 30m)")
    for given in args.remind:
        if not given.replace(",", "").strip():
            raise UsageError(f"--remind: {given!r} lists no durations; write {DURATION_HINT}, e.g. 24h,1h")
    calendar, current = _load(args)
    _check_names(args, calendar, current)
    starts, ends = parse_time(args.starts, "--starts", calendar), parse_time(args.ends, "--ends", calendar)
    _check_window(args, starts, ends, clock.now())
    tz = calendar.brand.tz
    window_id = args.id or f"{edit.slug(args.title, 'maintenance')}-{starts.astimezone(tz):%Y%m%d-%H%M}"
    def change(data: Any, fresh: Status) -> None:
        file_zone = zone(fresh.timezone)  # written as wall-clock times in the file's own zone
        edit.add_maintenance(
            data, maintenance_id=window_id, title=args.title, starts=edit.written_time(starts, file_zone, "minutes"),
            ends=edit.written_time(ends, file_zone, "minutes"), components=args.component, networks=args.network,
            message=args.message, remind=remind)

    status = edit_file(args.status, calendar, change)
    window = next(m for m in status.maintenance if m.id == window_id)
    start, end = window.starts.astimezone(tz), window.ends.astimezone(tz)
    until = f"{end:%H:%M %Z}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M %Z}"
    show(f"{window_id}: {start:%Y-%m-%d %H:%M %Z} to {until}; " + _promises(calendar, status, window, clock.now()))
    return ExitStatus.OK


def cmd_window_update(args: argparse.Namespace, clock: Clock) -> int:
    """``herald maintenance update|delay|complete ID -m …``: an update on a window, announced at once."""
    from campaigns.timeparse import zone
    from status import edit
    from status.maintenance import role as window_role
    from status.model import MaintenanceState, MaintenanceUpdate

    from ..statusfile import edit as edit_file

    args.message = check_text("-m", args.message)
    state = {"update": getattr(args, "state", ""), "complete": "completed"}.get(args.action)
    if state is not None and state not in WINDOW_STATES:
        raise UsageError(f"--state {state!r}: " + suggestion(state, WINDOW_STATES))
    by = parse_duration_option("--by", args.by) if getattr(args, "by", None) else None
    if by is not None and by <= timedelta(0):
        raise UsageError(f"--by {args.by}: must be longer than 0 (e.g. 30m)")
    calendar, current = _load(args)
    now = clock.now()
    window = _open_window(current, args.id, now)
    state, ends = _window_change(args, calendar, window, state, by, now)
    said = MaintenanceUpdate(now, MaintenanceState(state), args.message, ends)
    _check_voice(args.message, f"maintenance.{window_role(window, said)}", calendar, current)

    def change(data: Any, fresh: Status) -> None:
        target = edit.find_maintenance(data, args.id)
        mine = next((m for m in fresh.maintenance if m.id == args.id), None)
        last = mine.updates[-1].at if mine is not None and mine.updates else None
        written = edit.written_time(ends, zone(fresh.timezone), "minutes") if ends else None
        edit.add_window_update(target, edit.stamp(now, fresh, last), state, args.message, written)

    status = edit_file(args.status, calendar, change)
    done = next(m for m in status.maintenance if m.id == args.id)
    at = done.updates[-1].at.astimezone(calendar.brand.tz)
    names = _told(calendar, done.networks)
    moved = f"; now ends {ends.astimezone(calendar.brand.tz):%Y-%m-%d %H:%M %Z}" if ends else ""
    show(f"{args.id}: {state} at {at:%Y-%m-%d %H:%M:%S %Z}{edit.repeated_hour(at)} in {args.status}{moved}; "
         f"a running engine announces it within a second on {names}")
    return ExitStatus.OK


def _open_window(status: Status, window_id: str, now: datetime) -> Any:
    """The window an update is for: in the file, not cancelled, not completed (else a UsageError)."""
    from status import maintenance as windows

    found = [m for m in status.maintenance if m.id == window_id]
    if not found:
        from campaigns.schemacheck import did_you_mean

        hint = did_you_mean(window_id, [m.id for m in status.maintenance])
        raise UsageError(f"no maintenance window {window_id!r} in the status file" + (f"; {hint}" if hint else ""))
    window = found[-1]
    if window.cancelled:
        raise UsageError(f"maintenance {window_id!r} is cancelled; it takes no updates")
    done = windows.completion(window)
    if done is not None:
        raise UsageError(f"maintenance {window_id!r} was completed at {done.at.isoformat(timespec='minutes')}; "
                         "if there is more work, plan a new window (herald maintenance add)")
    return window


def _window_change(args: argparse.Namespace, calendar: Calendar, window: Any, state: str | None,
                   by: timedelta | None, now: datetime) -> tuple[str, datetime | None]:
    """The update's state and, for a delay, the window's new end (checked: later than now and the start)."""
    from status import maintenance as windows

    end = windows.planned_end(window)
    if now > end or (now == end and state != "completed"):
        ended = end.astimezone(calendar.brand.tz)
        raise UsageError(f"maintenance {args.id!r} is over: it ended at {ended:%Y-%m-%d %H:%M %Z} as planned, "
                         f"{_end_announced(args, calendar, window, end)}; if the work goes on, declare an incident: "
                         "herald incident declare --title … -m …")
    if args.action != "delay":
        assert state is not None
        _check_state(args.id, calendar, window, state, now)
        return state, None
    ends = windows.planned_end(window) + by if by is not None else parse_time(args.until, "--until", calendar)
    given = f"--by {args.by}" if by is not None else f"--until {args.until}"
    if ends <= now or ends <= window.starts:
        raise UsageError(f"{given}: the window would end before now or before its start "
                         f"({ends.astimezone(calendar.brand.tz):%Y-%m-%d %H:%M %Z})")
    if ends <= end:  # announced as "taking longer than planned": an earlier end is no delay
        planned = end.astimezone(calendar.brand.tz)
        raise UsageError(f"{given}: not later than the end planned now ({planned:%Y-%m-%d %H:%M %Z}); a delay moves "
                         f"the end later (done sooner: herald maintenance complete {args.id} -m …)")
    current = windows.maintenance_state(window, now)
    return str(current if current != "completed" else "in_progress"), ends


def _end_announced(args: argparse.Namespace, calendar: Calendar, window: Any, end: datetime) -> str:
    """Whether the window's end was announced, as the ledger records it (never assumed: no engine
    may have run here).  Reading only: no ledger is created."""
    from campaigns.errors import HeraldError
    from campaigns.plan import publication_key
    from status.announce import accounts

    from ..ledger import State

    nothing = "and no engine has recorded an announcement of its end"
    try:  # this command's --state is the window's state: the ledger is $HERALD_STATE's or the calendar's
        ledger = existing_ledger(argparse.Namespace(calendar=args.calendar, state=None))
        if ledger is None:
            return nothing
        try:
            keys = {publication_key(f"{window.source}:end", end, a.name): a.name
                    for a in accounts(calendar, window.networks)}
            states = ledger.states(list(keys))
        finally:
            ledger.close()
    except HeraldError:
        return "and the ledger could not be read to say whether its end was announced"
    sent = [name for key, name in keys.items() if states.get(key) == State.SENT]
    return f"and its end was announced on {', '.join(sent)}" if sent else nothing


def _check_state(window_id: str, calendar: Calendar, window: Any, state: str, now: datetime) -> None:
    """An update's ``--state`` that makes sense for the window at ``now`` (else a UsageError)."""
    from status import maintenance as windows

    if state == "scheduled" and now >= window.starts:
        raise UsageError(f"--state scheduled: maintenance {window_id!r} has started; say in_progress")
    began = next((u for u in window.updates if u.state in windows.WORKING), None)
    if state == "scheduled" and began is not None:
        raise UsageError(f"--state scheduled: the work on maintenance {window_id!r} began at "
                         f"{began.at.astimezone(calendar.brand.tz):%Y-%m-%d %H:%M %Z}; say in_progress (a pause too)")
    if state == "completed" and now < window.starts:
        raise UsageError(f"maintenance {window_id!r} has not started; if it will not happen: "
                         f"herald maintenance cancel {window_id}")


LONGEST_WINDOW = timedelta(days=14)  # a planned window; longer work is an incident or several windows
RUNNING_SINCE = timedelta(hours=24)  # a window that began this long ago may still be recorded as running


def _check_window(args: argparse.Namespace, starts: datetime, ends: datetime, now: datetime) -> None:
    """A window a person meant: it ends after it starts and after now, it began at most
    RUNNING_SINCE ago (recorded as running), and it lasts at most LONGEST_WINDOW."""
    if ends <= starts:
        raise UsageError("--ends must be after --starts")
    if starts < now - RUNNING_SINCE or ends <= now:
        raise UsageError(f"--starts {args.starts}: in the past (a window that began in the last 24 hours and has not "
                         "ended may be recorded as running)")
    if ends - starts > LONGEST_WINDOW:
        raise UsageError(f"--starts {args.starts} --ends {args.ends}: a window of at most 14 days; plan longer work "
                         "as several windows")


def _when(at: datetime, now: datetime, tz: Any) -> str:
    """When an announcement goes out: the weekday and time today or tomorrow, else with its date."""
    local = at.astimezone(tz)
    days = (local.date() - now.astimezone(tz).date()).days
    return f"{local:%a %H:%M %Z}" if 0 <= days <= 1 else f"{local:%a %Y-%m-%d %H:%M %Z}"


def _promises(calendar: Calendar, status: Status, window: Any, now: datetime) -> str:
    """What will really be announced, by the engine's own rule: an announcement later than its
    catch-up window (``engine: catch_up``) when the window is added is skipped, so say so now."""
    from status.announce import announcements

    tz = calendar.brand.tz
    grace = calendar.engine.grace("maintenance")
    pubs = [p for p in announcements(calendar, status, window.starts - max(window.remind, default=timedelta(0))
                                     - timedelta(seconds=1), window.ends + timedelta(seconds=1), now=now)
            if p.post == window.id]
    going: dict[str, str] = {}
    late: dict[str, str] = {}
    for pub in pubs:
        what = pub.note.removeprefix("maintenance ")  # "in 24 hours", "starts", "ends"
        what = f"{what.removeprefix('in ')} ahead" if what.startswith("in ") else f"when it {what}"
        (late if now - pub.at > grace else going)[what] = _when(pub.at, now, tz)
    networks = sorted({p.network for p in pubs})
    if not networks:
        return "announced nowhere: no enabled account takes text posts"
    said = f"announced on {', '.join(networks)} " + (", ".join(f"{w} ({at})" for w, at in going.items()) or "never")
    if late:
        said += f"; too late for {', '.join(late)} (already past, beyond the {_duration(grace)} catch-up window)"
    return said


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0 and (unit != "d" or seconds >= 2 * 86400):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def cmd_status(args: argparse.Namespace, clock: Clock) -> int:
    from .subscribers import disabled_line

    calendar, status = _load(args)
    now = clock.now()
    # opened before anything is shown: an unreachable ledger is one line, not half an answer
    ledger = open_ledger(args) if ledger_exists(ledger_url(args)) else None  # reading never creates one
    try:
        _show_components(status, now)
        _show_windows(calendar, status, now)
        open_ = status.open_incidents()
        show(f"{count(len(open_), 'open incident')}" + (":" if open_ else ""))
        resolved = [i for i in status.incidents[::-1] if i.resolved][:max(0, 10 - len(open_))]
        shown = [*open_[::-1], *resolved]
        disabled = disabled_line(ledger) if ledger is not None else None
        if disabled:
            show(disabled)
        for n, incident in enumerate(shown):
            if n == len(open_) and resolved:
                show(f"\nrecently resolved ({len(resolved)}):")
            _show_incident(calendar, status, incident, ledger, now)
    finally:
        if ledger is not None:
            ledger.close()
    return ExitStatus.OK


def _show_components(status: Status, now: datetime) -> None:
    from status.components import component_states

    if not status.components:
        return
    states = component_states(status, now)  # what the page and the API show: the same function, drafts not counted
    show("components:")
    for cid, component in status.components.items():
        effective = states.get(cid, component.status)
        why = f" (declared {component.status.replace('_', ' ')})" if effective != component.status else ""
        show(f"  {component.name:<24} {effective.replace('_', ' ')}{why}")


def _show_windows(calendar: Calendar, status: Status, now: datetime) -> None:
    """The maintenance windows going on or to come, as the status page reads them (its public view of a
    window: state, times in the brand's zone, ops' latest word)."""
    from ..render.site import Renderer, SiteData

    renderer = Renderer(SiteData(calendar, status.public(), now))
    windows = [renderer.maintenance(m) for m in sorted(status.maintenance, key=lambda m: m.starts)]
    windows = [w for w in windows if w["state"] in ("scheduled", "in_progress", "verifying")]
    if not windows:
        return
    show(f"{count(len(windows), 'maintenance window')}:")
    for w in windows:
        show(f"  {w['id']}  {w['title']}: {w['label']}, {w['starts']['shown']} to {w['ends']['shown']}")
        if w["latest"]:
            show(f"    last update {w['latest']['shown']}: {w['latest']['message']}")


def _show_incident(calendar: Calendar, status: Status, incident: Any, ledger: Any, now: datetime) -> None:
    """One incident, each update with where it was announced (from the ledger, when there is one)."""
    from textwrap import shorten

    from status.announce import announcements

    show(f"\n{incident.id}: {incident.title} ({incident.impact}, {incident.state})"
         + (" DRAFT, not public: herald incident confirm " + incident.id if incident.draft else ""))
    if incident.alert:
        show(f"  from alert {incident.alert}")
    pubs = announcements(calendar, status, incident.started, incident.updates[-1].at + timedelta(seconds=1))
    states: dict[str, Any] = ledger.states([p.key for p in pubs]) if ledger is not None else {}
    for update in incident.updates:
        unsent = _unsent(calendar, update, ledger is not None, now)
        where = [f"{p.network}: {states.get(p.key, unsent)}" for p in pubs  # instants: DST folds
                 if p.at.timestamp() == update.at.timestamp() and p.post == incident.id]
        message = shorten(update.message, 72, placeholder="…")  # at a word, and says it was cut
        show(f"  {_local(update.at, calendar.brand.tz)}  {update.state:<13} {message}")
        show(f"      announced: {'; '.join(where) or 'no network'}")


def _unsent(calendar: Calendar, update: Any, ledger: bool, now: datetime) -> str:
    """What an update not in the ledger will become: a recent one goes out, an old one never will."""
    recent = now - update.at <= calendar.engine.grace("incident")
    if ledger:
        return "not yet" if recent else "never (older than its catch-up window when Herald saw it)"
    return "not yet (no engine has run)" if recent else "never (older than its catch-up window; no engine has run)"


def _local(at: datetime, tz: Any) -> str:
    return f"{at.astimezone(tz):%Y-%m-%d %H:%M %Z}"
