"""Building the calendar model from located YAML: every meaning the schema cannot check.

:class:`CalendarBuilder` walks the located data once (after the JSON Schema has checked
its structure), reports each problem where it was written and builds the immutable
model (:mod:`campaigns.model`) from what is sound; :class:`PostBuilder` does one post:
its networks, its time (a one-off instant or a recurring rule, see
:mod:`campaigns.recurrence`), its texts and their lengths on every network it goes to.
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from . import subscribers
from .days import WEEKDAY_KEYS, Hours, Ranges, parse_closure, parse_ranges
from .errors import Code, HoursError, Problem, RuleError, TemplateError, TimeFormatError
from .located import LocatedBuilder, Where, list_at, mapping_at, text_at, texts_at
from .model import (
    DEFAULT_CATCH_UP,
    POST_KINDS,
    Account,
    Brand,
    Calendar,
    Campaign,
    EnginePolicy,
    Kind,
    OnResume,
    Post,
    Series,
)
from .networks import COMMON_NETWORK_FIELDS, NETWORK_TYPES, POST_FIELDS
from .recurrence import dst_meetings, local_bound, parse_rule, sort_key
from .render import finish, render_values
from .schemacheck import did_you_mean
from .status_templates import TEMPLATE_FIELDS
from .templates import (
    OCCURRENCE_FIELDS,
    Template,
    compile_template,
    event_day,
    longest_countdown_values,
    longest_occurrence_values,
)
from .timeparse import When, parse_when
from .voice import DEFAULT_REQUIRED, Limits, Voice
from .yamlsource import Loc, LocDict, LocList

_POST_KINDS: dict[object, Kind] = {k.value: k for k in POST_KINDS}
_NO_DAYS: frozenset[date] = frozenset()  # (every empty frozenset is a new object: these are shared)
_NO_TIMES: frozenset[datetime] = frozenset()


def _required(wanted: LocDict) -> dict[str, tuple[str, ...]]:
    """What each kind of post must say: the built-in needs, each kind the guide lists replaced."""
    required = dict(DEFAULT_REQUIRED)
    required.update({k: texts_at(wanted, k) for k in wanted})
    return required


def _network_type_hint(name: str) -> str:
    if name in NETWORK_TYPES:
        return f"{name!r} is a network type; add an account under networks: with type: {name}"
    return ""


class CalendarBuilder(LocatedBuilder):
    """Walks the located data once, collecting problems and building model values."""

    def __init__(self, path: str, data: LocDict, problems: list[Problem], bad: Collection[Where]):
        super().__init__(path, problems, bad)
        self.data = data
        self.draft = False  # over-long posts are warnings (the review room's view of an unfinished file)
        self._names: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._longest: dict[str, str] | None = None

    def shared(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """One tuple of interned names for every list of the same names: a 100,000-post calendar
        repeats a few account names in a few dozen combinations, and the engine runs with it
        for weeks (so does a pickled copy of it: pickling keeps what is shared)."""
        found = self._names.get(names)
        if found is None:
            found = self._names[names] = tuple(sys.intern(n) for n in names)
        return found

    def longest_values(self, brand: Brand) -> dict[str, str]:
        """The values every template is measured with, at their longest (made once: one brand)."""
        if self._longest is None:
            self._longest = render_values(brand, longest_occurrence_values())
            self._longest.update(longest_countdown_values(brand.events))
        return self._longest

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
        on_resume = raw.get("on_resume", OnResume.RELEASE)
        attempts = raw.get("max_attempts", 8)
        hold = raw.get("hold_during_incidents")
        return EnginePolicy(catch_up, OnResume(on_resume) if on_resume in tuple(OnResume) else OnResume.RELEASE,
                            attempts if isinstance(attempts, int) and not isinstance(attempts, bool) else 8,
                            tuple(_POST_KINDS[k] for k in hold if k in _POST_KINDS)
                            if isinstance(hold, list) and self.ok("engine", "hold_during_incidents")
                            else EnginePolicy().hold_during_incidents,
                            text_at(raw, "serve"), subscribers.build(self, raw.get("subscribers")))

    def brand(self) -> Brand | None:
        raw = self.data.get("brand")
        if not isinstance(raw, LocDict):
            return None
        name = text_at(raw, "name")
        tz = self.zone(raw, "timezone")
        tz_name = tz.key if tz is not None else None
        links = {k: v for k, v in mapping_at(raw, "links").items() if isinstance(v, str)}
        hosts = {(urlsplit(u).hostname or "").lower() for u in links.values()}
        hosts.update(d.lower() for d in texts_at(raw, "domains"))
        utm = mapping_at(raw, "utm")
        events = self.events(raw)
        language = text_at(raw, "language", "en")
        voice = self.voice(raw, language)
        if tz_name is None:
            return None
        templates, template_locs = self.status_templates(raw, links, name, events)
        return Brand(
            name=name, timezone=tz_name, links=links, hosts=frozenset(h for h in hosts if h),
            language=language, utm_source=text_at(utm, "source"), utm_medium=text_at(utm, "medium", "social"),
            status_templates=templates, status_template_locs=template_locs, events=events, voice=voice,
            logo=text_at(raw, "logo"), color=self.colour(raw), hours=self.hours(raw),
        )

    def hours(self, raw: LocDict) -> Hours:
        """``brand.hours`` and ``brand.closed``: each range or closure that cannot be used is
        reported where it is written and left out."""
        spec = mapping_at(raw, "hours")
        weekly: list[Ranges | None] = [None] * 7
        for key, value in spec.items():
            if key in WEEKDAY_KEYS and isinstance(value, str) and self.ok("brand", "hours", key):
                try:
                    weekly[WEEKDAY_KEYS.index(key)] = parse_ranges(value)
                except HoursError as exc:
                    self.error(spec.value_loc(key), f"hours {key}: {exc.message}", exc.hint)
        closed = list_at(raw, "closed")
        dated, yearly = [], []
        for index, item in enumerate(closed):
            if not isinstance(item, str) or not self.ok("brand", "closed", index):
                continue
            try:
                first, last = parse_closure(item)
            except HoursError as exc:
                self.error(closed.item_loc(index), f"closed: {exc.message}", exc.hint)
                continue
            if isinstance(first, date) and isinstance(last, date):
                dated.append((first, last))
            elif isinstance(first, tuple) and isinstance(last, tuple):
                yearly.append((first, last))
        return Hours(tuple(weekly), tuple(dated), tuple(yearly))

    def colour(self, raw: LocDict) -> str:
        """``brand.color``: the status site's link colour on a white page, so one too light to
        read there (below WCAG AA's 4.5:1) is a warning naming the shade the site uses instead."""
        from .contrast import AA_TEXT, PAGE, contrast, is_hex, readable

        colour = text_at(raw, "color", Brand.color)
        if "color" in raw and is_hex(colour) and contrast(colour, PAGE) < AA_TEXT:
            self.warning(raw.value_loc("color"),
                         f"brand colour {colour} has a contrast of {contrast(colour, PAGE):.1f}:1 on a white page, "
                         f"below WCAG AA's {AA_TEXT}:1 for its links",
                         f"the status site uses {readable(colour)} instead; choose that or a darker colour")
        return colour

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
        """The brand's voice guide. Without a voice: section there is none; one the schema found
        broken counts as declared, with the defaults in place of what it says (its problems are
        reported where they are written)."""
        spec = raw.get("voice")
        if not isinstance(spec, LocDict):
            return Voice(language=language)
        if not self.ok("brand", "voice"):
            return Voice(declared=True, language=language)

        phrases, limits, cues = mapping_at(spec, "phrases"), mapping_at(spec, "limits"), mapping_at(spec, "cues")
        links, words = mapping_at(spec, "links"), mapping_at(spec, "words")
        window, similarity = self.voice_repetition(mapping_at(spec, "repetition"))
        return Voice(
            declared=True, persona=text_at(spec, "persona"), tone=text_at(spec, "tone"),
            register=text_at(spec, "register"), language=text_at(spec, "language", language),
            words={str(k): v for k, v in words.items() if isinstance(v, str) or v is None},
            stock_phrases=texts_at(phrases, "stock"), blame_phrases=texts_at(phrases, "blame"),
            argumentative_phrases=texts_at(phrases, "argumentative"),
            limits=Limits(**{k: v for k, v in limits.items() if isinstance(v, int)}),
            acronyms=frozenset(a.upper() for a in texts_at(spec, "acronyms")),
            required=_required(mapping_at(spec, "required")), cues={k: texts_at(cues, k) for k in cues},
            window=window, similarity=similarity,
            hosts=frozenset(h.lower() for h in texts_at(links, "hosts")), utm=text_at(links, "utm", "campaign"),
            severities={k: v for k, v in mapping_at(spec, "rules").items() if isinstance(v, str)},
            line=spec.loc.line, col=spec.loc.col,
        )

    def voice_repetition(self, spec: LocDict) -> tuple[timedelta, float]:
        """How far back, and how alike, a post counts as a repeat: the guide's window and
        similarity where they are sound (a bad window is reported), else the defaults."""
        window = self.duration(spec, "window", "brand", "voice", "repetition") or Voice().window
        similarity = spec.get("similarity", Voice().similarity)
        return window, float(similarity) if isinstance(similarity, int | float) else Voice().similarity

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
            account = self.account(name, spec)
            if account is not None:
                out[name] = account
        return out

    def account(self, name: str, spec: object) -> Account | None:
        """One account of networks:, or None when it has no known type (the schema reports that,
        with a suggestion: the account's other fields mean nothing without it)."""
        if not isinstance(spec, LocDict) or not isinstance(spec.get("type"), str):
            return None
        kind = spec["type"]
        if kind not in NETWORK_TYPES:
            return None
        options = self.account_options(name, kind, spec)
        if "rate_limit" in spec and self.rate(spec, "rate_limit", "networks", name) is None:
            options.pop("rate_limit", None)  # reported where it is written; the engine never reads it
        return Account(name, kind, options, enabled=spec.get("enabled", True) is not False,
                       dry_run=spec.get("dry_run", False) is True)

    def account_options(self, name: str, kind: str, spec: LocDict) -> dict[str, Any]:
        """The fields an account passes to its network. One that belongs to another type of
        network is reported with the types it belongs to (a planner who copied an account and
        changed its type) and left out."""
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
        return options

    def check_range(self, container: LocDict, starts: When | None, ends: When | None) -> None:
        if starts and ends and sort_key(ends, end=True) < sort_key(starts):
            message = f"ends ({container['ends']}) is before starts ({container['starts']})"
            self.error(container.value_loc("ends"), message, "swap them or fix the date")

    def network_refs(self, container: LocDict, where: Where, networks: dict[str, Account]) -> tuple[str, ...]:
        return self.shared(self.references(container, "networks", networks, "network", *where,
                                           section="networks", hint=_network_type_hint))

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
                cid, title=text_at(spec, "title"),
                starts=starts, ends=ends, networks=self.network_refs(spec, ("campaigns", cid), networks),
                utm_campaign=text_at(spec, "utm_campaign", cid),
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
        seen: dict[str, int] = {}
        out = []
        for index, spec in enumerate(raw):
            if not isinstance(spec, LocDict):
                if self.ok("posts", index):
                    self.error(raw.item_loc(index), "each post must be a mapping with id:, kind: and text:")
                continue
            if isinstance(spec.get("id"), str) and not self.unique_id(
                    seen, spec, "post", "post ids must be unique and stable: they identify what was already published"):
                continue
            post = self.post(spec, ("posts", index), (brand, networks, campaigns, known_fields))
            if post is not None:
                out.append(post)
        return out

    def post(self, spec: LocDict, where: Where, context: PostContext) -> Post | None:
        """One post, built (or None, its problems reported); ``context``: what else its build reads
        of the file (:mod:`campaigns.recheck` reuses a post built before with the same)."""
        return PostBuilder(self, spec, where, *context).build()


PostContext = tuple[Brand | None, dict[str, Account], dict[str, Campaign], frozenset[str]]


def _bounds(tz: ZoneInfo, starts: When | None, ends: When | None,
            campaign: Campaign | None) -> tuple[datetime | None, datetime | None]:
    """The local times a post's occurrences fall between: its own starts/ends, narrowed by its
    campaign's (a post cannot run outside its campaign)."""
    lows = [w for w in (starts, campaign.starts if campaign else None) if w]
    highs = [w for w in (ends, campaign.ends if campaign else None) if w]
    not_before = max((local_bound(w, tz) for w in lows), default=None)
    until = min((local_bound(w, tz, end=True) for w in highs), default=None)
    return not_before, until


def _takers(name: str) -> str:
    takers = [t.title for t in NETWORK_TYPES.values() if name in t.post_fields]
    return f"only {', '.join(takers)} shows it" if takers else ""


def _plain(value: Any) -> Any:
    """A post field's YAML value as plain data (the model keeps no located containers)."""
    return {k: v for k, v in value.items()} if isinstance(value, dict) else value


class PostBuilder:
    def __init__(self, parent: CalendarBuilder, spec: LocDict, where: Where, brand: Brand | None,
                 networks: dict[str, Account], campaigns: dict[str, Campaign], known_fields: frozenset[str]):
        self.p, self.spec, self.where = parent, spec, where
        self.brand, self.networks, self.campaigns, self.known_fields = brand, networks, campaigns, known_fields
        self.failed = False
        self.wording: tuple[Template, ...] = ()

    def error(self, loc: Loc, message: str, hint: str = "", code: Code = Code.OTHER) -> None:
        self.failed = True
        self.p.error(loc, message, hint, code)

    @property
    def pid(self) -> str:
        value = self.spec.get("id")
        return value if isinstance(value, str) else "?"

    def build(self) -> Post | None:
        """The post, or None if anything in it is wrong: every part is checked all the same, so
        that each of its problems is reported in one run."""
        spec = self.spec
        campaign = self.campaign()
        names = self.network_names(campaign)
        tz = self.timezone()
        series = self.series(tz, campaign) if tz is not None else None
        texts = self.texts(names, campaign)
        options = self.options(names, texts or {})
        if texts is not None:
            self.check_all_lengths(texts, campaign, options)
        image = self.image(names)
        kind = _POST_KINDS.get(spec.get("kind"))
        if self.failed or series is None or texts is None or self.brand is None or kind is None:
            return None  # (a kind that is not one is reported by the schema)
        return Post(
            id=self.pid, kind=kind, networks=names, series=series, texts=texts,
            campaign=campaign.id if campaign else None,
            enabled=spec.get("enabled", True) is not False and (campaign is None or campaign.enabled),
            image=image, line=spec.loc.line, components=self.components(), wording=self.wording,
            options=options,
        )

    def network_names(self, campaign: Campaign | None) -> tuple[str, ...]:
        """The accounts the post goes to: its own networks:, else its campaign's. Having none is
        an error, unless its campaign is one that does not exist (reported already)."""
        spec = self.spec
        names = self.p.network_refs(spec, self.where, self.networks)
        if "networks" in spec:
            return names
        names = campaign.networks if campaign else ()
        if not names and not (campaign is None and "campaign" in spec):
            self.error(spec.loc, f"post {self.pid!r} has no networks",
                       "add networks: [...] to the post or to its campaign")
        return names

    def components(self) -> tuple[str, ...]:
        """The status components the post is about (shared: few lists repeat across posts)."""
        return self.p.shared(tuple(c for c in self.spec.get("components") or () if isinstance(c, str)))

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
        if not self.has_one_time():
            return None
        not_before, until = _bounds(tz, starts, ends, campaign)
        if "at" in spec:
            if at is None:
                return None
            if exdates[0] or exdates[1]:
                self.error(spec.key_loc("exdates"), "exdates apply only to recurring posts (with rrule:)")
            return self.one_off(at, tz, not_before, until, campaign)
        return self.recurring(tz, starts, campaign, not_before, until, exdates)

    def has_one_time(self) -> bool:
        """Whether the post says when in exactly one way: at: (one-off) or rrule: (recurring);
        both, or neither, is reported."""
        spec = self.spec
        has_at, has_rule = "at" in spec, "rrule" in spec
        if has_at and has_rule:
            self.error(spec.key_loc("rrule"), "a post has either at: (one-off) or rrule: (recurring), not both")
            return False
        if not has_at and not has_rule:
            self.error(spec.loc, f"post {self.pid!r} has no time",
                       "add at: 2026-12-01T10:00 for a one-off post, or rrule: for a recurring one")
            return False
        return True

    def exdates(self) -> tuple[frozenset[date], frozenset[datetime]]:
        raw = self.spec.get("exdates")
        days: set[date] = set()
        times: set[datetime] = set()
        if not isinstance(raw, LocList):
            return _NO_DAYS, _NO_TIMES
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
            elif (exact := when.exact()) is not None:
                times.add(exact.astimezone(self.timezone() or UTC).replace(tzinfo=None))
            else:
                times.add(when.naive())
        return frozenset(days) if days else _NO_DAYS, frozenset(times) if times else _NO_TIMES

    def one_off(self, at: When, tz: ZoneInfo, not_before: datetime | None, until: datetime | None,
                campaign: Campaign | None) -> Series | None:
        loc = self.spec.value_loc("at")
        if at.is_date:
            self.error(loc, f"at: {self.spec['at']} has no time of day", f"write e.g. {at.date.isoformat()}T09:00")
            return None
        instant = at.exact()
        if instant is not None:
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
        dtstart = local_bound(anchor, tz)
        try:
            rule = parse_rule(text, dtstart, tz, has_time=not anchor.is_date)
        except RuleError as exc:
            self.error(loc, exc.message, exc.hint)
            return None
        met = dst_meetings(rule, tz)
        if "within" in met:
            self.p.warning(loc, f"a rule repeating within the day meets the DST changes of {tz.key}",
                           "times the clocks skip go out an hour later; repeated times go out once, at the first")
        if "gap" in met:
            self.p.warning(loc, f"{met['gap']} does not exist in {tz.key} on the day DST starts",
                           "that occurrence goes out at the same instant an hour later by the "
                           "clock, as RFC 5545 says; pick another time to avoid it")
        if "fold" in met:
            self.p.warning(loc, f"{met['fold']} happens twice in {tz.key} on the day DST ends",
                           "Herald posts once, at the first of the two, as RFC 5545 says")
        return Series(tz=tz, dtstart=dtstart, rule=rule.rule, rule_text=rule.text, shape=rule.shape,
                      not_before=not_before, until=until, ex_days=exdates[0], ex_times=exdates[1])

    # -- what ----------------------------------------------------------------------
    def templates(self, container: LocDict, where: Where) -> tuple[Template, ...] | None:
        """The wording of ``container`` (the post, or its wording for one network), compiled:
        None when it gives both text: and variants: (reported), () when it gives neither."""
        has_text, has_variants = "text" in container, "variants" in container
        if has_text and has_variants:
            self.error(container.key_loc("variants"), "give either text: or variants:, not both")
            return None
        items: list[tuple[str, Loc, Where]] = []
        if has_text and isinstance(container["text"], str):
            items = [(container["text"], container.value_loc("text"), (*where, "text"))]
        elif has_variants and isinstance(container["variants"], LocList):
            items = self.variants(container["variants"], where)
        elif not has_text and not has_variants:
            return ()
        return self.compiled(items)

    def variants(self, variants: LocList, where: Where) -> list[tuple[str, Loc, Where]]:
        """The variants to compile; one that repeats an earlier one (spaces aside) is reported,
        since variants exist so that consecutive posts differ."""
        items = [(v, variants.item_loc(i), (*where, "variants", i)) for i, v in enumerate(variants)
                 if isinstance(v, str)]
        seen: dict[str, int] = {}
        for i, v in enumerate(variants):
            if isinstance(v, str):
                if v.strip() in seen:
                    self.error(variants.item_loc(i), f"variant {i + 1} repeats variant {seen[v.strip()] + 1}",
                               "variants exist so that consecutive posts differ")
                seen.setdefault(v.strip(), i)
        return items

    def compiled(self, items: list[tuple[str, Loc, Where]]) -> tuple[Template, ...]:
        """The templates of ``items`` that compile; each that does not is reported where it is
        written (one the schema already found wrong is skipped, not reported twice)."""
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
        """The wording for each network the post goes to, checked for its length there: the
        network's own per_network wording, else its type's, else the post's; a network switched
        off in per_network gets none."""
        base = self.templates(self.spec, self.where)
        overrides, disabled = self.per_network(names)
        if base is None:
            return None
        self.wording = base
        texts: dict[str, tuple[Template, ...]] = {}
        for name in names:
            account = self.networks[name]
            if name in disabled or account.type in disabled:
                continue
            chosen = overrides.get(name) or overrides.get(account.type) or base
            if not chosen:
                self.no_text(name)
                continue
            texts[name] = chosen
        return texts

    def check_all_lengths(self, texts: dict[str, tuple[Template, ...]], campaign: Campaign | None,
                          options: dict[str, dict[str, Any]]) -> None:
        for name, chosen in texts.items():
            self.check_lengths(name, chosen, campaign, options.get(name, {}).get("content_warning", ""))

    def options(self, names: tuple[str, ...], texts: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Each account's post fields (:data:`POST_FIELDS`): the post's own, then its network
        type's per_network ones, then its account's; each only where the network takes it. A
        per_network field for a network that does not take it is an error; a post's own field
        that none of its networks takes, a warning."""
        per = mapping_at(self.spec, "per_network")
        self.misplaced_fields(names, per)
        options: dict[str, dict[str, Any]] = {}
        for name in texts:
            account = self.networks[name]
            layers = [layer for layer in (self.spec, per.get(account.type), per.get(name)) if isinstance(layer, dict)]
            chosen = {f: _plain(layer[f]) for layer in layers for f in account.rules.post_fields if f in layer}
            if chosen:
                options[name] = chosen
        for found in (f for f in POST_FIELDS if f in self.spec):
            if not any(found in self.networks[n].rules.post_fields for n in names if n in self.networks):
                self.p.warning(self.spec.key_loc(found), f"{found} of post {self.pid!r} goes nowhere: "
                               "none of its networks shows it", _takers(found))
        return options

    def misplaced_fields(self, names: tuple[str, ...], per: LocDict) -> None:
        """A per_network post field its network (an account, or a type) does not take, reported."""
        for key, value in per.items():
            rules = self.networks[key].rules if key in self.networks else next(
                (self.networks[n].rules for n in names if self.networks[n].type == key), None)
            if rules is None or not isinstance(value, LocDict):
                continue  # (not one of its networks: reported by per_network)
            for found in (f for f in POST_FIELDS if f in value and f not in rules.post_fields):
                self.error(value.key_loc(found), f"{found} is not something {rules.title} shows", _takers(found))

    def per_network(self, names: tuple[str, ...]) -> tuple[dict[str, tuple[Template, ...]], set[str]]:
        """The per_network wording (by account or network type) and the accounts or types it
        switches off; a key that is neither one of the post's accounts nor their type is
        reported, with a suggestion."""
        per = mapping_at(self.spec, "per_network")
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
        return overrides, disabled

    def no_text(self, name: str) -> None:
        """A network left without wording. Reported only when nothing else explains it: not when
        the schema found the post broken, nor when its text:/variants: are there (their own
        problems were reported)."""
        spec = self.spec
        structural = any(bad[: len(self.where)] == self.where for bad in self.p.bad)
        if not structural and "text" not in spec and "variants" not in spec:
            self.error(spec.loc, f"post {self.pid!r} has no text for {name}",
                       "add text: or variants: (or per_network wording for every network)")

    def check_lengths(self, name: str, templates: tuple[Template, ...], campaign: Campaign | None,
                      warning: str = "") -> None:
        account = self.networks[name]
        limit = account.rules.limit
        if limit is None or self.brand is None:
            return
        values = self.p.longest_values(self.brand)
        for number, template in enumerate(templates, 1):
            text = finish(template.render(values), self.brand, campaign, account)
            over = limit.overflow(text, warning if isinstance(warning, str) else "")
            if over:
                which = f"variant {number}" if len(templates) > 1 else "text"
                which += " with its content warning" if warning else ""
                worst = " at its longest" if any(f in OCCURRENCE_FIELDS for f in template.fields) else ""
                report = self.p.warning if self.p.draft else self.error
                report(self.spec.loc, f"post {self.pid!r} is too long for {name} ({account.rules.title}): "
                       f"{which} is {over}{worst}", "shorten it, or give per_network wording for it", Code.TOO_LONG)

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
