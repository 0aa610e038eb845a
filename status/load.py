"""Loading and validating ``status.yaml``, with the calendar's rules for errors:
every problem as ``FILE:LINE:COL``, all of them, never a traceback.

Beyond the schema: time zones, impossible or ambiguous times, updates out of order
or at the same instant, updates after a resolution (a new problem is a new incident),
unknown components and networks, duplicate incident ids.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from functools import lru_cache
from typing import Any

from campaigns.errors import InvalidInput, Problem, StatusFileError
from campaigns.located import LocatedBuilder
from campaigns.model import Account, Calendar
from campaigns.result import LoadResult
from campaigns.schemacheck import SchemaChecker, did_you_mean
from campaigns.yamlsource import Loc, LocDict, LocList, load_text, read_file

from .model import (
    DEFAULT_WAIT,
    INTERNAL_TYPES,
    AlertPolicy,
    AlertRoute,
    Component,
    Feed,
    Impact,
    Incident,
    Maintenance,
    Status,
    Update,
    UpdateState,
)
from .schema import status_schema

IMPACTS = frozenset(i.value for i in Impact)
UPDATE_STATES = frozenset(s.value for s in UpdateState)
DEFAULT_FOLLOW_UP = timedelta(hours=2)
DEFAULT_REMIND = (timedelta(hours=24), timedelta(hours=1))
MIN_FEED_INTERVAL = timedelta(seconds=30)


@lru_cache(maxsize=1)
def _checker() -> SchemaChecker:
    return SchemaChecker(status_schema())


def check(path: str, calendar: Calendar | None = None, text: str | None = None) -> LoadResult[Status]:
    """Validate ``path`` (or ``text``): the status and every problem, never an exception.
    A missing or empty file is an empty status, not an error."""
    empty = Status(path=path, timezone=calendar.brand.timezone if calendar else "UTC")
    if text is None and not os.path.exists(path):
        return LoadResult(empty)
    try:
        if text is None:
            text = read_file(path, StatusFileError)
        if _blank(text):
            return LoadResult(empty)
        data = load_text(text, path, what="status file")
    except InvalidInput as exc:
        return LoadResult(None, exc.problems)
    if data is None:
        return LoadResult(empty)
    if not isinstance(data, LocDict):
        loc = getattr(data, "loc", Loc(1, 1))
        return LoadResult(None, [Problem(path, loc.line, loc.col, "the status file must be a mapping with "
                                                                  "components: and incidents:")])
    problems, bad = _checker().problems(data, path)
    builder = _Builder(path, data, problems, bad, calendar)
    status = builder.build()
    errors = [p for p in problems if p.severity == "error"]
    return LoadResult(None if errors else status, problems)


def _blank(text: str) -> bool:
    """Only comments, blank lines and document markers: an empty status file."""
    return all(not line.strip() or line.lstrip().startswith("#") or line.rstrip() in ("---", "...")
               for line in text.splitlines())


def load(path: str, calendar: Calendar | None = None) -> Status:
    """The status in ``path``; :class:`StatusFileError` with every problem if it is not valid."""
    return check(path, calendar).unwrap(StatusFileError)


def loads(text: str, calendar: Calendar | None = None, path: str = "<status>") -> Status:
    return check(path, calendar, text).unwrap(StatusFileError)


class _Builder(LocatedBuilder):
    """Builds a :class:`Status` from located data; every problem is located, nothing raises."""

    def __init__(self, path: str, data: LocDict, problems: list[Problem], bad: set[tuple[Any, ...]],
                 calendar: Calendar | None):
        super().__init__(path, problems, bad)
        self.data, self.calendar = data, calendar
        self.accounts: dict[str, Account] | None = calendar.networks if calendar else None
        self.default_follow_up: timedelta | None = DEFAULT_FOLLOW_UP

    def build(self) -> Status | None:
        if isinstance(self.data.get("timezone"), str):
            if self.zone(self.data, "timezone") is None:
                return None
            tz_name: str = self.data["timezone"]
        else:
            tz_name = self.calendar.brand.timezone if self.calendar else "UTC"
        components = self.components()
        self.default_follow_up = self.follow_up(self.data, DEFAULT_FOLLOW_UP)
        incidents = self.incidents(tz_name, components)
        maintenance = self.maintenance(tz_name, components)
        page = self.data.get("status_page")
        return Status(self.path, tz_name, components, tuple(incidents), page if isinstance(page, str) else "",
                      tuple(maintenance), tuple(self.feeds(components)), tuple(self.alerts(components)))

    def follow_up(self, spec: LocDict, default: timedelta | None, *where: object) -> timedelta | None:
        """``follow_up``: a duration, or false for none; ``default`` when absent or wrong."""
        if "follow_up" not in spec or spec["follow_up"] is False:
            return default if "follow_up" not in spec else None
        value = self.duration(spec, "follow_up", *where)
        return default if value is None else value

    def names(self, spec: LocDict, key: str, known: Mapping[str, Any] | None, what: str,
              *where: object) -> tuple[str, ...]:
        """References to components or accounts (without a calendar, accounts are taken as written)."""
        if known is None:
            raw = spec.get(key)
            return tuple(n for n in raw if isinstance(n, str)) if isinstance(raw, LocList) else ()
        return self.references(spec, key, known, what, *where)

    def check_text_accounts(self, spec: LocDict, key: str, names: tuple[str, ...]) -> tuple[str, ...]:
        """Accounts that need an image in every post cannot take announcements (words)."""
        if self.accounts is None:
            return names
        good = []
        raw = spec.get(key)
        for name in names:
            rules = self.accounts[name].rules
            if rules.image_required and isinstance(raw, LocList):
                self.error(raw.item_loc(raw.index(name)), f"{name} ({rules.title}) needs an image in every post; "
                                                          "incident and maintenance announcements are text")
                continue
            good.append(name)
        return tuple(good)

    def accounts_of(self, spec: LocDict, *where: object) -> tuple[str, ...]:
        return self.check_text_accounts(spec, "networks", self.names(spec, "networks", self.accounts, "network",
                                                                     *where))

    def feeds(self, components: dict[str, Component]) -> list[Feed]:
        raw = self.data.get("feeds")
        if not isinstance(raw, LocList):
            return []
        out: list[Feed] = []
        seen: set[str] = set()
        for index, spec in enumerate(raw):
            where = ("feeds", index)
            if not isinstance(spec, LocDict) or not isinstance(spec.get("id"), str) or not isinstance(
                    spec.get("url"), str):
                continue
            if spec["id"] in seen:
                self.error(spec.value_loc("id"), f"duplicate feed id {spec['id']!r}")
                continue
            seen.add(spec["id"])
            every = self.duration(spec, "every", *where)
            if every is not None and every < MIN_FEED_INTERVAL:
                self.error(spec.value_loc("every"), "poll a feed at most every 30 s", "providers rate-limit polling")
                continue
            impact = spec.get("impact")
            out.append(Feed(
                spec["id"], spec["url"], spec.get("type", "") if isinstance(spec.get("type"), str) else "",
                spec.get("name", "") if isinstance(spec.get("name"), str) else "", every or Feed.every,
                self.names(spec, "components", components, "component", *where),
                self.accounts_of(spec, *where) if self.accounts is not None else (),
                Impact(impact) if impact in IMPACTS and self.ok(*where, "impact") else Impact.MINOR,
                spec.get("create_incidents", True) is not False))
        return out

    def alerts(self, components: dict[str, Component]) -> list[AlertRoute]:
        """``alerts:``: which alerts mean which component, and the policy per severity."""
        raw = self.data.get("alerts")
        if not isinstance(raw, LocList):
            return []
        out: list[AlertRoute] = []
        for index, spec in enumerate(raw):
            where = ("alerts", index)
            if not isinstance(spec, LocDict) or not isinstance(spec.get("component"), str):
                continue
            component = spec["component"]
            if component not in components:
                hint = did_you_mean(component, components) or (
                    "components: " + ", ".join(components) if components else "add it under components:")
                self.error(spec.value_loc("component"), f"unknown component {component!r}", hint)
                continue
            labels = spec.get("labels")
            pairs = tuple((str(k), v) for k, v in labels.items() if isinstance(v, str)) if isinstance(
                labels, LocDict) else ()
            monitors = self.names(spec, "monitors", None, "monitor")
            upstream = self.names(spec, "upstream", None, "upstream component")
            if not (pairs or monitors or upstream):
                self.error(spec.loc, f"alerts for {component!r} name no labels:, monitors: or upstream:",
                           "e.g. labels: {service: " + component + "}")
                continue
            policies = []
            severity = spec.get("severity")
            if isinstance(severity, LocDict):
                for name, rule in severity.items():
                    policy = self.alert_policy(rule, (*where, "severity", name))
                    if policy is not None:
                        policies.append((str(name), policy))
            out.append(AlertRoute(component, pairs, monitors, upstream, tuple(policies), spec.loc.line))
        return out

    def alert_policy(self, rule: object, where: tuple[object, ...]) -> AlertPolicy | None:
        if not isinstance(rule, LocDict) or rule.get("action") not in ("mark", "draft", "declare") or not self.ok(
                *where):
            return None
        action = rule["action"]
        wait = self.duration(rule, "for", *where) if "for" in rule else DEFAULT_WAIT.get(action, timedelta(0))
        wait = wait if wait is not None else timedelta(0)
        impact = rule.get("impact")
        announce = rule.get("announce", "")
        if action == "draft" and not (isinstance(announce, str) and announce):
            self.error(rule.value_loc("action"), "a draft policy needs announce: (the internal chat account that "
                                                 "tells on-call)", "e.g. announce: team-chat")
            return None
        if isinstance(announce, str) and announce and self.accounts is not None and announce not in self.accounts:
            self.error(rule.value_loc("announce"), f"unknown network account {announce!r}",
                       did_you_mean(announce, self.accounts) or "accounts: " + ", ".join(self.accounts))
            return None
        if action == "draft" and self.accounts is not None and self.accounts[announce].type not in INTERNAL_TYPES:
            self.error(rule.value_loc("announce"), f"a draft is announced only to an internal account, and "
                                                   f"{announce!r} is public (type {self.accounts[announce].type})",
                       "name a chat account (" + ", ".join(sorted(INTERNAL_TYPES)) + ") or use action: declare")
            return None
        default = Impact.MAJOR if where[-1] == "critical" else Impact.MINOR
        return AlertPolicy(action, wait, Impact(impact) if impact in IMPACTS else default,
                           announce if isinstance(announce, str) else "",
                           self.accounts_of(rule, *where) if self.accounts is not None else self.names(
                               rule, "networks", None, "network"),
                           rule.get("title", "") if isinstance(rule.get("title"), str) else "",
                           rule.get("message", "") if isinstance(rule.get("message"), str) else "")

    def maintenance(self, tz_name: str, components: dict[str, Component]) -> list[Maintenance]:
        raw = self.data.get("maintenance")
        if not isinstance(raw, LocList):
            return []
        seen: dict[str, int] = {}
        out = []
        for index, spec in enumerate(raw):
            where = ("maintenance", index)
            if not isinstance(spec, LocDict) or not isinstance(spec.get("id"), str):
                continue
            mid = spec["id"]
            if not self.unique_id(seen, spec, "maintenance"):
                continue
            starts = self.instant(spec, "starts", tz_name, *where)
            ends = self.instant(spec, "ends", tz_name, *where)
            comps = self.names(spec, "components", components, "component", *where)
            nets = self.accounts_of(spec, *where)
            remind = self.durations(spec, "remind", *where)
            if starts is None or ends is None or not isinstance(spec.get("title"), str):
                continue
            if ends <= starts:
                self.error(spec.value_loc("ends"), f"ends ({spec['ends']}) is not after starts ({spec['starts']})")
                continue
            out.append(Maintenance(mid, spec["title"], starts, ends,
                                   spec.get("message", "") if isinstance(spec.get("message"), str) else "",
                                   comps, nets, DEFAULT_REMIND if remind is None else remind,
                                   spec.get("cancelled") is True, spec.loc.line))
        return out

    def components(self) -> dict[str, Component]:
        raw = self.data.get("components")
        out: dict[str, Component] = {}
        if isinstance(raw, LocDict):
            for cid, spec in raw.items():
                if isinstance(spec, LocDict) and isinstance(spec.get("name"), str):
                    out[cid] = Component(cid, spec["name"], spec.get("status", "operational")
                                         if isinstance(spec.get("status"), str) else "operational")
        return out

    def incidents(self, tz_name: str, components: dict[str, Component]) -> list[Incident]:
        raw = self.data.get("incidents")
        if not isinstance(raw, LocList):
            return []
        seen: dict[str, int] = {}
        out = []
        for index, spec in enumerate(raw):
            where = ("incidents", index)
            if not isinstance(spec, LocDict) or not isinstance(spec.get("id"), str):
                continue
            iid = spec["id"]
            if not self.unique_id(seen, spec, "incident", "each incident needs its own id: its announcements' keys"):
                continue
            comps = self.names(spec, "components", components, "component", *where)
            nets = self.accounts_of(spec, *where)
            updates = self.updates(spec, where, tz_name, iid)
            follow_up = self.follow_up(spec, self.default_follow_up, *where)
            impact = spec.get("impact")
            if updates and isinstance(spec.get("title"), str) and impact in IMPACTS and self.ok(*where, "impact"):
                alert = spec.get("alert", "")
                out.append(Incident(iid, spec["title"], Impact(impact), tuple(updates), comps, nets,
                                    spec.loc.line, follow_up, spec.get("draft") is True,
                                    alert if isinstance(alert, str) else ""))
        return out

    def updates(self, spec: LocDict, where: tuple[object, ...], tz_name: str, iid: str) -> list[Update]:
        raw = spec.get("updates")
        if not isinstance(raw, LocList):
            return []
        out: list[Update] = []
        for index, item in enumerate(raw):
            here = (*where, "updates", index)
            if not isinstance(item, LocDict) or not self.ok(*here):
                continue
            state = item.get("state")
            if not isinstance(item.get("at"), str) or state not in UPDATE_STATES or not self.ok(*here, "state"):
                continue
            at_text, loc = item["at"], item.value_loc("at")
            at = self.instant(item, "at", tz_name, *here)
            next_update = self.duration(item, "next_update", *here)
            if at is None:
                continue
            if out:
                previous = out[-1]
                if previous.state == UpdateState.RESOLVED:
                    self.error(item.value_loc("state"),
                               f"incident {iid!r} was resolved at {previous.at.isoformat(timespec='minutes')}; "
                               "updates cannot follow a resolution",
                               "if the problem is back, declare a new incident; if the resolution was premature, "
                               "change that update's state")
                    continue
                if at <= previous.at:
                    self.error(loc, f"update at {at_text} is not after the previous one "
                                    f"({previous.at.isoformat(timespec='seconds')})",
                               "updates are listed oldest first, each at its own time")
                    continue
            spot = item.value_loc("message") if "message" in item else item.loc
            message = item.get("message", "")
            out.append(Update(at, UpdateState(state), message if isinstance(message, str) else "", next_update,
                              spot.line, spot.col))
        return out
