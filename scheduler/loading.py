"""Loading the calendar for a process that keeps it for weeks: in a forked child, compact, frozen.

Loading a 100,000-post calendar builds far more than the calendar it ends with: the file's
text, ruamel's composed nodes, the located data, the schema check's copy.  Freed, that peak
stays in this process as half-empty memory pools the allocator never returns (493 MB of a
1,079 MB engine), and every object left is one the cyclic collector walks at each full
collection.  So :func:`check` runs :func:`campaigns.calendar.check` in a forked child, which
hands back only the result (the calendar, or every problem found, exactly as in-process
loading gives them) pickled into an anonymous in-memory file; this process unpickles it, a
few compact objects allocated in order, and freezes them (``gc.freeze``): the collector
never walks them again.  If no child can be started or it fails for any reason, the same
check runs here (:mod:`scheduler.cli.forked` holds the forking the commands share).

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
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from campaigns import calendar as calendars
from campaigns import gcpause
from campaigns.calendar import CalendarResult

from .cli.forked import Child, read_all


def check(path: str) -> CalendarResult:
    """:func:`campaigns.calendar.check` of the file at ``path``, loaded in a child, then frozen."""
    gcpause.PAUSING = False
    result = _in_child(path)
    if result is None:
        with _collector_paused():
            result = calendars.check(path)
        gc.collect()  # the loader's cyclic garbage (ruamel's objects), before it could be frozen for good
    gc.freeze()
    return result


_switch = threading.Lock()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The collector off while a load builds (see :mod:`campaigns.gcpause`), back as it was after:
    the only switching of it in this process, one load at a time."""
    with _switch:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if was_enabled:
                gc.enable()


def _in_child(path: str) -> CalendarResult | None:
    """The result a forked child loaded; None if none could (no fork or in-memory files here, or
    the child died)."""
    if not (hasattr(os, "fork") and hasattr(os, "memfd_create")):
        return None
    child = Child.start("herald-calendar", lambda fd: _write(fd, _load_alone(path)))
    if child is None:
        return None
    try:
        fd = child.collect()
        if fd is None:
            return None
        with _collector_paused():  # (nothing unpickled here is cyclic)
            result: Any = pickle.loads(read_all(fd))
        return result if isinstance(result, CalendarResult) else None
    finally:
        child.close()


def _load_alone(path: str) -> CalendarResult:  # pragma: no cover - runs in the child
    """The child runs one thread: there the pure layer's pauses may switch the collector again."""
    gcpause.PAUSING = True
    return calendars.check(path)


def _write(fd: int, result: CalendarResult) -> None:  # pragma: no cover - runs in the child
    view = memoryview(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    while view:
        view = view[os.write(fd, view):]
