"""Loading the calendar for a process that keeps it for weeks: in a forked child, compact, frozen.

Loading a 100,000-post calendar builds far more than the calendar it ends with: the file's
text, ruamel's composed nodes, the located data, the schema check's copy.  Freed, that peak
stays in this process as half-empty memory pools the allocator never returns (493 MB of a
1,079 MB engine), and every object left is one the cyclic collector walks at each full
collection.  So :func:`check` runs :func:`campaigns.calendar.check` in a forked child (two,
each building every other post, when a core is idle: see :func:`_merged`), which
hands back only the result (the calendar, or every problem found, exactly as in-process
loading gives them) pickled into an anonymous in-memory file; this process unpickles it, a
few compact objects allocated in order, and freezes them (``gc.freeze``): the collector
never walks them again.  If no child can be started or it fails for any reason, the same
check runs here (:mod:`scheduler.forked` holds the forking the commands share).  A restart on
the same bytes with the same code checks nothing: the valid result (warnings included) is kept
pickled in ``.herald/calendars/`` and unpickled from there (:mod:`scheduler.calendarcache`: at
100,000 posts, under a second of CPU instead of 19 s).

A process that loads this way runs threads (the engine plans on one while another reloads),
so the collector's switch is this module's from its first load on: the pure layer's pauses
(:mod:`campaigns.gcpause`) stop switching it, and this module pauses it while it builds,
one load at a time.
"""

from __future__ import annotations

import gc
import os
import pickle
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from campaigns import calendar as calendars
from campaigns import gcpause
from campaigns.calendar import CalendarResult
from campaigns.gcpause import paused_gc
from campaigns.model import Post

from . import calendarcache
from .forked import Child, read_all, result_file, spare_core


def check(path: str) -> CalendarResult:
    """:func:`campaigns.calendar.check` of the file at ``path``: a small one here, as before; a big
    one kept from an earlier check of the same bytes by the same code (:mod:`scheduler.calendarcache`),
    or loaded in children, then frozen."""
    gcpause.PAUSING = False
    if _small(path):  # a child, a cache and a freeze cost more than they save
        gc.unfreeze()  # (a big calendar frozen before, now replaced: the collector may free it)
        with paused_gc(_switch):
            return calendars.check(path)
    _kept()  # an earlier check's entry is in place before this one looks
    key = calendarcache.key(path)
    result = _cached(path, key) if key is not None else None
    if result is None:
        result, pickled = _checked(path)
        if key is not None and result.ok:
            _keep(path, key, result, pickled)
    # what was frozen before (the last calendar) may be garbage now, and so may cycles pending from
    # anything (the loader's ruamel objects, a reload's exceptions): collected before freezing anew,
    # or they would be kept for good
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return result


# Calendars smaller than this (bytes; about 13,000 posts) are loaded here, as a one-shot command
# does: forking a child, filing the result and freezing it cost more than the peak they spare
# (measured at 10,000 posts: +0.4 s for the child, +0.13 s for the collection before a freeze).
IN_PROCESS_BELOW = 4 * 1024 * 1024

_writer: threading.Thread | None = None
_switch = threading.Lock()  # one load's pause of the collector at a time (campaigns.gcpause.paused_gc)


def _small(path: str) -> bool:
    try:
        return os.path.getsize(path) < IN_PROCESS_BELOW
    except OSError:
        return True  # (the check says what is wrong with it)


def _keep(path: str, key: str, result: CalendarResult, pickled: bytes | None) -> None:
    """File the checked calendar for the next start, on a thread of its own: the engine starts
    without waiting for the pickle and the disk (a first start is as fast as without a cache)."""
    global _writer

    def write() -> None:
        calendarcache.write(path, key, pickled or pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))

    _writer = threading.Thread(target=write, name="herald-calendar-cache", daemon=True)
    _writer.start()


def _kept(timeout: float | None = None) -> None:
    """Wait for the entry the last check is filing (tests; the next check)."""
    if _writer is not None:
        _writer.join(timeout)


def _cached(path: str, key: str) -> CalendarResult | None:
    with paused_gc(_switch):  # (nothing unpickled here is cyclic)
        return calendarcache.read(path, key)


def _checked(path: str) -> tuple[CalendarResult, bytes | None]:
    """The file checked, in children when they can be started; with the result as one child
    pickled it, when one did."""
    if hasattr(os, "fork") and hasattr(os, "memfd_create"):
        if _spare_core():
            merged = _merged(_in_children(path, 2))
            if merged is not None:
                return merged, None
        found = _in_children(path, 1)
        if found:
            return found[0]
    with paused_gc(_switch):
        result = calendars.check(path)
    return result, None  # (its cyclic garbage, ruamel's objects, is collected before the freeze)


def _spare_core() -> bool:
    """Whether a second child would have a core of its own: each child parses the whole file, so on
    a busy machine two take longer than one."""
    return spare_core()


def _merged(found: list[tuple[CalendarResult, bytes]] | None) -> CalendarResult | None:
    """One calendar from the children that built every other post each; None when there is an
    error (one child then checks the whole file, for its errors exactly as they have always been
    found) or the halves do not add up.  The file's other parts come from the first child (each
    built them); a warning about them, found by both, is kept once."""
    results = [result for result, _ in found or ()]
    if not results or any(r.errors or r.value is None for r in results):
        return None
    first, second = (r.value for r in results)
    assert first is not None and second is not None
    if not 0 <= len(first.posts) - len(second.posts) <= 1:
        return None
    posts: list[Post] = [*first.posts, *second.posts]
    posts[0::2], posts[1::2] = first.posts, second.posts
    ids = [post.id for post in posts]
    if len(set(ids)) != len(ids):  # a duplicate id across the halves: no child saw both (one checks the whole)
        return None
    problems = list(dict.fromkeys(p for r in results for p in r.problems))
    return CalendarResult(replace(first, posts=tuple(posts)), problems)


# seconds the children may take: far more than a big calendar needs (100,000 posts load in 15-60 s),
# but bounded: a child forked from this process's threads could wait for ever on a lock one held
CHILD_PATIENCE = 600.0

def _in_children(path: str, shares: int) -> list[tuple[CalendarResult, bytes]] | None:
    """What ``shares`` forked children loaded, child ``i`` the posts at the indices ``i`` modulo
    ``shares`` (and all of the rest of the file), each with its pickle; None if they could not (no
    process to spare, or one died)."""
    children = [Child.start(f"herald-calendar-{share}", _work(path, shares, share)) for share in range(shares)]
    until = time.monotonic() + CHILD_PATIENCE
    try:
        out = []
        for child in children:
            fd = child.collect(until) if child is not None else None
            if fd is None:
                return None
            pickled = read_all(fd)
            with paused_gc(_switch):  # (nothing unpickled here is cyclic)
                result: Any = pickle.loads(pickled)
            if not isinstance(result, CalendarResult):
                return None
            out.append((result, pickled))
        return out
    finally:
        for child in children:
            if child is not None:
                child.close()


def _work(path: str, shares: int, share: int) -> Callable[[int], None]:
    """What child ``share`` of ``shares`` does: load its posts and write the result to the file it is given."""
    def mine(index: int) -> bool:
        return index % shares == share

    return lambda fd: _write(fd, _load_alone(path, None if shares == 1 else mine))


def _load_alone(path: str, posts: Callable[[int], bool] | None) -> CalendarResult:  # pragma: no cover - child
    """The child runs one thread: there the pure layer's pauses may switch the collector again."""
    gcpause.PAUSING = True
    return calendars.check(path, posts=posts)


def _write(fd: int, result: CalendarResult) -> None:  # pragma: no cover - runs in the child
    with result_file(fd) as out:
        out.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
