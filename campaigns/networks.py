"""Every kind of network as one record (:class:`NetworkType`), and the registry of them.

A network type is pure data: its name, length rules, calendar fields and their schema,
the credentials it needs, what it can do (threads, images, edits, safe re-sends) and its
publisher class as a ``"module:Class"`` reference that :mod:`scheduler.networks` imports
only when an account of that type is built (the SDKs stay out of every other start).
Validation, rendering, the JSON Schema, the credentials, the publishers and the contract
tests all read :data:`NETWORK_TYPES`: the built-in records of :data:`BUILTIN_NETWORKS`,
then those other packages declare through the ``herald.networks`` entry point group.
Lengths follow each network's own counting:

- X: weighted characters and every link as 23 (the twitter-text v3 rules of the
  ``twitter-text-parser`` package, which passes the official conformance suite;
  :mod:`campaigns.xlength` computes the same numbers faster);
- Mastodon: 500 grapheme clusters, each link counted as 23 (Mastodon's
  ``StatusLengthValidator``);
- Bluesky: 300 grapheme clusters and at most 3,000 UTF-8 bytes (``app.bsky.feed.post``);
- the rest: Unicode characters, up to the network's documented limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from .extras import BLUESKY, MASTODON, Extra, X, missing
from .xlength import invalid_characters, upper_bound, weighted_length

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

URL_RE = re.compile(r"https?://[^\s<>\"'`]+[^\s<>\"'`.,;:!?)\]}]")
LINK_WEIGHT = 23  # X and Mastodon count every link as 23 characters, whatever its length
# The characters of one text the voice guide's per-text checks and the near-duplicate comparison read:
# half as much again as the longest text a network with a limit takes (Facebook's 63,206), so those
# are read whole; a longer text (a site's or a webhook's have no limit) is checked by its head, so that a
# post of megabytes costs what one of 100,000 characters does (its length is still measured whole).
TEXT_READ = 100_000


def graphemes(text: str) -> int:
    """User-perceived characters (extended grapheme clusters), as Bluesky and Mastodon count."""
    if text.isascii():
        return len(text) - text.count("\r\n")
    return len(_grapheme().findall(text))


@lru_cache(maxsize=1)
def _grapheme() -> Any:
    """The extended-grapheme-cluster pattern, made at the first text that is not plain ASCII:
    importing ``regex`` costs ``herald status`` (which counts no text) 20-30 ms."""
    import regex

    return regex.compile(r"\X")


@lru_cache(maxsize=16384)  # a year's plan measures the same few thousand texts hundreds of thousands of times
def _x_length(text: str) -> int:
    return weighted_length(text)[0]


def _x_invalid(text: str) -> str | None:
    """X refuses texts with characters twitter-text marks invalid (U+FFFE, U+FFFF, U+202A-E…)."""
    if not text or text.isascii():  # every character X refuses is outside ASCII
        return None
    invalid = invalid_characters()
    if invalid.search(text):
        bad = sorted({f"U+{ord(c):04X}" for c in invalid.findall(text)})
        return f"contains characters X rejects ({', '.join(bad)})"
    return None


@lru_cache(maxsize=16384)
def _mastodon_length(text: str) -> int:
    urls = URL_RE.findall(text)
    stripped = URL_RE.sub("", text)
    return graphemes(stripped) + LINK_WEIGHT * len(urls)


def _chars(text: str) -> int:
    return len(text)


@dataclass(frozen=True)
class Limit:
    """A length limit: the counter, the maximum, and the unit to name in messages."""

    maximum: int
    unit: str
    count: Callable[[str], int] = _chars
    max_bytes: int | None = None
    invalid: Callable[[str], str | None] | None = None  # text -> message, for content refused whatever its length
    bound: Callable[[str], int] | None = None  # cheap, never below count: a text it clears needs no count

    def measure(self, text: str, warning: str = "") -> int:
        """``text``'s length; with a content ``warning`` (Mastodon's ``spoiler_text``), the two
        together, as Mastodon counts them: the warning's graphemes, its links at their length."""
        return self.count(text) + (graphemes(warning) if warning else 0)

    def overflow(self, text: str, warning: str = "") -> str | None:
        """None if ``text`` (and its content ``warning``, which counts toward the same limit)
        fits; else what is wrong, e.g. '312/280 characters (32 over)', '1,312/500 characters (812 over)'."""
        if self.invalid is not None:
            refused = self.invalid(text)
            if refused:
                return refused
        extra = graphemes(warning) if warning else 0
        used = self.bound(text) + extra if self.bound is not None else self.maximum + 1
        if used > self.maximum:
            used = self.count(text) + extra
        if used > self.maximum:
            return f"{used:,}/{self.maximum:,} {self.unit} ({used - self.maximum:,} over)"
        if self.max_bytes is not None:
            size = len(text.encode("utf-8"))
            if size > self.max_bytes:
                return f"{size:,}/{self.max_bytes:,} bytes ({size - self.max_bytes:,} over)"
        return None



_STR = {"type": "string", "minLength": 1}
_LINE = {"type": "string", "minLength": 1, "pattern": r"^[^\n\r\u2028\u2029]*$", "x-hint": "one line of text"}
CONTENT_WARNING = "content_warning"
LINK_CARD = "link_card"
# A post's own keys that only some networks take (a type lists those it takes in ``post_fields``).
POST_FIELDS: dict[str, dict[str, Any]] = {
    CONTENT_WARNING: {**_LINE, "maxLength": 500,
                      "description": "Mastodon: shown instead of the text until the reader opens it "
                                     "(spoiler_text); it counts toward the 500 characters"},
    LINK_CARD: {"type": "object", "additionalProperties": False, "required": ["title"],
                "properties": {"title": {**_LINE, "maxLength": 300}, "description": {"type": "string",
                                                                                   "maxLength": 1000}},
                "description": "Bluesky: the link card's title and description for the text's first link "
                               "(else read from the linked page when the post is sent)"},
}
_URL = {"type": "string", "pattern": r"^https?://\S+$"}
_ENV = {"type": "string", "pattern": r"^[A-Z_][A-Z0-9_]*$"}
_ID = {**_STR, "examples": ["1234567890"]}
_HANDLE = {**_STR, "examples": ["acme.example"]}

# Keys every network account may have, whatever its type (``type`` itself is in the schema).
COMMON_NETWORK_FIELDS: dict[str, dict[str, Any]] = {
    "enabled": {"type": "boolean", "description": "false: keep the account but publish nothing to it"},
    "dry_run": {"type": "boolean", "description": "render and validate, never send"},
    "env_prefix": {**_ENV, "description": "prefix of the environment variables holding its credentials"},
    "secrets_file": {**_STR, "description": "a file outside the repository holding its credentials"},
    "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 120,
                "description": "seconds to wait for the network's answer (default 10)"},
    "rate_limit": {"type": "string", "pattern": r"^\d+\s*/\s*(second|minute|hour|day)$",
                   "x-hint": "e.g. 30/hour: at most that many posts in any such period",
                   "description": "at most N posts per period, enforced before sending"},
}

ENTRY_POINT_GROUP = "herald.networks"
_TYPE_NAME = re.compile(r"[a-z][a-z0-9_]{0,49}")
_REFERENCE = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
_SECRET_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
IMAGE_SOURCES = ("url", "path")


class Resend(StrEnum):
    """What makes sending a post again safe after an ambiguous failure (a timeout after the
    request left): the engine re-sends only when something does, and asks a person otherwise."""

    KEY = "key"  # the network keeps the publication key (an idempotency key): a second send is the same post
    LOOKUP = "lookup"  # the publisher's ``find_recent`` asks the network whether it already has the post
    NEVER = "never"  # neither: after an ambiguous failure nothing is re-sent


class BuiltinType(StrEnum):
    """The built-in network types' names (the calendar's ``type:``), for code that names one.
    Other packages add types of their own (entry points), so an account's ``type`` stays a
    ``str``; a member compares equal to its name."""

    SITE = "site"
    WEBHOOK = "webhook"
    X = "x"
    MASTODON = "mastodon"
    BLUESKY = "bluesky"
    THREADS = "threads"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    LINKEDIN = "linkedin"
    PINTEREST = "pinterest"
    SLACK = "slack"
    DISCORD = "discord"
    TEAMS = "teams"
    TELEGRAM = "telegram"


def _plain(name: str) -> str:
    """A built-in's :class:`BuiltinType` as its plain name: the registry's keys, which messages
    quote (``'x'``, not the member's repr)."""
    return name.value if isinstance(name, BuiltinType) else name


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class NetworkType:
    """One kind of network, as data: what validation, the schema, the credentials, the engine
    and the review room need to know about it, and where its publisher is.

    Declared once: the built-ins in :data:`BUILTIN_NETWORKS`, another package's as the object
    its ``herald.networks`` entry point names.  Compared by identity: a registry holds each once.

    :raises ValueError: at construction, naming what is inconsistent
    """

    name: str  # the calendar's ``type:``; also the default utm_source
    title: str  # for people: "Microsoft Teams"
    publisher: str  # "module:Class" of its Publisher, imported only when an account of this type is built
    limit: Limit | None = None  # None: any length
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # its own account keys -> their JSON Schema
    required: tuple[str, ...] = ()  # of ``fields``; give each an ``examples`` value (the contract tests use it)
    secrets: tuple[str, ...] = ()  # credential names it needs: HERALD_<ACCOUNT>_<NAME> or its secrets_file
    optional_secrets: tuple[str, ...] = ()  # read when present (e.g. what refreshes an expiring token)
    threads: bool = False  # later updates reply under the first post (else a new post links back to it)
    images: tuple[str, ...] = ()  # where it takes a post's image from: "url", "path"; () text only
    image_required: bool = False  # every post needs an image (so status announcements leave it out)
    edits: bool = False  # sending a publication again replaces the earlier copy instead of adding one
    resend: Resend = Resend.NEVER
    local: bool = False  # Herald's own channel or the operator's endpoint: built even for a dry-run account
    internal: bool = False  # the team's own chat (on-call reads it, customers do not): a draft may go there
    refuses_duplicates: bool = False  # the network refuses a post identical to a recent one (lint says so)
    post_fields: tuple[str, ...] = ()  # the posts' keys of POST_FIELDS it takes (content_warning, link_card)
    extra: Extra | None = None  # the part of the install its publisher's SDK comes with (None: the core's)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _plain(self.name))

        def refuse(why: str) -> None:
            raise ValueError(f"network type {self.name!r}: {why}")

        if not _TYPE_NAME.fullmatch(self.name):
            refuse("a name is lower-case letters, digits and '_', starting with a letter")
        if not _REFERENCE.fullmatch(self.publisher):
            refuse(f"publisher {self.publisher!r} is not a 'module:Class' reference")
        if clash := sorted((set(self.fields) | set(self.required)) & {"type", *COMMON_NETWORK_FIELDS}):
            refuse(f"{', '.join(clash)} are keys of every account; name its own fields otherwise")
        if missing := [key for key in self.required if key not in self.fields]:
            refuse(f"required {', '.join(missing)} not among its fields")
        if bad := [s for s in (*self.secrets, *self.optional_secrets) if not _SECRET_NAME.fullmatch(s)]:
            refuse(f"credential names are upper-case letters, digits and '_': {', '.join(bad)}")
        if wrong := _capability_problem(self):
            refuse(wrong)
        object.__setattr__(self, "resend", Resend(self.resend))

    @property
    def safe_to_resend(self) -> bool:
        """What its publisher's ``safe_to_resend`` must say (checked when the class is imported)."""
        return self.resend is not Resend.NEVER


def _capability_problem(record: NetworkType) -> str:
    """What is inconsistent in what a type says it takes (images, post fields); "" if nothing."""
    if bad := [s for s in record.images if s not in IMAGE_SOURCES]:
        return f"images come from {' or '.join(IMAGE_SOURCES)}, not {', '.join(bad)}"
    if record.image_required and not record.images:
        return "image_required, but it takes no images"
    if bad := [f for f in record.post_fields if f not in POST_FIELDS]:
        return f"post fields are among {', '.join(POST_FIELDS)}, not {', '.join(bad)}"
    return ""


# The built-in networks, in the order people see them; adding one is adding a record here.
BUILTIN_NETWORKS: tuple[NetworkType, ...] = (
    NetworkType(name=BuiltinType.SITE, title="Status page", publisher="scheduler.networks.site:SitePublisher",
                fields={"title": _STR, "path": _STR, "base_url": _URL},
                threads=True, images=("url",), edits=True, resend=Resend.KEY, local=True),
    NetworkType(name=BuiltinType.WEBHOOK, title="Webhook", publisher="scheduler.networks.webhook:WebhookPublisher",
                fields={"url": {**_URL, "examples": ["https://hooks.acme.example/herald"]},
                        "secret_env": _ENV, "lookup_url": _URL},
                required=("url",), images=IMAGE_SOURCES, resend=Resend.KEY, local=True, internal=True),
    NetworkType(name=BuiltinType.X, title="X", publisher="scheduler.networks.x:XPublisher", extra=X,
                limit=Limit(280, "weighted characters", _x_length, invalid=_x_invalid, bound=upper_bound),
                fields={"handle": _HANDLE},
                secrets=("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET"),
                threads=True, images=("path",), resend=Resend.LOOKUP, refuses_duplicates=True),
    NetworkType(name=BuiltinType.MASTODON, title="Mastodon", publisher="scheduler.networks.mastodon:MastodonPublisher",
                extra=MASTODON, limit=Limit(500, "characters", _mastodon_length),
                fields={"instance": {**_URL, "examples": ["https://mastodon.social"]}, "handle": _HANDLE,
                        "visibility": {"enum": ["public", "unlisted", "private", "direct"]}},
                required=("instance",), secrets=("ACCESS_TOKEN",),
                threads=True, images=("path",), resend=Resend.KEY, post_fields=(CONTENT_WARNING,)),
    NetworkType(name=BuiltinType.BLUESKY, title="Bluesky", publisher="scheduler.networks.bluesky:BlueskyPublisher",
                extra=BLUESKY, limit=Limit(300, "graphemes", graphemes, max_bytes=3000),
                fields={"handle": _HANDLE, "service": _URL},
                required=("handle",), secrets=("APP_PASSWORD",),
                threads=True, images=IMAGE_SOURCES, resend=Resend.LOOKUP, post_fields=(LINK_CARD,)),
    NetworkType(name=BuiltinType.THREADS, title="Threads", publisher="scheduler.networks.threads:ThreadsPublisher",
                limit=Limit(500, "characters"), fields={"user_id": _ID}, secrets=("ACCESS_TOKEN",),
                threads=True, images=("url",), resend=Resend.LOOKUP),
    NetworkType(name=BuiltinType.FACEBOOK, title="Facebook", publisher="scheduler.networks.facebook:FacebookPublisher",
                limit=Limit(63206, "characters"), fields={"page_id": _ID}, required=("page_id",),
                secrets=("PAGE_ACCESS_TOKEN",), threads=True, images=("url",), resend=Resend.LOOKUP),
    NetworkType(name=BuiltinType.INSTAGRAM, title="Instagram",
                publisher="scheduler.networks.instagram:InstagramPublisher",
                limit=Limit(2200, "characters"), fields={"user_id": _ID}, required=("user_id",),
                secrets=("ACCESS_TOKEN",), threads=True, images=("url",), image_required=True,
                resend=Resend.LOOKUP),
    NetworkType(name=BuiltinType.LINKEDIN, title="LinkedIn", publisher="scheduler.networks.linkedin:LinkedInPublisher",
                limit=Limit(3000, "characters"),
                fields={"author": {"type": "string", "pattern": r"^urn:li:(person|organization):\S+$",
                                   "examples": ["urn:li:organization:1234567"]},
                        "version": {"type": "string", "pattern": r"^\d{6}$",
                                    "description": "LinkedIn-Version header, e.g. 202411"}},
                required=("author",), secrets=("ACCESS_TOKEN",),
                optional_secrets=("REFRESH_TOKEN", "CLIENT_ID", "CLIENT_SECRET"),  # all three: it refreshes its token
                images=IMAGE_SOURCES, resend=Resend.LOOKUP),
    NetworkType(name=BuiltinType.PINTEREST, title="Pinterest",
                publisher="scheduler.networks.pinterest:PinterestPublisher",
                limit=Limit(500, "characters"), fields={"board_id": _ID}, required=("board_id",),
                secrets=("ACCESS_TOKEN",), optional_secrets=("REFRESH_TOKEN", "CLIENT_ID", "CLIENT_SECRET"),
                images=("url",), image_required=True, resend=Resend.LOOKUP),
    NetworkType(name=BuiltinType.SLACK, title="Slack", publisher="scheduler.networks.slack:SlackPublisher",
                limit=Limit(40000, "characters"), secrets=("WEBHOOK_URL",), internal=True),
    NetworkType(name=BuiltinType.DISCORD, title="Discord", publisher="scheduler.networks.discord:DiscordPublisher",
                limit=Limit(2000, "characters"), secrets=("WEBHOOK_URL",), threads=True, images=IMAGE_SOURCES,
                internal=True),
    NetworkType(name=BuiltinType.TEAMS, title="Microsoft Teams", publisher="scheduler.networks.teams:TeamsPublisher",
                limit=Limit(28000, "characters"), secrets=("WEBHOOK_URL",), internal=True),
    NetworkType(name=BuiltinType.TELEGRAM, title="Telegram", publisher="scheduler.networks.telegram:TelegramPublisher",
                limit=Limit(4096, "characters"), fields={"chat_id": {**_STR, "examples": ["-1001234567890"]}},
                required=("chat_id",), secrets=("BOT_TOKEN",), threads=True, images=IMAGE_SOURCES, internal=True),
)


class _Account(Protocol):
    """What :func:`require_extras` reads of a :class:`campaigns.model.Account` (which imports this module)."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def enabled(self) -> bool: ...
    @property
    def dry_run(self) -> bool: ...


def require_extras(accounts: Iterable[_Account]) -> None:
    """Every extra the accounts that will send (enabled, not dry-run) need is installed.

    :raises MissingExtra: one line naming those accounts, their extras and the pip command
    """
    lacking: dict[Extra, list[str]] = {}
    for account in accounts:
        record = NETWORK_TYPES.get(account.type)
        if record is None or record.extra is None or not account.enabled or account.dry_run:
            continue  # an unknown type is validation's to report; a stand-in needs no SDK
        if not record.extra.installed():
            lacking.setdefault(record.extra, []).append(f"{account.name!r} ({record.title})")
    if lacking:
        names = [name for accounts_of in lacking.values() for name in accounts_of]
        raise missing(("network " if len(names) == 1 else "networks ") + ", ".join(names), list(lacking))


class Registry(Mapping[str, NetworkType]):
    """The network types by name: the built-ins, then the other packages' (entry points).

    Another package's types are read the first time one is asked for that is not built in,
    or the whole list is (the schema's ``type`` enum): importing only their records, never
    their publishers.  An entry point that cannot be loaded, is not a :class:`NetworkType`, or
    clashes with a built-in, another package's type or another type's field of the same name
    is left out with one line in :attr:`problems`; the built-ins are never affected.
    """

    def __init__(self, builtins: Iterable[NetworkType], group: str = ENTRY_POINT_GROUP):
        self.builtins: dict[str, NetworkType] = {t.name: t for t in builtins}
        self.group = group
        self._problems: tuple[str, ...] = ()
        self._all: dict[str, NetworkType] | None = None

    def __getitem__(self, name: str) -> NetworkType:
        found = self.builtins.get(name)
        return found if found is not None else self._loaded()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())

    @property
    def problems(self) -> tuple[str, ...]:
        """One line per entry point that was left out, and why."""
        self._loaded()
        return self._problems

    def _loaded(self) -> dict[str, NetworkType]:
        if self._all is None:  # two threads may both read the entry points: the result is the same
            plugins, problems = _plugins(self.group, self.builtins)
            self._problems = tuple(problems)
            self._all = {**self.builtins, **plugins}
        return self._all


def _plugins(group: str, builtins: Mapping[str, NetworkType]) -> tuple[dict[str, NetworkType], list[str]]:
    """The types other packages declare in ``group``, and a line for each one refused."""
    from importlib.metadata import entry_points

    problems: list[str] = []
    try:
        declared = sorted(entry_points(group=group), key=lambda ep: (ep.name, ep.value))
    except Exception as exc:  # a malformed entry_points.txt of some package: the built-ins still work
        return {}, [f"the {group} entry points cannot be read: {_one_line(exc)}"]
    loaded: dict[str, list[tuple[str, NetworkType]]] = {}
    for ep in declared:
        where = _origin(ep)
        try:
            record = ep.load()
        except Exception as exc:  # whatever the plugin's import raises, reported in one line
            problems.append(f"network plugin {where} cannot be loaded: {_one_line(exc)}")
            continue
        if not isinstance(record, NetworkType):
            problems.append(f"network plugin {where} is a {type(record).__name__}, not a NetworkType "
                            "(campaigns.networks)")
        elif record.name != ep.name:
            problems.append(f"network plugin {where} declares type {record.name!r}: name the entry point the same")
        elif ep.name in builtins:
            problems.append(f"network plugin {where} is refused: {ep.name!r} is a built-in network type")
        else:
            loaded.setdefault(ep.name, []).append((where, record))
    accepted: dict[str, NetworkType] = {}
    for name, found in loaded.items():
        if len(found) > 1:
            problems.append(f"network plugins {' and '.join(sorted(w for w, _ in found))} both declare {name!r}: "
                            "neither is loaded; keep one installed")
            continue
        where, record = found[0]
        clash = _field_clash(record, [*builtins.values(), *accepted.values()])
        if clash:
            problems.append(f"network plugin {where} is refused: {clash}")
        else:
            accepted[name] = record
    return accepted, problems


def _field_clash(record: NetworkType, others: Iterable[NetworkType]) -> str:
    """Every type's fields share the account's schema: a field name means one thing."""
    for other in others:
        for key, schema in record.fields.items():
            if key in other.fields and other.fields[key] != schema:
                return f"its field {key!r} is also {other.name}'s, with another schema; name it otherwise"
    return ""


def _origin(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return f"{ep.name!r} ({ep.value}" + (f", from {dist.name} {dist.version})" if dist is not None else ")")


def _one_line(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())


NETWORK_TYPES = Registry(BUILTIN_NETWORKS)
