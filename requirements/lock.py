"""The lock files: exact versions with hashes, for the same install every time.

- ``requirements/dev.txt``: ``.[all,test]``, what ``make`` (and so CI) installs;
- ``requirements/container.txt``: the core, every network and database extra and ``fast``,
  what the ``Containerfile`` installs (no ``herald suggest``, no test tools).

Both hold the build backend too (``[build-system] requires``: setuptools), so that Herald itself
is built from the lock with ``pip install --no-build-isolation`` (the ``Containerfile``), never
with a setuptools pip would fetch from the index.

Each is written by ``uv pip compile --generate-hashes`` (``make lock``; it needs the package
index) and starts with the digest of the dependency sections of ``pyproject.toml`` (its build
backend's too) it was made from.  ``python requirements/lock.py --check`` (``make lock-check``,
run by ``make test`` and ``make check``) compares that digest with ``pyproject.toml`` now,
offline: a changed dependency without a new lock fails it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {"dev.txt": ("all", "test"), "container.txt": ("x", "mastodon", "bluesky", "postgres", "fast")}
PYTHON = "3.11"
MARK = "# pyproject-dependencies-sha256: "


def digest(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """A digest of what a lock is made from: requires-python, the dependencies, the extras and the
    build backend's requirements."""
    toml = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = toml["project"]
    wanted = {key: project.get(key) for key in ("requires-python", "dependencies", "optional-dependencies")}
    wanted["build-system"] = toml["build-system"]["requires"]
    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()


def recorded(lock: Path) -> str | None:
    """The digest a lock file records, or None."""
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line.startswith(MARK):
            return line.removeprefix(MARK).strip()
    return None


def stale() -> list[str]:
    """One line per lock that is missing or was not made from ``pyproject.toml`` as it is."""
    now = digest()
    problems = []
    for name in LOCKS:
        lock = ROOT / "requirements" / name
        if not lock.exists():
            problems.append(f"requirements/{name} is missing: run `make lock`")
        elif recorded(lock) != now:
            problems.append(f"requirements/{name} is not current with pyproject.toml's dependencies: run `make lock`")
    return problems


def build_requires() -> list[str]:
    """``[build-system] requires`` of pyproject.toml."""
    return list(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]["requires"])


def write(uv: str) -> None:
    """Every lock, anew, with ``uv`` (versions move only as far as pyproject.toml allows); the
    build backend's requirements are read from standard input (``-``): no scratch file's name in
    the lock's "via" comments."""
    backend = "".join(f"{requirement}\n" for requirement in build_requires())
    for name, extras in LOCKS.items():
        lock = ROOT / "requirements" / name
        command = [uv, "pip", "compile", "pyproject.toml", "-", "--quiet", "--generate-hashes", "--python-version",
                   PYTHON, "--no-header", *(f"--extra={extra}" for extra in extras)]
        body = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True, input=backend).stdout
        header = (f"# Made by `make lock` (uv pip compile --generate-hashes; pyproject.toml extras: "
                  f"{', '.join(extras)}, and the build backend; Python {PYTHON}). Do not edit.\n{MARK}{digest()}\n")
        lock.write_text(header + body, encoding="utf-8")
        print(f"requirements/{name}: {sum(1 for line in body.splitlines() if '==' in line)} packages")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a lock is not current (offline)")
    parser.add_argument("--uv", default="uv", help="the uv executable (make lock installs one)")
    args = parser.parse_args()
    if args.check:
        problems = stale()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    write(args.uv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
