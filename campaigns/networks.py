"""What each kind of network accepts: its length rules and its configuration fields.

One table, read by validation, rendering, the JSON Schema and the publishers, so the
rules are written down once.  Lengths follow each network's own counting:

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
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import regex

from .xlength import invalid_characters, upper_bound, weighted_length

URL_RE = re.compile(r"https?://[^\s<>\"'`]+[^\s<>\"'`.,;:!?)\]}]")
_GRAPHEME = regex.compile(r"\X")
LINK_WEIGHT = 23  # X and Mastodon count every link as 23 characters, whatever its length


def graphemes(text: str) -> int:
    """User-perceived characters (extended grapheme clusters), as Bluesky and Mastodon count."""
    if text.isascii():
        return len(text) - text.count("\r\n")
    return len(_GRAPHEME.findall(text))


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

    def measure(self, text: str) -> int:
        return self.count(text)

    def overflow(self, text: str) -> str | None:
        """None if ``text`` fits; else what is wrong, e.g. '312/280 characters (32 over)'."""
        if self.invalid is not None:
            refused = self.invalid(text)
            if refused:
                return refused
        used = self.bound(text) if self.bound is not None else self.maximum + 1
        if used > self.maximum:
            used = self.count(text)
        if used > self.maximum:
            return f"{used}/{self.maximum} {self.unit} ({used - self.maximum} over)"
        if self.max_bytes is not None:
            size = len(text.encode("utf-8"))
            if size > self.max_bytes:
                return f"{size}/{self.max_bytes} bytes ({size - self.max_bytes} over)"
        return None


_STR = {"type": "string", "minLength": 1}
_URL = {"type": "string", "pattern": r"^https?://\S+$"}
_ENV = {"type": "string", "pattern": r"^[A-Z_][A-Z0-9_]*$"}


@dataclass(frozen=True)
class NetworkType:
    name: str
    title: str
    limit: Limit | None
    threads: bool = False  # later updates can reply under a first post (else they link back to it)
    image_required: bool = False
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # JSON Schema of type-specific keys
    required: tuple[str, ...] = ()


NETWORK_TYPES: dict[str, NetworkType] = {
    t.name: t
    for t in [
        NetworkType("site", "Status page", None, threads=True,
                    fields={"title": _STR, "path": _STR, "base_url": _URL}),
        NetworkType("webhook", "Webhook", None,
                    fields={"url": _URL, "secret_env": _ENV, "lookup_url": _URL},
                    required=("url",)),
        NetworkType("x", "X", Limit(280, "weighted characters", _x_length, invalid=_x_invalid,
                                                  bound=upper_bound), threads=True,
                    fields={"handle": _STR}),
        NetworkType("mastodon", "Mastodon", Limit(500, "characters", _mastodon_length), threads=True,
                    fields={"instance": _URL, "handle": _STR,
                            "visibility": {"enum": ["public", "unlisted", "private", "direct"]}},
                    required=("instance",)),
        NetworkType("bluesky", "Bluesky", Limit(300, "graphemes", graphemes, max_bytes=3000), threads=True,
                    fields={"handle": _STR, "service": _URL}, required=("handle",)),
        NetworkType("threads", "Threads", Limit(500, "characters"), threads=True,
                    fields={"user_id": _STR}),
        NetworkType("facebook", "Facebook", Limit(63206, "characters"), threads=True,
                    fields={"page_id": _STR}, required=("page_id",)),
        NetworkType("instagram", "Instagram", Limit(2200, "characters"), image_required=True, threads=True,
                    fields={"user_id": _STR}, required=("user_id",)),
        NetworkType("linkedin", "LinkedIn", Limit(3000, "characters"),
                    fields={"author": {"type": "string", "pattern": r"^urn:li:(person|organization):\S+$"},
                            "version": {"type": "string", "pattern": r"^\d{6}$",
                                        "description": "LinkedIn-Version header, e.g. 202411"}},
                    required=("author",)),
        NetworkType("pinterest", "Pinterest", Limit(500, "characters"), image_required=True,
                    fields={"board_id": _STR}, required=("board_id",)),
        NetworkType("slack", "Slack", Limit(40000, "characters")),
        NetworkType("discord", "Discord", Limit(2000, "characters"), threads=True),
        NetworkType("teams", "Microsoft Teams", Limit(28000, "characters")),
        NetworkType("telegram", "Telegram", Limit(4096, "characters"), threads=True,
                    fields={"chat_id": _STR}, required=("chat_id",)),
    ]
}

# Keys every network account may have, whatever its type.
COMMON_NETWORK_FIELDS: dict[str, dict[str, Any]] = {
    "type": {"enum": list(NETWORK_TYPES)},
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
