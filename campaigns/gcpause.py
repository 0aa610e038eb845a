"""Pause the cyclic garbage collector while building large acyclic structures.

Loading a 10,000-post calendar or planning a year creates hundreds of thousands of
small objects; each allocation burst triggers generational collections that walk
everything built so far, nearly doubling the time.  Nothing built there has
reference cycles (YAML refuses recursive aliases), so reference counting frees it
all and pausing the collector loses nothing.

The collector is one switch for the whole process.  A one-shot command runs one thread;
a process that runs several (the engine plans on one while another reloads the calendar)
must not have one thread's pause end in the middle of another's, nor a pause begun during
another's leave it off for good: such a process sets ``PAUSING`` to False, so that these
pauses do nothing, and the one module that switches the collector from then on
(:mod:`scheduler.loading`) pauses it with ``paused_gc(its_lock)``, one pause at a time.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

PAUSING = True  # whether paused_gc() switches the collector off (see above)


@contextmanager
def paused_gc(one_at_a_time: AbstractContextManager[Any] | None = None) -> Iterator[None]:
    """The collector off for the block, and back as it was after.  Without ``one_at_a_time`` only
    while :data:`PAUSING`; with it (the switch's owner's lock, held for the pause) always."""
    if one_at_a_time is None and not PAUSING:
        yield
        return
    with one_at_a_time or nullcontext():
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            if was_enabled:
                gc.enable()
