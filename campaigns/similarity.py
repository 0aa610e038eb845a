"""How alike two posts are: Jaccard similarity of character shingles, found by prefix filtering.

Customers read a brand's posts one after another, so "the same post again" includes
the same words with another date in them.  Texts are compared as sets of 5-character
shingles of their normalised form (case folded, spaces collapsed, link parameters
dropped: the UTM tags differ per network, the words do not); 1.0 is the same text.

Lint asks, per account and in time order, "which recent post is this one like?" over
many thousands of texts; comparing every pair would be quadratic.  :class:`RecentIndex`
answers it exactly with prefix filtering, the method of the all-pairs similarity joins
(Chaudhuri, Ganti and Kaushik 2006; Bayardo, Ma and Srikant 2007): with every shingle
ranked by how rare it is among the texts, two sets whose Jaccard similarity is at least
``t`` share one of their first ``|A| - ceil(t·|A|) + 1`` shingles.  Each post is indexed
under those few rare shingles only, so a new post meets the recent posts that share a rare
shingle with it, not every post, and each candidate is scored exactly: the answer is the
one comparing with every recent post gives (:class:`RecentExact`, which the tests hold it
to), without the false misses of MinHash LSH and without numpy or scipy.
"""

from __future__ import annotations

import math
import re
from collections import Counter, deque
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import chain
from typing import Generic, TypeVar
from zlib import crc32

from .networks import TEXT_READ, URL_RE

SHINGLE = 5
# Up to this many distinct texts on an account, comparing each post with every recent one is
# cheaper than ranking the shingles and building the index.
EXACT_UP_TO = 300
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """The text as repeats are judged: case folded (first, so that 'HTTPS://' is a link too), link
    parameters dropped, spaces collapsed.  Normalizing twice changes nothing."""
    text = text.replace("’", "'").casefold()
    text = URL_RE.sub(lambda m: m.group(0).split("?", 1)[0], text)
    return _SPACES.sub(" ", text).strip()


def shingles(text: str) -> frozenset[int]:
    """The text's shingles, hashed to 32 bits with CRC-32: the same on every run, so lint
    reports the same pairs every time (Python's own str hash changes per process)."""
    return shingles_of_normal(normalize(text))


def shingles_of_normal(text: str) -> frozenset[int]:
    """:func:`shingles` of a text already :func:`normalize`-d: of its first
    :data:`~campaigns.networks.TEXT_READ` characters (the whole of any text a limited network takes)."""
    data = text[:TEXT_READ].encode()
    if len(data) <= SHINGLE:
        return frozenset({crc32(data)})
    return frozenset(crc32(data[i:i + SHINGLE]) for i in range(len(data) - SHINGLE + 1))


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    if not a and not b:
        return 1.0
    common = len(a & b)  # the union's size follows: no second set is built
    return common / (len(a) + len(b) - common)


P = TypeVar("P")


class RecentExact(Generic[P]):
    """What :class:`RecentIndex` answers, by comparing with every post in the window: for
    accounts with few distinct texts, and the tests' oracle."""

    def __init__(self, threshold: float, window: timedelta, scores: dict[int, float] | None = None):
        self.threshold = threshold
        self.window = window
        self.recent: deque[tuple[datetime, int, P]] = deque()
        self.scores = {} if scores is None else scores  # by pair_key

    def find_and_add(self, at: datetime, item: int, sets: Sequence[frozenset[int]],
                     payload: P) -> tuple[P, float] | None:
        while self.recent and at - self.recent[0][0] > self.window:
            self.recent.popleft()
        found: tuple[P, float] | None = None
        size = len(sets)
        for _when, other, data in reversed(self.recent):  # the most recent alike wins
            if other == item:
                continue
            pair = item * size + other if item < other else other * size + item
            score = self.scores.get(pair)
            if score is None:
                score = self.scores[pair] = jaccard(sets[item], sets[other])
            if score >= self.threshold:
                found = (data, score)
                break
        self.recent.append((at, item, payload))
        return found


def pair_key(a: int, b: int, items: int) -> int:
    """The key of the pair of items ``a`` and ``b`` (of ``items``) in a dict of scores shared by
    :class:`RecentExact` and :class:`RecentIndex`: one int, whichever comes first."""
    return a * items + b if a < b else b * items + a


_MICROSECOND = timedelta(microseconds=1)


class RecentIndex(Generic[P]):
    """Near-duplicates among posts added in time order, within a time window (see the module).

    ``RecentIndex(threshold, window, sets)`` over the account's distinct texts (their shingle
    sets, by item number); ``find_and_add(at, item, payload)`` returns the most recent earlier
    post at most ``window`` before ``at`` whose text's Jaccard similarity with ``item``'s is at
    least ``threshold`` (with that similarity), then adds the new one.  A text is never
    reported as like itself (identical texts are the caller's simpler case).

    Several accounts posting the same texts share the work that is the texts': ``prefixes``
    (from :func:`rank_prefixes`, over ``sets``, at this threshold), ``scores`` (a dict of the
    pairs' similarities by :func:`pair_key`, filled as pairs are met) and ``alike`` (the pairs
    found alike, at this threshold: each item's list of the others).

    Times are kept as whole microseconds since the first post's (aware times of many zones compare
    slowly, and the walk below compares one per post it meets)."""

    def __init__(self, threshold: float, window: timedelta, sets: Sequence[frozenset[int]],
                 prefixes: Sequence[list[int]] | None = None, scores: dict[int, float] | None = None,
                 alike: dict[int, list[int]] | None = None):
        _check_threshold(threshold)
        self.threshold = threshold
        self.window = window // _MICROSECOND
        self.sets = sets
        self.prefixes = prefixes if prefixes is not None else rank_prefixes(sets, threshold)
        # per shingle (by rank), the texts indexed under it, by their latest post, oldest first (a text posted
        # again moves to the end: a look meets each text once, at its latest post), each with where that
        # shingle is in the text's ranked shingles (for the positional filter: see _score).  Texts whose latest
        # post is out of the window are not removed: a look stops at the first one (posts come in time order)
        self.postings: dict[int, dict[int, int]] = {}
        self.numbers = [0] * len(sets)  # item -> the number of its latest post (0: none yet), counting posts as added
        self.times = [0] * len(sets)  # item -> when its latest post was
        self.payloads: list[P | None] = [None] * len(sets)  # item -> its latest post's payload
        # item -> what its latest post was found like: (number, when, payload, score) of that post, or None
        self.answers: dict[int, tuple[int, int, P, float] | None] = {}
        self.added = 0
        self.origin: datetime | None = None
        self.scores = {} if scores is None else scores  # recurring posts meet the same pairs again
        # item -> the items found alike to it so far (each pair once, when scored): where a look starts
        self.alike: dict[int, list[int]] = {} if alike is None else alike
        self.sizes = [len(s) for s in sets]

    def find_and_add(self, at: datetime, item: int, payload: P) -> tuple[P, float] | None:
        if self.origin is None:
            self.origin = at
        now = (at - self.origin) // _MICROSECOND
        oldest = now - self.window
        numbers, times, scores, threshold = self.numbers, self.times, self.scores, self.threshold
        postings = self.postings
        size = len(self.sets)
        # A text posted before was answered then: of the posts up to that one, the most recent alike
        # was that answer (nothing alike came between them), so only the posts since are looked at;
        # and the latest post in the window of a text found alike before is an answer already, so only
        # the posts since that one are
        best = self._known(item, oldest)
        stop = numbers[item] if best is None else best[0]
        self.added += 1
        for position, shingle in enumerate(self.prefixes[item]):
            posting = postings.get(shingle)
            if posting is None:
                postings[shingle] = {item: position}
                continue
            for other in reversed(posting):  # newest first: the first alike is the answer
                number = numbers[other]
                if number <= stop or times[other] < oldest:
                    break  # older than the answer so far (or this text's last post), or out of the window
                pair = item * size + other if item < other else other * size + item  # (pair_key, inlined)
                score = scores.get(pair)
                if score is None:
                    score = scores[pair] = self._score(item, other, position, posting[other])
                if score >= threshold:
                    best = (number, times[other], self.payloads[other], score)  # type: ignore[assignment]
                    stop = number
                    break
            posting.pop(item, None)  # (to the end: its latest post)
            posting[item] = position
        if best is None and numbers[item]:
            best = self._still_recent(item, oldest)
        self.answers[item] = best
        numbers[item], times[item], self.payloads[item] = self.added, now, payload
        return (best[2], best[3]) if best is not None else None

    def _known(self, item: int, oldest: int) -> tuple[int, int, P, float] | None:
        """The latest post in the window, since the text's own last post, of a text found alike to it
        before; None if there is none."""
        numbers, times = self.numbers, self.times
        top, found = numbers[item], -1
        for other in self.alike.get(item, ()):
            number = numbers[other]
            if number > top and times[other] >= oldest:
                top, found = number, other
        if found < 0:
            return None
        size = len(self.sets)
        pair = item * size + found if item < found else found * size + item
        return top, times[found], self.payloads[found], self.scores[pair]  # type: ignore[return-value]

    def _score(self, item: int, other: int, position: int, where: int) -> float:
        """The pair's Jaccard similarity (remembered in ``alike`` when alike), or 0.0 when where they
        first meet keeps it under the threshold (``position``: that shingle's in ``item``'s prefix, ``where``:
        in ``other``'s).

        A pair is scored where the index first meets it: at the first shingle, in rank order, that
        the two share (one ranked before it and in both would be in both prefixes, and met there
        first).  Only the shingles ranked after it in both can be shared besides: at most
        ``1 + min(|A| - i - 1, |B| - j - 1)`` for its positions i and j (the "positional filter" of
        PPJoin, Xiao, Wang, Lin and Yu 2008).  The bound's similarity is compared as jaccard computes it,
        so nothing at or above the threshold is ever passed over.  (One call per pair met, a hundred
        thousand on a big calendar, most of them passed over by the filters.)"""
        threshold, mine, theirs = self.threshold, self.sizes[item], self.sizes[other]
        after, most = mine - position, theirs - where
        if after < most:
            most = after
        # their sizes alone: |A ∩ B| / |A ∪ B| is at most min / max (the very division jaccard makes for a
        # subset: never stricter than it, as threshold * large can be)
        if most / (mine + theirs - most) < threshold or min(mine, theirs) / max(mine, theirs) < threshold:
            return 0.0
        common = len(self.sets[item] & self.sets[other])  # (jaccard, inlined: neither set is empty)
        score = common / (mine + theirs - common)
        if score >= threshold:
            self.alike.setdefault(item, []).append(other)
            self.alike.setdefault(other, []).append(item)
        return score

    def _still_recent(self, item: int, oldest: int) -> tuple[int, int, P, float] | None:
        """The answer for the text's previous post, if it is still in the window (nothing alike came since)."""
        earlier = self.answers[item]
        return earlier if earlier is not None and earlier[1] >= oldest else None


def _check_threshold(threshold: float) -> None:
    if not 0 < threshold <= 1:  # (at 0 every pair is alike, sharing a shingle or not: no filter holds)
        raise ValueError(f"a similarity threshold is above 0 and at most 1, not {threshold}")


def rank_prefixes(sets: Sequence[frozenset[int]], threshold: float) -> list[list[int]]:
    """Per set, the shingles it is indexed and looked up under, as their ranks: its rarest ones
    (ranked over all of ``sets``), as many as any set ``threshold`` alike must share one of.  Any
    one ranking of the shingles keeps the filter exact; ranking by rarity keeps the lists short."""
    _check_threshold(threshold)
    frequency = Counter(chain.from_iterable(sets))
    rank = {shingle: n for n, (shingle, _) in enumerate(sorted(frequency.items(), key=lambda kv: (kv[1], kv[0])))}
    ranked = rank.__getitem__
    return [sorted(map(ranked, shingles_of))[:_prefix_length(len(shingles_of), threshold)] for shingles_of in sets]


def _prefix_length(size: int, threshold: float) -> int:
    """How many of a set's rarest shingles any set at least ``threshold`` alike must share one of."""
    return size - math.ceil(threshold * size - 1e-9) + 1 if size else 0
