"""Pause the cyclic garbage collector while building large acyclic structures.

Loading a 10,000-post calendar or planning a year creates hundreds of thousands of
small objects; each allocation burst triggers generational collections that walk
everything built so far, nearly doubling the time.  Nothing built there has
reference cycles (YAML refuses recursive aliases), so reference counting frees it
all and pausing the collector loses nothing.

The collector is one switch for the whole process.  A one-shot command runs one thread;
a process that runs several (the engine plans on one while another reloads the calendar)
must not have one thread's pause end in the middle of another's, nor a pause begun during
another's leave it off for good: such a process sets ``PAUSING`` to False, and the switch
is then its own (see :mod:`scheduler.loading`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

PAUSING = True  # whether paused_gc switches the collector off (see above)


@contextmanager
def paused_gc() -> Iterator[None]:
    if not PAUSING:
        yield
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
