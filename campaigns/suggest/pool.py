"""Cleaning requests in worker processes: the part of `herald suggest` that costs most on a large
export (its patterns read every line of every request) and needs nothing but each request.

A file's first :data:`AFTER` requests are cleaned in the process itself (most exports are smaller:
no worker starts); the rest go in chunks of :data:`CHUNK` to :func:`workers` processes forked from
it, in order, a few chunks ahead of what is recorded.  A worker that dies (killed, out of memory)
costs nothing but time: its chunk, and every chunk after it, is cleaned in the process itself.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Any, Generic, TypeVar

__all__ = ["AFTER", "CHUNK", "MOST", "Chunks", "workers"]

AFTER = 10_000  # requests cleaned in the process itself before workers take the rest
CHUNK = 2_000  # requests a worker cleans at a time
MOST = 4  # most worker processes
AHEAD = 2  # chunks sent ahead of what is recorded, per worker

Item = TypeVar("Item")
Result = TypeVar("Result")


def workers(jobs: int | None = None) -> int:
    """How many worker processes to use: ``jobs`` when given (1 or less: none, all in this
    process), else one per processor this process may run on, at most :data:`MOST` (none on one
    processor).  Never when this process runs threads (forking one is unsafe) or cannot fork."""
    import multiprocessing
    import threading

    if jobs is None:
        jobs = min(MOST, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    if jobs < 2 or threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return jobs


class Chunks(Generic[Item, Result]):
    """``fn`` applied to chunks of items in worker processes, the results returned in the order sent,
    each with the tag it was sent with."""

    def __init__(self, jobs: int | None, fn: Callable[[list[Item]], list[Result]]):
        self.fn = fn
        self.workers = workers(jobs)
        self.executor: ProcessPoolExecutor | None = None  # None once a worker died
        self.started: ProcessPoolExecutor | None = None
        self.inflight: deque[tuple[Any, list[Item], Future[list[Result]] | None]] = deque()

    def __enter__(self) -> Chunks[Item, Result]:
        if self.workers:
            import multiprocessing

            self.executor = self.started = ProcessPoolExecutor(self.workers,
                                                               mp_context=multiprocessing.get_context("fork"))
        return self

    def __exit__(self, *exc: object) -> None:
        if self.started is not None:
            self.started.shutdown(wait=True, cancel_futures=True)

    @staticmethod
    def batches(items: Iterator[Any]) -> Iterator[list[Any]]:
        while batch := list(islice(items, CHUNK)):
            yield batch

    def send(self, tag: Any, items: list[Item]) -> list[tuple[Any, list[Result]]]:
        """``items`` sent to a worker; what came back meanwhile, to record now (oldest first)."""
        future = None
        if self.executor is not None:
            try:
                future = self.executor.submit(self.fn, items)
            except BrokenProcessPool:
                self.executor = None
        self.inflight.append((tag, items, future))
        out = []
        while len(self.inflight) > AHEAD * max(1, self.workers):
            out.append(self._next())
        return out

    def rest(self) -> Iterator[tuple[Any, list[Result]]]:
        while self.inflight:
            yield self._next()

    def _next(self) -> tuple[Any, list[Result]]:
        tag, items, future = self.inflight.popleft()
        if future is not None:
            try:
                return tag, future.result()
            except BrokenProcessPool:  # a worker died: this chunk and the rest are cleaned here
                self.executor = None
        return tag, self.fn(items)
