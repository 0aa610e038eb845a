"""Loading and validating ``status.yaml``, with the calendar's rules for errors:
every problem as ``FILE:LINE:COL``, all of them, never a traceback.

Beyond the schema: time zones, impossible or ambiguous times, updates out of order
or at the same instant, updates after a resolution (a new problem is a new incident),
unknown components and networks, duplicate incident ids.
"""

from __future__ import annotations

import os
from datetime import datetime
from functools import lru_cache
from typing import Any

from campaigns.calendar import parse_duration
from campaigns.errors import CalendarError, Problem
from campaigns.model import Calendar
from campaigns.schemacheck import SchemaChecker, did_you_mean
from campaigns.timeparse import TimeFormatError, describe_offsets, local_time_kind, parse_when, zone
from campaigns.yamlsource import Loc, LocDict, LocList, load_file, load_text

from .model import Component, Feed, Incident, Maintenance, Status, Update
from .schema import status_schema


@lru_cache(maxsize=1)
def _checker() -> SchemaChecker:
    return SchemaChecker(status_schema())


def check(path: str, calendar: Calendar | None = None, text: str | None = None) -> tuple[Status | None, list[Problem]]:
    """Validate ``path`` (or ``text``); a missing file is an empty status, not an error."""
    if text is None and not os.path.exists(path):
        tz = calendar.brand.timezone if calendar else "UTC"
        return Status(path=path, timezone=tz), []
    try:
        data = load_file(path, what="status file") if text is None else load_text(text, path, what="status file")
    except CalendarError as exc:
        if any("the file is empty" in p.message for p in exc.problems):
            return Status(path=path, timezone=calendar.brand.timezone if calendar else "UTC"), []
        return None, exc.problems
    if not isinstance(data, LocDict):
        loc = getattr(data, "loc", Loc(1, 1))
        return None, [Problem(path, loc.line, loc.col, "the status file must be a mapping with components: "
                                                       "and incidents:")]
    problems, bad = _checker().problems(data, path)
    builder = _Builder(path, data, problems, bad, calendar)
    status = builder.build()
    errors = [p for p in problems if p.severity == "error"]
    return (None if errors else status), problems


def load(path: str, calendar: Calendar | None = None) -> Status:
    status, problems = check(path, calendar)
    if status is None:
        raise CalendarError([p for p in problems if p.severity == "error"] or problems)
    return status


def loads(text: str, calendar: Calendar | None = None, path: str = "<status>") -> Status:
    status, problems = check(path, calendar, text)
    if status is None:
        raise CalendarError(problems)
    return status


class _Builder:
    def __init__(self, path: str, data: LocDict, problems: list[Problem], bad: set[tuple],
                 calendar: Calendar | None):
        self.path, self.data, self.problems, self.bad, self.calendar = path, data, problems, bad, calendar

    def error(self, loc: Loc, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.path, loc.line, loc.col, message, hint))

    def build(self) -> Status | None:
        tz_name = self.data.get("timezone") if isinstance(self.data.get("timezone"), str) else None
        if tz_name is None:
            tz_name = self.calendar.brand.timezone if self.calendar else "UTC"
        else:
            try:
                zone(tz_name)
            except TimeFormatError as exc:
                self.error(self.data.value_loc("timezone"), str(exc), "use an IANA name such as Europe/Berlin")
                return None
        components = self.components()
        follow = self.data.get("follow_up", "2h")
        self.default_follow_up = parse_duration(follow) if isinstance(follow, str) and self.ok("follow_up") else None
        incidents = self.incidents(tz_name, components)
        maintenance = self.maintenance(tz_name, components)
        page = self.data.get("status_page") if isinstance(self.data.get("status_page"), str) else ""
        return Status(self.path, tz_name, components, tuple(incidents), page, tuple(maintenance),
                      tuple(self.feeds(components)))

    def feeds(self, components: dict[str, Component]) -> list[Feed]:
        raw = self.data.get("feeds")
        if not isinstance(raw, LocList):
            return []
        accounts = self.calendar.networks if self.calendar else None
        out: list[Feed] = []
        seen: set[str] = set()
        for spec in raw:
            if not isinstance(spec, LocDict) or not isinstance(spec.get("id"), str) or not isinstance(
                    spec.get("url"), str):
                continue
            if spec["id"] in seen:
                self.error(spec.value_loc("id"), f"duplicate feed id {spec['id']!r}")
                continue
            seen.add(spec["id"])
            every = parse_duration(spec["every"]) if isinstance(spec.get("every"), str) else None
            if every is not None and every.total_seconds() < 30:
                self.error(spec.value_loc("every"), "poll a feed at most every 30 s", "providers rate-limit polling")
                continue
            out.append(Feed(
                spec["id"], spec["url"], spec.get("type", "") if isinstance(spec.get("type"), str) else "",
                spec.get("name", "") if isinstance(spec.get("name"), str) else "", every or Feed.every,
                self.refs(spec, "components", components, "component"),
                self.refs(spec, "networks", accounts, "network") if accounts is not None else (),
                spec.get("impact", "minor") if isinstance(spec.get("impact"), str) else "minor",
                spec.get("create_incidents", True) is not False))
        return out

    def ok(self, *where: Any) -> bool:
        return tuple(where) not in self.bad

    def when(self, spec: LocDict, key: str, tz_name: str) -> datetime | None:
        """An exact instant from a time written with or without an offset (DST-ambiguous: an error)."""
        text, loc = spec.get(key), spec.value_loc(key)
        if not isinstance(text, str):
            return None
        try:
            when = parse_when(text)
        except TimeFormatError as exc:
            self.error(loc, str(exc))
            return None
        if when.is_date:
            self.error(loc, f"{key}: {text} has no time of day", f"write e.g. {text}T09:00")
            return None
        if when.offset is not None:
            return datetime.combine(when.date, when.time, when.offset)
        tz = zone(tz_name)
        naive = when.naive()
        kind = local_time_kind(naive, tz)
        if kind != "ok":
            first, _second = describe_offsets(naive, tz)
            what = "does not exist" if kind == "gap" else "happens twice"
            self.error(loc, f"{text} {what} in {tz_name} (a DST change)", f"give the offset, e.g. {first}")
            return None
        return naive.replace(tzinfo=tz)

    def maintenance(self, tz_name: str, components: dict[str, Component]) -> list[Maintenance]:
        raw = self.data.get("maintenance")
        if not isinstance(raw, LocList):
            return []
        accounts = self.calendar.networks if self.calendar else None
        seen: dict[str, int] = {}
        out = []
        for spec in raw:
            if not isinstance(spec, LocDict) or not isinstance(spec.get("id"), str):
                continue
            mid = spec["id"]
            if mid in seen:
                self.error(spec.value_loc("id"), f"duplicate maintenance id {mid!r} (first at line {seen[mid]})")
                continue
            seen[mid] = spec.value_loc("id").line
            starts, ends = self.when(spec, "starts", tz_name), self.when(spec, "ends", tz_name)
            comps = self.refs(spec, "components", components, "component")
            nets = self.refs(spec, "networks", accounts, "network") if accounts is not None else ()
            if starts is None or ends is None or not isinstance(spec.get("title"), str):
                continue
            if ends <= starts:
                self.error(spec.value_loc("ends"), f"ends ({spec['ends']}) is not after starts ({spec['starts']})")
                continue
            remind = tuple(parse_duration(d) for d in spec.get("remind", ["24h", "1h"]) if isinstance(d, str))
            out.append(Maintenance(mid, spec["title"], starts, ends,
                                   spec.get("message", "") if isinstance(spec.get("message"), str) else "",
                                   comps, nets, remind if isinstance(spec.get("remind", []), list) else (),
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

    def refs(self, spec: LocDict, key: str, known: dict[str, Any], what: str) -> tuple[str, ...]:
        names = spec.get(key)
        if not isinstance(names, LocList):
            return ()
        good = []
        for index, name in enumerate(names):
            if not isinstance(name, str):
                continue
            if what == "network" and name in known and known[name].rules.image_required:
                self.error(names.item_loc(index), f"{name} ({known[name].rules.title}) needs an image in every "
                                                  "post; incident and maintenance announcements are text")
                continue
            if name not in known:
                hint = did_you_mean(name, known) or (f"known: {', '.join(known)}" if known else f"define {what}s first")
                self.error(names.item_loc(index), f"unknown {what} {name!r}", hint)
                continue
            good.append(name)
        return tuple(good)

    def incidents(self, tz_name: str, components: dict[str, Component]) -> list[Incident]:
        raw = self.data.get("incidents")
        if not isinstance(raw, LocList):
            return []
        seen: dict[str, int] = {}
        accounts = self.calendar.networks if self.calendar else None
        out = []
        for index, spec in enumerate(raw):
            if not isinstance(spec, LocDict) or not isinstance(spec.get("id"), str):
                continue
            iid = spec["id"]
            if iid in seen:
                self.error(spec.value_loc("id"), f"duplicate incident id {iid!r} (first at line {seen[iid]})",
                           "each incident needs its own id: announcements are keyed by it")
                continue
            seen[iid] = spec.value_loc("id").line
            comps = self.refs(spec, "components", components, "component")
            nets = self.refs(spec, "networks", accounts, "network") if accounts is not None else tuple(
                n for n in spec.get("networks") or () if isinstance(n, str))
            updates = self.updates(spec, ("incidents", index), tz_name, iid)
            follow = spec.get("follow_up", None)
            follow_up = (self.default_follow_up if follow is None else
                         parse_duration(follow) if isinstance(follow, str) else None)
            if updates and isinstance(spec.get("title"), str) and isinstance(spec.get("impact"), str):
                out.append(Incident(iid, spec["title"], spec["impact"], tuple(updates), comps, nets,
                                    spec.loc.line, follow_up))
        return out

    def updates(self, spec: LocDict, where: tuple, tz_name: str, iid: str) -> list[Update]:
        raw = spec.get("updates")
        if not isinstance(raw, LocList):
            return []
        out: list[Update] = []
        for index, item in enumerate(raw):
            if not isinstance(item, LocDict) or (*where, "updates", index) in self.bad:
                continue
            if not isinstance(item.get("at"), str) or not isinstance(item.get("state"), str):
                continue
            at_text, loc = item["at"], item.value_loc("at")
            at = self.when(item, "at", tz_name)
            if at is None:
                continue
            state = item["state"]
            if out:
                previous = out[-1]
                if previous.state == "resolved":
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
            next_update = parse_duration(item["next_update"]) if isinstance(item.get("next_update"), str) else None
            spot = item.value_loc("message") if "message" in item else item.loc
            out.append(Update(at, state, item.get("message", ""), next_update, spot.line, spot.col))
        return out
