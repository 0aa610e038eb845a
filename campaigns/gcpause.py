"""Pause the cyclic garbage collector while building large acyclic structures.

Loading a 10,000-post calendar or planning a year creates hundreds of thousands of
small objects; each allocation burst triggers generational collections that walk
everything built so far, nearly doubling the time.  Nothing built there has
reference cycles (YAML refuses recursive aliases), so reference counting frees it
all and pausing the collector loses nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
