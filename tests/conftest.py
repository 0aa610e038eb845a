from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CI = os.environ.get("CI") == "true"


# -- a test run leaves the checkout as it found it ---------------------------------------------
# What tools of the run itself may leave (bytecode, pytest's and hypothesis' caches) and what the
# browser tests keep for people to look at (tests/artifacts/, git-ignored): nothing else.
RUN_LITTER = ("__pycache__/", ".pytest_cache/", ".hypothesis/", "tests/artifacts/",
              # `make screenshots` (HERALD_SCREENSHOTS=write) is asked to rewrite the README's pictures
              *(("docs/img/",) if os.environ.get("HERALD_SCREENSHOTS") == "write" else ()))
# Installed, not made by tests, and too many files to list one by one
NOT_LOOKED_AT = (":!.venv", ":!tests/js/node_modules", ":!.lock-venv")


def checkout_state(root: Path = ROOT) -> set[str] | None:
    """``git status`` of the checkout, ignored files included one by one (a new file inside an
    ignored folder that already exists, `.herald/tokens/…` after a `make run`, counts), less the
    run's own litter; None outside a git checkout (an unpacked release), where nothing is checked."""
    try:
        found = subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all", "--",
                                ".", *NOT_LOOKED_AT], cwd=root, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if found.returncode != 0:
        return None
    return {line for line in found.stdout.splitlines() if not any(mark in line for mark in RUN_LITTER)}


def left_behind(before: set[str] | None, after: set[str] | None) -> list[str]:
    return sorted(after - before) if before is not None and after is not None else []


@pytest.fixture(scope="session", autouse=True)
def the_checkout_stays_clean() -> Iterator[None]:
    """Tests write under ``tmp_path``, never into the checkout (a `.herald/tokens/` once stayed
    behind): the run fails at its end if ``git status --ignored`` shows anything it did not show at
    the start."""
    before = checkout_state()
    yield
    left = left_behind(before, checkout_state())
    assert not left, f"the test run left files in the checkout (write under tmp_path): {left}"


@pytest.fixture(autouse=True)
def nothing_new_at_the_top_of_the_checkout() -> Iterator[None]:
    """The same, per test and in microseconds, for the checkout's top folder (where a default
    path, `.herald/` beside a calendar named without a folder, lands): names the test."""
    before = set(os.listdir(ROOT))
    yield
    new = sorted(set(os.listdir(ROOT)) - before - {"__pycache__", ".pytest_cache", ".hypothesis"})
    assert not new, f"this test left {new} in the checkout (write under tmp_path)"


def missing_tool(what: str, install: str) -> None:
    """A tool a test needs is not here (Chromium, Node and its packages, a database): the test
    fails under ``CI=true``, where ``make test`` installs every one, and is skipped otherwise,
    saying what is missing and how to get it."""
    if CI:
        pytest.fail(f"{what} is required in CI: {install}", pytrace=False)
    pytest.skip(f"{what} is not installed ({install})")

HEADER = """\
brand:
  name: Acme Furniture
  timezone: {tz}
  links: {{order_tracking: "https://acme.example/track", help: "https://acme.example/help"}}
networks:
  site: {{type: site}}
  hooks: {{type: webhook, url: "http://127.0.0.1:8099/in"}}
  x: {{type: x}}
  masto: {{type: mastodon, instance: "https://social.example"}}
  sky: {{type: bluesky, handle: acme.example}}
  insta: {{type: instagram, user_id: "1789"}}
campaigns:
  winter: {{starts: 2026-12-01, ends: 2027-02-28, networks: [site, hooks]}}
"""


def calendar_text(posts: str, tz: str = "Europe/Berlin") -> str:
    return HEADER.format(tz=tz) + "posts:\n" + textwrap.indent(textwrap.dedent(posts).strip("\n"), "  ") + "\n"


@pytest.fixture
def write_calendar(tmp_path: Path):
    def write(posts: str, tz: str = "Europe/Berlin", name: str = "cal.yaml") -> Path:
        path = tmp_path / name
        path.write_text(calendar_text(posts, tz), encoding="utf-8")
        return path

    return write


DATA = Path(__file__).resolve().parent / "data"


def reference(*parts: str) -> Path:
    """Reference data vendored under tests/data/ (see its README: source and licence of each):
    a test reads nothing outside the checkout, so a missing file is an error, never a skip."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"reference data missing: {path} (vendor it under tests/data/)")
    return path


PG_URL = os.environ.get("HERALD_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
_PG_DATABASE: dict[str, str] = {}


def _postgres_ledger_url() -> str:
    """A database of this test run's own (created once, dropped at exit): tests never touch
    tables they did not create, and several runs (worktrees, CI) can share one server."""
    if "url" in _PG_DATABASE:
        return _PG_DATABASE["url"]
    import atexit
    import uuid

    from sqlalchemy import create_engine, make_url, text

    server = make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://"))
    name = f"herald_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        missing_tool(f"PostgreSQL at {PG_URL} ({type(exc).__name__})",
                     "set HERALD_TEST_POSTGRES to a server's URL (CI's machine runs one on 127.0.0.1:5432)")
    finally:
        admin.dispose()

    def drop() -> None:
        engine = create_engine(server, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except Exception:
            pass
        finally:
            engine.dispose()

    atexit.register(drop)
    url = server.set(database=name).render_as_string(hide_password=False).replace("postgresql+psycopg://",
                                                                                   "postgresql://")
    _PG_DATABASE["url"] = url
    return url


def _fresh_postgres_url() -> str:
    """This run's database, emptied of Herald's tables (each test starts from a fresh ledger)."""
    from sqlalchemy import create_engine

    from scheduler.ledger import metadata

    url = _postgres_ledger_url()
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        metadata.drop_all(engine)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def api():
    """A scriptable local API server (tests/fakeapi.py) for the network tests."""
    from tests.fakeapi import FakeApi

    server = FakeApi()
    yield server
    server.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return _fresh_postgres_url()


@pytest.fixture
def ledger(ledger_url):
    from scheduler.ledger import Ledger

    opened = Ledger(ledger_url)
    yield opened
    opened.close()


@pytest.fixture
def forks(monkeypatch):
    """Every calendar is big enough for a one-shot command to split its work with a forked child
    (scheduler/forked.py), on a one-core machine too; the forks made are counted (the child
    inherits the patch, and exits without coming back here)."""
    import os

    from scheduler import forked, loading

    monkeypatch.setattr(forked, "PARALLEL_FROM_CHARS", 0)
    monkeypatch.setattr(loading, "IN_PROCESS_BELOW", 0)  # the engine's loader forks for it too
    monkeypatch.setattr(forked, "can_fork", lambda: True)
    made: list[int] = []
    real = os.fork

    def fork() -> int:
        pid = real()
        if pid:
            made.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    return made


# A `herald` command in its own process that reports each fork on stderr ("forked PID"); the first
# argument says whether a one-shot command may split its work: "fork" (on any machine), "serial",
# "sigchld-ignored" (may fork, with SIGCHLD ignored as some supervisors leave it) or "no-fork" (may,
# but fork fails as with no process to spare).
FORK_COUNTING = """\
import os, signal, sys
real = os.fork
mode = sys.argv.pop(1)
def fork():
    if mode == "no-fork":
        raise BlockingIOError(11, "Resource temporarily unavailable")
    pid = real()
    if pid:
        sys.stderr.write(f"forked {pid}\\n")
        sys.stderr.flush()
    return pid
os.fork = fork
if mode == "sigchld-ignored":
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
from scheduler import forked
from scheduler.cli import entry
forked.can_fork = lambda: mode != "serial"
sys.argv = ["herald", *sys.argv[1:]]
entry()
"""


# -- the fast cut: `make check` runs `pytest -m "not slow"` ------------------------------------
# Besides the files and tests marked `slow` where they are written (real browsers, real engines
# killed), tests/slow.txt lists the tests measured to take 0.03 s of CPU or more, and
# files whose every test is slow: made by tests/slowlist.py (its docstring says how).
SLOW_LIST = ROOT / "tests" / "slow.txt"


def listed_slow(path: Path | None = None) -> set[str]:
    path = path or SLOW_LIST
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    slow = listed_slow()
    for item in items:
        if item.nodeid in slow or item.nodeid.partition("::")[0] in slow:
            item.add_marker(pytest.mark.slow)


def adjusted_rand_score(truth: list, found: list) -> float:
    """scikit-learn's, imported when first used: collecting the tests (the fast cut's first
    seconds) imports no scientific stack."""
    from sklearn.metrics import adjusted_rand_score as score

    return float(score(truth, found))
