"""Loading and validating ``content_calendar.yaml``.

``load(path)`` returns a :class:`~campaigns.model.Calendar` or raises
:class:`~campaigns.errors.CalendarError` carrying *every* problem found, each at its
``file:line:col``.  Structure (types, unknown keys, enums) is checked by the JSON
Schema; meaning (dates, zones, rules, references, templates, lengths) is checked
here.  Warnings (e.g. a recurring time that meets a DST change) are kept on the
result as ``calendar_warnings`` and never stop a load.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrulestr

from .durations import parse_duration, parse_rate  # noqa: F401  (re-exported: status/load.py, scheduler/engine.py)
from .errors import CalendarError, Problem
from .gcpause import paused_gc
from .located import LocatedBuilder
from .model import DEFAULT_CATCH_UP, Account, Brand, Calendar, Campaign, EnginePolicy, Post, Series
from .networks import COMMON_NETWORK_FIELDS, NETWORK_TYPES
from .result import LoadResult
from .schema import calendar_schema
from .schemacheck import SchemaChecker, did_you_mean
from .status_templates import TEMPLATE_FIELDS
from .templates import (
    OCCURRENCE_FIELDS,
    Template,
    TemplateError,
    compile_template,
    countdown_values,
    event_day,
    longest_countdown_values,
    longest_occurrence_values,
    tag_links,
)
from .timeparse import (
    TimeFormatError,
    When,
    parse_when,
    zone,
)
from .voice import DEFAULT_REQUIRED, Limits, Voice
from .yamlsource import Loc, LocDict, LocList, load_file, load_text


@lru_cache(maxsize=1)
def _checker() -> SchemaChecker:
    return SchemaChecker(calendar_schema())


class CalendarResult(LoadResult[Calendar]):
    """A checked calendar: ``value`` (None unless valid) and every problem found."""

    @property
    def calendar(self) -> Calendar | None:
        """The same as ``value``: the name the scheduler reads (kept for callers outside campaigns)."""
        return self.value


def load(path: str) -> Calendar:
    """Load and validate the calendar at ``path``; raise CalendarError listing every error."""
    return check(path).unwrap(CalendarError)


def check(path: str, text: str | None = None) -> CalendarResult:
    """Validate; return the calendar (if valid) with every error and warning found."""
    with paused_gc():
        try:
            data = load_file(path) if text is None else load_text(text, path)
        except CalendarError as exc:
            return CalendarResult(None, exc.problems)
        return build(data, path)


def loads(text: str, path: str = "<calendar>") -> Calendar:
    return check(path, text).unwrap(CalendarError)


def build(data: Any, path: str) -> CalendarResult:
    if not isinstance(data, LocDict):
        loc = getattr(data, "loc", Loc(1, 1))
        problem = Problem(path, loc.line, loc.col,
                          "the calendar must be a mapping with brand:, networks: and posts:")
        return CalendarResult(None, [problem])
    problems, bad = _checker().problems(data, path)
    builder = _Builder(path, data, problems, bad)
    calendar = builder.calendar()
    return CalendarResult(calendar if not builder.has_errors() else None, problems)


_RRULE_UNTIL = re.compile(r"UNTIL=(\d{8}T\d{6})Z", re.IGNORECASE)
_RRULE_PART = re.compile(r"(?:^|;)(BYHOUR|BYMINUTE|BYSECOND|FREQ|COUNT|UNTIL|BYSETPOS)=([^;]*)", re.IGNORECASE)
_FINE_FREQS = {"HOURLY", "MINUTELY", "SECONDLY"}


class _Builder(LocatedBuilder):
    """Walks the located data once, collecting problems and building model values."""

    def __init__(self, path: str, data: LocDict, problems: list[Problem], bad: set[tuple]):
        super().__init__(path, problems, bad)
        self.data = data

    # -- sections ------------------------------------------------------------------
    def calendar(self) -> Calendar | None:
        brand = self.brand()
        networks = self.networks()
        campaigns = self.campaigns(networks, brand)
        posts = self.posts(brand, networks, campaigns)
        policy = self.engine_policy()
        if brand is None:
            return None
        return Calendar(self.path, brand, networks, campaigns, tuple(posts), policy)

    def engine_policy(self) -> EnginePolicy:
        raw = self.data.get("engine")
        if not isinstance(raw, LocDict):
            return EnginePolicy()
        catch_up = dict(DEFAULT_CATCH_UP)
        spec = raw.get("catch_up")
        if isinstance(spec, LocDict):
            for kind in spec:
                value = self.duration(spec, kind, "engine", "catch_up")
                if value is not None:
                    catch_up[kind] = value
        on_resume = raw.get("on_resume", "release")
        attempts = raw.get("max_attempts", 8)
        hold = raw.get("hold_during_incidents")
        return EnginePolicy(catch_up, on_resume if on_resume in ("release", "skip") else "release",
                            attempts if isinstance(attempts, int) and not isinstance(attempts, bool) else 8,
                            tuple(hold) if isinstance(hold, list) and self.ok("engine", "hold_during_incidents")
                            else EnginePolicy().hold_during_incidents)

    def brand(self) -> Brand | None:
        raw = self.data.get("brand")
        if not isinstance(raw, LocDict):
            return None
        name = raw.get("name") if isinstance(raw.get("name"), str) else ""
        tz = self.zone(raw, "timezone")
        tz_name = tz.key if tz is not None else None
        links = {k: v for k, v in (raw.get("links") or {}).items() if isinstance(v, str)} \
            if isinstance(raw.get("links"), dict) else {}
        hosts = {(urlsplit(u).hostname or "").lower() for u in links.values()}
        domains = raw.get("domains") if isinstance(raw.get("domains"), list) else []
        hosts.update(d.lower() for d in domains if isinstance(d, str))
        utm = raw.get("utm") if isinstance(raw.get("utm"), dict) else {}
        events = self.events(raw)
        language = raw.get("language") if isinstance(raw.get("language"), str) else "en"
        voice = self.voice(raw, language)
        if tz_name is None:
            return None
        templates, template_locs = self.status_templates(raw, links, name, events)
        return Brand(
            name=name, timezone=tz_name, links=links, hosts=frozenset(h for h in hosts if h),
            language=language, utm_source=utm.get("source", ""), utm_medium=utm.get("medium", "social"),
            status_templates=templates, status_template_locs=template_locs, events=events, voice=voice,
        )

    def events(self, raw: LocDict) -> dict[str, str]:
        spec = raw.get("events")
        out: dict[str, str] = {}
        if not isinstance(spec, LocDict):
            return out
        for name, value in spec.items():
            if not isinstance(value, str) or not self.ok("brand", "events", name):
                continue
            try:
                event_day(value, date(2028, 1, 1))  # a leap year: 02-29 is a possible yearly event
            except ValueError:
                self.error(spec.value_loc(name), f"event {name!r}: {value!r} is not a real date",
                           "write YYYY-MM-DD for one day, or MM-DD for every year")
                continue
            out[name] = value
        return out

    def voice(self, raw: LocDict, language: str) -> Voice:
        spec = raw.get("voice")
        if not isinstance(spec, LocDict):
            return Voice(language=language)
        if not self.ok("brand", "voice"):
            return Voice(declared=True, language=language)

        def texts(container: object, key: str) -> tuple[str, ...]:
            value = container.get(key) if isinstance(container, dict) else None
            return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

        phrases = spec.get("phrases") if isinstance(spec.get("phrases"), dict) else {}
        limits = spec.get("limits") if isinstance(spec.get("limits"), dict) else {}
        required = dict(DEFAULT_REQUIRED)
        if isinstance(spec.get("required"), dict):
            required.update({k: texts(spec["required"], k) for k in spec["required"]})
        cues = spec.get("cues") if isinstance(spec.get("cues"), dict) else {}
        repetition = spec.get("repetition") if isinstance(spec.get("repetition"), dict) else {}
        links = spec.get("links") if isinstance(spec.get("links"), dict) else {}
        words = spec.get("words") if isinstance(spec.get("words"), dict) else {}
        return Voice(
            declared=True, persona=spec.get("persona", ""), tone=spec.get("tone", ""),
            register=spec.get("register", ""), language=spec.get("language", language),
            words={str(k): v for k, v in words.items()},
            stock_phrases=texts(phrases, "stock"), blame_phrases=texts(phrases, "blame"),
            argumentative_phrases=texts(phrases, "argumentative"),
            limits=Limits(**{k: v for k, v in limits.items() if isinstance(v, int)}),
            acronyms=frozenset(a.upper() for a in texts(spec, "acronyms")),
            required=required, cues={k: texts(cues, k) for k in cues},
            window=(self.duration(repetition, "window", "brand", "voice", "repetition")
                    if isinstance(repetition, LocDict) else None) or Voice().window,
            similarity=float(repetition.get("similarity", Voice().similarity)),
            hosts=frozenset(h.lower() for h in texts(links, "hosts")), utm=links.get("utm", "campaign"),
            severities=dict(spec.get("rules") or {}), line=spec.loc.line, col=spec.loc.col,
        )

    def status_templates(self, raw: LocDict, links: dict[str, str], name: str,
                         events: dict[str, str]) -> tuple[dict[str, str], dict[str, tuple[int, int]]]:
        spec = raw.get("status_templates")
        out: dict[str, str] = {}
        locs: dict[str, tuple[int, int]] = {}
        if not isinstance(spec, LocDict):
            return out, locs
        known = frozenset({*TEMPLATE_FIELDS, "brand.name", *(f"links.{k}" for k in links)})
        for key, text in spec.items():
            if isinstance(text, str) and self.ok("brand", "status_templates", key):
                try:
                    compile_template(text, known)
                    out[key] = text
                    loc = spec.value_loc(key)
                    locs[key] = (loc.line, loc.col)
                except TemplateError as exc:
                    self.error(spec.value_loc(key), str(exc))
        return out, locs

    def networks(self) -> dict[str, Account]:
        raw = self.data.get("networks")
        out: dict[str, Account] = {}
        if not isinstance(raw, LocDict):
            return out
        for name, spec in raw.items():
            if not isinstance(spec, LocDict) or not isinstance(spec.get("type"), str):
                continue
            kind = spec["type"]
            if kind not in NETWORK_TYPES:
                continue  # reported by the schema, with a suggestion
            allowed = set(NETWORK_TYPES[kind].fields)
            options = {}
            for key, value in spec.items():
                if key in ("type", "enabled", "dry_run"):
                    continue
                if key not in allowed and key not in COMMON_NETWORK_FIELDS and self.ok("networks", name, key):
                    fits = [t for t, nt in NETWORK_TYPES.items() if key in nt.fields]
                    self.error(spec.key_loc(key), f"{key!r} does not apply to a {kind} network",
                               f"it belongs to: {', '.join(fits)}" if fits else "")
                    continue
                options[key] = value
            out[name] = Account(name, kind, options, enabled=spec.get("enabled", True) is not False,
                                dry_run=spec.get("dry_run", False) is True)
        return out

    def check_range(self, container: LocDict, starts: When | None, ends: When | None) -> None:
        if starts and ends and _sort_key(ends, end=True) < _sort_key(starts):
            message = f"ends ({container['ends']}) is before starts ({container['starts']})"
            self.error(container.value_loc("ends"), message, "swap them or fix the date")

    def network_refs(self, container: LocDict, where: tuple, networks: dict[str, Account]) -> tuple[str, ...]:
        def hint(name: str) -> str:
            if name in NETWORK_TYPES:
                return f"{name!r} is a network type; add an account under networks: with type: {name}"
            return ""

        return self.references(container, "networks", networks, "network", *where, section="networks", hint=hint)

    def campaigns(self, networks: dict[str, Account], brand: Brand | None) -> dict[str, Campaign]:
        raw = self.data.get("campaigns")
        out: dict[str, Campaign] = {}
        if not isinstance(raw, LocDict):
            return out
        for cid, spec in raw.items():
            if not isinstance(spec, LocDict):
                continue
            starts = self.when(spec, "starts", "campaigns", cid)
            ends = self.when(spec, "ends", "campaigns", cid)
            self.check_range(spec, starts, ends)
            out[cid] = Campaign(
                cid, title=spec.get("title", "") if isinstance(spec.get("title"), str) else "",
                starts=starts, ends=ends, networks=self.network_refs(spec, ("campaigns", cid), networks),
                utm_campaign=spec.get("utm_campaign") if isinstance(spec.get("utm_campaign"), str) else cid,
                enabled=spec.get("enabled", True) is not False,
            )
        return out

    def posts(self, brand: Brand | None, networks: dict[str, Account], campaigns: dict[str, Campaign]) -> list[Post]:
        raw = self.data.get("posts")
        if not isinstance(raw, LocList):
            return []
        known_fields = frozenset(
            {"brand.name", *(f"links.{k}" for k in (brand.links if brand else {})), *OCCURRENCE_FIELDS,
             *longest_countdown_values(brand.events if brand else {})}
        )
        seen: dict[str, Loc] = {}
        out = []
        for index, spec in enumerate(raw):
            if not isinstance(spec, LocDict):
                if self.ok("posts", index):
                    self.error(raw.item_loc(index), "each post must be a mapping with id:, kind: and text:")
                continue
            pid = spec.get("id")
            if isinstance(pid, str):
                if pid in seen:
                    self.error(spec.value_loc("id"), f"duplicate post id {pid!r} (first at line {seen[pid].line})",
                               "post ids must be unique and stable: they identify what was already published")
                    continue
                seen[pid] = spec.value_loc("id")
            post = _PostBuilder(self, spec, ("posts", index), brand, networks, campaigns, known_fields).build()
            if post is not None:
                out.append(post)
        return out


class _PostBuilder:
    def __init__(self, parent: _Builder, spec: LocDict, where: tuple, brand: Brand | None,
                 networks: dict[str, Account], campaigns: dict[str, Campaign], known_fields: frozenset[str]):
        self.p, self.spec, self.where = parent, spec, where
        self.brand, self.networks, self.campaigns, self.known_fields = brand, networks, campaigns, known_fields
        self.failed = False

    def error(self, loc: Loc, message: str, hint: str = "") -> None:
        self.failed = True
        self.p.error(loc, message, hint)

    @property
    def pid(self) -> str:
        value = self.spec.get("id")
        return value if isinstance(value, str) else "?"

    def build(self) -> Post | None:
        spec = self.spec
        campaign = self.campaign()
        names = self.p.network_refs(spec, self.where, self.networks)
        if "networks" not in spec:
            names = campaign.networks if campaign else ()
            if not names and not (campaign is None and "campaign" in spec):
                self.error(spec.loc, f"post {self.pid!r} has no networks",
                           "add networks: [...] to the post or to its campaign")
        tz = self.timezone()
        series = self.series(tz, campaign) if tz is not None else None
        texts = self.texts(names, campaign)
        image = self.image(names)
        if self.failed or series is None or texts is None or self.brand is None:
            return None
        return Post(
            id=self.pid, kind=spec["kind"], networks=names, series=series, texts=texts,
            campaign=campaign.id if campaign else None,
            enabled=spec.get("enabled", True) is not False and (campaign is None or campaign.enabled),
            image=image, line=spec.loc.line,
            components=tuple(c for c in spec.get("components") or () if isinstance(c, str)),
        )

    def campaign(self) -> Campaign | None:
        cid = self.spec.get("campaign")
        if not isinstance(cid, str):
            return None
        if not self.p.reference(self.spec.value_loc("campaign"), cid, self.campaigns, "campaign"):
            self.failed = True
            return None
        return self.campaigns[cid]

    def timezone(self) -> ZoneInfo | None:
        if isinstance(self.spec.get("timezone"), str):
            tz = self.p.zone(self.spec, "timezone", "use an IANA name such as America/New_York")
            if tz is None:
                self.failed = True
            return tz
        return self.brand.tz if self.brand else None

    # -- when ----------------------------------------------------------------------
    def series(self, tz: ZoneInfo, campaign: Campaign | None) -> Series | None:
        spec, where = self.spec, self.where
        at = self.p.when(spec, "at", *where)
        starts = self.p.when(spec, "starts", *where)
        ends = self.p.when(spec, "ends", *where)
        self.p.check_range(spec, starts, ends)
        exdates = self.exdates()
        has_at, has_rule = "at" in spec, "rrule" in spec
        if has_at and has_rule:
            self.error(spec.key_loc("rrule"), "a post has either at: (one-off) or rrule: (recurring), not both")
            return None
        if not has_at and not has_rule:
            self.error(spec.loc, f"post {self.pid!r} has no time",
                       "add at: 2026-12-01T10:00 for a one-off post, or rrule: for a recurring one")
            return None
        # Bounds: the post's own, narrowed by its campaign's.
        lows = [w for w in (starts, campaign.starts if campaign else None) if w]
        highs = [w for w in (ends, campaign.ends if campaign else None) if w]
        not_before = max((_local_bound(w, tz) for w in lows), default=None)
        until = min((_local_bound(w, tz, end=True) for w in highs), default=None)
        if has_at:
            if at is None:
                return None
            if exdates[0] or exdates[1]:
                self.error(spec.key_loc("exdates"), "exdates apply only to recurring posts (with rrule:)")
            return self.one_off(at, tz, not_before, until, campaign)
        return self.recurring(tz, starts, campaign, not_before, until, exdates)

    def exdates(self) -> tuple[frozenset[date], frozenset[datetime]]:
        raw = self.spec.get("exdates")
        days: set[date] = set()
        times: set[datetime] = set()
        if not isinstance(raw, LocList):
            return frozenset(), frozenset()
        for index, value in enumerate(raw):
            if not isinstance(value, str) or not self.p.ok(*self.where, "exdates", index):
                continue
            try:
                when = parse_when(value)
            except TimeFormatError as exc:
                self.error(raw.item_loc(index), str(exc))
                continue
            if when.is_date:
                days.add(when.date)
            elif when.offset is not None:
                tz = self.timezone() or UTC
                times.add(datetime.combine(when.date, when.time, when.offset).astimezone(tz).replace(tzinfo=None))
            else:
                times.add(when.naive())
        return frozenset(days), frozenset(times)

    def one_off(self, at: When, tz: ZoneInfo, not_before: datetime | None, until: datetime | None,
                campaign: Campaign | None) -> Series | None:
        loc = self.spec.value_loc("at")
        if at.is_date:
            self.error(loc, f"at: {self.spec['at']} has no time of day", f"write e.g. {at.date.isoformat()}T09:00")
            return None
        instant = None
        if at.offset is not None:
            instant = datetime.combine(at.date, at.time, at.offset)
            local = instant.astimezone(tz).replace(tzinfo=None)
        else:
            local = at.naive()
            if not self.p.local_time(loc, str(self.spec["at"]), local, tz):
                self.failed = True
                return None
        if (not_before and local < not_before) or (until and local > until):
            scope = f"campaign {campaign.id!r}" if campaign else "the post's starts/ends"
            self.error(loc, f"at: {self.spec['at']} is outside {scope}")
            return None
        return Series(tz=tz, dtstart=local, instant=instant)

    def recurring(self, tz: ZoneInfo, starts: When | None, campaign: Campaign | None,
                  not_before: datetime | None, until: datetime | None,
                  exdates: tuple[frozenset[date], frozenset[datetime]]) -> Series | None:
        spec = self.spec
        loc = spec.value_loc("rrule")
        text = spec.get("rrule")
        if not isinstance(text, str):
            return None
        anchor = starts or (campaign.starts if campaign else None)
        if anchor is None:
            self.error(spec.key_loc("rrule"), f"recurring post {self.pid!r} needs starts:",
                       "add starts: 2026-12-01 (or put the post in a campaign that has starts:)")
            return None
        if anchor.offset is not None:
            dtstart = datetime.combine(anchor.date, anchor.time, anchor.offset).astimezone(tz).replace(tzinfo=None)
        else:
            dtstart = anchor.naive()
        body = text.strip()
        if body.upper().startswith("RRULE:"):
            body = body[6:]
        if "DTSTART" in body.upper() or "\n" in body:
            self.error(loc, "rrule: holds only the rule (FREQ=…;BYDAY=…)", "give the first date with starts:")
            return None
        parts = {k.upper(): v for k, v in _RRULE_PART.findall(body)}
        if "FREQ" not in parts:
            self.error(loc, "rrule has no FREQ", "start it with FREQ=DAILY, FREQ=WEEKLY, FREQ=MONTHLY or FREQ=YEARLY")
            return None
        if "COUNT" in parts and "UNTIL" in parts:
            self.error(loc, "rrule has both COUNT and UNTIL; RFC 5545 allows one")
            return None
        if anchor.is_date and "BYHOUR" not in parts and parts["FREQ"].upper() not in _FINE_FREQS:
            self.error(loc, "recurring post has no time of day",
                       "add BYHOUR=10;BYMINUTE=0 to the rule, or give starts: with a time (2026-12-01T10:00)")
            return None
        # UNTIL in UTC ('Z') is read as that instant in the post's zone (dtstart is local).
        body = _RRULE_UNTIL.sub(lambda m: "UNTIL=" + datetime.strptime(m.group(1), "%Y%m%dT%H%M%S")
                                .replace(tzinfo=UTC).astimezone(tz).strftime("%Y%m%dT%H%M%S"), body)
        try:
            rule = rrulestr(body, dtstart=dtstart, cache=False)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
            self.error(loc, f"invalid rrule: {_rrule_message(exc)}",
                       "see RFC 5545, e.g. FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=10;BYMINUTE=0")
            return None
        if not _can_occur(rule):
            self.error(loc, "this rrule never produces a date (e.g. the 30th of February)")
            return None
        self.check_dst(rule, tz, loc, parts)
        return Series(tz=tz, dtstart=dtstart, rule=rule, rule_text=body, not_before=not_before, until=until,
                      ex_days=exdates[0], ex_times=exdates[1])

    def check_dst(self, rule: Any, tz: ZoneInfo, loc: Loc, parts: dict[str, str]) -> None:
        """Warn when the rule's time of day meets a DST gap or fold in the post's zone."""
        if parts["FREQ"].upper() in _FINE_FREQS:
            if transition_windows(tz.key):
                self.p.warning(loc, f"a rule repeating within the day meets the DST changes of {tz.key}",
                            "times the clocks skip go out an hour later; repeated times go out once, at the first")
            return
        hours = rule._byhour or (rule._dtstart.hour,)
        minutes = rule._byminute or (rule._dtstart.minute,)
        met: dict[str, str] = {}
        for hour in hours:
            for minute in minutes:
                for kind, low, high in transition_windows(tz.key):
                    if low <= (hour, minute) < high:
                        met.setdefault(kind, f"{hour:02d}:{minute:02d}")
        if "gap" in met:
            self.p.warning(loc, f"{met['gap']} does not exist in {tz.key} on the day DST starts",
                        "that occurrence goes out at the same instant an hour later by the "
                        "clock, as RFC 5545 says; pick another time to avoid it")
        if "fold" in met:
            self.p.warning(loc, f"{met['fold']} happens twice in {tz.key} on the day DST ends",
                        "Herald posts once, at the first of the two, as RFC 5545 says")

    # -- what ----------------------------------------------------------------------
    def templates(self, container: LocDict, where: tuple) -> tuple[Template, ...] | None:
        has_text, has_variants = "text" in container, "variants" in container
        if has_text and has_variants:
            self.error(container.key_loc("variants"), "give either text: or variants:, not both")
            return None
        items: list[tuple[str, Loc, tuple]] = []
        if has_text and isinstance(container["text"], str):
            items = [(container["text"], container.value_loc("text"), (*where, "text"))]
        elif has_variants and isinstance(container["variants"], LocList):
            variants = container["variants"]
            items = [(v, variants.item_loc(i), (*where, "variants", i)) for i, v in enumerate(variants)
                     if isinstance(v, str)]
            seen: dict[str, int] = {}
            for i, v in enumerate(variants):
                if isinstance(v, str):
                    if v.strip() in seen:
                        self.error(variants.item_loc(i), f"variant {i + 1} repeats variant {seen[v.strip()] + 1}",
                                   "variants exist so that consecutive posts differ")
                    seen.setdefault(v.strip(), i)
        elif not has_text and not has_variants:
            return ()
        out = []
        for source, loc, path in items:
            if not self.p.ok(*path):
                continue
            try:
                out.append(compile_template(source, self.known_fields, loc.line, loc.col))
            except TemplateError as exc:
                self.error(loc, str(exc))
        return tuple(out)

    def texts(self, names: tuple[str, ...], campaign: Campaign | None) -> dict[str, tuple[Template, ...]] | None:
        spec = self.spec
        base = self.templates(spec, self.where)
        per = spec.get("per_network") if isinstance(spec.get("per_network"), LocDict) else LocDict(spec.loc)
        overrides: dict[str, tuple[Template, ...]] = {}
        disabled: set[str] = set()
        types = {self.networks[n].type for n in names}
        for key, value in per.items():
            if key not in names and key not in types:
                choices = list(names) + sorted(types)
                self.error(per.key_loc(key), f"per_network {key!r} is not one of this post's networks",
                           did_you_mean(key, choices) or f"its networks: {', '.join(choices)}")
                continue
            if not isinstance(value, LocDict):
                continue
            if value.get("enabled") is False:
                disabled.add(key)
            found = self.templates(value, (*self.where, "per_network", key))
            if found:
                overrides[key] = found
        if base is None:
            return None
        texts: dict[str, tuple[Template, ...]] = {}
        for name in names:
            account = self.networks[name]
            if name in disabled or account.type in disabled:
                continue
            chosen = overrides.get(name) or overrides.get(account.type) or base
            if not chosen:
                structural = any(bad[: len(self.where)] == self.where for bad in self.p.bad)
                if not structural and "text" not in spec and "variants" not in spec:
                    self.error(spec.loc, f"post {self.pid!r} has no text for {name}",
                               "add text: or variants: (or per_network wording for every network)")
                continue
            texts[name] = chosen
            self.check_lengths(name, chosen, campaign)
        return texts

    def check_lengths(self, name: str, templates: tuple[Template, ...], campaign: Campaign | None) -> None:
        account = self.networks[name]
        limit = account.rules.limit
        if limit is None or self.brand is None:
            return
        values = render_values(self.brand, longest_occurrence_values())
        values.update(longest_countdown_values(self.brand.events))
        for number, template in enumerate(templates, 1):
            text = finish(template.render(values), self.brand, campaign, account)
            over = limit.overflow(text)
            if over:
                which = f"variant {number}" if len(templates) > 1 else "text"
                worst = " at its longest" if any(f in OCCURRENCE_FIELDS for f in template.fields) else ""
                self.error(self.spec.loc, f"post {self.pid!r} is too long for {name} ({account.rules.title}): "
                           f"{which} is {over}{worst}", "shorten it, or give per_network wording for it")

    def image(self, names: tuple[str, ...]) -> dict[str, str] | None:
        raw = self.spec.get("image")
        image = dict(raw) if isinstance(raw, dict) else None
        if image is not None and not (("url" in image) ^ ("path" in image)):
            self.error(self.spec.value_loc("image"), "image needs exactly one of url: or path:")
        for name in names:
            rules = self.networks[name].rules
            if rules.image_required and image is None and self.spec.get("per_network", {}).get(name, {}).get(
                    "enabled", True) is not False:
                self.error(self.spec.loc, f"post {self.pid!r} goes to {name} ({rules.title}), which needs an image",
                           "add image: {url: …, alt: …} or leave that network out")
        return image


def render_values(brand: Brand, occurrence: dict[str, str]) -> dict[str, str]:
    values = {"brand.name": brand.name, **{f"links.{k}": v for k, v in brand.links.items()}}
    values.update(occurrence)
    if brand.events and "date_iso" in occurrence:
        values.update(countdown_values(brand.events, date.fromisoformat(occurrence["date_iso"])))
    return values


def finish(text: str, brand: Brand, campaign: Campaign | None, account: Account) -> str:
    """The last rendering step, shared by validation and planning: UTM tags on the brand's links."""
    if campaign is None:
        return text
    params = {
        "utm_source": brand.utm_source or account.type,
        "utm_medium": brand.utm_medium,
        "utm_campaign": campaign.utm_campaign or campaign.id,
    }
    return tag_links(text, brand.hosts, params)


def _rrule_message(exc: Exception) -> str:
    message = str(exc) or type(exc).__name__
    return message.replace("unknown parameter name", "unknown part").rstrip(".")


def _can_occur(rule: Any) -> bool:
    """False for rules that can never produce a date, checked statically: dateutil would
    otherwise search period by period up to the year 9999 (seconds for a daily rule).
    Reads dateutil's parsed rule parts (its ``_by*`` attributes)."""
    months = rule._bymonth or tuple(range(1, 13))
    monthdays = rule._bymonthday or ()
    if monthdays and not rule._bynmonthday:
        longest = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
        if all(day > longest[m] for m in months for day in monthdays):
            return False
    if rule._bysetpos:
        # The most candidates one period can hold; a BYSETPOS beyond it never selects anything.
        times = len(rule._byhour or (0,)) * len(rule._byminute or (0,)) * len(rule._bysecond or (0,))
        days = {YEARLY: 366, MONTHLY: 31, WEEKLY: 7, DAILY: 1}.get(rule._freq, 1)
        if rule._freq in (YEARLY, MONTHLY, WEEKLY) and (rule._byweekday or rule._bynweekday) and not monthdays:
            weekdays = len(rule._byweekday or ()) + len(rule._bynweekday or ())
            days = min(days, weekdays * {YEARLY: 53, MONTHLY: 5, WEEKLY: 1}[rule._freq])
        if rule._freq <= DAILY and all(abs(pos) > days * times for pos in rule._bysetpos):
            return False
    return True


def _sort_key(when: When, end: bool = False) -> datetime:
    naive = when.naive()
    if when.is_date and end:
        naive += timedelta(days=1) - timedelta(microseconds=1)
    return naive


def _local_bound(when: When, tz: ZoneInfo, end: bool = False) -> datetime:
    """A starts/ends value as a local wall-clock bound (an ends date includes its whole day)."""
    if when.offset is not None:
        return datetime.combine(when.date, when.time, when.offset).astimezone(tz).replace(tzinfo=None)
    return _sort_key(when, end)


@lru_cache(maxsize=256)
def transition_windows(tz_name: str) -> tuple[tuple[str, tuple[int, int], tuple[int, int]], ...]:
    """Local times of day at which ``tz_name`` skips (gap) or repeats (fold) the clock,
    over the years around now, as (kind, (h, m) from, (h, m) to) — pure, data from tzdata."""
    tz = zone(tz_name)
    windows: set[tuple[str, tuple[int, int], tuple[int, int]]] = set()
    probe = datetime(2020, 1, 1, tzinfo=UTC)
    end = datetime(2040, 1, 1, tzinfo=UTC)
    step = timedelta(days=7)
    offset = probe.astimezone(tz).utcoffset()
    while probe < end:
        nxt = probe + step
        after = nxt.astimezone(tz).utcoffset()
        if after != offset:
            low, high = probe, nxt  # binary search to the minute
            while high - low > timedelta(minutes=1):
                mid = low + (high - low) / 2
                if mid.astimezone(tz).utcoffset() == offset:
                    low = mid
                else:
                    high = mid
            change = high.replace(second=0, microsecond=0)
            delta = after - offset  # type: ignore[operator]
            wall_before = (change + offset).replace(tzinfo=None)  # type: ignore[operator]
            if delta > timedelta(0):
                start, stop, kind = wall_before, wall_before + delta, "gap"
            else:
                start, stop, kind = wall_before + delta, wall_before, "fold"
            if start.date() == stop.date() or stop.time() == datetime.min.time():
                hi = (24, 0) if stop.date() != start.date() else (stop.hour, stop.minute)
                windows.add((kind, (start.hour, start.minute), hi))
            offset = after
        probe = nxt
    return tuple(sorted(windows))

