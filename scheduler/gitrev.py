"""Reading a file as a git revision has it: ``main:content_calendar.yaml``, ``HEAD~1``.

The one module that runs git (``herald diff`` and the review room's ``/review/diff?base=``).
A revision name is checked against :data:`REVISION` before git sees it (no leading ``-``, so
never an option such as ``--output``; no ``..`` ranges, no spaces or control characters), then
resolved with ``git rev-parse --verify --end-of-options NAME^{commit}`` to a commit id, and only
that id is put in front of the path (``git show --no-textconv ID:PATH --``).  The blob's size is
asked first: a file over the loaders' limit is refused before it is read.

Errors: a name that is not a revision's is a :class:`~campaigns.errors.UsageError` (exit 2); a
revision the repository does not have, a path the revision does not hold, a folder that is not
in a repository are :class:`~scheduler.errors.RevisionNotFound` (exit 1, like a file that is not
there); git itself missing or failing is a :class:`~scheduler.errors.RuntimeFailure` (exit 3).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass

from campaigns.errors import UsageError

from .errors import RevisionNotFound, RuntimeFailure

# A branch, tag, commit id or a name with suffixes git understands (HEAD~1, main^, v1.2, origin/main,
# main@{1}): ASCII letters, digits and . _ / - ~ ^ @ { } +, never starting with '-' (an option) or
# holding '..' (a range), at most 200 characters.
REVISION = re.compile(r"(?!.*\.\.)[A-Za-z0-9_@][A-Za-z0-9._/~^@{}+-]{0,199}")
DEFAULT_FILE = "content_calendar.yaml"
TIMEOUT = 30  # seconds for one git command (a local repository answers in milliseconds)
_ENV = {"LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}


@dataclass(frozen=True)
class Revision:
    """A file in a revision: ``rev`` as written, ``path`` as git reads it from ``folder``
    (from the repository's root, or from ``folder`` when it starts with ``./``)."""

    rev: str
    path: str
    folder: str = "."

    @property
    def name(self) -> str:
        """How messages name it: ``main:content_calendar.yaml`` (``./`` resolved from the root)."""
        return f"{self.rev}:{self.path}"


def is_revision_name(text: str) -> bool:
    return REVISION.fullmatch(text) is not None


def check_name(text: str, what: str = "revision") -> str:
    """``text`` if it is a revision name :data:`REVISION` allows, else a UsageError saying so."""
    if not is_revision_name(text):
        raise UsageError(f"{what} {text!r} is not a revision name (a branch, tag or commit such as main, "
                         "HEAD~1 or v1.2; letters, digits and . _ / - ~ ^ @ { } +, not starting with '-')")
    return text


def revision(text: str, folder: str = ".", default_file: str = DEFAULT_FILE) -> Revision:
    """``REV:PATH`` or a bare ``REV`` (meaning ``REV:`` and ``default_file`` in ``folder``) as a
    :class:`Revision`, its name checked."""
    rev, colon, path = text.partition(":")
    check_name(rev)
    if not colon:
        return Revision(rev, f"{_prefix(folder)}{default_file}", folder)
    if not path or "\x00" in path or "\n" in path:
        raise UsageError(f"{text!r}: name a file after the colon, e.g. {rev}:{default_file}")
    if path.startswith("./"):
        path = _prefix(folder) + path[2:]
    return Revision(rev, path, folder)


def read(where: Revision, max_bytes: int) -> bytes:
    """The file's bytes in that revision."""
    commit = commit_of(where.rev, where.folder)
    spec = f"{commit}:{where.path}"
    found = _git(["cat-file", "--batch-check"], where.folder, stdin=f"{spec}\n").decode().split()
    if len(found) < 3 or found[1] == "missing":
        raise RevisionNotFound(f"{where.name}: {where.rev} has no file {where.path}")
    if found[1] != "blob":
        raise RevisionNotFound(f"{where.name}: a {found[1]} in {where.rev}, not a file")
    if int(found[2]) > max_bytes:
        raise RevisionNotFound(f"{where.name}: file is {int(found[2]):,} bytes; the limit is {max_bytes:,}")
    return _git(["show", "--no-textconv", spec, "--"], where.folder)


def commit_of(rev: str, folder: str = ".") -> str:
    """The commit id ``rev`` names in the repository holding ``folder``."""
    check_name(rev)
    code, out, message = _run(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], folder)
    if code == 1:  # --quiet: a name the repository does not have
        raise RevisionNotFound(f"{rev}: no such revision in the git repository at {_shown(folder)}")
    if code:
        raise RevisionNotFound(f"{rev}: {message or 'git cannot read it'} ({_shown(folder)})")
    return out.decode().strip()


def _prefix(folder: str) -> str:
    """Where ``folder`` is inside its repository, as git writes it (``sub/``, or "" at the root)."""
    code, out, message = _run(["rev-parse", "--show-prefix"], folder)
    if code:
        raise RevisionNotFound(f"{_shown(folder)}: {message or 'not in a git repository'}")
    return out.decode("utf-8", "replace").strip()


def _git(args: list[str], folder: str, stdin: str | None = None) -> bytes:
    """What git wrote, or RevisionNotFound with the last line it said."""
    code, out, message = _run(args, folder, stdin)
    if code:
        raise RevisionNotFound(f"{message or 'git failed'} ({_shown(folder)})")
    return out


def _run(args: list[str], folder: str, stdin: str | None = None) -> tuple[int, bytes, str]:
    """git's exit code, standard output and the last line of its standard error (without ``fatal:``)."""
    if not os.path.isdir(folder):
        raise RevisionNotFound(f"{_shown(folder)}: no such folder")
    try:
        done = subprocess.run(["git", "--no-pager", *args], cwd=folder, capture_output=True, timeout=TIMEOUT,
                              input=stdin.encode() if stdin is not None else None,
                              env={**os.environ, **_ENV}, check=False)
    except FileNotFoundError:
        raise RuntimeFailure("git is not installed: it is needed to read a revision (or give two files)") from None
    except subprocess.TimeoutExpired:
        raise RuntimeFailure(f"git took more than {TIMEOUT} s to answer in {_shown(folder)}") from None
    lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
    return done.returncode, done.stdout, lines[-1].removeprefix("fatal: ").strip() if lines else ""


def _shown(folder: str) -> str:
    return os.path.abspath(folder)
