"""Work in worker processes, in chunks, in order: `herald suggest` cleans a large export's requests
so (the part that costs most: its patterns read every line of every request, and each request
needs nothing but itself).  Here, in the side-effect layer: campaigns/ is given a :class:`Chunks`
factory and starts no process itself.

Chunks of :data:`CHUNK` items go to :func:`workers` processes forked from this one, a few chunks
ahead of what is taken back.  A worker that dies (killed, out of memory) costs nothing but time:
its chunk, and every chunk after it, is done in this process.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Any, Generic, TypeVar

__all__ = ["CHUNK", "MOST", "Chunks", "workers"]

CHUNK = 2_000  # items a worker takes at a time
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
        jobs = min(MOST, processors())
    if jobs < 2 or threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return jobs


def processors(quota: str = "/sys/fs/cgroup/cpu.max") -> int:
    """The processors this process may use: those it may run on, fewer when its control group's
    CPU quota allows fewer (a container started with ``--cpus=1`` sees every processor)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        with open(quota, encoding="ascii") as f:
            allowed, period = f.read().split()[:2]
    except (OSError, ValueError):
        return cpus
    if allowed == "max" or not allowed.isdigit() or not period.isdigit() or not int(period):
        return cpus
    return max(1, min(cpus, -(-int(allowed) // int(period))))


def _orphaned(parent: int) -> None:
    """A worker's start: it ends when the process that started it ends, however that ends (SIGKILL,
    the OOM killer), instead of waiting on its pipe for ever (Linux: PR_SET_PDEATHSIG; elsewhere a
    thread that looks once a second)."""
    import signal

    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGKILL, 0, 0, 0) != 0:  # PR_SET_PDEATHSIG
            raise OSError
    except (OSError, AttributeError):
        import threading

        def watch() -> None:
            while os.getppid() == parent:
                threading.Event().wait(1.0)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # it ended before the signal was asked for
        os._exit(1)


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

            self.executor = self.started = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("fork"), initializer=_orphaned,
                initargs=(os.getpid(),))
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
