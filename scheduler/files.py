"""The one way Herald writes a file: atomically, durably, keeping what the file was.

A reader sees the old file or the new one, never a torn one; after :func:`write_atomic`
returns, the new content is on disk (the file and its folder are fsynced).  A symlink
is followed, so the link stays a link and its target is replaced; an existing file keeps
its permission bits; a new one gets ``mode`` (0600 for anything holding secrets or state).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile


def write_atomic(path: str, data: bytes | str, mode: int = 0o644) -> None:
    target = os.path.realpath(path)  # through symlinks: replace the file, keep the link
    directory = os.path.dirname(target)
    os.makedirs(directory, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        mode = stat.S_IMODE(os.stat(target).st_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory)
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
