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

from .networks import URL_RE

SHINGLE = 5
# Up to this many distinct texts on an account, comparing each post with every recent one is
# cheaper than ranking the shingles and building the index.
EXACT_UP_TO = 300
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    text = URL_RE.sub(lambda m: m.group(0).split("?", 1)[0], text)
    return _SPACES.sub(" ", text.replace("’", "'").casefold()).strip()


def shingles(text: str) -> frozenset[int]:
    """The text's shingles, hashed to 32 bits with CRC-32: the same on every run, so lint
    reports the same pairs every time (Python's own str hash changes per process)."""
    data = normalize(text).encode()
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

    def __init__(self, threshold: float, window: timedelta):
        self.threshold = threshold
        self.window = window
        self.recent: deque[tuple[datetime, int, P]] = deque()
        self.scores: dict[tuple[int, int], float] = {}

    def find_and_add(self, at: datetime, item: int, sets: Sequence[frozenset[int]],
                     payload: P) -> tuple[P, float] | None:
        while self.recent and at - self.recent[0][0] > self.window:
            self.recent.popleft()
        found: tuple[P, float] | None = None
        for _when, other, data in reversed(self.recent):  # the most recent alike wins
            if other == item:
                continue
            pair = (item, other) if item < other else (other, item)
            score = self.scores.get(pair)
            if score is None:
                score = self.scores[pair] = jaccard(sets[item], sets[other])
            if score >= self.threshold:
                found = (data, score)
                break
        self.recent.append((at, item, payload))
        return found


class RecentIndex(Generic[P]):
    """Near-duplicates among posts added in time order, within a time window (see the module).

    ``RecentIndex(threshold, window, sets)`` over the account's distinct texts (their shingle
    sets, by item number); ``find_and_add(at, item, payload)`` returns the most recent earlier
    post at most ``window`` before ``at`` whose text's Jaccard similarity with ``item``'s is at
    least ``threshold`` (with that similarity), then adds the new one.  A text is never
    reported as like itself (identical texts are the caller's simpler case)."""

    def __init__(self, threshold: float, window: timedelta, sets: Sequence[frozenset[int]]):
        if not 0 < threshold <= 1:  # (at 0 every pair is alike, sharing a shingle or not: no filter holds)
            raise ValueError(f"a similarity threshold is above 0 and at most 1, not {threshold}")
        self.threshold = threshold
        self.window = window
        self.sets = sets
        frequency = Counter(chain.from_iterable(sets))
        rank = {shingle: n for n, (shingle, _) in enumerate(sorted(frequency.items(), key=lambda kv: (kv[1], kv[0])))}
        self.prefixes = [sorted(shingles_of, key=rank.__getitem__)[:_prefix_length(len(shingles_of), threshold)]
                         for shingles_of in sets]
        # per shingle, the posts indexed under it, oldest first: (number, item, when); the number counts
        # posts as they are added, so "most recent" is the latest added, as RecentExact has it
        self.postings: dict[int, deque[tuple[int, int, datetime]]] = {}
        self.latest: dict[int, tuple[int, P]] = {}  # item -> its latest post: (number, payload)
        self.added = 0
        self.scores: dict[tuple[int, int], float] = {}  # recurring posts meet the same pairs again

    def find_and_add(self, at: datetime, item: int, payload: P) -> tuple[P, float] | None:
        oldest = at - self.window
        latest = self.latest
        best: tuple[int, P, float] | None = None
        self.added += 1
        entry = (self.added, item, at)
        for shingle in self.prefixes[item]:
            posting = self.postings.get(shingle)
            if posting is None:
                posting = self.postings[shingle] = deque()
            while posting and posting[0][2] < oldest:  # out of the window for good (posts come in time order)
                posting.popleft()
            for number, other, _ in reversed(posting):  # newest first: the first alike is this list's answer
                if best is not None and number <= best[0]:
                    break
                if other == item or latest[other][0] != number:
                    continue  # itself, or a text posted again since (met further up this list)
                pair = (item, other) if item < other else (other, item)
                score = self.scores.get(pair)
                if score is None:
                    score = self.scores[pair] = self._score(item, other)
                if score >= self.threshold:
                    best = (number, latest[other][1], score)
                    break
            posting.append(entry)
        latest[item] = (self.added, payload)
        return (best[1], best[2]) if best is not None else None


    def _score(self, a: int, b: int) -> float:
        """The pair's Jaccard similarity, or 0.0 when their sizes alone keep it under the threshold
        (|A ∩ B| / |A ∪ B| is at most min / max of the sizes)."""
        small, large = sorted((len(self.sets[a]), len(self.sets[b])))
        if small / large < self.threshold:  # (the very division jaccard makes for a subset: never
            return 0.0                      # stricter than it, as threshold * large can be)
        return jaccard(self.sets[a], self.sets[b])


def _prefix_length(size: int, threshold: float) -> int:
    """How many of a set's rarest shingles any set at least ``threshold`` alike must share one of."""
    return size - math.ceil(threshold * size - 1e-9) + 1 if size else 0
