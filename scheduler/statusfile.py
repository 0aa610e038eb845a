"""The one path that edits ``status.yaml``: locked, re-read, validated, atomic, verified.

On-call commands (``herald incident …``, ``herald maintenance …``) change the status file
through :func:`edit`, which

1. takes an exclusive lock (``fcntl.flock`` on ``.status.yaml.lock`` beside the file, the
   symlink's target if it is one), so concurrent commands take turns instead of losing
   each other's changes;
2. reads and validates the file *under the lock*, and hands the fresh data and the status
   it means to the change, which computes what it writes from them (an update's time is
   a second past the last one read, so concurrent updates get distinct, ordered times);
3. parses the new text back and compares it with the data the change meant to write (as
   plain Python), so that no text in the change (an alert's name from outside, say) can
   become YAML structure of its own; then validates it like any saved file, before anything
   is written;
4. swaps the new file in with :func:`scheduler.files.replace_if_unchanged` (fsync, a
   symlink stays a symlink, the file keeps its mode): one atomic exchange, after which the
   file it replaced is compared with what the change was made on. Editors do not take our
   lock, so a hand edit saved at any moment before the swap is given back and merged (the
   change is applied again to the new content) or, if the change no longer applies, the
   command refuses with a sentence saying so; a hand edit is never overwritten;
5. reads the file back from disk and returns only if it parses to what was intended.

(Where the system cannot swap two files atomically, step 4 compares just before an ordinary
atomic replace, leaving a window of microseconds; an editor that writes in place can still
lose a save it opened before the swap and wrote after it.)
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator

from campaigns.errors import Problem, StatusFileError
from campaigns.model import Calendar
from status import edit as transforms
from status.load import check
from status.model import Status

from . import files
from .errors import StatusFileBusy, StatusFileRace
from .files import read_text, replace_if_unchanged

log = logging.getLogger("herald.statusfile")

LOCK_TIMEOUT = 30.0  # seconds to wait for another command's edit
MERGE_ATTEMPTS = 5  # hand edits merged in a row before giving up

Change = transforms.Change


def lock_path(path: str) -> str:
    target = os.path.realpath(path)
    return os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.lock")


@contextlib.contextmanager
def locked(path: str, timeout: float = LOCK_TIMEOUT, sleep: Callable[[float], None] = time.sleep,
           monotonic: Callable[[], float] = time.monotonic) -> Iterator[None]:
    """Hold the exclusive lock of ``path``'s status file (waits up to ``timeout`` seconds)."""
    name = lock_path(path)
    fd = files.lock_file(name)
    try:
        started = monotonic()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            waited = monotonic() - started
            if waited >= timeout:
                raise StatusFileBusy(path, waited, lock_path(path))
            sleep(0.01)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _keeps(before: Status, intended: Status, saved: Status) -> bool:
    """Whether ``saved`` still holds what the change made of ``before`` (its new incidents and
    updates, its new or changed maintenance windows)."""
    for incident in intended.incidents:
        was, now = before.incident(incident.id), saved.incident(incident.id)
        added = [u for u in incident.updates if was is None or u not in was.updates]
        if added and (now is None or any(u not in now.updates for u in added)):
            return False
    old = {m.id: m for m in before.maintenance}
    kept = {m.id: m for m in saved.maintenance}
    return all(kept.get(m.id) == m for m in intended.maintenance if old.get(m.id) != m)


def _status(path: str, calendar: Calendar, text: str | None) -> Status:
    """The status ``text`` means (no file: an empty status), or StatusFileError with every problem."""
    return check(path, calendar, text).unwrap(StatusFileError)


def _render(path: str, text: str | None, current: Status, change: Change) -> str:
    """The new text, once it parses back to exactly the data the change meant (see step 3)."""
    new_text, meant = transforms.render(text or "", current, change, path)
    if not transforms.reads_back(new_text, meant):
        raise StatusFileError([Problem(path, 0, 0, "the change would not read back as written (a text in it "
                                                   "would become YAML of its own); nothing was written")])
    return new_text


def edit(path: str, calendar: Calendar, change: Change, *,
         before_write: Callable[[], None] | None = None) -> Status:
    """Apply ``change(data, status)`` to the status file and return the status saved.

    ``before_write`` runs after the new file is written and just before it is swapped in (a
    seam for tests that save a hand edit at the worst moment).

    :raises StatusFileError: the file, or the file with the change, is not valid.
    :raises UsageError: the change does not apply (no such incident, already resolved…).
    :raises StatusFileBusy, StatusFileRace: see the classes.
    """
    with locked(path):
        text = read_text(path)
        current = _status(path, calendar, text)
        for _attempt in range(MERGE_ATTEMPTS):
            new_text = _render(path, text, current, change)
            intended = _status(path, calendar, new_text)
            if replace_if_unchanged(path, new_text, text, before_swap=before_write):
                break  # swapped in atomically, and what it replaced was what the change was made on
            now = read_text(path)
            log.info("%s was saved by someone else while this command ran; applying the change to the new content",
                     path)
            text = now
            try:
                current = _status(path, calendar, text)
            except StatusFileError as exc:
                raise StatusFileRace(path, "was saved by someone else while this command ran and is not valid now; "
                                           f"nothing was written (fix it and run the command again):\n{exc}") from None
        else:
            raise StatusFileRace(path, f"kept changing while this command ran ({MERGE_ATTEMPTS} saves by someone "
                                       "else); nothing was written, run the command again")
        saved = read_text(path)
        if saved == new_text:
            return _status(path, calendar, saved)
        # Saved by hand again since the swap: what counts is whether this change is still in it.
        try:
            status = _status(path, calendar, saved)
        except StatusFileError:
            status = None
        if status is None or not _keeps(current, intended, status):
            raise StatusFileRace(path, "was saved by someone else right after this command saved it, without "
                                       "this change; check the file and run the command again if it is missing")
        log.info("%s was saved by someone else right after this command; the change is in it", path)
        return status


def check_change(path: str, calendar: Calendar, change: Change) -> None:
    """What :func:`edit` would refuse of ``change`` on the file as it is now, without writing
    anything (the alert intake finds which of several changes is the bad one this way).

    :raises StatusFileError: the file, or the file with the change, is not valid or would not read back.
    :raises UsageError: the change does not apply."""
    text = read_text(path)
    current = _status(path, calendar, text)
    _status(path, calendar, _render(path, text, current, change))
