"""Where a maintenance window stands, and its timeline: the one reading of a window (its times and
its ``updates:``) that the announcements, the status page, the API, the feeds, ``status.ics`` and the
components share.  Pure.

- A window is *scheduled* until it starts, *in progress* from its start (or from an earlier update
  that says the work began), *verifying* from an update that says so, and *completed* at its end; a
  cancelled one is completed (as Statuspage says).
- An update with ``ends:`` (a delay) moves the end; a ``completed`` update before the end ends the
  window then.
- The announcements a window makes on its own (its start and its end) give way to an update that
  says the same: no "has started" post after an update said the work began before the start, no
  "is complete" post when a ``completed`` update said so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .model import Maintenance, MaintenanceState, MaintenanceUpdate

STARTED = "The maintenance has started."  # what the timeline says at a start no update announced
FINISHED = "The maintenance is complete."  # and at an end no update announced
WORKING = (MaintenanceState.IN_PROGRESS, MaintenanceState.VERIFYING)
# the roles of the announcements of ops' updates (see :func:`role`)
UPDATE_ROLES = frozenset({*(f"maintenance.{s}" for s in MaintenanceState), "maintenance.delayed",
                          "maintenance.changed"})


def announced(m: Maintenance) -> datetime:
    """When customers are first told of a window (its earliest reminder): a stable time, whenever asked."""
    return m.starts - max(m.remind, default=timedelta(0))


def planned_end(m: Maintenance) -> datetime:
    """The end as planned now: the last delay's, else the window's ``ends``."""
    return ends_as_of(m, len(m.updates))


def ends_as_of(m: Maintenance, count: int) -> datetime:
    """The end as planned once the first ``count`` updates were made."""
    end = m.ends
    for update in m.updates[:count]:
        if update.ends is not None:
            end = update.ends
    return end


def completion(m: Maintenance) -> MaintenanceUpdate | None:
    """The ``completed`` update that ended the window, if one did so by its planned end."""
    end = planned_end(m)
    return next((u for u in m.updates if u.state == MaintenanceState.COMPLETED and u.at <= end), None)


def window_end(m: Maintenance) -> datetime:
    """When the window ends, as far as anyone knows now: its completion, else its planned end."""
    done = completion(m)
    return done.at if done is not None else planned_end(m)


def window_start(m: Maintenance) -> datetime:
    """When the work began: the start, or an earlier update that said it began."""
    return min([m.starts, *(u.at for u in m.updates if u.state in WORKING)])


def starts_itself(m: Maintenance) -> bool:
    """Whether the window's start is announced on its own (no update said the work began by then)."""
    return not any(u.state != MaintenanceState.SCHEDULED and u.at <= m.starts for u in m.updates)


def ends_itself(m: Maintenance) -> bool:
    """Whether the window's end is announced on its own (no ``completed`` update said it)."""
    return completion(m) is None


def maintenance_state(m: Maintenance, now: datetime) -> MaintenanceState:
    """The window's state at ``now``."""
    if m.cancelled or now >= window_end(m):
        return MaintenanceState.COMPLETED
    said = [u.state for u in m.updates if u.at <= now]
    if said and said[-1] in WORKING:
        return said[-1]
    return MaintenanceState.SCHEDULED if now < m.starts else MaintenanceState.IN_PROGRESS


def in_progress(m: Maintenance, now: datetime) -> bool:
    """Whether the work is going on at ``now`` (its components are under maintenance)."""
    return maintenance_state(m, now) in WORKING


def role(m: Maintenance, update: MaintenanceUpdate) -> str:
    """What an update of ``m`` announces: ``changed`` (it moves the end before the window starts: a new
    plan, as when the window is moved), ``delayed`` (it moves the end once the work began: it runs late),
    else its state."""
    if update.ends is not None:
        return "changed" if update.at < m.starts else "delayed"
    return str(update.state)


@dataclass(frozen=True)
class Entry:
    """One line of a window's timeline."""

    at: datetime
    state: MaintenanceState
    message: str
    kind: str  # scheduled | start | end | the update's role (see :func:`role`)
    ends: datetime | None = None  # the end it expects, for a delay


def timeline(m: Maintenance, now: datetime) -> list[Entry]:
    """The window's timeline at ``now``, oldest first: scheduled when announced, each update, and the
    start and end the window announced on its own once they came."""
    out = [Entry(announced(m), MaintenanceState.SCHEDULED, m.message or m.title, "scheduled")]
    out += [Entry(u.at, u.state, u.message, role(m, u), u.ends) for u in m.updates]
    if not m.cancelled and starts_itself(m) and m.starts <= now:
        out.append(Entry(m.starts, MaintenanceState.IN_PROGRESS, STARTED, "start"))
    if not m.cancelled and ends_itself(m) and planned_end(m) <= now:
        out.append(Entry(planned_end(m), MaintenanceState.COMPLETED, FINISHED, "end"))
    return sorted(out, key=lambda e: e.at)


def revisions(m: Maintenance) -> int:
    """How often the window's end moved (each delay, an end earlier than planned) or it was cancelled:
    the SEQUENCE of its calendar event (RFC 5545), which calendar apps read as "changed".

    Known limit: it is read from the file alone, which keeps no history, so a window moved by
    editing ``starts``/``ends`` keeps its count and deleting an update lowers it.  A monotonic count
    needs the ledger's record of the changes announced (``maintenance:<id>@<window>`` sources), which
    ``status/`` does not read; a subscribed ``status.ics`` is replaced on refresh all the same."""
    count, end = 0, m.ends
    for n, update in enumerate(m.updates, 1):
        moved = ends_as_of(m, n)
        if update.state == MaintenanceState.COMPLETED and update.at < end:
            moved = update.at
        if moved != end:
            count, end = count + 1, moved
    return count + (1 if m.cancelled else 0)
