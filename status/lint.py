"""``herald lint`` with the status file: the calendar's checks (:mod:`campaigns.lint`) plus
the ops team's messages in ``status.yaml`` (incident updates, maintenance windows and their
updates) from the window on, at their own line, each announcement's required elements, the
status templates rendered for one of the file's own components, and the texts the engine writes
itself (:mod:`status.texts`: the alert intake's, every announcement of a window not over).
Pure, like the rest of status/.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from campaigns.lint import Collector, Elsewhere, LintReport
from campaigns.lint import checker_for as calendar_checker
from campaigns.lint import lint as lint_calendar
from campaigns.model import Account, Calendar
from campaigns.similarity import normalize
from campaigns.voice import Finding, VoiceChecker

from .announce import render_update
from .maintenance import role, window_end
from .model import Incident, Status, Update
from .texts import check as check_engine_texts


def checker_for(calendar: Calendar, status: Status | None = None) -> VoiceChecker:
    """The brand's guide compiled, with the status page's and the feeds' hosts allowed in links."""
    urls = [status.status_page, *(f.url for f in status.feeds)] if status is not None else []
    return calendar_checker(calendar, urls)


def lint(calendar: Calendar, start: datetime, end: datetime, status: Status | None = None,
         elsewhere: Elsewhere | None = None) -> LintReport:
    """Every finding for the calendar's publications in [start, end) and the status file (with
    ``elsewhere``, part of the calendar's in another process: :func:`campaigns.lint.lint`)."""
    checker = checker_for(calendar, status)
    out = Collector()
    if status is not None:
        _messages(calendar, status, checker, start, out)
        check_engine_texts(calendar, status, checker, start, out)
    components = list(status.components.values()) if status is not None else []
    return lint_calendar(calendar, start, end, checker, out=out,
                         affected=components[0].name if components else "Checkout",
                         status_page=status.status_page if status is not None else "", elsewhere=elsewhere)


def _messages(calendar: Calendar, status: Status, checker: VoiceChecker, start: datetime, out: Collector) -> None:
    """The updates of the incidents still open or updated in the window, then the messages of
    the maintenance windows not over before it nor cancelled."""
    site_like = next(iter(calendar.networks.values()), None)
    for incident in status.incidents:
        if not incident.resolved or incident.updates[-1].at >= start:
            _incident(calendar, status, checker, incident, site_like, out)
    for window in status.maintenance:
        if window_end(window) < start or window.cancelled:
            continue
        for finding in checker.check(window.message, "maintenance.reminder", required=False):
            out.add(status.path, window.line, 1, finding)
        for update in window.updates:
            for finding in checker.check(update.message, f"maintenance.{role(window, update)}", required=False):
                out.add(status.path, update.line, update.col, finding)


def _incident(calendar: Calendar, status: Status, checker: VoiceChecker, incident: Incident,
              site_like: Account | None, out: Collector) -> None:
    """Each update's findings at its line: its message checked, a message that repeats an
    earlier one, and (with an account to render for) what its announcement lacks."""
    affected = (incident.title, *(status.components[c].name for c in incident.components
                                  if c in status.components))
    messages: dict[str, int] = {}  # normalised message -> the line it first appears on
    for update in incident.updates:
        for finding in checker.check(update.message, update.state, required=False):
            out.add(status.path, update.line, update.col, finding)
        norm = normalize(update.message)
        if norm and norm in messages:
            found = checker.finding("duplicate", f"this update repeats the message of line {messages[norm]}",
                                    "say what changed since the last update")
            if found:
                out.add(status.path, update.line, update.col, found)
        messages.setdefault(norm, update.line)
        if site_like is not None:
            _announcement(calendar, status, checker, incident, update, affected, site_like, out)


def _announcement(calendar: Calendar, status: Status, checker: VoiceChecker, incident: Incident, update: Update,
                  affected: tuple[str, ...], site_like: Account, out: Collector) -> None:
    """The required elements the update's announcement (as the site would render it) lacks:
    said at the update, naming the template that would have to say them."""
    text = render_update(calendar, status, incident, update, _unlimited(site_like))
    for finding in checker.missing(text, update.state, affected):
        which = update.state if update.state in calendar.brand.status_templates else "built-in"
        out.add(status.path, update.line, update.col,
                Finding(finding.rule, finding.severity, f"{finding.message}: this update's announcement does not",
                        f"say it in the message; the {which} template does not"))


def _unlimited(account: Account) -> Account:
    """The site's text: not shortened for a network's limit."""
    return replace(account, type="site")
