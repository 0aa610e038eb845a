"""X's weighted length, exactly as twitter-text computes it, without its slow emoji scan.

``twitter_text.parse_tweet`` runs a regex of several thousand emoji alternatives at
every position of the text (about 0.5 ms for a short post; 80% of planning time for
a large calendar).  An emoji can only begin at a few code points, so this module
runs that same regex only where one can begin, then sums weights with the same
loop, config and URL extractor as ``parse_tweet``.  ``tests/test_lengths.py`` checks
it against ``parse_tweet`` on the conformance suite and on thousands of random texts.

twitter-text takes a third of a second to import (its regexes are compiled at import) and
its URL extractor about 60 µs a text; neither is needed for most texts:

- every URL twitter-text finds has a domain with a top-level domain, so a ``.`` followed by a
  letter (``.com``, ``.example``, ``.みんな``, punycode ``.xn--``): a text with none holds no URL,
  and an ASCII one then weighs exactly its length (:func:`weighted_length` needs nothing);
- a character weighs at most 2 (ASCII 1) and a URL 23 however short, so
  :func:`upper_bound` bounds the weight without twitter-text: a text under the limit by that
  bound is under it for X (validation measures exactly only what the bound cannot clear).

The extractor is imported on the first text that may hold a URL, the emoji tables on the
first non-ASCII one, both through :mod:`campaigns.twittertext`, the one module that knows where
twitter-text keeps them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import twittertext

_LINE_ENDINGS = re.compile(r"\r\n|\r|\n")
MAXIMUM = 280  # twitter-text's max_weighted_tweet_length (config v3; a test keeps them equal)


@dataclass(frozen=True)
class _Tables:
    """What twitter-text's config and regexes say, loaded once, on first use."""

    scale: int
    url_weight: int
    default_weight: int
    maximum: int
    ranges: tuple[tuple[int, int, int], ...]
    emoji: re.Pattern[str]
    invalid: re.Pattern[str]
    ascii_starters: frozenset[int]  # code points that can begin an emoji match
    other_starters: frozenset[int]


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    found = twittertext.layout()
    options = found.defaults
    points = {int(codepoint.split()[0], 16) for codepoint, _ in found.emoji_points}
    points.update(ord(emoji[0]) for _, emoji in found.emoji_points if emoji)
    for low, high in found.single_codepoint_ranges:
        points.update(range(low, high + 1))
    return _Tables(
        scale=options["scale"], url_weight=options["transformed_url_length"] * options["scale"],
        default_weight=options["default_weight"], maximum=options["max_weighted_tweet_length"],
        ranges=tuple((r["start"], r["end"], r["weight"]) for r in options["ranges"]),
        emoji=found.emoji, invalid=found.invalid,
        ascii_starters=frozenset(p for p in points if p < 128), other_starters=frozenset(p for p in points if p >= 128),
    )


@lru_cache(maxsize=1)
def _url_extractor() -> Callable[[str], list[dict[str, Any]]]:
    """twitter-text's URL extractor, without its tweet parser (:mod:`campaigns.twittertext`)."""
    return twittertext.url_extractor()


def load_url_extractor() -> None:
    """Import the URL extractor now (0.3 s: its regexes are compiled at import), e.g. before a
    process forks helpers that will each measure texts with links."""
    _url_extractor()


# Where a URL may be: its top-level domain follows a '.' and begins with a letter.
_MAY_HOLD_URL = re.compile(r"\.[^\W\d_]")
SCALE_FREE_URL_WEIGHT = 23  # twitter-text's transformed_url_length (config v3), for the bound
MAX_CHAR_WEIGHT = 2  # the heaviest character or emoji weighs 200 on a scale of 100


def upper_bound(text: str) -> int:
    """A weight no smaller than :func:`weighted_length`'s, computed without twitter-text.  It bounds
    the text X counts, the NFC form, which can be longer than the text (U+1D160 is 3 characters)."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    urls = len(_MAY_HOLD_URL.findall(text))
    per_char = 1 if text.isascii() else MAX_CHAR_WEIGHT
    return per_char * len(text) + SCALE_FREE_URL_WEIGHT * urls


def invalid_characters() -> re.Pattern[str]:
    """twitter-text's pattern of the characters X refuses (U+FFFE, U+FFFF, U+202A-E…)."""
    return _tables().invalid


def _weight(code: int, tables: _Tables) -> int:
    for low, high, weight in tables.ranges:
        if low <= code <= high:
            return weight
    return tables.default_weight


def _emoji_spans(text: str, tables: _Tables) -> dict[int, int]:
    """start -> end of each emoji, as ``emoji.finditer`` would find them (leftmost, non-overlapping)."""
    ascii_starters, other_starters = tables.ascii_starters, tables.other_starters
    spans: dict[int, int] = {}
    last_end = 0
    size = len(text)
    for index, char in enumerate(text):
        if index < last_end:
            continue
        code = ord(char)
        if code < 128:
            # An ASCII starter ('#', '*', digits) begins only a keycap sequence, which needs
            # a non-ASCII code point right after it.
            if code not in ascii_starters or index + 1 >= size or ord(text[index + 1]) < 128:
                continue
        elif code not in other_starters:
            continue
        match = tables.emoji.match(text, index)
        if match and match.end() > index:
            spans[index] = match.end()
            last_end = match.end()
    return spans


# What separates the words of an ASCII text for the URL extractor: the ASCII characters of
# twitter-text's ``spaces_group`` (not Python's ``\s``, which also matches U+001C-U+001F).
_ASCII_SPACES = re.compile(r"[\t\n\x0b\x0c\r ]+")


def _words_url_weight(text: str) -> int:
    """What the URLs of an ASCII ``text`` add to its length (each weighs 23 however long), word by
    word.  A URL twitter-text extracts never holds a space (its protocol, domain, path and query
    exclude them), the character before it may be a space or the start of the text alike (both are
    "preceding characters", neither one of ``-_./``), and what it looks at after the domain is "a
    character not in ``0-9a-zA-Z@+-``, or the end": a space or the end of the word alike.  So the
    URLs of a text are those of its words, and a word's weight is worked out once (a calendar's
    texts share their links; a year of them differs in the date)."""
    total = 0
    for word in _ASCII_SPACES.split(text):
        if _MAY_HOLD_URL.search(word):
            total += _word_url_weight(word)
    return total


@lru_cache(maxsize=4096)
def _word_url_weight(word: str) -> int:
    return sum(SCALE_FREE_URL_WEIGHT - len(e["url"]) for e in _url_extractor()(word))


def weighted_length(text: str) -> tuple[int, bool]:
    """(weighted length, valid) exactly as ``parse_tweet(text)`` gives them."""
    if text.isascii():  # each character weighs one: no emoji, no invalid character
        normalized = _LINE_ENDINGS.sub("\n", text)
        length = len(normalized) + (_words_url_weight(normalized) if _MAY_HOLD_URL.search(normalized) else 0)
        return length, 0 < length <= MAXIMUM
    tables = _tables()
    normalized = _LINE_ENDINGS.sub("\n", unicodedata.normalize("NFC", text))
    found = _url_extractor()(normalized) if _MAY_HOLD_URL.search(normalized) else []
    urls = {e["indices"][0]: len(e["url"]) for e in found}
    emojis = _emoji_spans(normalized, tables)
    first_low, first_high, first_weight = tables.ranges[0] if tables.ranges else (0, -1, 0)
    total = 0
    valid = True
    index = 0
    size = len(normalized)
    while index < size:
        if index in urls:
            total += tables.url_weight
            index += urls[index] - 1
        elif index in emojis:
            total += tables.default_weight
            index = emojis[index] - 1
        else:
            code = ord(normalized[index])  # nearly all Latin text falls in the first range
            total += first_weight if first_low <= code <= first_high else _weight(code, tables)
        if valid and ord(normalized[index]) >= 128 and tables.invalid.match(normalized, index):
            valid = False
        index += 1
    length = int(total / tables.scale)
    return length, valid and 0 < length <= tables.maximum
