"""X's weighted length, exactly as twitter-text computes it, without its slow emoji scan.

``twitter_text.parse_tweet`` runs a regex of several thousand emoji alternatives at
every position of the text (about 0.5 ms for a short post; 80% of planning time for
a large calendar).  An emoji can only begin at a few code points, so this module
runs that same regex only where one can begin, then sums weights with the same
loop, config and URL extractor as ``parse_tweet``.  ``tests/test_lengths.py`` checks
it against ``parse_tweet`` on the conformance suite and on thousands of random texts.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from twitter_text.config import config
from twitter_text.extract_urls import extract_urls_with_indices
from twitter_text.regexp.emoji import emoji as _EMOJI
from twitter_text.regexp.emoji import emoji_list, single_codepoint_emoji_ranges
from twitter_text.regexp.invalid_chars import invalid_chars

_OPTIONS = config["defaults"]
_SCALE = _OPTIONS["scale"]
_URL_WEIGHT = _OPTIONS["transformed_url_length"] * _SCALE
_DEFAULT_WEIGHT = _OPTIONS["default_weight"]
_MAX = _OPTIONS["max_weighted_tweet_length"]
_RANGES = [(r["start"], r["end"], r["weight"]) for r in _OPTIONS["ranges"]]
_LINE_ENDINGS = re.compile(r"\r\n|\r|\n")


@lru_cache(maxsize=1)
def _starters() -> tuple[frozenset[int], frozenset[int]]:
    """Code points that can begin an emoji match: (ASCII ones, the rest)."""
    points = {int(e.codepoint.split()[0], 16) for e in emoji_list}
    points.update(ord(e.emoji[0]) for e in emoji_list if e.emoji)
    for low, high in single_codepoint_emoji_ranges:
        points.update(range(low, high + 1))
    ascii_points = frozenset(p for p in points if p < 128)
    return ascii_points, frozenset(points - ascii_points)


def _weight(code: int) -> int:
    if code <= 4351:  # the first range, where nearly all Latin text falls
        return _RANGES[0][2] if _RANGES and _RANGES[0][0] == 0 and _RANGES[0][1] == 4351 else _slow_weight(code)
    return _slow_weight(code)


def _slow_weight(code: int) -> int:
    for low, high, weight in _RANGES:
        if low <= code <= high:
            return weight
    return _DEFAULT_WEIGHT


def _emoji_spans(text: str) -> dict[int, int]:
    """start -> end of each emoji, as ``emoji.finditer`` would find them (leftmost, non-overlapping)."""
    ascii_starters, other_starters = _starters()
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
        match = _EMOJI.match(text, index)
        if match and match.end() > index:
            spans[index] = match.end()
            last_end = match.end()
    return spans


def weighted_length(text: str) -> tuple[int, bool]:
    """(weighted length, valid) exactly as ``parse_tweet(text)`` gives them."""
    normalized = _LINE_ENDINGS.sub("\n", unicodedata.normalize("NFC", text))
    urls = {e["indices"][0]: len(e["url"]) for e in extract_urls_with_indices(normalized)}
    if normalized.isascii():  # every ASCII character weighs one; no emoji, no invalid character
        length = len(normalized) - sum(urls.values()) + len(urls) * _URL_WEIGHT // _SCALE
        return length, 0 < length <= _MAX
    emojis = _emoji_spans(normalized)
    total = 0
    valid = True
    index = 0
    size = len(normalized)
    while index < size:
        if index in urls:
            total += _URL_WEIGHT
            index += urls[index] - 1
        elif index in emojis:
            total += _DEFAULT_WEIGHT
            index = emojis[index] - 1
        else:
            total += _weight(ord(normalized[index]))
        if valid and ord(normalized[index]) >= 128 and invalid_chars.match(normalized, index):
            valid = False
        index += 1
    length = int(total / _SCALE)
    return length, valid and 0 < length <= _MAX
