"""Loading and validating ``status.yaml``, with the calendar's rules for errors:
every problem as ``FILE:LINE:COL``, all of them, never a traceback.

Beyond the schema: time zones, impossible or ambiguous times, updates out of order
or at the same instant, updates after a resolution (a new problem is a new incident),
unknown components and networks, duplicate incident ids.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from campaigns.errors import InvalidInput, Problem, Severity, StatusFileError
from campaigns.gcpause import paused_gc
from campaigns.located import LocatedBuilder
from campaigns.model import Account, Calendar
from campaigns.result import LoadResult
from campaigns.schemacheck import SchemaChecker, did_you_mean
from campaigns.yamlparts import Parts, keep_newest, located
from campaigns.yamlsource import Loc, LocDict, LocList, decode, read_file

from .maintenance import WORKING
from .model import (
    DEFAULT_WAIT,
    NEXT_UPDATE,
    AlertAction,
    AlertPolicy,
    AlertRoute,
    Component,
    ComponentState,
    Feed,
    Impact,
    Incident,
    Maintenance,
    MaintenanceState,
    MaintenanceUpdate,
    Status,
    Update,
    UpdateState,
    internal_types,
)
from .schema import status_schema

IMPACTS = frozenset(i.value for i in Impact)
UPDATE_STATES = frozenset(s.value for s in UpdateState)
MAINTENANCE_STATES = frozenset(s.value for s in MaintenanceState)
DEFAULT_FOLLOW_UP = timedelta(hours=2)
DEFAULT_REMIND = (timedelta(hours=24), timedelta(hours=1))
MIN_FEED_INTERVAL = timedelta(seconds=30)


@lru_cache(maxsize=1)
def _checker() -> SchemaChecker:
    return SchemaChecker(status_schema())


def check(path: str, calendar: Calendar | None = None, text: str | None = None) -> LoadResult[Status]:
    """Validate ``path`` (or ``text``): the status and every problem, never an exception.
    A missing or empty file is an empty status, not an error.

    Successive versions of one path are checked incrementally (see :class:`_Memo`): the items of
    ``incidents:`` and ``maintenance:`` a save left as they were are neither parsed nor built
    again, so a small edit to a file of thousands of incidents costs about what the edit does."""
    with paused_gc():  # tens of thousands of objects without a cycle: a collection would walk them all
        return _check(path, calendar, text)


def _check(path: str, calendar: Calendar | None, text: str | None) -> LoadResult[Status]:
    empty = Status(path=path, timezone=calendar.brand.timezone if calendar else "UTC")
    if text is None and not os.path.exists(path):
        return LoadResult(empty)
    before = _MEMOS.get(path)
    memo = _Memo(accounts=calendar.networks if calendar else None)
    try:
        if text is None:
            text = read_file(path, StatusFileError)
        if _blank(text):
            return LoadResult(empty)
        data = _located(text, path, before, memo)
    except InvalidInput as exc:
        return LoadResult(None, exc.problems)
    if data is None:
        return LoadResult(empty)
    if not isinstance(data, LocDict):
        loc = getattr(data, "loc", Loc(1, 1))
        return LoadResult(None, [Problem(path, loc.line, loc.col, "the status file must be a mapping with "
                                                                  "components: and incidents:")])
    problems, bad = _schema(data, path, before, memo)
    builder = _Builder(path, data, problems, bad, calendar, before, memo)
    status = builder.build()
    _remember(path, memo)
    errors = [p for p in problems if p.severity == Severity.ERROR]
    return LoadResult(None if errors else status, problems)


def parses(path: str, data: bytes) -> bool:
    """Whether ``data`` (a version of the status file at ``path``) is sound YAML as the loader
    reads it: what a settled read waits for.  The parse is kept for the check that follows."""
    try:
        text = decode(data, path)
        if _blank(text):
            return True
        memo = _Memo()
        with paused_gc():
            _located(text, path, _MEMOS.get(path), memo)
    except InvalidInput:
        return False
    _remember(path, memo, built=False)
    return True


def _blank(text: str) -> bool:
    """Only comments, blank lines and document markers: an empty status file."""
    head = text[:4096].splitlines()  # a file with content shows it in its first lines
    if any(not _blank_line(line) for line in head[:-1]):
        return False
    return all(_blank_line(line) for line in text.splitlines())


def _blank_line(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("#") or line.rstrip() in ("---", "...")


def load(path: str, calendar: Calendar | None = None) -> Status:
    """The status in ``path``; :class:`StatusFileError` with every problem if it is not valid."""
    return check(path, calendar).unwrap(StatusFileError)


def loads(text: str, calendar: Calendar | None = None, path: str = "<status>") -> Status:
    return check(path, calendar, text).unwrap(StatusFileError)


# -- incremental checks ------------------------------------------------------------------------------

SPLIT = ("incidents", "maintenance")  # the long lists, checked item by item
MEMO_PATHS = 4  # files whose last version is remembered (the engine reads one; tests, a few)
_MEMOS: dict[str, _Memo] = {}  # by path, oldest first


# what was built from a list item: (its data, its place, the schema's findings in it, the value, its problems)
_Built = tuple[LocDict, tuple[object, ...], Any, Any, list[Problem]]


@dataclass
class _Memo(Parts):
    """What checking one version of a file made that the next version may reuse: its parse in
    parts (:class:`campaigns.yamlparts.Parts`: each list item's located data, by its exact text),
    and what was built from each item, by that data's identity and everything else the build reads
    (an item that only moved: what was built from it, moved).  Each check keeps only what its
    version used, so a memo never holds more than one version of the file."""

    accounts: object = None  # the calendar's accounts the items were built against (kept alive: its id is a key)
    built: dict[tuple[str, int], _Built] = field(default_factory=dict)
    contexts: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    valid: dict[int, Any] = field(default_factory=dict)  # the list items the schema found valid, by id


def _remember(path: str, memo: _Memo, built: bool = True) -> None:
    """Keep ``memo`` as what ``path``'s next check may reuse (a parse alone keeps the items built
    before: they are found by the identity of their data, which the parse reused)."""
    earlier = _MEMOS.get(path)
    if not built and earlier is not None:
        memo.built, memo.accounts, memo.contexts = earlier.built, earlier.accounts, earlier.contexts
        memo.valid = earlier.valid
    keep_newest(_MEMOS, path, memo, MEMO_PATHS)  # threads may check at once (the engine, the web intake)


def _located(text: str, path: str, before: _Memo | None, memo: _Memo) -> Any:
    """The file's located data, its list items reused from ``before`` (see :mod:`campaigns.yamlparts`)."""
    return located(text, path, SPLIT, "status file", before, memo)


def _built_moved(value: Any, lines: int) -> Any:
    """What was built from an item, for the same item ``lines`` further down."""
    if isinstance(value, Incident):
        return replace(value, line=value.line + lines,
                       updates=tuple(replace(u, line=u.line + lines) for u in value.updates))
    if isinstance(value, Maintenance):
        return replace(value, line=value.line + lines)
    return value


def _schema(data: LocDict, path: str, before: _Memo | None, memo: _Memo) -> tuple[list[Problem], set[Any]]:
    """The schema's problems and the paths they are at.  Nothing in the schema relates one item
    of a list to another, so a file whose items were all found valid before (or moved since)
    is valid when the rest is: only the rest and the new items are validated."""
    lists = {key: data[key] for key in SPLIT if isinstance(data.get(key), LocList)}
    if before is not None and before.valid:
        reduced = LocDict(data.loc)
        reduced.update(data)
        for key, items in lists.items():
            reduced[key] = [item for item in items if not _validated(item, before, memo)]
        if not _checker().problems(reduced, path)[0]:
            memo.valid = {id(item): item for items in lists.values() for item in items}
            return [], set()
    problems, bad = _checker().problems(data, path)
    if not problems:
        memo.valid = {id(item): item for items in lists.values() for item in items}
    return problems, bad


def _validated(item: Any, before: _Memo, memo: _Memo) -> bool:
    moved = memo.moved.get(id(item))
    return id(item) in before.valid or (moved is not None and id(moved[0]) in before.valid)


def _repeats(items: LocList) -> bool:
    """Whether an id is written twice in the list (only then is each item's id looked up)."""
    ids = [spec["id"] for spec in items if isinstance(spec, LocDict) and isinstance(spec.get("id"), str)]
    return len(set(ids)) != len(ids)


def _same(known: _Built, spec: LocDict, where: tuple[object, ...], bad: Any) -> bool:
    """Whether what the last check built was built from this very data, at the same place, with
    the same schema findings: then it is the same, problems included."""
    return known[0] is spec and known[1] == where and known[2] == bad


def _moved_record(built: dict[tuple[str, int], Any], section: str, moved: tuple[LocDict, int], spec: LocDict,
                  where: tuple[object, ...], bad: Any) -> _Built | None:
    """For an item that only moved (``moved``: the data it moved from, and by how many lines):
    what the last check built from that data, moved as far, if it had no problem there and the
    build read the same (else None: built again)."""
    known = built.get((section, id(moved[0])))
    if known is not None and _same(known, moved[0], where, bad) and not known[4]:
        return spec, where, bad, _built_moved(known[3], moved[1]), list[Problem]()
    return None


def _labels(spec: LocDict) -> tuple[tuple[str, str], ...]:
    """An alert route's ``labels:``, the ones with a text value (the schema reports the rest)."""
    labels = spec.get("labels")
    return tuple((str(k), v) for k, v in labels.items() if isinstance(v, str)) if isinstance(labels, LocDict) else ()


def _text(spec: LocDict, key: str) -> str:
    """``spec[key]`` when it is text, else empty (the schema reports the rest)."""
    value = spec.get(key, "")
    return value if isinstance(value, str) else ""


class _Builder(LocatedBuilder):
    """Builds a :class:`Status` from located data; every problem is located, nothing raises."""

    def __init__(self, path: str, data: LocDict, problems: list[Problem], bad: set[tuple[Any, ...]],
                 calendar: Calendar | None, before: _Memo | None = None, memo: _Memo | None = None):
        super().__init__(path, problems, bad)
        self.data, self.calendar = data, calendar
        self.accounts: dict[str, Account] | None = calendar.networks if calendar else None
        self.default_follow_up: timedelta | None = DEFAULT_FOLLOW_UP
        self.before, self.memo = before, memo if memo is not None else _Memo(accounts=self.accounts)
        self.bad_items: dict[tuple[Any, ...], frozenset[tuple[Any, ...]]] = {}
        for where in bad:  # the schema's findings per list item: part of what an item's build reads
            self.bad_items[where[:2]] = self.bad_items.get(where[:2], frozenset()) | {where}

    def context(self, section: str, *context: Any) -> dict[tuple[str, int], Any]:
        """Record what every item of ``section`` is built with (besides the item); what the last
        check built, if it built them with the same (else nothing: every item is built again)."""
        context = (id(self.accounts), *context)
        self.memo.contexts[section] = context
        before = self.before
        same = before is not None and before.accounts is self.accounts and before.contexts.get(section) == context
        return before.built if same and before is not None else {}

    def remembered(self, make: Callable[..., Any], spec: LocDict, where: tuple[object, ...],
                   built: dict[tuple[str, int], Any], *context: Any) -> Any:
        """``make(spec, where, *context)``, or what it gave the last check (``built``) for the same
        data (the same object: see :class:`_Memo`), with the problems it reported then."""
        key = (str(where[0]), id(spec))
        known = built.get(key)
        if known is not None and known[0] is spec and known[1] == where and not known[2] and not self.bad_items:
            self.memo.built[key] = known  # the common case, first and short: thousands of items per save
            self.problems.extend(known[4])
            return known[3]
        bad = self.bad_items.get(where[:2]) if self.bad_items else None
        moved = self.memo.moved.get(id(spec)) if known is None and built else None
        if moved is not None:  # the same item on other lines: built as before, moved (when it had no problem)
            record = _moved_record(built, key[0], moved, spec, where, bad)
            if record is not None:
                self.memo.built[key] = record
                return record[3]
        if known is not None and _same(known, spec, where, bad):
            value, problems = known[3], known[4]
            self.problems.extend(problems)
        else:
            first = len(self.problems)
            value = make(spec, where, *context)
            problems = self.problems[first:]
        self.memo.built[key] = (spec, where, bad, value, problems)
        return value

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
            if not self.known_component(spec, components):
                continue
            pairs = _labels(spec)
            monitors = self.names(spec, "monitors", None, "monitor")
            upstream = self.names(spec, "upstream", None, "upstream component")
            if not (pairs or monitors or upstream):
                self.error(spec.loc, f"alerts for {component!r} name no labels:, monitors: or upstream:",
                           "e.g. labels: {service: " + component + "}")
                continue
            out.append(AlertRoute(component, pairs, monitors, upstream, self.policies(spec, where), spec.loc.line))
        return out

    def known_component(self, spec: LocDict, components: dict[str, Component]) -> bool:
        """Whether an alert route's component is one of the file's (else reported, with the
        nearest name or the ones there are)."""
        component = spec["component"]
        if component in components:
            return True
        hint = did_you_mean(component, components) or (
            "components: " + ", ".join(components) if components else "add it under components:")
        self.error(spec.value_loc("component"), f"unknown component {component!r}", hint)
        return False

    def policies(self, spec: LocDict, where: tuple[object, ...]) -> tuple[tuple[str, AlertPolicy], ...]:
        """An alert route's policy per severity, in the file's order (the wrong ones left out)."""
        severity = spec.get("severity")
        if not isinstance(severity, LocDict):
            return ()
        policies = []
        for name, rule in severity.items():
            policy = self.alert_policy(rule, (*where, "severity", name))
            if policy is not None:
                policies.append((str(name), policy))
        return tuple(policies)

    def alert_policy(self, rule: object, where: tuple[object, ...]) -> AlertPolicy | None:
        if not isinstance(rule, LocDict) or rule.get("action") not in tuple(AlertAction) or not self.ok(
                *where):
            return None
        action = rule["action"]
        wait = self.duration(rule, "for", *where) if "for" in rule else DEFAULT_WAIT.get(action, timedelta(0))
        wait = wait if wait is not None else timedelta(0)
        impact = rule.get("impact")
        announce = rule.get("announce", "")
        if not self.announce_ok(rule, action, announce):
            return None
        default = Impact.MAJOR if where[-1] == "critical" else Impact.MINOR
        return AlertPolicy(action, wait, Impact(impact) if impact in IMPACTS else default,
                           announce if isinstance(announce, str) else "",
                           self.accounts_of(rule, *where) if self.accounts is not None else self.names(
                               rule, "networks", None, "network"),
                           _text(rule, "title"), _text(rule, "message"))

    def announce_ok(self, rule: LocDict, action: str, announce: Any) -> bool:
        """Whether a policy's ``announce:`` names an account of the calendar, and a draft's an
        internal one (a draft is not public): else reported, False."""
        if action == AlertAction.DRAFT and not (isinstance(announce, str) and announce):
            self.error(rule.value_loc("action"), "a draft policy needs announce: (the internal chat account that "
                                                 "tells on-call)", "e.g. announce: team-chat")
            return False
        if isinstance(announce, str) and announce and self.accounts is not None and announce not in self.accounts:
            self.error(rule.value_loc("announce"), f"unknown network account {announce!r}",
                       did_you_mean(announce, self.accounts) or "accounts: " + ", ".join(self.accounts))
            return False
        if action == AlertAction.DRAFT and self.accounts is not None \
                and self.accounts[announce].type not in internal_types():
            self.error(rule.value_loc("announce"), f"a draft is announced only to an internal account, and "
                                                   f"{announce!r} is public (type {self.accounts[announce].type})",
                       "name a chat account (" + ", ".join(internal_types()) + ") or use action: declare")
            return False
        return True

    def maintenance(self, tz_name: str, components: dict[str, Component]) -> list[Maintenance]:
        raw = self.data.get("maintenance")
        if not isinstance(raw, LocList):
            return []
        seen: dict[str, int] = {}
        out = []
        names = tuple(components)
        built = self.context("maintenance", tz_name, names)
        repeats = _repeats(raw)
        for index, spec in enumerate(raw):
            where = ("maintenance", index)
            if not isinstance(spec, LocDict) or not isinstance(spec.get("id"), str):
                continue
            if repeats and not self.unique_id(seen, spec, "maintenance"):
                continue
            window = self.remembered(self.window, spec, where, built, tz_name, names)
            if window is not None:
                out.append(window)
        return out

    def window(self, spec: LocDict, where: tuple[object, ...], tz_name: str,
               components: tuple[str, ...]) -> Maintenance | None:
        starts = self.instant(spec, "starts", tz_name, *where)
        ends = self.instant(spec, "ends", tz_name, *where)
        comps = self.names(spec, "components", dict.fromkeys(components), "component", *where)
        nets = self.accounts_of(spec, *where)
        remind = self.durations(spec, "remind", *where)
        if starts is None or ends is None or not isinstance(spec.get("title"), str):
            return None
        if ends <= starts:
            self.error(spec.value_loc("ends"), f"ends ({spec['ends']}) is not after starts ({spec['starts']})")
            return None
        return Maintenance(spec["id"], spec["title"], starts, ends,
                           spec.get("message", "") if isinstance(spec.get("message"), str) else "",
                           comps, nets, DEFAULT_REMIND if remind is None else remind,
                           spec.get("cancelled") is True, spec.loc.line,
                           self.window_updates(spec, where, tz_name, starts, ends))

    def window_updates(self, spec: LocDict, where: tuple[object, ...], tz_name: str, starts: datetime,
                       ends: datetime) -> tuple[MaintenanceUpdate, ...]:
        """A window's ``updates:``, oldest first; each one that does not fit the ones before it is
        reported where it is written and left out."""
        raw = spec.get("updates")
        if not isinstance(raw, LocList):
            return ()
        out: list[MaintenanceUpdate] = []
        end = ends
        for index, item in enumerate(raw):
            update = self.window_update(item, (*where, "updates", index), tz_name)
            if update is None or not self.in_order(spec["id"], item, update, out) \
                    or not self.fits_window(item, update, starts, end):
                continue
            out.append(update)
            end = update.ends or end
        return tuple(out)

    def window_update(self, item: object, here: tuple[object, ...], tz_name: str) -> MaintenanceUpdate | None:
        if not isinstance(item, LocDict) or not self.ok(*here):
            return None
        state = item.get("state")
        if not isinstance(item.get("at"), str) or state not in MAINTENANCE_STATES or not self.ok(*here, "state"):
            return None
        at = self.instant(item, "at", tz_name, *here)
        new_end = self.instant(item, "ends", tz_name, *here) if "ends" in item else None
        if at is None or ("ends" in item and new_end is None):
            return None
        spot = item.value_loc("message") if "message" in item else item.loc
        return MaintenanceUpdate(at, MaintenanceState(state), _text(item, "message"), new_end, spot.line, spot.col)

    def in_order(self, window_id: str, item: LocDict, update: MaintenanceUpdate,
                 before: list[MaintenanceUpdate]) -> bool:
        """Oldest first, each at its own time, nothing after the completion (reported, else True)."""
        if not before:
            return True
        previous = before[-1]
        if previous.state == MaintenanceState.COMPLETED:
            self.error(item.value_loc("state"), f"maintenance {window_id!r} was completed at "
                                                f"{previous.at.isoformat(timespec='minutes')}; updates cannot follow",
                       "if there is more work, plan a new window (herald maintenance add)")
            return False
        if update.at <= previous.at:
            self.error(item.value_loc("at"), f"update at {item['at']} is not after the previous one "
                                             f"({previous.at.isoformat(timespec='seconds')})",
                       "updates are listed oldest first, each at its own time")
            return False
        began = next((u for u in before if u.state in WORKING), None)
        if update.state == MaintenanceState.SCHEDULED and began is not None:
            self.error(item.value_loc("state"), f"the work began at {began.at.isoformat(timespec='minutes')} "
                                                f"({began.state}); the window is not scheduled any more",
                       "write in_progress with what is happening (a pause too), or cancel the window")
            return False
        return True

    def fits_window(self, item: LocDict, update: MaintenanceUpdate, starts: datetime, end: datetime) -> bool:
        """An update that makes sense for the window as planned so far (``end``): reported, else True."""
        if update.state == MaintenanceState.SCHEDULED and update.at >= starts:
            self.error(item.value_loc("state"), "a window that has started is not scheduled any more",
                       "write in_progress, verifying or completed")
        elif update.state == MaintenanceState.COMPLETED and update.at < starts:
            self.error(item.value_loc("state"), "a window cannot be completed before it starts",
                       "if it will not happen, cancel it (cancelled: true, herald maintenance cancel)")
        elif update.ends is not None and update.state == MaintenanceState.COMPLETED:
            self.error(item.value_loc("ends"), "a completed update moves no end", "leave out ends: (the window "
                                                                                   "ends with this update)")
        else:
            return self.fits_end(item, update, starts, end)
        return False

    def fits_end(self, item: LocDict, update: MaintenanceUpdate, starts: datetime, end: datetime) -> bool:
        """An update that says the right thing of the window's end as planned so far: reported, else True."""
        if update.ends is not None and (update.ends <= update.at or update.ends <= starts):
            self.error(item.value_loc("ends"), f"ends ({item['ends']}) is not after the update ({item['at']}) "
                                               "and the window's start", "give the time the work will end")
        elif update.at > end or (update.at == end and update.state != MaintenanceState.COMPLETED):
            self.error(item.value_loc("at"), f"the window ended at {end.isoformat(timespec='minutes')} and its end "
                                             "was announced then; no update (a completion, a delay) can follow",
                       "a delay must come before the end; if the work goes on, declare an incident "
                       "(herald incident declare)")
        else:
            return True
        return False

    def components(self) -> dict[str, Component]:
        raw = self.data.get("components")
        out: dict[str, Component] = {}
        if isinstance(raw, LocDict):
            for cid, spec in raw.items():
                if isinstance(spec, LocDict) and isinstance(spec.get("name"), str):
                    out[cid] = Component(cid, spec["name"], spec.get("status", ComponentState.OPERATIONAL)
                                         if isinstance(spec.get("status"), str) else ComponentState.OPERATIONAL,
                                         spec["group"] if isinstance(spec.get("group"), str) else "")
        return out

    def incidents(self, tz_name: str, components: dict[str, Component]) -> list[Incident]:
        raw = self.data.get("incidents")
        if not isinstance(raw, LocList):
            return []
        seen: dict[str, int] = {}
        out = []
        names = tuple(components)
        built = self.context("incidents", tz_name, names, self.default_follow_up)
        repeats = _repeats(raw)
        for index, spec in enumerate(raw):
            where = ("incidents", index)
            if not isinstance(spec, LocDict) or not isinstance(spec.get("id"), str):
                continue
            if repeats and not self.unique_id(seen, spec, "incident",
                                              "each incident needs its own id: its announcements' keys"):
                continue
            incident = self.remembered(self.incident, spec, where, built, tz_name, names, self.default_follow_up)
            if incident is not None:
                out.append(incident)
        return out

    def incident(self, spec: LocDict, where: tuple[object, ...], tz_name: str, components: tuple[str, ...],
                 default_follow_up: timedelta | None) -> Incident | None:
        iid = spec["id"]
        comps = self.names(spec, "components", dict.fromkeys(components), "component", *where)
        nets = self.accounts_of(spec, *where)
        updates = self.updates(spec, where, tz_name, iid, components)
        follow_up = self.follow_up(spec, default_follow_up, *where)
        impact = spec.get("impact")
        if updates and isinstance(spec.get("title"), str) and impact in IMPACTS and self.ok(*where, "impact"):
            alert = spec.get("alert", "")
            return Incident(iid, spec["title"], Impact(impact), tuple(updates), comps, nets,
                            spec.loc.line, follow_up, spec.get("draft") is True,
                            alert if isinstance(alert, str) else "")
        return None

    def updates(self, spec: LocDict, where: tuple[object, ...], tz_name: str, iid: str,
                components: tuple[str, ...] = ()) -> list[Update]:
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
            next_update = self.next_update(item, here)
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
                              spot.line, spot.col, self.update_states(item, here, components)))
        return out

    def next_update(self, item: LocDict, here: tuple[object, ...]) -> timedelta | None:
        """An update's ``next_update``: a duration of 1 minute to 7 days (NEXT_UPDATE, the bounds
        of ``--next-update``), reported where written otherwise (and then left out)."""
        found = self.duration(item, "next_update", *here)
        if found is not None and not NEXT_UPDATE[0] <= found <= NEXT_UPDATE[1]:
            self.error(item.value_loc("next_update"), f"next_update {item['next_update']}: between 1 minute and 7 "
                       "days", "e.g. 30m or 2h")
            return None
        return found

    def update_states(self, item: LocDict, here: tuple[object, ...], known: tuple[str, ...]) -> tuple[
            tuple[str, str], ...]:
        """An update's ``components:``, the states it sets: each component one of the file's, and
        none left in an outage by a resolution (reported where written; the wrong ones left out)."""
        raw = item.get("components")
        if not isinstance(raw, LocDict) or not self.ok(*here, "components"):
            return ()
        out = []
        for cid, state in raw.items():
            if not isinstance(state, str) or not self.reference(raw.key_loc(cid), cid, known, "component",
                                                                section="components"):
                continue
            if item.get("state") == UpdateState.RESOLVED and state != ComponentState.OPERATIONAL:
                self.error(raw.value_loc(cid), f"a resolved incident leaves {cid} {state.replace('_', ' ')}",
                           f"write {cid}: operational, or keep the incident open with another update")
                continue
            out.append((str(cid), state))
        return tuple(out)
