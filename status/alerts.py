"""Alert intake as a pure state machine: alert events + what is tracked + the status + now ->
what is tracked next, and the change to ``status.yaml`` (a :data:`status.edit.Change`).

The web endpoints (:mod:`scheduler.web.intake`) turn each tool's payload into
:class:`AlertEvent` values; this module decides, :func:`scheduler.statusfile.edit` writes.
Nothing here reads a clock or a file, so every rule is a table of events and ``now``:

- an event older than the last one seen for its fingerprint (an old ``firing`` after a
  ``resolved``), or the same event again, changes nothing;
- an alert acts once it has been firing for its policy's ``for:`` (``mark``: the component's
  state; ``draft``: an incident not yet public, told to the internal chat account only;
  ``declare``: a public incident); one that resolves before that did nothing at all;
- several alerts on one component make one incident; an alert on a component with an open
  incident joins it, and adds an update only when its impact is higher;
- when the last alert of an incident it opened resolves, the incident is resolved (a draft's
  resolution, like the draft, goes only to the internal account); a person's incident that
  alerts joined is left to the person.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ruamel.yaml.comments import CommentedMap

from campaigns.errors import StatusChanged
from campaigns.model import Calendar

from . import edit
from .model import (
    AlertAction,
    AlertPolicy,
    AlertRoute,
    AlertSource,
    AlertStatus,
    ComponentState,
    Impact,
    Incident,
    Status,
    UpdateState,
)

MAX_IDENTITY = 200  # characters of an alert's identity: the ledger's key column holds this many
# what no key may hold: the ledger stores control characters, non-characters and lone
# surrogates as U+FFFD, and a key must be found under the very text it was stored with
_NOT_A_KEY = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff\ud800-\udfff]")


def identity(source: str, *parts: str) -> str:
    """An alert's fingerprint: ``source`` and the tool's own ids joined by ``:``, or, when that
    text is longer than :data:`MAX_IDENTITY` or holds a character no key may hold, ``source``
    and its SHA-256 (the same alert always gets the same fingerprint, whatever its ids hold)."""
    text = ":".join((source, *parts))
    if len(text) <= MAX_IDENTITY and not _NOT_A_KEY.search(text):
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{source}:sha256:{digest}"
IMPACT_ORDER = {Impact.NONE: 0, Impact.MINOR: 1, Impact.MAJOR: 2, Impact.CRITICAL: 3}
MARK_STATE = {Impact.NONE: ComponentState.DEGRADED_PERFORMANCE, Impact.MINOR: ComponentState.DEGRADED_PERFORMANCE,
              Impact.MAJOR: ComponentState.PARTIAL_OUTAGE, Impact.CRITICAL: ComponentState.MAJOR_OUTAGE}
KEEP_RESOLVED = timedelta(hours=6)  # how long a resolved fingerprint is remembered (replays of it change nothing)
KEEP_FIRING = timedelta(days=7)  # a firing alert not heard of for this long is forgotten (its tool went away)
MAX_FIRING = 10_000  # and at most this many firing alerts are remembered (those heard of longest ago go first)
HEARD_EVERY = timedelta(hours=1)  # a repeated firing refreshes when it was last heard of at most this often
MAX_AHEAD = timedelta(hours=1)  # an event timed further ahead of now is ignored (a sender's clock gone wrong)
MAX_NAMED = 10  # alerts named in the comment above an incident the intake declares
MAX_RESOLVED = 10_000  # and at most this many (the oldest go first): memory stays flat under any alert rate


@dataclass(frozen=True)
class AlertEvent:
    """One alert's news from one payload."""

    source: AlertSource
    fingerprint: str  # the tool's identity of the alert (prefixed with the source by the caller)
    status: AlertStatus
    at: datetime  # aware: when it started firing, or when it resolved
    name: str  # alertname, monitor name, upstream incident name
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "") or "default"

    @property
    def describe(self) -> str:
        """The alert as the incident's ``alert:`` names it."""
        return f"{self.source}: {self.name} ({self.fingerprint})"


@dataclass(frozen=True)
class Tracked:
    """What the intake remembers of one fingerprint (kept in the ledger, see scheduler/ledger/alerts.py)."""

    fingerprint: str
    component: str
    severity: str
    alert: str  # AlertEvent.describe
    firing: bool
    since: datetime  # firing since (``for:`` counts from here)
    last_at: datetime  # the newest event accepted
    incident: str = ""  # the incident it opened or joined
    opened: bool = False  # it (with its siblings) opened that incident, so it resolves it
    acted: bool = False  # its policy was applied
    heard: datetime | None = None  # when its tool last sent it, repeats included (None: last_at)
    failed: str = ""  # its change could not be written (why): it is not tried again

    @property
    def last_heard(self) -> datetime:
        return self.heard if self.heard is not None and self.heard > self.last_at else self.last_at

    def to_dict(self) -> dict[str, Any]:
        out = {"fingerprint": self.fingerprint, "component": self.component, "severity": self.severity,
               "alert": self.alert, "firing": self.firing, "since": self.since.isoformat(),
               "last_at": self.last_at.isoformat(), "incident": self.incident, "opened": self.opened,
               "acted": self.acted}
        if self.heard is not None:
            out["heard"] = self.heard.isoformat()
        if self.failed:
            out["failed"] = self.failed
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tracked:
        heard = data.get("heard")
        return cls(data["fingerprint"], data["component"], data["severity"], data["alert"], bool(data["firing"]),
                   datetime.fromisoformat(data["since"]), datetime.fromisoformat(data["last_at"]),
                   data.get("incident", ""), bool(data.get("opened")), bool(data.get("acted")),
                   datetime.fromisoformat(heard) if isinstance(heard, str) else None, str(data.get("failed") or ""))


@dataclass
class Decision:
    """What :func:`decide` made of the events: the tracked alerts to store, the file's change
    (None: the file stays as it is), and sentences for the log."""

    tracked: dict[str, Tracked]
    actions: list[tuple[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unrouted: list[AlertEvent] = field(default_factory=list)
    ignored: list[AlertEvent] = field(default_factory=list)  # replayed, out of order or duplicate events
    touched: set[str] = field(default_factory=set)  # fingerprints whose tracking changed (to store)
    waiting: bool = False  # an alert waits out its for: (the timer keeps ticking)
    failed: dict[str, str] = field(default_factory=dict)  # fingerprint -> why its change was not written

    def put(self, item: Tracked) -> None:
        self.tracked[item.fingerprint] = item
        self.touched.add(item.fingerprint)


def route_for(status: Status, event: AlertEvent) -> AlertRoute | None:
    """The first ``alerts:`` route the event matches: all its labels, a monitor name or an upstream component."""
    for route in status.alerts:
        if route.labels and all(event.labels.get(k) == v for k, v in route.labels):
            return route
        if route.monitors and event.labels.get("monitor") in route.monitors:
            return route
        if route.upstream and event.labels.get("upstream") in route.upstream:
            return route
    return None


def suggestion(status: Status, event: AlertEvent) -> str:
    """The ``alerts:`` entry to add for an alert no route knows, as one line of YAML."""
    pick = {k: v for k, v in event.labels.items() if k not in ("severity",)}
    if "monitor" in pick:
        match = f"monitors: [{pick['monitor']}]"
    elif "upstream" in pick:
        match = f"upstream: [{pick['upstream']}]"
    else:
        key = next((k for k in ("service", "job", "alertname") if k in pick), next(iter(pick), "alertname"))
        match = f"labels: {{{key}: {pick.get(key, event.name)}}}"
    component = next(iter(status.components), "COMPONENT")
    return f"- {{component: {component}, {match}, severity: {{default: {{action: mark}}}}}}"


def _accept(previous: Tracked | None, event: AlertEvent) -> bool:
    """Whether the event is news for its fingerprint (not a replay, a duplicate or out of order).

    Order is the source's own: each event's time (startsAt, endsAt, a heartbeat's or an update's
    time), never when it arrived.  A ``resolved`` for a fingerprint not tracked is news too: it
    is remembered (a tombstone), so that a ``firing`` that started before it and arrives after
    it (a late or retried delivery) is recognised as old and changes nothing."""
    if previous is None:
        return True
    if event.at < previous.last_at:
        return False
    if event.status == AlertStatus.FIRING:
        return not previous.firing and event.at > previous.last_at
    return previous.firing


def decide(status: Status, tracked: Mapping[str, Tracked], events: Iterable[AlertEvent], now: datetime,
           calendar: Calendar) -> Decision:
    """Apply ``events`` (possibly none: the ``for:`` timer) to ``tracked`` at ``now``; see the module."""
    out = Decision(dict(tracked))
    for event in events:
        previous = out.tracked.get(event.fingerprint)
        if event.at > now + MAX_AHEAD:  # it would make every later event of its fingerprint look old
            out.ignored.append(event)
            out.notes.append(f"{event.describe}: its time {event.at.isoformat()} is more than {MAX_AHEAD} ahead of "
                             "this server's clock; ignored (check the sending tool's clock)")
            continue
        if not _accept(previous, event):
            out.ignored.append(event)
            if previous is not None and previous.firing and event.status == AlertStatus.FIRING \
                    and now - previous.last_heard >= HEARD_EVERY:
                out.put(replace(previous, heard=now))  # still firing: not forgotten (see forgotten())
            continue
        if event.status == AlertStatus.FIRING:
            route = route_for(status, event)
            if route is None:
                out.unrouted.append(event)
                continue
            out.put(Tracked(event.fingerprint, route.component, event.severity, event.describe, True,
                            min(event.at, now), event.at))
        elif previous is None:  # a tombstone: an older firing arriving later is not news
            out.put(Tracked(event.fingerprint, "", event.severity, event.describe, False, event.at, event.at))
        else:
            out.put(replace(previous, firing=False, last_at=event.at))
            if previous.acted:
                _resolve(status, out, previous, now, calendar)
    _act(status, out, now, calendar)
    return out


def holds(item: Tracked, status: Status) -> bool:
    """Whether forgetting ``item`` could leave something of it in the file for ever: it fires
    and acted (its change was written), and the incident it opened or joined is not resolved
    (or not in ``status`` yet: declared by the decision being made), or it marked a component.
    Statuspage and Uptime Kuma never repeat an alert, so its resolve may come weeks later;
    forgotten, that resolve would be a tombstone and the incident would stay open."""
    if not item.firing or not item.acted or item.failed:
        return False
    if item.incident:
        incident = status.incident(item.incident)
        return incident is None or not incident.resolved
    return item.component in status.components


def forgotten(tracked: Mapping[str, Tracked], now: datetime, status: Status | None = None) -> list[str]:
    """The fingerprints to forget, so that memory is bounded under any alert rate: resolved ones
    older than :data:`KEEP_RESOLVED` and the oldest beyond :data:`MAX_RESOLVED`; firing ones not
    heard of for :data:`KEEP_FIRING` (a repeat of the alert counts) and those heard of longest
    ago beyond :data:`MAX_FIRING`.

    With ``status``, a firing alert that :func:`holds` is never forgotten for being silent, and
    beyond :data:`MAX_FIRING` the others go first; one that holds goes only when there are more
    than :data:`MAX_FIRING` such alerts (the caller logs it loudly: :func:`holds` tells)."""
    resolved = sorted((t for t in tracked.values() if not t.firing), key=lambda t: t.last_at)
    excess = max(0, len(resolved) - MAX_RESOLVED)
    gone = [t.fingerprint for n, t in enumerate(resolved) if n < excess or now - t.last_at > KEEP_RESOLVED]
    return gone + _forgotten_firing([t for t in tracked.values() if t.firing], now, status)


def _forgotten_firing(firing: list[Tracked], now: datetime, status: Status | None) -> list[str]:
    kept = {t.fingerprint for t in firing if status is not None and holds(t, status)}
    silent = [t.fingerprint for t in firing if t.fingerprint not in kept and now - t.last_heard > KEEP_FIRING]
    left = sorted((t for t in firing if t.fingerprint not in silent),
                  key=lambda t: (t.fingerprint in kept, t.last_heard))  # those that hold go last
    excess = max(0, len(left) - MAX_FIRING)
    return silent + [t.fingerprint for t in left[:excess]]


def _policy(status: Status, item: Tracked) -> AlertPolicy | None:
    route = next((r for r in status.alerts if r.component == item.component), None)
    return route.policy(item.severity) if route is not None else None


def _open_on(status: Status, component: str) -> Incident | None:
    return next(iter(status.open_on(component)), None)


def _act(status: Status, out: Decision, now: datetime, calendar: Calendar) -> None:
    """The alerts whose ``for:`` has passed act, one incident per component."""
    for component, items in _due(status, out, now).items():
        items.sort(key=lambda pair: -IMPACT_ORDER[pair[1].impact])
        incident_id, opened = _act_on(status, out, component, items, calendar)
        for item, _ in items:
            out.put(replace(item, acted=True, incident=incident_id, opened=opened))


def _due(status: Status, out: Decision, now: datetime) -> dict[str, list[tuple[Tracked, AlertPolicy]]]:
    """The firing alerts whose ``for:`` has passed, by component, each with its policy; one with
    no policy is noted and done with, and one still waiting says the timer must run again."""
    due: dict[str, list[tuple[Tracked, AlertPolicy]]] = {}
    for item in out.tracked.values():
        if not item.firing or item.acted:
            continue
        policy = _policy(status, item)
        if policy is None:
            out.notes.append(f"{item.alert}: no policy for severity {item.severity!r} on {item.component!r}; "
                             "add it (or default:) under the component's alerts: severity")
            out.put(replace(item, acted=True))
        elif now - item.since >= policy.wait:
            due.setdefault(item.component, []).append((item, policy))
        else:
            out.waiting = True
    return due


def _act_on(status: Status, out: Decision, component: str, items: list[tuple[Tracked, AlertPolicy]],
            calendar: Calendar) -> tuple[str, bool]:
    """One component's due alerts, most severe first: mark it, join its open incident (raising
    its impact if need be) or declare one. The incident's id ("" for a mark) and whether these
    alerts opened it (then their resolve resolves it)."""
    first, policy = items[0]
    joined = _open_on(status, component) or _opened_now(out, component)
    if policy.action == AlertAction.MARK and joined is None:
        _mark(status, out, component, MARK_STATE[policy.impact])
        return "", False
    if joined is None:
        local = first.since.astimezone(calendar.brand.tz)
        incident_id = _new_id(status, out, f"{component}-alert-{local:%Y%m%d-%H%M%S}")
        out.actions.append(("declare", (incident_id, component, policy, first.alert, [t.alert for t, _ in items])))
        return incident_id, True
    incident_id = joined.id if isinstance(joined, Incident) else joined
    opened = any(t.incident == incident_id and t.opened for t in out.tracked.values()) \
        or _declared_for(joined, out, [t for t, _ in items])
    if isinstance(joined, Incident) and IMPACT_ORDER[policy.impact] > IMPACT_ORDER[joined.impact] \
            and policy.action != AlertAction.MARK:
        out.actions.append(("raise", (joined.id, policy.impact, words(status, component, policy, "raise"),
                                      component)))
    return incident_id, opened


def _declared_for(joined: Incident | str, out: Decision, items: list[Tracked]) -> bool:
    """Whether ``joined`` is the incident a decision declared for these alerts whose ledger
    transaction then failed (the file was written, the rows were not): no alert is tracked
    with it and it names one of them; they own it, so their resolve resolves it."""
    if not isinstance(joined, Incident) or not joined.alert:
        return False
    if any(t.incident == joined.id for t in out.tracked.values()):
        return False
    return joined.alert in {edit.visible(t.alert) for t in items}


def _new_id(status: Status, out: Decision, base: str) -> str:
    """``base``, or ``base-2``, ``base-3``… when an incident (or one declared in this decision) has it."""
    taken = {i.id for i in status.incidents} | {a[1][0] for a in out.actions if a[0] == "declare"}
    n, candidate = 1, base
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _mark(status: Status, out: Decision, component: str, state: ComponentState) -> None:
    """Set the component's state, unless it is in that state already (a thousand alerts on a
    marked component must not rewrite the file a thousand times)."""
    current = status.components.get(component)
    pending = [a for a in out.actions if a[0] == "mark" and a[1][0] == component]
    if pending:
        out.actions.remove(pending[-1])
    if current is None or current.status != state:
        out.actions.append(("mark", (component, state)))


def _opened_now(out: Decision, component: str) -> str | None:
    return next((a[1][0] for a in out.actions if a[0] == "declare" and a[1][1] == component), None)


def _resolve(status: Status, out: Decision, item: Tracked, now: datetime, calendar: Calendar) -> None:
    """The alert resolved: the incident it opened is resolved with its last sibling; a mark is undone."""
    if item.failed:
        return  # its change was never written: there is nothing of it to undo
    siblings = [t for t in out.tracked.values() if t.firing and t.acted and t.component == item.component]
    if item.incident:
        if not item.opened or any(t.incident == item.incident for t in siblings):
            return
        incident = status.incident(item.incident)
        if incident is not None and not incident.resolved:
            policy = _policy(status, item)
            out.actions.append(("resolve", (item.incident, words(status, item.component, policy, "resolve"),
                                            item.component)))
    elif not siblings:
        _mark(status, out, item.component, ComponentState.OPERATIONAL)


def words(status: Status, component: str, policy: AlertPolicy | None, what: str) -> str:
    """The intake's own words for an incident on ``component``: its first update (``declare``: the
    policy's ``message:``, else a plain sentence), the update that raises its impact (``raise``) and
    its resolution (``resolve``); the status templates frame them (``herald validate`` checks them)."""
    name = status.components[component].name if component in status.components else component
    if what == "declare":
        return (policy.message if policy is not None and policy.message else
                f"Some customers may have trouble with {name}. We're looking into it now.")
    if what == "raise":
        return f"More customers are affected by the problem with {name} than we first saw. We're on it."
    # the state's template adds the apology; a stock phrase here would get the post refused
    return f"The problem with {name} is fixed, and everything is working normally again."


def action_component(action: tuple[str, Any], tracked: Mapping[str, Tracked]) -> str:
    """The component an action is about."""
    kind, args = action
    if kind == "mark":
        return str(args[0])
    if kind == "declare":
        return str(args[1])
    return next((t.component for t in tracked.values() if t.incident == args[0]), "")


def change(decision: Decision, status: Status, calendar: Calendar, now: datetime,
           actions: list[tuple[str, Any]] | None = None) -> edit.Change | None:
    """The file change for the decision's actions (or only ``actions`` of them; None: nothing to write).

    :raises StatusChanged: (when applied) the file no longer has a component an action names."""
    todo = decision.actions if actions is None else actions
    if not todo:
        return None
    needed = {action_component(a, decision.tracked) for a in todo} - {""}

    def apply(data: CommentedMap, fresh: Status) -> None:
        missing = sorted(needed - set(fresh.components))
        if missing:
            raise StatusChanged(f"the status file has no component {missing[0]!r} now (it was saved meanwhile); "
                                "deciding again")
        for kind, args in todo:
            if kind == "mark":
                component, state = args
                entry = (data.get("components") or {}).get(component)
                if isinstance(entry, dict) and entry.get("status", ComponentState.OPERATIONAL) != state:
                    entry["status"] = str(state)  # YAML writes plain strings
            elif kind == "declare":
                _declare(data, fresh, calendar, now, *args)
            elif kind in ("raise", "resolve"):
                incident_id = args[0]
                current = fresh.incident(incident_id)
                if current is None or current.resolved:
                    continue  # removed or resolved by hand meanwhile: a person's word wins
                target = edit.find_incident(data, incident_id)
                at = edit.next_stamp(now, fresh, current)
                if kind == "raise":  # the component as bad as the new impact says, on the update that says so
                    target["impact"] = str(args[1])
                    edit.add_update(target, at, current.state, args[2], None, {args[3]: MARK_STATE[args[1]]})
                else:  # and operational again on the update that resolves it
                    edit.add_update(target, at, UpdateState.RESOLVED, args[1], None,
                                    {args[2]: ComponentState.OPERATIONAL})
    return apply


def title(status: Status, component: str, policy: AlertPolicy) -> str:
    """The title of the incident the intake declares for an alert on ``component``: the policy's
    ``title:``, else "<the component's name> problems"."""
    name = status.components[component].name if component in status.components else component
    return policy.title or f"{name} problems"


def _declare(data: CommentedMap, fresh: Status, calendar: Calendar, now: datetime, incident_id: str,
             component: str, policy: AlertPolicy, alert: str, alerts: list[str]) -> None:
    if fresh.incident(incident_id) is not None:
        return  # written already (a retried request after a crash): one incident, not two
    draft = policy.action == AlertAction.DRAFT
    edit.declare(data, incident_id=incident_id, title=title(fresh, component, policy), impact=str(policy.impact),
                 components=[component], networks=[policy.announce] if draft else list(policy.networks),
                 at=edit.stamp(now, fresh), message=words(fresh, component, policy, "declare"), next_update=None,
                 states={component: MARK_STATE[policy.impact]})  # the component's state, by the alert's severity
    incident = data["incidents"][-1]
    # The alert's name comes from outside (a monitor's name, a provider's incident title): it is
    # written only through edit.outside, which folds every line break and control character.
    incident.insert(2, "alert", edit.outside(alert))  # next to the title, where ops look first
    if draft:
        incident.insert(2, "draft", True)
    incidents = data["incidents"]
    names = "; ".join(edit.visible(a) for a in alerts[:MAX_NAMED])
    more = f" and {len(alerts) - MAX_NAMED} more" if len(alerts) > MAX_NAMED else ""
    note = f"from alert {names}{more}" + (" (a draft: `herald incident confirm " + incident_id + "`)" if draft else "")
    incidents.yaml_set_comment_before_after_key(len(incidents) - 1, before=edit.outside(note, comment=True,
                                                                                         limit=4000),
                                                indent=_indent(incidents))


def _indent(seq: Any) -> int:
    """The column of the sequence's dashes (a comment before an item lines up with it)."""
    try:
        return int(seq.lc.col)
    except (AttributeError, TypeError):  # pragma: no cover - a sequence built here, not read
        return 2


def confirm(data: CommentedMap, fresh: Status, incident_id: str, now: datetime, calendar: Calendar,
            networks: list[str]) -> None:
    """``herald incident confirm ID``: a draft becomes public (on ``networks``, default every enabled
    account); its first update is re-stamped now when it is the only one, so it goes out now."""
    from campaigns.errors import UsageError

    target = edit.find_incident(data, incident_id)
    incident = fresh.incident(incident_id)
    if incident is None or not incident.draft:
        raise UsageError(f"incident {incident_id!r} is not a draft; it is public already")
    if incident.resolved:
        raise UsageError(f"draft {incident_id!r} was resolved before anyone confirmed it; nothing to announce")
    del target["draft"]
    if networks:
        target["networks"] = networks
    elif "networks" in target:
        del target["networks"]
    if len(incident.updates) == 1:
        edit.set_time(target["updates"][0], "at", edit.stamp(now, fresh))
