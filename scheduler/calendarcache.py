"""The engine's checked calendar, kept on disk so that a restart on an unchanged file need not check it again.

Loading a 100,000-post calendar takes most of an engine's start-up (parsing and validating
it: 19 s of CPU), and an engine restarts far more often than its calendar changes.  So what
:func:`scheduler.loading.check` found valid is kept in ``.herald/calendars/`` beside the calendar
(with the tokens and sessions there): the result pickled, warnings included, so that a start
from it logs exactly what a start that parsed the file logs.  An entry is keyed by
(:func:`key`):

- the calendar's exact bytes and the path it was named by (the path is in every message);
- Herald's code (:func:`fingerprint`): the sources of ``campaigns/`` (the loader, the checks
  and the classes pickled) and of this loader, Python's version, the versions of the libraries
  the checks use, the other packages' network types (``herald.networks`` entry points, their
  sources too) and the time-zone database's files.

An entry is read only if it is trusted: a regular file (never through a link) owned by this
user, readable by no one else, in a folder of this user's that no one else can write to, with
the key it is named by in its first line and its payload's SHA-256 matching the one recorded
there.  Anything else is refused, left for a new entry to replace, and the calendar is checked
as if there were no cache.  Only valid calendars are kept, and only when the file still holds
the bytes hashed before the check (a save during it is not filed under the older bytes).  The
newest ``KEEP`` entries stay (a hit counts as new); writing never stops the engine from starting.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import stat
import sys
import zoneinfo
from functools import lru_cache
from pathlib import Path
from typing import Any

from campaigns.calendar import CalendarResult

from . import files

log = logging.getLogger("herald.engine")

FOLDER = os.path.join(".herald", "calendars")
KEEP = 2
SUFFIX = ".pickle"
MAGIC = b"herald-calendar-cache 1"
# the libraries whose behaviour a check depends on (a new version may accept, refuse or build otherwise)
LIBRARIES = ("ruamel.yaml", "ruamel.yaml.clib", "jsonschema-rs", "python-dateutil", "regex",
             "twitter-text-parser", "emoji", "tzdata")


def folder_of(calendar_path: str) -> str:
    return os.path.join(os.path.dirname(os.path.abspath(calendar_path)), FOLDER)


def key(calendar_path: str) -> str | None:
    """The key of the calendar file as it is now (None: it cannot be read).  The file is hashed a
    chunk at a time: a copy of it whole, freed, would raise the allocator's threshold for giving
    memory back to the system, and the engine's copies of the text that follow would stay in its
    heap (141 MB more at 100,000 posts)."""
    try:
        with open(calendar_path, "rb") as handle:
            content = hashlib.file_digest(handle, "sha256").digest()
    except OSError:
        return None
    digest = hashlib.sha256(fingerprint().encode())
    for part in (os.fsencode(calendar_path), content):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def read(calendar_path: str, wanted: str) -> CalendarResult | None:
    """The valid calendar kept under ``wanted``; None when there is none, or none to trust."""
    folder = folder_of(calendar_path)
    if not _own_folder(folder):
        return None
    name = os.path.join(folder, wanted + SUFFIX)
    data = _own_file(name)
    if data is None:
        return None
    payload = _payload(data, wanted)
    result: Any = None
    if payload is not None:
        with contextlib.suppress(Exception):  # any damage that slipped past the digest: not a calendar
            result = pickle.loads(payload)
    if not isinstance(result, CalendarResult) or not result.ok:
        log.warning("ignoring the calendar cache %s (damaged or not Herald's): checking the calendar again", name)
        return None
    with contextlib.suppress(OSError):
        os.utime(name)  # used: among the newest
    return result


def write(calendar_path: str, wanted: str, payload: bytes) -> None:
    """Keep ``payload`` (the pickled valid result) under ``wanted``, if the file still has that key."""
    if key(calendar_path) != wanted:
        return  # saved again while it was checked: this result is not that of the bytes it would be filed under
    folder = folder_of(calendar_path)
    try:
        files.private_folder(os.path.dirname(folder))  # (.herald itself 0700 when made here, as the ledger makes it)
        files.private_folder(folder)
        if not _own_folder(folder):
            return
        name = os.path.join(folder, wanted + SUFFIX)
        files.remove(name)  # a refused entry keeps no mode of its own for the new one
        header = b"%s %s %s\n" % (MAGIC, wanted.encode(), hashlib.sha256(payload).hexdigest().encode())
        files.write_atomic(name, header + payload, mode=0o600)
        _prune(folder)
    except OSError as exc:  # a read-only folder, a full disk: the engine runs, and checks again next time
        log.info("could not keep the checked calendar in %s (%s): the next start checks it again", folder,
                 files.os_reason(exc))


def _own_folder(folder: str) -> bool:
    """A folder (not a link) of this user's that no one else can write to."""
    try:
        found = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(found.st_mode) and found.st_uid == os.geteuid() and not found.st_mode & 0o022


def _own_file(name: str) -> bytes | None:
    """The bytes of ``name`` if it is a regular file of this user's that only they can read (never
    through a link: the file opened must be the one :func:`os.lstat` found); None if there is none,
    or it is refused."""
    try:
        found = os.lstat(name)
        with open(name, "rb") as handle:
            opened = os.fstat(handle.fileno())
            mode = stat.S_IMODE(opened.st_mode)
            if (found.st_dev, found.st_ino) != (opened.st_dev, opened.st_ino) or not stat.S_ISREG(opened.st_mode) \
                    or opened.st_uid != os.geteuid() or mode & 0o077:
                log.warning("ignoring the calendar cache %s: not a file of this user's alone (uid %d, mode %o; a "
                            "link is never followed); checking the calendar again", name, opened.st_uid, mode)
                return None
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("ignoring the calendar cache %s (%s)", name, files.os_reason(exc))
        return None


def _payload(data: bytes, wanted: str) -> memoryview | None:
    """The pickled result after the header (not a copy), if the header names ``wanted`` and the payload's digest."""
    end = data.find(b"\n", 0, 200)
    payload = memoryview(data)[end + 1:]
    parts = data[:max(end, 0)].split(b" ")
    if len(parts) != 4 or b" ".join(parts[:2]) != MAGIC or parts[2] != wanted.encode():
        return None
    return payload if hashlib.sha256(payload).hexdigest().encode() == parts[3] else None


def _prune(folder: str) -> None:
    """Keep the newest KEEP entries."""
    entries = []
    with os.scandir(folder) as found:
        for entry in found:
            if entry.name.endswith(SUFFIX) and entry.is_file(follow_symlinks=False):
                entries.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.path))
    for _, path in sorted(entries, reverse=True)[KEEP:]:
        files.remove(path)


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """Herald's code as far as a checked calendar depends on it (see the module's docstring), once a process."""
    import campaigns

    digest = hashlib.sha256(sys.version.encode())
    sources = sorted(Path(campaigns.__file__).parent.rglob("*.py"))
    here = Path(__file__).parent
    for source in (*sources, here / "loading.py", Path(__file__)):
        _add_file(digest, source)
    for part in (*_libraries(), *_plugins(), *_zone_files()):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def _add_file(digest: Any, path: Path | str) -> None:
    digest.update(os.fsencode(str(path)) + b"\0")
    try:
        digest.update(Path(path).read_bytes())
    except OSError as exc:
        digest.update(str(exc).encode())
    digest.update(b"\0")


def _libraries() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in LIBRARIES:
        try:
            out.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            out.append(f"{name} absent")
    return out


def _plugins() -> list[str]:
    """Each network type another package declares, with its version and the source of its module."""
    import importlib.util
    from importlib.metadata import entry_points

    from campaigns.networks import NETWORK_TYPES

    out = []
    for ep in sorted(entry_points(group=NETWORK_TYPES.group), key=lambda ep: (ep.name, ep.value)):
        dist = getattr(ep, "dist", None)
        out.append(f"{ep.name}={ep.value} {dist.name if dist else ''} {dist.version if dist else ''}")
        try:
            spec = importlib.util.find_spec(ep.module)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin and os.path.isfile(spec.origin):
            out.append(hashlib.sha256(Path(spec.origin).read_bytes()).hexdigest())
    return out


def _zone_files() -> list[str]:
    """The system's time-zone database (zoneinfo reads it before the tzdata package): its files' dates."""
    out = []
    for folder in zoneinfo.TZPATH:
        for name in ("tzdata.zi", "zone1970.tab", "."):
            with contextlib.suppress(OSError):
                found = os.stat(os.path.join(folder, name))
                out.append(f"{folder}/{name} {found.st_mtime_ns} {found.st_size}")
    return out
