"""Part of a one-shot command's work done by a forked child, on the machine's second core.

``plan --json`` and ``lint`` of a big calendar are pure computation that a person waits for.
Each forks one child once the calendar is loaded (``lint``: once the window is planned): the
child works on what the parent built as the fork left it (copy-on-write; one-shot commands run
with the collector off, so only the pages reference counts touch are copied), and does a share
of the work the parent then does not: the second part of the plan's window, the repetition
check of some accounts.  The file is parsed once.  The child hands its result over in an
anonymous in-memory file and exits; the parent collects it, or, if the child failed for any
reason, does that share itself.  The child dies with its parent: a command stopped by a
signal leaves nothing running.  A child is started only when a core is idle (:func:`can_fork`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable
from datetime import datetime
from typing import BinaryIO

# Calendars shorter than this (in characters) are done in one process: a fork costs more than it saves.
PARALLEL_FROM_CHARS = 256 * 1024


class Frozen:
    """One 'now' for both processes: a window that starts now starts at the same instant in each."""

    def __init__(self, at: datetime):
        self.at = at

    def now(self) -> datetime:
        return self.at


class Child:
    """The forked child doing ``work(fd)``; what it writes to ``fd`` is its result."""

    def __init__(self, pid: int, fd: int):
        self.pid, self.fd = pid, fd

    @classmethod
    def start(cls, name: str, work: Callable[[int], None]) -> Child | None:
        """The child, working; None if none could be started (no memfd, no process to spare: the
        caller does all the work itself)."""
        for stream in (sys.stdout, sys.stderr):  # (nothing buffered is written twice; a closed one is None)
            with contextlib.suppress(AttributeError, OSError, ValueError):
                stream.flush()
        with contextlib.suppress(ValueError):  # (not the main thread: then it is the caller's to set)
            if signal.getsignal(signal.SIGCHLD) == signal.SIG_IGN:  # inherited: the kernel would reap
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)       # the child and hide how it ended
        fd = -1
        try:
            fd = os.memfd_create(name)
            parent = os.getpid()
            pid = os.fork()
        except OSError:
            if fd >= 0:
                os.close(fd)
            return None
        if pid == 0:  # pragma: no cover - runs in the child; its result is checked by the parent's tests
            code = 1
            try:
                _die_with(parent)
                work(fd)
                code = 0
            finally:
                os._exit(code)  # (never a traceback or a flush of the parent's buffers from here)
        return cls(pid, fd)

    def collect(self, until: float | None = None) -> int | None:
        """The in-memory file the child wrote, once it has exited; None if it failed (or how it
        ended cannot be known), or if it is still running at the monotonic time ``until``: then
        it is killed (a child forked from a process with threads may wait for ever on a lock
        another thread held at the fork)."""
        status = self._wait(until)
        if status is None:
            self.close()
            return None
        self.pid = 0
        return self.fd if status == 0 else None

    def _wait(self, until: float | None) -> int | None:
        """The child's exit status (-1: unknown); None if it still runs at ``until``."""
        pause = 0.001
        while True:
            try:
                pid, status = os.waitpid(self.pid, 0 if until is None else os.WNOHANG)
            except ChildProcessError:
                return -1
            if pid:
                return status
            assert until is not None  # (a blocking wait returns only with the child's pid)
            if time.monotonic() >= until:
                return None
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def close(self) -> None:
        if self.pid:  # not collected (not needed, or this process failed): the child is not needed any more
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            self.pid = 0
        with contextlib.suppress(OSError):
            os.close(self.fd)


def result_file(fd: int) -> BinaryIO:
    """Where the child writes its result: the anonymous in-memory file :meth:`Child.start` made
    (no file on disk), left open for the parent to read."""
    return os.fdopen(fd, "wb", closefd=False)


def read_all(fd: int) -> bytes:
    """Everything in the in-memory file ``fd``, from its start."""
    chunks = []
    offset = 0
    while chunk := os.pread(fd, 1 << 24, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _die_with(parent: int) -> None:  # pragma: no cover - runs in the child
    """Have the kernel end this process when its parent ends (a parent killed by SIGTERM or SIGKILL
    leaves no child working on for nobody); if the parent is already gone, end now."""
    import ctypes
    import ctypes.util

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def can_fork() -> bool:
    """Whether a child can help: fork and in-memory files, and a second core to run on, idle (on a
    busy machine a child finishes no sooner and costs CPU of its own: its share of the work done
    twice, the two processes' caches: one process does it all)."""
    return (hasattr(os, "fork") and hasattr(os, "memfd_create") and len(os.sched_getaffinity(0)) > 1
            and spare_core())


def spare_core() -> bool:
    """Whether one more process would have a core of its own: the load average leaves one idle."""
    return os.getloadavg()[0] <= len(os.sched_getaffinity(0)) - 1
