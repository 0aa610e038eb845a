"""How alike two posts are: Jaccard similarity of character shingles, found with MinHash LSH.

Customers read a brand's posts one after another, so "the same post again" includes
the same words with another date in them.  Texts are compared as sets of 5-character
shingles of their normalised form (case folded, spaces collapsed, link parameters
dropped: the UTM tags differ per network, the words do not); 1.0 is the same text.

Lint asks, per account and in time order, "which recent post is this one like?" over
many thousands of texts; comparing every pair would be quadratic.  :class:`RecentIndex`
answers it with MinHash signatures and LSH banding (datasketch's own choice of bands for
the threshold), keeping in each band's bucket only the few most recent posts: the work
per post is bounded, so it stays linear even when thousands of posts share a phrase.
Every candidate is confirmed with the exact Jaccard similarity.

datasketch (and with it numpy and scipy, half a second to import) is imported only when
signatures are made: the engine's repeat check compares one text with the account's
recent window exactly (:func:`jaccard`), and never needs it.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Generic, TypeVar
from zlib import crc32

from .networks import URL_RE

if TYPE_CHECKING:
    from datasketch import MinHash

SHINGLE = 5
NUM_PERM = 64
# Up to this many distinct texts on an account, comparing each post with every recent one is
# cheaper than making signatures (and importing datasketch, numpy and scipy: over a second).
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


def _identity(value: int) -> int:
    return value


def signatures(sets: Sequence[frozenset[int]]) -> list[MinHash]:
    from datasketch import MinHash  # heavy (numpy, scipy): only when signatures are made

    return list(MinHash.bulk(sets, num_perm=NUM_PERM, hashfunc=_identity))


P = TypeVar("P")


class RecentExact(Generic[P]):
    """What :class:`RecentIndex` answers, by comparing with every post in the window: exact and
    complete, for accounts with few distinct texts (``find_and_add`` without signatures)."""

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
    """Near-duplicates among posts added in time order, within a time window.

    ``find_and_add(at, item, minhash, shingles)`` returns the most recent earlier item at
    most ``window`` before ``at`` whose exact Jaccard similarity is at least ``threshold``
    (with that similarity), then adds the new one.  Items are text identities (ints):
    an item is never reported as like itself (identical texts are the caller's simpler case)."""

    def __init__(self, threshold: float, window: timedelta, keep: int = 4):
        self.threshold = threshold
        self.window = window
        self.keep = keep
        # datasketch's own (private) choice of bands and rows for a threshold, the one MinHashLSH makes.
        from datasketch.lsh import _optimal_param

        self.bands, self.rows = _optimal_param(max(0.2, threshold - 0.15), NUM_PERM, 0.5, 0.5)
        self.buckets: dict[tuple[int, bytes], deque[tuple[datetime, int, P]]] = {}
        self.scores: dict[tuple[int, int], float] = {}  # recurring posts meet the same pairs again

    def find_and_add(self, at: datetime, item: int, minhash: MinHash, sets: Sequence[frozenset[int]],
                     payload: P) -> tuple[P, float] | None:
        values = minhash.hashvalues
        keys = [(b, values[b * self.rows:(b + 1) * self.rows].tobytes()) for b in range(self.bands)]
        best: tuple[datetime, P, float] | None = None
        checked: set[int] = set()
        for key in keys:
            for when, other, data in self.buckets.get(key, ()):
                if other == item or other in checked or at - when > self.window:
                    continue
                checked.add(other)
                pair = (item, other) if item < other else (other, item)
                score = self.scores.get(pair)
                if score is None:
                    score = self.scores[pair] = jaccard(sets[item], sets[other])
                if score >= self.threshold and (best is None or when > best[0]):
                    best = (when, data, score)
        for key in keys:
            bucket = self.buckets.get(key)
            if bucket is None:
                bucket = self.buckets[key] = deque(maxlen=self.keep)
            if bucket and bucket[-1][1] == item:
                bucket.pop()
            bucket.append((at, item, payload))
        return (best[1], best[2]) if best is not None else None
