"""The content model: immutable values built once by :mod:`campaigns.calendar`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule

from .days import Hours
from .expansion import Shape
from .networks import NETWORK_TYPES, NetworkType
from .templates import Template

if TYPE_CHECKING:
    from .subscribers import SubscriberSettings
from .timeparse import When, zone
from .voice import Voice


class Kind(StrEnum):
    """What a publication is: a calendar post's kind, or a status announcement's.

    A ``str``: it compares equal to, formats as, and is stored as its value (``"tip"``)."""

    TIP = "tip"
    REMINDER = "reminder"
    ANNOUNCEMENT = "announcement"
    TRACKING = "tracking"
    INCIDENT = "incident"
    MAINTENANCE = "maintenance"


class OnResume(StrEnum):
    """What ``herald resume`` does with the posts a pause held (``engine.on_resume``)."""

    RELEASE = "release"  # send those still within their kind's catch-up window
    SKIP = "skip"  # send none of them


POST_KINDS = (Kind.TIP, Kind.REMINDER, Kind.ANNOUNCEMENT, Kind.TRACKING)  # what a calendar post can be
STATUS_KINDS = frozenset({Kind.INCIDENT, Kind.MAINTENANCE})  # what the status file announces


@dataclass(frozen=True)
class Brand:
    name: str
    timezone: str
    links: dict[str, str] = field(default_factory=dict)
    hosts: frozenset[str] = frozenset()  # hosts whose links get UTM tags
    language: str = "en"
    utm_source: str = ""  # empty: the network's type
    utm_medium: str = "social"
    status_templates: dict[str, str] = field(default_factory=dict)  # state[.impact] -> template
    status_template_locs: dict[str, tuple[int, int]] = field(default_factory=dict)  # where each was written
    events: dict[str, str] = field(default_factory=dict)  # name -> YYYY-MM-DD, or MM-DD (every year)
    voice: Voice = field(default_factory=Voice)
    hours: Hours = field(default_factory=Hours)  # opening hours and closures (brand.hours, brand.closed)
    logo: str = ""  # an image file, relative to the calendar, served by the status site itself
    color: str = "#0b5fff"  # the status site's accent colour

    @property
    def tz(self) -> ZoneInfo:
        return zone(self.timezone)


@dataclass(frozen=True)
class Account:
    """A named network account from the calendar's ``networks:`` section (never its secrets)."""

    name: str
    type: str
    options: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    dry_run: bool = False

    @property
    def rules(self) -> NetworkType:
        return NETWORK_TYPES[self.type]


@dataclass(frozen=True)
class Campaign:
    id: str
    title: str = ""
    starts: When | None = None
    ends: When | None = None
    networks: tuple[str, ...] = ()
    utm_campaign: str = ""
    enabled: bool = True


@dataclass(frozen=True)
class Series:
    """When a post goes out: a one-off instant, or an RFC 5545 rule from a local start.

    Bounds are wall-clock times in ``tz`` (naive); ``until`` is inclusive.
    """

    tz: ZoneInfo
    dtstart: datetime  # naive local; for a one-off, the local time written
    rule: rrule | None = field(default=None, compare=False)
    rule_text: str = ""
    instant: datetime | None = None  # one-off with an explicit offset: exactly this instant
    not_before: datetime | None = None
    until: datetime | None = None
    ex_days: frozenset[date] = frozenset()
    ex_times: frozenset[datetime] = frozenset()
    shape: Shape | None = field(default=None, compare=False)  # the rule's parts, as the plan expands them


@dataclass(frozen=True)
class Post:
    id: str
    kind: Kind
    networks: tuple[str, ...]
    series: Series
    texts: dict[str, tuple[Template, ...]]  # account name -> its variants, in order
    campaign: str | None = None
    enabled: bool = True
    image: dict[str, str] | None = None
    line: int = 0
    components: tuple[str, ...] = ()  # status components this post is about (held during their incidents)
    wording: tuple[Template, ...] = ()  # its own text:/variants:, per_network wording aside (the review room's
    # "main text", which it compares each network's version with); () when only per_network gives wording
    options: dict[str, dict[str, Any]] = field(default_factory=dict)  # account name -> the post fields its
    # network takes (campaigns.networks.POST_FIELDS: content_warning, link_card), per_network's over the post's

    def option(self, account: str, name: str) -> Any:
        """The value of post field ``name`` on ``account`` (None when it has none there)."""
        return self.options.get(account, {}).get(name)

    @property
    def recurring(self) -> bool:
        return self.series.rule is not None

    @property
    def source(self) -> str:
        return f"post:{self.id}"


DEFAULT_CATCH_UP: dict[str, timedelta] = {  # how late a post may still go out after downtime; older ones are skipped
    Kind.TIP: timedelta(hours=1),
    Kind.REMINDER: timedelta(minutes=30),
    Kind.ANNOUNCEMENT: timedelta(hours=6),
    Kind.TRACKING: timedelta(hours=2),
    Kind.INCIDENT: timedelta(hours=6),
    Kind.MAINTENANCE: timedelta(minutes=30),
    "default": timedelta(hours=1),
}


@dataclass(frozen=True)
class EnginePolicy:
    catch_up: dict[str, timedelta] = field(default_factory=lambda: dict(DEFAULT_CATCH_UP))
    on_resume: OnResume = OnResume.RELEASE
    max_attempts: int = 8
    hold_during_incidents: tuple[Kind, ...] = (Kind.TIP, Kind.ANNOUNCEMENT)  # held while a major incident is open
    serve: str = ""  # HOST:PORT: `herald run` also serves the status site there; empty: it does not
    subscribers: SubscriberSettings | None = None  # email and webhook subscribers (campaigns.subscribers)

    def grace(self, kind: str) -> timedelta:
        return self.catch_up.get(kind, self.catch_up["default"])

    @property
    def longest_grace(self) -> timedelta:
        return max(self.catch_up.values())


@dataclass(frozen=True)
class Calendar:
    path: str
    brand: Brand
    networks: dict[str, Account]
    campaigns: dict[str, Campaign]
    posts: tuple[Post, ...]
    engine: EnginePolicy = field(default_factory=EnginePolicy)

    def post(self, post_id: str) -> Post | None:
        return self._posts_by_id.get(post_id)

    @cached_property
    def _posts_by_id(self) -> dict[str, Post]:
        """Built on first use: the engine looks posts up on every publication."""
        return {p.id: p for p in self.posts}
