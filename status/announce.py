"""Incident announcements: the publications a status file calls for. Pure, like planning.

Every update of an incident is one publication per account, keyed by
``(incident:<id>, the update's time, account)``: the same file always yields the same
keys, so the ledger knows what was already announced, a restart or a reload never
repeats it, and fixing a typo in an announced update never re-posts it.  The first
update of an incident starts a thread; every later one names that first post
(``thread_root``) so networks with threads reply under it and customers find the whole
story in one place.

The words follow what customers need in an outage: acknowledge the problem, say sorry,
say what is affected and what we are doing, and say when the next update comes. The
ops team's message is the heart of each post; the templates frame it. Planners can
override any of them in the calendar (``brand.status_templates``, per state or
``state.impact``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from campaigns.model import Account, Calendar, Kind
from campaigns.plan import Publication, publication_key
from campaigns.render import finish
from campaigns.status_templates import DEFAULT_TEMPLATES, TEMPLATE_FIELDS
from campaigns.templates import compile_template

from .maintenance import ends_as_of, ends_itself, planned_end, starts_itself
from .maintenance import role as window_role
from .model import Impact, Incident, Maintenance, Status, Update, UpdateState

DEFAULT_NEXT_UPDATE = {Impact.CRITICAL: timedelta(minutes=30), Impact.MAJOR: timedelta(minutes=30)}
LINK_SUFFIX = " Details: {status_page}"


def _affected(incident: Incident | Maintenance, status: Status) -> str:
    names = [status.components[c].name if c in status.components else c for c in incident.components]
    if not names:
        return "some of our services"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _template(calendar: Calendar, state: str, impact: str) -> str:
    overrides = calendar.brand.status_templates
    for key in (f"{state}.{impact}", state):
        if key in overrides:
            return overrides[key]
        if key in DEFAULT_TEMPLATES:
            return DEFAULT_TEMPLATES[key]
    return "{title}: {message}"


def _values(calendar: Calendar, status: Status, **values: str) -> dict[str, str]:
    page = status.status_page or calendar.brand.links.get("status", "")
    base = {field: "" for field in TEMPLATE_FIELDS}
    base.update(status_page=page, help=calendar.brand.links.get("help", page), **values)
    base["brand.name"] = calendar.brand.name
    base.update({f"links.{k}": v for k, v in calendar.brand.links.items()})
    return base


def _window(maintenance: Maintenance, tz: Any, ends: datetime | None = None) -> str:
    """The window in words, in the brand's zone (``ends``: another end than the one planned now)."""
    start, end = maintenance.starts.astimezone(tz), (ends or planned_end(maintenance)).astimezone(tz)
    zone = f" {start:%Z}" if start.tzname() != end.tzname() else ""  # across a DST change: both zones
    if start.date() == end.date():
        return f"{start:%a %-d %b, %H:%M}{zone}-{end:%H:%M %Z}"
    return f"{start:%a %-d %b %H:%M}{zone} to {end:%a %-d %b %H:%M %Z}"


def _ahead(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours >= 48 and hours % 24 == 0:
        return f"in {int(hours // 24)} days"
    if hours >= 1 and hours == int(hours):
        return "in 1 hour" if hours == 1 else f"in {int(hours)} hours"
    seconds = int(delta.total_seconds())
    if seconds % 60:
        return "in 1 second" if seconds == 1 else f"in {seconds} seconds"
    minutes = seconds // 60
    return "in 1 minute" if minutes == 1 else f"in {minutes} minutes"


REMINDER_NOTE = "maintenance in "  # a reminder's note: "maintenance in 24 hours"
_PHASES = {"start": "starts", "end": "ends", "in_progress": "update, in progress", "verifying": "update, verifying",
           "completed": "update, completed", "delayed": "update, delayed", "scheduled": "update, scheduled"}


def describe(pub: Publication) -> str:
    """What a status publication announces, in the words ``history`` and ``plan`` use:
    ``incident update: identified``, ``incident follow-up``, ``maintenance: reminder 24 hours
    ahead``, ``maintenance: starts``, ``maintenance: ends``, ``maintenance: changed``,
    ``maintenance: cancelled``, ``maintenance: update, delayed`` (an update ops posted)."""
    if pub.kind == Kind.MAINTENANCE:
        phase = pub.role.removeprefix("maintenance.")
        if phase == "reminder":
            return f"maintenance: reminder {pub.note.removeprefix(REMINDER_NOTE)} ahead"
        return f"maintenance: {_PHASES.get(phase, phase)}"
    return "incident follow-up" if pub.role == "follow_up" else f"incident update: {pub.role}"


def describe_recorded(key: str, source: str, network: str, at: datetime, current: str | None) -> str | None:
    """What a recorded maintenance publication announced when the status file no longer plans
    it: a window moved since (its reminders, start and end, and the news that it changed), or a
    change announced before the window was cancelled. Its source holds the window it was made
    for, so its key is made again for each role that window had; ``current`` is the window's
    source now (None: gone). ``maintenance: reminder 24 hours ahead (the window before it moved)``,
    ``maintenance: changed``; None if no role gives the key."""
    if source.startswith("maintenance:") and "@" not in source and current:  # a cancellation since withdrawn
        window_now = _window_of(current)
        if window_now and key == publication_key(f"{source}:cancelled", window_now[0], network):
            return "maintenance: cancelled (the cancellation was withdrawn since)"
    window = _window_of(source) if source.startswith("maintenance:") else None
    if window is None:
        return None
    starts, ends = window
    roles = {publication_key(f"{source}:changed", starts, network): "changed",
             publication_key(f"{source}:start", starts, network): "starts",
             publication_key(f"{source}:end", ends, network): "ends"}
    if at < starts:
        ahead = starts - at
        roles[publication_key(f"{source}:remind:{int(ahead.total_seconds())}", starts, network)] = \
            f"reminder {_ahead(ahead).removeprefix('in ')} ahead"
    role = roles.get(key)
    if role is None:
        return None
    if source == current:
        return f"maintenance: {role}"
    why = "the window before it moved" if current else "a window no longer in the file"
    return f"maintenance: {role} ({why})"


def _window_of(source: str) -> tuple[datetime, datetime] | None:
    """The start and end a maintenance source names (``maintenance:db@1796000000-1796003600``)."""
    window = source.partition("@")[2]
    if window.count("-") != 1:
        return None
    try:
        starts, ends = (datetime.fromtimestamp(float(t), UTC) for t in window.split("-"))
    except ValueError:
        return None
    return starts, ends


def headline(pub: Publication, status: Status, tz: Any) -> str:
    """A status publication's title in a feed, one per announcement (every update of one
    incident used to share the incident's title): ``Identified: Card payments fail``,
    ``Follow-up: …``, ``Maintenance in 24 hours: Database upgrade (Wed 2 Dec, 10:00-11:00 CET)``,
    ``Maintenance under way: …``, ``Maintenance complete: …``, ``Maintenance rescheduled: …``,
    ``Maintenance cancelled: …``. Empty for a publication the status no longer holds."""
    if pub.kind == Kind.INCIDENT:
        incident = status.incident(pub.post)
        if incident is None:
            return ""
        state = "Follow-up" if pub.role == "follow_up" else pub.role.capitalize()
        return f"{state}: {incident.title}"
    m = next((m for m in status.maintenance if m.id == pub.post), None)
    if m is None:
        return ""
    phase = pub.role.removeprefix("maintenance.")
    window = f" ({_window(m, tz)})"
    if phase == "reminder":
        return f"Maintenance {pub.note.removeprefix('maintenance ')}: {m.title}{window}"
    said = {"start": ("under way", window), "end": ("complete", ""), "changed": ("rescheduled", window),
            "cancelled": ("cancelled", ""), "in_progress": ("update", ""), "verifying": ("being verified", ""),
            "completed": ("complete", ""), "delayed": ("delayed", window), "scheduled": ("update", window)}
    word, when = said.get(phase, (phase, window))
    return f"Maintenance {word}: {m.title}{when}"


_SPACES = re.compile(r"[ \t]{2,}")
_CLOSERS = "\"')]»”’"


def _sentence(message: str) -> str:
    """An ops message as a sentence: the templates go on after it ("… Next update by 10:30"),
    so one written without a full stop gets one (a question or an exclamation keeps its mark)."""
    message = message.strip()
    if message and not message.rstrip(_CLOSERS).endswith((".", "!", "?", "…", ":", "。", "！", "？", "｡", "।", "؟")):
        return message + "."
    return message


def _tidy(text: str) -> str:
    """A filled-in template without the spaces a field left empty leaves behind (no ``-m``)."""
    return "\n".join(_SPACES.sub(" ", line).rstrip() for line in text.strip().split("\n"))


# Where a template's sentences end: after . ! ? and on either side of the ops message.
_SENTENCE_BREAK = re.compile(r"((?<=[.!?])\s+|(?<=\{message\})\s+|\s+(?=\{message\}))")


def _without_apology(source: str, apology: re.Pattern[str]) -> str:
    """The template ``source`` without its sentences that say sorry (those apart from the message)."""
    parts = _SENTENCE_BREAK.split(source)
    kept: list[str] = []
    for index in range(0, len(parts), 2):
        if apology.search(parts[index]) and "{message}" not in parts[index]:
            continue
        kept += [parts[index - 1], parts[index]] if kept else [parts[index]]
    return "".join(kept)


def _framed(calendar: Calendar, source: str, values: dict[str, str]) -> str:
    """The template filled in, saying sorry once: when the ops message already apologises (in any
    language the voice guide reads), the template's own apology is left out."""
    from campaigns.voice import apology_pattern

    apology = apology_pattern(calendar.brand.voice)
    if apology.search(values["message"]):
        source = _without_apology(source, apology)
    return _tidy(compile_template(source, frozenset(values)).render(values))


def render(calendar: Calendar, state: str, impact: str, values: dict[str, str], account: Account) -> str:
    """A status template filled in for ``account``, saying sorry once (:func:`_framed`), shortened
    to fit the network if need be (the ops message is cut at a word, with a link to the status page)."""
    source = _template(calendar, state, impact)
    values = {**values, "message": _sentence(values["message"])}
    text = finish(_framed(calendar, source, values), calendar.brand, None, account)
    limit = account.rules.limit
    if limit is None or limit.overflow(text) is None:
        return text
    link = LINK_SUFFIX.format(status_page=values["status_page"]) if values["status_page"] else ""
    words = values["message"].split()
    while words:
        words.pop()
        shorter = _framed(calendar, source, {**values, "message": " ".join(words).rstrip(".,;:!?") + "…"}) + link
        if limit.overflow(shorter) is None:
            return shorter
    return (values["title"] + link)[: limit.maximum]


def render_update(calendar: Calendar, status: Status, incident: Incident, update: Update,
                  account: Account) -> str:
    tz = calendar.brand.tz
    following = update.next_update or DEFAULT_NEXT_UPDATE.get(incident.impact, timedelta(hours=1))
    values = _values(calendar, status, title=incident.title, affected=_affected(incident, status),
                     message=update.message.strip(), impact=incident.impact, state=update.state,
                     next_update=(update.at + following).astimezone(tz).strftime("%H:%M %Z"))
    return render(calendar, update.state, incident.impact, values, account)


def accounts(calendar: Calendar, wanted: tuple[str, ...]) -> list[Account]:
    """The accounts an incident or window naming ``wanted`` (empty: none) is announced on."""
    return _accounts(calendar, wanted, None)


def _accounts(calendar: Calendar, wanted: tuple[str, ...], only: set[str] | None) -> list[Account]:
    """The accounts to tell: those named, or every enabled one that takes text posts
    (Instagram and Pinterest need an image; announcements are words)."""
    names = wanted or tuple(n for n, a in calendar.networks.items() if a.enabled and not a.rules.image_required)
    out = []
    for name in names:
        account = calendar.networks.get(name)
        if account is not None and account.enabled and (only is None or name in only):
            out.append(account)
    return out


def announcements(calendar: Calendar, status: Status, start: datetime, end: datetime,
                  accounts: set[str] | None = None, now: datetime | None = None,
                  announced: frozenset[str] = frozenset()) -> list[Publication]:
    """The publications the status calls for in [start, end), oldest first: incident updates,
    follow-ups, and maintenance reminders, starts and ends, changes and cancellations.

    ``announced`` holds the sources already published (from the ledger), which is how a
    changed or cancelled maintenance window is recognised; such news goes out at ``now``."""
    tz = calendar.brand.tz
    out: list[Publication] = []

    def add(source: str, key_source: str, instant: datetime, at: datetime, post: str, account: Account,
            text: Callable[[], str], note: str, role: str, root: str | None = None, kind: Kind = Kind.INCIDENT,
            incident_state: str = "", fallbacks: tuple[str, ...] = ()) -> None:
        if not start <= at < end:
            return  # before rendering: a file holds years of incidents, a plan a few days of them
        limit = account.rules.limit
        out.append(Publication(
            key=publication_key(key_source, instant, account.name), source=source, post=post, kind=kind,
            network=account.name, network_type=account.type, at=at.astimezone(tz), text=text(), variant=1,
            variants=1, limit=limit.maximum if limit else None, note=note, thread_root=root,
            thread_fallbacks=fallbacks, role=role, incident_state=incident_state))

    for incident in status.incidents:
        if not _in_window(incident, start, end):
            continue
        root = incident.updates[0]
        for account in _accounts(calendar, incident.networks, accounts):
            root_key = publication_key(incident.source, root.at, account.name)
            for update in incident.updates:
                add(incident.source, incident.source, update.at, update.at, incident.id, account,
                    partial(render_update, calendar, status, incident, update, account),
                    f"{update.state} ({incident.impact})", str(update.state), None if update is root else root_key,
                    incident_state=str(update.state))
            if incident.resolved and incident.follow_up is not None:
                resolved = incident.updates[-1].at
                add(incident.source, f"{incident.source}:follow-up", resolved, resolved + incident.follow_up,
                    incident.id, account, partial(_follow_up, calendar, status, incident, account),
                    "follow-up", "follow_up", root_key, incident_state=str(UpdateState.RESOLVED))
    for maintenance in status.maintenance:
        _maintenance(calendar, status, maintenance, accounts, now, announced, add)
    out.sort(key=lambda p: (p.at.timestamp(), p.network, p.post))  # instants: a repeated hour's fold counts
    return out


def _in_window(incident: Incident, start: datetime, end: datetime) -> bool:
    """Whether any of the incident's announcements falls in [start, end): an update, or the
    follow-up after its resolution (the same instants ``add`` keeps)."""
    last = incident.updates[-1].at
    if incident.resolved and incident.follow_up is not None and start <= last + incident.follow_up < end:
        return True
    return any(start <= update.at < end for update in incident.updates)


def _follow_up(calendar: Calendar, status: Status, incident: Incident, account: Account) -> str:
    values = _values(calendar, status, title=incident.title, affected=_affected(incident, status),
                     impact=incident.impact, state="follow_up")
    return render(calendar, "follow_up", incident.impact, values, account)


def _maintenance(calendar: Calendar, status: Status, m: Maintenance, accounts: set[str] | None,
                 now: datetime | None, announced: frozenset[str], add: Any) -> None:
    """Reminders, start and end of one window, and its updates; a change or a cancellation of one
    already announced."""
    tz = calendar.brand.tz
    earlier = {s for s in announced if s.startswith(f"maintenance:{m.id}@")}
    shared: dict[str, str] = {}

    def values() -> dict[str, str]:  # made once, and only for a window with something to say in the plan
        if not shared:
            shared.update(_values(calendar, status, title=m.title, affected=_affected(m, status), message=m.message,
                                  window=_window(m, tz), end_time=_clock(planned_end(m), tz), impact="maintenance"))
        return shared

    for account in _accounts(calendar, m.networks, accounts):
        def say(phase: str, account: Account = account, **extra: str) -> Callable[[], str]:
            return lambda: render(calendar, f"maintenance.{phase}", "maintenance", {**values(), **extra}, account)

        if m.cancelled:
            if earlier and now is not None:
                add(f"maintenance:{m.id}", f"maintenance:{m.id}:cancelled", m.starts, now, m.id, account,
                    say("cancelled"), "maintenance cancelled", "maintenance.cancelled", kind=Kind.MAINTENANCE)
            continue
        if earlier - {m.source} and now is not None:  # announced before with another window
            add(m.source, f"{m.source}:changed", m.starts, now, m.id, account, say("changed"),
                "maintenance changed", "maintenance.changed", kind=Kind.MAINTENANCE)
        thread: list[str] = []  # the window's announcements on the account so far, oldest first
        for at, key_source, instant, text, note, role in _window_posts(m, account, tz, say):
            add(m.source, key_source, instant, at, m.id, account, text, note, role, thread[0] if thread else None,
                kind=Kind.MAINTENANCE, fallbacks=tuple(thread[1:]))
            thread.append(publication_key(key_source, instant, account.name))


_Post = tuple[datetime, str, datetime, Callable[[], str], str, str]  # at, key source, key instant, text, note, role


def _window_posts(m: Maintenance, account: Account, tz: Any, say: Callable[..., Callable[[], str]]) -> list[_Post]:
    """A window's announcements on one account, oldest first: its reminders, its start and end (unless
    an update said them) and each of its updates (keyed by the window's id and the update's time: a
    moved window or a corrected message never posts it again).  Each replies under the first of the
    earlier ones the account sent, as an incident's updates reply under its first post."""
    out: list[_Post] = [
        (m.starts - ahead, f"{m.source}:remind:{int(ahead.total_seconds())}", m.starts,
         say("reminder", when=_ahead(ahead)), REMINDER_NOTE + _ahead(ahead).removeprefix("in "),
         "maintenance.reminder") for ahead in sorted(m.remind, reverse=True)]
    if starts_itself(m):
        out.append((m.starts, f"{m.source}:start", m.starts, say("start"), "maintenance starts", "maintenance.start"))
    if ends_itself(m):
        end = planned_end(m)
        out.append((end, f"{m.source}:end", end, say("end"), "maintenance ends", "maintenance.end"))
    for n, update in enumerate(m.updates, 1):
        end, role = ends_as_of(m, n), window_role(m, update)
        out.append((update.at, f"maintenance:{m.id}:update", update.at,
                    say(role, message=update.message, end_time=_clock(end, tz), window=_window(m, tz, end)),
                    f"maintenance {role.replace('_', ' ')}", f"maintenance.{role}"))
    return sorted(out, key=lambda post: post[0])


def _clock(at: datetime, tz: Any) -> str:
    return at.astimezone(tz).strftime("%H:%M %Z")


@dataclass(frozen=True)
class Change:
    """What a new status changes in the plan: the incidents and maintenance windows whose
    announcements are made again, as ``(kind, id)`` (those removed included), and a status
    holding only those of them still in the file (its components and page as before)."""

    posts: frozenset[tuple[str, str]]
    status: Status


def change(before: Status, after: Status, announced: frozenset[str] = frozenset()) -> Change | None:
    """The part of ``after`` to announce again when ``before``'s announcements are planned already:
    every incident and window that differs from its previous version, is new or is gone, and every
    window whose news is dated ``now`` (a change or a cancellation already announced: ``announced``
    as for :func:`announcements`).  ``announcements(after)`` is then ``announcements(before)``
    without ``posts``, plus ``announcements(status)``.  None when every text may differ (the
    components' names or the status page changed) or an id is repeated: plan the whole status."""
    if before.components != after.components or before.status_page != after.status_page:
        return None
    incidents = _changed(before.incidents, after.incidents)
    windows = _changed(before.maintenance, after.maintenance)
    if incidents is None or windows is None:
        return None
    (old_incidents, new_incidents), (old_windows, new_windows) = incidents, windows
    dated_now = [m for m in after.maintenance if m not in new_windows and _news_now(m, announced)]
    new_windows += dated_now
    posts = {(Kind.INCIDENT, i.id) for i in (*old_incidents, *new_incidents)}
    posts |= {(Kind.MAINTENANCE, m.id) for m in (*old_windows, *new_windows)}
    return Change(frozenset(posts), replace(after, incidents=tuple(new_incidents), maintenance=tuple(new_windows)))


def _changed(before: tuple[Any, ...], after: tuple[Any, ...]) -> tuple[list[Any], list[Any]] | None:
    """(those of ``before`` that are not in ``after`` as they were, those of ``after`` that are new
    or changed), matched by id; None when an id is repeated in either."""
    old = {item.id: item for item in before}
    new = {item.id: item for item in after}
    if len(old) != len(before) or len(new) != len(after):
        return None
    return [i for i in before if not _same(new.get(i.id), i)], [i for i in after if not _same(old.get(i.id), i)]


def _same(a: object, b: object) -> bool:
    return a is b or a == b  # the loader reuses what an unchanged item built: mostly the same object


def _news_now(m: Maintenance, announced: frozenset[str]) -> bool:
    """Whether ``m``'s plan holds news dated when it is planned (see :func:`_maintenance`)."""
    earlier = {s for s in announced if s.startswith(f"maintenance:{m.id}@")}
    return bool(earlier) if m.cancelled else bool(earlier - {m.source})


def holding_incident(calendar: Calendar, status: Status, kind: str, components: tuple[str, ...],
                     now: datetime) -> Incident | None:
    """The open major or critical incident that holds a calendar post of this kind, if any:
    promotional kinds during any such incident, and posts about an affected component."""
    for incident in status.open_incidents():
        if not incident.impact.holds_posts or incident.started > now:
            continue
        if kind in calendar.engine.hold_during_incidents or set(components) & set(incident.affected):
            return incident
    return None
