"""The texts the engine writes itself, checked as the engine checks them before a send: the alert
intake's updates (its own words, or a policy's ``title:`` and ``message:``, in the status templates)
and every announcement of a maintenance window that is not over (its reminders, start, end and
updates, each template filled in with the window's own words).  ``herald validate`` and ``herald
lint`` report each finding in one line naming the text and the rule, at the line of the file that
makes the text, so what ops see agrees with what customers get: a text the voice guide refuses is
said now, not found ``dead`` after an outage.  Pure.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from campaigns.lint import Collector
from campaigns.model import Calendar
from campaigns.voice import Finding, VoiceChecker

from . import alerts
from .announce import accounts, announcements, describe, render_update
from .maintenance import UPDATE_ROLES, announced, window_end
from .model import AlertAction, AlertRoute, Incident, Maintenance, Status, Update, UpdateState

# what the intake writes, in which state, and how a person would name that text
_INTAKE = (("declare", (UpdateState.INVESTIGATING,), "first update"),
           ("raise", (UpdateState.INVESTIGATING, UpdateState.IDENTIFIED, UpdateState.MONITORING),
            "update when more customers are affected"),
           ("resolve", (UpdateState.RESOLVED,), "resolution"))
_SAMPLE_AT = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)  # any time: a template shows only its clock time


@dataclass(frozen=True)
class Text:
    """One text the engine may post, where it comes from in the status file."""

    name: str  # what it is, for people: "the alert intake's resolution on checkout (severity critical)"
    role: str  # what the voice guide checks it as (an incident state, maintenance.start…)
    text: str
    line: int
    col: int = 1
    affected: tuple[str, ...] = ()
    own: str = ""  # the ops message inside it (already checked on its own: its findings are not repeated)


def check(calendar: Calendar, status: Status, checker: VoiceChecker, start: datetime, out: Collector) -> None:
    """Every finding for the texts the engine writes itself from ``start`` on, one problem each."""
    for text in engine_texts(calendar, status, start):
        known = {(f.rule, f.message) for f in checker.check(text.own, text.role, required=False)} if text.own else set()
        for finding in checker.check(text.text, text.role, affected=text.affected):
            if (finding.rule, finding.message) not in known:
                out.add(status.path, text.line, text.col, Finding(finding.rule, finding.severity,
                                                                  f"{text.name}: {finding.message}",
                                                                  finding.suggestion))


def engine_texts(calendar: Calendar, status: Status, start: datetime) -> Iterator[Text]:
    """The intake's texts for every policy that writes an incident, then every announcement of each
    window not over by ``start`` nor cancelled."""
    for route in status.alerts:
        yield from _intake(calendar, status, route)
    for m in status.maintenance:
        if not m.cancelled and window_end(m) >= start:
            yield from _window(calendar, status, m)


def _intake(calendar: Calendar, status: Status, route: AlertRoute) -> Iterator[Text]:
    """What the intake writes for each policy of a route that makes an incident, in each state it
    may write it in, as each account it tells would get it."""
    name = status.components[route.component].name if route.component in status.components else route.component
    for severity, policy in route.policies:
        if policy.action == AlertAction.MARK:
            continue
        title = alerts.title(status, route.component, policy)
        wanted = (policy.announce,) if policy.action == AlertAction.DRAFT else policy.networks
        for what, states, label in _INTAKE:
            message = alerts.words(status, route.component, policy, what)
            for state in states:
                update = Update(_SAMPLE_AT, state, message)
                incident = Incident("alert-check", title, policy.impact, (update,), (route.component,), wanted)
                named = f"the alert intake's {label} on {route.component} (severity {severity}, {state}, as posted)"
                for account in accounts(calendar, wanted):
                    text = render_update(calendar, status, incident, update, account)
                    yield Text(named, str(state), text, route.line, 1, (title, name))


def _window(calendar: Calendar, status: Status, m: Maintenance) -> Iterator[Text]:
    """A window's announcements as the engine renders them for each of its accounts."""
    alone = replace(status, incidents=(), maintenance=(m,))
    last = max(window_end(m), m.ends, *(u.at for u in m.updates)) + timedelta(seconds=1)
    said = {u.at: (u.line, u.col, u.message) for u in m.updates}
    for pub in announcements(calendar, alone, announced(m) - timedelta(seconds=1), last):
        line, col, own = said[pub.at] if pub.role in UPDATE_ROLES and pub.at in said else (m.line, 1, m.message)
        yield Text(f"the {describe(pub).replace('maintenance: ', '')} post of maintenance {m.id!r}", pub.role,
                   pub.text, line, col, own=own)
