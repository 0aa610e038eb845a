"""The one way Herald writes a file: atomically, durably, keeping what the file was.

A reader sees the old file or the new one, never a torn one; after :func:`write_atomic`
returns, the new content is on disk (the file and its folder are fsynced).  A symlink
is followed, so the link stays a link and its target is replaced; an existing file keeps
its permission bits; a new one gets ``mode`` (0600 for anything holding secrets or state).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable
from typing import Any


def write_atomic(path: str, data: bytes | str, mode: int = 0o644) -> None:
    target = os.path.realpath(path)  # through symlinks: replace the file, keep the link
    directory = os.path.dirname(target)
    os.makedirs(directory, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        mode = stat.S_IMODE(os.stat(target).st_mode)
    fd, tmp = tempfile.mkstemp(prefix=temporary_prefix(target), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(directory)


def temporary_prefix(target: str) -> str:
    """The start of a temporary twin's name: the file's own (cut, so that a name the file system
    takes is never made too long by the ".xxxxxxxx.tmp" around it)."""
    cut = os.fsencode(os.path.basename(target))[:100]  # in bytes, what the file system counts
    return "." + cut.decode("utf-8", "ignore") + "."  # a character cut in two is left out


def _special(path: str) -> bool:
    """A device, a FIFO or a socket (neither a file nor a folder)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def write_output(path: str, data: bytes | str) -> None:
    """Write a command's output to ``path``: atomically (see :func:`write_atomic`) if it is a file;
    through it if it is a device, a FIFO or one of this process's streams (:func:`own_stream`).
    Renaming a new file over one of those would destroy it (``-o /dev/stderr`` once turned
    /dev/null into a file, and a link to /dev/stderr the log it was redirected to)."""
    own = own_stream(path)
    if own is None and not _special(path):
        write_atomic(path, data)
        return
    body = memoryview(data.encode("utf-8") if isinstance(data, str) else data)
    if own is not None:  # what Python holds in its buffers goes first
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
    # one of this process's streams is written through its descriptor, sharing its offset with
    # everything else written there (reopened, a "wrote ..." line on stderr would overwrite it)
    fd = own if own is not None else os.open(path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        while body:
            body = body[os.write(fd, body):]
    finally:
        if own is None:
            os.close(fd)


_STREAMS = re.compile(r"/dev/(?:(?P<std>stdin|stdout|stderr)|fd/(?P<fd>\d+))"
                      r"|/proc/(?:self|thread-self|(?P<pid>\d+)(?:/task/\d+)?)/fd/(?P<pfd>\d+)")
_STANDARD = {"stdin": 0, "stdout": 1, "stderr": 2}


def own_stream(path: str) -> int | None:
    """The descriptor of this process that ``path`` is: one it names (``/dev/stdout``,
    ``/dev/stderr``, ``/dev/fd/N``, ``/proc/self/fd/N``, or a link to one, followed a link at a
    time, every folder on the way resolved), or standard output or error when ``path`` is the
    very file they are open on (a link through ``/proc/thread-self``, or ``-o log 2>>log``).
    Written through that descriptor, a file keeps what the stream wrote there; None: neither."""
    current = path
    for _ in range(40):  # the kernel's own limit on links followed
        folder, name = os.path.split(os.path.abspath(current))
        absolute = os.path.join(os.path.realpath(folder), name)  # links above resolved, the last one not
        match = _STREAMS.fullmatch(absolute)
        if match and (match["pid"] is None or int(match["pid"]) == os.getpid()):
            number = match["fd"] or match["pfd"]
            return int(number) if number is not None else _STANDARD[match["std"]]
        try:
            target = os.readlink(absolute)
        except OSError:
            break
        current = os.path.join(os.path.dirname(absolute), target)
    try:
        named = os.stat(path)
    except OSError:
        return None
    for fd in (1, 2):  # not 0: "-o plan.ics < plan.ics" means to replace the file
        try:
            stream = os.fstat(fd)
        except OSError:
            continue
        if (stream.st_dev, stream.st_ino) == (named.st_dev, named.st_ino):
            return fd
    return None


def remove(path: str) -> bool:
    """Delete ``path``; False when it was not there."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def remove_empty_folder(folder: str) -> bool:
    """Delete ``folder`` if nothing is in it; False when it holds something (or is gone)."""
    try:
        os.rmdir(folder)
    except OSError:
        return False
    return True


def make_folder(folder: str) -> None:
    """Make ``folder`` (and its parents) if need be, with the usual permissions (an output folder)."""
    os.makedirs(folder, exist_ok=True)


def private_folder(folder: str) -> None:
    """Make ``folder`` (and its parents) for Herald's own state, readable by its owner only."""
    os.makedirs(folder, mode=0o700, exist_ok=True)


def narrow_mode(path: str, mask: int) -> int | None:
    """When the group or others have any permission on ``path``, keep only the bits of ``mask``
    (0o600, 0o700); the new mode, or None when nothing changed (or the file is gone, or not ours)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077 == 0:
            return None
        os.chmod(path, mode & mask)
    except (FileNotFoundError, PermissionError):
        return None
    return mode & mask


def new_private_file(path: str) -> None:
    """An empty file at ``path`` that only its owner can read, made fresh (a leftover of an
    earlier attempt, and its rollback journal, are removed first)."""
    for leftover in (path, path + "-journal"):
        remove(leftover)
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def durable_rename(source: str, target: str) -> None:
    """Put a finished file in place: its content on disk first, then the rename, then its folder."""
    with open(source, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(source, target)
    fsync_dir(os.path.dirname(os.path.abspath(target)))


def move(source: str, target: str) -> bool:
    """Rename ``source`` to ``target`` (replacing it); False when ``source`` was not there."""
    try:
        os.replace(source, target)
    except FileNotFoundError:
        return False
    return True


def lock_file(name: str) -> int:
    """An open descriptor on the lock file ``name`` (made, with its folder, when missing), to
    ``flock``; the file's content is never written."""
    os.makedirs(os.path.dirname(name), exist_ok=True)
    return os.open(name, os.O_RDWR | os.O_CREAT, 0o644)


def output_problem(path: str) -> str | None:
    """Why a command's output cannot go to ``path`` (None: it can), checked before any work is
    done: one of this process's streams, a device or a FIFO is written through; a file's folder
    must exist (a typo in a path, or a link to nowhere, must not silently create folders) and
    take a new file."""
    if path.endswith("/") or os.path.basename(path) in (".", ".."):
        return "names a folder; name the file to write"
    fd = own_stream(path)
    if fd is not None:
        return _stream_problem(fd)
    try:
        mode: int | None = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except NotADirectoryError:
        return f"not a folder: {_first_non_folder(path)}"
    except OSError as exc:
        return os_reason(exc)
    if mode is not None and not stat.S_ISREG(mode):
        return _special_problem(path, mode)
    return _file_problem(path, exists=mode is not None)


def _stream_problem(fd: int) -> str | None:
    import fcntl

    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    except OSError:
        return f"no such open descriptor ({fd})"
    return f"descriptor {fd} is open for reading only" if flags & os.O_ACCMODE == os.O_RDONLY else None


def _first_non_folder(path: str) -> str:
    parent = os.path.dirname(os.path.abspath(path))
    while parent != os.path.dirname(parent) and not (os.path.lexists(parent) and not os.path.isdir(parent)):
        parent = os.path.dirname(parent)
    return parent


def _special_problem(path: str, mode: int) -> str | None:
    """A folder or a socket is refused; a device or a FIFO is written through."""
    if stat.S_ISDIR(mode):
        return "is a folder; name the file to write"
    if stat.S_ISSOCK(mode):
        return "is a socket; name a file, a device or a pipe"
    return None if os.access(path, os.W_OK) else "permission denied"


def _file_problem(path: str, exists: bool) -> str | None:
    real = os.path.realpath(path)  # through links: the folder that will hold the file
    folder = os.path.dirname(real)
    if not os.path.isdir(folder):
        return f"not a folder: {folder}" if os.path.exists(folder) else f"no folder {folder} (create it first)"
    try:  # the one honest test of "can this file be made here": make its temporary twin
        fd, probe = tempfile.mkstemp(prefix=temporary_prefix(real), suffix=".tmp", dir=folder)
    except OSError as exc:
        return os_reason(exc)
    os.close(fd)
    os.unlink(probe)
    return "permission denied" if exists and not os.access(real, os.W_OK) else None


def os_reason(exc: OSError) -> str:
    """An OSError in the words a person reads: "read-only file system", "permission denied"…"""
    return {errno.EROFS: "read-only file system", errno.ENOSPC: "no space left on the device",
            errno.EDQUOT: "disk quota exceeded", errno.ENAMETOOLONG: "file name too long",
            errno.ENOTDIR: "a part of the path is not a folder", errno.ELOOP: "too many levels of links",
            errno.EACCES: "permission denied", errno.EPERM: "permission denied"}.get(
        exc.errno or 0, (exc.strerror or str(exc)).lower())


def fsync_dir(directory: str) -> None:
    """Make a rename in ``directory`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def replace_if_unchanged(path: str, data: str, expected: str | None, mode: int = 0o644,
                         before_swap: Callable[[], None] | None = None) -> bool:
    """Replace ``path`` with ``data`` only if it still holds ``expected`` (None: no file), as one
    atomic step; False (nothing changed) if someone saved it in the meantime.

    For files people also edit by hand (status.yaml): an editor takes no lock, so "compare, then
    rename" would leave a window in which its save is overwritten. Here the new file is swapped
    in (Linux ``renameat2(RENAME_EXCHANGE)``), the file it replaced is compared with
    ``expected``, and swapped back if it differs; a new file is created with ``link()``, which
    fails if one appeared. Where the swap is not available, the comparison runs just before an
    ordinary atomic replace (a window of microseconds). ``before_swap`` is a test seam.
    """
    target = os.path.realpath(path)
    directory = os.path.dirname(target)
    with contextlib.suppress(FileNotFoundError):
        mode = stat.S_IMODE(os.stat(target).st_mode)
    fd, tmp = tempfile.mkstemp(prefix=temporary_prefix(target), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8"))
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        if before_swap is not None:
            before_swap()
        if expected is None:
            try:
                os.link(tmp, target)  # fails if the file appeared meanwhile
            except FileExistsError:
                return False
        else:
            mine = os.stat(tmp).st_ino
            try:
                swapped = _exchange(tmp, target)
            except FileNotFoundError:  # deleted by hand meanwhile
                return False
            if swapped:
                if read_text(tmp) != expected:  # a hand save landed before the swap: give it back
                    if os.stat(target).st_ino == mine:  # (unless an even newer save replaced ours)
                        _exchange(tmp, target)
                    return False
                fsync_dir(directory)
                return True
            if read_text(target) != expected:
                return False
            os.replace(tmp, target)
            tmp = ""
    finally:
        if tmp:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    fsync_dir(directory)
    return True


def read_text(path: str) -> str | None:
    """The file's text exactly as stored (line breaks untouched), or None when there is no file."""
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def read_bytes(path: str) -> bytes:
    """The file's bytes, or none when there is no file (a save's unlink-and-rename moment)."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return b""


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_renameat2: Any = None


def _exchange(a: str, b: str) -> bool:
    """Swap two paths atomically (Linux renameat2); False where the system cannot."""
    global _renameat2
    if _renameat2 is None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            _renameat2 = libc.renameat2
            _renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        except (OSError, AttributeError):
            _renameat2 = False
    if _renameat2 is False:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # kernel or filesystem without it
        _renameat2 = False
        return False
    raise OSError(error, os.strerror(error), b)
