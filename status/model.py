"""Status values: components, incidents and their updates, built by :mod:`status.load`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property


class Impact(StrEnum):
    """How badly customers are affected (a StrEnum: it compares and formats as its value)."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def holds_posts(self) -> bool:
        """Major and critical incidents hold promotional posts."""
        return self in (Impact.MAJOR, Impact.CRITICAL)


class UpdateState(StrEnum):
    """Where an incident stands, as of one of its updates."""

    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


class ComponentState(StrEnum):
    """How a component is doing (``status:`` of a component), least to most severe."""

    OPERATIONAL = "operational"
    UNDER_MAINTENANCE = "under_maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"


# What an incident's update may set a component to (``components:`` of an update): every state but
# ``under_maintenance``, which only a maintenance window in progress shows (as Statuspage has it).
INCIDENT_COMPONENT_STATES = tuple(s for s in ComponentState if s != ComponentState.UNDER_MAINTENANCE)


class MaintenanceState(StrEnum):
    """Where a maintenance window stands (Statuspage's words), as of one of its updates."""

    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    VERIFYING = "verifying"
    COMPLETED = "completed"


class AlertAction(StrEnum):
    """What an alert does once it has fired for its ``for:`` (``action:`` of an alert policy)."""

    MARK = "mark"  # only the component's state
    DRAFT = "draft"  # an incident not yet public, told to the internal chat account
    DECLARE = "declare"  # a public incident


class AlertStatus(StrEnum):
    """An alert's news in one event: it fires, or it resolved."""

    FIRING = "firing"
    RESOLVED = "resolved"


class AlertSource(StrEnum):
    """The tools whose alert webhooks the intake reads, each with its parser in :mod:`status.formats`."""

    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"
    UPTIME_KUMA = "uptime-kuma"
    STATUSPAGE = "statuspage"
    GENERIC = "generic"


@dataclass(frozen=True)
class Component:
    id: str
    name: str
    status: str = ComponentState.OPERATIONAL  # a ComponentState's value (the loader's, the file's own string)
    group: str = ""  # the group the status page lists it under (``group:``), empty: none


# how far ahead an update may promise the next one (``next_update:``, ``--next-update``): a
# promise customers read ("next update at 10:20"), so soon but never "now", and never months away
NEXT_UPDATE = (timedelta(minutes=1), timedelta(days=7))


@dataclass(frozen=True)
class Update:
    at: datetime  # aware
    state: UpdateState
    message: str
    next_update: timedelta | None = None
    line: int = 0  # of its message (or of the update, without one)
    col: int = 0
    # the states this update sets (``components:``), (component id, ComponentState value) in the
    # file's order; a component not named keeps what an earlier update set (see status.components)
    components: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:  # a plain string from a feed parser becomes the enum
        object.__setattr__(self, "state", UpdateState(self.state))


@dataclass(frozen=True)
class Incident:
    id: str
    title: str
    impact: Impact
    updates: tuple[Update, ...]
    components: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()  # empty: every enabled account
    line: int = 0
    follow_up: timedelta | None = timedelta(hours=2)  # None: no follow-up
    draft: bool = False  # prepared by the alert intake, waiting for `herald incident confirm`
    alert: str = ""  # the alert it came from (``alert:`` in the file), empty when a person declared it

    def __post_init__(self) -> None:
        object.__setattr__(self, "impact", Impact(self.impact))

    @property
    def state(self) -> UpdateState:
        return self.updates[-1].state

    @property
    def started(self) -> datetime:
        return self.updates[0].at

    @property
    def resolved(self) -> bool:
        return self.state == UpdateState.RESOLVED

    @property
    def source(self) -> str:
        return f"incident:{self.id}"

    @property
    def affected(self) -> tuple[str, ...]:
        """The components the incident touches: those it names, then those only its updates set
        (``components:`` on an update). What its notices, holds, page and payloads name."""
        return tuple(dict.fromkeys((*self.components, *(c for u in self.updates for c, _ in u.components))))


@dataclass(frozen=True)
class MaintenanceUpdate:
    """What ops said during a window (``updates:`` of a window): its state, and a delay's new end."""

    at: datetime  # aware
    state: MaintenanceState
    message: str
    ends: datetime | None = None  # a delay (or an earlier end): the window now ends then
    line: int = 0  # of its message
    col: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", MaintenanceState(self.state))


@dataclass(frozen=True)
class Maintenance:
    id: str
    title: str
    starts: datetime  # aware
    ends: datetime  # as planned (a delay is an update: see status.maintenance.window_end)
    message: str = ""
    components: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    remind: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))
    cancelled: bool = False
    line: int = 0
    updates: tuple[MaintenanceUpdate, ...] = ()  # oldest first

    @property
    def signature(self) -> str:
        """The window, as announced: a changed window is a new signature."""
        return f"{self.starts.timestamp():.0f}-{self.ends.timestamp():.0f}"

    @property
    def source(self) -> str:
        return f"maintenance:{self.id}@{self.signature}"


@dataclass(frozen=True)
class Feed:
    """An upstream status feed whose incidents become ours, on our components."""

    id: str
    url: str
    kind: str = ""  # statuspage | rss | atom; empty: from the response
    name: str = ""
    every: timedelta = timedelta(minutes=2)
    components: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    impact: Impact = Impact.MINOR
    create_incidents: bool = True


# ``for:`` when a policy does not say: a public incident only for an alert that has fired for
# three minutes.  Alerts flap on the scale of seconds to a minute (a check every 30-60 s, a
# threshold crossed and uncrossed); three minutes is at least three failed checks of Uptime
# Kuma's default interval and rides out such flapping, while customers still hear of a real
# outage within minutes.  ``mark`` and ``draft`` are not public incidents (a component state;
# a draft told only to on-call), so they act at once unless ``for:`` says otherwise.
DEFAULT_WAIT = {AlertAction.DECLARE: timedelta(minutes=3)}


def internal_types() -> tuple[str, ...]:
    """The account types a draft may be announced to: internal chats (on-call reads them,
    customers do not), as their records say (``NetworkType.internal``, other packages' types too).
    Every other type (the status site and its feeds, the social networks) is public."""
    from campaigns.networks import NETWORK_TYPES

    return tuple(sorted(name for name, record in NETWORK_TYPES.items() if record.internal))


@dataclass(frozen=True)
class AlertPolicy:
    """What an alert of one severity on one component does (``alerts:`` in the file)."""

    action: AlertAction
    wait: timedelta = timedelta(0)  # ``for:``: firing this long before it acts (rides out flapping)
    impact: Impact = Impact.MINOR
    announce: str = ""  # draft: the internal chat account that hears of the draft
    networks: tuple[str, ...] = ()  # declare: the accounts to tell (empty: every enabled account)
    title: str = ""  # the incident's title (default: "<component name> problems")
    message: str = ""  # the first update's words (default: a plain sentence naming the component)

    def __post_init__(self) -> None:  # the loader's plain string (one of the three) becomes the member
        object.__setattr__(self, "action", AlertAction(self.action))


@dataclass(frozen=True)
class AlertRoute:
    """Which alerts mean one of our components, and its policy per severity."""

    component: str
    labels: tuple[tuple[str, str], ...] = ()  # all must match (Alertmanager, Grafana, generic)
    monitors: tuple[str, ...] = ()  # Uptime Kuma monitor names
    upstream: tuple[str, ...] = ()  # Statuspage component names of a provider
    policies: tuple[tuple[str, AlertPolicy], ...] = ()  # severity (or "default") -> policy
    line: int = 0

    def policy(self, severity: str) -> AlertPolicy | None:
        table = dict(self.policies)
        return table.get(severity) or table.get("default")


@dataclass(frozen=True)
class Status:
    path: str
    timezone: str
    components: dict[str, Component] = field(default_factory=dict)
    incidents: tuple[Incident, ...] = ()
    status_page: str = ""
    maintenance: tuple[Maintenance, ...] = ()
    feeds: tuple[Feed, ...] = ()
    alerts: tuple[AlertRoute, ...] = ()

    def incident(self, incident_id: str) -> Incident | None:
        return self._by_id.get(incident_id)

    def public(self) -> Status:
        """The status as customers may see it: without the alert intake's drafts."""
        if not any(i.draft for i in self.incidents):
            return self
        return replace(self, incidents=tuple(i for i in self.incidents if not i.draft))

    def open_incidents(self) -> list[Incident]:
        return list(self._open)

    def open_on(self, component: str) -> list[Incident]:
        """The open incidents that touch ``component`` (:attr:`Incident.affected`), in file order."""
        return list(self._open_by_component.get(component, ()))

    # Indexes, built on first use (a Status never changes): the engine asks for one incident, or
    # the open ones, per publication it fires, and a long-lived file holds thousands of incidents.
    @cached_property
    def _by_id(self) -> dict[str, Incident]:
        by_id: dict[str, Incident] = {}
        for incident in self.incidents:
            by_id.setdefault(incident.id, incident)  # the first of a repeated id, as a scan would find
        return by_id

    @cached_property
    def _open(self) -> tuple[Incident, ...]:
        return tuple(i for i in self.incidents if not i.resolved)

    @cached_property
    def _open_by_component(self) -> dict[str, tuple[Incident, ...]]:
        by_component: dict[str, list[Incident]] = {}
        for incident in self._open:
            for component in incident.affected:
                by_component.setdefault(component, []).append(incident)
        return {c: tuple(found) for c, found in by_component.items()}
