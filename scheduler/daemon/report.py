"""What the supervisor says: the start-up summary, and which outcomes were rate-limit waits."""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta

from campaigns.plan import plan

from ..engine import Cause, Engine, Outcome
from ..engine.candidates import candidates
from ..ledger import Ledger

log = logging.getLogger("herald.daemon")


def rate_limited(outcome: Outcome) -> bool:
    """Whether ``outcome`` is a send held back by its account's rate limit (counted in /metrics):
    by its cause, never its wording."""
    return outcome.cause is Cause.RATE_LIMIT


def summary(engine: Engine, ledger: Ledger, engine_id: str, calendar_path: str, status_path: str | None,
            now: datetime) -> None:
    """The start-up lines: what runs, what is open or paused, what comes next."""
    cal = engine.calendar
    tz = cal.brand.tz
    log.info("herald %s started: %s (%d posts, %d campaigns)", engine_id, calendar_path, len(cal.posts),
             len(cal.campaigns))
    log.info("ledger: %s; networks: %s", ledger.safe_url,
             ", ".join(p.describe() for p in engine.publishers.values()) or "none")
    if status_path and not os.path.exists(status_path):
        log.warning("no status file at %s: no incidents to announce", status_path)
    elif status_path:
        log.info("status file: %s", status_path)
    for incident in engine.status.open_incidents():
        log.warning("OPEN INCIDENT %s (%s): %s, %s since %s", incident.id, incident.impact, incident.title,
                    incident.state, incident.started.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z"))
    for pause in ledger.active_pauses(now):
        until = f" until {pause.until.astimezone(tz):%Y-%m-%d %H:%M %Z}" if pause.until else " until resumed"
        log.warning("PAUSED %s%s: %s", pause.network or "all networks", until, pause.reason or "no reason given")
    _next(engine, now)


def _next(engine: Engine, now: datetime) -> None:
    """What is overdue, and the next publication (the next 8 days' when the plan's window has none)."""
    tz = engine.calendar.brand.tz
    upcoming = sorted(engine.pending(), key=lambda p: p.at.timestamp())
    overdue = [p for p in upcoming if p.at <= now]
    if overdue:
        log.info("catching up: %d publication(s) were due while Herald was not running", len(overdue))
    later = [p for p in upcoming if p.at > now]
    if later:
        first = later[0]
        log.info("next: %s on %s at %s; %d scheduled in the next %d hours", first.post, first.network,
                 first.at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z"), len(later),
                 int((engine.window[1] - now).total_seconds() // 3600) if engine.window else 0)
        return
    week = candidates(engine.calendar, now, now + timedelta(days=8))  # (the posts that can fall in it)
    ahead = [p for p in plan(week, now, now + timedelta(days=8)) if p.network in engine.publishers]
    if ahead:
        log.info("nothing due in the next day; next: %s on %s at %s", ahead[0].post, ahead[0].network,
                 ahead[0].at.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z"))
    else:
        log.info("nothing planned in the next 8 days")
