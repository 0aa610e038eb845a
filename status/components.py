"""How each component is doing, and how it was doing: the one reading of the status that the status
page's banner, components, day bars and uptime, the Statuspage API and ``herald status`` share.
Pure: the status and ``now`` in.

- An open incident puts each component it names in the state its impact says (minor: degraded
  performance, major: partial outage, critical: major outage), unless one of its updates set that
  component's state (``components: {checkout: operational}``): then the latest state an update set
  holds until another update sets another.  A resolution leaves every one operational.
- A draft (the alert intake's, waiting for ``herald incident confirm``) is not public: it changes
  no component, whoever asks.
- A window in progress puts a component that is otherwise operational under maintenance.
- A component's own ``status:`` in the file is its floor: an incident can only make it worse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .maintenance import in_progress, window_end, window_start
from .model import ComponentState, Impact, Incident, Status, UpdateState

SEVERITY: tuple[str, ...] = tuple(ComponentState)  # least to most severe
IMPACT_STATE = {Impact.NONE: ComponentState.OPERATIONAL, Impact.MINOR: ComponentState.DEGRADED_PERFORMANCE,
                Impact.MAJOR: ComponentState.PARTIAL_OUTAGE, Impact.CRITICAL: ComponentState.MAJOR_OUTAGE}
# the page's indicator for its worst component (Statuspage's words), least to most severe
LEVEL = {ComponentState.OPERATIONAL: "none", ComponentState.UNDER_MAINTENANCE: "maintenance",
         ComponentState.DEGRADED_PERFORMANCE: "minor", ComponentState.PARTIAL_OUTAGE: "major",
         ComponentState.MAJOR_OUTAGE: "critical"}
LEVELS = tuple(LEVEL.values())


def worse(a: str, b: str) -> str:
    """The more severe of two component states."""
    return a if SEVERITY.index(a) >= SEVERITY.index(b) else b


def states_by_update(incident: Incident) -> list[dict[str, str]]:
    """The state of each component the incident is about as of each of its updates, oldest first."""
    current: dict[str, str] = {c: IMPACT_STATE[incident.impact] for c in incident.components}
    out = []
    for update in incident.updates:
        current = {**current, **dict(update.components)}
        if update.state == UpdateState.RESOLVED:
            current = dict.fromkeys(current, ComponentState.OPERATIONAL)
        out.append(current)
    return out


def component_states(status: Status, now: datetime) -> dict[str, str]:
    """Each component's state at ``now``, by id (see the module's rules)."""
    states = {cid: str(c.status) for cid, c in status.components.items()}
    for incident in status.open_incidents():
        if incident.draft:
            continue
        for cid, state in states_by_update(incident)[-1].items():
            if cid in states:
                states[cid] = worse(states[cid], state)
    for m in status.maintenance:
        if in_progress(m, now):
            for cid in m.components:
                if states.get(cid) == ComponentState.OPERATIONAL:
                    states[cid] = ComponentState.UNDER_MAINTENANCE
    return states


def indicator(status: Status, now: datetime) -> str:
    """The page's overall state, Statuspage's ``none``, ``maintenance``, ``minor``, ``major`` or
    ``critical``: its worst component's, or the impact of an open incident that names no component
    (it says how bad it is, and there is no component to say it)."""
    states = component_states(status, now).values()
    level = LEVEL[ComponentState(max(states, key=SEVERITY.index, default=ComponentState.OPERATIONAL))]
    for incident in status.open_incidents():
        if not incident.draft and not incident.affected and LEVELS.index(incident.impact) > LEVELS.index(level):
            level = str(incident.impact)
    return level


@dataclass(frozen=True)
class Span:
    """A component in one state for a while, because of one incident or window."""

    component: str
    start: datetime
    end: datetime
    state: str
    kind: str  # incident | maintenance
    id: str
    title: str


def spans(status: Status, start: datetime, end: datetime, now: datetime) -> list[Span]:
    """What the incidents and windows did to each component in [start, end), as seen at ``now``
    (an open incident lasts until now): the day bars and the uptime read these."""
    out: list[Span] = []
    for incident in status.incidents:
        if not incident.draft and incident.started < end:
            out.extend(_incident_spans(incident, start, now))
    for m in status.maintenance:
        first = window_start(m)
        if not m.cancelled and first <= now and first < end and window_end(m) > start:
            last = min(window_end(m), now)
            out.extend(Span(c, first, last, ComponentState.UNDER_MAINTENANCE, "maintenance", m.id, m.title)
                       for c in m.components if first < last)
    return out


def _incident_spans(incident: Incident, start: datetime, now: datetime) -> list[Span]:
    updates = incident.updates
    if incident.resolved and updates[-1].at < start:
        return []
    out: list[Span] = []
    for n, states in enumerate(states_by_update(incident)):
        if updates[n].state == UpdateState.RESOLVED:
            break
        until = updates[n + 1].at if n + 1 < len(updates) else now
        if until > updates[n].at:
            out.extend(Span(cid, updates[n].at, until, state, "incident", incident.id, incident.title)
                       for cid, state in states.items())
    return out


# Downtime as Statuspage counts it: a major outage all of it, a partial outage 30 %, degraded
# performance none.
DOWNTIME = {ComponentState.MAJOR_OUTAGE: 1.0, ComponentState.PARTIAL_OUTAGE: 0.3}


def uptime(found: list[Span], component: str, start: datetime, end: datetime) -> float:
    """The share of [start, end) that ``component`` was up, by the spans (where two overlap, the worse counts)."""
    weighted = []
    for span in found:
        weight = DOWNTIME.get(ComponentState(span.state), 0.0) if span.component == component else 0.0
        first, last = max(span.start, start), min(span.end, end)
        if weight and first < last:
            weighted.append((first, last, weight))
    cuts = sorted({start, end, *(a for a, _, _ in weighted), *(b for _, b, _ in weighted)})
    down = sum((b - a).total_seconds() * max((w for s, e, w in weighted if s <= a and b <= e), default=0.0)
               for a, b in zip(cuts, cuts[1:], strict=False))
    total = (end - start).total_seconds()
    return 1.0 - down / total if total > 0 else 1.0
