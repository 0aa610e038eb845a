"""Saves of the watched files: watchdog's reports of them only (:class:`Saves`), and settled reads
(:func:`read_settled`; the web intake reads ``status.yaml`` by the same rule)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from watchdog.events import (
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

WATCHED_EVENTS = [FileModifiedEvent, FileClosedEvent, FileCreatedEvent, FileMovedEvent]


@dataclass(frozen=True)
class Settling:
    quiet: float = 0.1  # seconds: two reads this far apart must agree
    # ... of a status save the writer closed (complete, unless the writer saves again at once; a save
    # renamed into place is complete for certain: its two reads back to back, at once): the status reaction is what
    # customers wait for (issue 24)
    complete: float = 0.02
    burst: float = 0.02  # seconds to let a burst of events for one complete save pass before reading
    patience: float = 2.0  # seconds an empty, unparsable or changing file is read again before it counts
    # seconds to wait for a writer that has the file open (no close event yet): a writer that pauses
    # mid-save (a script between two writes, an editor's slow disk) must not have its first half
    # announced for good (found by the attack: a 4 s pause published half a message)
    writing: float = 30.0
    unfinished: float = 5.0  # seconds a text that does not end with a line break is waited on


def yaml_parses(data: bytes) -> bool:
    from campaigns.yamlsource import parses_safely

    if not parses_safely(data):
        return False  # the loader says where and why
    try:
        YAML(typ="safe").load(data)
    except (YAMLError, ValueError):
        return False
    return True


def read_settled(read: Callable[[], bytes], wait: Callable[[float], bool], monotonic: Callable[[], float],
                 parses: Callable[[bytes], bool] = yaml_parses, settling: Settling = Settling()) -> bytes | None:
    """The file's content once it has settled: two reads ``settling.quiet`` apart agree, it
    parses and it ends with a line break.  An empty, unparsable or still changing content is
    read again for up to ``settling.patience`` seconds, then returned as it is (the loader
    reports what is wrong).  Text that parses but stops mid-line is what a save written in
    two steps looks like half-way (the first half of a message is valid YAML): it is waited on
    for up to ``settling.unfinished`` seconds, since every editor ends a file with a line
    break; a file that really has none is adopted then.

    ``wait(seconds)`` waits and returns True to give up (shutdown): then None is returned.
    Everything is injected, so the tests run it without real time."""
    began = monotonic()
    data = read()
    while True:
        if wait(settling.quiet):
            return None
        again = read()
        settled = again == data
        data = again
        elapsed = monotonic() - began
        whole = not data.strip() or data.endswith((b"\n", b"\r")) or elapsed >= settling.unfinished
        if settled and whole and data.strip() and parses(data):
            return data
        if whole and elapsed >= settling.patience:
            return data


class _FileChanged(FileSystemEventHandler):
    """Reports saves of the watched files only: ``changed(path, closed)`` where ``closed`` says the
    writer closed it (or renamed it into place), so it is complete.  Every other file in the folder
    costs one set lookup and nothing else."""

    def __init__(self, paths: set[str], changed: Callable[[str, bool], None],
                 renamed: Callable[[str], None] | None = None):
        self.paths = {os.path.abspath(p) for p in paths}
        self.changed = changed
        self.renamed = renamed  # told first when a save was renamed into place (atomic: complete at once)

    def dispatch(self, event: FileSystemEvent) -> None:  # skip watchdog's per-type dispatch and its logging
        kind = event.event_type
        if kind == "moved":
            dest = os.fsdecode(event.dest_path)
            if dest in self.paths:
                if self.renamed is not None:
                    self.renamed(dest)
                self.changed(dest, True)
            return
        src = os.fsdecode(event.src_path)
        if src not in self.paths:
            return
        if kind in ("closed", "created"):
            self.changed(src, True)
        elif kind == "modified":
            self.changed(src, False)


class Saves:
    """watchdog on the folders of ``paths``: ``saved(path, quiet)`` runs once a burst of events for
    one save is over, after the writer closed the file (or, without a close event, a while after it
    wrote).  For the ``quick`` paths (the status file: the reaction customers wait for) a save
    renamed into place is read at once (``quiet`` 0: a rename is atomic) and one the writer closed
    with ``settling.complete`` between its two reads; otherwise ``quiet`` is None (the usual)."""

    def __init__(self, paths: set[str], saved: Callable[[str, float | None], object], settling: Settling,
                 stopping: threading.Event, quick: Collection[str] = ()):
        self.paths = {os.path.abspath(p) for p in paths}
        self.quick = {os.path.abspath(p) for p in quick}
        self.saved = saved
        self.settling = settling
        self.stopping = stopping
        self.observer: Any = None
        self._close_events = False
        self.reload_timers: dict[str, threading.Timer] = {}
        self._timers_lock = threading.Lock()
        self._renamed: set[str] = set()  # watched files whose last event was a rename into place (watcher thread)

    def start(self) -> None:
        handler = _FileChanged(self.paths, self.file_changed, self._renamed.add)
        self.observer = Observer()
        for folder in {os.path.dirname(p) for p in self.paths}:
            self.observer.schedule(handler, folder, recursive=False, event_filter=WATCHED_EVENTS)
        self.observer.daemon = True
        self.observer.start()
        self._close_events = "inotify" in type(self.observer).__module__

    def stop(self) -> None:
        if self.observer is not None:
            self.observer.stop()
        with self._timers_lock:
            for timer in self.reload_timers.values():
                timer.cancel()

    def file_changed(self, path: str, closed: bool) -> None:
        """From the watcher thread, on every event for a watched file: coalesce a burst into one
        reload, after the writer closed the file (or, without a close event, a while after it wrote)."""
        renamed = path in self._renamed and path in self.quick
        self._renamed.discard(path)
        quiet = (0.0 if renamed else self.settling.complete if closed else None) if path in self.quick else None
        # inotify reports when the writer closes the file: until then it may be half written
        delay = self.settling.writing if not closed and self._close_events else (
            0.0 if renamed else self.settling.burst if closed else self.settling.quiet)
        with self._timers_lock:
            timer = self.reload_timers.get(path)
            if timer is not None:
                timer.cancel()
            if self.stopping.is_set():
                return
            timer = threading.Timer(delay, self.saved, args=(path, quiet))
            timer.daemon = True
            self.reload_timers[path] = timer
            timer.start()
